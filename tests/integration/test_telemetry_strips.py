"""ECG strips through a real server: on a seat's request and around a high-priority alarm."""

from __future__ import annotations

import sqlite3
import time

import orjson
import pytest

from app.domain.decide import SYSTEM
from app.protocol import new_id
from app.sim.monitor import SimulatedMonitor

pytestmark = pytest.mark.integration


def strips(server) -> list[dict]:
    with sqlite3.connect(f"file:{server.db_path}?mode=ro", uri=True) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM strips ORDER BY created_at")]


def dispatched(server, seat) -> str:
    incident_id = new_id()
    assert seat.command("incident.create", {"incident_id": incident_id, "address": "解放碑"})["type"] == "ack"
    assert seat.command("unit.assign", {"incident_id": incident_id, "unit_id": "A1"})["type"] == "ack"
    return incident_id


def test_a_seat_keeps_the_last_seconds_of_an_ambulances_ecg_on_its_incident(dispatch_server):
    seat = dispatch_server.client("seat-1")
    incident_id = dispatched(dispatch_server, seat)
    device = dispatch_server.client("dev-A1")
    monitor = SimulatedMonitor("A1", "stemi", start_epoch_s=time.time() - 8.0)
    frames = [f for f in monitor.frames_until(time.time() - 0.5) if f["kind"] == "waveform"]
    for frame in frames:
        device.send_json(frame)
    seat.send_json({"v": 1, "type": "subscribe", "unit_ids": ["A1"], "kinds": ["waveform"]})
    device.command("seat.set_ready", {"ready": True})  # a round trip: every frame before it was handled

    reply = seat.command("telemetry.strip_request", {"unit_id": "A1", "seconds": 5})
    assert reply["type"] == "ack", reply
    event = seat.wait_event("telemetry.strip_stored")
    data = event["data"]
    assert data["incident_id"] == incident_id and data["reason"] == "request" and data["channel"] == "ECG_II"
    assert data["seconds"] == 5.0
    [row] = strips(dispatch_server)
    assert row["strip_id"] == data["strip_id"] and row["incident_id"] == incident_id and row["start"] == data["start"]
    samples = orjson.loads(row["samples"])
    sent = [s for f in frames if f["data"]["channel"] == "ECG_II" for s in f["data"]["samples"]]
    assert samples == sent[-2500:], "the strip is exactly the last 5 s the monitor sent"


def test_a_strip_needs_ecg_and_an_incident_and_nothing_is_stored_otherwise(dispatch_server):
    seat = dispatch_server.client("seat-1")
    no_incident = seat.command("telemetry.strip_request", {"unit_id": "A1", "seconds": 10})
    assert no_incident["type"] == "error" and no_incident["code"] == "conflict"
    dispatched(dispatch_server, seat)
    no_ecg = seat.command("telemetry.strip_request", {"unit_id": "A1", "seconds": 10})
    assert no_ecg["type"] == "error" and no_ecg["code"] == "not_found"
    too_long = seat.command("telemetry.strip_request", {"unit_id": "A1", "seconds": 600})
    assert too_long["type"] == "error" and too_long["code"] == "invalid_args"
    assert strips(dispatch_server) == []
    assert not [e for e in dispatch_server.db_events() if e["name"] == "telemetry.strip_stored"]


def test_a_vf_alarm_keeps_the_ecg_before_it_on_the_incident(dispatch_server):
    seat = dispatch_server.client("seat-1")
    incident_id = dispatched(dispatch_server, seat)
    device = dispatch_server.client("dev-A1")
    monitor = SimulatedMonitor("A1", "vf", start_epoch_s=time.time() - 3.0)
    for frame in monitor.frames_until(time.time()):
        device.send_json(frame)
    event = seat.wait_event("telemetry.strip_stored", timeout=10)
    assert event["data"]["reason"] == "alarm" and event["data"]["alarm_code"] == "VF"
    assert event["data"]["incident_id"] == incident_id and event["actor"]["id"] == SYSTEM.id
    [row] = strips(dispatch_server)
    assert row["reason"] == "alarm" and 0 < row["seconds"] <= 10
