"""The citizen portal's shell: signing in (DigiD through OpenID Connect, the code from a letter, in
demo mode a DigiD mock), the home page "Mijn overzicht", who looked at my file, signing out and
the accessibility statement. Thin: the rules live in portal/citizen.py, portal/oidc.py and
portal/letters/access_codes.py.

The pages for consents, requests and letters belong to their packages; they register a section of
the home page with `portal.citizen.register_section`.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _

from portal import auth, citizen, oidc
from portal.citizen_forms import DigidMockForm, LetterCodeForm
from portal.extensions import db
from portal.forms import EmptyForm, choices
from portal.letters import access_codes
from portal.models import Person
from portal.operations import reveal_bsn

bp = Blueprint("citizen", __name__, url_prefix="/mijn")
# Registered only in demo mode and never in production (`init_app`): in production the address
# does not exist at all.
demo_bp = Blueprint("citizen_demo", __name__, url_prefix="/mijn")

OIDC_SESSION_KEY = "citizen_oidc"
# Typed codes count against the sign-in rate limit of portal/auth.py per client address, in their
# own namespace so that they neither use up nor borrow from the staff's attempts.
CODE_ATTEMPT_PREFIX = "letter-code:"
# When the accessibility statement was last checked against the pages.
STATEMENT_DATE = date(2026, 11, 28)


def _sign_in_page(*, error: str | None = None, status: int = 200, next_target=None):
    return (
        render_template(
            "citizen/sign_in.html",
            error=error,
            next=citizen.safe_next(next_target),
            digid=oidc.configured(),
            mock="citizen_demo.digid_mock" in current_app.view_functions,
        ),
        status,
    )


def _signed_in(person: Person, method: citizen.SignInMethod, next_target):
    citizen.sign_in(person, method)
    db.session.commit()
    flash(_("U bent ingelogd."), "success")
    return redirect(citizen.after_sign_in_target(person, next_target))


@bp.route("/inloggen")
def sign_in():
    next_target = citizen.safe_next(request.args.get("next"))
    if citizen.current_person() is not None:
        return redirect(next_target or url_for(".home"))
    return _sign_in_page(next_target=next_target)


# --- DigiD through the OpenID Connect broker ---------------------------------------------------


def _redirect_uri() -> str:
    return current_app.config["OIDC_REDIRECT_URI"] or url_for(".digid_callback", _external=True)


@bp.route("/digid")
def digid_start():
    next_target = citizen.safe_next(request.args.get("next"))
    try:
        url, pending = oidc.begin(_redirect_uri())
    except oidc.SignInError as problem:
        current_app.logger.warning("DigiD sign-in not started: %s %s", problem.code, problem.detail)
        return _sign_in_page(error=problem.message, status=503, next_target=next_target)
    pending["next"] = next_target
    session[OIDC_SESSION_KEY] = pending
    return redirect(url)


@bp.route("/digid/terug")
def digid_callback():
    pending = session.pop(OIDC_SESSION_KEY, None)
    next_target = pending.get("next") if isinstance(pending, dict) else None
    try:
        claims = oidc.finish(pending, request.args)
        bsn = oidc.bsn_from(claims)
    except oidc.SignInError as problem:
        current_app.logger.warning("DigiD sign-in refused: %s %s", problem.code, problem.detail)
        status = 503 if problem.code in ("unavailable", "not_configured") else 400
        return _sign_in_page(error=problem.message, status=status, next_target=next_target)
    person = citizen.person_for_bsn(bsn)
    if person is None:
        # Nothing is stored about someone we do not know, not even that they tried.
        return _sign_in_page(error=str(citizen.UNKNOWN_PERSON), status=403)
    return _signed_in(person, citizen.SignInMethod.DIGID, next_target)


# --- the one-time code from a letter -----------------------------------------------------------


def _redeem(code_or_token: str):
    """The person of the code, or (None, status, message). The attempt counts against the rate
    limit before the code is looked at, so guessing stops at the limit."""
    key = CODE_ATTEMPT_PREFIX + (request.remote_addr or "?")
    if auth.rate_limited(key):
        return (
            None,
            429,
            _("Te vaak een code geprobeerd. Probeer het over een paar minuten opnieuw."),
        )
    auth.note_attempt(key)
    db.session.commit()
    try:
        person = access_codes.redeem_code(code_or_token)
    except access_codes.AccessCodeError as problem:
        db.session.rollback()
        return None, 422, _(problem.message)
    return person, 200, None


@bp.route("/code", methods=["GET", "POST"])
def code():
    form = LetterCodeForm()
    status = 200
    next_target = request.args.get("next")
    if form.validate_on_submit():
        person, status, message = _redeem(form.code.data)
        if person is not None:
            return _signed_in(person, citizen.SignInMethod.LETTER_CODE, next_target)
        form.code.errors.append(message)
    elif form.is_submitted():
        status = 422
    return render_template("citizen/code.html", form=form), status


@bp.route("/code/<token>", methods=["GET", "POST"])
def code_link(token: str):
    """The link in the QR code on the letter. Opening it only shows a button: a link checker or
    a preview that fetches the address does not use up the code."""
    form = EmptyForm()
    message, status = None, 200
    if form.validate_on_submit():
        person, status, message = _redeem(token)
        if person is not None:
            return _signed_in(person, citizen.SignInMethod.LETTER_CODE, None)
    elif form.is_submitted():
        status = 400
    return render_template("citizen/code_link.html", form=form, error=message), status


# --- DigiD mock (demo mode only) ---------------------------------------------------------------


@demo_bp.route("/digid-mock", methods=["GET", "POST"])
def digid_mock():
    """Signs in as DigiD would, through the BSN, for demos and development. The demo data is made
    up, so listing its persons here is not a read of anyone's file."""
    form = DigidMockForm()
    persons = db.session.scalars(
        sa.select(Person)
        .where(Person.bsn_hash.is_not(None))
        .order_by(Person.family_name, Person.given_name)
        .limit(50)
    ).all()
    form.person_id.choices = choices((person.id, person.full_name) for person in persons)
    status = 200
    if form.validate_on_submit():
        chosen = db.session.get(Person, form.person_id.data) if form.person_id.data else None
        bsn = form.bsn.data or (reveal_bsn(chosen) if chosen is not None else "")
        person = citizen.person_for_bsn(bsn)
        if person is not None:
            return _signed_in(person, citizen.SignInMethod.DIGID_MOCK, request.args.get("next"))
        form.form_errors.append(str(citizen.UNKNOWN_PERSON))
        status = 422
    elif form.is_submitted():
        status = 422
    return render_template("citizen/mock.html", form=form), status


# --- signed in ---------------------------------------------------------------------------------


@bp.route("")
@citizen.citizen_required
def home():
    viewer = citizen.current_person()
    persons = citizen.represented(viewer)
    for person in persons:
        citizen.record_read(viewer, person, purpose="mijn overzicht")
    page = render_template(
        "citizen/home.html", viewer=viewer, persons=persons, sections=citizen.sections()
    )
    db.session.commit()
    return page


@bp.route("/<int:person_id>/inzage")
@citizen.citizen_required
def looked(person_id: int):
    viewer = citizen.current_person()
    subject = citizen.load_file(person_id, purpose="inzien wie gegevens bekeek")
    page_number = request.args.get("pagina", 1, type=int)
    looks, pages = citizen.looked_at(subject, page_number)
    page = render_template(
        "citizen/looked.html",
        viewer=viewer,
        subject=subject,
        looks=looks,
        page=min(max(1, page_number), pages),
        pages=pages,
    )
    db.session.commit()
    return page


@bp.route("/verder")
@citizen.citizen_required
def resume():
    """After a time-out: send on the form the person had filled in, or not."""
    waiting = citizen.pending_resume(citizen.current_person())
    citizen.drop_resume()  # from here on it lives in this page only
    if waiting is None:
        return redirect(url_for(".home"))
    return render_template("citizen/resume.html", resume=waiting)


@bp.route("/uitloggen", methods=["POST"])
def sign_out():
    if not EmptyForm().validate_on_submit():
        abort(400)
    if citizen.current_person() is not None:  # a staff session is not ended from here
        citizen.sign_out()
        db.session.commit()
        flash(_("U bent uitgelogd."), "success")
    return redirect(url_for(".sign_in"))


@bp.route("/toegankelijkheid")
def accessibility():
    return render_template("citizen/accessibility.html", statement_date=STATEMENT_DATE)


def init_app(app) -> None:
    citizen.init_app(app)
    app.register_blueprint(bp)
    if app.config.get("DEMO") and app.config.get("PORTAL_ENV") != "production":
        app.register_blueprint(demo_bp)
