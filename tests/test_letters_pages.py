"""Staff screens: preview before sending, send, history, download; scope answers 404
(issue 4, point 6)."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
import sqlalchemy as sa

from portal import audit
from portal.extensions import db
from portal.letters import access_codes
from portal.letters.models import AccessCode, Letter, LetterKind
from portal.models import Decision, Role
from tests import factories as f
from tests.test_letters_content import build_world


@pytest.fixture
def world(seed):
    with seed():
        built = build_world()
        outsider = f.user(Role.TEAM_MEMBER)
        desk = f.user(Role.PRIVACY_DESK)
        ids = {
            "manager": built.manager,
            "regisseur": built.regisseur,
            "outsider": outsider,
            "desk": desk,
            "person": built.person.id,
            "case": built.case.id,
            "reference": built.case.reference,
            "turned_away": built.not_picked_up_case.id,
        }
    return ids


def letters_of(person_id):
    return db.session.scalars(sa.select(Letter).where(Letter.person_id == person_id)).all()


def test_preview_shows_the_letter_and_stores_nothing(client, auth, world):
    auth.login(world["manager"])
    response = client.get(f"/persons/{world['person']}/letters/new")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Informatie over het delen van uw gegevens in het Regieteam" in html
    assert "VOORBEELD" in html and "XXXX-XXXX-XXXX" in html
    english = client.get(
        f"/persons/{world['person']}/letters/new?case_id={world['case']}&language=en"
    ).get_data(as_text=True)
    assert "Information about sharing your data in the Regieteam" in english
    assert letters_of(world["person"]) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AccessCode)) == 0
    previews = db.session.scalar(
        sa.select(sa.func.count()).where(audit.AuditEntry.object_type == "letter_preview")
    )
    assert previews == 2


def test_preview_as_pdf(client, auth, world):
    auth.login(world["manager"])
    response = client.get(
        f"/persons/{world['person']}/cases/{world['case']}/letters/preview.pdf?language=nl"
    )
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("inline")
    assert response.data.startswith(b"%PDF-")
    assert letters_of(world["person"]) == []
    for case_id in (999999, world["turned_away"]):
        bad = client.get(f"/persons/{world['person']}/cases/{case_id}/letters/preview.pdf")
        assert bad.status_code == 404


def test_send_stores_once_and_the_download_is_those_bytes(client, auth, world):
    auth.login(world["manager"])
    response = client.post(
        f"/persons/{world['person']}/cases/{world['case']}/letters",
        data={"language": "nl", "channel": "post"},
    )
    assert response.status_code == 302
    (letter,) = letters_of(world["person"])
    assert letter.kind is LetterKind.INFORMATION and letter.access_code is not None
    history = client.get(f"/persons/{world['person']}/letters").get_data(as_text=True)
    assert "informatiebrief-2026-01" in history and "nog niet gebruikt" in history
    download = client.get(f"/letters/{letter.id}.pdf")
    assert download.status_code == 200
    assert hashlib.sha256(download.data).hexdigest() == letter.sha256
    assert download.headers["Content-Disposition"].startswith("attachment")


def test_send_refuses_bad_input_with_a_message_and_stores_nothing(client, auth, world):
    auth.login(world["manager"])
    url = f"/persons/{world['person']}/cases/{world['case']}/letters"
    for data in (
        {"language": "nl", "channel": "pigeon"},
        {"language": "fr", "channel": "post"},
        {"language": "nl\x00", "channel": "post"},
        {},
    ):
        response = client.post(url, data=data)
        assert response.status_code == 422, data
    # A case that was not picked up, or that does not exist, is not one to send this letter about.
    for case_id in (world["turned_away"], 999999):
        response = client.post(
            f"/persons/{world['person']}/cases/{case_id}/letters",
            data={"language": "nl", "channel": "post"},
        )
        assert response.status_code == 404
    assert letters_of(world["person"]) == []


def test_email_without_an_address_is_refused_on_the_form(client, auth, world, seed):
    with seed():
        from portal.models import Person

        db.session.get(Person, world["person"]).email = None
    auth.login(world["manager"])
    response = client.post(
        f"/persons/{world['person']}/cases/{world['case']}/letters",
        data={"language": "nl", "channel": "email"},
    )
    assert response.status_code == 422
    assert "geen e-mailadres" in response.get_data(as_text=True)
    assert letters_of(world["person"]) == []


def test_outside_scope_everything_answers_404(client, auth, world, seed):
    with seed():
        from portal.letters import content, operations
        from portal.models import Case, Person, User

        manager = db.session.get(User, world["manager"].id)
        letter = operations.send_letter(
            manager,
            content.information(
                db.session.get(Person, world["person"]), db.session.get(Case, world["case"])
            ),
        )
        ids = (letter.id, letter.access_code_id)
    auth.login(world["outsider"])
    person = world["person"]
    for method, url in (
        ("GET", f"/persons/{person}/letters"),
        ("GET", f"/persons/{person}/letters/new"),
        ("GET", f"/persons/{person}/cases/{world['case']}/letters/preview.pdf"),
        ("POST", f"/persons/{person}/cases/{world['case']}/letters"),
        ("GET", f"/letters/{ids[0]}.pdf"),
        ("POST", f"/letters/codes/{ids[1]}/revoke"),
        ("GET", "/letters/999999.pdf"),
    ):
        assert client.open(url, method=method).status_code == 404, url
    auth.login(world["desk"])
    # The privacy desk sees a person's letters and downloads them, but sends no information letter.
    assert client.get(f"/persons/{person}/letters").status_code == 200
    assert client.get(f"/letters/{ids[0]}.pdf").status_code == 200
    assert client.get(f"/persons/{person}/letters/new").status_code == 403


def test_staff_revoke_a_code_from_the_history(app, client, auth, world, seed):
    with seed():
        from portal.models import Person, User

        issued = access_codes.issue_code(
            db.session.get(Person, world["person"]),
            actor=db.session.get(User, world["manager"].id),
        )
        code = issued.code
        code_id = issued.row.id
    auth.login(world["manager"])
    response = client.post(f"/letters/codes/{code_id}/revoke")
    assert response.status_code == 302
    with app.app_context(), pytest.raises(access_codes.AccessCodeError) as refused:
        access_codes.redeem_code(code)
    assert refused.value.code == "revoked"


def test_not_picked_up_letter_to_the_household(client, auth, world):
    auth.login(world["regisseur"])
    page = client.get(f"/cases/{world['turned_away']}/letters/not-picked-up")
    assert page.status_code == 200
    assert "Het Regieteam pakt uw situatie niet op" in page.get_data(as_text=True)
    response = client.post(
        f"/cases/{world['turned_away']}/letters/not-picked-up", data={"language": "en"}
    )
    assert response.status_code == 302
    letter = db.session.scalar(sa.select(Letter).where(Letter.case_id == world["turned_away"]))
    assert letter.kind is LetterKind.NOT_PICKED_UP and letter.person_id is None
    assert letter.language == "en" and letter.access_code_id is None
    # Only for a case that was turned away.
    assert client.get(f"/cases/{world['case']}/letters/not-picked-up").status_code == 404


def test_not_picked_up_case_is_not_offered_for_the_information_letter(client, auth, world, seed):
    with seed():
        from portal.models import Case

        case = db.session.get(Case, world["case"])
        case.decision = Decision.PICK_UP
        case.closed_on = date(2026, 2, 1)
    auth.login(world["manager"])
    page = client.get(f"/persons/{world['person']}/letters/new").get_data(as_text=True)
    assert "Er is geen open casus" in page
