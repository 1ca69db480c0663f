"""Triage and telephone CPR in the incident record: projection, commands, time targets.

What the projection keeps on an incident (created on the first triage event)::

    incident["triage"] = {
        "path": [{"protocol", "protocol_version", "question", "answer", "at"}, ...],  # audited, in order
        "result": None | {"protocol", "protocol_version", "determinant", "priority", "plan",
                          "capability", "cpr", "at"},
        "arrest": None | {"recognised_at": server ts, "client_at": the seat's clock},
        "provisional": {"protocol": "cardiac_arrest", "priority", "plan", "capability", "at"}
                       # only after an arrest recognised with a plan; see plan_of()
        "cpr": None | {"started_at", "rate_per_min", "variant", "stopped_at", "compressions", "reason"},
    }
    incident["milestones"]["arrest_recognised"]              # first triage.arrest_recognised (server ts)
    incident["milestones"]["first_compression_instruction"]  # first cpr.started (server ts)

``triage.completed`` also sets ``incident["priority"]``, so the queue, the
form and every KPI see the triage's priority without a second event.
``triage.arrest_recognised`` with a plan (priority I, the arrest protocol's plan)
sets the priority and a *provisional* plan at the moment of recognition, before
the arrest protocol reaches its determinant; :func:`plan_of` is what readers use
(the result once there is one, else the provisional plan).

Time targets (AHA telecommunicator-CPR performance goals): arrest recognised
within 60 s of the call being answered, first compression instruction within
90 s. :func:`recognition_time` and :func:`first_compression_time` return the
seconds and whether the target was met — numbers and booleans, no text.

Pure: no I/O, no clock. Imports only ``app.domain.common``/``model`` and
``app.protocol`` (see ``app.domain.features``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from app.domain.common import EventDraft, Principal, need_incident, refuse
from app.domain.model import Milestone
from app.protocol.codec import parse_ts
from app.protocol.errors import ErrorCode


class TriageMilestone(StrEnum):
    """Milestones of the telephone-CPR pathway, next to :class:`~app.domain.model.Milestone`."""

    ARREST_RECOGNISED = "arrest_recognised"
    FIRST_COMPRESSION_INSTRUCTION = "first_compression_instruction"


# AHA telecommunicator CPR performance goals (2020 update of the 2016 TCPR
# recommendations): recognise the arrest within 60 s of answering, first
# compression within 90 s.
RECOGNITION_TARGET_S = 60
FIRST_COMPRESSION_TARGET_S = 90


# ---------------------------------------------------------------- time targets


@dataclass(frozen=True)
class TargetTime:
    """Seconds from the call being answered to a milestone, against a target.

    ``seconds`` is None when either milestone is missing; ``met`` is then None too.
    """

    seconds: float | None
    target_s: int

    @property
    def met(self) -> bool | None:
        return None if self.seconds is None else self.seconds <= self.target_s


def seconds_between(start: str | None, end: str | None) -> float | None:
    """Seconds from one protocol timestamp to another; None if either is missing or unreadable."""
    if not start or not end:
        return None
    try:
        return (parse_ts(end) - parse_ts(start)).total_seconds()
    except ValueError:
        return None


def _target(incident: dict[str, Any], milestone: str, target_s: int) -> TargetTime:
    milestones = incident.get("milestones") or {}
    return TargetTime(seconds_between(milestones.get(Milestone.CALL_ANSWERED.value), milestones.get(milestone)),
                      target_s)


def recognition_time(incident: dict[str, Any]) -> TargetTime:
    """Call answered → arrest recognised, against 60 s."""
    return _target(incident, TriageMilestone.ARREST_RECOGNISED, RECOGNITION_TARGET_S)


def first_compression_time(incident: dict[str, Any]) -> TargetTime:
    """Call answered → first compression instruction (``cpr.started``), against 90 s."""
    return _target(incident, TriageMilestone.FIRST_COMPRESSION_INSTRUCTION, FIRST_COMPRESSION_TARGET_S)


def elapsed_against(answered_at: str | None, now: str, target_s: int) -> TargetTime:
    """A live timer: seconds since the call was answered until ``now`` (still running)."""
    return TargetTime(seconds_between(answered_at, now), target_s)


# ---------------------------------------------------------------- projection

ARREST_PROTOCOL = "cardiac_arrest"  # the chief complaint a recognised arrest continues in


def plan_of(incident: Mapping[str, Any]) -> dict[str, Any] | None:
    """The incident's triage plan: the result once a determinant is reached, else the provisional
    plan set when a cardiac arrest was recognised (``"provisional": True``), else None."""
    triage = incident.get("triage") or {}
    if triage.get("result"):
        return triage["result"]
    provisional = triage.get("provisional")
    return provisional | {"provisional": True} if provisional else None


def arrest_plan(protocol_set: Any) -> dict[str, Any] | None:
    """``{"priority", "plan", "capability"}`` to send with ``triage.arrest_recognised``: what the
    arrest protocol's determinants call for (priority I, ALS emergency; a centre's override
    included), from a loaded :class:`app.triage.model.ProtocolSet`. None without that protocol."""
    protocol = getattr(protocol_set, "protocols", {}).get(ARREST_PROTOCOL) if protocol_set is not None else None
    if protocol is None or not protocol.determinants:
        return None
    first = protocol.determinants[min(protocol.determinants)]
    return {"priority": first.priority, "plan": first.plan.id, "capability": str(first.plan.capability.value)}



def _triage(incident: dict[str, Any]) -> dict[str, Any]:
    return incident.setdefault("triage", {"path": [], "result": None, "arrest": None, "cpr": None})


def _on_answered(state: Any, d: dict, ts: str):
    incident = state.incidents.get(d["incident_id"])
    if incident is None:
        return False
    _triage(incident)["path"].append(
        {k: d[k] for k in ("protocol", "protocol_version", "question", "answer")} | {"at": ts}
    )
    incident["updated_at"] = ts


def _on_completed(state: Any, d: dict, ts: str):
    incident = state.incidents.get(d["incident_id"])
    if incident is None:
        return False
    result = {k: d[k] for k in ("protocol", "protocol_version", "determinant", "priority", "plan",
                                "capability", "cpr")}
    _triage(incident)["result"] = result | {"at": ts}
    incident["priority"] = d["priority"]
    incident["updated_at"] = ts


def _on_arrest_recognised(state: Any, d: dict, ts: str):
    incident = state.incidents.get(d["incident_id"])
    if incident is None:
        return False
    triage = _triage(incident)
    if triage["arrest"] is None:
        triage["arrest"] = {"recognised_at": ts, "client_at": d["at"]}
    if d.get("plan") and triage["result"] is None:
        triage["provisional"] = {"protocol": ARREST_PROTOCOL, "priority": d["priority"], "plan": d["plan"],
                                 "capability": d["capability"], "at": ts}
        incident["priority"] = d["priority"]
    incident["milestones"].setdefault(TriageMilestone.ARREST_RECOGNISED.value, ts)
    incident["updated_at"] = ts


def _on_cpr_started(state: Any, d: dict, ts: str):
    incident = state.incidents.get(d["incident_id"])
    if incident is None:
        return False
    triage = _triage(incident)
    previous = triage["cpr"] or {}
    triage["cpr"] = {
        "started_at": previous.get("started_at") or ts,
        "rate_per_min": d["rate_per_min"],
        "variant": d["variant"],
        "stopped_at": None,
        "compressions": previous.get("compressions", 0),
        "reason": None,
    }
    incident["milestones"].setdefault(TriageMilestone.FIRST_COMPRESSION_INSTRUCTION.value, ts)
    incident["updated_at"] = ts


def _on_cpr_stopped(state: Any, d: dict, ts: str):
    incident = state.incidents.get(d["incident_id"])
    if incident is None:
        return False
    triage = _triage(incident)
    cpr = triage["cpr"] or {"started_at": None, "rate_per_min": None, "variant": None}
    triage["cpr"] = cpr | {"stopped_at": ts, "compressions": d["compressions"], "reason": d["reason"]}
    incident["updated_at"] = ts


EVENT_HANDLERS = {
    "triage.answered": _on_answered,
    "triage.completed": _on_completed,
    "triage.arrest_recognised": _on_arrest_recognised,
    "cpr.started": _on_cpr_started,
    "cpr.stopped": _on_cpr_stopped,
}


# ---------------------------------------------------------------- commands


def _answer(state: Any, who: Principal, a: dict) -> list[EventDraft]:
    need_incident(state, a["incident_id"])
    return [("triage.answered", dict(a))]


def _complete(state: Any, who: Principal, a: dict) -> list[EventDraft]:
    need_incident(state, a["incident_id"])
    return [("triage.completed", dict(a))]


def _arrest_recognised(state: Any, who: Principal, a: dict) -> list[EventDraft]:
    incident = need_incident(state, a["incident_id"])
    given = [a.get(k) is not None for k in ("priority", "plan", "capability")]
    if any(given) and not all(given):
        raise refuse(ErrorCode.INVALID_ARGS, "a provisional plan needs priority, plan and capability together")
    if TriageMilestone.ARREST_RECOGNISED.value in incident["milestones"]:
        return []  # recognised already (a resend, a second seat): the first moment counts
    return [("triage.arrest_recognised", dict(a))]


def _cpr_started(state: Any, who: Principal, a: dict) -> list[EventDraft]:
    need_incident(state, a["incident_id"])
    return [("cpr.started", dict(a))]


def _cpr_stopped(state: Any, who: Principal, a: dict) -> list[EventDraft]:
    incident = need_incident(state, a["incident_id"])
    cpr = (incident.get("triage") or {}).get("cpr")
    if cpr is None or cpr.get("stopped_at") is not None:
        raise refuse(ErrorCode.ILLEGAL_TRANSITION, f"no telephone CPR is running for incident {a['incident_id']}")
    return [("cpr.stopped", dict(a))]


COMMAND_HANDLERS = {
    "triage.answer": _answer,
    "triage.complete": _complete,
    "triage.arrest_recognised": _arrest_recognised,
    "cpr.started": _cpr_started,
    "cpr.stopped": _cpr_stopped,
}
