"""State changes of the consent ledger. Each appends events, flushes and audits; never commits."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Optional

import sqlalchemy as sa

from consent.models import Channel, ConsentEvent, ConsentStatus, Purpose, RecordedBy
from portal import audit
from portal.extensions import db
from portal.models import Case, DataDomain, Partner, Person, User, utcnow
from portal.operations import RuleViolation


def as_utc(moment: datetime) -> datetime:
    """Every moment in the ledger is UTC; SQLite hands back naive values, which are UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _check_decider(person: Person, representative: Optional[Person], on: datetime) -> None:
    # Below 16 the legal representative gives or refuses consent (DESIGN.md, Person).
    if representative is not None and representative.id != person.legal_representative_id:
        raise RuleViolation(
            "not_the_representative",
            "Alleen de wettelijk vertegenwoordiger kan namens deze persoon beslissen.",
        )
    if person.is_minor_on(on.date()) and representative is None:
        raise RuleViolation(
            "representative_required",
            "Deze persoon is jonger dan 16: de wettelijk vertegenwoordiger beslist over "
            "toestemming.",
        )


def record_decision(
    actor: Optional[User],
    *,
    person: Person,
    domain: DataDomain,
    recipient: Partner,
    purpose: Purpose,
    status: ConsentStatus,
    recorded_by: RecordedBy,
    channel: Channel,
    information_version: Optional[str],
    effective_at: Optional[datetime] = None,
    representative: Optional[Person] = None,
    case: Optional[Case] = None,
    expires_at: Optional[datetime] = None,
    note: Optional[str] = None,
) -> ConsentEvent:
    """Record consent given or refused (Privacyprotocol art. 2: specific, informed, free).

    A refusal is kept as such: "Als geen toestemming verleend wordt, worden de gegevens waarop de
    verzochte toestemming ziet, niet verwerkt" (Afwegingskader stap 4).
    """
    now = utcnow()
    effective_at = as_utc(effective_at) if effective_at else now
    if status not in (ConsentStatus.GIVEN, ConsentStatus.REFUSED):
        raise RuleViolation(
            "wrong_status", "Leg hier alleen gegeven of geweigerde toestemming vast."
        )
    if effective_at > now:
        raise RuleViolation("in_future", "Een besluit kan niet in de toekomst liggen.")
    if status is ConsentStatus.GIVEN and not information_version:
        raise RuleViolation(
            "not_informed",
            "Toestemming telt alleen als de persoon is geïnformeerd: kies de informatiebrief "
            "die is gegeven.",
        )
    if expires_at is not None and (
        status is not ConsentStatus.GIVEN or as_utc(expires_at) <= effective_at
    ):
        raise RuleViolation(
            "bad_expiry", "Een einddatum hoort bij gegeven toestemming, na de start."
        )
    _check_decider(person, representative, effective_at)
    event = ConsentEvent(
        person_id=person.id,
        domain_id=domain.id,
        recipient_id=recipient.id,
        purpose=purpose,
        status=status,
        effective_at=effective_at,
        recorded_at=now,
        recorded_by=recorded_by,
        recorder_id=actor.id if actor else None,
        channel=channel,
        information_version=information_version,
        representative_id=representative.id if representative else None,
        case_id=case.id if case else None,
        expires_at=as_utc(expires_at) if expires_at else None,
        note=note,
    )
    db.session.add(event)
    db.session.flush()
    _audit(actor, event, audit.Action.CREATE, f"toestemming {status.value}")
    return event


# Namespace of the PostgreSQL advisory lock that queues withdrawals per person (the audit chain
# uses the single-number lock 7261001; two-number locks are a separate key space).
WITHDRAWAL_LOCK = 7261002


def _lock_withdrawals(person_id: int) -> None:
    """Two withdrawals at once (the person online while the case manager records the same) must
    not both find the consent in force and both record a withdrawal: on PostgreSQL they queue
    per person before reading the ledger, so the second reads the first one's withdrawal and is
    told there is nothing left to withdraw. SQLite serialises writers by itself (the second gets
    'database is locked' rather than a duplicate)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            sa.text(
                "SELECT pg_advisory_xact_lock(CAST(:space AS integer), CAST(:person AS integer))"
            ),
            {"space": WITHDRAWAL_LOCK, "person": person_id},
        )


def withdraw_consent(
    actor: Optional[User],
    *,
    person: Person,
    domain: DataDomain,
    recipient: Partner,
    purpose: Purpose,
    recorded_by: RecordedBy,
    channel: Channel,
    representative: Optional[Person] = None,
    note: Optional[str] = None,
) -> ConsentEvent:
    """Withdraw a consent with immediate effect (Privacyprotocol art. 2: "Verdere verwerking van
    persoonsgegevens dient na het intrekken van de toestemming te worden gestaakt"). Earlier
    processing stays lawful and nothing is deleted because of it."""
    from consent.check import state_at

    _lock_withdrawals(person.id)
    now = utcnow()
    current = state_at(person.id, domain.id, recipient.id, purpose, now)
    if current is None or not current.in_force_at(now):
        raise RuleViolation(
            "nothing_to_withdraw", "Er is geen geldende toestemming om in te trekken."
        )
    if representative is not None or person.is_minor_on(now.date()):
        _check_decider(person, representative, now)
    event = ConsentEvent(
        person_id=person.id,
        domain_id=domain.id,
        recipient_id=recipient.id,
        purpose=purpose,
        status=ConsentStatus.WITHDRAWN,
        effective_at=now,
        recorded_at=now,
        recorded_by=recorded_by,
        recorder_id=actor.id if actor else None,
        channel=channel,
        representative_id=representative.id if representative else None,
        case_id=current.case_id,
        note=note,
    )
    db.session.add(event)
    db.session.flush()
    _audit(actor, event, audit.Action.CREATE, "toestemming ingetrokken")
    # Every partner that relied on the consent is told: a notice in its outbox now, the email
    # after the commit (portal.notices.send_pending), never inside this transaction.
    from consent.reuse import notify_withdrawal

    notify_withdrawal(event)
    return event


def expire_due(now: Optional[datetime] = None) -> list[ConsentEvent]:
    """Put an EXPIRED event on record for every current grant whose end date has passed. The check
    already denies from the end date; this makes the ledger say so explicitly."""
    from consent.check import current_events

    now = as_utc(now or utcnow())
    expired = []
    candidates = db.session.scalars(
        sa.select(ConsentEvent).where(
            ConsentEvent.status == ConsentStatus.GIVEN, ConsentEvent.expires_at <= now
        )
    ).all()
    for grant in candidates:
        latest = current_events(grant.person_id, key=_key(grant))
        if not latest or latest[0].id != grant.id:
            continue
        event = ConsentEvent(
            person_id=grant.person_id,
            domain_id=grant.domain_id,
            recipient_id=grant.recipient_id,
            purpose=grant.purpose,
            status=ConsentStatus.EXPIRED,
            effective_at=as_utc(grant.expires_at),
            recorded_at=now,
            recorded_by=RecordedBy.SYSTEM,
            channel=grant.channel,
            case_id=grant.case_id,
        )
        db.session.add(event)
        db.session.flush()
        _audit(None, event, audit.Action.CREATE, "toestemming verlopen")
        expired.append(event)
    return expired


def _key(event: ConsentEvent) -> tuple:
    return (event.domain_id, event.recipient_id, event.purpose)


def _audit(actor: Optional[User], event: ConsentEvent, action: audit.Action, purpose: str) -> None:
    audit.record(
        action,
        user=actor,
        person_id=event.person_id,
        case_id=event.case_id,
        object_type="consent_event",
        object_id=event.id,
        processing_activity="toestemmingsregister",
        purpose=purpose,
        on_behalf_of=f"person:{event.person_id}"
        if event.recorded_by is RecordedBy.PERSON
        else None,
    )
