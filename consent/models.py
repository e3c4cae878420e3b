"""The consent ledger and the legal-basis register.

Privacyprotocol art. 2, *Toestemming sub 1*: consent is informed and free, can always be withdrawn;
processing stops after withdrawal; what was processed before stays lawful and is not deleted
because of the withdrawal. Every decision is therefore an immutable event: the state at any moment
is a query over the events, and nothing is updated in place (enforced below for the ORM and, on
PostgreSQL, by a trigger in the migration).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.crypto import EncryptedText
from portal.extensions import db
from portal.models import DataDomain, Partner, Person, User, _enum, utcnow


class ConsentStatus(enum.Enum):
    GIVEN = "given"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


class Purpose(enum.Enum):
    """The purposes of Privacyprotocol art. 1 for which consent is asked."""

    # "het opstellen van een plan van aanpak op alle relevante leefgebieden"
    PLAN = "plan"
    # "regie te voeren over de uitvoering van deze plannen van aanpak" (progress, monitoring)
    REGIE = "regie"
    # "de overlast die veroorzaakt wordt door multiprobleemhuishoudens terug te dringen"
    OVERLAST = "overlast"


class Channel(enum.Enum):
    BEMOEIZORG_CONVERSATION = "bemoeizorg_conversation"
    IN_WRITING = "in_writing"
    ONLINE = "online"


class RecordedBy(enum.Enum):
    """Who put the decision on record."""

    CASE_MANAGER = "case_manager"
    PERSON = "person"
    PRIVACY_DESK = "privacy_desk"
    PROCESREGISSEUR = "procesregisseur"
    SYSTEM = "system"  # expiry


class ConsentEvent(db.Model):
    """One decision of one person on one (data domain × recipient partner × purpose)."""

    __tablename__ = "consent_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"))
    domain_id: Mapped[int] = mapped_column(sa.ForeignKey("data_domain.id"))
    recipient_id: Mapped[int] = mapped_column(sa.ForeignKey("partner.id"))
    purpose: Mapped[Purpose] = mapped_column(_enum(Purpose, "purpose"))
    status: Mapped[ConsentStatus] = mapped_column(_enum(ConsentStatus, "consent_status"))
    # When the decision took effect (the conversation, the signed form, the click); a withdrawal
    # takes effect when it is recorded.
    effective_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    recorded_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    recorded_by: Mapped[RecordedBy] = mapped_column(_enum(RecordedBy, "recorded_by"))
    recorder_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("staff_user.id"))
    channel: Mapped[Channel] = mapped_column(_enum(Channel, "channel"))
    # Informed consent: which version of the information text (letter template) was given.
    information_version: Mapped[Optional[str]] = mapped_column(sa.String(40))
    # Below 16 the legal representative decides (DESIGN.md, Person).
    representative_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("person.id"))
    case_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("regie_case.id"))
    expires_at: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))
    note: Mapped[Optional[str]] = mapped_column(EncryptedText)

    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    domain: Mapped[DataDomain] = relationship()
    recipient: Mapped[Partner] = relationship()
    recorder: Mapped[Optional[User]] = relationship()
    representative: Mapped[Optional[Person]] = relationship(foreign_keys=[representative_id])

    __table_args__ = (
        # The state query: the last event of one key at or before a moment.
        sa.Index(
            "ix_consent_event_key_time",
            "person_id",
            "domain_id",
            "recipient_id",
            "purpose",
            "effective_at",
            "id",
        ),
        sa.CheckConstraint("effective_at <= recorded_at", name="not_in_future"),
        sa.CheckConstraint(
            "status != 'given' OR information_version IS NOT NULL", name="given_is_informed"
        ),
        sa.CheckConstraint(
            "expires_at IS NULL OR (status = 'given' AND expires_at > effective_at)",
            name="expiry_on_grants",
        ),
    )

    def in_force_at(self, moment: datetime) -> bool:
        """True when this event, being the last one for its key, permits at `moment`."""
        if self.status is not ConsentStatus.GIVEN:
            return False
        expires = self.expires_at
        if expires is not None and expires.tzinfo is None:
            expires = expires.replace(tzinfo=moment.tzinfo)
        return expires is None or moment < expires


class ImmutableRecord(Exception):
    pass


# The database refuses to change a consent event too, whoever connects. Deleting stays possible
# for erasure (AVG art. 17) and the retention run. Used by the table's DDL and the migration.
NO_UPDATE_TRIGGER = {
    "sqlite": [
        "CREATE TRIGGER consent_event_no_update BEFORE UPDATE ON consent_event "
        "BEGIN SELECT RAISE(ABORT, 'consent events are never updated'); END"
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION consent_event_no_update() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'consent events are never updated'; END $$",
        "CREATE TRIGGER consent_event_no_update BEFORE UPDATE ON consent_event "
        "FOR EACH ROW EXECUTE FUNCTION consent_event_no_update()",
    ],
}
DROP_NO_UPDATE_TRIGGER = {
    "sqlite": ["DROP TRIGGER IF EXISTS consent_event_no_update"],
    "postgresql": [
        "DROP TRIGGER IF EXISTS consent_event_no_update ON consent_event",
        "DROP FUNCTION IF EXISTS consent_event_no_update()",
    ],
}


@event.listens_for(ConsentEvent.__table__, "after_create")
def _create_trigger(target, connection, **kw):
    for statement in NO_UPDATE_TRIGGER.get(connection.dialect.name, []):
        connection.exec_driver_sql(statement)


@event.listens_for(ConsentEvent.__table__, "after_drop")
def _drop_trigger(target, connection, **kw):
    for statement in DROP_NO_UPDATE_TRIGGER.get(connection.dialect.name, []):
        connection.exec_driver_sql(statement)


@event.listens_for(ConsentEvent, "before_update")
def _no_update(mapper, connection, target):
    raise ImmutableRecord("Consent events are never changed; record a new event instead.")


@event.listens_for(ConsentEvent, "before_delete")
def _no_delete(mapper, connection, target):
    # Only erasure (AVG art. 17) and the retention run remove events, with bulk statements of
    # their own; a withdrawal never does (Privacyprotocol art. 2).
    raise ImmutableRecord("Consent events are not deleted one by one; see erasure and retention.")


class Basis(enum.Enum):
    """The legal bases of Privacyprotocol art. 2 (AVG art. 6) and the secrecy exception."""

    CONSENT = "consent"  # sub 1
    VITAL_INTEREST = "vital_interest"  # sub 2: urgent, exceptional, motivated
    PUBLIC_TASK = "public_task"  # sub 3: a task laid down in a formal statute
    LEGITIMATE_INTEREST = "legitimate_interest"  # sub 4: never for the municipality
    FURTHER_PROCESSING = "further_processing"  # compatibility test a-e
    CONFLICT_OF_DUTIES = "conflict_of_duties"  # professional secrecy broken to prevent danger


class LegalBasisRecord(db.Model):
    """The recorded basis of one partner's processing in one case, phase and data domain, with the
    argued necessity the procesregisseur records (Privacyprotocol art. 1: proportionality and
    subsidiarity)."""

    __tablename__ = "legal_basis"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("regie_case.id"), index=True)
    phase: Mapped[int] = mapped_column(sa.SmallInteger)
    partner_id: Mapped[int] = mapped_column(sa.ForeignKey("partner.id"))
    domain_id: Mapped[int] = mapped_column(sa.ForeignKey("data_domain.id"))
    purpose: Mapped[Purpose] = mapped_column(_enum(Purpose, "purpose"))
    basis: Mapped[Basis] = mapped_column(_enum(Basis, "basis"))
    statute: Mapped[Optional[str]] = mapped_column(sa.String(200))
    proportionality: Mapped[str] = mapped_column(EncryptedText)
    subsidiarity: Mapped[str] = mapped_column(EncryptedText)
    urgency: Mapped[Optional[str]] = mapped_column(EncryptedText)
    conflict_of_duties: Mapped[Optional[str]] = mapped_column(EncryptedText)
    # Further processing: the compatibility test a-e (Privacyprotocol art. 2, Verdere verwerking).
    compatibility_a: Mapped[Optional[str]] = mapped_column(EncryptedText)
    compatibility_b: Mapped[Optional[str]] = mapped_column(EncryptedText)
    compatibility_c: Mapped[Optional[str]] = mapped_column(EncryptedText)
    compatibility_d: Mapped[Optional[str]] = mapped_column(EncryptedText)
    compatibility_e: Mapped[Optional[str]] = mapped_column(EncryptedText)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_user.id"))
    recorded_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    ended_at: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))

    partner: Mapped[Partner] = relationship()
    domain: Mapped[DataDomain] = relationship()
    recorded_by: Mapped[User] = relationship()

    __table_args__ = (
        sa.CheckConstraint("phase BETWEEN 1 AND 8", name="phase_range"),
        sa.CheckConstraint(
            "basis != 'public_task' OR statute IS NOT NULL", name="public_task_has_statute"
        ),
        sa.CheckConstraint(
            "basis != 'vital_interest' OR urgency IS NOT NULL", name="vital_interest_is_urgent"
        ),
        sa.CheckConstraint(
            "basis != 'conflict_of_duties' OR conflict_of_duties IS NOT NULL",
            name="conflict_is_documented",
        ),
        sa.Index("ix_legal_basis_lookup", "partner_id", "domain_id", "purpose", "case_id"),
    )


class ReuseStatus(enum.Enum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REFUSED = "refused"


class ReuseApproval(db.Model):
    """Privacyprotocol art. 5: a partner that learns data brought in by another partner may use it
    for its own tasks only when the partner that brought it in approves separately."""

    __tablename__ = "reuse_approval"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("regie_case.id"), index=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"))
    domain_id: Mapped[int] = mapped_column(sa.ForeignKey("data_domain.id"))
    source_partner_id: Mapped[int] = mapped_column(sa.ForeignKey("partner.id"))
    user_partner_id: Mapped[int] = mapped_column(sa.ForeignKey("partner.id"))
    own_task: Mapped[str] = mapped_column(EncryptedText)  # what the requesting partner wants it for
    status: Mapped[ReuseStatus] = mapped_column(_enum(ReuseStatus, "reuse_status"))
    requested_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_user.id"))
    decided_at: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))
    decided_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("staff_user.id"))
    reason: Mapped[Optional[str]] = mapped_column(EncryptedText)

    source_partner: Mapped[Partner] = relationship(foreign_keys=[source_partner_id])
    user_partner: Mapped[Partner] = relationship(foreign_keys=[user_partner_id])
    domain: Mapped[DataDomain] = relationship()

    __table_args__ = (
        sa.CheckConstraint("source_partner_id != user_partner_id", name="another_partner"),
        sa.CheckConstraint(
            "(status = 'requested') = (decided_at IS NULL)", name="decided_has_date"
        ),
        sa.Index(
            "ix_reuse_lookup", "person_id", "domain_id", "source_partner_id", "user_partner_id"
        ),
    )


class ApiKey(db.Model):
    """A partner system's key for the check API. Only a SHA-256 of the key is stored (the key is
    256 bits of randomness, so a slow hash adds nothing); the prefix finds the row."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(sa.ForeignKey("partner.id"), index=True)
    label: Mapped[str] = mapped_column(sa.String(100))
    prefix: Mapped[str] = mapped_column(sa.String(12), unique=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("staff_user.id"))
    revoked_at: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))

    partner: Mapped[Partner] = relationship()
