"""A seat fetches a stored ECG strip's samples from a real server: ``GET /strips/<id>``."""

from __future__ import annotations

import re
import time
import uuid

import pytest

from app.seat.strips import StripError, fetch_strip
from app.sim.monitor import SimulatedMonitor
from tests.integration.test_telemetry_strips import dispatched

pytestmark = pytest.mark.integration


def stored_strip(server, seat, seconds: float = 4) -> tuple[dict, list[int]]:
    """Stream ~8 s of a STEMI monitor from A1, ask for a strip; (the event's data, the lead II samples sent)."""
    device = server.client("dev-A1")
    monitor = SimulatedMonitor("A1", "stemi", start_epoch_s=time.time() - 8.0)
    frames = [f for f in monitor.frames_until(time.time() - 0.5) if f["kind"] == "waveform"]
    for frame in frames:
        device.send_json(frame)
    device.command("seat.set_ready", {"ready": True})  # a round trip: every frame before it was handled
    reply = seat.command("telemetry.strip_request", {"unit_id": "A1", "seconds": seconds})
    assert reply["type"] == "ack", reply
    sent = [s for f in frames if f["data"]["channel"] == "ECG_II" for s in f["data"]["samples"]]
    return seat.wait_event("telemetry.strip_stored")["data"], sent


def test_a_seat_fetches_the_samples_of_a_strip_it_asked_for(dispatch_server):
    server = dispatch_server
    seat = server.client("seat-1")
    incident_id = dispatched(server, seat)
    event, sent = stored_strip(server, seat, seconds=4)

    strip = fetch_strip(server.url, server.tokens["seat-2"], event["strip_id"])  # any seat may read it

    assert (strip.strip_id, strip.unit_id, strip.incident_id) == (event["strip_id"], "A1", incident_id)
    assert strip.channel == "ECG_II" and strip.start == event["start"] and strip.unit == "mV"
    assert strip.samples == sent[-len(strip.samples):] and strip.seconds == event["seconds"] == 4.0
    assert max(strip.values()) - min(strip.values()) > 0.5, "an ECG in mV, not raw counts"


def test_a_strip_is_refused_without_a_seat_token_and_unknown_ids_are_not_found(dispatch_server):
    server = dispatch_server
    seat = server.client("seat-1")
    dispatched(server, seat)
    event, _sent = stored_strip(server, seat)
    for token in ("", "not-a-real-token-at-all", server.tokens["seat-1"][:-3] + "xyz", server.tokens["dev-A1"]):
        with pytest.raises(StripError) as refused:
            fetch_strip(server.url, token, event["strip_id"])
        assert refused.value.status == 401, token
    for unknown in (str(uuid.uuid4()), "not-a-uuid", "../events"):
        with pytest.raises(StripError) as missing:
            fetch_strip(server.url, server.tokens["seat-1"], unknown)
        assert missing.value.status == 404, unknown


def test_a_hospital_reads_only_the_strips_of_patients_coming_to_it(dispatch_server):
    server = dispatch_server
    result = server.admin("add-hospital-console", "cath-1", "--hospital", "h-1")
    assert result.returncode == 0, result.stderr
    hospital_token = re.search(r"^\s{4}(\S+)\s*$", result.stdout, re.M).group(1)
    seat = server.client("seat-1")
    incident_id = dispatched(server, seat)
    event, _sent = stored_strip(server, seat)
    with pytest.raises(StripError) as elsewhere:
        fetch_strip(server.url, hospital_token, event["strip_id"])
    assert elsewhere.value.status == 404, "another hospital's patient is not even named"

    reply = seat.command("incident.set_destination", {"incident_id": incident_id, "hospital_id": "h-1", "rank": 1})
    assert reply["type"] == "ack", reply
    assert fetch_strip(server.url, hospital_token, event["strip_id"]).incident_id == incident_id


def test_the_seat_draws_a_strip_fetched_from_the_server(dispatch_server, qtbot):
    from app.seat.store import SeatStore
    from widgets.strip_viewer import StripsWindow

    server = dispatch_server
    seat = server.client("seat-1")
    incident_id = dispatched(server, seat)
    event, sent = stored_strip(server, seat, seconds=3)
    store = SeatStore()  # what the seat's projection holds after telemetry.strip_stored
    store.state.units["A1"] = {"unit_id": "A1", "call_sign": "渝A1", "incident_id": incident_id}
    store.state.incidents[incident_id] = {"incident_id": incident_id, "strips": [event]}

    window = StripsWindow(store, "A1", fetcher=lambda sid: fetch_strip(server.url, server.tokens["seat-1"], sid))
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.viewer.strip is not None, timeout=10_000)
    assert window.viewer.strip.samples == sent[-1500:]
    assert len(window.viewer.paper.curve.getData()[0]) == 1500
