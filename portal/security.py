"""Security headers, the idle timeout, the longest session, no caching of personal data, and the
production cookie settings (OWASP ASVS 4.0.3 V3 and V14.4; checklist in docs/security.md)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)


def harden_cookies(config) -> None:
    """Production: the session cookie only over HTTPS, under a `__Host-` name (ASVS 3.4.1, 3.4.4:
    sent only to this host, never to a sibling domain). Set here and not only from the environment,
    so a production config handed to `create_app` cannot forget it."""
    if config.get("PORTAL_ENV") != "production":
        return
    config["SESSION_COOKIE_SECURE"] = True
    config["REMEMBER_COOKIE_SECURE"] = True
    config["SESSION_COOKIE_DOMAIN"] = None
    config["SESSION_COOKIE_PATH"] = "/"
    if not config.get("SESSION_COOKIE_NAME", "").startswith("__Host-"):
        config["SESSION_COOKIE_NAME"] = "__Host-session"


# When the session began (a Unix time), for its longest length: staff and citizen sessions alike.
SIGNED_IN_AT = "signed_in_at"


def start_session_clock() -> None:
    """A session (staff or citizen) begins now: called when signing in, on a fresh session."""
    session[SIGNED_IN_AT] = datetime.now(UTC).timestamp()


def session_too_long(now: float) -> bool:
    """However active, a session ends SESSION_MAX_HOURS after signing in (ASVS 3.3.2: 12 hours
    at level 2); the one rule for staff (below) and citizens (portal/citizen.py). A session from
    before this rule starts counting now."""
    signed_in_at = session.setdefault(SIGNED_IN_AT, now)
    return now - signed_in_at > current_app.config["SESSION_MAX_HOURS"] * 3600


def _sign_out(message: str):
    logout_user()
    session.clear()
    flash(message, "info")
    return redirect(
        url_for("auth.login", next=request.full_path if request.method == "GET" else None)
    )


def init_app(app) -> None:
    harden_cookies(app.config)

    @app.before_request
    def _idle_timeout():
        # Privacy: a screen left open does not stay signed in (15 minutes without activity).
        # Partner systems (the JSON API) authenticate per request with a key, not a session.
        if (
            request.endpoint == "static"
            or request.path.startswith("/api/")
            or not current_user.is_authenticated
        ):
            return None
        now = datetime.now(UTC).timestamp()
        last_seen = session.get("last_seen")
        limit = current_app.config["IDLE_TIMEOUT_MINUTES"] * 60
        if last_seen is not None and now - last_seen > limit:
            return _sign_out(
                _("U was een tijd niet actief en bent daarom afgemeld. Meld u opnieuw aan.")
            )
        if session_too_long(now):
            return _sign_out(_("U bent lang geleden aangemeld. Meld u opnieuw aan."))
        session["last_seen"] = now
        return None

    @app.after_request
    def _headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.endpoint != "static":
            headers["Cache-Control"] = "no-store"
        if current_app.config.get("PORTAL_ENV") == "production":
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
