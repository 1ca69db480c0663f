"""Hospital pre-notification through a real server: seat → hospital console → acknowledgement → seat.

A monitor streams a STEMI; the dispatcher pre-notifies the cath-lab hospital; only that
hospital's console gets the package (vitals, ECG, triage, ETA), and its answer reaches the
seat and the crew. Another hospital sees nothing; consoles and devices cannot dispatch.
"""

from __future__ import annotations

import re
import time

import pytest

from app.fhir import bundle_from_package, physical_values
from app.protocol import SERVER_TYPES, decode, encode, new_id
from app.sim.monitor import SimulatedMonitor

pytestmark = pytest.mark.integration

SUMMARY = {"age": 58, "age_estimated": True, "sex": "male", "complaint": "stemi", "note": "胸痛40分钟"}


def add_console(server, console_id: str, hospital_id: str) -> None:
    result = server.admin("add-hospital-console", console_id, "--hospital", hospital_id)
    assert result.returncode == 0, result.stderr
    server.tokens[console_id] = re.search(r"^\s{4}(\S+)\s*$", result.stdout, re.M).group(1)


def dispatched_with_stemi_streaming(server):
    seat = server.client("seat-1")
    incident_id = new_id()
    assert seat.command("incident.create", {"incident_id": incident_id, "address": "解放碑"})["type"] == "ack"
    assert seat.command("unit.assign", {"incident_id": incident_id, "unit_id": "A1"})["type"] == "ack"
    device = server.client("dev-A1")
    monitor = SimulatedMonitor("A1", "stemi", start_epoch_s=time.time() - 12.0)
    for frame in monitor.frames_until(time.time() - 0.2):
        device.send_json(frame)
    device.command("seat.set_ready", {"ready": True})  # a round trip: every frame before it was handled
    return seat, device, incident_id


def test_the_cath_lab_gets_the_stemi_package_and_its_answer_reaches_the_seat_and_the_crew(dispatch_server):
    server = dispatch_server
    seat, device, incident_id = dispatched_with_stemi_streaming(server)
    assert server.admin("add-hospital", "h-2", "--name", "新桥医院", "--lat", "29.55", "--lon", "106.45").returncode == 0
    add_console(server, "ed-1", "h-1")
    add_console(server, "ed-2", "h-2")
    cath_lab = server.client("ed-1")
    other = server.client("ed-2")

    reply = seat.command("prenotify.send", {"incident_id": incident_id, "hospital_id": "h-1", "unit_id": "A1",
                                            "eta_s": 720, "summary": SUMMARY, "include_ecg": True})
    assert reply["type"] == "ack", reply
    sent = seat.wait_event("prenotify.sent")["data"]
    assert sent["hospital_id"] == "h-1" and sent["has_vitals"] and sent["has_ecg"] and sent["unit_id"] == "A1"

    frame = cath_lab.wait_for(lambda m: m["type"] == "prenotify_package")
    decode(encode(frame), allowed=SERVER_TYPES)  # the console's decoder accepts it
    package = frame["package"]
    assert package["prenotify_id"] == sent["prenotify_id"] and package["incident_id"] == incident_id
    assert package["hospital_name"] == "重庆医科大学附属第一医院" and package["call_sign"] == "渝A1"
    assert package["summary"] == SUMMARY and package["eta_s"] == 720 and frame["acknowledged"] is None
    assert package["vitals"]["hr"] > 0 and package["vitals"]["spo2"] > 0
    ecg = package["ecg"]
    assert ecg["channel"] == "ECG_II" and len(ecg["samples"]) == 5000  # 10 s at 500 Hz
    # The FHIR export carries the same samples.
    bundle = bundle_from_package(package)
    [ecg_obs] = [e["resource"] for e in bundle["entry"] if e["resource"].get("component")
                 and "valueSampledData" in e["resource"]["component"][0]]
    values = physical_values(ecg_obs["component"][0]["valueSampledData"])
    assert values[:3] == pytest.approx([(s - ecg["origin"]) * ecg["factor"] for s in ecg["samples"][:3]])

    ack = cath_lab.command("prenotify.ack", {"prenotify_id": package["prenotify_id"],
                                             "response": "cath_lab_activated", "note": "导管室10分钟就绪"})
    assert ack["type"] == "ack", ack
    acknowledged = seat.wait_event("prenotify.acknowledged")
    assert acknowledged["data"]["response"] == "cath_lab_activated" and acknowledged["actor"]["id"] == "ed-1"
    assert device.wait_event("prenotify.acknowledged")["data"]["incident_id"] == incident_id
    update = cath_lab.wait_for(lambda m: m["type"] == "prenotify_package" and m["acknowledged"] is not None)
    assert update["acknowledged"]["response"] == "cath_lab_activated" and update["acknowledged"]["by"] == "ed-1"

    # The other hospital saw nothing at all: no package, no event; and cannot answer for h-1.
    stolen = other.command("prenotify.ack", {"prenotify_id": package["prenotify_id"], "response": "received"})
    assert stolen["type"] == "error" and stolen["code"] == "not_found"
    assert not [m for m in other.received if m["type"] in ("prenotify_package", "event", "snapshot")]
    # Consoles never get events, only their packages: a console connecting later gets the acknowledged package.
    late = server.client("ed-1")
    assert [m["type"] for m in late.received if m["type"] not in ("welcome", "synced")] == ["prenotify_package"]
    assert late.received[1]["acknowledged"]["response"] == "cath_lab_activated"
    assert not [m for m in cath_lab.received if m["type"] in ("event", "snapshot")]


def test_hospitals_and_devices_cannot_send_dispatcher_commands_and_bad_sends_are_refused(dispatch_server):
    server = dispatch_server
    seat, device, incident_id = dispatched_with_stemi_streaming(server)
    add_console(server, "ed-1", "h-1")
    console = server.client("ed-1")
    for who in (console, device):
        refused = who.command("prenotify.send", {"incident_id": incident_id, "hospital_id": "h-1",
                                                 "summary": SUMMARY, "include_ecg": False})
        assert refused["type"] == "error" and refused["code"] == "forbidden"
    refused = console.command("incident.create", {"incident_id": new_id(), "address": "x"})
    assert refused["type"] == "error" and refused["code"] == "forbidden"
    refused = seat.command("prenotify.ack", {"prenotify_id": new_id(), "response": "received"})
    assert refused["type"] == "error" and refused["code"] == "forbidden"
    console.send_json({"v": 1, "type": "subscribe", "unit_ids": ["A1"], "kinds": ["waveform"]})
    assert console.wait_for(lambda m: m["type"] == "error")["code"] == "forbidden"

    no_hospital = seat.command("prenotify.send", {"incident_id": incident_id, "hospital_id": "h-9",
                                                  "summary": SUMMARY, "include_ecg": True})
    assert no_hospital["type"] == "error" and no_hospital["code"] == "not_found"
    bad_summary = seat.command("prenotify.send", {"incident_id": incident_id, "hospital_id": "h-1",
                                                  "summary": {"sex": "male", "complaint": "stemi", "age": 400},
                                                  "include_ecg": True})
    assert bad_summary["type"] == "error" and bad_summary["code"] == "invalid_args"
    assert not [e for e in server.db_events() if e["name"].startswith("prenotify.")]
    # Without ECG asked for, none is sent; the seat's resend of the same command stores one package.
    cid = new_id()
    args = {"incident_id": incident_id, "hospital_id": "h-1", "summary": SUMMARY, "include_ecg": False}
    assert seat.command("prenotify.send", args, command_id=cid)["type"] == "ack"
    assert seat.command("prenotify.send", args, command_id=cid).get("duplicate") is True
    package = console.wait_for(lambda m: m["type"] == "prenotify_package")["package"]
    assert package["ecg"] is None and package["unit_id"] == "A1"
    assert server.db_count("prenotifications") == 1
