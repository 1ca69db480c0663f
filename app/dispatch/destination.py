"""Where to take the patient: hospitals ranked by travel time and the capability needed.

:func:`required_for` reads the triage result (determinant code, protocol, and the case-entry
``age`` answer) against the rules in ``resources/protocols/destinations.yaml`` (part of the
protocol set, so ``dispatch120 triage check`` validates it with :func:`check_rules_file`) and
returns a :class:`Requirement` (or None). :func:`suggest` ranks hospitals, in tiers then by
travel time (then id, for a stable order):

0. capable (or no requirement) and the emergency department open;
1. capable and busy;
2. open or busy but lacking a needed capability — listed, with what is missing;
3. diverting — last whatever else, with the reason;

within a tier a hospital with every *preferred* flag (``prefers``: a paediatric burns unit
for a child) comes before one without; a hospital with no travel time (no route, no
position) sorts after the others of its tier. Every :class:`Destination` carries
:class:`Reason` codes saying why it is where it is; ``widgets/labels.py`` translates them.
Travel times come from a ``travel`` function (``(from, to) -> TravelTime | None``):
:func:`road_travel` wraps the :class:`~app.routing.engine.Router`; :func:`straight_travel`
is the fallback (straight line × :data:`DETOUR_FACTOR` at :data:`FALLBACK_SPEED_MPS`) when no
road graph is loaded, and says so in ``source``. Pure but for :func:`load_rules` and
:func:`check_rules_file` (they read one file); calling thread; no user-facing text but the
rules' own ``reason`` (zh and en, from the file).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Any

import yaml

from app.filecache import FileCache
from app.geo.sphere import distance_m as geo_distance_m
from app.protocol.hospitals import EdStatus, HospitalCapability
from app.resources import resource_path

LatLon = tuple[float, float]
DESTINATIONS_FILE = "destinations.yaml"
"""The destination rules' file name inside a protocol directory."""
RULES_FILE = resource_path("protocols", DESTINATIONS_FILE)
DETOUR_FACTOR = 1.4  # road distance / straight distance in a dense city (a rough, common figure)
FALLBACK_SPEED_MPS = 11.0  # ~40 km/h average emergency driving in town
TRAUMA_LEVELS = (1, 2, 3)  # a hospital's trauma_level (app.protocol.hospitals): 1 is the highest
AGE_QUESTION = "age"  # the case-entry question whose answer a rule's `ages` matches
AGE_KEYS = frozenset({"infant", "child", "adult", "older", "unknown"})  # its answer keys
_RULE_KEYS = frozenset({"id", "determinants", "protocols", "ages", "needs", "prefers",
                        "trauma_level_at_most", "reason"})
_CODE = re.compile(r"^[0-9]{2}-[A-Z]-[0-9]+$")


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
    LACKS_PREFERRED = "lacks_preferred"  # capable, but without a preferred flag (see Destination.missing_preferred)
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
    """What a triage result needs of the receiving hospital, and why (the rule's ``reason``)."""

    rule_id: str
    needs: frozenset[str]
    trauma_level_at_most: int | None = None
    prefers: frozenset[str] = frozenset()
    reason: Mapping[str, str] = field(default_factory=dict)  # {"zh": ..., "en": ...}

    def missing(self, hospital: Mapping[str, Any]) -> list[str]:
        """The needed flags the hospital lacks (sorted); a trauma level too low counts as missing."""
        have = set(hospital.get("capabilities") or ())
        missing = sorted(self.needs - have)
        level = hospital.get("trauma_level")
        if (self.trauma_level_at_most is not None and HospitalCapability.TRAUMA_CENTRE in self.needs
                and HospitalCapability.TRAUMA_CENTRE in have and (level is None or level > self.trauma_level_at_most)):
            missing.append("trauma_level")
        return missing

    def missing_preferred(self, hospital: Mapping[str, Any]) -> list[str]:
        """The preferred flags the hospital lacks (sorted)."""
        return sorted(self.prefers - set(hospital.get("capabilities") or ()))

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{rule, needs, trauma_level_at_most, prefers, reason}`` (``triage run`` prints it)."""
        return {"rule": self.rule_id, "needs": sorted(self.needs), "trauma_level_at_most": self.trauma_level_at_most,
                "prefers": sorted(self.prefers), "reason": dict(self.reason)}


@dataclass(frozen=True)
class Rule:
    rule_id: str
    determinants: tuple[str, ...]
    protocols: frozenset[str]
    requirement: Requirement
    ages: frozenset[str] = frozenset()  # empty: any age

    def matches(self, determinant: str | None, protocol: str | None, age: str | None = None) -> bool:
        if self.ages and age not in self.ages:
            return False
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
    missing_preferred: tuple[str, ...] = field(default_factory=tuple)


class RulesError(ValueError):
    """The rules file is malformed (the message names the rule and field)."""


@dataclass(frozen=True)
class RuleProblem:
    """One thing wrong in the rules file; ``str()`` is ``file:line: message`` (like a protocol problem)."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class _Lined(dict):
    """A YAML mapping that remembers its own line and each key's line (1-based)."""

    line = 0
    lines: dict[Any, int]


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_lined(loader: _LineLoader, node: yaml.MappingNode) -> _Lined:
    loader.flatten_mapping(node)
    out = _Lined()
    out.line, out.lines = node.start_mark.line + 1, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        out[key] = loader.construct_object(value_node, deep=True)
        out.lines[key] = key_node.start_mark.line + 1
    return out


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_lined)


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(x, str) for x in value)


def _read(doc: Any, label: str, determinants: Collection[str] | None = None,
          protocols: Collection[str] | None = None) -> tuple[list[Rule], list[RuleProblem]]:
    """Rules and every problem found. With ``determinants``/``protocols`` (the protocol set's),
    codes, patterns and protocol ids are checked against them too."""
    problems: list[RuleProblem] = []

    def problem(where: Any, key: Any, message: str) -> None:
        lines = getattr(where, "lines", {})
        problems.append(RuleProblem(label, lines.get(key, getattr(where, "line", 0)), message))

    if not isinstance(doc, dict) or not isinstance(doc.get("rules"), list):
        problem(doc, "rules", "the rules file needs a `rules:` list")
        return [], problems
    if doc.get("schema") != 1:
        problem(doc, "schema", "`schema: 1` expected")
    known = {c.value for c in HospitalCapability}
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, entry in enumerate(doc["rules"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            problem(entry, "id", f"rule {i}: needs an `id`")
            continue
        rid = entry["id"]
        before = len(problems)
        if rid in seen:
            problem(entry, "id", f"rule {rid}: the id is used twice")
        seen.add(rid)
        for key in sorted(set(entry) - _RULE_KEYS, key=str):
            problem(entry, key, f"rule {rid}: unknown key {key!r}")
        needs, prefers = entry.get("needs"), entry.get("prefers", [])
        if not _strings(needs) or not needs:
            problem(entry, "needs", f"rule {rid}: `needs` must list capabilities among {sorted(known)}")
            needs = []
        if not _strings(prefers):
            problem(entry, "prefers", f"rule {rid}: `prefers` must list capabilities among {sorted(known)}")
            prefers = []
        for key, flags in (("needs", needs), ("prefers", prefers)):
            for flag in flags:
                if flag not in known:
                    problem(entry, key, f"rule {rid}: unknown capability {flag!r} (known: {', '.join(sorted(known))})")
        dets, protos, ages = entry.get("determinants", []), entry.get("protocols", []), entry.get("ages", [])
        if not (_strings(dets) and _strings(protos)) or not (dets or protos):
            problem(entry, "id", f"rule {rid}: give `determinants` and/or `protocols` as lists of strings")
            dets, protos = [], []
        if not _strings(ages) or not set(ages) <= AGE_KEYS:
            problem(entry, "ages", f"rule {rid}: `ages` must list {AGE_QUESTION!r} answers among {sorted(AGE_KEYS)}")
            ages = []
        if determinants is not None:
            for pattern in dets:
                if not any(fnmatch.fnmatchcase(code, pattern) for code in determinants):
                    kind = ("a pattern that matches no determinant" if any(c in pattern for c in "*?[")
                            else "unknown determinant code" if _CODE.match(pattern) else "not a determinant code")
                    problem(entry, "determinants", f"rule {rid}: {pattern!r}: {kind}")
        if protocols is not None:
            for pid in protos:
                if pid not in protocols:
                    problem(entry, "protocols", f"rule {rid}: unknown protocol id {pid!r}")
        level = entry.get("trauma_level_at_most")
        if level is not None:
            if isinstance(level, bool) or not isinstance(level, int) or level not in TRAUMA_LEVELS:
                problem(entry, "trauma_level_at_most",
                        f"rule {rid}: trauma level {level!r} out of range {TRAUMA_LEVELS[0]}..{TRAUMA_LEVELS[-1]}")
                level = None
            elif HospitalCapability.TRAUMA_CENTRE.value not in needs:
                problem(entry, "trauma_level_at_most", f"rule {rid}: a trauma level needs `trauma_centre` in `needs`")
        reason = entry.get("reason")
        if (not isinstance(reason, dict) or set(reason) != {"zh", "en"}
                or not all(isinstance(v, str) and v.strip() for v in reason.values())):
            problem(entry, "reason", f"rule {rid}: `reason` needs a non-empty zh and en text")
            reason = {}
        if len(problems) == before:
            rules.append(Rule(rid, tuple(dets), frozenset(protos),
                              Requirement(rid, frozenset(needs), level, frozenset(prefers), dict(reason)),
                              frozenset(ages)))
    return rules, problems


def _compose(path: Path) -> tuple[Any, list[RuleProblem]]:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader), []  # noqa: S506 (a SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        return None, [RuleProblem(str(path), mark.line + 1 if mark else 0, f"YAML syntax error: {exc.problem}")]
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return None, [RuleProblem(str(path), 0, f"cannot read: {exc}")]


class _Unreadable(Exception):
    def __init__(self, problems: list[RuleProblem]) -> None:
        super().__init__(problems)
        self.problems = problems


def _compose_or_raise(path: Path) -> Any:
    doc, problems = _compose(path)
    if problems:
        raise _Unreadable(problems)  # not kept: the next load reads the file again
    return doc


# The parsed YAML of each rules file, kept while the file is unchanged: parsing is ~90 % of a
# load (~30 ms of a seat window's build). Never handed out: every load builds its own rules from it.
_DOCUMENTS: FileCache[Any] = FileCache(_compose_or_raise)


def _cached_compose(path: Path) -> tuple[Any, list[RuleProblem]]:
    try:
        return _DOCUMENTS.get(path), []
    except _Unreadable as exc:
        return None, exc.problems


def load_rules(path: Path = RULES_FILE) -> list[Rule]:
    """Read the destination rules (blocking; the parsed file is kept while it is unchanged,
    see :mod:`app.filecache`). Raises RulesError (unreadable or malformed).

    Every call returns new :class:`Rule` objects: what a caller does to them stays its own.
    """
    doc, problems = _cached_compose(path)
    if not problems:
        rules, problems = _read(doc, str(path))
    if problems:
        raise RulesError("; ".join(str(p) for p in problems))
    return rules


def parse_rules(doc: Any) -> list[Rule]:
    """Rules from a parsed YAML document. Raises RulesError naming what is wrong."""
    rules, problems = _read(doc, "<rules>")
    if problems:
        raise RulesError("; ".join(p.message for p in problems))
    return rules


def check_rules_file(path: Path, determinants: Collection[str], protocols: Collection[str]) -> list[RuleProblem]:
    """Validate a rules file against a protocol set's determinant codes and protocol ids (blocking read).

    Returns every problem as ``file:line: reason`` (unknown capability flag, unknown
    determinant code or protocol id, a pattern that matches no determinant, a trauma level
    out of range, a malformed rule); ``[]`` when the file is fine or absent (no rules: the
    nearest open hospital for everyone).
    """
    if not path.exists():
        return []
    doc, problems = _cached_compose(path)
    if problems:
        return problems
    return _read(doc, str(path), determinants, protocols)[1]


def check_protocol_set(protocol_set: Any) -> list[RuleProblem]:
    """:func:`check_rules_file` on ``destinations.yaml`` of a loaded protocol set's directory
    (an :class:`app.triage.model.ProtocolSet`: its ``directory`` and ``all_protocols()``)."""
    if protocol_set.directory is None:
        return []
    protocols = protocol_set.all_protocols()
    codes = [code for protocol in protocols for code in protocol.determinants]
    return check_rules_file(Path(protocol_set.directory) / DESTINATIONS_FILE, codes, [p.id for p in protocols])


def age_answer(path: Iterable[Mapping[str, Any]] | None) -> str | None:
    """The last answer to the case-entry ``age`` question on a triage path.

    ``path`` is ``incident["triage"]["path"]`` (dicts with ``question``/``answer``) or
    ``run_case``'s ``[[protocol, question, answer], ...]``.
    """
    age = None
    for step in path or ():
        question, answer = ((step.get("question"), step.get("answer")) if isinstance(step, Mapping)
                            else (step[1], step[2]))
        if question == AGE_QUESTION:
            age = answer
    return age


def required_for(triage_result: Mapping[str, Any] | None, rules: Iterable[Rule],
                 age: str | None = None) -> Requirement | None:
    """The first matching rule's requirement for a triage result (``incident["triage"]["result"]``).

    ``age``: the case-entry age answer (:func:`age_answer`), for rules limited to some ages.
    """
    if not triage_result:
        return None
    for rule in rules:
        if rule.matches(triage_result.get("determinant"), triage_result.get("protocol"), age):
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
    rows: list[tuple[Tier, bool, float, str, TravelTime | None, EdStatus, list[Reason], list[str], list[str]]] = []
    for h in hospitals:
        try:
            status = EdStatus(h.get("ed_status") or EdStatus.OPEN)
        except ValueError:
            status = EdStatus.OPEN
        where = _position(h)
        t = travel(incident_position, where) if incident_position and where else None
        missing = requirement.missing(h) if requirement else []
        unpreferred = requirement.missing_preferred(h) if requirement else []
        reasons: list[Reason] = []
        if requirement is None:
            reasons.append(Reason.NO_REQUIREMENT)
        elif missing:
            reasons.append(Reason.LACKS_CAPABILITY)
        else:
            reasons.append(Reason.HAS_CAPABILITY)
        if unpreferred:
            reasons.append(Reason.LACKS_PREFERRED)
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
        rows.append((tier, bool(unpreferred), t.seconds if t else float("inf"), str(h.get("hospital_id")), t,
                     status, reasons, missing, unpreferred))
    rows.sort(key=lambda r: (r[0], r[1], r[2], r[3]))
    fastest = min((r[2] for r in rows if r[4] is not None), default=None)
    out = []
    for i, (tier, _unpreferred, seconds, hid, t, status, reasons, missing, unpreferred) in enumerate(rows, start=1):
        if t is not None and seconds == fastest:
            reasons.append(Reason.NEAREST)
        out.append(Destination(hid, i, tier, t, status, tuple(reasons), tuple(missing), tuple(unpreferred)))
    return out
