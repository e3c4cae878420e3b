"""The right to restriction (AVG art. 18): while restricted, the person's data is only stored. The
consent check denies with "processing_restricted", no entry about the person (or the whole
household) is added, staff pages show a banner, the partners are told; lifting it tells the person
first (art. 18(3)) with the "restriction of processing lifted" letter."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from consent.check import DENIAL_MESSAGES, may
from consent.models import Basis, LegalBasisRecord, Purpose
from portal.extensions import db
from portal.letters.models import LetterKind
from portal.models import EntryKind, Role, utcnow
from portal.notices import PartnerNotice
from portal.operations import RuleViolation, add_entry
from requests import deadlines, rights
from requests import operations as ops
from requests.letters import letters_of
from requests.models import Channel, EventKind, IdentityMethod, Outcome, RequestType
from tests import factories as f
from tests.test_requests_letters import text_of

TODAY = date(2026, 3, 20)


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(deadlines, "today", lambda: TODAY)
    return TODAY


def build_world():
    talis = f.partner(name="Talis")
    desk = f.user(Role.PRIVACY_DESK)
    regisseur = f.user(Role.PROCESREGISSEUR, talis)
    household = f.household()
    person = f.person(household, given_name="Noor", family_name="Visser")
    sibling = f.person(household, given_name="Sem", family_name="Visser")
    case = f.case(procesregisseur=regisseur, household_obj=household, team=[talis])
    domain = f.domain()
    talis.domains.append(domain)
    db.session.add(
        LegalBasisRecord(
            case_id=case.id,
            phase=5,
            partner_id=talis.id,
            domain_id=domain.id,
            purpose=Purpose.PLAN,
            basis=Basis.PUBLIC_TASK,
            statute="Wmo 2015 art. 2.3.1",
            proportionality="Nodig",
            subsidiarity="Geen lichter middel",
            recorded_by_id=regisseur.id,
            recorded_at=utcnow() - timedelta(days=30),
        )
    )
    request = ops.register_request(
        desk,
        person=person,
        type=RequestType.RESTRICTION,
        channel=Channel.LETTER,
        received_on=date(2026, 3, 2),
        description="Ik betwist de juistheid van de gegevens over mijn schulden.",
        identity_method=IdentityMethod.DIGID,
    )
    ops.start_processing(desk, request, version=request.version_id)
    return dict(
        desk=desk, regisseur=regisseur, person=person, sibling=sibling, case=case,
        domain=domain, talis=talis, request=request,
    )  # fmt: skip


def restrict(world):
    request = world["request"]
    return rights.restrict_processing(world["desk"], request, version=request.version_id)


def test_restriction_makes_the_check_deny_and_keeps_earlier_answers(ctx):
    world = build_world()
    person, talis, domain = world["person"], world["talis"], world["domain"]
    before = utcnow() - timedelta(days=1)
    assert may(talis, person, domain, Purpose.PLAN).permitted  # the public task
    restrict(world)
    result = may(talis, person, domain, Purpose.PLAN)
    assert (result.permitted, result.reason) == (False, "processing_restricted")
    assert result.message == DENIAL_MESSAGES["processing_restricted"]
    assert may(talis, person, domain, Purpose.PLAN, at=before).permitted  # the past stays
    assert may(talis, world["sibling"], domain, Purpose.PLAN).permitted  # only this person


def test_no_entry_is_added_about_a_restricted_person_or_their_household(ctx):
    world = build_world()
    restrict(world)
    for about in (world["person"], None):
        with pytest.raises(RuleViolation) as refused:
            add_entry(
                world["regisseur"],
                world["case"],
                kind=EntryKind.PROGRESS,
                domain=world["domain"],
                text="Nieuw gegeven",
                person=about,
            )
        assert refused.value.code == "processing_restricted"
    # Another member of the household: recorded as before.
    add_entry(
        world["regisseur"],
        world["case"],
        kind=EntryKind.PROGRESS,
        domain=world["domain"],
        text="Over Sem",
        person=world["sibling"],
    )


def test_the_partners_are_told_and_the_request_can_be_granted(ctx):
    world = build_world()
    restrict(world)
    [notice] = db.session.scalars(
        sa.select(PartnerNotice).where(PartnerNotice.kind == "processing_restricted")
    ).all()
    assert notice.partner_id == world["talis"].id and "Visser" not in notice.body
    request = world["request"]
    ops.decide_request(world["desk"], request, version=request.version_id, outcome=Outcome.GRANTED)
    text = text_of(letters_of(request)[-1].pdf)
    assert "Wij gebruiken uw gegevens niet meer; wij bewaren ze alleen" in text


def test_restricting_twice_is_refused(ctx):
    world = build_world()
    restrict(world)
    with pytest.raises(RuleViolation) as refused:
        restrict(world)
    assert refused.value.code == "already_restricted"


def test_lifting_tells_the_person_first_and_processing_resumes(ctx):
    world = build_world()
    restrict(world)
    request = world["request"]
    ops.decide_request(world["desk"], request, version=request.version_id, outcome=Outcome.GRANTED)
    ops.close_request(world["desk"], request, version=request.version_id)
    assert rights.may_lift(request)  # also after the request is closed
    with pytest.raises(RuleViolation) as refused:
        rights.lift_processing_restriction(
            world["desk"], request, version=request.version_id, reasons=" "
        )
    assert refused.value.code == "reasons_required"
    letter = rights.lift_processing_restriction(
        world["desk"],
        request,
        version=request.version_id,
        reasons="De gegevens over uw schulden zijn gecontroleerd en kloppen.",
    )
    assert letter.kind is LetterKind.PROCESSING_RESTRICTION_LIFTED
    text = text_of(letter.pdf)
    assert "Wij gaan uw gegevens weer gebruiken" in text
    assert "zijn gecontroleerd en kloppen" in text and "20 maart 2026" in text
    assert "bezwaar" in text
    assert world["person"].restricted_since is None
    assert may(world["talis"], world["person"], world["domain"], Purpose.PLAN).permitted
    assert request.events[-1].kind is EventKind.PROCESSING_RESTRICTION_LIFTED
    assert not rights.may_lift(request)


def test_only_the_request_that_restricted_can_lift(ctx):
    world = build_world()
    restrict(world)
    other = ops.register_request(
        world["desk"],
        person=world["person"],
        type=RequestType.RESTRICTION,
        channel=Channel.LETTER,
        received_on=TODAY,
        description="Nog een keer",
    )
    with pytest.raises(RuleViolation) as refused:
        rights.lift_processing_restriction(
            world["desk"], other, version=other.version_id, reasons="Weg"
        )
    assert refused.value.code == "not_restricted"
    assert rights.restriction_request_of(world["person"]).id == world["request"].id


# --- the pages ----------------------------------------------------------------------------------


def test_staff_pages_show_the_restriction(client, auth, seed):
    with seed():
        world = build_world()
        restrict(world)
        ids = dict(
            person=world["person"].id,
            case=world["case"].id,
            request=world["request"].id,
            domain=world["domain"].id,
        )
        regisseur, desk = world["regisseur"], world["desk"]
    auth.login(regisseur)
    person_page = client.get(f"/persons/{ids['person']}").get_data(as_text=True)
    assert 'id="processing-restricted"' in person_page and "AVG art. 18" in person_page
    case_page = client.get(f"/cases/{ids['case']}").get_data(as_text=True)
    assert 'id="processing-restricted"' in case_page and "Noor Visser" in case_page
    refused = client.post(
        f"/cases/{ids['case']}/entries",
        data={
            "kind": "progress",
            "domain_id": ids["domain"],
            "person_id": ids["person"],
            "text": "Nieuw",
        },
    )
    assert refused.status_code == 422
    assert "De verwerking van de gegevens van deze persoon is beperkt" in refused.get_data(
        as_text=True
    )
    auth.login(desk)
    page = client.get(f"/requests/{ids['request']}").get_data(as_text=True)
    assert "Beperking van de verwerking opheffen" in page


def test_the_desk_restricts_from_the_request_page(client, auth, seed):
    with seed():
        world = build_world()
        request_id, person_id, desk = world["request"].id, world["person"].id, world["desk"]
    auth.login(desk)
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    version = page.split('name="restrict-version" type="hidden" value="')[1].split('"')[0]
    response = client.post(
        f"/requests/{request_id}/restrict-processing", data={"restrict-version": version}
    )
    assert response.status_code == 302
    with client.application.app_context():
        from portal.models import Person

        assert db.session.get(Person, person_id).restricted_since is not None
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    version = page.split('name="lift-version" type="hidden" value="')[1].split('"')[0]
    empty = client.post(
        f"/requests/{request_id}/lift-restriction",
        data={"lift-version": version, "lift-reasons": ""},
    )
    assert empty.status_code == 422
