"""The audit trail: append-only, hash-chained entries for every read and write of personal data,
every export and every sign-in.

Fields follow the VNG *verwerkingenlogging* idea: the processing activity, its purpose, the
confidentiality of what was touched, and how long the entry itself is kept. An entry never holds
personal data itself, only ids, so an erasure never has to rewrite the chain.

An entry is written in the transaction of the work it records and sealed into the chain (its
gapless `seq` and hashes) when a transaction commits (`seal`). The chain shows a row altered,
deleted or slipped in between sealed rows; it has no secret, so it does not stop someone who may
write the database from rebuilding it whole: database rights and backups guard against that
(docs/security.md, docs/operations.md).
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
        return chain_hash(self)


def chain_hash(entry) -> str:
    """The hash of an entry, or of a row read without the ORM, over the chained fields."""
    payload = {}
    for name in AuditEntry.CHAINED:
        value = getattr(entry, name)
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
_CHAIN_LOCK = 7261001


def _lock_chain(session, *, wait: bool) -> bool:
    """The chain is one sequence, so one transaction at a time seals. PostgreSQL: a
    transaction-scoped advisory lock, waited for or only tried. SQLite serialises writers by
    itself."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    if wait:
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})
        return True
    return bool(
        session.scalar(sa.text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})
    )


def seal(session, *, wait: bool = False) -> int:
    """Number and hash every entry not yet in the chain, after the last sealed one, and return
    how many. Runs just before each commit that wrote entries (`before_commit` below), inside
    that transaction.

    Writing an entry takes no lock (`record`), so requests never queue for the chain while a page
    is rendered or a check is worked out. Sealing only tries the chain's lock: when another
    transaction is sealing, this one commits its entries unsealed and the next sealer takes them
    along, many at once. So under load commits do not wait for each other either
    (docs/benchmarks.md); when the portal is quiet every commit seals its own entries. An entry
    waiting to be sealed is committed all the same; `flask audit seal` seals what is left
    (`wait=True` waits for the lock)."""
    session.info.pop(_UNSEALED, None)
    session.flush()
    if not _lock_chain(session, wait=wait):
        return 0
    pending = session.scalars(
        sa.select(AuditEntry).where(AuditEntry.seq.is_(None)).order_by(AuditEntry.id)
    ).all()
    if not pending:
        return 0
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


def waiting_to_be_sealed() -> int:
    """Committed entries not yet in the chain (`seal`)."""
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.seq.is_(None))
    )


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
    session.info[_UNSEALED] = True
    return entry


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    kind: str  # "altered", "missing", "inserted"
    message: str


def verify_chain(batch_size: int = 2000) -> Optional[ChainProblem]:
    """Walk the chain in order and name the first altered, missing or inserted row. Entries
    waiting to be sealed are not in the chain yet (`waiting_to_be_sealed`)."""
    return _walk_chain(batch_size)


def _walk_chain(batch_size: int) -> Optional[ChainProblem]:
    expected_seq = 1
    prev_hash = GENESIS
    offset_seq = 0
    while True:
        # Plain rows, not ORM objects: the caller's session keeps what it holds.
        rows = db.session.execute(
            sa.select(*AuditEntry.__table__.c)
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
            if chain_hash(entry) != entry.hash:
                return ChainProblem(entry.seq, "altered", f"row {entry.seq} was altered")
            prev_hash = entry.hash
            expected_seq += 1
            offset_seq = entry.seq
