"""The packaged seat's start-up next to the same seat from ``.venv``, in the same run.

    python -m bench.dist_startup [--bundle build/dist-cache/<hash>/dispatch120] [--runs 3]

Both are started the same way — ``dispatch120 --simulate --exit-after-first-paint`` offscreen,
each in a fresh private XDG tree, alternating bundle/venv so neither gets a warmer disk — and
timed from just before ``Popen`` to the moment the seat prints ``dispatch120: first paint``
(its main window's first paint pass has completed; ``widgets/first_paint.py``). That includes
the training centre the seat starts (server + simulators as child processes: the bundle runs
them through its own executable, the venv through ``python -m``). ``map ready`` is the same
for the map page. The first run of each is reported apart: it reads the files from disk if they
are not in the page cache yet ("cold"); the median of the others is the warm figure.

Without ``--bundle`` the newest complete bundle in ``build/dist-cache/`` is used (``make dist``
builds it). No assertion: a benchmark, printed as a table and returned as a dict.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.stats import median

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 120.0


def newest_bundle() -> Path | None:
    cache = ROOT / "build" / "dist-cache"
    done = sorted(cache.glob("*/complete.json"), key=lambda p: p.stat().st_mtime) if cache.is_dir() else []
    return done[-1].parent / "dispatch120" if done else None


def _env(workdir: Path, *, python_on_path: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "DISPATCH120_", "PYTHON"))}
    if not python_on_path:
        env["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin"
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")
    for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_STATE_HOME", "state"),
                     ("XDG_CACHE_HOME", "cache"), ("XDG_RUNTIME_DIR", "runtime")):
        (workdir / sub).mkdir(mode=0o700, parents=True, exist_ok=True)
        env[var] = str(workdir / sub)
    env["DISPATCH120_MACHINE_CONFIG"] = str(workdir / "no-machine-config.toml")
    env["DISPATCH120_USER_CONFIG"] = str(workdir / "no-user-config.toml")
    return env


def run_once(cmd: list[str], *, python_on_path: bool) -> dict[str, float]:
    """Seconds from Popen to ``first paint`` and ``map ready``, and to the process's exit."""
    workdir = Path(tempfile.mkdtemp(prefix="dispatch120-bench-dist-"))
    try:
        marks: dict[str, float] = {}
        started = time.monotonic()
        proc = subprocess.Popen([*cmd, "--simulate", "--exit-after-first-paint"], env=_env(workdir, python_on_path=python_on_path),
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("dispatch120: first paint"):
                marks["first_paint_s"] = time.monotonic() - started
            elif line.startswith("dispatch120: map ready"):
                marks["map_ready_s"] = time.monotonic() - started
            if time.monotonic() - started > TIMEOUT_S:
                proc.kill()
                break
        proc.wait(timeout=TIMEOUT_S)
        marks["exit_s"] = time.monotonic() - started
        if proc.returncode != 0 or "first_paint_s" not in marks:
            raise RuntimeError(f"{cmd[0]} exited with {proc.returncode} before its first paint")
        return marks
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run(bundle: Path, runs: int = 3) -> dict[str, Any]:
    venv_seat = Path(sys.executable).with_name("dispatch120")
    subjects = {"bundle": ([str(bundle / "dispatch120")], False), "venv": ([str(venv_seat)], True)}
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in subjects}
    for _ in range(runs):
        for name, (cmd, python_on_path) in subjects.items():
            samples[name].append(run_once(cmd, python_on_path=python_on_path))
    result: dict[str, Any] = {"bundle": str(bundle), "runs": runs}
    for name, rows in samples.items():
        for mark in ("first_paint_s", "map_ready_s"):
            result[f"{name} {mark} first run"] = round(rows[0][mark], 2)
            if len(rows) > 1:
                result[f"{name} {mark} median of the rest"] = round(median([r[mark] for r in rows[1:]]), 2)
    key = "first_paint_s median of the rest" if runs > 1 else "first_paint_s first run"
    result["bundle / venv (first paint)"] = round(result[f"bundle {key}"] / result[f"venv {key}"], 2)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dist_startup", description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundle", type=Path, default=None, help="the seat's bundle folder")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    bundle = args.bundle or newest_bundle()
    if bundle is None or not (bundle / "dispatch120").is_file():
        print("no seat bundle: run `make dist` first (or give --bundle)", file=sys.stderr)
        return 1
    for key, value in run(bundle, args.runs).items():
        print(f"{key:45s} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
