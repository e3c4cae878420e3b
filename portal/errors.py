"""Error pages in plain language; never a stack trace."""

from __future__ import annotations

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from portal.extensions import db


def _messages() -> dict[int, str]:
    return {
        400: _("Het verzoek kon niet worden verwerkt. Probeer het opnieuw vanaf de vorige pagina."),
        403: _("U heeft geen toegang tot deze pagina."),
        404: _("Deze pagina bestaat niet, of u heeft er geen toegang toe."),
        405: _("Deze actie is hier niet mogelijk."),
        413: _("Wat u verstuurde is te groot."),
        429: _("Te veel verzoeken. Wacht een paar minuten en probeer het opnieuw."),
        500: _(
            "Er ging iets mis aan onze kant. Er is niets opgeslagen. Probeer het later opnieuw."
        ),
    }


def _wants_json() -> bool:
    # A .json address (the consent receipt, the access report) answers its errors in JSON too.
    return (
        request.path.startswith("/api/")
        or request.path.endswith(".json")
        or request.accept_mimetypes.best == "application/json"
    )


def render_error(status: int, code: str, message: str | None = None):
    db.session.rollback()  # one transaction per request: nothing half-written stays behind
    message = message or _messages().get(status, _messages()[500])
    if _wants_json():
        return jsonify({"error": {"code": code, "message": message}}), status
    return render_template("errors.html", status=status, message=message), status


def init_app(app) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error):
        return render_error(
            400,
            "csrf",
            _(
                "Het formulier is verlopen of onvolledig. "
                "Laad de pagina opnieuw en probeer het nog eens."
            ),
        )

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        status = error.code or 500
        return render_error(status, (error.name or "error").lower().replace(" ", "_"))

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        app.logger.exception("Unhandled error")
        return render_error(500, "internal_error")
