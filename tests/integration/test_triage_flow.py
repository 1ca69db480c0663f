"""Triage and telephone CPR through the real server: answers, arrest, CPR and the result
become time-stamped events on the incident; malformed reports are refused and change nothing."""

from __future__ import annotations

import uuid

from app.domain.state import State
from app.domain.triage import first_compression_time, recognition_time

CALLER = "13800138000"


def _answered_call_with_incident(server) -> tuple[object, str]:
    switch = server.client("switch-1")
    seat = server.client("seat-1")
    assert seat.command("seat.set_ready", {"ready": True})["type"] == "ack"
    assert switch.command("call.offered", {"call_id": "c-ca", "caller_number": CALLER})["type"] == "ack"
    seat.wait_event("call.ringing", call_id="c-ca", seat_id="seat-1")
    assert seat.command("call.answer", {"call_id": "c-ca"})["type"] == "ack"
    incident_id = str(uuid.uuid4())
    created = seat.command("incident.create", {"incident_id": incident_id, "call_id": "c-ca"})
    assert created["type"] == "ack"
    return seat, incident_id


def _projection(server) -> State:
    state = State()
    for row in server.db_events():
        state.apply({"seq": row["seq"], "name": row["name"], "data": row["data"], "ts": row["ts"]})
    return state


def test_a_cardiac_arrest_call_records_its_triage_path_arrest_and_cpr_on_the_incident(dispatch_server):
    seat, incident_id = _answered_call_with_incident(dispatch_server)
    version = "2026.11"
    for question, answer in (("conscious", "no"), ("breathing_normally", "no")):
        reply = seat.command("triage.answer", {"incident_id": incident_id, "protocol": "case_entry",
                                               "protocol_version": version, "question": question,
                                               "answer": answer})
        assert reply["type"] == "ack" and reply["events"] == 1
    recognised = seat.command("triage.arrest_recognised",
                              {"incident_id": incident_id, "at": "2026-11-27T03:20:25.850Z"})
    assert recognised["type"] == "ack" and recognised["events"] == 1
    # Said twice (a resend, a second seat): the first moment counts, nothing new is stored.
    again = seat.command("triage.arrest_recognised",
                         {"incident_id": incident_id, "at": "2026-11-27T03:20:30.000Z"})
    assert again["type"] == "ack" and again["events"] == 0
    completed = seat.command("triage.complete", {
        "incident_id": incident_id, "protocol": "cardiac_arrest", "protocol_version": version,
        "determinant": "09-E-1", "priority": 1, "plan": "als_emergency", "capability": "als", "cpr": True})
    assert completed["type"] == "ack"
    assert seat.command("cpr.started", {"incident_id": incident_id, "rate_per_min": 110,
                                        "variant": "adult"})["type"] == "ack"
    assert seat.command("cpr.stopped", {"incident_id": incident_id, "compressions": 220,
                                        "reason": "ems_arrived"})["type"] == "ack"

    names = [row["name"] for row in dispatch_server.db_events()]
    for name in ("triage.answered", "triage.arrest_recognised", "triage.completed", "cpr.started", "cpr.stopped"):
        assert name in names
    incident = _projection(dispatch_server).incidents[incident_id]
    triage = incident["triage"]
    assert [(s["question"], s["answer"]) for s in triage["path"]] == [("conscious", "no"),
                                                                     ("breathing_normally", "no")]
    assert all(s["at"] for s in triage["path"])
    assert triage["result"]["determinant"] == "09-E-1" and incident["priority"] == 1
    assert triage["arrest"]["client_at"] == "2026-11-27T03:20:25.850Z"
    milestones = incident["milestones"]
    assert milestones["call_answered"] <= milestones["arrest_recognised"] <= milestones[
        "first_compression_instruction"]
    assert triage["cpr"]["compressions"] == 220 and triage["cpr"]["reason"] == "ems_arrived"
    # Seconds from answer, against the AHA targets (a test runs in well under a minute).
    assert recognition_time(incident).met is True
    assert first_compression_time(incident).met is True


def test_malformed_triage_reports_are_refused_and_store_nothing(dispatch_server):
    seat, incident_id = _answered_call_with_incident(dispatch_server)
    before = dispatch_server.db_count("events")
    good = {"incident_id": incident_id, "protocol": "chest_pain", "protocol_version": "2026.11",
            "determinant": "10-D-1", "priority": 2, "plan": "als_emergency", "capability": "als", "cpr": False}
    for bad, field in (({"priority": 7}, "priority"), ({"determinant": "chest pain, bad"}, "determinant"),
                       ({"capability": "helicopter"}, "capability")):
        reply = seat.command("triage.complete", {**good, **bad})
        assert reply["type"] == "error" and reply["code"] == "invalid_args", reply
        assert field in reply["field"]
    slow = seat.command("cpr.started", {"incident_id": incident_id, "rate_per_min": 60, "variant": "adult"})
    assert slow["type"] == "error" and slow["code"] == "invalid_args"
    late = seat.command("triage.arrest_recognised", {"incident_id": incident_id, "at": "yesterday"})
    assert late["type"] == "error" and late["code"] == "invalid_args"
    nowhere = seat.command("triage.answer", {"incident_id": str(uuid.uuid4()), "protocol": "case_entry",
                                             "protocol_version": "1", "question": "conscious", "answer": "no"})
    assert nowhere["type"] == "error" and nowhere["code"] == "not_found"
    never_started = seat.command("cpr.stopped", {"incident_id": incident_id, "compressions": 0, "reason": "other"})
    assert never_started["type"] == "error" and never_started["code"] == "illegal_transition"
    assert dispatch_server.db_count("events") == before
    # The server keeps serving this seat.
    assert seat.command("triage.complete", good)["type"] == "ack"
