"""Travel times and routes: the :class:`Router` seam and the default :class:`GraphRouter`.

A **Router** answers two questions:

* ``eta(from_positions, to)`` — the road travel time (and distance) from many
  positions (the ambulances) to one (the incident). :class:`GraphRouter` runs ONE
  ``scipy.sparse.csgraph.dijkstra`` on the *reversed* graph from the incident's road
  segment, capped at ``limit_s`` (default 60 min), and reads every unit's time from it.
* ``route(a, b)`` — one route with its geometry, for ``dispatch120 route``, the map
  and the simulated ambulances.

A larger centre with an OSRM server can plug in its own Router (an adapter calling
OSRM's ``table``/``route`` services); none ships here because it could not be tested
honestly without an OSRM server on this machine — the Protocol is the seam.

Units and incidents are snapped to the nearest road (:mod:`app.routing.snap`); a
unit beyond the snapping limit is reported ``OFF_ROAD``, one with no road path within
the limit ``UNREACHABLE`` — never silently dropped. Pure computation, calling thread;
:class:`GraphRouter` may be shared between threads (a lock serialises the searches).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Protocol

import numpy as np
from scipy.sparse.csgraph import dijkstra

from app.routing.graph import GRAPH_FILE, WALK_GRAPH_FILE, RoadGraph
from app.routing.snap import MAX_SNAP_M, Snap, SnapError, Snapper

LatLon = tuple[float, float]
DEFAULT_LIMIT_S = 3600.0


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


class GraphRouter:
    """The default Router: the imported road graph + scipy's Dijkstra.

    Args:
        graph: a loaded :class:`RoadGraph`.
        max_snap_m: positions farther than this from a road are refused / ``OFF_ROAD``.
    """

    def __init__(self, graph: RoadGraph, max_snap_m: float = MAX_SNAP_M) -> None:
        self.graph = graph
        self.snapper = Snapper(graph)
        self.max_snap_m = max_snap_m
        self._lock = threading.Lock()

    @classmethod
    def for_city(cls, city_dir: Path, emergency_factor: float = 1.0, max_snap_m: float = MAX_SNAP_M,
                 profile: str = "drive") -> GraphRouter:
        """Load ``city_dir/roads.graph.npz`` (``profile="walk"``: ``walk.graph.npz``, no emergency factor).

        Raises:
            GraphFileError: missing (→ re-import hint) or unreadable.
            ValueError: unknown profile.
        """
        if profile not in ("drive", "walk"):
            raise ValueError(f"unknown routing profile {profile!r}")
        if profile == "walk":
            return cls(RoadGraph.load(Path(city_dir) / WALK_GRAPH_FILE), max_snap_m)
        return cls(RoadGraph.load(Path(city_dir) / GRAPH_FILE, emergency_factor), max_snap_m)

    def snap(self, position: LatLon) -> Snap:
        """Raises SnapError (too far / not a position)."""
        return self.snapper.snap(position[0], position[1], self.max_snap_m)

    # ------------------------------------------------------------ the one-to-many search
    def _to_target(self, target: Snap, limit_s: float, with_pred: bool):
        """ONE reverse Dijkstra from the target point: per node, seconds to drive to it.

        The target sits on segment a–b at fraction t: a virtual node joins the reversed
        graph with an edge to ``a`` (cost t·(a→b), if a→b is drivable) and one to ``b``
        (cost (1−t)·(b→a)). Returns (seconds per node, predecessors or None).
        """
        g = self.graph
        via_a = g.edge(target.a, target.b)  # arrive at a, drive a→point
        via_b = g.edge(target.b, target.a)
        unreachable = 1e12  # beyond any limit: never relaxed
        ca = max(target.t * via_a[0], 1e-6) if via_a else unreachable
        cb = max((1 - target.t) * via_b[0], 1e-6) if via_b else unreachable
        ext = g.reverse_ext
        with self._lock:  # the virtual node's two edges are per query
            ext.indices[-2:] = (target.a, target.b)
            ext.data[-2:] = (ca, cb)
            result = dijkstra(ext, directed=True, indices=g.n_nodes, limit=limit_s, return_predecessors=with_pred)
        dist, pred = (result if with_pred else (result, None))
        return dist[:g.n_nodes], pred

    def _from_origin(self, origin: Snap, target: Snap, node_s: np.ndarray) -> tuple[float, int | None]:
        """Best seconds origin→target and the first graph node on the way (None: along one segment)."""
        g = self.graph
        best, first = np.inf, None
        ab, ba = g.edge(origin.a, origin.b), g.edge(origin.b, origin.a)
        if ab is not None and (1 - origin.t) * ab[0] + node_s[origin.b] < best:
            best, first = (1 - origin.t) * ab[0] + node_s[origin.b], origin.b
        if ba is not None and origin.t * ba[0] + node_s[origin.a] < best:
            best, first = origin.t * ba[0] + node_s[origin.a], origin.a
        if (origin.a, origin.b) == (target.a, target.b):  # same segment: drive straight along it
            if target.t >= origin.t and ab is not None and (target.t - origin.t) * ab[0] <= best:
                best, first = (target.t - origin.t) * ab[0], None
            if target.t <= origin.t and ba is not None and (origin.t - target.t) * ba[0] <= best:
                best, first = (origin.t - target.t) * ba[0], None
        return float(best), first

    def _walk(self, first: int, pred: np.ndarray) -> list[int]:
        """Graph nodes from ``first`` to the target segment's end it arrives by."""
        virtual = self.graph.n_nodes
        nodes = [first]
        node = first
        while True:
            nxt = int(pred[node])
            if nxt == virtual or nxt < 0:  # < 0 cannot happen for a finite time; guards a corrupt graph
                break
            nodes.append(nxt)
            node = nxt
        return nodes

    def _length(self, origin: Snap, target: Snap, nodes: list[int] | None) -> float:
        g = self.graph
        if nodes is None:  # along one segment
            seg = g.edge(origin.a, origin.b) or g.edge(origin.b, origin.a)
            return abs(target.t - origin.t) * (seg[1] if seg else 0.0)
        first, last = nodes[0], nodes[-1]
        total = 0.0
        seg = g.edge(origin.a, origin.b) if first == origin.b else g.edge(origin.b, origin.a)
        total += (1 - origin.t if first == origin.b else origin.t) * (seg[1] if seg else 0.0)
        total += g.path_length_m(nodes)
        seg = g.edge(target.a, target.b) if last == target.a else g.edge(target.b, target.a)
        total += (target.t if last == target.a else 1 - target.t) * (seg[1] if seg else 0.0)
        return total

    # ------------------------------------------------------------ the Router API
    def eta(self, from_positions: Mapping[str, LatLon], to: LatLon, limit_s: float = DEFAULT_LIMIT_S,
            with_distance: bool = True) -> dict[str, Eta]:
        """See :class:`Router`. One reverse Dijkstra for all origins.

        Raises:
            SnapError: ``to`` is not a position or is too far from any road.
        """
        target = self.snap(to)
        node_s, pred = self._to_target(target, limit_s, with_distance)
        out: dict[str, Eta] = {}
        keys = list(from_positions)
        snaps = self.snapper.snap_many([from_positions[k] for k in keys], self.max_snap_m)
        for key, origin in zip(keys, snaps, strict=True):
            if isinstance(origin, SnapError):
                out[key] = Eta(EtaProblem.OFF_ROAD, snap_m=origin.distance_m)
                continue
            seconds, first = self._from_origin(origin, target, node_s)
            if not np.isfinite(seconds) or seconds > limit_s:
                out[key] = Eta(EtaProblem.UNREACHABLE, snap_m=origin.distance_m)
                continue
            distance = None
            if with_distance:
                nodes = None if first is None else self._walk(first, pred)
                distance = self._length(origin, target, nodes)
            out[key] = Eta(EtaProblem.OK, seconds, distance, origin.distance_m)
        return out

    def route(self, a: LatLon, b: LatLon, limit_s: float = DEFAULT_LIMIT_S) -> Route | None:
        """See :class:`Router`. Raises SnapError for either end."""
        origin, target = self.snap(a), self.snap(b)
        node_s, pred = self._to_target(target, limit_s, True)
        seconds, first = self._from_origin(origin, target, node_s)
        if not np.isfinite(seconds) or seconds > limit_s:
            return None
        nodes = None if first is None else self._walk(first, pred)
        g = self.graph
        path: list[LatLon] = [(origin.lat, origin.lon)]
        path += [(float(g.lat[n]), float(g.lon[n])) for n in nodes or ()]
        path.append((target.lat, target.lon))
        return Route(seconds, self._length(origin, target, nodes), origin.distance_m, target.distance_m, path)
