"""Reuse approval pages (Privacyprotocol art. 5): a partner asks to use data another partner
brought into a case for its own task; only that other partner decides. Rules in consent/reuse.py.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from consent import reuse
from consent.forms import domain_name
from consent.models import ReuseApproval, ReuseStatus
from consent.reuse_forms import ReuseDecisionForm, ReuseRequestForm
from portal import access, notices
from portal.extensions import db
from portal.forms import choices
from portal.models import Case, DataDomain, Partner, Person
from portal.operations import RuleViolation
from portal.views import role_required

bp = Blueprint("reuse", __name__)


def status_label(status: ReuseStatus) -> str:
    return {
        ReuseStatus.REQUESTED: _("Wacht op besluit"),
        ReuseStatus.APPROVED: _("Akkoord"),
        ReuseStatus.REFUSED: _("Geen akkoord"),
    }[status]


# Where the dashboard's notices of these kinds lead.
notices.register_link(reuse.KIND_REUSE_REQUESTED, lambda notice, user: url_for("reuse.inbox"))
notices.register_link(
    reuse.KIND_REUSE_DECIDED,
    lambda notice, user: (
        url_for("reuse.case_requests", case_id=notice.case_id) if notice.case_id else None
    ),
)


@bp.route("/reuse")
@role_required(*access.CASE_ROLES)
def inbox():
    """Requests waiting for the user's partner, and those it made, in cases the user sees. Shows
    case references, domains and partners only, no one's name."""
    scope = access.case_scope(current_user)
    base = (
        sa.select(ReuseApproval, Case.reference)
        .join(Case, Case.id == ReuseApproval.case_id)
        .where(scope)
    )
    to_decide = db.session.execute(
        base.where(
            ReuseApproval.source_partner_id == current_user.partner_id,
            ReuseApproval.status == ReuseStatus.REQUESTED,
        ).order_by(ReuseApproval.requested_at, ReuseApproval.id)
    ).all()
    asked = db.session.execute(
        base.where(ReuseApproval.user_partner_id == current_user.partner_id)
        .order_by(ReuseApproval.requested_at.desc(), ReuseApproval.id.desc())
        .limit(50)
    ).all()
    return render_template(
        "consent/reuse_inbox.html",
        to_decide=to_decide,
        asked=asked,
        status_label=status_label,
        domain_name=domain_name,
    )


def _request_form(case: Case) -> ReuseRequestForm:
    form = ReuseRequestForm()
    form.person_id.choices = choices((p.id, p.full_name) for p in case.household.persons)
    domains = db.session.scalars(sa.select(DataDomain).order_by(DataDomain.name_nl)).all()
    form.domain_id.choices = choices((d.id, domain_name(d)) for d in domains)
    form.source_partner_id.choices = choices(
        (p.id, p.name) for p in case.team if p.id != current_user.partner_id
    )
    # Any partner id reaches the rule, which refuses one outside the case team with a message.
    form.source_partner_id.validate_choice = False
    return form


@bp.route("/cases/<int:case_id>/reuse", methods=["GET", "POST"])
@role_required(*access.CASE_ROLES)
def case_requests(case_id: int):
    posted = request.method == "POST"
    case = access.load_case(
        current_user, case_id, change=posted, purpose="verzoeken om hergebruik inzien"
    )
    form = _request_form(case)
    if posted and form.validate_on_submit():
        person = next((p for p in case.household.persons if p.id == form.person_id.data), None)
        domain = db.session.get(DataDomain, form.domain_id.data)
        source = db.session.get(Partner, form.source_partner_id.data)
        try:
            if person is None or domain is None or source is None:
                raise RuleViolation("unknown_choice", _("Kies een persoon, leefgebied en partner."))
            reuse.request_reuse(
                current_user,
                case,
                person=person,
                domain=domain,
                source_partner=source,
                own_task=form.own_task.data,
            )
        except RuleViolation as problem:
            db.session.rollback()
            form.form_errors.append(problem.message)
        else:
            db.session.commit()
            notices.send_pending(case_id=case.id)
            flash(_("Uw verzoek is verstuurd naar %(partner)s.", partner=source.name), "success")
            return redirect(url_for("reuse.case_requests", case_id=case.id))
    if posted:
        db.session.rollback()
    else:
        db.session.commit()  # the audited read
    return _render_case(case, form, status=422 if posted else 200)


def _render_case(case: Case, form: ReuseRequestForm, status: int = 200):
    approvals = db.session.scalars(
        sa.select(ReuseApproval)
        .where(ReuseApproval.case_id == case.id)
        .order_by(ReuseApproval.requested_at.desc(), ReuseApproval.id.desc())
    ).all()
    persons = {p.id: p for p in case.household.persons}
    return (
        render_template(
            "consent/reuse_case.html",
            case=case,
            form=form,
            approvals=approvals,
            persons=persons,
            may_request=reuse.may_request(current_user, case),
            status_label=status_label,
            domain_name=domain_name,
        ),
        status,
    )


def _load_approval(approval_id: int) -> tuple[ReuseApproval, Case]:
    approval = db.session.get(ReuseApproval, approval_id)
    case = db.session.get(Case, approval.case_id) if approval is not None else None
    if case is None or not access.can_view_case(current_user, case):
        abort(404)
    return approval, case


@bp.route("/reuse/<int:approval_id>", methods=["GET", "POST"])
@role_required(*access.CASE_ROLES)
def decide(approval_id: int):
    approval, case = _load_approval(approval_id)
    person = db.session.get(Person, approval.person_id)
    may_decide = reuse.may_decide(current_user, approval)
    form = ReuseDecisionForm()
    if request.method == "GET":
        access.record_read(current_user, purpose="verzoek om hergebruik inzien", person=person)
        db.session.commit()
        return _render_decision(approval, case, person, form, may_decide)
    if not may_decide:
        abort(403)
    if form.validate_on_submit():
        try:
            if form.decision.data == "approve":
                reuse.approve_reuse(current_user, approval, form.reason.data)
            else:
                reuse.refuse_reuse(current_user, approval, form.reason.data)
        except RuleViolation as problem:
            db.session.rollback()
            form.form_errors.append(problem.message)
        else:
            db.session.commit()
            notices.send_pending(case_id=case.id)
            flash(_("Uw besluit is vastgelegd."), "success")
            return redirect(url_for("reuse.decide", approval_id=approval.id))
    db.session.rollback()
    return _render_decision(approval, case, person, form, may_decide, status=422)


def _render_decision(approval, case, person, form, may_decide, status: int = 200):
    return (
        render_template(
            "consent/reuse_decide.html",
            approval=approval,
            case=case,
            person=person,
            form=form,
            may_decide=may_decide and approval.status is ReuseStatus.REQUESTED,
            status_label=status_label,
            domain_name=domain_name,
        ),
        status,
    )
