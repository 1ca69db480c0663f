"""The caller's location and repeat calls: pure decisions, projection and command handlers.

What the seat asks of a call's location candidates (``call["locations"]``,
shapes in :mod:`app.protocol.location`):

* :func:`rank_candidates` — best first: candidates with a position before
  text-only ones (a landline's registered address), a known accuracy before an
  unknown one, fresh (≤ :data:`STALE_AFTER_S`) before stale, then the smallest
  accuracy; GPS wins a tie.
* :func:`disagreements` — pairs of candidates further apart than the sum of
  their accuracies (they cannot both be right).
* :func:`find_repeats` — open incidents this call may be about: the same
  number called within the window, or the incident's position lies within the
  radius of the call's best candidate.

And the wire's commands/events (``call.add_location``, ``incident.locate``,
``call.attach``), registered through :mod:`app.domain.features`.

Pure: no I/O, no clock (``now`` is passed in), no user-facing text. Functions
never raise on odd candidates from a newer server or a buggy switch: a
candidate that is not a mapping or has a position out of range is treated as
having no position.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, NamedTuple

from app.domain.common import EventDraft, Principal, need_call, need_incident, refuse
from app.domain.model import CallState, IncidentState
from app.protocol.codec import parse_ts
from app.protocol.errors import ErrorCode
from app.protocol.location import MAX_CANDIDATES

STALE_AFTER_S = 600.0
EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG); haversine error < 0.5 % — ample for "±35 m"
DEFAULT_REPEAT_RADIUS_M = 200.0
DEFAULT_REPEAT_WINDOW_S = 3600.0
_SOURCE_PREFERENCE = {"gps": 0, "caller_link": 1, "wifi": 2, "cell": 3, "landline_address": 4}

Candidate = Mapping[str, Any]


# ---------------------------------------------------------------- candidates


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS-84 positions (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def position(candidate: Any) -> tuple[float, float] | None:
    """``(lat, lon)`` of a candidate, or None if it has none or a position out of range."""
    if not isinstance(candidate, Mapping):
        return None
    lat, lon = _number(candidate.get("lat")), _number(candidate.get("lon"))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


def accuracy_m(candidate: Any) -> float | None:
    """The candidate's accuracy radius in metres; None when unknown (or nonsense: ≤ 0)."""
    if not isinstance(candidate, Mapping):
        return None
    value = _number(candidate.get("accuracy_m"))
    return value if value is not None and value > 0 else None


def age_s(candidate: Any, now: datetime) -> float | None:
    """Seconds since the fix was taken; None when the candidate has no (readable) time."""
    if not isinstance(candidate, Mapping) or not isinstance(candidate.get("at"), str):
        return None
    try:
        at = parse_ts(candidate["at"])
    except (ValueError, TypeError):
        return None
    return max(0.0, (now - at).total_seconds())


def is_stale(candidate: Any, now: datetime) -> bool:
    """Older than :data:`STALE_AFTER_S`. A candidate with no time is not called stale."""
    age = age_s(candidate, now)
    return age is not None and age > STALE_AFTER_S


def rank_candidates(locations: Iterable[Any] | None, now: datetime) -> list[dict[str, Any]]:
    """The call's candidates, best first (see the module docstring); non-mappings dropped."""
    usable = [c for c in (locations or ()) if isinstance(c, Mapping)]

    def key(item: tuple[int, Candidate]) -> tuple:
        index, c = item
        acc = accuracy_m(c)
        return (
            position(c) is None,
            acc is None,
            is_stale(c, now),
            acc if acc is not None else math.inf,
            _SOURCE_PREFERENCE.get(str(c.get("source")), 9),
            index,
        )

    return [dict(c) for _i, c in sorted(enumerate(usable), key=key)]


def best_candidate(locations: Iterable[Any] | None, now: datetime) -> dict[str, Any] | None:
    ranked = rank_candidates(locations, now)
    return ranked[0] if ranked else None


class Disagreement(NamedTuple):
    """Two candidates further apart than their accuracies allow."""

    a: dict[str, Any]
    b: dict[str, Any]
    distance_m: float


def disagreements(locations: Iterable[Any] | None) -> list[Disagreement]:
    """Pairs of positioned candidates with known accuracy whose distance exceeds acc_a + acc_b.

    Largest distance first. Candidates with no position or no accuracy cannot
    be judged and are left out.
    """
    judged = [dict(c) for c in (locations or ()) if position(c) is not None and accuracy_m(c) is not None]
    found: list[Disagreement] = []
    for i, a in enumerate(judged):
        for b in judged[i + 1 :]:
            d = distance_m(*position(a), *position(b))  # type: ignore[misc]
            if d > accuracy_m(a) + accuracy_m(b):  # type: ignore[operator]
                found.append(Disagreement(a, b, d))
    found.sort(key=lambda x: -x.distance_m)
    return found


# ---------------------------------------------------------------- repeat calls


class RepeatMatch(NamedTuple):
    """An open incident this call may be about, with what the banner says about it.

    ``reason`` is ``"same_number"`` or ``"nearby"``; ``since_s``: how long ago the
    earlier call (or the incident) was; ``distance_m``: how far (``nearby`` only).
    """

    incident_id: str
    reason: str
    since_s: float
    distance_m: float | None = None


def _seconds_between(earlier: str | None, now: datetime) -> float | None:
    if not earlier:
        return None
    try:
        return (now - parse_ts(earlier)).total_seconds()
    except (ValueError, TypeError):
        return None


def _incident_call_ids(incident: Mapping[str, Any]) -> list[str]:
    ids = [incident["call_id"]] if incident.get("call_id") else []
    return ids + [c for c in incident.get("calls") or () if c not in ids]


def find_repeats(
    state: Any,
    call: Mapping[str, Any],
    *,
    radius_m: float = DEFAULT_REPEAT_RADIUS_M,
    window_s: float = DEFAULT_REPEAT_WINDOW_S,
    now: datetime,
) -> list[tuple[str, str]]:
    """``(incident_id, reason)`` of each open incident this call may repeat; see :func:`match_repeats`."""
    return [(m.incident_id, m.reason) for m in match_repeats(state, call, radius_m=radius_m, window_s=window_s, now=now)]


def match_repeats(
    state: Any,
    call: Mapping[str, Any],
    *,
    radius_m: float = DEFAULT_REPEAT_RADIUS_M,
    window_s: float = DEFAULT_REPEAT_WINDOW_S,
    now: datetime,
) -> list[RepeatMatch]:
    """Open incidents this call may repeat, most recent first, at most one entry per incident.

    ``same_number``: the caller's number is the incident's callback number (incident
    created within ``window_s``) or the number of a call of the incident (received
    within ``window_s``). ``nearby``: the incident was created within ``window_s`` and
    its position is within ``radius_m`` of the call's best candidate. The incident the
    call already belongs to is never a repeat.
    """
    number = call.get("caller_number")
    best = best_candidate(call.get("locations"), now)
    here = position(best)
    found: list[RepeatMatch] = []
    for incident in state.incidents.values():
        if incident.get("state") == IncidentState.CLOSED or incident["incident_id"] == call.get("incident_id"):
            continue
        created_s = _seconds_between(incident.get("created_at"), now)
        same: list[float] = []
        if number and incident.get("callback_number") == number and created_s is not None:
            same.append(created_s)
        for call_id in _incident_call_ids(incident):
            other = state.calls.get(call_id)
            if other is None or other.get("call_id") == call.get("call_id"):
                continue
            if number and other.get("caller_number") == number:
                since = _seconds_between(other.get("received_at"), now)
                if since is not None:
                    same.append(since)
        same = [s for s in same if s <= window_s]
        if same:
            found.append(RepeatMatch(incident["incident_id"], "same_number", max(0.0, min(same))))
            continue
        there = position(incident.get("location"))
        if here is not None and there is not None and created_s is not None and created_s <= window_s:
            d = distance_m(*here, *there)
            if d <= radius_m:
                found.append(RepeatMatch(incident["incident_id"], "nearby", max(0.0, created_s), d))
    found.sort(key=lambda r: (r.reason != "same_number", r.since_s))
    return found


# ---------------------------------------------------------------- projection


def _call_location_added(state: Any, d: dict, ts: str):
    call = state.calls.get(d["call_id"])
    if call is None:
        return False
    call.setdefault("locations", []).append(dict(d["location"]))


def _incident_located(state: Any, d: dict, ts: str):
    incident = state.incidents.get(d["incident_id"])
    if incident is None:
        return False
    incident["location"] = {
        "lat": d["lat"],
        "lon": d["lon"],
        "source": d["source"],
        "candidate_source": d.get("candidate_source"),
        "address": d.get("address"),
        "set_by": d["seat_id"],
        "at": ts,
    }
    incident["updated_at"] = ts


def _call_attached(state: Any, d: dict, ts: str):
    call = state.calls.get(d["call_id"])
    incident = state.incidents.get(d["incident_id"])
    if call is None or incident is None:
        return False
    call["incident_id"] = d["incident_id"]
    calls = incident.setdefault("calls", [])
    if d["call_id"] not in calls:
        calls.append(d["call_id"])
    incident["updated_at"] = ts


def location_address(incident: dict[str, Any]) -> str | None:
    """The address of the incident's confirmed location (the candidate's, the search result's or
    the seat's reverse lookup of the position, sent with ``incident.locate``), or None."""
    return ((incident.get("location") or {}).get("address") or "").strip() or None


def incident_address(incident: dict[str, Any]) -> tuple[str, str] | None:
    """What to show as the incident's address, and from where: ``(text, "typed")`` when the
    dispatcher typed one, else ``(text, "location")`` from the confirmed location; None if neither.

    Both are kept: the typed address in ``incident["address"]``, the located one in
    ``incident["location"]["address"]``.
    """
    typed = (incident.get("address") or "").strip()
    if typed:
        return typed, "typed"
    located = location_address(incident)
    return (located, "location") if located else None


EVENT_HANDLERS = {
    "call.location_added": _call_location_added,
    "incident.located": _incident_located,
    "call.attached": _call_attached,
}

# ---------------------------------------------------------------- commands


def _add_location(state: Any, who: Principal, a: dict) -> list[EventDraft]:
    call = need_call(state, a["call_id"])
    if len(call.get("locations") or ()) >= MAX_CANDIDATES:
        raise refuse(ErrorCode.CONFLICT, f"call {a['call_id']} already has {MAX_CANDIDATES} location candidates")
    return [("call.location_added", {"call_id": a["call_id"], "location": dict(a["location"])})]


def _locate(state: Any, who: Principal, a: dict) -> list[EventDraft]:
    need_incident(state, a["incident_id"])
    if a["source"] == "candidate" and not a.get("candidate_source"):
        raise refuse(ErrorCode.INVALID_ARGS, "confirming a candidate needs its candidate_source")
    data = {
        "incident_id": a["incident_id"],
        "lat": a["lat"],
        "lon": a["lon"],
        "source": a["source"],
        "candidate_source": a.get("candidate_source"),
        "address": a.get("address"),
        "seat_id": who.id,
    }
    return [("incident.located", data)]


def _attach(state: Any, who: Principal, a: dict) -> list[EventDraft]:
    call = need_call(state, a["call_id"])
    need_incident(state, a["incident_id"])
    if call.get("incident_id") is not None:
        raise refuse(ErrorCode.CONFLICT, f"call {a['call_id']} already belongs to incident {call['incident_id']}")
    if call["state"] not in (CallState.ANSWERED, CallState.ENDED):
        raise refuse(ErrorCode.ILLEGAL_TRANSITION, f"call {a['call_id']} has not been answered")
    return [("call.attached", {"call_id": a["call_id"], "incident_id": a["incident_id"], "seat_id": who.id})]


COMMAND_HANDLERS = {
    "call.add_location": _add_location,
    "incident.locate": _locate,
    "call.attach": _attach,
}
