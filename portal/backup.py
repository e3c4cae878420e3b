"""Backup and restore of the whole database (issue 8, item 4): `flask --app portal backup PATH`
and `flask --app portal restore PATH`.

PostgreSQL is dumped with pg_dump in its custom format and read back with pg_restore in one
transaction; SQLite is copied with its online backup API (`sqlite3.Connection.backup`). Which of
the two is chosen by the configured SQLALCHEMY_DATABASE_URI.

A backup file is one file: a fixed-size header, then the dump itself.

    line 1    REGIETEAM-PORTAL-BACKUP 1
    line 2    the manifest (JSON), padded with spaces to HEADER_BYTES
    byte HEADER_BYTES onwards: the pg_dump custom-format archive or the SQLite database file

The manifest names the kind of database, the Alembic revision, the rows per table and the SHA-256
of the dump. A restore checks all of it before it touches the database, and counts the rows and
walks the audit chain afterwards. The file is written under a temporary name and renamed only when
complete, so a failed backup never leaves a half file that looks valid.

Personal data in the dump stays as the database holds it (BSNs and free text encrypted, names in
the clear). The keys (ENCRYPTION_KEYS, LOOKUP_KEY) are never part of a backup.

Error messages are in plain Dutch and English: the command line has no language choice.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Optional

import sqlalchemy as sa
from flask import current_app

from portal.extensions import db

MAGIC = b"REGIETEAM-PORTAL-BACKUP 1\n"
FORMAT = "regieteam-portal-backup"
FORMAT_VERSION = 1
HEADER_BYTES = 65536
CHUNK = 1024 * 1024
SQLITE_PAGES_PER_STEP = 1024
PAYLOAD_MAGIC = {"postgresql": b"PGDMP", "sqlite": b"SQLite format 3\x00"}
# Holds only the schema revision, which `flask db upgrade` writes into a fresh database.
SCHEMA_ONLY_TABLES = {"alembic_version"}
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


class BackupError(Exception):
    """A refusal or failure with a code and a message in Dutch and in English."""

    def __init__(self, code: str, nl: str, en: str, detail: str = "") -> None:
        self.code, self.nl, self.en, self.detail = code, nl, en, detail.strip()
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"Fout: {self.nl}\nError: {self.en}"
        return f"{text}\n{self.detail}" if self.detail else text


@dataclass
class Manifest:
    database: str  # "postgresql" or "sqlite"
    created_at: str
    alembic_revision: Optional[str]
    tables: dict[str, int]
    payload_bytes: int = 0
    sha256: str = ""
    tool: str = ""
    format: str = FORMAT
    format_version: int = FORMAT_VERSION

    def to_json(self) -> bytes:
        return json.dumps(self.__dict__, sort_keys=True, separators=(",", ":")).encode("utf-8")

    def sealed_part(self) -> bytes:
        """Everything but the checksum. The checksum covers this and the dump, so a changed row
        count, revision or kind is caught as surely as a changed byte of data."""
        fields = {name: value for name, value in self.__dict__.items() if name != "sha256"}
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode("utf-8") + b"\n"

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        try:
            data = json.loads(raw.decode("utf-8"))
            manifest = cls(
                database=data["database"],
                created_at=data["created_at"],
                alembic_revision=data["alembic_revision"],
                tables={str(k): int(v) for k, v in data["tables"].items()},
                payload_bytes=int(data["payload_bytes"]),
                sha256=str(data["sha256"]),
                tool=str(data.get("tool", "")),
                format=data["format"],
                format_version=int(data["format_version"]),
            )
        except KeyError as problem:
            raise _not_a_backup(f"ontbrekend veld / missing field: {problem}") from problem
        except (ValueError, TypeError, AttributeError) as problem:
            raise _not_a_backup(str(problem)) from problem
        if manifest.format != FORMAT or manifest.format_version != FORMAT_VERSION:
            raise _not_a_backup()
        if manifest.database not in PAYLOAD_MAGIC:
            raise BackupError(
                "unknown_kind",
                f"Onbekende soort database in de backup: {manifest.database!r}.",
                f"Unknown kind of database in the backup: {manifest.database!r}.",
            )
        return manifest


@dataclass
class BackupReport:
    path: Path
    manifest: Manifest


@dataclass
class RestoreReport:
    manifest: Manifest
    tables: dict[str, int]
    chain_problem: object  # portal.audit.ChainProblem or None
    extra_tables: dict[str, int] = field(default_factory=dict)
    keys_match: Optional[bool] = None  # None: no encrypted BSN to check the keys on

    @property
    def needs_upgrade(self) -> bool:
        """The restored schema is older than this version of the portal."""
        revision = self.manifest.alembic_revision
        return revision is not None and revision not in newest_revisions()


def unreachable(problem: Exception) -> BackupError:
    """The database in DATABASE_URL cannot be reached (or refused a statement)."""
    return BackupError(
        "database_error",
        "De database (DATABASE_URL) is niet bereikbaar of weigerde een opdracht.",
        "The database (DATABASE_URL) cannot be reached or refused a statement.",
        str(getattr(problem, "orig", None) or problem),
    )


def _not_a_backup(detail: str = "") -> BackupError:
    return BackupError(
        "not_a_backup",
        "Dit bestand is geen backup van het privacyportaal, of de kop is beschadigd.",
        "This file is not a backup of the privacy portal, or its header is damaged.",
        detail,
    )


# --- shared helpers ---------------------------------------------------------------------------


def _kind() -> str:
    name = db.engine.dialect.name
    if name not in PAYLOAD_MAGIC:
        raise BackupError(
            "unsupported_database",
            f"Backup en restore werken alleen op PostgreSQL en SQLite, niet op {name}.",
            f"Backup and restore work only on PostgreSQL and SQLite, not on {name}.",
        )
    return name


def count_rows(connection: sa.Connection) -> dict[str, int]:
    """Rows per table of the connected database (its default schema), by name."""
    names = sorted(sa.inspect(connection).get_table_names())
    count = sa.select(sa.func.count())
    return {
        name: connection.execute(count.select_from(sa.table(name))).scalar_one() for name in names
    }


def _revision(connection: sa.Connection, tables: dict[str, int]) -> Optional[str]:
    if "alembic_version" not in tables:
        return None
    return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def _scripts():
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS))


def known_revisions() -> set[str]:
    return {script.revision for script in _scripts().walk_revisions()}


def newest_revisions() -> set[str]:
    return set(_scripts().get_heads())


def _seal(manifest: Manifest, payload: Path) -> None:
    manifest.payload_bytes = payload.stat().st_size
    digest = hashlib.sha256(manifest.sealed_part())
    with payload.open("rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    manifest.sha256 = digest.hexdigest()


@contextmanager
def _private_dir(parent: Optional[Path] = None) -> Iterator[Path]:
    """A directory only this user can read (mkdtemp makes it 0700), removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix=".portal-backup-", dir=parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            "missing_tool",
            f"Het programma {name} is niet gevonden. Installeer de PostgreSQL-clientprogramma's "
            "(Debian: apt-get install postgresql-client) in een versie die minstens zo nieuw is "
            "als de databaseserver, en zorg dat ze in PATH staan.",
            f"The program {name} was not found. Install the PostgreSQL client programs (Debian: "
            "apt-get install postgresql-client), at least as new as the database server, and "
            "make sure they are on PATH.",
        )
    return found


def _pg_env(url: sa.URL) -> dict[str, str]:
    """Connection settings for pg_dump and pg_restore as environment variables, so that the
    password never appears on a command line (where `ps` shows it to every user)."""
    env = dict(os.environ)
    settings = {
        "PGHOST": url.host or url.query.get("host"),
        "PGPORT": str(url.port) if url.port else url.query.get("port"),
        "PGUSER": url.username,
        "PGPASSWORD": url.password,
        "PGDATABASE": url.database,
        "PGSSLMODE": url.query.get("sslmode"),
    }
    for name, value in settings.items():
        if isinstance(value, tuple):  # a query option given twice
            value = value[0]
        if value:
            env[name] = str(value)
    return env


def _run(command: list[str], env: dict[str, str], nl: str, en: str) -> None:
    """Run a PostgreSQL program; when it fails, say what that means and pass on its own words."""
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        name = Path(command[0]).name
        raise BackupError(
            "tool_failed",
            f"{name} is mislukt (exitcode {result.returncode}). {nl}",
            f"{name} failed (exit code {result.returncode}). {en}",
            result.stderr,
        )


# --- backup -----------------------------------------------------------------------------------


def backup(path: Path, *, overwrite: bool = False, progress: Progress = _quiet) -> BackupReport:
    """Write a backup of the configured database to `path`."""
    path = Path(path)
    kind = _kind()
    if path.exists() and not overwrite:
        raise BackupError(
            "exists",
            f"{path} bestaat al. Kies een nieuwe naam of geef --overwrite mee.",
            f"{path} already exists. Choose a new name or pass --overwrite.",
        )
    if not path.parent.is_dir():
        raise BackupError(
            "no_folder",
            f"De map {path.parent} bestaat niet.",
            f"The folder {path.parent} does not exist.",
        )
    db.session.remove()
    partial = path.with_name(f".{path.name}.partial")
    try:
        with _private_dir(path.parent) as work:
            payload = work / "payload"
            if kind == "postgresql":
                manifest = _dump_postgresql(payload, progress)
            else:
                manifest = _dump_sqlite(payload, progress)
            for name, rows in manifest.tables.items():
                progress(f"  {name}: {rows}")
            progress("Controlegetal berekenen / computing checksum")
            _seal(manifest, payload)
            _write_backup_file(partial, manifest, payload)
        os.replace(partial, path)
    except OSError as problem:
        raise BackupError(
            "write_failed",
            f"De backup kon niet worden geschreven naar {path}.",
            f"The backup could not be written to {path}.",
            str(problem),
        ) from problem
    finally:
        partial.unlink(missing_ok=True)
    return BackupReport(path=path, manifest=manifest)


def _write_backup_file(target: Path, manifest: Manifest, payload: Path) -> None:
    header = MAGIC + manifest.to_json()
    if len(header) + 1 > HEADER_BYTES:
        raise BackupError(
            "manifest_too_large",
            "De beschrijving van de backup past niet in de kop.",
            "The backup's manifest does not fit in its header.",
        )
    header += b" " * (HEADER_BYTES - len(header) - 1) + b"\n"
    # 0600: the file holds personal data; only the owner reads it.
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out, payload.open("rb") as source:
        out.write(header)
        shutil.copyfileobj(source, out, CHUNK)
        out.flush()
        os.fsync(out.fileno())


def _manifest(kind: str, tables: dict[str, int], revision: Optional[str], tool: str) -> Manifest:
    return Manifest(
        database=kind,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        alembic_revision=revision,
        tables=tables,
        tool=tool,
    )


def _dump_postgresql(payload: Path, progress: Progress) -> Manifest:
    pg_dump = _tool("pg_dump")
    version = subprocess.run(
        [pg_dump, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    # The counts and pg_dump see the same moment: this transaction exports its snapshot and
    # pg_dump reads through it (--snapshot) while the transaction stays open.
    with db.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            snapshot = connection.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
            progress("Rijen tellen / counting rows")
            tables = count_rows(connection)
            revision = _revision(connection, tables)
            progress(f"pg_dump draait / running pg_dump ({version})")
            _run(
                [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={payload}"],
                _pg_env(db.engine.url),
                "Er is geen backup geschreven.",
                "No backup was written.",
            )
    return _manifest("postgresql", tables, revision, version)


def _sqlite_path(url: sa.URL) -> Path:
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError(
            "sqlite_memory",
            "Alleen een SQLite-database in een bestand kan worden gebruikt.",
            "Only an SQLite database in a file can be used.",
        )
    return Path(url.database)


def _dump_sqlite(payload: Path, progress: Progress) -> Manifest:
    source_path = _sqlite_path(db.engine.url)
    if not source_path.is_file():
        raise BackupError(
            "no_database",
            f"De database {source_path} bestaat niet.",
            f"The database {source_path} does not exist.",
        )
    progress("Database kopiëren / copying the database (sqlite3 backup API)")
    source = sqlite3.connect(source_path)
    target = sqlite3.connect(payload)
    try:
        source.backup(target)  # all pages in one step: one consistent moment
    finally:
        target.close()
        source.close()
    progress("Rijen tellen / counting rows")
    engine = sa.create_engine(f"sqlite:///{payload}", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            tables = count_rows(connection)
            revision = _revision(connection, tables)
    finally:
        engine.dispose()
    tool = f"sqlite3 backup API, SQLite {sqlite3.sqlite_version}"
    return _manifest("sqlite", tables, revision, tool)


# --- restore ----------------------------------------------------------------------------------


def read_manifest(path: Path) -> Manifest:
    """The manifest of a backup file, without checking its contents."""
    path = Path(path)
    try:
        with path.open("rb") as source:
            header = source.read(HEADER_BYTES)
    except OSError as problem:
        raise BackupError(
            "unreadable",
            f"Het bestand {path} kan niet worden gelezen.",
            f"The file {path} cannot be read.",
            str(problem),
        ) from problem
    if len(header) < HEADER_BYTES or not header.startswith(MAGIC) or not header.endswith(b"\n"):
        raise _not_a_backup()
    return Manifest.from_json(header[len(MAGIC) : -1].rstrip(b" "))


def _extract_verified(path: Path, manifest: Manifest, target: Path) -> None:
    """Copy the dump out of the backup file and check the size and the SHA-256 (of the manifest
    and the dump) on the copy, which is what gets restored."""
    digest, size = hashlib.sha256(manifest.sealed_part()), 0
    with path.open("rb") as source, target.open("wb") as out:
        source.seek(HEADER_BYTES)
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    if size != manifest.payload_bytes or digest.hexdigest() != manifest.sha256:
        raise BackupError(
            "corrupt",
            "De backup is beschadigd of gewijzigd: het controlegetal (SHA-256) of de grootte "
            "klopt niet. Er is niets hersteld; de database is niet aangeraakt.",
            "The backup is damaged or was altered: its checksum (SHA-256) or size does not "
            "match. Nothing was restored; the database was not touched.",
            f"verwacht/expected {manifest.payload_bytes} bytes {manifest.sha256}, "
            f"gevonden/found {size} bytes {digest.hexdigest()}",
        )
    with target.open("rb") as check:
        if not check.read(16).startswith(PAYLOAD_MAGIC[manifest.database]):
            raise _not_a_backup("payload")


def restore(path: Path, *, force: bool = False, progress: Progress = _quiet) -> RestoreReport:
    """Replace the configured database's contents with the backup at `path`.

    Everything is checked before the database is touched: the file, its checksum, the kind of
    database, the schema revision and that the database is empty (unless `force`)."""
    from portal.audit import verify_chain

    path = Path(path)
    kind = _kind()
    progress(f"Backup controleren / checking the backup: {path}")
    manifest = read_manifest(path)
    if manifest.database != kind:
        raise BackupError(
            "wrong_kind",
            f"Deze backup is van een {manifest.database}-database; de ingestelde database is "
            f"{kind}. Zet DATABASE_URL naar een {manifest.database}-database.",
            f"This backup is of a {manifest.database} database; the configured database is "
            f"{kind}. Point DATABASE_URL at a {manifest.database} database.",
        )
    if manifest.alembic_revision is not None and manifest.alembic_revision not in known_revisions():
        raise BackupError(
            "unknown_revision",
            f"De backup heeft schemaversie {manifest.alembic_revision}, die deze versie van het "
            "portaal niet kent. Herstel met de versie van het portaal die de backup maakte.",
            f"The backup has schema revision {manifest.alembic_revision}, which this version of "
            "the portal does not know. Restore with the portal version that made the backup.",
        )
    with _private_dir() as work:
        payload = work / "payload"
        try:
            _extract_verified(path, manifest, payload)
        except OSError as problem:
            raise BackupError(
                "unreadable",
                f"Het bestand {path} kan niet worden gelezen of uitgepakt; de database is niet "
                "aangeraakt.",
                f"The file {path} cannot be read or unpacked; the database was not touched.",
                str(problem),
            ) from problem
        if kind == "postgresql":
            pg_restore = _tool("pg_restore")
            env = _pg_env(db.engine.url)
            listing = [pg_restore, "--list", str(payload)]
            _run(
                listing, env,
                "De backup is niet te lezen; de database is niet aangeraakt.",
                "The backup cannot be read; the database was not touched.",
            )
        else:
            _check_sqlite_file(payload)
        progress("Backup in orde / backup intact "
                 f"({manifest.payload_bytes} bytes, sha256 {manifest.sha256[:12]}…)")

        db.session.remove()
        _refuse_when_not_empty(force)
        # No connection of this process may hold a lock or a prepared plan on the old tables.
        db.engine.dispose()
        progress("Herstellen / restoring")
        if kind == "postgresql":
            _restore_postgresql(pg_restore, env, payload)
        else:
            _restore_sqlite(payload, progress)
        db.engine.dispose()

    progress("Rijen tellen / counting rows")
    with db.engine.connect() as connection:
        tables = count_rows(connection)
    differences = {
        name: (rows, tables.get(name)) for name, rows in manifest.tables.items()
        if tables.get(name) != rows
    }
    if differences:
        raise BackupError(
            "count_mismatch",
            "De backup is teruggezet, maar het aantal rijen klopt niet met de backup. Controleer "
            "of de database tijdens het herstellen door iets anders werd gebruikt.",
            "The backup was restored, but the row counts do not match the backup. Check whether "
            "something else used the database during the restore.",
            "\n".join(
                f"{name}: backup {want}, database {got}"
                for name, (want, got) in differences.items()
            ),
        )
    extra = {
        name: rows for name, rows in tables.items()
        if name not in manifest.tables and name not in SCHEMA_ONLY_TABLES
    }
    progress("Auditketen controleren / verifying the audit chain")
    problem = verify_chain()
    keys_match = keys_fit_data() if "person" in tables else None
    db.session.remove()
    return RestoreReport(
        manifest=manifest, tables=tables, chain_problem=problem, extra_tables=extra,
        keys_match=keys_match,
    )


def keys_fit_data() -> Optional[bool]:
    """Whether one of ENCRYPTION_KEYS made a stored BSN. Checked on the Fernet token's HMAC with
    each key's signing half (the Fernet spec), so nothing is decrypted: no personal data is read.
    None when no BSN is stored."""
    token = db.session.execute(
        sa.text("SELECT bsn_encrypted FROM person WHERE bsn_encrypted IS NOT NULL LIMIT 1")
    ).scalar()
    if token is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(bytes(token))
    except ValueError:
        return False
    body, mac = raw[:-32], raw[-32:]
    for key in current_app.config["ENCRYPTION_KEYS"]:
        signing_key = base64.urlsafe_b64decode(key)[:16]
        if hmac.compare_digest(hmac.new(signing_key, body, hashlib.sha256).digest(), mac):
            return True
    return False


def _check_sqlite_file(payload: Path) -> None:
    try:
        connection = sqlite3.connect(f"file:{payload}?mode=ro", uri=True)
        try:
            result = connection.execute("PRAGMA integrity_check").fetchall()
        finally:
            connection.close()
    except sqlite3.DatabaseError as problem:
        raise _not_a_backup(str(problem)) from problem
    if result != [("ok",)]:
        raise _not_a_backup("; ".join(str(row[0]) for row in result[:5]))


def _refuse_when_not_empty(force: bool) -> None:
    with db.engine.connect() as connection:
        filled = {
            name: rows for name, rows in count_rows(connection).items()
            if rows and name not in SCHEMA_ONLY_TABLES
        }
    if filled and not force:
        listing = ", ".join(f"{name} ({rows})" for name, rows in sorted(filled.items()))
        raise BackupError(
            "not_empty",
            "De database bevat al gegevens; herstellen zou die vervangen. Herstel in een lege "
            "database, of geef --force mee om de huidige gegevens te vervangen.",
            "The database already holds data; a restore would replace it. Restore into an "
            "empty database, or pass --force to replace the current data.",
            listing,
        )


def _restore_postgresql(pg_restore: str, env: dict[str, str], payload: Path) -> None:
    # One transaction: either every object and row of the backup is in place, or nothing changed.
    # --clean --if-exists drops the backup's objects first (the consent_event trigger included,
    # which is created again after the rows are loaded). Objects are owned by the user in
    # DATABASE_URL; the source's owners and grants are not carried over.
    database = db.engine.url.database
    _run(
        [
            pg_restore, "--single-transaction", "--exit-on-error", "--clean", "--if-exists",
            "--no-owner", "--no-privileges", f"--dbname={database}", str(payload),
        ],
        env,
        "Alles liep in één transactie: de database is ongewijzigd.",
        "Everything ran in one transaction: the database is unchanged.",
    )


def _restore_sqlite(payload: Path, progress: Progress) -> None:
    target_path = _sqlite_path(db.engine.url)
    source = sqlite3.connect(f"file:{payload}?mode=ro", uri=True)
    target = sqlite3.connect(target_path)
    shown = [-1]

    def report(status: int, remaining: int, total: int) -> None:
        tenth = 10 * (total - remaining) // max(total, 1)
        if tenth != shown[0]:
            shown[0] = tenth
            progress(f"  {total - remaining}/{total} pagina's / pages")

    try:
        # In steps, to show progress. The target stays locked from the first step to the last and
        # is written in one transaction: an interrupted copy is rolled back, all or nothing.
        source.backup(target, pages=SQLITE_PAGES_PER_STEP, progress=report)
    except sqlite3.Error as problem:
        raise BackupError(
            "restore_failed",
            "Herstellen is mislukt; de database is ongewijzigd.",
            "The restore failed; the database is unchanged.",
            str(problem),
        ) from problem
    finally:
        target.close()
        source.close()
