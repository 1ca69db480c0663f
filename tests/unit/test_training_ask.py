"""The trainee types a free question to the simulated caller (``training.ask``): only a
training centre takes it, only from the seat that answered the call, and the caller answers
it as the protocol question it means — or says it does not know."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from app.domain.common import Principal
from app.domain.decide import decide
from app.domain.model import Role
from app.domain.state import State
from app.protocol import ProtocolError, validate_command
from app.resources import resource_path
from app.sim.caller import DONT_KNOW
from app.sim.clock import ManualClock
from app.sim.scenario import CallerBehaviour, load_scenario
from app.sim.switch import CallScript, CallSignalKind, SimulatedSwitch, SwitchBridge, call_protocols
from tests.unit.test_training_caller import FakeLink  # the switch link stand-in the caller tests use

SEAT_1 = Principal(id="seat-1", role=Role.SEAT, name="一号席")
SEAT_2 = Principal(id="seat-2", role=Role.SEAT, name="二号席")
TS = "2026-12-05T21:00:00.000Z"


@pytest.fixture(scope="module")
def demo():
    return load_scenario(resource_path("scenarios", "demo.yaml"))


def centre(*, trainer: bool, call_state: str = "answered") -> State:
    state = State()
    state.calls["c1"] = {"call_id": "c1", "state": call_state, "seat_id": "seat-1"}
    if trainer:
        state.principals["trainer-1"] = {"principal_id": "trainer-1", "role": "trainer", "name": "t", "revoked": False}
    return state


def refusal(state: State, who: Principal, args: dict) -> str:
    with pytest.raises(ProtocolError) as caught:
        decide(state, who, "training.ask", args)
    return caught.value.code


def test_the_seat_that_answered_asks_and_the_question_goes_on_the_call():
    state = centre(trainer=True)
    [(name, data)] = decide(state, SEAT_1, "training.ask", {"call_id": "c1", "text": " 病人还有呼吸吗 "})
    assert (name, data) == ("training.asked", {"call_id": "c1", "text": "病人还有呼吸吗", "seat_id": "seat-1"})
    state.apply({"seq": 1, "name": name, "data": data, "ts": TS})
    assert state.calls["c1"]["asked"] == [{"text": "病人还有呼吸吗", "seat_id": "seat-1", "at": TS}]


def test_a_real_centre_refuses_questions_to_a_simulated_caller():
    assert refusal(centre(trainer=False), SEAT_1, {"call_id": "c1", "text": "病人还有呼吸吗"}) == "forbidden"


def test_another_seat_may_not_ask_the_caller_of_a_call_it_did_not_answer():
    assert refusal(centre(trainer=True), SEAT_2, {"call_id": "c1", "text": "病人还有呼吸吗"}) == "forbidden"


def test_a_call_not_being_answered_or_unknown_is_refused():
    assert refusal(centre(trainer=True, call_state="ringing"), SEAT_1, {"call_id": "c1", "text": "喂"}) == \
        "illegal_transition"
    assert refusal(centre(trainer=True), SEAT_1, {"call_id": "c9", "text": "喂"}) == "not_found"


def test_an_empty_question_is_refused():
    assert refusal(centre(trainer=True), SEAT_1, {"call_id": "c1", "text": "   "}) == "invalid_args"


@pytest.mark.parametrize("text", ["病人\x00还有呼吸吗", "line one\nline two", "\x1b[31m", "问" * 201])
def test_control_characters_and_over_long_questions_are_refused_at_the_edge(text):
    with pytest.raises(ProtocolError) as caught:
        validate_command("training.ask", {"call_id": "c1", "text": text})
    assert caught.value.code == "invalid_args"
    validate_command("training.ask", {"call_id": "c1", "text": "问" * 200})


# ---------------------------------------------------------------- the caller answers


def answered_script(demo, behaviour: CallerBehaviour | None = None) -> CallScript:
    if behaviour is not None:
        calls = list(demo.calls)
        calls[1] = dataclasses.replace(calls[1], caller=dataclasses.replace(calls[1].caller, behaviour=behaviour))
        demo = dataclasses.replace(demo, calls=tuple(calls))
    script = CallScript(demo, id_prefix="t", seed=3)
    script.start(0.0)
    script.poll(40.0)
    script.call_answered("t-0-1", 41.0)  # a man collapsed in the street
    return script


def replies(script: CallScript, until: float = 90.0) -> list[dict]:
    return [s.as_command()[1] for s in script.poll(until) if s.kind == CallSignalKind.CALLER_SAID]


def test_a_typed_breathing_question_gets_the_callers_scripted_breathing_answer_after_a_pause(demo):
    script = answered_script(demo, CallerBehaviour.CALM)
    assert script.question_typed("t-0-1", "病人还有呼吸吗", 50.0, ["case_entry"])
    due = script.next_deadline()
    assert due is not None and due > 51.0  # the caller takes the question in, then speaks
    assert replies(script, due - 0.01) == []
    [said] = replies(script, due)
    validate_command("training.caller_say", said)
    assert (said["question"], said["answer"], said["via"]) == ("breathing_normally", "no", "voice")
    assert said["zh"].startswith("没有，胸口不动")


def test_the_same_question_typed_in_english_gets_the_same_answer(demo):
    script = answered_script(demo, CallerBehaviour.CALM)
    script.question_typed("t-0-1", "Is he still breathing?", 50.0, ["case_entry"])
    assert [(s["question"], s["answer"]) for s in replies(script)] == [("breathing_normally", "no")]


def test_a_question_meaning_nothing_gets_i_dont_know(demo):
    script = answered_script(demo, CallerBehaviour.CALM)
    script.question_typed("t-0-1", "你喜欢什么颜色", 50.0, ["case_entry"])
    [said] = replies(script)
    assert (said["zh"], said["en"]) == (DONT_KNOW.zh, DONT_KNOW.en)
    assert "question" not in said and "answer" not in said


def test_a_question_the_caller_has_no_script_for_gets_i_dont_know(demo):
    script = answered_script(demo, CallerBehaviour.CALM)
    script.question_typed("t-0-1", "她怀孕了吗", 50.0, ["case_entry"])  # a pregnancy question; not in his script
    [said] = replies(script)
    assert said["zh"] == DONT_KNOW.zh and "answer" not in said
    assert said["question"] == "q_may_be_pregnant"


def test_a_deaf_caller_texts_the_answer(demo):
    script = answered_script(demo, CallerBehaviour.DEAF_TEXTS_ONLY)
    script.question_typed("t-0-1", "病人还有呼吸吗", 50.0, ["case_entry"])
    [said] = replies(script)
    assert (said["question"], said["via"]) == ("breathing_normally", "chat")


def test_a_panicking_caller_behaves_as_for_questionnaire_answers(demo):
    typed, answered = answered_script(demo, CallerBehaviour.PANICKING), answered_script(demo, CallerBehaviour.PANICKING)
    typed.question_typed("t-0-1", "病人还有呼吸吗", 50.0, ["case_entry"])
    answered.question_asked("t-0-1", "breathing_normally", 50.0)
    assert replies(typed) == replies(answered)


def test_a_question_typed_on_a_call_not_answered_gets_no_reply(demo):
    script = CallScript(demo, id_prefix="t")
    script.start(0.0)
    script.poll(40.0)
    assert not script.question_typed("t-0-1", "病人还有呼吸吗", 41.0)


def test_the_switch_hears_the_typed_question_and_the_caller_replies(demo):
    asyncio.run(typed_question_story(demo))


async def typed_question_story(demo):
    clock = ManualClock()
    switch = SimulatedSwitch(demo, clock, id_prefix="t")
    bridge = SwitchBridge(switch, FakeLink())  # type: ignore[arg-type]
    switch.script.start(0.0)
    clock.advance(40.0)
    bridge.report(await switch.next_signals())
    state = State()
    state.calls["t-0-1"] = {"call_id": "t-0-1", "state": "answered", "seat_id": "seat-1"}
    bridge.link.on_event(state, {"name": "call.answered", "data": {"call_id": "t-0-1"}})
    bridge.link.on_event(state, {"name": "training.asked",
                                 "data": {"call_id": "t-0-1", "text": "病人还有呼吸吗", "seat_id": "seat-1"}})
    clock.advance(30.0)
    bridge.report(await switch.next_signals())
    said = [args for name, args in bridge.link.sent if name == "training.caller_say"]
    assert [a.get("question") for a in said][-1] == "breathing_normally"


def test_the_calls_protocols_are_case_entry_then_those_of_its_incidents_path():
    state = State()
    state.incidents["i1"] = {"incident_id": "i1", "call_id": "c1", "triage": {"path": [
        {"protocol": "case_entry", "question": "conscious", "answer": "no"},
        {"protocol": "cardiac_arrest", "question": "q_breathing", "answer": "no"},
    ]}}
    assert call_protocols(state, "c1") == ["case_entry", "cardiac_arrest"]
    assert call_protocols(state, "c2") == ["case_entry"]
