"""Travel times and routes: the :class:`Router` seam and the default :class:`GraphRouter`.

A **Router** answers two questions:

* ``eta(from_positions, to)`` — the road travel time (and distance) from many
  positions (the ambulances) to one (the incident). :class:`GraphRouter` runs ONE
  ``scipy.sparse.csgraph.dijkstra`` on the *reversed edge-based* graph (a vertex per
  directed road segment, an arc per allowed turn: turn restrictions and one-way streets
  are obeyed, see :mod:`app.routing.graph`) from the incident's road segment, capped at
  ``limit_s`` (default 60 min), and reads every unit's time from it with array
  operations (no per-unit Python loop; road distances come from a second, linear-size
  search over the shortest-path tree).
* ``route(a, b)`` — one route with its geometry, for ``dispatch120 route``, the map
  and the simulated ambulances.

A larger centre with an OSRM server can plug in its own Router (an adapter calling
OSRM's ``table``/``route`` services); none ships here because it could not be tested
honestly without an OSRM server on this machine — the Protocol is the seam.

Units and incidents are snapped to the nearest road (:mod:`app.routing.snap`). A unit
part-way along a two-way street may leave in either direction; along a one-way street only
its way; a unit standing on a junction (within :data:`AT_NODE_M`) may take any road that
leaves it — not only the direction of the segment the snap happened to pick. A unit
beyond the snapping limit is reported ``OFF_ROAD``, one with no road path within
the limit ``UNREACHABLE`` — never silently dropped. Pure computation, calling thread;
:class:`GraphRouter` may be shared between threads (a lock serialises the searches).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Literal, Protocol, overload

import numpy as np
from scipy.sparse.csgraph import dijkstra

from app.routing.graph import GRAPH_FILE, WALK_GRAPH_FILE, RoadGraph, ranges
from app.routing.snap import MAX_SNAP_M, Snap, Snapper

LatLon = tuple[float, float]
DEFAULT_LIMIT_S = 3600.0
# A position snapped this close to a junction stands on it: it may leave by any road out of it
# (GPS is far coarser; without this a unit at a junction is "on" whichever segment the snap chose).
AT_NODE_M = 0.5
_TINY = 1e-6  # scipy's csgraph takes a stored 0 for "no edge" in places: keep weights positive


class EtaProblem(StrEnum):
    OK = "ok"
    OFF_ROAD = "off_road"  # the position is farther than the snapping limit from any road
    UNREACHABLE = "unreachable"  # no road path (one-way, river, island) within the limit


@dataclass(frozen=True)
class Eta:
    """One origin's travel to the destination. ``seconds``/``distance_m`` are None unless ``problem`` is OK."""

    problem: EtaProblem
    seconds: float | None = None
    distance_m: float | None = None
    snap_m: float | None = None  # how far the origin was from the road


@dataclass(frozen=True)
class Route:
    seconds: float
    distance_m: float
    from_snap_m: float
    to_snap_m: float
    path: list[LatLon] = field(default_factory=list)  # snapped start, road nodes, snapped end


class Router(Protocol):
    """What dispatch needs from a routing engine (the OSRM seam)."""

    def eta(self, from_positions: Mapping[str, LatLon], to: LatLon, limit_s: float = DEFAULT_LIMIT_S,
            with_distance: bool = True) -> dict[str, Eta]:
        """Travel from each origin to ``to``. Raises SnapError if ``to`` is off the map."""
        ...

    def route(self, a: LatLon, b: LatLon, limit_s: float = DEFAULT_LIMIT_S) -> Route | None:
        """The fastest route a→b, or None if there is no road path within the limit. Raises SnapError."""
        ...


# The snapping index of each shared graph (~20 ms to build for Monaco), read-only once built: it
# lives as long as its graph, which RoadGraph.load keeps while the graph file is unchanged.
_SNAPPERS: weakref.WeakKeyDictionary[RoadGraph, Snapper] = weakref.WeakKeyDictionary()
_SNAPPERS_LOCK = threading.Lock()


def _shared_snapper(graph: RoadGraph) -> Snapper:
    with _SNAPPERS_LOCK:
        snapper = _SNAPPERS.get(graph)
        if snapper is None:
            snapper = Snapper(graph)
            for value in (snapper.seg_a, snapper.seg_b):
                value.setflags(write=False)
            _SNAPPERS[graph] = snapper
        return snapper


class GraphRouter:
    """The default Router: the imported road graph + scipy's Dijkstra.

    Args:
        graph: a loaded :class:`RoadGraph`.
        max_snap_m: positions farther than this from a road are refused / ``OFF_ROAD``.
        snapper: a :class:`Snapper` already built over ``graph`` (else one is built).
    """

    def __init__(self, graph: RoadGraph, max_snap_m: float = MAX_SNAP_M, snapper: Snapper | None = None) -> None:
        self.graph = graph
        self.snapper = snapper if snapper is not None else Snapper(graph)
        self.max_snap_m = max_snap_m
        self._lock = graph.search_lock  # the graph's turns_reverse is the searches' scratch

    @classmethod
    def for_city(cls, city_dir: Path, emergency_factor: float = 1.0, max_snap_m: float = MAX_SNAP_M,
                 profile: str = "drive") -> GraphRouter:
        """Load ``city_dir/roads.graph.npz`` (``profile="walk"``: ``walk.graph.npz``, no emergency factor).

        The graph and its snapping index are kept while the file is unchanged and shared by
        the routers made for the same file and factor (a second seat window loads nothing).

        Raises:
            GraphFileError: missing (→ re-import hint) or unreadable.
            ValueError: unknown profile.
        """
        if profile not in ("drive", "walk"):
            raise ValueError(f"unknown routing profile {profile!r}")
        if profile == "walk":
            path, emergency_factor = Path(city_dir) / WALK_GRAPH_FILE, 1.0
        else:
            path = Path(city_dir) / GRAPH_FILE
        graph = RoadGraph.load(path, emergency_factor)  # kept while the file is unchanged
        return cls(graph, max_snap_m, _shared_snapper(graph))

    def snap(self, position: LatLon) -> Snap:
        """Raises SnapError (too far / not a position)."""
        return self.snapper.snap(position[0], position[1], self.max_snap_m)

    # ------------------------------------------------------------ the one-to-many search
    def _target(self, a: int, b: int, t: float) -> _Target:
        """Where the search starts: the target's segment and the edges that arrive at it."""
        g = self.graph
        e_ab, e_ba = (int(x) for x in g.edge_ids(np.array([a, b]), np.array([b, a])))
        seg_m = float(g.edge_length_m[e_ab if e_ab >= 0 else e_ba])
        node = a if t * seg_m <= AT_NODE_M else b if (1 - t) * seg_m <= AT_NODE_M else -1
        if node >= 0:  # at a junction: arriving by any road into it
            edges = g.in_edges[g.in_ptr[node]:g.in_ptr[node + 1]]
            frac = np.ones(len(edges))
        else:  # part-way along: from a (fraction t of a→b) or from b (1 − t of b→a)
            pairs = [(e, f) for e, f in ((e_ab, t), (e_ba, 1 - t)) if e >= 0]
            edges = np.array([e for e, _ in pairs], dtype=np.int64)
            frac = np.array([f for _, f in pairs])
        order = np.argsort(edges)
        return _Target(a, b, t, node, edges[order], frac[order])

    @overload
    def _search(self, target: _Target, limit_s: float, with_pred: Literal[True]) -> tuple[np.ndarray, np.ndarray]: ...
    @overload
    def _search(self, target: _Target, limit_s: float, with_pred: bool) -> tuple[np.ndarray, np.ndarray | None]: ...

    def _search(self, target: _Target, limit_s: float, with_pred: bool) -> tuple[np.ndarray, np.ndarray | None]:
        """ONE reverse Dijkstra over the turn graph: per edge, seconds from its start to the target.

        Returns (seconds per edge vertex, predecessors incl. the virtual vertex, or None).
        """
        g = self.graph
        k, m = g.target_slots, g.n_edges
        cols = np.full(k, m, dtype=g.turns_reverse.indices.dtype)  # unused slots: a harmless self-loop
        weights = np.ones(k)
        cols[:len(target.edges)] = target.edges
        weights[:len(target.edges)] = np.maximum(target.frac * g.edge_seconds[target.edges], _TINY)
        ext = g.turns_reverse
        with self._lock:  # the virtual vertex's arcs are per query
            ext.indices[-k:] = cols
            ext.data[-k:] = weights
            result = dijkstra(ext, directed=True, indices=m, limit=limit_s, return_predecessors=with_pred)
        seconds, pred = (result if with_pred else (result, None))
        return seconds, pred

    def _metres(self, target: _Target, pred: np.ndarray) -> np.ndarray:
        """Road metres from each edge vertex's start to the target along the search's tree.

        Each reached vertex hangs from its predecessor, weighted by its own length (or the
        part of it up to the target). Sums along the tree by pointer jumping: every round
        adds the parent's partial sum and skips to the grandparent, so ⌈log2(depth)⌉ rounds
        of array operations replace walking every unit's path in Python. Unreached: inf.
        """
        g = self.graph
        m = g.n_edges
        parent = pred.astype(np.int64)
        first = np.flatnonzero(parent[:m] == m)  # the edges that reach the target themselves
        unreached = parent < 0
        parent[unreached] = m
        parent[m] = m
        total = np.zeros(m + 1)
        total[:m] = g.edge_length_m
        total[first] = target.frac[np.searchsorted(target.edges, first)] * g.edge_length_m[first]
        total[unreached] = np.inf
        total[m] = 0.0
        live = np.flatnonzero(parent != m)
        while len(live):
            up = parent[live]
            total[live] += total[up]
            parent[live] = parent[up]
            live = live[parent[live] != m]  # the vertices whose sum is complete drop out
        return total[:m]

    def _best(self, a: np.ndarray, b: np.ndarray, t: np.ndarray, target: _Target, seconds: np.ndarray,
              metres: np.ndarray | None) -> _Best:
        """Each origin's fastest way onto the search (vectorised over origins).

        An origin part-way along segment a–b drives to its end in an allowed direction and takes
        an allowed turn there (or reaches the target on the same segment / at that end); one on
        a junction takes any road out of it. Every such candidate is one row; the cheapest per
        origin wins.
        """
        g = self.graph
        sec, length = g.edge_seconds, g.edge_length_m
        n_units = len(a)
        rows = np.arange(n_units)
        pair = g.edge_ids(np.concatenate([a, b]), np.concatenate([b, a]))
        e_ab, e_ba = pair[:n_units], pair[n_units:]
        seg_m = length[np.where(e_ab >= 0, e_ab, e_ba)]
        node = np.where(t * seg_m <= AT_NODE_M, a, np.where((1 - t) * seg_m <= AT_NODE_M, b, -1))
        at_node = node >= 0
        parts: list[tuple[np.ndarray, ...]] = []  # (unit, seconds, metres before the vertex, vertex, lead edge)

        def add(unit, cost, lead_m, vertex, lead):
            parts.append((unit, cost, lead_m, vertex, lead))

        # On a junction: any road out of it (or already at the target's junction).
        u = rows[at_node]
        v = node[at_node]
        count = g.out_ptr[v + 1] - g.out_ptr[v]
        f = ranges(g.out_ptr[v], count)
        add(np.repeat(u, count), seconds[f], np.zeros(len(f)), f, np.full(len(f), -1))
        here = u[v == target.node]
        add(here, np.zeros(len(here)), np.zeros(len(here)), np.full(len(here), -1), np.full(len(here), -1))
        # Part-way along: to the end of the segment in each allowed direction, then an allowed turn.
        mid = ~at_node
        same = (a == target.a) & (b == target.b) & (target.node < 0)
        for e_all, rem_all, ahead in ((e_ab, 1 - t, t <= target.t), (e_ba, t, t >= target.t)):
            ok = mid & (e_all >= 0)
            u, e, rem = rows[ok], e_all[ok], rem_all[ok]
            count = g.turn_ptr[e + 1] - g.turn_ptr[e]
            f = g.turn_to[ranges(g.turn_ptr[e], count)]
            lead_s, lead_m = rem * sec[e], rem * length[e]
            add(np.repeat(u, count), np.repeat(lead_s, count) + seconds[f], np.repeat(lead_m, count), f,
                np.repeat(e, count))
            end = g.edge_dst[e] == target.node  # the target is the junction at this segment's end
            add(u[end], lead_s[end], lead_m[end], np.full(int(end.sum()), -1), e[end])
            direct = same[ok] & ahead[ok]  # the target further along the same segment
            dt = np.abs(target.t - t[ok][direct])
            add(u[direct], dt * sec[e[direct]], dt * length[e[direct]], np.full(len(dt), -1), e[direct])
        unit, cost, lead_m, vertex, lead = (np.concatenate(c) for c in zip(*parts, strict=True))
        best_s = np.full(n_units, np.inf)
        best_m = np.full(n_units, np.nan)
        best_vertex = np.full(n_units, -1)
        best_lead = np.full(n_units, -1)
        if len(unit):
            order = np.lexsort((cost, unit))
            unit, cost, lead_m, vertex, lead = unit[order], cost[order], lead_m[order], vertex[order], lead[order]
            first = np.ones(len(unit), dtype=bool)
            first[1:] = unit[1:] != unit[:-1]
            w = unit[first]
            best_s[w], best_vertex[w], best_lead[w] = cost[first], vertex[first], lead[first]
            if metres is not None:
                vx = vertex[first]
                best_m[w] = lead_m[first] + np.where(vx >= 0, metres[np.maximum(vx, 0)], 0.0)
        return _Best(best_s, best_m, best_vertex, best_lead)

    def _path(self, target: _Target, best_vertex: int, best_lead: int, pred: np.ndarray) -> tuple[list[int], float]:
        """The road nodes driven after the origin's point, and the metres from the start of ``best_vertex``.

        Walks the predecessors one edge at a time (one route: the map and the simulator need
        its nodes anyway).
        """
        g = self.graph
        m = g.n_edges
        nodes: list[int] = []
        if best_lead >= 0:
            nodes.append(int(g.edge_dst[best_lead]))
        if best_vertex < 0:  # no further edge: the target was on the origin's segment or at its end
            if best_lead >= 0 and int(g.edge_dst[best_lead]) != target.node:
                nodes.pop()
            return nodes, 0.0
        if best_lead < 0:
            nodes.append(int(g.edge_src[best_vertex]))
        metres = 0.0
        edge = best_vertex
        while True:
            nxt = int(pred[edge])
            if nxt == m or nxt < 0:  # < 0 cannot happen for a finite time; guards a corrupt graph
                pos = int(np.searchsorted(target.edges, edge))
                metres += float(target.frac[pos] * g.edge_length_m[edge])
                if target.node >= 0:
                    nodes.append(int(g.edge_dst[edge]))
                return nodes, metres
            metres += float(g.edge_length_m[edge])
            nodes.append(int(g.edge_dst[edge]))
            edge = nxt

    # ------------------------------------------------------------ the Router API
    def eta(self, from_positions: Mapping[str, LatLon], to: LatLon, limit_s: float = DEFAULT_LIMIT_S,
            with_distance: bool = True) -> dict[str, Eta]:
        """See :class:`Router`. One reverse Dijkstra for all origins.

        Raises:
            SnapError: ``to`` is not a position or is too far from any road.
        """
        end = self.snap(to)
        target = self._target(end.a, end.b, end.t)
        seconds, pred = self._search(target, limit_s, with_distance)
        metres = self._metres(target, pred) if pred is not None else None  # pred: with_distance
        keys = list(from_positions)
        snaps = self.snapper.snap_arrays([from_positions[k] for k in keys], self.max_snap_m)
        ok = snaps.a >= 0
        best = self._best(snaps.a[ok], snaps.b[ok], snaps.t[ok], target, seconds, metres)
        all_s = np.full(len(keys), np.inf)
        all_s[ok] = best.seconds
        reached = np.isfinite(all_s) & (all_s <= limit_s)
        all_m = np.full(len(keys), np.nan)
        all_m[ok] = best.metres
        out: dict[str, Eta] = {}
        for i, (key, s, d, snap_m, good) in enumerate(zip(keys, all_s.tolist(), all_m.tolist(),
                                                           snaps.distance_m.tolist(), reached.tolist(), strict=True)):
            error = snaps.errors.get(i)
            if error is not None:
                out[key] = Eta(EtaProblem.OFF_ROAD, snap_m=error.distance_m)
            elif not good:
                out[key] = Eta(EtaProblem.UNREACHABLE, snap_m=snap_m)
            else:
                out[key] = Eta(EtaProblem.OK, s, d if with_distance else None, snap_m)
        return out

    def route(self, a: LatLon, b: LatLon, limit_s: float = DEFAULT_LIMIT_S) -> Route | None:
        """See :class:`Router`. Raises SnapError for either end."""
        origin, end = self.snap(a), self.snap(b)
        target = self._target(end.a, end.b, end.t)
        seconds, pred = self._search(target, limit_s, True)
        best = self._best(np.array([origin.a]), np.array([origin.b]), np.array([origin.t]), target, seconds, None)
        total_s = float(best.seconds[0])
        if not np.isfinite(total_s) or total_s > limit_s:
            return None
        vertex, lead = int(best.vertex[0]), int(best.lead[0])
        nodes, metres = self._path(target, vertex, lead, pred)
        g = self.graph
        if lead >= 0:  # the part of the origin's segment driven first (or up to the target on it)
            rem = 1 - origin.t if int(g.edge_dst[lead]) == origin.b else origin.t
            if vertex < 0 and int(g.edge_dst[lead]) != target.node:
                rem = abs(target.t - origin.t)
            metres += rem * float(g.edge_length_m[lead])
        path: list[LatLon] = [(origin.lat, origin.lon)]
        path += [(float(g.lat[n]), float(g.lon[n])) for n in nodes]
        path.append((end.lat, end.lon))
        return Route(total_s, metres, origin.distance_m, end.distance_m, path)


@dataclass(frozen=True)
class _Target:
    """The target's segment a–b at fraction t, the junction it stands on (-1: none), and the
    edges that reach it (sorted) with the fraction of each driven to get there."""

    a: int
    b: int
    t: float
    node: int
    edges: np.ndarray
    frac: np.ndarray


@dataclass(frozen=True)
class _Best:
    """Per origin: seconds and metres to the target, the first edge vertex of the search it
    joins (-1: none) and the origin's own segment driven first (-1: it starts on a junction)."""

    seconds: np.ndarray
    metres: np.ndarray
    vertex: np.ndarray
    lead: np.ndarray
