"""First responders: who is alerted, which AED is open, and only one volunteer fetches it."""

from __future__ import annotations

from datetime import datetime, time

import pytest

from app.dispatch.responders import VolunteerFix, aed_accessible, fetch_plan, volunteers_within
from app.domain.common import Principal
from app.domain.model import Role
from app.domain.responders import decide_alert, decide_response
from app.domain.state import State
from app.protocol.errors import ProtocolError
from app.protocol.responders import RouteSource

SCENE = (43.7384, 7.4246)
NOW = 1_800_000_000.0


def fix(lat, lon, age_s=0.0):
    return VolunteerFix(lat, lon, NOW - age_s)


def test_only_volunteers_within_the_radius_are_chosen_nearest_first():
    fixes = {"far": fix(43.7474, 7.4246), "near": fix(43.7402, 7.4246), "nearest": fix(43.7390, 7.4246),
             "edge": fix(43.7428, 7.4246)}
    chosen = volunteers_within(SCENE, fixes, 500, now_epoch_s=NOW)
    assert [v for v, _ in chosen] == ["nearest", "near", "edge"]
    assert all(d <= 500 for _, d in chosen)
    assert [v for v, _ in volunteers_within(SCENE, fixes, 100, now_epoch_s=NOW)] == ["nearest"]


def test_a_stale_position_or_an_already_alerted_volunteer_is_not_alerted_again():
    fixes = {"stale": fix(43.7390, 7.4246, age_s=3600), "done": fix(43.7390, 7.4246), "new": fix(43.7391, 7.4246)}
    assert volunteers_within(SCENE, fixes, 500, now_epoch_s=NOW, exclude={"done"})[0][0] == "new"
    assert len(volunteers_within(SCENE, fixes, 500, now_epoch_s=NOW, exclude={"done"})) == 1


@pytest.mark.parametrize(("access", "clock", "open_"), [
    ("24h", time(3, 0), True),
    ("08:00-20:00", time(8, 0), True),
    ("08:00-20:00", time(19, 59), True),
    ("08:00-20:00", time(20, 0), False),
    ("08:00-20:00", time(2, 30), False),
    ("22:00-06:00", time(23, 0), True),
    ("22:00-06:00", time(5, 59), True),
    ("22:00-06:00", time(12, 0), False),
])
def test_aed_access_hours(access, clock, open_):
    assert aed_accessible(access, clock) is open_


def test_malformed_access_hours_are_an_error_not_open():
    with pytest.raises(ValueError):
        aed_accessible("sometimes", time(12, 0))


def test_the_fetcher_gets_the_nearest_accessible_aed_not_a_nearer_closed_one():
    aeds = [
        {"aed_id": "closed-near", "lat": 43.7386, "lon": 7.4246, "access": "08:00-20:00"},
        {"aed_id": "open-farther", "lat": 43.7396, "lon": 7.4250, "access": "24h"},
        {"aed_id": "open-far", "lat": 43.7450, "lon": 7.4300, "access": "24h"},
    ]
    night = datetime(2026, 11, 3, 23, 0)
    plan = fetch_plan((43.7402, 7.4246), SCENE, aeds, night)
    assert plan.aed_id == "open-farther" and plan.walk.route == RouteSource.STRAIGHT_LINE
    assert plan.walk.path[1] == (43.7396, 7.4250) and plan.walk.path[-1] == SCENE
    assert fetch_plan((43.7402, 7.4246), SCENE, aeds, datetime(2026, 11, 3, 12, 0)).aed_id == "closed-near"
    assert fetch_plan((43.7402, 7.4246), SCENE, aeds[:1], night) is None


def _state() -> State:
    state = State()
    state.incidents["i1"] = {"incident_id": "i1", "state": "open"}
    [(name, data)] = decide_alert(state, "i1", "a1", 500, [("v1", 120.0), ("v2", 300.0)])
    state.apply({"seq": 1, "ts": "2026-11-03T10:00:00+00:00", "name": name, "data": data})
    return state


FETCH = {"aed_id": "aed-1", "walk_s": 200.0, "distance_m": 280.0, "route": "straight_line"}


def test_only_one_accepted_volunteer_is_told_to_fetch_the_aed():
    state = _state()
    v1, v2 = Principal("v1", Role.VOLUNTEER, "v1"), Principal("v2", Role.VOLUNTEER, "v2")
    first = decide_response(state, v1, {"alert_id": "a1", "response": "accepted"}, FETCH)
    assert [n for n, _ in first] == ["responders.responded", "responders.aed_assigned"]
    for seq, (name, data) in enumerate(first, start=2):
        state.apply({"seq": seq, "ts": "2026-11-03T10:00:05+00:00", "name": name, "data": data})
    second = decide_response(state, v2, {"alert_id": "a1", "response": "accepted"}, FETCH)
    assert [n for n, _ in second] == ["responders.responded"]
    assert state.responder_alerts["a1"]["fetcher"]["volunteer_id"] == "v1"


def test_a_volunteer_not_alerted_learns_nothing_and_arrival_needs_acceptance():
    state = _state()
    stranger = Principal("v9", Role.VOLUNTEER, "v9")
    with pytest.raises(ProtocolError) as exc:
        decide_response(state, stranger, {"alert_id": "a1", "response": "accepted"}, None)
    assert exc.value.code == "not_found"
    with pytest.raises(ProtocolError) as exc:
        decide_response(state, Principal("v1", Role.VOLUNTEER, "v1"), {"alert_id": "a1", "response": "arrived"}, None)
    assert exc.value.code == "illegal_transition"


def test_nobody_within_the_radius_is_a_clear_refusal():
    state = State()
    state.incidents["i1"] = {"incident_id": "i1", "state": "open"}
    with pytest.raises(ProtocolError) as exc:
        decide_alert(state, "i1", "a1", 500, [])
    assert exc.value.code == "conflict"
