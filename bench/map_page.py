"""Map at real scale: the real page vs bare Leaflet pages with 500 moving units; address lookups.

    python -m bench.map_page [--units 500] [--seconds 60] [--rounds 2] [--addresses 1000000]

**Renderer CPU, side by side.** Each page runs in its own child process (a clean QApplication
with the ``d120://`` scheme registered before it, offscreen, Chromium's software rendering),
one after the other, ``--rounds`` times interleaved (page, DOM, canvas, page, …) so that a
shared machine's load falls on all three alike:

* ``page`` — the real :class:`maps.view.MapView` (folium page, ``maps/js/d120.js``), units fed
  through ``upsert_marker`` with exactly the fields the seat's map dock sends for a moving
  unit (:func:`widgets.map_dock.unit_marker_style`): status colour, call sign, heading, and
  the fix age only when stale;
* ``bare_dom`` — a bare Leaflet page (same vendored Leaflet, same offline basemap drawn on a
  canvas, same view size and zoom) with one ``L.marker`` + ``L.divIcon`` (a dot and the call
  sign, built once) per unit, moved with ``setLatLng``;
* ``bare_canvas`` — the same with ``L.circleMarker`` on a canvas renderer (no labels).

Every unit moves once a second (each unit's update spread over the second, as the telemetry
feed delivers them) and the bare pages get their moves in one ``runJavaScript`` per 16 ms
frame, as the real view batches. Figures per page: ``renderer_cpu_percent`` (CPU of every
QtWebEngineProcess under the child: renderer, GPU/viz, zygote, from ``/proc``), the GUI
process's ``cpu_percent``, event-loop lateness of a 10 ms timer, ``first_paint_s``; the medians
over rounds and the ratios ``page / bare_dom`` and ``page / bare_canvas``.

**Address search and reverse lookup** on a generated city of ``--addresses`` addresses
(:func:`app.mapdata.address_index.generate_city`) — the seat's
:class:`~app.mapdata.address_index.AddressIndex` against a bare ``scipy.spatial.cKDTree``
query (reverse) and a bare ``numpy.searchsorted`` prefix range (search) in the same run. The whole
path the seat takes (import, gazetteer, ``CityLookup``) is measured by ``bench/address_search.py``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = ("page", "bare_dom", "bare_canvas")
VIEW_SIZE = (900, 700)


def _children_cpu_s() -> float:
    """CPU seconds of this process's live descendant processes (QtWebEngineProcess), Linux only."""
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
    mine, grew = {os.getpid()}, True
    while grew:  # descendants: the zygote's renderer is a grandchild
        grew = False
        for pid, (ppid, _cpu) in stats.items():
            if ppid in mine and pid not in mine:
                mine.add(pid)
                grew = True
    return sum(cpu for pid, (_ppid, cpu) in stats.items() if pid in mine and pid != os.getpid())


# ---------------------------------------------------------------- bare Leaflet pages
_BARE_HTML = """<!DOCTYPE html>
<html><head><meta charset="utf-8">
<link rel="stylesheet" href="d120://app/vendor/leaflet/leaflet.css"/>
<script src="d120://app/vendor/leaflet/leaflet.js"></script>
<style>html,body,#map{margin:0;height:100%}
.u{background:none;border:none}
.u i{position:absolute;left:0;top:0;width:12px;height:12px;border-radius:6px;background:#009E73;
border:1px solid #222}
.u span{position:absolute;left:15px;top:-2px;white-space:nowrap;font:600 12px sans-serif;background:#009E73;
padding:0 4px;border-radius:3px}</style>
</head><body><div id="map"></div><script>
var KIND = "__KIND__";
var map = L.map("map", {preferCanvas: true}).setView([__LAT__, __LON__], __ZOOM__);
var basemap = __BASEMAP__;
var renderer = L.canvas({padding: 0.3});
(basemap.layers || []).forEach(function (file) {
  fetch(basemap.base + "/" + file).then(function (r) { return r.json(); }).then(function (data) {
    L.geoJSON(data, {renderer: renderer, interactive: false, style: {color: "#bbb", weight: 2, fillOpacity: 0.3},
                     filter: function (f) { return f.geometry && f.geometry.type !== "Point"; }}).addTo(map);
  });
});
var units = {};
var dots = L.canvas({padding: 0.3});
window.bare = {
  move: function (moves) {
    for (var i = 0; i < moves.length; i++) {
      var m = moves[i], u = units[m[0]];
      if (u) { u.setLatLng([m[1], m[2]]); continue; }
      if (KIND === "bare_dom") {
        u = L.marker([m[1], m[2]], {keyboard: false, icon: L.divIcon({className: "u", iconSize: [12, 12],
              iconAnchor: [6, 6], html: "<i></i><span>" + m[3] + "</span>"})});
      } else {
        u = L.circleMarker([m[1], m[2]], {renderer: dots, radius: 6, color: "#222", weight: 1,
                                          fillColor: "#009E73", fillOpacity: 1});
      }
      units[m[0]] = u.addTo(map);
    }
    return moves.length;
  }
};
requestAnimationFrame(function () { requestAnimationFrame(function () { document.title = "ready"; }); });
</script></body></html>
"""


def _bare_page_html(kind: str, config: Any) -> str:
    basemap = {"base": f"d120://app/basemap/{config.basemap.city}", "layers": list(config.basemap.layers)} \
        if config.basemap is not None else {"layers": []}
    lat, lon = config.centre
    return (_BARE_HTML.replace("__KIND__", kind).replace("__LAT__", repr(lat)).replace("__LON__", repr(lon))
            .replace("__ZOOM__", str(config.zoom)).replace("__BASEMAP__", json.dumps(basemap)))


def child(variant: str, units: int, seconds: float) -> dict:
    """One page for ``seconds`` with ``units`` moving units, in this (fresh) process."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")
    sys.path.insert(0, str(ROOT))
    from maps.scheme import register_scheme

    register_scheme()
    from PySide6.QtCore import QElapsedTimer, QTimer, QUrl
    from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineProfile
    from PySide6.QtWebEngineWidgets import QWebEngineView
    from PySide6.QtWidgets import QApplication

    from maps.scheme import SCHEME, SchemeHandler
    from maps.sources import make_config
    from maps.view import MapView

    app = QApplication([])
    config = make_config()
    out: dict = {"variant": variant, "units": units, "seconds": seconds}
    t0 = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="bench-map-"))
    if variant == "page":
        from widgets.labels import unit_status_colours
        from widgets.map_dock import unit_marker_style

        view: Any = MapView(config, layers=[("units", "Ambulances")])
        view.ready.connect(lambda: out.setdefault("first_paint_s", time.perf_counter() - t0))
        colours = unit_status_colours("available")

        def send(i: int, lat: float, lon: float, now_s: float) -> None:
            # A fresh fix every second: the age the dock would compute is under a second.
            view.upsert_marker("units", f"u{i}", lat, lon,
                               **unit_marker_style(colours, f"120-{i:03d}", "available", age_s=0.4,
                                                   heading_deg=(i * 7) % 360))
    else:
        profile = QWebEngineProfile()
        handler = SchemeHandler(profile)
        handler.page_dir = tmp
        handler.basemap_dir = config.basemap.directory.parent if config.basemap else None
        profile.installUrlSchemeHandler(SCHEME, handler)
        view = QWebEngineView()
        page = QWebEnginePage(profile, view)
        profile.setParent(page)
        view.setPage(page)
        (tmp / "bare.html").write_text(_bare_page_html(variant, config), encoding="utf-8")
        page.titleChanged.connect(lambda title: title == "ready" and out.setdefault(
            "first_paint_s", time.perf_counter() - t0))
        queue: dict[int, list] = {}
        flush_timer = QTimer()
        flush_timer.setSingleShot(True)
        flush_timer.setInterval(16)
        batches = {"n": 0}

        def flush() -> None:
            if queue:
                page.runJavaScript(f"window.bare.move({json.dumps(list(queue.values()))});")
                queue.clear()
                batches["n"] += 1

        flush_timer.timeout.connect(flush)

        def send(i: int, lat: float, lon: float, now_s: float) -> None:
            queue[i] = [i, lat, lon, f"120-{i:03d}"]
            if not flush_timer.isActive():
                flush_timer.start()

    view.resize(*VIEW_SIZE)
    view.show()
    if variant == "page":
        view.start()
    else:
        view.load(QUrl("d120://app/page/bare.html"))
    while "first_paint_s" not in out:
        app.processEvents()
        if time.perf_counter() - t0 > 60:
            raise RuntimeError(f"{variant}: the page did not become ready in 60 s")
        time.sleep(0.001)
    lat0, lon0 = config.centre
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
            send(i, lat0 + 0.01 * math.sin(angle), lon0 + 0.015 * math.cos(angle), t)
        step["n"] += 1

    feeder = QTimer()
    feeder.timeout.connect(feed)
    feeder.start(20)
    # Let every marker be created before measuring: creation is a one-off, the steady state is the cost.
    warm = QTimer()
    warm.setSingleShot(True)
    marks: dict[str, float] = {}

    def start_measuring() -> None:
        marks.update(cpu=time.process_time(), wall=time.perf_counter(), child=_children_cpu_s())
        lateness.clear()
        QTimer.singleShot(int(seconds * 1000), app.quit)

    warm.timeout.connect(start_measuring)
    warm.start(2000)
    app.exec()
    wall = time.perf_counter() - marks["wall"]
    out["cpu_percent"] = 100 * (time.process_time() - marks["cpu"]) / wall
    out["renderer_cpu_percent"] = 100 * (_children_cpu_s() - marks["child"]) / wall
    out["batches"] = view.batches_sent if variant == "page" else batches["n"]
    out["updates"] = step["n"] * per_tick
    lateness.sort()
    if lateness:
        out["lateness_p50_ms"] = lateness[len(lateness) // 2]
        out["lateness_p99_ms"] = lateness[min(len(lateness) - 1, int(len(lateness) * 0.99))]
        out["lateness_max_ms"] = lateness[-1]
    return out


def _run_child(variant: str, units: int, seconds: float) -> dict:
    proc = subprocess.run([sys.executable, "-m", "bench.map_page", "--child", variant, "--units", str(units),
                           "--seconds", str(seconds)], cwd=ROOT, capture_output=True, text=True,
                          timeout=seconds + 120)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"map bench ({variant}) failed ({proc.returncode}): {proc.stderr[-800:]}")
    return json.loads(lines[-1])


# ---------------------------------------------------------------- address lookups
def run_addresses(count: int, queries: int = 2000, seed: int = 7) -> dict:
    """Reverse lookup and prefix search on a generated ``count``-address city vs bare numpy/scipy."""
    import numpy as np
    from scipy.spatial import cKDTree

    from app.mapdata.address_index import AddressIndex, generate_city

    rng = np.random.default_rng(seed)
    city = generate_city(count, seed=seed)
    t0 = time.perf_counter()
    index = AddressIndex(city.lat, city.lon, city.labels)
    build_s = time.perf_counter() - t0
    lat = rng.uniform(city.lat.min(), city.lat.max(), queries)
    lon = rng.uniform(city.lon.min(), city.lon.max(), queries)

    def timed(call, args) -> list[float]:
        out = []
        for arg in args:
            t0 = time.perf_counter()
            call(arg)
            out.append(time.perf_counter() - t0)
        return out

    positions = list(zip(lat.tolist(), lon.tolist(), strict=True))
    ours_reverse = timed(lambda p: index.nearest(*p), positions)
    # Bare: a k-d tree over the same projected points, one query each (no checks, no metres).
    tree = cKDTree(np.column_stack([city.lon * index.kx, city.lat * index.ky]))
    bare_reverse = timed(lambda p: tree.query((p[1] * index.kx, p[0] * index.ky)), positions)
    # What dispatchers type: the first 4-11 characters of an address ("人民建设路1", "12 Rue V").
    picks = rng.integers(0, count, queries)
    prefixes = [city.labels[int(i)][: 4 + int(i) % 8] for i in picks]
    found = sum(bool(index.search(p, limit=10)) for p in prefixes[:200])
    ours_search = timed(lambda p: index.search(p, limit=10), prefixes)
    # Bare: one searchsorted prefix range over the sorted labels (the whole label as typed, one word).
    keys = np.array(sorted(s.casefold() for s in city.labels))

    def bare_prefix(p: str) -> None:
        p = p.casefold()
        lo = int(np.searchsorted(keys, p, "left"))
        hi = int(np.searchsorted(keys, p + "\U0010ffff", "left"))
        keys[lo:min(hi, lo + 10)].tolist()

    bare_search = timed(bare_prefix, prefixes)

    def q(values: list[float], quantile: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(len(ordered) * quantile))] * 1e6

    return {"addresses": count, "queries": queries, "build_s": build_s,
            "reverse_p50_us": q(ours_reverse, 0.5), "reverse_p99_us": q(ours_reverse, 0.99),
            "bare_kdtree_p50_us": q(bare_reverse, 0.5), "bare_kdtree_p99_us": q(bare_reverse, 0.99),
            "reverse_ratio": statistics.median(ours_reverse) / statistics.median(bare_reverse),
            "search_p50_us": q(ours_search, 0.5), "search_p99_us": q(ours_search, 0.99),
            "bare_searchsorted_p50_us": q(bare_search, 0.5), "bare_searchsorted_p99_us": q(bare_search, 0.99),
            "search_ratio": statistics.median(ours_search) / statistics.median(bare_search),
            "search_found": found / min(200, queries)}


def run(units: int = 500, seconds: float = 60.0, rounds: int = 2, addresses: int = 1_000_000) -> dict:
    """Every page ``rounds`` times (interleaved), then the address figures. Raises RuntimeError if one failed."""
    runs: dict[str, list[dict]] = {v: [] for v in VARIANTS}
    for _ in range(rounds):
        for variant in VARIANTS:
            runs[variant].append(_run_child(variant, units, seconds))
    result: dict[str, Any] = {"units": units, "seconds": seconds, "rounds": rounds, "runs": runs}
    for variant in VARIANTS:
        for key in ("renderer_cpu_percent", "cpu_percent", "first_paint_s", "lateness_p99_ms"):
            values = [r[key] for r in runs[variant] if key in r]
            result[f"{variant}_{key}"] = statistics.median(values) if values else math.nan
    page = result["page_renderer_cpu_percent"]
    result["ratio_vs_bare_dom"] = page / result["bare_dom_renderer_cpu_percent"]
    result["ratio_vs_bare_canvas"] = page / result["bare_canvas_renderer_cpu_percent"]
    if addresses:
        result["address"] = run_addresses(addresses)
    return result


def render(result: dict) -> str:
    lines = [f"map, {result['units']} units at 1 Hz, {result['seconds']:g} s × {result['rounds']} rounds "
             f"(medians; renderer = all QtWebEngineProcess CPU):"]
    for variant in VARIANTS:
        lines.append(f"  {variant:12s} renderer {result[f'{variant}_renderer_cpu_percent']:5.1f} %  "
                     f"GUI {result[f'{variant}_cpu_percent']:5.1f} %  first paint "
                     f"{result[f'{variant}_first_paint_s']:.2f} s  lateness p99 "
                     f"{result[f'{variant}_lateness_p99_ms']:.0f} ms")
    lines.append(f"  renderer ratio: page / bare DOM {result['ratio_vs_bare_dom']:.2f}×, "
                 f"page / bare canvas {result['ratio_vs_bare_canvas']:.2f}×")
    a = result.get("address")
    if a:
        lines.append(f"  {a['addresses']:,} generated addresses, index built in {a['build_s']:.1f} s; per query, "
                     f"p50 / p99:")
        lines.append(f"    reverse lookup {a['reverse_p50_us']:.0f} / {a['reverse_p99_us']:.0f} µs vs bare cKDTree "
                     f"{a['bare_kdtree_p50_us']:.0f} / {a['bare_kdtree_p99_us']:.0f} µs "
                     f"({a['reverse_ratio']:.2f}× at p50)")
        lines.append(f"    search {a['search_p50_us']:.0f} / {a['search_p99_us']:.0f} µs vs bare searchsorted "
                     f"{a['bare_searchsorted_p50_us']:.0f} / {a['bare_searchsorted_p99_us']:.0f} µs "
                     f"({a['search_ratio']:.1f}× at p50), {100 * a['search_found']:.0f} % found")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--addresses", type=int, default=1_000_000, help="0: skip the address figures")
    parser.add_argument("--quick", action="store_true", help="10 s, one round, 200 000 addresses")
    parser.add_argument("--child", choices=VARIANTS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    seconds = 10.0 if args.quick else args.seconds
    if args.child:
        print(json.dumps(child(args.child, args.units, seconds)), flush=True)
        return 0
    result = run(args.units, seconds, 1 if args.quick else args.rounds, 200_000 if args.quick else args.addresses)
    print(render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
