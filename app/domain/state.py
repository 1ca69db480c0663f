"""The projection: current calls, seats, incidents and units, built from events.

One pure function of the event log, used by the server (its in-memory state
and query tables) and by every seat (its store), so both see exactly the same
state. Entities are plain JSON-able dicts so a snapshot is just ``to_dict()``.

:meth:`State.apply_changes` also says which entities an event touched
(:class:`Touched`): the handlers are not asked, the tables are watched. While a
handler runs it sees each table through a :class:`_WatchedTable`, which keeps a
pickled copy of every entity the handler reaches (by key or by iterating) and
compares it afterwards; entities added or removed count too. A handler cannot
forget to report a change, and a new feature table is watched the moment it is
listed in ``TABLES``.

Applying an event never raises on odd data from a newer server: unknown
events are ignored, missing entities are skipped (and counted in
``skipped``), so a seat keeps running and says so in its log.
"""

from __future__ import annotations

import copy
import logging
import pickle
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any, NamedTuple

from app.domain import features
from app.domain.model import (
    UNIT_MILESTONES,
    CallState,
    IncidentState,
    Milestone,
    SeatState,
    UnitStatus,
    incident_state_after,
)

Entity = dict[str, Any]
log = logging.getLogger(__name__)


class Touched(NamedTuple):
    """One entity an event added, changed or removed: its table (``"units"``) and id."""

    table: str
    id: str


class State:
    """Current state. Not thread-safe: one owner (the server's loop, the seat's GUI thread)."""

    # Entity tables; feature modules may add more (app.domain.features).
    TABLES: tuple[str, ...] = (
        "calls",
        "seats",
        "incidents",
        "units",
        "stations",
        "hospitals",
        "principals",
    ) + features.extra_tables()

    # The feature tables, set in __init__ from TABLES; declared here for the type checker
    # (tests/unit/test_type_boundaries.py fails if this list and the features' TABLES differ).
    caller_links: dict[str, Entity]
    prenotifications: dict[str, Entity]
    aeds: dict[str, Entity]
    responder_alerts: dict[str, Entity]
    training_runs: dict[str, Entity]

    def __init__(self) -> None:
        self.seq = 0
        self.calls: dict[str, Entity] = {}
        self.seats: dict[str, Entity] = {}
        self.incidents: dict[str, Entity] = {}
        self.units: dict[str, Entity] = {}
        self.stations: dict[str, Entity] = {}
        self.hospitals: dict[str, Entity] = {}
        self.principals: dict[str, Entity] = {}
        for name in self.TABLES[7:]:
            setattr(self, name, {})
        self.skipped = 0

    # ------------------------------------------------------------ snapshot
    def to_dict(self) -> dict[str, Any]:
        return copy.deepcopy({"seq": self.seq, **{name: getattr(self, name) for name in self.TABLES}})

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> State:
        state = cls()
        state.seq = int(data.get("seq", 0))
        for name in cls.TABLES:
            setattr(state, name, copy.deepcopy(dict(data.get(name, {}))))
        return state

    # ------------------------------------------------------------ apply
    def apply(self, event: dict[str, Any]) -> bool:
        """Apply one event message (``type == "event"``), watching nothing (the server's path).

        Returns:
            True if the event changed the state; False if it was already
            applied (seq not newer), unknown, or referred to a missing entity.
        """
        return self._apply(event, self)

    def apply_changes(self, event: dict[str, Any]) -> frozenset[Touched] | None:
        """Apply one event message like :meth:`apply` and say which entities it touched.

        Costs a pickle of each entity the handler reaches (a few microseconds;
        ``bench/store_signals.py``). The seat's store uses it to emit one change
        signal per touched entity.

        Returns:
            None when the event was not applied (see :meth:`apply`); else the
            entities added, changed or removed (empty when nothing differs).
        """
        view = _WatchedState(self)
        if not self._apply(event, view):
            return None
        return view.touched()

    def _apply(self, event: dict[str, Any], view: Any) -> bool:
        seq = event["seq"]
        if seq <= self.seq:
            return False
        self.seq = seq
        handler = _HANDLERS.get(event["name"])
        if handler is None:
            return False
        try:
            ok = handler(view, event["data"], event["ts"])
        except (KeyError, ValueError, TypeError, AttributeError):
            # Data this version cannot read (a field missing, a status from a
            # newer server): skip the event, keep running, say so in the log.
            log.warning("skipped event seq=%s name=%s: unreadable data", seq, event.get("name"), exc_info=True)
            ok = False
        if ok is False:
            self.skipped += 1
            return False
        return True

    # ------------------------------------------------------------ queries
    def open_incidents(self) -> list[Entity]:
        return [i for i in self.incidents.values() if i["state"] != IncidentState.CLOSED]

    def queued_calls(self) -> list[Entity]:
        """Calls waiting for a seat, oldest first."""
        queued = [c for c in self.calls.values() if c["state"] == CallState.QUEUED]
        return sorted(queued, key=lambda c: (c["received_at"], c["call_id"]))

    def ready_seats(self) -> list[Entity]:
        """Ready seats, the one idle longest first (the ACD's order)."""
        ready = [s for s in self.seats.values() if s["state"] == SeatState.READY]
        return sorted(ready, key=lambda s: (s["since"], s["seat_id"]))


# ---------------------------------------------------------------- watching what a handler touches

_MISSING = object()


class RecordingTable(MutableMapping[str, Entity]):
    """One entity table as an event handler sees it: ``reached(key)`` runs before the handler reaches an entity.

    All reads go through ``__getitem__`` (``get``, ``setdefault``, ``values``,
    ``items`` and ``in`` are built on it or on ``__contains__``), so whatever the
    handler does to an entity, ``reached`` had the chance to copy it first. The seat's
    change signals (:class:`_WatchedTable`) and the server's trial decisions
    (``server_stub.undo.Trial``) are both this table with their own ``reached``.
    """

    def __init__(self, table: dict[str, Entity], reached: Callable[[str], None]) -> None:
        self.table = table
        self.reached = reached

    def __getitem__(self, key: str) -> Entity:
        entity = self.table[key]
        self.reached(key)
        return entity

    def __setitem__(self, key: str, value: Entity) -> None:
        self.reached(key)
        self.table[key] = value

    def __delitem__(self, key: str) -> None:
        self.reached(key)
        del self.table[key]

    def __contains__(self, key: object) -> bool:
        return key in self.table

    def __iter__(self) -> Iterator[str]:
        return iter(list(self.table))

    def __len__(self) -> int:
        return len(self.table)


class _WatchedTable(RecordingTable):
    """A table that keeps a pickled copy of every entity a handler reaches, to tell which changed."""

    def __init__(self, table: dict[str, Entity]) -> None:
        super().__init__(table, self._remember)
        self.before: dict[str, bytes | object] = {}  # id -> pickled entity, or _MISSING if absent

    def _remember(self, key: str) -> None:
        if key not in self.before:
            entity = self.table.get(key, _MISSING)
            self.before[key] = _MISSING if entity is _MISSING else pickle.dumps(entity, pickle.HIGHEST_PROTOCOL)

    def changed(self) -> Iterator[str]:
        for key, before in self.before.items():
            after = self.table.get(key, _MISSING)
            if before is _MISSING or after is _MISSING:
                if before is not after:
                    yield key
            elif pickle.dumps(after, pickle.HIGHEST_PROTOCOL) != before:
                yield key


class _WatchedState:
    """The :class:`State` a handler gets from :meth:`State.apply_changes`: tables watched, the rest passed through."""

    def __init__(self, state: State) -> None:
        object.__setattr__(self, "_state", state)
        object.__setattr__(self, "_tables", {})

    def __getattr__(self, name: str) -> Any:
        if name in State.TABLES:
            watched = self._tables.get(name)
            if watched is None:
                watched = self._tables[name] = _WatchedTable(getattr(self._state, name))
            return watched
        return getattr(self._state, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in State.TABLES:
            # A handler replacing a whole table touches every entity of both.
            watched = getattr(self, name)
            for key in set(watched.table) | set(value):
                watched._remember(key)
            watched.table = value
        setattr(self._state, name, value)

    def touched(self) -> frozenset[Touched]:
        return frozenset(Touched(name, key) for name, table in self._tables.items() for key in table.changed())


# ---------------------------------------------------------------- handlers


def _seat(state: State, seat_id: str, ts: str) -> Entity:
    seat = state.seats.get(seat_id)
    if seat is None:
        seat = {"seat_id": seat_id, "state": SeatState.OFFLINE.value, "since": ts, "reason": None, "call_id": None}
        state.seats[seat_id] = seat
    return seat


def _set_seat(state: State, seat_id: str, new: SeatState, ts: str, reason: str | None, call_id=None) -> None:
    seat = _seat(state, seat_id, ts)
    seat.update(state=new.value, since=ts, reason=reason, call_id=call_id)


def _call_received(state: State, d: dict, ts: str) -> None:
    state.calls[d["call_id"]] = {
        "call_id": d["call_id"],
        "caller_number": d["caller_number"],
        "caller_name": d.get("caller_name"),
        "location_text": d.get("location_text"),
        "line": d.get("line"),
        # Location candidates as the switch gave them (validated by the protocol); see app.domain.location.
        "locations": [dict(c) for c in d.get("locations") or ()],
        "state": CallState.QUEUED.value,
        "seat_id": None,
        "received_at": ts,
        "ringing_at": None,
        "answered_at": None,
        "ended_at": None,
        "incident_id": None,
    }


def _call(state: State, d: dict) -> Entity | None:
    return state.calls.get(d["call_id"])


def _call_queued(state: State, d: dict, ts: str):
    call = _call(state, d)
    if call is None:
        return False
    call.update(state=CallState.QUEUED.value, seat_id=None)


def _call_ringing(state: State, d: dict, ts: str):
    call = _call(state, d)
    if call is None:
        return False
    call.update(state=CallState.RINGING.value, seat_id=d["seat_id"], ringing_at=ts)
    _set_seat(state, d["seat_id"], SeatState.BUSY, ts, "ringing", call["call_id"])


def _call_ring_timeout(state: State, d: dict, ts: str):
    call = _call(state, d)
    if call is None:
        return False
    call.update(state=CallState.QUEUED.value, seat_id=None)
    # Like a centre's ACD ("redirect on no answer"): a seat that lets a call
    # ring out is made not ready, so the next call does not ring there too.
    _set_seat(state, d["seat_id"], SeatState.NOT_READY, ts, "no_answer")


def _call_answered(state: State, d: dict, ts: str):
    call = _call(state, d)
    if call is None:
        return False
    call.update(state=CallState.ANSWERED.value, seat_id=d["seat_id"], answered_at=ts)
    _set_seat(state, d["seat_id"], SeatState.BUSY, ts, "on_call", call["call_id"])


def _call_finished(new: CallState):
    def handler(state: State, d: dict, ts: str):
        call = _call(state, d)
        if call is None:
            return False
        seat_id = call["seat_id"]
        call.update(state=new.value, ended_at=ts)
        seat = state.seats.get(seat_id) if seat_id else None
        if seat is not None and seat.get("call_id") == call["call_id"]:
            # After a call the dispatcher is still working the incident: the
            # seat takes no new call until it says it is ready again.
            if new == CallState.ABANDONED:
                _set_seat(state, seat_id, SeatState.READY, ts, None)
            else:
                _set_seat(state, seat_id, SeatState.NOT_READY, ts, "wrap_up")

    return handler


def _seat_state_changed(state: State, d: dict, ts: str):
    seat = _seat(state, d["seat_id"], ts)
    seat.update(state=d["state"], since=ts, reason=d.get("reason"))
    if d["state"] != SeatState.BUSY:
        seat["call_id"] = None


def _incident_created(state: State, d: dict, ts: str):
    milestones = {Milestone.INCIDENT_CREATED.value: ts}
    call = state.calls.get(d.get("call_id") or "")
    if call is not None:
        call["incident_id"] = d["incident_id"]
        milestones[Milestone.CALL_RECEIVED.value] = call["received_at"]
        if call["answered_at"]:
            milestones[Milestone.CALL_ANSWERED.value] = call["answered_at"]
    state.incidents[d["incident_id"]] = {
        "incident_id": d["incident_id"],
        "call_id": d.get("call_id"),
        "seat_id": d["seat_id"],
        "address": d.get("address") or "",
        "callback_number": d.get("callback_number"),
        "description": d.get("description") or "",
        "patients": d.get("patients") or 1,
        "priority": d.get("priority"),
        "state": IncidentState.OPEN.value,
        "units": [],
        "close_reason": None,
        "close_note": None,
        "milestones": milestones,
        "created_at": ts,
        "updated_at": ts,
    }


def _incident_updated(state: State, d: dict, ts: str):
    incident = state.incidents.get(d["incident_id"])
    if incident is None:
        return False
    incident.update(d["changes"])
    incident["updated_at"] = ts


def _unit_assigned(state: State, d: dict, ts: str):
    incident = state.incidents.get(d["incident_id"])
    unit = state.units.get(d["unit_id"])
    if incident is None or unit is None:
        return False
    unit.update(
        status=UnitStatus.DISPATCHED.value,
        previous=unit["status"],
        since=ts,
        incident_id=d["incident_id"],
        version=d["version"],
    )
    if d["unit_id"] not in incident["units"]:
        incident["units"].append(d["unit_id"])
    incident["milestones"].setdefault(Milestone.UNIT_DISPATCHED.value, ts)
    incident["state"] = incident_state_after(IncidentState(incident["state"]), UnitStatus.DISPATCHED).value
    incident["updated_at"] = ts


def _unit_status_changed(state: State, d: dict, ts: str):
    unit = state.units.get(d["unit_id"])
    if unit is None:
        return False
    new = UnitStatus(d["status"])
    previous = UnitStatus(d["previous"])
    unit.update(status=new.value, previous=previous.value, since=ts, version=d["version"])
    incident = state.incidents.get(d.get("incident_id") or "")
    if new in (UnitStatus.AVAILABLE, UnitStatus.OUT_OF_SERVICE):
        unit["incident_id"] = None
    if incident is None:
        return None
    milestone = UNIT_MILESTONES.get(new)
    if milestone is not None:
        incident["milestones"].setdefault(milestone.value, ts)
    current = IncidentState(incident["state"])
    if previous == UnitStatus.AT_HOSPITAL and new == UnitStatus.AVAILABLE:
        incident["milestones"].setdefault(Milestone.HANDOVER.value, ts)
        if current == IncidentState.AT_HOSPITAL:
            incident["state"] = IncidentState.HANDED_OVER.value
    else:
        incident["state"] = incident_state_after(current, new).value
    incident["updated_at"] = ts


def _incident_closed(state: State, d: dict, ts: str):
    incident = state.incidents.get(d["incident_id"])
    if incident is None:
        return False
    incident.update(
        state=IncidentState.CLOSED.value, close_reason=d["reason"], close_note=d.get("note"), updated_at=ts
    )
    incident["milestones"].setdefault(Milestone.CLOSED.value, ts)


def _registered(table: str, key: str, extra: dict[str, Any] | None = None):
    def handler(state: State, d: dict, ts: str):
        entity = getattr(state, table).setdefault(d[key], {})
        entity.update(d)
        for k, v in (extra or {}).items():
            entity.setdefault(k, v)
        entity.setdefault("since", ts)

    return handler


def _principal_registered(state: State, d: dict, ts: str):
    state.principals[d["principal_id"]] = {**d, "revoked": False}
    if d["role"] == "seat":
        seat = _seat(state, d["principal_id"], ts)
        seat["name"] = d["name"]


def _principal_revoked(state: State, d: dict, ts: str):
    principal = state.principals.get(d["principal_id"])
    if principal is None:
        return False
    principal["revoked"] = True


_CORE_HANDLERS = {
    "call.received": _call_received,
    "call.queued": _call_queued,
    "call.ringing": _call_ringing,
    "call.ring_timeout": _call_ring_timeout,
    "call.answered": _call_answered,
    "call.abandoned": _call_finished(CallState.ABANDONED),
    "call.ended": _call_finished(CallState.ENDED),
    "seat.state_changed": _seat_state_changed,
    "incident.created": _incident_created,
    "incident.updated": _incident_updated,
    "unit.assigned": _unit_assigned,
    "unit.status_changed": _unit_status_changed,
    "incident.closed": _incident_closed,
    "station.registered": _registered("stations", "station_id"),
    "hospital.registered": _registered("hospitals", "hospital_id"),
    "unit.registered": _registered(
        "units",
        "unit_id",
        {"status": UnitStatus.AVAILABLE.value, "previous": None, "incident_id": None, "version": 0},
    ),
    "principal.registered": _principal_registered,
    "principal.revoked": _principal_revoked,
}

_HANDLERS = {**_CORE_HANDLERS, **features.merged("EVENT_HANDLERS")}
