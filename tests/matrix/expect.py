"""Expected statuses per role and scope, shared by the matrix and the rule modules."""
from __future__ import annotations

from portal.models import Role

ANON = "anonymous"
ROLES = [ANON, *Role]
CASE_ROLES = {
    Role.PROCESREGISSEUR,
    Role.MANAGEMENT_ASSISTANT,
    Role.TEAM_MEMBER,
    Role.CASE_MANAGER,
    Role.INCIDENTAL_PROFESSIONAL,
}
ALL_CASES = {Role.PROCESREGISSEUR, Role.MANAGEMENT_ASSISTANT}


def case_status(role, scope, ok):
    """A case-level page: 302 to sign-in, 403 for roles without case access, 404 out of scope."""
    if role == ANON:
        return 302
    if role not in CASE_ROLES:
        return 403
    if scope == "other" and role not in ALL_CASES:
        return 404
    return ok


def manage_status(role, scope, ok):
    """Recording the Regieteam's decisions on a case: procesregisseur and management assistants."""
    if role == ANON:
        return 302
    return ok if role in ALL_CASES else 403


def person_view_status(role, scope):
    if role == ANON:
        return 302
    if role is Role.PRIVACY_DESK:
        return 200
    return case_status(role, scope, 200)


def admin_status(role, ok):
    if role == ANON:
        return 302
    return ok if role is Role.ADMIN else 403


def signed_in(role, ok, anon=302):
    return anon if role == ANON else ok
