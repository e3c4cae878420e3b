"""My letters in the citizen portal (issue 5, point 4): every letter sent to the person and to
their household address, downloadable as it was sent (the stored bytes), each download an export
by the person in the audit trail. Privacyprotocol art. 4: a letter is what the person was told.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from portal import audit
from portal.audit import AuditEntry
from portal.extensions import db
from portal.letters import content, operations
from portal.letters.models import Letter
from portal.models import Decision, Role
from tests import factories as f
from tests.test_citizen_consents import _Stub


@pytest.fixture
def world(seed) -> dict:
    with seed():
        regisseur = f.user(Role.PROCESREGISSEUR, f.partner(name="Gemeente Nijmegen"))
        home = f.household()
        parent = f.person(home, given_name="Noor", family_name="Visser")
        child = f.person(
            home,
            given_name="Daan",
            family_name="Visser",
            birth_date=date.today() - timedelta(days=365 * 10),
            legal_representative=parent,
        )
        neighbour = f.person(given_name="Bram", family_name="Buur")
        case = f.case(procesregisseur=regisseur, household_obj=home)
        other_case = f.case(procesregisseur=regisseur, household_obj=neighbour.household)
        turned_away = f.case(
            procesregisseur=regisseur,
            household_obj=home,
            phase=2,
            decision=Decision.NOT_PICKED_UP,
            closed_on=date(2026, 2, 1),
        )

        def send(person, about, **kwargs):
            draft = content.information(person, about, sharing=[], **kwargs)
            return operations.send_letter(regisseur, draft, with_access_code=False).id

        ids = {
            "parent": parent.id,
            "child": child.id,
            "neighbour": neighbour.id,
            "own": send(parent, case),
            "own_en": send(parent, case, language="en"),
            "childs": send(child, case),
            "neighbours": send(neighbour, other_case),
            "to_address": operations.send_letter(regisseur, content.not_picked_up(turned_away)).id,
        }
    return ids


def _url(ids, person_key, letter_key=None):
    base = f"/mijn/{ids[person_key]}/brieven"
    return base if letter_key is None else f"{base}/{ids[letter_key]}.pdf"


def test_the_overview_lists_the_persons_and_the_households_letters(client, auth, world):
    auth.login_citizen(_Stub(world["parent"]))
    response = client.get(_url(world, "parent"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Mijn brieven" in page
    for key in ("own", "own_en", "to_address"):
        assert _url(world, "parent", key) in page, key
    assert "Informatiebrief" in page and "Niet opgepakt" in page and "Engels" in page
    for key in ("childs", "neighbours"):
        assert f"/{world[key]}.pdf" not in page, key


def test_a_download_is_the_stored_letter_and_an_export_by_the_person(client, auth, seed, world):
    auth.login_citizen(_Stub(world["parent"]))
    response = client.get(_url(world, "parent", "own"))
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    with seed():
        letter = db.session.get(Letter, world["own"])
        assert response.data == letter.pdf
        export = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == audit.Action.EXPORT.value)
        ).one()
        assert (export.object_id, export.person_id, export.on_behalf_of, export.user_id) == (
            world["own"],
            world["parent"],
            f"person:{world['parent']}",
            None,
        )


def test_a_parent_reads_the_childs_letters_under_the_childs_file(client, auth, world):
    auth.login_citizen(_Stub(world["parent"]))
    page = client.get(_url(world, "child")).get_data(as_text=True)
    assert "Brieven voor Daan Visser" in page and _url(world, "child", "childs") in page
    assert client.get(_url(world, "child", "childs")).status_code == 200
    # Each letter only under the file it belongs to.
    assert client.get(f"{_url(world, 'parent')}/{world['childs']}.pdf").status_code == 404


@pytest.mark.parametrize(
    "person_key,letter_key",
    [("parent", "neighbours"), ("neighbour", "neighbours"), ("neighbour", "own")],
)
def test_someone_elses_letter_answers_404(client, auth, seed, world, person_key, letter_key):
    auth.login_citizen(_Stub(world["parent"]))
    assert client.get(_url(world, person_key, letter_key)).status_code == 404
    assert client.get(f"{_url(world, 'parent')}/999999.pdf").status_code == 404
    if person_key == "neighbour":
        assert client.get(_url(world, "neighbour")).status_code == 404
    with seed():
        exports = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == audit.Action.EXPORT.value)
        ).all()
        assert exports == []


def test_the_child_does_not_see_the_parents_letters(client, auth, world):
    auth.login_citizen(_Stub(world["child"]))
    assert client.get(_url(world, "parent")).status_code == 404
    assert client.get(_url(world, "parent", "own")).status_code == 404
    page = client.get(_url(world, "child")).get_data(as_text=True)
    assert "Mijn brieven" in page and _url(world, "child", "childs") in page


@pytest.mark.parametrize("section", ["toestemmingen", "verzoeken", "brieven"])
def test_a_staff_session_is_no_citizen_session(client, auth, seed, world, section):
    """A staff member who changes the address to a household's page is sent to the citizen
    sign-in, like anyone not signed in as that household: staff see personal data only through
    the staff screens and the access policy (portal/access.py)."""
    with seed():
        desk = f.user(Role.PRIVACY_DESK)
    auth.login(desk)
    response = client.get(f"/mijn/{world['parent']}/{section}")
    assert response.status_code == 302
    assert response.location.startswith("/mijn/inloggen")
    auth.logout()
    response = client.get(f"/mijn/{world['parent']}/{section}")
    assert response.status_code == 302 and response.location.startswith("/mijn/inloggen")
