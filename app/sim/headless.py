"""Headless training runs: a scripted dispatcher plays a scenario through the real
training centre (runner, server, simulated switch and ambulances, over the real protocol),
and the run is scored from the event log (:mod:`app.sim.scoring`).

``dispatch120 sim run SCENARIO --dispatcher good|slow --json`` is how scoring itself is
tested: the good dispatcher meets every target, the slow one answers, recognises,
coaches and dispatches late and under-triages.

Each of the registry's seats is staffed by one scripted dispatcher (an asyncio task with
its own :class:`~app.sim.link.SimLink`). A dispatcher takes the calls that ring at its
seat, one at a time, and works each by its :class:`DispatcherStyle`'s delays, in scenario
seconds (``time_scale`` makes them pass faster): answer, record the incident, confirm the
location, walk the real protocol (:class:`~app.triage.engine.TriageSession`) answering each
question as the caller answers it, recognise a cardiac arrest and start the CPR coach, record
the determinant and its priority, assign the nearest available unit of the needed capability,
alert the volunteers nearby to an arrest (one may bring an AED), choose the receiving hospital,
pre-notify it when the determinant proposes it (STEMI, stroke), hang up and be ready again;
a repeat call about an incident already recorded is attached to it; a unit that breaks down
on the way is replaced. Only the first round of a
looping scenario is played.

Seeded: the centre's call ids and the dispatchers' incident ids come from the seed, so two
runs with one seed give the same events (times aside; see ``tests/integration/test_scenario_library_headless.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from app.dispatch.destination import Requirement, suggest
from app.domain.model import CallState, Milestone, UnitStatus
from app.domain.state import Entity, State
from app.protocol import Message, now_iso
from app.sim.clock import ScaledClock
from app.sim.link import Refusal, SimLink
from app.sim.scenario import InjectedEventKind, Scenario, ScriptedCall, load_scenario
from app.sim.scoring import (
    SCORED_EVENTS,
    Score,
    expected_capability,
    expects_arrest,
    score_run,
    shipped_protocols,
)
from app.sim.switch import script_place
from app.triage.engine import TriageSession
from app.triage.model import Determinant

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
    ranks_hospitals: bool = True  # the suggestions for what the patient needs; False: the nearest one
    attaches_repeats: bool = True  # a repeat call joins its incident; False: a new incident each time
    alerts_volunteers: bool = True  # alert the volunteers nearby to a cardiac arrest
    # Walk the chief complaint's protocol to its determinant; False: only the case entry's
    # questions (CASE_ENTRY_ORDER), then the priority set by hand.
    follows_protocol: bool = True
    locates_first: bool = True  # confirm the location before the questions; False: after them
    prenotifies: bool = True  # pre-notify the hospital when the determinant proposes it


STYLES = {
    "good": DispatcherStyle("good", answer_s=3, record_s=2, question_s=3, cpr_s=8, dispatch_s=3, hang_up_s=5),
    "slow": DispatcherStyle("slow", answer_s=13, record_s=10, question_s=15, cpr_s=45, dispatch_s=40,
                            hang_up_s=10, priority_error=1, capability="bls", ranks_hospitals=False,
                            attaches_repeats=False, alerts_volunteers=False, follows_protocol=False,
                            locates_first=False, prenotifies=False),
}
# What the hospital prepares for, by the determinant's protocol (as the seat's pre-notify dialog fills it).
PRENOTIFY_COMPLAINT = {"chest_pain": "chest_pain", "stroke": "stroke", "cardiac_arrest": "cardiac_arrest",
                       "traffic_collision": "trauma", "trauma_bleeding": "trauma", "falls": "trauma"}
# The order a case-entry interview asks the questions a script may answer (case_entry.yaml).
UNIT_POLL_S = 2.0
UNIT_WAIT_S = 1800.0  # then the incident is left unassigned (scored as such)
REPEAT_WAIT_S = 60.0  # a repeat call: how long to wait for the first call's incident to be recorded
CASE_ENTRY_ORDER = ("location_confirmed", "callback_number", "what_happened", "conscious", "breathing_normally")


class _Centre:
    """What the dispatchers share: the event log, the calls of round 0, the units claimed."""

    def __init__(self, scenario: Scenario, seed: int = 1) -> None:
        self.scenario = scenario
        self.seed = seed
        self.log: list[Message] = []
        self.incident_of_index: dict[int, str] = {}  # scripted call index → the incident recorded for it
        self.waiting = 0  # incidents waiting for a unit (every unit busy, or theirs broke down)
        self.index_of: dict[str, int] = {}  # round-0 call id → scripted index
        self.done: set[str] = set()  # round-0 calls worked to the end (or abandoned unanswered)
        self.claimed: set[str] = set()  # units chosen whose unit.assigned has not come back yet
        self.refusals: list[Refusal] = []

    @property
    def finished(self) -> bool:
        return len(self.done) >= len(self.scenario.calls) and not self.waiting

    def incident_id_for(self, call_id: str) -> str:
        """The incident id a dispatcher gives the call's incident: from the seed (repeatable runs)."""
        return str(uuid.UUID(int=random.Random(f"{self.seed}:{call_id}").getrandbits(128), version=4))


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
        self.queued: set[str] = set()  # calls put on the ringing queue (once each)
        self.worked: dict[str, ScriptedCall] = {}  # incident id → the call it was recorded for
        self.protocol_of: dict[str, str] = {}  # incident id → the protocol of its determinant
        self.waiting: list[tuple[float, str]] = []  # (since when, incident id) waiting for a unit
        self.waiting_changed = asyncio.Event()
        link.on_event = self._on_event
        link.on_synced = self._on_synced
        link.on_refused = self._on_refused

    def _on_synced(self, state: State) -> None:
        # After a reconnect the events missed meanwhile were replayed without callbacks:
        # pick up from the state the round-0 calls that arrived and ring here.
        for call_id, call in state.calls.items():
            place = script_place(call_id)
            if place is None or place[0] != 0:
                continue
            self.centre.index_of.setdefault(call_id, place[1])
            if (call.get("state") == CallState.RINGING and call.get("seat_id") == self.seat_id
                    and call_id not in self.queued):
                self.queued.add(call_id)
                self.ringing.put_nowait(call_id)
        self.link.send("seat.set_ready", {"ready": True})

    def _on_refused(self, state: State, refusal: Refusal) -> None:
        log.info("%s: %s refused: %s %s", self.seat_id, refusal.name, refusal.code, refusal.message)
        self.centre.refusals.append(refusal)
        if refusal.name == "unit.assign" and refusal.args.get("incident_id") in self.worked:
            # The unit changed meanwhile (it broke down, another seat took it): choose again.
            self.centre.claimed.discard(refusal.args["unit_id"])
            self.wait_for_unit(refusal.args["incident_id"])

    def _on_event(self, state: State, event: Message) -> None:
        if self.keeps_log:
            self.centre.log.append(event)
        name, data = event["name"], event["data"]
        if name == "call.received":
            place = script_place(data["call_id"])
            if place is not None and place[0] == 0:
                self.centre.index_of[data["call_id"]] = place[1]
        elif name == "call.ringing" and data["seat_id"] == self.seat_id and data["call_id"] in self.centre.index_of:
            self.queued.add(data["call_id"])
            self.ringing.put_nowait(data["call_id"])
        elif name == "unit.assigned":
            self.centre.claimed.discard(data["unit_id"])  # the state says it is busy now
        elif (name == "unit.status_changed" and data["status"] == UnitStatus.AVAILABLE and not data.get("manual")
              and data["previous"] in (UnitStatus.DISPATCHED, UnitStatus.EN_ROUTE)
              and data.get("incident_id") in self.worked):
            # The crew gave the incident up before reaching it (a breakdown): send another unit,
            # not this one (it reports out of service next).
            self.centre.claimed.add(data["unit_id"])
            self.wait_for_unit(data["incident_id"])
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

    def wait_for_unit(self, incident_id: str) -> None:
        """Put the incident on this seat's waiting list: :meth:`assign_waiting` sends a unit when one is free."""
        self.centre.waiting += 1
        self.waiting.append((self.clock.now(), incident_id))
        self.waiting_changed.set()

    async def assign_waiting(self) -> None:
        """Send a unit to each waiting incident as units come free, the most urgent first (then the
        longest waiting); an incident still waiting after :data:`UNIT_WAIT_S` is left (scored as such)."""
        while True:
            if not self.waiting:
                self.waiting_changed.clear()
                await self.waiting_changed.wait()
                await self.clock.sleep(self.style.dispatch_s)
            self.waiting.sort(key=lambda w: (self.worked[w[1]].expected_priority, w[0]))
            for since, incident_id in list(self.waiting):
                unit = self.choose_unit(self.worked[incident_id])
                if unit is not None:
                    self.link.send("unit.assign", {"incident_id": incident_id, "unit_id": unit["unit_id"],
                                                   "unit_version": unit["version"]})
                elif self.clock.now() - since < UNIT_WAIT_S:
                    continue
                else:
                    log.info("%s: incident %s: no unit came free in %g s", self.seat_id, incident_id, UNIT_WAIT_S)
                self.waiting.remove((since, incident_id))
                self.centre.waiting -= 1
            await self.clock.sleep(UNIT_POLL_S)

    async def work(self, call_id: str, script: ScriptedCall) -> None:
        style, send = self.style, self.link.send
        send("call.answer", {"call_id": call_id})
        await self.clock.sleep(style.record_s)
        if script.repeat_of is not None and style.attaches_repeats:
            await self.attach_repeat(call_id, script)
            return
        incident_id = self.centre.incident_id_for(call_id)
        self.worked[incident_id] = script
        self.centre.incident_of_index[script.index] = incident_id
        send("incident.create", {
            "incident_id": incident_id, "call_id": call_id,
            "address": script.location_text or "地址不详", "callback_number": script.caller_number,
            "patients": script.patients,
        })
        position = best_position(script)
        if style.locates_first:
            self.locate(incident_id, position)
        arrest = expects_arrest(script)
        result: Determinant | None = None
        asked: set[str] = set()  # questions recorded
        arrest_sent = False
        if style.follows_protocol:
            result, asked, arrest_sent = await self.triage(incident_id, script, position)
        if result is None:
            # No protocol walk, or it stopped short (a caller without a chief complaint): the
            # case entry's questions the caller can answer, then the arrest if there is one.
            for question in CASE_ENTRY_ORDER:
                said = script.caller.answers.get(question)
                if said is None or said.answer is None or question in asked:
                    continue
                await self.clock.sleep(style.question_s)
                send("triage.answer", {"incident_id": incident_id, "protocol": "case_entry",
                                       "protocol_version": "scripted", "question": question, "answer": said.answer})
            if arrest and not arrest_sent:
                await self.recognise_arrest(incident_id, position)
        if not style.locates_first:
            self.locate(incident_id, position)
        base = result.priority if result is not None else script.expected_priority
        priority = min(4, base + style.priority_error)
        send("incident.update", {"incident_id": incident_id, "priority": priority})
        await self.clock.sleep(style.dispatch_s)
        unit = self.choose_unit(script)
        log.info("%s: call %s: unit %s", self.seat_id, call_id, unit and unit["unit_id"])
        if unit is not None:
            send("unit.assign", {"incident_id": incident_id, "unit_id": unit["unit_id"],
                                 "unit_version": unit["version"]})
        else:  # every unit is busy: the incident waits for the first one freed; take the next call
            self.wait_for_unit(incident_id)
        hospital = self.choose_hospital(script)
        if hospital is not None:
            args: dict[str, object] = {"incident_id": incident_id, "hospital_id": hospital[0], "rank": hospital[1]}
            if hospital[1] > 1:
                args["reason"] = "other"
            send("incident.set_destination", args)
            if style.prenotifies and result is not None and result.prenotify:
                # As the seat's pre-notify dialog sends it before the crew is on scene: no ECG yet.
                complaint = PRENOTIFY_COMPLAINT.get(self.protocol_of.get(incident_id, ""), "other")
                send("prenotify.send", {"incident_id": incident_id, "hospital_id": hospital[0],
                                        "summary": {"sex": "unknown", "complaint": complaint}, "include_ecg": False})
        await self.clock.sleep(style.hang_up_s)
        if (self.link.state.calls.get(call_id) or {}).get("state") == CallState.ANSWERED:
            send("call.ended", {"call_id": call_id})
        send("seat.set_ready", {"ready": True})

    def locate(self, incident_id: str, position: dict | None) -> None:
        """Confirm the most precise location candidate with a position (none: nothing to confirm)."""
        if position is not None:
            self.link.send("incident.locate", {"incident_id": incident_id, "lat": position["lat"],
                                               "lon": position["lon"], "source": "candidate",
                                               "candidate_source": position["source"]})

    async def recognise_arrest(self, incident_id: str, position: dict | None) -> None:
        """Record the recognition, alert the volunteers nearby, and start the CPR coach ``cpr_s`` later."""
        self.link.send("triage.arrest_recognised", {"incident_id": incident_id, "at": now_iso()})
        if self.style.alerts_volunteers and position is not None and self.centre.scenario.registry.volunteers:
            self.link.send("responders.alert", {"incident_id": incident_id})
        await self.clock.sleep(self.style.cpr_s)
        self.link.send("cpr.started", {"incident_id": incident_id, "rate_per_min": 110, "variant": "adult"})

    async def triage(self, incident_id: str, script: ScriptedCall,
                     position: dict | None) -> tuple[Determinant | None, set[str], bool]:
        """Walk the protocol as the seat's questionnaire does: each question answered as the caller
        answers it, each new step of the route recorded (``triage.answer``, carried ones too), the
        arrest recognised the moment the route says so, the determinant recorded (``triage.complete``).

        Returns the determinant (None when the caller has no answer to a question on the way), the
        question ids recorded, and whether the arrest was recognised.
        """
        protocols = shipped_protocols()
        session = TriageSession(protocols)
        said = {q: a.answer for q, a in script.caller.answers.items() if a.answer is not None}
        recorded: list[tuple[str, str, str]] = []  # the route as last recorded
        arrest_sent = False
        while (question := session.current) is not None:
            key = said.get(question.id)
            complaint = said.get("chief_complaint")
            if (key is None and session.protocol.is_case_entry and complaint is not None
                    and complaint in protocols.protocols):
                # The caller cannot say (their age, say): the dispatcher goes to the chief complaint
                # the caller described, as ``dispatch120 triage run`` does with a case's complaint.
                session.choose_complaint(complaint)
                continue
            if key is None or question.answer_for(key) is None:
                log.info("%s: incident %s: the caller cannot answer %s", self.seat_id, incident_id, question.id)
                return None, {q for _, q, _ in recorded}, arrest_sent
            await self.clock.sleep(self.style.question_s)
            session.answer(key)
            steps = session.path
            common = 0
            while common < min(len(recorded), len(steps)) and recorded[common] == steps[common]:
                common += 1
            for protocol_id, question_id, answer in steps[common:]:
                self.link.send("triage.answer", {
                    "incident_id": incident_id, "protocol": protocol_id,
                    "protocol_version": protocols.protocol(protocol_id).version,
                    "question": question_id, "answer": answer})
            recorded = steps
            if session.arrest_recognised and not arrest_sent:
                arrest_sent = True
                await self.recognise_arrest(incident_id, position)
        result = session.result
        if result is not None:
            self.protocol_of[incident_id] = session.protocol.id
            self.link.send("triage.complete", {
                "incident_id": incident_id, "protocol": session.protocol.id,
                "protocol_version": session.protocol.version, "determinant": result.code,
                "priority": result.priority, "plan": result.plan.id,
                "capability": result.plan.capability.value, "cpr": result.cpr})
        return result, {q for _, q, _ in recorded}, arrest_sent

    async def attach_repeat(self, call_id: str, script: ScriptedCall) -> None:
        """A repeat call: join it to the incident of the call it repeats, reassure, hang up."""
        assert script.repeat_of is not None
        waited = 0.0
        while (incident_id := self.centre.incident_of_index.get(script.repeat_of)) is None and waited < REPEAT_WAIT_S:
            await self.clock.sleep(UNIT_POLL_S)
            waited += UNIT_POLL_S
        if incident_id is not None:
            self.link.send("call.attach", {"call_id": call_id, "incident_id": incident_id})
        await self.clock.sleep(self.style.hang_up_s)
        if (self.link.state.calls.get(call_id) or {}).get("state") == CallState.ANSWERED:
            self.link.send("call.ended", {"call_id": call_id})
        self.link.send("seat.set_ready", {"ready": True})

    def choose_hospital(self, script: ScriptedCall) -> tuple[str, int] | None:
        """``(hospital id, rank among the suggestions)``: the first suggestion for what the patient
        needs (a ranking dispatcher), or the nearest hospital whatever its status (a slow one)."""
        if script.outcome != "transported":
            return None
        where = best_position(script)
        position = (where["lat"], where["lon"]) if where is not None else None
        needs = Requirement(rule_id="scenario", needs=frozenset(script.hospital_needs)) if script.hospital_needs else None
        ranked = suggest(position, self.link.state.hospitals.values(), needs)
        if not ranked:
            return None
        if self.style.ranks_hospitals:
            return ranked[0].hospital_id, ranked[0].rank
        nearest = min(ranked, key=lambda d: (d.travel.seconds if d.travel else math.inf, d.hospital_id))
        return nearest.hospital_id, nearest.rank

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


def _crews_on_scene(state: State, centre: _Centre) -> bool:
    """A crew has reached every incident the dispatchers recorded (one never sent a unit aside)."""
    for incident_id in centre.incident_of_index.values():
        incident = state.incidents.get(incident_id)
        if incident is None:
            return False  # not seen yet
        if not incident["milestones"].get(Milestone.ON_SCENE) and (incident["units"] or centre.waiting):
            return False
    return True


def best_position(script: ScriptedCall) -> dict | None:
    """The most precise location candidate with a position (what a dispatcher would confirm), or None."""
    placed = [c for c in script.locations if c.get("lat") is not None and c.get("lon") is not None]
    return min(placed, key=lambda c: c.get("accuracy_m") or math.inf) if placed else None


async def play(scenario: Scenario, url: str, seat_tokens: dict[str, str], style: DispatcherStyle,
               *, time_scale: float, timeout_s: float, seed: int = 1, until_on_scene: bool = False) -> _Centre:
    """Staff every seat with a scripted dispatcher until round 0 is worked (and, ``until_on_scene``,
    until a crew has reached every incident sent a unit: the patients' monitors have started).

    Raises TimeoutError."""
    centre = _Centre(scenario, seed)
    clock = ScaledClock(time_scale)
    tasks: list[asyncio.Task[None]] = []
    links: list[SimLink] = []
    try:
        for i, (seat_id, token) in enumerate(sorted(seat_tokens.items())):
            # Reconnect quickly after a server drop: at a high time scale the default backoff
            # (up to 3 wall seconds) would be minutes of scenario time.
            link = SimLink(url, token, client_name=f"scripted-dispatcher-{seat_id}", backoff_s=(0.05, 0.5))
            dispatcher = ScriptedDispatcher(centre, link, seat_id, style, clock, keeps_log=i == 0)
            links.append(link)
            tasks.append(asyncio.create_task(link.run(), name=f"{seat_id} link"))
            tasks.append(asyncio.create_task(dispatcher.run(), name=f"{seat_id} dispatcher"))
            tasks.append(asyncio.create_task(dispatcher.assign_waiting(), name=f"{seat_id} waiting incidents"))
        # Scenario time 0 is (about) now: the first seat says ready as it syncs. The injected events
        # happen, and what the dispatchers do about them (a breakdown: send another unit) is done.
        events_over_s = max((e.at_s + (e.duration_s if e.kind == InjectedEventKind.SERVER_DROP else 0)
                             for e in scenario.events), default=None)
        async with asyncio.timeout(timeout_s):
            while not centre.finished or (events_over_s is not None
                                          and clock.now() < events_over_s + 2 * style.dispatch_s + 20):
                for task in tasks:
                    if task.done() and task.exception() is not None:
                        raise task.exception()  # type: ignore[misc]
                await asyncio.sleep(0.02)
            await clock.sleep(5.0)  # the last events (assignments) come back
            if until_on_scene:
                while not _crews_on_scene(links[0].state, centre):
                    await asyncio.sleep(0.05)
                await asyncio.sleep(1.0)  # the crews' terminals start the monitors on their next tick (wall time)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
    return centre


def read_log(db: Path, names: Sequence[str] = SCORED_EVENTS) -> list[Message]:
    """The events ``names`` of a (stopped) training run's event log, in ``seq`` order.

    Raises:
        app.records.kpi.KpiError: the file is not a readable event log.
    """
    from app.records.kpi import open_log, read_events

    engine = open_log(db)
    try:
        far = (datetime(1970, 1, 1, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC))
        return [{"name": name, "ts": ts, "data": dict(data)} for name, ts, data in read_events(engine, *far, names=names)]
    finally:
        engine.dispose()


def round0_calls(log: Sequence[Message]) -> dict[str, int]:
    """Call id → scripted index of the calls of the script's first round (``call.received``)."""
    found = {}
    for event in log:
        if event["name"] == "call.received":
            place = script_place(event["data"]["call_id"])
            if place is not None and place[0] == 0:
                found[event["data"]["call_id"]] = place[1]
    return found


@dataclass(frozen=True)
class HeadlessRun:
    """A finished headless run: its score and the events scoring read (``seq`` order)."""

    score: Score
    log: list[Message]
    workdir: Path


def run_scenario(path: str | Path, style: DispatcherStyle, *, time_scale: float = DEFAULT_TIME_SCALE,
                 seed: int = 1, workdir: Path | None = None) -> Score:
    """Start a training centre for ``path``, play it with ``style``, stop it and score the run.

    See :func:`play_scenario` (this returns its ``score``).
    """
    return play_scenario(path, style, time_scale=time_scale, seed=seed, workdir=workdir).score


def play_scenario(path: str | Path, style: DispatcherStyle, *, time_scale: float = DEFAULT_TIME_SCALE,
                  seed: int = 1, workdir: Path | None = None, log_names: Sequence[str] = SCORED_EVENTS,
                  until_on_scene: bool = False) -> HeadlessRun:
    """Start a training centre for ``path``, play it with ``style``, stop it and score the run
    from its event log (the training database, read once the centre has stopped).

    ``log_names``: the events kept in :attr:`HeadlessRun.log` (at least :data:`SCORED_EVENTS`);
    ``until_on_scene``: go on until a crew has reached every incident (see :func:`play`).

    Blocks; call it from the main thread (the runner's parent-death signal). Raises
    ScenarioError for a bad scenario, TrainingStartError if the centre does not start,
    TimeoutError if the run does not finish.
    """
    from app.sim.launcher import start_training
    from app.sim.runner import DB_NAME

    scenario = load_scenario(path)
    session = start_training(path, time_scale=time_scale, seed=seed, workdir=workdir, timeout_s=60)
    try:
        # Round 0, plus how long the slowest dispatcher needs for its last call, in wall seconds.
        budget_s = (scenario.calls[-1].at_s + 60 * 15 * len(scenario.calls)) / time_scale + 60
        budget_s += sum(e.duration_s for e in scenario.events) / time_scale + 20 * len(scenario.events)
        asyncio.run(play(scenario, session.url, dict(session.seats), style,
                                  time_scale=time_scale, timeout_s=budget_s + (900 / time_scale if until_on_scene else 0),
                                  seed=seed, until_on_scene=until_on_scene))
    finally:
        session.stop()
    log = read_log(session.workdir / DB_NAME, tuple(dict.fromkeys((*SCORED_EVENTS, *log_names))))
    score = score_run(scenario, log, time_scale=time_scale, call_index=round0_calls(log))
    return HeadlessRun(score=score, log=log, workdir=session.workdir)
