"""Privacy-desk screens: the queue, intake, the request page with its steps, notes; and the
administrator's list of extra holidays. Thin: load through the access policy, call an operation,
commit once, render."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Optional

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import aliased, joinedload

from portal import access as portal_access
from portal import notices
from portal.extensions import db
from portal.forms import EmptyForm
from portal.letters.views import channel_label as letter_channel_label
from portal.letters.views import kind_label as letter_kind_label
from portal.models import Case, Person, Role, User
from portal.operations import RuleViolation, find_person_by_bsn
from portal.views import role_required
from requests import access, deadlines, labels, operations, right_restriction, rights
from requests import letters as request_letters
from requests.forms import (
    AssignForm,
    DecideForm,
    ExtendForm,
    HolidayForm,
    IdentityForm,
    IdentityRequestForm,
    IntakeForm,
    LiftRestrictionForm,
    NoteForm,
    ObjectionForm,
    PersonSearchForm,
    QueueFilterForm,
    RestrictRightForm,
    StepForm,
    TellRightRestrictionForm,
    WithdrawForm,
)
from requests.models import (
    OPEN_STATUSES,
    Channel,
    ExtraHoliday,
    FiledBy,
    IdentityMethod,
    IdentityWait,
    Outcome,
    PrivacyRequest,
    RequestType,
    RightRestrictionGround,
    Status,
)

bp = Blueprint("requests", __name__, url_prefix="/requests")
desk_only = role_required(*portal_access.REQUEST_DESK)
SEARCH_LIMIT = 20


@bp.context_processor
def _helpers():
    return labels.template_helpers()


# --- the queue --------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueItem:
    request: PrivacyRequest
    waiting_since: Optional[date]
    days_left: int
    urgency: Optional[str]


QUEUE_PAGE_SIZE = 50


def _queue_assignees() -> list[tuple[int, str]]:
    """Everyone on the privacy desk, also former members: old requests may still be theirs."""
    return db.session.execute(
        sa.select(User.id, User.name)
        .where(User.role.in_(portal_access.REQUEST_DESK))
        .order_by(User.name, User.id)
    ).all()


def queue_filters(args, members) -> tuple[list, Optional[str], QueueFilterForm]:
    """The WHERE clauses the filter form asks for. Invalid values give no filter at all and a
    message: the desk then sees the whole queue, never an error page."""
    form = QueueFilterForm(args, assignees=members)
    if not any(args.get(name) for name in ("type", "status", "assignee")):
        return [], None, form
    if not form.validate():
        return [], _("Dit filter klopt niet. U ziet alle lopende verzoeken."), form
    clauses = []
    if form.type.data:
        clauses.append(PrivacyRequest.type == RequestType(form.type.data))
    if form.status.data:
        clauses.append(PrivacyRequest.status == Status(form.status.data))
    if form.assignee.data == "none":
        clauses.append(PrivacyRequest.assignee_id.is_(None))
    elif form.assignee.data:
        clauses.append(PrivacyRequest.assignee_id == int(form.assignee.data))
    return clauses, None, form


def queue_query(clauses) -> sa.Select:
    """Requests not yet finished, the most urgent first: the open ones by deadline, then the
    answered ones. Ordered and paged in SQL (bench/dashboard.py)."""
    open_wait = aliased(IdentityWait)
    return (
        sa.select(PrivacyRequest, open_wait.started_on)
        .outerjoin(
            open_wait,
            sa.and_(open_wait.request_id == PrivacyRequest.id, open_wait.ended_on.is_(None)),
        )
        .where(PrivacyRequest.not_finished(), *clauses)
        .order_by(*PrivacyRequest.queue_order())
    )


@bp.route("")
@desk_only
def queue():
    """Requests not yet finished, the most urgent first, 50 a page, filtered by type, status and
    assignee. Shows no personal data (reference, type, dates, status), so showing it is not a read
    of anyone's file."""
    today = deadlines.today()
    suspend = operations.wait_policy() == deadlines.WAIT_SUSPEND
    members = _queue_assignees()
    clauses, problem, form = queue_filters(request.args, members)
    if problem:
        flash(problem, "error")
    total = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(PrivacyRequest)
        .where(PrivacyRequest.not_finished(), *clauses)
    )
    pages = max(1, -(-total // QUEUE_PAGE_SIZE))
    page = request.args.get("page", 1, type=int)
    page = min(max(page, 1), pages)
    rows = db.session.execute(
        queue_query(clauses)
        .options(joinedload(PrivacyRequest.assignee))
        .limit(QUEUE_PAGE_SIZE)
        .offset((page - 1) * QUEUE_PAGE_SIZE)
    ).all()
    items = []
    for row, waiting_since in rows:
        running = row.status in OPEN_STATUSES and not (suspend and waiting_since is not None)
        items.append(
            QueueItem(
                request=row,
                waiting_since=waiting_since,
                days_left=(row.deadline - today).days,
                urgency=deadlines.urgency(row.deadline, today, running=running),
            )
        )
    # Privacyprotocol art. 4 and 5: a restricted right, and the date by which the person is told.
    to_tell = right_restriction.to_tell(today)
    kept = {
        name: value
        for name, value in request.args.items()
        if name in ("type", "status", "assignee") and not problem
    }
    return render_template(
        "requests/queue.html",
        items=items,
        today=today,
        to_tell=to_tell,
        form=form,
        page=page,
        pages=pages,
        total=total,
        filters=kept,
    )


# --- intake -----------------------------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@desk_only
def intake():
    person_id = request.args.get("person_id", type=int)
    if person_id is None:
        if request.method == "POST":
            abort(400)
        return _person_search()
    person = portal_access.load_person(current_user, person_id, purpose="AVG-verzoek registreren")
    form = IntakeForm(representatives=_representatives(person))
    if not form.is_submitted():
        form.received_on.data = deadlines.today()
        db.session.commit()
        return render_template("requests/intake.html", form=form, person=person)
    if form.validate():
        representative = (
            db.session.get(Person, form.representative_id.data)
            if form.representative_id.data
            else None
        )
        try:
            created = operations.register_request(
                current_user,
                person=person,
                type=RequestType(form.type.data),
                channel=Channel(form.channel.data),
                received_on=form.received_on.data,
                description=form.description.data,
                filed_by=FiledBy(form.filed_by.data),
                representative=representative,
                representative_name=form.representative_name.data,
                identity_method=(
                    IdentityMethod(form.identity_method.data) if form.identity_method.data else None
                ),
                language=form.language.data,
            )
        except RuleViolation as problem:
            db.session.rollback()
            form.form_errors.append(problem.message)
        else:
            db.session.commit()
            send_after_commit(created)
            flash(_("Het verzoek is geregistreerd als %(ref)s.", ref=created.reference), "success")
            return redirect(url_for("requests.detail", request_id=created.id))
    db.session.rollback()
    portal_access.record_read(current_user, purpose="AVG-verzoek registreren", person=person)
    db.session.commit()
    return render_template("requests/intake.html", form=form, person=person), 422


def _representatives(person: Person) -> list[Person]:
    """Who can be chosen as representative: the recorded legal representative and the other
    members of the household."""
    candidates = [p for p in person.household.persons if p.id != person.id]
    recorded = person.legal_representative
    if recorded is not None and recorded not in candidates:
        candidates.insert(0, recorded)
    return candidates


def _person_search():
    form = PersonSearchForm(request.args)
    results: list[Person] = []
    searched = "q" in request.args
    if searched and form.validate():
        results = _find_persons(form)
        for person in results:
            portal_access.record_read(
                current_user, purpose="betrokkene zoeken voor AVG-verzoek", person=person
            )
        db.session.commit()
    return render_template(
        "requests/intake_search.html", form=form, results=results, searched=searched
    )


def _find_persons(form: PersonSearchForm) -> list[Person]:
    query = form.q.data.strip()
    compact = "".join(ch for ch in query if ch not in " .-")
    if compact.isdigit():
        try:
            person = find_person_by_bsn(compact)
        except RuleViolation as problem:
            form.q.errors = [*form.q.errors, problem.message]
            return []
        found = [person] if person is not None else []
    else:
        found = db.session.scalars(
            sa.select(Person)
            .where(sa.func.lower(Person.family_name).contains(query.lower(), autoescape=True))
            .options(joinedload(Person.household))
            .order_by(Person.family_name, Person.given_name, Person.id)
            .limit(SEARCH_LIMIT)
        ).all()
    return [p for p in found if portal_access.can_view_person(current_user, p)]


# --- the request page -------------------------------------------------------------------------


READ_PURPOSE = "AVG-verzoek inzien"


@bp.route("/<int:request_id>")
@desk_only
def detail(request_id: int):
    privacy_request = access.load_request(current_user, request_id, purpose=READ_PURPOSE)
    db.session.commit()
    return _render_detail(privacy_request)


def _desk_members() -> list[User]:
    users = db.session.scalars(
        sa.select(User).where(User.role == Role.PRIVACY_DESK, User.active.is_(True))
        .order_by(User.name)
    ).all()  # fmt: skip
    return [user for user in users if operations.assignable(user)]


def objection_choices(privacy_request: PrivacyRequest) -> list:
    """The public-task bases an objection can stop, labelled without personal data."""
    if privacy_request.type is not RequestType.OBJECTION:
        return []
    return [
        (
            record,
            _(
                "%(case)s, fase %(phase)s: %(partner)s, %(domain)s (%(statute)s)",
                case=db.session.get(Case, record.case_id).reference,
                phase=record.phase,
                partner=record.partner.name,
                domain=record.domain.name_nl,
                statute=record.statute,
            ),
        )
        for record in rights.public_task_bases(privacy_request.person)
    ]


def _forms(privacy_request: PrivacyRequest) -> dict:
    """Every form of the request page, unbound, with the version the page shows."""
    version = {"version": str(privacy_request.version_id)}
    return {
        "restrict_processing": StepForm(formdata=None, prefix="restrict", data=version),
        "lift": LiftRestrictionForm(formdata=None, prefix="lift", data=version),
        "objection": ObjectionForm(
            formdata=None,
            prefix="objection",
            data=version,
            bases=objection_choices(privacy_request),
        ),
        "restrict_right": RestrictRightForm(formdata=None, prefix="right", data=version),
        "tell_right": TellRightRestrictionForm(formdata=None, prefix="tell", data=version),
        "end_right": StepForm(formdata=None, prefix="endright", data=version),
        "ask": IdentityRequestForm(formdata=None, prefix="ask", data=version),
        "identity": IdentityForm(formdata=None, prefix="identity", data=version),
        "start": StepForm(formdata=None, prefix="start", data=version),
        "extend": ExtendForm(formdata=None, prefix="extend", data=version),
        "decide": DecideForm(
            formdata=None,
            prefix="decide",
            data=version,
            outcomes=operations.decision_outcomes(privacy_request),
        ),
        "close": StepForm(formdata=None, prefix="close", data=version),
        "withdraw": WithdrawForm(formdata=None, prefix="withdraw", data=version),
        "assign": AssignForm(
            formdata=None,
            prefix="assign",
            data={**version, "assignee_id": privacy_request.assignee_id or 0},
            desk=_desk_members(),
        ),
        "note": NoteForm(formdata=None, prefix="note"),
    }


# The step of the page (operations.possible_actions) each form belongs to.
FORM_ACTIONS = {
    "ask": "ask_identity",
    "identity": "record_identity",
    "start": "start",
    "extend": "extend",
    "decide": "decide",
    "close": "close",
    "withdraw": "withdraw",
    "assign": "assign",
    "restrict_processing": "carry_out",
    "objection": "carry_out",
    "lift": "lift_restriction",
    "restrict_right": "restrict_right",
    "tell_right": "tell_right_restriction",
    "end_right": "end_right_restriction",
}


def _render_detail(privacy_request: PrivacyRequest, submitted: Optional[dict] = None, status=200):
    forms = _forms(privacy_request)
    forms.update(submitted or {})
    today = deadlines.today()
    suspend = operations.wait_policy() == deadlines.WAIT_SUSPEND
    running = privacy_request.is_open and not (suspend and privacy_request.open_wait)
    letters = request_letters.letters_of(privacy_request)
    actions = operations.possible_actions(privacy_request, today)
    refused = next(iter(submitted or {}), None)
    return (
        render_template(
            "requests/detail.html",
            r=privacy_request,
            forms=forms,
            letters=letters,
            emails=request_letters.email_state(letters),
            letter_kind_label=letter_kind_label,
            letter_channel_label=letter_channel_label,
            restricted_since=privacy_request.person.restricted_since,
            actions=actions,
            first_month=operations.first_month_deadline(privacy_request),
            days_left=(privacy_request.deadline - today).days,
            urgency=deadlines.urgency(privacy_request.deadline, today, running=running),
            clock_stopped=bool(suspend and privacy_request.open_wait),
            # A refused step that the page no longer offers shows its message at the top.
            refused=refused,
            refused_on_top=refused is not None
            and refused != "note"
            and FORM_ACTIONS.get(refused) not in actions,
        ),
        status,
    )


def _step(request_id: int, key: str, form, apply, done: str):
    """Validate the submitted form, run the operation, commit once; on a refusal roll back and
    show the page again with the message on the form (422)."""
    privacy_request = access.load_request(
        current_user, request_id, purpose=READ_PURPOSE, change=True
    )
    form = form(privacy_request)
    if form.validate_on_submit():
        try:
            apply(privacy_request, form)
        except RuleViolation as problem:
            db.session.rollback()
            form.form_errors.append(problem.message)
        else:
            db.session.commit()
            send_after_commit(privacy_request)
            flash(done, "success")
            return redirect(url_for("requests.detail", request_id=privacy_request.id))
    db.session.rollback()
    access.record_read(current_user, privacy_request, purpose=READ_PURPOSE)
    db.session.commit()
    return _render_detail(privacy_request, {key: form}, status=422)


def send_after_commit(privacy_request: PrivacyRequest) -> None:
    """Email what the committed step wrote: the request's letters to the person, the notices to
    the partners (AVG art. 19). A mail server that is down only leaves them waiting for
    `flask --app portal requests send-letters` and `notices send`."""
    request_letters.send_pending(reference=privacy_request.reference)
    notices.send_pending(person_id=privacy_request.person_id)
    for case in rights.household_cases(privacy_request.person):
        notices.send_pending(case_id=case.id)


@bp.route("/<int:request_id>/identity-request", methods=["POST"])
@desk_only
def ask_identity(request_id: int):
    return _step(
        request_id,
        "ask",
        lambda r: IdentityRequestForm(prefix="ask"),
        lambda r, form: operations.start_identity_check(
            current_user, r, version=form.version_number, requested_info=form.requested_info.data
        ),
        _("De vraag om gegevens is vastgelegd."),
    )


@bp.route("/<int:request_id>/identity", methods=["POST"])
@desk_only
def record_identity(request_id: int):
    return _step(
        request_id,
        "identity",
        lambda r: IdentityForm(prefix="identity"),
        lambda r, form: operations.record_identity(
            current_user,
            r,
            version=form.version_number,
            method=IdentityMethod(form.method.data),
            arrived_on=form.arrived_on.data,
        ),
        _("De identiteit is vastgesteld; het verzoek is in behandeling."),
    )


@bp.route("/<int:request_id>/start", methods=["POST"])
@desk_only
def start(request_id: int):
    return _step(
        request_id,
        "start",
        lambda r: StepForm(prefix="start"),
        lambda r, form: operations.start_processing(current_user, r, version=form.version_number),
        _("Het verzoek is in behandeling."),
    )


@bp.route("/<int:request_id>/extend", methods=["POST"])
@desk_only
def extend(request_id: int):
    return _step(
        request_id,
        "extend",
        lambda r: ExtendForm(prefix="extend"),
        lambda r, form: operations.extend_deadline(
            current_user, r, version=form.version_number, reasons=form.reasons.data
        ),
        _("De termijn is verlengd."),
    )


@bp.route("/<int:request_id>/decide", methods=["POST"])
@desk_only
def decide(request_id: int):
    return _step(
        request_id,
        "decide",
        lambda r: DecideForm(prefix="decide", outcomes=operations.decision_outcomes(r)),
        lambda r, form: operations.decide_request(
            current_user,
            r,
            version=form.version_number,
            outcome=Outcome(form.outcome.data),
            reasons=form.reasons.data,
        ),
        _("Het besluit is vastgelegd."),
    )


@bp.route("/<int:request_id>/close", methods=["POST"])
@desk_only
def close(request_id: int):
    return _step(
        request_id,
        "close",
        lambda r: StepForm(prefix="close"),
        lambda r, form: operations.close_request(current_user, r, version=form.version_number),
        _("Het verzoek is afgesloten."),
    )


@bp.route("/<int:request_id>/withdraw", methods=["POST"])
@desk_only
def withdraw(request_id: int):
    return _step(
        request_id,
        "withdraw",
        lambda r: WithdrawForm(prefix="withdraw"),
        lambda r, form: operations.withdraw_request(
            current_user, r, version=form.version_number, on=form.withdrawn_on.data
        ),
        _("De intrekking is vastgelegd."),
    )


@bp.route("/<int:request_id>/assign", methods=["POST"])
@desk_only
def assign(request_id: int):
    return _step(
        request_id,
        "assign",
        lambda r: AssignForm(prefix="assign", desk=_desk_members()),
        lambda r, form: operations.assign_request(
            current_user,
            r,
            version=form.version_number,
            assignee=db.session.get(User, form.assignee_id.data) if form.assignee_id.data else None,
        ),
        _("De toewijzing is opgeslagen."),
    )


@bp.route("/<int:request_id>/notes", methods=["POST"])
@desk_only
def add_note(request_id: int):
    return _step(
        request_id,
        "note",
        lambda r: NoteForm(prefix="note"),
        lambda r, form: operations.add_note(current_user, r, form.text.data),
        _("De notitie is toegevoegd."),
    )


# --- carrying out a right from the request page (the other steps: requests/rights_views.py) ---


@bp.route("/<int:request_id>/restrict-processing", methods=["POST"])
@desk_only
def restrict_processing(request_id: int):
    return _step(
        request_id,
        "restrict_processing",
        lambda r: StepForm(prefix="restrict"),
        lambda r, form: rights.restrict_processing(current_user, r, version=form.version_number),
        _("De verwerking is beperkt. De partners in de casussen krijgen bericht."),
    )


@bp.route("/<int:request_id>/lift-restriction", methods=["POST"])
@desk_only
def lift_restriction(request_id: int):
    return _step(
        request_id,
        "lift",
        lambda r: LiftRestrictionForm(prefix="lift"),
        lambda r, form: rights.lift_processing_restriction(
            current_user, r, version=form.version_number, reasons=form.reasons.data
        ),
        _("De beperking is opgeheven; de persoon krijgt een brief."),
    )


@bp.route("/<int:request_id>/objection", methods=["POST"])
@desk_only
def objection(request_id: int):
    return _step(
        request_id,
        "objection",
        lambda r: ObjectionForm(prefix="objection", bases=objection_choices(r)),
        lambda r, form: rights.carry_out_objection(
            current_user, r, version=form.version_number, record_ids=form.record_ids.data
        ),
        _("De gekozen verwerking is gestopt. De partners krijgen bericht."),
    )


@bp.route("/<int:request_id>/restrict-right", methods=["POST"])
@desk_only
def restrict_right(request_id: int):
    return _step(
        request_id,
        "restrict_right",
        lambda r: RestrictRightForm(prefix="right"),
        lambda r, form: right_restriction.restrict_right(
            current_user,
            r,
            version=form.version_number,
            ground=RightRestrictionGround(form.ground.data),
            motivation=form.motivation.data,
            inform_by=form.inform_by.data,
        ),
        _("Het recht is tijdelijk beperkt. Vergeet niet de persoon op tijd in te lichten."),
    )


@bp.route("/<int:request_id>/tell-right-restriction", methods=["POST"])
@desk_only
def tell_right_restriction(request_id: int):
    return _step(
        request_id,
        "tell_right",
        lambda r: TellRightRestrictionForm(prefix="tell"),
        lambda r, form: right_restriction.tell_right_restriction(
            current_user, r, version=form.version_number, review_on=form.review_on.data
        ),
        _("De persoon krijgt een brief over de beperking."),
    )


@bp.route("/<int:request_id>/end-right-restriction", methods=["POST"])
@desk_only
def end_right_restriction(request_id: int):
    return _step(
        request_id,
        "end_right",
        lambda r: StepForm(prefix="endright"),
        lambda r, form: right_restriction.end_right_restriction(
            current_user, r, version=form.version_number
        ),
        _("De beperking van het recht is opgeheven; de persoon krijgt een brief."),
    )


# --- extra holidays (administrator) -----------------------------------------------------------


@bp.route("/holidays", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def holidays():
    form = HolidayForm()
    if form.validate_on_submit():
        try:
            operations.add_extra_holiday(current_user, form.day.data, form.reason.data)
        except RuleViolation as problem:
            db.session.rollback()
            form.form_errors.append(problem.message)
        else:
            db.session.commit()
            flash(_("De dag is toegevoegd; lopende termijnen zijn herberekend."), "success")
            return redirect(url_for("requests.holidays"))
    today = deadlines.today()
    extra = db.session.scalars(
        sa.select(ExtraHoliday).where(ExtraHoliday.day >= date(today.year - 1, 1, 1))
        .order_by(ExtraHoliday.day)
    ).all()  # fmt: skip
    public = [
        (day, name)
        for year in (today.year, today.year + 1)
        for day, name in sorted(deadlines.public_holidays(year).items())
    ]
    return (
        render_template(
            "requests/holidays.html",
            form=form,
            extra=extra,
            public=public,
            delete_form=EmptyForm(formdata=None),
        ),
        422 if form.is_submitted() else 200,
    )


@bp.route("/holidays/<int:holiday_id>/delete", methods=["POST"])
@role_required(Role.ADMIN)
def delete_holiday(holiday_id: int):
    holiday = db.session.get(ExtraHoliday, holiday_id) or abort(404)
    operations.remove_extra_holiday(current_user, holiday)
    db.session.commit()
    flash(_("De dag is verwijderd; lopende termijnen zijn herberekend."), "success")
    return redirect(url_for("requests.holidays"))


# The pages of access, rectification and erasure register their routes on `bp` too.
from requests import rights_views  # noqa: E402, F401
