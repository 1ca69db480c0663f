"""What a device (an ambulance terminal or monitor) may see of the event log: least privilege.

A seat sees everything; a device sees what its crew needs to do the job, for its own unit
only, and nothing about the people who called (docs/protocol.md §6, "What each role receives"):

* the registry of places: stations, hospitals (and their status and capabilities), AEDs;
  of the units only its own (``unit.registered``);
* its own unit's assignment and status changes, always;
* **the incident its unit is assigned to, while it is**: at the assignment one
  ``incident_brief`` (:mod:`app.protocol.crew`: the incident and the units on it, as they
  were just before the ``unit.assigned``), then that incident's events — address, location,
  description, patients, priority, triage determinant and answers, destination, CPR,
  pre-notifications, ECG strips, closing — and the status changes of the other units on it;
  the incident reaches it **without the callback number** (unless the centre allows it:
  ``serve --devices-see-callback-number``). Nothing once its unit is cleared or stood down.

Never: other incidents, other units (unless on its incident), calls (caller numbers and
names, chat, photos, caller locations, links), seats, credentials, volunteers.

Who receives an event depends on the state *just before* it (which units are on the
incident then), not on the state when it is sent — the bus sends a batch's events after
applying all of them. So the bus calls :meth:`DeviceView.observe` before it applies each
committed event, which notes the event's audience (and, for an assignment, the brief);
:meth:`DeviceView.frames` then turns events into each unit's frames when they are sent. A
device that connects gets a snapshot of its own view (:meth:`DeviceView.snapshot`), never
a replay: what it may see of a replay depends on an assignment it may not remember. A
device therefore sees gaps in ``seq``, which the protocol allows (apply in order, ignore
what you have seen).

Pure functions on protocol messages and the projection; no I/O. Loop only (the bus's).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import cast

from app.domain.model import Role
from app.domain.state import Entity, State
from app.protocol import Message, encode
from app.protocol.crew import incident_brief

# Events a device may receive (by name), each only by the devices its audience rule below
# picks. Anything else — including event names added later — is withheld until it is
# listed here: a new event is private until someone decides otherwise.
DEVICE_EVENTS = frozenset({
    "station.registered",
    "hospital.registered",
    "hospital.capabilities_set",
    "hospital.status_changed",
    "unit.registered",
    "aed.registered",
    "unit.assigned",
    "unit.status_changed",
    "incident.created",
    "incident.updated",
    "incident.located",
    "incident.destination_set",
    "incident.closed",
    "triage.answered",
    "triage.completed",
    "triage.arrest_recognised",
    "cpr.started",
    "cpr.stopped",
    "prenotify.sent",
    "prenotify.acknowledged",
    "telemetry.strip_stored",
})
# Of those, the registry of places: every device receives them.
PLACE_EVENTS = frozenset({
    "station.registered",
    "hospital.registered",
    "hospital.capabilities_set",
    "hospital.status_changed",
    "aed.registered",
})
# Snapshot tables a device receives whole (the places); ``units`` and ``incidents`` hold only
# its own unit, its incident and the units on it; every other table is sent empty.
DEVICE_TABLES = frozenset({"stations", "hospitals", "aeds"})
# Incident fields that identify the caller.
CALLER_FIELDS = ("callback_number",)
# Routes of events observed but not sent yet. The bus sends right after it applies, so only
# a batch or one catch-up read is ever waiting; past this many the oldest are forgotten
# (those events then reach no device) so that a bug cannot grow memory without bound.
MAX_WAITING_ROUTES = 100_000

# An event's audience: the units whose devices receive it (None: every device), and the
# incident_brief that goes first to each of them.
Route = tuple[frozenset[str] | None, Message | None]


class DeviceView:
    """The devices' view of events and of the state. Loop only.

    Args:
        callback_number: whether devices may see the caller's callback number (the
            centre's choice; off by default).
    """

    def __init__(self, *, callback_number: bool = False) -> None:
        self.callback_number = callback_number
        self._routes: dict[int, Route] = {}

    # ------------------------------------------------------------ content
    def event(self, msg: Message) -> Message | None:
        """The event's content as a device receives it (caller fields removed), or None when no
        device may see it. Who receives it is :meth:`observe`'s business."""
        name = msg["name"]
        if name not in DEVICE_EVENTS:
            return None
        if self.callback_number:
            return msg
        data = msg["data"]
        if name == "incident.created" and any(k in data for k in CALLER_FIELDS):
            return {**msg, "data": {k: v for k, v in data.items() if k not in CALLER_FIELDS}}
        if name == "incident.updated" and any(k in data["changes"] for k in CALLER_FIELDS):
            changes = {k: v for k, v in data["changes"].items() if k not in CALLER_FIELDS}
            if not changes:
                return None  # only the callback number changed: nothing for the crew
            return {**msg, "data": {**data, "changes": changes}}
        return msg

    def incident(self, incident: Entity) -> Entity:
        """A copy of an incident of the projection as a device may see it."""
        out = copy.deepcopy(incident)
        if not self.callback_number:
            for key in CALLER_FIELDS:
                if key in out:
                    out[key] = None
        return out

    # ------------------------------------------------------------ audience
    def observe(self, state: State, msg: Message) -> None:
        """Note who receives ``msg``; call with the state *before* ``msg`` is applied to it."""
        name = msg["name"]
        if name not in DEVICE_EVENTS:
            return
        data = msg["data"]
        brief: Message | None = None
        audience: frozenset[str] | None
        if name in PLACE_EVENTS:
            audience = None
        elif name == "unit.registered":
            audience = frozenset({data["unit_id"]})
        elif name == "unit.assigned":
            unit_id, incident_id = data["unit_id"], data["incident_id"]
            on = units_on(state, incident_id)
            audience = on | {unit_id}
            incident = state.incidents.get(incident_id)
            if incident is not None:
                units = {u: copy.deepcopy(state.units[u]) for u in sorted(audience) if u in state.units}
                brief = incident_brief(seq=msg["seq"], incident=self.incident(incident), units=units)
        elif name == "unit.status_changed":
            audience = units_on(state, data.get("incident_id")) | {data["unit_id"]}
        else:  # an event of one incident
            audience = units_on(state, data.get("incident_id"))
        if audience is not None and not audience:
            return
        if len(self._routes) >= MAX_WAITING_ROUTES:
            del self._routes[next(iter(self._routes))]
        self._routes[msg["seq"]] = (audience, brief)

    def frames(self, events: list[Message], units: Iterable[str | None]) -> dict[str | None, list[str]]:
        """The encoded frames of ``events`` (in order) by unit id, for those of ``units`` that receive any.

        A frame every device gets is one ``str`` object shared by all (written once). Call
        once per send, in seq order; routes of events older than ``events`` are forgotten.
        """
        connected = units if isinstance(units, set | frozenset) else set(units)
        out: dict[str | None, list[str]] = {}
        if not events:
            return out
        for msg in events:
            route = self._routes.get(msg["seq"])
            if route is None:
                continue
            audience, brief = route
            # Only the few units an event concerns are visited (a centre has ~1,000 devices).
            targets = list(connected) if audience is None else [unit for unit in audience if unit in connected]
            seen = self.event(msg) if targets else None
            if seen is None:
                continue
            frame = encode(seen)
            brief_frame = encode(brief) if brief is not None else None
            for unit in targets:
                frames = out.setdefault(unit, [])
                if brief_frame is not None:
                    frames.append(brief_frame)
                frames.append(frame)
        # Routes of older events had their send (this one's stay for a retry of the same events).
        oldest = events[0]["seq"]
        for seq in [s for s in self._routes if s < oldest]:
            del self._routes[seq]
        return out

    # ------------------------------------------------------------ on connect
    def snapshot(self, state: State, unit_id: str | None) -> dict[str, object]:
        """A device's snapshot of ``state`` (a copy; call in the loop step that registers it):
        the places, its unit, its unit's incident and the units on that incident."""
        unit = state.units.get(unit_id or "")
        incident_id = unit.get("incident_id") if unit is not None else None
        incident = state.incidents.get(incident_id or "")
        units = units_on(state, incident_id) | ({unit_id} if unit is not None and unit_id else set())
        out: dict[str, object] = {"seq": state.seq}
        for table in State.TABLES:
            out[table] = copy.deepcopy(getattr(state, table)) if table in DEVICE_TABLES else {}
        out["units"] = {u: copy.deepcopy(state.units[u]) for u in sorted(units) if u in state.units}
        if incident is not None:
            out["incidents"] = {incident["incident_id"]: self.incident(incident)}
        return out


def units_on(state: State, incident_id: str | None) -> frozenset[str]:
    """The units assigned to ``incident_id`` now (its list holds every unit it ever had)."""
    incident = state.incidents.get(incident_id or "")
    if incident is None:
        return frozenset()
    return frozenset(u for u in incident["units"] if (state.units.get(u) or {}).get("incident_id") == incident_id)


# ---------------------------------------------------------------- the wall display
# What the centre's wall display (role ``wall``, read-only) receives: enough to show every unit,
# the open incidents, the calls waiting and today's KPIs (app/records/kpi.py reads these events),
# never who called. Like the device list: an event not named here is withheld.
WALL_EVENTS = frozenset({
    "station.registered",
    "hospital.registered",
    "hospital.status_changed",
    "unit.registered",
    "unit.assigned",
    "unit.status_changed",
    "incident.created",
    "incident.updated",
    "incident.located",
    "incident.closed",
    "triage.completed",
    "triage.arrest_recognised",
    "cpr.started",
    "cpr.stopped",
    "call.received",
    "call.queued",
    "call.ringing",
    "call.ring_timeout",
    "call.answered",
    "call.abandoned",
    "call.ended",
})
WALL_TABLES = frozenset({"calls", "incidents", "units", "stations", "hospitals"})
# The roles that receive the wall's view: the wall display and a supervisor's dashboard (which
# gets its figures through ``GET /kpi``, server_stub/kpi_route.py, not from the events).
WALL_VIEW_ROLES = frozenset({Role.WALL, Role.SUPERVISOR})
# ``call.received`` requires a caller number (the protocol's Phone pattern): the wall gets this
# placeholder instead, and none of the call's other caller fields.
WITHHELD_NUMBER = "*"
CALL_CALLER_FIELDS = ("caller_name", "location_text", "locations")


class WallView:
    """The wall display's view of events and of the state: no caller, no caller-link media, no
    callback number, no triage answers, no pre-notification (a patient's details)."""

    def event(self, msg: Message) -> Message | None:
        """The event as a wall receives it, or None when it must not see it."""
        name = msg["name"]
        if name not in WALL_EVENTS:
            return None
        data = msg["data"]
        if name == "call.received":
            kept = {k: v for k, v in data.items() if k not in CALL_CALLER_FIELDS}
            return {**msg, "data": {**kept, "caller_number": WITHHELD_NUMBER}}
        if name == "incident.created" and any(k in data for k in CALLER_FIELDS):
            return {**msg, "data": {k: v for k, v in data.items() if k not in CALLER_FIELDS}}
        if name == "incident.updated" and any(k in data["changes"] for k in CALLER_FIELDS):
            changes = {k: v for k, v in data["changes"].items() if k not in CALLER_FIELDS}
            if not changes:
                return None
            return {**msg, "data": {**data, "changes": changes}}
        return msg

    def snapshot(self, state: Mapping[str, object]) -> dict[str, object]:
        """A wall's snapshot: only :data:`WALL_TABLES`, calls and incidents without caller fields."""
        out: dict[str, object] = {}
        for key, value in state.items():
            if key == "seq":
                out[key] = value
            elif key not in WALL_TABLES:
                out[key] = {}
            elif key == "calls":
                out[key] = {cid: _wall_call(call) for cid, call in cast("dict[str, Entity]", value).items()}
            elif key == "incidents":
                incidents = cast("dict[str, Entity]", value)
                out[key] = {iid: {**inc, **{k: None for k in CALLER_FIELDS if k in inc}} for iid, inc in incidents.items()}
            else:
                out[key] = value
        return out


# The fields of a call a wall keeps (times, state, seat, incident): not the caller's chat, photos,
# guidance cards or location candidates that features add to the call.
WALL_CALL_FIELDS = ("call_id", "line", "state", "seat_id", "received_at", "ringing_at", "answered_at",
                    "ended_at", "incident_id")


def _wall_call(call: Entity) -> Entity:
    kept = {k: call.get(k) for k in WALL_CALL_FIELDS}
    return {**kept, "caller_number": WITHHELD_NUMBER, "caller_name": None, "location_text": None, "locations": []}
