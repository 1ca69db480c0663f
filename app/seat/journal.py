"""The seat's local journal: a SQLite file that lets the seat survive the network.

It holds

* the **outbox**: commands written by the dispatcher and not yet acked by the
  server, in the order they were made (``position``). A command is written here
  *before* it is sent, so a crash or a dead network never loses it.
* the **rejected** commands: the server refused them for a reason that will not
  change on retry (a unit already busy, an illegal transition, …). They leave
  the outbox but are kept here until the dispatcher has seen them
  (:meth:`Journal.dismiss_rejected`); nothing is dropped silently.
* the **events seen** (and the last snapshot), so that at start-up the seat can
  rebuild its state while the server is unreachable (:meth:`Journal.replay`),
  and the **last applied server seq**, which the seat sends in ``hello`` so the
  server replays only what was missed.
* the **server identity** (URL and principal id). If either changes, the saved
  events belong to another server or another seat: the journal forgets them
  (``last_seq`` becomes ``None``, so the seat asks for a snapshot), and moves
  the outbox to ``rejected`` with the local code :data:`IDENTITY_CHANGED` —
  a command typed for one server is never sent to another (training commands
  must never reach the real centre), and the dispatcher still sees it.

Durability: WAL journal mode with ``synchronous=FULL``; every method that
changes something commits before it returns.

Threads: one ``sqlite3`` connection (``check_same_thread=False``) shared by all
threads and serialised by one :class:`threading.RLock`. The GUI thread adds
commands, the sync thread records events and acks; each call is short (one
small transaction), so one lock is simpler than a connection per thread and
costs nothing measurable at the seat's rates.

Schema versions (``PRAGMA user_version``): :data:`MIGRATIONS` is the ordered
list of steps, ``MIGRATIONS[n]`` taking a journal from version ``n`` to ``n + 1``
(version 0 is an empty file). At open, every step a journal lacks runs in **one**
transaction together with the new ``user_version``, so a journal written by an
older seat keeps its outbox, rejected commands, events and identity; a failed
step leaves the file exactly as it was.

A journal the seat cannot use in place is moved aside (renamed
``<name>.<reason>-<UTC time>`` with its ``-wal``/``-shm`` files) and a fresh one
started, so the seat still starts and takes calls: a file that is not SQLite,
fails ``quick_check`` or lacks tables (``corrupt``), one whose upgrade failed
(``corrupt``), and one written by a **newer** seat (``newer-v<N>``: after a
downgrade; its schema may hold rules this seat does not know, so it is never
written to). Before the file is moved, its unsent commands are **carried into the
fresh journal** — outbox (in order, with their ids, so the server's idempotency
makes a re-send of an already applied command harmless), rejected commands not
yet dismissed, and the server URL and principal the commands were typed for —
whenever its outbox has the columns this seat knows; rows that do not decode are
skipped and counted in the log. Events are not carried (the seat asks the server
for a snapshot). :attr:`Journal.moved_aside` and :attr:`Journal.carried_over`
tell the caller, so the GUI can say so; every step is logged at ERROR.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from app.domain.state import State
from app.protocol import ErrorCode, Message, ProtocolError, new_id, now_iso, validate_command
from app.protocol import snapshot as snapshot_message

log = logging.getLogger(__name__)


# Local rejection code (not sent by any server): the command was written for a
# different server URL or seat principal than the one the journal is now bound to.
IDENTITY_CHANGED = "identity_changed"

# Outbox states.
PENDING = "pending"  # written, never sent
SENT = "sent"  # sent at least once, no ack yet (re-sent after a reconnect)

# Version 1: the first journal.
_V1 = (
    """CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT
    )""",
    """CREATE TABLE outbox (
        position INTEGER PRIMARY KEY AUTOINCREMENT,
        command_id TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        args TEXT NOT NULL,
        created_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        state TEXT NOT NULL DEFAULT 'pending'
    )""",
    """CREATE TABLE rejected (
        command_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        args TEXT NOT NULL,
        created_at TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        rejected_at TEXT NOT NULL,
        code TEXT NOT NULL,
        message TEXT NOT NULL
    )""",
    """CREATE TABLE events (
        seq INTEGER PRIMARY KEY,
        message TEXT NOT NULL
    )""",
    """CREATE TABLE snapshot (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        seq INTEGER NOT NULL,
        message TEXT NOT NULL
    )""",
)

# Version 2: a rejected command keeps its outbox position, so the dispatcher's list of
# refused and stranded commands is in the order they were typed by rule, not by how
# SQLite happens to sort rows with the same rejection time (an identity change strands
# the whole outbox at one instant). Rows of a version-1 journal get their insertion
# order, which for stranded commands is the outbox order.
_V2 = (
    "ALTER TABLE rejected ADD COLUMN position INTEGER",
    "UPDATE rejected SET position = rowid",
)

# MIGRATIONS[n] takes a journal from version n to n + 1: SQL statements (run one by one;
# sqlite3's executescript would commit the migration transaction) or a function of the
# connection. Append only; never edit a step that has shipped.
Migration = tuple[str, ...] | Callable[[sqlite3.Connection], None]
MIGRATIONS: tuple[Migration, ...] = (_V1, _V2)
SCHEMA_VERSION = len(MIGRATIONS)
_TABLES = frozenset({"meta", "outbox", "rejected", "events", "snapshot"})
# The columns a journal's outbox and rejected tables need for their rows to be carried over.
_OUTBOX_COLUMNS = ("command_id", "name", "args", "created_at", "attempts", "state")
_REJECTED_COLUMNS = ("command_id", "name", "args", "created_at", "attempts", "rejected_at", "code", "message")
_IDENTITY_KEYS = ("server_url", "principal_id")


class JournalError(Exception):
    """The journal file cannot be used (disk full, permissions, cannot move a corrupt file aside)."""


@dataclass(frozen=True)
class PendingCommand:
    command_id: str
    name: str
    args: dict[str, Any]
    created_at: str
    attempts: int  # how many times it was sent
    state: str  # PENDING or SENT


@dataclass(frozen=True)
class RejectedCommand:
    command_id: str
    name: str
    args: dict[str, Any]
    created_at: str
    attempts: int
    rejected_at: str
    code: str  # an app.protocol.ErrorCode value, or IDENTITY_CHANGED
    message: str  # the server's reason (not translated; for the log and tooltip)


_INSERT_REJECTED = (
    "INSERT OR REPLACE INTO rejected(command_id, name, args, created_at, attempts, rejected_at, code, message,"
    " position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


class Journal:
    """The seat's journal file. Thread-safe (one connection, one lock).

    Args:
        path: the SQLite file; its directory is created if missing.

    Raises:
        JournalError: the file is unusable and could not be moved aside, or
            its directory cannot be created.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.moved_aside: Path | None = None  # where an unusable or newer journal was moved
        self.carried_over = 0  # unsent and rejected commands carried from it into the fresh journal
        self._lock = threading.RLock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise JournalError(f"cannot create the journal directory {self.path.parent}: {exc}") from exc
        try:
            self._db = self._open()
        except _Unusable as exc:
            log.error("journal %s is unusable (%s); moving it aside and starting a fresh one", self.path, exc)
            self.moved_aside = self._move_aside(exc.reason)
            log.error("old journal kept as %s", self.moved_aside)
            try:
                self._db = self._open()
            except _Unusable as again:
                raise JournalError(f"cannot create a fresh journal at {self.path}: {again}") from again
            if exc.salvage is not None:
                self.carried_over = self._restore(exc.salvage)

    # ------------------------------------------------------------ opening
    def _open(self) -> sqlite3.Connection:
        # Look at the header before SQLite does: on closing a connection to a
        # file that is not a database, SQLite deletes the -wal next to it, and
        # what is moved aside should be exactly what was found.
        try:
            with open(self.path, "rb") as head:
                magic = head.read(16)
        except FileNotFoundError:
            magic = b""
        except OSError as exc:
            raise JournalError(f"cannot read the journal {self.path}: {exc}") from exc
        if magic and magic != b"SQLite format 3\x00":
            raise _Unusable("file is not a database")
        db: sqlite3.Connection | None = None
        try:
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=10)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            check = db.execute("PRAGMA quick_check").fetchone()
            if check is None or check[0] != "ok":
                raise _Unusable(f"quick_check: {check[0] if check else 'no answer'}", salvage=_salvage(db))
            version = db.execute("PRAGMA user_version").fetchone()[0]
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if version == 0 and tables:
                raise _Unusable(f"not a dispatch120 journal (tables: {', '.join(sorted(tables))})")
            if version > SCHEMA_VERSION:
                raise _Unusable(
                    f"journal schema version {version} was written by a newer dispatch120 "
                    f"(this seat reads up to {SCHEMA_VERSION})",
                    reason=f"newer-v{version}",
                    salvage=_salvage(db),
                )
            if version > 0 and not _TABLES <= tables:
                raise _Unusable(f"journal tables missing: {', '.join(sorted(_TABLES - tables))}",
                                salvage=_salvage(db))
            if version < SCHEMA_VERSION:
                self._migrate(db, version)
            return db
        except sqlite3.DatabaseError as exc:  # "file is not a database", "malformed", …
            if db is not None:
                db.close()
            raise _Unusable(str(exc)) from exc
        except _Unusable:
            if db is not None:
                db.close()
            raise

    def _migrate(self, db: sqlite3.Connection, version: int) -> None:
        """Run MIGRATIONS[version:] and set user_version, all in one transaction."""
        try:
            db.execute("BEGIN IMMEDIATE")
            for step in MIGRATIONS[version:]:
                if callable(step):
                    step(db)
                else:
                    for statement in step:
                        db.execute(statement)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            salvage = None
            if db.in_transaction:
                db.execute("ROLLBACK")  # the file is back at `version`, untouched
                salvage = _salvage(db) if version > 0 else None
            raise _Unusable(f"upgrade from journal version {version} to {SCHEMA_VERSION} failed: {exc}",
                            salvage=salvage) from exc
        if version > 0:
            pending = db.execute("SELECT count(*) FROM outbox").fetchone()[0]
            log.info("journal %s: upgraded from version %d to %d; %d unsent command(s) kept",
                     self.path, version, SCHEMA_VERSION, pending)

    def _restore(self, salvage: _Salvage) -> int:
        """Write what was carried out of a moved-aside journal into this fresh one. Returns how many commands."""
        with self._tx() as db:
            for key, value in salvage.identity.items():
                self._put_meta(db, key, value)
            for row in salvage.outbox:
                db.execute(
                    "INSERT OR IGNORE INTO outbox(command_id, name, args, created_at, attempts, state)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    row,
                )
            for row in salvage.rejected:
                db.execute(
                    "INSERT OR IGNORE INTO rejected(command_id, name, args, created_at, attempts, rejected_at,"
                    " code, message, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                    row,
                )
            db.execute("UPDATE rejected SET position = rowid WHERE position IS NULL")
        count = len(salvage.outbox) + len(salvage.rejected)
        log.error(
            "journal %s: carried %d unsent and %d rejected command(s) from %s into the fresh journal%s",
            self.path, len(salvage.outbox), len(salvage.rejected), self.moved_aside,
            f"; {salvage.skipped} unreadable row(s) left there" if salvage.skipped else "",
        )
        return count

    def _move_aside(self, reason: str) -> Path:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        target = self.path.with_name(f"{self.path.name}.{reason}-{stamp}")
        try:
            self.path.replace(target)
            for suffix in ("-wal", "-shm"):
                side = self.path.with_name(self.path.name + suffix)
                if side.exists():
                    # Never leave a stale WAL next to the fresh database: SQLite would replay it.
                    side.replace(target.with_name(target.name + suffix))
        except OSError as exc:
            raise JournalError(f"cannot move the unusable journal {self.path} aside: {exc}") from exc
        return target

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, under the lock. Raises JournalError on a SQLite failure."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise JournalError(f"journal {self.path}: {exc}") from exc
            try:
                yield self._db
            except sqlite3.Error as exc:
                self._db.execute("ROLLBACK")
                raise JournalError(f"journal {self.path}: {exc}") from exc
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            try:
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._db.execute("ROLLBACK")
                raise JournalError(f"journal {self.path}: commit failed: {exc}") from exc

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        with self._lock:
            try:
                return self._db.execute(sql, tuple(params)).fetchall()
            except sqlite3.Error as exc:
                raise JournalError(f"journal {self.path}: {exc}") from exc

    # ------------------------------------------------------------ meta
    def _get_meta(self, key: str) -> Any:
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return orjson.loads(rows[0][0]) if rows else None

    @staticmethod
    def _put_meta(db: sqlite3.Connection, key: str, value: Any) -> None:
        db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, _dumps(value)))

    @property
    def last_seq(self) -> int | None:
        """The seq of the last event (or snapshot) recorded; None when the seat needs a snapshot."""
        return self._get_meta("last_seq")

    def set_last_seq(self, seq: int | None) -> None:
        with self._tx() as db:
            self._put_meta(db, "last_seq", seq)

    def server_url(self) -> str | None:
        """The server URL the journal is bound to (None before the first :meth:`bind_server`)."""
        return self._get_meta("server_url")

    def principal_id(self) -> str | None:
        """The principal the server last welcomed this journal's seat as (None before the first welcome)."""
        return self._get_meta("principal_id")

    def bind_server(self, url: str) -> bool:
        """Bind the journal to a server URL (before connecting / replaying).

        Returns:
            True if the journal was bound to a *different* URL before and was
            therefore reset (events forgotten, outbox moved to ``rejected``
            with code :data:`IDENTITY_CHANGED`).
        """
        return self._bind("server_url", url)

    def bind_principal(self, principal_id: str) -> bool:
        """Bind the journal to the principal the server welcomed. Same contract as :meth:`bind_server`."""
        return self._bind("principal_id", principal_id)

    def _bind(self, key: str, value: str) -> bool:
        with self._tx() as db:
            row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            old = orjson.loads(row[0]) if row else None
            if old == value:
                return False
            self._put_meta(db, key, value)
            if old is None:
                return False
            log.warning(
                "journal %s: %s changed from %r to %r; forgetting saved events", self.path, key, old, value
            )
            self._forget_events(db)
            moved = self._reject_all(db, IDENTITY_CHANGED, f"{key} changed from {old} to {value}")
            if moved:
                log.warning("journal %s: %d unsent command(s) moved to rejected (%s)", self.path, moved, key)
            return True

    # ------------------------------------------------------------ outbox
    def add_command(self, name: str, args: dict[str, Any], command_id: str | None = None) -> str:
        """Validate a command and write it to the outbox (durable when this returns).

        Thread: any (usually the GUI thread).

        Returns:
            The command id (a new UUID unless given).

        Raises:
            ProtocolError: unknown command or invalid arguments (nothing is
                written), or ``CONFLICT`` if the id was already used.
            JournalError: the journal file cannot be written.
        """
        cid = command_id or new_id()
        validate_command(name, args, ref=cid)
        with self._tx() as db:
            used = db.execute(
                "SELECT 1 FROM outbox WHERE command_id = ? UNION ALL SELECT 1 FROM rejected WHERE command_id = ?",
                (cid, cid),
            ).fetchone()
            if used:
                raise ProtocolError(ErrorCode.CONFLICT, f"command id {cid} already used", ref=cid)
            db.execute(
                "INSERT INTO outbox(command_id, name, args, created_at) VALUES (?, ?, ?, ?)",
                (cid, name, _dumps(args), now_iso()),
            )
        return cid

    def pending(self) -> list[PendingCommand]:
        """Commands not yet acked, in the order they were made."""
        rows = self._query(
            "SELECT command_id, name, args, created_at, attempts, state FROM outbox ORDER BY position"
        )
        return [PendingCommand(r[0], r[1], orjson.loads(r[2]), r[3], r[4], r[5]) for r in rows]

    def pending_count(self) -> int:
        return self._query("SELECT count(*) FROM outbox")[0][0]

    def is_pending(self, command_id: str) -> bool:
        return bool(self._query("SELECT 1 FROM outbox WHERE command_id = ?", (command_id,)))

    def mark_sent(self, command_id: str) -> int:
        """Record one more send of a command. Returns its attempt count (0 if not in the outbox)."""
        with self._tx() as db:
            db.execute(
                "UPDATE outbox SET attempts = attempts + 1, state = ? WHERE command_id = ?",
                (SENT, command_id),
            )
            row = db.execute("SELECT attempts FROM outbox WHERE command_id = ?", (command_id,)).fetchone()
        return row[0] if row else 0

    def mark_acked(self, command_id: str) -> bool:
        """The server applied the command: it leaves the outbox. Returns False if it was not there."""
        with self._tx() as db:
            return db.execute("DELETE FROM outbox WHERE command_id = ?", (command_id,)).rowcount > 0

    def mark_rejected(self, command_id: str, code: str, message: str) -> bool:
        """Move a command from the outbox to ``rejected``. Returns False if it was not in the outbox."""
        with self._tx() as db:
            row = db.execute(
                "SELECT command_id, name, args, created_at, attempts, position FROM outbox WHERE command_id = ?",
                (command_id,),
            ).fetchone()
            if row is None:
                return False
            db.execute(_INSERT_REJECTED, (*row[:5], now_iso(), str(code), message, row[5]))
            db.execute("DELETE FROM outbox WHERE command_id = ?", (command_id,))
            return True

    @staticmethod
    def _reject_all(db: sqlite3.Connection, code: str, message: str) -> int:
        rows = db.execute(
            "SELECT command_id, name, args, created_at, attempts, position FROM outbox ORDER BY position"
        ).fetchall()
        stamp = now_iso()
        for row in rows:
            db.execute(_INSERT_REJECTED, (*row[:5], stamp, code, message, row[5]))
        db.execute("DELETE FROM outbox")
        return len(rows)

    def rejected(self) -> list[RejectedCommand]:
        """Commands the server refused (or that were stranded by an identity change), oldest first."""
        rows = self._query(
            "SELECT command_id, name, args, created_at, attempts, rejected_at, code, message"
            " FROM rejected ORDER BY rejected_at, position, created_at"
        )
        return [RejectedCommand(r[0], r[1], orjson.loads(r[2]), *r[3:]) for r in rows]

    def dismiss_rejected(self, command_id: str) -> bool:
        """The dispatcher has seen a rejected command: forget it. Returns False if unknown."""
        with self._tx() as db:
            return db.execute("DELETE FROM rejected WHERE command_id = ?", (command_id,)).rowcount > 0

    # ------------------------------------------------------------ events
    def record_events(self, events: Iterable[Message]) -> int:
        """Store event messages and advance ``last_seq``, in one transaction.

        Events whose seq is already stored are ignored (a replay overlapping
        what was seen). Thread: the sync thread.

        Returns:
            How many events were new.
        """
        rows = [(ev["seq"], _dumps(ev)) for ev in events]
        if not rows:
            return 0
        with self._tx() as db:
            before = db.total_changes
            db.executemany("INSERT OR IGNORE INTO events(seq, message) VALUES (?, ?)", rows)
            added = db.total_changes - before
            row = db.execute("SELECT value FROM meta WHERE key = 'last_seq'").fetchone()
            current = orjson.loads(row[0]) if row else None
            top = max(seq for seq, _ in rows)
            if current is None or top > current:
                self._put_meta(db, "last_seq", top)
        return added

    def reset_for_snapshot(self, snapshot_msg: Message) -> None:
        """Replace everything seen by a server snapshot; ``last_seq`` becomes its seq."""
        seq = snapshot_msg["seq"]
        with self._tx() as db:
            db.execute("DELETE FROM events")
            db.execute(
                "INSERT OR REPLACE INTO snapshot(id, seq, message) VALUES (1, ?, ?)",
                (seq, _dumps(snapshot_msg)),
            )
            self._put_meta(db, "last_seq", seq)

    def forget_events(self) -> None:
        """Forget the snapshot and events; ``last_seq`` becomes None (the next hello asks for a snapshot)."""
        with self._tx() as db:
            self._forget_events(db)

    def _forget_events(self, db: sqlite3.Connection) -> None:
        db.execute("DELETE FROM events")
        db.execute("DELETE FROM snapshot")
        self._put_meta(db, "last_seq", None)

    def load_snapshot(self) -> Message | None:
        rows = self._query("SELECT message FROM snapshot WHERE id = 1")
        return orjson.loads(rows[0][0]) if rows else None

    def load_events(self) -> list[Message]:
        """The events recorded since the snapshot, in seq order."""
        return [orjson.loads(r[0]) for r in self._query("SELECT message FROM events ORDER BY seq")]

    def event_count(self) -> int:
        return self._query("SELECT count(*) FROM events")[0][0]

    def replay(self) -> list[Message]:
        """What a store needs to rebuild the state seen: the snapshot (if any), then the events."""
        with self._lock:
            snap = self.load_snapshot()
            events = self.load_events()
        return ([snap] if snap else []) + events

    def compact(self, max_events: int = 5000) -> bool:
        """If more than ``max_events`` events are stored, fold them into the snapshot.

        Keeps start-up replay short on a seat that never needed a snapshot.
        Uses the same projection as the store (:class:`app.domain.state.State`),
        so the replayed state is unchanged. Thread: the sync thread (the one
        that records events), so nothing else moves the snapshot meanwhile.

        Returns:
            True if it compacted.
        """
        with self._lock:
            if self.event_count() <= max_events:
                return False
            snap = self.load_snapshot()
            events = self.load_events()
        state = State.from_dict(snap["state"]) if snap else State()
        try:
            for ev in events:
                state.apply(ev)
        except Exception:
            log.exception("journal %s: cannot fold events into a snapshot; keeping them", self.path)
            return False
        folded = snapshot_message(seq=state.seq, state=state.to_dict())
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO snapshot(id, seq, message) VALUES (1, ?, ?)",
                (state.seq, _dumps(folded)),
            )
            db.execute("DELETE FROM events WHERE seq <= ?", (state.seq,))
        log.info("journal %s: folded %d events into a snapshot at seq %d", self.path, len(events), state.seq)
        return True


@dataclass
class _Salvage:
    """What is carried out of a journal that is moved aside: raw rows, checked to decode."""

    outbox: list[tuple] = field(default_factory=list)  # _OUTBOX_COLUMNS, in outbox order
    rejected: list[tuple] = field(default_factory=list)  # _REJECTED_COLUMNS
    identity: dict[str, Any] = field(default_factory=dict)  # server_url, principal_id
    skipped: int = 0  # rows that did not decode


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}


def _salvage(db: sqlite3.Connection) -> _Salvage | None:
    """Read the commands of a journal about to be moved aside; None if its outbox is not understood.

    Best effort and read-only: a table lacking a column this seat needs is not read, a row whose
    name or arguments do not decode is skipped (counted), and any SQLite error means nothing is carried.
    """
    try:
        if not set(_OUTBOX_COLUMNS) <= _columns(db, "outbox"):
            return None
        found = _Salvage()
        for row in db.execute(f"SELECT {', '.join(_OUTBOX_COLUMNS)} FROM outbox ORDER BY position"):
            if _decodes(row):
                state = row[5] if row[5] in (PENDING, SENT) else SENT  # unknown: maybe sent; ids make it safe
                found.outbox.append((*row[:5], state))
            else:
                found.skipped += 1
        if set(_REJECTED_COLUMNS) <= _columns(db, "rejected"):
            order = "position, rowid" if "position" in _columns(db, "rejected") else "rowid"
            for row in db.execute(f"SELECT {', '.join(_REJECTED_COLUMNS)} FROM rejected ORDER BY {order}"):
                if _decodes(row) and all(isinstance(v, str) for v in row[5:8]):
                    found.rejected.append(tuple(row))
                else:
                    found.skipped += 1
        if _columns(db, "meta") >= {"key", "value"}:
            for key, value in db.execute(
                f"SELECT key, value FROM meta WHERE key IN ({', '.join('?' * len(_IDENTITY_KEYS))})", _IDENTITY_KEYS
            ):
                try:
                    decoded = orjson.loads(value)
                except orjson.JSONDecodeError:
                    continue
                if isinstance(decoded, str):
                    found.identity[key] = decoded
        return found
    except sqlite3.Error as exc:
        log.error("cannot read the commands of the journal being moved aside: %s", exc)
        return None


def _decodes(row: tuple) -> bool:
    command_id, name, args, created_at, attempts = row[:5]
    if not all(isinstance(v, str) for v in (command_id, name, args, created_at)) or not isinstance(attempts, int):
        return False
    try:
        return isinstance(orjson.loads(args), dict)
    except orjson.JSONDecodeError:
        return False


class _Unusable(Exception):
    """Internal: the file at the journal path cannot be used in place.

    ``reason`` names the moved-aside file; ``salvage`` is what to carry into the fresh journal.
    """

    def __init__(self, message: str, *, reason: str = "corrupt", salvage: _Salvage | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.salvage = salvage
