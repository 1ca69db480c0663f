"""Clocks for the simulators: scenario time, which may run faster than the wall clock.

Scenario time is in seconds from an arbitrary origin, monotonic. Every delay in
a scenario or a crew's timings is in scenario seconds (realistic values);
:class:`ScaledClock` makes them pass ``time_scale`` times faster, and
:class:`ManualClock` lets tests move time by hand, with no sleeping.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from typing import Protocol


class Clock(Protocol):
    """Where the simulators read the time and wait. Implementations run on one asyncio loop."""

    def now(self) -> float:
        """Scenario seconds (monotonic)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of scenario time (returns at once when <= 0). Cancellable."""
        ...


class ScaledClock:
    """The wall clock (``time.monotonic``) sped up ``time_scale`` times.

    Raises:
        ValueError: if ``time_scale`` is not a positive finite number.
    """

    def __init__(self, time_scale: float = 1.0) -> None:
        if not time_scale > 0 or time_scale == float("inf"):
            raise ValueError(f"time_scale must be a positive number, got {time_scale!r}")
        self.time_scale = float(time_scale)
        self._origin = time.monotonic()

    def now(self) -> float:
        return (time.monotonic() - self._origin) * self.time_scale

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.time_scale)


class ManualClock:
    """A clock that moves only when told to (tests, and a trainer's pause later).

    ``sleep`` returns once :meth:`advance` has moved the time past its deadline;
    the waiters are woken in deadline order. Use from one asyncio loop (the
    sleepers' futures belong to the running loop); :meth:`now` and
    :meth:`advance` also work with no loop at all.
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = float(start)
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        """Move time forward (negative values are refused with ValueError) and wake due sleepers."""
        if seconds < 0:
            raise ValueError("time does not go backwards")
        self._now += seconds
        while self._sleepers and self._sleepers[0][0] <= self._now:
            _, _, future = heapq.heappop(self._sleepers)
            if not future.done():
                future.set_result(None)

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._now + seconds, next(self._order), future))
        await future


async def wait_until(clock: Clock, deadline: float | None, wake: asyncio.Event) -> None:
    """Return when ``wake`` is set or the clock reaches ``deadline`` (None: no deadline).

    Does not clear ``wake``; the caller clears it before it looks at what changed.
    """
    if wake.is_set():
        return
    waiters: list[asyncio.Future[object]] = [asyncio.ensure_future(wake.wait())]
    if deadline is not None:
        waiters.append(asyncio.ensure_future(clock.sleep(deadline - clock.now())))
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
