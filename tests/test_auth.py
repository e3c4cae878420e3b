"""Staff sign-in: password + TOTP, enrolment by QR, lock-out, rate limit, idle timeout, sign-out
everywhere, and no access without a VOG (Privacyreglement, Toegang)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import sqlalchemy as sa

from portal import create_app
from portal.audit import AuditEntry
from portal.config import DEV_SECRET_KEY
from portal.extensions import db
from portal.models import Role, User
from tests import factories as f
from tests.conftest import config_for


def _password_step(client, email, password=f.PASSWORD, **kw):
    return client.post("/auth/login", data={"email": email, "password": password}, **kw)


def _code(secret: str, offset_steps: int = 0) -> str:
    totp = pyotp.TOTP(secret)
    return totp.at(datetime.now(UTC) + timedelta(seconds=30 * offset_steps))


def _fresh(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


def test_password_then_totp_signs_in(client, seed):
    with seed():
        user = f.user(Role.TEAM_MEMBER)
    response = _password_step(client, user.email)
    assert response.status_code == 302 and response.headers["Location"].endswith("/auth/code")
    assert client.get("/dashboard").status_code == 302, "not signed in after the password alone"
    response = client.post("/auth/code", data={"code": _code(user.totp_secret)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard")
    assert client.get("/dashboard").status_code == 200
    with seed():
        last = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (last.action, last.user_id) == ("sign_in", user.id)


def test_wrong_password_says_so_without_telling_whether_the_account_exists(client, seed):
    with seed():
        user = f.user()
    wrong = _password_step(client, user.email, "wrong").get_data(as_text=True)
    unknown = _password_step(client, "nobody@test.example", "wrong").get_data(as_text=True)
    message = "Het e-mailadres of het wachtwoord klopt niet."
    assert message in wrong and message in unknown


def test_repeated_failures_lock_the_account(app, client, seed):
    with seed():
        user = f.user()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        _password_step(client, user.email, "wrong")
    response = _password_step(client, user.email)  # the right password, but locked now
    assert "tijdelijk geblokkeerd" in response.get_data(as_text=True)
    with seed():
        assert _fresh(user.id).locked_until is not None


def test_lock_ends_after_the_lockout_period(client, seed):
    with seed():
        user = f.user(locked_until=datetime.now(UTC) - timedelta(minutes=1))
    response = _password_step(client, user.email)
    assert response.status_code == 302


def test_account_without_vog_cannot_sign_in(client, seed):
    with seed():
        user = f.user(vog_date=None)
    response = _password_step(client, user.email)
    assert response.status_code == 200
    assert "geen VOG-datum" in response.get_data(as_text=True)


def test_session_of_account_whose_vog_was_removed_ends(client, auth, seed):
    with seed():
        user = f.user()
    auth.login(user)
    assert client.get("/dashboard").status_code == 200
    with seed():
        _fresh(user.id).vog_date = None
    assert client.get("/dashboard").status_code == 302


def test_inactive_account_cannot_sign_in(client, seed):
    with seed():
        user = f.user(active=False)
    assert "niet actief" in _password_step(client, user.email).get_data(as_text=True)


def test_totp_code_is_single_use(client, seed):
    with seed():
        user = f.user()
    code = _code(user.totp_secret)
    _password_step(client, user.email)
    assert client.post("/auth/code", data={"code": code}).status_code == 302
    client.post("/auth/logout")
    _password_step(client, user.email)
    response = client.post("/auth/code", data={"code": code})
    assert response.status_code == 200
    assert "al gebruikt" in response.get_data(as_text=True)


def test_wrong_codes_count_towards_the_lock(app, client, seed):
    with seed():
        user = f.user()
    _password_step(client, user.email)
    valid = {_code(user.totp_secret, step) for step in (-1, 0, 1)}
    wrong = next(code for code in ("000000", "111111", "222222", "333333") if code not in valid)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        client.post("/auth/code", data={"code": wrong})
    with seed():
        assert _fresh(user.id).locked_until is not None
    assert client.get("/dashboard").status_code == 302


def test_first_sign_in_enrols_totp_by_qr_code(client, seed):
    with seed():
        user = f.user(totp_secret=None, totp_confirmed=False)
    response = _password_step(client, user.email)
    assert response.headers["Location"].endswith("/auth/enrol")
    page = client.get("/auth/enrol").get_data(as_text=True)
    assert "<svg" in page, "the QR code is shown"
    with client.session_transaction() as session:
        secret = session["enrol_secret"]
    assert secret in page, "the key is also shown for typing in"
    bad = client.post("/auth/enrol", data={"code": "12345x"})
    assert bad.status_code == 200 and "zes cijfers" in bad.get_data(as_text=True)
    response = client.post("/auth/enrol", data={"code": _code(secret)})
    assert response.status_code == 302
    with seed():
        stored = _fresh(user.id)
        assert stored.totp_confirmed and stored.totp_secret == secret
    assert client.get("/dashboard").status_code == 200


def test_stored_totp_secret_is_encrypted(ctx):
    user = f.user()
    raw = db.session.execute(
        sa.text("SELECT totp_secret FROM staff_user WHERE id = :id"), {"id": user.id}
    ).scalar_one()
    assert user.totp_secret.encode() not in bytes(raw)


def test_rate_limit_per_address(app, client, seed, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", 3)
    with seed():
        user = f.user()
    for _ in range(3):
        _password_step(client, user.email, "wrong")
    response = _password_step(client, user.email)
    assert response.status_code == 429
    assert "Te veel pogingen" in response.get_data(as_text=True)
    other = app.test_client()
    assert (
        _password_step(other, user.email, environ_base={"REMOTE_ADDR": "10.9.8.7"}).status_code
        == 302
    )


def test_idle_timeout_signs_out(app, client, auth, seed):
    with seed():
        user = f.user()
    auth.login(user)
    assert client.get("/dashboard").status_code == 200
    with client.session_transaction() as session:
        session["last_seen"] = time.time() - (app.config["IDLE_TIMEOUT_MINUTES"] * 60 + 5)
    response = client.get("/dashboard")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert client.get("/dashboard").status_code == 302


def test_activity_keeps_the_session(app, client, auth, seed):
    with seed():
        user = f.user()
    auth.login(user)
    with client.session_transaction() as session:
        session["last_seen"] = time.time() - (app.config["IDLE_TIMEOUT_MINUTES"] * 60 - 30)
    assert client.get("/dashboard").status_code == 200


def test_sign_out_everywhere_ends_other_sessions(app, seed):
    from tests.conftest import Auth

    with seed():
        user = f.user()
    laptop, phone = app.test_client(), app.test_client()
    Auth(app, laptop).login(user)
    Auth(app, phone).login(user)
    assert phone.get("/dashboard").status_code == 200
    assert laptop.post("/auth/logout-everywhere").status_code == 302
    assert phone.get("/dashboard").status_code == 302
    assert laptop.get("/dashboard").status_code == 302


def test_next_parameter_cannot_leave_the_site(client, seed):
    with seed():
        user = f.user()
    client.post(
        "/auth/login?next=//evil.example/x", data={"email": user.email, "password": f.PASSWORD}
    )
    response = client.post("/auth/code", data={"code": _code(user.totp_secret)})
    assert response.headers["Location"].endswith("/dashboard")


def test_demo_accounts_only_in_demo_mode(app, client, seed, monkeypatch):
    with seed():
        f.user(email="procesregisseur@demo.regieteam.example")
    assert "procesregisseur@demo.regieteam.example" not in client.get("/auth/login").get_data(
        as_text=True
    )
    monkeypatch.setitem(app.config, "DEMO", True)
    page = client.get("/auth/login").get_data(as_text=True)
    assert "procesregisseur@demo.regieteam.example" in page


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ENCRYPTION_KEYS", "LOOKUP_KEY"])
def test_production_refuses_to_start_without_secrets(missing):
    config = config_for("sqlite://") | {
        "PORTAL_ENV": "production",
        "SECRET_KEY": "s" * 32,
        "LOOKUP_KEY": "l" * 32,
        "ENCRYPTION_KEYS": ["bm90LWEtZGV2LWtleS1idXQtYS10ZXN0LWtleSEhISE="],
    }
    config[missing] = (
        DEV_SECRET_KEY if missing == "SECRET_KEY" else ([] if missing == "ENCRYPTION_KEYS" else "")
    )
    with pytest.raises(RuntimeError, match=missing):
        create_app(config)


def test_production_refuses_demo_mode():
    config = config_for("sqlite://") | {
        "PORTAL_ENV": "production",
        "SECRET_KEY": "s" * 32,
        "LOOKUP_KEY": "l" * 32,
        "ENCRYPTION_KEYS": ["bm90LWEtZGV2LWtleS1idXQtYS10ZXN0LWtleSEhISE="],
        "DEMO": True,
    }
    with pytest.raises(RuntimeError, match="Demo"):
        create_app(config)


def test_security_headers(client):
    response = client.get("/auth/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert "<script" not in response.get_data(as_text=True)


def test_csrf_is_required_when_enabled(app, seed, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    with seed():
        user = f.user()
    response = app.test_client().post(
        "/auth/login", data={"email": user.email, "password": f.PASSWORD}
    )
    assert response.status_code == 400
    assert "formulier is verlopen" in response.get_data(as_text=True)
