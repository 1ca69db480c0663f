"""Wire tables of the triage questionnaire and the telephone-CPR coach (issue 4).

Commands a seat sends while it questions a caller, and the events they
become. The server does not hold the protocol files: it checks the *shape*
of what the seat reports (ids, a determinant code like ``09-E-1``, a priority
1..4, a known capability) and records it; the seat's protocol engine is what
chose the question, answer and determinant. See ``docs/protocol.md`` §
"Triage and telephone CPR".

Imports only ``app.protocol.schema`` and ``app.domain.model`` (see ``app.protocol.features``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from app.domain.model import Role
from app.protocol.schema import Field, opt

# A determinant code: two-digit chief complaint, a level letter, a number (``10-D-1``).
DETERMINANT_RE = re.compile(r"^[0-9]{2}-[A-Z]-[0-9]{1,3}$")
# A client clock reading: ISO 8601 UTC, like the protocol's own timestamps.
CLIENT_TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$")

CAPABILITIES = frozenset({"als", "bls", "negative_pressure"})
# What the CPR coach taught, for the record: the patient (adult, child 1 year to puberty, infant under 1)
# and, when the method calls for rescue breaths (asphyxial arrest, children, infants: ERC 2021 / AHA),
# whether the caller gave them: ``<patient>_breaths`` = 5 rescue breaths, then 30 compressions : 2
# breaths; ``<patient>_no_breaths`` = breaths were coached but the caller could not or would not, so
# compressions only. A bare ``<patient>`` = compression-only CPR without breaths being coached
# (adult presumed cardiac arrest; older seats sent only these three).
CPR_PATIENTS = ("adult", "child", "infant")
CPR_VARIANTS = frozenset(CPR_PATIENTS) | {f"{p}{suffix}" for p in CPR_PATIENTS for suffix in ("_breaths", "_no_breaths")}
CPR_STOP_REASONS = frozenset({"ems_arrived", "rosc", "other"})
# Compression rate the coach may set (AHA/ERC: 100–120 per minute).
CPR_RATE_MIN = 100
CPR_RATE_MAX = 120


def _determinant_problem(value: str) -> str | None:
    return None if DETERMINANT_RE.match(value) else "not a determinant code like 10-D-1"


def _client_time_problem(value: str) -> str | None:
    return None if CLIENT_TIME_RE.match(value) else "not an ISO 8601 time like 2026-11-27T03:20:41.250Z"


INCIDENT = Field("uuid")
PROTOCOL = Field("id")
PROTOCOL_VERSION = Field("str", max_len=32)
DETERMINANT = Field("str", max_len=16, check=_determinant_problem)

_ANSWER: dict[str, Field] = {
    "incident_id": INCIDENT,
    "protocol": PROTOCOL,
    "protocol_version": PROTOCOL_VERSION,
    "question": Field("id"),
    "answer": Field("id"),
}
_COMPLETE: dict[str, Field] = {
    "incident_id": INCIDENT,
    "protocol": PROTOCOL,
    "protocol_version": PROTOCOL_VERSION,
    "determinant": DETERMINANT,
    "priority": Field("int", min=1, max=4),
    "plan": Field("id"),
    "capability": Field("str", choices=CAPABILITIES),
    "cpr": Field("bool"),
}
_ARREST: dict[str, Field] = {
    "incident_id": INCIDENT,
    # When the seat's dispatcher recognised the arrest, by the seat's clock;
    # the event's ``ts`` (server time) is the milestone.
    "at": Field("str", max_len=40, check=_client_time_problem),
    # The provisional plan set at recognition (the arrest protocol's priority I plan), so the
    # recommendation and an early dispatch use it before the arrest determinant is reached.
    # All three or none (older seats sent none).
    "priority": opt("int", min=1, max=4),
    "plan": opt("id"),
    "capability": opt("str", choices=CAPABILITIES),
}
_CPR_STARTED: dict[str, Field] = {
    "incident_id": INCIDENT,
    "rate_per_min": Field("int", min=CPR_RATE_MIN, max=CPR_RATE_MAX),
    "variant": Field("str", choices=CPR_VARIANTS),
}
_CPR_STOPPED: dict[str, Field] = {
    "incident_id": INCIDENT,
    "compressions": Field("int", min=0, max=1_000_000),
    "reason": Field("str", choices=CPR_STOP_REASONS),
}

COMMANDS: dict[str, Mapping[str, Field]] = {
    "triage.answer": _ANSWER,
    "triage.complete": _COMPLETE,
    "triage.arrest_recognised": _ARREST,
    "cpr.started": _CPR_STARTED,
    "cpr.stopped": _CPR_STOPPED,
}

EVENTS: dict[str, Mapping[str, Field]] = {
    "triage.answered": _ANSWER,
    "triage.completed": _COMPLETE,
    "triage.arrest_recognised": _ARREST,
    "cpr.started": _CPR_STARTED,
    "cpr.stopped": _CPR_STOPPED,
}


COMMAND_ROLES: dict[str, frozenset[Role]] = {name: frozenset({Role.SEAT}) for name in COMMANDS}
