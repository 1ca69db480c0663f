"""The training library headless at maximum speed: ``python -m bench.training [--workers N ...]``.

Plays every scenario of ``resources/scenarios/`` (the demo aside) with the scripted good and
slow dispatchers (``app/sim/headless.py``), each run through its own real training centre
(runner, server, simulated switch, ambulances and volunteers), and prints the wall seconds of
the whole library, per run, and the CPU seconds of the centres' processes. The baseline, in the
same run: a **bare centre** — the same centre started and stopped with nothing played — which
is the floor of every run; the ratio says how much of a run is playing and how much is starting.

``--workers`` runs several centres at once (each its own process tree), as the test module
``tests/integration/test_scenario_library_headless.py`` does. Figures and how to read them: bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from app.resources import resource_path
from app.sim.cli import scenario_files
from app.sim.headless import DEFAULT_TIME_SCALE, STYLES, play_scenario


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bare_centre_s(scenario: Path, runs: int, workdir: Path) -> list[float]:
    """Seconds to start a training centre for ``scenario`` and stop it again, ``runs`` times."""
    from app.sim.launcher import start_training

    took = []
    for i in range(runs):
        start = time.monotonic()
        session = start_training(scenario, time_scale=DEFAULT_TIME_SCALE, seed=1, workdir=workdir / f"bare-{i}",
                                 timeout_s=120)
        session.stop()
        took.append(time.monotonic() - start)
    return took


def run(*, workers: int = 1, time_scale: float = DEFAULT_TIME_SCALE, bare_runs: int = 2,
        only: list[str] | None = None) -> dict[str, Any]:
    """Play the library; returns the figures (seconds, scores)."""
    library = [p for p in scenario_files(resource_path("scenarios")) if p.name != "demo.yaml"]
    if only:
        library = [p for p in library if any(name in p.stem for name in only)]
    root = Path(tempfile.mkdtemp(prefix="bench-training-"))
    cpu_before = _children_cpu_s()
    bare = bare_centre_s(library[0], bare_runs, root)
    bare_cpu = (_children_cpu_s() - cpu_before) / max(1, bare_runs)

    def one(job: tuple[Path, str]) -> dict[str, Any]:
        path, style = job
        start = time.monotonic()
        played = play_scenario(path, STYLES[style], time_scale=time_scale, seed=1, workdir=root / f"{path.stem}-{style}")
        return {"scenario": path.stem, "dispatcher": style, "score": played.score.score,
                "seconds": round(time.monotonic() - start, 2)}

    jobs = [(p, style) for p in library for style in ("good", "slow")]
    cpu_before = _children_cpu_s()
    start = time.monotonic()
    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(one, jobs))
    total = time.monotonic() - start
    cpu = _children_cpu_s() - cpu_before
    per_run = [r["seconds"] for r in results]
    bare_s = statistics.median(bare)
    return {
        "workers": workers,
        "time_scale": time_scale,
        "scenarios": len(library),
        "runs": len(jobs),
        "library_s": round(total, 1),
        "per_run_median_s": round(statistics.median(per_run), 2),
        "per_run_max_s": round(max(per_run), 2),
        "centres_cpu_s": round(cpu, 1),
        "bare_centre_s": round(bare_s, 2),
        "bare_centre_cpu_s": round(bare_cpu, 2),
        "per_run_over_bare": round(statistics.median(per_run) / bare_s, 2),
        "results": results,
    }


def render(figures: dict[str, Any]) -> str:
    lines = [
        f"training library headless: {figures['scenarios']} scenarios x good/slow = {figures['runs']} runs, "
        f"{figures['workers']} centre(s) at once, time scale {figures['time_scale']:g}",
        f"  whole library        {figures['library_s']:8.1f} s wall, {figures['centres_cpu_s']:.1f} s CPU in the centres",
        f"  one run              {figures['per_run_median_s']:8.2f} s median, {figures['per_run_max_s']:.2f} s max",
        f"  bare centre          {figures['bare_centre_s']:8.2f} s (start + stop, nothing played; "
        f"{figures['bare_centre_cpu_s']:.2f} s CPU)",
        f"  run / bare centre    {figures['per_run_over_bare']:8.2f}",
    ]
    lines += [f"    {r['scenario']:<26} {r['dispatcher']:<5} {r['score']:6.1f} {r['seconds']:7.2f} s"
              for r in figures["results"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.training", description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=1, help="centres at once (default: %(default)s)")
    parser.add_argument("--time-scale", type=float, default=DEFAULT_TIME_SCALE)
    parser.add_argument("--only", nargs="*", help="scenario names (substrings) to play; default all")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    figures = run(workers=args.workers, time_scale=args.time_scale, only=args.only)
    print(json.dumps(figures, ensure_ascii=False, indent=2) if args.json else render(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
