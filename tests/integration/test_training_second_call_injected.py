"""The trainer injects a second call about the trainee's call, through the real server and runner:
another caller rings from the same place, and once answered says the line the trainer typed."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from app.sim.after_action import build_report
from app.sim.launcher import start_training

try:  # `python -m pytest` from the project root (the Makefile's way)
    from tests.integration.wsclient import ProtocolClient
except ImportError:  # pragma: no cover - plain `pytest`, rootdir not on sys.path
    from wsclient import ProtocolClient

pytestmark = pytest.mark.integration

SCENARIO = """
name: 再次来电 / second call
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
    location_text: Boulevard Albert 1er 与隧道口
    says: {zh: 两辆车撞了, en: Two cars crashed}
    expected_priority: 1
    talk_s: 600
    outcome: transported
"""
LINE = "又有一辆车撞上来了，有人被卡住！"


def test_the_trainer_injects_a_second_caller_who_says_the_trainers_line(tmp_path: Path):
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(textwrap.dedent(SCENARIO), encoding="utf-8")
    session = start_training(scenario, time_scale=20.0, seed=3, workdir=tmp_path / "run", timeout_s=30)
    try:
        seat = ProtocolClient.open(session.url, token=session.seat_token, timeout=10, client="pytest-seat")
        trainer = ProtocolClient.open(session.url, token=session.trainers["trainer-1"], timeout=10,
                                      client="pytest-trainer")
        try:
            assert seat.command("seat.set_ready", {"ready": True})["type"] == "ack"
            first = seat.wait_event("call.received", timeout=10)["data"]
            seat.wait_event("call.ringing", call_id=first["call_id"], timeout=10)
            assert seat.command("call.answer", {"call_id": first["call_id"]})["type"] == "ack"

            injected = trainer.command("training.inject", {"run_id": "run-1", "kind": "second_call",
                                                           "target": first["call_id"], "says": LINE})
            assert injected["type"] == "ack", injected
            second = seat.wait_for(lambda m: m.get("name") == "call.received"
                                   and m["data"]["call_id"] != first["call_id"], timeout=10)["data"]
            assert second["location_text"] == first["location_text"]
            assert second["caller_number"] != first["caller_number"]
            # It waits in the queue while the trainee talks to the first caller; it rings once that call ends.
            assert seat.command("call.ended", {"call_id": first["call_id"]})["type"] == "ack"
            assert seat.command("seat.set_ready", {"ready": True})["type"] == "ack"  # ready for the next call
            seat.wait_event("call.ringing", call_id=second["call_id"], timeout=10)
            assert seat.command("call.answer", {"call_id": second["call_id"]})["type"] == "ack"
            said = seat.wait_event("training.caller_said", call_id=second["call_id"], timeout=10)
            assert said["data"]["zh"] == LINE and said["actor"]["role"] == "switch"
        finally:
            seat.close()
            trainer.close()
    finally:
        session.stop()
    report = build_report(tmp_path / "run", history=tmp_path / "history.json")
    assert [(kind, target) for _, kind, target in report.injected] == [("second_call", first["call_id"])]
