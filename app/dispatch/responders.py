"""Which volunteers to alert and which AED to fetch. Pure; calling thread; no text.

* :func:`volunteers_within` — the volunteers whose last known position is within the radius
  of the scene, nearest first (at most ``limit``). A volunteer with no position, or a
  position older than ``max_age_s``, is never alerted.
* :func:`aed_accessible` — an AED's access hours (``"24h"`` or ``"HH:MM-HH:MM"``, possibly
  over midnight) against a local wall-clock time.
* :func:`fetch_plan` — for the volunteer asked to fetch an AED: the accessible AED that makes
  the walk volunteer → AED → scene shortest, with the walking path and time.

Walking routes follow the city's **walking graph** (``walk.graph.npz``: footways, steps,
pedestrian streets, one-way ignored, 1.4 m/s, steps 0.7 m/s) when the server has one
(:func:`graph_walk`, ``route = "walking_graph"``). Without it, or when a point is off the
walking graph or unreachable on it, the walk is a **straight line × :data:`WALK_DETOUR_FACTOR`**
at :data:`WALK_SPEED_MPS` (:func:`walk`, ``route = "straight_line"``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from app.geo.sphere import distance_m
from app.protocol.responders import ACCESS_RE, RouteSource
from app.routing.engine import Router
from app.routing.snap import SnapError

LatLon = tuple[float, float]
WALK_SPEED_MPS = 1.4  # brisk walk
WALK_DETOUR_FACTOR = 1.3  # footpath distance / straight distance in a town (rough)
MAX_POSITION_AGE_S = 15 * 60.0


@dataclass(frozen=True)
class VolunteerFix:
    lat: float
    lon: float
    at_epoch_s: float


@dataclass(frozen=True)
class Walk:
    seconds: float
    distance_m: float
    path: list[LatLon]
    route: RouteSource


@dataclass(frozen=True)
class FetchPlan:
    aed_id: str
    walk: Walk


def volunteers_within(scene: LatLon, fixes: Mapping[str, VolunteerFix], radius_m: float, *, now_epoch_s: float,
                      limit: int = 10, max_age_s: float = MAX_POSITION_AGE_S,
                      exclude: Iterable[str] = ()) -> list[tuple[str, float]]:
    """``[(volunteer_id, distance_m)]`` within ``radius_m`` of the scene, nearest first (then id)."""
    skip = set(exclude)
    found = []
    for vid, fix in fixes.items():
        if vid in skip or now_epoch_s - fix.at_epoch_s > max_age_s:
            continue
        d = distance_m(scene[0], scene[1], fix.lat, fix.lon)
        if d <= radius_m:
            found.append((vid, d))
    found.sort(key=lambda x: (x[1], x[0]))
    return found[:limit]


def aed_accessible(access: str, local: datetime | time) -> bool:
    """True if an AED with these access hours can be reached at local wall-clock ``local``.

    ``"08:00-20:00"`` includes 08:00 and excludes 20:00; ``"22:00-06:00"`` spans midnight.
    Raises ValueError for a malformed ``access`` (the protocol refuses those at registration).
    """
    if not ACCESS_RE.match(access or ""):
        raise ValueError(f"bad access hours {access!r}")
    if access == "24h":
        return True
    clock = local.time() if isinstance(local, datetime) else local
    start_text, end_text = access.split("-")
    start, end = time.fromisoformat(start_text), time.fromisoformat(end_text)
    now = clock.replace(second=0, microsecond=0, tzinfo=None)
    if start <= end:
        return start <= now < end
    return now >= start or now < end


def walk(points: list[LatLon]) -> Walk:
    """A walking route through ``points`` (straight legs × detour factor, see the module docstring)."""
    straight = sum(distance_m(a[0], a[1], b[0], b[1]) for a, b in zip(points, points[1:], strict=False))
    distance = straight * WALK_DETOUR_FACTOR
    return Walk(distance / WALK_SPEED_MPS, distance, list(points), RouteSource.STRAIGHT_LINE)


def graph_walk(router: Router, points: list[LatLon]) -> Walk:
    """A walking route through ``points`` on ``router``'s walking graph, leg by leg.

    Falls back to :func:`walk` (straight line, ``route = "straight_line"``) when any point is
    off the walking graph or a leg has no walking path. Calling thread; raises nothing for bad points.
    """
    seconds = distance = 0.0
    path: list[LatLon] = []
    for a, b in zip(points, points[1:], strict=False):
        try:
            leg = router.route(a, b)
        except SnapError:
            return walk(points)
        if leg is None:
            return walk(points)
        seconds += leg.seconds
        distance += leg.distance_m
        path += leg.path if not path else leg.path[1:]
    return Walk(seconds, distance, path or list(points), RouteSource.WALKING_GRAPH)


def fetch_plan(volunteer: LatLon, scene: LatLon, aeds: Iterable[Mapping[str, Any]], local: datetime,
               max_walk_s: float = 15 * 60.0, walker: Callable[[list[LatLon]], Walk] | None = None,
               candidates: int = 5) -> FetchPlan | None:
    """The accessible AED with the shortest walk volunteer → AED → scene, or None.

    None when no AED is open at ``local`` or every detour walks longer than ``max_walk_s``
    (then the volunteer goes straight to the scene and starts CPR). With ``walker`` (e.g.
    :func:`graph_walk` on a walking router) the ``candidates`` AEDs nearest by straight line
    are re-walked with it and the best of those wins.
    """
    best = _best_straight(volunteer, scene, aeds, local, max_walk_s if walker is None else float("inf"),
                          candidates if walker is not None else 1)
    if walker is None:
        return best[0] if best else None
    chosen: FetchPlan | None = None
    for plan in best:
        aed = plan.aed_id, plan.walk.path[1]
        w = walker([volunteer, aed[1], scene])
        if w.seconds > max_walk_s:
            continue
        if chosen is None or (w.seconds, aed[0]) < (chosen.walk.seconds, chosen.aed_id):
            chosen = FetchPlan(aed[0], w)
    return chosen


def _best_straight(volunteer: LatLon, scene: LatLon, aeds: Iterable[Mapping[str, Any]], local: datetime,
                   max_walk_s: float, keep: int) -> list[FetchPlan]:
    """The ``keep`` accessible AEDs with the shortest straight-line walks within ``max_walk_s``."""
    found: list[FetchPlan] = []
    for aed in aeds:
        try:
            if not aed_accessible(aed["access"], local):
                continue
        except (KeyError, ValueError):
            continue
        w = walk([volunteer, (aed["lat"], aed["lon"]), scene])
        if w.seconds > max_walk_s:
            continue
        found.append(FetchPlan(aed["aed_id"], w))
    found.sort(key=lambda p: (p.walk.seconds, p.aed_id))
    return found[:keep]
