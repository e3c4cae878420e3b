"""Matrix rules of reuse approval, staff withdrawal and partner notices (issue 3, points 5 and 6).

- Reuse pages: like the case page (`case_status`). Requesting needs the user's partner on the case
  team: the procesregisseur sees the other case but its partner is not on that team (422).
  Deciding is for the partner that brought the data in (Privacyprotocol art. 5): a user who sees
  the case but belongs to another partner gets 403.
- Withdrawal: like the person page (`person_view_status`): the privacy desk for every person, other
  staff for the persons of their cases.
- Marking a notice read: the roles that see notices, for their own partner's notice only (404 for
  another partner's).

Each successful POST changes something, so every request takes an object of its own from the pools
seeded below (one per role, per scope).
"""

from __future__ import annotations

import itertools

from portal.models import Role
from tests.matrix.expect import (
    ALL_CASES,
    ANON,
    CASE_ROLES,
    ROLES,
    case_status,
    person_view_status,
)

PERSON_ROLES = CASE_ROLES | {Role.PRIVACY_DESK}


def seed(world, own, other, team_partner):
    from datetime import timedelta

    from consent import operations as ledger
    from consent.models import (
        Channel,
        ConsentStatus,
        Purpose,
        RecordedBy,
        ReuseApproval,
        ReuseStatus,
    )
    from portal.extensions import db
    from portal.models import Person, utcnow
    from portal.notices import notify_partner
    from tests import factories as f

    source = f.partner(name="Hergebruik Bron")
    own.team.append(source)
    other.team.append(source)
    db.session.flush()
    regisseur = world.users[Role.PROCESREGISSEUR]
    domains = [f.domain() for _ in range(2 * len(ROLES) + 2)]
    world.extra["reuse_domains"] = itertools.cycle([d.id for d in domains])
    world.extra["reuse_source"] = source.id

    approvals = {}
    # Own case: brought in by the world's team partner, so its users decide. Other case: brought
    # in by `source`, so nobody in the world decides.
    for scope, case, person_id, by, to in (
        ("own", own, world.own_person, team_partner, source),
        ("other", other, world.other_person, source, team_partner),
    ):
        rows = []
        for domain in domains[: len(ROLES)]:
            approval = ReuseApproval(
                case_id=case.id,
                person_id=person_id,
                domain_id=domain.id,
                source_partner_id=by.id,
                user_partner_id=to.id,
                own_task="Eigen taak",
                status=ReuseStatus.REQUESTED,
                requested_by_id=regisseur.id,
            )
            db.session.add(approval)
            rows.append(approval)
        db.session.flush()
        approvals[scope] = iter([a.id for a in rows])
    world.extra["reuse_approvals"] = approvals

    events = {}
    for scope, person_id in (("own", world.own_person), ("other", world.other_person)):
        person = db.session.get(Person, person_id)
        events[scope] = iter(
            [
                ledger.record_decision(
                    None,
                    person=person,
                    domain=domain,
                    recipient=team_partner,
                    purpose=Purpose.PLAN,
                    status=ConsentStatus.GIVEN,
                    recorded_by=RecordedBy.CASE_MANAGER,
                    channel=Channel.BEMOEIZORG_CONVERSATION,
                    information_version="info-2026-01",
                    effective_at=utcnow() - timedelta(days=1),
                ).id
                for domain in domains[: len(ROLES)]
            ]
        )
    world.extra["withdraw_events"] = events

    world.extra["notice"] = {
        "own": notify_partner(team_partner, kind="test", subject="Melding", body="Tekst").id,
        "other": notify_partner(source, kind="test", subject="Melding", body="Tekst").id,
    }


def _case(world, scope):
    return world.own_case if scope == "own" else world.other_case


def _person(world, scope):
    return world.own_person if scope == "own" else world.other_person


def _request_data(world):
    return {
        "person_id": world.own_person,
        "domain_id": next(world.extra["reuse_domains"]),
        "source_partner_id": world.extra["reuse_source"],
        "own_task": "Huurachterstand oplossen.",
    }


def _request_status(role, scope):
    if scope == "other" and role in ALL_CASES:
        return 422  # sees the case, but the municipality's partner is not on its team
    return case_status(role, scope, 302)


def _decide_url(world, scope):
    return f"/reuse/{next(world.extra['reuse_approvals'][scope])}"


def _decide_status(role, scope):
    status = case_status(role, scope, 302)
    if status != 302 or role == ANON:
        return status
    if scope == "other" or role is Role.INCIDENTAL_PROFESSIONAL:
        return 403  # sees the case, but another partner brought the data in
    return 302


def _withdraw_url(world, scope):
    event_id = next(world.extra["withdraw_events"][scope])
    return f"/persons/{_person(world, scope)}/consents/withdraw/{event_id}"


def _withdraw_status(role, scope):
    status = person_view_status(role, scope)
    return 302 if status == 200 else status


def _notice_status(role, scope):
    if role == ANON:
        return 302
    if role not in PERSON_ROLES:
        return 403
    if scope == "other" or role is Role.INCIDENTAL_PROFESSIONAL:
        return 404  # another partner's notice (the incidental professional works elsewhere)
    return 302


RULES = {
    "reuse.inbox": ("GET", lambda w, s: "/reuse", None, lambda r, s: case_status(r, "own", 200)),
    "reuse.case_requests": (
        "POST",
        lambda w, s: f"/cases/{_case(w, s)}/reuse",
        _request_data,
        _request_status,
    ),
    "reuse.decide": (
        "POST",
        _decide_url,
        lambda w: {"decision": "approve", "reason": ""},
        _decide_status,
    ),
    "withdrawal.choose": (
        "GET",
        lambda w, s: f"/persons/{_person(w, s)}/consents/withdraw",
        None,
        person_view_status,
    ),
    "withdrawal.confirm": (
        "POST",
        _withdraw_url,
        lambda w: {"decided_by": "person", "channel": "in_writing", "note": ""},
        _withdraw_status,
    ),
    "portal.notice_read": (
        "POST",
        lambda w, s: f"/notices/{w.extra['notice'][s]}/read",
        lambda w: {},
        _notice_status,
    ),
}
