"""The seat's clock: elapsed times from the events' UTC timestamps.

Every "time since" on the seat (ring time, time in status, incident age) is the
local clock minus an event's ``ts`` written by the server. A seat PC whose clock
is off would show wrong ages, so the clock learns the server's offset from the
``welcome`` message (``server_time``) and corrects for it when it exceeds
:data:`OFFSET_TOLERANCE_S` (network latency makes smaller offsets noise).

Not thread-safe: GUI thread only (the bridge hands ``welcome`` over there).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from app.protocol import parse_ts

log = logging.getLogger(__name__)

OFFSET_TOLERANCE_S = 2.0


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SeatClock:
    """Local time, corrected to the server's, and elapsed seconds since a protocol timestamp.

    Args:
        now: the local clock (a function returning an aware UTC datetime); tests pass their own.
    """

    def __init__(self, now: Callable[[], datetime] = _utc_now) -> None:
        self._now = now
        self.offset = timedelta(0)
        self._parsed: dict[str, datetime | None] = {}

    def now(self) -> datetime:
        """Current UTC time as the server counts it."""
        return self._now() + self.offset

    def set_server_time(self, server_time: str | None) -> None:
        """Learn the server's clock from a ``welcome``; ignores a malformed value."""
        moment = self._parse(server_time)
        if moment is None:
            return
        offset = moment - self._now()
        if abs(offset.total_seconds()) > OFFSET_TOLERANCE_S:
            log.warning("seat clock differs from the server's by %.1f s; correcting", offset.total_seconds())
            self.offset = offset
        else:
            self.offset = timedelta(0)

    def elapsed_s(self, ts: str | None, now: datetime | None = None) -> float | None:
        """Seconds from ``ts`` to now (never negative), or None if ``ts`` is missing/malformed."""
        moment = self._parse(ts)
        if moment is None:
            return None
        return max(0.0, ((now or self.now()) - moment).total_seconds())

    def _parse(self, ts: str | None) -> datetime | None:
        if not ts or not isinstance(ts, str):
            return None
        if ts in self._parsed:
            return self._parsed[ts]
        try:
            moment = parse_ts(ts)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
        except ValueError:
            log.warning("malformed timestamp %r from the server", ts[:40])
            moment = None
        if len(self._parsed) > 10_000:  # timestamps of long-gone events: keep the cache small
            self._parsed.clear()
        self._parsed[ts] = moment
        return moment
