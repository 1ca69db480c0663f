"""A real ``dispatch120-server`` child process on 127.0.0.1 for the benchmarks.

:class:`BenchServer` registers a small centre through the real admin CLI
(``python -m server_stub admin import``), starts ``python -m server_stub serve
--port 0 --ready-file F --exit-with-stdin`` on a temporary database, and stops
it by closing its stdin (then SIGTERM, then SIGKILL — only this child, by its
pid). The database, log and tokens live in a temporary directory that is
removed afterwards.

Thread: the caller's (blocking calls: subprocess, file polling).
Raises :class:`ServerError` when the server cannot be set up or does not start.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[1]
READY_TIMEOUT_S = 30.0
SEATS = 8  # bench-1 … bench-8; one per concurrent client


def registry(seats: int = SEATS) -> dict[str, Any]:
    """The centre the benchmarks use: one unit per seat (its status is toggled), one station, one hospital."""
    return {
        "stations": [{"id": "st-1", "name": "南岸急救站", "lat": 29.52, "lon": 106.57}],
        "hospitals": [{"id": "h-1", "name": "重庆医科大学附属第一医院", "lat": 29.53, "lon": 106.51}],
        "units": [
            {"id": f"B{i}", "call_sign": f"渝B{i}", "station": "st-1", "capability": "bls"}
            for i in range(1, seats + 1)
        ],
        "seats": [{"id": f"bench-{i}", "name": f"{i}号席"} for i in range(1, seats + 1)],
    }


class ServerError(RuntimeError):
    """The bench server could not be registered or started; the message says why."""


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    return env


def seat_child_env(workdir: Path) -> dict[str, str]:
    """The environment of a child that runs a seat: offscreen unless the caller's environment
    names a platform, a private XDG tree and settings files under ``workdir`` (none of the user's)."""
    env = child_env()
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_STATE_HOME", "state"),
                     ("XDG_CACHE_HOME", "cache"), ("XDG_RUNTIME_DIR", "runtime")):
        path = workdir / sub
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        env[var] = str(path)
    user = workdir / "dispatch120.toml"
    user.write_text(f'log_dir = "{(workdir / "logs").as_posix()}"\n', encoding="utf-8")
    env["DISPATCH120_USER_CONFIG"] = str(user)
    env["DISPATCH120_MACHINE_CONFIG"] = str(workdir / "no-machine-config.toml")
    return env


class BenchServer:
    """Use as a context manager: ``with BenchServer() as server: server.url, server.tokens``."""

    def __init__(self, *, seats: int = SEATS, log_level: str = "INFO", db_url: str | None = None) -> None:
        """``db_url``: a PostgreSQL database to use instead of a temporary SQLite file (``--db``)."""
        self.seats = seats
        self.log_level = log_level
        self.workdir = Path(tempfile.mkdtemp(prefix="dispatch120-bench-"))
        self.db_path = self.workdir / "events.sqlite"
        self.db = db_url or str(self.db_path)
        self.log_path = self.workdir / "server.log"
        self.tokens: dict[str, str] = {}
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.start_s: float | None = None  # from Popen to the ready file

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def __enter__(self) -> BenchServer:
        try:
            self._register()
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _registry(self) -> dict:
        """The registry this bench server imports (subclasses add their units)."""
        return registry(self.seats)

    def _register(self) -> None:
        reg_file = self.workdir / "registry.yaml"
        reg_file.write_text(yaml.safe_dump(self._registry(), allow_unicode=True), encoding="utf-8")
        tokens_file = self.workdir / "tokens.json"
        result = subprocess.run(
            [sys.executable, "-m", "server_stub", "admin", "--db", self.db,
             "import", str(reg_file), "--tokens-out", str(tokens_file)],
            cwd=PROJECT_ROOT, env=child_env(), capture_output=True, text=True, timeout=120,
        )
        if result.returncode != 0:
            raise ServerError(f"admin import failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        self.tokens = json.loads(tokens_file.read_text(encoding="utf-8"))

    def _start(self) -> None:
        ready = self.workdir / "ready.json"
        out = open(self.workdir / "stderr.txt", "wb")  # noqa: SIM115 - the child writes to it
        started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, *_profile_args(), "-m", "server_stub", "serve", "--host", "127.0.0.1", "--port", "0",
             "--db", self.db, "--ready-file", str(ready), "--exit-with-stdin",
             "--log-file", str(self.log_path), "--log-level", self.log_level],
            cwd=PROJECT_ROOT, env=child_env(), stdin=subprocess.PIPE, stdout=out, stderr=out,
        )
        out.close()
        deadline = started + READY_TIMEOUT_S
        while not ready.exists():
            if self.proc.poll() is not None:
                raise ServerError(f"server exited with {self.proc.returncode} before it was ready:\n{self._tail()}")
            if time.monotonic() > deadline:
                raise ServerError(f"server not ready within {READY_TIMEOUT_S:g} s:\n{self._tail()}")
            time.sleep(0.01)
        info = json.loads(ready.read_text(encoding="utf-8"))
        self.start_s = time.monotonic() - started
        self.port = int(info["port"])

    def _tail(self) -> str:
        path = self.workdir / "stderr.txt"
        return path.read_text(encoding="utf-8", errors="replace")[-3000:] if path.exists() else ""

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        """Stop the server (see :func:`stop_server_process`); its log stays readable until :meth:`close`."""
        proc, self.proc = self.proc, None
        if proc is not None:
            stop_server_process(proc, grace_s=10)

    def close(self) -> None:
        """Stop the server and remove the temporary directory."""
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def cpu_seconds(self) -> float | None:
        """CPU time (user + system, all threads) the server process has used so far; None if unknown.

        Linux only (``/proc/PID/stat``).
        """
        if self.proc is None:
            return None
        try:
            stat = Path(f"/proc/{self.proc.pid}/stat").read_text(encoding="ascii")
            fields = stat.rsplit(")", 1)[1].split()
            ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
            return ticks / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError, AttributeError):
            return None

    # ------------------------------------------------------------ the log, read-only
    def last_seq(self) -> int:
        with contextlib.closing(self._ro()) as conn:
            return conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]

    def commit_stats(self, after_seq: int) -> dict[str, Any]:
        """Events stored after ``after_seq`` by commands (``ref`` set), and the rate their timestamps show.

        The server stamps each event (ms resolution) just before its commit, so
        (count - 1) / (last ts - first ts) is the server-side commit rate, free
        of the client's view.
        """
        from app.protocol import parse_ts

        with contextlib.closing(self._ro()) as conn:
            count, first, last = conn.execute(
                "SELECT count(*), min(ts), max(ts) FROM events WHERE seq > ? AND ref IS NOT NULL", (after_seq,)
            ).fetchone()
            commands = conn.execute(
                "SELECT count(DISTINCT ref) FROM events WHERE seq > ? AND ref IS NOT NULL", (after_seq,)
            ).fetchone()[0]
        span = (parse_ts(last) - parse_ts(first)).total_seconds() if count else 0.0
        return {
            "events": count,
            "commands": commands,
            "span_s": span,
            "events_per_s": (count - 1) / span if span > 0 else None,
        }

    def _ro(self) -> sqlite3.Connection:
        return sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=10)


def stop_server_process(proc: subprocess.Popen, *, grace_s: float) -> None:
    """Stop a server started with ``--exit-with-stdin``: close its stdin and wait ``grace_s``,
    then SIGTERM and wait 5 s, then SIGKILL."""
    try:
        if proc.stdin is not None:
            proc.stdin.close()
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def _profile_args() -> list[str]:
    """``BENCH_PROFILE_SERVER=FILE``: run the server under cProfile, its profile written to FILE at exit."""
    target = os.environ.get("BENCH_PROFILE_SERVER")
    return ["-m", "cProfile", "-o", target] if target else []
