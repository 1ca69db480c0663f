"""The pending queue: incidents waiting for a suitable unit, most urgent first.

An incident **waits** while it is open, not closed, and has no unit assigned. The
queue is ordered by priority (1 = most urgent; an incident not yet triaged comes
after every triaged one) and then by waiting time (created earlier first).

When a unit becomes available, :func:`suggest_for` names the most urgent waiting
incident that unit suits (its capability matches the triage plan or is above it;
an untriaged incident takes any unit). The seat shows that as a banner; the
dispatcher decides.

Pure: ``now`` is passed in; timestamps are the protocol's ISO 8601 strings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.dispatch.recommend import Match, capability_match
from app.domain.model import IncidentState
from app.domain.triage import plan_of
from app.protocol.codec import parse_ts

UNTRIAGED = 99  # sorts after priorities 1..4


@dataclass(frozen=True)
class Waiting:
    incident_id: str
    priority: int | None
    capability: str | None  # the triage plan's, or None
    created_at: str
    waiting_s: float | None  # None if a timestamp is unreadable


def needed_capability(incident: Mapping[str, Any]) -> str | None:
    """The triage plan's capability (the result's, else the provisional plan set when a cardiac
    arrest was recognised: :func:`app.domain.triage.plan_of`), or None."""
    return (plan_of(incident) or {}).get("capability")


def _waiting_s(created_at: str, now: datetime) -> float | None:
    try:
        return max(0.0, (now - parse_ts(created_at)).total_seconds())
    except (ValueError, TypeError):
        return None


def queue(incidents: Iterable[Mapping[str, Any]], now: datetime) -> list[Waiting]:
    """Open incidents without any unit, most urgent first."""
    out = []
    for i in incidents:
        if i.get("state") != IncidentState.OPEN or i.get("units"):
            continue
        priority = i.get("priority") if isinstance(i.get("priority"), int) else None
        out.append(Waiting(str(i["incident_id"]), priority, needed_capability(i), str(i.get("created_at") or ""),
                           _waiting_s(str(i.get("created_at") or ""), now)))
    out.sort(key=lambda w: (w.priority if w.priority is not None else UNTRIAGED, w.created_at, w.incident_id))
    return out


def suits(unit: Mapping[str, Any], waiting: Waiting) -> bool:
    """The unit can serve the incident: its capability is the plan's or above it (or no plan yet)."""
    return capability_match(str(unit.get("capability") or ""), waiting.capability) in (
        Match.MATCH, Match.ABOVE, Match.NO_PLAN)


def suggest_for(unit: Mapping[str, Any], waiting: Iterable[Waiting]) -> Waiting | None:
    """The most urgent waiting incident this (newly available) unit suits, or None."""
    return next((w for w in waiting if suits(unit, w)), None)
