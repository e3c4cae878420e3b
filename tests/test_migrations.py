"""Migrations: upgrade from empty to head on the suite's database kind (SQLite, or PostgreSQL when
DATABASE_URL points there), and the models match the head revision."""
from __future__ import annotations

import os
import re
import uuid
import warnings

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext

from portal.cli import MIGRATIONS
from portal.extensions import db


@pytest.fixture
def empty_database(tmp_path):
    url = os.environ.get("DATABASE_URL")
    if not url or url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'migrations.sqlite'}"
        return
    server = sa.engine.make_url(url)
    name = f"migrations_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _alembic(url: str) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def test_upgrade_to_head_matches_the_models_and_downgrades(app, empty_database):
    # `app` imports every package that registers tables, as the running portal does.
    config = _alembic(empty_database)
    command.upgrade(config, "head")
    engine = sa.create_engine(empty_database)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": True}
            )
            with warnings.catch_warnings():
                # SQLite's reflection skips expression indexes (compared by name below).
                warnings.filterwarnings(
                    "ignore", "Skipped unsupported reflection of expression-based index"
                )
                warnings.filterwarnings(
                    "ignore", "autogenerate skipping metadata-specified expression-based index"
                )
                differences = compare_metadata(context, db.metadata)
            tables = set(sa.inspect(connection).get_table_names())
            indexes = {
                name
                for (name,) in connection.execute(
                    sa.text("SELECT name FROM sqlite_master WHERE type = 'index'")
                    if connection.dialect.name == "sqlite"
                    else sa.text("SELECT indexname FROM pg_indexes")
                )
            }
        assert differences == [], f"models and migrations differ: {differences}"
        model_indexes = {
            index.name for table in db.metadata.tables.values() for index in table.indexes
        }
        assert model_indexes <= indexes, f"indexes missing: {model_indexes - indexes}"
        assert set(db.metadata.tables) <= tables
        command.downgrade(config, "base")
        with engine.connect() as connection:
            assert set(sa.inspect(connection).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()


def _checks(url: str) -> dict[tuple[str, str], str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            inspector = sa.inspect(connection)
            return {
                (table, check["name"]): re.sub(r"[^a-z0-9_']", "", check["sqltext"].lower())
                for table in inspector.get_table_names()
                for check in inspector.get_check_constraints(table)
            }
    finally:
        engine.dispose()


def test_head_has_the_check_constraints_of_the_models(app, empty_database, tmp_path):
    # Autogenerate does not compare CHECK constraints (an enum's allowed values are one), so a
    # migration that forgets one only shows here: compare with a schema made from the models.
    command.upgrade(_alembic(empty_database), "head")
    if empty_database.startswith("sqlite"):
        models_url = f"sqlite:///{tmp_path / 'models.sqlite'}"
        engine = sa.create_engine(models_url)
        db.metadata.create_all(engine)
        engine.dispose()
        assert _checks(empty_database) == _checks(models_url)
        return
    server = sa.engine.make_url(empty_database)
    name = f"models_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    models_url = server.set(database=name).render_as_string(hide_password=False)
    try:
        engine = sa.create_engine(models_url)
        db.metadata.create_all(engine)
        engine.dispose()
        assert _checks(empty_database) == _checks(models_url)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_head_enforces_the_case_phase_rules(empty_database):
    command.upgrade(_alembic(empty_database), "head")
    engine = sa.create_engine(empty_database)
    try:
        with engine.connect() as connection:
            checks = {
                check["name"]
                for check in sa.inspect(connection).get_check_constraints("regie_case")
            }
        assert {"ck_regie_case_phase_range", "ck_regie_case_not_picked_up_stays_early",
                "ck_regie_case_decided_from_phase_4"} <= checks
    finally:
        engine.dispose()
