"""Security headers, the idle timeout and no caching of personal data."""

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


def init_app(app) -> None:
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
            logout_user()
            session.clear()
            flash(
                _("U was een tijd niet actief en bent daarom afgemeld. Meld u opnieuw aan."), "info"
            )
            return redirect(
                url_for("auth.login", next=request.full_path if request.method == "GET" else None)
            )
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
