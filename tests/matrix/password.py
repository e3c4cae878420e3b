"""Matrix rule of the staff member's own password change (portal/auth_views.py, ASVS 2.1.5).

Every staff role may change its own password and only its own (the page has no account in its
URL), so the own and the other scope are the same: 200 signed in, 302 to the sign-in page for an
anonymous visitor. A GET, so the matrix changes nobody's password; the change itself is tested in
tests/test_password_change.py.
"""

from __future__ import annotations

from tests.matrix.expect import signed_in

RULES = {
    "auth.change_password": (
        "GET",
        lambda w, s: "/auth/password",
        None,
        lambda r, s: signed_in(r, 200),
    ),
}
