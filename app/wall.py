"""The wall display's core: today's figures from the events the wall receives, and its feed.

The centre's wall (``dispatch120 wall``, role ``wall``) shows two of the national targets live:
calls answered within 10 s and ambulances departed within 3 minutes. They are computed exactly
as the KPI report computes them (``docs/kpi.md``, :mod:`app.records.kpi`: :func:`~app.records.kpi.fold`
and :func:`~app.records.kpi.compute`), on the KPI events the wall has received, for the calls
offered and incidents created since local midnight in the centre's time zone.

What the wall has received decides what it can count. Its feed starts either from the start of
the log (a replay from ``seq`` 0, or its journal's events) or from a **snapshot** (the server
sends one when the wall is too far behind; a snapshot holds the state, not the events). After a
snapshot the figures count from the snapshot's server time, and :attr:`WallFigures.complete`
is False so the wall says "since HH:MM" instead of "since 00:00". :meth:`TodayFigures.missing`
then names the rows it lacks (the KPI events from today's midnight minus the report's
``LOOK_BACK`` through the snapshot's ``seq``); :class:`Backfill` fetches them from the server
(``GET /kpi/rows``, :func:`fetch_rows`, a worker thread) and :meth:`TodayFigures.merge` folds them
in before the live rows, so the figures count from midnight again. A failed fetch is retried every
:data:`RETRY_S`; the next midnight makes the figures complete anyway.

"Now" for a run still waiting to leave is the newest event's server time, as in the report:
the wall's own clock never moves a figure.

Qt-free; GUI thread (the owner of the store) only.
"""

from __future__ import annotations

import logging
import ssl
import time as monotonic_time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import cast
from zoneinfo import ZoneInfo

import orjson

from app.protocol import Message, format_ts
from app.records.kpi import DEFAULT_TZ, KPI_EVENTS, LOOK_BACK, Rate, compute, fold, parse_ts
from app.seat.media import MediaError, authenticated_get, server_http_url
from app.seat.store import ConnectionStatus, SeatStore

log = logging.getLogger(__name__)

_KPI_EVENTS = frozenset(KPI_EVENTS)
RETRY_S = 60.0  # a failed fetch of the missing rows is tried again this long after
# Two days of a busy centre's KPI events (~40,000 rows of ~150 bytes) with room to spare; the
# server refuses more than its own limit (server_stub.kpi_route.ROWS_LIMIT) with a 400 first.
ROWS_MAX_BYTES = 64 * 1024 * 1024

# One KPI event as the wall keeps it: seq, name, server ts, data (``app.records.kpi.EventRow`` and its seq).
SeqRow = tuple[int, str, str, Mapping[str, object]]


@dataclass(frozen=True)
class RowsRequest:
    """The KPI events the figures lack: server ``ts >= since`` and ``seq <= through_seq``."""

    since: datetime
    through_seq: int


class RowsFetchError(Exception):
    """The missing rows could not be fetched; ``status`` is the HTTP status of a refusal."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class WallFigures:
    """Today's two figures. ``since`` is local (the centre's zone); ``complete``: since midnight."""

    since: datetime
    complete: bool
    answered_within_10s: Rate
    departed_within_3min: Rate
    calls_offered: int


class TodayFigures:
    """Keeps the KPI events received and computes today's figures from them.

    Args:
        tz: the centre's IANA time zone (its "today" starts at local midnight).
        now: the wall's clock (aware UTC), used only to know which day it is.
    """

    def __init__(self, tz: str = DEFAULT_TZ, *, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.tz = ZoneInfo(tz)
        self.now = now
        self.rows: list[SeqRow] = []  # KPI events in seq order: (seq, name, server ts, data)
        # Events are complete from this server time on (None: from the start of the log).
        self.complete_from: datetime | None = None
        # The seq of the last snapshot whose earlier events are still missing (None: none missing).
        self.snapshot_seq: int | None = None
        self._welcome_time: datetime | None = None
        self._from_first_event = False  # a snapshot without a welcome time: count from the next event
        self.version = 0  # bumped whenever the rows change (the view recomputes only then)

    def handle_message(self, msg: Mapping[str, object]) -> None:
        """A server message (or one replayed from the journal)."""
        mtype = msg.get("type")
        if mtype == "event":
            self._on_event(msg)
        elif mtype == "welcome":
            try:
                self._welcome_time = parse_ts(str(msg.get("server_time")))
            except ValueError:
                self._welcome_time = None
        elif mtype == "snapshot":
            # The events before the snapshot are not known: count from its moment on (until
            # merge() brings them).
            self.rows = []
            self.version += 1
            seq = msg.get("seq")
            self.snapshot_seq = seq if isinstance(seq, int) and not isinstance(seq, bool) and seq >= 0 else None
            if self._welcome_time is not None:
                self.complete_from, self._from_first_event = self._welcome_time, False
            else:  # the journal's snapshot at start-up: its time is that of the next event
                self.complete_from, self._from_first_event = self.now(), True

    def _on_event(self, msg: Mapping[str, object]) -> None:
        ts = str(msg.get("ts"))
        if self._from_first_event:
            try:
                self.complete_from = min(self.complete_from or parse_ts(ts), parse_ts(ts))
            except ValueError:
                return
            self._from_first_event = False
        if msg.get("name") in _KPI_EVENTS:
            seq = msg.get("seq")
            self.rows.append((seq if isinstance(seq, int) else 0, str(msg["name"]), ts,
                              cast("Mapping[str, object]", msg.get("data") or {})))
            self.version += 1

    def missing(self) -> RowsRequest | None:
        """The rows to fetch so that the figures count from midnight, or None if none are missing
        (the feed began at the log's start, the rows were merged, or midnight made them complete)."""
        if self.snapshot_seq is None or self._complete_since(self.midnight()):
            return None
        return RowsRequest(self.midnight() - LOOK_BACK, self.snapshot_seq)

    def merge(self, request: RowsRequest, rows: Sequence[SeqRow]) -> bool:
        """Fold in the rows fetched for ``request`` (:meth:`missing`) before the live ones.

        Rows already held (by seq) and rows after ``request.through_seq`` are skipped, so nothing
        is counted twice. Returns False (and changes nothing) if a newer snapshot came meanwhile:
        the answer then no longer reaches it, and :meth:`missing` names the new request.
        """
        if request.through_seq != self.snapshot_seq:
            return False
        by_seq = {row[0]: row for row in rows if row[0] <= request.through_seq}
        by_seq.update((row[0], row) for row in self.rows)  # a row held already stays as received
        self.rows = sorted(by_seq.values(), key=lambda row: row[0])
        if self.complete_from is None or request.since < self.complete_from:
            self.complete_from = request.since
        self.snapshot_seq, self._from_first_event = None, False
        self.version += 1
        return True

    def _complete_since(self, start: datetime) -> bool:
        return self.complete_from is None or self.complete_from <= start

    def midnight(self) -> datetime:
        """Today's local midnight in the centre's zone, in UTC."""
        local = self.now().astimezone(self.tz)
        return datetime.combine(local.date(), time(0), self.tz).astimezone(UTC)

    def prune(self) -> None:
        """Forget events older than today's midnight minus the report's look-back (a call offered
        just before midnight still finds its answer; anything older cannot belong to today)."""
        horizon = self.midnight() - LOOK_BACK
        keep = [row for row in self.rows if parse_ts(row[2]) >= horizon]
        if len(keep) != len(self.rows):
            self.rows = keep
            self.version += 1

    def figures(self) -> WallFigures:
        """Today's figures (``docs/kpi.md``) for the calls offered and incidents created since
        midnight, or since the wall's events are complete if that is later."""
        start = self.midnight()
        complete = self._complete_since(start)
        if not complete:
            assert self.complete_from is not None
            start = self.complete_from
        folded = fold((name, ts, data) for _seq, name, ts, data in self.rows)
        calls = [c for c in folded.calls.values() if c.offered >= start]
        incidents = [i for i in folded.incidents.values() if i.created >= start]
        kpis = compute(calls, incidents, all_calls=folded.calls, now=folded.last_ts)
        return WallFigures(
            since=start.astimezone(self.tz),
            complete=complete,
            answered_within_10s=kpis["answered_within_10s_rate"],
            departed_within_3min=kpis["departure_within_3min_rate"],
            calls_offered=kpis["calls_offered"],
        )


class WallFeed:
    """What the wall's link delivers to: the seat store (units, calls, incidents) and the figures.

    Has the three methods :class:`widgets.qt_bridge.SyncBridge` calls on a store, so the wall uses
    the seat's bridge unchanged. GUI thread.
    """

    def __init__(self, store: SeatStore, figures: TodayFigures) -> None:
        self.store = store
        self.figures = figures

    def handle_message(self, msg: Message) -> None:
        self.figures.handle_message(msg)
        self.store.handle_message(msg)

    def handle_telemetry(self, frames: list[Message]) -> None:
        self.store.handle_telemetry(frames)

    def set_connection(self, status: ConnectionStatus) -> None:
        self.store.set_connection(status)



# ---------------------------------------------------------------- fetching the missing rows


def rows_url(server_url: str, request: RowsRequest) -> str:
    """``ws://host:port/ws`` → ``http://host:port/kpi/rows?from=…&through_seq=…``. Raises ValueError."""
    query = urllib.parse.urlencode({"from": format_ts(request.since), "through_seq": str(request.through_seq)})
    return server_http_url(server_url, f"/kpi/rows?{query}")


def parse_rows(body: bytes) -> list[SeqRow]:
    """The rows of a ``GET /kpi/rows`` answer (``docs/protocol.md`` §18). Pure.

    Raises:
        RowsFetchError: not such an answer.
    """
    try:
        answer = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise RowsFetchError("KPI events: the answer is not JSON") from None
    raw = answer.get("rows") if isinstance(answer, dict) else None
    if not isinstance(raw, list):
        raise RowsFetchError("KPI events: the answer holds no rows")
    rows: list[SeqRow] = []
    for item in raw:
        if not (isinstance(item, list) and len(item) == 4 and isinstance(item[0], int)
                and isinstance(item[1], str) and isinstance(item[2], str) and isinstance(item[3], dict)):
            raise RowsFetchError(f"KPI events: not a row: {str(item)[:80]}")
        try:
            parse_ts(item[2])
        except ValueError:
            raise RowsFetchError(f"KPI events: not a time: {item[2][:40]!r}") from None
        rows.append((item[0], item[1], item[2], item[3]))
    return rows


def fetch_rows(server_url: str, token: str, request: RowsRequest, *, timeout: float = 60.0,
               context: ssl.SSLContext | None = None) -> list[SeqRow]:
    """The KPI events of ``request`` from the server (``GET /kpi/rows``, a wall's or a
    supervisor's token). Blocking; worker thread.

    Raises:
        RowsFetchError: refused (400, 401, 403), the server failed (500), the network failed, or
            the answer is not rows.
        ValueError: ``server_url`` is not a ws:// or wss:// URL.
    """
    try:
        _type, body = authenticated_get(rows_url(server_url, request), token, what="KPI events",
                                        max_bytes=ROWS_MAX_BYTES, timeout=timeout, context=context,
                                        accept="application/json")
    except MediaError as exc:
        if exc.status is not None:
            raise RowsFetchError(f"KPI events: HTTP {exc.status}: {exc.detail}", status=exc.status) from None
        raise RowsFetchError(str(exc)) from None
    return parse_rows(body)


class Backfill:
    """When the wall asks for the rows its figures miss, and what it does with the answer. GUI thread.

    The widget calls :meth:`due` on its timer; a request returned is fetched off the GUI thread
    with :attr:`fetch` and its outcome handed to :meth:`done` back on the GUI thread. One fetch at
    a time; after a failure the next try is :data:`RETRY_S` later, and only the first failure of a
    run of failures is logged as a warning.

    Args:
        figures: today's figures.
        fetch: blocking, raises on failure (:func:`fetch_rows` bound to the server and token);
            None: the wall has no server to ask (the figures stay "since HH:MM").
        clock: monotonic seconds.
    """

    def __init__(self, figures: TodayFigures, fetch: Callable[[RowsRequest], Sequence[SeqRow]] | None, *,
                 clock: Callable[[], float] = monotonic_time.monotonic, retry_s: float = RETRY_S) -> None:
        self.figures = figures
        self.fetch = fetch
        self.clock = clock
        self.retry_s = retry_s
        self.in_flight: RowsRequest | None = None
        self.failures = 0  # failed fetches in a row
        self._next_try = 0.0

    def due(self) -> RowsRequest | None:
        """The request to fetch now (it is then in flight until :meth:`done`), or None."""
        if self.fetch is None or self.in_flight is not None or self.clock() < self._next_try:
            return None
        self.in_flight = self.figures.missing()
        return self.in_flight

    def done(self, request: RowsRequest, rows: Sequence[SeqRow] | None, problem: str = "") -> bool:
        """The outcome of fetching ``request``: its rows, or None and why not. Returns True if the
        rows were merged (the figures changed)."""
        if request == self.in_flight:
            self.in_flight = None
        if rows is None:
            self.failures += 1
            self._next_try = self.clock() + self.retry_s
            if self.failures == 1:
                log.warning("today's figures count only since the wall's snapshot: %s (retrying every %.0f s)",
                            problem, self.retry_s)
            return False
        merged = self.figures.merge(request, rows)
        if merged:
            log.info("today's figures count from midnight again: %d KPI events fetched through seq %d%s",
                     len(rows), request.through_seq, f" after {self.failures} failed tries" if self.failures else "")
            self.failures = 0
        return merged
