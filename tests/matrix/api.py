"""Matrix rules of the JSON API for partner systems (consent/api.py).

The API authenticates partner systems by API key only; the staff session plays no part. So every
role, signed in or not, gets 401 from the check (GET and POST) and the domain list when no key is
sent, for a person in or out of the user's scope alike. The OpenAPI document holds no personal data
and is public. What a key may see is tested in tests/test_consent_api.py.
"""

from __future__ import annotations


def _check_url(world, scope):
    person = world.own_person if scope == "own" else world.other_person
    return f"/api/v1/check?person={person}&domain=wonen&purpose=plan"


def _check_body(world):
    # The matrix posts this as a form: a key is checked first, so the answer is the 401 all
    # the same (the JSON body itself is tested in tests/test_consent_api.py).
    return {"person": world.own_person, "domain": "wonen", "purpose": "plan"}


RULES = {
    "api.check": ("GET", _check_url, None, lambda role, scope: 401),
    "api.check_post": ("POST", lambda w, s: "/api/v1/check", _check_body, lambda role, scope: 401),
    "api.domains": ("GET", lambda w, s: "/api/v1/domains", None, lambda role, scope: 401),
    "api.openapi": ("GET", lambda w, s: "/api/v1/openapi.json", None, lambda role, scope: 200),
}
