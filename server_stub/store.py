"""The event log and query tables, in SQLite or PostgreSQL, through SQLAlchemy 2 Core.

Where: :func:`database_url` turns ``--db`` (a file path, ``sqlite:///ABS/PATH`` or
``postgresql+psycopg://USER@HOST:PORT/DB``) into the URL :class:`EventStore` opens.
SQLite is the embedded default (one server process per file); PostgreSQL lets
several server instances share one log.

Tables:

* ``events`` — the append-only log: ``seq`` (INTEGER PRIMARY KEY
  AUTOINCREMENT: never reused), ``ts`` (UTC, ISO 8601 ms), ``name``,
  ``actor_id``, ``actor_role``, ``ref`` (the command id, or NULL for events
  the server or the admin CLI made on its own), ``data`` (JSON), ``chain_hash``
  (SHA-256 hex of the event's canonical encoding, which begins with the previous
  event's ``chain_hash``: :mod:`server_stub.chain`). Append-only: database triggers
  refuse UPDATE and DELETE of its rows (revision 0003); a correction is a new event.
* ``principals`` — credentials: ``id``, ``role``, ``name``, ``unit_id``,
  ``token_hash`` (SHA-256 hex, see :mod:`server_stub.auth`), ``revoked``,
  ``created_at``. The registry facts (who exists, with which role) are also
  events; this table adds the secret part, which never goes into the log.
* ``commands`` — one row per applied command id, with the ack sent, so a
  re-sent command gets the same ack (idempotency), and the ``fingerprint`` of
  its name and arguments, so the same id with other content is a conflict.
* ``calls``, ``incidents``, ``units`` — query tables: ``id``, ``state_json``
  (the projection's entity), ``seq`` (the log position the row reflects).
  Written in the same transaction as the events that changed them.
* ``meta`` — ``schema_version`` (what servers released before the migrations check).

The tables are defined in :mod:`server_stub.schema` and made or changed only by
the Alembic revisions of :mod:`server_stub.migrations`, run when the store opens.

Durability: every SQLite connection sets ``journal_mode=WAL``, ``synchronous=FULL``
(a commit is on disk when it returns), ``foreign_keys=ON`` and a busy timeout.
PostgreSQL's defaults (``fsync=on``, ``synchronous_commit=on``) give the same.

Concurrency: writers (server instances, the admin CLI, possibly at the same
time) append one at a time — SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: ``LOCK
TABLE events IN SHARE ROW EXCLUSIVE MODE`` at the start of the transaction
(it excludes other appenders, never readers) — and :meth:`EventStore.commit`
checks, under that lock, that the log still ends where the caller's state ends
(``expected_seq``) and reads the last event's ``chain_hash``, which the batch's
first event chains to (so one chain runs through every instance's appends and
every group commit). If another writer got in first it raises
:class:`StaleLogError` and the caller catches up and decides again. Under the
same lock it checks that none of the batch's command ids is stored yet
(:class:`KnownCommandsError`: the caller answers those as repeats), so a batch of
many commands (the bus's group commit) costs one transaction and one fsync. So the
global sequence is the database's (``max(seq) + 1`` under the lock, in the
transaction that appends), the log has no gaps, and every event was decided on
the state that precedes it: a unit's version check (``unit_version`` of
``unit.assign``) made on one instance cannot be overtaken by another instance's
assignment, because a decision on a stale state is never committed.

The server's own appends on PostgreSQL (:meth:`EventStore.commit_async`) check the
same without the lock when the instance wrote the last event itself: the log is
append-only, so the first new event's key (``seq``, the primary key) is free exactly
when the log still ends at ``expected_seq``; a taken key fails the transaction and is
reported as :class:`StaleLogError` (or, for a stored command id's key,
:class:`KnownCommandsError`) as the reads under the lock would have.

Other instances learn of an append by polling the log end, and on PostgreSQL
at once through ``NOTIFY dispatch120_events`` (sent by the appending
transaction, delivered on commit; :meth:`EventStore.append_listener`).

Threads: an :class:`EventStore` may be used from any thread (the server calls
it through ``asyncio.to_thread``); each call takes its own pooled connection. The
exception is the server's write path on PostgreSQL, :meth:`EventStore.commit_async`: one
connection kept open on the server's loop.
Every method raises ``sqlalchemy.exc.SQLAlchemyError`` on database failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    URL,
    Connection,
    Engine,
    Insert,
    Integer,
    String,
    Table,
    Text,
    bindparam,
    create_engine,
    event,
    func,
    make_url,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

from app.protocol import Message, now_iso
from app.protocol import event as event_message
from server_stub.chain import GENESIS, chain_messages

# The schema errors are raised by EventStore(); callers catch them from here.
from server_stub.migrations import DatabaseNewerError as DatabaseNewerError
from server_stub.migrations import SchemaVersionError as SchemaVersionError
from server_stub.migrations import Upgrade, upgrade_to_head
from server_stub.schema import commands_table, events_table, principals_table, query_tables

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
# PostgreSQL: seconds to wait for the server at connect (an unreachable database fails fast and clearly).
CONNECT_TIMEOUT_S = 10
# PostgreSQL: seconds a commit may take before its connection is dropped and its batch failed (a
# database that stopped answering must not hold every seat's commands forever); the default of
# EventStore.commit_timeout_s (the server's --commit-timeout-s).
COMMIT_TIMEOUT_S = 30.0
# PostgreSQL: the channel an appending transaction notifies (payload "<store id>:<last seq>").
NOTIFY_CHANNEL = "dispatch120_events"
# PostgreSQL: advisory lock key held while the schema is checked/upgraded, so instances
# starting together migrate one after the other ("d120" in ASCII).
MIGRATION_LOCK_KEY = 0x64313230
SUPPORTED_SCHEMES = ("sqlite:///ABSOLUTE/PATH", "postgresql+psycopg://USER[:PASSWORD]@HOST[:PORT]/DATABASE")


class UnsupportedDatabaseError(ValueError):
    """``--db`` names a kind of database this server cannot use (the message says which ones it can)."""


def database_url(db: str | Path) -> URL:
    """The SQLAlchemy URL of ``--db``: a file path (SQLite) or a URL.

    ``postgresql://`` and ``postgres://`` mean ``postgresql+psycopg://`` (psycopg 3, the
    driver this server ships with). A relative ``sqlite:///`` path is taken from the
    current directory and made absolute.

    Raises:
        UnsupportedDatabaseError: another scheme or driver, or a malformed URL.
    """
    if isinstance(db, Path) or "://" not in db:
        return URL.create("sqlite+pysqlite", database=str(Path(db).expanduser().resolve()))
    try:
        url = make_url(db)
    except ArgumentError as exc:
        raise UnsupportedDatabaseError(f"not a database URL: {exc}") from None
    backend, _, driver = url.drivername.partition("+")
    if backend == "sqlite" and driver in ("", "pysqlite"):
        if not url.database or url.database == ":memory:":
            raise UnsupportedDatabaseError("sqlite URL needs a file: sqlite:///ABSOLUTE/PATH")
        return url.set(drivername="sqlite+pysqlite", database=str(Path(url.database).expanduser().resolve()))
    if backend in ("postgresql", "postgres") and driver in ("", "psycopg"):
        if not url.database:
            raise UnsupportedDatabaseError("postgresql URL needs a database name: " + SUPPORTED_SCHEMES[1])
        return url.set(drivername="postgresql+psycopg")
    raise UnsupportedDatabaseError(
        f"unsupported database {url.drivername!r}; use a file path or one of: {', '.join(SUPPORTED_SCHEMES)}"
    )


def insert_ignoring_duplicates(dialect_name: str, table: Table) -> Insert:
    """``INSERT … ON CONFLICT DO NOTHING`` for SQLite or PostgreSQL (first write wins)."""
    return _insert(dialect_name, table).on_conflict_do_nothing()


def _insert(dialect_name: str, table: Table) -> Any:
    if dialect_name == "postgresql":
        return pg_dialect.insert(table)
    if dialect_name == "sqlite":
        return sqlite_dialect.insert(table)
    raise UnsupportedDatabaseError(f"no upsert for the {dialect_name} dialect")


class StaleLogError(Exception):
    """Another writer appended events since the caller's state was read: catch up, decide again."""


class KnownCommandsError(Exception):
    """Command ids of a batch are stored already (applied earlier, here or by another instance).

    Nothing was written. ``records`` are the stored commands; the caller answers those
    commands as repeats (or conflicts) and commits the rest of the batch again.
    """

    def __init__(self, records: list[CommandRecord]) -> None:
        super().__init__(f"command id(s) already stored: {', '.join(r.command_id for r in records)}")
        self.records = records


@dataclass
class CommandRecord:
    command_id: str
    principal_id: str
    name: str
    ack: Message
    # SHA-256 of the canonical name and arguments (server_stub.bus.command_fingerprint);
    # None for commands stored before the store remembered it.
    fingerprint: str | None = None


@dataclass
class PrincipalRow:
    """A row of ``principals``. ``token_hash`` None on update means: keep the current one."""

    id: str
    role: str
    name: str
    unit_id: str | None
    token_hash: str | None
    revoked: bool = False


@dataclass
class Batch:
    """Everything one transaction writes. See :meth:`EventStore.commit`."""

    expected_seq: int
    events: list[Message] = field(default_factory=list)
    changed: dict[str, dict[str, Any]] = field(default_factory=dict)
    command: CommandRecord | None = None
    principals: list[PrincipalRow] = field(default_factory=list)
    # Several commands decided together (group commit); written with ``command``, if any.
    commands: list[CommandRecord] = field(default_factory=list)
    # Ids of commands of the batch that are not written (refused): checked like the others,
    # so a repeat of a stored command is found even when deciding it again refuses it.
    check_ids: list[str] = field(default_factory=list)

    def all_commands(self) -> list[CommandRecord]:
        return ([self.command] if self.command is not None else []) + self.commands


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


# The log end and the hash the next event chains to (plain SQL both dialects read alike).
LAST_EVENT_SQL = "SELECT seq, chain_hash FROM events ORDER BY seq DESC LIMIT 1"
# PostgreSQL: SHARE ROW EXCLUSIVE conflicts with itself and with INSERT, not with SELECT: one
# appender at a time across every instance, readers never wait.
APPEND_LOCK_SQL = "LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE"


def _log_end(last: Any, expected_seq: int) -> tuple[int, str | None]:
    """The log end and its hash from the last event's row (None: an empty log), or StaleLogError if it
    is not where the caller's state ends."""
    current, prev_hash = (0, GENESIS) if last is None else (last[0], last[1])
    if current != expected_seq:
        raise StaleLogError(f"log is at {current}, caller expected {expected_seq}")
    return current, prev_hash


def _batch_ids(batch: Batch) -> list[str]:
    """Every command id of ``batch`` that must not be stored yet: its commands' and its refusals'."""
    return [c.command_id for c in batch.all_commands()] + batch.check_ids


class _BatchRows:
    """The rows a batch writes, by column name (for :class:`_DriverStatement` and :class:`_AppendStatement`);
    its events chained on ``prev_hash``."""

    def __init__(self, batch: Batch, prev_hash: str) -> None:
        hashes = chain_messages(prev_hash, batch.events) if batch.events else []
        self.events = [
            {
                "seq": msg["seq"],
                "ts": msg["ts"],
                "name": msg["name"],
                "actor_id": msg["actor"]["id"],
                "actor_role": msg["actor"]["role"],
                "ref": msg["ref"],
                "data": msg["data"],
                "chain_hash": chain_hash,
            }
            for msg, chain_hash in zip(batch.events, hashes, strict=True)
        ]
        self.last_seq: int = batch.events[-1]["seq"] if batch.events else batch.expected_seq
        self.last_hash: str = hashes[-1] if hashes else prev_hash
        self.upserts = {
            table: [{"id": key, "state_json": value, "seq": self.last_seq} for key, value in rows.items()]
            for table, rows in batch.changed.items()
        }
        created_at = now_iso()
        self.commands = [
            {
                "command_id": c.command_id,
                "principal_id": c.principal_id,
                "name": c.name,
                "ack_json": c.ack,
                "created_at": created_at,
                "fingerprint": c.fingerprint,
            }
            for c in batch.all_commands()
        ]


class _DriverStatement:
    """A Core statement compiled once for one dialect and run on the DBAPI cursor of the
    transaction, its values through the columns' own bind processors (JSON as the engine
    serialises it).

    :meth:`EventStore.commit` runs its statements this way: through ``Connection.execute``
    each one costs a compile-cache lookup, parameter processing and result set-up in Python.
    A transaction of seven commands on SQLite took ≈ 1.55 ms of CPU that way and takes ≈ 0.65 ms
    on the cursor, COMMIT included (bench/README.md, group commit, run 5): at 20 seats the
    commit threads had been half of the server's CPU per event.
    """

    def __init__(self, stmt: Any, dialect: Any) -> None:
        compiled = stmt.compile(dialect=dialect)
        self.sql: str = compiled.string
        # Positional paramstyles (SQLite's qmark) take tuples in this order; named ones dicts.
        self.keys: list[str] | None = list(compiled.positiontup or ()) if compiled.positional else None
        self.processors: list[tuple[str, Callable[[Any], Any]]] = []
        for name, bind in compiled.binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self.processors.append((name, processor))

    def params(self, values: dict[str, Any]) -> Any:
        """``values`` (by bind name, changed in place) as the driver takes them."""
        for name, processor in self.processors:
            values[name] = processor(values[name])
        return values if self.keys is None else tuple([values[key] for key in self.keys])

    def executemany(self, cursor: Any, rows: list[dict[str, Any]]) -> None:
        if rows:
            cursor.executemany(self.sql, [self.params(row) for row in rows])


class _BulkInsert:
    """PostgreSQL: an INSERT of any number of rows in one statement and one parameter: the rows as
    one JSON array, unpacked by the server (``INSERT … SELECT … FROM json_to_recordset(%(rows)s)``).
    One parse and one execution per table and transaction, where an ``executemany`` executes once
    per row, and one orjson call where psycopg would adapt every value in Python. JSON columns
    stay nested objects in that array. ``upsert``: the columns a row with the same key replaces.
    """

    RECORD_TYPES = {Integer: "bigint", JSON: "json", Text: "text", String: "text"}

    def __init__(self, table: Table, upsert: tuple[str, ...] = (), param: str = "rows") -> None:
        types = [f"{column.name} {next(sql for kind, sql in self.RECORD_TYPES.items() if isinstance(column.type, kind))}"
                 for column in table.c]
        names = ", ".join(column.name for column in table.c)
        self.sql = (f"INSERT INTO {table.name} ({names}) SELECT {names} "
                    f"FROM json_to_recordset(%({param})s::json) AS r({', '.join(types)})")
        if upsert:
            key = ", ".join(column.name for column in table.primary_key.columns)
            sets = ", ".join(f"{name} = excluded.{name}" for name in upsert)
            self.sql += f" ON CONFLICT ({key}) DO UPDATE SET {sets}"


class _AppendStatement:
    """PostgreSQL: everything a batch writes, in one statement.

    The statement inserts the events; its data-modifying CTEs upsert the query rows (every
    query table, an empty array where none changed) and insert the command rows, each
    table's rows as one JSON array (:class:`_BulkInsert`). Each inserted event returns
    ``pg_notify`` of the same payload, which PostgreSQL delivers once, on commit.

    The events go first: PostgreSQL runs the primary statement before the CTEs it does not
    read, so an append behind another writer's stops at its first event's key (waiting, at
    most, for that writer's transaction) before it has locked any other row — two appenders
    cannot deadlock. The statement reads no table (only keys: conflicts, foreign keys), so
    the plan PostgreSQL caches for it cannot turn into a table scan as the log grows. One
    parse, one plan and one execution per transaction, whatever the batch holds.
    """

    def __init__(self) -> None:
        events = _BulkInsert(events_table, param="events")
        inserts = {"commands": _BulkInsert(commands_table, param="commands")}
        for name, table in query_tables.items():
            inserts[name] = _BulkInsert(table, upsert=("state_json", "seq"), param=name)
        self.params_of = ["events", *inserts]
        ctes = [f"write_{name} AS ({insert.sql})" for name, insert in inserts.items()]
        self.sql = "WITH " + ", ".join(ctes) + " " + events.sql + " RETURNING pg_notify(%(channel)s, %(payload)s)"

    def params(self, rows: _BatchRows, payload: str) -> dict[str, Any]:
        """The statement's parameters: each table's rows as one JSON array, the NOTIFY payload."""
        out: dict[str, Any] = {name: "[]" for name in self.params_of}
        if rows.events:
            out["events"] = _dumps(rows.events)
        if rows.commands:
            out["commands"] = _dumps(rows.commands)
        for table, upserts in rows.upserts.items():
            if table not in out:
                raise ValueError(f"no query table {table!r}")
            if upserts:
                out[table] = _dumps(upserts)
        out["channel"], out["payload"] = NOTIFY_CHANNEL, payload
        return out


def _all_columns(table: Table) -> dict[str, Any]:
    return {column.name: bindparam(column.name, type_=column.type) for column in table.c}


class _WriteSQL:
    """The statements of :meth:`EventStore.commit`, compiled once for the store's dialect."""

    def __init__(self, dialect: Any) -> None:
        self.dialect = dialect
        self.events = _DriverStatement(events_table.insert().values(_all_columns(events_table)), dialect)
        self.commands = _DriverStatement(commands_table.insert().values(_all_columns(commands_table)), dialect)
        self.upserts: dict[str, _DriverStatement] = {}
        for name, t in query_tables.items():
            stmt = _insert(dialect.name, t).values(_all_columns(t))
            stmt = stmt.on_conflict_do_update(
                index_elements=[t.c.id], set_={"state_json": stmt.excluded.state_json, "seq": stmt.excluded.seq}
            )
            self.upserts[name] = _DriverStatement(stmt, dialect)
        self._known: dict[int, _DriverStatement] = {}
        self._notify: _DriverStatement | None = None
        # PostgreSQL (commit_async): the whole batch in one statement.
        self.append = _AppendStatement() if dialect.name == "postgresql" else None

    def known_ids(self, ids: list[str]) -> tuple[str, Any]:
        """(SQL, parameters) of a query that returns a row when any of ``ids`` is a stored command id."""
        statement = self._known.get(len(ids))
        if statement is None:
            column = commands_table.c.command_id
            binds = [bindparam(f"id{i}", type_=column.type) for i in range(len(ids))]
            statement = self._known[len(ids)] = _DriverStatement(select(column).where(column.in_(binds)), self.dialect)
        return statement.sql, statement.params({f"id{i}": command_id for i, command_id in enumerate(ids)})

    def notify(self, payload: str) -> tuple[str, Any]:
        """(SQL, parameters) of PostgreSQL's ``pg_notify`` on :data:`NOTIFY_CHANNEL`."""
        if self._notify is None:
            self._notify = _DriverStatement(select(func.pg_notify(bindparam("channel", type_=Text()),
                                                                  bindparam("payload", type_=Text()))), self.dialect)
        return self._notify.sql, self._notify.params({"channel": NOTIFY_CHANNEL, "payload": payload})


class EventStore:
    """The event log of one centre (or one training session), in SQLite or PostgreSQL."""

    def __init__(self, db: str | Path | URL) -> None:
        """Open (creating if missing) the database and bring its schema to the newest revision.

        ``db``: a path or URL, as :func:`database_url` takes it. A PostgreSQL database
        must exist (the DBA creates it); its tables are made here.

        Logs the schema revision before and after (:func:`server_stub.migrations.upgrade_to_head`);
        :attr:`schema` says what was done.

        Raises:
            UnsupportedDatabaseError: ``db`` is neither a path nor a supported URL.
            DatabaseNewerError: a newer server wrote the database (nothing was changed).
            SchemaVersionError: the database is not a dispatch120 event log this code can adopt.
            sqlalchemy.exc.SQLAlchemyError: the database cannot be opened or reached.
        """
        self.url = db if isinstance(db, URL) else database_url(db)
        self.dialect = self.url.get_backend_name()
        # An id for this store's NOTIFY payloads, so its own appends do not wake its listener.
        self.instance_id = uuid.uuid4().hex[:12]
        self.path: Path | None = None
        self.checkpointer: WalCheckpointer | None = None
        if self.dialect == "sqlite":
            self.path = Path(self.url.database or "")
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.engine = sqlite_engine(self.path)
            # The commits never checkpoint (an automatic checkpoint copies and fsyncs up to a
            # thousand pages inside the commit that crosses the limit: a latency spike for the
            # seats waiting on that commit's acks); the checkpointer thread does it beside them.
            event.listen(self.engine, "connect", _no_autocheckpoint)
            self.label = str(self.path)
        else:
            self.engine = postgres_engine(self.url)
            self.label = self.url.render_as_string(hide_password=True)
        self._sql = _WriteSQL(self.engine.dialect)
        self._held_writer: Connection | None = None  # SQLite: see commit()
        # The last event this store wrote, (seq, chain_hash): the next batch chains to it without reading it.
        self._tip: tuple[int, str] | None = None
        # PostgreSQL: the writer connection of commit_async, on the loop that opened it.
        self._async_conn: Any = None
        self._async_loop: asyncio.AbstractEventLoop | None = None
        self.commit_timeout_s = COMMIT_TIMEOUT_S
        try:
            with self._writer() as conn, conn.begin():
                if self.dialect == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
                self.schema: Upgrade = upgrade_to_head(conn, label=self.label)
        except BaseException:
            self.engine.dispose()
            raise
        if self.path is not None:
            self.checkpointer = WalCheckpointer(self.path)
            self.checkpointer.start()

    @property
    def conninfo(self) -> str:
        """psycopg's connection string of a PostgreSQL store, password included (never log it)."""
        return self.url.set(drivername="postgresql").render_as_string(hide_password=False)

    @property
    def shared(self) -> bool:
        """True when several server instances may use this database (PostgreSQL)."""
        return self.dialect == "postgresql"

    def close(self) -> None:
        """Stop the checkpointer and close every pooled connection (SQLite then checkpoints the WAL)."""
        if self.checkpointer is not None:
            self.checkpointer.stop()
        held, self._held_writer = self._held_writer, None
        if held is not None:
            held.close()
        writer, self._async_conn = self._async_conn, None
        if writer is not None:  # not closed on its loop (aclose): closed at the libpq level
            _finish(writer)
        self.engine.dispose()

    def _writer(self) -> Connection:
        return self.engine.connect().execution_options(sqlite_begin="IMMEDIATE")

    # ------------------------------------------------------------ reads
    def max_seq(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.coalesce(func.max(events_table.c.seq), 0))).scalar_one()

    def read_events(self, after: int, upto: int | None = None, limit: int | None = None) -> list[Message]:
        """Events with ``after < seq <= upto``, oldest first, as protocol messages."""
        query = select(events_table).where(events_table.c.seq > after).order_by(events_table.c.seq)
        if upto is not None:
            query = query.where(events_table.c.seq <= upto)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [_event_from_row(row) for row in conn.execute(query)]

    def iter_events(self, after: int = 0, chunk: int = 5000) -> Iterator[Message]:
        """All events after ``after``, read in chunks (for rebuilding the state at start)."""
        while True:
            batch = self.read_events(after, limit=chunk)
            if not batch:
                return
            yield from batch
            after = batch[-1]["seq"]

    def find_command(self, command_id: str) -> CommandRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(commands_table).where(commands_table.c.command_id == command_id)).first()
        if row is None:
            return None
        return CommandRecord(row.command_id, row.principal_id, row.name, row.ack_json, row.fingerprint)

    def find_commands(self, command_ids: list[str]) -> list[CommandRecord]:
        """The stored commands among ``command_ids`` (one query)."""
        with self.engine.connect() as conn:
            return _find_commands(conn, command_ids)

    def principal_by_token_hash(self, digest: str) -> PrincipalRow | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(principals_table).where(principals_table.c.token_hash == digest)).first()
        return None if row is None else _principal_from_row(row)

    def principal(self, principal_id: str) -> PrincipalRow | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(principals_table).where(principals_table.c.id == principal_id)).first()
        return None if row is None else _principal_from_row(row)

    def principals(self) -> list[PrincipalRow]:
        """Every credential, ordered by role then id (token hashes are included: never print them)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(principals_table).order_by(principals_table.c.role, principals_table.c.id))
            return [_principal_from_row(row) for row in rows]

    def principal_created_at(self) -> dict[str, str]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(principals_table.c.id, principals_table.c.created_at))
            return {row.id: row.created_at for row in rows}

    def query_row(self, table: str, entity_id: str) -> tuple[dict[str, Any], int] | None:
        """One row of a query table: (entity, seq), or None."""
        t = query_tables[table]
        with self.engine.connect() as conn:
            row = conn.execute(select(t.c.state_json, t.c.seq).where(t.c.id == entity_id)).first()
        return None if row is None else (row.state_json, row.seq)

    # ------------------------------------------------------------ the one write path
    def commit(self, batch: Batch) -> None:
        """Write a batch in one transaction that excludes other appenders; returns once it is on disk.

        Events are inserted with their seq (``expected_seq + 1 …``), query rows
        upserted, the command rows and principal rows written. All or nothing: one
        transaction, so one fsync (SQLite WAL) or one WAL flush (PostgreSQL) however
        many commands the batch holds. The log end and the command ids are checked
        under the append lock, before anything is written.

        Raises:
            StaleLogError: the log does not end at ``batch.expected_seq``.
            KnownCommandsError: some of the batch's command ids are stored already.
            sqlalchemy.exc.IntegrityError: e.g. the same command id twice in the batch.
            sqlalchemy.exc.SQLAlchemyError: any other database failure.
        """
        if self.dialect != "sqlite":
            with self._writer() as conn:
                self._commit_on(conn, batch)
            return
        # SQLite: one writer connection stays open (taking one from the pool, resetting it and
        # giving it back was a quarter of the server's CPU per transaction at 20 seats). A
        # database error drops it; the next commit opens another.
        conn = self._held_writer
        if conn is None:
            conn = self._held_writer = self._writer()
        try:
            self._commit_on(conn, batch)
        except (StaleLogError, KnownCommandsError):
            raise  # rolled back; the connection is fine
        except BaseException:
            self._held_writer = None
            with contextlib.suppress(Exception):
                conn.close()
            raise

    def _commit_on(self, conn: Connection, batch: Batch) -> None:
        """:meth:`commit`'s transaction on ``conn`` (a writer connection)."""
        sql = self._sql
        with conn.begin():
            cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            try:
                if self.dialect == "postgresql":
                    # SHARE ROW EXCLUSIVE conflicts with itself and with INSERT, not with SELECT: one
                    # appender at a time across every instance, readers never wait. Under READ
                    # COMMITTED the last row below is read after the lock, so it sees the last append.
                    cursor.execute(APPEND_LOCK_SQL)
                # The log end and the hash the next event chains to, in one indexed read under the lock.
                # PostgreSQL plans these reads for their values each time (see _commit_pipelined).
                unprepared = {"prepare": False} if self.dialect == "postgresql" else {}
                cursor.execute(LAST_EVENT_SQL, **unprepared)
                current, prev_hash = _log_end(cursor.fetchone(), batch.expected_seq)
                ids = _batch_ids(batch)
                if ids:
                    cursor.execute(*sql.known_ids(ids), **unprepared)
                    if cursor.fetchone() is not None:
                        raise KnownCommandsError(_find_commands(conn, ids))
                rows = _BatchRows(batch, self._chain_start(current, prev_hash))
                sql.events.executemany(cursor, rows.events)
                for table, upserts in rows.upserts.items():
                    sql.upserts[table].executemany(cursor, upserts)
                for p in batch.principals:
                    self._write_principal(conn, p)
                sql.commands.executemany(cursor, rows.commands)
                if batch.events and self.dialect == "postgresql":
                    # Delivered to the listeners when (and only if) this transaction commits.
                    cursor.execute(*sql.notify(f"{self.instance_id}:{rows.last_seq}"))
            except self.engine.dialect.loaded_dbapi.Error as exc:
                # As SQLAlchemy's own execute would raise it (IntegrityError, OperationalError, …).
                raise DBAPIError.instance(None, None, exc, self.engine.dialect.loaded_dbapi.Error) from exc
            finally:
                cursor.close()
        self._tip = (rows.last_seq, rows.last_hash)

    def _chain_start(self, current: int, prev_hash: str | None) -> str:
        if prev_hash is None:
            # Only a row written around the server has none; `admin verify` names it. The centre
            # keeps working: new events chain on from the start value.
            log.error("event %d of %s has no chain_hash (written around the server); run admin verify",
                      current, self.label)
            return GENESIS
        return prev_hash

    # ------------------------------------------------------------ PostgreSQL: the write path on the loop
    async def commit_async(self, batch: Batch) -> None:
        """PostgreSQL: :meth:`commit` on the caller's asyncio loop, mostly in one round trip.

        Same transaction, same checks and same errors as :meth:`commit`, on one connection
        this store keeps open (psycopg's ``AsyncConnection``; no pool checkout, pre-ping or
        reset per transaction) in pipeline mode: one statement that writes the whole batch and
        notifies (:class:`_AppendStatement`) and the COMMIT go out together and come back
        together. The append lock is taken and the log end read first (one more round trip)
        only when this store did not write the event the batch chains to, the batch has no
        events or refused commands' ids must be looked up (:meth:`_commit_pipelined`).

        A connection that broke while idle (PostgreSQL restarted, a network blip) is opened
        again and the batch retried once: the log-end check and the command ids make a
        retry safe even when the first COMMIT did land. A commit that has not answered in
        :attr:`commit_timeout_s` (a database that hangs, a network that drops packets) is
        abandoned: its connection is closed and ``OperationalError`` raised, so the bus fails
        the batch (the seats' outboxes send again; a command that did land is then answered
        as a repeat). A batch with principal rows goes through :meth:`commit` in a worker thread.

        Raises: as :meth:`commit`.
        """
        if batch.principals or not self.shared:
            await asyncio.to_thread(self.commit, batch)
            return
        import psycopg

        for attempt in (1, 2):
            conn, fresh = await self._async_writer()
            try:
                async with asyncio.timeout(self.commit_timeout_s):  # no extra task, unlike wait_for
                    await self._commit_pipelined(conn, batch)
                return
            except (StaleLogError, KnownCommandsError):
                raise
            except TimeoutError:
                # The transaction's outcome is unknown, and so is the connection's state.
                await self._drop_writer(conn)
                log.error("the database %s did not answer a commit in %g s; its connection was dropped and "
                          "the batch of %d event(s) failed", self.label, self.commit_timeout_s, len(batch.events))
                raise OperationalError("COMMIT", None, TimeoutError(f"no answer in {self.commit_timeout_s:g} s")) from None
            except psycopg.Error as exc:
                self._tip = None
                broken = conn.closed or conn.broken
                if broken or conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                    await self._drop_writer(conn)
                if broken and not fresh and attempt == 1:
                    log.warning("the writer connection to %s was lost (%s); reconnecting and retrying the batch",
                                self.label, exc)
                    continue
                raise DBAPIError.instance(None, None, exc, psycopg.Error) from exc
            except BaseException:
                # Cancelled mid-transaction: the connection's state is unknown; the next commit opens another.
                await self._drop_writer(conn)
                raise

    async def _drop_writer(self, conn: Any) -> None:
        """Close the writer connection ``conn`` (its state is unknown); the next commit opens another
        and reads the log end first."""
        self._tip = None
        if self._async_conn is conn:
            self._async_conn = None
        with contextlib.suppress(Exception):
            await conn.close()

    async def _async_writer(self) -> tuple[Any, bool]:
        """This store's writer connection on the running loop, and whether it was opened just now
        (on first use or after a failure)."""
        loop = asyncio.get_running_loop()
        conn = self._async_conn
        if conn is not None and (conn.closed or self._async_loop is not loop):
            # Another loop's connection cannot be used (nor awaited) here: closed at the libpq level.
            _finish(conn)
            self._async_conn = conn = None
        if conn is not None:
            return conn, False
        import psycopg

        try:
            conn = await psycopg.AsyncConnection.connect(
                self.conninfo, connect_timeout=CONNECT_TIMEOUT_S, application_name="dispatch120-server")
        except psycopg.Error as exc:  # as SQLAlchemy would raise it (OperationalError)
            raise DBAPIError.instance(None, None, exc, psycopg.Error) from exc
        self._async_conn, self._async_loop = conn, loop
        self._tip = None
        return conn, True

    async def _commit_pipelined(self, conn: Any, batch: Batch) -> None:
        """:meth:`commit_async`'s transaction: one round trip, or three when it must take the lock.

        The log must end at ``batch.expected_seq``. When this store wrote the event there (so it
        knows the hash to chain to) and the batch has events and no refusals to look up, the
        events' keys check that: the log is append-only (triggers refuse UPDATE, DELETE and
        TRUNCATE), so it ends at ``expected_seq`` exactly when the first new seq is free, and an
        insert whose key is taken — or being taken by a transaction not yet committed, which it
        waits for — fails the whole statement. The batch's statement and its COMMIT then go in
        one round trip, without the table lock. Otherwise (another writer appended last, a
        batch without events, refused commands' ids to look up) the transaction takes the append
        lock, reads the log end (and the ids) under it, and commits only once they were checked.
        """
        tip = self._tip if self._tip is not None and self._tip[0] == batch.expected_seq else None
        if tip is None or not batch.events or batch.check_ids:
            async with conn.pipeline() as pipeline:
                await conn.execute(APPEND_LOCK_SQL)
                # Planned for its values each time, as is the id lookup below: a plan cached while a
                # table was small can scan the whole table once it is large (measured: it did).
                reading = await conn.execute(LAST_EVENT_SQL, prepare=False)
                known = (await conn.execute(*self._sql.known_ids(batch.check_ids), prepare=False)
                         if batch.check_ids else None)
                await pipeline.sync()
                last = await reading.fetchone()
                found = known is not None and await known.fetchone() is not None
            try:
                current, prev_hash = _log_end(last, batch.expected_seq)
            except StaleLogError:
                await conn.rollback()
                self._tip = None
                raise
            if found:
                await self._refused(conn, batch)
                raise RuntimeError("a stored command id was found, then not found again")
            tip = (current, self._chain_start(current, prev_hash))
        rows = await self._write_and_commit(conn, batch, tip[1])
        self._tip = (rows.last_seq, rows.last_hash)

    async def _write_and_commit(self, conn: Any, batch: Batch, prev_hash: str) -> _BatchRows:
        """The batch's statement and its COMMIT, in one pipeline sync. A taken key (or a deadlock) is
        rolled back and explained (StaleLogError, KnownCommandsError) when the database says why."""
        import psycopg

        append = self._sql.append
        assert append is not None
        rows = _BatchRows(batch, prev_hash)
        try:
            async with conn.pipeline() as pipeline:
                try:
                    await conn.execute(append.sql, append.params(rows, f"{self.instance_id}:{rows.last_seq}"))
                    await conn.commit()
                except psycopg.Error:
                    await _drained(pipeline)  # so that leaving the pipeline has nothing left to report
                    raise
        except self._refusal_errors():
            await self._refused(conn, batch)
            raise
        return rows

    @staticmethod
    def _refusal_errors() -> tuple[type[Exception], ...]:
        """What a batch meets when the log moved or a command id is stored (a key taken), or, should
        two appenders ever wait on each other, PostgreSQL's deadlock breaker. In pipeline mode the
        statement's own error can reach its cursor first and the COMMIT then reports only
        ``PipelineAborted`` (it depends on when the answers arrive): that too is explained from
        the database, not from the error's type."""
        import psycopg

        return psycopg.errors.UniqueViolation, psycopg.errors.DeadlockDetected, psycopg.errors.PipelineAborted

    async def _refused(self, conn: Any, batch: Batch) -> None:
        """After a batch failed on a key or a found id: roll back, then raise StaleLogError if the log
        moved, KnownCommandsError if command ids are stored; returns if neither (the caller raises)."""
        await conn.rollback()
        self._tip = None
        async with conn.cursor() as cursor:
            await cursor.execute(LAST_EVENT_SQL, prepare=False)
            last = await cursor.fetchone()
            await conn.rollback()
        _log_end(last, batch.expected_seq)
        ids = _batch_ids(batch)
        if ids:
            records = await asyncio.to_thread(self.find_commands, ids)
            if records:
                raise KnownCommandsError(records)

    async def aclose(self) -> None:
        """Close the loop's writer connection (:meth:`commit_async`), then as :meth:`close`."""
        conn = self._async_conn
        if conn is not None and self._async_loop is asyncio.get_running_loop():
            self._async_conn = None
            with contextlib.suppress(Exception):
                await conn.close()
        await asyncio.to_thread(self.close)  # another loop's connection: closed there, at the libpq level

    def append_listener(self) -> AppendListener:
        """A waiter that returns early when another writer appended (PostgreSQL), see :class:`AppendListener`."""
        return AppendListener(self)

    @staticmethod
    def _write_principal(conn: Connection, p: PrincipalRow) -> None:
        exists = conn.execute(select(principals_table.c.id).where(principals_table.c.id == p.id)).first()
        values: dict[str, Any] = {"role": p.role, "name": p.name, "unit_id": p.unit_id, "revoked": p.revoked}
        if p.token_hash is not None:
            values["token_hash"] = p.token_hash
        if exists is None:
            if p.token_hash is None:
                raise ValueError(f"new principal {p.id} needs a token hash")
            conn.execute(principals_table.insert().values(id=p.id, created_at=now_iso(), **values))
        else:
            conn.execute(update(principals_table).where(principals_table.c.id == p.id).values(**values))


def sqlite_engine(path: str | Path) -> Engine:
    """The engine of a centre's SQLite file, with the durability and transaction settings below."""
    engine = create_engine(
        f"sqlite+pysqlite:///{path}",
        json_serializer=_dumps,
        json_deserializer=orjson.loads,
    )
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    return engine


class BackupError(Exception):
    """A backup or restore was refused (the message says why); nothing was changed."""


def backup_sqlite(db_path: Path, backup_path: Path) -> int:
    """Copy a live SQLite log to ``backup_path`` with SQLite's online backup API; returns its last seq.

    Safe while a server writes (a WAL reader never blocks the writer, and the copy is one
    consistent snapshot, the WAL's committed pages included — copying the file with ``cp``
    is not). The backup is a single self-contained file (rollback journal, no ``-wal``),
    checked with ``PRAGMA integrity_check``, written beside its final name and renamed.

    Raises:
        BackupError: no database at ``db_path``, or ``backup_path`` already exists.
        sqlite3.Error, OSError: the copy failed (a partial file is removed).
    """
    if not db_path.is_file():
        raise BackupError(f"no database at {db_path}")
    if backup_path.exists():
        raise BackupError(f"{backup_path} exists; a backup never overwrites a file")
    backup_path.parent.mkdir(parents=True, exist_ok=True)
    partial = backup_path.with_name(backup_path.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        _sqlite_copy(db_path, partial)
        dest = sqlite3.connect(partial)
        try:
            dest.execute("PRAGMA journal_mode=DELETE")
            _check_integrity(dest, partial)
            seq = dest.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
        finally:
            dest.close()
        with open(partial, "rb") as f:
            os.fsync(f.fileno())
        os.replace(partial, backup_path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return seq


def restore_sqlite(backup_path: Path, db_path: Path, *, replace: bool = False) -> int:
    """Make ``db_path`` a copy of a backup (upgraded to this server's schema); returns its last seq.

    The backup is first copied to a scratch file and opened as an :class:`EventStore`
    (integrity checked, schema checked and upgraded), then written into ``db_path``
    through the backup API, which replaces the database's pages properly even when it
    has a ``-wal`` file. The caller makes sure no server uses ``db_path``
    (:class:`server_stub.runtime.ServerLock`): a running server would not see the change.

    The copy's hash chain is verified (:mod:`server_stub.verify`) before ``db_path`` is touched.

    Raises:
        BackupError: no backup file, its chain does not verify, or ``db_path`` holds events
            and ``replace`` is False.
        DatabaseNewerError: the backup was made by a newer server.
        SchemaVersionError: the backup is not a dispatch120 event log.
        sqlite3.Error, sqlalchemy.exc.SQLAlchemyError, OSError: the copy failed.
    """
    if not backup_path.is_file():
        raise BackupError(f"no backup at {backup_path}")
    db_path.parent.mkdir(parents=True, exist_ok=True)
    scratch = db_path.with_name(f".{db_path.name}.restoring-{uuid.uuid4().hex[:8]}")
    try:
        _sqlite_copy(backup_path, scratch)
        check = sqlite3.connect(scratch)
        try:
            _check_integrity(check, backup_path)
        finally:
            check.close()
        EventStore(scratch).close()  # schema checked and brought to this server's revision
        _check_chain(scratch, backup_path)
        if db_path.exists() and not replace:
            existing = sqlite3.connect(db_path)
            try:
                has_log = existing.execute(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'events'"
                ).fetchone()[0]
                events = existing.execute("SELECT count(*) FROM events").fetchone()[0] if has_log else 0
            finally:
                existing.close()
            if events:
                raise BackupError(f"{db_path} holds {events} events; give --replace to overwrite it")
        _sqlite_copy(scratch, db_path)
    finally:
        for leftover in (scratch, scratch.with_name(scratch.name + "-wal"), scratch.with_name(scratch.name + "-shm")):
            leftover.unlink(missing_ok=True)
    store = EventStore(db_path)
    try:
        return store.max_seq()
    finally:
        store.close()


def _check_chain(copy: Path, label: Path) -> None:
    """Refuse a backup whose event log does not verify (a restore must not bring back a tampered log)."""
    from server_stub import chain, verify

    try:
        source = verify.open_log(copy)
    except verify.CannotVerify as exc:
        raise BackupError(f"{label}: cannot verify its event log: {exc}") from None
    try:
        verdict = chain.verify(source.rows, sequence_end=source.sequence_end)
    finally:
        source.close()
    if verdict.broken is not None:
        raise BackupError(f"{label}: the event log's hash chain breaks at seq {verdict.broken.seq} "
                          f"({verdict.broken.kind}: {verdict.broken.detail}); not restored")


def _sqlite_copy(source: Path, dest: Path) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    dst = sqlite3.connect(dest, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _check_integrity(conn: sqlite3.Connection, label: Path) -> None:
    result = conn.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        raise BackupError(f"{label} is damaged: integrity_check says {result}")


def postgres_engine(url: URL) -> Engine:
    """The engine of a shared PostgreSQL event log (psycopg 3); checks connections before use."""
    return create_engine(
        url,
        json_serializer=_dumps,
        json_deserializer=orjson.loads,
        pool_pre_ping=True,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_S, "application_name": "dispatch120-server"},
    )


class AppendListener:
    """Waits for "another writer appended" — at once on PostgreSQL (LISTEN), else by time.

    Runs on the caller's asyncio loop. ``await wait(timeout)`` returns when a NOTIFY from
    another store arrived or ``timeout`` passed, whichever is first; the caller then reads
    the log (the log, not the notification, is the truth: a lost notification costs at most
    one poll interval). A broken listening connection is logged and opened again on the
    next wait; ``await close()`` at the end.
    """

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self._conn: Any = None  # psycopg.AsyncConnection, autocommit, LISTENing

    async def wait(self, timeout: float) -> None:
        if self.store.dialect != "postgresql":
            await asyncio.sleep(timeout)
            return
        try:
            if self._conn is None:
                self._conn = await self._connect()
            own = self.store.instance_id + ":"
            async for note in self._conn.notifies(timeout=timeout):
                if not note.payload.startswith(own):
                    return
        except Exception as exc:  # psycopg.Error, OSError: fall back to polling until it reconnects
            log.warning("listening for appends on %s failed (%s); polling the log instead", self.store.label, exc)
            await self.close()
            await asyncio.sleep(timeout)

    async def _connect(self) -> Any:
        import psycopg

        conn = await psycopg.AsyncConnection.connect(self.store.conninfo, autocommit=True,
                                                     connect_timeout=CONNECT_TIMEOUT_S)
        await conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
        return conn

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()


async def _drained(pipeline: Any) -> None:
    """Read every answer still due in a psycopg pipeline after an error (each sync reports at most
    one more error; three are more than a statement and its COMMIT can leave)."""
    import psycopg

    for _ in range(3):
        try:
            await pipeline.sync()
            return
        except psycopg.Error:
            continue


def _finish(conn: Any) -> None:
    """Close a psycopg connection without its loop: libpq closes the socket (no await needed)."""
    with contextlib.suppress(Exception):
        if not conn.closed:
            conn.pgconn.finish()


def _find_commands(conn: Connection, command_ids: list[str]) -> list[CommandRecord]:
    rows = conn.execute(select(commands_table).where(commands_table.c.command_id.in_(command_ids)))
    return [CommandRecord(row.command_id, row.principal_id, row.name, row.ack_json, row.fingerprint) for row in rows]


def _event_from_row(row: Any) -> Message:
    return event_message(
        seq=row.seq,
        ts=row.ts,
        name=row.name,
        actor={"id": row.actor_id, "role": row.actor_role},
        ref=row.ref,
        data=row.data,
    )


def _principal_from_row(row: Any) -> PrincipalRow:
    return PrincipalRow(row.id, row.role, row.name, row.unit_id, row.token_hash, bool(row.revoked))


def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    # pysqlite's own implicit BEGIN (deferred, and not before every statement)
    # is switched off so that _on_begin decides how a transaction starts; this
    # is the SQLAlchemy-documented recipe for SQLite transaction control.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


# The WAL is checkpointed when it holds this many bytes (SQLite's own default: 1,000 pages of 4 KiB).
CHECKPOINT_WAL_BYTES = 4 * 1024 * 1024


def _no_autocheckpoint(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")
    # When a commit restarts the WAL after a checkpoint, the file is cut back to this size
    # (SQLite reuses it otherwise, and its size would no longer say what is left to copy).
    dbapi_connection.execute(f"PRAGMA journal_size_limit={CHECKPOINT_WAL_BYTES // 4}")
CHECKPOINT_POLL_S = 1.0


class WalCheckpointer:
    """Checkpoints a SQLite log's WAL on its own thread and connection, never inside a commit.

    Every :data:`CHECKPOINT_POLL_S` it looks at the ``-wal`` file's size; past
    :data:`CHECKPOINT_WAL_BYTES` it runs ``PRAGMA wal_checkpoint(PASSIVE)``, which copies what no
    reader still needs into the database and fsyncs it without waiting for readers or writers.
    The WAL then restarts from its beginning at the next commit. A failing checkpoint is logged
    (once until one succeeds again) and tried at the next poll; the commits go on regardless.
    """

    def __init__(self, path: Path, *, wal_bytes: int = CHECKPOINT_WAL_BYTES, poll_s: float = CHECKPOINT_POLL_S):
        self.path = path
        self.wal_path = path.with_name(path.name + "-wal")
        self.wal_bytes = wal_bytes
        self.poll_s = poll_s
        self.checkpoints = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
        self._failing = False

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def due(self) -> bool:
        try:
            return self.wal_path.stat().st_size >= self.wal_bytes
        except OSError:  # no WAL yet
            return False

    def checkpoint(self) -> tuple[int, int, int]:
        """One passive checkpoint now: (busy, frames in the WAL, frames checkpointed)."""
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        try:
            conn.execute("PRAGMA synchronous=FULL")
            busy, log_frames, done = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        finally:
            conn.close()
        self.checkpoints += 1
        return int(busy), int(log_frames), int(done)

    def _run(self) -> None:
        while not self._stop.wait(self.poll_s):
            if not self.due():
                continue
            try:
                self.checkpoint()
            except sqlite3.Error as exc:
                if not self._failing:
                    log.warning("event log %s: WAL checkpoint failed (%s); trying again", self.path, exc)
                self._failing = True
                continue
            if self._failing:
                log.warning("event log %s: WAL checkpoints work again", self.path)
            self._failing = False


def _on_begin(conn: Connection) -> None:
    # Writers take the write lock up front (BEGIN IMMEDIATE) so that two
    # writers never both read the log end and then fail to upgrade; readers
    # use a deferred BEGIN and a WAL snapshot, never blocking writers.
    mode = conn.get_execution_options().get("sqlite_begin")
    conn.exec_driver_sql("BEGIN IMMEDIATE" if mode == "IMMEDIATE" else "BEGIN")
