"""Staff sign-in rules: argon2 passwords, TOTP second factor, lock-out, rate limit, VOG check.

Plain functions, tested without HTTP; `portal/auth_views.py` only wires them to forms.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Optional

import pyotp
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

from portal import audit
from portal.extensions import db
from portal.models import LoginAttempt, User, utcnow


def _hasher() -> PasswordHasher:
    if current_app.config.get("ARGON2_FAST"):
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def check_password(user: User, password: str) -> bool:
    try:
        return _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# A hash to verify against when the account does not exist, so timing does not tell.
_DUMMY_HASH: dict[str, str] = {}


def _dummy_check(password: str) -> None:
    key = "fast" if current_app.config.get("ARGON2_FAST") else "normal"
    if key not in _DUMMY_HASH:
        _DUMMY_HASH[key] = _hasher().hash("not a real password")
    try:
        _hasher().verify(_DUMMY_HASH[key], password)
    except VerificationError:
        pass


class Outcome(enum.Enum):
    OK = "ok"
    BAD_CREDENTIALS = "bad_credentials"
    LOCKED = "locked"
    NO_VOG = "no_vog"
    INACTIVE = "inactive"
    RATE_LIMITED = "rate_limited"


@dataclass
class SignInResult:
    outcome: Outcome
    user: Optional[User] = None
    locked_until: Optional[datetime] = None


def _aware(moment: Optional[datetime]) -> Optional[datetime]:
    # SQLite hands back naive datetimes; everything here is UTC.
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def rate_limited(address: str, now: Optional[datetime] = None) -> bool:
    """True when this client address made too many sign-in attempts in the window."""
    now = now or utcnow()
    window = timedelta(minutes=current_app.config["LOGIN_RATE_WINDOW_MINUTES"])
    count = db.session.scalar(
        sa.select(sa.func.count(LoginAttempt.id)).where(
            LoginAttempt.address == address, LoginAttempt.at > now - window
        )
    )
    return count >= current_app.config["LOGIN_RATE_LIMIT"]


def note_attempt(address: str) -> None:
    db.session.add(LoginAttempt(address=address))
    db.session.flush()


def find_user(email: str) -> Optional[User]:
    return db.session.scalar(
        sa.select(User).where(sa.func.lower(User.email) == email.lower().strip())
    )


def register_failure(user: User) -> None:
    user.failed_logins += 1
    if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
        user.locked_until = utcnow() + timedelta(
            minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"]
        )
        user.failed_logins = 0
    audit.record(
        audit.Action.SIGN_IN_FAILED,
        user=user,
        processing_activity="aanmelden",
        purpose="beveiliging",
        confidentiality=audit.Confidentiality.NORMAL,
    )


def check_first_factor(email: str, password: str, address: str) -> SignInResult:
    """Step one of signing in. Records the attempt; never tells whether an account exists."""
    if rate_limited(address):
        return SignInResult(Outcome.RATE_LIMITED)
    note_attempt(address)
    user = find_user(email)
    if user is None:
        _dummy_check(password)
        return SignInResult(Outcome.BAD_CREDENTIALS)
    locked_until = _aware(user.locked_until)
    if locked_until is not None and locked_until > utcnow():
        return SignInResult(Outcome.LOCKED, locked_until=locked_until)
    if not check_password(user, password):
        register_failure(user)
        locked_until = _aware(user.locked_until)
        if locked_until is not None and locked_until > utcnow():
            return SignInResult(Outcome.LOCKED, locked_until=locked_until)
        return SignInResult(Outcome.BAD_CREDENTIALS)
    if not user.active:
        return SignInResult(Outcome.INACTIVE)
    # Privacyreglement, Toegang: "Alle personen die toegang hebben [...] beschikken over een
    # Verklaring Omtrent Gedrag".
    if user.vog_date is None:
        return SignInResult(Outcome.NO_VOG, user=user)
    return SignInResult(Outcome.OK, user=user)


def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(
        name=user.email, issuer_name=current_app.config["TOTP_ISSUER"]
    )


def check_totp(
    user: User, code: str, secret: Optional[str] = None, at: Optional[datetime] = None
) -> bool:
    """A six-digit code of this or the neighbouring 30-second step, each step usable once."""
    secret = secret or user.totp_secret
    code = (code or "").strip().replace(" ", "")
    if not secret or not code.isdigit() or len(code) != 6:
        return False
    totp = pyotp.TOTP(secret)
    now = at or utcnow()
    current_step = int(now.timestamp()) // totp.interval
    for step in (current_step, current_step - 1, current_step + 1):
        if user.totp_last_step is not None and step <= user.totp_last_step:
            continue
        if pyotp.utils.strings_equal(totp.generate_otp(step), code):
            user.totp_last_step = step
            return True
    return False


def complete_sign_in(user: User) -> None:
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = utcnow()
    audit.record(
        audit.Action.SIGN_IN,
        user=user,
        processing_activity="aanmelden",
        purpose="beveiliging",
        confidentiality=audit.Confidentiality.NORMAL,
    )


def sign_out_everywhere(user: User) -> None:
    """Every session of this account, on every device, stops being valid."""
    user.session_version += 1
    audit.record(
        audit.Action.SIGN_OUT,
        user=user,
        processing_activity="aanmelden",
        purpose="overal afmelden",
        confidentiality=audit.Confidentiality.NORMAL,
    )


def load_session_user(session_id: str) -> Optional[User]:
    """Flask-Login's loader: `id:version`; an older version (signed out everywhere) is refused."""
    try:
        user_id, version = (int(part) for part in session_id.split(":", 1))
    except ValueError:
        return None
    user = db.session.get(User, user_id)
    if user is None or user.session_version != version or not user.active or user.vog_date is None:
        return None
    return user
