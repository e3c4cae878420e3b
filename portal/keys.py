"""Key rotation: re-encrypt every value stored encrypted at rest under the newest key.

Privacyreglement, *Beveiliging*: the parties take "passende technische en organisatorische
maatregelen"; a key that may have leaked, or is simply old, must be replaceable without losing
data (ASVS 1.6.3, 6.2.4). `ENCRYPTION_KEYS` lists Fernet keys newest first; `portal/crypto.py`
encrypts with the first and decrypts with any. The procedure (docs/security.md):

1. put a new key in front of ENCRYPTION_KEYS and restart: new writes use it;
2. `flask --app portal keys rotate`: every stored value is re-encrypted under the first key;
3. `flask --app portal keys status` says 0 values wait: remove the old key and restart.

The run commits per batch and skips values already under the first key, so an interrupted run is
simply started again (resumable without any state of its own). Only the ciphertext changes, never
the plaintext: append-only tables (consent events, letters) keep their content, and their
database triggers are set aside for the one batch and restored in the same transaction. The run
is on record in the audit trail (start and outcome, counts only).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Optional

import click
import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from flask.cli import AppGroup

from portal import audit
from portal.crypto import EncryptedBytes, EncryptedText, fernets
from portal.extensions import db

PROCESSING_ACTIVITY = "sleutelbeheer"
DEFAULT_BATCH = 200
# Columns that hold a Fernet token without the EncryptedText/EncryptedBytes type: the BSN is
# encrypted by hand beside its keyed lookup hash (portal/operations.py `set_bsn`).
RAW_ENCRYPTED_COLUMNS = (("person", "bsn_encrypted"),)

keys_cli = AppGroup("keys", help="Encryption keys: rotation and status.")


@dataclass(frozen=True)
class EncryptedColumn:
    table: str
    column: str
    primary_key: str

    @property
    def name(self) -> str:
        return f"{self.table}.{self.column}"


@dataclass
class RotationReport:
    rotated: int = 0
    already_current: int = 0
    failed: list[str] = field(default_factory=list)  # "table.column#id", never the value
    stopped_early: bool = False

    @property
    def complete(self) -> bool:
        return not self.failed and not self.stopped_early


def encrypted_columns() -> list[EncryptedColumn]:
    """Every column stored encrypted, found from the models so a new one is never forgotten."""
    found = []
    raw = set(RAW_ENCRYPTED_COLUMNS)
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, (EncryptedText, EncryptedBytes)) or (
                (table.name, column.name) in raw
            ):
                keys = list(table.primary_key.columns)
                if len(keys) != 1:
                    raise RuntimeError(f"{table.name}: key rotation needs a single-column key")
                found.append(EncryptedColumn(table.name, column.name, keys[0].name))
    return found


def _current_and_all() -> tuple[Fernet, MultiFernet]:
    every_key = fernets()
    return every_key[0], MultiFernet(every_key)


def _raw_table(target: EncryptedColumn) -> sa.TableClause:
    # The column as plain bytes: the TypeDecorator would decrypt on reading.
    return sa.table(
        target.table,
        sa.column(target.primary_key, sa.Integer),
        sa.column(target.column, sa.LargeBinary),
    )


def _batches(target: EncryptedColumn, size: int) -> Iterator[list[tuple[int, bytes]]]:
    table = _raw_table(target)
    key_column, value_column = table.c[target.primary_key], table.c[target.column]
    last = None
    while True:
        query = sa.select(key_column, value_column).where(value_column.is_not(None))
        if last is not None:
            query = query.where(key_column > last)
        rows = db.session.execute(query.order_by(key_column).limit(size)).all()
        if not rows:
            return
        last = rows[-1][0]
        yield [(row[0], bytes(row[1])) for row in rows]


def _is_current(current: Fernet, token: bytes) -> bool:
    try:
        current.decrypt(token)
    except InvalidToken:
        return False
    return True


# --- append-only tables --------------------------------------------------------------------------


def _set_aside_triggers(table: str) -> list[str]:
    """Let this transaction update the table despite its no-update triggers; returns what
    `_restore_triggers` needs. Both run inside the batch's transaction."""
    connection = db.session.connection()
    dialect = connection.dialect.name
    if dialect == "postgresql":
        has_user_trigger = connection.execute(
            sa.text(
                "SELECT count(*) FROM pg_trigger WHERE tgrelid = CAST(:t AS regclass) "
                "AND NOT tgisinternal"
            ),
            {"t": table},
        ).scalar_one()
        if has_user_trigger:
            connection.exec_driver_sql(f'ALTER TABLE "{table}" DISABLE TRIGGER USER')
            return ["postgresql"]
        return []
    if dialect == "sqlite":
        rows = connection.execute(
            sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"),
            {"t": table},
        ).all()
        for name, _sql in rows:
            connection.exec_driver_sql(f'DROP TRIGGER "{name}"')
        return [sql for _name, sql in rows]
    return []


def _restore_triggers(table: str, saved: list[str]) -> None:
    connection = db.session.connection()
    if saved == ["postgresql"]:
        connection.exec_driver_sql(f'ALTER TABLE "{table}" ENABLE TRIGGER USER')
        return
    for statement in saved:
        connection.exec_driver_sql(statement)


# --- rotation -----------------------------------------------------------------------------------


def _rotate_column(
    target: EncryptedColumn, report: RotationReport, batch_size: int, limit: Optional[int]
) -> None:
    current, every_key = _current_and_all()
    table = _raw_table(target)
    key_column, value_column = table.c[target.primary_key], table.c[target.column]
    for batch in _batches(target, batch_size):
        changes = []
        for row_id, token in batch:
            if _is_current(current, token):
                report.already_current += 1
                continue
            if limit is not None and report.rotated + len(changes) >= limit:
                report.stopped_early = True
                break
            try:
                changes.append((row_id, token, every_key.rotate(token)))
            except InvalidToken:
                report.failed.append(f"{target.name}#{row_id}")
        if changes:
            saved = _set_aside_triggers(target.table)
            for row_id, old, new in changes:
                # Only when the value is still the one read: a row changed meanwhile by the running
                # application was already written under the first key.
                db.session.execute(
                    sa.update(table)
                    .where(key_column == row_id, value_column == old)
                    .values({target.column: new})
                )
            _restore_triggers(target.table, saved)
            db.session.commit()
            report.rotated += len(changes)
        if report.stopped_early:
            return


def _record(purpose: str) -> None:
    audit.record(
        audit.Action.UPDATE,
        processing_activity=PROCESSING_ACTIVITY,
        purpose=purpose[:200],
        object_type="encryption_key",
        confidentiality=audit.Confidentiality.NORMAL,
    )


def rotate(batch_size: int = DEFAULT_BATCH, limit: Optional[int] = None) -> RotationReport:
    """Re-encrypt every stored value not yet under the first key. Commits per batch; `limit`
    stops after that many values (a run in slices). Starting again carries on where it stopped."""
    columns = encrypted_columns()
    _record(f"sleutelrotatie gestart ({len(current_app.config['ENCRYPTION_KEYS'])} sleutels)")
    db.session.commit()
    report = RotationReport()
    try:
        for target in columns:
            _rotate_column(target, report, batch_size, limit)
            if report.stopped_early:
                break
    except Exception:
        db.session.rollback()
        _record(f"sleutelrotatie afgebroken na {report.rotated} waarden")
        db.session.commit()
        raise
    outcome = "voltooid" if report.complete else "onvolledig"
    _record(
        f"sleutelrotatie {outcome}: {report.rotated} opnieuw versleuteld, "
        f"{report.already_current} al actueel, {len(report.failed)} onleesbaar"
    )
    db.session.commit()
    return report


def stale_values() -> dict[str, int]:
    """Per column, how many stored values the first key cannot read yet (0 everywhere: the older
    keys can be removed from ENCRYPTION_KEYS)."""
    current, _every_key = _current_and_all()
    counts = {}
    for target in encrypted_columns():
        counts[target.name] = sum(
            1
            for batch in _batches(target, DEFAULT_BATCH)
            for _row_id, token in batch
            if not _is_current(current, token)
        )
    return counts


# --- command line -------------------------------------------------------------------------------


@keys_cli.command("generate")
def keys_generate() -> None:
    """Print a new random key, to put in front of ENCRYPTION_KEYS."""
    click.echo(Fernet.generate_key().decode("ascii"))


@keys_cli.command("rotate")
@click.option("--batch-size", default=DEFAULT_BATCH, show_default=True, type=click.IntRange(1))
@click.option("--limit", type=click.IntRange(1), help="Stop after this many values.")
def keys_rotate(batch_size: int, limit: Optional[int]) -> None:
    """Re-encrypt every stored value under the first key of ENCRYPTION_KEYS (resumable)."""
    report = rotate(batch_size=batch_size, limit=limit)
    click.echo(
        f"Re-encrypted: {report.rotated}, already under the first key: {report.already_current}, "
        f"unreadable: {len(report.failed)}."
    )
    for name in report.failed:
        click.echo(f"Unreadable with every key: {name}", err=True)
    if report.stopped_early:
        click.echo("Stopped at the limit; run again to carry on.")
    if report.failed:
        sys.exit(1)


@keys_cli.command("status")
def keys_status() -> None:
    """How many stored values still need the older keys; exit 1 while any do."""
    counts = stale_values()
    waiting = sum(counts.values())
    for name, count in counts.items():
        if count:
            click.echo(f"{name}: {count}")
    if waiting:
        click.echo(f"{waiting} values still need an older key: run `keys rotate`.")
        sys.exit(1)
    click.echo("Every value is under the first key; older keys can be removed.")
