"""Benchmark 2: durable events per second.

(a) ``sequential``: one client sends a command, awaits its ack (sent by the
    server only after the commit returned), sends the next — for a fixed time.
(b) ``pipelined``: several clients (default 4) each keep a window of commands
    in flight (default 32): every ack lets the next command go.

Every command of the mix gives exactly one event, so acked commands = events.
Counted: acks received inside the time window (client side), and from the
database afterwards the events the server stored with their timestamps, which
gives the server-side commit rate. ``baseline`` is the disk's own limit: one
small row per transaction, SQLite WAL ``synchronous=FULL``, same file system,
no server — the ceiling for a server that commits each command on its own.

Thread: the caller's. Raises ClientError, ServerError.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.client import CommandMix, RawSeat
from bench.server import BenchServer


class _Window:
    """Counts replies that arrive between ``start`` and ``end`` (monotonic perf_counter seconds)."""

    def __init__(self, start: float, end: float) -> None:
        self.start, self.end = start, end
        self.acks = 0
        self.events = 0
        self.errors: dict[str, int] = {}
        self.late = 0

    def record(self, reply: dict[str, Any]) -> None:
        now = time.perf_counter()
        if reply.get("type") != "ack":
            code = str(reply.get("code", "?"))
            self.errors[code] = self.errors.get(code, 0) + 1
        elif now <= self.end:
            self.acks += 1
            self.events += reply.get("events", 0)
        else:
            self.late += 1


async def _worker(seat: RawSeat, mix: CommandMix, window: _Window) -> None:
    while time.perf_counter() < window.end:
        reply, _ = await seat.command(*mix.next())
        window.record(reply)


async def _drive(
    url: str,
    tokens: dict[str, str],
    clients: int,
    in_flight: int,
    seconds: float,
    server_cpu: Callable[[], float | None] = lambda: None,
) -> dict[str, Any]:
    seats = [await RawSeat.open(url, tokens[f"bench-{i}"]) for i in range(1, clients + 1)]
    try:
        mixes = [CommandMix(f"B{i}") for i in range(1, clients + 1)]
        warmup_seq = 0
        for seat, mix in zip(seats, mixes, strict=True):
            await seat.must(*mix.setup())
            for _ in range(5):
                warmup_seq = max(warmup_seq, (await seat.must(*mix.next()))["seq"])
        cpu_start, client_cpu_start = server_cpu(), time.process_time()
        start = time.perf_counter()
        window = _Window(start, start + seconds)
        await asyncio.gather(*(
            _worker(seat, mix, window) for seat, mix in zip(seats, mixes, strict=True) for _ in range(in_flight)
        ))
        drained = time.perf_counter() - window.end
        cpu_end, client_cpu = server_cpu(), time.process_time() - client_cpu_start
    finally:
        for seat in seats:
            await seat.close()
    return {
        "clients": clients,
        "in_flight_per_client": in_flight,
        "seconds": seconds,
        "acked_commands": window.acks,
        "events": window.events,
        "events_per_s": window.events / seconds,
        "errors": window.errors,
        "acked_after_window": window.late,
        "drain_s": drained,
        "warmup_last_seq": warmup_seq,
        "server_cpu_s": cpu_end - cpu_start if cpu_start is not None and cpu_end is not None else None,
        "client_cpu_s": client_cpu,
    }


def run_phase(clients: int, in_flight: int, seconds: float) -> dict[str, Any]:
    """One load pattern against a fresh server; adds the server-side commit rate from its database."""
    with BenchServer() as server:
        result = asyncio.run(_drive(server.url, server.tokens, clients, in_flight, seconds, server.cpu_seconds))
        # Events after the warm-up: the timed window and the drain of what was in flight at its end.
        result["server"] = server.commit_stats(result["warmup_last_seq"])
        stored, cpu = result["server"]["events"], result.pop("server_cpu_s")
        if cpu is not None and stored:
            result["server"]["cpu_s"] = cpu
            result["server"]["cpu_ms_per_event"] = cpu / stored * 1000
    return result


def fsync_baseline(seconds: float) -> dict[str, Any]:
    """Commits/s of one small row per transaction, SQLite WAL + synchronous=FULL, in the temp dir."""
    workdir = Path(tempfile.mkdtemp(prefix="dispatch120-bench-fsync-"))
    try:
        with contextlib.closing(sqlite3.connect(workdir / "t.sqlite", isolation_level=None)) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("CREATE TABLE t (seq INTEGER PRIMARY KEY AUTOINCREMENT, data TEXT NOT NULL)")
            payload = '{"unit_id":"B1","status":"available","previous":"out_of_service","version":3}'
            count = 0
            start = time.perf_counter()
            end = start + seconds
            while time.perf_counter() < end:
                db.execute("BEGIN IMMEDIATE")
                db.execute("INSERT INTO t(data) VALUES (?)", (payload,))
                db.execute("COMMIT")
                count += 1
            elapsed = time.perf_counter() - start
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return {"seconds": elapsed, "commits": count, "commits_per_s": count / elapsed}


def run(seconds: float, *, clients: int = 4, in_flight: int = 32) -> dict[str, Any]:
    """All three: baseline, sequential, pipelined."""
    return {
        "baseline": fsync_baseline(min(seconds, 2.0)),
        "sequential": run_phase(1, 1, seconds),
        "pipelined": run_phase(clients, in_flight, seconds),
    }
