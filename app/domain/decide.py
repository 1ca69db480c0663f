"""Command handling: given the current state, who sent it and the command,
decide which events to append — or refuse with a :class:`ProtocolError`.

Pure: no I/O, no clock. The server calls :func:`decide` inside its write
transaction and appends what it returns; tests call it directly. The ACD
(automatic call distribution) decisions are here too (:func:`distribute_calls`)
so that they are tested the same way; the server owns the ring timers.
"""

from __future__ import annotations

from typing import Any

from app.domain import features
from app.domain.common import SYSTEM, EventDraft, Principal, need_call, need_incident, need_unit, refuse
from app.domain.model import (
    STAND_DOWN_REASONS,
    UNIT_COMMITTED,
    CallState,
    CloseReason,
    IncidentState,
    Milestone,
    Role,
    SeatState,
    UnitStatus,
    unit_may_move,
)
from app.domain.state import State
from app.protocol.errors import ErrorCode

__all__ = ["SYSTEM", "EventDraft", "Principal", "decide", "distribute_calls", "ring_timeout"]

_refuse = refuse
_need_call = need_call
_need_incident = need_incident
_need_unit = need_unit


def decide(state: State, who: Principal, name: str, args: dict[str, Any]) -> list[EventDraft]:
    """Decide the events for one command (already validated by the codec).

    The caller has checked the role against ``COMMAND_ROLES``; ownership
    (a device and its unit, a seat and its call) is checked here.

    Raises:
        ProtocolError: NOT_FOUND, FORBIDDEN, CONFLICT, ILLEGAL_TRANSITION or
            UNIT_BUSY, with a message fit to show a dispatcher.
    """
    handler = _COMMANDS[name]
    drafts = handler(state, who, args)
    # A command that changes how many seats are ready or calls are waiting
    # may let the ACD ring a call: decide that in the same transaction.
    if name in ("call.offered", "call.answer", "seat.set_ready", "call.ended", "call.abandoned"):
        drafts = drafts + distribute_calls(_preview(state, drafts))
    return drafts


def _preview(state: State, drafts: list[EventDraft]) -> State:
    """The state after ``drafts`` (a copy; the real state is not touched)."""
    if not drafts:
        return state
    # Only calls and seats: all the ACD reads, and all the events that come
    # before it touch. Copying the whole state (every closed incident) made a
    # busy day's seat.set_ready take half a second (measured: 10k incidents).
    preview = State()
    preview.seq = state.seq
    preview.calls = {
        k: dict(c) for k, c in state.calls.items() if c["state"] not in (CallState.ENDED, CallState.ABANDONED)
    }
    preview.seats = {k: dict(s) for k, s in state.seats.items()}
    seq = preview.seq
    for event_name, data in drafts:
        seq += 1
        preview.apply({"seq": seq, "name": event_name, "data": data, "ts": "9999-12-31T23:59:59.999Z"})
    return preview


# ---------------------------------------------------------------- ACD


def distribute_calls(state: State) -> list[EventDraft]:
    """Ring queued calls (oldest first) at ready seats (idle longest first)."""
    drafts: list[EventDraft] = []
    for call, seat in zip(state.queued_calls(), state.ready_seats(), strict=False):
        drafts.append(("call.ringing", {"call_id": call["call_id"], "seat_id": seat["seat_id"]}))
    return drafts


def ring_timeout(state: State, call_id: str, seat_id: str) -> list[EventDraft]:
    """The call rang at ``seat_id`` without an answer: re-queue and re-offer it.

    Returns no events if the call is no longer ringing there (answered or
    hung up in the meantime), so a late timer is harmless.
    """
    call = state.calls.get(call_id)
    if call is None or call["state"] != CallState.RINGING or call["seat_id"] != seat_id:
        return []
    drafts: list[EventDraft] = [("call.ring_timeout", {"call_id": call_id, "seat_id": seat_id})]
    return drafts + distribute_calls(_preview(state, drafts))


def seat_connected(state: State, seat_id: str) -> list[EventDraft]:
    """A seat connected: it starts not ready (the dispatcher says when)."""
    seat = state.seats.get(seat_id)
    if seat is not None and seat["state"] != SeatState.OFFLINE:
        return []
    return [("seat.state_changed", {"seat_id": seat_id, "state": SeatState.NOT_READY.value, "reason": "login"})]


def seat_disconnected(state: State, seat_id: str) -> list[EventDraft]:
    """A seat's last connection closed: offline, and a call ringing there rings elsewhere.

    A call already answered stays with the seat (the voice path is the phone
    switch's, not ours); the seat picks it up again when it reconnects.
    """
    seat = state.seats.get(seat_id)
    if seat is None or seat["state"] == SeatState.OFFLINE:
        return []
    drafts: list[EventDraft] = []
    for call in state.calls.values():
        if call["state"] == CallState.RINGING and call["seat_id"] == seat_id:
            drafts.append(("call.queued", {"call_id": call["call_id"]}))
    drafts.append(("seat.state_changed", {"seat_id": seat_id, "state": SeatState.OFFLINE.value, "reason": "disconnected"}))
    return drafts + distribute_calls(_preview(state, drafts))


# ---------------------------------------------------------------- calls


def _call_offered(state: State, who: Principal, a: dict) -> list[EventDraft]:
    existing = state.calls.get(a["call_id"])
    if existing is not None:
        raise _refuse(ErrorCode.CONFLICT, f"call {a['call_id']} was already offered")
    data = {k: a.get(k) for k in ("call_id", "caller_number", "caller_name", "location_text", "line", "locations")}
    return [("call.received", data)]



def _call_abandoned(state: State, who: Principal, a: dict) -> list[EventDraft]:
    call = _need_call(state, a["call_id"])
    if call["state"] not in (CallState.QUEUED, CallState.RINGING):
        raise _refuse(ErrorCode.ILLEGAL_TRANSITION, f"call {a['call_id']} is {call['state']}, not waiting")
    return [("call.abandoned", {"call_id": a["call_id"]})]


def _call_ended(state: State, who: Principal, a: dict) -> list[EventDraft]:
    call = _need_call(state, a["call_id"])
    if call["state"] != CallState.ANSWERED:
        raise _refuse(ErrorCode.ILLEGAL_TRANSITION, f"call {a['call_id']} is {call['state']}, not answered")
    if who.role == Role.SEAT and call["seat_id"] != who.id:
        raise _refuse(ErrorCode.FORBIDDEN, "this call was answered at another seat")
    return [("call.ended", {"call_id": a["call_id"]})]


def _call_answer(state: State, who: Principal, a: dict) -> list[EventDraft]:
    call = _need_call(state, a["call_id"])
    if call["state"] == CallState.ANSWERED and call["seat_id"] == who.id:
        return []  # answered already here (e.g. resent after a reconnect)
    if call["state"] in (CallState.ANSWERED, CallState.ENDED):
        raise _refuse(ErrorCode.CONFLICT, f"call {a['call_id']} was answered at {call['seat_id']}")
    if call["state"] == CallState.ABANDONED:
        raise _refuse(ErrorCode.ILLEGAL_TRANSITION, "the caller hung up before the call was answered")
    # A ringing call may be picked up at any seat (pick-up from the queue
    # display), as in a centre's ACD; the ringing seat is then freed.
    drafts: list[EventDraft] = []
    # A call ringing here while the dispatcher takes another one must ring
    # elsewhere, or its ring timer would make this seat not ready mid-call.
    for other in state.calls.values():
        if other["state"] == CallState.RINGING and other["seat_id"] == who.id and other is not call:
            drafts.append(("call.queued", {"call_id": other["call_id"]}))
    if call["state"] == CallState.RINGING and call["seat_id"] != who.id:
        drafts.append(("call.queued", {"call_id": a["call_id"]}))
        drafts.append(("seat.state_changed", {"seat_id": call["seat_id"], "state": SeatState.READY.value, "reason": None}))
    drafts.append(("call.answered", {"call_id": a["call_id"], "seat_id": who.id}))
    return drafts


def _seat_set_ready(state: State, who: Principal, a: dict) -> list[EventDraft]:
    seat = state.seats.get(who.id)
    current = seat["state"] if seat else SeatState.OFFLINE
    new = SeatState.READY if a["ready"] else SeatState.NOT_READY
    drafts: list[EventDraft] = []
    if current == SeatState.BUSY:
        answered = [
            c for c in state.calls.values() if c["seat_id"] == who.id and c["state"] == CallState.ANSWERED
        ]
        if answered:
            raise _refuse(ErrorCode.ILLEGAL_TRANSITION, "the seat is on a call; end it first")
        if new == SeatState.READY:
            return []  # ringing here already
        # Going not ready while a call rings: it rings elsewhere, as in an ACD.
        for call in state.calls.values():
            if call["seat_id"] == who.id and call["state"] == CallState.RINGING:
                drafts.append(("call.queued", {"call_id": call["call_id"]}))
    elif current == new:
        return []
    reason = None if a["ready"] else "break"
    return drafts + [("seat.state_changed", {"seat_id": who.id, "state": new.value, "reason": reason})]


# ---------------------------------------------------------------- incidents


def _incident_fields(a: dict) -> dict[str, Any]:
    """The incident fields given in a command; ``null`` means "not given", never "erase"."""
    keys = ("address", "callback_number", "description", "patients", "priority")
    return {k: a[k] for k in keys if a.get(k) is not None}


def _incident_create(state: State, who: Principal, a: dict) -> list[EventDraft]:
    if a["incident_id"] in state.incidents:
        raise _refuse(ErrorCode.CONFLICT, f"incident {a['incident_id']} already exists")
    call_id = a.get("call_id")
    if call_id is not None:
        call = _need_call(state, call_id)
        if call["incident_id"] is not None:
            raise _refuse(ErrorCode.CONFLICT, f"call {call_id} already belongs to incident {call['incident_id']}")
        if call["state"] not in (CallState.ANSWERED, CallState.ENDED):
            raise _refuse(ErrorCode.ILLEGAL_TRANSITION, f"call {call_id} has not been answered")
    data = {"incident_id": a["incident_id"], "call_id": call_id, "seat_id": who.id, **_incident_fields(a)}
    return [("incident.created", data)]



def _incident_update(state: State, who: Principal, a: dict) -> list[EventDraft]:
    incident = _need_incident(state, a["incident_id"])
    changes = {k: v for k, v in _incident_fields(a).items() if incident.get(k) != v}
    if not changes:
        return []
    return [("incident.updated", {"incident_id": a["incident_id"], "changes": changes})]



def _check_version(unit: dict, expected: int | None) -> None:
    if expected is not None and expected != unit["version"]:
        raise _refuse(
            ErrorCode.CONFLICT,
            f"unit {unit['unit_id']} changed since you saw it (version {unit['version']}, you had {expected})",
        )


def _unit_assign(state: State, who: Principal, a: dict) -> list[EventDraft]:
    incident = _need_incident(state, a["incident_id"])
    unit = _need_unit(state, a["unit_id"])
    if unit["status"] != UnitStatus.AVAILABLE:
        where = f" to incident {unit['incident_id']}" if unit.get("incident_id") else ""
        raise _refuse(ErrorCode.UNIT_BUSY, f"unit {unit['call_sign']} is {unit['status']}{where}")
    _check_version(unit, a.get("unit_version"))
    if incident["state"] in (IncidentState.HANDED_OVER,):
        raise _refuse(ErrorCode.ILLEGAL_TRANSITION, "the patient has been handed over; open a new incident")
    return [("unit.assigned", {"incident_id": a["incident_id"], "unit_id": a["unit_id"], "version": unit["version"] + 1})]


def _unit_status(state: State, who: Principal, a: dict) -> list[EventDraft]:
    unit = _need_unit(state, a["unit_id"])
    if who.role == Role.DEVICE and who.unit_id != a["unit_id"]:
        raise _refuse(ErrorCode.FORBIDDEN, f"this device belongs to unit {who.unit_id}, not {a['unit_id']}")
    current = UnitStatus(unit["status"])
    new = UnitStatus(a["status"])
    if current == new:
        return []  # repeated report (a device resending after a reconnect)
    _check_version(unit, a.get("unit_version"))
    if new == UnitStatus.DISPATCHED:
        raise _refuse(ErrorCode.ILLEGAL_TRANSITION, "a unit is dispatched by assigning it to an incident")
    if not unit_may_move(current, new):
        raise _refuse(ErrorCode.ILLEGAL_TRANSITION, f"unit {unit['call_sign']} cannot go from {current} to {new}")
    data = {
        "unit_id": a["unit_id"],
        "status": new.value,
        "previous": current.value,
        "incident_id": unit.get("incident_id"),
        "version": unit["version"] + 1,
        "manual": who.role != Role.DEVICE,
    }
    return [("unit.status_changed", data)]


def _incident_close(state: State, who: Principal, a: dict) -> list[EventDraft]:
    incident = _need_incident(state, a["incident_id"])
    reason = CloseReason(a["reason"])
    committed = [
        state.units[u]
        for u in incident["units"]
        if u in state.units
        and state.units[u]["status"] in UNIT_COMMITTED
        and state.units[u].get("incident_id") == a["incident_id"]
    ]
    drafts: list[EventDraft] = []
    if committed:
        if reason not in STAND_DOWN_REASONS:
            names = ", ".join(u["call_sign"] for u in committed)
            raise _refuse(
                ErrorCode.ILLEGAL_TRANSITION,
                f"units still working this incident: {names}; clear them first or close as cancelled",
            )
        for unit in committed:
            if unit["status"] in (UnitStatus.TRANSPORTING, UnitStatus.AT_HOSPITAL):
                raise _refuse(
                    ErrorCode.ILLEGAL_TRANSITION,
                    f"unit {unit['call_sign']} has the patient on board; it cannot be stood down",
                )
            drafts.append(
                (
                    "unit.status_changed",
                    {
                        "unit_id": unit["unit_id"],
                        "status": UnitStatus.AVAILABLE.value,
                        "previous": unit["status"],
                        "incident_id": a["incident_id"],
                        "version": unit["version"] + 1,
                        "manual": True,
                    },
                )
            )
    if reason == CloseReason.TRANSPORTED and Milestone.HANDOVER.value not in incident["milestones"]:
        raise _refuse(ErrorCode.ILLEGAL_TRANSITION, "no handover at a hospital has been reported for this incident")
    drafts.append(("incident.closed", {"incident_id": a["incident_id"], "reason": reason.value, "note": a.get("note")}))
    return drafts


_CORE_COMMANDS = {
    "call.offered": _call_offered,
    "call.abandoned": _call_abandoned,
    "call.ended": _call_ended,
    "call.answer": _call_answer,
    "seat.set_ready": _seat_set_ready,
    "incident.create": _incident_create,
    "incident.update": _incident_update,
    "unit.assign": _unit_assign,
    "unit.status": _unit_status,
    "incident.close": _incident_close,
}

_COMMANDS = {**_CORE_COMMANDS, **features.merged("COMMAND_HANDLERS")}
