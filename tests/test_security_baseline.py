"""The security baseline of docs/security.md (OWASP ASVS 4.0.3, level 2): the items marked there as
shown by a test in this file. Privacyreglement, *Beveiliging*: "passende technische en
organisatorische maatregelen [...] om persoonsgegevens te beveiligen tegen verlies of tegen enige
vorm van onrechtmatige verwerking"."""

from __future__ import annotations

import ast
import hashlib
import logging
import time
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyotp
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken

from consent.models import Channel, ConsentEvent, ConsentStatus, Purpose, RecordedBy
from portal import auth, create_app, keys, operations
from portal.audit import AuditEntry
from portal.crypto import encrypt
from portal.extensions import db
from portal.letters.models import Letter, LetterChannel, LetterKind
from portal.models import CaseEntry, EntryKind, Person, Role, User
from portal.notices import PartnerNotice
from tests import factories as f
from tests.conftest import TEST_KEYS, Auth, config_for

NEW_KEY = "bmV3LXRlc3Qta2V5LWZvci1yb3RhdGlvbi0zMi1ieXQ="
OTHER_KEY = "c29tZWJvZHktZWxzZXMta2V5LW5vdC1vdXJzLTMyYnk="
PRODUCTION = {
    "PORTAL_ENV": "production",
    "SECRET_KEY": "s" * 32,
    "LOOKUP_KEY": "l" * 32,
    "ENCRYPTION_KEYS": ["bm90LWEtZGV2LWtleS1idXQtYS10ZXN0LWtleSEhISE="],
}


@contextmanager
def separate_app(config: dict):
    """An app of its own; portal/database.py keeps one engine per process, so the suite's engine
    is put back afterwards."""
    suite_engine = db.engine
    application = create_app(config)
    try:
        yield application
    finally:
        db.session.remove()
        db.engine.dispose()
        db.engine = suite_engine
        db.session.configure(bind=suite_engine)


def _fresh(model, row_id):
    db.session.expire_all()
    return db.session.get(model, row_id)


def _raw(table: str, column: str, row_id: int) -> bytes:
    return bytes(
        db.session.execute(
            sa.text(f"SELECT {column} FROM {table} WHERE id = :id"), {"id": row_id}
        ).scalar_one()
    )


# --- V8.3.7 / V1.6.3: encryption at rest and key rotation -------------------------------------


def _stored_values():
    """One value in each kind of encrypted column, written under the test key."""
    user = f.user()
    person = f.person(bsn="111222333")
    case = f.case(household_obj=person.household)
    domain = f.domain()
    entry = CaseEntry(
        case=case, kind=EntryKind.PLAN, domain=domain, source_partner=user.partner,
        author=user, person=person, text="Plan van aanpak: schuldhulp en woonbegeleiding",
    )
    event = ConsentEvent(
        person_id=person.id, domain_id=domain.id, recipient_id=user.partner.id,
        purpose=next(iter(Purpose)), status=ConsentStatus.GIVEN,
        effective_at=datetime(2026, 3, 3, 10, tzinfo=UTC), recorded_by=RecordedBy.CASE_MANAGER,
        channel=Channel.BEMOEIZORG_CONVERSATION, information_version="t1",
        note="Mondeling gegeven in het gesprek",
    )
    pdf = b"%PDF-1.7 a letter, as sent"
    letter = Letter(
        kind=LetterKind.INFORMATION, language="nl", template="letters/information.html",
        template_version="t1", person_id=person.id, household_id=person.household_id,
        channel=LetterChannel.POST, pdf=pdf, sha256=hashlib.sha256(pdf).hexdigest(),
        size_bytes=len(pdf), page_count=1, created_by_id=user.id,
    )
    notice = PartnerNotice(
        partner_id=user.partner.id, kind="test", subject="Melding", body="Toestemming ingetrokken"
    )
    db.session.add_all([entry, event, letter, notice])
    db.session.flush()
    return {
        (User, user.id, "totp_secret"): user.totp_secret,
        (Person, person.id, "bsn"): "111222333",
        (CaseEntry, entry.id, "text"): entry.text,
        (ConsentEvent, event.id, "note"): event.note,
        (Letter, letter.id, "pdf"): pdf,
        (PartnerNotice, notice.id, "body"): notice.body,
    }


def _read(model, row_id, attribute):
    row = _fresh(model, row_id)
    return operations.reveal_bsn(row) if attribute == "bsn" else getattr(row, attribute)


def test_every_encrypted_column_is_found_for_rotation(ctx):
    names = {column.name for column in keys.encrypted_columns()}
    expected = {
        "person.bsn_encrypted", "staff_user.totp_secret", "case_entry.text",
        "consent_event.note", "letter.pdf", "partner_notice.body", "privacy_request.description",
        "data_breach.description",
    }
    assert expected <= names


def test_bsn_and_free_text_are_not_stored_readable(ctx):
    values = _stored_values()
    person_id = next(key[1] for key in values if key[0] is Person)
    entry_id = next(key[1] for key in values if key[0] is CaseEntry)
    assert b"111222333" not in _raw("person", "bsn_encrypted", person_id)
    assert b"schuldhulp" not in _raw("case_entry", "text", entry_id)


def test_after_rotation_the_old_key_can_go_and_everything_still_reads(app, ctx, monkeypatch):
    values = _stored_values()
    db.session.commit()
    monkeypatch.setitem(app.config, "ENCRYPTION_KEYS", [NEW_KEY, *TEST_KEYS])
    waiting = keys.stale_values()
    assert sum(waiting.values()) >= len(values)

    report = keys.rotate(batch_size=2)
    assert report.complete and report.rotated >= len(values)
    assert sum(keys.stale_values().values()) == 0

    monkeypatch.setitem(app.config, "ENCRYPTION_KEYS", [NEW_KEY])  # the old key is gone
    for (model, row_id, attribute), value in values.items():
        assert _read(model, row_id, attribute) == value, (model.__name__, attribute)
    entry_id = next(key[1] for key in values if key[0] is CaseEntry)
    with pytest.raises(InvalidToken):
        Fernet(TEST_KEYS[0]).decrypt(_raw("case_entry", "text", entry_id))
    letter = _fresh(Letter, next(key[1] for key in values if key[0] is Letter))
    assert hashlib.sha256(letter.pdf).hexdigest() == letter.sha256, "the letter as sent"


def test_rotation_is_on_record_with_counts_only(app, ctx, monkeypatch):
    values = _stored_values()
    db.session.commit()
    before = db.session.scalar(sa.select(sa.func.max(AuditEntry.seq)))
    monkeypatch.setitem(app.config, "ENCRYPTION_KEYS", [NEW_KEY, *TEST_KEYS])
    keys.rotate()
    rows = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.seq > before).order_by(AuditEntry.seq)
    ).all()
    purposes = [row.purpose for row in rows if row.processing_activity == "sleutelbeheer"]
    assert purposes[0].startswith("sleutelrotatie gestart")
    assert purposes[-1].startswith("sleutelrotatie voltooid")
    text = " ".join(str(getattr(row, c.name)) for row in rows for c in AuditEntry.__table__.c)
    for value in values.values():
        assert str(value) not in text
    assert NEW_KEY not in text and TEST_KEYS[0] not in text


def test_an_interrupted_rotation_carries_on_where_it_stopped(app, ctx, monkeypatch):
    _stored_values()
    db.session.commit()
    monkeypatch.setitem(app.config, "ENCRYPTION_KEYS", [NEW_KEY, *TEST_KEYS])
    total = sum(keys.stale_values().values())

    first = keys.rotate(batch_size=1, limit=2)
    assert first.stopped_early and first.rotated == 2 and not first.complete
    assert sum(keys.stale_values().values()) == total - 2

    rest = keys.rotate(batch_size=3)
    assert rest.complete and rest.rotated == total - 2 and rest.already_current >= 2
    again = keys.rotate()
    assert again.complete and again.rotated == 0


def test_append_only_tables_stay_closed_after_rotation(app, ctx, monkeypatch):
    values = _stored_values()
    db.session.commit()
    event_id = next(key[1] for key in values if key[0] is ConsentEvent)
    monkeypatch.setitem(app.config, "ENCRYPTION_KEYS", [NEW_KEY, *TEST_KEYS])
    keys.rotate()
    with pytest.raises(sa.exc.DatabaseError, match="never updated"):
        with db.session.begin_nested():
            db.session.execute(
                sa.text("UPDATE consent_event SET channel = 'online' WHERE id = :id"),
                {"id": event_id},
            )


def test_a_value_no_key_reads_is_named_and_the_rest_rotated(app, ctx, monkeypatch):
    values = _stored_values()
    entry_id = next(key[1] for key in values if key[0] is CaseEntry)
    db.session.execute(
        sa.text("UPDATE case_entry SET text = :t WHERE id = :id"),
        {"t": Fernet(OTHER_KEY).encrypt(b"van elders"), "id": entry_id},
    )
    db.session.commit()
    monkeypatch.setitem(app.config, "ENCRYPTION_KEYS", [NEW_KEY, *TEST_KEYS])
    report = keys.rotate()
    assert report.failed == [f"case_entry.text#{entry_id}"] and not report.complete
    assert keys.stale_values()["case_entry.text"] == 1
    assert sum(keys.stale_values().values()) == 1


def test_key_commands_rotate_and_report(app, ctx, monkeypatch):
    _stored_values()
    db.session.commit()
    runner = app.test_cli_runner()
    monkeypatch.setitem(app.config, "ENCRYPTION_KEYS", [NEW_KEY, *TEST_KEYS])
    waiting = runner.invoke(keys.keys_cli, ["status"])
    assert waiting.exit_code == 1 and "keys rotate" in waiting.output
    rotated = runner.invoke(keys.keys_cli, ["rotate", "--batch-size", "2"])
    assert rotated.exit_code == 0, rotated.output
    assert "unreadable: 0" in rotated.output
    done = runner.invoke(keys.keys_cli, ["status"])
    assert done.exit_code == 0 and "can be removed" in done.output
    generated = runner.invoke(keys.keys_cli, ["generate"]).output.strip()
    assert Fernet(generated).decrypt(Fernet(generated).encrypt(b"x")) == b"x"


# --- V2.1: passwords ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password, problem",
    [
        ("kort genoeg", "too_short"),  # 11 characters
        ("a  b  c  d  e  f", "too_short"),  # 16 typed, 11 once runs of spaces count as one
        ("x" * 129, "too_long"),
        ("Password1234", "common"),
        ("wachtwoord123", "common"),
        ("aaaaaaaaaaaaaaaa", "common"),
        ("Regieteam2026!", "guessable"),
        ("sam.jansen2026", "guessable"),  # the e-mail address plus a year
    ],
)
def test_weak_new_passwords_are_refused(app, password, problem):
    with app.test_request_context():
        found = auth.password_problem(password, email="sam.jansen@test.example", name="Sam Jansen")
        assert found == problem
        assert auth.password_message(found)


@pytest.mark.parametrize(
    "password",
    [
        "twaalf tekens",  # exactly 12, only lower case and a space: no composition rules
        "paard batterij nietje correct",
        "ëén ğünstig 密码 🔑 wachtwoordzin",  # any printable Unicode, emoji included
        "een zin van vierenzestig tekens " * 2,  # 64 characters allowed
        "een zin van vierenzestig tekens " * 4,  # 128 characters allowed
    ],
)
def test_long_passphrases_of_any_characters_are_accepted(app, password):
    with app.test_request_context():
        assert auth.password_problem(password, email="a@test.example", name="A B") is None


def test_a_password_is_used_whole_never_truncated(ctx):
    user = f.user()
    long_password = "een lange wachtzin " * 6 + "einde"  # 119 characters
    user.password_hash = auth.hash_password(long_password)
    assert auth.check_password(user, long_password)
    assert not auth.check_password(user, long_password[:-1])
    assert not auth.check_password(user, long_password[:72])


def test_changing_the_password_needs_the_current_one_and_ends_other_sessions(ctx):
    user = f.user()
    version = user.session_version
    assert auth.change_password(user, "niet het huidige", "een nieuwe lange wachtzin") == (
        "wrong_current"
    )
    assert auth.check_password(user, f.PASSWORD) and user.session_version == version
    assert auth.change_password(user, f.PASSWORD, "kort") == "too_short"
    assert auth.change_password(user, f.PASSWORD, f.PASSWORD) == "unchanged"
    assert auth.change_password(user, f.PASSWORD, "een nieuwe lange wachtzin") is None
    assert auth.check_password(user, "een nieuwe lange wachtzin")
    assert not auth.check_password(user, f.PASSWORD)
    assert user.session_version == version + 1
    last = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (last.purpose, last.object_id) == ("wachtwoord gewijzigd", user.id)


def test_password_hashes_are_salted_argon2id(app, ctx):
    first, second = auth.hash_password("zelfde wachtwoord"), auth.hash_password("zelfde wachtwoord")
    assert first.startswith("$argon2id$") and first != second
    with app.test_request_context():
        app.config["ARGON2_FAST"] = False
        try:
            params = auth._hasher()
        finally:
            app.config["ARGON2_FAST"] = True
    # ASVS 2.4.5: at least 15 MiB, 2 iterations, parallelism 1.
    assert params.memory_cost >= 15 * 1024 and params.time_cost >= 2 and params.parallelism >= 1


# --- V2.8: one-time codes ----------------------------------------------------------------------

MOMENT = datetime(2026, 3, 3, 10, 0, 10, tzinfo=UTC)


def _code_at(secret: str, moment: datetime) -> str:
    return pyotp.TOTP(secret).at(moment)


def test_a_code_works_once_within_its_window(ctx):
    user = f.user()
    code = _code_at(user.totp_secret, MOMENT)
    assert auth.verify_totp(user, code, at=MOMENT) is auth.TotpResult.OK
    assert auth.verify_totp(user, code, at=MOMENT + timedelta(seconds=5)) is (
        auth.TotpResult.REUSED
    )
    # Nor an earlier step's code that is still inside the drift window.
    earlier = _code_at(user.totp_secret, MOMENT - timedelta(seconds=30))
    assert auth.verify_totp(user, earlier, at=MOMENT) is not auth.TotpResult.OK


@pytest.mark.parametrize("drift_seconds, accepted", [(-30, True), (30, True), (-60, False),
                                                     (60, False), (-300, False)])
def test_a_clock_off_by_one_step_is_accepted_more_is_not(ctx, drift_seconds, accepted):
    user = f.user()
    code = _code_at(user.totp_secret, MOMENT + timedelta(seconds=drift_seconds))
    assert (auth.verify_totp(user, code, at=MOMENT) is auth.TotpResult.OK) is accepted


def test_a_reused_code_is_refused_and_on_record_apart(client, seed):
    with seed():
        user = f.user()
    code = pyotp.TOTP(user.totp_secret).now()
    client.post("/auth/login", data={"email": user.email, "password": f.PASSWORD})
    assert client.post("/auth/code", data={"code": code}).status_code == 302
    client.post("/auth/logout")
    client.post("/auth/login", data={"email": user.email, "password": f.PASSWORD})
    response = client.post("/auth/code", data={"code": code})
    assert "al gebruikt" in response.get_data(as_text=True)
    with seed():
        last = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (last.action, last.user_id, last.purpose) == (
            "sign_in_failed", user.id, "hergebruikte code"
        )


def test_the_totp_secret_is_generated_with_enough_randomness():
    secrets = {auth.new_totp_secret() for _ in range(20)}
    assert len(secrets) == 20
    assert all(len(secret) >= 32 for secret in secrets)  # base32: 160 bits


# --- V3: sessions and cookies ------------------------------------------------------------------


def _sign_in(client, user):
    client.post("/auth/login", data={"email": user.email, "password": f.PASSWORD})
    return client.post("/auth/code", data={"code": pyotp.TOTP(user.totp_secret).now()})


def test_signing_in_starts_a_new_session(client, seed):
    # Session fixation: whatever was in the session before either step does not carry over.
    with seed():
        user = f.user()
    with client.session_transaction() as session:
        session["planted"] = "before the password"
        session["_user_id"] = "999:1"
    client.post("/auth/login", data={"email": user.email, "password": f.PASSWORD})
    with client.session_transaction() as session:
        assert "planted" not in session and "_user_id" not in session
        session["planted"] = "between password and code"
    between = client.get_cookie("session").value
    response = client.post("/auth/code", data={"code": pyotp.TOTP(user.totp_secret).now()})
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert "planted" not in session and "pending_user" not in session
        assert session["_user_id"] == user.get_id()
        assert session["signed_in_at"] <= time.time()
    assert client.get_cookie("session").value != between


def test_the_session_cookie_is_http_only_lax_and_not_in_the_url(client, seed):
    with seed():
        user = f.user()
    response = _sign_in(client, user)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "session" not in response.headers["Location"]


def test_production_cookies_are_secure_host_only_and_hsts_is_sent(db):
    with separate_app(config_for("sqlite://") | PRODUCTION) as app:
        assert app.config["SESSION_COOKIE_SECURE"] is True
        assert app.config["SESSION_COOKIE_HTTPONLY"] is True
        assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
        assert app.config["SESSION_COOKIE_NAME"] == "__Host-session"
        # Idle 15 minutes (server side), cookie at most 2 hours, session at most 12 hours.
        assert app.config["IDLE_TIMEOUT_MINUTES"] == 15
        assert app.permanent_session_lifetime <= timedelta(hours=2)
        assert app.config["SESSION_MAX_HOURS"] <= 12

        @app.get("/_cookie")
        def _cookie():
            from flask import session

            session["x"] = 1
            return "ok"

        response = app.test_client().get("/_cookie", base_url="https://portal.test")
        cookie = response.headers["Set-Cookie"]
        assert cookie.startswith("__Host-session=")
        assert "Secure" in cookie and "HttpOnly" in cookie and "Path=/" in cookie
        assert "Domain" not in cookie
        hsts = response.headers["Strict-Transport-Security"]
        assert hsts.startswith("max-age=31536000") and "includeSubDomains" in hsts


def test_no_hsts_outside_production(client):
    assert "Strict-Transport-Security" not in client.get("/auth/login").headers


def test_an_active_session_still_ends_after_the_longest_session(app, client, auth, seed):
    with seed():
        user = f.user()
    auth.login(user)
    with client.session_transaction() as session:
        session["signed_in_at"] = time.time() - app.config["SESSION_MAX_HOURS"] * 3600 + 60
        session["last_seen"] = time.time()
    assert client.get("/dashboard").status_code == 200
    with client.session_transaction() as session:
        session["signed_in_at"] = time.time() - app.config["SESSION_MAX_HOURS"] * 3600 - 1
    response = client.get("/dashboard")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert client.get("/dashboard").status_code == 302


def test_signing_out_clears_what_the_browser_kept(client, auth, seed):
    with seed():
        user = f.user()
    auth.login(user)
    response = client.post("/auth/logout")
    assert response.status_code == 302
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'
    with client.session_transaction() as session:
        assert "_user_id" not in session
    assert client.get("/dashboard").status_code == 302


def test_a_changed_password_ends_sessions_on_other_devices(app, seed):
    with seed():
        user = f.user()
    other_device = app.test_client()
    Auth(app, other_device).login(user)
    assert other_device.get("/dashboard").status_code == 200
    with seed():
        stored = db.session.get(User, user.id)
        assert auth.change_password(stored, f.PASSWORD, "een heel andere wachtzin") is None
    assert other_device.get("/dashboard").status_code == 302


def test_a_tampered_session_cookie_is_ignored(client, auth, seed):
    with seed():
        user = f.user()
    auth.login(user)
    assert client.get("/dashboard").status_code == 200
    value = client.get_cookie("session").value
    tampered = value[:-2] + ("AA" if not value.endswith("AA") else "BB")
    client.set_cookie("session", tampered)
    assert client.get("/dashboard").status_code == 302


# --- V2.2.1 / V4.2.2: rate limit and CSRF ---------------------------------------------------------


def test_guessing_is_capped_well_below_100_per_hour_per_account(app):
    # ASVS 2.2.1: no more than 100 failed attempts per hour on one account. Each lock-out lasts
    # LOGIN_LOCKOUT_MINUTES after LOGIN_MAX_FAILURES wrong passwords or codes.
    per_hour = app.config["LOGIN_MAX_FAILURES"] * 60 / app.config["LOGIN_LOCKOUT_MINUTES"]
    assert per_hour <= 100
    per_address = app.config["LOGIN_RATE_LIMIT"] * 60 / app.config["LOGIN_RATE_WINDOW_MINUTES"]
    assert per_address <= 300


def test_signing_out_needs_the_csrf_token(app, seed, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    with seed():
        user = f.user()
    client = app.test_client()
    Auth(app, client).login(user)
    assert client.post("/auth/logout").status_code == 400
    assert client.post("/auth/logout-everywhere").status_code == 400
    assert client.get("/dashboard").status_code == 200, "still signed in"


# --- V7: errors and logs -----------------------------------------------------------------------


def test_json_errors_give_a_code_and_no_detail(app, client, auth, seed, monkeypatch):
    from portal import views

    with seed():
        user = f.user()
    auth.login(user)

    def broken(*args, **kwargs):
        raise RuntimeError("SELECT secret FROM staff_user -- psycopg at line 42")

    monkeypatch.setattr(views.access, "case_scope", broken)
    response = client.get("/dashboard", headers={"Accept": "application/json"})
    assert response.status_code == 500
    body = response.get_json()
    assert body["error"]["code"] == "internal_error"
    assert "SELECT" not in response.get_data(as_text=True)


def test_sign_in_leaves_no_password_code_or_bsn_in_audit_or_logs(client, seed, caplog):
    with seed():
        user = f.user()
        f.person(bsn="111222333")
    caplog.set_level(logging.DEBUG)
    secret_word = "geheime-wachtzin-die-nergens-mag-staan"
    client.post("/auth/login", data={"email": user.email, "password": secret_word})
    client.post("/auth/login", data={"email": "nobody@test.example", "password": secret_word})
    client.post("/auth/login", data={"email": user.email, "password": f.PASSWORD})
    code = pyotp.TOTP(user.totp_secret).now()
    client.post("/auth/code", data={"code": "000000" if code != "000000" else "111111"})
    client.post("/auth/code", data={"code": code})
    with seed():
        rows = db.session.scalars(sa.select(AuditEntry)).all()
        text = " ".join(str(getattr(r, c.name)) for r in rows for c in AuditEntry.__table__.c)
        assert any(r.action == "sign_in_failed" for r in rows)
        assert any(r.action == "sign_in" and r.user_id == user.id for r in rows)
        stored = db.session.get(User, user.id)
        for value in (secret_word, f.PASSWORD, code, stored.totp_secret, "111222333"):
            assert value not in text
            assert value not in caplog.text


def test_an_unexpected_error_is_logged_without_the_request_data(app, client, auth, seed, caplog,
                                                                monkeypatch):
    from portal import views

    with seed():
        user = f.user()
    auth.login(user)
    monkeypatch.setattr(views.access, "case_scope", lambda *a, **k: 1 / 0)
    caplog.set_level(logging.ERROR)
    client.get("/dashboard?bsn=111222333")
    assert "Unhandled error" in caplog.text, "the last-resort handler logs the failure"
    assert "111222333" not in caplog.text


# --- V5 / V8: encoding, caching, hidden data ----------------------------------------------------


def test_stored_text_is_escaped_on_output(client, auth, seed):
    with seed():
        user = f.user(Role.PROCESREGISSEUR)
        case = f.case(procesregisseur=user)
        person = f.person(household_obj=case.household)
        db.session.add(
            CaseEntry(
                case=case, kind=EntryKind.PROGRESS, domain=f.domain(), person=person,
                source_partner=user.partner, author=user,
                text='<script>alert("x")</script> O\'Hara & ねこ',
            )
        )
    auth.login(user)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert" in page
    assert "ねこ" in page


def test_pages_with_personal_data_are_not_cached(client, auth, seed):
    with seed():
        user = f.user(Role.PROCESREGISSEUR)
        case = f.case(procesregisseur=user)
    auth.login(user)
    response = client.get(f"/cases/{case.id}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_responses_name_their_charset_and_send_no_referrer(client):
    response = client.get("/auth/login")
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    api = client.get("/api/v1/check")
    assert api.headers["Content-Type"] == "application/json"


def test_hidden_files_are_not_served(client):
    for path in ("/.git/config", "/static/.DS_Store", "/static/../portal/config.py", "/.env"):
        assert client.get(path).status_code == 404, path


# --- V2.10 / V6.4: secrets from the environment ---------------------------------------------------


@pytest.mark.parametrize(
    "setting, value",
    [
        ("SECRET_KEY", "too-short"),
        ("LOOKUP_KEY", "x" * 31),
        ("ENCRYPTION_KEYS", ["not-a-fernet-key"]),
    ],
)
def test_production_refuses_short_or_malformed_secrets_without_showing_them(setting, value):
    with pytest.raises(RuntimeError, match=setting) as refused:
        create_app(config_for("sqlite://") | PRODUCTION | {setting: value})
    shown = str(refused.value)
    assert (value if isinstance(value, str) else value[0]) not in shown


def test_encryption_uses_the_first_key_and_reads_with_any(app, ctx, monkeypatch):
    token = encrypt("vertrouwelijk")
    monkeypatch.setitem(app.config, "ENCRYPTION_KEYS", [NEW_KEY, *TEST_KEYS])
    from portal.crypto import decrypt

    assert decrypt(token) == "vertrouwelijk"
    assert Fernet(NEW_KEY).decrypt(encrypt("nieuw")) == b"nieuw"


def test_lookup_hash_is_keyed(app, ctx, monkeypatch):
    from portal.crypto import lookup_hash

    plain_sha = hashlib.sha256(b"111222333").hexdigest()
    first = lookup_hash("111222333")
    assert first != plain_sha
    monkeypatch.setitem(app.config, "LOOKUP_KEY", "another-lookup-key")
    assert lookup_hash("111222333") != first


def test_staff_need_a_vog_and_a_second_factor_for_every_role(client, seed):
    # ASVS 4.3.1: the admin's screens, like every staff screen, sit behind password + TOTP.
    with seed():
        admin = f.user(Role.ADMIN, vog_date=date(2024, 1, 1))
    response = client.post("/auth/login", data={"email": admin.email, "password": f.PASSWORD})
    assert response.headers["Location"].endswith("/auth/code")
    assert client.get("/accounts").status_code == 302, "the password alone opens nothing"
    client.post("/auth/code", data={"code": pyotp.TOTP(admin.totp_secret).now()})
    assert client.get("/accounts").status_code == 200


@pytest.mark.parametrize("field", ["to", "subject"])
def test_a_line_break_cannot_add_a_mail_header(app, field):
    # ASVS 5.2.3: no SMTP header injection through a partner's address or a subject.
    from portal.mail import build_message

    values = {"to": "partner@test.example", "subject": "Melding", "body": "Tekst"}
    values[field] += "\r\nBcc: someone@evil.example"
    with app.app_context(), pytest.raises(ValueError):
        build_message(**values).as_bytes()


# --- V5.2.4 / V5.3.8 / V5.5.3: no dynamic code, shell or unsafe deserialisation ----------------

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__"}
FORBIDDEN_ATTRIBUTES = {
    ("pickle", "loads"), ("pickle", "load"), ("marshal", "loads"), ("yaml", "load"),
    ("yaml", "unsafe_load"), ("os", "system"), ("os", "popen"), ("shelve", "open"),
}


def _source_files():
    for package in ("portal", "consent", "requests"):
        yield from (ROOT / package).rglob("*.py")


def test_no_dynamic_code_shell_or_unsafe_deserialisation():
    found = []
    for path in _source_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            func = node.func
            if isinstance(func, ast.Name) and func.id in FORBIDDEN_CALLS:
                found.append(f"{where} {func.id}()")
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                if (func.value.id, func.attr) in FORBIDDEN_ATTRIBUTES:
                    found.append(f"{where} {func.value.id}.{func.attr}()")
            for keyword in node.keywords:
                if keyword.arg == "shell" and not (
                    isinstance(keyword.value, ast.Constant) and keyword.value.value is False
                ):
                    found.append(f"{where} shell=")
    assert not found, found


def test_an_old_password_still_works(client, seed):
    # ASVS 2.1.10: no periodic change forced.
    with seed():
        user = f.user(created_at=datetime.now(UTC) - timedelta(days=5 * 365), last_login_at=None)
    assert _sign_in(client, user).headers["Location"].endswith("/dashboard")
