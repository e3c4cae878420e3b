"""Letters as sent: stored once with their hash, never rendered again; access codes; print batches.

"Every letter sent is stored once [...] and is never re-rendered differently later" (issue 4): the
PDF bytes are the record of what a household was told (Privacyprotocol art. 4), so a letter row is
never updated, and a download serves the stored bytes.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.crypto import EncryptedBytes
from portal.extensions import db
from portal.models import Case, Household, Person, User, _enum, utcnow


class LetterKind(enum.Enum):
    # Privacyprotocol art. 4; Afwegingskader stap 1 and stap 4 (before the plan).
    INFORMATION = "information"
    # AVG art. 12(3): the request, its deadline and a possible extension.
    ACKNOWLEDGEMENT = "acknowledgement"
    EXTENSION = "extension"
    # AVG art. 12(4) and UAVG art. 34: a decision is a besluit with the bezwaar clause.
    DECISION = "decision"
    ACCESS_REPORT = "access_report"  # the cover letter of the AVG art. 15 report
    # Afwegingskader stap 3: "De inbrenger informeert het huishouden in geval van niet oppakken".
    NOT_PICKED_UP = "not_picked_up"
    # Privacyprotocol art. 4 and 5: a right restricted for a while, told as soon as possible.
    RESTRICTION = "restriction"
    RESTRICTION_ENDED = "restriction_ended"
    # AVG art. 18(3): the person is told before a restriction of processing is lifted.
    PROCESSING_RESTRICTION_LIFTED = "processing_restriction_lifted"
    # Privacyprotocol art. 2: the person withdrew a consent online; the portal confirms it.
    WITHDRAWAL_CONFIRMATION = "withdrawal_confirmation"


class LetterChannel(enum.Enum):
    POST = "post"
    EMAIL = "email"
    PORTAL = "portal"


class AccessCode(db.Model):
    """A one-time code printed on a letter that lets the person sign in to the citizen portal.

    Only a keyed hash of the code is stored; the row says whether it may still be used."""

    __tablename__ = "letter_access_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    issued_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("staff_user.id"))
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    used_at: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))
    revoked_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("staff_user.id"))

    person: Mapped[Person] = relationship()

    __table_args__ = (
        sa.CheckConstraint("expires_at > issued_at", name="expires_after_issue"),
        sa.CheckConstraint(
            "revoked_at IS NULL OR revoked_by_id IS NOT NULL", name="revoked_by_someone"
        ),
    )


class Letter(db.Model):
    """One letter as it went out. The PDF is kept encrypted; `sha256` is over the PDF itself."""

    __tablename__ = "letter"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[LetterKind] = mapped_column(_enum(LetterKind, "letter_kind"))
    language: Mapped[str] = mapped_column(sa.String(5))
    template: Mapped[str] = mapped_column(sa.String(120))
    # The consent ledger's `information_version` names this (informed consent).
    template_version: Mapped[str] = mapped_column(sa.String(40), index=True)
    # A letter goes to a person; only the not-picked-up notice goes to a household, because a
    # signal that is not picked up leaves no personal data behind (Afwegingskader stap 3).
    person_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("person.id"), index=True)
    household_id: Mapped[int] = mapped_column(sa.ForeignKey("household.id"), index=True)
    case_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("regie_case.id"), index=True)
    request_reference: Mapped[Optional[str]] = mapped_column(sa.String(40), index=True)
    channel: Mapped[LetterChannel] = mapped_column(_enum(LetterChannel, "letter_channel"))
    pdf: Mapped[bytes] = mapped_column(EncryptedBytes, deferred=True)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size_bytes: Mapped[int]
    page_count: Mapped[int] = mapped_column(sa.SmallInteger)
    access_code_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("letter_access_code.id"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    # None: the person's own action in the citizen portal produced the letter (a confirmation),
    # which only ever goes out through the portal.
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("staff_user.id"))

    person: Mapped[Optional[Person]] = relationship()
    household: Mapped[Household] = relationship()
    case: Mapped[Optional[Case]] = relationship()
    created_by: Mapped[Optional[User]] = relationship()
    access_code: Mapped[Optional[AccessCode]] = relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "person_id IS NOT NULL OR kind = 'not_picked_up'", name="addressed_to_a_person"
        ),
        sa.CheckConstraint("length(sha256) = 64", name="sha256_hex"),
        sa.CheckConstraint("page_count > 0", name="has_pages"),
        sa.CheckConstraint(
            "created_by_id IS NOT NULL OR channel = 'portal'", name="staff_or_portal"
        ),
        sa.Index("ix_letter_person_created", "person_id", "created_at"),
    )


class ImmutableLetter(Exception):
    pass


@event.listens_for(Letter, "before_update")
def _never_changed(mapper, connection, target):
    # Deleting stays possible (erasure, AVG art. 17; the retention run); changing never is.
    raise ImmutableLetter("A sent letter is never changed; send a new letter instead.")


class LetterBatch(db.Model):
    """A print run of many letters. Items record their letter once it is stored, so a run that was
    interrupted continues where it stopped without sending anyone a letter twice."""

    __tablename__ = "letter_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    kind: Mapped[LetterKind] = mapped_column(_enum(LetterKind, "letter_kind"))
    language: Mapped[str] = mapped_column(sa.String(5))
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))

    created_by: Mapped[User] = relationship()
    items: Mapped[list[LetterBatchItem]] = relationship(
        back_populates="batch", order_by="LetterBatchItem.position"
    )


class LetterBatchItem(db.Model):
    __tablename__ = "letter_batch_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("letter_batch.id", ondelete="CASCADE"))
    position: Mapped[int]
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"))
    case_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("regie_case.id"))
    # Set in the same transaction that stores the letter: done exactly once.
    letter_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("letter.id"), unique=True)

    batch: Mapped[LetterBatch] = relationship(back_populates="items")
    person: Mapped[Person] = relationship()
    case: Mapped[Optional[Case]] = relationship()
    letter: Mapped[Optional[Letter]] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("batch_id", "position", name="uq_letter_batch_item_position"),
        sa.UniqueConstraint("batch_id", "person_id", "case_id", name="uq_letter_batch_item_target"),
    )
