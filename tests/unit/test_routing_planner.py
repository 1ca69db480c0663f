"""Simulated ambulances drive the computed road routes."""

from __future__ import annotations

import random

import pytest

from app.domain.location import distance_m
from app.mapdata.city import DEFAULT_CITY_DIR
from app.routing.engine import GraphRouter
from app.routing.planner import RoadPathPlanner
from app.sim.live import Leg, UnitMover

STATION = (43.7384, 7.4246)  # by the casino
SCENE = (43.7311, 7.4197)  # by the palace


def planner() -> RoadPathPlanner:
    return RoadPathPlanner(GraphRouter.for_city(DEFAULT_CITY_DIR))


def test_the_planned_drive_follows_the_roads_from_exact_start_to_exact_end():
    p = planner()
    points = p.path(STATION, SCENE)
    assert points[0] == STATION and points[-1] == SCENE
    assert len(points) > 20  # turns along the streets, not one straight segment
    driven = Leg(points, 0.0, 10.0).length_m
    route = p.router.route(STATION, SCENE)
    assert driven > distance_m(*STATION, *SCENE) * 1.2
    assert abs(driven - route.distance_m) < route.from_snap_m + route.to_snap_m + 5


def test_a_drive_from_the_sea_falls_back_to_a_straight_line_and_says_so(caplog):
    p = planner()
    boat = (43.70, 7.50)
    assert p.path(boat, SCENE) == [boat, SCENE]
    assert p.fallbacks == 1 and "straight line" in caplog.text


def test_a_simulated_unit_moves_along_the_road_route():
    from app.domain.state import State

    state = State()
    state.stations["st"] = {"station_id": "st", "name": "Casino", "lat": STATION[0], "lon": STATION[1]}
    state.units["A1"] = {"unit_id": "A1", "call_sign": "A1", "station_id": "st", "status": "available",
                         "previous": None, "incident_id": None, "version": 0}
    mover = UnitMover("A1", rng=random.Random(1), planner=planner())
    assert mover.fix(state, 0.0) is not None
    state.incidents["i1"] = {"incident_id": "i1", "state": "en_route", "units": ["A1"],
                             "location": {"lat": SCENE[0], "lon": SCENE[1]}, "call_id": None}
    state.units["A1"].update(status="en_route", incident_id="i1", version=2)
    mover.fix(state, 1.0)
    assert mover.leg is not None and len(mover.leg.points) > 20
    halfway = mover.fix(state, 1.0 + mover.leg.length_m / mover.leg.speed_mps / 2)
    road = GraphRouter.for_city(DEFAULT_CITY_DIR).snap((halfway.lat, halfway.lon))
    assert road.distance_m < 15  # on a street, not cutting across blocks


def test_a_parked_unit_does_not_drive_out_to_the_road_and_back():
    assert planner().path(STATION, STATION) == [STATION, STATION]


def test_travel_time_follows_the_road_distance_not_the_straight_line():
    from app.domain.state import State
    from app.sim.ambulance import AmbulanceCrew

    state = State()
    state.stations["st"] = {"station_id": "st", "name": "Casino", "lat": STATION[0], "lon": STATION[1]}
    state.units["A1"] = {"unit_id": "A1", "call_sign": "A1", "station_id": "st", "status": "en_route",
                         "previous": "dispatched", "incident_id": "i1", "version": 3}
    state.incidents["i1"] = {"incident_id": "i1", "state": "en_route", "units": ["A1"],
                             "location": {"lat": SCENE[0], "lon": SCENE[1]}, "call_id": None}
    mover = UnitMover("A1", rng=random.Random(1), planner=planner())
    crew = AmbulanceCrew("A1", rng=random.Random(1), arrival=mover)
    crew.observe(state, 100.0)  # the crew sets off: when will it report on scene?
    assert crew.plan is not None and crew.plan.status == "on_scene"
    travel = crew.plan.due_at - 100.0
    leg = mover.leg
    assert travel == pytest.approx(leg.length_m / leg.speed_mps)
    assert travel > distance_m(*STATION, *SCENE) * 1.2 / leg.speed_mps  # the streets, not the crow's flight
    at_report = mover.fix(state, crew.plan.due_at)
    assert (at_report.lat, at_report.lon) == pytest.approx(SCENE)
    just_before = mover.fix(state, crew.plan.due_at - 10.0)
    assert distance_m(just_before.lat, just_before.lon, *SCENE) > 50  # still driving until then
