"""A command's events reach every seat, the sender included, before the sender's ack.

So a seat that gets its ack can trust its store: what the command changed is there.
"""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.integration


def test_the_sender_has_the_events_of_its_command_before_the_ack(dispatch_server):
    seat = dispatch_server.client("seat-1")
    other = dispatch_server.client("seat-2")
    incident_id = str(uuid.uuid4())
    command_id = seat.send_command("incident.create", {"incident_id": incident_id, "address": "解放碑"})

    ack = seat.reply_to(command_id)

    assert ack["type"] == "ack" and ack["events"] == 1
    caused = [m for m in seat.received if m.get("ref") == command_id]
    assert [m["type"] for m in caused] == ["event", "ack"]
    assert caused[0]["seq"] == ack["seq"] and caused[0]["data"]["incident_id"] == incident_id
    assert other.wait_event("incident.created", incident_id=incident_id)["seq"] == ack["seq"]


def test_a_command_that_makes_several_events_sends_them_all_before_its_ack(dispatch_server):
    switch = dispatch_server.client("switch-1")
    seat = dispatch_server.client("seat-1")
    assert seat.command("seat.set_ready", {"ready": True})["type"] == "ack"
    command_id = switch.send_command("call.offered", {"call_id": "c-order", "caller_number": "13800138000"})

    ack = switch.reply_to(command_id)

    assert ack["events"] >= 2, ack  # offered, then ringing at the ready seat
    caused = [m for m in switch.received if m.get("ref") == command_id]
    assert [m["type"] for m in caused] == ["event"] * ack["events"] + ["ack"]
    assert caused[-2]["seq"] == ack["seq"]
