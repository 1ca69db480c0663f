"""Two server processes on one PostgreSQL log: one order of events, one winner per unit.

Without a bus between them (Redis comes next), an instance learns of the other's events
from the log: PostgreSQL NOTIFY wakes it at once, polling every second backs that up.
"""

from __future__ import annotations

import uuid

import pytest


@pytest.fixture
def two_instances(start_server, pg_url):
    return start_server(db_url=pg_url), start_server(db_url=pg_url)


def create_incident(seat, address: str) -> str:
    incident_id = str(uuid.uuid4())
    reply = seat.command("incident.create", {"incident_id": incident_id, "address": address, "patients": 1})
    assert reply["type"] == "ack", reply
    return incident_id


def test_a_seat_on_b_sees_the_unit_a_seat_on_a_assigned(two_instances):
    server_a, server_b = two_instances
    seat_a, seat_b = server_a.client("seat-1"), server_b.client("seat-2")
    incident_id = create_incident(seat_a, "南坪西路 8 号")

    reply = seat_a.command("unit.assign", {"incident_id": incident_id, "unit_id": "A1", "unit_version": 0})
    assert reply["type"] == "ack", reply

    seen = seat_b.wait_event("unit.assigned", unit_id="A1", incident_id=incident_id)
    assert seen["seq"] == reply["seq"]


def test_two_seats_on_two_instances_assigning_one_unit_at_once_exactly_one_wins(two_instances):
    server_a, server_b = two_instances
    seat_a, seat_b = server_a.client("seat-1"), server_b.client("seat-2")
    first, second = create_incident(seat_a, "观音桥"), create_incident(seat_b, "解放碑")
    seat_b.wait_event("incident.created", incident_id=first)
    seat_a.wait_event("incident.created", incident_id=second)

    # Both send before either reads a reply: the two instances decide at the same moment.
    sent_a = seat_a.send_command("unit.assign", {"incident_id": first, "unit_id": "A1", "unit_version": 0})
    sent_b = seat_b.send_command("unit.assign", {"incident_id": second, "unit_id": "A1", "unit_version": 0})
    replies = [seat_a.reply_to(sent_a), seat_b.reply_to(sent_b)]

    assert sorted(r["type"] for r in replies) == ["ack", "error"], replies
    refused = next(r for r in replies if r["type"] == "error")
    assert refused["code"] in ("unit_busy", "conflict")  # busy: it saw the assignment; conflict: the version moved
    assert "A1" in refused["message"]
    winner_incident = first if replies[0]["type"] == "ack" else second
    events = server_a.db_events()
    assert [(e["data"]["unit_id"], e["data"]["incident_id"]) for e in events if e["name"] == "unit.assigned"] == [
        ("A1", winner_incident)
    ]
    # One global order: the log has no gaps, and both seats hold the same assignment at the same seq.
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    on_a = seat_a.wait_event("unit.assigned", unit_id="A1")
    on_b = seat_b.wait_event("unit.assigned", unit_id="A1")
    assert on_a["seq"] == on_b["seq"] and on_a["data"] == on_b["data"]
