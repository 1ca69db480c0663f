"""Road graph, snapping and travel times: the synthetic city and the demo city (Monaco)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app.mapdata.city import DEFAULT_CITY_DIR
from app.routing.engine import EtaProblem, GraphRouter
from app.routing.graph import (
    GRAPH_FILE,
    GraphFileError,
    RoadGraph,
    build_arrays,
    directions,
    load_arrays,
    parse_maxspeed,
    save,
)
from app.routing.snap import SnapError
from tests.unit import routing_fixtures as city

# A one-way street in Monaco (found in the OSM data: forward ≈ 43 m, the way back ≈ 570 m round the block).
MONACO_ONEWAY_FROM = (43.72908794, 7.41562990)
MONACO_ONEWAY_TO = (43.72934876, 7.41602620)


@pytest.fixture(scope="module")
def monaco() -> GraphRouter:
    return GraphRouter.for_city(DEFAULT_CITY_DIR)


def _drives_only_allowed_directions(router: GraphRouter, path_nodes_route) -> None:
    g = router.graph
    for (lat1, lon1), (lat2, lon2) in zip(path_nodes_route[1:-2], path_nodes_route[2:-1], strict=False):
        a = int(np.argmin((g.lat - lat1) ** 2 + (g.lon - lon1) ** 2))
        b = int(np.argmin((g.lat - lat2) ** 2 + (g.lon - lon2) ** 2))
        assert g.edge(a, b) is not None, f"route drives {a}->{b} against the traffic"


# ---------------------------------------------------------------- building the graph


def test_the_drivable_classes_and_one_way_rules_follow_the_osm_tags():
    assert directions("residential", {}) == (True, True)
    assert directions("residential", {"oneway": "yes"}) == (True, False)
    assert directions("residential", {"oneway": "-1"}) == (False, True)
    assert directions("primary", {"junction": "roundabout"}) == (True, False)
    assert directions("primary", {"junction": "roundabout", "oneway": "no"}) == (True, True)
    assert directions("motorway", {}) == (True, False)
    assert directions("footway", {}) is None
    assert directions("steps", {}) is None
    assert directions("pedestrian", {}) is None
    assert directions("service", {"access": "no"}) is None
    assert directions("service", {"access": "private"}) == (True, True)  # an ambulance may enter a compound


def test_maxspeed_is_read_in_kmh_or_mph_and_junk_is_ignored():
    assert parse_maxspeed("50") == 50
    assert parse_maxspeed("30 mph") == pytest.approx(48.28, abs=0.01)
    assert parse_maxspeed("FR:urban") is None
    assert parse_maxspeed("none") is None
    assert parse_maxspeed("") is None


def test_the_graph_keeps_drivable_ways_only_and_round_trips_through_its_file(tmp_path: Path):
    arrays = build_arrays(city.roads())
    assert arrays.meta["ways"] == 4  # the footway is not a road for an ambulance
    path = tmp_path / GRAPH_FILE
    save(arrays, path)
    again = load_arrays(path)
    assert np.array_equal(again.src, arrays.src) and np.allclose(again.seconds, arrays.seconds)
    assert 61 not in set(again.osm_id.tolist())


def test_a_damaged_or_missing_graph_file_is_refused_with_a_hint(tmp_path: Path):
    with pytest.raises(GraphFileError, match="re-import"):
        load_arrays(tmp_path / "nothing.npz")
    bad = tmp_path / GRAPH_FILE
    bad.write_bytes(b"not a graph")
    with pytest.raises(GraphFileError, match="unreadable"):
        load_arrays(bad)


def test_the_emergency_factor_shortens_travel_times_without_a_re_import():
    arrays = build_arrays(city.roads())
    normal = GraphRouter(RoadGraph(arrays)).route(city.main_street(0), city.INCIDENT)
    faster = GraphRouter(RoadGraph(arrays, emergency_factor=1.25)).route(city.main_street(0), city.INCIDENT)
    assert faster.seconds == pytest.approx(normal.seconds / 1.25)
    assert faster.distance_m == pytest.approx(normal.distance_m)
    with pytest.raises(ValueError):
        RoadGraph(arrays, emergency_factor=0)


def test_map_import_writes_the_road_graph_next_to_the_basemap(tmp_path: Path):
    from app.mapdata.importer import import_city

    result = import_city(Path(__file__).resolve().parents[1] / "data" / "zh_city.osm", tmp_path / "zh")
    info = result.meta["road_graph"]
    assert info["file"] == GRAPH_FILE and info["nodes"] > 0 and info["edges"] > 0
    router = GraphRouter.for_city(tmp_path / "zh")
    assert router.graph.n_nodes == info["nodes"]


# ---------------------------------------------------------------- one-way streets


def test_a_one_way_street_is_driven_only_its_way():
    router = city.router()
    there = router.route(city.TRIANGLE_A, city.TRIANGLE_B)
    back = router.route(city.TRIANGLE_B, city.TRIANGLE_A)
    assert there.distance_m == pytest.approx(192, rel=0.05)  # straight along Short Lane
    assert back.distance_m > 1.5 * there.distance_m  # round by the Long Way
    assert back.seconds > there.seconds


def test_monaco_one_way_street_forward_is_short_and_the_way_back_goes_round(monaco: GraphRouter):
    there = monaco.route(MONACO_ONEWAY_FROM, MONACO_ONEWAY_TO)
    back = monaco.route(MONACO_ONEWAY_TO, MONACO_ONEWAY_FROM)
    assert there.distance_m < 100
    assert back.distance_m > 5 * there.distance_m
    assert there.path != list(reversed(back.path))
    _drives_only_allowed_directions(monaco, back.path)


# ---------------------------------------------------------------- ETA


def test_eta_grows_with_distance_along_a_street():
    router = city.router()
    units = {f"u{k}": city.main_street(k) for k in range(0, 9)}
    etas = router.eta(units, city.INCIDENT)
    seconds = [etas[f"u{k}"].seconds for k in range(0, 9)]
    assert all(e.problem == EtaProblem.OK for e in etas.values())
    assert seconds == sorted(seconds, reverse=True)  # farther west = later
    assert etas["u0"].distance_m == pytest.approx(9 * 96.5, rel=0.02)


def test_monaco_eta_grows_with_distance_along_a_route(monaco: GraphRouter):
    casino, palace = (43.7384, 7.4246), (43.7311, 7.4197)
    route = monaco.route(casino, palace)
    points = route.path[1:-1:10]
    etas = monaco.eta({str(i): p for i, p in enumerate(points)}, palace)
    seconds = [etas[str(i)].seconds for i in range(len(points))]
    assert len(seconds) >= 5
    assert seconds == sorted(seconds, reverse=True)
    assert seconds[0] == pytest.approx(route.seconds, rel=0.05)


def test_a_unit_across_the_river_without_a_bridge_cannot_reach_the_incident():
    router = city.router()
    etas = router.eta({"far_bank": city.FAR_BANK_UNIT, "road": city.main_street(0)}, city.INCIDENT)
    assert etas["far_bank"].problem == EtaProblem.UNREACHABLE
    assert etas["far_bank"].seconds is None
    assert etas["road"].problem == EtaProblem.OK


def test_a_position_in_the_sea_snaps_with_its_distance_or_is_refused_when_too_far(monaco: GraphRouter):
    near_shore = (43.7335, 7.4240)  # in Port Hercule, a few tens of metres off the quay
    snap = monaco.snap(near_shore)
    assert 5 < snap.distance_m < 500
    with pytest.raises(SnapError, match="in the sea or outside the map") as refused:
        monaco.snap((43.70, 7.50))  # open sea, km from any road
    assert refused.value.distance_m > 500
    etas = monaco.eta({"boat": (43.70, 7.50), "quay": near_shore}, (43.7384, 7.4246))
    assert etas["boat"].problem == EtaProblem.OFF_ROAD and etas["boat"].snap_m > 500
    assert etas["quay"].problem == EtaProblem.OK and etas["quay"].snap_m == pytest.approx(snap.distance_m)


def test_not_a_position_is_refused():
    router = city.router()
    with pytest.raises(SnapError, match="not a position"):
        router.snap((float("nan"), 120.0))


# ---------------------------------------------------------------- dispatch120 route


def test_route_command_prints_time_distance_snapping_and_the_route_as_json(capsys):
    from app.__main__ import main

    code = main(["route", "--from", "43.7384,7.4246", "--to", "43.7311,7.4197"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["found"] is True
    assert 60 < out["travel_time_s"] < 900
    assert 1000 < out["road_distance_m"] < 5000
    assert out["from_snap_m"] < 50 and out["to_snap_m"] < 50
    assert out["route"][0] == pytest.approx([43.7383, 7.4245], abs=0.001)
    assert len(out["route"]) > 10


def test_route_command_refuses_a_position_in_the_sea_clearly(capsys):
    from app.__main__ import main

    code = main(["route", "--from", "43.70,7.50", "--to", "43.7311,7.4197"])
    err = capsys.readouterr().err
    assert code == 2
    assert "in the sea or outside the map" in err and "m from the nearest road" in err


def test_route_command_says_when_the_city_has_no_road_graph(tmp_path: Path, capsys):
    from app.__main__ import main

    code = main(["route", "--from", "43.7384,7.4246", "--to", "43.7311,7.4197", "--city", str(tmp_path)])
    assert code == 2 and "dispatch120 map import" in capsys.readouterr().err
