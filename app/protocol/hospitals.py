"""Wire tables of hospitals (issue 5): capabilities, emergency-department status, destinations.

* ``hospital.capabilities_set`` (event, written by ``dispatch120-server admin set-hospital``):
  the hospital's capability flags (:class:`HospitalCapability`) and, for a trauma centre,
  its ``trauma_level`` (1 = highest). Replaces the previous set.
* ``hospital.set_status`` (seat) → ``hospital.status_changed``: the emergency
  department's status (:class:`EdStatus`: open, busy, diverting) with an optional note.
* ``incident.set_destination`` (seat) → ``incident.destination_set``: the hospital the
  dispatcher chose from the suggestions, its ``rank`` (1 = the first suggestion) and, when
  it is not the first, why (``reason``, one of :data:`DESTINATION_REASONS`).

Imports only ``app.protocol.schema`` and ``app.domain.model`` (see ``app.protocol.features``).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from app.domain.model import Role
from app.protocol.schema import Field, opt


class HospitalCapability(StrEnum):
    CHEST_PAIN_CENTRE = "chest_pain_centre"
    PCI = "pci"  # primary PCI around the clock (a chest-pain centre's cath lab)
    STROKE_CENTRE = "stroke_centre"
    THROMBOLYSIS = "thrombolysis"
    THROMBECTOMY = "thrombectomy"
    TRAUMA_CENTRE = "trauma_centre"  # with trauma_level 1..3
    PAEDIATRIC = "paediatric"
    MATERNITY = "maternity"
    BURNS = "burns"


class EdStatus(StrEnum):
    OPEN = "open"
    BUSY = "busy"  # accepts patients, expect a wait
    DIVERTING = "diverting"  # asks ambulances to go elsewhere


# Why a dispatcher picks another destination than the first suggestion.
DESTINATION_REASONS = frozenset({
    "patient_request",  # the patient or family asks for this hospital
    "crew_request",  # the crew on scene asks for it
    "already_treated_there",  # the patient's records and doctors are there
    "hospital_advice",  # the hospital's on-call doctor said so
    "other",
})
MAX_RANK = 100
_CAPABILITIES = frozenset(c.value for c in HospitalCapability)

COMMANDS: dict[str, Mapping[str, Field]] = {
    "hospital.set_status": {
        "hospital_id": Field("id"),
        "status": Field("str", choices=frozenset(s.value for s in EdStatus)),
        "note": opt("str", max_len=200),
    },
    "incident.set_destination": {
        "incident_id": Field("uuid"),
        "hospital_id": Field("id"),
        "rank": Field("int", min=1, max=MAX_RANK),
        "reason": opt("str", choices=DESTINATION_REASONS),
    },
}

EVENTS: dict[str, Mapping[str, Field]] = {
    "hospital.capabilities_set": {
        "hospital_id": Field("id"),
        "capabilities": Field("list", max_len=len(_CAPABILITIES), item=Field("str", choices=_CAPABILITIES)),
        "trauma_level": opt("int", min=1, max=3),
    },
    "hospital.status_changed": {
        "hospital_id": Field("id"),
        "status": Field("str", choices=frozenset(s.value for s in EdStatus)),
        "previous": Field("str", choices=frozenset(s.value for s in EdStatus)),
        "note": opt("str", max_len=200),
    },
    "incident.destination_set": {
        "incident_id": Field("uuid"),
        "hospital_id": Field("id"),
        "rank": Field("int", min=1, max=MAX_RANK),
        "reason": opt("str", choices=DESTINATION_REASONS),
    },
}

COMMAND_ROLES: dict[str, frozenset[Role]] = {
    # A hospital console (issue 5 pre-notification's role) may set its own hospital's status only.
    "hospital.set_status": frozenset({Role.SEAT, Role.HOSPITAL}),
    "incident.set_destination": frozenset({Role.SEAT}),
}
