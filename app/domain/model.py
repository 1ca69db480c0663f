"""Domain vocabulary: roles, call/seat/unit/incident states and their transitions.

The enums are the wire's (:mod:`app.protocol.vocabulary`, re-exported here so domain code
has one place to import from); the transition tables here are the incident state machine
that the server enforces and that every KPI later reads. Pure data, no I/O.
"""

from __future__ import annotations

from app.protocol.vocabulary import (
    CallState,
    CloseReason,
    IncidentState,
    Milestone,
    Role,
    SeatState,
    UnitStatus,
)

__all__ = [
    "INCIDENT_ORDER",
    "INCIDENT_STATE_FOR_UNIT",
    "STAND_DOWN_REASONS",
    "UNIT_COMMITTED",
    "UNIT_MILESTONES",
    "UNIT_TRANSITIONS",
    "CallState",
    "CloseReason",
    "IncidentState",
    "Milestone",
    "Role",
    "SeatState",
    "UnitStatus",
    "incident_state_after",
    "unit_may_move",
]


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
