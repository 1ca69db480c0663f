"""Alembic environment of the centre's database, configured in code (no alembic.ini).

:func:`server_stub.migrations.alembic_config` passes the open connection (inside the
caller's transaction) as ``config.attributes["connection"]``; the whole upgrade then
runs in that one transaction, so a failed revision leaves the database as it was
(SQLite and PostgreSQL both have transactional DDL). With no connection, an engine
is made from the ``sqlalchemy.url`` option (a developer's ad-hoc run); in offline
mode (``--sql``) the SQL is printed for a database administrator instead.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import create_engine

from server_stub.schema import metadata

config = context.config
OPTIONS: dict[str, Any] = {
    "target_metadata": metadata,
    # SQLite cannot ALTER most things: batch mode copies the table (and is a no-op elsewhere).
    "render_as_batch": True,
    "compare_type": True,
    # The caller's one transaction holds the whole upgrade; SQLite and PostgreSQL both roll DDL back.
    "transactional_ddl": True,
}


def run_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True, **OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, **OPTIONS)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    try:
        with engine.begin() as conn:
            context.configure(connection=conn, **OPTIONS)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
