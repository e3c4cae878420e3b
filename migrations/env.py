"""Alembic environment: the models' metadata, the URL given by `flask --app portal db ...`."""
from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

import consent.models  # noqa: F401  (each import registers its tables)
import portal.audit  # noqa: F401
import portal.breaches  # noqa: F401
import portal.letters.models  # noqa: F401
import portal.models  # noqa: F401
import portal.notices  # noqa: F401
import portal.retention  # noqa: F401
import portal.statistics  # noqa: F401
import requests.models  # noqa: F401
from portal.extensions import db

config = context.config
target_metadata = db.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is None:
        connectable = engine_from_config(
            config.get_section(config.config_ini_section, {}),
            prefix="sqlalchemy.",
            poolclass=pool.NullPool,
        )
        with connectable.connect() as connection:
            _run(connection)
    else:
        _run(connectable)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        compare_server_default=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
