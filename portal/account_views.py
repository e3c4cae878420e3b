"""Admin screens for staff accounts (issue 7, account governance). Only the admin role; the
rules are in portal/accounts.py."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import accounts, audit
from portal.extensions import db
from portal.forms import EmptyForm, choices
from portal.models import Partner, Role, User
from portal.operations import RuleViolation
from portal.oversight_forms import AccountForm, NewAccountForm, PasswordResetForm
from portal.views import role_required

bp = Blueprint("accounts", __name__, url_prefix="/accounts")


def _fill(form: AccountForm) -> AccountForm:
    form.role.choices = choices((role.value, accounts.role_label(role)) for role in Role)
    partners = db.session.scalars(sa.select(Partner).order_by(Partner.name)).all()
    form.partner_id.choices = choices((p.id, p.name) for p in partners)
    return form


def _load(account_id: int) -> User:
    return db.session.get(User, account_id) or abort(404)


def _fields(form: AccountForm) -> dict:
    return dict(
        name=form.name.data,
        email=form.email.data,
        role=Role(form.role.data),
        partner=db.session.get(Partner, form.partner_id.data),
        vog_date=form.vog_date.data,
        confidentiality_signed_on=form.confidentiality_signed_on.data,
    )


def _list_read(purpose: str) -> None:
    # Staff names and addresses are personal data too: looking at the list is on record.
    audit.record(
        audit.Action.READ,
        user=current_user,
        processing_activity=accounts.PROCESSING_ACTIVITY,
        purpose=purpose,
        object_type="staff_user",
        confidentiality=audit.Confidentiality.NORMAL,
    )
    db.session.commit()


@bp.route("")
@role_required(Role.ADMIN)
def account_list():
    rows = accounts.all_accounts()
    _list_read("accountoverzicht inzien")
    return render_template("oversight/accounts.html", rows=rows, role_label=accounts.role_label)


@bp.route("/review")
@role_required(Role.ADMIN)
def review():
    items = accounts.review_list()
    _list_read("periodieke controle van accounts")
    return render_template(
        "oversight/account_review.html",
        items=items,
        labels=accounts.REVIEW_LABELS,
        role_label=accounts.role_label,
        days=accounts.REVIEW_AFTER_DAYS,
    )


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def new():
    form = _fill(NewAccountForm())
    if form.validate_on_submit():
        try:
            account = accounts.create_account(
                current_user, temporary_password=form.password.data, **_fields(form)
            )
        except RuleViolation as problem:
            db.session.rollback()
            form.form_errors.append(problem.message)
        else:
            db.session.commit()
            flash(
                _(
                    "Het account is aangemaakt. Geef het tijdelijke wachtwoord persoonlijk door; "
                    "bij de eerste keer aanmelden koppelt de medewerker een authenticator-app."
                ),
                "success",
            )
            return redirect(url_for("accounts.edit", account_id=account.id))
    status = 422 if form.is_submitted() else 200
    return render_template("oversight/account_new.html", form=form), status


def _edit_form(account: User) -> AccountForm:
    form = _fill(AccountForm(formdata=None, obj=account))
    form.role.data = account.role.value
    return form


def _render_edit(
    account: User,
    form: AccountForm,
    reset: PasswordResetForm,
    status: int = 200,
    problem: str | None = None,
):
    return (
        render_template(
            "oversight/account_edit.html",
            account=account,
            form=form,
            reset=reset,
            toggle=EmptyForm(),
            role_label=accounts.role_label,
            problem=problem,
        ),
        status,
    )


@bp.route("/<int:account_id>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit(account_id: int):
    account = _load(account_id)
    form = _fill(AccountForm(obj=account))
    if not form.is_submitted():
        form.role.data = account.role.value
    if form.validate_on_submit():
        try:
            accounts.update_account(current_user, account, **_fields(form))
        except RuleViolation as problem:
            db.session.rollback()
            form.form_errors.append(problem.message)
        else:
            db.session.commit()
            flash(_("Het account is opgeslagen."), "success")
            return redirect(url_for("accounts.edit", account_id=account.id))
    status = 422 if form.is_submitted() else 200
    return _render_edit(account, form, PasswordResetForm(formdata=None), status)


@bp.route("/<int:account_id>/reset", methods=["POST"])
@role_required(Role.ADMIN)
def reset(account_id: int):
    account = _load(account_id)
    form = PasswordResetForm()
    if form.validate_on_submit():
        try:
            accounts.reset_sign_in(
                current_user,
                account,
                temporary_password=form.password.data,
                new_second_factor=form.new_second_factor.data,
            )
        except RuleViolation as problem:
            db.session.rollback()
            form.form_errors.append(problem.message)
        else:
            db.session.commit()
            flash(
                _("Aanmelden is opnieuw ingesteld. Alle sessies van dit account zijn beëindigd."),
                "success",
            )
            return redirect(url_for("accounts.edit", account_id=account.id))
    return _render_edit(account, _edit_form(account), form, 422)


def _toggle(account_id: int, operation, message: str):
    account = _load(account_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        operation(current_user, account)
    except RuleViolation as problem:
        db.session.rollback()
        return _render_edit(
            account, _edit_form(account), PasswordResetForm(formdata=None), 422, problem.message
        )
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("accounts.edit", account_id=account.id))


@bp.route("/<int:account_id>/deactivate", methods=["POST"])
@role_required(Role.ADMIN)
def deactivate(account_id: int):
    return _toggle(account_id, accounts.deactivate, _("Het account staat uit."))


@bp.route("/<int:account_id>/activate", methods=["POST"])
@role_required(Role.ADMIN)
def activate(account_id: int):
    return _toggle(account_id, accounts.reactivate, _("Het account staat weer aan."))
