"""Backup and restore (issue 8, item 4): `flask --app portal backup PATH` and `restore PATH`.

A round trip gives back every row of every table, byte for byte, and an intact audit chain; a
damaged or altered backup, a backup of the other kind of database and a restore over data are
refused before the database is touched.

The tests commit for real (a backup reads what is committed), so they do not use the rolled-back
`db` fixture; the database is emptied again afterwards (as in tests/test_requests_concurrency.py).
A restore goes into a scratch database: on PostgreSQL `<test database>_restore`, created and
dropped here; on SQLite a file in tmp_path.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from consent.models import Channel, ConsentStatus, Purpose, RecordedBy
from consent.operations import record_decision, withdraw_consent
from portal import backup as bk
from portal import create_app
from portal.audit import verify_chain
from portal.extensions import db
from portal.models import Person
from portal.operations import find_person_by_bsn, reveal_bsn
from tests import factories as f
from tests.conftest import config_for

BSN = "111222333"  # passes the 11-check


@pytest.fixture(scope="module")
def world(app):
    """Committed data of every kind a backup must carry: persons with an encrypted BSN, a case,
    consent given and withdrawn (the withdrawal leaves a notice to the partner), and the audit
    entries all of these wrote. Built once for the module: every test leaves it as it found it.
    Every table is emptied afterwards."""
    db.session.remove()
    with app.app_context():
        try:
            partner = f.partner()
            domain = f.domain()
            worker = f.user(partner_obj=partner)
            household = f.household()
            person = f.person(household, bsn=BSN)
            f.person(household)  # one without a BSN
            case = f.case(household_obj=household, team=[partner], members=[worker])
            given = dict(
                person=person, domain=domain, recipient=partner, purpose=Purpose.PLAN,
                recorded_by=RecordedBy.CASE_MANAGER, channel=Channel.BEMOEIZORG_CONVERSATION,
            )
            record_decision(
                worker, **given, status=ConsentStatus.GIVEN, information_version="info-2026-01",
                effective_at=datetime.now(UTC) - timedelta(days=3), case=case, note="mondeling",
            )
            withdraw_consent(worker, **given, note="per brief")
            db.session.commit()
            db.session.remove()
            yield app
        finally:
            db.session.remove()
            db.drop_all()
            db.create_all()


@pytest.fixture(scope="module")
def made(world, tmp_path_factory) -> Path:
    """One backup of the world, for the tests that only read it (they spoil copies)."""
    path = tmp_path_factory.mktemp("made") / "portal.backup"
    with world.app_context():
        bk.backup(path)
    return path


class Scratch:
    """A second app on an empty database to restore into. portal/database.py keeps one engine
    for the process, so `bound()` swaps the scratch engine in and the suite's engine back."""

    def __init__(self, app, engine: sa.Engine) -> None:
        self.app, self.engine = app, engine

    @contextmanager
    def bound(self):
        suite_engine = db.engine
        db.session.remove()
        db.engine = self.engine
        db.session.configure(bind=self.engine)
        try:
            with self.app.app_context():
                yield self.app
        finally:
            db.session.remove()
            db.engine = suite_engine
            db.session.configure(bind=suite_engine)


@pytest.fixture(scope="module")
def scratch_database(app, tmp_path_factory):
    """The database to restore into: on PostgreSQL `<test database>_restore`, created once for
    the module and dropped afterwards; on SQLite a file."""
    url = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "postgresql":
        yield f"sqlite:///{tmp_path_factory.mktemp('scratch') / 'restore.sqlite'}"
        return
    name = f"{url.database}_restore"

    def admin(statement: str) -> None:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(statement)

    admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def scratch(scratch_database):
    """A second app on the scratch database, emptied first."""
    suite_engine = db.engine
    other = create_app(config_for(scratch_database))
    scratch_engine = db.engine
    db.session.remove()
    db.engine = suite_engine
    db.session.configure(bind=suite_engine)
    if scratch_engine.dialect.name == "postgresql":
        with scratch_engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
    else:
        Path(scratch_engine.url.database).unlink(missing_ok=True)
    try:
        yield Scratch(other, scratch_engine)
    finally:
        scratch_engine.dispose()


def stored_rows() -> dict[str, list[tuple]]:
    """Every row of every table as the database stores it: plain columns, so encrypted values
    come back as their ciphertext and nothing is converted on the way."""
    rows = {}
    for table in db.metadata.sorted_tables:
        columns = [sa.column(column.name) for column in table.columns]
        result = db.session.execute(sa.select(*columns).select_from(sa.table(table.name)))
        rows[table.name] = sorted((tuple(row) for row in result), key=repr)
    db.session.remove()
    return rows


def test_round_trip_gives_every_row_back_and_an_intact_chain(world, scratch, tmp_path):
    path = tmp_path / "portal.backup"
    with world.app_context():
        made = bk.backup(path)
        encrypted = sa.select(sa.func.count()).where(Person.bsn_encrypted.is_not(None))
        assert db.session.scalar(encrypted) == 1
        before = stored_rows()
    # The data is really there: the comparison below compares something.
    for table in ("person", "regie_case", "consent_event", "partner_notice", "audit_entry"):
        assert before[table], table
    assert made.manifest.tables["consent_event"] == 2
    assert made.manifest.tables["audit_entry"] == len(before["audit_entry"])
    assert BSN.encode() not in path.read_bytes()  # the BSN is in the backup only encrypted

    with scratch.bound():
        report = bk.restore(path)
        assert report.chain_problem is None
        assert report.keys_match is True
        assert verify_chain() is None
        assert report.tables == made.manifest.tables
        assert stored_rows() == before

        # The keys of this configuration read the restored data.
        assert reveal_bsn(find_person_by_bsn(BSN)) == BSN
        db.session.remove()
        # The database goes on where it stopped: ids and the chain continue.
        newest = max(row[0] for row in before["person"])
        person = f.person(f.household())
        db.session.commit()
        assert person.id > newest
        assert verify_chain() is None
        db.session.remove()
        # The consent ledger's UPDATE trigger came back with the restore.
        with pytest.raises(sa.exc.DatabaseError, match="never updated"):
            with db.engine.begin() as connection:
                connection.execute(sa.text("UPDATE consent_event SET note = NULL"))


def test_the_commands_back_up_restore_and_report(world, scratch, tmp_path, monkeypatch):
    path = tmp_path / "portal.backup"
    made = world.test_cli_runner().invoke(args=["backup", str(path)])
    assert made.exit_code == 0, made.output
    assert "Backup geschreven / backup written" in made.output
    assert "consent_event: 2" in made.output
    again = world.test_cli_runner().invoke(args=["backup", str(path)])
    assert again.exit_code == 1
    assert "bestaat al" in again.output and "already exists" in again.output

    with scratch.bound() as target:
        runner = target.test_cli_runner()
        restored = runner.invoke(args=["restore", str(path)])
        assert restored.exit_code == 0, restored.output
        assert "Auditketen intact / audit chain intact." in restored.output
        assert "consent_event: 2" in restored.output

        refused = runner.invoke(args=["restore", str(path)])
        assert refused.exit_code == 1
        assert "De database bevat al gegevens" in refused.output
        assert "The database already holds data" in refused.output
        forced = runner.invoke(args=["restore", "--force", str(path)])
        assert forced.exit_code == 0, forced.output

        # Restored with keys that did not make the data: said plainly, and not a success.
        monkeypatch.setitem(target.config, "ENCRYPTION_KEYS", [Fernet.generate_key().decode()])
        wrong_keys = runner.invoke(args=["restore", "--force", str(path)])
        assert wrong_keys.exit_code == 1
        assert "geen van de ingestelde ENCRYPTION_KEYS past" in wrong_keys.output
        assert "Auditketen intact" in wrong_keys.output  # the data itself came back whole
        with db.engine.connect() as connection:
            assert bk.count_rows(connection) == bk.read_manifest(path).tables


def test_restore_over_data_is_refused_without_force(world, made):
    path = made
    with world.app_context():
        f.person(f.household(), given_name="Later")
        db.session.commit()
        db.session.remove()
        before = stored_rows()
        with pytest.raises(bk.BackupError) as refused:
            bk.restore(path)
        assert refused.value.code == "not_empty"
        assert "person (3)" in str(refused.value)
        assert stored_rows() == before

        # With --force the backup replaces the data: the person added later is gone again.
        report = bk.restore(path, force=True)
        assert report.chain_problem is None
        after = stored_rows()
        assert len(after["person"]) == len(before["person"]) - 1
        assert len(after["audit_entry"]) == len(before["audit_entry"]) - 1


def test_a_restore_that_fails_halfway_changes_nothing(world, made, monkeypatch):
    """PostgreSQL: pg_restore runs in one transaction; here a table the backup does not know
    holds a foreign key to `person`, so dropping `person` fails after other tables were already
    dropped. SQLite: the page copy is cut off after its first step (a full disk, say)."""
    with world.app_context():
        postgresql = db.engine.dialect.name == "postgresql"
        if postgresql:
            with db.engine.begin() as connection:
                connection.exec_driver_sql(
                    "CREATE TABLE local_extra (person_id integer REFERENCES person (id))"
                )
        before = stored_rows()
        steps = []

        def progress(message: str) -> None:
            steps.append(message)
            if "pages" in message and len([s for s in steps if "pages" in s]) == 2:
                raise sqlite3.OperationalError("disk I/O error")

        monkeypatch.setattr(bk, "SQLITE_PAGES_PER_STEP", 4)
        try:
            with pytest.raises(bk.BackupError) as failed:
                bk.restore(made, force=True, progress=progress)
            assert stored_rows() == before
            assert verify_chain() is None
        finally:
            if postgresql:
                with db.engine.begin() as connection:
                    connection.exec_driver_sql("DROP TABLE local_extra")
    assert failed.value.code == ("tool_failed" if postgresql else "restore_failed")
    assert "ongewijzigd" in failed.value.nl and "unchanged" in failed.value.en
    assert any("Herstellen / restoring" in step for step in steps)


def _rewrite_manifest(path: Path, change) -> None:
    raw = path.read_bytes()
    data = json.loads(raw[len(bk.MAGIC) : bk.HEADER_BYTES].decode().strip())
    change(data)
    header = bk.MAGIC + json.dumps(data).encode()
    header += b" " * (bk.HEADER_BYTES - len(header) - 1) + b"\n"
    path.write_bytes(header + raw[bk.HEADER_BYTES :])


def _flip_byte(path: Path) -> None:
    raw = bytearray(path.read_bytes())
    raw[bk.HEADER_BYTES + len(raw[bk.HEADER_BYTES :]) // 2] ^= 0x01
    path.write_bytes(bytes(raw))


def _other_kind(data: dict) -> None:
    data["database"] = "sqlite" if data["database"] == "postgresql" else "postgresql"


DAMAGE = {
    "a flipped bit in the dump": ("corrupt", _flip_byte),
    "a cut-off file": ("corrupt", lambda p: p.write_bytes(p.read_bytes()[:-100])),
    "a changed row count": (
        "corrupt", lambda p: _rewrite_manifest(p, lambda d: d["tables"].update(person=1))
    ),
    "another kind of database": ("wrong_kind", lambda p: _rewrite_manifest(p, _other_kind)),
    "an unknown schema revision": (
        "unknown_revision",
        lambda p: _rewrite_manifest(p, lambda d: d.update(alembic_revision="9999_future")),
    ),
    "a file that is no backup": ("not_a_backup", lambda p: p.write_text("SELECT 1;\n" * 9999)),
    "an empty file": ("not_a_backup", lambda p: p.write_bytes(b"")),
    "a damaged manifest": (
        "not_a_backup",
        lambda p: p.write_bytes(p.read_bytes().replace(b'"tables":{', b'"tables":[', 1)),
    ),
    "no file": ("unreadable", lambda p: p.unlink()),
}


@pytest.mark.parametrize("damage", DAMAGE, ids=list(DAMAGE))
def test_a_damaged_backup_is_refused_and_the_database_untouched(world, made, tmp_path, damage):
    code, spoil = DAMAGE[damage]
    path = tmp_path / "portal.backup"
    shutil.copyfile(made, path)
    with world.app_context():
        spoil(path)
        before = stored_rows()
        with pytest.raises(bk.BackupError) as refused:
            bk.restore(path, force=True)  # even when told to replace the data
        assert refused.value.code == code
        assert stored_rows() == before
        assert verify_chain() is None
    message = str(refused.value)
    assert message.startswith("Fout: ") and "\nError: " in message
    result = world.test_cli_runner().invoke(args=["restore", "--force", str(path)])
    assert result.exit_code == 1
    assert refused.value.nl in result.output


def test_a_failed_backup_leaves_no_file(world, tmp_path, monkeypatch):
    path = tmp_path / "portal.backup"

    def disk_full(target, manifest, payload):
        target.write_bytes(bk.MAGIC + b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(bk, "_write_backup_file", disk_full)
    with world.app_context():
        with pytest.raises(bk.BackupError) as failed:
            bk.backup(path)
    assert failed.value.code == "write_failed"
    assert "No space left on device" in str(failed.value)
    assert list(tmp_path.iterdir()) == []


def test_a_missing_postgresql_program_is_named(world, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(bk.BackupError) as missing:
        bk._tool("pg_dump")
    assert missing.value.code == "missing_tool"
    assert "pg_dump is niet gevonden" in missing.value.nl
    assert "pg_dump was not found" in missing.value.en
    with world.app_context():
        if db.engine.dialect.name != "postgresql":
            return
        with pytest.raises(bk.BackupError) as missing:
            bk.backup(tmp_path / "portal.backup")
    assert missing.value.code == "missing_tool"
    assert list(tmp_path.iterdir()) == []


def test_the_password_goes_through_the_environment_only(world, tmp_path, monkeypatch):
    url = sa.make_url("postgresql+psycopg://portal:s3cr%40t@db.example:5433/portal?sslmode=require")
    env = bk._pg_env(url)
    assert (env["PGHOST"], env["PGPORT"], env["PGUSER"], env["PGDATABASE"]) == (
        "db.example", "5433", "portal", "portal"
    )
    assert (env["PGPASSWORD"], env["PGSSLMODE"]) == ("s3cr@t", "require")

    commands = []
    real_run = bk.subprocess.run

    def recording_run(command, **kwargs):
        commands.append(command)
        return real_run(command, **kwargs)

    monkeypatch.setattr(bk.subprocess, "run", recording_run)
    with world.app_context():
        configured = db.engine.url
        bk.backup(tmp_path / "portal.backup")
    if configured.get_backend_name() == "postgresql":
        assert commands
    for command in commands:
        line = " ".join(command)
        assert "://" not in line and "PGPASSWORD" not in line
        if configured.password:
            assert configured.password not in line


def test_only_the_owner_may_read_the_backup(world, tmp_path):
    path = tmp_path / "portal.backup"
    old_umask = os.umask(0)
    try:
        with world.app_context():
            bk.backup(path)
    finally:
        os.umask(old_umask)
    assert path.stat().st_mode & 0o077 == 0


def test_an_unreachable_database_is_said_plainly_without_the_password(world, tmp_path):
    unreachable = sa.create_engine("postgresql+psycopg://portal:s3cret@127.0.0.1:1/portal")
    suite_engine = db.engine
    db.session.remove()
    db.engine = unreachable
    db.session.configure(bind=unreachable)
    try:
        runner = world.test_cli_runner()
        made = runner.invoke(args=["backup", str(tmp_path / "portal.backup")])
        restored = runner.invoke(args=["restore", str(tmp_path / "portal.backup")])
    finally:
        db.session.remove()
        db.engine = suite_engine
        db.session.configure(bind=suite_engine)
        unreachable.dispose()
    assert made.exit_code == 1
    assert "De database (DATABASE_URL) is niet bereikbaar" in made.output
    assert "s3cret" not in made.output
    assert list(tmp_path.iterdir()) == []
    assert restored.exit_code == 1  # no file: refused before the database is asked anything
    assert "kan niet worden gelezen" in restored.output
