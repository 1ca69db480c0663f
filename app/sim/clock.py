"""Clocks for the simulators: scenario time, which may run faster than the wall clock.

Scenario time is in seconds from an arbitrary origin, monotonic. Every delay in
a scenario or a crew's timings is in scenario seconds (realistic values);
:class:`ScaledClock` makes them pass ``time_scale`` times faster (and a trainer may
pause it or change its speed, :mod:`app.sim.control`), and :class:`ManualClock` lets
tests move time by hand, with no sleeping.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
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
    """The wall clock (``time.monotonic``) sped up ``time_scale`` times; a trainer may pause it
    and change its speed while it runs.

    Scenario time never jumps: :meth:`pause`, :meth:`resume` and :meth:`set_time_scale`
    re-anchor the clock at the current scenario time, so ``now()`` is continuous and
    monotonic across every change. Sleepers wait in scenario time: a pause holds them, a
    speed change shortens or stretches what is left of their wait. The control methods
    and ``sleep`` belong to one asyncio loop (the control methods also work with no loop).

    Args:
        time_scale: scenario seconds per wall second.
        wall: the wall clock to follow (tests pass a fake one).

    Raises:
        ValueError: if ``time_scale`` is not a positive finite number.
    """

    def __init__(self, time_scale: float = 1.0, *, wall: Callable[[], float] = time.monotonic) -> None:
        self.time_scale = _checked_scale(time_scale)
        self._wall = wall
        self._anchor_wall = wall()
        self._anchor_scenario = 0.0
        self.paused = False
        self._changed: set[asyncio.Future[None]] = set()

    def now(self) -> float:
        if self.paused:
            return self._anchor_scenario
        return self._anchor_scenario + (self._wall() - self._anchor_wall) * self.time_scale

    def pause(self) -> None:
        """Stop scenario time where it is (no-op when paused)."""
        if not self.paused:
            self._reanchor()
            self.paused = True
            self._wake()

    def resume(self) -> None:
        """Let scenario time run again from where it stopped (no-op when running)."""
        if self.paused:
            self._anchor_wall = self._wall()
            self.paused = False
            self._wake()

    def set_time_scale(self, time_scale: float) -> None:
        """Run ``time_scale`` times faster than real time from now on. Raises ValueError like the constructor."""
        scale = _checked_scale(time_scale)
        self._reanchor()
        self.time_scale = scale
        self._wake()

    async def sleep(self, seconds: float) -> None:
        deadline = self.now() + max(0.0, seconds)
        if seconds <= 0 and not self.paused:
            await asyncio.sleep(0)
            return
        while True:
            changed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._changed.add(changed)
            try:
                if self.paused:
                    await changed
                    continue
                left_s = deadline - self.now()
                if left_s <= 0:
                    return
                await asyncio.wait({changed}, timeout=left_s / self.time_scale)
            finally:
                self._changed.discard(changed)
                changed.cancel()

    def _reanchor(self) -> None:
        self._anchor_scenario = self.now()
        self._anchor_wall = self._wall()

    def _wake(self) -> None:
        for future in self._changed:
            if not future.done():
                future.set_result(None)


def _checked_scale(time_scale: float) -> float:
    if not time_scale > 0 or time_scale == float("inf"):
        raise ValueError(f"time_scale must be a positive number, got {time_scale!r}")
    return float(time_scale)


class ManualClock:
    """A clock that moves only when told to (tests).

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
