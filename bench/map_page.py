"""Map page: load to first paint; 500 ambulances moving at 1 Hz — GUI event-loop lateness and CPU.

Runs the real :class:`maps.view.MapView` (QtWebEngine, offscreen) in a child process (a clean
QApplication with the ``d120://`` scheme registered before it)::

    python -m bench.map_page [--units 500] [--seconds 60]

Figures: ``first_paint_s`` (``load()`` → the page's ``ready`` after two animation frames),
``lateness_p50_ms``/``p99_ms``/``max_ms`` of a 10 ms ``QTimer`` while every unit moves once a
second (each unit's update spread over the second, as the telemetry feed delivers them, and
coalesced by the view into ≤ 1 ``runJavaScript`` per frame), ``cpu_percent`` of this process
(Chromium's renderer is a separate process: its CPU is reported as ``renderer_cpu_percent``
when ``/proc`` shows it), and ``batches`` sent.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _children_cpu_s() -> float:
    """CPU seconds of this process's live child processes (QtWebEngineProcess), Linux only."""
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}
    try:
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(pid)] = (int(stat[1]), (int(stat[11]) + int(stat[12])) / tick)
    except OSError:
        return math.nan
    mine, total, grew = {os.getpid()}, 0.0, True
    while grew:  # descendants: the zygote's renderer is a grandchild
        grew = False
        for pid, (ppid, _cpu) in stats.items():
            if ppid in mine and pid not in mine:
                mine.add(pid)
                grew = True
    return sum(cpu for pid, (_ppid, cpu) in stats.items() if pid in mine and pid != os.getpid()) + total


def child(units: int, seconds: float) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")
    sys.path.insert(0, str(ROOT))
    from maps.scheme import register_scheme

    register_scheme()
    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtWidgets import QApplication

    from maps.sources import make_config
    from maps.view import MapView

    app = QApplication([])
    view = MapView(make_config(), layers=[("units", "Ambulances")])
    view.resize(900, 700)
    view.show()
    out: dict = {"units": units, "seconds": seconds}
    t0 = time.perf_counter()
    view.ready.connect(lambda: out.setdefault("first_paint_s", time.perf_counter() - t0))
    view.start()
    while "first_paint_s" not in out:
        app.processEvents()
        if time.perf_counter() - t0 > 60:
            raise RuntimeError("the map page did not become ready in 60 s")
        time.sleep(0.001)
    lat0, lon0 = view.config.centre
    lateness: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    expected = {"t": 0}

    def probe() -> None:
        now = clock.elapsed()
        if expected["t"]:
            lateness.append(max(0, now - expected["t"]))
        expected["t"] = now + 10

    probe_timer = QTimer()
    probe_timer.setTimerType(probe_timer.timerType().PreciseTimer)
    probe_timer.timeout.connect(probe)
    probe_timer.start(10)
    step = {"n": 0}
    per_tick = max(1, units // 50)  # 50 ticks of 20 ms per second: every unit once a second

    def feed() -> None:
        base = step["n"] * per_tick
        t = step["n"] / 50.0
        for k in range(per_tick):
            i = (base + k) % units
            angle = t * 0.05 + i
            view.upsert_marker("units", f"u{i}", lat0 + 0.01 * math.sin(angle), lon0 + 0.015 * math.cos(angle),
                               icon="unit", color="#009E73", label=f"120-{i:03d}", heading_deg=(i * 7) % 360,
                               sublabel=f"{int(t) % 60} s")
        step["n"] += 1

    feeder = QTimer()
    feeder.timeout.connect(feed)
    feeder.start(20)
    cpu0, wall0, child0 = time.process_time(), time.perf_counter(), _children_cpu_s()
    sent0 = view.batches_sent
    QTimer.singleShot(int(seconds * 1000), app.quit)
    app.exec()
    wall = time.perf_counter() - wall0
    out["cpu_percent"] = 100 * (time.process_time() - cpu0) / wall
    out["renderer_cpu_percent"] = 100 * (_children_cpu_s() - child0) / wall
    out["batches"] = view.batches_sent - sent0
    out["updates"] = step["n"] * per_tick
    lateness.sort()
    if lateness:
        out["lateness_p50_ms"] = lateness[len(lateness) // 2]
        out["lateness_p99_ms"] = lateness[min(len(lateness) - 1, int(len(lateness) * 0.99))]
        out["lateness_max_ms"] = lateness[-1]
    return out


def run(units: int = 500, seconds: float = 60.0) -> dict:
    """Run the benchmark in a child process; returns its figures. Raises RuntimeError if it failed."""
    proc = subprocess.run([sys.executable, "-m", "bench.map_page", "--child", "--units", str(units),
                           "--seconds", str(seconds)], cwd=ROOT, capture_output=True, text=True,
                          timeout=seconds + 120)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"map bench failed ({proc.returncode}): {proc.stderr[-800:]}")
    return json.loads(lines[-1])


def render(result: dict) -> str:
    return (f"map page: first paint {result['first_paint_s']:.2f} s; {result['units']} units at 1 Hz for "
            f"{result['seconds']:g} s → event-loop lateness p50 {result.get('lateness_p50_ms', math.nan):.0f} ms, "
            f"p99 {result.get('lateness_p99_ms', math.nan):.0f} ms, max {result.get('lateness_max_ms', math.nan):.0f}"
            f" ms; CPU {result['cpu_percent']:.0f} % (renderer {result['renderer_cpu_percent']:.0f} %), "
            f"{result['batches']} batches")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--quick", action="store_true", help="10 s instead of 60 s")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    seconds = 10.0 if args.quick else args.seconds
    if args.child:
        print(json.dumps(child(args.units, seconds)), flush=True)
        return 0
    print(render(run(args.units, seconds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
