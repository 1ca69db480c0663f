"""Small shared pieces of command handling, used by ``decide`` and by feature modules.

Feature modules (see :mod:`app.domain.features`) import from here, never from
``decide`` or ``state``, so there are no import cycles.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.domain.model import IncidentState, Role
from app.protocol.errors import ErrorCode, ProtocolError

EventDraft = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class Principal:
    """An authenticated sender: who it is, its role, and (devices) its unit."""

    id: str
    role: Role
    name: str
    unit_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "role": self.role.value, "name": self.name, "unit_id": self.unit_id}


SYSTEM = Principal(id="server", role=Role.ADMIN, name="server")


def refuse(code: ErrorCode, message: str) -> ProtocolError:
    """The error to raise when a command is refused (nothing will be stored)."""
    return ProtocolError(code, message)


def need_call(state: Any, call_id: str) -> dict:
    call = state.calls.get(call_id)
    if call is None:
        raise refuse(ErrorCode.NOT_FOUND, f"no call {call_id}")
    return call


def need_incident(state: Any, incident_id: str, *, open_only: bool = True) -> dict:
    incident = state.incidents.get(incident_id)
    if incident is None:
        raise refuse(ErrorCode.NOT_FOUND, f"no incident {incident_id}")
    if open_only and incident["state"] == IncidentState.CLOSED:
        raise refuse(ErrorCode.ILLEGAL_TRANSITION, f"incident {incident_id} is closed")
    return incident


def need_unit(state: Any, unit_id: str) -> dict:
    unit = state.units.get(unit_id)
    if unit is None:
        raise refuse(ErrorCode.NOT_FOUND, f"no unit {unit_id}")
    return unit
