"""Assigning a recommended unit: command handler and projection.

``unit.assign_recommended`` does what ``unit.assign`` does (the unit must be available,
its version current, the incident open and not handed over) and also records the
dispatcher's decision. When the chosen unit is not the first suggestion
(``rank`` > 1) a reason is required: the command is refused with ``invalid_args``
otherwise, so no override goes unexplained.

The projection keeps, per incident::

    incident["recommendation_decisions"] = [
        {"unit_id", "rank", "first_unit_id", "override_reason", "override_note", "at"}, ...
    ]

Pure; imports only ``app.domain.common``/``model`` and ``app.protocol`` (see ``app.domain.features``).
"""

from __future__ import annotations

from typing import Any

from app.domain.common import EventDraft, Principal, need_incident, need_unit, refuse
from app.domain.model import IncidentState, UnitStatus
from app.protocol.errors import ErrorCode

_DECISION_KEYS = ("incident_id", "unit_id", "rank", "first_unit_id", "override_reason", "override_note")


def _assign_recommended(state: Any, who: Principal, a: dict) -> list[EventDraft]:
    incident = need_incident(state, a["incident_id"])
    unit = need_unit(state, a["unit_id"])
    if a["rank"] > 1 and not a.get("override_reason"):
        raise refuse(ErrorCode.INVALID_ARGS, "a unit other than the first suggestion needs an override_reason")
    if unit["status"] != UnitStatus.AVAILABLE:
        where = f" to incident {unit['incident_id']}" if unit.get("incident_id") else ""
        raise refuse(ErrorCode.UNIT_BUSY, f"unit {unit['call_sign']} is {unit['status']}{where}")
    version = a.get("unit_version")
    if version is not None and version != unit["version"]:
        raise refuse(ErrorCode.CONFLICT, f"unit {unit['call_sign']} changed (version {unit['version']}, "
                     f"you saw {version}); look again")
    if incident["state"] == IncidentState.HANDED_OVER:
        raise refuse(ErrorCode.ILLEGAL_TRANSITION, "the patient has been handed over; open a new incident")
    return [
        ("unit.assigned", {"incident_id": a["incident_id"], "unit_id": a["unit_id"], "version": unit["version"] + 1}),
        ("unit.recommendation_decided", {k: a.get(k) for k in _DECISION_KEYS}),
    ]


def _on_decided(state: Any, d: dict, ts: str):
    incident = state.incidents.get(d["incident_id"])
    if incident is None:
        return False
    decision = {k: d.get(k) for k in _DECISION_KEYS if k != "incident_id"} | {"at": ts}
    incident.setdefault("recommendation_decisions", []).append(decision)


COMMAND_HANDLERS = {"unit.assign_recommended": _assign_recommended}
EVENT_HANDLERS = {"unit.recommendation_decided": _on_decided}
