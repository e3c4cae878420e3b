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
    # Gapless once sealed: a missing number is a deleted row. NULL, with the hashes, only while
    # the transaction that wrote the entry is still open (`seal`).
    seq: Mapped[Optional[int]] = mapped_column(unique=True)
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
    prev_hash: Mapped[Optional[str]] = mapped_column(sa.String(64))
    hash: Mapped[Optional[str]] = mapped_column(sa.String(64))

    __table_args__ = (
        sa.CheckConstraint(
            "(seq IS NULL) = (hash IS NULL) AND (seq IS NULL) = (prev_hash IS NULL)",
            name="sealed_whole",
        ),
        # Finds the entries still to seal at commit at once.
        sa.Index(
            "ix_audit_entry_unsealed",
            "id",
            postgresql_where=sa.text("seq IS NULL"),
            sqlite_where=sa.text("seq IS NULL"),
        ),
    )

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


_UNSEALED = "audit_unsealed"


def _lock_chain(session) -> None:
    # The chain is a single sequence: sealers queue for it. PostgreSQL takes a
    # transaction-scoped advisory lock; SQLite serialises writers by itself.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(7261001)"))


def seal(session) -> int:
    """Give the entries this transaction wrote their place in the chain: number them after the
    last sealed entry and hash them. Runs just before the commit (`before_commit` below), so the
    chain's lock is held for these few statements and the commit only, never while a page is
    rendered or a check is worked out: writers no longer queue for the whole request
    (docs/benchmarks.md). The entries and their seal commit together, or neither does."""
    ids = session.info.pop(_UNSEALED, [])
    if not ids:
        return 0
    # Only this transaction's own entries (from the identity map, so usually without a query):
    # a row slipped into the table around `record` stays outside the chain, where verify_chain
    # names it.
    session.flush()
    entries = (session.get(AuditEntry, entry_id) for entry_id in sorted(set(ids)))
    pending = [entry for entry in entries if entry is not None and entry.seq is None]
    if not pending:
        return 0
    _lock_chain(session)
    last = session.execute(
        sa.select(AuditEntry.seq, AuditEntry.hash)
        .where(AuditEntry.seq.is_not(None))
        .order_by(AuditEntry.seq.desc())
        .limit(1)
    ).first()
    seq, prev_hash = (last.seq, last.hash) if last else (0, GENESIS)
    for entry in pending:
        seq += 1
        entry.seq, entry.prev_hash = seq, prev_hash
        entry.hash = prev_hash = entry.compute_hash()
    session.flush()
    return len(pending)


@sa.event.listens_for(db.session, "before_commit")
def _seal_before_commit(session) -> None:
    if session.info.get(_UNSEALED):
        seal(session)


@sa.event.listens_for(db.session, "after_rollback")
def _forget_unsealed(session) -> None:
    session.info.pop(_UNSEALED, None)


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
    """Write one entry. Flushes; the caller commits with its own work, and the commit seals the
    entry into the chain (`seal`).

    `user` is the staff member acting; `partner` names the organisation when no staff member does
    (a partner system calling the API)."""
    session = db.session
    now = utcnow()
    entry = AuditEntry(
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
    )
    session.add(entry)
    session.flush()
    session.info.setdefault(_UNSEALED, []).append(entry.id)
    return entry


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    kind: str  # "altered", "missing", "inserted", "unsealed"
    message: str


def verify_chain(batch_size: int = 2000) -> Optional[ChainProblem]:
    """Walk the chain in order and name the first altered, missing or inserted row; then any
    committed entry left outside the chain."""
    problem = _walk_chain(batch_size)
    if problem is not None:
        return problem
    # This session's own entries are sealed when it commits; any other is outside the chain.
    own = db.session.info.get(_UNSEALED, [])
    unsealed = db.session.scalar(
        sa.select(sa.func.min(AuditEntry.id)).where(
            AuditEntry.seq.is_(None), AuditEntry.id.not_in(own)
        )
    )
    if unsealed is not None:
        return ChainProblem(
            0, "unsealed", f"entry id {unsealed} is not in the chain: it was written around it"
        )
    return None


def _walk_chain(batch_size: int) -> Optional[ChainProblem]:
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
