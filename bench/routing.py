"""``python -m bench routing``: road graph build time and memory, ETA from 200 units to one incident.

Figures, on the demo city (``monaco.osm.pbf``) and on a synthetic grid city of about
200 000 road nodes (447 × 447 streets 100 m apart, every 10th an arterial at 50 km/h,
every 4th side street one-way):

* graph build: time of :func:`app.routing.graph.build_arrays` from the extract's roads
  (plus the pyosmium read for Monaco), peak Python memory during it (tracemalloc), and
  the loaded graph's size (arrays + CSR matrices + snapping index);
* file: ``roads.graph.npz`` size and load time;
* ETA: 200 units at random road positions → one random incident, one reverse Dijkstra
  capped at 60 min (:meth:`GraphRouter.eta`), p50/p99 over ``queries`` incidents,
  without and with road distances (path walk). Goal: < 50 ms on the large city.

Runs in this process; no server. Single-threaded, so the figures are per core.
"""

from __future__ import annotations

import random
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

from bench.stats import summary_ms

SOURCE = Path("/work/shared/data/monaco.osm.pbf")
UNITS = 200


def grid_roads(side: int = 447, spacing_m: float = 100.0, lat0: float = 29.40, lon0: float = 106.40) -> list:
    """A synthetic city: ``side`` × ``side`` intersections, streets both ways (some one-way)."""
    from app.mapdata.osm import RoadWay

    dlat = spacing_m / 111_195.0
    dlon = dlat / np.cos(np.radians(lat0))
    roads = []
    for i in range(side):
        klass = "primary" if i % 10 == 0 else "residential"
        tags = {"oneway": "yes"} if i % 4 == 3 and klass == "residential" else {}
        row_ids = [i * side + j + 1 for j in range(side)]
        roads.append(RoadWay(i, klass, {}, tags, row_ids, [(lat0 + i * dlat, lon0 + j * dlon) for j in range(side)]))
        col_ids = [j * side + i + 1 for j in range(side)]
        roads.append(RoadWay(side + i, klass, {}, dict(tags), col_ids,
                             [(lat0 + j * dlat, lon0 + i * dlon) for j in range(side)]))
    return roads


def _graph_bytes(router: Any) -> int:
    g = router.graph
    total = sum(a.nbytes for a in (g.arrays.lat, g.arrays.lon, g.arrays.osm_id, g.arrays.src, g.arrays.dst,
                                   g.arrays.seconds, g.arrays.length_m, g._keys, g._order, g._seconds, g._length))
    for m in (g.forward, g.reverse):
        total += m.data.nbytes + m.indices.nbytes + m.indptr.nbytes
    s = router.snapper
    total += sum(a.nbytes for a in (s.seg_a, s.seg_b, s._parent, s._t0, s._t1, s._ax, s._ay, s._dx, s._dy, s._len2))
    return total


def _measure(name: str, roads: list, read_s: float | None, queries: int, seed: int) -> dict[str, Any]:
    from app.routing.engine import GraphRouter
    from app.routing.graph import RoadGraph, build_arrays, load_arrays, save

    tracemalloc.start()
    t0 = time.perf_counter()
    arrays = build_arrays(roads)
    build_s = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    with tempfile.TemporaryDirectory(prefix="bench-routing-") as tmp:
        path = Path(tmp) / "roads.graph.npz"
        file_bytes = save(arrays, path)
        t0 = time.perf_counter()
        router = GraphRouter(RoadGraph(load_arrays(path), emergency_factor=1.2))
        load_s = time.perf_counter() - t0
    g = router.graph
    rng = random.Random(seed)

    def somewhere() -> tuple[float, float]:
        node = rng.randrange(g.n_nodes)
        return float(g.lat[node]) + rng.uniform(-2e-4, 2e-4), float(g.lon[node]) + rng.uniform(-2e-4, 2e-4)

    fast, full, reached = [], [], []
    for _ in range(queries):
        units = {f"u{i}": somewhere() for i in range(UNITS)}
        incident = somewhere()
        t0 = time.perf_counter()
        etas = router.eta(units, incident, with_distance=False)
        fast.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        router.eta(units, incident, with_distance=True)
        full.append(time.perf_counter() - t0)
        reached.append(sum(1 for e in etas.values() if e.seconds is not None))
    return {"name": name, "nodes": g.n_nodes, "edges": int(len(g.arrays.src)), "read_s": read_s,
            "build_s": build_s, "build_peak_mb": peak / 1e6, "graph_mb": _graph_bytes(router) / 1e6,
            "file_mb": file_bytes / 1e6, "load_s": load_s, "eta": summary_ms(fast), "eta_with_distance":
            summary_ms(full), "units_reached_mean": float(np.mean(reached)), "units": UNITS}


def run(queries: int = 50, grid_side: int = 447) -> dict[str, Any]:
    from app.mapdata.osm import read_extract

    t0 = time.perf_counter()
    extract = read_extract(SOURCE)
    read_s = time.perf_counter() - t0
    monaco = _measure("monaco", extract.roads, read_s, queries, 120)
    del extract
    grid = _measure(f"grid {grid_side}x{grid_side}", grid_roads(grid_side), None, queries, 121)
    return {"cities": [monaco, grid], "goal_ms": 50.0}


def render(r: dict[str, Any]) -> str:
    lines = [f"routing: ETA from {r['cities'][0]['units']} units to one incident (one reverse Dijkstra, 60-min cap)"]
    for c in r["cities"]:
        read = f", pbf read {c['read_s']:.2f} s" if c["read_s"] is not None else ""
        lines.append(f"  {c['name']}: {c['nodes']} nodes, {c['edges']} edges; build {c['build_s']:.2f} s{read}, "
                     f"peak {c['build_peak_mb']:.0f} MB; in memory {c['graph_mb']:.1f} MB; file "
                     f"{c['file_mb']:.2f} MB, load {c['load_s'] * 1000:.0f} ms")
        for key in ("eta", "eta_with_distance"):
            f = c[key]
            lines.append(f"    {key:<18} p50 {f['p50_ms']:.1f} ms  p99 {f['p99_ms']:.1f} ms  max {f['max_ms']:.1f} ms "
                         f"(n={f['n']}, {c['units_reached_mean']:.0f} units reached on average)")
    big = r["cities"][-1]["eta"]["p99_ms"]
    lines.append(f"  goal < {r['goal_ms']:.0f} ms on the large city: {'met' if big < r['goal_ms'] else 'NOT met'} "
                 f"(p99 {big:.1f} ms)")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(run()))
