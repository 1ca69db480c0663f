"""``dispatch120-server admin verify``: check the event log's hash chain, reading only.

Opens the database read-only (SQLite ``mode=ro``, which never creates a missing file;
PostgreSQL ``default_transaction_read_only``), checks that it is a dispatch120 log whose
schema has the chain (revision 0003 or later, and not a newer server's), then streams
the events in seq order through :func:`server_stub.chain.verify` — one pass, constant
memory, on a server's live log too (SQLite: one WAL snapshot; PostgreSQL: one statement).

Exit codes: :data:`EXIT_INTACT` (0) every event checks; :data:`EXIT_BROKEN` (1) the chain
breaks, and the summary names the first event that does not check; :data:`EXIT_CANNOT_VERIFY`
(2) nothing was verified: no such database, not a dispatch120 log, a newer server's
schema, a log not yet upgraded to have a chain, or the database cannot be read.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import orjson
from sqlalchemy import Engine, create_engine, inspect, select
from sqlalchemy.exc import SQLAlchemyError

from server_stub import migrations
from server_stub.chain import ChainRow, Verdict, verify
from server_stub.schema import events_table
from server_stub.store import CONNECT_TIMEOUT_S, UnsupportedDatabaseError, database_url

EXIT_INTACT, EXIT_BROKEN, EXIT_CANNOT_VERIFY = 0, 1, 2
# Rows fetched per round trip when streaming a PostgreSQL log.
PG_CHUNK = 10_000


class CannotVerify(Exception):
    """The log cannot be verified (the message says why); nothing was checked."""


@dataclass(frozen=True)
class LogSource:
    """Where the events are read from: a label for messages, and how to stream them."""

    label: str
    rows: Callable[[], Iterator[ChainRow]]
    sequence_end: int | None  # SQLite: the highest seq ever assigned (sqlite_sequence)
    close: Callable[[], None]


def open_log(db: str | Path) -> LogSource:
    """Check that ``db`` is a dispatch120 log with a hash chain, and say how to read it.

    Raises:
        CannotVerify: missing, unreadable, not a dispatch120 log, newer schema, no chain yet.
    """
    try:
        url = database_url(db)
    except UnsupportedDatabaseError as exc:
        raise CannotVerify(str(exc)) from None
    label = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "")
        label = str(path)
        if not path.is_file():
            raise CannotVerify(f"no database at {path}")
        engine = create_engine(f"sqlite+pysqlite:///file:{path}?mode=ro&uri=true")
    else:
        engine = create_engine(url, connect_args={"options": "-c default_transaction_read_only=on",
                                                  "connect_timeout": CONNECT_TIMEOUT_S})
    try:
        _check_schema(engine, label)
        if url.get_backend_name() == "sqlite":
            engine.dispose()
            return LogSource(label, lambda: _sqlite_rows(path), _sqlite_sequence_end(path), lambda: None)
        return LogSource(label, lambda: _engine_rows(engine), None, engine.dispose)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise CannotVerify(f"{label}: cannot read the database: {exc.__class__.__name__}: {exc}") from None
    except BaseException:
        engine.dispose()
        raise


def _check_schema(engine: Engine, label: str) -> None:
    with engine.connect() as conn:
        state = migrations.inspect_revision(conn)
        if state.unknown:
            raise CannotVerify(
                f"{label}: schema revision {', '.join(state.revisions)} is newer than this dispatch120-server "
                f"knows (its newest is {state.head}); verify it with the server release that wrote it")
        tables = set(inspect(conn).get_table_names())
        if "events" not in tables:
            raise CannotVerify(f"{label}: not a dispatch120 event log (no 'events' table)")
        columns = {c["name"] for c in inspect(conn).get_columns("events")}
        if "chain_hash" not in columns:
            at = ", ".join(state.revisions) or "none (made before schema migrations)"
            raise CannotVerify(
                f"{label}: the log has no hash chain yet (schema revision {at}); `dispatch120-server db upgrade` "
                "(or starting the server) chains the events stored so far")


def _sqlite_rows(path: Path) -> Iterator[ChainRow]:
    # The bare sqlite3 module, not SQLAlchemy: a long log is read ~2x faster (bench/verify.py).
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        cursor = conn.execute(
            "SELECT seq, ts, name, actor_id, actor_role, ref, data, chain_hash FROM events ORDER BY seq")
        for seq, ts, name, actor_id, actor_role, ref, data, chain_hash in cursor:
            yield ChainRow(seq, ts, name, actor_id, actor_role, ref, _decoded(data), chain_hash)
    finally:
        conn.close()


def _decoded(data: Any) -> Any:
    # A payload that is no longer JSON was altered: keep its text, which then fails to hash.
    try:
        return orjson.loads(data)
    except (orjson.JSONDecodeError, TypeError):
        return data if isinstance(data, str) else repr(data)


def _sqlite_sequence_end(path: Path) -> int | None:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'events'").fetchone()
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    return None if row is None else int(row[0])


def _engine_rows(engine: Engine) -> Iterator[ChainRow]:
    c = events_table.c
    query = select(c.seq, c.ts, c.name, c.actor_id, c.actor_role, c.ref, c.data, c.chain_hash).order_by(c.seq)
    with engine.connect().execution_options(stream_results=True, yield_per=PG_CHUNK) as conn:
        for row in conn.execute(query):
            yield ChainRow(row.seq, row.ts, row.name, row.actor_id, row.actor_role, row.ref, row.data, row.chain_hash)


def parse_anchor(value: str) -> tuple[int, str]:
    """``SEQ:HASH`` (as ``admin verify`` prints the head) → (seq, hash). Raises ValueError."""
    seq_text, _, digest = value.partition(":")
    digest = digest.strip().lower()
    if not seq_text.strip().isdigit() or int(seq_text) < 1 or len(digest) != 64 or \
            any(ch not in "0123456789abcdef" for ch in digest):
        raise ValueError(f"expected SEQ:HASH (a seq and 64 hex digits, as verify prints the head), got {value!r}")
    return int(seq_text), digest


def run(db: str | Path, out: TextIO, err: TextIO, *, anchor: tuple[int, str] | None = None) -> int:
    """Verify the log at ``db`` and print the summary to ``out``. Returns the exit code (module docstring)."""
    try:
        source = open_log(db)
    except CannotVerify as exc:
        print(f"error: {exc}", file=err)
        return EXIT_CANNOT_VERIFY
    try:
        verdict = verify(source.rows, sequence_end=source.sequence_end, anchor=anchor)
    except (SQLAlchemyError, sqlite3.Error) as exc:
        print(f"error: reading the event log failed: {exc.__class__.__name__}: {exc}", file=err)
        return EXIT_CANNOT_VERIFY
    finally:
        source.close()
    print_verdict(source.label, verdict, out)
    return EXIT_INTACT if verdict.intact else EXIT_BROKEN


def print_verdict(label: str, verdict: Verdict, out: TextIO) -> None:
    print(f"event log: {label}", file=out)
    span = f" (seq 1–{verdict.last_seq})" if verdict.last_seq else ""
    broken = verdict.broken
    if broken is None:
        print(f"events checked: {verdict.checked}{span}", file=out)
        if verdict.last_seq:
            print(f"head: {verdict.last_seq}:{verdict.head_hash}", file=out)
        print("chain intact: every event is as it was committed", file=out)
        return
    print(f"BROKEN at seq {broken.seq} ({broken.kind}): {broken.detail}", file=out)
    if broken.row is not None:
        row = broken.row
        label_of_row = "the event after the gap" if broken.row.seq != broken.seq else "the event"
        print(f"  {label_of_row}: {describe(row)}", file=out)
    print(f"events that check before it: {verdict.checked}{span}", file=out)
    if verdict.last_seq:
        print(f"last intact: {verdict.last_seq}:{verdict.head_hash}", file=out)


def describe(row: ChainRow) -> str:
    """One line naming a stored event: seq, type, time, actor, command id and the ids in its payload."""
    parts = [f"seq {row.seq}", f"type {row.name}", f"time {row.ts}", f"actor {row.actor_id} ({row.actor_role})",
             f"command id {row.ref}" if row.ref else "no command id (made by the server)"]
    if isinstance(row.data, dict):
        ids = [f"{key}={value}" for key, value in row.data.items()
               if key.endswith("_id") and isinstance(value, str | int)][:3]
        if ids:
            parts.append(", ".join(ids))
    return "; ".join(parts)
