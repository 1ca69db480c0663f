"""Ambulance tracks: positions of the units on an incident, kept beside the event log.

The telemetry router (:mod:`server_stub.telemetry`) hands every position a device of this
instance reported to :meth:`TrackRecorder.offer` (loop thread). A position is kept when its
unit is assigned to an incident (the projection's ``units[id]["incident_id"]``) and its
device time is at least ``interval_s`` after the unit's last kept position on that incident
(the first position after an assignment is always kept). Positions relayed from another
instance are recorded there, not here, so each is stored once.

Kept positions wait in memory and are written in one transaction every
:data:`WRITE_EVERY_S` (or sooner when :data:`BATCH_ROWS` are waiting) by a worker thread:
the loop never waits on the database. The write uses its own SQLite connection with
``synchronous=NORMAL`` (PostgreSQL: ``synchronous_commit=off`` for the transaction), so it
holds the single writer lock for one WAL append and no fsync: a command's durable commit
waits at most that long behind it (a power cut may lose the last seconds of a track, never
an event). If the database is down, up to :data:`MAX_PENDING` rows wait; older ones are
dropped (logged).

Positions are not events: they carry no sequence number, are not in the hash chain
(``admin verify`` does not see them) and are never replayed to seats. They are kept as
long as the log is (there is no retention rule for records; docs/operations.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, insert, text
from sqlalchemy.engine import Engine

from app.protocol import Message, format_ts
from app.protocol.telemetry import parse_epoch
from server_stub.schema import unit_positions_table

log = logging.getLogger("server_stub.track")

DEFAULT_INTERVAL_S = 5.0
WRITE_EVERY_S = 1.0
BATCH_ROWS = 500
MAX_PENDING = 100_000  # ~1 day of 20 units at 5 s; ~25 MB
# A fix this much earlier than the interval still counts (devices' 1 Hz clocks jitter by a few ms).
JITTER_S = 0.05


class TrackRecorder:
    """Keeps the positions of assigned units and writes them in batches. Loop thread, but the writes.

    Args:
        engine: the server's database engine (its URL is reused; SQLite gets its own engine).
        interval_s: the least device time between two kept positions of a unit; 0: record nothing.
        incident_of: the incident a unit is assigned to now, or None (read on the loop).
        clock: the server's clock (POSIX s), for ``server_ts``.
    """

    def __init__(self, engine: Engine, *, interval_s: float, incident_of: Callable[[str], str | None],
                 clock: Callable[[], float] = time.time) -> None:
        self.interval_s = interval_s
        self.incident_of = incident_of
        self.clock = clock
        self.engine = _writer_engine(engine) if interval_s > 0 else engine
        self._own_engine = self.engine is not engine
        self._last: dict[str, tuple[str, float]] = {}  # unit -> (incident, device epoch of its last kept fix)
        self._pending: deque[dict[str, Any]] = deque()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.kept = 0
        self.written = 0
        self.dropped = 0
        self.write_failures = 0

    @property
    def enabled(self) -> bool:
        return self.interval_s > 0

    # ------------------------------------------------------------ input (loop)
    def offer(self, item: Message) -> bool:
        """A position a local device reported (``positions`` item form: unit_id, lat, lon, t, …).

        Returns whether it is kept. Never raises for a malformed item (it is skipped).
        """
        if not self.enabled:
            return False
        unit = item.get("unit_id")
        if not isinstance(unit, str):
            return False
        incident = self.incident_of(unit)
        if incident is None:
            self._last.pop(unit, None)
            return False
        try:
            device_epoch = parse_epoch(item["t"])
            lat, lon = float(item["lat"]), float(item["lon"])
        except (KeyError, TypeError, ValueError):
            return False
        last = self._last.get(unit)
        if last is not None and last[0] == incident and device_epoch - last[1] < self.interval_s - JITTER_S:
            return False
        self._last[unit] = (incident, device_epoch)
        if len(self._pending) >= MAX_PENDING:
            self._pending.popleft()
            self.dropped += 1
            if self.dropped in (1, 1000) or self.dropped % 100_000 == 0:
                log.warning("track positions not written in time: %d dropped so far", self.dropped)
        self._pending.append({
            "incident_id": incident, "unit_id": unit, "device_ts": item["t"],
            "server_ts": format_ts(datetime.fromtimestamp(self.clock(), UTC)),
            "lat": lat, "lon": lon, "speed_mps": _number(item.get("speed_mps")),
            "heading_deg": _number(item.get("heading_deg")), "accuracy_m": _number(item.get("accuracy_m")),
        })
        self.kept += 1
        if len(self._pending) >= BATCH_ROWS:
            self._wake.set()
        return True

    # ------------------------------------------------------------ life cycle (loop)
    def start(self) -> None:
        """Start the writer task (call on the loop); nothing when recording is off."""
        if self.enabled:
            self._task = asyncio.get_running_loop().create_task(self._write_forever(), name="track writer")

    async def close(self) -> None:
        """Stop the writer and write what is still waiting (one last batch)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
            with contextlib.suppress(Exception):
                await self.flush()
        if self._own_engine:
            await asyncio.to_thread(self.engine.dispose)

    async def flush(self) -> int:
        """Write every waiting position in one transaction (a worker thread). Returns the rows written.

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the write failed (the rows stay waiting).
        """
        if not self._pending:
            return 0
        rows, self._pending = list(self._pending), deque()
        try:
            await asyncio.to_thread(self._write, rows)
        except BaseException:
            # Back in front of what offer() added meanwhile, still within MAX_PENDING.
            self._pending.extendleft(reversed(rows))
            while len(self._pending) > MAX_PENDING:
                self._pending.popleft()
                self.dropped += 1
            raise
        self.written += len(rows)
        return len(rows)

    async def _write_forever(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), WRITE_EVERY_S)
            self._wake.clear()
            try:
                await self.flush()
            except Exception:
                self.write_failures += 1
                if self.write_failures in (1, 10) or self.write_failures % 1000 == 0:
                    log.exception("writing track positions failed (%d time(s)); retrying", self.write_failures)

    def _write(self, rows: list[dict[str, Any]]) -> None:
        """One transaction (worker thread)."""
        with self.engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn, conn.begin():
            if self.engine.dialect.name == "postgresql":
                conn.execute(text("SET LOCAL synchronous_commit = off"))
            conn.execute(insert(unit_positions_table), rows)

    def stats(self) -> dict[str, int | float]:
        return {"interval_s": self.interval_s, "kept": self.kept, "written": self.written,
                "waiting": len(self._pending), "dropped": self.dropped, "write_failures": self.write_failures}


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _writer_engine(engine: Engine) -> Engine:
    """The engine the positions are written with: for SQLite a second one on the same file whose
    connections commit with ``synchronous=NORMAL`` (module docstring); PostgreSQL: the server's."""
    if engine.dialect.name != "sqlite" or not engine.url.database:
        return engine
    from server_stub.store import sqlite_engine

    positions = sqlite_engine(engine.url.database)

    def _normal(dbapi_connection: Any, _record: Any) -> None:  # after the store's connect hook (FULL)
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    event.listen(positions, "connect", _normal)
    return positions
