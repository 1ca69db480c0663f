"""Start a training centre from the seat: ``start_training()`` → a :class:`TrainingSession`.

The seat's composition root (``dispatch120 --simulate``) calls :func:`start_training`,
connects its sync client to ``session.url`` with ``session.seat_token``, and calls
``session.stop()`` when it quits. The centre — runner, server, simulators — runs in
child processes (``python -m app.sim serve``), never in the GUI process, so a flood of
simulated traffic cannot starve the GUI and the seat runs exactly as in production.

The child never outlives the seat: it holds the write end of the child's stdin and the
child exits on EOF (however the seat dies, ``kill -9`` included); on Linux the child also
asks for SIGTERM when the thread that started it exits; :meth:`TrainingSession.stop` is
registered with :mod:`atexit` as a safety net.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from app.resources import resource_path
from app.sim.procs import child_env, stop_child, tail

STOP_GRACE_S = 5.0


class TrainingStartError(RuntimeError):
    """The training centre did not start. The message ends with the tail of the runner's stderr."""


def default_scenario() -> Path:
    """The demo scenario shipped in ``resources/scenarios/demo.yaml``."""
    return resource_path("scenarios", "demo.yaml")


@dataclass
class TrainingSession:
    """A running training centre. ``stop()`` ends it (idempotent)."""

    url: str
    seat_id: str
    seat_token: str = field(repr=False)
    seats: dict[str, str] = field(repr=False)  # seat id -> token, for a second seat
    workdir: Path
    process: subprocess.Popen[bytes]
    server_pid: int | None = None
    trainers: dict[str, str] = field(default_factory=dict, repr=False)  # trainer id -> token (the console's)
    lan_urls: list[str] = field(default_factory=list)  # where seats on other machines join (none: loopback only)
    _private_dir: Path | None = field(default=None, repr=False)
    _stderr: IO[bytes] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def running(self) -> bool:
        """Whether the runner is still up (it may have failed; its log is in ``workdir``)."""
        return self.process.poll() is None

    @property
    def stderr_path(self) -> Path | None:
        return self._private_dir / "runner-stderr.log" if self._private_dir else None

    def stop(self, *, grace_s: float = STOP_GRACE_S) -> int | None:
        """Stop the centre: close the runner's stdin, wait ``grace_s``, SIGTERM, then SIGKILL.

        Safe to call twice and from any thread (it blocks up to ~2 × ``grace_s``).

        Returns:
            The runner's exit code (None if it could not be reaped).
        """
        with self._lock:
            if self.process.stdin is not None:
                with contextlib.suppress(OSError, ValueError):
                    self.process.stdin.close()  # the runner stops its server and exits on EOF
            try:
                self.process.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                pass
            code = stop_child(self.process, grace_s=grace_s)
            if self._stderr is not None:
                self._stderr.close()
                self._stderr = None
            if self._private_dir is not None:
                shutil.rmtree(self._private_dir, ignore_errors=True)
                self._private_dir = None
            with contextlib.suppress(ValueError):
                atexit.unregister(self.stop)
            return code


def start_training(
    scenario: str | Path | None = None,
    *,
    time_scale: float = 1.0,
    seat_id: str = "seat-1",
    timeout_s: float = 30.0,
    workdir: str | Path | None = None,
    seed: int | None = None,
    ring_timeout_s: float | None = None,
    listen: str | None = None,
) -> TrainingSession:
    """Start ``python -m app.sim serve`` and wait until the training centre is ready.

    Blocks up to ``timeout_s`` (about 1 s normally). Call it from a thread that lives as
    long as the session (the GUI thread): on Linux the runner's parent-death signal is
    tied to the thread that starts it, so from any other thread it is not asked for.

    Args:
        scenario: scenario YAML; default the demo (``resources/scenarios/demo.yaml``).
        time_scale: scenario time runs this many times faster than real time.
        seat_id: the seat whose token ``session.seat_token`` holds.
        timeout_s: how long to wait for the centre to be ready.
        workdir: where the training database goes (default: a new directory under
            the user data directory, ``dispatch120/training/<time>``).
        seed: makes the simulated crews' delays repeatable.
        ring_timeout_s: the server's ring timeout (default: the server's).
        listen: the server's listen address (default 127.0.0.1: this machine only). ``0.0.0.0``
            or one of this machine's addresses lets trainee seats on the LAN join with their
            seat tokens; ``session.lan_urls`` says where. ``session.url`` stays the local one.

    Raises:
        TrainingStartError: the runner exited or was not ready in time; the message
            includes the end of its stderr (a bad scenario is reported there).
    """
    scenario_path = Path(scenario) if scenario is not None else default_scenario()
    private_dir = Path(tempfile.mkdtemp(prefix="dispatch120-sim-"))  # 0700: the ready file holds tokens
    ready_file = private_dir / "ready.json"
    stderr_path = private_dir / "runner-stderr.log"
    cmd = [
        sys.executable,
        "-m",
        "app.sim",
        "serve",
        "--scenario",
        str(scenario_path),
        "--time-scale",
        repr(float(time_scale)),
        "--seat-id",
        seat_id,
        "--ready-file",
        str(ready_file),
        "--exit-with-stdin",
        "--log-level",
        "warning",
    ]
    if threading.current_thread() is not threading.main_thread():
        cmd.append("--no-parent-death-signal")
    if workdir is not None:
        cmd += ["--workdir", str(workdir)]
    if seed is not None:
        cmd += ["--seed", str(seed)]
    if ring_timeout_s is not None:
        cmd += ["--ring-timeout", repr(float(ring_timeout_s))]
    if listen is not None:
        cmd += ["--listen", listen]
    stderr = open(stderr_path, "wb")  # noqa: SIM115 - the child writes to it for its whole life
    try:
        process = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,  # kept open: the runner exits when it closes
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env=child_env(),
            close_fds=True,
        )
    except OSError as exc:
        stderr.close()
        shutil.rmtree(private_dir, ignore_errors=True)
        raise TrainingStartError(f"cannot start the training runner ({cmd[0]}): {exc}") from exc

    def fail(why: str) -> TrainingStartError:
        stop_child(process, grace_s=STOP_GRACE_S)
        stderr.close()
        details = tail(stderr_path)
        shutil.rmtree(private_dir, ignore_errors=True)
        return TrainingStartError(f"{why}; the runner's stderr ends with:\n{details}" if details else why)

    deadline = time.monotonic() + timeout_s
    info: dict[str, Any] | None = None
    while info is None:
        code = process.poll()
        if code is not None:
            raise fail(f"the training runner exited with code {code} before it was ready")
        if time.monotonic() > deadline:
            raise fail(f"the training runner was not ready within {timeout_s:g} s")
        info = _read_ready(ready_file)
        if info is None:
            time.sleep(0.05)
    with contextlib.suppress(OSError):
        ready_file.unlink()  # it holds tokens; they live in this process from now on
    try:
        session = TrainingSession(
            url=info["url"],
            seat_id=info["seat_id"],
            seat_token=info["seat_token"],
            seats=dict(info["seats"]),
            workdir=Path(info["workdir"]),
            process=process,
            server_pid=info.get("server_pid"),
            trainers=dict(info.get("trainers") or {}),
            lan_urls=list(info.get("lan_urls") or []),
            _private_dir=private_dir,
            _stderr=stderr,
        )
    except (KeyError, TypeError) as exc:
        raise fail(f"the training runner's ready file lacks {exc}") from None
    atexit.register(session.stop)
    return session


def _read_ready(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None
