"""The simulated caller: a trainee's question gets the scenario's scripted words, after a
speaking pause, through the real protocol — and only a training centre records them."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest

from app.domain.common import Principal
from app.domain.decide import decide
from app.domain.model import Role
from app.domain.state import State
from app.protocol import ProtocolError, validate_command
from app.resources import resource_path
from app.sim.caller import DONT_KNOW, MAX_SPEAKING_S, CallerVoice, speaking_s
from app.sim.clock import ManualClock
from app.sim.scenario import CallerBehaviour, ScenarioError, load_scenario
from app.sim.switch import CallScript, CallSignalKind, SimulatedSwitch, SwitchBridge

DEMO = resource_path("scenarios", "demo.yaml")
SWITCH = Principal(id="switch-1", role=Role.SWITCH, name="交换机")


@pytest.fixture(scope="module")
def demo():
    return load_scenario(DEMO)


def collapsed_call(demo, behaviour: CallerBehaviour | None = None):
    call = demo.calls[1]  # a man collapsed in the street
    if behaviour is not None:
        call = dataclasses.replace(call, caller=dataclasses.replace(call.caller, behaviour=behaviour))
    return call


def test_a_calm_caller_answers_the_question_asked_after_speaking_it(demo):
    voice = CallerVoice(collapsed_call(demo, CallerBehaviour.CALM))
    [line] = voice.asked("breathing_normally")
    assert (line.question, line.answer, line.via) == ("breathing_normally", "no", "voice")
    assert line.zh.startswith("没有，胸口不动")
    assert line.after_s == pytest.approx(1.0 + speaking_s(line.zh))


def test_speaking_time_is_per_character_and_capped():
    assert speaking_s("没有") == pytest.approx(0.7)
    assert speaking_s("很" * 200) == MAX_SPEAKING_S


def test_an_unscripted_question_gets_i_dont_know(demo):
    [line] = CallerVoice(collapsed_call(demo, CallerBehaviour.CALM)).asked("q_pregnant")
    assert (line.zh, line.en, line.answer) == (DONT_KNOW.zh, DONT_KNOW.en, None)


def test_a_panicking_caller_sometimes_answers_another_question_first_the_same_way_every_run(demo):
    call = collapsed_call(demo, CallerBehaviour.PANICKING)

    def run(seed: int) -> list[list[str | None]]:
        voice = CallerVoice(call, seed=seed)
        return [[line.question for line in voice.asked(q)] for q in ("location_confirmed", "callback_number",
                                                                      "what_happened", "conscious")]

    runs = {seed: run(seed) for seed in range(10)}
    assert all(run(seed) == runs[seed] for seed in range(10))  # seeded: repeatable
    off_topic = [lines for r in runs.values() for lines in r if len(lines) == 2]
    assert off_topic, "a panicking caller never blurted out another answer in 10 runs"
    for first, asked in off_topic:
        assert first != asked  # another question first, then the one asked
    assert all(len(lines) == 1 for lines in run_calm(call))


def run_calm(call):
    voice = CallerVoice(dataclasses.replace(call, caller=dataclasses.replace(call.caller,
                                                                             behaviour=CallerBehaviour.CALM)))
    return [voice.asked(q) for q in ("location_confirmed", "callback_number", "what_happened", "conscious")]


def test_a_deaf_caller_types_the_replies_as_chat(demo):
    [line] = CallerVoice(collapsed_call(demo, CallerBehaviour.DEAF_TEXTS_ONLY)).asked("conscious")
    assert line.via == "chat"
    assert line.answer == "no"


def test_an_answer_carried_into_the_next_protocol_is_not_asked_again(demo):
    voice = CallerVoice(collapsed_call(demo, CallerBehaviour.CALM))
    assert voice.asked("breathing_normally", "no")
    assert voice.asked("q_breathing", "no") == []  # cardiac_arrest reuses breathing_normally


def test_the_switch_sends_the_reply_once_the_caller_has_spoken(demo):
    script = CallScript(demo, id_prefix="t")
    script.start(0.0)
    script.poll(40.0)
    script.call_answered("t-0-0", 41.0)  # the first caller is calm
    assert script.question_asked("t-0-0", "conscious", 50.0)
    due = script.next_deadline()
    assert due is not None and due > 50.0
    assert [s for s in script.poll(due - 0.01) if s.kind == CallSignalKind.CALLER_SAID] == []
    [said] = [s for s in script.poll(due) if s.kind == CallSignalKind.CALLER_SAID]
    name, args = said.as_command()
    assert name == "training.caller_say"
    validate_command(name, args)
    assert args["call_id"] == "t-0-0" and args["question"] == "conscious" and args["answer"] == "yes"


def test_a_question_on_a_call_nobody_answered_gets_no_reply(demo):
    script = CallScript(demo, id_prefix="t")
    script.start(0.0)
    script.poll(40.0)
    assert not script.question_asked("t-0-1", "conscious", 41.0)
    assert not script.question_asked("elsewhere", "conscious", 41.0)


class FakeLink:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict]] = []
        self.on_synced = self.on_event = self.on_refused = None

    def send(self, name: str, args: dict) -> None:
        self.sent.append((name, args))


def test_the_bridge_hears_the_trainees_answer_and_the_caller_replies(demo):
    asyncio.run(bridge_story(demo))


async def bridge_story(demo):
    clock = ManualClock()
    switch = SimulatedSwitch(demo, clock, id_prefix="t")
    bridge = SwitchBridge(switch, FakeLink())  # type: ignore[arg-type]
    switch.script.start(0.0)
    clock.advance(40.0)
    bridge.report(await switch.next_signals())
    state = State()
    state.calls["t-0-1"] = {"call_id": "t-0-1", "state": "answered", "seat_id": "seat-1"}
    state.incidents["i1"] = {"incident_id": "i1", "call_id": "t-0-1"}
    bridge._on_event(state, {"name": "call.answered", "data": {"call_id": "t-0-1"}})
    answered = {"incident_id": "i1", "protocol": "case_entry", "protocol_version": "1",
                "question": "breathing_normally", "answer": "no"}
    bridge._on_event(state, {"name": "triage.answered", "data": answered})
    clock.advance(30.0)
    bridge.report(await switch.next_signals())
    said = [args for name, args in bridge.link.sent if name == "training.caller_say"]
    assert [a["question"] for a in said][-1] == "breathing_normally"


def training_state(*, trainer: bool) -> State:
    state = State()
    state.calls["c1"] = {"call_id": "c1", "state": "answered", "seat_id": "seat-1"}
    if trainer:
        state.principals["trainer-1"] = {"principal_id": "trainer-1", "role": "trainer", "name": "t", "revoked": False}
    return state


SAY = {"call_id": "c1", "zh": "没有呼吸", "en": "Not breathing", "via": "chat", "question": "breathing_normally",
       "answer": "no"}


def test_a_real_centre_refuses_scripted_caller_words():
    with pytest.raises(ProtocolError) as caught:
        decide(training_state(trainer=False), SWITCH, "training.caller_say", dict(SAY))
    assert caught.value.code == "forbidden"


def test_a_training_centre_records_the_words_on_the_call_and_a_deaf_callers_in_the_chat():
    state = training_state(trainer=True)
    [(name, data)] = decide(state, SWITCH, "training.caller_say", dict(SAY))
    state.apply({"seq": 1, "name": name, "data": data, "ts": "2026-12-05T21:00:00.000Z"})
    call = state.calls["c1"]
    assert call["caller_said"][-1]["answer"] == "no"
    assert call["chat"][-1] == {"from": "caller", "text": "没有呼吸", "at": "2026-12-05T21:00:00.000Z"}


# ---------------------------------------------------------------- sim check: bad scenarios


def bad_scenario(tmp_path: Path, edit) -> Path:
    text = edit(DEMO.read_text(encoding="utf-8"))
    (tmp_path / "registry-demo.yaml").write_text(DEMO.with_name("registry-demo.yaml").read_text(encoding="utf-8"))
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return caught.value.problems


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def test_an_unknown_question_id_is_refused_with_file_and_line(tmp_path):
    path = bad_scenario(tmp_path, lambda t: t.replace("        conscious: {answer: \"no\"", "        concsious: {answer: \"no\""))
    [problem] = problems(path)
    assert problem.startswith(f"{path}:{line_of(path, 'concsious')}: calls[1].caller.answers.concsious:")
    assert "unknown question id" in problem and "did you mean 'conscious'" in problem


def test_a_caller_answer_that_is_not_one_of_the_questions_options_is_refused(tmp_path):
    path = bad_scenario(tmp_path, lambda t: t.replace("what_happened: {answer: collapsed", "what_happened: {answer: fainted"))
    [problem] = problems(path)
    assert problem.startswith(f"{path}:{line_of(path, 'fainted')}: calls[1].caller.answers.what_happened.answer:")
    assert "'fainted' is not an answer of question 'what_happened'" in problem


def test_time_going_backwards_is_refused(tmp_path):
    path = bad_scenario(tmp_path, lambda t: t.replace("  - at: 85\n", "  - at: 20\n"))
    [problem] = problems(path)
    assert problem.startswith(f"{path}:{line_of(path, '- at: 20')}: calls[2].at: time goes backwards")


def test_a_position_outside_the_map_is_refused(tmp_path):
    path = bad_scenario(tmp_path, lambda t: t.replace("lat: 43.74530, lon: 7.43480", "lat: 31.23000, lon: 121.47000"))
    [problem] = problems(path)
    assert problem.startswith(f"{path}:{line_of(path, '121.47000')}: calls[3].locations[0]: position")
    assert "outside the map" in problem


def test_the_demo_scenario_passes_the_check(demo):
    assert demo.calls[1].caller.behaviour == CallerBehaviour.PANICKING
    assert demo.calls[1].caller.answers["breathing_normally"].answer == "no"


def test_sim_check_of_a_directory_checks_every_scenario_and_names_file_and_line(tmp_path, capsys):
    from app.sim.cli import main as sim_main

    bad = bad_scenario(tmp_path, lambda t: t.replace("what_happened: {answer: collapsed", "what_happened: {answer: fainted"))
    (tmp_path / "good.yaml").write_text(DEMO.read_text(encoding="utf-8"), encoding="utf-8")
    assert sim_main(["check", str(tmp_path)]) == 2
    out = capsys.readouterr()
    assert f"{bad}:{line_of(bad, 'fainted')}: calls[1].caller.answers.what_happened.answer:" in out.err
    assert "registry-demo.yaml" not in out.err  # the registry is not taken for a scenario
    assert out.out.count("scenario: ") == 1  # the good one is summarised


def test_sim_check_of_the_shipped_scenarios_passes():
    from app.sim.cli import main as sim_main

    assert sim_main(["check", str(DEMO.parent)]) == 0


def test_a_caller_who_cannot_give_the_address_says_so_and_one_who_knows_a_landmark_gives_it(demo):
    from app.sim.scenario import CallerSays

    [lost] = CallerVoice(collapsed_call(demo, CallerBehaviour.NO_ADDRESS)).asked("location_confirmed")
    assert lost.answer is None and "不知道" in lost.zh
    call = collapsed_call(demo, CallerBehaviour.LANDMARK_ONLY)
    call = dataclasses.replace(call, caller=dataclasses.replace(
        call.caller, landmark=CallerSays(zh="在赌场对面", en="Opposite the casino")))
    [landmark] = CallerVoice(call).asked("location_confirmed")
    assert (landmark.zh, landmark.en) == ("在赌场对面", "Opposite the casino")
