"""Command line: `flask --app portal db upgrade`, `demo load`, `audit verify`, `backup`, `restore`.

Commands reuse the operations the views use and commit once.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

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
    from portal.audit import verify_chain, waiting_to_be_sealed

    problem = verify_chain()
    if problem is None:
        click.echo("Audit chain intact.")
        waiting = waiting_to_be_sealed()
        if waiting:
            click.echo(f"{waiting} entries wait to be sealed ('flask audit seal').")
        return
    _chain_broken(problem)


def _chain_broken(problem) -> None:
    """Name the first broken row of the audit chain (portal.audit.ChainProblem) and fail."""
    click.echo(
        f"Auditketen gebroken bij rij {problem.seq} / audit chain broken at row {problem.seq} "
        f"({problem.kind}): {problem.message}",
        err=True,
    )
    sys.exit(1)


@audit_cli.command("seal")
def audit_seal() -> None:
    """Seal the entries still waiting into the chain (after a burst of work or a crash; for
    cron and before a backup)."""
    from portal.audit import seal

    sealed = seal(db.session, wait=True)
    db.session.commit()
    click.echo(f"Sealed {sealed} audit entries.")


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


def _backup_step(step, path: Path, **options):
    """Run `portal.backup.backup` or `restore` with progress; a refusal or an unreachable
    database is said in both languages, with exit status 1."""
    import sqlalchemy as sa

    from portal.backup import BackupError, unreachable

    try:
        return step(path, progress=click.echo, **options)
    except sa.exc.DBAPIError as problem:
        click.echo(str(unreachable(problem)), err=True)
    except BackupError as problem:
        click.echo(str(problem), err=True)
    sys.exit(1)


@click.command("backup")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--overwrite", is_flag=True, help="Replace PATH when it already exists.")
def backup_command(path: Path, overwrite: bool) -> None:
    """Write a backup of the whole database to PATH (pg_dump or the SQLite backup API).

    The file holds personal data (partly encrypted); the keys are not in it. See
    docs/operations.md."""
    from portal.backup import backup

    report = _backup_step(backup, path, overwrite=overwrite)
    manifest = report.manifest
    click.echo(
        f"Backup geschreven / backup written: {report.path} "
        f"({manifest.database}, {manifest.payload_bytes} bytes, "
        f"{sum(manifest.tables.values())} rijen/rows in {len(manifest.tables)} tabellen/tables, "
        f"schema {manifest.alembic_revision or '-'}, sha256 {manifest.sha256})."
    )
    click.echo(
        "Bewaar dit bestand als persoonsgegevens; ENCRYPTION_KEYS en LOOKUP_KEY zitten er niet "
        "in. / Store this file as personal data; ENCRYPTION_KEYS and LOOKUP_KEY are not in it."
    )


@click.command("restore")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--force", is_flag=True, help="Replace the data of a database that is not empty."
)
def restore_command(path: Path, force: bool) -> None:
    """Restore the backup at PATH into the configured database, then verify the audit chain.

    Refuses a damaged file, a backup of the other kind of database and, without --force, a
    database that already holds data. Stop the portal first."""
    from portal.backup import restore

    report = _backup_step(restore, path, force=force)
    for name, rows in report.tables.items():
        click.echo(f"  {name}: {rows}")
    click.echo(
        f"Hersteld / restored: {sum(report.manifest.tables.values())} rijen/rows uit/from "
        f"{path} (gemaakt/created {report.manifest.created_at})."
    )
    if report.extra_tables:
        click.echo(
            "Let op: deze tabellen zitten niet in de backup en zijn blijven staan / Note: these "
            "tables are not in the backup and were left as they were: "
            + ", ".join(f"{name} ({rows})" for name, rows in report.extra_tables.items()),
            err=True,
        )
    if report.needs_upgrade:
        click.echo(
            f"Schemaversie / schema revision {report.manifest.alembic_revision}: draai nu / now "
            "run `flask --app portal db upgrade`."
        )
    failed = False
    if report.keys_match is False:
        click.echo(
            "Let op: geen van de ingestelde ENCRYPTION_KEYS past bij de versleutelde gegevens "
            "in deze backup; zet de sleutels van toen. / Warning: none of the configured "
            "ENCRYPTION_KEYS fits the encrypted data in this backup; set the keys it was made "
            "with.",
            err=True,
        )
        failed = True
    if report.chain_problem is not None:
        _chain_broken(report.chain_problem)
    click.echo("Auditketen intact / audit chain intact.")
    if failed:
        sys.exit(1)


def init_app(app) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(notices_cli)
    app.cli.add_command(backup_command)  # issue 8, item 4
    app.cli.add_command(restore_command)
    from portal.retention import retention_cli  # Privacyreglement, Bewaartermijn (issue 7)

    app.cli.add_command(retention_cli)
    from portal.keys import keys_cli  # key rotation (docs/security.md)

    app.cli.add_command(keys_cli)
