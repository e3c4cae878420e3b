"""Staff sign-in rules: argon2 passwords, TOTP second factor, lock-out, rate limit, VOG check.

Plain functions, tested without HTTP; `portal/auth_views.py` only wires them to forms. The rules
follow OWASP ASVS 4.0.3 level 2 (checklist in docs/security.md): passwords of 12 to 128
characters, any characters, no composition rules, common and guessable ones refused; a TOTP code
of the current or a neighbouring 30-second step, each step usable once.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Optional

import pyotp
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _

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


def locked_until(user: User) -> Optional[datetime]:
    """When the account's lock after too many failures ends, while it is locked; else None."""
    until = _aware(user.locked_until)
    return until if until is not None and until > utcnow() else None


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


def register_failure(user: User, purpose: str = "beveiliging") -> None:
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
        purpose=purpose,
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
    if (until := locked_until(user)) is not None:
        return SignInResult(Outcome.LOCKED, locked_until=until)
    if not check_password(user, password):
        register_failure(user)
        if (until := locked_until(user)) is not None:
            return SignInResult(Outcome.LOCKED, locked_until=until)
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


class TotpResult(enum.Enum):
    OK = "ok"
    WRONG = "wrong"
    REUSED = "reused"  # a right code of a step already used: replayed or shoulder-surfed


# Steps accepted on either side of the current one: a phone clock up to 30 seconds off still works
# (ASVS 2.8.1: a code lives at most 90 seconds).
TOTP_DRIFT_STEPS = 1


def verify_totp(
    user: User, code: str, secret: Optional[str] = None, at: Optional[datetime] = None
) -> TotpResult:
    """A six-digit code of this or the neighbouring 30-second step, each step usable once
    (ASVS 2.8.4): a step at or before the last one used is refused, even with the right code."""
    secret = secret or user.totp_secret
    code = (code or "").strip().replace(" ", "")
    if not secret or not code.isdigit() or len(code) != 6:
        return TotpResult.WRONG
    totp = pyotp.TOTP(secret)
    now = at or utcnow()
    current_step = int(now.timestamp()) // totp.interval
    reused = False
    for offset in range(-TOTP_DRIFT_STEPS, TOTP_DRIFT_STEPS + 1):
        step = current_step + offset
        if not pyotp.utils.strings_equal(totp.generate_otp(step), code):
            continue
        if user.totp_last_step is not None and step <= user.totp_last_step:
            reused = True
            continue
        user.totp_last_step = step
        return TotpResult.OK
    return TotpResult.REUSED if reused else TotpResult.WRONG


def check_totp(
    user: User, code: str, secret: Optional[str] = None, at: Optional[datetime] = None
) -> bool:
    return verify_totp(user, code, secret=secret, at=at) is TotpResult.OK


# --- password rules (ASVS 2.1) ----------------------------------------------------------------

MIN_PASSWORD_LENGTH = 12  # ASVS 2.1.1, counted after runs of spaces are taken as one
MAX_PASSWORD_LENGTH = 128  # ASVS 2.1.2: 64 and more allowed, above 128 refused
# Passwords and passphrases of 12 characters or more that are tried first in any guessing attack,
# and words anyone could guess for this portal. Compared without case, spaces and punctuation.
COMMON_PASSWORDS = frozenset(
    {
        "123456789012", "1234567890123", "12345678901234", "123456123456", "111111111111",
        "000000000000", "123123123123", "121212121212", "987654321098", "123456654321",
        "qwertyuiopas", "qwertyuiop123", "qwerty123456", "qwertyqwerty", "1q2w3e4r5t6y",
        "azertyuiop12", "asdfghjkl123", "asdfasdfasdf", "zxcvbnm12345", "1qaz2wsx3edc",
        "password1234", "password12345", "password123456", "passwordpassword",
        "mypassword123", "letmein12345", "welcome12345", "welcome123456", "iloveyou1234",
        "abcdefghijkl", "abcdef123456", "abc123abc123", "aaaaaaaaaaaa", "changeme1234",
        "administrator", "administrator1", "admin1234567", "adminadmin123", "superman1234",
        "princess1234", "sunshine1234", "football1234", "baseball1234", "starwars1234",
        "monkey123456", "dragon123456", "master123456", "trustno11234", "correcthorsebatterystaple",
        "wachtwoord12", "wachtwoord123", "wachtwoord1234", "wachtwoordwachtwoord",
        "welkom123456", "welkom1234567", "welkomwelkom", "geheim123456", "geheimgeheim",
        "zomer2024zomer", "voorjaar2025", "nijmegen1234", "nijmegen12345", "regieteam123",
        "regieteam1234", "regieteams123", "privacyportaal", "privacyportaal1",
        "demowachtwoord",
    }
)
CONTEXT_WORDS = ("regieteam", "nijmegen", "privacyportaal", "wachtwoord", "password")


def _squeeze(password: str) -> str:
    return re.sub(" {2,}", " ", password)


def _plain(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def password_problem(password: str, *, email: str = "", name: str = "") -> Optional[str]:
    """Why this new password is refused (a code), or None. No composition rules (ASVS 2.1.9):
    length, and not a common or guessable one (2.1.7). Nothing is truncated or changed (2.1.3):
    the password is hashed as typed; only the length counts runs of spaces as one."""
    password = password or ""
    length = len(_squeeze(password))
    if length < MIN_PASSWORD_LENGTH:
        return "too_short"
    if len(password) > MAX_PASSWORD_LENGTH:
        return "too_long"
    plain = _plain(password)
    if plain in COMMON_PASSWORDS or len(set(plain)) <= 2:
        return "common"
    # Only a word everybody knows plus a few digits or signs: "Regieteam2026!".
    for word in CONTEXT_WORDS:
        if word in plain and len(plain) - len(word) < 8:
            return "guessable"
    local = _plain(email.split("@", 1)[0]) if email else ""
    names = [_plain(part) for part in name.split()] if name else []
    for part in [local, *names]:
        if len(part) >= 4 and part in plain and len(plain) - len(part) < 8:
            return "guessable"
    return None


def password_message(problem: str) -> str:
    match problem:
        case "wrong_current":
            return _("Het huidige wachtwoord klopt niet.")
        case "unchanged":
            return _("Het nieuwe wachtwoord is hetzelfde als het huidige.")
        case "too_short":
            return _("Gebruik minstens %(count)s tekens.", count=MIN_PASSWORD_LENGTH)
        case "too_long":
            return _("Gebruik hoogstens %(count)s tekens.", count=MAX_PASSWORD_LENGTH)
        case _:
            return _(
                "Dit wachtwoord is te makkelijk te raden. Kies een langere zin van een paar "
                "woorden die niet over u of het Regieteam gaat."
            )


def change_password(user: User, current: str, new: str) -> Optional[str]:
    """The person's own change (ASVS 2.1.5, 2.1.6): needs the current password. Returns the
    problem code, or None after the change. Every other session ends (ASVS 3.3.3)."""
    if not check_password(user, current or ""):
        register_failure(user, purpose="wachtwoord wijzigen: huidig wachtwoord onjuist")
        return "wrong_current"
    if new == current:
        return "unchanged"
    problem = password_problem(new, email=user.email, name=user.name)
    if problem is not None:
        return problem
    user.password_hash = hash_password(new)
    user.password_temporary = False
    user.session_version += 1
    audit.record(
        audit.Action.UPDATE,
        user=user,
        processing_activity="aanmelden",
        purpose="wachtwoord gewijzigd",
        object_type="staff_user",
        object_id=user.id,
        confidentiality=audit.Confidentiality.NORMAL,
    )
    return None


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
