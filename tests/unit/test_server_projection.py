"""project(): numbered events and changed query rows, without touching the live state."""

from __future__ import annotations

import copy
import uuid

import pytest

from app.domain.decide import SYSTEM, Principal, decide, seat_connected
from app.domain.model import Role
from app.domain.state import State
from server_stub.projection import QUERY_TABLES, ScratchTable, project

TS = "2026-11-27T08:00:00.000Z"
SEAT = Principal("seat-1", Role.SEAT, "一号席")
SWITCH = Principal("switch-1", Role.SWITCH, "交换机")
DEVICE = Principal("dev-A1", Role.DEVICE, "dev-A1", unit_id="A1")
INCIDENT = str(uuid.uuid4())

REGISTRY = [
    ("station.registered", {"station_id": "st-1", "name": "南岸站", "lat": 29.5, "lon": 106.5}),
    ("unit.registered", {"unit_id": "A1", "call_sign": "渝A1", "station_id": "st-1", "capability": "als"}),
    ("unit.registered", {"unit_id": "A2", "call_sign": "渝A2", "station_id": "st-1", "capability": "bls"}),
    ("principal.registered", {"principal_id": "seat-1", "role": "seat", "name": "一号席", "unit_id": None}),
]

STORY = [
    (SWITCH, "call.offered", {"call_id": "c1", "caller_number": "13800138000"}),
    (SEAT, "seat.set_ready", {"ready": True}),
    (SEAT, "call.answer", {"call_id": "c1"}),
    (SEAT, "incident.create", {"incident_id": INCIDENT, "call_id": "c1", "address": "南坪"}),
    (SEAT, "incident.update", {"incident_id": INCIDENT, "patients": 2}),
    (SEAT, "unit.assign", {"incident_id": INCIDENT, "unit_id": "A1", "unit_version": 0}),
    (DEVICE, "unit.status", {"unit_id": "A1", "status": "en_route"}),
    (DEVICE, "unit.status", {"unit_id": "A1", "status": "on_scene"}),
    (DEVICE, "unit.status", {"unit_id": "A1", "status": "transporting"}),
    (DEVICE, "unit.status", {"unit_id": "A1", "status": "at_hospital"}),
    (DEVICE, "unit.status", {"unit_id": "A1", "status": "available"}),
    (SWITCH, "call.ended", {"call_id": "c1"}),
    (SEAT, "incident.close", {"incident_id": INCIDENT, "reason": "transported"}),
]


def full_copy_changes(state: State, events: list[dict]) -> dict[str, dict]:
    """The reference: apply to a complete deep copy and diff every query table."""
    after = State.from_dict(state.to_dict())
    for msg in events:
        after.apply(msg)
    changes = {}
    for table in QUERY_TABLES:
        rows = {k: v for k, v in getattr(after, table).items() if getattr(state, table).get(k) != v}
        if rows:
            changes[table] = rows
    return changes


def step(state: State, who: Principal, drafts: list) -> None:
    before = copy.deepcopy(state.to_dict())
    proj = project(state, drafts, ts=TS, actor={"id": who.id, "role": who.role.value}, ref=None)
    assert state.to_dict() == before, "project() must not touch the live state"
    assert [e["seq"] for e in proj.events] == list(range(state.seq + 1, state.seq + 1 + len(drafts)))
    assert proj.changed == full_copy_changes(state, proj.events)
    assert proj.skipped == 0
    for msg in proj.events:
        state.apply(msg)


def test_projected_rows_equal_a_full_copy_at_every_step_of_a_whole_incident():
    state = State()
    step(state, Principal("admin-cli", Role.ADMIN, "admin"), REGISTRY)
    step(state, SEAT, seat_connected(state, "seat-1"))
    for who, name, args in STORY:
        step(state, who, decide(state, who, name, args))
    assert state.incidents[INCIDENT]["state"] == "closed"


def test_a_batch_that_changes_nothing_in_the_query_tables_has_no_rows():
    state = State()
    step(state, SYSTEM, REGISTRY[:1])  # a station: no query table
    proj = project(state, [("seat.state_changed", {"seat_id": "seat-1", "state": "not_ready"})], ts=TS,
                   actor={"id": "server", "role": "admin"}, ref=None)
    assert proj.changed == {}


def test_events_for_missing_entities_are_counted_as_skipped():
    proj = project(State(), [("call.queued", {"call_id": "nope"})], ts=TS, actor={"id": "x", "role": "seat"}, ref="r")
    assert proj.skipped == 1
    assert proj.events[0]["ref"] == "r"


def test_the_scratch_table_copies_on_read_and_refuses_to_enumerate():
    live = {"a": {"n": 1}}
    scratch = ScratchTable(live)
    scratch["a"]["n"] = 2
    scratch.setdefault("b", {})["n"] = 3
    assert live == {"a": {"n": 1}}
    assert scratch.touched() == {"a": {"n": 2}, "b": {"n": 3}}
    assert "zzz" not in scratch and scratch.get("zzz") is None
    for enumerate_it in (list, len, lambda t: t.values(), lambda t: t.items(), lambda t: t.pop("a")):
        with pytest.raises(TypeError):
            enumerate_it(scratch)
