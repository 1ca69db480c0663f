"""Wire tables of the triage questionnaire and the telephone-CPR coach.

Commands a seat sends while it questions a caller, and the events they
become. The server does not hold the protocol files: it checks the *shape*
of what the seat reports (ids, a determinant code like ``09-E-1``, a priority
1..4, a known capability) and records it; the seat's protocol engine is what
chose the question, answer and determinant. See ``docs/protocol.md`` §
"Triage and telephone CPR".

Imports only ``app.protocol.schema`` and ``app.protocol.vocabulary`` (see ``app.protocol.features``).
"""

import re

from app.protocol.schema import UNSET, Int, NameId, Opt, Str, Uuid, Wire, choice, fail
from app.protocol.vocabulary import Role

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

ProtocolVersion = Str(32)
Capability = choice(CAPABILITIES)


ANSWER_SOURCES = frozenset({"caller", "switch"})


class TriageAnswer(Wire):
    """One answer to one question of a protocol (ids from the protocol files). ``source``:
    ``switch`` when the answer was taken from the call without asking (the callback number the
    phone switch delivered); absent or ``caller``: the caller's answer."""

    incident_id: Uuid
    protocol: NameId
    protocol_version: ProtocolVersion
    question: NameId
    answer: NameId
    source: Opt(choice(ANSWER_SOURCES)) = UNSET


class TriageComplete(Wire):
    """The determinant the seat's protocol engine reached, with its priority, plan and capability."""

    incident_id: Uuid
    protocol: NameId
    protocol_version: ProtocolVersion
    determinant: Str(16)
    priority: Int(1, 4)
    plan: NameId
    capability: Capability
    cpr: bool

    def __post_init__(self) -> None:
        if not DETERMINANT_RE.match(self.determinant):
            fail("determinant", "not a determinant code like 10-D-1")


class ArrestRecognised(Wire):
    """The dispatcher recognised a cardiac arrest.

    ``at`` is the seat's clock; the event's ``ts`` (server time) is the milestone. ``priority``,
    ``plan`` and ``capability`` are the provisional plan set at recognition: all three or none
    (older seats sent none).
    """

    incident_id: Uuid
    at: Str(40)
    priority: Opt(Int(1, 4)) = UNSET
    plan: Opt(NameId) = UNSET
    capability: Opt(Capability) = UNSET

    def __post_init__(self) -> None:
        if not CLIENT_TIME_RE.match(self.at):
            fail("at", "not an ISO 8601 time like 2026-11-27T03:20:41.250Z")


class CprStarted(Wire):
    """The CPR coach started: the metronome's rate and what was coached (:data:`CPR_VARIANTS`)."""

    incident_id: Uuid
    rate_per_min: Int(CPR_RATE_MIN, CPR_RATE_MAX)
    variant: choice(CPR_VARIANTS)


class CprStopped(Wire):
    incident_id: Uuid
    compressions: Int(0, 1_000_000)
    reason: choice(CPR_STOP_REASONS)


COMMANDS: dict[str, type[Wire]] = {
    "triage.answer": TriageAnswer,
    "triage.complete": TriageComplete,
    "triage.arrest_recognised": ArrestRecognised,
    "cpr.started": CprStarted,
    "cpr.stopped": CprStopped,
}

EVENTS: dict[str, type[Wire]] = {
    "triage.answered": TriageAnswer,
    "triage.completed": TriageComplete,
    "triage.arrest_recognised": ArrestRecognised,
    "cpr.started": CprStarted,
    "cpr.stopped": CprStopped,
}


COMMAND_ROLES: dict[str, frozenset[Role]] = {name: frozenset({Role.SEAT}) for name in COMMANDS}
