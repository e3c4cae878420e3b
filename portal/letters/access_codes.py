"""One-time sign-in codes printed on letters, for the citizen portal (issue 5 builds the sign-in).

A code has two forms on the letter:
- the QR code holds a link with an itsdangerous-signed token (app SECRET_KEY, own salt): altering
  any character breaks the signature;
- the same secret typed by hand, twelve characters without look-alikes (0/O, 1/I), for people who
  cannot scan. Only a keyed hash of it is stored, so the database alone cannot sign anyone in;
  guessing is for the sign-in form's rate limit to stop (60 bits of randomness per code).
Either form works once, until it expires (LETTER_CODE_DAYS, 60 by default) or staff revoke it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Optional

import segno
import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadData, BadSignature, SignatureExpired, URLSafeTimedSerializer
from itsdangerous.encoding import base64_decode, base64_encode

from portal import audit
from portal.crypto import lookup_hash
from portal.extensions import db
from portal.letters.models import AccessCode
from portal.models import Person, User, utcnow
from portal.operations import RuleViolation

SALT = "portal.letters.access-code"
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # 32 symbols: 5 bits each
CODE_LENGTH = 12
CODE_PATH = "/mijn/code/"  # where issue 5's sign-in takes the token from the QR code

MESSAGES = {
    "invalid": "Deze code klopt niet. Controleer de code op uw brief.",
    "expired": "Deze code is verlopen. Vraag de gemeente om een nieuwe code.",
    "used": "Deze code is al gebruikt. Een code werkt maar één keer.",
    "revoked": "Deze code is ingetrokken. Vraag de gemeente om een nieuwe code.",
}


class AccessCodeError(RuleViolation):
    """The code cannot be used; `code` says why (invalid, expired, used, revoked)."""

    def __init__(self, reason: str):
        super().__init__(reason, MESSAGES[reason])


@dataclass(frozen=True)
class IssuedCode:
    row: AccessCode
    code: str  # as printed: XXXX-XXXX-XXXX
    token: str  # signed, in the QR link
    url: str
    expires_at: datetime

    def qr_data_url(self) -> str:
        return qr_data_url(self.url)


def qr_data_url(url: str) -> str:
    """An SVG QR code as a data: URL, the only kind of image a letter may contain."""
    return segno.make(url, error="m").svg_data_uri(scale=4, border=2)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def normalise(code: str) -> str:
    """Upper case, without the spaces and dashes people type."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _format(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def _as_utc(moment: datetime) -> datetime:
    # SQLite gives naive datetimes back; they are UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def sign_in_url() -> str:
    """Where a person types the code by hand."""
    return current_app.config["CITIZEN_PORTAL_URL"].rstrip("/") + CODE_PATH.rstrip("/")


def code_url(token: str) -> str:
    """The link in the QR code: the sign-in page with the signed token."""
    return sign_in_url() + "/" + token


def issue_code(
    person: Person, *, actor: Optional[User], now: Optional[datetime] = None
) -> IssuedCode:
    """A new one-time code for `person`. Flushes and audits; the caller commits."""
    now = _as_utc(now or utcnow())
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    expires_at = now + timedelta(days=current_app.config["LETTER_CODE_DAYS"])
    row = AccessCode(
        person=person,
        code_hash=lookup_hash(normalise(code)),
        issued_at=now,
        issued_by_id=actor.id if actor is not None else None,
        expires_at=expires_at,
    )
    db.session.add(row)
    db.session.flush()
    audit.record(
        audit.Action.CREATE,
        user=actor,
        person_id=person.id,
        object_type="access_code",
        object_id=row.id,
        processing_activity="brieven",
        purpose="inlogcode op brief uitgeven",
    )
    token = _serializer().dumps(code)
    return IssuedCode(row, _format(code), token, code_url(token), expires_at)


def _canonical(token: str) -> bool:
    """Base64 leaves spare bits in a last character: 'A' and 'B' can decode to the same bytes.
    Only the form we printed counts, so any changed character makes the token invalid."""
    parts = token.split(".")
    if len(parts) != 3:
        return False
    try:
        return all(base64_encode(base64_decode(part)) == part.encode() for part in parts)
    except (BadData, ValueError):
        return False


def _secret_from(code_or_token: str) -> str:
    """The secret of a typed code, or of a token whose signature holds."""
    text = (code_or_token or "").strip()
    if len(normalise(text)) == CODE_LENGTH and len(text) <= CODE_LENGTH + 4:
        return normalise(text)
    if CODE_PATH in text:  # the whole link, pasted
        text = text.rsplit(CODE_PATH, 1)[1]
    if not _canonical(text):
        raise AccessCodeError("invalid")
    max_age = current_app.config["LETTER_CODE_DAYS"] * 86400
    try:
        secret = _serializer().loads(text, max_age=max_age)
    except SignatureExpired as problem:
        raise AccessCodeError("expired") from problem
    except BadSignature as problem:
        raise AccessCodeError("invalid") from problem
    if not isinstance(secret, str):
        raise AccessCodeError("invalid")
    return normalise(secret)


def find_code(code_or_token: str) -> AccessCode:
    row = db.session.scalar(
        sa.select(AccessCode).where(
            AccessCode.code_hash == lookup_hash(_secret_from(code_or_token))
        )
    )
    if row is None:
        raise AccessCodeError("invalid")
    return row


def redeem_code(code_or_token: str, *, now: Optional[datetime] = None) -> Person:
    """The person the code belongs to, once; AccessCodeError otherwise. Flushes and audits.

    The update is conditional, so two sign-ins racing with the same code cannot both win."""
    now = _as_utc(now or utcnow())
    row = find_code(code_or_token)
    if row.revoked_at is not None:
        raise AccessCodeError("revoked")
    if row.used_at is not None:
        raise AccessCodeError("used")
    if now >= _as_utc(row.expires_at):
        raise AccessCodeError("expired")
    claimed = db.session.execute(
        sa.update(AccessCode)
        .where(
            AccessCode.id == row.id,
            AccessCode.used_at.is_(None),
            AccessCode.revoked_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise AccessCodeError("used")
    db.session.refresh(row)
    audit.record(
        audit.Action.SIGN_IN,
        person_id=row.person_id,
        object_type="access_code",
        object_id=row.id,
        processing_activity="brieven",
        purpose="inloggen met code van brief",
    )
    return row.person


def revoke_code(actor: User, row: AccessCode, *, now: Optional[datetime] = None) -> AccessCode:
    """Staff stop a code (a letter went to the wrong address, was lost, ...)."""
    if row.revoked_at is not None:
        raise RuleViolation("already_revoked", "Deze code is al ingetrokken.")
    if row.used_at is not None:
        raise RuleViolation("already_used", "Deze code is al gebruikt; intrekken kan niet meer.")
    row.revoked_at = _as_utc(now or utcnow())
    row.revoked_by_id = actor.id
    db.session.flush()
    audit.record(
        audit.Action.UPDATE,
        user=actor,
        person_id=row.person_id,
        object_type="access_code",
        object_id=row.id,
        processing_activity="brieven",
        purpose="inlogcode intrekken",
    )
    return row


def code_state(row: AccessCode, now: Optional[datetime] = None) -> str:
    """open, used, revoked or expired: what the letter history shows."""
    now = _as_utc(now or utcnow())
    if row.revoked_at is not None:
        return "revoked"
    if row.used_at is not None:
        return "used"
    if now >= _as_utc(row.expires_at):
        return "expired"
    return "open"
