"""The trainer injects a second call about a call's incident: another caller at the same place
rings at once and, once answered, says the trainer's line (or a scripted one)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from app.domain.model import CloseReason
from app.protocol import validate_command
from app.sim.clock import ManualClock, ScaledClock
from app.sim.control import RUN_ID, TrainerControl
from app.sim.scenario import (
    CallerAnswer,
    CallerBehaviour,
    CallerSays,
    CallerScript,
    PrincipalSpec,
    Registry,
    Scenario,
    ScriptedCall,
    StartTrigger,
)
from app.sim.switch import CallScript, CallSignalKind, SimulatedSwitch, script_place

REGISTRY = Registry(data={}, source=Path("registry.yaml"), seats=(PrincipalSpec("seat-1", "调度席1"),),
                    switches=(PrincipalSpec("switch-1", "交换机"),))
COLLISION = ScriptedCall(
    index=0, at_s=2, caller_number="13812345670", caller_name="王先生",
    says=CallerSays(zh="两辆车撞了", en="Two cars crashed"), expected_priority=1, outcome=CloseReason.TRANSPORTED,
    location_text="Boulevard Albert 1er 与隧道口", locations=({"source": "cell", "lat": 43.73, "lon": 7.42,
                                                               "accuracy_m": 500, "age_s": 10},),
    abandon_after_s=30, caller=CallerScript(behaviour=CallerBehaviour.PANICKING, answers={
        "conscious": CallerAnswer(zh="司机不动了！", en="The driver isn't moving!", answer="no")}),
)


def collision_scenario() -> Scenario:
    return Scenario(Path("s.yaml"), "碰撞", REGISTRY, (COLLISION,), start=StartTrigger.IMMEDIATELY)


def test_a_second_caller_rings_from_the_same_place_and_says_the_trainers_line_once_answered():
    script = CallScript(collision_scenario(), id_prefix="t")
    script.start(0)
    (first,) = script.poll(2)
    script.call_answered(first.call_id, 5)  # the first caller talks until 65
    second_id = script.inject_second_call(COLLISION, 50, CallerSays(zh="又有一辆车撞上来了！", en="Another car hit them!"))
    assert script.next_deadline() == 50
    (offer,) = script.poll(50)
    assert (offer.kind, offer.call_id) == (CallSignalKind.OFFERED, second_id)
    assert second_id != first.call_id and script_place(second_id) == (9001, 0)  # never one of the scenario's calls
    # Another caller at the same place: same location, another number, no name.
    assert offer.location_text == first.location_text and offer.locations == first.locations
    assert offer.caller_number != first.caller_number and offer.caller_name is None
    assert [s.kind for s in script.poll(200)] == [CallSignalKind.ENDED]  # the first call; the second rings on
    script.call_answered(second_id, 210)
    (said,) = [s for s in script.poll(230) if s.kind == CallSignalKind.CALLER_SAID]
    name, args = said.as_command()
    assert (name, args) == ("training.caller_say", {"call_id": second_id, "zh": "又有一辆车撞上来了！",
                                                    "en": "Another car hit them!", "via": "voice"})
    validate_command(name, args)
    # The second caller knows what the first one knew, calmly.
    script.question_asked(second_id, "conscious", 240)
    (answer,) = [s for s in script.poll(260) if s.kind == CallSignalKind.CALLER_SAID]
    assert answer.utterance is not None and answer.utterance.zh == "司机不动了！"


def test_without_a_line_the_second_caller_asks_about_an_ambulance_for_that_place():
    script = CallScript(collision_scenario(), id_prefix="t")
    script.start(0)
    script.poll(2)
    second_id = script.inject_second_call(COLLISION, 10)
    script.poll(10)
    script.call_answered(second_id, 12)
    (said,) = [s for s in script.poll(60) if s.kind == CallSignalKind.CALLER_SAID]
    assert said.utterance is not None
    assert "Boulevard Albert 1er 与隧道口" in said.utterance.zh and "ambulance" in said.utterance.en


def test_the_switch_rings_a_second_call_only_about_a_call_it_offered():
    async def story() -> None:
        switch = SimulatedSwitch(collision_scenario(), ManualClock(), id_prefix="t")
        assert switch.inject_second_call("t-0-0") is None  # not offered yet
        switch.clock.advance(2)
        (offer,) = await switch.next_signals()
        second_id = switch.inject_second_call(offer.call_id)
        (again,) = await switch.next_signals()
        assert (again.kind, again.call_id, again.location_text) == (CallSignalKind.OFFERED, second_id,
                                                                    COLLISION.location_text)
        assert switch.callbook.script_for(second_id).outcome == COLLISION.outcome  # the crews find the same

    asyncio.run(story())


class FakeLink:
    def __init__(self) -> None:
        self.on_event = None
        self.on_synced = None

    def send(self, name: str, args: dict) -> str:
        return "1"


class RecordingInjector:
    def __init__(self) -> None:
        self.second_calls: list[tuple[str, str | None]] = []

    def second_call(self, about_call_id: str, says: str | None = None) -> None:
        self.second_calls.append((about_call_id, says))


def test_the_runner_rings_the_second_call_the_trainer_injected_with_the_trainers_line():
    link, injector = FakeLink(), RecordingInjector()
    control = TrainerControl(ScaledClock(1), link, injector)  # type: ignore[arg-type]
    args = {"run_id": RUN_ID, "kind": "second_call", "target": "t-0-0", "says": "又有一辆车撞上来了！"}
    validate_command("training.inject", args)
    for data in (args, {"run_id": RUN_ID, "kind": "second_call", "target": "t-0-0"}):
        link.on_event(None, {"type": "event", "seq": 1, "ts": "2026-12-05T10:00:00.000Z",
                             "name": "training.injected", "actor": {"id": "trainer-1", "role": "trainer"},
                             "data": data})
    assert injector.second_calls == [("t-0-0", "又有一辆车撞上来了！"), ("t-0-0", None)]
    control.close()
