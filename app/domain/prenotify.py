"""Hospital pre-notification in the shared projection and its decisions.

What the projection keeps::

    state.prenotifications[prenotify_id] = {
        "prenotify_id", "incident_id", "hospital_id", "unit_id", "eta_s", "complaint",
        "has_vitals", "has_ecg", "sent_at",
        "ack": None | {"response", "note", "at"},     # the latest answer of the hospital
    }
    incident["prenotifications"] = [same dicts, in the order sent]  # what the seat shows

The package itself (summary, vitals, ECG samples) is assembled by the server,
which alone holds the live telemetry, and stored in its ``prenotifications``
table (``server_stub/prenotify.py``); the server then calls :func:`decide_send`
with the ids of what it assembled. The registered command handler is the same
decision with nothing assembled: a domain without the server refuses (``conflict``).

Pure: no I/O, no clock. Refusals are ProtocolError (``not_found``, ``conflict``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.domain.common import EventDraft, Principal, need_incident, need_unit, refuse
from app.protocol.errors import ErrorCode
from app.protocol.prenotify import hospital_of

TABLES = ("prenotifications",)


def resolve_unit(state: Any, args: Mapping[str, Any]) -> str | None:
    """The unit whose telemetry goes into the package: the one named, else the incident's latest unit.

    Raises:
        ProtocolError: NOT_FOUND (no such incident/unit), CONFLICT (the named unit does
            not serve this incident).
    """
    incident = need_incident(state, args["incident_id"])
    unit_id = args.get("unit_id")
    if unit_id is None:
        units = incident.get("units") or []
        return units[-1] if units else None
    unit = need_unit(state, unit_id)
    if unit.get("incident_id") != args["incident_id"] and unit_id not in (incident.get("units") or []):
        raise refuse(ErrorCode.CONFLICT, f"unit {unit_id} does not serve incident {args['incident_id']}")
    return unit_id


def decide_send(
    state: Any, who: Principal, args: Mapping[str, Any], assembled: Mapping[str, Any] | None
) -> list[EventDraft]:
    """The ``prenotify.sent`` event for a package the server assembled and stored.

    ``assembled``: ``{"prenotify_id", "unit_id", "has_vitals", "has_ecg"}``; None when the
    caller has no server to assemble it.

    Raises:
        ProtocolError: NOT_FOUND (incident, hospital or unit), ILLEGAL_TRANSITION (closed
            incident), CONFLICT (nothing assembled, the same pre-notification already sent).
    """
    unit_id = resolve_unit(state, args)
    if args["hospital_id"] not in state.hospitals:
        raise refuse(ErrorCode.NOT_FOUND, f"no hospital {args['hospital_id']}")
    if assembled is None:
        raise refuse(ErrorCode.CONFLICT, "a pre-notification package is assembled by the server")
    if assembled["prenotify_id"] in state.prenotifications:
        raise refuse(ErrorCode.CONFLICT, f"pre-notification {assembled['prenotify_id']} was already sent")
    return [(
        "prenotify.sent",
        {
            "prenotify_id": assembled["prenotify_id"],
            "incident_id": args["incident_id"],
            "hospital_id": args["hospital_id"],
            "unit_id": unit_id,
            "eta_s": args.get("eta_s"),
            "complaint": args["summary"]["complaint"],
            "has_vitals": bool(assembled["has_vitals"]),
            "has_ecg": bool(assembled["has_ecg"]),
        },
    )]


def _send(state: Any, who: Principal, args: dict) -> list[EventDraft]:
    return decide_send(state, who, args, None)


def _ack(state: Any, who: Principal, args: dict) -> list[EventDraft]:
    """A hospital console answers a pre-notification addressed to its own hospital only.

    Another hospital's pre-notification is NOT_FOUND (its existence is not revealed).
    """
    record = state.prenotifications.get(args["prenotify_id"])
    if record is None or record["hospital_id"] != hospital_of(who):
        raise refuse(ErrorCode.NOT_FOUND, f"no pre-notification {args['prenotify_id']} for this hospital")
    return [(
        "prenotify.acknowledged",
        {
            "prenotify_id": record["prenotify_id"],
            "incident_id": record["incident_id"],
            "hospital_id": record["hospital_id"],
            "response": args["response"],
            "note": args.get("note"),
        },
    )]


# ---------------------------------------------------------------- projection


def _on_sent(state: Any, d: dict, ts: str):
    incident = state.incidents.get(d["incident_id"])
    if incident is None:
        return False
    record = {**d, "sent_at": ts, "ack": None}
    state.prenotifications[d["prenotify_id"]] = record
    incident.setdefault("prenotifications", []).append(dict(record))
    incident["updated_at"] = ts


def _on_acknowledged(state: Any, d: dict, ts: str):
    record = state.prenotifications.get(d["prenotify_id"])
    if record is None:
        return False
    ack = {"response": d["response"], "note": d.get("note"), "at": ts}
    record["ack"] = ack
    incident = state.incidents.get(d["incident_id"])
    if incident is not None:
        for item in incident.get("prenotifications", []):
            if item["prenotify_id"] == d["prenotify_id"]:
                item["ack"] = ack
        incident["updated_at"] = ts


EVENT_HANDLERS = {"prenotify.sent": _on_sent, "prenotify.acknowledged": _on_acknowledged}
COMMAND_HANDLERS = {"prenotify.send": _send, "prenotify.ack": _ack}
