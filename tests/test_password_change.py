"""A staff member changes their own password (/auth/password, OWASP ASVS 4.0.3 2.1.5, 2.1.6), and
one who signed in with the administrator's temporary password changes it first (2.3.1).

Privacyreglement, *Beveiliging*: the parties take "passende technische en organisatorische
maatregelen [...] om persoonsgegevens te beveiligen tegen verlies of tegen enige vorm van
onrechtmatige verwerking"; a password only the staff member knows is one of them. The rules for
the new password themselves are tested in tests/test_security_baseline.py.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import sqlalchemy as sa

from portal import accounts
from portal.audit import AuditEntry
from portal.auth import change_password, password_message
from portal.extensions import db
from portal.models import Role, User
from tests import factories as f
from tests.conftest import Auth

NEW = "mijn fiets staat bij het station"
TEMPORARY = "tijdelijk van de beheerder 42"


def _change(client, current=f.PASSWORD, new=NEW, repeat=None, **extra):
    data = {"current": current, "new": new, "repeat": new if repeat is None else repeat, **extra}
    return client.post("/auth/password", data=data)


def _fresh(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


def _field_error(page: str, field: str) -> str:
    """The message shown under one field (templates/_forms.html), or ''."""
    found = re.search(rf'id="{field}-error">([^<]*)<', page)
    return found.group(1) if found else ""


def _audit(user_id: int, action: str) -> list[str]:
    return db.session.scalars(
        sa.select(AuditEntry.purpose)
        .where(AuditEntry.user_id == user_id, AuditEntry.action == action)
        .order_by(AuditEntry.id)
    ).all()


def _code(secret: str, offset_steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(datetime.now(UTC) + timedelta(seconds=30 * offset_steps))


def _sign_in(client, email: str, password: str):
    """Password step only: 302 to the code page when the password is right."""
    return client.post("/auth/login", data={"email": email, "password": password})


def test_the_page_shows_three_password_fields_and_the_rules(client, auth, seed):
    with seed():
        user = f.user(Role.TEAM_MEMBER)
    auth.login(user)

    page = client.get("/auth/password")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for name, autocomplete in (
        ("current", "current-password"),
        ("new", "new-password"),
        ("repeat", "new-password"),
    ):
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)
        assert 'type="password"' in tag and f'autocomplete="{autocomplete}"' in tag
    assert "Minstens 12 tekens" in html and "zin van een paar woorden" in html
    # Everyone finds it in the header of every staff page.
    assert 'href="/auth/password"' in client.get("/dashboard").get_data(as_text=True)


def test_a_change_ends_other_sessions_keeps_this_one_and_only_the_new_password_works(app, seed):
    with seed():
        user = f.user(Role.TEAM_MEMBER)
    laptop, phone = app.test_client(), app.test_client()
    Auth(app, laptop).login(user)
    Auth(app, phone).login(user)
    assert phone.get("/dashboard").status_code == 200

    response = _change(laptop)

    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard")
    dashboard = laptop.get("/dashboard")
    assert dashboard.status_code == 200, "this session carries on"
    assert "Uw wachtwoord is gewijzigd" in dashboard.get_data(as_text=True)
    assert phone.get("/dashboard").status_code == 302, "the other session has ended"
    stranger = app.test_client()
    assert _sign_in(stranger, user.email, f.PASSWORD).status_code == 200, "old password refused"
    signed = _sign_in(stranger, user.email, NEW)
    assert signed.status_code == 302 and signed.headers["Location"].endswith("/auth/code")
    with app.app_context():
        assert _audit(user.id, "update") == ["wachtwoord gewijzigd"]


def test_a_wrong_current_password_changes_nothing_and_counts_as_a_failure(app, client, auth, seed):
    with seed():
        user = f.user(Role.TEAM_MEMBER)
        before = user.password_hash
    auth.login(user)

    response = _change(client, current="niet mijn wachtwoord")

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert _field_error(page, "current") == "Het huidige wachtwoord klopt niet."
    assert _field_error(page, "new") == ""
    with app.app_context():
        stored = _fresh(user.id)
        assert stored.password_hash == before and stored.failed_logins == 1
        assert _audit(user.id, "sign_in_failed") == [
            "wachtwoord wijzigen: huidig wachtwoord onjuist"
        ]
        assert _audit(user.id, "update") == []
    assert client.get("/dashboard").status_code == 200, "still signed in after one mistake"


def test_guessing_the_current_password_locks_the_account_and_signs_out(app, client, auth, seed):
    with seed():
        user = f.user(Role.TEAM_MEMBER)
    auth.login(user)
    tries = app.config["LOGIN_MAX_FAILURES"]

    answers = [_change(client, current=f"gok nummer {n}") for n in range(tries)]

    assert [a.status_code for a in answers[:-1]] == [422] * (tries - 1)
    assert answers[-1].status_code == 302
    assert answers[-1].headers["Location"].endswith("/auth/login")
    assert client.get("/dashboard").status_code == 302
    with app.app_context():
        assert _fresh(user.id).locked_until is not None
    # Locked: even the right password does not sign in now.
    assert _sign_in(app.test_client(), user.email, f.PASSWORD).status_code == 200


@pytest.mark.parametrize(
    ("new", "problem"),
    [
        ("kort genoeg", "too_short"),
        ("x" * 129, "too_long"),
        ("Wachtwoord1234", "common"),
        ("Regieteam2026!", "guessable"),
        (f.PASSWORD, "unchanged"),
    ],
)
def test_a_refused_new_password_says_why_on_the_field(app, client, auth, seed, new, problem):
    with seed():
        user = f.user(Role.TEAM_MEMBER)
        before = user.password_hash
    auth.login(user)

    response = _change(client, new=new)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    with app.test_request_context():
        message = password_message(problem)
    assert _field_error(page, "new") == str(message).replace("'", "&#39;")
    assert _field_error(page, "current") == ""
    with app.app_context():
        stored = _fresh(user.id)
        assert stored.password_hash == before and stored.failed_logins == 0


def test_the_repeat_must_match(app, client, auth, seed):
    with seed():
        user = f.user(Role.TEAM_MEMBER)
        before = user.password_hash
    auth.login(user)

    response = _change(client, repeat=NEW + " ")

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert _field_error(page, "repeat") == "De twee nieuwe wachtwoorden zijn niet hetzelfde."
    with app.app_context():
        assert _fresh(user.id).password_hash == before


def test_empty_fields_are_refused_with_a_message(client, auth, seed):
    with seed():
        user = f.user(Role.TEAM_MEMBER)
    auth.login(user)

    response = client.post("/auth/password", data={})

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert _field_error(page, "current") == "Vul uw huidige wachtwoord in."
    assert _field_error(page, "new") == "Vul een nieuw wachtwoord in."


def test_anonymous_visitors_are_sent_to_the_sign_in(client):
    for response in (client.get("/auth/password"), _change(client)):
        assert response.status_code == 302
        assert "/auth/login" in response.headers["Location"]


def test_the_change_needs_the_csrf_token_when_enabled(app, seed, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    with seed():
        user = f.user(Role.TEAM_MEMBER)
        before = user.password_hash
    client = app.test_client()
    Auth(app, client).login(user)

    refused = _change(client)

    assert refused.status_code == 400
    assert "formulier is verlopen" in refused.get_data(as_text=True)
    with app.app_context():
        assert _fresh(user.id).password_hash == before
    page = client.get("/auth/password").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert _change(client, csrf_token=token).status_code == 302


# --- the temporary password (ASVS 2.3.1) ---------------------------------------------------------


def test_a_password_set_by_the_admin_is_temporary_until_the_person_changes_it(ctx):
    municipality = f.partner(name="Gemeente", is_municipal=True)
    admin = f.user(Role.ADMIN, municipality)
    account = accounts.create_account(
        admin,
        name="Nieuwe Collega",
        email="nieuw@gemeente.example",
        role=Role.PRIVACY_DESK,
        partner=municipality,
        temporary_password=TEMPORARY,
    )
    colleague = f.user(Role.TEAM_MEMBER)
    assert account.password_temporary
    assert not colleague.password_temporary, "made outside the portal: not temporary"
    assert not admin.password_temporary

    assert change_password(account, TEMPORARY, NEW) is None
    assert not account.password_temporary

    accounts.reset_sign_in(admin, account, temporary_password=TEMPORARY, new_second_factor=False)
    assert account.password_temporary
    # Someone else's change does not count for this account.
    change_password(colleague, f.PASSWORD, NEW)
    assert account.password_temporary


def test_after_a_reset_the_new_password_comes_before_anything_else(app, client, seed):
    with seed():
        admin = f.user(Role.ADMIN, f.partner(name="Gemeente", is_municipal=True))
        user = f.user(Role.TEAM_MEMBER)
        accounts.reset_sign_in(admin, user, temporary_password=TEMPORARY, new_second_factor=False)
        secret = user.totp_secret

    assert _sign_in(client, user.email, TEMPORARY).status_code == 302
    signed_in = client.post("/auth/code", data={"code": _code(secret)})

    assert signed_in.headers["Location"].endswith("/auth/password")
    page = client.get("/auth/password").get_data(as_text=True)
    assert "tijdelijk wachtwoord" in page
    for blocked in ("/dashboard", "/cases"):
        response = client.get(blocked)
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/auth/password")
    assert _change(client, current=TEMPORARY).status_code == 302
    assert client.get("/dashboard").status_code == 200

    # The next sign-in with the own password goes straight on.
    client.post("/auth/logout", data={})
    assert _sign_in(client, user.email, NEW).status_code == 302
    again = client.post("/auth/code", data={"code": _code(secret, 1)})
    assert again.headers["Location"].endswith("/dashboard")


def test_with_a_temporary_password_one_can_still_sign_out(app, client, seed):
    with seed():
        admin = f.user(Role.ADMIN, f.partner(name="Gemeente", is_municipal=True))
        user = f.user(Role.TEAM_MEMBER)
        accounts.reset_sign_in(admin, user, temporary_password=TEMPORARY, new_second_factor=False)
        secret = user.totp_secret
    _sign_in(client, user.email, TEMPORARY)
    client.post("/auth/code", data={"code": _code(secret)})

    response = client.post("/auth/logout", data={})

    assert response.status_code == 302 and response.headers["Location"].endswith("/auth/login")
    assert client.get("/dashboard").status_code == 302
    assert client.get("/dashboard").headers["Location"].find("/auth/login") >= 0
