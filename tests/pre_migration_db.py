"""A centre database exactly as the server made it before schema migrations existed.

``OLD_DDL`` is the ``sqlite_master`` text that ``create_all`` produced then (event log,
query tables, strips, pre-notifications, caller link), copied from such a database.
Used by the server's migration tests, unit and integration.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

# table or index name -> its CREATE statement, in the order create_all ran them (SQLite keeps a
# space before each newline; compare with normalise_sql()).
OLD_DDL: dict[str, str] = {
    "events": """CREATE TABLE events (
	seq INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
	ts TEXT NOT NULL,
	name TEXT NOT NULL,
	actor_id TEXT NOT NULL,
	actor_role TEXT NOT NULL,
	ref TEXT,
	data JSON NOT NULL
)""",
    "principals": """CREATE TABLE principals (
	id TEXT NOT NULL,
	role TEXT NOT NULL,
	name TEXT NOT NULL,
	unit_id TEXT,
	token_hash TEXT NOT NULL,
	revoked BOOLEAN NOT NULL,
	created_at TEXT NOT NULL,
	PRIMARY KEY (id),
	UNIQUE (token_hash)
)""",
    "commands": """CREATE TABLE commands (
	command_id TEXT NOT NULL,
	principal_id TEXT NOT NULL,
	name TEXT NOT NULL,
	ack_json JSON NOT NULL,
	created_at TEXT NOT NULL,
	PRIMARY KEY (command_id),
	FOREIGN KEY(principal_id) REFERENCES principals (id)
)""",
    "calls": """CREATE TABLE calls (
	id TEXT NOT NULL,
	state_json JSON NOT NULL,
	seq INTEGER NOT NULL,
	PRIMARY KEY (id)
)""",
    "incidents": """CREATE TABLE incidents (
	id TEXT NOT NULL,
	state_json JSON NOT NULL,
	seq INTEGER NOT NULL,
	PRIMARY KEY (id)
)""",
    "units": """CREATE TABLE units (
	id TEXT NOT NULL,
	state_json JSON NOT NULL,
	seq INTEGER NOT NULL,
	PRIMARY KEY (id)
)""",
    "meta": """CREATE TABLE meta (
	"key" TEXT NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY ("key")
)""",
    "strips": """CREATE TABLE strips (
	strip_id TEXT NOT NULL,
	unit_id TEXT NOT NULL,
	incident_id TEXT NOT NULL,
	channel TEXT NOT NULL,
	start TEXT NOT NULL,
	seconds FLOAT NOT NULL,
	period_ms FLOAT NOT NULL,
	factor FLOAT NOT NULL,
	origin INTEGER NOT NULL,
	unit TEXT NOT NULL,
	samples BLOB NOT NULL,
	reason TEXT NOT NULL,
	alarm_code TEXT,
	created_at TEXT NOT NULL,
	PRIMARY KEY (strip_id)
)""",
    "prenotifications": """CREATE TABLE prenotifications (
	prenotify_id TEXT NOT NULL,
	hospital_id TEXT NOT NULL,
	incident_id TEXT NOT NULL,
	package BLOB NOT NULL,
	created_at TEXT NOT NULL,
	PRIMARY KEY (prenotify_id)
)""",
    "ix_prenotifications_hospital_id": "CREATE INDEX ix_prenotifications_hospital_id ON prenotifications (hospital_id)",
    "caller_link_tokens": """CREATE TABLE caller_link_tokens (
	token_hash VARCHAR(64) NOT NULL,
	link_id VARCHAR(64) NOT NULL,
	PRIMARY KEY (token_hash)
)""",
    "caller_media": """CREATE TABLE caller_media (
	media_id VARCHAR(36) NOT NULL,
	call_id VARCHAR(64) NOT NULL,
	link_id VARCHAR(64) NOT NULL,
	content_type VARCHAR(40) NOT NULL,
	bytes INTEGER NOT NULL,
	sha256 VARCHAR(64) NOT NULL,
	data BLOB NOT NULL,
	created_at VARCHAR(40) NOT NULL,
	PRIMARY KEY (media_id)
)""",
    "ix_caller_media_call_id": "CREATE INDEX ix_caller_media_call_id ON caller_media (call_id)",
}

INDEX_TABLE = {"ix_prenotifications_hospital_id": "prenotifications", "ix_caller_media_call_id": "caller_media"}

# What `admin init` made before a server had ever started on the file.
ADMIN_INIT_TABLES = ("events", "principals", "commands", "calls", "incidents", "units", "meta")
COPIED_TABLES = ("principals", "events", "commands", "calls", "incidents", "units")


def normalise_sql(sql: str) -> str:
    return "\n".join(line.rstrip() for line in sql.splitlines())


def make_pre_migration_db(path: Path, *, names: tuple[str, ...] | None = None, copy_from: Path | None = None) -> None:
    """Create ``path`` with the old DDL (all of it, or only ``names``) and ``meta.schema_version = '1'``;
    with ``copy_from``, copy the event log, credentials and query rows of another centre database."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        if copy_from is not None:
            db.execute("ATTACH DATABASE ? AS source", (str(copy_from),))
        db.execute("BEGIN")
        for name, sql in OLD_DDL.items():
            if names is None or INDEX_TABLE.get(name, name) in names:
                db.execute(sql)
        db.execute("INSERT INTO meta(key, value) VALUES ('schema_version', '1')")
        if copy_from is not None:
            for table in COPIED_TABLES:
                # Only the columns the old table had: a newer source may carry later columns.
                columns = [row[1] for row in db.execute(f"PRAGMA main.table_info({table})")]
                names_sql = ", ".join(columns)
                db.execute(f"INSERT INTO main.{table} ({names_sql}) SELECT {names_sql} FROM source.{table}")
        db.execute("COMMIT")
        if copy_from is not None:
            db.execute("DETACH DATABASE source")
    finally:
        db.close()
