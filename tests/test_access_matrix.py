"""Authorisation matrix generated from the app's URL map: every route × every role × own/other
scope. A route without a rule here fails `test_every_route_has_a_rule`.

Privacyreglement VIS2, *Toegang tot het werksysteem*: procesregisseur and management assistants
see all cases; team members only the cases they are directly involved in; case managers only their
own case; O&S (statistics) no personal data; out of scope answers 404.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest

from portal.models import EntryKind, Participation, Role
from tests import factories as f
from tests import matrix
from tests.matrix.expect import (
    ANON,
    ROLES,
    admin_status,
    case_status,
    person_view_status,
    signed_in,
)


@dataclass
class World:
    users: dict
    own_case: int
    other_case: int
    own_person: int
    other_person: int
    partner: int
    domain: int
    # Ids that rule modules under tests/matrix/ seed for their own routes.
    extra: dict = field(default_factory=dict)


def build_world() -> World:
    """Two cases, one in and one out of the team's scope, a user per role, and every rule
    module's own seed. Plain function: the fuzzer (tests/test_fuzz.py) builds the same world."""
    team_partner = f.partner(name="Woningcorporatie Test")
    outside_partner = f.partner(name="Buiten het team")
    secrecy_free = f.partner(
        name="Incidenteel", participation=Participation.INCIDENTAL, professional_secrecy=False
    )
    users = {role: f.user(role, team_partner) for role in Role}
    users[Role.INCIDENTAL_PROFESSIONAL] = f.user(
        Role.INCIDENTAL_PROFESSIONAL, secrecy_free, confidentiality_signed_on=date(2025, 1, 1)
    )
    regisseur = users[Role.PROCESREGISSEUR]
    own_household = f.household()
    own_person = f.person(own_household)
    own = f.case(
        procesregisseur=regisseur,
        household_obj=own_household,
        team=[team_partner, secrecy_free],
        members=[users[Role.TEAM_MEMBER], users[Role.INCIDENTAL_PROFESSIONAL]],
        case_manager=users[Role.CASE_MANAGER],
    )
    other_household = f.household()
    other_person = f.person(other_household)
    other = f.case(
        procesregisseur=regisseur,
        household_obj=other_household,
        team=[outside_partner],
        case_manager=f.user(Role.CASE_MANAGER, outside_partner),
    )
    world = World(
        users=users,
        own_case=own.id,
        other_case=other.id,
        own_person=own_person.id,
        other_person=other_person.id,
        partner=team_partner.id,
        domain=f.domain().id,
    )
    world.extra["outside_partner"] = outside_partner.id
    for module_seed in matrix.SEEDS:
        module_seed(world, own, other, team_partner)
    return world


@pytest.fixture
def world(seed) -> World:
    with seed():
        return build_world()


def entry_data(world: World) -> dict:
    return {
        "kind": EntryKind.PROGRESS.value,
        "domain_id": world.domain,
        "person_id": 0,
        "text": "Afspraak met de woningcorporatie gemaakt.",
    }


def person_data(world: World) -> dict:
    return {
        "given_name": "Sam",
        "family_name": "Jansen",
        "birth_date": "",
        "bsn": "",
        "legal_representative_id": 0,
    }


def partner_data(world: World) -> dict:
    return {"name": "Woningcorporatie Test", "participation": "core", "statutory_task": ""}


# endpoint -> (method, url(world, scope), data(world) or None, expected(role, scope))
RULES = {
    "static": ("GET", lambda w, s: "/static/portal.css", None, lambda r, s: 200),
    "i18n.switch_language": (
        "POST",
        lambda w, s: "/language/en",
        lambda w: {"next": "/"},
        lambda r, s: 302,
    ),
    "auth.login": ("GET", lambda w, s: "/auth/login", None, lambda r, s: signed_in(r, 302, 200)),
    "auth.second_factor": ("GET", lambda w, s: "/auth/code", None, lambda r, s: 302),
    "auth.enrol": ("GET", lambda w, s: "/auth/enrol", None, lambda r, s: 302),
    "auth.logout": ("POST", lambda w, s: "/auth/logout", lambda w: {}, lambda r, s: 302),
    "auth.logout_everywhere": (
        "POST",
        lambda w, s: "/auth/logout-everywhere",
        lambda w: {},
        lambda r, s: 302,
    ),
    "portal.index": ("GET", lambda w, s: "/", None, lambda r, s: 302),
    "portal.dashboard": ("GET", lambda w, s: "/dashboard", None, lambda r, s: signed_in(r, 200)),
    "portal.case_list": (
        "GET",
        lambda w, s: "/cases",
        None,
        lambda r, s: case_status(r, "own", 200),
    ),
    "portal.case_detail": (
        "GET",
        lambda w, s: f"/cases/{w.own_case if s == 'own' else w.other_case}",
        None,
        lambda r, s: case_status(r, s, 200),
    ),
    "portal.add_entry": (
        "POST",
        lambda w, s: f"/cases/{w.own_case if s == 'own' else w.other_case}/entries",
        entry_data,
        lambda r, s: case_status(r, s, 302),
    ),
    "portal.person_detail": (
        "GET",
        lambda w, s: f"/persons/{w.own_person if s == 'own' else w.other_person}",
        None,
        person_view_status,
    ),
    "portal.person_edit": (
        "POST",
        lambda w, s: f"/persons/{w.own_person if s == 'own' else w.other_person}/edit",
        person_data,
        lambda r, s: case_status(r, s, 302),
    ),
    "portal.partner_list": (
        "GET",
        lambda w, s: "/partners",
        None,
        lambda r, s: admin_status(r, 200),
    ),
    "portal.partner_edit": (
        "POST",
        lambda w, s: f"/partners/{w.partner}/edit",
        partner_data,
        lambda r, s: admin_status(r, 302),
    ),
}


RULES.update(matrix.RULES)


def test_every_route_has_a_rule(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - RULES.keys() == set(), "routes without an authorisation rule"
    assert RULES.keys() - endpoints == set(), "rules for routes that no longer exist"


@pytest.mark.parametrize("endpoint", sorted(RULES))
def test_route_answers_each_role_as_the_policy_says(endpoint, app, client, auth, world):
    method, url_for_scope, data_for, expected = RULES[endpoint]
    failures = []
    for role in ROLES:
        for scope in ("own", "other"):
            if role == ANON:
                auth.logout()
            else:
                auth.login(world.users[role])
            url = url_for_scope(world, scope)
            data = data_for(world) if data_for else None
            response = client.open(url, method=method, data=data)
            response.close()
            want = expected(role, scope)
            if response.status_code != want:
                name = role if role == ANON else role.value
                failures.append(
                    f"{name}/{scope}: {method} {url} -> {response.status_code}, want {want}"
                )
    assert not failures, "\n".join(failures)
