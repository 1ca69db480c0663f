"""Wire tables of hospital pre-notification (issue 6, item 6).

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

Pure tables; imports only ``app.protocol.schema``/``errors`` and ``app.domain.model``.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from app.domain.model import Role
from app.protocol.schema import Field, opt


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

SUMMARY: dict[str, Field] = {
    "age": opt("int", min=0, max=130),
    "age_estimated": opt("bool"),
    "sex": Field("str", choices=frozenset(s.value for s in PatientSex)),
    "complaint": Field("str", choices=frozenset(c.value for c in Complaint)),
    "note": opt("str", max_len=MAX_NOTE),
}
_RESPONSE = Field("str", choices=frozenset(r.value for r in AckResponse))

COMMANDS: dict[str, Mapping[str, Field]] = {
    "prenotify.send": {
        "incident_id": Field("uuid"),
        "hospital_id": Field("id"),
        "unit_id": opt("id"),
        "eta_s": opt("int", min=0, max=MAX_ETA_S),
        "summary": Field("object", fields=SUMMARY),
        "include_ecg": Field("bool"),
    },
    "prenotify.ack": {
        "prenotify_id": Field("uuid"),
        "response": _RESPONSE,
        "note": opt("str", max_len=MAX_NOTE),
    },
}
EVENTS: dict[str, Mapping[str, Field]] = {
    "prenotify.sent": {
        "prenotify_id": Field("uuid"),
        "incident_id": Field("uuid"),
        "hospital_id": Field("id"),
        "unit_id": opt("id"),
        "eta_s": opt("int", min=0, max=MAX_ETA_S),
        "complaint": Field("str", choices=frozenset(c.value for c in Complaint)),
        "has_vitals": Field("bool"),
        "has_ecg": Field("bool"),
    },
    "prenotify.acknowledged": {
        "prenotify_id": Field("uuid"),
        "incident_id": Field("uuid"),
        "hospital_id": Field("id"),
        "response": _RESPONSE,
        "note": opt("str", max_len=MAX_NOTE),
    },
}
COMMAND_ROLES: dict[str, frozenset[Role]] = {
    "prenotify.send": frozenset({Role.SEAT}),
    "prenotify.ack": frozenset({Role.HOSPITAL}),
}

# The package as the hospital receives it (built by server_stub/prenotify.py; checked by the console).
_ECG: dict[str, Field] = {
    "channel": Field("str", max_len=16),
    "mdc_code": Field("str", max_len=64),
    "start": Field("str", max_len=40),
    "period_ms": Field("float", min=0.5, max=100),
    "factor": Field("float", min=0, max=1e6),
    "origin": Field("int"),
    "unit": Field("str", max_len=8),
    "samples": Field("list", max_len=int(MAX_ECG_SECONDS * 2000), item=Field("int")),
    "strip_id": opt("uuid"),
}
PACKAGE: dict[str, Field] = {
    "prenotify_id": Field("uuid"),
    "incident_id": Field("uuid"),
    "hospital_id": Field("id"),
    "hospital_name": Field("str", max_len=200),
    "unit_id": opt("id"),
    "call_sign": opt("str", max_len=64),
    "sent_at": Field("str", max_len=40),
    "sent_by": Field("id"),
    "eta_s": opt("int", min=0, max=MAX_ETA_S),
    "summary": Field("object", fields=SUMMARY),
    "priority": opt("int", min=1, max=4),
    "triage": opt("object"),  # the incident's triage result (app/domain/triage.py), or null
    "vitals": opt("object"),  # {"t": device time, "hr": …, "spo2": …} — VITAL_RANGES names
    "ecg": opt("object", fields=_ECG),
}
ACK: dict[str, Field] = {
    "response": _RESPONSE,
    "note": opt("str", max_len=MAX_NOTE),
    "at": Field("str", max_len=40),
    "by": opt("id"),
}

ENVELOPES: dict[str, Mapping[str, Field]] = {
    "prenotify_package": {
        "package": Field("object", fields=PACKAGE),
        "acknowledged": opt("object", fields=ACK),
    },
}
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
