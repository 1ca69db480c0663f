"""A tiny synthetic road network for the routing and recommendation tests.

Near 30.0 N, 120.0 E (0.001° ≈ 111 m north, ≈ 96 m east). All made up:

* Main Street (residential, 30 km/h): nodes 1..11 west → east along lat 30.000,
  lon 120.000 + k·0.001 — about 960 m;
* Far Bank Road: nodes 21..23 along lat 30.0015, lon 120.008..120.010 — 167 m north of
  Main Street across a river, with **no bridge** (not connected);
* a one-way triangle: 51 → 52 one-way (Short Lane), 52 → 53 → 51 two-way (Long Way round),
  south of Main Street and not connected to it;
* a footway from node 11 east (not drivable).
"""

from __future__ import annotations

from app.mapdata.osm import RoadWay
from app.routing.engine import GraphRouter
from app.routing.graph import RoadGraph, build_arrays

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
