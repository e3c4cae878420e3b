"""Command line: `flask --app portal db upgrade`, `demo load`, `audit verify`.

Commands reuse the operations the views use and commit once.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from portal.extensions import db

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"

db_cli = AppGroup("db", help="Database schema (Alembic).")
audit_cli = AppGroup("audit", help="The audit trail.")
demo_cli = AppGroup("demo", help="Fictional demo data.")
notices_cli = AppGroup("notices", help="Notices to partners (outbox).")


def alembic_config():
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option(
        "sqlalchemy.url",
        current_app.config["SQLALCHEMY_DATABASE_URI"].replace("%", "%%"),
    )
    return config


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Bring the database schema to REVISION (default: the newest)."""
    from alembic import command

    command.upgrade(alembic_config(), revision)
    click.echo(f"Database at {revision}.")


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message: str) -> None:
    """Write a new revision from the difference between the models and the database."""
    from alembic import command

    command.revision(alembic_config(), message=message, autogenerate=True)


@audit_cli.command("verify")
def audit_verify() -> None:
    """Check the hash chain; name the first altered, missing or inserted row."""
    from portal.audit import verify_chain

    problem = verify_chain()
    if problem is None:
        click.echo("Audit chain intact.")
        return
    click.echo(
        f"Audit chain broken at row {problem.seq} ({problem.kind}): {problem.message}", err=True
    )
    sys.exit(1)


@demo_cli.command("load")
def demo_load() -> None:
    """Load the fictional demo data once (does nothing when it is already there)."""
    from portal import demo

    loaded = demo.load()
    db.session.commit()
    click.echo("Demo data loaded." if loaded else "Demo data already present.")


@demo_cli.command("accounts")
def demo_accounts() -> None:
    """Print the demo accounts and how to sign in."""
    from portal import demo

    click.echo(demo.accounts_text())


@notices_cli.command("send")
@click.option("--limit", default=100, show_default=True, help="At most this many notices.")
def notices_send(limit: int) -> None:
    """Email the notices not sent yet (each committed on its own); exit 1 when one failed."""
    from portal.notices import send_pending

    report = send_pending(limit)
    click.echo(f"Notices sent: {report.sent}, failed: {report.failed}.")
    if report.failed:
        sys.exit(1)


def init_app(app) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(notices_cli)
    from portal.retention import retention_cli  # Privacyreglement, Bewaartermijn (issue 7)

    app.cli.add_command(retention_cli)
