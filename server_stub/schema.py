"""Every table of the centre's database, in one SQLAlchemy ``MetaData``.

The modules that use a table import it from here (``store.py``: the event log,
credentials, command acks and the query tables; ``strips.py``: ECG strips;
``prenotify.py``: hospital pre-notifications; ``caller_link.py``: caller-link
tokens; ``caller_media.py``: caller photos; ``track.py``: ambulance positions). Nobody calls ``create_all``: the schema is made and changed
only by the Alembic revisions in :mod:`server_stub.migrations`, which the
server and the admin CLI run at start-up (:func:`server_stub.migrations.upgrade_to_head`).

Changing a table here therefore needs a new revision in
``server_stub/migrations/versions/``; ``tests/unit/test_server_migrations.py``
fails while this metadata and the migrated schema differ.

Only SQLAlchemy's generic types are used, so that the same tables work on
SQLite (one centre, one file) and PostgreSQL (several server instances).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

# ------------------------------------------------------------------ the event log (store.py)
events_table = Table(
    "events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("ts", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("actor_id", Text, nullable=False),
    Column("actor_role", Text, nullable=False),
    Column("ref", Text, nullable=True),
    Column("data", JSON, nullable=False),
    # SHA-256 hex of the canonical encoding of the event, chained to the previous event's
    # (server_stub.chain). Nullable only because SQLite cannot add a NOT NULL column to a
    # table in place; every row has one from revision 0003 on (back-filled there).
    Column("chain_hash", String(64), nullable=True),
    # SQLite: AUTOINCREMENT, so a seq is never reused even after the last row is deleted.
    sqlite_autoincrement=True,
)

principals_table = Table(
    "principals",
    metadata,
    Column("id", Text, primary_key=True),
    Column("role", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("unit_id", Text, nullable=True),
    Column("token_hash", Text, nullable=False, unique=True),
    Column("revoked", Boolean, nullable=False, default=False),
    Column("created_at", Text, nullable=False),
)

commands_table = Table(
    "commands",
    metadata,
    Column("command_id", Text, primary_key=True),
    Column("principal_id", Text, ForeignKey("principals.id"), nullable=False),
    Column("name", Text, nullable=False),
    Column("ack_json", JSON, nullable=False),
    Column("created_at", Text, nullable=False),
    # SHA-256 of the command's canonical name and arguments (server_stub.bus.command_fingerprint):
    # the same id with other content is a conflict, not a duplicate. NULL for rows written
    # before revision 0002 (then only the name is compared).
    Column("fingerprint", String(64), nullable=True),
)


def _query_table(name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("id", Text, primary_key=True),
        Column("state_json", JSON, nullable=False),
        Column("seq", Integer, nullable=False),
    )


query_tables: dict[str, Table] = {name: _query_table(name) for name in ("calls", "incidents", "units")}

# ``schema_version`` here is what servers released before the Alembic migrations check (they
# refuse any value but "1"); see server_stub/migrations/README.md for when a revision changes it.
meta_table = Table(
    "meta",
    metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
)

# ------------------------------------------------------------------ ECG strips (strips.py)
strips_table = Table(
    "strips",
    metadata,
    Column("strip_id", Text, primary_key=True),
    Column("unit_id", Text, nullable=False),
    Column("incident_id", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("start", Text, nullable=False),  # device time of the first sample (ISO)
    Column("seconds", Float, nullable=False),
    Column("period_ms", Float, nullable=False),
    Column("factor", Float, nullable=False),
    Column("origin", Integer, nullable=False),
    Column("unit", Text, nullable=False),
    Column("samples", LargeBinary, nullable=False),  # JSON array of integers
    Column("reason", Text, nullable=False),
    Column("alarm_code", Text),
    Column("created_at", Text, nullable=False),
)

# ------------------------------------------------------------------ hospital pre-notification (prenotify.py)
prenotify_table = Table(
    "prenotifications",
    metadata,
    Column("prenotify_id", Text, primary_key=True),
    Column("hospital_id", Text, nullable=False, index=True),
    Column("incident_id", Text, nullable=False),
    Column("package", LargeBinary, nullable=False),  # JSON of the package (with the ECG samples)
    Column("created_at", Text, nullable=False),
)

# ------------------------------------------------------------------ the caller link (caller_link.py, caller_media.py)
caller_link_tokens_table = Table(
    "caller_link_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("link_id", String(64), nullable=False),
)

# Caller photos, kept with the incident beside the event log (never in an event): see
# docs/protocol.md § "Caller link" and § "Caller media retention". Live video is never recorded (there is
# no option to record it); photos are kept (``--caller-photos keep``) or refused (``discard``), and
# deleted ``--caller-media-days`` after their incident closed (0: kept forever).
caller_media_table = Table(
    "caller_media",
    metadata,
    Column("media_id", String(36), primary_key=True),
    Column("call_id", String(64), nullable=False, index=True),
    Column("link_id", String(64), nullable=False),
    Column("content_type", String(40), nullable=False),
    Column("bytes", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("created_at", String(40), nullable=False),
)

# ------------------------------------------------------------------ ambulance tracks (track.py)
# Positions of units while they are assigned to an incident, at the rate the centre configures
# (``--track-interval-s``): beside the event log, never in it and not in its hash chain (telemetry
# is a stream, not events). Read by app.records.track for the incident's playback.
unit_positions_table = Table(
    "unit_positions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("incident_id", String(64), nullable=False),
    Column("unit_id", String(64), nullable=False),
    Column("device_ts", String(40), nullable=False),  # the device's time of the fix (UTC, Z, ms)
    Column("server_ts", String(40), nullable=False),  # when the server received it (same form)
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("speed_mps", Float, nullable=True),
    Column("heading_deg", Float, nullable=True),
    Column("accuracy_m", Float, nullable=True),
    Index("ix_unit_positions_incident", "incident_id", "unit_id", "device_ts"),
)
