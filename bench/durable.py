"""Benchmark 2: durable events per second and ack latency, 1 seat vs 20, SQLite vs PostgreSQL.

Side by side in one run:

* **bare SQLite loops** (no server, same temp file system, WAL + ``synchronous=FULL``):
  one small row per transaction (the fsync ceiling of a server that commits each
  command on its own), and 100-row transactions (what batching buys the disk);
* the **real server** (``python -m server_stub serve``, :class:`bench.server.BenchServer`)
  on a temporary SQLite file, then on a temporary PostgreSQL database when PostgreSQL
  is installed (a throw-away cluster, started as ``tests/services.py`` starts it for
  the tests; otherwise the result says why it was skipped) — each with 1 seat and
  with 20 seats connected at once. Every seat behaves like a dispatcher's: one
  command in flight, the next sent when the ack comes back, for ``seconds``.

Every command of the mix gives exactly one event (:class:`bench.client.CommandMix`),
so acked commands = durable events. The server acks only after the commit returned,
and every seat receives every event (as real seats do), so the figures include the
fan-out. Latency is send → ack at the seat. The server's batches (group commit) are
read from the summary line it logs as it stops.

Thread: the caller's. Raises ClientError, ServerError.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench.client import CommandMix, RawSeat
from bench.server import PROJECT_ROOT, BenchServer
from bench.stats import summary_ms

SEATS = (1, 20)
# Targets on the reference 2-core machine (bench/README.md).
TARGET_SCALING = 3.0  # 20 seats >= 3x the 1-seat rate
TARGET_VS_BARE = 0.5  # 20 seats >= 0.5x one-commit-per-row bare SQLite
TARGET_P99_MS = 50.0  # p99 ack latency at 20 seats
PAYLOAD = '{"unit_id":"B1","status":"available","previous":"out_of_service","version":3}'
# The server's group-commit summary (once a minute and at shutdown).
BATCH_LINE = re.compile(r"committed (\d+) command\(s\) in (\d+) transaction\(s\) \(group commit: [\d.]+ per transaction, "
                        r"largest (\d+)\)")


class _Window:
    """Replies that arrive between ``start`` and ``end`` (perf_counter seconds)."""

    def __init__(self, start: float, end: float) -> None:
        self.start, self.end = start, end
        self.acks = 0
        self.events = 0
        self.latencies: list[float] = []
        self.errors: dict[str, int] = {}
        self.late = 0

    def record(self, reply: dict[str, Any], seconds: float) -> None:
        if reply.get("type") != "ack":
            code = str(reply.get("code", "?"))
            self.errors[code] = self.errors.get(code, 0) + 1
        elif time.perf_counter() <= self.end:
            self.acks += 1
            self.events += reply.get("events", 0)
            self.latencies.append(seconds)
        else:
            self.late += 1


async def _seat_loop(seat: RawSeat, mix: CommandMix, window: _Window) -> None:
    while time.perf_counter() < window.end:
        reply, seconds = await seat.command(*mix.next())
        window.record(reply, seconds)


def _cluster_cpu(data_dir: Path) -> float | None:
    """CPU seconds (user + system) a PostgreSQL cluster used so far: its postmaster with its reaped
    children, plus its live children (the backends serving the server). None if unknown (not Linux)."""
    try:
        postmaster = int((data_dir / "postmaster.pid").read_text(encoding="ascii").split()[0])
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for stat_path in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat_path.read_text(encoding="ascii").rsplit(")", 1)[1].split()
            except OSError:
                continue  # a process that ended meanwhile (its time went to its parent)
            pid, ppid = int(stat_path.parent.name), int(fields[1])
            if pid == postmaster:
                total += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
            elif ppid == postmaster:
                total += int(fields[11]) + int(fields[12])
        return total / tick
    except (OSError, ValueError, IndexError):
        return None


async def _drive(
    url: str, tokens: dict[str, str], seats: int, seconds: float, server_cpu: Callable[[], float | None],
    db_cpu: Callable[[], float | None] = lambda: None,
) -> dict[str, Any]:
    connected = [await RawSeat.open(url, tokens[f"bench-{i}"]) for i in range(1, seats + 1)]
    try:
        mixes = [CommandMix(f"B{i}") for i in range(1, seats + 1)]
        for seat, mix in zip(connected, mixes, strict=True):
            await seat.must(*mix.setup())
        # Warm-up: every seat at once, as in the window.
        await asyncio.gather(*(seat.must(*mix.next()) for seat, mix in zip(connected, mixes, strict=True)))
        cpu_start, client_cpu_start, db_cpu_start = server_cpu(), time.process_time(), db_cpu()
        start = time.perf_counter()
        window = _Window(start, start + seconds)
        await asyncio.gather(*(_seat_loop(seat, mix, window) for seat, mix in zip(connected, mixes, strict=True)))
        drain_s = time.perf_counter() - window.end
        cpu_end, client_cpu, db_cpu_end = server_cpu(), time.process_time() - client_cpu_start, db_cpu()
    finally:
        for seat in connected:
            await seat.close()
    server_cpu_s = cpu_end - cpu_start if cpu_start is not None and cpu_end is not None else None
    db_cpu_s = db_cpu_end - db_cpu_start if db_cpu_start is not None and db_cpu_end is not None else None
    done = window.events + window.late  # the server's CPU also covers the commands that drained
    return {
        "seats": seats,
        "seconds": seconds,
        "acked_commands": window.acks,
        "events": window.events,
        "events_per_s": window.events / seconds,
        "ack_latency": summary_ms(window.latencies),
        "errors": window.errors,
        "acked_after_window": window.late,
        "drain_s": drain_s,
        "server_cpu_s": server_cpu_s,
        "server_cpu_ms_per_event": server_cpu_s / done * 1000 if server_cpu_s is not None and done else None,
        "client_cpu_s": client_cpu,
        # The bench's seats (this process, one core at most) share the machine with the server.
        "client_cpu_ms_per_event": client_cpu / done * 1000 if done else None,
        # PostgreSQL's own processes (the same two cores), when the database is a bench cluster.
        "db_cpu_ms_per_event": db_cpu_s / done * 1000 if db_cpu_s is not None and done else None,
    }


def _batches(log_path: Path) -> dict[str, Any]:
    """How many commands the server committed per transaction, from its log."""
    lines = [m.groups() for m in BATCH_LINE.finditer(log_path.read_text(encoding="utf-8", errors="replace"))]
    transactions = sum(int(t) for _, t, _ in lines)
    if not transactions:
        return {"transactions": 0}
    return {"transactions": transactions, "mean_commands": sum(int(c) for c, _, _ in lines) / transactions,
            "max_commands": max(int(m) for _, _, m in lines)}


def run_phase(seats: int, seconds: float, db_url: str | None = None, db_dir: Path | None = None) -> dict[str, Any]:
    """``seats`` seats against a fresh server on SQLite (``db_url`` None) or on ``db_url``
    (``db_dir``: that cluster's data directory, to count its CPU too)."""
    db_cpu = (lambda: _cluster_cpu(db_dir)) if db_dir is not None else (lambda: None)
    with BenchServer(seats=max(seats, 1), db_url=db_url) as server:
        result = asyncio.run(_drive(server.url, server.tokens, seats, seconds, server.cpu_seconds, db_cpu))
        server.stop()  # it logs its group-commit summary as it stops
        result["batches"] = _batches(server.log_path)
    return result


def bare_sqlite(seconds: float, rows_per_commit: int) -> dict[str, Any]:
    """Rows/s of ``rows_per_commit`` small rows per transaction, SQLite WAL + synchronous=FULL, in the temp dir."""
    workdir = Path(tempfile.mkdtemp(prefix="dispatch120-bench-fsync-"))
    try:
        with contextlib.closing(sqlite3.connect(workdir / "t.sqlite", isolation_level=None)) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("CREATE TABLE t (seq INTEGER PRIMARY KEY AUTOINCREMENT, data TEXT NOT NULL)")
            rows = [(PAYLOAD,)] * rows_per_commit
            commits = 0
            start = time.perf_counter()
            end = start + seconds
            while time.perf_counter() < end:
                db.execute("BEGIN IMMEDIATE")
                db.executemany("INSERT INTO t(data) VALUES (?)", rows)
                db.execute("COMMIT")
                commits += 1
            elapsed = time.perf_counter() - start
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return {"rows_per_commit": rows_per_commit, "seconds": elapsed, "commits": commits,
            "rows_per_s": commits * rows_per_commit / elapsed}


@contextlib.contextmanager
def _postgres() -> Iterator[Any]:
    """A throw-away PostgreSQL cluster (tests/services.py); raises its ServiceUnavailable when there is none."""
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    from tests.services import PostgresCluster

    cluster = PostgresCluster.start()
    try:
        yield cluster
    finally:
        cluster.destroy()


def targets(result: dict[str, Any]) -> dict[str, Any]:
    """The targets, checked for each backend that ran: figures, and met or not."""
    bare = result["bare"]["one_row_per_commit"]["rows_per_s"]
    checks: dict[str, Any] = {}
    for backend in ("sqlite", "postgresql"):
        phases = result.get(backend, {})
        one, many = phases.get("seats_1"), phases.get(f"seats_{SEATS[-1]}")
        if not one or not many:
            continue
        scaling = many["events_per_s"] / one["events_per_s"] if one["events_per_s"] else 0.0
        vs_bare = many["events_per_s"] / bare if bare else 0.0
        p99 = many["ack_latency"].get("p99_ms")
        checks[backend] = {
            "scaling": scaling, "scaling_met": scaling >= TARGET_SCALING,
            "vs_bare": vs_bare, "vs_bare_met": vs_bare >= TARGET_VS_BARE,
            "p99_ms": p99, "p99_met": p99 is not None and p99 < TARGET_P99_MS,
        }
    return checks


def run(seconds: float, *, postgres: bool = True) -> dict[str, Any]:
    """Bare loops, then 1 and 20 seats on SQLite, then on PostgreSQL (if installed and ``postgres``)."""
    bare_s = min(seconds, 2.0)
    result: dict[str, Any] = {
        "bare": {
            "one_row_per_commit": bare_sqlite(bare_s, 1),
            "rows_100_per_commit": bare_sqlite(bare_s, 100),
        },
        "sqlite": {f"seats_{n}": run_phase(n, seconds) for n in SEATS},
    }
    if postgres:
        try:
            with _postgres() as cluster:
                result["postgresql"] = {f"seats_{n}": run_phase(n, seconds, cluster.create_database(), cluster.data)
                                        for n in SEATS}
        except Exception as exc:  # tests.services.ServiceUnavailable, or a failed start
            result["postgresql_skipped"] = f"{type(exc).__name__}: {exc}".splitlines()[0]
    else:
        result["postgresql_skipped"] = "not asked for"
    result["targets"] = targets(result)
    return result


def _num(value: float | None, fmt: str = ".0f", width: int = 10) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:>{width}{fmt}}"


def render(result: dict[str, Any]) -> str:
    lines = ["2. Durable events per second, 1 vs 20 seats (ack only after commit; every seat gets every event)"]
    head = (f"{'':34}{'ev/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'cmds/txn':>10}{'srv CPU ms/ev':>15}"
            f"{'seats CPU ms/ev':>17}{'db CPU ms/ev':>14}  errors")
    lines.append(head)
    for key, label in (("one_row_per_commit", "bare SQLite: 1 row per commit"),
                       ("rows_100_per_commit", "bare SQLite: 100 rows per commit")):
        bare = result["bare"][key]
        lines.append(f"  {label:32}{_num(bare['rows_per_s'], width=8)}   ({bare['commits']} commits, FULL sync)")
    for backend, name in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
        for n in SEATS:
            phase = result.get(backend, {}).get(f"seats_{n}")
            if phase is None:
                continue
            lat = phase["ack_latency"]
            errors = ", ".join(f"{k}={v}" for k, v in sorted(phase["errors"].items())) or "none"
            lines.append(
                f"  {f'server, {name}, {n} seat(s)':32}{_num(phase['events_per_s'], width=8)}"
                f"{_num(lat.get('p50_ms'), '.1f', 9)}{_num(lat.get('p99_ms'), '.1f', 9)}"
                f"{_num(phase['batches'].get('mean_commands'), '.1f', 10)}"
                f"{_num(phase['server_cpu_ms_per_event'], '.2f', 15)}"
                f"{_num(phase.get('client_cpu_ms_per_event'), '.2f', 17)}"
                f"{_num(phase.get('db_cpu_ms_per_event'), '.2f', 14)}  {errors}"
            )
    if "postgresql_skipped" in result:
        lines.append(f"  PostgreSQL skipped: {result['postgresql_skipped']}")
    for backend, check in result.get("targets", {}).items():
        def met(ok: bool) -> str:
            return "met" if ok else "NOT met"

        lines.append(
            f"  targets {backend}: 20 seats = {check['scaling']:.2f}x 1 seat (>= {TARGET_SCALING:g}: "
            f"{met(check['scaling_met'])}); = {check['vs_bare']:.2f}x bare 1-row commits (>= {TARGET_VS_BARE:g}: "
            f"{met(check['vs_bare_met'])}); p99 {_num(check['p99_ms'], '.1f', 0)} ms (< {TARGET_P99_MS:g}: "
            f"{met(check['p99_met'])})"
        )
    return "\n".join(lines)
