"""The simulated caller end to end: a trainee's questionnaire answer, or a question the trainee
types (``training.ask``), reaches the simulated phone switch through the real server, and the
caller's scripted reply (or "I don't know") comes back to the seat as a protocol event — in a
training centre only; the after-action report lists the typed questions with the replies."""

from __future__ import annotations

import textwrap
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from app.sim.after_action import build_report, step_text, to_html
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


@contextmanager
def answered_call(tmp_path: Path) -> Iterator[tuple[ProtocolClient, str]]:
    """A training centre playing SCENARIO, seat-1 connected and ready, its first call answered."""
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(textwrap.dedent(SCENARIO), encoding="utf-8")
    session = start_training(scenario, time_scale=60.0, seed=3, workdir=tmp_path / "run", timeout_s=30)
    seat = None
    try:
        seat = open_seat(session.url, session.seat_token)
        assert seat.command("seat.set_ready", {"ready": True})["type"] == "ack"
        call_id = seat.wait_event("call.ringing", seat_id="seat-1", timeout=10)["data"]["call_id"]
        assert seat.command("call.answer", {"call_id": call_id})["type"] == "ack"
        yield seat, call_id
    finally:
        if seat is not None:
            seat.close()
        session.stop()


def test_the_trainees_answer_gets_the_simulated_callers_reply_through_the_server(tmp_path: Path):
    with answered_call(tmp_path) as (seat, call_id):
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


def test_the_trainees_typed_question_gets_the_callers_reply_and_the_report_lists_it(tmp_path: Path):
    with answered_call(tmp_path) as (seat, call_id):
        # No incident, no questionnaire: the trainee just asks.
        for text in ("病人还有呼吸吗", "你喜欢什么颜色"):
            reply = seat.command("training.ask", {"call_id": call_id, "text": text})
            assert reply["type"] == "ack", reply
            asked = seat.wait_event("training.asked", call_id=call_id, text=text, timeout=10)
            assert asked["data"]["seat_id"] == "seat-1"

        said = seat.wait_event("training.caller_said", call_id=call_id, question="breathing_normally", timeout=10)
        assert said["data"]["zh"] == "没有，胸口不动！" and said["data"]["answer"] == "no"
        assert said["actor"]["role"] == "switch"
        unknown = seat.wait_event("training.caller_said", call_id=call_id, en="I don't know…", timeout=10)
        assert "question" not in unknown["data"] and "answer" not in unknown["data"]

    # The after-action report, read from the run's event log, lists each typed question on the
    # call's timeline with the caller's reply and whether the caller understood it.
    report = build_report(tmp_path / "run", history=tmp_path / "history.json")
    (trainee,) = report.trainees
    (call,) = trainee.calls
    breathing, colour = call.typed
    assert breathing.text == "病人还有呼吸吗" and breathing.understood_as == ("case_entry", "breathing_normally")
    assert (breathing.reply_zh, breathing.reply_en) == ("没有，胸口不动！", "No, his chest isn't moving!")
    assert breathing.reply_s is not None and breathing.reply_s > breathing.at_s  # the caller took time to speak
    assert not colour.understood and colour.reply_en == "I don't know…"
    lines = [step_text(step, "zh") for step in call.steps if step.kind == "typed"]
    assert lines[0].startswith("向呼救者提问: “病人还有呼吸吗” → 答 (+") and "“没有，胸口不动！”；理解为" in lines[0]
    assert lines[1].endswith("“我不知道……”；未理解")
    assert "typed to the caller: &quot;你喜欢什么颜色&quot;" in to_html(report, language="en")
