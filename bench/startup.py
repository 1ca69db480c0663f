"""Benchmark 3: seat start-up time, from process start to the main window's first paint.

Each run starts a new process (``python -m bench.startup_child``) that runs
the seat's real composition root, :func:`app.__main__.seat_session`, under
``QT_QPA_PLATFORM=offscreen`` (unless another platform is set), against a
bench server with a seat token; see :mod:`bench.startup_child` for exactly
what runs and what differs from ``dispatch120`` (only: the token is placed in
the in-memory keyring). Times are measured from just before the parent calls
``Popen`` — so interpreter start-up and every import count — to:

* ``first_paint``: the main window's first paint pass has completed;
* ``online_painted``: the window repainted after the seat got ONLINE
  (connected, authenticated, snapshot applied, ``synced``) — when the
  dispatcher can work;
* ``map_ready``: the map page has loaded and painted (``MapView.ready``); the
  seat is usable before it.

With each first paint, the CPU seconds the process had used until then (``time.process_time``):
on a machine shared with other work the wall times swing with its load, this much less.

``bare`` is the floor the seat is compared with, started the same way after
each seat run: a bare ``QMainWindow`` holding one ``QWebEngineView`` that loads
a local page with the same vendored Leaflet (:func:`bench.startup_child.bare`).
:func:`ratios` gives the seat's median first paint over the bare window's.

Each run gets a fresh journal (a seat's first start: the server sends a
snapshot) and a private XDG directory tree, so nothing of the user's is read or
written. All children of one bench run share a private bytecode cache
(``PYTHONPYCACHEPREFIX``, :func:`bytecode_cache`) filled by one unmeasured start
of each kind (:func:`warm_up`): the seat and the bare window are both measured
running from compiled modules, as an installed seat does. ``simulate`` measures
``dispatch120 --simulate`` the same way: that includes starting the training
centre (runner, server and simulators as child processes) before the window is
built.

Thread: the caller's. Raises :class:`StartupBenchError` when a run fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.server import PROJECT_ROOT, BenchServer, seat_child_env
from bench.stats import median

RUN_TIMEOUT_S = 90.0
PHASES = ("main", "imported", "shown", "first_paint", "online", "online_painted", "map_ready")


class StartupBenchError(RuntimeError):
    """A start-up run failed; the message has the child's output."""


def run_once(params: dict[str, Any], bytecode_dir: Path | None = None) -> dict[str, float]:
    """One start-up in a new process. Returns seconds from process start to each mark.

    ``bytecode_dir``: the child reads and writes its compiled modules there
    (``PYTHONPYCACHEPREFIX``), see :func:`bytecode_cache`."""
    workdir = Path(tempfile.mkdtemp(prefix="dispatch120-bench-startup-"))
    try:
        env = seat_child_env(workdir)
        if bytecode_dir is not None:
            env["PYTHONPYCACHEPREFIX"] = str(bytecode_dir)
            env.pop("PYTHONDONTWRITEBYTECODE", None)
        if params["mode"] == "live":
            params = {**params, "journal": str(workdir / "journal.sqlite")}
        stderr_path = workdir / "stderr.txt"
        with open(stderr_path, "wb") as stderr:
            started = time.monotonic()
            proc = subprocess.Popen([sys.executable, "-m", "bench.startup_child"], cwd=PROJECT_ROOT, env=env,
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr)
            try:
                out, _ = proc.communicate((json.dumps(params) + "\n").encode(), timeout=RUN_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
                raise StartupBenchError(f"the seat did not finish within {RUN_TIMEOUT_S:g} s") from None
        errors = stderr_path.read_text(encoding="utf-8", errors="replace")[-3000:]
        lines = out.decode("utf-8", "replace").strip().splitlines()
        try:
            marks = json.loads(lines[-1])
        except (IndexError, json.JSONDecodeError):
            raise StartupBenchError(f"no result from the seat (exit {proc.returncode}):\n{errors}") from None
        if proc.returncode != 0 or "error" in marks or marks.get("timeout"):
            raise StartupBenchError(f"the seat run failed (exit {proc.returncode}): {marks}\n{errors}")
        result = {name: marks[name] - started for name in PHASES if name in marks}
        result["units_seen"] = marks.get("units_seen")
        result["first_paint_cpu"] = marks["first_paint_cpu_s"]
        result["exit_s"] = marks["exited"] - marks["first_paint"]
        if "map_ready" not in marks and params["mode"] != "simulate":
            raise StartupBenchError(f"the map page never became ready: {marks}\n{errors}")
        return result
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "runs": len(runs),
        "median_s": {name: median([r[name] for r in runs]) for name in PHASES if all(name in r for r in runs)},
        "median_first_paint_cpu_s": median([r["first_paint_cpu"] for r in runs]),
        "min_s": {name: min(r[name] for r in runs) for name in PHASES if all(name in r for r in runs)},
        "max_s": {name: max(r[name] for r in runs) for name in PHASES if all(name in r for r in runs)},
        "each": runs,
    }


@contextmanager
def bytecode_cache() -> Iterator[Path]:
    """A private directory of compiled modules for the children of one bench run, removed after.

    An installed seat runs from bytecode (pip compiles a package when it installs it), as do the
    bare window's PySide6 and standard library here. A development tree run with
    ``PYTHONDONTWRITEBYTECODE`` (as this project's shells are) compiled every project module
    edited since the last run that wrote bytecode at each start: ≈ 0.05–0.1 s of CPU, varying
    with whoever ran Python last, charged to the seat only. With this cache both the seat and the
    bare window compile nothing in their measured runs; :func:`warm_up` fills it."""
    path = Path(tempfile.mkdtemp(prefix="dispatch120-bench-bytecode-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def warm_up(params: list[dict[str, Any]], bytecode_dir: Path) -> None:
    """One unmeasured start of each kind: the bytecode cache gets every module each imports and
    the OS file cache every file each reads, for the seat and the bare window alike."""
    for each in params:
        run_once(each, bytecode_dir)


def run_live(runs: int, bytecode_dir: Path | None = None) -> dict[str, Any]:
    """``runs`` seat start-ups against one bench server (each with a fresh journal), each followed by
    a start-up of the bare window (:func:`bench.startup_child.bare`), so that a shared machine's
    load falls on both alike; after one unmeasured start of each (:func:`warm_up`).
    Returns ``{"live": summary, "bare": summary}``."""
    seat_runs, bare_runs = [], []
    with BenchServer() as server:
        params = {"mode": "live", "url": server.url, "seat_id": "bench-1", "token": server.tokens["bench-1"]}
        if bytecode_dir is not None:
            warm_up([params, {"mode": "bare"}], bytecode_dir)
        for _ in range(runs):
            seat_runs.append(run_once(params, bytecode_dir))
            bare_runs.append(run_once({"mode": "bare"}, bytecode_dir))
    return {"live": _summarise(seat_runs), "bare": _summarise(bare_runs)}


def run_simulate(runs: int, bytecode_dir: Path | None = None) -> dict[str, Any]:
    """``runs`` start-ups of ``dispatch120 --simulate`` (each starts and stops its own training centre),
    after one unmeasured start."""
    if bytecode_dir is not None:
        warm_up([{"mode": "simulate"}], bytecode_dir)
    return _summarise([run_once({"mode": "simulate"}, bytecode_dir) for _ in range(runs)])


def ratios(result: dict[str, Any]) -> dict[str, float]:
    """Median first paint of the seat (and of ``--simulate``) over the bare window's, same run; and the
    seat's median CPU seconds to its first paint over the bare window's (``*_cpu``: the seat's own
    process only; ``--simulate``'s training centre runs in other processes)."""
    bare = result["bare"]["median_s"]["first_paint"]
    bare_cpu = result["bare"]["median_first_paint_cpu_s"]
    out = {"live_first_paint": result["live"]["median_s"]["first_paint"] / bare,
           "live_first_paint_cpu": result["live"]["median_first_paint_cpu_s"] / bare_cpu}
    if "simulate" in result:
        out["simulate_first_paint"] = result["simulate"]["median_s"]["first_paint"] / bare
        out["simulate_first_paint_cpu"] = result["simulate"]["median_first_paint_cpu_s"] / bare_cpu
    return out


def run(runs: int, simulate_runs: int) -> dict[str, Any]:
    with bytecode_cache() as bytecode_dir:
        result: dict[str, Any] = {"platform": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
                                  **run_live(runs, bytecode_dir)}
        if simulate_runs:
            result["simulate"] = run_simulate(simulate_runs, bytecode_dir)
    result["ratio"] = ratios(result)
    return result
