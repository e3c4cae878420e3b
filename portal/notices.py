"""Notices to partner organisations: an outbox shown on their dashboard and, when the partner has
a contact address, an email.

An operation adds a notice inside its own transaction (`notify_partner`: flush, no commit) and
never talks to a mail server itself. After the commit the view calls `send_pending`, and the
command `flask --app portal notices send` retries what failed. Each notice is committed as sent
on its own, so a crash halfway never sends a notice twice, and a mail server that is down never
undoes the change that caused the notice.

Data minimisation (AVG art. 5(1)(c)): the subject and body name the case reference and what
happened, never the person. The dashboard adds the person's name only for a user of the partner
concerned who may see that person (portal.access), and records that read in the audit trail.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import access, audit, mail
from portal.crypto import EncryptedText
from portal.extensions import db
from portal.models import Case, Partner, Person, User, utcnow

# After this many failed deliveries the notice stays on the dashboard only; the command reports it.
MAX_ATTEMPTS = 10
# Who sees notices on the dashboard: the roles that work with personal data at all.
DASHBOARD_ROLES = access.PERSON_ROLES


class PartnerNotice(db.Model):
    __tablename__ = "partner_notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(sa.ForeignKey("partner.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    # Named by the package that writes the notice ("consent_withdrawn", "reuse_requested", ...).
    kind: Mapped[str] = mapped_column(sa.String(40))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(EncryptedText)
    # A notice about a person or case goes when their data is erased or destroyed.
    person_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    case_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("regie_case.id", ondelete="CASCADE"), index=True
    )
    # The partner's contact address when the notice was written; None: dashboard only.
    email_to: Mapped[Optional[str]] = mapped_column(sa.String(200))
    sent_at: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    last_error: Mapped[Optional[str]] = mapped_column(sa.String(500))
    read_at: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))

    partner: Mapped[Partner] = relationship()
    person: Mapped[Optional[Person]] = relationship()
    case: Mapped[Optional[Case]] = relationship()

    __table_args__ = (
        sa.CheckConstraint("sent_at IS NULL OR email_to IS NOT NULL", name="sent_has_address"),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        sa.CheckConstraint("kind != ''", name="kind_named"),
    )


def notify_partner(
    partner: Partner,
    *,
    kind: str,
    subject: str,
    body: str,
    person_id: Optional[int] = None,
    case_id: Optional[int] = None,
) -> PartnerNotice:
    """Put a notice in the outbox of `partner` (flush, no commit, no email yet)."""
    notice = PartnerNotice(
        partner_id=partner.id,
        kind=kind,
        subject=subject,
        body=body,
        person_id=person_id,
        case_id=case_id,
        email_to=partner.contact_email or None,
    )
    db.session.add(notice)
    db.session.flush()
    audit.record(
        audit.Action.CREATE,
        processing_activity="meldingen aan partners",
        purpose=f"melding voor {partner.code}: {kind}",
        person_id=person_id,
        case_id=case_id,
        object_type="partner_notice",
        object_id=notice.id,
    )
    return notice


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0


def send_pending(
    limit: int = 100, *, person_id: Optional[int] = None, case_id: Optional[int] = None
) -> SendReport:
    """Email unsent notices, oldest first, committing each one on its own.

    Call it after the transaction that wrote the notices is committed. A failure counts an
    attempt and keeps the error; the notice is tried again by the next call. `person_id` and
    `case_id` narrow the run to the notices a view has just written.
    """
    query = (
        sa.select(PartnerNotice.id)
        .where(
            PartnerNotice.sent_at.is_(None),
            PartnerNotice.email_to.is_not(None),
            PartnerNotice.attempts < MAX_ATTEMPTS,
        )
        .order_by(PartnerNotice.id)
        .limit(limit)
    )
    if person_id is not None:
        query = query.where(PartnerNotice.person_id == person_id)
    if case_id is not None:
        query = query.where(PartnerNotice.case_id == case_id)
    candidates = db.session.scalars(query).all()
    db.session.commit()
    report = SendReport()
    for notice_id in candidates:
        # Lock the row (PostgreSQL) so that two senders at once never both send it; the second
        # skips it, and finds it sent once the first has committed.
        notice = db.session.scalar(
            sa.select(PartnerNotice)
            .where(PartnerNotice.id == notice_id, PartnerNotice.sent_at.is_(None))
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
        if notice is None:
            db.session.rollback()
            continue
        notice.attempts += 1
        try:
            mail.send(notice.email_to, notice.subject, notice.body)
        except (OSError, smtplib.SMTPException, ValueError) as error:
            notice.last_error = f"{type(error).__name__}: {error}"[:500]
            report.failed += 1
        else:
            notice.sent_at = utcnow()
            notice.last_error = None
            audit.record(
                audit.Action.EXPORT,
                processing_activity="meldingen aan partners",
                purpose="melding per e-mail verstuurd",
                person_id=notice.person_id,
                case_id=notice.case_id,
                object_type="partner_notice",
                object_id=notice.id,
            )
            report.sent += 1
        db.session.commit()
    return report


# --- the dashboard ------------------------------------------------------------------------------

# Where a notice of a kind leads, given by the package that writes that kind (portal never
# imports consent or requests). The builder returns a URL, or None when there is nothing to open.
LinkBuilder = Callable[[PartnerNotice, User], Optional[str]]
_link_builders: dict[str, LinkBuilder] = {}


def register_link(kind: str, build: LinkBuilder) -> None:
    _link_builders[kind] = build


@dataclass(frozen=True)
class DashboardNotice:
    id: int
    kind: str
    subject: str
    body: str
    created_at: datetime
    person_name: Optional[str]
    link: Optional[str]


def _default_link(notice: PartnerNotice, user: User) -> Optional[str]:
    from flask import url_for

    if notice.person is not None and access.can_view_person(user, notice.person):
        return url_for("portal.person_detail", person_id=notice.person_id)
    if notice.case is not None and access.can_view_case(user, notice.case):
        return url_for("portal.case_detail", case_id=notice.case_id)
    return None


def for_dashboard(user: User, limit: int = 20) -> list[DashboardNotice]:
    """The unread notices of the user's own partner, newest first. Showing a person's name is a
    read of personal data: it is audited, and the caller commits."""
    if user.role not in DASHBOARD_ROLES or not access.has_access(user):
        return []
    rows = db.session.scalars(
        sa.select(PartnerNotice)
        .where(PartnerNotice.partner_id == user.partner_id, PartnerNotice.read_at.is_(None))
        .order_by(PartnerNotice.created_at.desc(), PartnerNotice.id.desc())
        .limit(limit)
    ).all()
    shown = []
    for notice in rows:
        person_name = None
        if notice.person is not None and access.can_view_person(user, notice.person):
            person_name = notice.person.full_name
            access.record_read(user, purpose="melding inzien", person=notice.person)
        build = _link_builders.get(notice.kind, _default_link)
        shown.append(
            DashboardNotice(
                id=notice.id,
                kind=notice.kind,
                subject=notice.subject,
                body=notice.body,
                created_at=notice.created_at,
                person_name=person_name,
                link=build(notice, user),
            )
        )
    return shown


def load_for(user: User, notice_id: int) -> Optional[PartnerNotice]:
    """The notice when it belongs to the user's own partner and the user sees notices."""
    if user.role not in DASHBOARD_ROLES or not access.has_access(user):
        return None
    notice = db.session.get(PartnerNotice, notice_id)
    if notice is None or notice.partner_id != user.partner_id:
        return None
    return notice


def mark_read(user: User, notice: PartnerNotice) -> PartnerNotice:
    """Read for the whole partner: one colleague dealing with it is enough."""
    if notice.read_at is None:
        notice.read_at = utcnow()
        db.session.flush()
        audit.record(
            audit.Action.UPDATE,
            user=user,
            processing_activity="meldingen aan partners",
            purpose="melding gelezen",
            object_type="partner_notice",
            object_id=notice.id,
            confidentiality=audit.Confidentiality.NORMAL,
        )
    return notice
