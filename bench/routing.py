"""``python -m bench routing``: road graph build time and memory, ETA from 200 units to one incident.

Figures, on the demo city (``monaco.osm.pbf``) and on a synthetic grid city of about
200 000 road nodes (447 × 447 streets 100 m apart, every 10th an arterial at 50 km/h,
every 4th side street one-way):

* graph build: time of :func:`app.routing.graph.build_arrays` from the extract's roads
  (plus the pyosmium read for Monaco), peak Python memory during it (tracemalloc), and
  the loaded graph's size (arrays + CSR matrices + snapping index);
* file: ``roads.graph.npz`` size and load time;
* ETA: 200 units at random road positions → one random incident, one reverse Dijkstra
  over the edge-based (turn) graph capped at 60 min (:meth:`GraphRouter.eta`), p50/p99
  over ``queries`` incidents, without and with road distances, and as a ratio to the
  bare ``scipy.sparse.csgraph.dijkstra`` on the same turn graph from the same incident in
  the same run (goal: with distances ≤ 3×). Goal: < 50 ms on the large city.
* Monaco road distances vs an independent router: a plain ``heapq`` Dijkstra written here,
  over the ways and ``type=restriction`` relations read straight from the ``.osm.pbf``
  with pyosmium (states = (previous node, node); U-turns only at dead ends, as OSRM's car
  profile), between random pairs of road nodes. OSRM itself is not built here (its PyPI
  wheels need Python ≥ 3.12). The same pairs without restrictions show what they change.

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
                                   g.arrays.seconds, g.arrays.length_m, g._keys, g._order, g._seconds, g._length,
                                   g.edge_src, g.edge_dst, g.out_ptr, g.in_ptr, g.in_edges, g.turn_ptr, g.turn_to))
    for m in (g.forward, g.reverse, g.turns_reverse):
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

    from scipy.sparse.csgraph import dijkstra

    fast, full, bare, reached = [], [], [], []
    for _ in range(queries):
        units = {f"u{i}": somewhere() for i in range(UNITS)}
        incident = somewhere()
        router.eta(units, incident, with_distance=False)  # leaves this incident's arcs in the turn graph
        t0 = time.perf_counter()
        dijkstra(g.turns_reverse, directed=True, indices=g.n_edges, limit=3600.0, return_predecessors=True)
        bare.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        etas = router.eta(units, incident, with_distance=False)
        fast.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        router.eta(units, incident, with_distance=True)
        full.append(time.perf_counter() - t0)
        reached.append(sum(1 for e in etas.values() if e.seconds is not None))
    ratio = float(np.median(np.array(full) / np.array(bare)))
    return {"name": name, "nodes": g.n_nodes, "edges": int(len(g.arrays.src)), "turns": int(len(g.turn_to)),
            "bare_dijkstra": summary_ms(bare), "eta_over_bare_median": ratio, "read_s": read_s,
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
    return {"cities": [monaco, grid], "goal_ms": 50.0, "versus": versus_independent(pairs=4 * queries)}


# ------------------------------------------------------------ an independent router, for the distances


def _osm_road_network(path: Path) -> tuple[dict, dict, list]:
    """Straight from the file: node positions, drivable ways (node ids, directions, km/h), restrictions."""
    import osmium

    from app.routing.graph import SPEEDS_KMH, directions, parse_maxspeed

    ways: dict[int, tuple[list[int], bool, bool, float]] = {}
    where: dict[int, tuple[float, float]] = {}
    restrictions: list[tuple[str, list[int], list[int], list[int], bool]] = []

    class Reader(osmium.SimpleHandler):
        def way(self, w):
            highway = w.tags.get("highway")
            tags = {t.k: t.v for t in w.tags}
            allowed = directions(highway, tags) if highway else None
            if allowed is None:
                return
            nodes = [n for n in w.nodes if n.location.valid()]
            for n in nodes:
                where[n.ref] = (n.location.lat, n.location.lon)
            speed = parse_maxspeed(tags.get("maxspeed")) or SPEEDS_KMH[highway]
            ways[w.id] = ([n.ref for n in nodes], allowed[0], allowed[1], speed)

        def relation(self, r):
            if r.tags.get("type") != "restriction":
                return
            kind = r.tags.get("restriction:motorcar") or r.tags.get("restriction") or ""
            role = {"from": [], "via": [], "to": []}
            via_way = False
            for m in r.members:
                if m.role in role:
                    role[m.role].append(m.ref)
                    via_way |= m.role == "via" and m.type == "w"
            restrictions.append((kind, role["from"], role["via"], role["to"], via_way))

    Reader().apply_file(str(path), locations=True, idx="flex_mem")
    return ways, where, restrictions


def _haversine_m(p: tuple[float, float], q: tuple[float, float]) -> float:
    import math

    la1, lo1, la2, lo2 = map(math.radians, (p[0], p[1], q[0], q[1]))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(min(1.0, math.sqrt(h)))


class IndependentRouter:
    """Node-pair states ``(came_from, at)``; arcs only for allowed turns. Written apart from app.routing."""

    def __init__(self, ways: dict, where: dict, restrictions: list, use_restrictions: bool = True) -> None:
        self.arcs: dict[int, dict[int, tuple[float, float]]] = {}
        for ids, fwd, bwd, kmh in ways.values():
            for p, q in zip(ids, ids[1:], strict=False):
                if p == q:
                    continue
                metres = _haversine_m(where[p], where[q])
                seconds = max(metres / (kmh / 3.6), 0.01)
                for a, b, ok in ((p, q, fwd), (q, p, bwd)):
                    if ok and (b not in self.arcs.get(a, {}) or seconds < self.arcs[a][b][0]):
                        self.arcs.setdefault(a, {})[b] = (seconds, metres)
        self.banned: set[tuple[int, int, int]] = set()
        self.only: dict[tuple[int, int], set[int]] = {}
        if not use_restrictions:
            return
        for kind, froms, vias, tos, via_way in restrictions:
            if via_way or len(vias) != 1:
                continue
            v = vias[0]
            before = {n for w in froms for n in self._beside(ways, w, v) if v in self.arcs.get(n, {})}
            after = {n for w in tos for n in self._beside(ways, w, v) if n in self.arcs.get(v, {})}
            for x in before:
                if kind == "no_u_turn":
                    self.banned.add((x, v, x))
                elif kind.startswith("no_"):
                    self.banned.update((x, v, y) for y in after)
                elif kind.startswith("only_") and after:
                    self.only[(x, v)] = self.only.get((x, v), set()) | after

    @staticmethod
    def _beside(ways: dict, way: int, via: int) -> list[int]:
        ids = ways.get(way, ([],))[0]
        return [ids[i + d] for i, n in enumerate(ids) if n == via for d in (-1, 1)
                if 0 <= i + d < len(ids) and ids[i + d] != via]

    def _turns(self, x: int, v: int):
        onward = self.arcs.get(v, {})
        dead_end = all(y == x for y in onward)
        allowed = self.only.get((x, v))
        for y, cost in onward.items():
            if (y == x and not dead_end) or (x, v, y) in self.banned or (allowed is not None and y not in allowed):
                continue
            yield y, cost

    def travel(self, start: int, goal: int) -> tuple[float, float] | None:
        """(seconds, metres) of the fastest legal drive from road node ``start`` to ``goal``."""
        import heapq

        if start == goal:
            return 0.0, 0.0
        heap = [(s, m, start, y) for y, (s, m) in self.arcs.get(start, {}).items()]
        heapq.heapify(heap)
        done: set[tuple[int, int]] = set()
        while heap:
            seconds, metres, x, v = heapq.heappop(heap)
            if (x, v) in done:
                continue
            if v == goal:
                return seconds, metres
            done.add((x, v))
            for y, (s, m) in self._turns(x, v):
                if (v, y) not in done:
                    heapq.heappush(heap, (seconds + s, metres + m, v, y))
        return None


def versus_independent(pairs: int = 200, seed: int = 122) -> dict[str, Any]:
    """Monaco: :meth:`GraphRouter.route` vs :class:`IndependentRouter` between random road nodes."""
    from app.mapdata.osm import read_extract
    from app.routing.engine import GraphRouter
    from app.routing.graph import RoadGraph, build_arrays

    extract = read_extract(SOURCE)
    router = GraphRouter(RoadGraph(build_arrays(extract.roads, restrictions=extract.restrictions)))
    ways, where, restrictions = _osm_road_network(SOURCE)
    legal, free = IndependentRouter(ways, where, restrictions), IndependentRouter(ways, where, [], False)
    g = router.graph
    rng = random.Random(seed)
    nodes = [int(n) for n in np.flatnonzero(np.diff(g.out_ptr) > 0)]
    ds, dm, changed, shorter = [], [], 0, []
    for _ in range(pairs):
        a, b = rng.choice(nodes), rng.choice(nodes)
        ours = router.route((float(g.lat[a]), float(g.lon[a])), (float(g.lat[b]), float(g.lon[b])), limit_s=7200)
        theirs = legal.travel(int(g.arrays.osm_id[a]), int(g.arrays.osm_id[b]))
        unrestricted = free.travel(int(g.arrays.osm_id[a]), int(g.arrays.osm_id[b]))
        if ours is None or theirs is None:
            ds.append(0.0 if ours is None and theirs is None else float("inf"))
            continue
        ds.append(abs(ours.seconds - theirs[0]))
        dm.append(abs(ours.distance_m - theirs[1]))
        if unrestricted is not None and unrestricted[1] < theirs[1] - 1.0:
            changed += 1
            shorter.append(1 - unrestricted[1] / theirs[1])
    return {"pairs": pairs, "restrictions": len(restrictions), "max_abs_s": max(ds), "max_abs_m": max(dm, default=0.0),
            "p99_abs_m": float(np.percentile(dm, 99)) if dm else 0.0, "changed_by_restrictions": changed,
            "unrestricted_shorter_max": max(shorter, default=0.0)}


def render(r: dict[str, Any]) -> str:
    lines = [f"routing: ETA from {r['cities'][0]['units']} units to one incident (one reverse Dijkstra, 60-min cap)"]
    for c in r["cities"]:
        read = f", pbf read {c['read_s']:.2f} s" if c["read_s"] is not None else ""
        lines.append(f"  {c['name']}: {c['nodes']} nodes, {c['edges']} edges; build {c['build_s']:.2f} s{read}, "
                     f"peak {c['build_peak_mb']:.0f} MB; in memory {c['graph_mb']:.1f} MB; file "
                     f"{c['file_mb']:.2f} MB, load {c['load_s'] * 1000:.0f} ms")
        lines.append(f"    turn graph: {c['edges']} edge vertices, {c['turns']} allowed turns")
        for key in ("bare_dijkstra", "eta", "eta_with_distance"):
            f = c[key]
            lines.append(f"    {key:<18} p50 {f['p50_ms']:.2f} ms  p99 {f['p99_ms']:.2f} ms  max {f['max_ms']:.2f} ms "
                         f"(n={f['n']}, {c['units_reached_mean']:.0f} units reached on average)")
        lines.append(f"    eta_with_distance / bare Dijkstra (same incident, same run): median "
                     f"{c['eta_over_bare_median']:.2f}x (goal <= 3x)")
    big = r["cities"][-1]["eta"]["p99_ms"]
    lines.append(f"  goal < {r['goal_ms']:.0f} ms on the large city: {'met' if big < r['goal_ms'] else 'NOT met'} "
                 f"(p99 {big:.1f} ms)")
    v = r["versus"]
    lines.append(f"  Monaco vs an independent heapq Dijkstra over the raw OSM ways + {v['restrictions']} restrictions, "
                 f"{v['pairs']} random node pairs: max |dt| {v['max_abs_s']:.4f} s, max |d distance| "
                 f"{v['max_abs_m']:.3f} m (p99 {v['p99_abs_m']:.3f} m); restrictions lengthen "
                 f"{v['changed_by_restrictions']} routes, the unrestricted one up to "
                 f"{100 * v['unrestricted_shorter_max']:.0f} % shorter")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(run()))
