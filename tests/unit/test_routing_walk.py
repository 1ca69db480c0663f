"""The walking graph: a volunteer walks footways and steps, ignores one-way, avoids motorways."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from app.dispatch.responders import WALK_SPEED_MPS, fetch_plan, graph_walk
from app.geo.sphere import distance_m
from app.mapdata.city import DEFAULT_CITY_DIR
from app.mapdata.osm import RoadWay
from app.protocol.responders import RouteSource
from app.routing.engine import GraphRouter
from app.routing.graph import WALK_GRAPH_FILE, RoadGraph, build_arrays, load_arrays, save
from app.routing.snap import SnapError
from tests.unit.routing_fixtures import TRIANGLE_A, TRIANGLE_B, at, main_street, roads


def walking_router(ways=None) -> GraphRouter:
    return GraphRouter(RoadGraph(build_arrays(ways or roads(), profile="walk")))


def test_a_pedestrian_walks_the_footway_a_car_cannot_use():
    ways = roads() + [RoadWay(401, "footway", {}, {}, [61, 62], [at(0, 12), at(0, 22)])]
    with pytest.raises(SnapError):
        GraphRouter(RoadGraph(build_arrays(ways))).route(main_street(10), at(0, 22))  # no road out there
    route = walking_router(ways).route(main_street(10), at(0, 22))
    assert route is not None
    assert route.distance_m == pytest.approx(distance_m(*main_street(10), *at(0, 22)), rel=0.01)
    assert route.seconds == pytest.approx(route.distance_m / WALK_SPEED_MPS, rel=0.01)


def test_a_pedestrian_walks_a_one_way_street_against_the_traffic():
    driving = GraphRouter(RoadGraph(build_arrays(roads())))
    driving = GraphRouter(RoadGraph(build_arrays(roads())))
    by_car = driving.route(TRIANGLE_B, TRIANGLE_A)  # Short Lane is one-way A → B: the car goes round
    on_foot = walking_router().route(TRIANGLE_B, TRIANGLE_A)
    straight = distance_m(*TRIANGLE_A, *TRIANGLE_B)
    assert on_foot.distance_m == pytest.approx(straight, rel=0.01)
    assert by_car.distance_m > 1.5 * straight


def test_steps_are_walked_at_half_speed_and_motorways_and_private_ways_not_at_all():
    ways = roads() + [
        RoadWay(500, "steps", {}, {}, [11, 71], [main_street(10), at(-1, 10)]),
        RoadWay(501, "motorway", {}, {}, [1, 81], [main_street(0), at(8, 0)]),
        RoadWay(502, "footway", {}, {"access": "private"}, [2, 82], [main_street(1), at(8, 1)]),
        RoadWay(503, "footway", {}, {"foot": "no"}, [3, 83], [main_street(2), at(8, 2)]),
    ]
    router = walking_router(ways)
    steps = router.route(main_street(10), at(-1, 10))
    assert steps.seconds == pytest.approx(steps.distance_m / 0.7, rel=0.01)
    for end in (at(8, 0), at(8, 1), at(8, 2)):  # 890 m out: none of these ways is in the walking graph
        with pytest.raises(SnapError):
            router.snap(end)


def test_the_walking_graph_survives_save_and_load(tmp_path: Path):
    arrays = build_arrays(roads(), profile="walk")
    save(arrays, tmp_path / WALK_GRAPH_FILE)
    loaded = load_arrays(tmp_path / WALK_GRAPH_FILE)
    assert loaded.meta["profile"] == "walk"
    assert (loaded.src == arrays.src).all() and (loaded.dst == arrays.dst).all()
    assert loaded.seconds == pytest.approx(arrays.seconds, rel=1e-3)


def test_the_aed_fetch_walks_the_graph_and_falls_back_to_a_straight_line_off_it():
    router = walking_router()
    aed = {"aed_id": "aed-1", "lat": main_street(5)[0], "lon": main_street(5)[1], "access": "24h"}
    plan = fetch_plan(main_street(2), main_street(8), [aed], datetime(2026, 1, 1, 12),
                      walker=lambda points: graph_walk(router, points))
    assert plan.aed_id == "aed-1" and plan.walk.route == RouteSource.WALKING_GRAPH
    assert plan.walk.distance_m == pytest.approx(distance_m(*main_street(2), *main_street(8)), rel=0.01)
    assert len(plan.walk.path) >= 3
    off = graph_walk(router, [at(50, 50), main_street(5), main_street(8)])  # 5 km off any way
    assert off.route == RouteSource.STRAIGHT_LINE


@pytest.mark.skipif(not (DEFAULT_CITY_DIR / WALK_GRAPH_FILE).is_file(), reason="no shipped walking graph")
def test_monaco_walks_are_never_faster_than_the_crow_flies_and_the_file_is_small():
    assert (DEFAULT_CITY_DIR / WALK_GRAPH_FILE).stat().st_size < 500_000
    router = GraphRouter.for_city(DEFAULT_CITY_DIR, profile="walk")
    a, b = (43.7402, 7.4246), (43.7384, 7.4246)  # Monte-Carlo, ~200 m
    route = router.route(a, b)
    assert route is not None
    assert route.seconds >= distance_m(*a, *b) / WALK_SPEED_MPS
