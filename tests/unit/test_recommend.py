"""Unit recommendation, coverage cost and the pending queue."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.dispatch import pending
from app.dispatch.coverage import coverage_cost, station_areas, uncovered
from app.dispatch.recommend import (
    Match,
    PositionSource,
    Reason,
    Tier,
    candidates,
    capability_match,
    recommend,
)
from app.mapdata.city import DEFAULT_CITY_DIR
from app.routing.engine import GraphRouter
from tests.unit import routing_fixtures as city


def unit(unit_id: str, capability: str = "als", station: str | None = None, status: str = "available",
         previous: str | None = None) -> dict:
    return {"unit_id": unit_id, "call_sign": unit_id.upper(), "capability": capability, "station_id": station,
            "status": status, "previous": previous}


STATIONS = {"west": {"station_id": "west", "lat": city.main_street(0)[0], "lon": city.main_street(0)[1]},
            "east": {"station_id": "east", "lat": city.main_street(10)[0], "lon": city.main_street(10)[1]}}


def test_the_unit_across_the_river_is_not_recommended_over_a_farther_one_with_a_road():
    ranked = recommend(city.router(), city.INCIDENT, [unit("a1"), unit("a2")], {},
                       {"a1": city.FAR_BANK_UNIT, "a2": city.main_street(0)}, "als")
    assert [r.unit_id for r in ranked] == ["a2", "a1"]
    assert ranked[1].tier == Tier.NO_ROUTE and Reason.NO_ROAD_ROUTE in ranked[1].reasons
    assert ranked[1].eta_s is None
    assert ranked[0].reasons[0] == Reason.FASTEST


def test_monaco_the_straight_line_nearest_unit_is_not_first_when_the_road_is_longer():
    router = GraphRouter.for_city(DEFAULT_CITY_DIR)
    incident = (43.7340, 7.4260)  # on the port
    across = (43.7360624, 7.4270893)  # 245 m away in a straight line, ~3.5 min by road
    by_road = (43.7324286, 7.4224524)  # 334 m away, under a minute by road
    ranked = recommend(router, incident, [unit("across"), unit("by_road")], {},
                       {"across": across, "by_road": by_road}, "als")
    assert [r.unit_id for r in ranked] == ["by_road", "across"]
    assert ranked[0].eta_s < ranked[1].eta_s / 2
    assert ranked[0].distance_m > 334  # a road is never shorter than the straight line


def test_a_bls_unit_for_an_als_plan_ranks_below_a_farther_als_unit_and_says_why():
    gps = {"bls1": city.main_street(8), "als1": city.main_street(0)}
    ranked = recommend(city.router(), city.INCIDENT, [unit("bls1", "bls"), unit("als1", "als")], {}, gps, "als")
    assert [r.unit_id for r in ranked] == ["als1", "bls1"]
    assert ranked[1].match == Match.BELOW and ranked[1].tier == Tier.NOT_CAPABLE
    assert Reason.CAPABILITY_BELOW in ranked[1].reasons
    assert ranked[1].eta_s < ranked[0].eta_s  # closer, still second: the reason is the capability


def test_capability_matching_against_the_triage_plan():
    assert capability_match("als", "als") == Match.MATCH
    assert capability_match("als", "bls") == Match.ABOVE
    assert capability_match("bls", "als") == Match.BELOW
    assert capability_match("als", "negative_pressure") == Match.OTHER
    assert capability_match("bls", None) == Match.NO_PLAN


def test_a_unit_without_a_position_is_listed_as_position_unknown_never_hidden():
    units = [unit("lost"), unit("home", station="west"), unit("busy", status="en_route")]
    ranked = recommend(city.router(), city.INCIDENT, units, STATIONS, {}, "als")
    assert [r.unit_id for r in ranked] == ["home", "lost"]  # a busy unit is not a candidate
    lost = ranked[1]
    assert lost.tier == Tier.POSITION_UNKNOWN and Reason.POSITION_UNKNOWN in lost.reasons
    assert lost.eta_s is None and lost.source == PositionSource.NONE
    assert ranked[0].source == PositionSource.STATION and Reason.AT_STATION in ranked[0].reasons


def test_a_unit_back_from_hospital_is_a_candidate_at_its_gps_position():
    cands = candidates([unit("r1", station="west", previous="at_hospital")], STATIONS, {"r1": city.main_street(7)})
    assert cands[0].source == PositionSource.GPS and cands[0].position == city.main_street(7)
    ranked = recommend(city.router(), city.INCIDENT, [unit("r1", station="west", previous="at_hospital")],
                       STATIONS, {"r1": city.main_street(7)}, None)
    assert Reason.RETURNING in ranked[0].reasons and Reason.NO_PLAN in ranked[0].reasons


def test_sending_the_last_unit_of_a_station_area_warns_of_the_coverage_cost():
    router = city.router()
    positions = {"w1": city.main_street(0), "e1": city.main_street(10)}
    # 960 m at 30 km/h ≈ 115 s: with a 60-s target each unit alone covers its own station.
    assert coverage_cost(router, positions, STATIONS, 60) == {"w1": ("west",), "e1": ("east",)}
    ranked = recommend(router, city.INCIDENT, [unit("w1"), unit("e1")], STATIONS, positions, "als",
                       coverage_target_s=60)
    east = next(r for r in ranked if r.unit_id == "e1")
    assert east.coverage_lost == ("east",) and Reason.COVERAGE_COST in east.reasons
    # A second unit at the east station: sending e1 costs nothing any more.
    positions["e2"] = city.main_street(10)
    assert coverage_cost(router, positions, STATIONS, 60) == {"w1": ("west",)}
    assert uncovered(router, {"w1": city.main_street(0)}, STATIONS, 60) == ["east"]


def test_station_areas_split_the_road_network_between_the_nearest_stations():
    router = city.router()
    areas = station_areas(router, STATIONS)
    lons = router.graph.lon
    assert set(areas) == {"west", "east"}
    assert lons[areas["west"]].max() < lons[areas["east"]].min()


# ---------------------------------------------------------------- pending queue

NOW = datetime(2026, 11, 27, 8, 30, tzinfo=UTC)


def incident(incident_id: str, priority: int | None, created: str, capability: str | None = None,
             units: list[str] | None = None, state: str = "open") -> dict:
    triage = {"result": {"capability": capability}} if capability else None
    return {"incident_id": incident_id, "priority": priority, "created_at": created, "state": state,
            "units": units or [], "triage": triage}


def test_waiting_incidents_are_ordered_by_priority_then_waiting_time():
    incidents = [
        incident("p3-old", 3, "2026-11-27T08:00:00Z"),
        incident("p1-new", 1, "2026-11-27T08:25:00Z", "als"),
        incident("p1-old", 1, "2026-11-27T08:10:00Z", "als"),
        incident("untriaged", None, "2026-11-27T07:00:00Z"),
        incident("has-unit", 1, "2026-11-27T07:00:00Z", units=["a1"], state="dispatched"),
        incident("closed", 1, "2026-11-27T07:00:00Z", state="closed"),
    ]
    waiting = pending.queue(incidents, NOW)
    assert [w.incident_id for w in waiting] == ["p1-old", "p1-new", "p3-old", "untriaged"]
    assert waiting[0].waiting_s == pytest.approx(20 * 60)


def test_a_freed_unit_is_suggested_for_the_most_urgent_incident_it_suits():
    waiting = pending.queue([
        incident("np", 1, "2026-11-27T08:00:00Z", "negative_pressure"),
        incident("als", 2, "2026-11-27T08:05:00Z", "als"),
        incident("bls", 3, "2026-11-27T07:00:00Z", "bls"),
    ], NOW)
    assert pending.suggest_for(unit("a", "als"), waiting).incident_id == "als"
    assert pending.suggest_for(unit("b", "bls"), waiting).incident_id == "bls"
    assert pending.suggest_for(unit("n", "negative_pressure"), waiting).incident_id == "np"
    assert pending.suggest_for(unit("b", "bls"), waiting[:2]) is None


# ---------------------------------------------------------------- the decision, recorded


INC = "11111111-2222-4333-8444-555555555555"


def _centre():
    from tests.unit.domain_harness import Centre, seat

    c = Centre()
    c.register_unit("A01", "急救1")
    c.register_unit("A02", "急救2", capability="bls")
    c.register_seat("seat-1")
    c.send(seat("seat-1"), "incident.create", {"incident_id": INC})
    return c, seat("seat-1")


def test_accepting_the_first_suggestion_assigns_the_unit_and_records_rank_one():
    c, me = _centre()
    events = c.send(me, "unit.assign_recommended", {"incident_id": INC, "unit_id": "A01", "rank": 1,
                                                     "first_unit_id": "A01"})
    assert [e["name"] for e in events] == ["unit.assigned", "unit.recommendation_decided"]
    assert c.unit("A01")["status"] == "dispatched"
    [decision] = c.incident(INC)["recommendation_decisions"]
    assert decision["rank"] == 1 and decision["override_reason"] is None


def test_picking_another_unit_needs_a_reason_and_the_reason_is_recorded():
    from app.protocol.errors import ErrorCode, ProtocolError

    c, me = _centre()
    with pytest.raises(ProtocolError) as refused:
        c.send(me, "unit.assign_recommended", {"incident_id": INC, "unit_id": "A02", "rank": 2,
                                               "first_unit_id": "A01"})
    assert refused.value.code == ErrorCode.INVALID_ARGS
    assert c.unit("A02")["status"] == "available"
    c.send(me, "unit.assign_recommended", {"incident_id": INC, "unit_id": "A02", "rank": 2, "first_unit_id": "A01",
                                           "override_reason": "road_conditions", "override_note": "隧道封闭"})
    [decision] = c.incident(INC)["recommendation_decisions"]
    assert (decision["unit_id"], decision["override_reason"], decision["override_note"]) == (
        "A02", "road_conditions", "隧道封闭")


def test_a_busy_unit_is_refused_like_a_plain_assignment():
    from app.protocol.errors import ErrorCode, ProtocolError

    c, me = _centre()
    c.send(me, "unit.assign", {"incident_id": INC, "unit_id": "A01"})
    with pytest.raises(ProtocolError) as refused:
        c.send(me, "unit.assign_recommended", {"incident_id": INC, "unit_id": "A01", "rank": 1})
    assert refused.value.code == ErrorCode.UNIT_BUSY
