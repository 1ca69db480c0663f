"""The phone switch: what a CTI adapter must do, and a simulated switch that plays a script.

The real phone system is the edge of the machine: a centre's PBX/ACD reached through
a CTI link (CSTA, TAPI, Asterisk AMI…). An adapter for it implements
:class:`PhoneSwitch`; :class:`SwitchBridge` connects any :class:`PhoneSwitch` to the
server with the role ``switch``: it turns the switch's signals into ``call.offered`` /
``call.abandoned`` / ``call.ended`` commands and tells the switch when a seat answered
(so a real switch would connect the caller's voice to that seat) or when a call is over.

:class:`SimulatedSwitch` is the :class:`PhoneSwitch` of simulation mode. Its logic is
in :class:`CallScript`, which does no I/O: given the time it says which signals are due,
so tests drive it with a manual clock.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from app.domain.model import CallState, CloseReason, SeatState
from app.domain.state import Entity, State
from app.protocol import Message, format_ts
from app.sim.ask import QuestionMatcher, shipped_matcher
from app.sim.caller import REACTION_S, CallerVoice, Utterance, speaking_s
from app.sim.clock import Clock, wait_until
from app.sim.link import Refusal, SimLink
from app.sim.scenario import CallerBehaviour, CallerSays, Scenario, ScriptedCall, StartTrigger

log = logging.getLogger(__name__)


class CallSignalKind(StrEnum):
    OFFERED = "offered"  # a call arrived at the centre's number
    ABANDONED = "abandoned"  # the caller hung up before anyone answered
    ENDED = "ended"  # an answered call was hung up (by the caller or the switch)
    CALLER_SAID = "caller_said"  # training: the simulated caller said something (app.sim.caller)


@dataclass(frozen=True)
class CallSignal:
    """Something the phone switch reports about one call. Caller fields only for OFFERED."""

    kind: CallSignalKind
    call_id: str
    caller_number: str | None = None
    caller_name: str | None = None
    location_text: str | None = None
    line: str | None = None
    # Location candidates: the scenario's, with ``age_s`` instead of ``at``.
    locations: tuple[dict[str, Any], ...] = ()
    # CALLER_SAID only: what the caller said.
    utterance: Utterance | None = None

    def as_command(self, wall_now: datetime | None = None) -> tuple[str, dict[str, Any]]:
        """The protocol command that reports this signal.

        A candidate's ``age_s`` becomes its ``at`` (``wall_now`` minus the age; default: now, UTC).
        """
        if self.kind == CallSignalKind.OFFERED:
            args: dict[str, Any] = {"call_id": self.call_id, "caller_number": self.caller_number}
            for key in ("caller_name", "location_text", "line"):
                value = getattr(self, key)
                if value is not None:
                    args[key] = value
            if self.locations:
                wall_now = wall_now or datetime.now(UTC)
                args["locations"] = [_stamped(c, wall_now) for c in self.locations]
            return "call.offered", args
        if self.kind == CallSignalKind.CALLER_SAID:
            assert self.utterance is not None
            return "training.caller_say", self.utterance.as_args(self.call_id)
        return f"call.{self.kind.value}", {"call_id": self.call_id}


class PhoneSwitch(Protocol):
    """A phone switch as the dispatch centre sees it — the edge of the machine.

    A real CTI adapter implements this later; :class:`SimulatedSwitch` does now.
    All methods are called on the bridge's asyncio loop; the notifications must not block.
    """

    async def next_signals(self) -> list[CallSignal]:
        """Wait until the switch has something to report, and return it (never empty)."""
        ...

    def call_answered(self, call_id: str, seat_id: str) -> None:
        """A seat answered the call (connect the caller's voice to that seat). May repeat."""
        ...

    def call_finished(self, call_id: str) -> None:
        """The call is over for the centre (abandoned or ended). May repeat."""
        ...

    def signal_refused(self, signal: CallSignal, code: str, message: str) -> None:
        """The server refused a report (e.g. an abandon that crossed the seat's answer)."""
        ...


# ---------------------------------------------------------------- the script, no I/O


@dataclass
class _LiveCall:
    call_id: str
    script: ScriptedCall
    round: int
    offered_at: float
    answered_at: float | None = None
    abandon_sent: bool = False
    end_sent: bool = False
    voice: CallerVoice | None = None
    # The caller's lines still to be heard: (due time, order, line).
    pending_lines: list[tuple[float, int, Utterance]] = field(default_factory=list)
    # What the caller says unprompted once answered (an injected second call's first words).
    opening: Utterance | None = None


class CallScript:
    """Which call signals are due when: the scenario's script, round after round.

    Scenario time 0 is when :meth:`start` is called. Call :meth:`poll` with the time
    whenever :meth:`next_deadline` passes or a notification came in. Not thread-safe.

    Args:
        scenario: the calls; ``loop`` repeats them every ``period_s`` with fresh ids.
        matcher: finds the protocol question a typed question means.
        id_prefix: call ids are ``<prefix>-<round>-<index>``; the default prefix is
            random per script so ids never collide with an earlier run's.
    """

    def __init__(
        self, scenario: Scenario, *, id_prefix: str | None = None, seed: int = 0, matcher: QuestionMatcher | None = None
    ) -> None:
        self.scenario = scenario
        self.seed = seed
        # What typed questions mean (default: the shipped protocols, built at the first question).
        self.matcher = matcher
        self._said_order = 0
        self.id_prefix = id_prefix or f"sim{uuid.uuid4().hex[:6]}"
        self.started_at: float | None = None
        self._round = 0
        self._next = 0
        self._live: dict[str, _LiveCall] = {}
        self.offered = 0
        self._extra: list[tuple[float, _LiveCall]] = []  # injected calls not offered yet
        self._injected = 0

    @property
    def started(self) -> bool:
        return self.started_at is not None

    @property
    def done(self) -> bool:
        """Every call of a non-looping script was offered and is over."""
        return (
            self.started
            and not self.scenario.loop
            and self._next >= len(self.scenario.calls)
            and not self._live
            and not self._extra
        )

    def start(self, now: float) -> None:
        """Make ``now`` scenario time 0 (only the first call counts)."""
        if self.started_at is None:
            self.started_at = now

    def live_call_ids(self) -> list[str]:
        return list(self._live)

    def script_of(self, call_id: str) -> ScriptedCall | None:
        live = self._live.get(call_id)
        return live.script if live else None

    def _offer_due_at(self) -> float | None:
        if self.started_at is None or self._next >= len(self.scenario.calls):
            return None
        call = self.scenario.calls[self._next]
        return self.started_at + self._round * self.scenario.period_s + call.at_s

    def next_deadline(self) -> float | None:
        """The earliest time something is due, or None if nothing is scheduled."""
        times = [t for t in [self._offer_due_at()] if t is not None]
        times.extend(at for at, _ in self._extra)
        for live in self._live.values():
            if live.answered_at is None and not live.abandon_sent and live.script.abandon_after_s is not None:
                times.append(live.offered_at + live.script.abandon_after_s)
            if live.answered_at is not None and not live.end_sent:
                times.append(live.answered_at + live.script.talk_s)
            times.extend(at for at, _, _ in live.pending_lines[:1])
        return min(times, default=None)

    def poll(self, now: float) -> list[CallSignal]:
        """The signals due at ``now``, in time order; each is returned once."""
        due: list[tuple[float, int, CallSignal]] = []
        order = 0
        while (at := self._offer_due_at()) is not None and at <= now:
            call = self.scenario.calls[self._next]
            call_id = f"{self.id_prefix}-{self._round}-{call.index}"
            self._live[call_id] = _LiveCall(call_id, call, self._round, offered_at=at)
            due.append((at, order := order + 1, _offer(call_id, call)))
            self.offered += 1
            self._next += 1
            if self._next >= len(self.scenario.calls) and self.scenario.loop:
                self._round += 1
                self._next = 0
        for at, extra in [item for item in self._extra if item[0] <= now]:
            self._extra.remove((at, extra))
            self._live[extra.call_id] = extra
            due.append((at, order := order + 1, _offer(extra.call_id, extra.script)))
            self.offered += 1
        for live in self._live.values():
            abandon_after = live.script.abandon_after_s
            if live.answered_at is None and not live.abandon_sent and abandon_after is not None:
                at = live.offered_at + abandon_after
                if at <= now:
                    live.abandon_sent = True
                    due.append((at, order := order + 1, CallSignal(CallSignalKind.ABANDONED, live.call_id)))
            if live.answered_at is not None and not live.end_sent:
                at = live.answered_at + live.script.talk_s
                if at <= now:
                    live.end_sent = True
                    due.append((at, order := order + 1, CallSignal(CallSignalKind.ENDED, live.call_id)))
            while live.pending_lines and live.pending_lines[0][0] <= now and not live.end_sent:
                at, _, line = live.pending_lines.pop(0)
                signal = CallSignal(CallSignalKind.CALLER_SAID, live.call_id, utterance=line)
                due.append((at, order := order + 1, signal))
        due.sort(key=lambda item: (item[0], item[1]))
        return [signal for _, _, signal in due]

    def call_answered(self, call_id: str, now: float) -> None:
        """A seat answered: the caller talks for ``talk_s`` from now (first notice counts)."""
        live = self._live.get(call_id)
        if live is not None and live.answered_at is None:
            live.answered_at = now
            if live.opening is not None:
                self._said_order += 1
                live.pending_lines.append((now + live.opening.after_s, self._said_order, live.opening))

    def inject_second_call(self, about: ScriptedCall, now: float, says: CallerSays | None = None) -> str:
        """Ring a second call about ``about``'s incident now: another caller at the same place.

        The caller has another number (fixed by the script's prefix, the call and the count) and
        no name, gives the same location, knows what the first caller knew (calm), and once
        answered says ``says`` (default: asks whether an ambulance is coming to that place).
        Its id is ``<prefix>-<9000 + n>-<index>``: a round no scenario reaches, so it is never
        scored as one of the scenario's calls. Returns the call id.
        """
        self._injected += 1
        call_id = f"{self.id_prefix}-{9000 + self._injected}-{about.index}"
        digest = hashlib.sha256(call_id.encode()).hexdigest()
        place = about.location_text
        words = says or CallerSays(
            zh=f"我打电话是说{place}那边的事，救护车派了吗？" if place else "我打电话是说刚才那边出的事，救护车派了吗？",
            en=f"I'm calling about what happened at {place}: is an ambulance coming?" if place
            else "I'm calling about what just happened here: is an ambulance coming?")
        script = dataclasses.replace(
            about, caller_number="139" + str(int(digest[:12], 16))[-8:].zfill(8), caller_name=None,
            says=words, abandon_after_s=None, repeat_of=about.index,
            caller=dataclasses.replace(about.caller, behaviour=CallerBehaviour.CALM))
        opening = Utterance(after_s=round(REACTION_S + speaking_s(words.zh), 3), zh=words.zh, en=words.en,
                            via="voice", question=None, answer=None)
        self._extra.append((now, _LiveCall(call_id, script, 9000 + self._injected, offered_at=now, opening=opening)))
        return call_id

    def call_finished(self, call_id: str) -> None:
        self._live.pop(call_id, None)

    def question_asked(self, call_id: str, question_id: str, now: float, recorded: str | None = None) -> bool:
        """The trainee asked the caller of ``call_id`` a protocol question: schedule the reply.

        A line is heard after the lines already pending (the caller finishes a sentence
        first). Returns False when the call is not this script's or not answered.
        """
        live = self._live.get(call_id)
        if live is None or live.answered_at is None or live.end_sent:
            return False
        if live.voice is None:
            live.voice = CallerVoice(live.script, seed=self.seed)
        start = max(now, live.pending_lines[-1][0] if live.pending_lines else now)
        for line in live.voice.asked(question_id, recorded):
            self._said_order += 1
            live.pending_lines.append((start + line.after_s, self._said_order, line))
        return True

    def question_typed(self, call_id: str, text: str, now: float, prefer_protocols: Iterable[str] = ()) -> bool:
        """The trainee typed a free question to the caller of ``call_id``: schedule the reply.

        The caller answers the protocol question the text means (``self.matcher``; the
        call's protocols first) as it answers that question in the questionnaire, or says
        it does not know. Returns False when the call is not this script's or not answered.
        """
        live = self._live.get(call_id)
        if live is None or live.answered_at is None or live.end_sent:
            return False
        if self.matcher is None:
            self.matcher = shipped_matcher()
        match = self.matcher.match(text, prefer_protocols=prefer_protocols)
        if live.voice is None:
            live.voice = CallerVoice(live.script, seed=self.seed)
        start = max(now, live.pending_lines[-1][0] if live.pending_lines else now)
        for line in live.voice.asked_freely(match.question_id if match else None):
            self._said_order += 1
            live.pending_lines.append((start + line.after_s, self._said_order, line))
        return True


def script_place(call_id: str) -> tuple[int, int] | None:
    """``(round, index)`` of a call id a :class:`CallScript` made (``<prefix>-<round>-<index>``), else None."""
    parts = call_id.rsplit("-", 2)
    if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
        return None
    return int(parts[1]), int(parts[2])


def call_protocols(state: State, call_id: str) -> list[str]:
    """The protocols of a call's questionnaire so far: case entry, then those on its incident's path."""
    protocols = ["case_entry"]
    for incident in state.incidents.values():
        if incident.get("call_id") == call_id:
            for step in (incident.get("triage") or {}).get("path") or ():
                if step["protocol"] not in protocols:
                    protocols.append(step["protocol"])
    return protocols


def _offer(call_id: str, call: ScriptedCall) -> CallSignal:
    return CallSignal(
        CallSignalKind.OFFERED,
        call_id,
        caller_number=call.caller_number,
        caller_name=call.caller_name,
        location_text=call.location_text,
        locations=call.locations,
    )


def _stamped(candidate: dict[str, Any], wall_now: datetime) -> dict[str, Any]:
    out = {k: v for k, v in candidate.items() if k != "age_s"}
    age = candidate.get("age_s")
    out["at"] = format_ts(wall_now - timedelta(seconds=age)) if age is not None else None
    return out


# ---------------------------------------------------------------- shared with the ambulances


class CallBook:
    """Which scripted call each offered call id plays, so a crew knows what it will find.

    Shared by the switch and the ambulances of one runner (one asyncio loop).
    """

    def __init__(self) -> None:
        self._by_call: dict[str, ScriptedCall] = {}
        self._by_number: dict[str, ScriptedCall] = {}

    def record(self, call_id: str, call: ScriptedCall) -> None:
        self._by_call[call_id] = call
        self._by_number[call.caller_number] = call

    def script_for(self, call_id: str) -> ScriptedCall | None:
        return self._by_call.get(call_id)

    def outcome_for(self, state: State, incident: Entity) -> CloseReason:
        """The scripted outcome of the call behind ``incident``.

        Found by the incident's call id, else by its callback number (an incident
        recorded without linking the call); a call not in the script (the trainee made
        the incident up) ends with the patient transported, the common case.
        """
        script = self._by_call.get(incident.get("call_id") or "")
        if script is None and incident.get("callback_number"):
            script = self._by_number.get(incident["callback_number"])
        return script.outcome if script is not None else CloseReason.TRANSPORTED


# ---------------------------------------------------------------- the simulated switch


class SimulatedSwitch:
    """A :class:`PhoneSwitch` that plays a scenario's calls on a (possibly scaled) clock.

    Runs on one asyncio loop. Scenario time starts per ``scenario.start``: at once, or
    when :meth:`centre_changed` first sees a ready seat.
    """

    def __init__(
        self,
        scenario: Scenario,
        clock: Clock,
        *,
        callbook: CallBook | None = None,
        id_prefix: str | None = None,
        seed: int = 0,
    ) -> None:
        self.scenario = scenario
        self.clock = clock
        self.callbook = callbook if callbook is not None else CallBook()
        self.script = CallScript(scenario, id_prefix=id_prefix, seed=seed)
        self._wake = asyncio.Event()
        if scenario.start == StartTrigger.IMMEDIATELY:
            self.script.start(clock.now())

    async def next_signals(self) -> list[CallSignal]:
        while True:
            self._wake.clear()
            signals = self.script.poll(self.clock.now())
            if signals:
                for signal in signals:
                    if signal.kind == CallSignalKind.OFFERED:
                        script = self.script.script_of(signal.call_id)
                        if script is not None:
                            self.callbook.record(signal.call_id, script)
                    log.info("switch: %s %s", signal.kind.value, signal.call_id)
                return signals
            await wait_until(self.clock, self.script.next_deadline(), self._wake)

    def call_answered(self, call_id: str, seat_id: str) -> None:
        self.script.call_answered(call_id, self.clock.now())
        self._wake.set()

    def call_finished(self, call_id: str) -> None:
        self.script.call_finished(call_id)
        self._wake.set()

    def inject_second_call(self, about_call_id: str, says: CallerSays | None = None) -> str | None:
        """A second caller rings now about the incident of call ``about_call_id`` (training).

        Returns the new call's id, or None when ``about_call_id`` is not a call this switch offered.
        """
        about = self.callbook.script_for(about_call_id)
        if about is None:
            log.warning("switch: no scripted call %s to ring a second call about", about_call_id)
            return None
        call_id = self.script.inject_second_call(about, self.clock.now(), says)
        self._wake.set()
        return call_id

    def question_asked(self, call_id: str, question_id: str, recorded: str | None = None) -> None:
        """The trainee asked the caller a protocol question (training): the caller will reply.

        ``recorded``: the answer key the trainee recorded (see :meth:`CallerVoice.asked`).
        """
        if self.script.question_asked(call_id, question_id, self.clock.now(), recorded):
            self._wake.set()

    def question_typed(self, call_id: str, text: str, prefer_protocols: Iterable[str] = ()) -> None:
        """The trainee typed a free question to the caller (training): the caller will reply."""
        if self.script.question_typed(call_id, text, self.clock.now(), prefer_protocols):
            self._wake.set()

    def signal_refused(self, signal: CallSignal, code: str, message: str) -> None:
        # An abandon or hang-up that crossed a seat's action is normal: the events that
        # follow (answered / ended) put the script right. An offer refused as a
        # duplicate was applied before. Nothing else is expected; it is logged.
        log.info("switch: %s of %s refused: %s %s", signal.kind.value, signal.call_id, code, message)

    def centre_changed(self, state: State) -> None:
        """Watch the centre: start the script when the first seat is ready (if so configured)."""
        if self.script.started or self.scenario.start != StartTrigger.FIRST_SEAT_READY:
            return
        if any(seat["state"] == SeatState.READY for seat in state.seats.values()):
            log.info("switch: a seat is ready; the scenario starts")
            self.script.start(self.clock.now())
            self._wake.set()


# ---------------------------------------------------------------- the bridge (role "switch")


class SwitchBridge:
    """Connects a :class:`PhoneSwitch` to the server with the role ``switch``.

    Args:
        phone: the switch (real adapter or simulator).
        link: a :class:`SimLink` made with the switch principal's token; the bridge
            sets its callbacks.
        on_state: also told the state after every event and sync (the simulator's
            start trigger); optional.

    Runs on one asyncio loop: ``await bridge.run()`` until cancelled.
    """

    def __init__(
        self, phone: PhoneSwitch, link: SimLink, *, on_state: Callable[[State], None] | None = None
    ) -> None:
        self.phone = phone
        self.link = link
        self.on_state = on_state
        self._mine: set[str] = set()  # call ids this switch offered and still follows
        link.on_synced = self._on_synced
        link.on_event = self._on_event
        link.on_refused = self._on_refused

    async def run(self) -> None:
        """Run the link and pump the switch's signals into commands. Returns never; cancel to stop.

        Raises:
            AuthRefused: the server refused the switch's token.
        """
        async with asyncio.TaskGroup() as group:
            group.create_task(self.link.run(), name="switch link")
            group.create_task(self._pump(), name="switch signals")

    async def _pump(self) -> None:
        while True:
            self.report(await self.phone.next_signals())

    def report(self, signals: list[CallSignal]) -> None:
        """Send the switch's signals as commands (queued in the link's outbox while offline)."""
        for signal in signals:
            if signal.kind == CallSignalKind.OFFERED:
                self._mine.add(signal.call_id)
            name, args = signal.as_command()
            self.link.send(name, args)

    def _on_synced(self, state: State) -> None:
        # After a reconnect: catch up on what happened to our calls meanwhile.
        for call_id in list(self._mine):
            call = state.calls.get(call_id)
            if call is not None:
                self._follow(call)
        if self.on_state is not None:
            self.on_state(state)

    def _on_event(self, state: State, event: Message) -> None:
        call_id = event["data"].get("call_id")
        if call_id in self._mine and event["name"] in ("call.answered", "call.abandoned", "call.ended"):
            call = state.calls.get(call_id)
            if call is not None:
                self._follow(call)
        elif event["name"] == "triage.answered" and event["data"].get("source") != "switch":
            # The trainee asked the caller this question: a switch that plays callers replies.
            # (An answer the seat took from the switch's caller id was not asked aloud.)
            incident = state.incidents.get(event["data"]["incident_id"]) or {}
            asked = getattr(self.phone, "question_asked", None)
            if incident.get("call_id") in self._mine and asked is not None:
                asked(incident["call_id"], event["data"]["question"], event["data"]["answer"])
        elif event["name"] == "training.asked" and call_id in self._mine:
            # The trainee typed a question to this call's caller: a switch that plays callers replies.
            typed = getattr(self.phone, "question_typed", None)
            if typed is not None:
                typed(call_id, event["data"]["text"], call_protocols(state, call_id))
        if self.on_state is not None:
            self.on_state(state)

    def _follow(self, call: Entity) -> None:
        if call["state"] == CallState.ANSWERED:
            self.phone.call_answered(call["call_id"], call["seat_id"])
        elif call["state"] in (CallState.ENDED, CallState.ABANDONED):
            self._mine.discard(call["call_id"])
            self.phone.call_finished(call["call_id"])

    def _on_refused(self, state: State, refusal: Refusal) -> None:
        if refusal.name == "training.caller_say":
            log.info("switch: the caller's line on %s was refused: %s %s",
                     refusal.args.get("call_id"), refusal.code, refusal.message)
            return
        kind = CallSignalKind(refusal.name.removeprefix("call."))
        signal = CallSignal(kind, refusal.args["call_id"])
        self.phone.signal_refused(signal, refusal.code, refusal.message)
        call = state.calls.get(signal.call_id)
        if call is not None:
            self._follow(call)
        elif kind == CallSignalKind.OFFERED:
            self._mine.discard(signal.call_id)
            self.phone.call_finished(signal.call_id)
