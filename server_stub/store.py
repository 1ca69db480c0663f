"""The event log and query tables in SQLite, through SQLAlchemy 2 Core.

Tables:

* ``events`` — the append-only log: ``seq`` (INTEGER PRIMARY KEY
  AUTOINCREMENT: never reused), ``ts`` (UTC, ISO 8601 ms), ``name``,
  ``actor_id``, ``actor_role``, ``ref`` (the command id, or NULL for events
  the server or the admin CLI made on its own), ``data`` (JSON).
* ``principals`` — credentials: ``id``, ``role``, ``name``, ``unit_id``,
  ``token_hash`` (SHA-256 hex, see :mod:`server_stub.auth`), ``revoked``,
  ``created_at``. The registry facts (who exists, with which role) are also
  events; this table adds the secret part, which never goes into the log.
* ``commands`` — one row per applied command id, with the ack sent, so a
  re-sent command gets the same ack (idempotency).
* ``calls``, ``incidents``, ``units`` — query tables: ``id``, ``state_json``
  (the projection's entity), ``seq`` (the log position the row reflects).
  Written in the same transaction as the events that changed them.
* ``meta`` — ``schema_version`` (what servers released before the migrations check).

The tables are defined in :mod:`server_stub.schema` and made or changed only by
the Alembic revisions of :mod:`server_stub.migrations`, run when the store opens.

Durability: every connection sets ``journal_mode=WAL``, ``synchronous=FULL``
(a commit is on disk when it returns), ``foreign_keys=ON`` and a busy timeout.

Concurrency: writers (the server, the admin CLI, possibly at the same time)
use ``BEGIN IMMEDIATE`` and :meth:`EventStore.commit` checks that the log
still ends where the caller's state ends (``expected_seq``); if another
writer got in first it raises :class:`StaleLogError` and the caller catches
up and decides again. So the log has no gaps and every event was decided on
the state that precedes it.

Threads: an :class:`EventStore` may be used from any thread (the server calls
it through ``asyncio.to_thread``); each call takes its own pooled connection.
Every method raises ``sqlalchemy.exc.SQLAlchemyError`` on database failure.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import (
    Connection,
    Engine,
    create_engine,
    event,
    func,
    select,
    update,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.protocol import Message, now_iso
from app.protocol import event as event_message

# The schema errors are raised by EventStore(); callers catch them from here.
from server_stub.migrations import DatabaseNewerError as DatabaseNewerError
from server_stub.migrations import SchemaVersionError as SchemaVersionError
from server_stub.migrations import Upgrade, upgrade_to_head
from server_stub.schema import commands_table, events_table, principals_table, query_tables

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000


class StaleLogError(Exception):
    """Another writer appended events since the caller's state was read: catch up, decide again."""


@dataclass
class CommandRecord:
    command_id: str
    principal_id: str
    name: str
    ack: Message


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


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


class EventStore:
    """The SQLite event log of one centre (or one training session)."""

    def __init__(self, path: str | Path) -> None:
        """Open (creating if missing) the database and bring its schema to the newest revision.

        Logs the schema revision before and after (:func:`server_stub.migrations.upgrade_to_head`);
        :attr:`schema` says what was done.

        Raises:
            DatabaseNewerError: a newer server wrote the file (nothing was changed).
            SchemaVersionError: the file is not a dispatch120 event log this code can adopt.
            sqlalchemy.exc.SQLAlchemyError: the file cannot be opened.
        """
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.engine = sqlite_engine(self.path)
        try:
            with self._writer() as conn, conn.begin():
                self.schema: Upgrade = upgrade_to_head(conn, label=str(self.path))
        except BaseException:
            self.engine.dispose()
            raise

    def close(self) -> None:
        """Close every pooled connection (SQLite then checkpoints the WAL)."""
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
        return CommandRecord(row.command_id, row.principal_id, row.name, row.ack_json)

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
        """Write a batch in one ``BEGIN IMMEDIATE`` transaction; returns once it is on disk.

        Events are inserted with their seq (``expected_seq + 1 …``), query rows
        upserted, the command row and principal rows written. All or nothing.

        Raises:
            StaleLogError: the log does not end at ``batch.expected_seq``.
            sqlalchemy.exc.IntegrityError: e.g. a command id already stored.
            sqlalchemy.exc.SQLAlchemyError: any other database failure.
        """
        with self._writer() as conn, conn.begin():
            current = conn.execute(select(func.coalesce(func.max(events_table.c.seq), 0))).scalar_one()
            if current != batch.expected_seq:
                raise StaleLogError(f"log is at {current}, caller expected {batch.expected_seq}")
            if batch.events:
                conn.execute(
                    events_table.insert(),
                    [
                        {
                            "seq": msg["seq"],
                            "ts": msg["ts"],
                            "name": msg["name"],
                            "actor_id": msg["actor"]["id"],
                            "actor_role": msg["actor"]["role"],
                            "ref": msg["ref"],
                            "data": msg["data"],
                        }
                        for msg in batch.events
                    ],
                )
            row_seq = batch.events[-1]["seq"] if batch.events else batch.expected_seq
            for table, rows in batch.changed.items():
                t = query_tables[table]
                stmt = sqlite_insert(t)
                stmt = stmt.on_conflict_do_update(
                    index_elements=[t.c.id], set_={"state_json": stmt.excluded.state_json, "seq": stmt.excluded.seq}
                )
                conn.execute(stmt, [{"id": key, "state_json": value, "seq": row_seq} for key, value in rows.items()])
            for p in batch.principals:
                self._write_principal(conn, p)
            if batch.command is not None:
                c = batch.command
                conn.execute(
                    commands_table.insert().values(
                        command_id=c.command_id,
                        principal_id=c.principal_id,
                        name=c.name,
                        ack_json=c.ack,
                        created_at=now_iso(),
                    )
                )

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


def _on_begin(conn: Connection) -> None:
    # Writers take the write lock up front (BEGIN IMMEDIATE) so that two
    # writers never both read the log end and then fail to upgrade; readers
    # use a deferred BEGIN and a WAL snapshot, never blocking writers.
    mode = conn.get_execution_options().get("sqlite_begin")
    conn.exec_driver_sql("BEGIN IMMEDIATE" if mode == "IMMEDIATE" else "BEGIN")
