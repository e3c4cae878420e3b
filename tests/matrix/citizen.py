"""Matrix rules of the citizen portal's shell (issue 5: sign-in, home, who looked, accessibility).

Staff roles are not citizens: a staff session is no citizen session, so every citizen page sends
staff and anonymous visitors alike to the citizen sign-in page (302); which person's file a signed
in citizen reaches is tested in tests/test_citizen_sign_in.py. The sign-in pages and the
accessibility statement are public (200). The matrix app has no DigiD broker configured, so
starting DigiD, or a callback, answers 503 with a message. The DigiD mock is not registered
outside demo mode, so it has no rule here (tests/test_citizen_sign_in.py checks it is absent).
"""

from __future__ import annotations


def _person(world, scope) -> int:
    return world.own_person if scope == "own" else world.other_person


RULES = {
    "citizen.sign_in": ("GET", lambda w, s: "/mijn/inloggen", None, lambda r, s: 200),
    "citizen.digid_start": ("GET", lambda w, s: "/mijn/digid", None, lambda r, s: 503),
    "citizen.digid_callback": (
        "GET",
        lambda w, s: "/mijn/digid/terug?code=abc&state=def",
        None,
        lambda r, s: 503,
    ),
    "citizen.code": ("GET", lambda w, s: "/mijn/code", None, lambda r, s: 200),
    "citizen.code_link": ("GET", lambda w, s: "/mijn/code/not-a-token", None, lambda r, s: 200),
    "citizen.home": ("GET", lambda w, s: "/mijn", None, lambda r, s: 302),
    "citizen.looked": (
        "GET",
        lambda w, s: f"/mijn/{_person(w, s)}/inzage",
        None,
        lambda r, s: 302,
    ),
    "citizen.resume": ("GET", lambda w, s: "/mijn/verder", None, lambda r, s: 302),
    "citizen.sign_out": ("POST", lambda w, s: "/mijn/uitloggen", lambda w: {}, lambda r, s: 302),
    "citizen.accessibility": (
        "GET",
        lambda w, s: "/mijn/toegankelijkheid",
        None,
        lambda r, s: 200,
    ),
}
