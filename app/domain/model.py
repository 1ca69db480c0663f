"""Domain vocabulary: roles, call/seat/unit/incident states and their transitions.

Pure data, no I/O, no user-facing text (``widgets/labels.py`` translates these
enums). The transition tables here are the incident state machine that the
server enforces and that every KPI later reads.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """Who a credential belongs to. Checked by the server on every command."""

    SEAT = "seat"  # a dispatcher workstation
    DEVICE = "device"  # an ambulance's terminal / monitor, bound to one unit
    SWITCH = "switch"  # the phone switch (CTI) that offers calls
    TRAINER = "trainer"  # a trainer's console (simulation only)
    ADMIN = "admin"  # IT; admin work goes through ``dispatch120-server admin``
    HOSPITAL = "hospital"  # a receiving hospital's console (pre-notification); bound to one hospital
    VOLUNTEER = "volunteer"  # a first responder's phone; sees only its own alerts (issue 5)


class SeatState(StrEnum):
    OFFLINE = "offline"  # not connected
    NOT_READY = "not_ready"  # connected, not taking calls
    READY = "ready"  # idle, takes the next call
    BUSY = "busy"  # on a call (ringing or answered)


class CallState(StrEnum):
    QUEUED = "queued"  # waiting for a ready seat
    RINGING = "ringing"  # offered to one seat
    ANSWERED = "answered"
    ENDED = "ended"  # answered, then hung up
    ABANDONED = "abandoned"  # caller hung up before anyone answered


class UnitStatus(StrEnum):
    AVAILABLE = "available"
    DISPATCHED = "dispatched"  # assigned, not yet moving
    EN_ROUTE = "en_route"  # departed towards the scene
    ON_SCENE = "on_scene"
    TRANSPORTING = "transporting"  # left the scene with the patient
    AT_HOSPITAL = "at_hospital"
    OUT_OF_SERVICE = "out_of_service"


class IncidentState(StrEnum):
    OPEN = "open"  # recorded, no unit yet
    DISPATCHED = "dispatched"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    TRANSPORTING = "transporting"
    AT_HOSPITAL = "at_hospital"
    HANDED_OVER = "handed_over"
    CLOSED = "closed"


class CloseReason(StrEnum):
    TRANSPORTED = "transported"  # patient taken to hospital and handed over
    TREATED_ON_SCENE = "treated_on_scene"
    REFUSED = "refused"  # patient refused care or transport
    NO_PATIENT_FOUND = "no_patient_found"
    DECEASED = "deceased"  # death confirmed on scene
    CANCELLED = "cancelled"  # caller cancelled / duplicate / hoax; stands units down
    DUPLICATE = "duplicate"  # same incident already recorded; stands units down


class Milestone(StrEnum):
    """Time-stamped steps of an incident, call to handover; KPIs read these."""

    CALL_RECEIVED = "call_received"
    CALL_ANSWERED = "call_answered"
    INCIDENT_CREATED = "incident_created"
    UNIT_DISPATCHED = "unit_dispatched"
    UNIT_DEPARTED = "unit_departed"
    ON_SCENE = "on_scene"
    LEFT_SCENE = "left_scene"
    AT_HOSPITAL = "at_hospital"
    HANDOVER = "handover"
    CLOSED = "closed"


# Unit status transitions a crew (or a seat on the crew's behalf) may report.
# AVAILABLE -> DISPATCHED is not here: only ``unit.assign`` does that.
UNIT_TRANSITIONS: dict[UnitStatus, frozenset[UnitStatus]] = {
    UnitStatus.AVAILABLE: frozenset({UnitStatus.OUT_OF_SERVICE}),
    UnitStatus.DISPATCHED: frozenset({UnitStatus.EN_ROUTE, UnitStatus.AVAILABLE}),
    UnitStatus.EN_ROUTE: frozenset({UnitStatus.ON_SCENE, UnitStatus.AVAILABLE}),
    UnitStatus.ON_SCENE: frozenset({UnitStatus.TRANSPORTING, UnitStatus.AVAILABLE}),
    UnitStatus.TRANSPORTING: frozenset({UnitStatus.AT_HOSPITAL}),
    UnitStatus.AT_HOSPITAL: frozenset({UnitStatus.AVAILABLE}),
    UnitStatus.OUT_OF_SERVICE: frozenset({UnitStatus.AVAILABLE}),
}

# Statuses in which a unit is committed to an incident.
UNIT_COMMITTED = frozenset(
    {
        UnitStatus.DISPATCHED,
        UnitStatus.EN_ROUTE,
        UnitStatus.ON_SCENE,
        UnitStatus.TRANSPORTING,
        UnitStatus.AT_HOSPITAL,
    }
)

# What a unit's new status means for the incident it serves:
# (status the unit moved to, status it came from or None for any) -> milestone.
UNIT_MILESTONES: dict[UnitStatus, Milestone] = {
    UnitStatus.DISPATCHED: Milestone.UNIT_DISPATCHED,
    UnitStatus.EN_ROUTE: Milestone.UNIT_DEPARTED,
    UnitStatus.ON_SCENE: Milestone.ON_SCENE,
    UnitStatus.TRANSPORTING: Milestone.LEFT_SCENE,
    UnitStatus.AT_HOSPITAL: Milestone.AT_HOSPITAL,
}

# Incident state reached when its first unit reaches a status.
INCIDENT_STATE_FOR_UNIT: dict[UnitStatus, IncidentState] = {
    UnitStatus.DISPATCHED: IncidentState.DISPATCHED,
    UnitStatus.EN_ROUTE: IncidentState.EN_ROUTE,
    UnitStatus.ON_SCENE: IncidentState.ON_SCENE,
    UnitStatus.TRANSPORTING: IncidentState.TRANSPORTING,
    UnitStatus.AT_HOSPITAL: IncidentState.AT_HOSPITAL,
}

INCIDENT_ORDER: tuple[IncidentState, ...] = tuple(IncidentState)

# Close reasons that stand assigned units down instead of requiring them clear.
STAND_DOWN_REASONS = frozenset({CloseReason.CANCELLED, CloseReason.DUPLICATE})


def unit_may_move(current: UnitStatus, new: UnitStatus) -> bool:
    """True if a crew may report ``new`` while the unit is in ``current``."""
    return new in UNIT_TRANSITIONS.get(current, frozenset())


def incident_state_after(current: IncidentState, unit_status: UnitStatus) -> IncidentState:
    """The incident's state once one of its units reached ``unit_status``.

    An incident only moves forward: a second unit arriving later does not set
    it back, and a unit clearing does not move it at all (handover is handled
    by the caller, because it depends on where the unit cleared from).
    """
    target = INCIDENT_STATE_FOR_UNIT.get(unit_status)
    if target is None or current == IncidentState.CLOSED:
        return current
    if INCIDENT_ORDER.index(target) > INCIDENT_ORDER.index(current):
        return target
    return current
