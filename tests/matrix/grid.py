"""Matrix rules of the consent grid, the conversation summary, a person's consents page and the
consent receipt (consent/views.py).

Recording: the case manager of the case and the procesregisseur / management assistants (404 for
other roles that work in cases, 403 for roles without cases). Reading: whoever may see the person.
"""

from __future__ import annotations

from consent.models import Channel, ConsentStatus, Purpose, RecordedBy
from consent.operations import record_decision
from portal.extensions import db
from portal.models import DataDomain, Person, Role
from tests.matrix.expect import ALL_CASES, ANON, CASE_ROLES, person_view_status

KEY = "grid"


def seed(world, own, other, team_partner) -> None:
    """A recorded decision of each scope's person, for the conversation summary, and the partner
    of each case team for the grid's cells."""
    domain = db.session.get(DataDomain, world.domain)
    ids = {"partners": {}, "events": {}}
    for scope, case, partner in (("own", own, team_partner), ("other", other, other.team[0])):
        person = db.session.get(Person, _person(world, scope))
        event = record_decision(
            None,
            person=person,
            domain=domain,
            recipient=partner,
            purpose=Purpose.PLAN,
            status=ConsentStatus.REFUSED,
            recorded_by=RecordedBy.CASE_MANAGER,
            channel=Channel.BEMOEIZORG_CONVERSATION,
            information_version=None,
            case=case,
        )
        ids["partners"][scope] = partner.id
        ids["events"][scope] = event.id
    world.extra[KEY] = ids


def _seeded(world) -> dict:
    assert KEY in world.extra, (
        "tests/matrix/grid.py: seed() was not called; tests/test_access_matrix.py must call every "
        "function in tests.matrix.SEEDS inside its seed block"
    )
    return world.extra[KEY]


def _person(world, scope) -> int:
    return world.own_person if scope == "own" else world.other_person


def _case(world, scope) -> int:
    return world.own_case if scope == "own" else world.other_case


def grid_data(world) -> dict:
    # One "refused" cell per case team; the cell of the other team is not in the form and ignored.
    partners = _seeded(world)["partners"]
    data = {
        "purpose": Purpose.PLAN.value,
        "conversation_at": "2026-03-05T14:30",
        "channel": Channel.BEMOEIZORG_CONVERSATION.value,
        "information_version": "",
        "representative_id": "0",
    }
    for partner in partners.values():
        data[f"cell-{partner}-{world.domain}"] = ConsentStatus.REFUSED.value
    return data


def record_status(role, scope):
    if role == ANON:
        return 302
    if role not in CASE_ROLES:
        return 403
    if role in ALL_CASES or (role is Role.CASE_MANAGER and scope == "own"):
        return 302
    return 404


RULES = {
    "consent.record_grid": (
        "POST",
        lambda w, s: f"/cases/{_case(w, s)}/persons/{_person(w, s)}/consents/new",
        grid_data,
        record_status,
    ),
    "consent.conversation": (
        "GET",
        lambda w, s: f"/persons/{_person(w, s)}/consents/conversations/{_seeded(w)['events'][s]}",
        None,
        person_view_status,
    ),
    "consent.person_consents": (
        "GET",
        lambda w, s: f"/persons/{_person(w, s)}/consents",
        None,
        person_view_status,
    ),
    "consent.receipt": (
        "GET",
        lambda w, s: f"/persons/{_person(w, s)}/consents/receipt.json",
        None,
        person_view_status,
    ),
}
