"""Reuse approval, Privacyprotocol art. 5: "partners die bij de behandeling van een casus
kennisnemen van persoonsgegevens afkomstig van een andere partner, mogen deze gegevens slechts
verder gebruiken voor hun eigen taken [...] als de partner die de gegevens heeft ingebracht dit
afzonderlijk accordeert". The check denies until the source partner approves."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from consent import operations as ledger
from consent import reuse
from consent.check import may
from consent.models import (
    Channel,
    ConsentStatus,
    Purpose,
    RecordedBy,
    ReuseApproval,
    ReuseStatus,
)
from portal.extensions import db
from portal.models import Case, DataDomain, Partner, Person, Role, utcnow
from portal.notices import PartnerNotice
from portal.operations import RuleViolation
from tests import factories as f


def _world(closed: bool = False):
    """A case with Talis (brought the data in) and Sterker (wants to reuse it) on the team."""
    talis = f.partner(name="Talis", contact_email="regieteam@talis.example")
    sterker = f.partner(name="Sterker", contact_email="privacy@sterker.example")
    outsider = f.partner(name="Buiten het team")
    talis_user = f.user(Role.TEAM_MEMBER, talis)
    sterker_user = f.user(Role.CASE_MANAGER, sterker)
    household = f.household()
    person = f.person(household)
    case = f.case(
        household_obj=household,
        team=[talis, sterker],
        members=[talis_user],
        case_manager=sterker_user,
        **({"closed_on": date(2026, 2, 1)} if closed else {}),
    )
    domain = f.domain(name_nl="Wonen")
    # Sterker itself has the person's consent: only the reuse rule decides below.
    ledger.record_decision(
        None,
        person=person,
        domain=domain,
        recipient=sterker,
        purpose=Purpose.PLAN,
        status=ConsentStatus.GIVEN,
        recorded_by=RecordedBy.CASE_MANAGER,
        channel=Channel.BEMOEIZORG_CONVERSATION,
        information_version="info-2026-01",
        effective_at=utcnow() - timedelta(days=1),
    )
    return dict(
        talis=talis,
        sterker=sterker,
        outsider=outsider,
        talis_user=talis_user,
        sterker_user=sterker_user,
        person=person,
        case=case,
        domain=domain,
    )


def _request(w, **overrides):
    values = dict(
        person=w["person"],
        domain=w["domain"],
        source_partner=w["talis"],
        own_task="Huurachterstand oplossen met een betalingsregeling.",
    )
    values.update(overrides)
    return reuse.request_reuse(w["sterker_user"], w["case"], **values)


def _check(w, at=None):
    return may(
        w["sterker"], w["person"], w["domain"], Purpose.PLAN, at=at, source_partner=w["talis"]
    )


def test_without_approval_the_check_denies_reuse(ctx):
    w = _world()
    result = _check(w)
    assert (result.permitted, result.reason) == (False, "reuse_not_approved")
    _request(w)
    pending = _check(w)  # an open request changes nothing
    assert (pending.permitted, pending.reason) == (False, "reuse_not_approved")
    own = may(w["sterker"], w["person"], w["domain"], Purpose.PLAN)
    assert own.permitted  # its own consent is not in question, only the reuse


def test_after_approval_the_check_permits_and_names_the_approval(ctx):
    w = _world()
    approval = _request(w)
    before = utcnow()
    reuse.approve_reuse(w["talis_user"], approval)
    result = _check(w)
    assert result.permitted and result.reuse_approval_id == approval.id
    assert approval.status is ReuseStatus.APPROVED and approval.decided_by_id == w["talis_user"].id
    # The answer for a moment before the approval does not change.
    assert _check(w, at=before - timedelta(seconds=1)).reason == "reuse_not_approved"


def test_after_refusal_the_check_denies(ctx):
    w = _world()
    approval = _request(w)
    reuse.refuse_reuse(w["talis_user"], approval, "Deze gegevens zijn alleen voor het plan.")
    result = _check(w)
    assert (result.permitted, result.reason) == (False, "reuse_not_approved")
    assert result.reuse_approval_id == approval.id
    assert approval.reason == "Deze gegevens zijn alleen voor het plan."


def test_a_refusal_after_a_new_request_ends_an_earlier_approval_only_from_then(ctx):
    w = _world()
    first = _request(w)
    reuse.refuse_reuse(w["talis_user"], first, "Nog niet.")
    second = _request(w)  # after a refusal a partner may ask again
    reuse.approve_reuse(w["talis_user"], second)
    assert _check(w).permitted


@pytest.mark.parametrize("decider", ["sterker_user", "regisseur", "talis_not_on_case"])
def test_only_a_user_of_the_source_partner_who_sees_the_case_decides(ctx, decider):
    w = _world()
    approval = _request(w)
    actor = {
        "sterker_user": w["sterker_user"],  # the requesting partner itself
        "regisseur": w["case"].procesregisseur,  # sees every case, but did not bring the data
        "talis_not_on_case": f.user(Role.TEAM_MEMBER, w["talis"]),  # right partner, not on case
    }[decider]
    with pytest.raises(RuleViolation) as refused:
        reuse.approve_reuse(actor, approval)
    assert refused.value.code == "not_source_partner"
    assert "Alleen Talis" in refused.value.message
    assert approval.status is ReuseStatus.REQUESTED


def test_the_procesregisseur_of_the_source_partner_decides(ctx):
    w = _world()
    approval = _request(w)
    regisseur = f.user(Role.PROCESREGISSEUR, w["talis"])
    reuse.approve_reuse(regisseur, approval)
    assert approval.status is ReuseStatus.APPROVED


@pytest.mark.parametrize(
    "case, code, message",
    [
        ("source_outside", "source_not_on_team", "Buiten het team hoort niet bij het team"),
        ("requester_outside", "requester_not_on_team", "hoort niet bij het team van deze casus"),
        ("own_partner", "own_data", "Uw eigen organisatie bracht deze gegevens in"),
        ("no_task", "own_task_missing", "Beschrijf voor welke eigen taak"),
        ("stranger", "person_not_in_case", "hoort niet bij dit huishouden"),
    ],
)
def test_a_request_outside_the_rules_is_refused_with_a_message(ctx, case, code, message):
    w = _world()
    kwargs = {
        "source_outside": dict(source_partner=w["outsider"]),
        "own_partner": dict(source_partner=w["sterker"]),
        "no_task": dict(own_task="   "),
        "stranger": dict(person=f.person()),
        "requester_outside": {},
    }[case]
    actor = w["sterker_user"]
    if case == "requester_outside":
        # The procesregisseur sees every case, but the municipality is not on this team.
        actor = w["case"].procesregisseur
    values = dict(
        person=w["person"], domain=w["domain"], source_partner=w["talis"], own_task="Taak"
    )
    values.update(kwargs)
    with pytest.raises(RuleViolation) as refused:
        reuse.request_reuse(actor, w["case"], **values)
    assert refused.value.code == code and message in refused.value.message
    assert f.count(ReuseApproval) == 0


def test_one_open_request_at_a_time_and_none_once_approved(ctx):
    w = _world()
    approval = _request(w)
    with pytest.raises(RuleViolation, match="Er loopt al een verzoek"):
        _request(w)
    reuse.approve_reuse(w["talis_user"], approval)
    with pytest.raises(RuleViolation, match="al akkoord gegeven"):
        _request(w)
    with pytest.raises(RuleViolation, match="al beslist"):
        reuse.refuse_reuse(w["talis_user"], approval, "Toch niet.")


def test_a_refusal_needs_a_reason(ctx):
    w = _world()
    approval = _request(w)
    with pytest.raises(RuleViolation) as refused:
        reuse.refuse_reuse(w["talis_user"], approval, "  ")
    assert refused.value.code == "reason_missing"
    assert approval.status is ReuseStatus.REQUESTED


def test_a_closed_case_takes_no_requests(ctx):
    w = _world(closed=True)
    with pytest.raises(RuleViolation) as refused:
        _request(w)
    assert refused.value.code == "case_closed"


def test_the_source_partner_is_told_of_a_request_and_the_requester_of_the_decision(ctx):
    w = _world()
    approval = _request(w)
    told = db.session.scalars(sa.select(PartnerNotice)).all()
    assert [(n.partner_id, n.kind) for n in told] == [(w["talis"].id, "reuse_requested")]
    assert w["case"].reference in told[0].subject and "Sterker" in told[0].body
    assert w["person"].family_name not in told[0].body  # the name stays in the portal
    reuse.refuse_reuse(w["talis_user"], approval, "Niet nodig voor uw taak.")
    decided = db.session.scalars(
        sa.select(PartnerNotice).where(PartnerNotice.kind == "reuse_decided")
    ).one()
    assert decided.partner_id == w["sterker"].id and "Geen akkoord" in decided.subject
    assert "Niet nodig voor uw taak." not in decided.body  # the reason is read in the portal


# --- pages ----------------------------------------------------------------------------------------


@pytest.fixture
def pages(seed):
    with seed():
        w = _world()
        ids = {k: v.id for k, v in w.items()}
        users = {k: w[k] for k in ("talis_user", "sterker_user")}
    return ids, users


def test_requesting_and_approving_through_the_pages(client, auth, seed, pages):
    ids, users = pages
    auth.login(users["sterker_user"])
    page = client.get(f"/cases/{ids['case']}/reuse").get_data(as_text=True)
    assert "Om akkoord vragen" in page and "Talis" in page
    response = client.post(
        f"/cases/{ids['case']}/reuse",
        data={
            "person_id": ids["person"],
            "domain_id": ids["domain"],
            "source_partner_id": ids["talis"],
            "own_task": "Huurachterstand oplossen.",
        },
    )
    assert response.status_code == 302
    with seed():
        approval_id = db.session.scalars(sa.select(ReuseApproval.id)).one()

    assert client.post(f"/reuse/{approval_id}", data={"decision": "approve"}).status_code == 403

    auth.login(users["talis_user"])
    inbox = client.get("/reuse").get_data(as_text=True)
    assert f"/reuse/{approval_id}" in inbox and "Sterker vraagt om Wonen" in inbox
    assert "Uw besluit" in client.get(f"/reuse/{approval_id}").get_data(as_text=True)
    refused = client.post(f"/reuse/{approval_id}", data={"decision": "refuse", "reason": ""})
    assert refused.status_code == 422
    assert "Geef de reden waarom u geen akkoord geeft." in refused.get_data(as_text=True)
    assert client.post(f"/reuse/{approval_id}", data={"decision": "approve"}).status_code == 302
    with seed():
        approval = db.session.get(ReuseApproval, approval_id)
        assert approval.status is ReuseStatus.APPROVED
        kinds = db.session.scalars(sa.select(PartnerNotice.kind).order_by(PartnerNotice.id)).all()
        assert kinds == ["reuse_requested", "reuse_decided"]


def test_a_request_for_a_partner_outside_the_team_is_refused_on_the_page(client, auth, seed, pages):
    ids, users = pages
    auth.login(users["sterker_user"])
    response = client.post(
        f"/cases/{ids['case']}/reuse",
        data={
            "person_id": ids["person"],
            "domain_id": ids["domain"],
            "source_partner_id": ids["outsider"],
            "own_task": "Taak",
        },
    )
    assert response.status_code == 422
    assert "Buiten het team hoort niet bij het team van deze casus" in response.get_data(
        as_text=True
    )
    with seed():
        assert f.count(ReuseApproval) == 0 and f.count(PartnerNotice) == 0


def test_reuse_pages_outside_scope_answer_404(client, auth, seed, pages):
    ids, users = pages
    with seed():
        stranger = f.user(Role.TEAM_MEMBER, f.partner())
        approval_id = reuse.request_reuse(
            users["sterker_user"],
            db.session.get(Case, ids["case"]),
            person=db.session.get(Person, ids["person"]),
            domain=db.session.get(DataDomain, ids["domain"]),
            source_partner=db.session.get(Partner, ids["talis"]),
            own_task="Taak",
        ).id
    auth.login(stranger)
    assert client.get(f"/cases/{ids['case']}/reuse").status_code == 404
    assert client.get(f"/reuse/{approval_id}").status_code == 404
    assert client.post(f"/reuse/{approval_id}", data={"decision": "approve"}).status_code == 404
    assert f"/reuse/{approval_id}" not in client.get("/reuse").get_data(as_text=True)
