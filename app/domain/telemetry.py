"""ECG strips in the shared projection: which strips are attached to which incident.

The samples live in the server's ``strips`` table (``server_stub/strips.py``), never in
the log; the event ``telemetry.strip_stored`` says a strip exists, whose unit it is,
when it starts and how long it is, and the projection lists it on the incident
(``incident["strips"]``).

The decision needs what only the server holds — the unit's recent ECG — so the server
cuts the strip and calls :func:`decide_strip` with it. The registered command handler
is the same decision with nothing cut: a domain without ECG refuses (``not_found``).

Pure: no I/O, no clock. Refusals are ProtocolError (``not_found``, ``conflict``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.domain.common import EventDraft, Principal, need_unit, refuse
from app.protocol.errors import ErrorCode


def decide_strip(state: Any, who: Principal, args: Mapping[str, Any], cut: Mapping[str, Any] | None) -> list[EventDraft]:
    """The ``telemetry.strip_stored`` event for a strip of ``args["unit_id"]``'s ECG.

    ``cut``: ``{"strip_id", "start", "seconds", "channel", "reason", "alarm_code"}`` of the
    strip the server cut from the unit's recent ECG; None when it has none.

    Raises:
        ProtocolError: NOT_FOUND (no such unit, no recent ECG), CONFLICT (the unit has no
            current incident to attach the strip to).
    """
    unit = need_unit(state, args["unit_id"])
    incident_id = unit.get("incident_id")
    if not incident_id or incident_id not in state.incidents:
        raise refuse(ErrorCode.CONFLICT, f"unit {args['unit_id']} has no current incident to attach a strip to")
    if cut is None:
        raise refuse(ErrorCode.NOT_FOUND, f"no recent ECG from unit {args['unit_id']}")
    return [(
        "telemetry.strip_stored",
        {
            "unit_id": args["unit_id"],
            "incident_id": incident_id,
            "strip_id": cut["strip_id"],
            "start": cut["start"],
            "seconds": cut["seconds"],
            "channel": cut["channel"],
            "reason": cut["reason"],
            "alarm_code": cut.get("alarm_code"),
        },
    )]


def _strip_request(state: Any, who: Principal, args: dict) -> list[EventDraft]:
    return decide_strip(state, who, args, None)


def _strip_stored(state: Any, d: dict, ts: str):
    incident = state.incidents.get(d["incident_id"])
    if incident is None:
        return False
    incident.setdefault("strips", []).append({**d, "at": ts})
    incident["updated_at"] = ts


EVENT_HANDLERS = {"telemetry.strip_stored": _strip_stored}
COMMAND_HANDLERS = {"telemetry.strip_request": _strip_request}
