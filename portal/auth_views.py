"""Staff sign-in pages: password, then TOTP (enrolment by QR on first sign-in); the staff
member's own password change, which comes first after signing in with a temporary password."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pyotp
import segno
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
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from portal import auth, security
from portal.extensions import db, login_manager
from portal.forms import ChangePasswordForm, EmptyForm, LoginForm, TotpForm
from portal.models import User

bp = Blueprint("auth", __name__, url_prefix="/auth")

login_manager.login_view = "auth.login"
login_manager.login_message = None
login_manager.session_protection = "strong"


@login_manager.user_loader
def _load_user(session_id: str):
    return auth.load_session_user(session_id)


def _safe_next(target: str | None) -> str:
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("portal.dashboard")


def _pending_user() -> User | None:
    pending = session.get("pending_user")
    if not pending:
        return None
    return auth.load_session_user(pending)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("portal.dashboard"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        result = auth.check_first_factor(
            form.email.data, form.password.data, request.remote_addr or "?"
        )
        db.session.commit()
        if result.outcome is auth.Outcome.OK:
            session.clear()
            session["pending_user"] = result.user.get_id()
            session["next"] = _safe_next(request.args.get("next"))
            if result.user.totp_confirmed:
                return redirect(url_for("auth.second_factor"))
            return redirect(url_for("auth.enrol"))
        status = 429 if result.outcome is auth.Outcome.RATE_LIMITED else 200
        form.form_errors.append(_message(result))
    return render_template("auth/login.html", form=form, demo_accounts=_demo_accounts()), status


def _message(result: auth.SignInResult) -> str:
    match result.outcome:
        case auth.Outcome.RATE_LIMITED:
            return _("Te veel pogingen vanaf dit adres. Probeer het over een paar minuten opnieuw.")
        case auth.Outcome.LOCKED:
            return _(
                "Dit account is tijdelijk geblokkeerd na te veel mislukte pogingen. "
                "Probeer het opnieuw na %(time)s.",
                time=format_datetime(result.locked_until, "HH:mm"),
            )
        case auth.Outcome.NO_VOG:
            return _(
                "Voor dit account is geen VOG-datum geregistreerd. Zonder Verklaring Omtrent "
                "Gedrag is er geen toegang. Neem contact op met de beheerder."
            )
        case auth.Outcome.INACTIVE:
            return _("Dit account is niet actief. Neem contact op met de beheerder.")
        case _:
            return _("Het e-mailadres of het wachtwoord klopt niet.")


def _demo_accounts() -> list[dict]:
    """Demo mode only: the seeded accounts with their current code, so a demo needs no phone."""
    if not current_app.config.get("DEMO") or current_app.config.get("PORTAL_ENV") == "production":
        return []
    from portal.demo import demo_users

    users = db.session.scalars(demo_users()).all()
    return [
        {
            "email": user.email,
            "name": user.name,
            "role": user.role.value,
            "code": pyotp.TOTP(user.totp_secret).now() if user.totp_secret else None,
        }
        for user in users
    ]


def _finish(user: User):
    auth.complete_sign_in(user)
    db.session.commit()
    target = session.get("next") or url_for("portal.dashboard")
    # A new session on signing in: nothing set before it (by anyone) carries over (ASVS 3.2.1).
    session.clear()
    session.permanent = True
    login_user(user)
    # The start of the session, for the limit on its total length (portal/security.py).
    security.start_session_clock()
    if user.password_temporary:
        session[TEMPORARY_PASSWORD] = True
        flash(
            _(
                "U bent aangemeld met een tijdelijk wachtwoord van de beheerder. "
                "Kies eerst een eigen wachtwoord."
            ),
            "info",
        )
        return redirect(url_for("auth.change_password"))
    flash(_("U bent aangemeld."), "success")
    return redirect(_safe_next(target))


@bp.route("/code", methods=["GET", "POST"])
def second_factor():
    user = _pending_user()
    if user is None or not user.totp_confirmed:
        return redirect(url_for("auth.login"))
    form = TotpForm()
    if form.validate_on_submit():
        outcome = auth.verify_totp(user, form.code.data)
        if outcome is auth.TotpResult.OK:
            return _finish(user)
        # A right code used before is on record apart: someone else may have seen it (ASVS 2.8.5).
        auth.register_failure(
            user,
            purpose="hergebruikte code" if outcome is auth.TotpResult.REUSED else "beveiliging",
        )
        db.session.commit()
        if user.locked_until is not None:
            session.clear()
            flash(_("Te veel onjuiste codes. Het account is tijdelijk geblokkeerd."), "error")
            return redirect(url_for("auth.login"))
        form.code.errors.append(_("Deze code klopt niet of is al gebruikt."))
    return render_template("auth/code.html", form=form)


@bp.route("/enrol", methods=["GET", "POST"])
def enrol():
    user = _pending_user()
    if user is None or user.totp_confirmed:
        return redirect(url_for("auth.login"))
    secret = session.get("enrol_secret")
    if not secret:
        secret = auth.new_totp_secret()
        session["enrol_secret"] = secret
    form = TotpForm()
    if form.validate_on_submit():
        if auth.check_totp(user, form.code.data, secret=secret):
            user.totp_secret = secret
            user.totp_confirmed = True
            return _finish(user)
        form.code.errors.append(
            _("Deze code klopt niet. Scan de QR-code opnieuw en probeer het nog eens.")
        )
    uri = auth.provisioning_uri(user, secret)
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(
        buffer, kind="svg", scale=5, xmldecl=False, title=_("QR-code voor uw authenticator-app")
    )
    return render_template(
        "auth/enrol.html", form=form, qr_svg=buffer.getvalue().decode("utf-8"), secret=secret
    )


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    if not EmptyForm().validate_on_submit():
        abort(400)
    logout_user()
    session.clear()
    flash(_("U bent afgemeld."), "success")
    return _signed_out(redirect(url_for("auth.login")))


def _signed_out(response):
    # What the browser kept of the signed-in pages goes too (ASVS 8.2.3); the cookie itself is
    # replaced by the cleared session.
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@bp.route("/logout-everywhere", methods=["POST"])
@login_required
def logout_everywhere():
    if not EmptyForm().validate_on_submit():
        abort(400)
    auth.sign_out_everywhere(current_user)
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("U bent op alle apparaten afgemeld."), "success")
    return _signed_out(redirect(url_for("auth.login")))


# --- the own password change (ASVS 2.1.5, 2.1.6) and the temporary password (ASVS 2.3.1) --------

# Session key: this session signed in with a password the administrator set; every page but the
# change page (and signing out) sends the staff member there until they choose their own.
TEMPORARY_PASSWORD = "password_temporary"
OPEN_WITH_TEMPORARY_PASSWORD = frozenset(
    {
        "auth.change_password",
        "auth.logout",
        "auth.logout_everywhere",
        "static",
        "i18n.switch_language",
    }
)
@bp.before_app_request
def _temporary_password_first():
    if not session.get(TEMPORARY_PASSWORD) or request.endpoint in OPEN_WITH_TEMPORARY_PASSWORD:
        return None
    if not current_user.is_authenticated:
        return None
    return redirect(url_for("auth.change_password"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    user: User = current_user._get_current_object()
    form = ChangePasswordForm()
    status = 200
    if form.validate_on_submit():
        problem = auth.change_password(user, form.current.data, form.new.data)
        # A wrong current password is a failed sign-in (counted, audited): kept even so.
        db.session.commit()
        if problem is None:
            # The session version went up, so every other session of this account has ended;
            # this one carries on under the new version (ASVS 3.3.3).
            login_user(user)
            session.pop(TEMPORARY_PASSWORD, None)
            flash(_("Uw wachtwoord is gewijzigd. Op andere apparaten bent u afgemeld."), "success")
            return redirect(url_for("portal.dashboard"))
        if problem == "wrong_current" and auth.locked_until(user) is not None:
            # The same cap on guessing as at sign-in: this session ends too.
            logout_user()
            session.clear()
            flash(
                _("Te veel onjuiste wachtwoorden. Het account is tijdelijk geblokkeerd."), "error"
            )
            return _signed_out(redirect(url_for("auth.login")))
        target = form.current if problem == "wrong_current" else form.new
        target.errors = [*target.errors, auth.password_message(problem)]
        status = 422
    elif form.is_submitted():
        status = 422
    return (
        render_template(
            "auth/password.html",
            form=form,
            temporary=bool(session.get(TEMPORARY_PASSWORD)),
            min_length=auth.MIN_PASSWORD_LENGTH,
        ),
        status,
    )
