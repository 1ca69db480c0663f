"""What a device (an ambulance terminal or monitor) may see of the event log: least privilege.

A seat sees everything; a device sees what its crew needs to do the job and nothing
about the people who called (docs/protocol.md §6, "What each role receives"):

* the registry: stations, hospitals (and their status), units, AEDs;
* every unit's assignment and status (the crew sees the other crews on its incident);
* incidents — address, location, description, patients, priority, the triage
  determinant and answers, destination, CPR, closing — **without the callback number**
  (unless the centre allows it: ``serve --devices-see-callback-number``);
* the pre-notifications and ECG strips of incidents.

Never: calls (caller numbers and names, chat, photos, caller locations, links), seats,
credentials, volunteers. Events are filtered when sent live (:class:`server_stub.bus.CommandBus`),
in a replay and in the snapshot (:mod:`server_stub.connection`); a device therefore sees gaps
in ``seq``, which the protocol allows (apply in order, ignore what you have seen).

Pure functions on protocol messages; no I/O.
"""

from __future__ import annotations

from typing import Any

from app.protocol import Message

# Events a device receives (by name). Anything else — including event names added later — is
# withheld until it is listed here: a new event is private until someone decides otherwise.
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
# Snapshot tables a device receives; the others are sent empty.
DEVICE_TABLES = frozenset({"incidents", "units", "stations", "hospitals", "aeds"})
# Incident fields that identify the caller.
CALLER_FIELDS = ("callback_number",)


class DeviceView:
    """The device's view of events and of the state.

    Args:
        callback_number: whether devices may see the caller's callback number (the
            centre's choice; off by default).
    """

    def __init__(self, *, callback_number: bool = False) -> None:
        self.callback_number = callback_number

    def event(self, msg: Message) -> Message | None:
        """The event as a device receives it, or None when it must not see it."""
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

    def snapshot(self, state: dict[str, Any]) -> dict[str, Any]:
        """A device's snapshot: only :data:`DEVICE_TABLES`, incidents without caller fields."""
        out: dict[str, Any] = {}
        for key, value in state.items():
            if key == "seq":
                out[key] = value
            elif key not in DEVICE_TABLES:
                out[key] = {}
            elif key == "incidents" and not self.callback_number:
                out[key] = {iid: {**inc, **{k: None for k in CALLER_FIELDS if k in inc}} for iid, inc in value.items()}
            else:
                out[key] = value
        return out
