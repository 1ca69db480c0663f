"""Wire tables of hospital pre-notification.

A seat tells the destination hospital what is coming: ``prenotify.send`` (seat) →
the server assembles the *package* (the seat's patient summary, the incident's
triage result and priority, the unit's last vitals, an ECG strip, the ETA),
stores it in its ``prenotifications`` table (not in the log: the ECG is big),
appends ``prenotify.sent`` (ids and flags only) and pushes the package to the
consoles of that hospital only, as a ``prenotify_package`` frame. A hospital
console answers with ``prenotify.ack`` → ``prenotify.acknowledged``, which
reaches every seat and device like any event, and the console again as an
updated ``prenotify_package``.

Hospital consoles (role ``hospital``) never receive events, replays or
snapshots: only ``prenotify_package`` frames addressed to their hospital, and
the acks/errors of their own commands. A hospital credential's ``unit_id`` column
holds the hospital id it speaks for (see :func:`hospital_of`).

Pure types; imports only ``app.protocol.schema``/``errors`` and ``app.protocol.vocabulary``.
"""

from enum import StrEnum
from typing import Any

from app.protocol.schema import UNSET, Envelope, Int, List, NameId, Num, Obj, Opt, Str, Text, Uuid, Wire
from app.protocol.vocabulary import Role


class PatientSex(StrEnum):
    MALE = "male"
    FEMALE = "female"
    UNKNOWN = "unknown"


class Complaint(StrEnum):
    """What the hospital must get ready for; labels in ``widgets/labels.py``."""

    STEMI = "stemi"  # chest pain with ST elevation: cath lab
    CHEST_PAIN = "chest_pain"
    STROKE = "stroke"
    TRAUMA = "trauma"
    CARDIAC_ARREST = "cardiac_arrest"
    OTHER = "other"


class AckResponse(StrEnum):
    RECEIVED = "received"
    CATH_LAB_ACTIVATED = "cath_lab_activated"
    STROKE_TEAM_ACTIVATED = "stroke_team_activated"
    TRAUMA_TEAM_ACTIVATED = "trauma_team_activated"
    DIVERTED = "diverted"  # the hospital cannot take the patient: choose another


MAX_ETA_S = 6 * 3600
MAX_NOTE = 500
MAX_ECG_SECONDS = 12
EtaSeconds = Int(0, MAX_ETA_S)


class PatientSummary(Wire):
    """The dispatcher's summary of the patient for the hospital."""

    age: Opt(Int(0, 130)) = UNSET
    age_estimated: Opt(bool) = UNSET
    sex: PatientSex
    complaint: Complaint
    note: Opt(Text(MAX_NOTE)) = UNSET


SUMMARY = PatientSummary


class PrenotifySend(Wire):
    """Send the package to ``hospital_id``; ``include_ecg`` attaches the unit's last lead II strip."""

    incident_id: Uuid
    hospital_id: NameId
    unit_id: Opt(NameId) = UNSET
    eta_s: Opt(EtaSeconds) = UNSET
    summary: PatientSummary
    include_ecg: bool


class PrenotifyAck(Wire):
    prenotify_id: Uuid
    response: AckResponse
    note: Opt(Text(MAX_NOTE)) = UNSET


class PrenotifySent(Wire):
    """Ids and flags only: the package itself is in the server's ``prenotifications`` table."""

    prenotify_id: Uuid
    incident_id: Uuid
    hospital_id: NameId
    unit_id: Opt(NameId) = UNSET
    eta_s: Opt(EtaSeconds) = UNSET
    complaint: Complaint
    has_vitals: bool
    has_ecg: bool


class PrenotifyAcknowledged(Wire):
    prenotify_id: Uuid
    incident_id: Uuid
    hospital_id: NameId
    response: AckResponse
    note: Opt(Text(MAX_NOTE)) = UNSET


COMMANDS: dict[str, type[Wire]] = {"prenotify.send": PrenotifySend, "prenotify.ack": PrenotifyAck}
EVENTS: dict[str, type[Wire]] = {"prenotify.sent": PrenotifySent, "prenotify.acknowledged": PrenotifyAcknowledged}
COMMAND_ROLES: dict[str, frozenset[Role]] = {
    "prenotify.send": frozenset({Role.SEAT}),
    "prenotify.ack": frozenset({Role.HOSPITAL}),
}


class PackageEcg(Wire):
    """An ECG strip in the package: samples as in a telemetry waveform chunk (``(s - origin) * factor``)."""

    channel: Str(16)
    mdc_code: Str(64)
    start: Str(40)
    period_ms: Num(0.5, 100)
    factor: Num(0, 1e6)
    origin: Int()
    unit: Str(8)
    samples: List(Int(), int(MAX_ECG_SECONDS * 2000))
    strip_id: Opt(Uuid) = UNSET


class Package(Wire):
    """The package as the hospital receives it (built by the server; checked by the console).

    ``triage`` is the incident's triage result (``app/domain/triage.py``) or null; ``vitals`` the
    unit's last vitals ``{"t": device time, "hr": …, "spo2": …}`` (names of ``VITAL_RANGES``) or null.
    """

    prenotify_id: Uuid
    incident_id: Uuid
    hospital_id: NameId
    hospital_name: Str(200)
    unit_id: Opt(NameId) = UNSET
    call_sign: Opt(Str(64)) = UNSET
    sent_at: Str(40)
    sent_by: NameId
    eta_s: Opt(EtaSeconds) = UNSET
    summary: PatientSummary
    priority: Opt(Int(1, 4)) = UNSET
    triage: Opt(Obj) = UNSET
    vitals: Opt(Obj) = UNSET
    ecg: Opt(PackageEcg) = UNSET


PACKAGE = Package


class PackageAck(Wire):
    response: AckResponse
    note: Opt(Text(MAX_NOTE)) = UNSET
    at: Str(40)
    by: Opt(NameId) = UNSET


class PrenotifyPackage(Envelope, tag="prenotify_package"):
    """Server → the consoles of that hospital: the package, and its acknowledgement once there is one."""

    package: Package
    acknowledged: Opt(PackageAck) = UNSET


ENVELOPES: dict[str, type[Envelope]] = {"prenotify_package": PrenotifyPackage}
CLIENT_TYPES: frozenset[str] = frozenset()
SERVER_TYPES = frozenset({"prenotify_package"})


def hospital_of(principal: Any) -> str | None:
    """The hospital a hospital console speaks for (its credential's bound id), else None."""
    if getattr(principal, "role", None) != Role.HOSPITAL:
        return None
    return getattr(principal, "unit_id", None)


def prenotify_package(package: dict[str, Any], acknowledged: dict[str, Any] | None) -> dict[str, Any]:
    """The server → hospital console frame (not validated here)."""
    return {"v": 1, "type": "prenotify_package", "package": package, "acknowledged": acknowledged}
