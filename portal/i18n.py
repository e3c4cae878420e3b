"""Dutch by default, English on request (Flask-Babel)."""

from __future__ import annotations

from flask import Blueprint, current_app, has_request_context, redirect, request, session, url_for

from portal.forms import EmptyForm


def select_locale() -> str:
    # Outside a request (CLI, mail, letters) the default language applies.
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("lang")
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


bp = Blueprint("i18n", __name__)


@bp.route("/language/<code>", methods=["POST"])
def switch_language(code: str):
    """Switch the interface language; returns to the page the person was on."""
    form = EmptyForm()
    if form.validate_on_submit() and code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    target = request.form.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("auth.login")
    return redirect(target)


def init_app(app) -> None:
    app.register_blueprint(bp)

    @app.context_processor
    def _language():
        return {"current_language": select_locale(), "language_form": EmptyForm()}
