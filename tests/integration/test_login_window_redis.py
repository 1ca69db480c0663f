"""Failed logins counted in Redis across instances use a sliding window, like one instance's
own count: a client that failed at the end of one window is still limited at the start of the
next, and one that waited for its oldest failure to leave the window may try again at once."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from server_stub.auth import LoginLimiter
from server_stub.fanout import RedisBus, SharedLoginLimits

pytestmark = pytest.mark.integration

WINDOW_S = 60.0


class Clock:
    """Milliseconds the test moves by hand (Redis's own TIME in the server)."""

    def __init__(self) -> None:
        self.ms = 1_000_000

    def __call__(self) -> int:
        return self.ms

    def advance(self, seconds: float) -> None:
        self.ms += round(seconds * 1000)


def instance(url: str, namespace: str, clock: Clock) -> tuple[RedisBus, SharedLoginLimits]:
    bus = RedisBus(url, namespace)
    # Three failures per credential in the window. Each instance sees at most two itself in this
    # story, so what limits is the centre's count in Redis.
    local = LoginLimiter(per_address=100, per_credential=3, window_s=WINDOW_S)
    return bus, SharedLoginLimits(bus, local, clock_ms=clock)


def test_the_centres_login_window_slides_with_each_failure(redis_server):
    clock = Clock()
    namespace = f"dispatch120:test:{uuid.uuid4().hex[:8]}"

    async def story() -> list[tuple[str, float] | None]:
        bus_a, a = instance(redis_server.url, namespace, clock)
        bus_b, b = instance(redis_server.url, namespace, clock)
        await bus_a.start()
        await bus_b.start()
        try:
            seen: list[tuple[str, float] | None] = []
            await a.failed(0.0, address="10.0.0.1", credential="guess")           # t = 0 s
            clock.advance(50)
            await b.failed(0.0, address="10.0.0.2", credential="guess")           # t = 50 s
            await a.failed(0.0, address="10.0.0.3", credential="guess")           # t = 50 s
            seen.append(await b.retry_after(0.0, address="10.0.0.4", credential="guess"))
            clock.advance(11)  # t = 61 s: the first failure has left the window
            seen.append(await b.retry_after(0.0, address="10.0.0.4", credential="guess"))
            await b.failed(0.0, address="10.0.0.4", credential="guess")           # t = 61 s
            # A fixed window begun at t = 0 would have ended at 60 s and counted this one alone.
            seen.append(await a.retry_after(0.0, address="10.0.0.5", credential="guess"))
            clock.advance(49)  # t = 110 s: the two failures at 50 s left at exactly 110 s
            seen.append(await a.retry_after(0.0, address="10.0.0.5", credential="guess"))
            return seen
        finally:
            await bus_a.close()
            await bus_b.close()

    limited, after_oldest_left, again, after_two_left = asyncio.run(story())

    assert limited == ("credential", 10.0)  # until the failure at 0 s leaves the window at 60 s
    assert after_oldest_left is None
    assert again == ("credential", 49.0)  # until the failures at 50 s leave it at 110 s
    assert after_two_left is None
