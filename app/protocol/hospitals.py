"""Wire tables of hospitals: capabilities, emergency-department status, destinations.

* ``hospital.capabilities_set`` (event, written by ``dispatch120-server admin set-hospital``):
  the hospital's capability flags (:class:`HospitalCapability`) and, for a trauma centre,
  its ``trauma_level`` (1 = highest). Replaces the previous set.
* ``hospital.set_status`` (seat) → ``hospital.status_changed``: the emergency
  department's status (:class:`EdStatus`: open, busy, diverting) with an optional note.
* ``incident.set_destination`` (seat) → ``incident.destination_set``: the hospital the
  dispatcher chose from the suggestions, its ``rank`` (1 = the first suggestion) and, when
  it is not the first, why (``reason``, one of :data:`DESTINATION_REASONS`).

Imports only ``app.protocol.schema`` and ``app.protocol.vocabulary`` (see ``app.protocol.features``).
"""

from enum import StrEnum

from app.protocol.schema import UNSET, Int, List, NameId, Opt, Str, Uuid, Wire, choice
from app.protocol.vocabulary import Role


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


class HospitalSetStatus(Wire):
    hospital_id: NameId
    status: EdStatus
    note: Opt(Str(200)) = UNSET


class IncidentSetDestination(Wire):
    """The hospital chosen from the suggestions; ``reason`` when it is not the first (``rank`` 1)."""

    incident_id: Uuid
    hospital_id: NameId
    rank: Int(1, MAX_RANK)
    reason: Opt(choice(DESTINATION_REASONS)) = UNSET


class HospitalCapabilitiesSet(Wire):
    """Replaces the hospital's capability set; ``trauma_level`` 1 (highest) to 3 for a trauma centre."""

    hospital_id: NameId
    capabilities: List(HospitalCapability, len(HospitalCapability))
    trauma_level: Opt(Int(1, 3)) = UNSET


class HospitalStatusChanged(Wire):
    hospital_id: NameId
    status: EdStatus
    previous: EdStatus
    note: Opt(Str(200)) = UNSET


COMMANDS: dict[str, type[Wire]] = {
    "hospital.set_status": HospitalSetStatus,
    "incident.set_destination": IncidentSetDestination,
}

EVENTS: dict[str, type[Wire]] = {
    "hospital.capabilities_set": HospitalCapabilitiesSet,
    "hospital.status_changed": HospitalStatusChanged,
    "incident.destination_set": IncidentSetDestination,
}

COMMAND_ROLES: dict[str, frozenset[Role]] = {
    # A hospital console (pre-notification's role) may set its own hospital's status only.
    "hospital.set_status": frozenset({Role.SEAT, Role.HOSPITAL}),
    "incident.set_destination": frozenset({Role.SEAT}),
}
