"""A simulated ambulance's GPS and patient monitor, driven by hand: no sockets, no sleeping."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from app.domain.location import distance_m
from app.domain.state import State
from app.protocol.telemetry import validate_telemetry
from app.sim.live import Leg, StraightLinePlanner, UnitLive, UnitMover, bearing_deg
from app.sim.scenario import ScenarioError, load_scenario

STATION = (43.72793, 7.41778)
HOSPITAL_NEAR = (43.73041, 7.41141)
HOSPITAL_FAR = (43.80000, 7.50000)
SCENE = (43.74010, 7.42620)
NOW_UTC = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
EPOCH = NOW_UTC.timestamp()


def centre(*, status: str = "available", incident: dict | None = None, call: dict | None = None) -> State:
    state = State()
    state.stations["st"] = {"station_id": "st", "name": "站", "lat": STATION[0], "lon": STATION[1]}
    state.hospitals["h-near"] = {"hospital_id": "h-near", "name": "近", "lat": HOSPITAL_NEAR[0], "lon": HOSPITAL_NEAR[1]}
    state.hospitals["h-far"] = {"hospital_id": "h-far", "name": "远", "lat": HOSPITAL_FAR[0], "lon": HOSPITAL_FAR[1]}
    state.units["A1"] = {"unit_id": "A1", "station_id": "st", "status": status, "version": 0,
                         "incident_id": incident["incident_id"] if incident else None}
    if incident:
        state.incidents[incident["incident_id"]] = incident
    if call:
        state.calls[call["call_id"]] = call
    return state


def set_status(state: State, status: str) -> None:
    unit = state.units["A1"]
    unit["status"] = status
    unit["version"] += 1


def mover() -> UnitMover:
    return UnitMover("A1", rng=random.Random(1))


def test_an_available_unit_is_parked_at_its_station():
    fix = mover().fix(centre(), 0.0, NOW_UTC)
    assert (fix.lat, fix.lon) == STATION and fix.speed_mps == 0.0


def test_en_route_the_unit_drives_towards_the_scene_at_an_urban_speed_then_waits_there():
    incident = {"incident_id": "i1", "location": {"lat": SCENE[0], "lon": SCENE[1]}}
    state = centre(status="dispatched", incident=incident)
    m = mover()
    assert (m.fix(state, 0.0, NOW_UTC).lat, m.fix(state, 10.0, NOW_UTC).lon) == STATION  # dispatched: not moving
    set_status(state, "en_route")
    start = m.fix(state, 100.0, NOW_UTC)
    later = m.fix(state, 160.0, NOW_UTC)
    total = distance_m(*STATION, *SCENE)
    left_start, left_later = distance_m(start.lat, start.lon, *SCENE), distance_m(later.lat, later.lon, *SCENE)
    assert 30 / 3.6 <= later.speed_mps <= 50 / 3.6
    assert left_start == pytest.approx(total, abs=1)
    assert left_later == pytest.approx(total - 60 * later.speed_mps, abs=5)
    assert later.heading_deg == pytest.approx(bearing_deg(STATION, SCENE))
    arrived = m.fix(state, 100.0 + total / later.speed_mps + 30, NOW_UTC)
    assert (arrived.lat, arrived.lon) == pytest.approx(SCENE) and arrived.speed_mps == 0.0


def test_a_crew_reporting_on_scene_early_is_at_the_scene_then_drives_to_the_nearest_hospital_and_home():
    incident = {"incident_id": "i1", "location": {"lat": SCENE[0], "lon": SCENE[1]}}
    state = centre(status="en_route", incident=incident)
    m = mover()
    m.fix(state, 0.0, NOW_UTC)
    set_status(state, "on_scene")
    at_scene = m.fix(state, 5.0, NOW_UTC)  # the straight line was nowhere near yet
    assert (at_scene.lat, at_scene.lon) == pytest.approx(SCENE)
    set_status(state, "transporting")
    m.fix(state, 600.0, NOW_UTC)
    on_the_way = m.fix(state, 660.0, NOW_UTC)
    assert on_the_way.speed_mps > 0
    assert distance_m(on_the_way.lat, on_the_way.lon, *HOSPITAL_NEAR) < distance_m(*SCENE, *HOSPITAL_NEAR)
    set_status(state, "at_hospital")
    at_hospital = m.fix(state, 661.0, NOW_UTC)
    assert (at_hospital.lat, at_hospital.lon) == pytest.approx(HOSPITAL_NEAR)
    set_status(state, "available")
    state.units["A1"]["incident_id"] = None
    m.fix(state, 1000.0, NOW_UTC)
    home = m.fix(state, 10_000.0, NOW_UTC)
    assert (home.lat, home.lon) == pytest.approx(STATION) and home.speed_mps == 0.0


def test_an_incident_not_located_yet_uses_the_calls_best_candidate():
    call = {"call_id": "c1", "locations": [
        {"source": "cell", "lat": 43.70, "lon": 7.40, "accuracy_m": 900, "at": None},
        {"source": "gps", "lat": SCENE[0], "lon": SCENE[1], "accuracy_m": 10, "at": None},
    ]}
    state = centre(status="en_route", incident={"incident_id": "i1", "call_id": "c1"}, call=call)
    m = mover()
    m.fix(state, 0.0, NOW_UTC)
    assert m.leg is not None and m.leg.end == SCENE


def test_with_no_location_at_all_the_unit_stays_where_it_is_and_says_why(caplog):
    state = centre(status="en_route", incident={"incident_id": "i1"})
    m = mover()
    first, later = m.fix(state, 0.0, NOW_UTC), m.fix(state, 500.0, NOW_UTC)
    assert (first.lat, first.lon) == (later.lat, later.lon) == STATION
    assert "has no location yet" in caplog.text


def test_a_leg_follows_every_point_of_a_planned_route():
    route = [(0.0, 0.0), (0.0, 0.01), (0.01, 0.01)]  # east, then north
    leg = Leg(route, depart_at=0.0, speed_mps=10.0)
    first = distance_m(0.0, 0.0, 0.0, 0.01)
    east = leg.at(first / 20 / 10 * 10)
    north = leg.at((first + 100) / 10)
    assert east.heading_deg == pytest.approx(90.0) and north.heading_deg == pytest.approx(0.0, abs=0.01)
    assert leg.at(leg.arrives_at() + 1).lat == pytest.approx(0.01)
    assert StraightLinePlanner().path((1.0, 2.0), (3.0, 4.0)) == [(1.0, 2.0), (3.0, 4.0)]


def test_the_terminal_sends_one_valid_position_per_scenario_second():
    live = UnitLive(mover())
    state = centre()
    sent = [f for now in (0.0, 0.2, 0.4, 1.0, 1.2, 2.5) for f in live.frames(state, now, EPOCH + now)]
    assert [f["kind"] for f in sent] == ["position"] * 3
    for frame in sent:
        validate_telemetry(frame)
    assert sent[0]["t"] < sent[1]["t"] < sent[2]["t"]


def test_the_patient_monitor_streams_from_arrival_on_scene_until_the_handover():
    incident = {"incident_id": "i1", "location": {"lat": SCENE[0], "lon": SCENE[1]}}
    state = centre(status="en_route", incident=incident)
    live = UnitLive(mover(), monitor_for=lambda s, i: ((0.0, "vf"),) if i["incident_id"] == "i1" else None)
    assert {f["kind"] for f in live.frames(state, 0.0, EPOCH)} == {"position"}
    set_status(state, "on_scene")
    live.frames(state, 1.0, EPOCH + 1.0)
    frames = live.frames(state, 2.0, EPOCH + 3.0)
    kinds = [f["kind"] for f in frames]
    assert "waveform" in kinds and "alarm" in kinds
    ecg = [f for f in frames if f["kind"] == "waveform" and f["data"]["channel"] == "ECG_II"]
    assert sum(len(f["data"]["samples"]) for f in ecg) == 1000  # 2 s at 500 Hz, in 200-ms chunks
    assert {len(f["data"]["samples"]) for f in ecg} == {100}
    for frame in frames:
        validate_telemetry(frame)
    set_status(state, "at_hospital")
    assert any(f["kind"] == "waveform" for f in live.frames(state, 3.0, EPOCH + 4.0))
    set_status(state, "available")
    assert {f["kind"] for f in live.frames(state, 4.0, EPOCH + 6.0)} == {"position"}
    assert live.monitor is None


def _scenario(tmp_path, monitor: str):
    path = tmp_path / "s.yaml"
    path.write_text(f"""
name: t
registry:
  seats: [{{id: seat-1, name: 席}}]
  switches: [{{id: sw, name: 交换机}}]
calls:
  - at: 1
    caller_number: "120"
    says: {{zh: 救命, en: help}}
    expected_priority: 1
    outcome: transported
    patient_monitor: {monitor}
""", encoding="utf-8")
    return load_scenario(path)


def test_a_scenario_call_may_carry_a_patient_monitor(tmp_path):
    assert _scenario(tmp_path, "{scenario: vf_cpr_rosc}").calls[0].patient_monitor == (
        (0.0, "vf"), (120.0, "st_elevation"))
    assert _scenario(tmp_path, "{rhythm: mitdb208}").calls[0].patient_monitor == ((0.0, "mitdb208"),)


@pytest.mark.parametrize("bad", ["{rhythm: torsade}", "{rhythm: vf, scenario: vf}", "{}", "vf", "{scenario: nope}"])
def test_a_bad_patient_monitor_is_refused_with_its_place(tmp_path, bad):
    with pytest.raises(ScenarioError) as caught:
        _scenario(tmp_path, bad)
    assert "calls[0].patient_monitor" in str(caught.value)


def test_the_mover_says_when_the_unit_reaches_the_scene_and_the_map_agrees():
    incident = {"incident_id": "i1", "location": {"lat": SCENE[0], "lon": SCENE[1]}}
    state = centre(status="dispatched", incident=incident)
    m = mover()
    assert m.arrival_at(state, 0.0, NOW_UTC) is None  # dispatched: not driving anywhere yet
    set_status(state, "en_route")
    arrives = m.arrival_at(state, 50.0, NOW_UTC)
    assert arrives == pytest.approx(50.0 + m.leg.length_m / m.leg.speed_mps)
    assert m.arrival_at(state, 90.0, NOW_UTC) == arrives, "asking again does not re-plan the drive"
    before = m.fix(state, arrives - 5.0, NOW_UTC)
    assert distance_m(before.lat, before.lon, *SCENE) > 20 and before.speed_mps > 0
    there = m.fix(state, arrives, NOW_UTC)
    assert (there.lat, there.lon) == pytest.approx(SCENE)
    set_status(state, "on_scene")  # the crew reports it at that moment: no jump
    assert (m.fix(state, arrives + 1.0, NOW_UTC).lat, m.fix(state, arrives + 1.0, NOW_UTC).lon) == pytest.approx(SCENE)
    set_status(state, "transporting")
    to_hospital = m.arrival_at(state, arrives + 600.0, NOW_UTC)
    assert to_hospital == pytest.approx(arrives + 600.0 + distance_m(*SCENE, *HOSPITAL_NEAR) / m.leg.speed_mps)


def test_no_scene_position_means_no_arrival_time():
    state = centre(status="en_route", incident={"incident_id": "i1", "location": None})
    assert mover().arrival_at(state, 0.0, NOW_UTC) is None
