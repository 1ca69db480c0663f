"""The simulated caller end to end: a trainee's questionnaire answer reaches the simulated
phone switch through the real server, and the caller's scripted reply comes back to the
seat as a protocol event — in a training centre only."""

from __future__ import annotations

import textwrap
import time
import uuid
from pathlib import Path

import pytest

from app.sim.launcher import start_training

try:  # `python -m pytest` from the project root (the Makefile's way)
    from tests.integration.wsclient import ProtocolClient
except ImportError:  # pragma: no cover - plain `pytest`, rootdir not on sys.path
    from wsclient import ProtocolClient

pytestmark = pytest.mark.integration

SCENARIO = """
name: 模拟呼救者 / simulated caller
start: first_seat_ready
registry:
  stations: [{id: st-fontvieille, name: 枫维耶急救站, lat: 43.72793, lon: 7.41778}]
  hospitals: [{id: chpg, name: 格蕾丝王妃医院中心, lat: 43.73041, lon: 7.41141}]
  units: [{id: A1, call_sign: 急救1, station: st-fontvieille, capability: als}]
  seats: [{id: seat-1, name: 调度席1}]
  devices: [{id: dev-A1, unit: A1}]
  switches: [{id: switch-1, name: 模拟交换机}]
  trainers: [{id: trainer-1, name: 教员}]
calls:
  - at: 1
    caller_number: "13987654321"
    location_text: Avenue de la Costa
    says: {zh: 有个老人倒地不起, en: An old man has collapsed}
    expected_priority: 1
    talk_s: 600
    outcome: transported
    caller:
      behaviour: calm
      answers:
        breathing_normally: {answer: "no", zh: 没有，胸口不动！, en: "No, his chest isn't moving!"}
"""


def open_seat(url: str, token: str) -> ProtocolClient:
    deadline = time.monotonic() + 10
    while True:
        try:
            return ProtocolClient.open(url, token=token, timeout=10, client="pytest-seat")
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_the_trainees_answer_gets_the_simulated_callers_reply_through_the_server(tmp_path: Path):
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(textwrap.dedent(SCENARIO), encoding="utf-8")
    session = start_training(scenario, time_scale=60.0, seed=3, workdir=tmp_path / "run", timeout_s=30)
    seat = None
    try:
        seat = open_seat(session.url, session.seat_token)
        assert seat.command("seat.set_ready", {"ready": True})["type"] == "ack"
        call_id = seat.wait_event("call.ringing", seat_id="seat-1", timeout=10)["data"]["call_id"]
        assert seat.command("call.answer", {"call_id": call_id})["type"] == "ack"
        incident_id = str(uuid.uuid4())
        created = seat.command("incident.create", {
            "incident_id": incident_id, "call_id": call_id, "address": "Avenue de la Costa",
            "callback_number": "13987654321", "patients": 1,
        })
        assert created["type"] == "ack", created
        for question, answer in (("breathing_normally", "no"), ("q_pregnant_status", "unknown")):
            reply = seat.command("triage.answer", {
                "incident_id": incident_id, "protocol": "case_entry", "protocol_version": "test",
                "question": question, "answer": answer,
            })
            assert reply["type"] == "ack", reply

        said = seat.wait_event("training.caller_said", call_id=call_id, question="breathing_normally", timeout=10)
        assert said["data"]["zh"] == "没有，胸口不动！" and said["data"]["answer"] == "no"
        assert said["actor"]["role"] == "switch"
        unknown = seat.wait_event("training.caller_said", call_id=call_id, question="q_pregnant_status", timeout=10)
        assert unknown["data"]["en"] == "I don't know…" and "answer" not in unknown["data"]
    finally:
        if seat is not None:
            seat.close()
        session.stop()
