"""Hospitals: capabilities, emergency-department status, an incident's destination.

The projection keeps on ``state.hospitals[id]``::

    "capabilities": [HospitalCapability, ...], "trauma_level": int | None,
    "ed_status": EdStatus (default open), "ed_note": str | None, "ed_since": ts

and on an incident ``incident["destination"] = {"hospital_id", "rank", "reason", "at"}``.
``incident.set_destination`` with ``rank`` > 1 needs a ``reason``; a hospital that is
unknown is refused (``not_found``). Pure; imports only ``app.domain.common``/``model``
and ``app.protocol``.
"""

from __future__ import annotations

from typing import Any

from app.domain.common import EventDraft, Principal, need_incident, refuse
from app.domain.model import Role
from app.protocol.errors import ErrorCode
from app.protocol.hospitals import EdStatus


def _need_hospital(state: Any, hospital_id: str) -> dict:
    hospital = state.hospitals.get(hospital_id)
    if hospital is None:
        raise refuse(ErrorCode.NOT_FOUND, f"no hospital {hospital_id}")
    return hospital


def ed_status(hospital: dict) -> EdStatus:
    return EdStatus(hospital.get("ed_status") or EdStatus.OPEN)


def _set_status(state: Any, who: Principal, a: dict) -> list[EventDraft]:
    if who.role == Role.HOSPITAL and who.unit_id != a["hospital_id"]:
        raise refuse(ErrorCode.FORBIDDEN, "a hospital console may set only its own hospital's status")
    hospital = _need_hospital(state, a["hospital_id"])
    previous = ed_status(hospital)
    if previous == a["status"] and hospital.get("ed_note") == a.get("note"):
        return []  # nothing changes: acked, no event
    return [("hospital.status_changed", {"hospital_id": a["hospital_id"], "status": a["status"],
                                         "previous": previous.value, "note": a.get("note")})]


def _set_destination(state: Any, who: Principal, a: dict) -> list[EventDraft]:
    need_incident(state, a["incident_id"])
    _need_hospital(state, a["hospital_id"])
    if a["rank"] > 1 and not a.get("reason"):
        raise refuse(ErrorCode.INVALID_ARGS, "a hospital other than the first suggestion needs a reason")
    return [("incident.destination_set", {k: a.get(k) for k in ("incident_id", "hospital_id", "rank", "reason")})]


def _on_capabilities(state: Any, d: dict, ts: str):
    hospital = state.hospitals.get(d["hospital_id"])
    if hospital is None:
        return False
    hospital["capabilities"] = sorted(set(d["capabilities"]))
    hospital["trauma_level"] = d.get("trauma_level")


def _on_status(state: Any, d: dict, ts: str):
    hospital = state.hospitals.get(d["hospital_id"])
    if hospital is None:
        return False
    hospital.update(ed_status=d["status"], ed_note=d.get("note"), ed_since=ts)


def _on_destination(state: Any, d: dict, ts: str):
    incident = state.incidents.get(d["incident_id"])
    if incident is None:
        return False
    incident["destination"] = {"hospital_id": d["hospital_id"], "rank": d["rank"], "reason": d.get("reason"),
                               "at": ts}
    incident["updated_at"] = ts


COMMAND_HANDLERS = {"hospital.set_status": _set_status, "incident.set_destination": _set_destination}
EVENT_HANDLERS = {
    "hospital.capabilities_set": _on_capabilities,
    "hospital.status_changed": _on_status,
    "incident.destination_set": _on_destination,
}
# The seat's store: an ED status or capability change re-ranks open destination lists.
