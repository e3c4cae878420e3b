"""The right to object (AVG art. 21; Privacyreglement: "tegen een verwerking die plaatsvindt op
grond van algemeen belang bezwaar te maken"): when granted, the chosen public-task bases of the
household's cases end, so the check stops permitting on them; earlier answers stay; the partner is
told; the decision letter says which processing stopped."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from consent.check import may
from consent.models import Basis, LegalBasisRecord, Purpose
from portal.extensions import db
from portal.models import Role, utcnow
from portal.notices import PartnerNotice
from portal.operations import RuleViolation
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


def _basis(case, partner, domain, basis, regisseur, **extra):
    record = LegalBasisRecord(
        case_id=case.id,
        phase=5,
        partner_id=partner.id,
        domain_id=domain.id,
        purpose=Purpose.PLAN,
        basis=basis,
        proportionality="Nodig",
        subsidiarity="Geen lichter middel",
        recorded_by_id=regisseur.id,
        recorded_at=utcnow() - timedelta(days=30),
        **extra,
    )
    db.session.add(record)
    db.session.flush()
    return record


def build_world():
    gemeente = f.partner(name="Gemeente Nijmegen", is_municipal=True)
    politie = f.partner(name="Politie")
    desk = f.user(Role.PRIVACY_DESK)
    regisseur = f.user(Role.PROCESREGISSEUR, gemeente)
    household = f.household()
    person = f.person(household, given_name="Noor", family_name="Visser")
    case = f.case(procesregisseur=regisseur, household_obj=household, team=[gemeente, politie])
    closed = f.case(
        procesregisseur=regisseur,
        household_obj=household,
        team=[gemeente],
        phase=8,
        opened_on=date(2024, 1, 1),
        closed_on=date(2025, 6, 1),
    )
    wonen = f.domain(name_nl="Wonen")
    veiligheid = f.domain(name_nl="Veiligheid")
    task = _basis(case, gemeente, wonen, Basis.PUBLIC_TASK, regisseur, statute="Wmo 2015")
    police = _basis(case, politie, veiligheid, Basis.PUBLIC_TASK, regisseur, statute="Politiewet")
    old = _basis(closed, gemeente, wonen, Basis.PUBLIC_TASK, regisseur, statute="Wmo 2015")
    vital = _basis(
        case, politie, wonen, Basis.VITAL_INTEREST, regisseur, urgency="Levensgevaar bij brand"
    )
    neighbour = f.person()
    other_case = f.case(procesregisseur=regisseur, household_obj=neighbour.household)
    foreign = _basis(other_case, gemeente, wonen, Basis.PUBLIC_TASK, regisseur, statute="Wmo")
    request = ops.register_request(
        desk,
        person=person,
        type=RequestType.OBJECTION,
        channel=Channel.LETTER,
        received_on=date(2026, 3, 2),
        description="Ik wil geen huisbezoeken van de gemeente meer.",
        identity_method=IdentityMethod.DIGID,
    )
    ops.start_processing(desk, request, version=request.version_id)
    return dict(
        desk=desk, person=person, request=request, task=task, police=police, old=old,
        vital=vital, foreign=foreign, gemeente=gemeente, wonen=wonen,
    )  # fmt: skip


def object_to(world, *records):
    request = world["request"]
    return rights.carry_out_objection(
        world["desk"],
        request,
        version=request.version_id,
        record_ids=[record.id for record in records],
    )


def test_only_current_public_task_bases_of_the_household_can_be_objected_to(ctx):
    world = build_world()
    listed = {record.id for record in rights.public_task_bases(world["person"])}
    # Also the closed case's basis; not the vital interest, not the neighbour's.
    assert listed == {world["task"].id, world["police"].id, world["old"].id}


def test_granting_the_objection_ends_the_basis_and_the_check_stops(ctx):
    world = build_world()
    person, gemeente, wonen = world["person"], world["gemeente"], world["wonen"]
    before = utcnow() - timedelta(days=1)
    assert may(gemeente, person, wonen, Purpose.PLAN).permitted
    ended = object_to(world, world["task"], world["old"])
    assert {record.id for record in ended} == {world["task"].id, world["old"].id}
    assert world["task"].ended_at is not None and world["police"].ended_at is None
    result = may(gemeente, person, wonen, Purpose.PLAN)
    assert (result.permitted, result.reason) == (False, "no_basis")
    assert may(gemeente, person, wonen, Purpose.PLAN, at=before).permitted  # lawful before
    assert world["request"].events[-1].kind is EventKind.OBJECTION_CARRIED_OUT
    told = db.session.scalars(
        sa.select(PartnerNotice).where(PartnerNotice.kind == "objection_granted")
    ).all()
    assert [notice.partner_id for notice in told] == [gemeente.id, gemeente.id]
    assert all("Visser" not in notice.body for notice in told)


@pytest.mark.parametrize("which", ["vital", "foreign", "none"])
def test_other_records_are_refused_and_nothing_ends(ctx, which):
    world = build_world()
    records = [] if which == "none" else [world[which]]
    with pytest.raises(RuleViolation) as refused:
        object_to(world, *records)
    assert refused.value.code in {"not_public_task", "nothing_chosen"}
    assert world["task"].ended_at is None and world["vital"].ended_at is None


def test_the_decision_letter_names_the_processing_that_stopped(ctx):
    world = build_world()
    object_to(world, world["task"])
    request = world["request"]
    ops.decide_request(
        world["desk"],
        request,
        version=request.version_id,
        outcome=Outcome.PARTLY_GRANTED,
        reasons="De politie blijft gegevens gebruiken voor de veiligheid van het gezin.",
    )
    text = text_of(letters_of(request)[-1].pdf)
    assert "gestopt voor: Gemeente Nijmegen (Wonen)" in text
    assert "De politie blijft gegevens gebruiken" in text


def test_the_desk_stops_the_processing_from_the_request_page(client, auth, seed):
    with seed():
        world = build_world()
        request_id, task_id, desk = world["request"].id, world["task"].id, world["desk"]
    auth.login(desk)
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    assert "Wmo 2015" in page and "Levensgevaar" not in page
    version = page.split('name="objection-version" type="hidden" value="')[1].split('"')[0]
    nothing = client.post(f"/requests/{request_id}/objection", data={"objection-version": version})
    assert nothing.status_code == 422 and "Kies de verwerking die stopt" in nothing.get_data(
        as_text=True
    )
    response = client.post(
        f"/requests/{request_id}/objection",
        data={"objection-version": version, "objection-record_ids": str(task_id)},
    )
    assert response.status_code == 302
    with client.application.app_context():
        assert db.session.get(LegalBasisRecord, task_id).ended_at is not None
