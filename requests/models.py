"""Privacy requests of data subjects (AVG art. 15-18, 21; Privacyreglement, *Rechten van
betrokkene*; Privacyprotocol art. 5: "cliënt heeft recht de verantwoordelijke te verzoeken om
inzage, rectificatie beperking of wissen van zijn persoonsgegevens en het recht om bezwaar in te
dienen tegen verwerking van zijn persoonsgegevens").

The college van B&W is controller; its privacy desk processes the requests. All state changes
are in `requests/operations.py`; the database enforces what the code relies on.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.crypto import EncryptedText
from portal.extensions import db
from portal.models import Person, User, _enum, utcnow


class RequestType(enum.Enum):
    ACCESS = "access"
    RECTIFICATION = "rectification"
    ERASURE = "erasure"
    RESTRICTION = "restriction"
    OBJECTION = "objection"

    @property
    def article(self) -> int:
        """The AVG article of the right."""
        return {"access": 15, "rectification": 16, "erasure": 17, "restriction": 18,
                "objection": 21}[self.value]  # fmt: skip


class Channel(enum.Enum):
    ONLINE = "online"  # the citizen portal
    LETTER = "letter"
    DESK = "desk"
    EMAIL = "email"


class FiledBy(enum.Enum):
    """Who filed: the data subject, the legal representative of a minor (below 16, DESIGN.md),
    or a guardian (curator or mentor) of a person under guardianship."""

    SUBJECT = "subject"
    LEGAL_REPRESENTATIVE = "legal_representative"
    GUARDIAN = "guardian"


class Status(enum.Enum):
    RECEIVED = "received"
    IDENTITY_TO_VERIFY = "identity_to_verify"
    IN_PROGRESS = "in_progress"
    EXTENDED = "extended"
    DECIDED = "decided"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


# The deadline runs in these states (AVG art. 12(3)); after them the request is answered.
OPEN_STATUSES = frozenset(
    {Status.RECEIVED, Status.IDENTITY_TO_VERIFY, Status.IN_PROGRESS, Status.EXTENDED}
)
FINISHED_STATUSES = frozenset({Status.CLOSED, Status.WITHDRAWN})


class Outcome(enum.Enum):
    GRANTED = "granted"
    PARTLY_GRANTED = "partly_granted"
    REFUSED = "refused"
    # Not handled, e.g. when the requester could not be identified (AVG art. 11(2), 12(2)).
    NOT_HANDLED = "not_handled"


class IdentityMethod(enum.Enum):
    """How identity was established, proportionately. A copy of an ID document is never kept."""

    DIGID = "digid"
    LETTER_CODE = "letter_code"  # a code sent to the address on record, returned by the person
    DESK_ID_DOCUMENT_SEEN = "desk_id_document_seen"  # shown at the desk, not copied
    KNOWN_IN_PERSON = "known_in_person"  # known to the professional who passed the request on


class EventKind(enum.Enum):
    """The steps shown on the request's timeline."""

    REGISTERED = "registered"
    IDENTITY_REQUESTED = "identity_requested"
    IDENTITY_ESTABLISHED = "identity_established"
    PROCESSING_STARTED = "processing_started"
    EXTENDED = "extended"
    DECIDED = "decided"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"
    ASSIGNED = "assigned"
    DEADLINE_CHANGED = "deadline_changed"  # an administrator added or removed a holiday
    # Carrying out the right (requests/rights.py and the modules beside it).
    ACCESS_REPORT_SENT = "access_report_sent"
    RECTIFIED = "rectified"
    ERASED = "erased"
    PROCESSING_RESTRICTED = "processing_restricted"
    PROCESSING_RESTRICTION_LIFTED = "processing_restriction_lifted"
    OBJECTION_CARRIED_OUT = "objection_carried_out"
    # Privacyprotocol art. 5: the right itself restricted for a while, and the person told later.
    RIGHT_RESTRICTED = "right_restricted"
    RIGHT_RESTRICTION_TOLD = "right_restriction_told"
    RIGHT_RESTRICTION_ENDED = "right_restriction_ended"


class RightRestrictionGround(enum.Enum):
    """Privacyprotocol art. 5: a right is restricted "alleen [...] indien sprake is van de
    vrijwaring van een vitaal belang of conflict van plichten" - no other ground."""

    VITAL_INTEREST = "vital_interest"
    CONFLICT_OF_DUTIES = "conflict_of_duties"


# The languages letters about a request are written in (portal/letters/registry.py LANGUAGES).
LETTER_LANGUAGES = ("nl", "en")


class PrivacyRequest(db.Model):
    """One request of a data subject (or their representative) to exercise a right."""

    __tablename__ = "privacy_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[RequestType] = mapped_column(_enum(RequestType, "request_type"))
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"), index=True)
    filed_by: Mapped[FiledBy] = mapped_column(
        _enum(FiledBy, "request_filed_by"), default=FiledBy.SUBJECT
    )
    representative_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("person.id"))
    # A guardian who is no person in the portal (a professional curator, for instance).
    representative_name: Mapped[Optional[str]] = mapped_column(EncryptedText)
    channel: Mapped[Channel] = mapped_column(_enum(Channel, "request_channel"))
    received_on: Mapped[date]
    registered_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("staff_user.id"))
    registered_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    description: Mapped[Optional[str]] = mapped_column(EncryptedText)
    status: Mapped[Status] = mapped_column(
        _enum(Status, "request_status"), default=Status.RECEIVED, index=True
    )
    # Derived by requests/deadlines.py from receipt, extension, identity waits and holidays;
    # stored so that the queue sorts in SQL. Recomputed by every operation that changes an input.
    deadline: Mapped[date] = mapped_column(index=True)

    identity_method: Mapped[Optional[IdentityMethod]] = mapped_column(
        _enum(IdentityMethod, "identity_method")
    )
    identity_established_on: Mapped[Optional[date]]
    identity_established_by_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("staff_user.id")
    )

    extended_on: Mapped[Optional[date]]
    extension_reasons: Mapped[Optional[str]] = mapped_column(EncryptedText)

    decision: Mapped[Optional[Outcome]] = mapped_column(_enum(Outcome, "request_outcome"))
    decision_reasons: Mapped[Optional[str]] = mapped_column(EncryptedText)
    decided_on: Mapped[Optional[date]]
    decided_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("staff_user.id"))

    closed_on: Mapped[Optional[date]]
    withdrawn_on: Mapped[Optional[date]]

    assignee_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("staff_user.id"), index=True)

    # The language of the letters about this request.
    language: Mapped[str] = mapped_column(sa.String(5), default="nl", server_default="nl")

    # Privacyprotocol art. 4 and 5: the right may be restricted for a while, "tijdelijk, goed
    # gemotiveerd en gedocumenteerd", only for a vital interest or a conflict of duties, with a
    # date by which the person is told ("Zodra mogelijk wordt betrokkene alsnog geinformeerd").
    right_restricted_on: Mapped[Optional[date]]
    right_restriction_ground: Mapped[Optional[RightRestrictionGround]] = mapped_column(
        _enum(RightRestrictionGround, "right_restriction_ground")
    )
    right_restriction_motivation: Mapped[Optional[str]] = mapped_column(EncryptedText)
    inform_by: Mapped[Optional[date]] = mapped_column(index=True)
    informed_on: Mapped[Optional[date]]
    right_restriction_ended_on: Mapped[Optional[date]]

    # Optimistic locking: every UPDATE says "WHERE version_id = <the version I read>"; a form
    # carries the version it showed (see operations.check_version).
    version_id: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="1")

    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    representative: Mapped[Optional[Person]] = relationship(foreign_keys=[representative_id])
    registered_by: Mapped[Optional[User]] = relationship(foreign_keys=[registered_by_id])
    identity_established_by: Mapped[Optional[User]] = relationship(
        foreign_keys=[identity_established_by_id]
    )
    decided_by: Mapped[Optional[User]] = relationship(foreign_keys=[decided_by_id])
    assignee: Mapped[Optional[User]] = relationship(foreign_keys=[assignee_id])
    waits: Mapped[list[IdentityWait]] = relationship(
        back_populates="request", order_by="IdentityWait.id", cascade="all, delete-orphan"
    )
    notes: Mapped[list[RequestNote]] = relationship(
        back_populates="request", order_by="RequestNote.id", cascade="all, delete-orphan"
    )
    events: Mapped[list[RequestEvent]] = relationship(
        back_populates="request", order_by="RequestEvent.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version_id}

    __table_args__ = (
        sa.CheckConstraint("deadline > received_on", name="deadline_after_receipt"),
        # A representative files for someone else, and is named.
        sa.CheckConstraint(
            "(filed_by = 'subject') = (representative_id IS NULL AND representative_name IS NULL)",
            name="representative_when_filed_for",
        ),
        sa.CheckConstraint(
            "representative_id IS NULL OR representative_id != person_id",
            name="not_own_representative",
        ),
        # Staff register every request except those filed online by the citizen.
        sa.CheckConstraint(
            "channel = 'online' OR registered_by_id IS NOT NULL", name="registered_by_staff"
        ),
        sa.CheckConstraint(
            "(identity_method IS NULL) = (identity_established_on IS NULL)",
            name="identity_method_with_date",
        ),
        # Work on a request starts only once the requester's identity is established.
        sa.CheckConstraint(
            "status NOT IN ('in_progress', 'extended') OR identity_method IS NOT NULL",
            name="identity_before_processing",
        ),
        # AVG art. 12(3): an extension comes with its reasons.
        sa.CheckConstraint(
            "(extended_on IS NULL) = (extension_reasons IS NULL)", name="extension_with_reasons"
        ),
        sa.CheckConstraint(
            "status != 'extended' OR extended_on IS NOT NULL", name="extended_has_extension"
        ),
        # A decided or closed request has a decision with a date; other states have none.
        sa.CheckConstraint(
            "(status IN ('decided', 'closed')) = (decision IS NOT NULL)",
            name="decision_when_decided",
        ),
        sa.CheckConstraint("(decision IS NULL) = (decided_on IS NULL)", name="decision_with_date"),
        # AVG art. 12(4): anything but a full grant states its reasons.
        sa.CheckConstraint(
            "decision IS NULL OR decision = 'granted' OR decision_reasons IS NOT NULL",
            name="reasons_unless_granted",
        ),
        sa.CheckConstraint(
            "decided_on IS NULL OR decided_on >= received_on", name="decided_after_receipt"
        ),
        sa.CheckConstraint("(status = 'closed') = (closed_on IS NOT NULL)", name="closed_date"),
        sa.CheckConstraint(
            "(status = 'withdrawn') = (withdrawn_on IS NOT NULL)", name="withdrawn_date"
        ),
        sa.CheckConstraint("version_id >= 1", name="version_positive"),
        sa.CheckConstraint("language IN ('nl', 'en')", name="letter_language"),
        # Privacyprotocol art. 5: a restricted right has its ground, motivation and a date by
        # which the person is told, all together.
        sa.CheckConstraint(
            "(right_restricted_on IS NULL) = (right_restriction_ground IS NULL) "
            "AND (right_restricted_on IS NULL) = (right_restriction_motivation IS NULL) "
            "AND (right_restricted_on IS NULL) = (inform_by IS NULL)",
            name="right_restriction_documented",
        ),
        sa.CheckConstraint(
            "inform_by IS NULL OR inform_by >= right_restricted_on", name="inform_after_restriction"
        ),
        sa.CheckConstraint(
            "informed_on IS NULL OR (right_restricted_on IS NOT NULL "
            "AND informed_on >= right_restricted_on)",
            name="informed_after_restriction",
        ),
        sa.CheckConstraint(
            "right_restriction_ended_on IS NULL OR (right_restricted_on IS NOT NULL "
            "AND right_restriction_ended_on >= right_restricted_on)",
            name="restriction_ends_after_start",
        ),
        # The desk's queue (requests/views.py): what is not finished, in queue order. Partial, so
        # closed and withdrawn requests of earlier years never slow the queue down.
        sa.Index(
            "ix_privacy_request_queue",
            sa.text("(status = 'decided')"),
            "deadline",
            "id",
            postgresql_where=sa.text("status NOT IN ('closed', 'withdrawn')"),
            sqlite_where=sa.text("status NOT IN ('closed', 'withdrawn')"),
        ),
    )

    @classmethod
    def not_finished(cls) -> sa.ColumnElement[bool]:
        """Neither closed nor withdrawn. The statuses go into the SQL as literals, not as
        parameters, so that the database matches ix_privacy_request_queue's predicate also in
        a prepared statement's generic plan."""
        finished = sorted(status.value for status in FINISHED_STATUSES)
        return cls.status.not_in(
            sa.bindparam("finished_statuses", finished, expanding=True, literal_execute=True)
        )

    @classmethod
    def queue_order(cls) -> tuple[sa.ColumnElement, ...]:
        """The queue's order, which ix_privacy_request_queue serves: requests still to answer
        by deadline, then the decided ones waiting to be closed (the only other unfinished
        status)."""
        decided = sa.bindparam("decided_status", Status.DECIDED.value, literal_execute=True)
        return (cls.status == decided, cls.deadline, cls.id)

    @property
    def reference(self) -> str:
        """What the desk and the requester quote; shows no personal data."""
        return f"AVG-{self.received_on.year}-{self.id:05d}"

    @property
    def is_extended(self) -> bool:
        return self.extended_on is not None

    @property
    def open_wait(self) -> Optional[IdentityWait]:
        return next((wait for wait in self.waits if wait.ended_on is None), None)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def right_restricted(self) -> bool:
        """The right of this request is restricted for now (Privacyprotocol art. 5)."""
        return self.right_restricted_on is not None and self.right_restriction_ended_on is None


class IdentityWait(db.Model):
    """A period in which the desk waits for information it needs to identify the requester
    (AVG art. 12(6)). Recorded and shown to the requester; whether it stops the clock is the
    policy `REQUEST_ID_WAIT_POLICY` (requests/deadlines.py)."""

    __tablename__ = "identity_wait"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("privacy_request.id", ondelete="CASCADE"), index=True
    )
    started_on: Mapped[date]
    ended_on: Mapped[Optional[date]]
    # What the requester was asked for, in the words of the letter.
    requested_info: Mapped[str] = mapped_column(EncryptedText)
    started_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("staff_user.id"))

    request: Mapped[PrivacyRequest] = relationship(back_populates="waits")

    __table_args__ = (
        sa.CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="ends_after_start"),
        # One open wait per request at a time.
        sa.Index(
            "uq_identity_wait_open",
            "request_id",
            unique=True,
            sqlite_where=sa.text("ended_on IS NULL"),
            postgresql_where=sa.text("ended_on IS NULL"),
        ),
    )


class RequestNote(db.Model):
    """A working note of the desk; notes are added, never edited."""

    __tablename__ = "request_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("privacy_request.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_user.id"))
    text: Mapped[str] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    request: Mapped[PrivacyRequest] = relationship(back_populates="notes")
    author: Mapped[User] = relationship()


class RequestEvent(db.Model):
    """One step on the timeline of a request: who did what, when, from which status."""

    __tablename__ = "request_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("privacy_request.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[EventKind] = mapped_column(_enum(EventKind, "request_event_kind"))
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    # The date the step took effect (receipt, arrival of identity information, decision).
    on: Mapped[date]
    actor_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("staff_user.id"))
    from_status: Mapped[Optional[Status]] = mapped_column(_enum(Status, "request_event_from"))
    to_status: Mapped[Status] = mapped_column(_enum(Status, "request_event_to"))
    deadline: Mapped[date]  # the deadline after this step
    # What carrying out a right did, as counts, codes and ids: never personal data, so that the
    # timeline keeps nothing an erasure removed.
    details: Mapped[Optional[dict]] = mapped_column(sa.JSON)

    request: Mapped[PrivacyRequest] = relationship(back_populates="events")
    actor: Mapped[Optional[User]] = relationship()


class ExtraHoliday(db.Model):
    """A day an administrator adds to the public holidays (for instance a day the municipality
    is closed); deadlines ending on it move to the next working day."""

    __tablename__ = "extra_holiday"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(unique=True)
    reason: Mapped[str] = mapped_column(sa.String(200))
    added_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("staff_user.id"))
    added_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


class RectifiedField(enum.Enum):
    """What the desk can rectify (AVG art. 16): the person's NAW data, or the text of an entry."""

    GIVEN_NAME = "given_name"
    FAMILY_NAME = "family_name"
    BIRTH_DATE = "birth_date"
    BSN = "bsn"
    ENTRY_TEXT = "entry_text"


class Rectification(db.Model):
    """One rectified value with the value it replaced (AVG art. 16): the old value stays in the
    history, encrypted like the new one. Goes with the person (erasure, retention)."""

    __tablename__ = "rectification"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("privacy_request.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    case_entry_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("case_entry.id", ondelete="CASCADE"), index=True
    )
    field: Mapped[RectifiedField] = mapped_column(_enum(RectifiedField, "rectified_field"))
    old_value: Mapped[Optional[str]] = mapped_column(EncryptedText)
    new_value: Mapped[Optional[str]] = mapped_column(EncryptedText)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    actor_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_user.id"))

    request: Mapped[PrivacyRequest] = relationship()
    actor: Mapped[User] = relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "(field = 'entry_text') = (case_entry_id IS NOT NULL)", name="entry_text_has_entry"
        ),
    )


class LetterEmail(db.Model):
    """A request letter waiting to be emailed to the person, or emailed. Written in the
    transaction that stores the letter; sent after the commit (requests/letters.py), so a mail
    server that is down never undoes the step. The address is read when sending: none is kept."""

    __tablename__ = "letter_email"

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(
        sa.ForeignKey("letter.id", ondelete="CASCADE"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    last_error: Mapped[Optional[str]] = mapped_column(sa.String(500))

    __table_args__ = (sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),)
