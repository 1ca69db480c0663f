"""The simulated phone switch: a scripted caller rings, hangs up, talks — on a manual clock."""

from __future__ import annotations

import asyncio
from pathlib import Path

from app.domain.model import CloseReason
from app.sim.clock import ManualClock
from app.sim.link import SimLink
from app.sim.scenario import CallerSays, PrincipalSpec, Registry, Scenario, ScriptedCall, StartTrigger
from app.sim.switch import CallBook, CallScript, CallSignalKind, SimulatedSwitch, SwitchBridge
from tests.unit.domain_harness import Centre, seat, staffed_centre

SAYS = CallerSays(zh="胸口痛", en="chest pain")
REGISTRY = Registry(
    data={},
    source=Path("registry.yaml"),
    seats=(PrincipalSpec("seat-1", "调度席1"),),
    switches=(PrincipalSpec("switch-1", "交换机"),),
)


def scripted(index: int, at_s: float, **kw) -> ScriptedCall:
    fields = {
        "caller_number": f"1381234567{index}",
        "says": SAYS,
        "expected_priority": 2,
        "outcome": CloseReason.TRANSPORTED,
    }
    return ScriptedCall(index=index, at_s=at_s, **{**fields, **kw})


def scenario(
    *calls: ScriptedCall, loop: bool = False, period: float | None = None, start=StartTrigger.IMMEDIATELY
) -> Scenario:
    return Scenario(
        Path("s.yaml"), "测试", REGISTRY, tuple(calls), start=start, loop=loop, loop_period_s=period
    )


def kinds(signals) -> list[tuple[str, str]]:
    return [(s.kind.value, s.call_id) for s in signals]


def test_calls_are_offered_at_their_times_with_the_caller_id():
    script = CallScript(
        scenario(scripted(0, 3, caller_name="王先生", location_text="Boulevard Albert 1er"), scripted(1, 40)),
        id_prefix="t",
    )
    assert script.poll(100) == [] and script.next_deadline() is None, "nothing before the start"
    script.start(10)
    assert script.next_deadline() == 13
    assert script.poll(12.9) == []
    (offer,) = script.poll(13)
    assert (offer.kind, offer.call_id, offer.caller_number, offer.caller_name, offer.location_text) == (
        CallSignalKind.OFFERED,
        "t-0-0",
        "13812345670",
        "王先生",
        "Boulevard Albert 1er",
    )
    assert offer.as_command() == (
        "call.offered",
        {
            "call_id": "t-0-0",
            "caller_number": "13812345670",
            "caller_name": "王先生",
            "location_text": "Boulevard Albert 1er",
        },
    )
    assert kinds(script.poll(50)) == [("offered", "t-0-1")]


def test_a_caller_hangs_up_if_nobody_answers_in_time():
    script = CallScript(
        scenario(scripted(0, 0, abandon_after_s=20), scripted(1, 0, abandon_after_s=20)), id_prefix="t"
    )
    script.start(0)
    assert kinds(script.poll(0)) == [("offered", "t-0-0"), ("offered", "t-0-1")]
    script.call_answered("t-0-1", now=5)
    assert script.next_deadline() == 20
    assert kinds(script.poll(20)) == [("abandoned", "t-0-0")]
    assert kinds(script.poll(1000)) == [("ended", "t-0-1")], "the answered caller talks, then hangs up"


def test_an_answered_call_ends_after_the_talk_time_unless_the_seat_hung_up_first():
    script = CallScript(scenario(scripted(0, 0, talk_s=75), scripted(1, 0, talk_s=75)), id_prefix="t")
    script.start(0)
    script.poll(0)
    script.call_answered("t-0-0", now=10)
    script.call_answered("t-0-1", now=10)
    script.call_answered("t-0-0", now=30)  # a repeated notice (after a reconnect) does not restart the talk
    script.call_finished("t-0-1")  # the dispatcher ended that one
    assert script.next_deadline() == 85
    assert kinds(script.poll(85)) == [("ended", "t-0-0")]
    script.call_finished("t-0-0")
    assert script.done


def test_an_abandon_that_crossed_the_answer_is_followed_by_a_normal_call():
    script = CallScript(scenario(scripted(0, 0, abandon_after_s=10, talk_s=30)), id_prefix="t")
    script.start(0)
    script.poll(0)
    assert kinds(script.poll(10)) == [("abandoned", "t-0-0")]
    script.call_answered("t-0-0", now=10.2)  # the server refused the abandon: the seat had answered
    assert kinds(script.poll(40.2)) == [("ended", "t-0-0")]


def test_a_looping_script_plays_again_with_fresh_call_ids():
    script = CallScript(scenario(scripted(0, 3), scripted(1, 40), loop=True, period=100), id_prefix="t")
    script.start(0)
    offered = []
    for now in range(0, 260, 1):
        offered += [(s.call_id, now) for s in script.poll(now) if s.kind == CallSignalKind.OFFERED]
    assert offered == [
        ("t-0-0", 3),
        ("t-0-1", 40),
        ("t-1-0", 103),
        ("t-1-1", 140),
        ("t-2-0", 203),
        ("t-2-1", 240),
    ]
    assert not script.done


def test_two_scripts_never_share_call_ids():
    one, two = CallScript(scenario(scripted(0, 0))), CallScript(scenario(scripted(0, 0)))
    one.start(0)
    two.start(0)
    assert one.poll(0)[0].call_id != two.poll(0)[0].call_id


def test_the_exercise_starts_when_the_first_trainee_is_ready():
    async def story() -> list:
        clock = ManualClock()
        switch = SimulatedSwitch(
            scenario(scripted(0, 3), start=StartTrigger.FIRST_SEAT_READY), clock, id_prefix="t"
        )
        centre = Centre()
        centre.register_seat("seat-1")
        centre.connect("seat-1")
        waiting = asyncio.create_task(switch.next_signals())
        clock.advance(600)
        switch.centre_changed(centre.state)  # logged in, not ready: still nothing
        await asyncio.sleep(0)
        assert not waiting.done()
        centre.ready("seat-1")
        switch.centre_changed(centre.state)
        await asyncio.sleep(0)
        assert not waiting.done(), "the first call is 3 s after the start"
        clock.advance(3)
        return await asyncio.wait_for(waiting, timeout=5)

    (offer,) = asyncio.run(story())
    assert offer.call_id == "t-0-0"


def test_the_switch_records_each_offered_call_for_the_crews():
    async def story() -> CallBook:
        clock = ManualClock()
        book = CallBook()
        switch = SimulatedSwitch(
            scenario(scripted(0, 0, outcome=CloseReason.REFUSED)), clock, callbook=book, id_prefix="t"
        )
        await switch.next_signals()
        return book

    book = asyncio.run(story())
    c = staffed_centre()
    c.offer_call("t-0-0", number="13812345670")
    c.send(seat("seat-1"), "call.answer", {"call_id": "t-0-0"})
    c.send(
        seat("seat-1"),
        "incident.create",
        {"incident_id": "3f6d1b2a-8c4e-4f7a-9b0c-5d2e1a3f4b6c", "call_id": "t-0-0"},
    )
    linked = c.incident("3f6d1b2a-8c4e-4f7a-9b0c-5d2e1a3f4b6c")
    assert book.outcome_for(c.state, linked) == CloseReason.REFUSED
    by_number = {"incident_id": "x", "call_id": None, "callback_number": "13812345670"}
    assert book.outcome_for(c.state, by_number) == CloseReason.REFUSED, (
        "an incident recorded without the call"
    )
    made_up = {"incident_id": "y", "call_id": None, "callback_number": "02300000000"}
    assert book.outcome_for(c.state, made_up) == CloseReason.TRANSPORTED


def test_the_bridge_tells_the_switch_what_happened_to_its_calls_while_it_was_offline():
    async def story() -> tuple[CallScript, SimLink]:
        clock = ManualClock()
        switch = SimulatedSwitch(
            scenario(scripted(0, 0, talk_s=30), scripted(1, 0, abandon_after_s=99)), clock, id_prefix="t"
        )
        link = SimLink("ws://127.0.0.1:9/ws", "token", client_name="test")
        bridge = SwitchBridge(switch, link)
        bridge.report(await switch.next_signals())  # the server is not reachable: queued
        # Meanwhile at the centre (as the replay after a reconnect shows it):
        c = staffed_centre()
        c.offer_call("t-0-0", number="13812345670")
        c.offer_call("t-0-1", number="13812345671")
        c.send(seat("seat-1"), "call.answer", {"call_id": "t-0-0"})
        c.send(seat("seat-2"), "call.answer", {"call_id": "t-0-1"})
        c.send(seat("seat-2"), "call.ended", {"call_id": "t-0-1"})
        link.on_synced(c.state)
        return switch.script, link

    script, link = asyncio.run(story())
    assert link.pending == 2, "the offers wait in the outbox until the server acks them"
    assert script.live_call_ids() == ["t-0-0"], (
        "the call the seat ended is over; the other is in conversation"
    )
    assert kinds(script.poll(30)) == [("ended", "t-0-0")]


def test_the_caller_replies_to_questions_asked_aloud_not_to_the_number_the_switch_gave():
    class Phone:
        def __init__(self) -> None:
            self.asked: list[tuple[str, str, str]] = []

        def question_asked(self, call_id: str, question_id: str, recorded: str | None = None) -> None:
            self.asked.append((call_id, question_id, recorded or ""))

    phone = Phone()
    bridge = SwitchBridge(phone, SimLink("ws://127.0.0.1:9/ws", "token", client_name="test"))  # type: ignore[arg-type]
    bridge._mine.add("t-0-0")
    c = staffed_centre()
    c.offer_call("t-0-0", number="13812345670")
    c.send(seat("seat-1"), "call.answer", {"call_id": "t-0-0"})
    incident_id = "3f6d1b2a-8c4e-4f7a-9b0c-5d2e1a3f4b6c"
    c.send(seat("seat-1"), "incident.create", {"incident_id": incident_id, "call_id": "t-0-0"})
    answer = {"incident_id": incident_id, "protocol": "case_entry", "protocol_version": "2026.12d"}

    for question, key, source in (("callback_number", "confirmed", "switch"), ("conscious", "no", None)):
        data = {**answer, "question": question, "answer": key, **({"source": source} if source else {})}
        bridge.link.on_event(c.state, {"type": "event", "name": "triage.answered", "data": data})

    assert phone.asked == [("t-0-0", "conscious", "no")]
