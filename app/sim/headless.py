"""Headless training runs: a scripted dispatcher plays a scenario through the real
training centre (runner, server, simulated switch and ambulances, over the real protocol),
and the run is scored from the event log (:mod:`app.sim.scoring`).

``dispatch120 sim run SCENARIO --dispatcher good|slow --json`` is how scoring itself is
tested: the good dispatcher meets every target, the slow one answers, recognises,
coaches and dispatches late and under-triages.

Each of the registry's seats is staffed by one scripted dispatcher (an asyncio task with
its own :class:`~app.sim.link.SimLink`). A dispatcher takes the calls that ring at its
seat, one at a time, and works each by its :class:`DispatcherStyle`'s delays, in scenario
seconds (``time_scale`` makes them pass faster): answer, record the incident, ask the
caller's questions (the case-entry answers the script gives), recognise a cardiac arrest
and start the CPR coach, set the priority, assign the nearest available unit of the needed
capability, hang up and be ready again. Only the first round of a looping scenario is played.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import uuid
from dataclasses import dataclass
from pathlib import Path

from app.domain.model import CallState, UnitStatus
from app.domain.state import Entity, State
from app.protocol import Message, now_iso
from app.sim.clock import ScaledClock
from app.sim.link import Refusal, SimLink
from app.sim.scenario import Scenario, ScriptedCall, load_scenario
from app.sim.scoring import Score, expected_capability, expects_arrest, score_run
from app.sim.switch import script_place

log = logging.getLogger(__name__)

DEFAULT_TIME_SCALE = 50.0  # server timestamps are in ms: 1 ms of latency is 0.05 scenario s


@dataclass(frozen=True)
class DispatcherStyle:
    """How a scripted dispatcher works a call; delays in scenario seconds."""

    name: str
    answer_s: float  # ringing → answer
    record_s: float  # answer → incident recorded
    question_s: float  # per question asked
    cpr_s: float  # arrest recognised → compressions start
    dispatch_s: float  # last question → unit assigned
    hang_up_s: float  # unit assigned → hang up
    priority_error: int = 0  # added to the expected priority (under-triage), capped at 4
    capability: str | None = None  # None: the capability the call needs; else always this one


STYLES = {
    "good": DispatcherStyle("good", answer_s=3, record_s=2, question_s=4, cpr_s=8, dispatch_s=3, hang_up_s=5),
    "slow": DispatcherStyle("slow", answer_s=13, record_s=10, question_s=15, cpr_s=45, dispatch_s=40,
                            hang_up_s=10, priority_error=1, capability="bls"),
}
# The order a case-entry interview asks the questions a script may answer (case_entry.yaml).
UNIT_POLL_S = 2.0
UNIT_WAIT_S = 120.0  # then the call is left unassigned (scored as such)
CASE_ENTRY_ORDER = ("location_confirmed", "callback_number", "what_happened", "conscious", "breathing_normally")


class _Centre:
    """What the dispatchers share: the event log, the calls of round 0, the units claimed."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.log: list[Message] = []
        self.index_of: dict[str, int] = {}  # round-0 call id → scripted index
        self.done: set[str] = set()  # round-0 calls worked to the end (or abandoned unanswered)
        self.claimed: set[str] = set()  # units chosen whose unit.assigned has not come back yet
        self.refusals: list[Refusal] = []

    @property
    def finished(self) -> bool:
        return len(self.done) >= len(self.scenario.calls)


class ScriptedDispatcher:
    """One seat's scripted dispatcher. Runs on the asyncio loop of :func:`play`."""

    def __init__(self, centre: _Centre, link: SimLink, seat_id: str, style: DispatcherStyle,
                 clock: ScaledClock, *, keeps_log: bool) -> None:
        self.centre = centre
        self.link = link
        self.seat_id = seat_id
        self.style = style
        self.clock = clock
        self.keeps_log = keeps_log
        self.ringing: asyncio.Queue[str] = asyncio.Queue()
        link.on_event = self._on_event
        link.on_synced = self._on_synced
        link.on_refused = self._on_refused

    def _on_synced(self, state: State) -> None:
        self.link.send("seat.set_ready", {"ready": True})

    def _on_refused(self, state: State, refusal: Refusal) -> None:
        log.info("%s: %s refused: %s %s", self.seat_id, refusal.name, refusal.code, refusal.message)
        self.centre.refusals.append(refusal)

    def _on_event(self, state: State, event: Message) -> None:
        if self.keeps_log:
            self.centre.log.append(event)
        name, data = event["name"], event["data"]
        if name == "call.received":
            place = script_place(data["call_id"])
            if place is not None and place[0] == 0:
                self.centre.index_of[data["call_id"]] = place[1]
        elif name == "call.ringing" and data["seat_id"] == self.seat_id and data["call_id"] in self.centre.index_of:
            self.ringing.put_nowait(data["call_id"])
        elif name == "unit.assigned":
            self.centre.claimed.discard(data["unit_id"])  # the state says it is busy now
        elif name == "call.abandoned" and data["call_id"] in self.centre.index_of:
            call = state.calls.get(data["call_id"]) or {}
            if not call.get("answered_at"):
                self.centre.done.add(data["call_id"])

    async def run(self) -> None:
        while True:
            call_id = await self.ringing.get()
            call = self.link.state.calls.get(call_id) or {}
            if call.get("state") != CallState.RINGING or call.get("seat_id") != self.seat_id:
                continue  # picked up elsewhere or abandoned meanwhile
            await self.clock.sleep(self.style.answer_s)
            call = self.link.state.calls.get(call_id) or {}
            if call.get("state") != CallState.RINGING:
                continue
            try:
                await self.work(call_id, self.centre.scenario.calls_by_index[self.centre.index_of[call_id]])
            finally:
                self.centre.done.add(call_id)

    async def work(self, call_id: str, script: ScriptedCall) -> None:
        style, send = self.style, self.link.send
        send("call.answer", {"call_id": call_id})
        await self.clock.sleep(style.record_s)
        incident_id = str(uuid.uuid4())
        send("incident.create", {
            "incident_id": incident_id, "call_id": call_id,
            "address": script.location_text or "地址不详", "callback_number": script.caller_number,
            "patients": script.patients,
        })
        arrest = expects_arrest(script)
        for question in CASE_ENTRY_ORDER:
            said = script.caller.answers.get(question)
            if said is None or said.answer is None:
                continue
            await self.clock.sleep(style.question_s)
            send("triage.answer", {"incident_id": incident_id, "protocol": "case_entry",
                                   "protocol_version": "scripted", "question": question, "answer": said.answer})
        priority = min(4, script.expected_priority + style.priority_error)
        if arrest:
            send("triage.arrest_recognised", {"incident_id": incident_id, "at": now_iso()})
            await self.clock.sleep(style.cpr_s)
            send("cpr.started", {"incident_id": incident_id, "rate_per_min": 110, "variant": "adult"})
        send("incident.update", {"incident_id": incident_id, "priority": priority})
        await self.clock.sleep(style.dispatch_s)
        unit = self.choose_unit(script)
        waited = 0.0
        while unit is None and waited < UNIT_WAIT_S:  # every unit is busy: take the first one freed
            await self.clock.sleep(UNIT_POLL_S)
            waited += UNIT_POLL_S
            unit = self.choose_unit(script)
        log.info("%s: call %s: unit %s after waiting %g s", self.seat_id, call_id,
                 unit and unit["unit_id"], waited)
        if unit is not None:
            send("unit.assign", {"incident_id": incident_id, "unit_id": unit["unit_id"],
                                 "unit_version": unit["version"]})
        await self.clock.sleep(style.hang_up_s)
        if (self.link.state.calls.get(call_id) or {}).get("state") == CallState.ANSWERED:
            send("call.ended", {"call_id": call_id})
        send("seat.set_ready", {"ready": True})

    def choose_unit(self, script: ScriptedCall) -> Entity | None:
        """The nearest available unit with the capability wanted (any available one if none has it)."""
        want = self.style.capability or expected_capability(script)
        registry = self.centre.scenario.registry
        stations = {s.id: s for s in registry.stations}
        spec = {u.id: u for u in registry.units}
        where = next(((c["lat"], c["lon"]) for c in script.locations if c.get("lat") is not None), None)

        def distance(unit: Entity) -> float:
            station = stations.get(spec[unit["unit_id"]].station or "") if unit["unit_id"] in spec else None
            if where is None or station is None:
                return 0.0
            return math.dist(where, (station.lat, station.lon))

        free = [u for u in self.link.state.units.values()
                if u["status"] == UnitStatus.AVAILABLE and u["unit_id"] not in self.centre.claimed]
        fitting = [u for u in free if u.get("capability") == want] or free
        if not fitting:
            return None
        unit = min(fitting, key=lambda u: (distance(u), u["unit_id"]))
        self.centre.claimed.add(unit["unit_id"])
        return unit


async def play(scenario: Scenario, url: str, seat_tokens: dict[str, str], style: DispatcherStyle,
               *, time_scale: float, timeout_s: float) -> _Centre:
    """Staff every seat with a scripted dispatcher until round 0 is worked. Raises TimeoutError."""
    centre = _Centre(scenario)
    clock = ScaledClock(time_scale)
    tasks: list[asyncio.Task[None]] = []
    try:
        for i, (seat_id, token) in enumerate(sorted(seat_tokens.items())):
            link = SimLink(url, token, client_name=f"scripted-dispatcher-{seat_id}")
            dispatcher = ScriptedDispatcher(centre, link, seat_id, style, clock, keeps_log=i == 0)
            tasks.append(asyncio.create_task(link.run(), name=f"{seat_id} link"))
            tasks.append(asyncio.create_task(dispatcher.run(), name=f"{seat_id} dispatcher"))
        async with asyncio.timeout(timeout_s):
            while not centre.finished:
                for task in tasks:
                    if task.done() and task.exception() is not None:
                        raise task.exception()  # type: ignore[misc]
                await asyncio.sleep(0.02)
            await clock.sleep(5.0)  # the last events (assignments) come back
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
    return centre


def run_scenario(path: str | Path, style: DispatcherStyle, *, time_scale: float = DEFAULT_TIME_SCALE,
                 seed: int = 1, workdir: Path | None = None) -> Score:
    """Start a training centre for ``path``, play it with ``style``, stop it and score the run.

    Blocks; call it from the main thread (the runner's parent-death signal). Raises
    ScenarioError for a bad scenario, TrainingStartError if the centre does not start,
    TimeoutError if the run does not finish.
    """
    from app.sim.launcher import start_training

    scenario = load_scenario(path)
    session = start_training(path, time_scale=time_scale, seed=seed, workdir=workdir, timeout_s=60)
    try:
        # Round 0, plus how long the slowest dispatcher needs for its last call, in wall seconds.
        budget_s = (scenario.calls[-1].at_s + 60 * 15 * len(scenario.calls)) / time_scale + 60
        centre = asyncio.run(play(scenario, session.url, dict(session.seats), style,
                                  time_scale=time_scale, timeout_s=budget_s))
    finally:
        session.stop()
    return score_run(scenario, centre.log, time_scale=time_scale, call_index=centre.index_of)
