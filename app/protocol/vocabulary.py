"""The wire vocabulary: roles and the states of calls, seats, units and incidents.

These values travel in messages (a credential's role, a unit's status, an incident's
close reason), so they belong to the protocol; :mod:`app.domain.model` re-exports them
beside the transition tables that give them meaning. Pure data, no user-facing text
(``widgets/labels.py`` translates these enums).
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
    VOLUNTEER = "volunteer"  # a first responder's phone; sees only its own alerts
    WALL = "wall"  # the centre's wall display: read-only, sends no command, sees no caller
    SUPERVISOR = "supervisor"  # a shift supervisor's dashboard: the wall's view, plus every KPI (GET /kpi)


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
