"""The audit trail: append-only, hash-chained entries for every read and write of personal data,
every export and every sign-in.

Fields follow the VNG *verwerkingenlogging* idea: the processing activity, its purpose, the
confidentiality of what was touched, and how long the entry itself is kept. An entry never holds
personal data itself, only ids, so an erasure never has to rewrite the chain.
"""
from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from flask import has_request_context, request
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models import utcnow

GENESIS = "0" * 64
# Audit lines are kept as long as the case data they describe can exist (Privacyreglement,
# Bewaartermijn: fifteen years after the help ended), plus the year the help may still last.
AUDIT_RETENTION_YEARS = 16


class Action(enum.Enum):
    READ = "read"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    EXPORT = "export"
    SIGN_IN = "sign_in"
    SIGN_IN_FAILED = "sign_in_failed"
    SIGN_OUT = "sign_out"


class Confidentiality(enum.Enum):
    NORMAL = "normal"
    CONFIDENTIAL = "confidential"  # case content, special categories


class AuditEntry(db.Model):
    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(unique=True)  # gapless; a missing number is a deleted row
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    user_id: Mapped[Optional[int]] = mapped_column(index=True)
    partner_code: Mapped[Optional[str]] = mapped_column(sa.String(40))
    role: Mapped[Optional[str]] = mapped_column(sa.String(40))
    on_behalf_of: Mapped[Optional[str]] = mapped_column(sa.String(100))
    person_id: Mapped[Optional[int]] = mapped_column(index=True)
    case_id: Mapped[Optional[int]] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(sa.String(20))
    object_type: Mapped[Optional[str]] = mapped_column(sa.String(40))
    object_id: Mapped[Optional[int]]
    processing_activity: Mapped[str] = mapped_column(sa.String(100))
    purpose: Mapped[str] = mapped_column(sa.String(200))
    confidentiality: Mapped[str] = mapped_column(sa.String(20))
    retain_until: Mapped[date]
    client_address: Mapped[Optional[str]] = mapped_column(sa.String(64))
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))

    CHAINED = (
        "seq", "at", "user_id", "partner_code", "role", "on_behalf_of", "person_id", "case_id",
        "action", "object_type", "object_id", "processing_activity", "purpose",
        "confidentiality", "retain_until", "client_address", "prev_hash",
    )

    def compute_hash(self) -> str:
        payload = {}
        for name in self.CHAINED:
            value = getattr(self, name)
            if isinstance(value, datetime):
                # SQLite returns naive datetimes; hash a form every backend gives back the same.
                value = value.replace(tzinfo=None).isoformat(timespec="microseconds")
            elif isinstance(value, date):
                value = value.isoformat()
            payload[name] = value
        canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def years_after(day: date, years: int) -> date:
    """The same date `years` later; 29 February becomes 1 March in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def _lock_chain(session) -> None:
    # The chain is a single sequence: writers queue for it. PostgreSQL takes a transaction-scoped
    # advisory lock; SQLite serialises writers by itself.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(7261001)"))


def record(
    action: Action,
    *,
    user=None,
    partner=None,
    processing_activity: str,
    purpose: str,
    person_id: Optional[int] = None,
    case_id: Optional[int] = None,
    object_type: Optional[str] = None,
    object_id: Optional[int] = None,
    on_behalf_of: Optional[str] = None,
    confidentiality: Confidentiality = Confidentiality.CONFIDENTIAL,
) -> AuditEntry:
    """Append one entry to the chain. Flushes; the caller commits with its own work.

    `user` is the staff member acting; `partner` names the organisation when no staff member does
    (a partner system calling the API)."""
    session = db.session
    _lock_chain(session)
    last = session.execute(
        sa.select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    now = utcnow()
    entry = AuditEntry(
        seq=(last.seq + 1) if last else 1,
        at=now,
        user_id=getattr(user, "id", None),
        partner_code=(
            user.partner.code if user is not None else partner.code if partner is not None else None
        ),
        role=user.role.value if user is not None else None,
        on_behalf_of=on_behalf_of,
        person_id=person_id,
        case_id=case_id,
        action=action.value,
        object_type=object_type,
        object_id=object_id,
        processing_activity=processing_activity,
        purpose=purpose,
        confidentiality=confidentiality.value,
        retain_until=years_after(now.date(), AUDIT_RETENTION_YEARS),
        client_address=request.remote_addr if has_request_context() else None,
        prev_hash=last.hash if last else GENESIS,
    )
    entry.hash = entry.compute_hash()
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    kind: str  # "altered", "missing", "inserted"
    message: str


def verify_chain(batch_size: int = 2000) -> Optional[ChainProblem]:
    """Walk the chain in order and name the first altered, missing or inserted row."""
    expected_seq = 1
    prev_hash = GENESIS
    offset_seq = 0
    while True:
        rows = db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.seq > offset_seq)
            .order_by(AuditEntry.seq)
            .limit(batch_size)
        ).all()
        if not rows:
            return None
        for entry in rows:
            if entry.seq != expected_seq:
                return ChainProblem(
                    expected_seq, "missing", f"row {expected_seq} is missing (next is {entry.seq})"
                )
            if entry.prev_hash != prev_hash:
                return ChainProblem(
                    entry.seq, "inserted",
                    f"row {entry.seq} does not follow row {entry.seq - 1}: "
                    "a row was inserted or replaced",
                )
            if entry.compute_hash() != entry.hash:
                return ChainProblem(entry.seq, "altered", f"row {entry.seq} was altered")
            prev_hash = entry.hash
            expected_seq += 1
            offset_seq = entry.seq
        db.session.expunge_all()
