"""The caller's location and repeat calls, end to end with the real ``dispatch120-server``.

The phone switch offers a call with two disagreeing location candidates; the seat's own
store (the real ``SeatStore`` fed with what the server sent) has both; the dispatcher's
``incident.locate`` is an event of the log with the seat and the source; a repeat call is
attached; bad positions are refused with ``invalid_args`` and nothing is stored.
"""

from __future__ import annotations

import pytest

from app.domain.location import disagreements
from app.protocol import ErrorCode, new_id
from app.seat.store import SeatStore

pytestmark = pytest.mark.integration

GPS = {"source": "gps", "lat": 29.5631, "lon": 106.5772, "accuracy_m": 15.0,
       "at": "2026-11-27T03:29:52.000Z", "address": None}
CELL = {"source": "cell", "lat": 29.5562, "lon": 106.5851, "accuracy_m": 800.0, "at": None, "address": None}


def seat_store(conn) -> SeatStore:
    store = SeatStore()
    for msg in conn.received:
        store.handle_message(msg)
    return store


def test_call_with_disagreeing_candidates_located_and_a_repeat_attached(dispatch_server):
    server = dispatch_server
    switch = server.client("switch-1")
    seat = server.client("seat-1")
    assert switch.command("call.offered", {"call_id": "c-1", "caller_number": "13500135000",
                                            "locations": [GPS, CELL]})["type"] == "ack"
    seat.wait_event("call.received", call_id="c-1")
    call = seat_store(seat).state.calls["c-1"]
    assert call["locations"] == [GPS, CELL]
    assert disagreements(call["locations"])  # ~1.1 km apart, ±815 m together

    assert seat.command("call.answer", {"call_id": "c-1"})["type"] == "ack"
    incident_id = new_id()
    assert seat.command("incident.create", {"incident_id": incident_id, "call_id": "c-1"})["type"] == "ack"
    located = seat.command("incident.locate", {"incident_id": incident_id, "lat": 29.5631, "lon": 106.5772,
                                               "source": "candidate", "candidate_source": "gps"})
    assert located["type"] == "ack"
    seat.wait_event("incident.located", incident_id=incident_id)
    [logged] = [e for e in server.db_events() if e["name"] == "incident.located"]
    assert logged["data"]["seat_id"] == "seat-1" and logged["data"]["source"] == "candidate"
    assert logged["actor_id"] == "seat-1" and logged["ts"]
    incident = seat_store(seat).state.incidents[incident_id]
    assert incident["location"]["set_by"] == "seat-1"
    assert incident["location"]["candidate_source"] == "gps"

    # A late Wi-Fi fix, then the same number calls again and is attached.
    wifi = {**GPS, "source": "wifi", "accuracy_m": 40.0}
    assert switch.command("call.add_location", {"call_id": "c-1", "location": wifi})["type"] == "ack"
    assert switch.command("call.offered", {"call_id": "c-2", "caller_number": "13500135000"})["type"] == "ack"
    assert seat.command("call.ended", {"call_id": "c-1"})["type"] == "ack"
    assert seat.command("call.answer", {"call_id": "c-2"})["type"] == "ack"
    assert seat.command("call.attach", {"call_id": "c-2", "incident_id": incident_id})["type"] == "ack"
    seat.wait_event("call.attached", call_id="c-2")
    store = seat_store(seat)
    assert store.state.calls["c-2"]["incident_id"] == incident_id
    assert store.state.incidents[incident_id]["calls"] == ["c-2"]
    assert [c["source"] for c in store.state.calls["c-1"]["locations"]] == ["gps", "cell", "wifi"]
    again = seat.command("call.attach", {"call_id": "c-2", "incident_id": incident_id})
    assert again["type"] == "error" and again["code"] == ErrorCode.CONFLICT


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("incident.locate", {"lat": 91.0, "lon": 7.4, "source": "map_click"}),
        ("incident.locate", {"lat": 43.7, "lon": 7.4, "source": "teleport"}),
        ("call.offered", {"call_id": "c-9", "caller_number": "120",
                          "locations": [{"source": "gps", "lat": 43.7, "lon": 181.0, "accuracy_m": 5}]}),
        ("call.offered", {"call_id": "c-9", "caller_number": "120",
                          "locations": [{"source": "cell", "accuracy_m": 300}]}),
        ("call.offered", {"call_id": "c-9", "caller_number": "120",
                          "locations": [{"source": "gps", "lat": 43.7, "lon": 7.4, "accuracy_m": -1}]}),
    ],
)
def test_bad_positions_are_refused_with_invalid_args_and_nothing_is_stored(dispatch_server, name, args):
    server = dispatch_server
    who = server.client("switch-1" if name == "call.offered" else "seat-1")
    before = server.db_count("events")
    if name == "incident.locate":
        args = {"incident_id": new_id(), **args}
    reply = who.command(name, args)
    assert reply["type"] == "error" and reply["code"] == ErrorCode.INVALID_ARGS, reply
    assert server.db_count("events") == before
    assert who.command("call.offered" if name == "call.offered" else "seat.set_ready",
                       {"call_id": "c-ok", "caller_number": "120"} if name == "call.offered" else {"ready": True}
                       )["type"] == "ack"
