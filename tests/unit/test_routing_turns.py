"""Turn restrictions, units standing on junctions, and the one-search ETA checked against a plain Dijkstra."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from app.mapdata.city import DEFAULT_CITY_DIR
from app.mapdata.osm import TurnRestriction, read_extract
from app.routing.engine import EtaProblem, GraphRouter
from app.routing.graph import GRAPH_FILE, RoadGraph, build_arrays, load_arrays, save
from app.routing.snap import Snap
from tests.unit import routing_fixtures as city

MONACO_PBF = Path("/work/shared/data/monaco.osm.pbf")


def restricted_router(restrictions=None) -> GraphRouter:
    return GraphRouter(RoadGraph(build_arrays(city.turn_roads(), restrictions=(
        city.turn_restrictions() if restrictions is None else restrictions))))


def node_of(router: GraphRouter, position) -> int:
    g = router.graph
    return int(np.argmin((g.lat - position[0]) ** 2 + (g.lon - position[1]) ** 2))


def drives_through(route, *positions) -> bool:
    """Whether the route's road nodes pass the given junctions one after another."""
    nodes = [(round(lat, 7), round(lon, 7)) for lat, lon in route.path[1:-1]]
    wanted = [(round(lat, 7), round(lon, 7)) for lat, lon in positions]
    return any(nodes[i:i + len(wanted)] == wanted for i in range(len(nodes)))


@pytest.fixture(scope="module")
def monaco() -> GraphRouter:
    return GraphRouter.for_city(DEFAULT_CITY_DIR)


# ---------------------------------------------------------------- the hand-made junctions


def test_no_left_turn_sends_the_ambulance_round_the_block_instead():
    free = restricted_router(restrictions=[]).route(city.LEFT_W, city.LEFT_N)
    legal = restricted_router().route(city.LEFT_W, city.LEFT_N)
    assert free.distance_m == pytest.approx(192 + 222, rel=0.03)  # left at J: forbidden
    assert legal.distance_m == pytest.approx(192 + 192 + 222 + 192, rel=0.03)  # on to E, round by NE
    assert drives_through(free, city.LEFT_W, city.LEFT_J, city.LEFT_N)
    assert not drives_through(legal, city.LEFT_W, city.LEFT_J, city.LEFT_N)
    assert drives_through(legal, city.LEFT_J, city.LEFT_E, city.LEFT_NE, city.LEFT_N)


def test_the_restriction_binds_only_the_turn_it_names():
    router = restricted_router()
    from_north = router.route(city.LEFT_N, city.LEFT_W)  # North Lane → J → Westgate is a legal turn
    assert from_north.distance_m == pytest.approx(222 + 192, rel=0.03)
    onto_north_from_east = router.route(city.LEFT_E, city.LEFT_N)
    assert onto_north_from_east.distance_m == pytest.approx(222 + 192, rel=0.03)  # by NE, shortest anyway


def test_only_straight_on_forbids_the_right_turn_and_eta_agrees_with_the_route():
    router = restricted_router()
    free = restricted_router(restrictions=[]).route(city.STRAIGHT_W, city.STRAIGHT_S)
    legal = router.route(city.STRAIGHT_W, city.STRAIGHT_S)
    assert free.distance_m == pytest.approx(192 + 222, rel=0.03)
    assert legal.distance_m == pytest.approx(192 + 192 + 222 + 192, rel=0.03)
    eta = router.eta({"westgate": city.STRAIGHT_W}, city.STRAIGHT_S)["westgate"]
    assert eta.seconds == pytest.approx(legal.seconds) and eta.distance_m == pytest.approx(legal.distance_m)


def test_a_unit_just_short_of_the_junction_obeys_the_restriction_too():
    router = restricted_router()
    on_westgate = (city.STRAIGHT_W[0], city.STRAIGHT_W[1] + 0.0015)  # 48 m short of J on Westgate
    eta = router.eta({"u": on_westgate}, city.STRAIGHT_S)["u"]
    assert eta.distance_m == pytest.approx(48 + 192 + 222 + 192, rel=0.03)  # not 48 + 222 (right at J)


def test_restrictions_are_read_from_the_osm_file_and_counted_in_the_graph():
    extract = read_extract(MONACO_PBF)
    kinds = {r.kind for r in extract.restrictions}
    assert len(extract.restrictions) == 27 and {"no_left_turn", "only_straight_on"} <= kinds
    arrays = build_arrays(extract.roads, restrictions=extract.restrictions)
    assert arrays.meta["turn_restrictions"]["applied"] == 27
    assert len(arrays.ban_from) >= 27
    walking = build_arrays(extract.roads, profile="walk", restrictions=extract.restrictions)
    assert len(walking.ban_from) == 0  # a pedestrian is not bound by them


def test_via_way_restrictions_are_not_supported_and_say_so():
    via_way = TurnRestriction(9003, "no_u_turn", [710], [], [711], [712])
    arrays = build_arrays(city.turn_roads(), restrictions=[via_way])
    assert arrays.meta["turn_restrictions"]["skipped"] == {"via_way": 1}
    assert len(arrays.ban_from) == 0


def test_banned_turns_survive_the_graph_file(tmp_path: Path):
    arrays = build_arrays(city.turn_roads(), restrictions=city.turn_restrictions())
    save(arrays, tmp_path / GRAPH_FILE)
    router = GraphRouter(RoadGraph(load_arrays(tmp_path / GRAPH_FILE)))
    assert router.route(city.LEFT_W, city.LEFT_N).distance_m == pytest.approx(798, rel=0.03)


def test_monaco_routes_never_take_a_banned_turn(monaco: GraphRouter):
    g = monaco.graph
    assert g.arrays.meta["turn_restrictions"]["applied"] == 27  # the shipped graph was re-imported with them
    free = GraphRouter(RoadGraph(build_arrays(read_extract(MONACO_PBF).roads)))
    longer = 0
    for x, v, y in zip(g.arrays.ban_from.tolist(), g.arrays.ban_via.tolist(), g.arrays.ban_to.tolist(), strict=True):
        before = (g.lat[x] + 0.9 * (g.lat[v] - g.lat[x]), g.lon[x] + 0.9 * (g.lon[v] - g.lon[x]))
        after = (g.lat[v] + 0.1 * (g.lat[y] - g.lat[v]), g.lon[v] + 0.1 * (g.lon[y] - g.lon[v]))
        legal, unrestricted = monaco.route(before, after), free.route(before, after)
        if legal is None:
            continue
        path = [int(np.argmin((g.lat - lat) ** 2 + (g.lon - lon) ** 2)) for lat, lon in legal.path[1:-1]]
        assert (x, v, y) not in set(zip(path, path[1:], path[2:], strict=False)) and [v, y] != path[:2]
        longer += legal.distance_m > unrestricted.distance_m + 1
    assert longer >= 10  # the restrictions change real routes


# ---------------------------------------------------------------- units on junctions


def test_a_unit_at_a_junction_may_leave_by_the_two_way_road_not_only_the_one_way_lane():
    router = city.router()
    near_a_on_short_lane = (city.TRIANGLE_A[0], city.TRIANGLE_A[1] + 0.0000031)  # 0.3 m into the one-way lane
    assert router.snap(near_a_on_short_lane).b == node_of(router, city.TRIANGLE_B)  # snapped onto Short Lane
    etas = router.eta({"at_a": near_a_on_short_lane, "exactly_a": city.TRIANGLE_A}, city.TRIANGLE_C)
    straight = router.route(city.TRIANGLE_A, city.TRIANGLE_C)
    assert straight.distance_m == pytest.approx(242, rel=0.03)  # A → C along the Long Way, two-way
    for eta in etas.values():
        assert eta.distance_m == pytest.approx(straight.distance_m, abs=1)  # not A → B → C (434 m)


def test_a_unit_part_way_along_a_one_way_lane_still_drives_its_way():
    router = city.router()
    mid_short_lane = city.at(-10, 1)
    eta = router.eta({"u": mid_short_lane}, city.TRIANGLE_A)["u"]
    assert eta.distance_m == pytest.approx(96 + 242 + 242, rel=0.03)  # on to B, round by C, back to A


# ---------------------------------------------------------------- ETA = a plain Dijkstra, unit by unit


def test_monaco_eta_for_many_units_equals_a_plain_dijkstra_unit_by_unit(monaco: GraphRouter):
    g = monaco.graph
    rng = random.Random(5)
    compared = 0
    for _ in range(2):
        units: dict[str, tuple[float, float]] = {}
        for i in range(150):
            node = rng.randrange(g.n_nodes)
            if i % 3 == 0:  # standing exactly on a junction (where a one-way lane may start)
                units[f"u{i}"] = (float(g.lat[node]), float(g.lon[node]))
            else:
                units[f"u{i}"] = (float(g.lat[node]) + rng.uniform(-3e-4, 3e-4),
                                  float(g.lon[node]) + rng.uniform(-3e-4, 3e-4))
        incident = (float(g.lat[node]) + 1e-4, float(g.lon[node]))
        target = monaco.snap(incident)
        etas = monaco.eta(units, incident)
        for key, position in units.items():
            eta = etas[key]
            if eta.problem == EtaProblem.OFF_ROAD:
                continue
            origin: Snap = monaco.snap(position)
            expected = city.reference_travel(g, origin, target)
            if expected is None or expected[0] > 3600:
                assert eta.problem == EtaProblem.UNREACHABLE, key
                continue
            assert eta.problem == EtaProblem.OK, key
            assert eta.seconds == pytest.approx(expected[0], abs=1e-3), key
            assert eta.distance_m == pytest.approx(expected[1], abs=0.05), key
            compared += 1
    assert compared > 200
