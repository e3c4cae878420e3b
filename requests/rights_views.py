"""The desk's pages for carrying out access, rectification and erasure: each shows what the step
will do before the desk confirms it. Thin: load through `requests.access`, call the operation,
commit once, send what the step wrote after the commit.

Showing the person's data on these pages is a read for the request, audited as such; compiling
the access report is an export (requests/access_report.py).
"""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.extensions import db
from portal.operations import RuleViolation, reveal_bsn
from requests import access, access_report, erasure, rectification, rights
from requests.forms import RectifyEntryForm, RectifyPersonForm, StepForm
from requests.models import PrivacyRequest, RequestType
from requests.views import bp, desk_only, send_after_commit


def _load(request_id: int, right: RequestType, *, change: bool, purpose: str) -> PrivacyRequest:
    """The request, when it is about `right`; 404 otherwise (the page does not exist for it)."""
    privacy_request = access.load_request(current_user, request_id, purpose=purpose, change=True)
    if privacy_request.type is not right:
        abort(404)
    if not change:
        access.record_read(current_user, privacy_request, purpose=purpose)
    return privacy_request


# --- access (AVG art. 15) -------------------------------------------------------------------


@bp.route("/<int:request_id>/access-report")
@desk_only
def access_report_page(request_id: int):
    privacy_request = _load(
        request_id, RequestType.ACCESS, change=True, purpose="inzageoverzicht bekijken"
    )
    try:
        preview = access_report.preview(current_user, privacy_request)
    except RuleViolation as problem:
        db.session.rollback()
        flash(problem.message, "error")
        return redirect(url_for("requests.detail", request_id=privacy_request.id))
    db.session.commit()
    return render_template(
        "requests/access_report.html",
        r=privacy_request,
        preview=preview,
        form=StepForm(formdata=None, prefix="report", data={"version": privacy_request.version_id}),
    )


@bp.route("/<int:request_id>/access-report.json")
@desk_only
def access_report_json(request_id: int):
    privacy_request = _load(
        request_id, RequestType.ACCESS, change=True, purpose="inzageoverzicht als JSON"
    )
    try:
        body = access_report.export_json(current_user, privacy_request)
    except RuleViolation:
        db.session.rollback()
        abort(404)
    db.session.commit()
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": f"attachment; filename={privacy_request.reference}.json",
            "Cache-Control": "no-store",
        },
    )


@bp.route("/<int:request_id>/access-report", methods=["POST"])
@desk_only
def send_access_report(request_id: int):
    privacy_request = _load(
        request_id, RequestType.ACCESS, change=True, purpose="inzageoverzicht versturen"
    )
    form = StepForm(prefix="report")
    if form.validate_on_submit():
        try:
            access_report.send_access_report(
                current_user, privacy_request, version=form.version_number
            )
        except RuleViolation as problem:
            db.session.rollback()
            form.form_errors.append(problem.message)
        else:
            db.session.commit()
            send_after_commit(privacy_request)
            flash(_("Het overzicht is gemaakt en bewaard als brief. Het gaat per post."), "success")
            return redirect(url_for("requests.detail", request_id=privacy_request.id))
    db.session.rollback()
    preview = None
    try:
        preview = access_report.preview(current_user, privacy_request)
    except RuleViolation as problem:
        db.session.rollback()
        form.form_errors.append(problem.message)
    db.session.commit()
    return (
        render_template(
            "requests/access_report.html", r=privacy_request, preview=preview, form=form
        ),
        422,
    )


# --- rectification (AVG art. 16) ------------------------------------------------------------

RECTIFY_PURPOSE = "gegevens tonen voor rectificatie (AVG art. 16)"


def _render_rectify(privacy_request, person_form=None, entry_forms=None, status=200):
    person = privacy_request.person
    version = {"version": str(privacy_request.version_id)}
    if person_form is None:
        person_form = RectifyPersonForm(
            formdata=None,
            prefix="person",
            data={
                **version,
                "given_name": person.given_name,
                "family_name": person.family_name,
                "birth_date": person.birth_date,
                "bsn": reveal_bsn(person) or "",
            },
        )
    entries = rectification.rectifiable_entries(person)
    forms = {
        entry.id: RectifyEntryForm(
            formdata=None, prefix=f"entry-{entry.id}", data={**version, "text": entry.text}
        )
        for entry in entries
    }
    forms.update(entry_forms or {})
    return (
        render_template(
            "requests/rectify.html",
            r=privacy_request,
            person=person,
            person_form=person_form,
            entries=entries,
            entry_forms=forms,
            history=rectification.history(privacy_request),
            may_carry_out="carry_out" in _actions(privacy_request),
        ),
        status,
    )


def _actions(privacy_request: PrivacyRequest) -> set[str]:
    from requests import operations

    return operations.possible_actions(privacy_request)


@bp.route("/<int:request_id>/rectify")
@desk_only
def rectify_page(request_id: int):
    privacy_request = _load(
        request_id, RequestType.RECTIFICATION, change=False, purpose=RECTIFY_PURPOSE
    )
    page = _render_rectify(privacy_request)
    db.session.commit()
    return page


def _rectify_step(privacy_request, form, apply, *, entry_id=None):
    if form.validate_on_submit():
        try:
            apply(form)
        except RuleViolation as problem:
            db.session.rollback()
            form.form_errors.append(problem.message)
        else:
            db.session.commit()
            send_after_commit(privacy_request)
            flash(_("De gegevens zijn verbeterd; de oude waarde blijft bewaard."), "success")
            return redirect(url_for("requests.rectify_page", request_id=privacy_request.id))
    db.session.rollback()
    access.record_read(current_user, privacy_request, purpose=RECTIFY_PURPOSE)
    if entry_id is None:
        page = _render_rectify(privacy_request, person_form=form, status=422)
    else:
        page = _render_rectify(privacy_request, entry_forms={entry_id: form}, status=422)
    db.session.commit()
    return page


@bp.route("/<int:request_id>/rectify", methods=["POST"])
@desk_only
def rectify_person(request_id: int):
    privacy_request = _load(
        request_id, RequestType.RECTIFICATION, change=True, purpose=RECTIFY_PURPOSE
    )
    return _rectify_step(
        privacy_request,
        RectifyPersonForm(prefix="person"),
        lambda form: rectification.rectify_person(
            current_user,
            privacy_request,
            version=form.version_number,
            given_name=form.given_name.data,
            family_name=form.family_name.data,
            birth_date=form.birth_date.data,
            bsn=form.bsn.data,
        ),
    )


@bp.route("/<int:request_id>/rectify/entries/<int:entry_id>", methods=["POST"])
@desk_only
def rectify_entry(request_id: int, entry_id: int):
    privacy_request = _load(
        request_id, RequestType.RECTIFICATION, change=True, purpose=RECTIFY_PURPOSE
    )
    if entry_id not in {e.id for e in rectification.rectifiable_entries(privacy_request.person)}:
        abort(404)
    return _rectify_step(
        privacy_request,
        RectifyEntryForm(prefix=f"entry-{entry_id}"),
        lambda form: rectification.rectify_entry(
            current_user,
            privacy_request,
            version=form.version_number,
            entry_id=entry_id,
            text=form.text.data,
        ),
        entry_id=entry_id,
    )


# --- erasure (AVG art. 17) --------------------------------------------------------------------

ERASURE_PURPOSE = "wissen voorbereiden (AVG art. 17)"


def _render_erasure(privacy_request, form=None, status=200):
    plan = erasure.plan_for(privacy_request.person)
    form = form or StepForm(
        formdata=None, prefix="erase", data={"version": str(privacy_request.version_id)}
    )
    return (
        render_template(
            "requests/erasure.html",
            r=privacy_request,
            plan=plan,
            form=form,
            may_carry_out="carry_out" in _actions(privacy_request),
            done=[
                event
                for event in privacy_request.events
                if event.kind is rights.CARRIED_OUT[privacy_request.type]
            ],
        ),
        status,
    )


@bp.route("/<int:request_id>/erasure")
@desk_only
def erasure_page(request_id: int):
    privacy_request = _load(request_id, RequestType.ERASURE, change=False, purpose=ERASURE_PURPOSE)
    page = _render_erasure(privacy_request)
    db.session.commit()
    return page


@bp.route("/<int:request_id>/erasure", methods=["POST"])
@desk_only
def erase(request_id: int):
    privacy_request = _load(request_id, RequestType.ERASURE, change=True, purpose=ERASURE_PURPOSE)
    form = StepForm(prefix="erase")
    if form.validate_on_submit():
        try:
            erasure.carry_out_erasure(current_user, privacy_request, version=form.version_number)
        except RuleViolation as problem:
            db.session.rollback()
            form.form_errors.append(problem.message)
        else:
            db.session.commit()
            send_after_commit(privacy_request)
            flash(_("De gegevens zijn gewist. Leg nu het besluit vast."), "success")
            return redirect(url_for("requests.detail", request_id=privacy_request.id))
    db.session.rollback()
    access.record_read(current_user, privacy_request, purpose=ERASURE_PURPOSE)
    page = _render_erasure(privacy_request, form, status=422)
    db.session.commit()
    return page
