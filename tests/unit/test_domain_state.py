"""The projection every seat and the server share: same events in, same state out.

A seat that replays, restores a snapshot, or hears an event twice must end up
exactly where the server is; odd events from a newer server must not stop it.
"""

from __future__ import annotations

import pytest

from app.domain.model import IncidentState
from app.domain.state import State
from app.protocol import EVENTS, SERVER_TYPES, ProtocolError, decode, encode, event
from tests.unit.domain_harness import (
    INCIDENT_1,
    busy_day,
    device,
    open_incident,
    seat,
    staffed_centre,
)

# Events only ``dispatch120-server admin`` writes; ``decide`` never drafts them.
ADMIN_ONLY_EVENTS = {
    "station.registered", "hospital.registered", "principal.revoked", "aed.registered", "hospital.capabilities_set",
}  # fmt: skip
# Events the server drafts from live data only it holds (volunteers' positions, ECG, the assembled
# pre-notification package); their own integration tests cover them (test_responders_flow,
# test_telemetry_flow, test_prenotify_flow).
SERVER_CONTEXT_EVENTS = {
    "responders.alerted", "responders.responded", "responders.aed_assigned", "prenotify.sent",
    "prenotify.acknowledged", "telemetry.strip_stored",
    "training.asked",  # training centre only, from the seat that answered (tests/unit/test_training_ask.py)
    "training.caller_said",  # only a training centre (a trainer registered) takes the simulated caller's words (tests/unit/test_training_caller.py)
    "training.clock_set", "training.injected",  # training centre only too (tests/unit/test_training_control.py)
    "call.media_purged",  # the server's retention purge, days after the incident closed (tests/unit/test_caller_media_retention.py)
}  # fmt: skip


def test_every_decided_event_validates():
    """The harness validates every draft before applying it; here: the script reached them all."""
    c = busy_day()
    drafted = {e["name"] for e in c.log}
    expected = set(EVENTS) - ADMIN_ONLY_EVENTS - SERVER_CONTEXT_EVENTS
    assert drafted >= expected, expected - drafted
    for msg in c.log:
        assert decode(encode(msg), allowed=SERVER_TYPES) == msg


def test_projection_is_deterministic():
    c = busy_day()
    first, second = State(), State()
    for msg in c.log:
        first.apply(msg)
    for msg in c.log:
        second.apply(msg)
    assert first.to_dict() == second.to_dict() == c.state.to_dict()


def test_snapshot_round_trip():
    c = busy_day()
    for cut in (0, 1, len(c.log) // 3, len(c.log) // 2, len(c.log) - 1, len(c.log)):
        live = State()
        for msg in c.log[:cut]:
            live.apply(msg)
        restored = State.from_dict(
            decode(encode({"v": 1, "type": "snapshot", "seq": live.seq, "state": live.to_dict()}))["state"]
        )
        assert restored.to_dict() == live.to_dict()
        for msg in c.log[cut:]:
            assert restored.apply(msg) == live.apply(msg)
        assert restored.to_dict() == live.to_dict() == c.state.to_dict()


def test_snapshot_is_a_copy_not_a_view():
    c = busy_day()
    snapshot = c.state.to_dict()
    snapshot["units"]["A01"]["status"] = "on_scene"
    assert c.unit("A01")["status"] == "available"
    restored = State.from_dict(snapshot)
    snapshot["units"]["A01"]["status"] = "transporting"
    assert restored.units["A01"]["status"] == "on_scene"


def test_apply_ignores_old_and_unknown_events():
    c = busy_day()
    state = State()
    for msg in c.log:
        state.apply(msg)
    before = state.to_dict()
    # Heard again (a replay overlapping live events): nothing changes.
    assert not any(state.apply(msg) for msg in c.log)
    assert state.to_dict() == before
    # An event this version does not know (from a newer server): ignored, but its seq is taken
    # so the seat does not ask for it again.
    newer = event(
        seq=state.seq + 1,
        ts="2026-11-27T09:00:00.000Z",
        name="unit.position_reported",
        actor={"id": "dev-A01", "role": "device"},
        ref=None,
        data={"unit_id": "A01", "lat": 29.56, "lon": 106.57},
    )
    assert state.apply(newer) is False
    assert state.seq == newer["seq"]
    assert {k: v for k, v in state.to_dict().items() if k != "seq"} == {
        k: v for k, v in before.items() if k != "seq"
    }
    assert state.skipped == 0


def test_event_about_something_the_seat_never_heard_of_is_skipped_and_counted():
    state = State()
    orphan = event(
        seq=7,
        ts="2026-11-27T09:00:00.000Z",
        name="unit.assigned",
        actor={"id": "seat-1", "role": "seat"},
        ref=None,
        data={"incident_id": INCIDENT_1, "unit_id": "A01", "version": 1},
    )
    assert state.apply(orphan) is False
    assert state.skipped == 1 and state.seq == 7
    assert state.units == {} and state.incidents == {}


@pytest.mark.parametrize(
    "data",
    [
        {"unit_id": "A01", "status": "en_route", "incident_id": INCIDENT_1, "version": 2, "manual": False},
        {
            "unit_id": "A01",
            "status": "returning_to_station",
            "previous": "at_hospital",
            "incident_id": INCIDENT_1,
            "version": 2,
            "manual": False,
        },
    ],
    ids=["missing_previous", "status_from_a_newer_server"],
)
def test_odd_event_data_from_a_newer_server_does_not_crash_the_seat(data):
    c = staffed_centre()
    at = open_incident(c)
    c.send(seat(at), "unit.assign", {"incident_id": INCIDENT_1, "unit_id": "A01"})
    frame = encode(
        event(
            seq=c.state.seq + 1,
            ts="2026-11-27T09:00:00.000Z",
            name="unit.status_changed",
            actor={"id": "dev-A01", "role": "device"},
            ref=None,
            data=data,
        )
    )
    before = c.state.to_dict()
    try:
        msg = decode(frame, allowed=SERVER_TYPES)
    except ProtocolError:
        return  # refused at the door: fine
    assert c.state.apply(msg) is False  # or skipped, and counted
    assert c.state.units == before["units"]


def test_open_incidents_leave_out_closed_ones():
    c = busy_day()
    assert c.state.open_incidents() == []
    open_incident(c, "5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e", call_id="20261127-0005")
    assert [i["state"] for i in c.state.open_incidents()] == [IncidentState.OPEN]


def test_device_reports_reach_the_seat_exactly_as_the_server_applied_them():
    """Server and seat use the same projection: feeding the server's log to a seat gives its state."""
    c = staffed_centre()
    at = open_incident(c)
    c.send(seat(at), "unit.assign", {"incident_id": INCIDENT_1, "unit_id": "A01"})
    c.send(device("A01"), "unit.status", {"unit_id": "A01", "status": "en_route"})
    seat_copy = State()
    for msg in c.log:
        seat_copy.apply(decode(encode(msg), allowed=SERVER_TYPES))
    assert seat_copy.to_dict() == c.state.to_dict()
