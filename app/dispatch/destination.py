"""Where to take the patient: hospitals ranked by travel time and the capability needed (issue 5).

:func:`required_for` reads the triage result (determinant code, protocol) against the rules
in ``resources/dispatch/destination_rules.yaml`` and returns a :class:`Requirement` (or None).
:func:`suggest` ranks hospitals, in tiers then by travel time (then id, for a stable order):

0. capable (or no requirement) and the emergency department open;
1. capable and busy;
2. open or busy but lacking a needed capability — listed, with what is missing;
3. diverting — last whatever else, with the reason;

a hospital with no travel time (no route, no position) sorts after the others of its tier.
Every :class:`Destination` carries :class:`Reason` codes saying why it is where it is;
``widgets/labels.py`` translates them. Travel times come from a ``travel`` function
(``(from, to) -> TravelTime | None``): :func:`road_travel` wraps part A's
:class:`~app.routing.engine.Router`; :func:`straight_travel` is the fallback (straight line
× :data:`DETOUR_FACTOR` at :data:`FALLBACK_SPEED_MPS`) when no road graph is loaded, and
says so in ``source``. Pure; calling thread; no text.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Any

import yaml

from app.geo.sphere import distance_m as geo_distance_m
from app.protocol.hospitals import EdStatus, HospitalCapability

LatLon = tuple[float, float]
RULES_FILE = Path(__file__).resolve().parents[2] / "resources" / "dispatch" / "destination_rules.yaml"
DETOUR_FACTOR = 1.4  # road distance / straight distance in a dense city (a rough, common figure)
FALLBACK_SPEED_MPS = 11.0  # ~40 km/h average emergency driving in town


class TravelSource(StrEnum):
    ROAD = "road"  # the road graph (app.routing)
    STRAIGHT_LINE = "straight_line"  # no graph: straight line × detour factor


@dataclass(frozen=True)
class TravelTime:
    seconds: float
    distance_m: float
    source: TravelSource


class Reason(StrEnum):
    NEAREST = "nearest"  # the shortest travel time of all listed
    HAS_CAPABILITY = "has_capability"  # has everything the triage result needs
    NO_REQUIREMENT = "no_requirement"  # the triage result needs nothing special: by time only
    LACKS_CAPABILITY = "lacks_capability"  # see Destination.missing
    ED_BUSY = "ed_busy"
    DIVERTING = "diverting"
    NO_ROUTE = "no_route"  # no travel time (off the road network, no path, no position)


class Tier(IntEnum):
    CAPABLE_OPEN = 0
    CAPABLE_BUSY = 1
    NOT_CAPABLE = 2
    DIVERTING = 3


@dataclass(frozen=True)
class Requirement:
    rule_id: str
    needs: frozenset[str]
    trauma_level_at_most: int | None = None

    def missing(self, hospital: Mapping[str, Any]) -> list[str]:
        """The needed flags the hospital lacks (sorted); a trauma level too low counts as missing."""
        have = set(hospital.get("capabilities") or ())
        missing = sorted(self.needs - have)
        level = hospital.get("trauma_level")
        if (self.trauma_level_at_most is not None and HospitalCapability.TRAUMA_CENTRE in self.needs
                and HospitalCapability.TRAUMA_CENTRE in have and (level is None or level > self.trauma_level_at_most)):
            missing.append("trauma_level")
        return missing


@dataclass(frozen=True)
class Rule:
    rule_id: str
    determinants: tuple[str, ...]
    protocols: frozenset[str]
    requirement: Requirement

    def matches(self, determinant: str | None, protocol: str | None) -> bool:
        if protocol and protocol in self.protocols:
            return True
        return bool(determinant) and any(fnmatch.fnmatchcase(determinant, p) for p in self.determinants)


@dataclass(frozen=True)
class Destination:
    hospital_id: str
    rank: int
    tier: Tier
    travel: TravelTime | None
    ed_status: EdStatus
    reasons: tuple[Reason, ...]
    missing: tuple[str, ...] = field(default_factory=tuple)


class RulesError(ValueError):
    """The rules file is malformed (the message names the rule and field)."""


def load_rules(path: Path = RULES_FILE) -> list[Rule]:
    """Read the destination rules. Raises OSError (unreadable) or RulesError (malformed)."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return parse_rules(doc)


def parse_rules(doc: Any) -> list[Rule]:
    """Rules from a parsed YAML document. Raises RulesError naming what is wrong."""
    if not isinstance(doc, dict) or not isinstance(doc.get("rules"), list):
        raise RulesError("the rules file needs a `rules:` list")
    known = {c.value for c in HospitalCapability}
    rules = []
    for i, entry in enumerate(doc["rules"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise RulesError(f"rule {i}: needs an `id`")
        rid = entry["id"]
        needs = entry.get("needs")
        if not isinstance(needs, list) or not needs or not set(needs) <= known:
            raise RulesError(f"rule {rid}: `needs` must list capabilities among {sorted(known)}")
        dets, protos = entry.get("determinants") or [], entry.get("protocols") or []
        if not (dets or protos) or not all(isinstance(x, str) for x in [*dets, *protos]):
            raise RulesError(f"rule {rid}: give `determinants` and/or `protocols` as lists of strings")
        level = entry.get("trauma_level_at_most")
        if level is not None and (not isinstance(level, int) or not 1 <= level <= 3):
            raise RulesError(f"rule {rid}: `trauma_level_at_most` must be 1, 2 or 3")
        rules.append(Rule(rid, tuple(dets), frozenset(protos), Requirement(rid, frozenset(needs), level)))
    return rules


def required_for(triage_result: Mapping[str, Any] | None, rules: Iterable[Rule]) -> Requirement | None:
    """The first matching rule's requirement for a triage result (``incident["triage"]["result"]``)."""
    if not triage_result:
        return None
    for rule in rules:
        if rule.matches(triage_result.get("determinant"), triage_result.get("protocol")):
            return rule.requirement
    return None


def straight_travel(a: LatLon, b: LatLon) -> TravelTime:
    """Fallback travel time: straight line × detour factor at a town driving speed."""
    distance = geo_distance_m(a[0], a[1], b[0], b[1]) * DETOUR_FACTOR
    return TravelTime(distance / FALLBACK_SPEED_MPS, distance, TravelSource.STRAIGHT_LINE)


def road_travel(router: Any) -> Callable[[LatLon, LatLon], TravelTime | None]:
    """A travel function over a :class:`~app.routing.engine.Router` (None: no route / off the map)."""
    from app.routing.snap import SnapError

    def travel(a: LatLon, b: LatLon) -> TravelTime | None:
        try:
            route = router.route(a, b)
        except SnapError:
            return None
        return None if route is None else TravelTime(route.seconds, route.distance_m, TravelSource.ROAD)

    return travel


def _position(entity: Mapping[str, Any] | None) -> LatLon | None:
    if not entity:
        return None
    lat, lon = entity.get("lat"), entity.get("lon")
    if isinstance(lat, int | float) and isinstance(lon, int | float):
        return float(lat), float(lon)
    return None


def suggest(incident_position: LatLon | None, hospitals: Iterable[Mapping[str, Any]],
            requirement: Requirement | None,
            travel: Callable[[LatLon, LatLon], TravelTime | None] = straight_travel) -> list[Destination]:
    """Rank the hospitals for a patient at ``incident_position`` (see the module docstring).

    ``hospitals`` are ``state.hospitals`` values. With no incident position every travel
    time is unknown and the order is by tier, then id. Never raises on odd hospital data:
    a hospital without a position gets NO_ROUTE.
    """
    rows: list[tuple[Tier, float, str, TravelTime | None, EdStatus, list[Reason], list[str]]] = []
    for h in hospitals:
        try:
            status = EdStatus(h.get("ed_status") or EdStatus.OPEN)
        except ValueError:
            status = EdStatus.OPEN
        where = _position(h)
        t = travel(incident_position, where) if incident_position and where else None
        missing = requirement.missing(h) if requirement else []
        reasons: list[Reason] = []
        if requirement is None:
            reasons.append(Reason.NO_REQUIREMENT)
        elif missing:
            reasons.append(Reason.LACKS_CAPABILITY)
        else:
            reasons.append(Reason.HAS_CAPABILITY)
        if status == EdStatus.DIVERTING:
            tier = Tier.DIVERTING
            reasons.append(Reason.DIVERTING)
        elif missing:
            tier = Tier.NOT_CAPABLE
        elif status == EdStatus.BUSY:
            tier = Tier.CAPABLE_BUSY
        else:
            tier = Tier.CAPABLE_OPEN
        if status == EdStatus.BUSY:
            reasons.append(Reason.ED_BUSY)
        if t is None:
            reasons.append(Reason.NO_ROUTE)
        rows.append((tier, t.seconds if t else float("inf"), str(h.get("hospital_id")), t, status, reasons, missing))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    fastest = min((r[1] for r in rows if r[3] is not None), default=None)
    out = []
    for i, (tier, seconds, hid, t, status, reasons, missing) in enumerate(rows, start=1):
        if t is not None and seconds == fastest:
            reasons.append(Reason.NEAREST)
        out.append(Destination(hid, i, tier, t, status, tuple(reasons), tuple(missing)))
    return out
