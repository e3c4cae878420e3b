"""Staff screens for letters: preview before sending, send, the letter history of a person,
download a sent letter, revoke a sign-in code. Thin: the access policy decides, operations act.

Access: a person's letters follow `access.can_view_person`; sending follows
`access.can_change_case` for the case the letter is about; outside scope answers 404.
"""

from __future__ import annotations

from io import BytesIO

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import access
from portal.extensions import db
from portal.forms import EmptyForm, choices
from portal.letters import access_codes, content, operations
from portal.letters.forms import HouseholdLetterForm, PreviewForm, SendForm
from portal.letters.models import AccessCode, Letter, LetterChannel, LetterKind
from portal.letters.registry import LANGUAGES
from portal.models import Case, Decision, Person
from portal.operations import RuleViolation
from portal.views import role_required

bp = Blueprint("letters", __name__)


def kind_label(kind: LetterKind) -> str:
    return {
        LetterKind.INFORMATION: _("Informatiebrief"),
        LetterKind.ACKNOWLEDGEMENT: _("Ontvangstbevestiging"),
        LetterKind.EXTENSION: _("Verlenging van de termijn"),
        LetterKind.DECISION: _("Besluit op verzoek"),
        LetterKind.ACCESS_REPORT: _("Inzage: begeleidende brief"),
        LetterKind.NOT_PICKED_UP: _("Niet opgepakt"),
        LetterKind.RESTRICTION: _("Recht tijdelijk beperkt"),
        LetterKind.RESTRICTION_ENDED: _("Beperking opgeheven"),
        LetterKind.PROCESSING_RESTRICTION_LIFTED: _("Beperking van de verwerking opgeheven"),
        LetterKind.WITHDRAWAL_CONFIRMATION: _("Bevestiging: toestemming ingetrokken"),
    }[kind]


def channel_label(channel: LetterChannel) -> str:
    return {
        LetterChannel.POST: _("Post"),
        LetterChannel.EMAIL: _("E-mail"),
        LetterChannel.PORTAL: _("Privacyportaal"),
    }[channel]


def code_state_label(state: str) -> str:
    return {
        "open": _("nog niet gebruikt"),
        "used": _("gebruikt"),
        "revoked": _("ingetrokken"),
        "expired": _("verlopen"),
    }[state]


def _sendable_cases(person: Person) -> list[Case]:
    """The cases of the person's household the user may record in, that were not turned away."""
    cases = db.session.scalars(
        sa.select(Case)
        .where(
            Case.household_id == person.household_id,
            Case.decision != Decision.NOT_PICKED_UP,
            Case.closed_on.is_(None),
            access.case_scope(current_user),
        )
        .order_by(Case.id)
    ).all()
    return [case for case in cases if access.can_change_case(current_user, case)]


def _load_person_for_sending(person_id: int) -> Person:
    return access.load_person(current_user, person_id, change=True, purpose="brief opstellen")


def _case_from(cases: list[Case], value) -> Case | None:
    try:
        wanted = int(value)
    except (TypeError, ValueError):
        return None
    return next((case for case in cases if case.id == wanted), None)


def _preview_form(cases: list[Case]) -> PreviewForm:
    form = PreviewForm(request.args)
    form.case_id.choices = choices((case.id, case.reference) for case in cases)
    if not request.args and cases:
        form.case_id.data = cases[0].id
        form.language.data = "nl"
    return form


@bp.route("/persons/<int:person_id>/letters")
@role_required(*access.PERSON_ROLES)
def history(person_id: int):
    person = access.load_person(current_user, person_id, purpose="brieven inzien")
    # Letters to the household address follow their case, which the user may not see.
    letters = [
        letter
        for letter in operations.letters_for(person)
        if letter.person_id == person.id or access.can_view_letter(current_user, letter)
    ]
    db.session.commit()
    return render_template(
        "letters/pages/history.html",
        person=person,
        letters=letters,
        kind_label=kind_label,
        channel_label=channel_label,
        code_state=access_codes.code_state,
        code_state_label=code_state_label,
        may_send=current_user.role in access.CASE_ROLES
        and access.can_change_person(current_user, person),
        form=EmptyForm(),
    )


def _render_compose(person: Person, cases: list[Case], preview_form, send_form, status=200):
    case = _case_from(cases, preview_form.case_id.data)
    language = preview_form.language.data if preview_form.language.data in LANGUAGES else "nl"
    preview = None
    problem = None
    if case is not None:
        try:
            preview = operations.preview_html(
                current_user, content.information(person, case, language=language)
            )
        except RuleViolation as refusal:
            problem = refusal.message
        send_form.language.data = language
    db.session.commit()  # the audit entry of the preview
    return (
        render_template(
            "letters/pages/compose.html",
            person=person,
            cases=cases,
            case=case,
            language=language,
            preview_form=preview_form,
            send_form=send_form,
            preview=preview,
            problem=problem,
        ),
        status,
    )


@bp.route("/persons/<int:person_id>/letters/new")
@role_required(*access.CASE_ROLES)
def compose(person_id: int):
    """Afwegingskader stap 1 and stap 4: inform the household with the information letter."""
    person = _load_person_for_sending(person_id)
    cases = _sendable_cases(person)
    return _render_compose(person, cases, _preview_form(cases), SendForm(formdata=None))


def _sendable_case(person: Person, case_id: int) -> Case:
    """A case of the person's household the user may send the letter about; 404 otherwise."""
    case = _case_from(_sendable_cases(person), case_id)
    if case is None:
        abort(404)
    return case


@bp.route("/persons/<int:person_id>/cases/<int:case_id>/letters/preview.pdf")
@role_required(*access.CASE_ROLES)
def preview_pdf(person_id: int, case_id: int):
    person = _load_person_for_sending(person_id)
    case = _sendable_case(person, case_id)
    language = request.args.get("language", "nl")
    if language not in LANGUAGES:
        abort(404)
    try:
        rendered = operations.preview_pdf(
            current_user, content.information(person, case, language=language)
        )
    except RuleViolation:
        abort(404)
    db.session.commit()
    return send_file(
        BytesIO(rendered.pdf),
        mimetype="application/pdf",
        as_attachment=False,
        download_name=f"voorbeeld-{case.reference}.pdf",
    )


@bp.route("/persons/<int:person_id>/cases/<int:case_id>/letters", methods=["POST"])
@role_required(*access.CASE_ROLES)
def send(person_id: int, case_id: int):
    person = _load_person_for_sending(person_id)
    case = _sendable_case(person, case_id)
    cases = _sendable_cases(person)
    send_form = SendForm()
    language = send_form.language.data
    if send_form.validate_on_submit():
        try:
            if language not in LANGUAGES:
                raise RuleViolation("no_language", _("Kies Nederlands of Engels."))
            draft = content.information(person, case, language=language)
            operations.send_letter(
                current_user, draft, channel=LetterChannel(send_form.channel.data)
            )
        except RuleViolation as problem:
            db.session.rollback()
            send_form.form_errors.append(problem.message)
        else:
            db.session.commit()
            flash(_("De brief is gemaakt en bewaard. U kunt hem nu downloaden."), "success")
            return redirect(url_for("letters.history", person_id=person.id))
    preview_form = PreviewForm(formdata=None)
    preview_form.case_id.choices = choices((c.id, c.reference) for c in cases)
    preview_form.case_id.data = case.id
    preview_form.language.data = language if language in LANGUAGES else "nl"
    return _render_compose(person, cases, preview_form, send_form, status=422)


@bp.route("/letters/<int:letter_id>.pdf")
@role_required(*access.PERSON_ROLES)
def download(letter_id: int):
    """The stored bytes, unchanged; an export of personal data in the audit trail."""
    letter = db.session.get(Letter, letter_id)
    if letter is None or not access.can_view_letter(current_user, letter):
        abort(404)
    pdf = operations.stored_pdf(current_user, letter)
    db.session.commit()
    return send_file(
        BytesIO(pdf),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"brief-{letter.id}-{letter.kind.value}.pdf",
    )


@bp.route("/letters/codes/<int:code_id>/revoke", methods=["POST"])
@role_required(*access.CASE_ROLES)
def revoke_code(code_id: int):
    row = db.session.get(AccessCode, code_id)
    if row is None or not access.can_change_person(current_user, row.person):
        abort(404)
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            access_codes.revoke_code(current_user, row)
        except RuleViolation as problem:
            db.session.rollback()
            flash(problem.message, "error")
        else:
            db.session.commit()
            flash(_("De inlogcode is ingetrokken. Hij werkt niet meer."), "success")
    return redirect(url_for("letters.history", person_id=row.person_id))


# --- the not-picked-up notice to a household (Afwegingskader stap 3) --------------------------


def _load_not_picked_up(case_id: int) -> Case:
    # The case is closed by the decision, so viewing it is what counts: sending this letter is the
    # one thing left to do for it.
    case = access.load_case(current_user, case_id, purpose="brief niet opgepakt")
    if case.decision is not Decision.NOT_PICKED_UP:
        abort(404)
    return case


@bp.route("/cases/<int:case_id>/letters/not-picked-up", methods=["GET", "POST"])
@role_required(*access.CASE_ROLES)
def not_picked_up(case_id: int):
    case = _load_not_picked_up(case_id)
    form = HouseholdLetterForm(request.form if request.method == "POST" else request.args)
    language = form.language.data if form.language.data in LANGUAGES else "nl"
    if request.method == "POST" and form.validate_on_submit():
        try:
            operations.send_letter(current_user, content.not_picked_up(case, language=language))
        except RuleViolation as problem:
            db.session.rollback()
            form.form_errors.append(problem.message)
        else:
            db.session.commit()
            flash(_("De brief aan het huishouden is gemaakt en bewaard."), "success")
            return redirect(url_for("letters.not_picked_up", case_id=case.id))
    status = 422 if request.method == "POST" else 200
    preview = operations.preview_html(current_user, content.not_picked_up(case, language=language))
    sent = db.session.scalars(
        sa.select(Letter)
        .where(Letter.case_id == case.id, Letter.kind == LetterKind.NOT_PICKED_UP)
        .order_by(Letter.created_at.desc())
    ).all()
    db.session.commit()
    return (
        render_template(
            "letters/pages/not_picked_up.html",
            case=case,
            form=form,
            preview=preview,
            sent=sent,
            language=language,
        ),
        status,
    )
