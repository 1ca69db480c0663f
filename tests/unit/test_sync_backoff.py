"""Reconnect delays: 0.5 s, doubling, never above 10 s, spread by jitter, reset after a sync."""

from __future__ import annotations

from app.protocol.session import Backoff


def test_delays_double_from_half_a_second_up_to_ten_seconds():
    backoff = Backoff(0.5, 10.0, rng=lambda: 0.0)  # no jitter drawn
    assert [backoff.next() for _ in range(7)] == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


def test_jitter_spreads_each_delay_over_its_upper_half():
    low = Backoff(0.5, 10.0, rng=lambda: 1.0)
    assert [low.next() for _ in range(6)] == [0.25, 0.5, 1.0, 2.0, 4.0, 5.0]
    drawn = Backoff(0.5, 10.0)
    for base in (0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0):
        assert base / 2 <= drawn.next() <= base


def test_a_successful_sync_starts_the_delays_over():
    backoff = Backoff(0.5, 10.0, rng=lambda: 0.0)
    for _ in range(5):
        backoff.next()
    backoff.reset()
    assert backoff.next() == 0.5


def test_a_very_long_outage_does_not_overflow():
    backoff = Backoff(0.5, 10.0, rng=lambda: 0.0)
    for _ in range(10_000):
        delay = backoff.next()
    assert delay == 10.0
