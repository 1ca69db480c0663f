"""Scoring a training run from its event log: per scripted call, each item against its target.

Pure apart from reading the shipped protocol files once per process (:func:`shipped_protocols`,
unless the caller passes its own): :func:`score_run` reads the events a seat received (with the
server's timestamps) and the scenario, and returns a :class:`Score`. Times are **scenario seconds**:
the server stamps wall time, so each interval is multiplied by the run's ``time_scale``.
All times count from the moment the call reached the centre (``call.received``), as the
AHA telephone-CPR performance measures do. The targets and weights are documented in
``docs/training.md``; change both together.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from app.protocol import Message, parse_ts
from app.sim.scenario import Scenario, ScriptedCall
from app.triage.engine import run_case
from app.triage.model import ProtocolSet

# id → (target, weight). Time targets are "at most this many seconds after the call arrived".
ANSWER_TARGET_S = 10.0  # this project's choice, stricter than NFPA 1225 (15 s for 90 % of calls)
# This project's choice: the location is the case entry's first question, asked before the two
# questions that recognise an arrest (AHA T-CPR: recognised within 60 s), so half of that.
LOCATION_TARGET_S = 30.0
ARREST_RECOGNITION_TARGET_S = 60.0  # AHA telecommunicator CPR: OHCA recognised within 60 s of call receipt
FIRST_COMPRESSION_TARGET_S = 90.0  # AHA telecommunicator CPR: first compression within 90 s of call receipt
DISPATCH_TARGET_S = {1: 60.0, 2: 120.0, 3: 180.0, 4: 180.0}  # first unit assigned, by expected priority
WEIGHTS = {
    "answer": 15,
    "location_confirmed": 15,
    "arrest_recognition": 20,
    "first_compression": 20,
    "dispatch": 20,
    "priority": 15,
    "capability": 10,
    "hospital": 10,
    "attach": 15,
    "protocol": 15,
    "prenotify": 10,
}


# The events scoring reads (what :func:`score_run` looks at), e.g. to read them from a log.
SCORED_EVENTS = (
    "call.received", "call.answered", "call.abandoned", "call.attached", "incident.created", "incident.updated",
    "triage.completed", "unit.assigned", "unit.status_changed", "triage.arrest_recognised", "cpr.started",
    "incident.destination_set", "incident.located", "triage.answered", "prenotify.sent",
)


@dataclass(frozen=True)
class Item:
    """One scored item: ``target`` and ``actual`` are seconds for times, else the value.

    ``ok`` None: not scored (no unit was free from the call's arrival to the end of the run;
    ``actual`` says so); it counts neither for nor against.
    """

    id: str
    target: float | int | str
    actual: float | int | str | None
    ok: bool | None
    weight: int

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "target": self.target, "actual": self.actual, "ok": self.ok}


@dataclass(frozen=True)
class Score:
    scenario: str
    score: float  # 0..100: weighted share of the items met
    items: tuple[Item, ...]

    def as_dict(self) -> dict[str, object]:
        return {"scenario": self.scenario, "score": self.score, "items": [i.as_dict() for i in self.items]}


def expects_arrest(call: ScriptedCall) -> bool:
    """The caller's answers describe a cardiac arrest: unresponsive and not breathing normally."""
    answers = call.caller.answers
    conscious = answers.get("conscious")
    breathing = answers.get("breathing_normally")
    return (conscious is not None and conscious.answer == "no"
            and breathing is not None and breathing.answer in ("no", "unsure"))


@dataclass(frozen=True)
class ExpectedTriage:
    """Where the protocol leads when every question is answered as the caller answers it."""

    determinant: str
    prenotify: bool  # the determinant proposes pre-notifying the receiving hospital (STEMI, stroke)
    path: tuple[tuple[str, str, str], ...]  # (protocol, question, answer key) along the route


@functools.cache
def shipped_protocols() -> ProtocolSet:
    """The protocol set of ``resources/protocols`` (read once per process). Raises ProtocolLoadError."""
    from app.triage import DEFAULT_PROTOCOL_DIR, load_protocol_set

    return load_protocol_set(DEFAULT_PROTOCOL_DIR)


def expected_triage(call: ScriptedCall, protocols: ProtocolSet) -> ExpectedTriage | None:
    """The determinant the caller's answers lead to, or None: a repeat call, a caller without a
    chief complaint, or answers that stop short of a determinant (nothing to score the trainee on)."""
    answers = {q: a.answer for q, a in call.caller.answers.items() if a.answer is not None}
    complaint = answers.get("chief_complaint")
    if call.repeat_of is not None or complaint is None:
        return None
    try:
        out = run_case(protocols, {"complaint": complaint, "answers": answers})
    except ValueError:
        return None
    if out["determinant"] is None:
        return None
    return ExpectedTriage(out["determinant"], bool(out.get("prenotify")),
                          tuple((p, q, k) for p, q, k in out["path"]))


def protocol_followed(expected: ExpectedTriage, call: ScriptedCall, answered: Mapping[tuple[str, str], str],
                      determinant: str | None) -> tuple[bool, str | None]:
    """Whether the trainee's triage reached the expected determinant by the caller's answers.

    ``answered``: (protocol, question) → the last answer recorded (``triage.answered``);
    ``determinant``: the last one reached (``triage.completed``). Failed when the determinant
    differs, a question on the expected route was never answered (skipped), or an answer
    recorded differs from what the caller said (the last one counts: a corrected slip is fine).
    Returns ``(ok, actual)``: the determinant, with what went wrong after it.
    """
    skipped = [q for p, q, _ in expected.path if (p, q) not in answered]
    said = {q: a.answer for q, a in call.caller.answers.items() if a.answer is not None}
    against = sorted({q for (_, q), key in answered.items() if q in said and key != said[q]})
    notes = ([f"skipped: {', '.join(skipped)}"] if skipped else []) + (
        [f"against the caller: {', '.join(against)}"] if against else [])
    actual = "; ".join([determinant or "no determinant", *notes]) if notes else determinant
    return determinant == expected.determinant and not notes, actual


def expected_capability(call: ScriptedCall) -> str:
    """The capability the call needs: the scenario's, else ALS for priority 1, BLS otherwise."""
    return call.expected_capability or ("als" if call.expected_priority == 1 else "bls")


def score_run(
    scenario: Scenario,
    events: Iterable[Message],
    *,
    time_scale: float,
    call_index: Mapping[str, int],
    protocols: ProtocolSet | None = None,
) -> Score:
    """Score the scripted calls of one round.

    Args:
        scenario: what was played (expected priority, capability, caller answers).
        events: the event log as a seat received it, in ``seq`` order.
        time_scale: how much faster than real time the run went.
        call_index: call id → index of the scripted call it played (calls not in it
            are not scored: a later round of a looping scenario, a call the trainer made).
        protocols: the protocols the trainee's seat used (default: :func:`shipped_protocols`),
            for the determinant each caller's answers lead to.
    """
    protocols = protocols if protocols is not None else shipped_protocols()
    capability_of = {u.id: u.capability for u in scenario.registry.units}
    received: dict[str, float] = {}
    answered: dict[str, float] = {}
    incident_of_call: dict[str, str] = {}
    priority: dict[str, int] = {}
    first_assigned: dict[str, tuple[float, str]] = {}
    recognised: dict[str, float] = {}
    compression: dict[str, float] = {}
    destination: dict[str, str] = {}  # incident id → the last hospital chosen
    located: dict[str, float] = {}  # incident id → its position first set (``incident.located``)
    triage_answers: dict[str, dict[tuple[str, str], str]] = {}  # incident → (protocol, question) → last answer
    determinant: dict[str, str] = {}  # incident id → the last determinant reached
    prenotified: dict[str, list[str]] = {}  # incident id → the hospitals pre-notified, in order
    attached: dict[str, str] = {}  # call id → the incident it was attached to
    abandoned: set[str] = set()
    # When a unit was free: the run starts with every unit available (a fresh training log).
    free = set(capability_of)
    # call id → when its dispatch clock starts: its arrival, or, if every unit was busy at some
    # moment before it got one, the moment a unit came free again after that.
    free_from: dict[str, float] = {}
    waiting_for_unit: set[str] = set()  # calls without a unit while none is free
    for event in events:
        name, data, at = event["name"], event["data"], parse_ts(event["ts"]).timestamp()
        was_free = bool(free)
        if name == "unit.assigned":
            free.discard(data["unit_id"])
        elif name == "unit.status_changed":
            (free.add if data["status"] == "available" else free.discard)(data["unit_id"])
        if was_free and not free:
            # Every unit is busy now: the calls still without a unit wait for one through no fault of theirs.
            served = set(first_assigned)
            if name == "unit.assigned":
                served.add(data["incident_id"])  # the call that took the last unit
            waiting_for_unit.update(c for c in received if incident_of_call.get(c, "") not in served)
            for call_id in waiting_for_unit:
                free_from.pop(call_id, None)
        if free and waiting_for_unit:
            for call_id in waiting_for_unit:
                free_from[call_id] = at
            waiting_for_unit.clear()
        if name == "call.received":
            received.setdefault(data["call_id"], at)
            if free:
                free_from.setdefault(data["call_id"], at)
            else:
                waiting_for_unit.add(data["call_id"])
        elif name == "call.answered":
            answered.setdefault(data["call_id"], at)
        elif name == "incident.created":
            if data.get("call_id"):
                incident_of_call[data["call_id"]] = data["incident_id"]
            if data.get("priority") is not None:
                priority[data["incident_id"]] = data["priority"]
        elif name == "incident.updated" and "priority" in data["changes"]:
            priority[data["incident_id"]] = data["changes"]["priority"]
        elif name == "triage.completed":
            priority[data["incident_id"]] = data["priority"]
            determinant[data["incident_id"]] = data["determinant"]
        elif name == "unit.assigned":
            first_assigned.setdefault(data["incident_id"], (at, data["unit_id"]))
        elif name == "triage.arrest_recognised":
            recognised.setdefault(data["incident_id"], at)
        elif name == "cpr.started":
            compression.setdefault(data["incident_id"], at)
        elif name == "incident.destination_set":
            destination[data["incident_id"]] = data["hospital_id"]
        elif name == "call.attached":
            attached[data["call_id"]] = data["incident_id"]
        elif name == "incident.located":
            located.setdefault(data["incident_id"], at)
        elif name == "triage.answered":
            triage_answers.setdefault(data["incident_id"], {})[(data["protocol"], data["question"])] = data["answer"]
        elif name == "prenotify.sent":
            prenotified.setdefault(data["incident_id"], []).append(data["hospital_id"])
        elif name == "call.abandoned":
            abandoned.add(data["call_id"])

    def elapsed(call_id: str, at: float | None) -> float | None:
        if at is None or call_id not in received:
            return None
        return round((at - received[call_id]) * time_scale, 1)

    items: list[Item] = []
    call_of_index = {index: call_id for call_id, index in call_index.items()}
    for call_id, index in sorted(call_index.items(), key=lambda kv: kv[1]):
        call = scenario.calls_by_index[index]
        incident = incident_of_call.get(call_id)
        tag = f"call{index}"

        def timed(item: str, target: float, at: float | None, call_id: str = call_id, tag: str = tag) -> None:
            actual = elapsed(call_id, at)
            items.append(Item(f"{tag}.{item}", target, actual, actual is not None and actual <= target, WEIGHTS[item]))

        if call_id in abandoned and call_id not in answered:
            # The caller hung up before anyone could answer: scored only if they waited past the target.
            gave_up = call.abandon_after_s
            if gave_up is not None and gave_up < ANSWER_TARGET_S:
                items.append(Item(f"{tag}.answer", ANSWER_TARGET_S, "hung up unanswered", None, WEIGHTS["answer"]))
            else:
                timed("answer", ANSWER_TARGET_S, None)
            continue
        timed("answer", ANSWER_TARGET_S, answered.get(call_id))
        if call.repeat_of is not None:
            # A repeat call: it belongs to the first call's incident, not to a new one.
            first = incident_of_call.get(call_of_index.get(call.repeat_of, ""))
            got_incident = attached.get(call_id)
            ok = got_incident is not None and got_incident == first
            items.append(Item(f"{tag}.attach", f"call{call.repeat_of}", f"call{call.repeat_of}" if ok else
                              ("new incident" if incident else None), ok, WEIGHTS["attach"]))
            continue
        timed("location_confirmed", LOCATION_TARGET_S, located.get(incident or ""))
        expected = expected_triage(call, protocols)
        if expects_arrest(call):
            timed("arrest_recognition", ARREST_RECOGNITION_TARGET_S, recognised.get(incident or ""))
            timed("first_compression", FIRST_COMPRESSION_TARGET_S, compression.get(incident or ""))
        assigned = first_assigned.get(incident or "")
        target = DISPATCH_TARGET_S[call.expected_priority]
        if call_id not in free_from:
            # No unit was free from the call's arrival to the end of the run: nothing to score.
            items.append(Item(f"{tag}.dispatch", target, "no unit free", None, WEIGHTS["dispatch"]))
        else:
            # Counted from when a unit was free: a surge is not the dispatcher's delay.
            waited = (free_from[call_id] - received[call_id]) if call_id in received else 0.0
            timed("dispatch", target, assigned[0] - waited if assigned else None)
        actual_priority = priority.get(incident or "")
        items.append(Item(f"{tag}.priority", call.expected_priority, actual_priority,
                          actual_priority == call.expected_priority, WEIGHTS["priority"]))
        want = expected_capability(call)
        got = capability_of.get(assigned[1]) if assigned else None
        # A more capable unit than needed is acceptable (ALS for a BLS call); less is not.
        ok = got == want or (want == "bls" and got == "als")
        if assigned is None and call_id not in free_from:
            items.append(Item(f"{tag}.capability", want, "no unit free", None, WEIGHTS["capability"]))
        else:
            items.append(Item(f"{tag}.capability", want, got, ok, WEIGHTS["capability"]))
        if call.expected_hospital is not None:
            chosen = destination.get(incident or "")
            items.append(Item(f"{tag}.hospital", call.expected_hospital, chosen, chosen == call.expected_hospital,
                              WEIGHTS["hospital"]))
        if expected is not None:
            ok, actual = protocol_followed(expected, call, triage_answers.get(incident or "", {}),
                                           determinant.get(incident or ""))
            items.append(Item(f"{tag}.protocol", expected.determinant, actual, ok, WEIGHTS["protocol"]))
        if expected is not None and expected.prenotify:
            # Sent to the receiving hospital the call expects (any hospital when it names none).
            sent = prenotified.get(incident or "", [])
            right = [h for h in sent if call.expected_hospital in (None, h)]
            items.append(Item(f"{tag}.prenotify", call.expected_hospital or "any hospital",
                              right[0] if right else (sent[0] if sent else None), bool(right), WEIGHTS["prenotify"]))
    scored = [i for i in items if i.ok is not None]
    total = sum(i.weight for i in scored)
    score = round(100.0 * sum(i.weight for i in scored if i.ok) / total, 1) if total else 0.0
    return Score(scenario=scenario.name, score=score, items=tuple(items))
