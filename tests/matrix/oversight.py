"""Matrix rules of the oversight screens (issue 7).

- Retention report: the admin and the procesregisseur (references and dates, no personal data).
- Data breaches: the privacy desk and the admin; choosing the persons involved shows names, so
  only the privacy desk (which may look persons up). "other" is a breach that does not exist: 404.
- Accounts: the admin only. "other" is an account that does not exist: 404.
- Audit viewer: the privacy desk only.
- Statistics: the statistics role only; choosing the wijk for case-level process information is
  the admin's.

Each successful POST changes something, so those URLs take a fresh object from a pool seeded
below, one per request.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

from portal.models import Role
from tests.matrix.expect import ANON

MISSING = 999_999
POOL = 20  # more than the roles times the scopes that reach an object


def _only(*roles):
    def status(role, scope, ok):
        if role == ANON:
            return 302
        if role not in roles:
            return 403
        return 404 if scope == "other" else ok

    return status


retention_status = _only(Role.ADMIN, Role.PROCESREGISSEUR)
breach_status = _only(Role.PRIVACY_DESK, Role.ADMIN)
desk_status = _only(Role.PRIVACY_DESK)
admin_status = _only(Role.ADMIN)
statistics_status = _only(Role.STATISTICS)


def seed(world, own, other, team_partner):
    from portal import breaches
    from portal.models import utcnow

    desk = world.users[Role.PRIVACY_DESK]

    def new_breach():
        return breaches.register_breach(
            desk,
            discovered_at=utcnow() - timedelta(hours=1),
            partner=team_partner,
            description="Matrix",
            cases=[own],
        ).id

    world.extra["breach_detail"] = new_breach()
    world.extra["breach_pools"] = {
        name: iter([new_breach() for _ in range(POOL)])
        for name in ("assess", "ap", "cases", "persons", "notify")
    }
    world.extra["own_reference"] = own.reference

    from tests import factories as f

    world.extra["account"] = f.user(Role.TEAM_MEMBER, team_partner).id
    world.extra["account_pools"] = {
        "reset": iter([f.user(Role.TEAM_MEMBER, team_partner).id for _ in range(POOL)]),
        "deactivate": iter([f.user(Role.TEAM_MEMBER, team_partner).id for _ in range(POOL)]),
        "activate": iter(
            [f.user(Role.TEAM_MEMBER, team_partner, active=False).id for _ in range(POOL)]
        ),
    }
    world.extra["emails"] = itertools.count(1)


def _breach_url(name, suffix):
    def url(world, scope):
        if scope == "other":
            return f"/oversight/breaches/{MISSING}/{suffix}"
        return f"/oversight/breaches/{next(world.extra['breach_pools'][name])}/{suffix}"

    return url


def _account_url(name, suffix):
    def url(world, scope):
        if scope == "other":
            return f"/accounts/{MISSING}/{suffix}"
        return f"/accounts/{next(world.extra['account_pools'][name])}/{suffix}"

    return url


def _account_data(world, email=None):
    return {
        "name": "Matrix Medewerker",
        "email": email or f"matrix{next(world.extra['emails'])}@test.example",
        "role": "team_member",
        "partner_id": world.partner,
        "vog_date": "2025-01-01",
        "confidentiality_signed_on": "",
        "password": "tijdelijk-wachtwoord-123",
    }


def _person(world, scope):
    return world.own_person if scope == "own" else world.other_person


def _now_local():
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    moment = datetime.now(UTC) - timedelta(minutes=5)
    return moment.astimezone(ZoneInfo("Europe/Amsterdam")).strftime("%Y-%m-%dT%H:%M")


RULES = {
    "oversight.retention_report": (
        "GET",
        lambda w, s: "/oversight/retention",
        None,
        lambda r, s: retention_status(r, "own", 200),
    ),
    "oversight.breach_list": (
        "GET",
        lambda w, s: "/oversight/breaches",
        None,
        lambda r, s: breach_status(r, "own", 200),
    ),
    "oversight.breach_new": (
        "POST",
        lambda w, s: "/oversight/breaches/new",
        lambda w: {
            "discovered_at": _now_local(),
            "partner_id": w.partner,
            "description": "Matrix",
            "case_references": "",
        },
        lambda r, s: breach_status(r, "own", 302),
    ),
    "oversight.breach_detail": (
        "GET",
        lambda w, s: f"/oversight/breaches/{w.extra['breach_detail'] if s == 'own' else MISSING}",
        None,
        lambda r, s: breach_status(r, s, 200),
    ),
    "oversight.breach_assess": (
        "POST",
        _breach_url("assess", "assessment"),
        lambda w: {
            "risk": "risk",
            "risk_reasoning": "Adressen.",
            "tell_decision": "not_high_risk",
            "tell_reasoning": "Geen hoog risico.",
        },
        lambda r, s: breach_status(r, s, 302),
    ),
    "oversight.breach_ap": (
        "POST",
        _breach_url("ap", "ap"),
        lambda w: {"notified_at": _now_local(), "reference": "AP-1", "delay_reason": ""},
        lambda r, s: breach_status(r, s, 302),
    ),
    "oversight.breach_cases": (
        "POST",
        _breach_url("cases", "cases"),
        lambda w: {"case_references": w.extra["own_reference"]},
        lambda r, s: breach_status(r, s, 302),
    ),
    "oversight.breach_persons": (
        "POST",
        _breach_url("persons", "persons"),
        lambda w: {"person_ids": [w.own_person]},
        lambda r, s: desk_status(r, s, 302),
    ),
    "oversight.breach_notify": (
        "POST",
        _breach_url("notify", "notify"),
        lambda w: {},
        lambda r, s: breach_status(r, s, 302),
    ),
    "accounts.account_list": (
        "GET",
        lambda w, s: "/accounts",
        None,
        lambda r, s: admin_status(r, "own", 200),
    ),
    "accounts.review": (
        "GET",
        lambda w, s: "/accounts/review",
        None,
        lambda r, s: admin_status(r, "own", 200),
    ),
    "accounts.new": (
        "POST",
        lambda w, s: "/accounts/new",
        _account_data,
        lambda r, s: admin_status(r, "own", 302),
    ),
    "accounts.edit": (
        "POST",
        lambda w, s: f"/accounts/{w.extra['account'] if s == 'own' else MISSING}/edit",
        lambda w: _account_data(w, email="matrix-edit@test.example"),
        lambda r, s: admin_status(r, s, 302),
    ),
    "accounts.reset": (
        "POST",
        _account_url("reset", "reset"),
        lambda w: {"password": "tijdelijk-wachtwoord-123", "new_second_factor": "y"},
        lambda r, s: admin_status(r, s, 302),
    ),
    "accounts.deactivate": (
        "POST",
        _account_url("deactivate", "deactivate"),
        lambda w: {},
        lambda r, s: admin_status(r, s, 302),
    ),
    "accounts.activate": (
        "POST",
        _account_url("activate", "activate"),
        lambda w: {},
        lambda r, s: admin_status(r, s, 302),
    ),
    "audit_viewer.search_page": (
        "GET",
        lambda w, s: f"/audit?person_id={_person(w, s)}",
        None,
        lambda r, s: desk_status(r, "own", 200),
    ),
    "audit_viewer.verify": (
        "GET",
        lambda w, s: "/audit/verify",
        None,
        lambda r, s: desk_status(r, "own", 200),
    ),
    "audit_viewer.export": (
        "GET",
        lambda w, s: (
            f"/audit/export.csv?person_id={w.own_person if s == 'own' else w.other_person}"
        ),
        None,
        lambda r, s: desk_status(r, "own", 200),
    ),
    "statistics.reports": (
        "GET",
        lambda w, s: "/statistics",
        None,
        lambda r, s: statistics_status(r, "own", 200),
    ),
    "statistics.print_view": (
        "GET",
        lambda w, s: "/statistics/print",
        None,
        lambda r, s: statistics_status(r, "own", 200),
    ),
    "statistics.export": (
        "GET",
        lambda w, s: "/statistics/export.xlsx",
        None,
        lambda r, s: statistics_status(r, "own", 200),
    ),
    "statistics.wijk_cases": (
        "GET",
        lambda w, s: "/statistics/wijk",
        None,
        lambda r, s: statistics_status(r, "own", 200),
    ),
    "statistics.choose_wijk": (
        "POST",
        lambda w, s: "/statistics/wijk/choose",
        lambda w: {"wijk": "Hatert"},
        lambda r, s: admin_status(r, "own", 302),
    ),
}
