"""The Regieteam privacy portal: app factory."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask

from portal.config import Config, check_production


def create_app(config: object | dict | None = None) -> Flask:
    app = Flask(__name__, template_folder="../templates", instance_relative_config=False)
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    check_production(app.config)
    from portal import routing

    routing.init_app(app)  # `<int:...>` ids are bounded to the id columns (before any route)
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(
        minutes=max(app.config["IDLE_TIMEOUT_MINUTES"], app.config["SESSION_COOKIE_MINUTES"])
    )
    register_extensions(app)
    register_blueprints(app)
    register_domain_packages(app)
    register_security(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    from portal import audit, breaches, i18n, models, notices, retention, statistics  # noqa: F401  (models register their tables)  # noqa: F401  (oversight, issue 7)

    breaches.register_retention()
    from portal.extensions import babel, csrf, db, login_manager

    _ensure_sqlite_folder(app)
    db.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    login_manager.init_app(app)
    i18n.init_app(app)


def _ensure_sqlite_folder(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:///:memory:"):
        from pathlib import Path

        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


def register_blueprints(app: Flask) -> None:
    from portal import auth_views, citizen_views, letters, views

    app.register_blueprint(auth_views.bp)
    app.register_blueprint(views.bp)
    citizen_views.init_app(app)  # the citizen portal's sign-in and shell (/mijn)
    letters.init_app(app)  # letters (PDF): tables, staff screens, `flask letters` commands
    from portal import (  # issue 7: oversight
        account_views,
        audit_views,
        oversight_views,
        statistics_views,
    )

    app.register_blueprint(oversight_views.bp)  # retention report, data breaches
    app.register_blueprint(account_views.bp)  # staff accounts (admin)
    app.register_blueprint(audit_views.bp)  # the audit viewer (privacy desk)
    app.register_blueprint(statistics_views.bp)  # O&S reports and exports


def register_domain_packages(app: Flask) -> None:
    """The domain packages (consent, requests) build on `portal`; `portal` never imports them in
    code. They are named in the config and each registers its models, views and commands."""
    import importlib

    for name in app.config["DOMAIN_PACKAGES"]:
        importlib.import_module(name).init_app(app)


def register_security(app: Flask) -> None:
    from portal import security

    security.init_app(app)


def register_errorhandlers(app: Flask) -> None:
    from portal import errors

    errors.init_app(app)


def register_commands(app: Flask) -> None:
    from portal import cli

    cli.init_app(app)
