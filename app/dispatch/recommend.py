"""Which unit to send: a ranked list by road travel time and capability.

:func:`rank` is pure: it takes the candidate units (:func:`candidates` finds them in
the state, with a position from GPS or their station), their travel times from a
:class:`~app.routing.engine.Router`, the capability the triage plan needs and the
coverage each unit would cost, and returns :class:`Recommendation` rows, best first.
:func:`recommend` is the convenience that does all of it for one incident.

Ranking, in tiers, then by ETA (then call sign, for a stable order):

0. reachable by road and capable (the plan's capability, or above it: ALS for a BLS plan);
1. reachable but not capable (BLS for an ALS plan; not a negative-pressure unit for
   an infectious patient) — listed, ranked lower, with the reason;
2. no road route within the limit (across a river, a one-way trap) or off the road network;
3. position unknown — listed, never hidden.

Every row carries :class:`Reason` codes saying why it is where it is; widgets
translate them (``widgets/labels.py``). No text, no I/O; calling thread.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any

from app.domain.model import UnitStatus
from app.routing.engine import DEFAULT_LIMIT_S, Eta, EtaProblem, Router

LatLon = tuple[float, float]


class Capability(StrEnum):
    ALS = "als"
    BLS = "bls"
    NEGATIVE_PRESSURE = "negative_pressure"


class Match(StrEnum):
    MATCH = "match"  # what the plan asks for
    ABOVE = "above"  # ALS for a BLS plan: fine, but an ALS unit is used
    BELOW = "below"  # BLS for an ALS plan
    OTHER = "other"  # not a negative-pressure unit for a negative-pressure plan (or the reverse)
    NO_PLAN = "no_plan"  # no triage result yet: any unit


class PositionSource(StrEnum):
    GPS = "gps"
    STATION = "station"  # no GPS fix: assumed at its station
    NONE = "none"


class Tier(IntEnum):
    CAPABLE = 0
    NOT_CAPABLE = 1
    NO_ROUTE = 2
    POSITION_UNKNOWN = 3


class Reason(StrEnum):
    FASTEST = "fastest"  # the quickest capable unit
    SLOWER = "slower"  # capable, but later than the first suggestion (see delay_s)
    CAPABILITY_MATCH = "capability_match"
    CAPABILITY_ABOVE = "capability_above"
    CAPABILITY_BELOW = "capability_below"  # e.g. a BLS unit for an ALS plan
    CAPABILITY_OTHER = "capability_other"
    NO_PLAN = "no_plan"
    NO_ROAD_ROUTE = "no_road_route"
    OFF_ROAD = "off_road"
    POSITION_UNKNOWN = "position_unknown"
    AT_STATION = "at_station"
    RETURNING = "returning"  # available again after a hospital handover, away from its station
    COVERAGE_COST = "coverage_cost"  # sending it leaves station areas without cover


@dataclass(frozen=True)
class Candidate:
    unit_id: str
    call_sign: str
    capability: str
    station_id: str | None
    crew: str | None
    position: LatLon | None
    source: PositionSource
    returning: bool  # previous status was at_hospital


@dataclass(frozen=True)
class Recommendation:
    rank: int  # 1 = first suggestion
    unit_id: str
    call_sign: str
    capability: str
    crew: str | None
    match: Match
    tier: Tier
    source: PositionSource
    eta_s: float | None
    distance_m: float | None
    snap_m: float | None
    delay_s: float | None  # later than the first suggestion by this much
    coverage_lost: tuple[str, ...]  # station ids left without cover within the target time
    reasons: tuple[Reason, ...] = field(default_factory=tuple)


def capability_match(unit_capability: str, needed: str | None) -> Match:
    """How a unit's capability fits the plan's (``als``/``bls``/``negative_pressure`` or None)."""
    if not needed:
        return Match.NO_PLAN
    if unit_capability == needed:
        return Match.MATCH
    if needed == Capability.BLS and unit_capability == Capability.ALS:
        return Match.ABOVE
    if needed == Capability.ALS and unit_capability == Capability.BLS:
        return Match.BELOW
    return Match.OTHER


_MATCH_REASON = {Match.MATCH: Reason.CAPABILITY_MATCH, Match.ABOVE: Reason.CAPABILITY_ABOVE,
                 Match.BELOW: Reason.CAPABILITY_BELOW, Match.OTHER: Reason.CAPABILITY_OTHER,
                 Match.NO_PLAN: Reason.NO_PLAN}


def candidates(units: Iterable[Mapping[str, Any]], stations: Mapping[str, Mapping[str, Any]],
               gps: Mapping[str, LatLon]) -> list[Candidate]:
    """Available units, each with its best known position: its GPS fix, else its station's.

    A unit returning from hospital is available (after handover) with its GPS position.
    """
    out: list[Candidate] = []
    for unit in units:
        if unit.get("status") != UnitStatus.AVAILABLE:
            continue
        unit_id = str(unit["unit_id"])
        station = stations.get(unit.get("station_id") or "")
        position: LatLon | None = None
        source = PositionSource.NONE
        if unit_id in gps:
            position, source = gps[unit_id], PositionSource.GPS
        elif station is not None and station.get("lat") is not None and station.get("lon") is not None:
            position, source = (float(station["lat"]), float(station["lon"])), PositionSource.STATION
        out.append(Candidate(unit_id, str(unit.get("call_sign") or unit_id), str(unit.get("capability") or ""),
                             unit.get("station_id"), unit.get("crew"), position, source,
                             unit.get("previous") == UnitStatus.AT_HOSPITAL))
    return out


def rank(cands: Iterable[Candidate], etas: Mapping[str, Eta], needed: str | None,
         coverage_lost: Mapping[str, tuple[str, ...]] | None = None) -> list[Recommendation]:
    """Rank candidates (see the module doc). Pure.

    Args:
        cands: the candidates; ones without a position need no entry in ``etas``.
        etas: travel time per unit id (a missing entry for a positioned unit counts as no route).
        needed: the triage plan's capability, or None before triage.
        coverage_lost: per unit id, the station areas left uncovered if it goes.
    """
    coverage_lost = coverage_lost or {}
    rows: list[tuple[tuple, Candidate, Match, Tier, Eta | None]] = []
    for c in cands:
        match = capability_match(c.capability, needed)
        eta = etas.get(c.unit_id) if c.position is not None else None
        if c.position is None:
            tier = Tier.POSITION_UNKNOWN
        elif eta is None or eta.problem != EtaProblem.OK:
            tier = Tier.NO_ROUTE
        elif match in (Match.BELOW, Match.OTHER):
            tier = Tier.NOT_CAPABLE
        else:
            tier = Tier.CAPABLE
        seconds = eta.seconds if eta is not None and eta.seconds is not None else float("inf")
        rows.append(((tier, seconds, c.call_sign, c.unit_id), c, match, tier, eta))
    rows.sort(key=lambda r: r[0])
    first_s = next((r[0][1] for r in rows if r[3] == Tier.CAPABLE), None)
    out: list[Recommendation] = []
    for i, (_, c, match, tier, eta) in enumerate(rows, start=1):
        reasons: list[Reason] = []
        delay = None
        if tier == Tier.CAPABLE:
            delay = ((eta.seconds if eta is not None else None) or 0.0) - (first_s or 0.0)
            reasons.append(Reason.FASTEST if delay <= 0 else Reason.SLOWER)
        # The decisive reason first: no position / no road route, then the capability.
        if tier == Tier.POSITION_UNKNOWN:
            reasons.append(Reason.POSITION_UNKNOWN)
        elif tier == Tier.NO_ROUTE:
            reasons.append(Reason.OFF_ROAD if eta is not None and eta.problem == EtaProblem.OFF_ROAD
                           else Reason.NO_ROAD_ROUTE)
        reasons.append(_MATCH_REASON[match])
        if c.source == PositionSource.STATION:
            reasons.append(Reason.AT_STATION)
        if c.returning and c.source == PositionSource.GPS:
            reasons.append(Reason.RETURNING)
        lost = tuple(coverage_lost.get(c.unit_id, ()))
        if lost:
            reasons.append(Reason.COVERAGE_COST)
        road = eta if eta is not None and eta.problem == EtaProblem.OK else None
        out.append(Recommendation(i, c.unit_id, c.call_sign, c.capability, c.crew, match, tier, c.source,
                                  road.seconds if road else None, road.distance_m if road else None,
                                  eta.snap_m if eta is not None else None, delay, lost, tuple(reasons)))
    return out


def recommend(router: Router, incident_position: LatLon, units: Iterable[Mapping[str, Any]],
              stations: Mapping[str, Mapping[str, Any]], gps: Mapping[str, LatLon], needed: str | None,
              coverage_target_s: float | None = None, limit_s: float = DEFAULT_LIMIT_S) -> list[Recommendation]:
    """Candidates → travel times (one search) → coverage cost → ranked list. Calling thread.

    Raises:
        SnapError: the incident's position is too far from any road (say so; do not guess).
    """
    from app.dispatch.coverage import coverage_cost

    cands = candidates(units, stations, gps)
    positioned = {c.unit_id: c.position for c in cands if c.position is not None}
    etas = router.eta(positioned, incident_position, limit_s=limit_s)
    lost = coverage_cost(router, positioned, stations, coverage_target_s) if coverage_target_s else {}
    return rank(cands, etas, needed, lost)
