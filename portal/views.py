"""Staff pages. Thin: load through the access policy, call an operation, render."""
from __future__ import annotations

from functools import wraps

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal import access, notices, operations
from portal.extensions import db
from portal.forms import EmptyForm, EntryForm, PartnerForm, PersonForm, choices
from portal.models import Case, DataDomain, EntryKind, Participation, Partner, Person, Role

bp = Blueprint("portal", __name__)


def role_required(*roles: Role):
    """Second layer of authorisation (after sign-in, before the object rule)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


@bp.route("/")
def index():
    return redirect(url_for("portal.dashboard"))


@bp.route("/dashboard")
@login_required
def dashboard():
    scope = access.case_scope(current_user)
    by_phase = dict(
        db.session.execute(
            sa.select(Case.phase, sa.func.count(Case.id)).where(scope).group_by(Case.phase)
        ).all()
    )
    partner_notices = notices.for_dashboard(current_user)
    db.session.commit()  # the audited reads of names in notices
    return render_template(
        "portal/dashboard.html",
        by_phase=by_phase,
        total=sum(by_phase.values()),
        may_see_cases=current_user.role in access.CASE_ROLES,
        notices=partner_notices,
        form=EmptyForm(),
    )


@bp.route("/notices/<int:notice_id>/read", methods=["POST"])
@role_required(*notices.DASHBOARD_ROLES)
def notice_read(notice_id: int):
    """Mark a notice of the user's own partner as read; another partner's notice answers 404."""
    notice = notices.load_for(current_user, notice_id) or abort(404)
    if EmptyForm().validate_on_submit():
        notices.mark_read(current_user, notice)
        db.session.commit()
    return redirect(url_for("portal.dashboard"))


@bp.route("/cases")
@role_required(*access.CASE_ROLES)
def case_list():
    # The list shows no personal data (reference, wijk, phase), so it is not a read of a file.
    cases = db.session.scalars(
        access.visible_cases()
        .where(access.case_scope(current_user))
        .options(sa.orm.joinedload(Case.household))
        .order_by(Case.opened_on.desc(), Case.id.desc())
    ).all()
    return render_template("portal/case_list.html", cases=cases)


def _entry_form(case: Case) -> EntryForm:
    form = EntryForm()
    form.kind.choices = choices((kind.value, _kind_label(kind)) for kind in EntryKind)
    domains = db.session.scalars(sa.select(DataDomain).order_by(DataDomain.name_nl)).all()
    form.domain_id.choices = choices((d.id, d.name_nl) for d in domains)
    form.person_id.choices = choices(
        [(0, _("Het hele huishouden"))] + [(p.id, p.full_name) for p in case.household.persons]
    )
    return form


def _kind_label(kind: EntryKind) -> str:
    return {
        EntryKind.PROBLEM_OUTLINE: _("Beschrijving van de problematiek"),
        EntryKind.PLAN: _("Plan van aanpak"),
        EntryKind.PRODUCT_ORDER: _("Productbestelling"),
        EntryKind.PROGRESS: _("Voortgang"),
        EntryKind.ACTION: _("Actie"),
        EntryKind.INVOLVED_ORGANISATION: _("Betrokken instantie"),
    }[kind]


@bp.route("/cases/<int:case_id>")
@role_required(*access.CASE_ROLES)
def case_detail(case_id: int):
    case = access.load_case(current_user, case_id, purpose="casus inzien")
    db.session.commit()
    return _render_case(case, _entry_form(case))


def _render_case(case: Case, form: EntryForm, status: int = 200):
    return (
        render_template(
            "portal/case_detail.html",
            case=case,
            form=form,
            kind_label=_kind_label,
            may_change=access.can_change_case(current_user, case),
            accepts_entries=case.phase >= operations.FIRST_PHASE_WITH_PERSONAL_DATA
            and not case.is_closed,
        ),
        status,
    )


@bp.route("/cases/<int:case_id>/entries", methods=["POST"])
@role_required(*access.CASE_ROLES)
def add_entry(case_id: int):
    case = access.load_case(current_user, case_id, change=True, purpose="kerngegevens vastleggen")
    form = _entry_form(case)
    if form.validate_on_submit():
        person = next((p for p in case.household.persons if p.id == form.person_id.data), None)
        try:
            operations.add_entry(
                current_user,
                case,
                kind=EntryKind(form.kind.data),
                domain=db.session.get(DataDomain, form.domain_id.data),
                text=form.text.data,
                person=person,
            )
        except operations.RuleViolation as problem:
            db.session.rollback()
            form.form_errors.append(problem.message)
        else:
            db.session.commit()
            flash(_("De gegevens zijn vastgelegd."), "success")
            return redirect(url_for("portal.case_detail", case_id=case.id))
    return _render_case(case, form, status=422)


@bp.route("/persons/<int:person_id>")
@role_required(*access.PERSON_ROLES)
def person_detail(person_id: int):
    person = access.load_person(current_user, person_id, purpose="betrokkene inzien")
    cases = db.session.scalars(
        sa.select(Case)
        .where(Case.household_id == person.household_id, access.case_scope(current_user))
        .order_by(Case.id)
    ).all()
    db.session.commit()
    return render_template(
        "portal/person_detail.html",
        person=person,
        cases=cases,
        bsn=operations.reveal_bsn(person),
        may_change=access.can_change_person(current_user, person),
    )


def _person_form(person: Person, **kwargs) -> PersonForm:
    form = PersonForm(**kwargs)
    others = [p for p in person.household.persons if p.id != person.id]
    form.legal_representative_id.choices = choices(
        [(0, _("Geen"))] + [(p.id, p.full_name) for p in others]
    )
    return form


@bp.route("/persons/<int:person_id>/edit", methods=["GET", "POST"])
@role_required(*access.CASE_ROLES)
def person_edit(person_id: int):
    person = access.load_person(current_user, person_id, change=True, purpose="NAW bijwerken")
    if request.method == "GET":
        form = _person_form(
            person,
            obj=person,
            bsn=operations.reveal_bsn(person),
            legal_representative_id=person.legal_representative_id or 0,
        )
        access.record_read(current_user, purpose="NAW bijwerken", person=person)
        db.session.commit()
        return render_template("portal/person_edit.html", form=form, person=person)
    form = _person_form(person)
    if form.validate_on_submit():
        representative = (
            db.session.get(Person, form.legal_representative_id.data)
            if form.legal_representative_id.data
            else None
        )
        try:
            operations.update_person(
                current_user,
                person,
                given_name=form.given_name.data,
                family_name=form.family_name.data,
                birth_date=form.birth_date.data,
                bsn=form.bsn.data,
                legal_representative=representative,
            )
        except operations.RuleViolation as problem:
            db.session.rollback()
            form.form_errors.append(problem.message)
        else:
            db.session.commit()
            flash(_("De gegevens zijn opgeslagen."), "success")
            return redirect(url_for("portal.person_detail", person_id=person.id))
    db.session.rollback()
    return render_template("portal/person_edit.html", form=form, person=person), 422


@bp.route("/partners")
@role_required(Role.ADMIN)
def partner_list():
    partners = db.session.scalars(sa.select(Partner).order_by(Partner.name)).all()
    return render_template("portal/partner_list.html", partners=partners)


@bp.route("/partners/<int:partner_id>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def partner_edit(partner_id: int):
    partner = db.session.get(Partner, partner_id) or abort(404)
    form = PartnerForm(obj=partner, partner=partner)
    domains = db.session.scalars(sa.select(DataDomain).order_by(DataDomain.name_nl)).all()
    form.domain_ids.choices = choices((d.id, d.name_nl) for d in domains)
    if not form.is_submitted():
        form.participation.data = partner.participation.value
        form.domain_ids.data = [d.id for d in partner.domains]
    if form.validate_on_submit():
        operations.update_partner(
            current_user,
            partner,
            name=form.name.data,
            participation=Participation(form.participation.data),
            is_municipal=form.is_municipal.data,
            professional_secrecy=form.professional_secrecy.data,
            statutory_task=form.statutory_task.data or None,
            contact_email=form.contact_email.data or None,
            domains=[d for d in domains if d.id in set(form.domain_ids.data or [])],
        )
        db.session.commit()
        flash(_("De partner is opgeslagen."), "success")
        return redirect(url_for("portal.partner_list"))
    status = 422 if form.is_submitted() else 200
    return render_template("portal/partner_edit.html", form=form, partner=partner), status
