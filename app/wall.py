"""The wall display's core: today's figures from the events the wall receives, and its feed.

The centre's wall (``dispatch120 wall``, role ``wall``) shows two of the national targets live:
calls answered within 10 s and ambulances departed within 3 minutes. They are computed exactly
as the KPI report computes them (``docs/kpi.md``, :mod:`app.records.kpi`: :func:`~app.records.kpi.fold`
and :func:`~app.records.kpi.compute`), on the KPI events the wall has received, for the calls
offered and incidents created since local midnight in the centre's time zone.

What the wall has received decides what it can count. Its feed starts either from the start of
the log (a replay from ``seq`` 0, or its journal's events) or from a **snapshot** (the server
sends one when the wall is too far behind; a snapshot holds the state, not the events). After a
snapshot the figures count from the snapshot's server time, and :attr:`TodayFigures.complete`
is False so the wall says "since HH:MM" instead of "since 00:00"; the next midnight makes them
complete again.

"Now" for a run still waiting to leave is the newest event's server time, as in the report:
the wall's own clock never moves a figure.

Qt-free; GUI thread (the owner of the store) only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import cast
from zoneinfo import ZoneInfo

from app.protocol import Message
from app.records.kpi import DEFAULT_TZ, KPI_EVENTS, LOOK_BACK, EventRow, Rate, compute, fold, parse_ts
from app.seat.store import ConnectionStatus, SeatStore

_KPI_EVENTS = frozenset(KPI_EVENTS)


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
        self.rows: list[EventRow] = []  # KPI events in seq order: (name, server ts, data)
        # Events are complete from this server time on (None: from the start of the log).
        self.complete_from: datetime | None = None
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
            # The events before the snapshot are not known: count from its moment on.
            self.rows = []
            self.version += 1
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
            self.rows.append((str(msg["name"]), ts, cast("Mapping[str, object]", msg.get("data") or {})))
            self.version += 1

    def midnight(self) -> datetime:
        """Today's local midnight in the centre's zone, in UTC."""
        local = self.now().astimezone(self.tz)
        return datetime.combine(local.date(), time(0), self.tz).astimezone(UTC)

    def prune(self) -> None:
        """Forget events older than today's midnight minus the report's look-back (a call offered
        just before midnight still finds its answer; anything older cannot belong to today)."""
        horizon = self.midnight() - LOOK_BACK
        keep = [row for row in self.rows if parse_ts(row[1]) >= horizon]
        if len(keep) != len(self.rows):
            self.rows = keep
            self.version += 1

    def figures(self) -> WallFigures:
        """Today's figures (``docs/kpi.md``) for the calls offered and incidents created since
        midnight, or since the wall's events are complete if that is later."""
        start = self.midnight()
        complete = self.complete_from is None or self.complete_from <= start
        if not complete:
            assert self.complete_from is not None
            start = self.complete_from
        folded = fold(self.rows)
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

