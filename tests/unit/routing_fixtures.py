"""A tiny synthetic road network for the routing and recommendation tests.

Near 30.0 N, 120.0 E (0.001° ≈ 111 m north, ≈ 96 m east). All made up:

* Main Street (residential, 30 km/h): nodes 1..11 west → east along lat 30.000,
  lon 120.000 + k·0.001 — about 960 m;
* Far Bank Road: nodes 21..23 along lat 30.0015, lon 120.008..120.010 — 167 m north of
  Main Street across a river, with **no bridge** (not connected);
* a one-way triangle: 51 → 52 one-way (Short Lane), 52 → 53 → 51 two-way (Long Way round),
  south of Main Street and not connected to it;
* a footway from node 11 east (not drivable);
* two junctions with turn restrictions and a legal detour each (:func:`turn_roads`);
* :func:`reference_travel`, a plain heapq Dijkstra the engine's answers are checked against.
"""

from __future__ import annotations

import heapq
import math

import numpy as np

from app.mapdata.osm import RoadWay, TurnRestriction
from app.routing.engine import AT_NODE_M, GraphRouter
from app.routing.graph import RoadGraph, build_arrays
from app.routing.snap import Snap

LAT0, LON0 = 30.0, 120.0
STEP = 0.001


def at(dlat: float, dlon: float) -> tuple[float, float]:
    return (LAT0 + dlat * STEP, LON0 + dlon * STEP)


def main_street(k: int) -> tuple[float, float]:
    """Position of Main Street node k+1 (k = 0..10)."""
    return at(0, k)


FAR_BANK_UNIT = at(1.5, 9)  # on Far Bank Road, 167 m from Main Street's node 10
INCIDENT = main_street(9)  # on Main Street, east end
TRIANGLE_A, TRIANGLE_B, TRIANGLE_C = at(-10, 0), at(-10, 2), at(-12, 1)


def roads() -> list[RoadWay]:
    main_ids = list(range(1, 12))
    return [
        RoadWay(100, "residential", {"name": "Main Street"}, {}, main_ids, [main_street(k) for k in range(11)]),
        RoadWay(200, "residential", {"name": "Far Bank Road"}, {}, [21, 22, 23], [at(1.5, 8), at(1.5, 9), at(1.5, 10)]),
        RoadWay(300, "residential", {"name": "Short Lane"}, {"oneway": "yes"}, [51, 52], [TRIANGLE_A, TRIANGLE_B]),
        RoadWay(301, "residential", {"name": "Long Way"}, {}, [52, 53, 51], [TRIANGLE_B, TRIANGLE_C, TRIANGLE_A]),
        RoadWay(400, "footway", {}, {}, [11, 61], [main_street(10), at(0, 12)]),
    ]


def router() -> GraphRouter:
    return GraphRouter(RoadGraph(build_arrays(roads())))


# ---------------------------------------------------------------- turn restrictions
# Two junctions, each with a legal detour round a loop (all two-way, residential):
#
#   N ---- NE        no_left_turn at J: from Westgate (W→J) onto North Lane (J→N);
#   |      |         the shortest way W→N (left at J) is forbidden, the legal one goes
#   W ---- J ---- E  straight on to E and round by NE.     (lat offset -30)
#
#   W ---- J ---- E  only_straight_on at J: from Westgate onto Eastgate; the shortest way
#          |      |  W→S (right at J) is forbidden, the legal one goes on to E, SE, S.
#          S ---- SE                                         (lat offset -40)
LEFT_W, LEFT_J, LEFT_E, LEFT_N, LEFT_NE = at(-30, 0), at(-30, 2), at(-30, 4), at(-28, 2), at(-28, 4)
STRAIGHT_W, STRAIGHT_J, STRAIGHT_E, STRAIGHT_S, STRAIGHT_SE = at(-40, 0), at(-40, 2), at(-40, 4), at(-42, 2), at(-42, 4)


def turn_roads() -> list[RoadWay]:
    def way(osm_id: int, name: str, ids: list[int], coords: list[tuple[float, float]]) -> RoadWay:
        return RoadWay(osm_id, "residential", {"name": name}, {}, ids, coords)

    return [
        way(710, "Westgate", [701, 702], [LEFT_W, LEFT_J]),
        way(711, "Eastgate", [702, 703], [LEFT_J, LEFT_E]),
        way(712, "North Lane", [702, 704], [LEFT_J, LEFT_N]),
        way(713, "Loop", [703, 705, 704], [LEFT_E, LEFT_NE, LEFT_N]),
        way(720, "Westgate", [801, 802], [STRAIGHT_W, STRAIGHT_J]),
        way(721, "Eastgate", [802, 803], [STRAIGHT_J, STRAIGHT_E]),
        way(722, "South Lane", [802, 804], [STRAIGHT_J, STRAIGHT_S]),
        way(723, "Loop", [803, 805, 804], [STRAIGHT_E, STRAIGHT_SE, STRAIGHT_S]),
    ]


def turn_restrictions() -> list[TurnRestriction]:
    return [
        TurnRestriction(9001, "no_left_turn", [710], [702], [], [712]),
        TurnRestriction(9002, "only_straight_on", [720], [802], [], [721]),
    ]


# ---------------------------------------------------------------- a reference router


_TABLES: dict[tuple[int, float], tuple] = {}


def _reference_tables(graph: RoadGraph) -> tuple:
    """Plain Python lists and dicts of a graph's edges (built once per graph)."""
    key = (id(graph.arrays), graph.emergency_factor)  # the seconds depend on the factor
    if key not in _TABLES:
        arrays = graph.arrays
        src, dst = arrays.src.tolist(), arrays.dst.tolist()
        sec = (arrays.seconds.astype(np.float64) / graph.emergency_factor).tolist()
        length = arrays.length_m.astype(np.float64).tolist()
        edge = {(u, v): i for i, (u, v) in enumerate(zip(src, dst, strict=True))}
        out: dict[int, list[int]] = {}
        for i, u in enumerate(src):
            out.setdefault(u, []).append(i)
        banned = set(zip(arrays.ban_from.tolist(), arrays.ban_via.tolist(), arrays.ban_to.tolist(), strict=True))
        _TABLES.clear()
        # The arrays are kept with their tables: while kept, no other graph's arrays get their id.
        _TABLES[key] = (arrays, (src, dst, sec, length, edge, out, banned, arrays.meta.get("profile") == "walk", {}))
    return _TABLES[key][1]


def reference_travel(graph: RoadGraph, origin: Snap, target: Snap) -> tuple[float, float] | None:
    """(seconds, metres) origin → target by a plain heapq Dijkstra, written apart from the engine.

    States are "arrived at an edge's end by that edge"; a turn is allowed unless banned or a
    U-turn where another road leaves (walking: every turn). A position within AT_NODE_M of a
    junction stands on it. None: no path.
    """
    src, dst, sec, length, edge, out, banned, walking, allowed = _reference_tables(graph)

    def turns(e: int) -> list[int]:
        if e in allowed:  # the same for every search over this graph: worked out once per edge
            return allowed[e]
        u, v = src[e], dst[e]
        onward = [f for f in out.get(v, []) if (u, v, dst[f]) not in banned]
        if not walking and [f for f in out.get(v, []) if dst[f] != u]:
            onward = [f for f in onward if dst[f] != u]
        allowed[e] = onward
        return onward

    def place(s: Snap) -> tuple[int, dict[int, float]]:
        """(junction or -1, {edge: fraction of it driven to reach the point})."""
        ab, ba = edge.get((s.a, s.b)), edge.get((s.b, s.a))
        seg = length[ab if ab is not None else ba]
        if s.t * seg <= AT_NODE_M:
            return s.a, {}
        if (1 - s.t) * seg <= AT_NODE_M:
            return s.b, {}
        return -1, {e: f for e, f in ((ab, s.t), (ba, 1 - s.t)) if e is not None}

    target_node, target_on = place(target)
    origin_node, _ = place(origin)
    best = (math.inf, math.inf)
    heap: list[tuple[float, float, int]] = []
    if origin_node >= 0:
        if origin_node == target_node:
            return 0.0, 0.0
        for f in out.get(origin_node, []):
            if f in target_on:
                best = min(best, (target_on[f] * sec[f], target_on[f] * length[f]))
            heapq.heappush(heap, (sec[f], length[f], f))
    else:
        for e, rem in ((edge.get((origin.a, origin.b)), 1 - origin.t), (edge.get((origin.b, origin.a)), origin.t)):
            if e is None:
                continue
            if e in target_on and target_node < 0 and (origin.a, origin.b) == (target.a, target.b):
                ahead = target_on[e] - (1 - rem)  # the target's fraction along e minus the origin's
                if ahead >= 0:
                    best = min(best, (ahead * sec[e], ahead * length[e]))
            heapq.heappush(heap, (rem * sec[e], rem * length[e], e))
    settled: set[int] = set()
    while heap:
        seconds, metres, e = heapq.heappop(heap)
        if seconds >= best[0]:
            break
        if e in settled:
            continue
        settled.add(e)
        if dst[e] == target_node:
            best = min(best, (seconds, metres))
        for f in turns(e):
            if f in target_on:
                best = min(best, (seconds + target_on[f] * sec[f], metres + target_on[f] * length[f]))
            if f not in settled:
                heapq.heappush(heap, (seconds + sec[f], metres + length[f], f))
    return None if math.isinf(best[0]) else best
