"""Training: the simulated caller's words on a call (``training.caller_say``), the trainer's clock and injections.

Accepted only by a training centre — one where a trainer console is registered
(``dispatch120-server admin add-trainer`` is for training databases; the simulator's
registry always has one) — so a switch on a real centre cannot put scripted words in
the record. The words go on the call (``call["caller_said"]``); typed ones (a deaf
caller) also go in the call's chat, where the caller-link panel shows texts. A question
the trainee types to the caller (``training.ask``) is taken only from the seat that
answered the call, and goes on the call too (``call["asked"]``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.domain.common import EventDraft, Principal, need_call, refuse
from app.domain.model import CallState
from app.protocol.errors import ErrorCode

# At most this many caller lines are kept per call (a runaway script must not grow a call forever).
MAX_SAID_PER_CALL = 200
# At most this many typed questions are kept per call (a stuck key must not grow a call forever).
MAX_ASKED_PER_CALL = 200
# At most this many injections are kept per run (the log has them all).
MAX_INJECTED_PER_RUN = 200

# The training run (one per training database): its clock and what the trainer injected.
TABLES = ("training_runs",)


def is_training_centre(principals: Mapping[str, Mapping[str, object]]) -> bool:
    """Whether a trainer console is registered (and not revoked): the mark of a training centre."""
    return any(p.get("role") == "trainer" and not p.get("revoked") for p in principals.values())


def _caller_say(state: Any, who: Principal, a: dict) -> list[EventDraft]:
    if not is_training_centre(state.principals):
        raise refuse(ErrorCode.FORBIDDEN, "scripted caller words are accepted only by a training centre")
    call = need_call(state, a["call_id"])
    if call["state"] != CallState.ANSWERED:
        raise refuse(ErrorCode.ILLEGAL_TRANSITION, f"call {a['call_id']} is not being answered")
    if len(call.get("caller_said") or ()) >= MAX_SAID_PER_CALL:
        raise refuse(ErrorCode.CONFLICT, "the caller has said too much on this call")
    return [("training.caller_said", dict(a))]


def _ask(state: Any, who: Principal, a: dict) -> list[EventDraft]:
    if not is_training_centre(state.principals):
        raise refuse(ErrorCode.FORBIDDEN, "questions to a simulated caller are accepted only by a training centre")
    call = need_call(state, a["call_id"])
    if call["state"] != CallState.ANSWERED:
        raise refuse(ErrorCode.ILLEGAL_TRANSITION, f"call {a['call_id']} is not being answered")
    if call["seat_id"] != who.id:
        raise refuse(ErrorCode.FORBIDDEN, f"call {a['call_id']} is answered at {call['seat_id']}, not at {who.id}")
    if not a["text"].strip():
        raise refuse(ErrorCode.INVALID_ARGS, "the question is empty")
    if len(call.get("asked") or ()) >= MAX_ASKED_PER_CALL:
        raise refuse(ErrorCode.CONFLICT, "too many questions on this call")
    return [("training.asked", {"call_id": a["call_id"], "text": a["text"].strip(), "seat_id": who.id})]


def _need_training_centre(state: Any) -> None:
    if not is_training_centre(state.principals):
        raise refuse(ErrorCode.FORBIDDEN, "training controls are accepted only by a training centre")


def _set_clock(state: Any, who: Principal, a: dict) -> list[EventDraft]:
    _need_training_centre(state)
    return [("training.clock_set", dict(a))]


def _inject(state: Any, who: Principal, a: dict) -> list[EventDraft]:
    _need_training_centre(state)
    return [("training.injected", dict(a))]


COMMAND_HANDLERS = {
    "training.caller_say": _caller_say,
    "training.ask": _ask,
    "training.set_clock": _set_clock,
    "training.inject": _inject,
}


def _said(state: Any, d: dict, ts: str):
    call = state.calls.get(d["call_id"])
    if call is None:
        return False
    entry = {"zh": d["zh"], "en": d["en"], "via": d["via"], "at": ts}
    for key in ("question", "answer"):
        if d.get(key):
            entry[key] = d[key]
    call.setdefault("caller_said", []).append(entry)
    if d["via"] == "chat":
        call.setdefault("chat", []).append({"from": "caller", "text": d["zh"], "at": ts})


def _asked(state: Any, d: dict, ts: str):
    call = state.calls.get(d["call_id"])
    if call is None:
        return False
    call.setdefault("asked", []).append({"text": d["text"], "seat_id": d["seat_id"], "at": ts})


def _run(state: Any, run_id: str) -> dict:
    return state.training_runs.setdefault(run_id, {"run_id": run_id, "paused": False, "time_scale": 1.0,
                                                   "clock_at": None, "injected": []})


def _clock_set(state: Any, d: dict, ts: str) -> None:
    run = _run(state, d["run_id"])
    run.update(paused=d["paused"], time_scale=d["time_scale"], clock_at=ts)


def _injected(state: Any, d: dict, ts: str) -> None:
    injected = _run(state, d["run_id"])["injected"]
    entry = {"kind": d["kind"], "at": ts}
    if d.get("target"):
        entry["target"] = d["target"]
    injected.append(entry)
    del injected[:-MAX_INJECTED_PER_RUN]


EVENT_HANDLERS = {
    "training.caller_said": _said,
    "training.asked": _asked,
    "training.clock_set": _clock_set,
    "training.injected": _injected,
}
