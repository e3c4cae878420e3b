"""What the consent ledger destroys when the retention period ends (portal/retention.py).

Privacyreglement, *Bewaartermijn*: fifteen years after the help ended the data goes. Consent
events are never deleted one by one (consent/models.py): only this purger and erasure remove them,
with bulk statements.

For a person who stays (another case of the household is still kept) only the events recorded in
the destroyed case go. Deleting the last event of a key could bring an older decision back
("given" again after a withdrawal), so every earlier event of that key goes with it: the state
afterwards rests only on later events, or on none (no consent).
"""

from __future__ import annotations

import sqlalchemy as sa

from consent.models import ConsentEvent, LegalBasisRecord, ReuseApproval
from portal.extensions import db
from portal.retention import Scope, delete_where, register_purger

KEY = ("person_id", "domain_id", "recipient_id", "purpose")


def purge(scope: Scope) -> dict[str, int]:
    events = ConsentEvent.__table__
    rows = delete_where(events, events.c.person_id.in_(scope.person_ids))
    # Persons who stay: the destroyed case's events, and the earlier events of the same key.
    last_per_key = db.session.execute(
        sa.select(*(events.c[name] for name in KEY), events.c.effective_at, events.c.id)
        .where(events.c.case_id.in_(scope.case_ids))
        .order_by(events.c.effective_at, events.c.id)
    ).all()
    cutoffs: dict[tuple, tuple] = {}
    for row in last_per_key:
        cutoffs[tuple(row[:4])] = (row.effective_at, row.id)
    for key, (effective_at, event_id) in cutoffs.items():
        rows += delete_where(
            events,
            sa.and_(
                *(events.c[name] == value for name, value in zip(KEY, key, strict=True)),
                sa.or_(
                    events.c.effective_at < effective_at,
                    sa.and_(events.c.effective_at == effective_at, events.c.id <= event_id),
                ),
            ),
        )
    return {
        "consent_event": rows,
        "legal_basis": delete_where(
            LegalBasisRecord.__table__, LegalBasisRecord.case_id.in_(scope.case_ids)
        ),
        "reuse_approval": delete_where(
            ReuseApproval.__table__,
            sa.or_(
                ReuseApproval.case_id.in_(scope.case_ids),
                ReuseApproval.person_id.in_(scope.person_ids),
            ),
        ),
    }


def needs(person_ids: frozenset[int]) -> set[int]:
    """A representative who decided for a person who stays stays too (the event names them)."""
    return set(
        db.session.scalars(
            sa.select(ConsentEvent.representative_id).where(
                ConsentEvent.representative_id.in_(person_ids),
                ConsentEvent.person_id.not_in(person_ids),
            )
        )
    )


def register() -> None:
    register_purger(
        "consent",
        purge,
        tables=["consent_event", "legal_basis", "reuse_approval"],
        needs=needs,
    )
