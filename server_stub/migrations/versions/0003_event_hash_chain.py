"""Events are chained by hash and the database refuses to change or delete them.

Revision ID: 0003_event_hash_chain
Revises: 0002_command_fingerprint

``events.chain_hash``: the SHA-256 hex of the event's canonical encoding, which
begins with the previous event's hash (:mod:`server_stub.chain`, docs/operations.md
§ "Tamper-evident log"). The events already stored are chained here, in seq order,
in the upgrade's one transaction, so an upgraded log verifies clean
(``dispatch120-server admin verify``).

Then triggers make the table append-only: an UPDATE or DELETE of an event (and on
PostgreSQL a TRUNCATE) fails with "events are append-only". Backup and restore copy
pages (SQLite's backup API) or use COPY and create the triggers after the data
(``pg_restore``), so they are not affected. A later revision that rebuilds the
``events`` table (SQLite batch mode copies it) drops these triggers with it and must
create them again.

Servers released before migrations would append events without a hash, so
``meta.schema_version`` becomes ``'2'``, which they refuse.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

# The encoding is a stored format (version 1), not code that may move on: a later change to it
# would be a new revision with its own function, never an edit of this one.
from server_stub.chain import GENESIS, event_hash

revision = "0003_event_hash_chain"
down_revision = "0002_command_fingerprint"
branch_labels = None
depends_on = None

CHUNK = 5000
REFUSED = "events are append-only: an event cannot be {what} (a correction is a new event)"

_events = sa.table(
    "events",
    sa.column("seq", sa.Integer),
    sa.column("ts", sa.Text),
    sa.column("name", sa.Text),
    sa.column("actor_id", sa.Text),
    sa.column("actor_role", sa.Text),
    sa.column("ref", sa.Text),
    sa.column("data", sa.JSON),
    sa.column("chain_hash", sa.String(64)),
)
_meta = sa.table("meta", sa.column("key", sa.Text), sa.column("value", sa.Text))

SQLITE_TRIGGERS = {
    "events_no_update": f"CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN "
                        f"SELECT RAISE(ABORT, '{REFUSED.format(what='changed')}'); END",
    "events_no_delete": f"CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN "
                        f"SELECT RAISE(ABORT, '{REFUSED.format(what='deleted')}'); END",
}
POSTGRES_FUNCTION = (
    "CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "RAISE EXCEPTION 'events are append-only: % of an event refused (a correction is a new event)', TG_OP "
    "USING ERRCODE = 'insufficient_privilege'; END $$"
)
POSTGRES_TRIGGERS = {
    "events_append_only": "CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events "
                          "FOR EACH ROW EXECUTE FUNCTION events_append_only()",
    "events_no_truncate": "CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events "
                          "FOR EACH STATEMENT EXECUTE FUNCTION events_append_only()",
}


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("chain_hash", sa.String(64), nullable=True))
    if not context.is_offline_mode():  # offline SQL is for an empty database: nothing to chain
        _chain_stored_events(op.get_bind())
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        for sql in SQLITE_TRIGGERS.values():
            op.execute(sql)
    elif dialect == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        for sql in POSTGRES_TRIGGERS.values():
            op.execute(sql)
    op.execute(_meta.update().where(_meta.c.key == "schema_version").values(value="2"))


def _chain_stored_events(bind: sa.Connection) -> None:
    """Hash every stored event in seq order, in chunks (constant memory on a long log)."""
    read = sa.select(
        _events.c.seq, _events.c.ts, _events.c.name, _events.c.actor_id, _events.c.actor_role,
        _events.c.ref, _events.c.data,
    ).order_by(_events.c.seq).limit(CHUNK)
    write = sa.update(_events).where(_events.c.seq == sa.bindparam("b_seq")).values(
        chain_hash=sa.bindparam("b_hash"))
    prev_hash, after = GENESIS, 0
    while True:
        rows = bind.execute(read.where(_events.c.seq > after)).all()
        if not rows:
            return
        params = []
        for row in rows:
            prev_hash = event_hash(prev_hash, row.seq, row.ts, row.name, row.actor_id, row.actor_role, row.ref,
                                   row.data)
            params.append({"b_seq": row.seq, "b_hash": prev_hash})
        bind.execute(write, params)
        after = rows[-1].seq


def downgrade() -> None:
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    elif dialect == "postgresql":
        for name in POSTGRES_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON events")
        op.execute("DROP FUNCTION IF EXISTS events_append_only()")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("chain_hash")
    op.execute(_meta.update().where(_meta.c.key == "schema_version").values(value="1"))
