"""Simulated ambulances drive the road graph: :class:`RoadPathPlanner` for ``app.sim.live.PathPlanner``.

The simulation's :class:`~app.sim.live.UnitMover` asks a planner for the points a unit
drives through from ``start`` to ``end`` (both included). This planner returns the
fastest road route (:meth:`app.routing.engine.GraphRouter.route`), framed by the exact
start and end; when either end is too far from a road or no road route exists it falls
back to the straight line and logs it once per pair of places — a training run never
stops because of map data.

:func:`app.sim.runner.default_planner` builds one for the seat's city (routing knows
no city directories: ``app.mapdata`` finds them).
Calling thread / the simulation's loop; each call is one Dijkstra (~3 ms in Monaco).
"""

from __future__ import annotations

import logging

from app.domain.location import distance_m
from app.routing.engine import GraphRouter
from app.routing.snap import SnapError

log = logging.getLogger(__name__)

LatLon = tuple[float, float]
PLAN_LIMIT_S = 2 * 3600.0
ARRIVED_M = 5.0  # closer than this: no drive (a parked unit must stay exactly where it is)


class RoadPathPlanner:
    """A :class:`app.sim.live.PathPlanner` on the road graph (straight line where routing cannot help)."""

    def __init__(self, router: GraphRouter) -> None:
        self.router = router
        self.fallbacks = 0
        self._warned: set[tuple[LatLon, LatLon]] = set()

    def path(self, start: LatLon, end: LatLon) -> list[LatLon]:
        """The road route's points from ``start`` to ``end``, both included (already there: just that point)."""
        if distance_m(*start, *end) < ARRIVED_M:
            return [start, end]
        try:
            route = self.router.route(start, end, limit_s=PLAN_LIMIT_S)
            problem = None if route is not None else "no road route"
        except SnapError as exc:
            route, problem = None, str(exc)
        if route is None:
            self.fallbacks += 1
            if (start, end) not in self._warned:
                self._warned.add((start, end))
                log.warning("simulated drive %s -> %s: %s; driving a straight line", start, end, problem)
            return [start, end]
        return [start, *route.path, end]
