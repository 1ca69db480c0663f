"""A call from the phone switch to a closed incident, through a real server process."""

from __future__ import annotations

import json
import sqlite3
import uuid

from app.protocol import parse_ts

CALLER = "13800138000"


def test_a_call_goes_from_the_switch_to_a_closed_incident_and_every_seat_sees_it(dispatch_server):
    server = dispatch_server
    switch = server.client("switch-1")
    seat_a = server.client("seat-1")
    seat_b = server.client("seat-2")
    device = server.client("dev-A1")
    seq_before = server.db_count("events")

    # The dispatcher at seat A says she is ready; the switch offers a call; it rings at A.
    assert seat_a.command("seat.set_ready", {"ready": True})["type"] == "ack"
    offered = switch.command(
        "call.offered", {"call_id": "c-1", "caller_number": CALLER, "location_text": "南岸区 南坪"}
    )
    assert offered["type"] == "ack" and offered["events"] == 2  # call.received + call.ringing
    seat_a.wait_event("call.ringing", call_id="c-1", seat_id="seat-1")

    # She answers, records the incident and assigns A1 (version 0, as she saw it).
    assert seat_a.command("call.answer", {"call_id": "c-1"})["type"] == "ack"
    incident_id = str(uuid.uuid4())
    created = seat_a.command(
        "incident.create",
        {"incident_id": incident_id, "call_id": "c-1", "address": "南坪西路 8 号", "patients": 1},
    )
    assert created["type"] == "ack"
    assigned = seat_a.command("unit.assign", {"incident_id": incident_id, "unit_id": "A1", "unit_version": 0})
    assert assigned["type"] == "ack"

    # The ambulance reports its progress until it is available again.
    device.wait_event("unit.assigned", unit_id="A1")
    for status in ("en_route", "on_scene", "transporting", "at_hospital", "available"):
        reply = device.command("unit.status", {"unit_id": "A1", "status": status})
        assert reply["type"] == "ack", reply

    assert switch.command("call.ended", {"call_id": "c-1"})["type"] == "ack"
    closed = seat_a.command("incident.close", {"incident_id": incident_id, "reason": "transported"})
    assert closed["type"] == "ack", closed

    # Seat B saw every event of the story, in order, without gaps.
    last = seat_b.wait_event("incident.closed", incident_id=incident_id)
    story = [e for e in seat_b.events if e["seq"] > seq_before]
    assert [e["seq"] for e in story] == list(range(seq_before + 1, last["seq"] + 1))
    names = [e["name"] for e in story]
    for expected in (
        "call.received",
        "call.ringing",
        "call.answered",
        "incident.created",
        "unit.assigned",
        "unit.status_changed",
        "call.ended",
        "incident.closed",
    ):
        assert expected in names
    assert names.count("unit.status_changed") == 5

    # Every one of those events is in the database with its time, as broadcast.
    rows = {row["seq"]: row for row in server.db_events()}
    for e in story:
        row = rows[e["seq"]]
        assert (row["name"], row["ts"], row["data"]) == (e["name"], e["ts"], e["data"])
        parse_ts(row["ts"])
    actors = {(rows[e["seq"]]["name"], rows[e["seq"]]["actor_id"]) for e in story}
    assert ("unit.assigned", "seat-1") in actors
    assert ("unit.status_changed", "dev-A1") in actors
    assert ("call.received", "switch-1") in actors

    # The query tables hold the same end state as the projection every seat builds.
    snapshot = server.client("trainer-1").sync_messages[0]["state"]
    conn = sqlite3.connect(f"file:{server.db_path}?mode=ro", uri=True)
    try:
        for table, key in (("incidents", incident_id), ("units", "A1"), ("calls", "c-1")):
            state_json, row_seq = conn.execute(f"SELECT state_json, seq FROM {table} WHERE id = ?", (key,)).fetchone()
            assert json.loads(state_json) == snapshot[table][key]
            assert row_seq <= snapshot["seq"]
    finally:
        conn.close()
    assert snapshot["incidents"][incident_id]["state"] == "closed"
    assert set(snapshot["incidents"][incident_id]["milestones"]) >= {
        "call_received", "call_answered", "incident_created", "unit_dispatched", "unit_departed",
        "on_scene", "left_scene", "at_hospital", "handover", "closed",
    }


def test_a_seat_that_reconnects_gets_only_the_events_it_missed(dispatch_server):
    server = dispatch_server
    seat_a = server.client("seat-1")
    seat_a.command("seat.set_ready", {"ready": True})
    last_seen = seat_a.events[-1]["seq"]
    seat_a.close()

    switch = server.client("switch-1")
    switch.command("call.offered", {"call_id": "c-2", "caller_number": CALLER})
    switch.command("call.offered", {"call_id": "c-3", "caller_number": CALLER})

    again = server.client("seat-1", last_seq=last_seen)
    assert again.welcome["resume"] == "replay"
    replayed = again.sync_messages
    assert replayed, "the missed events are replayed"
    assert all(m["type"] == "event" for m in replayed)
    assert [m["seq"] for m in replayed] == list(range(last_seen + 1, again.welcome["server_seq"] + 1))
    assert {"call.received", "seat.state_changed"} <= {m["name"] for m in replayed}


def test_a_client_ahead_of_the_server_gets_a_snapshot(dispatch_server):
    """E.g. a seat whose training database was reset: its last_seq means nothing here."""
    seat = dispatch_server.client("seat-1", last_seq=10_000)
    assert seat.welcome["resume"] == "snapshot"
    (snap,) = seat.sync_messages
    assert snap["type"] == "snapshot"
    assert snap["seq"] == seat.welcome["server_seq"]
    assert {"A1", "A2"} <= set(snap["state"]["units"])
    assert snap["state"]["principals"]["seat-1"]["role"] == "seat"


def test_a_fresh_client_without_last_seq_gets_a_snapshot_and_then_live_events(dispatch_server):
    seat = dispatch_server.client("seat-2")
    assert seat.welcome["resume"] == "snapshot"
    # Its own login (seat.state_changed) arrives live, after synced.
    event = seat.wait_event("seat.state_changed", seat_id="seat-2", state="not_ready")
    assert event["seq"] > seat.welcome["server_seq"]
