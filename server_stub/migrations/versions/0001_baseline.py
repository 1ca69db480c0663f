"""Baseline: the schema as the server made it before migrations existed (create_all).

Revision ID: 0001_baseline
Revises: (none)

Tables: the event log (``events``, ``principals``, ``commands``, ``meta``), the
query tables (``calls``, ``incidents``, ``units``), ECG ``strips``,
``prenotifications``, ``caller_link_tokens`` and ``caller_media``. The definitions
are frozen here on purpose (not imported from :mod:`server_stub.schema`, which
moves on with later revisions).

A database made by that older code has no ``alembic_version`` table. It may lack
the tables of features that were added later or never started (``admin init``
made only the event log's tables; the strips, pre-notification and caller-link
tables appeared when a server first started), so this revision creates each table
only where it is missing — exactly what ``create_all`` did at every start — and
checks that each table already there has the baseline's columns. It never drops
or recreates a table.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.schema import CreateIndex, CreateTable

from server_stub.migrations import SchemaVersionError

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None

# The value servers released before the migrations wrote and checked in ``meta``.
LEGACY_SCHEMA_VERSION = "1"


def _tables() -> list[sa.Table]:
    md = sa.MetaData()
    query = [
        sa.Table(
            name,
            md,
            sa.Column("id", sa.Text, primary_key=True),
            sa.Column("state_json", sa.JSON, nullable=False),
            sa.Column("seq", sa.Integer, nullable=False),
        )
        for name in ("calls", "incidents", "units")
    ]
    return [
        sa.Table(
            "events",
            md,
            sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("ts", sa.Text, nullable=False),
            sa.Column("name", sa.Text, nullable=False),
            sa.Column("actor_id", sa.Text, nullable=False),
            sa.Column("actor_role", sa.Text, nullable=False),
            sa.Column("ref", sa.Text, nullable=True),
            sa.Column("data", sa.JSON, nullable=False),
            sqlite_autoincrement=True,
        ),
        sa.Table(
            "principals",
            md,
            sa.Column("id", sa.Text, primary_key=True),
            sa.Column("role", sa.Text, nullable=False),
            sa.Column("name", sa.Text, nullable=False),
            sa.Column("unit_id", sa.Text, nullable=True),
            sa.Column("token_hash", sa.Text, nullable=False, unique=True),
            sa.Column("revoked", sa.Boolean, nullable=False),
            sa.Column("created_at", sa.Text, nullable=False),
        ),
        sa.Table(
            "commands",
            md,
            sa.Column("command_id", sa.Text, primary_key=True),
            sa.Column("principal_id", sa.Text, sa.ForeignKey("principals.id"), nullable=False),
            sa.Column("name", sa.Text, nullable=False),
            sa.Column("ack_json", sa.JSON, nullable=False),
            sa.Column("created_at", sa.Text, nullable=False),
        ),
        *query,
        sa.Table(
            "meta",
            md,
            sa.Column("key", sa.Text, primary_key=True),
            sa.Column("value", sa.Text, nullable=False),
        ),
        sa.Table(
            "strips",
            md,
            sa.Column("strip_id", sa.Text, primary_key=True),
            sa.Column("unit_id", sa.Text, nullable=False),
            sa.Column("incident_id", sa.Text, nullable=False),
            sa.Column("channel", sa.Text, nullable=False),
            sa.Column("start", sa.Text, nullable=False),
            sa.Column("seconds", sa.Float, nullable=False),
            sa.Column("period_ms", sa.Float, nullable=False),
            sa.Column("factor", sa.Float, nullable=False),
            sa.Column("origin", sa.Integer, nullable=False),
            sa.Column("unit", sa.Text, nullable=False),
            sa.Column("samples", sa.LargeBinary, nullable=False),
            sa.Column("reason", sa.Text, nullable=False),
            sa.Column("alarm_code", sa.Text),
            sa.Column("created_at", sa.Text, nullable=False),
        ),
        sa.Table(
            "prenotifications",
            md,
            sa.Column("prenotify_id", sa.Text, primary_key=True),
            sa.Column("hospital_id", sa.Text, nullable=False, index=True),
            sa.Column("incident_id", sa.Text, nullable=False),
            sa.Column("package", sa.LargeBinary, nullable=False),
            sa.Column("created_at", sa.Text, nullable=False),
        ),
        sa.Table(
            "caller_link_tokens",
            md,
            sa.Column("token_hash", sa.String(64), primary_key=True),
            sa.Column("link_id", sa.String(64), nullable=False),
        ),
        sa.Table(
            "caller_media",
            md,
            sa.Column("media_id", sa.String(36), primary_key=True),
            sa.Column("call_id", sa.String(64), nullable=False, index=True),
            sa.Column("link_id", sa.String(64), nullable=False),
            sa.Column("content_type", sa.String(40), nullable=False),
            sa.Column("bytes", sa.Integer, nullable=False),
            sa.Column("sha256", sa.String(64), nullable=False),
            sa.Column("data", sa.LargeBinary, nullable=False),
            sa.Column("created_at", sa.String(40), nullable=False),
        ),
    ]


def upgrade() -> None:
    meta = sa.table("meta", sa.column("key", sa.Text), sa.column("value", sa.Text))
    if context.is_offline_mode():  # SQL for an administrator to run on an empty database
        for table in _tables():
            _create(table)
        op.execute(meta.insert().values(key="schema_version", value=LEGACY_SCHEMA_VERSION))
        return
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    existing = set(inspector.get_table_names())
    for table in _tables():
        if table.name not in existing:
            _create(table)
            continue
        found = {c["name"] for c in inspector.get_columns(table.name)}
        wanted = {c.name for c in table.columns}
        if found != wanted:
            raise SchemaVersionError(
                f"table {table.name} has columns {sorted(found)}, the baseline schema has {sorted(wanted)}"
            )
    row = bind.execute(sa.select(meta.c.value).where(meta.c.key == "schema_version")).first()
    if row is None:
        bind.execute(meta.insert().values(key="schema_version", value=LEGACY_SCHEMA_VERSION))
    elif row.value != LEGACY_SCHEMA_VERSION:
        raise SchemaVersionError(
            f"pre-migration schema version {row.value}, this server knows {LEGACY_SCHEMA_VERSION}"
        )


def _create(table: sa.Table) -> None:
    # Listed in dependency order (principals before commands); indexes right after their table.
    op.execute(CreateTable(table))
    for index in sorted(table.indexes, key=lambda i: i.name or ""):
        op.execute(CreateIndex(index))


def downgrade() -> None:
    for table in reversed(_tables()):
        op.drop_table(table.name)
