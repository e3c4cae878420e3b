"""Matrix rules of the legal-basis register (consent/basis_views.py).

Reading the register: like the case page (`case_status`): 403 for roles without case access, 404
for a case outside the user's scope.
Recording and ending a basis: `manage_status`. Only the procesregisseur and the management
assistants (Privacyprotocol art. 1); every other role gets 403 from the role layer, also for a
case it could not see at all, so the answer never depends on which cases exist.

Each successful POST changes the register, so every request gets its own key: the recording
POSTs rotate over (phase, purpose), and every end request takes a record of its own from those
seeded below (one per role, per scope).
"""

from __future__ import annotations

import itertools

from consent.models import Purpose
from tests.matrix.expect import ROLES, case_status, manage_status

STATUTE = "Wmo 2015 art. 2.3.1 t/m 2.3.5"
NECESSITY = {
    "proportionality": "Alleen de huurachterstand, alleen met de corporatie.",
    "subsidiarity": "Een anonieme bespreking is niet genoeg om een regeling te treffen.",
}
KEYS = list(itertools.product(range(1, 6), Purpose))  # the world's cases are in phase 5


def seed(world, own, other, team_partner):
    from consent import basis
    from consent.models import Basis
    from portal.extensions import db
    from portal.models import DataDomain, Role
    from tests import factories as f

    partner = f.partner(name="Grondslag Partner", statutory_task=STATUTE)
    ending_domain = f.domain()
    partner.domains.extend([db.session.get(DataDomain, world.domain), ending_domain])
    own.team.append(partner)
    other.team.append(partner)
    db.session.flush()
    regisseur = world.users[Role.PROCESREGISSEUR]
    to_end = {}
    for scope, case in (("own", own), ("other", other)):
        to_end[scope] = iter(
            [
                basis.record_legal_basis(
                    regisseur,
                    case,
                    phase=phase,
                    partner=partner,
                    domain=ending_domain,
                    purpose=purpose,
                    basis=Basis.PUBLIC_TASK,
                    statute=STATUTE,
                    **NECESSITY,
                ).id
                for phase, purpose in KEYS[: len(ROLES)]
            ]
        )
    world.extra["basis_partner"] = partner.id
    world.extra["basis_to_end"] = to_end
    world.extra["basis_new_keys"] = itertools.cycle(KEYS)


def _seeded(world, key):
    if key not in world.extra:
        raise AssertionError(
            "tests/matrix/basis.py: seed() did not run; the matrix's world fixture must call "
            "every function in tests.matrix.SEEDS inside its seed block"
        )
    return world.extra[key]


def _case(world, scope):
    return world.own_case if scope == "own" else world.other_case


def _new_data(world):
    phase, purpose = next(_seeded(world, "basis_new_keys"))
    return {
        "phase": phase,
        "partner": _seeded(world, "basis_partner"),
        "domain": world.domain,
        "purpose": purpose.value,
        "basis": "public_task",
        "statute": STATUTE,
        **NECESSITY,
    }


def _end_url(world, scope):
    record_id = next(_seeded(world, "basis_to_end")[scope])
    return f"/cases/{_case(world, scope)}/legal-basis/{record_id}/end"


RULES = {
    "legal_basis.register": (
        "GET",
        lambda w, s: f"/cases/{_case(w, s)}/legal-basis",
        None,
        lambda r, s: case_status(r, s, 200),
    ),
    "legal_basis.new": (
        "POST",
        lambda w, s: f"/cases/{_case(w, s)}/legal-basis/new",
        _new_data,
        lambda r, s: manage_status(r, s, 302),
    ),
    "legal_basis.end": (
        "POST",
        _end_url,
        lambda w: {},
        lambda r, s: manage_status(r, s, 302),
    ),
}
