"""Coverage cost: which station areas are left without a unit in time if a unit goes.

A station's **area** is the part of the road network closer in travel time to that
station than to any other (:func:`station_areas`: one multi-source Dijkstra). An area
is **covered** when at least one available unit can reach its station within the
centre's target time (setting ``coverage_target_min``, default 12 min urban) — the
station stands for its area. :func:`coverage_cost` says, per available unit, which
covered areas would become uncovered if that unit were sent: it is that area's only
unit within the target. One reverse Dijkstra per station, capped at the target time
(milliseconds for a city's stations).

Pure computation, calling thread; returns ids and numbers only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy.sparse.csgraph import dijkstra

from app.routing.engine import EtaProblem, Router
from app.routing.snap import SnapError

DEFAULT_TARGET_S = 12 * 60.0
LatLon = tuple[float, float]


def _station_positions(stations: Mapping[str, Mapping[str, Any]]) -> dict[str, LatLon]:
    return {sid: (float(s["lat"]), float(s["lon"])) for sid, s in stations.items()
            if s.get("lat") is not None and s.get("lon") is not None}


def units_within(router: Router, unit_positions: Mapping[str, LatLon],
                 stations: Mapping[str, Mapping[str, Any]], target_s: float) -> dict[str, set[str]]:
    """Per station id: the units that reach it within ``target_s``. A station off the map has none."""
    out: dict[str, set[str]] = {}
    for sid, position in _station_positions(stations).items():
        try:
            etas = router.eta(unit_positions, position, limit_s=target_s, with_distance=False)
        except SnapError:
            out[sid] = set()
            continue
        out[sid] = {uid for uid, e in etas.items()
                    if e.problem == EtaProblem.OK and e.seconds is not None and e.seconds <= target_s}
    return out


def coverage_cost(router: Router, unit_positions: Mapping[str, LatLon],
                  stations: Mapping[str, Mapping[str, Any]],
                  target_s: float = DEFAULT_TARGET_S) -> dict[str, tuple[str, ...]]:
    """Per available unit id: the station areas (sorted ids) it alone covers within ``target_s``."""
    lost: dict[str, list[str]] = {}
    for sid, units in sorted(units_within(router, unit_positions, stations, target_s).items()):
        if len(units) == 1:
            lost.setdefault(next(iter(units)), []).append(sid)
    return {uid: tuple(sids) for uid, sids in lost.items()}


def uncovered(router: Router, unit_positions: Mapping[str, LatLon],
              stations: Mapping[str, Mapping[str, Any]], target_s: float = DEFAULT_TARGET_S) -> list[str]:
    """Station areas already without any available unit within ``target_s`` (sorted ids)."""
    return sorted(sid for sid, units in units_within(router, unit_positions, stations, target_s).items()
                  if not units)


def station_areas(router: Any, stations: Mapping[str, Mapping[str, Any]]) -> dict[str, np.ndarray]:
    """Each station's area: the road nodes it reaches sooner than any other station.

    ``router`` is a :class:`~app.routing.engine.GraphRouter` (it needs the graph).
    Returns station id → node indices; nodes no station reaches belong to none.
    """
    positions = _station_positions(stations)
    ids, nodes = [], []
    for sid, position in sorted(positions.items()):
        try:
            snap = router.snap(position)
        except SnapError:
            continue
        ids.append(sid)
        nodes.append(snap.a)
    if not nodes:
        return {}
    _, _, sources = dijkstra(router.graph.forward, indices=nodes, min_only=True, return_predecessors=True)
    owner = {node: sid for sid, node in zip(ids, nodes, strict=True)}
    return {sid: np.nonzero(sources == node)[0] for node, sid in owner.items()}
