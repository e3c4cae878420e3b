"""Oversight screens: the retention report and the data-breach register (issue 7).

Thin views: the rules are in `portal/retention.py` and `portal/breaches.py`.
- Retention report: the admin (who runs the command) and the procesregisseur (who closes cases);
  it shows case references and dates, no personal data.
- Data breaches: the privacy desk (for the college, the controller: AVG art. 33) and the admin.
  Names of the persons involved show only to whom may see those persons (portal.access).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import access, breaches, notices, retention
from portal.breaches import DataBreach, Risk, TellDecision
from portal.extensions import db
from portal.forms import EmptyForm, choices
from portal.models import Partner, Person, Role, utcnow
from portal.operations import RuleViolation
from portal.oversight_forms import (
    ApNotificationForm,
    AssessmentForm,
    BreachCasesForm,
    BreachForm,
    BreachPersonsForm,
    from_local,
    risk_label,
    tell_label,
)
from portal.views import role_required

bp = Blueprint("oversight", __name__, url_prefix="/oversight")

RETENTION_ROLES = (Role.ADMIN, Role.PROCESREGISSEUR)
BREACH_ROLES = (Role.PRIVACY_DESK, Role.ADMIN)


@bp.route("/retention")
@role_required(*RETENTION_ROLES)
def retention_report():
    today = retention.local_today()
    plans = retention.upcoming(today)
    return render_template(
        "oversight/retention.html",
        today=today,
        plans=plans,
        due_now=[plan for plan in plans if plan.due_on <= today],
        runs=retention.recent_runs(),
    )


# --- data breaches ------------------------------------------------------------------------------


def _references(text: str | None) -> list[str]:
    return [part for part in (text or "").replace(",", " ").split() if part]


def _partners():
    return db.session.scalars(sa.select(Partner).order_by(Partner.name)).all()


def _load_breach(breach_id: int) -> DataBreach:
    return db.session.get(DataBreach, breach_id) or abort(404)


@bp.route("/breaches")
@role_required(*BREACH_ROLES)
def breach_list():
    now = utcnow()
    rows = [(breach, breaches.deadline(breach, now)) for breach in breaches.register_list()]
    return render_template("oversight/breach_list.html", rows=rows, risk_label=risk_label)


@bp.route("/breaches/new", methods=["GET", "POST"])
@role_required(*BREACH_ROLES)
def breach_new():
    form = BreachForm()
    form.partner_id.choices = choices((p.id, p.name) for p in _partners())
    if form.validate_on_submit():
        try:
            cases = breaches.find_cases(_references(form.case_references.data))
            breach = breaches.register_breach(
                current_user,
                discovered_at=from_local(form.discovered_at.data),
                partner=db.session.get(Partner, form.partner_id.data),
                description=form.description.data,
                cases=cases,
            )
        except RuleViolation as problem:
            db.session.rollback()
            form.form_errors.append(problem.message)
        else:
            db.session.commit()
            flash(_("Het datalek is geregistreerd. De termijn van 72 uur loopt."), "success")
            return redirect(url_for("oversight.breach_detail", breach_id=breach.id))
    status = 422 if form.is_submitted() else 200
    return render_template("oversight/breach_new.html", form=form), status


def _persons_form(breach: DataBreach, **kwargs) -> BreachPersonsForm:
    form = BreachPersonsForm(**kwargs)
    form.person_ids.choices = choices(
        (person.id, person.full_name) for person in breaches.breach_candidates(breach)
    )
    return form


def _render_breach(breach: DataBreach, status: int = 200, **forms):
    may_see_persons = current_user.role in access.PERSON_LOOKUP
    persons = []
    if may_see_persons:
        for link in breach.persons:
            if access.can_view_person(current_user, link.person):
                access.record_read(current_user, purpose="datalek inzien", person=link.person)
                persons.append(link.person)
    assessment = forms.get("assessment") or AssessmentForm(
        risk=breach.risk.value if breach.risk else None,
        tell_decision=breach.tell_decision.value if breach.tell_decision else None,
        risk_reasoning=breach.risk_reasoning,
        tell_reasoning=breach.tell_reasoning,
    )
    persons_form = None
    if may_see_persons:
        persons_form = forms.get("persons") or _persons_form(
            breach, person_ids=[link.person_id for link in breach.persons]
        )
        for person_id, *_rest in persons_form.person_ids.iter_choices():
            person = db.session.get(Person, person_id)
            access.record_read(current_user, purpose="datalek: betrokkenen kiezen", person=person)
    db.session.commit()  # the audited reads
    return (
        render_template(
            "oversight/breach_detail.html",
            breach=breach,
            deadline=breaches.deadline(breach),
            persons=persons,
            assessment=assessment,
            ap_form=forms.get("ap") or ApNotificationForm(),
            cases_form=forms.get("cases") or BreachCasesForm(),
            persons_form=persons_form,
            notify_form=EmptyForm(),
            risk_label=risk_label,
            tell_label=tell_label,
            unnotified=[link for link in breach.cases if link.notified_at is None],
        ),
        status,
    )


@bp.route("/breaches/<int:breach_id>")
@role_required(*BREACH_ROLES)
def breach_detail(breach_id: int):
    return _render_breach(_load_breach(breach_id))


def _done(breach: DataBreach, message: str):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("oversight.breach_detail", breach_id=breach.id))


@bp.route("/breaches/<int:breach_id>/assessment", methods=["POST"])
@role_required(*BREACH_ROLES)
def breach_assess(breach_id: int):
    breach = _load_breach(breach_id)
    form = AssessmentForm()
    if form.validate_on_submit():
        try:
            breaches.assess(
                current_user,
                breach,
                risk=Risk(form.risk.data),
                risk_reasoning=form.risk_reasoning.data,
                tell_decision=TellDecision(form.tell_decision.data),
                tell_reasoning=form.tell_reasoning.data,
            )
        except RuleViolation as problem:
            db.session.rollback()
            form.form_errors.append(problem.message)
        else:
            return _done(breach, _("De beoordeling is opgeslagen."))
    return _render_breach(breach, 422, assessment=form)


@bp.route("/breaches/<int:breach_id>/ap", methods=["POST"])
@role_required(*BREACH_ROLES)
def breach_ap(breach_id: int):
    breach = _load_breach(breach_id)
    form = ApNotificationForm()
    if form.validate_on_submit():
        try:
            breaches.record_ap_notification(
                current_user,
                breach,
                notified_at=from_local(form.notified_at.data),
                reference=form.reference.data,
                delay_reason=form.delay_reason.data,
            )
        except RuleViolation as problem:
            db.session.rollback()
            form.form_errors.append(problem.message)
        else:
            return _done(breach, _("De melding aan de Autoriteit Persoonsgegevens is vastgelegd."))
    return _render_breach(breach, 422, ap=form)


@bp.route("/breaches/<int:breach_id>/cases", methods=["POST"])
@role_required(*BREACH_ROLES)
def breach_cases(breach_id: int):
    breach = _load_breach(breach_id)
    form = BreachCasesForm()
    if form.validate_on_submit():
        try:
            breaches.link_cases(
                current_user, breach, breaches.find_cases(_references(form.case_references.data))
            )
        except RuleViolation as problem:
            db.session.rollback()
            form.form_errors.append(problem.message)
        else:
            return _done(breach, _("De casussen zijn toegevoegd."))
    return _render_breach(breach, 422, cases=form)


@bp.route("/breaches/<int:breach_id>/persons", methods=["POST"])
@role_required(Role.PRIVACY_DESK)
def breach_persons(breach_id: int):
    """Choosing persons shows their names: the privacy desk, which may look persons up."""
    breach = _load_breach(breach_id)
    form = _persons_form(breach)
    if form.validate_on_submit():
        persons = [db.session.get(Person, person_id) for person_id in form.person_ids.data]
        try:
            breaches.set_persons(current_user, breach, persons)
        except RuleViolation as problem:
            db.session.rollback()
            form.form_errors.append(problem.message)
        else:
            return _done(breach, _("De betrokken personen zijn opgeslagen."))
    return _render_breach(breach, 422, persons=form)


@bp.route("/breaches/<int:breach_id>/notify", methods=["POST"])
@role_required(*BREACH_ROLES)
def breach_notify(breach_id: int):
    """Privacyprotocol art. 4: tell the partners on the cases "zo spoedig mogelijk"."""
    breach = _load_breach(breach_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    written = breaches.notify_partners(current_user, breach)
    db.session.commit()
    case_ids = sorted({notice.case_id for notice in written})
    for case_id in case_ids:
        notices.send_pending(case_id=case_id)
    if written:
        flash(
            _(
                "%(count)d partner(s) krijgen een melding op hun overzicht en per e-mail.",
                count=len(written),
            ),
            "success",
        )
    else:
        flash(_("Er waren geen partners meer te informeren."), "info")
    return redirect(url_for("oversight.breach_detail", breach_id=breach.id))
