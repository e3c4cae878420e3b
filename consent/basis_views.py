"""The legal-basis register pages. Thin: the access policy loads the case, `consent.basis`
decides.

Authorisation in layers. Seeing the register: every role that works in cases, for the cases it
may see (404 outside them). Recording and ending a basis: the procesregisseur and the management
assistants only (Privacyprotocol art. 1); every other role gets 403 from the role layer before
any case is loaded, whether or not it could see the case, so the answer tells nothing about
which cases exist. A closed case is read-only: 404 from `load_case(change=True)`, as for entries.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from consent import basis as rules
from consent.basis_forms import (
    COMPATIBILITY_QUESTIONS,
    LegalBasisForm,
    basis_label,
    phase_label,
    purpose_label,
)
from consent.models import Basis, LegalBasisRecord, Purpose
from portal import access
from portal.extensions import db
from portal.forms import EmptyForm
from portal.models import Case, DataDomain
from portal.views import role_required

bp = Blueprint("legal_basis", __name__)


def _render_register(case: Case, *, problem: str | None = None, status: int = 200):
    return (
        render_template(
            "consent/basis_list.html",
            case=case,
            records=rules.register_of(case),
            may_manage=access.can_manage_case(current_user, case),
            problem=problem,
            end_form=EmptyForm(),
            basis_label=basis_label,
            purpose_label=purpose_label,
            phase_label=phase_label,
            questions=COMPATIBILITY_QUESTIONS,
        ),
        status,
    )


@bp.route("/cases/<int:case_id>/legal-basis")
@role_required(*access.CASE_ROLES)
def register(case_id: int):
    case = access.load_case(current_user, case_id, purpose="grondslagen inzien")
    response = _render_register(case)
    db.session.commit()
    return response


def _form(case: Case, **kwargs) -> LegalBasisForm:
    domains = db.session.scalars(sa.select(DataDomain).order_by(DataDomain.name_nl)).all()
    return LegalBasisForm(case=case, domains=domains, **kwargs)


def _render_form(case: Case, form: LegalBasisForm, status: int = 200):
    return (
        render_template(
            "consent/basis_form.html",
            case=case,
            form=form,
            statutes=rules.STATUTE_SUGGESTIONS,
            tasks=[partner for partner in case.team if partner.statutory_task],
        ),
        status,
    )


def _load_for_managing(case_id: int) -> Case:
    case = access.load_case(current_user, case_id, change=True, purpose="grondslag vastleggen")
    if not access.can_manage_case(current_user, case):
        abort(403)
    return case


@bp.route("/cases/<int:case_id>/legal-basis/new", methods=["GET", "POST"])
@role_required(*access.ALL_CASES)
def new(case_id: int):
    case = _load_for_managing(case_id)
    if request.method == "GET":
        return _render_form(case, _form(case, phase=case.phase))
    form = _form(case)
    if form.validate_on_submit():
        try:
            rules.record_legal_basis(
                current_user,
                case,
                phase=form.phase.data,
                partner=next(p for p in case.team if p.id == form.partner.data),
                domain=db.session.get(DataDomain, form.domain.data),
                purpose=Purpose(form.purpose.data),
                basis=Basis(form.basis.data),
                statute=form.statute.data,
                proportionality=form.proportionality.data,
                subsidiarity=form.subsidiarity.data,
                urgency=form.urgency.data,
                conflict_of_duties=form.conflict_of_duties.data,
                compatibility=form.compatibility(),
            )
        except rules.LegalBasisRefused as refused:
            db.session.rollback()
            for problem in refused.problems:
                field = getattr(form, problem.field) if problem.field else None
                if field is not None:
                    field.errors.append(problem.message)
                else:
                    form.form_errors.append(problem.message)
        else:
            db.session.commit()
            flash(_("De grondslag is vastgelegd."), "success")
            return redirect(url_for("legal_basis.register", case_id=case.id))
    db.session.rollback()
    return _render_form(case, form, status=422)


@bp.route("/cases/<int:case_id>/legal-basis/<int:record_id>/end", methods=["POST"])
@role_required(*access.ALL_CASES)
def end(case_id: int, record_id: int):
    case = _load_for_managing(case_id)
    record = db.session.get(LegalBasisRecord, record_id)
    if record is None or record.case_id != case.id:
        abort(404)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        rules.end_legal_basis(current_user, record)
    except rules.LegalBasisRefused as refused:
        db.session.rollback()
        access.record_read(current_user, purpose="grondslagen inzien", case=case)
        response = _render_register(case, problem=refused.message, status=422)
        db.session.commit()
        return response
    db.session.commit()
    flash(_("De grondslag is beëindigd."), "success")
    return redirect(url_for("legal_basis.register", case_id=case.id))
