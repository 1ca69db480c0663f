"""Track playback on the map: frames per second at 60× with N units, against a bare MapView loop.

    python -m bench.track_playback [--units 20,100] [--seconds 6]

Each variant runs in its own child process (a clean QApplication, the ``d120://`` scheme
registered before it, offscreen, Chromium's software rendering), one after the other, with
the same 1100×760 window and the same synthetic incident (every unit drives a straight line
with a position every 5 s for 40 min, four status changes; two caller fixes):

* ``widget`` — :class:`widgets.track_playback.TrackPlayback` playing at 60× (its own frame
  timer: interpolation, statuses, labels, the status line, then ``upsert_marker`` per unit);
* ``bare`` — a bare :class:`maps.view.MapView` of the same size with a ``QTimer`` at the same
  interval that moves the same N markers (same marker fields, a position computed by one
  multiplication) — the floor the widget cannot beat with this map.

Figures per variant: ``frames_per_s`` (frames the Python side drew), ``batches_per_s``
(``runJavaScript`` batches the map sent), ``page_frames_per_s`` (the page's
``requestAnimationFrame`` callbacks: what Chromium painted), ``gui_cpu_ms_per_frame``
(process CPU per drawn frame), and the ratios widget / bare.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
WINDOW = (1100, 760)
T0 = 1_774_000_000.0
DURATION_S = 2400.0


def synthetic_track(units: int) -> dict[str, Any]:
    """An incident with ``units`` ambulances converging on Monaco's port (the demo basemap)."""
    import math

    out = []
    for n in range(units):
        angle = 2 * math.pi * n / max(units, 1)
        lat0, lon0 = 43.7355 + 0.012 * math.sin(angle), 7.4225 + 0.016 * math.cos(angle)
        positions = []
        for i in range(int(DURATION_S // 5) + 1):
            f = min(1.0, i * 5 / 1800.0)
            positions.append({"t": T0 + 60 + i * 5, "lat": lat0 + (43.7365 - lat0) * f,
                              "lon": lon0 + (7.4224 - lon0) * f, "speed_mps": 9.0, "heading_deg": None,
                              "device_ts": "", "server_ts": ""})
        statuses = [{"t": T0 + 55, "status": "dispatched", "at": ""}, {"t": T0 + 60, "status": "en_route", "at": ""},
                    {"t": T0 + 1860, "status": "on_scene", "at": ""}, {"t": T0 + 2200, "status": "transporting", "at": ""}]
        out.append({"unit_id": f"A{n + 1}", "call_sign": f"急救{n + 1}", "assigned_t": T0 + 55, "clock_offset_s": 0.0,
                    "statuses": statuses, "positions": positions})
    return {"incident_id": "5b7e2c1a-9d34-4f6e-8a21-3c4d5e6f7a8b", "tz": "Asia/Shanghai",
            "address": "Boulevard Albert 1er 港口旁", "priority": 1, "start_t": T0, "end_t": T0 + 60 + DURATION_S,
            "units": out,
            "caller_locations": [{"t": T0 + 5, "lat": 43.7366, "lon": 7.4226, "accuracy_m": 15.0, "source": "gps",
                                  "kind": "candidate"},
                                 {"t": T0 + 300, "lat": 43.7365, "lon": 7.4224, "accuracy_m": 8.0,
                                  "source": "caller_link", "kind": "candidate"}]}


# ------------------------------------------------------------------ the child
RAF_JS = ("(function(){if(window.__raf!==undefined)return;window.__raf=0;"
          "function f(){window.__raf++;requestAnimationFrame(f);}requestAnimationFrame(f);})();")


def child(variant: str, units: int, seconds: float) -> dict[str, Any]:
    os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from maps.scheme import register_scheme

    register_scheme()
    from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from maps.sources import make_config
    from maps.view import MapView
    from widgets.labels import unit_status_colours, unit_status_text
    from widgets.map_dock import unit_marker_style
    from widgets.track_playback import FRAME_MS, TrackPlayback

    app = QApplication(sys.argv[:1])
    track = synthetic_track(units)
    frames = {"n": 0}

    def wait(predicate, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while not predicate() and time.monotonic() < deadline:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)

    def page_frames(view: MapView) -> int:
        box: list[Any] = []
        view.run_js("window.__raf", box.append)
        wait(lambda: bool(box), 5)
        return int(box[0] or 0) if box else 0

    if variant == "widget":
        window = TrackPlayback(track)
        view = window.map_view
        window.frame_drawn.connect(lambda _t: frames.__setitem__("n", frames["n"] + 1))
        top = window
    else:
        view = MapView(make_config(), layers=[("tracks", ""), ("callers", ""), ("units", "")])
        view.start()
        top = view
        timer = QTimer()
        timer.setInterval(FRAME_MS)
        names = [u["call_sign"] for u in track["units"]]
        starts = [(u["positions"][0]["lat"], u["positions"][0]["lon"]) for u in track["units"]]
        colours = unit_status_colours("en_route")
        text = unit_status_text("en_route")
        step = {"i": 0}

        def bare_frame() -> None:
            step["i"] += 1
            f = (step["i"] % 600) / 6000.0
            for n, (lat, lon) in enumerate(starts):
                view.upsert_marker("units", f"A{n + 1}", lat + (43.7365 - lat) * f, lon + (7.4224 - lon) * f,
                                   **unit_marker_style(colours, names[n], text, age_s=0.0, heading_deg=None,
                                                       priority=2))
            frames["n"] += 1

        timer.timeout.connect(bare_frame)
    top.resize(*WINDOW)
    top.show()
    wait(lambda: view.is_ready, 30)
    if not view.is_ready:
        raise RuntimeError("the map page did not load")
    view.run_js(RAF_JS, lambda _r: None)
    wait(lambda: False, 1.0)  # warm-up: the first paints, the fit
    raf0, batches0, frames0 = page_frames(view), view.batches_sent, frames["n"]
    cpu0, t0 = time.process_time(), time.monotonic()
    if variant == "widget":
        window.set_speed(60)
        window.seek(window.start_t + 60)
        window.play()
    else:
        timer.start()
    wait(lambda: False, seconds)
    elapsed, cpu = time.monotonic() - t0, time.process_time() - cpu0
    if variant == "widget":
        window.pause()
    else:
        timer.stop()
    drawn = frames["n"] - frames0
    result = {"variant": variant, "units": units, "seconds": round(elapsed, 2),
              "frames_per_s": round(drawn / elapsed, 1),
              "batches_per_s": round((view.batches_sent - batches0) / elapsed, 1),
              "page_frames_per_s": round((page_frames(view) - raf0) / elapsed, 1),
              "gui_cpu_ms_per_frame": round(1000 * cpu / max(drawn, 1), 2)}
    # The view (and its page) must go before the QApplication and the profile: delete it now,
    # not at interpreter exit (a page outliving its profile crashed the child with SIGSEGV).
    top.close()
    top.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    app.processEvents()
    return result


# ------------------------------------------------------------------ the parent
def _run_child(variant: str, units: int, seconds: float) -> dict[str, Any]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           "QTWEBENGINE_CHROMIUM_FLAGS": os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")}
    done = subprocess.run([sys.executable, "-m", "bench.track_playback", "--child", variant, "--units", str(units),
                           "--seconds", str(seconds)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=seconds + 120, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{variant} child failed ({done.returncode}): {done.stderr[-2000:]}")
    return json.loads(lines[-1])


def run(units: tuple[int, ...] = (20, 100), seconds: float = 6.0) -> dict[str, Any]:
    rows = []
    for n in units:
        widget, bare = _run_child("widget", n, seconds), _run_child("bare", n, seconds)
        rows.append({"units": n, "widget": widget, "bare": bare,
                     "fps_ratio": round(widget["frames_per_s"] / bare["frames_per_s"], 2) if bare["frames_per_s"] else None,
                     "page_fps_ratio": (round(widget["page_frames_per_s"] / bare["page_frames_per_s"], 2)
                                        if bare["page_frames_per_s"] else None),
                     "cpu_ratio": (round(widget["gui_cpu_ms_per_frame"] / bare["gui_cpu_ms_per_frame"], 2)
                                   if bare["gui_cpu_ms_per_frame"] else None)})
    return {"seconds": seconds, "speed": 60, "window": list(WINDOW), "rows": rows}


def render(result: dict[str, Any]) -> str:
    lines = [f"Track playback at {result['speed']}× ({result['window'][0]}×{result['window'][1]}, offscreen, "
             f"{result['seconds']:g} s each): widget vs a bare MapView loop at the same frame interval"]
    for r in result["rows"]:
        w, b = r["widget"], r["bare"]
        lines.append(f"  {r['units']:4d} units: frames/s widget {w['frames_per_s']:.1f} / bare {b['frames_per_s']:.1f} "
                     f"(×{r['fps_ratio']}); page paints/s {w['page_frames_per_s']:.1f} / {b['page_frames_per_s']:.1f} "
                     f"(×{r['page_fps_ratio']}); GUI CPU per frame {w['gui_cpu_ms_per_frame']:.2f} / "
                     f"{b['gui_cpu_ms_per_frame']:.2f} ms (×{r['cpu_ratio']})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", default="20,100", help="comma-separated unit counts (default: 20,100)")
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--child", choices=("widget", "bare"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, int(args.units), args.seconds)), flush=True)
        return 0
    result = run(tuple(int(n) for n in args.units.split(",")), args.seconds)
    print(render(result))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
