"""My requests in the citizen portal (issue 5, point 3): file each kind of request online, follow
its status and deadline, read the answer, withdraw it.

Privacyprotocol art. 5: the person may ask for "inzage, rectificatie beperking of wissen van zijn
persoonsgegevens en [heeft] het recht om bezwaar in te dienen". AVG art. 12(3): an answer within
one month of receipt (requests/deadlines.py). AVG art. 12(6): identity is checked proportionately;
signing in with DigiD or a code sent to the address on record is that check.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from babel.dates import format_date
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.extensions import db
from portal.letters import content
from portal.letters import operations as letter_operations
from portal.models import Person, Role, User
from requests import deadlines, operations
from requests.models import (
    Channel,
    EventKind,
    FiledBy,
    IdentityMethod,
    Outcome,
    PrivacyRequest,
    RequestType,
    Status,
)
from tests import factories as f
from tests.test_citizen_consents import _Stub


def build_world() -> dict:
    home = f.household()
    parent = f.person(home, given_name="Noor", family_name="Visser")
    child = f.person(
        home,
        given_name="Daan",
        family_name="Visser",
        birth_date=deadlines.today().replace(year=deadlines.today().year - 10),
        legal_representative=parent,
    )
    neighbour = f.person(given_name="Bram", family_name="Buur")
    desk = f.user(Role.PRIVACY_DESK, f.partner(name="Gemeente Nijmegen"))
    theirs = operations.register_request(
        desk,
        person=neighbour,
        type=RequestType.ERASURE,
        channel=Channel.LETTER,
        received_on=deadlines.today(),
        description="Wis alles over mij.",
    )
    db.session.flush()
    return {
        "parent": parent.id,
        "child": child.id,
        "neighbour": neighbour.id,
        "desk": desk.id,
        "theirs": theirs.id,
    }


@pytest.fixture
def world(seed) -> dict:
    with seed():
        return build_world()


def _new(ids, key="parent") -> str:
    return f"/mijn/{ids[key]}/verzoeken/nieuw"


def _requests_of(person_id: int) -> list[PrivacyRequest]:
    return db.session.scalars(
        sa.select(PrivacyRequest).where(PrivacyRequest.person_id == person_id)
    ).all()


def _long(day) -> str:
    return format_date(day, "d MMMM yyyy", locale="nl")


DESCRIPTION = "Mijn adres klopt niet. Het is Dorpsstraat 4."


# --- filing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(RequestType), ids=lambda kind: kind.value)
@pytest.mark.parametrize(
    "method,identity",
    [("digid", IdentityMethod.DIGID), ("letter_code", IdentityMethod.LETTER_CODE)],
)
def test_filing_each_kind_registers_it_online_with_its_deadline(
    client, auth, seed, world, kind, method, identity
):
    auth.login_citizen(_Stub(world["parent"]), method=method)
    form = client.get(_new(world)).get_data(as_text=True)
    today = deadlines.today()
    expected = deadlines.request_deadline(today, policy=deadlines.WAIT_SUSPEND)
    assert f"uiterlijk {_long(expected)} antwoord" in form

    response = client.post(_new(world), data={"type": kind.value, "description": DESCRIPTION})
    assert response.status_code == 302
    with seed():
        (created,) = _requests_of(world["parent"])
        assert (created.type, created.channel, created.identity_method) == (
            kind,
            Channel.ONLINE,
            identity,
        )
        assert (created.filed_by, created.representative_id, created.registered_by_id) == (
            FiledBy.SUBJECT,
            None,
            None,
        )
        assert created.received_on == today and created.identity_established_on == today
        assert created.deadline == expected
        assert created.description == DESCRIPTION
        reference = created.reference
    page = client.get(response.location).get_data(as_text=True)
    assert f"Wij hebben uw verzoek ontvangen. Het kenmerk is {reference}." in page
    assert f'<dd id="deadline">{_long(expected)}</dd>' in page
    assert f"U krijgt uiterlijk {_long(expected)} een brief met ons besluit." in page
    assert "Verzoek intrekken" in page


def test_an_access_request_needs_no_description(client, auth, seed, world):
    auth.login_citizen(_Stub(world["parent"]))
    assert client.post(_new(world), data={"type": "access", "description": ""}).status_code == 302
    with seed():
        (created,) = _requests_of(world["parent"])
        assert created.type is RequestType.ACCESS and created.description is None


def test_the_demo_mock_establishes_no_identity(client, auth, seed, world):
    auth.login_citizen(_Stub(world["parent"]), method="digid_mock")
    assert client.post(_new(world), data={"type": "access"}).status_code == 302
    with seed():
        (created,) = _requests_of(world["parent"])
        assert created.identity_method is None and created.status is Status.RECEIVED


def test_a_parent_files_for_the_child_as_legal_representative(client, auth, seed, world):
    auth.login_citizen(_Stub(world["parent"]))
    page = client.get(_new(world, "child")).get_data(as_text=True)
    assert "U doet dit verzoek voor Daan Visser." in page
    response = client.post(_new(world, "child"), data={"type": "access"})
    assert response.status_code == 302
    with seed():
        (created,) = _requests_of(world["child"])
        assert (created.filed_by, created.representative_id) == (
            FiledBy.LEGAL_REPRESENTATIVE,
            world["parent"],
        )
        assert _requests_of(world["parent"]) == []


def test_a_child_below_16_cannot_file_and_nothing_is_stored(client, auth, seed, world):
    auth.login_citizen(_Stub(world["child"]))
    response = client.post(_new(world, "child"), data={"type": "access"})
    assert response.status_code == 422
    assert "jonger dan 16" in response.get_data(as_text=True)
    with seed():
        assert _requests_of(world["child"]) == []


@pytest.mark.parametrize(
    "data,message",
    [
        ({"description": DESCRIPTION}, "Kies wat u wilt vragen."),
        ({"type": "fly", "description": DESCRIPTION}, "Kies een van de mogelijkheden."),
        ({"type": "erasure", "description": "   "}, "Beschrijf wat de persoon vraagt"),
        ({"type": "objection", "description": "x" * 5001}, "Gebruik hoogstens 5000 tekens."),
        ({"type": "rectification", "description": "Fout\x00adres"}, "niet toegestane tekens"),
    ],
    ids=["no-type", "unknown-type", "no-description", "too-long", "control-character"],
)
def test_bad_input_gets_a_message_and_stores_nothing(client, auth, seed, world, data, message):
    auth.login_citizen(_Stub(world["parent"]))
    response = client.post(_new(world), data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Controleer het formulier" in page
    assert message in page
    with seed():
        assert _requests_of(world["parent"]) == []


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    kind=st.one_of(st.sampled_from([kind.value for kind in RequestType]), st.text(max_size=20)),
    description=st.one_of(st.none(), st.text(max_size=300)),
    extra=st.dictionaries(st.text(min_size=1, max_size=10), st.text(max_size=20), max_size=3),
)
def test_the_form_never_answers_500(client, auth, world, kind, description, extra):
    auth.login_citizen(_Stub(world["parent"]))
    data = {**extra, "type": kind}
    if description is not None:
        data["description"] = description
    response = client.post(_new(world), data=data)
    assert response.status_code in (302, 422), response.get_data(as_text=True)[:500]


# --- following and the answer ---------------------------------------------------------------


def _file(seed, person_id, desk_id, kind=RequestType.RECTIFICATION, identity=None):
    with seed():
        created = operations.register_request(
            None,
            person=db.session.get(Person, person_id),
            type=kind,
            channel=Channel.ONLINE,
            received_on=deadlines.today(),
            description=DESCRIPTION,
            identity_method=identity,
        )
        return created.id, created.reference


def test_the_status_page_shows_a_wait_for_identity_information(client, auth, seed, world):
    request_id, _reference = _file(seed, world["parent"], world["desk"])
    with seed():
        request = db.session.get(PrivacyRequest, request_id)
        desk = db.session.get(User, world["desk"])
        operations.start_identity_check(
            desk, request, version=None, requested_info="Een kopie van uw brief met de code."
        )
    auth.login_citizen(_Stub(world["parent"]))
    page = client.get(f"/mijn/{world['parent']}/verzoeken/{request_id}").get_data(as_text=True)
    assert "Wij wachten op informatie van u" in page
    assert "Een kopie van uw brief met de code." in page
    assert "Zolang wij wachten, telt de tijd niet mee." in page
    assert "Wij hebben informatie van u nodig." in page


def test_the_answer_is_the_decision_letter_or_the_status(client, auth, seed, world):
    request_id, reference = _file(
        seed, world["parent"], world["desk"], identity=IdentityMethod.DIGID
    )
    auth.login_citizen(_Stub(world["parent"]))
    url = f"/mijn/{world['parent']}/verzoeken/{request_id}"
    page = client.get(url).get_data(as_text=True)
    assert "Er is nog geen antwoord." in page
    with seed():
        desk = db.session.get(User, world["desk"])
        person = db.session.get(Person, world["parent"])
        request = db.session.get(PrivacyRequest, request_id)
        operations.start_processing(desk, request, version=None)
        operations.decide_request(
            desk, request, version=None, outcome=Outcome.REFUSED, reasons="De gegevens kloppen."
        )
        letter = letter_operations.send_letter(
            desk,
            content.decision(
                person,
                request_reference=reference,
                right="rectification",
                received_on=request.received_on,
                outcome="refused",
                reasons="De gegevens kloppen.",
            ),
        )
        letter_id = letter.id
    page = client.get(url).get_data(as_text=True)
    assert "Het besluit: afgewezen." in page and "De gegevens kloppen." in page
    assert "Bent u het er niet mee eens? Dan kunt u bezwaar maken." in page
    assert f"/mijn/{world['parent']}/brieven/{letter_id}.pdf" in page
    assert "Verzoek intrekken" not in page  # decided: too late to withdraw
    download = client.get(f"/mijn/{world['parent']}/brieven/{letter_id}.pdf")
    assert download.status_code == 200 and download.data.startswith(b"%PDF")


def test_the_overview_lists_only_the_persons_own_requests(client, auth, seed, world):
    request_id, reference = _file(seed, world["parent"], world["desk"])
    auth.login_citizen(_Stub(world["parent"]))
    page = client.get(f"/mijn/{world['parent']}/verzoeken").get_data(as_text=True)
    assert reference in page and "Verzoek om te verbeteren" in page
    with seed():
        theirs = db.session.get(PrivacyRequest, world["theirs"]).reference
    assert theirs not in page


def test_another_persons_request_answers_404(client, auth, world):
    auth.login_citizen(_Stub(world["parent"]))
    mine = world["parent"]
    for url in (
        f"/mijn/{mine}/verzoeken/{world['theirs']}",
        f"/mijn/{mine}/verzoeken/{world['theirs']}/intrekken",
        f"/mijn/{world['neighbour']}/verzoeken",
        f"/mijn/{world['neighbour']}/verzoeken/nieuw",
        f"/mijn/{world['neighbour']}/verzoeken/{world['theirs']}",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/mijn/{mine}/verzoeken/{world['theirs']}/intrekken").status_code == 404
    assert client.post(f"/mijn/{world['neighbour']}/verzoeken/nieuw").status_code == 404


# --- withdrawing ----------------------------------------------------------------------------


def test_withdrawing_online_stops_the_request(client, auth, seed, world):
    request_id, _reference = _file(seed, world["parent"], world["desk"])
    auth.login_citizen(_Stub(world["parent"]))
    url = f"/mijn/{world['parent']}/verzoeken/{request_id}/intrekken"
    page = client.get(url).get_data(as_text=True)
    assert "Wij stoppen direct met uw verzoek." in page
    with seed():
        version = db.session.get(PrivacyRequest, request_id).version_id
    response = client.post(url, data={"version": str(version)})
    assert response.status_code == 302
    with seed():
        request = db.session.get(PrivacyRequest, request_id)
        assert request.status is Status.WITHDRAWN and request.withdrawn_on == deadlines.today()
        step = request.events[-1]
        assert (step.kind, step.actor_id) == (EventKind.WITHDRAWN, None)
    page = client.get(response.location).get_data(as_text=True)
    assert "Uw verzoek is ingetrokken." in page and "Verzoek intrekken" not in page
    again = client.get(url, follow_redirects=True).get_data(as_text=True)
    assert "Dit verzoek kunt u niet meer intrekken." in again


def test_a_withdrawal_on_an_outdated_page_is_refused(client, auth, seed, world):
    request_id, _reference = _file(seed, world["parent"], world["desk"])
    auth.login_citizen(_Stub(world["parent"]))
    url = f"/mijn/{world['parent']}/verzoeken/{request_id}/intrekken"
    for version in ("", "999"):
        response = client.post(url, data={"version": version})
        assert response.status_code == 422
        assert operations.STALE_MESSAGE in response.get_data(as_text=True)
    with seed():
        assert db.session.get(PrivacyRequest, request_id).status is Status.RECEIVED


def test_a_request_filed_by_the_parent_is_withdrawn_by_the_parent_only(client, auth, seed, world):
    auth.login_citizen(_Stub(world["parent"]))
    client.post(_new(world, "child"), data={"type": "access"})
    with seed():
        (created,) = _requests_of(world["child"])
        request_id = created.id
    auth.login_citizen(_Stub(world["child"]))
    page = client.get(f"/mijn/{world['child']}/verzoeken/{request_id}").get_data(as_text=True)
    assert "Verzoek intrekken" not in page
    assert (
        client.post(f"/mijn/{world['child']}/verzoeken/{request_id}/intrekken").status_code == 302
    )
    with seed():
        assert db.session.get(PrivacyRequest, request_id).status is Status.RECEIVED
