"""Privacy-desk screens through the client: the queue, intake, the request page and its steps,
notes, the administrator's extra holidays; every read of a request is audited."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

from portal.audit import AuditEntry
from portal.extensions import db
from portal.models import Role
from requests import deadlines
from requests import operations as ops
from requests.models import (
    Channel,
    ExtraHoliday,
    IdentityMethod,
    Outcome,
    PrivacyRequest,
    RequestType,
    Status,
)
from tests import factories as f
from tests.conftest import Auth

TODAY = date(2026, 3, 20)


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(deadlines, "today", lambda: TODAY)
    return TODAY


def register(actor, person=None, **overrides):
    values = dict(
        person=person or f.person(),
        type=RequestType.ACCESS,
        channel=Channel.LETTER,
        received_on=date(2026, 3, 2),
    )
    values.update(overrides)
    return ops.register_request(actor, **values)


def version_on(page: str, prefix: str) -> str:
    match = re.search(rf'name="{prefix}-version" type="hidden" value="(\d+)"', page)
    assert match, f"no {prefix} form on the page"
    return match.group(1)


def reads_of(request_id: int) -> list[AuditEntry]:
    return db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.object_type == "privacy_request",
            AuditEntry.object_id == request_id,
            AuditEntry.action == "read",
        )
    ).all()


# --- the queue --------------------------------------------------------------------------------


def test_queue_sorts_by_deadline_and_marks_overdue_and_due_this_week(client, auth, seed):
    with seed():
        desk = f.user(Role.PRIVACY_DESK)
        later = register(desk, received_on=date(2026, 3, 16)).reference  # 16 April
        overdue = register(desk, received_on=date(2026, 2, 10)).reference  # 10 March
        soon = register(desk, received_on=date(2026, 2, 24)).reference  # 24 March
        done = register(desk, received_on=date(2026, 2, 1), identity_method=IdentityMethod.DIGID)
        ops.start_processing(desk, done, version=done.version_id)
        ops.decide_request(
            desk, done, version=done.version_id, outcome=Outcome.REFUSED, reasons="Geen"
        )
        decided = done.reference
        gone = register(desk, received_on=date(2026, 2, 2))
        ops.withdraw_request(desk, gone, version=gone.version_id)
        withdrawn = gone.reference
    auth.login(desk)
    page = client.get("/requests").get_data(as_text=True)
    order = [ref for ref in re.findall(r"AVG-2026-\d{5}", page)]
    assert order == [overdue, soon, later, decided]  # answered last, finished not at all
    assert withdrawn not in page
    rows = page.split("<tbody")[1].split("</tr>")
    assert 'data-urgency="overdue"' in rows[0] and "10 dagen te laat" in rows[0]
    assert 'data-urgency="due_soon"' in rows[1] and "nog 4 dagen" in rows[1]
    assert 'data-urgency=""' in rows[2] and 'data-urgency=""' in rows[3]


def test_queue_shows_no_personal_data_and_reads_no_file(client, auth, seed):
    with seed():
        desk = f.user(Role.PRIVACY_DESK)
        person = f.person(family_name="Zeldzaamnaam")
        register(desk, person)
    auth.login(desk)
    before = f_count_reads()
    page = client.get("/requests").get_data(as_text=True)
    assert "Zeldzaamnaam" not in page
    assert f_count_reads() == before


def f_count_reads() -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == "read")
    )


def test_waiting_for_identity_is_not_overdue(client, auth, seed):
    with seed():
        desk = f.user(Role.PRIVACY_DESK)
        waiting = register(desk, received_on=date(2026, 2, 10))
        ops.start_identity_check(
            desk, waiting, version=waiting.version_id, requested_info="Code", on=date(2026, 2, 11)
        )
    auth.login(desk)
    page = client.get("/requests").get_data(as_text=True)
    assert 'data-urgency=""' in page and "wacht op gegevens sinds" in page


def test_other_roles_get_403(client, auth, seed):
    with seed():
        regisseur = f.user(Role.PROCESREGISSEUR)
    auth.login(regisseur)
    assert client.get("/requests").status_code == 403


# --- intake -----------------------------------------------------------------------------------


def test_search_finds_persons_by_name_and_audits_each_shown(client, auth, seed):
    with seed():
        desk = f.user(Role.PRIVACY_DESK)
        one = f.person(family_name="de Vries").id
        two = f.person(family_name="Vriesema").id
        f.person(family_name="Pietersen")
    auth.login(desk)
    page = client.get("/requests/new?q=vries").get_data(as_text=True)
    assert "de Vries" in page and "Vriesema" in page and "Pietersen" not in page
    audited = set(
        db.session.scalars(
            sa.select(AuditEntry.person_id).where(
                AuditEntry.purpose == "betrokkene zoeken voor AVG-verzoek"
            )
        )
    )
    assert audited == {one, two}


def test_search_by_bsn_and_a_bad_bsn_gets_a_message(client, auth, seed):
    with seed():
        desk = f.user(Role.PRIVACY_DESK)
        f.person(family_name="Bakker", bsn="111222333")
    auth.login(desk)
    assert "Bakker" in client.get("/requests/new?q=111 222 333").get_data(as_text=True)
    page = client.get("/requests/new?q=123456789").get_data(as_text=True)
    assert "elfproef" in page and "Bakker" not in page


def test_search_with_wildcards_is_taken_literally(client, auth, seed):
    with seed():
        desk = f.user(Role.PRIVACY_DESK)
        f.person(family_name="Jansen")
    auth.login(desk)
    page = client.get("/requests/new?q=%25%25").get_data(as_text=True)
    assert "Niemand gevonden" in page


def test_registering_a_request_through_the_form(app, client, auth, seed):
    with seed():
        desk = f.user(Role.PRIVACY_DESK)
        person_id = f.person().id
    auth.login(desk)
    assert client.get(f"/requests/new?person_id={person_id}").status_code == 200
    response = client.post(
        f"/requests/new?person_id={person_id}",
        data={
            "type": "erasure",
            "channel": "desk",
            "received_on": "2026-03-16",
            "filed_by": "subject",
            "representative_id": "0",
            "representative_name": "",
            "identity_method": "desk_id_document_seen",
            "description": "Wis de oude schuldgegevens",
            "language": "en",
        },
    )
    assert response.status_code == 302
    with app.app_context():  # the description decrypts with the app's key
        created = db.session.scalar(
            sa.select(PrivacyRequest).where(PrivacyRequest.person_id == person_id)
        )
        assert created.type is RequestType.ERASURE and created.deadline == date(2026, 4, 16)
        assert created.identity_method is IdentityMethod.DESK_ID_DOCUMENT_SEEN
        assert created.description == "Wis de oude schuldgegevens"
        assert created.language == "en"  # the acknowledgement went in English
        from requests.letters import letters_of

        assert [letter.language for letter in letters_of(created)] == ["en"]
        assert response.headers["Location"].endswith(f"/requests/{created.id}")


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"type": "rectification", "description": ""}, "Beschrijf wat de persoon vraagt"),
        ({"received_on": "2026-03-21"}, "Deze datum ligt in de toekomst"),
        ({"received_on": "2018-01-01"}, "25 mei 2018"),
        ({"received_on": "morgen"}, "Datum van ontvangst"),
        ({"type": "nonsense"}, "Soort verzoek"),
        ({"filed_by": "guardian"}, "Vul in wie het verzoek namens de persoon indient"),
    ],
)
def test_bad_intake_gets_a_message_and_writes_nothing(client, auth, seed, changes, message):
    with seed():
        desk = f.user(Role.PRIVACY_DESK)
        person_id = f.person().id
    auth.login(desk)
    data = {
        "type": "access",
        "channel": "letter",
        "received_on": "2026-03-16",
        "filed_by": "subject",
        "representative_id": "0",
        "identity_method": "",
        "description": "",
    }
    data.update(changes)
    response = client.post(f"/requests/new?person_id={person_id}", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert f.count(PrivacyRequest) == 0


def test_intake_for_an_unknown_person_is_404(client, auth, seed):
    with seed():
        desk = f.user(Role.PRIVACY_DESK)
    auth.login(desk)
    assert client.get("/requests/new?person_id=999999").status_code == 404


# --- the request page -------------------------------------------------------------------------


def test_request_page_shows_the_request_and_audits_the_read(client, auth, seed):
    with seed():
        desk = f.user(Role.PRIVACY_DESK)
        person = f.person(given_name="Noor", family_name="Haddou")
        request = register(desk, person, type=RequestType.OBJECTION, description="Geen politie")
        request_id = request.id
    auth.login(desk)
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    assert "Noor Haddou" in page and "Geen politie" in page
    assert "Bezwaar tegen verwerking (AVG art. 21)" in page
    assert "Verzoek ontvangen en geregistreerd" in page  # the timeline
    assert "<dd>2 apr 2026" in page  # the deadline
    reads = reads_of(request_id)
    assert len(reads) == 1 and reads[0].user_id == desk.id and reads[0].person_id == person.id


def test_unknown_request_is_404(client, auth, seed):
    with seed():
        desk = f.user(Role.PRIVACY_DESK)
    auth.login(desk)
    assert client.get("/requests/999999").status_code == 404
    assert client.post("/requests/999999/start", data={"start-version": "1"}).status_code == 404


def test_the_whole_workflow_through_the_forms(app, client, auth, seed):
    with seed():
        desk = f.user(Role.PRIVACY_DESK)
        request_id = register(desk).id
    auth.login(desk)
    url = f"/requests/{request_id}"

    def post(action, prefix, **fields):
        page = client.get(url).get_data(as_text=True)
        data = {f"{prefix}-version": version_on(page, prefix)}
        data.update({f"{prefix}-{name}": value for name, value in fields.items()})
        response = client.post(f"{url}/{action}", data=data)
        assert response.status_code == 302, response.get_data(as_text=True)

    post("identity-request", "ask", requested_info="Stuur de code uit onze brief terug")
    post("identity", "identity", method="letter_code", arrived_on="")
    post("assign", "assign", assignee_id=str(desk.id))
    post("extend", "extend", reasons="Gegevens bij vijf partners")
    report_page = client.get(f"{url}/access-report").get_data(as_text=True)
    sent = client.post(
        f"{url}/access-report", data={"report-version": version_on(report_page, "report")}
    )
    assert sent.status_code == 302, sent.get_data(as_text=True)
    post("decide", "decide", outcome="partly_granted", reasons="Politiegegevens vallen erbuiten")
    post("close", "close")
    with app.app_context():
        request = db.session.get(PrivacyRequest, request_id)
        assert request.status is Status.CLOSED and request.decision is Outcome.PARTLY_GRANTED
        assert request.decision_reasons == "Politiegegevens vallen erbuiten"
        assert request.assignee_id == desk.id
        # Asked and answered today: no days waited; three months from 2 March = Tue 2 June.
        assert request.deadline == date(2026, 6, 2)
    page = client.get(url).get_data(as_text=True)
    assert "Dit verzoek is afgerond" in page and "Termijn verlengd" in page


def test_a_refused_step_shows_the_message_and_keeps_the_state(client, auth, seed):
    with seed():
        desk = f.user(Role.PRIVACY_DESK)
        request = register(desk, identity_method=IdentityMethod.DIGID)
        ops.start_processing(desk, request, version=request.version_id)
        request_id, version = request.id, request.version_id
    auth.login(desk)
    response = client.post(
        f"/requests/{request_id}/decide",
        data={"decide-version": str(version), "decide-outcome": "refused", "decide-reasons": ""},
    )
    assert response.status_code == 422
    assert "Vul de redenen van het besluit in" in response.get_data(as_text=True)
    assert db.session.get(PrivacyRequest, request_id).status is Status.IN_PROGRESS


def test_a_step_the_status_does_not_allow_is_refused_with_422(client, auth, seed):
    with seed():
        desk = f.user(Role.PRIVACY_DESK)
        request = register(desk)
        request_id, version = request.id, request.version_id
    auth.login(desk)
    response = client.post(f"/requests/{request_id}/close", data={"close-version": str(version)})
    assert response.status_code == 422
    assert "Alleen een verzoek waarover besloten is" in response.get_data(as_text=True)


@pytest.mark.parametrize("version", ["", "abc", "-1"])
def test_a_missing_or_broken_version_asks_to_reload(client, auth, seed, version):
    with seed():
        desk = f.user(Role.PRIVACY_DESK)
        request_id = register(desk).id
    auth.login(desk)
    response = client.post(f"/requests/{request_id}/withdraw", data={"withdraw-version": version})
    assert response.status_code == 422
    assert "Laad de pagina opnieuw" in response.get_data(as_text=True)
    assert db.session.get(PrivacyRequest, request_id).status is Status.RECEIVED


def test_two_desk_members_never_overwrite_each_other(app, client, auth, seed):
    with seed():
        first = f.user(Role.PRIVACY_DESK, name="Eerste")
        second = f.user(Role.PRIVACY_DESK, name="Tweede")
        request_id = register(first, identity_method=IdentityMethod.DIGID).id
    other_client = app.test_client()
    other = Auth(app, other_client)
    auth.login(first)
    other.login(second)
    url = f"/requests/{request_id}"
    first_page = client.get(url).get_data(as_text=True)
    second_page = other_client.get(url).get_data(as_text=True)
    # The first assigns the request to herself ...
    response = client.post(
        f"{url}/assign",
        data={"assign-version": version_on(first_page, "assign"), "assign-assignee_id": first.id},
    )
    assert response.status_code == 302
    # ... the second, on the page loaded before that, assigns it to himself.
    response = other_client.post(
        f"{url}/assign",
        data={
            "assign-version": version_on(second_page, "assign"),
            "assign-assignee_id": second.id,
        },
    )
    assert response.status_code == 422
    assert (
        "Iemand anders heeft dit verzoek intussen gewijzigd. Laad de pagina opnieuw."
        in response.get_data(as_text=True)
    )
    assert db.session.get(PrivacyRequest, request_id).assignee_id == first.id  # nothing lost
    # After reloading, the second sees the change and can act on it.
    reloaded = other_client.get(url).get_data(as_text=True)
    response = other_client.post(
        f"{url}/start", data={"start-version": version_on(reloaded, "start")}
    )
    assert response.status_code == 302


def test_notes_through_the_form(client, auth, seed):
    with seed():
        desk = f.user(Role.PRIVACY_DESK)
        request_id = register(desk).id
    auth.login(desk)
    response = client.post(f"/requests/{request_id}/notes", data={"note-text": "Teruggebeld"})
    assert response.status_code == 302
    assert "Teruggebeld" in client.get(f"/requests/{request_id}").get_data(as_text=True)
    response = client.post(f"/requests/{request_id}/notes", data={"note-text": " "})
    assert response.status_code == 422 and "Vul een notitie in" in response.get_data(as_text=True)


def test_a_refused_post_still_audits_the_page_it_shows(client, auth, seed):
    with seed():
        desk = f.user(Role.PRIVACY_DESK)
        request_id = register(desk).id
    auth.login(desk)
    client.post(f"/requests/{request_id}/notes", data={"note-text": ""})
    assert len(reads_of(request_id)) == 1


# --- extra holidays ---------------------------------------------------------------------------


def test_admin_adds_and_removes_an_extra_holiday(client, auth, seed):
    with seed():
        admin = f.user(Role.ADMIN)
        desk = f.user(Role.PRIVACY_DESK)
        request_id = register(desk).id  # deadline Thu 2 April 2026
    auth.login(admin)
    response = client.post("/requests/holidays", data={"day": "2026-04-02", "reason": "Verhuizing"})
    assert response.status_code == 302
    assert db.session.get(PrivacyRequest, request_id).deadline == date(2026, 4, 7)
    page = client.get("/requests/holidays").get_data(as_text=True)
    assert "Verhuizing" in page and "Goede Vrijdag" in page
    holiday_id = db.session.scalar(sa.select(ExtraHoliday.id))
    assert client.post(f"/requests/holidays/{holiday_id}/delete").status_code == 302
    assert db.session.get(PrivacyRequest, request_id).deadline == date(2026, 4, 2)


@pytest.mark.parametrize(
    "data, message",
    [
        ({"day": "2026-04-27", "reason": "Feest"}, "al een wettelijke feestdag"),
        ({"day": "2026-04-28", "reason": ""}, "Vul de reden in"),
        ({"day": "gisteren", "reason": "x"}, "Datum"),
    ],
)
def test_bad_holiday_input_gets_a_message(client, auth, seed, data, message):
    with seed():
        admin = f.user(Role.ADMIN)
    auth.login(admin)
    response = client.post("/requests/holidays", data=data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert f.count(ExtraHoliday) == 0


# --- command line -----------------------------------------------------------------------------


def test_cli_lists_holidays_and_computes_a_deadline(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["requests", "holidays", "2026"])
    assert result.exit_code == 0 and "2026-04-27  Koningsdag" in result.output
    result = runner.invoke(args=["requests", "deadline", "2026-01-31"])
    assert result.exit_code == 0 and result.output.strip() == "2026-03-02"
    result = runner.invoke(args=["requests", "deadline", "2026-01-15", "--extended"])
    assert result.output.strip() == "2026-04-15"
    assert runner.invoke(args=["requests", "deadline", "2010-01-15"]).exit_code != 0


@pytest.mark.parametrize("kind", list(RequestType))
def test_the_request_page_offers_carrying_out_each_right(client, auth, seed, kind):
    with seed():
        desk = f.user(Role.PRIVACY_DESK)
        request = register(
            desk,
            type=kind,
            description=None if kind is RequestType.ACCESS else "Wat de persoon vraagt",
            identity_method=IdentityMethod.DIGID,
        )
        ops.start_processing(desk, request, version=request.version_id)
        request_id = request.id
    auth.login(desk)
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    assert "Uitvoeren:" in page and "Dit recht tijdelijk beperken" in page
    assert "Ontvangstbevestiging" in page  # the letters of the request


def test_assigning_and_granting_have_their_own_words_in_english(app):
    """'Toegewezen' is Dutch for both; the English timeline must not say 'Granted' for an
    assignment."""
    from flask_babel import force_locale

    from requests import labels
    from requests.models import EventKind, Outcome

    with app.test_request_context(), force_locale("en"):
        assert labels.outcome_label(Outcome.GRANTED) == "Granted"
        assert labels.event_label(EventKind.ASSIGNED) == "Assigned to a desk member"
