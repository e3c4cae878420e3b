"""The audit viewer: search the audit trail, verify its chain, export a selection (issue 7).

Who: the privacy desk, for the college (the controller), which oversees the security of the
processing (Privacyreglement, *Beveiliging*: "toegang tot de persoonsgegevens en de lees- en
schrijfbevoegdheden") and answers who looked at a file (AVG art. 15) or what a breach touched.
Not the admin: whoever grants access rights does not also investigate their use (separation of
duties). No new role is needed.

A search by person is itself a read about that person, and an export leaves the portal: both are
on the trail.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Optional
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from portal import audit
from portal.audit import AuditEntry
from portal.extensions import db
from portal.models import Case, Role, User
from portal.oversight_forms import AuditSearchForm
from portal.views import role_required

bp = Blueprint("audit_viewer", __name__, url_prefix="/audit")

VIEWER_ROLES = (Role.PRIVACY_DESK,)
PAGE_LIMIT = 200
EXPORT_LIMIT = 50_000
LOCAL_TIME = ZoneInfo("Europe/Amsterdam")
PROCESSING_ACTIVITY = "toezicht op het auditspoor"


@dataclass
class Criteria:
    person_id: Optional[int] = None
    case_id: Optional[int] = None
    user_id: Optional[int] = None
    start: Optional[datetime] = None
    end: Optional[datetime] = None
    # A criterion named something that does not exist: the result is empty.
    nothing: bool = False

    @property
    def any(self) -> bool:
        return (
            any(
                value is not None
                for value in (self.person_id, self.case_id, self.user_id, self.start, self.end)
            )
            or self.nothing
        )


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LOCAL_TIME).astimezone(UTC)


def criteria_from(form: AuditSearchForm) -> Criteria:
    criteria = Criteria(person_id=form.person_id.data)
    reference = (form.case_reference.data or "").strip()
    if reference:
        # A case destroyed by retention has no reference any more; its number still finds it.
        case_id = db.session.scalar(
            sa.select(Case.id).where(sa.func.upper(Case.reference) == reference.upper())
        )
        if case_id is None and reference.isdigit():
            case_id = int(reference)
        criteria.case_id = case_id
        criteria.nothing = criteria.nothing or case_id is None
    email = (form.user_email.data or "").strip().lower()
    if email:
        criteria.user_id = db.session.scalar(
            sa.select(User.id).where(sa.func.lower(User.email) == email)
        )
        criteria.nothing = criteria.nothing or criteria.user_id is None
    if form.date_from.data:
        criteria.start = _local_midnight(form.date_from.data)
    if form.date_to.data:
        criteria.end = _local_midnight(form.date_to.data + timedelta(days=1))
    return criteria


def search(criteria: Criteria, limit: int) -> list[AuditEntry]:
    """The entries matching every criterion given, the newest first."""
    if criteria.nothing:
        return []
    query = sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if criteria.person_id is not None:
        query = query.where(AuditEntry.person_id == criteria.person_id)
    if criteria.case_id is not None:
        query = query.where(AuditEntry.case_id == criteria.case_id)
    if criteria.user_id is not None:
        query = query.where(AuditEntry.user_id == criteria.user_id)
    if criteria.start is not None:
        query = query.where(AuditEntry.at >= criteria.start)
    if criteria.end is not None:
        query = query.where(AuditEntry.at < criteria.end)
    return list(db.session.scalars(query))


def _record(action: audit.Action, criteria: Criteria, purpose: str) -> None:
    audit.record(
        action,
        user=current_user,
        processing_activity=PROCESSING_ACTIVITY,
        purpose=purpose,
        person_id=criteria.person_id,
        case_id=criteria.case_id,
        object_type="audit_entry",
    )


def _users(entries: list[AuditEntry]) -> dict[int, User]:
    ids = {entry.user_id for entry in entries if entry.user_id is not None}
    if not ids:
        return {}
    return {user.id: user for user in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}


@bp.route("")
@role_required(*VIEWER_ROLES)
def search_page():
    form = AuditSearchForm(request.args)
    entries: list[AuditEntry] = []
    searched = bool(request.args) and form.validate()
    if searched:
        criteria = criteria_from(form)
        entries = search(criteria, PAGE_LIMIT + 1)
        _record(audit.Action.READ, criteria, "auditspoor doorzoeken")
        db.session.commit()
    status = 422 if request.args and not searched else 200
    return (
        render_template(
            "oversight/audit_search.html",
            form=form,
            searched=searched,
            entries=entries[:PAGE_LIMIT],
            more=len(entries) > PAGE_LIMIT,
            users=_users(entries),
            limit=PAGE_LIMIT,
            export_query=request.query_string.decode("ascii", "replace"),
        ),
        status,
    )


@bp.route("/verify")
@role_required(*VIEWER_ROLES)
def verify():
    audit.record(
        audit.Action.READ,
        user=current_user,
        processing_activity=PROCESSING_ACTIVITY,
        purpose="keten van het auditspoor gecontroleerd",
        object_type="audit_entry",
        confidentiality=audit.Confidentiality.NORMAL,
    )
    db.session.commit()
    count = db.session.scalar(sa.select(sa.func.count(AuditEntry.id)))
    problem = audit.verify_chain()
    # The walk empties the session batch by batch; the page still needs the signed-in user.
    db.session.add(current_user._get_current_object())
    return render_template("oversight/audit_verify.html", problem=problem, count=count)


def _cell(value) -> str:
    """A CSV cell a spreadsheet never runs as a formula."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


EXPORT_COLUMNS = (
    "seq", "at", "user_id", "user_email", "role", "partner_code", "on_behalf_of", "action",
    "object_type", "object_id", "person_id", "case_id", "processing_activity", "purpose",
    "confidentiality", "client_address", "hash",
)  # fmt: skip


def export_csv(entries: list[AuditEntry]) -> str:
    users = _users(entries)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for entry in entries:
        user = users.get(entry.user_id)
        row = {name: getattr(entry, name, None) for name in EXPORT_COLUMNS}
        row["user_email"] = user.email if user is not None else None
        row["at"] = entry.at.replace(tzinfo=entry.at.tzinfo or UTC).isoformat()
        writer.writerow([_cell(row[name]) for name in EXPORT_COLUMNS])
    return buffer.getvalue()


@bp.route("/export.csv")
@role_required(*VIEWER_ROLES)
def export():
    form = AuditSearchForm(request.args)
    if not form.validate():
        return search_page()
    criteria = criteria_from(form)
    if not criteria.any:
        form.form_errors.append(_("Kies ten minste één zoekcriterium voor een export."))
        return (
            render_template(
                "oversight/audit_search.html",
                form=form,
                searched=False,
                entries=[],
                more=False,
                users={},
                limit=PAGE_LIMIT,
                export_query="",
            ),
            422,
        )
    entries = search(criteria, EXPORT_LIMIT)
    _record(audit.Action.EXPORT, criteria, f"export auditspoor voor onderzoek ({len(entries)})")
    db.session.commit()
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return Response(
        export_csv(entries),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="auditspoor-{stamp}.csv"'},
    )
