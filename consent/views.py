"""Staff pages of the consent ledger: the grid of the bemoeizorg conversation and its read-back
summary, a person's consents with their full history, and the consent receipt (issue 3, points 2
and 7). Thin: the access policy loads, `consent.operations` records, templates show.

Authorisation in layers. Recording: the case manager of the case, and the procesregisseur and
management assistants, who may change every case ("De casemanager vraagt het huishouden om
toestemming", Afwegingskader stap 4; Privacyreglement, *Toegang*); other roles that work in cases
get 404 for the case, roles without cases 403. Reading a person's consents, a conversation
summary and the receipt: whoever may see the person (portal.access), 404 otherwise. Every read is
audited; the receipt as an export.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import to_user_timezone, to_utc
from flask_login import current_user
from sqlalchemy.orm import selectinload

from consent import forms
from consent.check import current_events
from consent.models import Channel, ConsentEvent, ConsentStatus, Purpose, RecordedBy
from consent.operations import record_decision
from consent.receipt import build_receipt
from portal import access, audit
from portal.extensions import db
from portal.models import Case, DataDomain, Person, User, utcnow
from portal.operations import RuleViolation
from portal.views import role_required

bp = Blueprint("consent", __name__)

DECISIONS = (ConsentStatus.GIVEN, ConsentStatus.REFUSED)
# Where a refused rule of `record_decision` is shown: beside the field it is about.
FIELD_OF_RULE = {
    "not_informed": "information_version",
    "representative_required": "representative_id",
    "not_the_representative": "representative_id",
    "in_future": "conversation_at",
}


def _recorded_by(user: User) -> RecordedBy:
    return RecordedBy.PROCESREGISSEUR if user.role in access.ALL_CASES else RecordedBy.CASE_MANAGER


def _asks_representative(person: Person) -> bool:
    return person.legal_representative_id is not None or person.is_minor_on(utcnow().date())


def _now_local() -> datetime:
    return to_user_timezone(utcnow()).replace(second=0, microsecond=0, tzinfo=None)


def _load_for_recording(case_id: int, person_id: int) -> tuple[Case, Person]:
    case = access.load_case(current_user, case_id, change=True, purpose="toestemming vastleggen")
    person = db.session.get(Person, person_id)
    if (
        not access.can_record_consent(current_user, case)
        or person is None
        or person.household_id != case.household_id
    ):
        abort(404)
    return case, person


def _grid(case: Case, person: Person, **kwargs) -> forms.ConsentGridForm:
    domains = db.session.scalars(sa.select(DataDomain).order_by(DataDomain.name_nl)).all()
    default_decider = (
        person.legal_representative_id
        if person.legal_representative_id and person.is_minor_on(utcnow().date())
        else 0
    )
    return forms.grid_form(
        list(case.team),
        list(domains),
        person,
        channel=Channel.BEMOEIZORG_CONVERSATION.value,
        representative_id=default_decider,
        **kwargs,
    )


def _render_grid(case: Case, person: Person, form: forms.ConsentGridForm, status: int = 200):
    now = utcnow()
    earlier: dict[tuple[int, int], list[ConsentEvent]] = {}
    for event in sorted(current_events(person.id, now), key=lambda e: e.purpose.value):
        earlier.setdefault((event.recipient_id, event.domain_id), []).append(event)
    return (
        render_template(
            "consent/grid.html",
            case=case,
            person=person,
            form=form,
            earlier=earlier,
            now=now,
            asks_representative=_asks_representative(person),
            is_minor=person.is_minor_on(now.date()),
            purpose_phrase=forms.purpose_phrase,
            domain_name=forms.domain_name,
            state_label=forms.state_label,
        ),
        status,
    )


@bp.route("/cases/<int:case_id>/persons/<int:person_id>/consents/new", methods=["GET", "POST"])
@role_required(*access.CASE_ROLES)
def record_grid(case_id: int, person_id: int):
    case, person = _load_for_recording(case_id, person_id)
    if request.method == "GET":
        form = _grid(case, person, conversation_at=_now_local())
        access.record_read(current_user, purpose="toestemming vastleggen", person=person)
        response = _render_grid(case, person, form)
        db.session.commit()
        return response
    form = _grid(case, person)
    if form.validate_on_submit():
        answered = form.answered_cells()
        if not answered:
            form.form_errors.append(
                _(
                    "Kies bij minstens één organisatie en leefgebied ‘Gegeven’ of ‘Geweigerd’. "
                    "Bij ‘Niet gevraagd’ wordt niets vastgelegd."
                )
            )
        else:
            try:
                events = _record(case, person, form, answered)
            except RuleViolation as problem:
                db.session.rollback()
                _show_problem(form, problem, person)
            else:
                db.session.commit()
                return redirect(
                    url_for("consent.conversation", person_id=person.id, event_id=events[0].id)
                )
    # Nothing of the refused conversation stays; showing the form again is a read of the person.
    db.session.rollback()
    access.record_read(current_user, purpose="toestemming vastleggen", person=person)
    response = _render_grid(case, person, form, status=422)
    db.session.commit()
    return response


def _record(case: Case, person: Person, form, answered) -> list[ConsentEvent]:
    """One event per answered cell, in one transaction: when a rule refuses one, the view rolls
    back and nothing of the conversation is stored."""
    effective_at = to_utc(form.conversation_at.data).replace(tzinfo=UTC)
    representative = (
        db.session.get(Person, form.representative_id.data) if form.representative_id.data else None
    )
    return [
        record_decision(
            current_user,
            person=person,
            domain=domain,
            recipient=partner,
            purpose=Purpose(form.purpose.data),
            status=status,
            recorded_by=_recorded_by(current_user),
            channel=Channel(form.channel.data),
            information_version=form.information_version.data or None,
            effective_at=effective_at,
            representative=representative,
            case=case,
        )
        for partner, domain, status in answered
    ]


def _show_problem(form, problem: RuleViolation, person: Person) -> None:
    name = FIELD_OF_RULE.get(problem.code)
    if name == "representative_id" and not _asks_representative(person):
        name = None
    if name is None:
        form.form_errors.append(problem.message)
        return
    field = form[name]
    field.errors = [*field.errors, problem.message]


def conversation_events(anchor: ConsentEvent) -> list[ConsentEvent]:
    """The decisions recorded together with `anchor`: same person, case, recorder, channel and
    moment of the conversation. Identified on the server, so a link shows one person's
    conversation and nothing else."""
    return list(
        db.session.scalars(
            sa.select(ConsentEvent)
            .where(
                ConsentEvent.person_id == anchor.person_id,
                ConsentEvent.effective_at == anchor.effective_at,
                ConsentEvent.case_id.is_not_distinct_from(anchor.case_id),
                ConsentEvent.recorder_id.is_not_distinct_from(anchor.recorder_id),
                ConsentEvent.channel == anchor.channel,
                ConsentEvent.status.in_(DECISIONS),
            )
            .order_by(ConsentEvent.id)
            .options(selectinload(ConsentEvent.recipient), selectinload(ConsentEvent.domain))
        )
    )


@bp.route("/persons/<int:person_id>/consents/conversations/<int:event_id>")
@role_required(*access.PERSON_ROLES)
def conversation(person_id: int, event_id: int):
    person = access.load_person(current_user, person_id, purpose="samenvatting toestemmingsgesprek")
    anchor = db.session.get(ConsentEvent, event_id)
    if anchor is None or anchor.person_id != person.id or anchor.status not in DECISIONS:
        abort(404)
    events = conversation_events(anchor)

    def sentences(status: ConsentStatus) -> list[str]:
        chosen = [event for event in events if event.status is status]
        chosen.sort(key=lambda e: (e.purpose.value, e.recipient.name, forms.domain_name(e.domain)))
        return [forms.decision_sentence(e.status, e.recipient, e.domain, e.purpose) for e in chosen]

    response = render_template(
        "consent/summary.html",
        person=person,
        anchor=anchor,
        given=sentences(ConsentStatus.GIVEN),
        refused=sentences(ConsentStatus.REFUSED),
        channel_label=forms.channel_label,
    )
    db.session.commit()
    return response


@bp.route("/persons/<int:person_id>/consents")
@role_required(*access.PERSON_ROLES)
def person_consents(person_id: int):
    person = access.load_person(current_user, person_id, purpose="toestemmingen inzien")
    now = utcnow()
    current = sorted(
        current_events(person.id, now),
        key=lambda e: (e.recipient.name, forms.domain_name(e.domain), e.purpose.value),
    )
    history = db.session.scalars(
        sa.select(ConsentEvent)
        .where(ConsentEvent.person_id == person.id)
        .order_by(ConsentEvent.effective_at.desc(), ConsentEvent.id.desc())
        .options(
            selectinload(ConsentEvent.recipient),
            selectinload(ConsentEvent.domain),
            selectinload(ConsentEvent.recorder).selectinload(User.partner),
            selectinload(ConsentEvent.representative),
        )
    ).all()
    recordable = [
        case
        for case in db.session.scalars(
            sa.select(Case)
            .where(Case.household_id == person.household_id, access.case_scope(current_user))
            .order_by(Case.id)
        )
        if access.can_record_consent(current_user, case)
    ]
    response = render_template(
        "consent/person_consents.html",
        person=person,
        current=current,
        history=history,
        recordable=recordable,
        now=now,
        decisions=DECISIONS,
        purpose_label=forms.purpose_label,
        domain_name=forms.domain_name,
        state_label=forms.state_label,
        status_label=forms.status_label,
        channel_label=forms.channel_label,
        recorded_by_label=forms.recorded_by_label,
    )
    db.session.commit()
    return response


@bp.route("/persons/<int:person_id>/consents/receipt.json")
@role_required(*access.PERSON_ROLES)
def receipt(person_id: int):
    """The consent receipt (ISO/IEC TS 27560 with DPV terms) as a download. An export, so it is
    audited as one; the legal bases in it come only from cases the reader may see."""
    person = db.session.get(Person, person_id)
    if person is None or not access.can_view_person(current_user, person):
        abort(404)
    case_ids = db.session.scalars(
        sa.select(Case.id).where(
            Case.household_id == person.household_id, access.case_scope(current_user)
        )
    ).all()
    document = build_receipt(person, legal_basis_case_ids=case_ids)
    audit.record(
        audit.Action.EXPORT,
        user=current_user,
        person_id=person.id,
        object_type="person",
        object_id=person.id,
        processing_activity="toestemmingsregister",
        purpose="toestemmingsbewijs downloaden",
    )
    db.session.commit()
    response = current_app.response_class(
        json.dumps(document, ensure_ascii=False, indent=2), mimetype="application/json"
    )
    response.headers["Content-Disposition"] = (
        f'attachment; filename="toestemmingen-{person.id}.json"'
    )
    return response


def init_app(app) -> None:
    app.register_blueprint(bp)
