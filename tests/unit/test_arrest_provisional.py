"""At the moment a cardiac arrest is recognised the incident is priority I with the ALS
emergency plan; the arrest determinant, when reached, takes over."""

from __future__ import annotations

import pytest

from app.dispatch.pending import needed_capability
from app.domain.common import Principal
from app.domain.decide import decide
from app.domain.model import Role
from app.domain.state import State
from app.domain.triage import arrest_plan, plan_of
from app.protocol.errors import ProtocolError
from app.triage.loader import DEFAULT_PROTOCOL_DIR, load_protocol_set

INCIDENT = "7c2e9a41-5b3d-4e8f-a16c-0d9b2f4e6a83"
SEAT = Principal("seat-1", Role.SEAT, "seat 1")
AT = "2026-11-27T03:20:25.850Z"


def _state() -> State:
    state = State()
    state.apply({"seq": 1, "ts": "2026-11-27T03:20:00.000Z", "name": "incident.created", "data": {
        "incident_id": INCIDENT, "call_id": None, "seat_id": "seat-1", "address": None, "callback_number": None,
        "description": None, "patients": 1, "priority": None}})
    return state


def _apply(state: State, name: str, data: dict) -> None:
    assert state.apply({"seq": state.seq + 1, "ts": "2026-11-27T03:20:26.000Z", "name": name, "data": data})


def test_the_shipped_arrest_protocol_asks_for_priority_one_and_als_emergency():
    assert arrest_plan(load_protocol_set(DEFAULT_PROTOCOL_DIR)) == {
        "priority": 1, "plan": "als_emergency", "capability": "als"}


def test_recognising_an_arrest_sets_priority_one_and_the_als_plan_before_any_determinant():
    state = _state()
    args = {"incident_id": INCIDENT, "at": AT, "priority": 1, "plan": "als_emergency", "capability": "als"}
    [(name, data)] = decide(state, SEAT, "triage.arrest_recognised", args)
    _apply(state, name, data)
    incident = state.incidents[INCIDENT]
    assert incident["priority"] == 1
    assert plan_of(incident) == {"protocol": "cardiac_arrest", "priority": 1, "plan": "als_emergency",
                                 "capability": "als", "at": "2026-11-27T03:20:26.000Z", "provisional": True}
    assert needed_capability(incident) == "als"  # the pending queue and early dispatch see it


def test_the_arrest_determinant_takes_over_from_the_provisional_plan():
    state = _state()
    _apply(state, "triage.arrest_recognised", {"incident_id": INCIDENT, "at": AT, "priority": 1,
                                                "plan": "als_emergency", "capability": "als"})
    _apply(state, "triage.completed", {"incident_id": INCIDENT, "protocol": "cardiac_arrest",
                                        "protocol_version": "2026.11", "determinant": "01-A-1", "priority": 1,
                                        "plan": "als_emergency_multi", "capability": "als", "cpr": True})
    assert plan_of(state.incidents[INCIDENT])["determinant"] == "01-A-1"
    assert "provisional" not in plan_of(state.incidents[INCIDENT])


def test_an_older_seat_recognising_without_a_plan_changes_only_the_milestone():
    state = _state()
    _apply(state, "triage.arrest_recognised", {"incident_id": INCIDENT, "at": AT})
    incident = state.incidents[INCIDENT]
    assert incident["priority"] is None and plan_of(incident) is None
    assert incident["milestones"]["arrest_recognised"]


def test_a_half_given_provisional_plan_is_refused():
    with pytest.raises(ProtocolError) as exc:
        decide(_state(), SEAT, "triage.arrest_recognised", {"incident_id": INCIDENT, "at": AT, "priority": 1})
    assert exc.value.code == "invalid_args"
