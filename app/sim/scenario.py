"""Training scenarios: a registry (stations, hospitals, units, seats, devices, switch)
and a script of phone calls, in YAML, validated on load.

A scenario file looks like this (``resources/scenarios/demo.yaml`` is a full one)::

    version: 1
    name: 摩纳哥演示 / Monaco demo
    registry: registry-demo.yaml     # a path (relative to this file) or an inline mapping
    start: first_seat_ready          # or "immediately": when "at: 0" is
    loop: false                      # true: play the script again, with fresh call ids
    loop_period_s: 420               # optional; default: the last call's "at" + 60
    calls:
      - at: 3                        # seconds from the start (scenario time)
        caller_number: "13812345678" # quoted: YAML reads bare digits as a number
        caller_name: 王先生           # optional, as the switch's caller id shows it
        location_text: Boulevard Albert 1er 12号   # optional, as the switch shows it
        says:                        # what the caller tells the dispatcher (trainer's hint)
          zh: 我爸爸胸口痛得厉害
          en: My father has crushing chest pain
        patients: 1                  # default 1
        expected_priority: 1         # 1 (most urgent) .. 4; for scoring later
        abandon_after_s: 30          # optional: hangs up if not answered by then
        talk_s: 75                   # default 60: the switch ends the call after this long
        outcome: transported         # transported | treated_on_scene | refused | no_patient_found

The registry's format belongs to the server (``dispatch120-server admin import``,
``server_stub/README.md``): this module checks it the same way (sections, keys, ids,
references) so ``dispatch120 sim check`` finds what the import would refuse, and hands
the mapping to the server unchanged.

:func:`load_scenario` reads and checks everything and raises one
:class:`ScenarioError` listing every problem found, each with its file and place.
"""

from __future__ import annotations

import difflib
import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from app.domain.model import CloseReason
from app.protocol.schema import NAME_ID_RE, PHONE_RE
from app.sim.physiology import RHYTHMS, Physiology

SCENARIO_VERSION = 1
MAX_FILE_BYTES = 1024 * 1024
MAX_CALLS = 1000

# What a crew can find when it gets there; the ambulance simulator follows it.
SCRIPT_OUTCOMES = (
    CloseReason.TRANSPORTED,
    CloseReason.TREATED_ON_SCENE,
    CloseReason.REFUSED,
    CloseReason.NO_PATIENT_FOUND,
)
CAPABILITIES = ("als", "bls", "negative_pressure")


class StartTrigger(StrEnum):
    """When scenario time 0 is."""

    FIRST_SEAT_READY = "first_seat_ready"  # the first trainee says ready: the exercise begins
    IMMEDIATELY = "immediately"  # as soon as the switch is connected


class ScenarioError(ValueError):
    """A scenario or registry file cannot be used. ``problems`` lists each as "file: place: what"."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class CallerSays:
    zh: str
    en: str


class CallerBehaviour(StrEnum):
    """How the simulated caller behaves on the phone (:mod:`app.sim.caller`)."""

    CALM = "calm"  # answers what is asked, promptly
    PANICKING = "panicking"  # sometimes blurts out the answer to another question first (seeded)
    HANGS_UP_CALLS_BACK = "hangs_up_calls_back"  # answers like a calm caller; the hang-up is the script's
    NO_ADDRESS = "no_address"  # cannot say where they are: location questions get "I don't know"
    LANDMARK_ONLY = "landmark_only"  # knows only a landmark: answers location questions with it
    DEAF_TEXTS_ONLY = "deaf_texts_only"  # cannot speak: every reply is typed (caller-link chat)


@dataclass(frozen=True)
class CallerAnswer:
    """What the caller says to one protocol question, and the answer key it implies."""

    zh: str
    en: str
    answer: str | None = None  # None: the words answer nothing (e.g. "I don't know")


@dataclass(frozen=True)
class CallerScript:
    """The caller's answers by protocol question id, and how the caller behaves."""

    behaviour: CallerBehaviour = CallerBehaviour.CALM
    answers: Mapping[str, CallerAnswer] = field(default_factory=dict)
    landmark: CallerSays | None = None


@dataclass(frozen=True)
class ScriptedCall:
    """One call of the script. ``index`` is its place in the file (0-based)."""

    index: int
    at_s: float
    caller_number: str
    says: CallerSays
    expected_priority: int
    outcome: CloseReason
    caller_name: str | None = None
    location_text: str | None = None
    patients: int = 1
    abandon_after_s: float | None = None
    talk_s: float = 60.0
    # Location candidates as the switch will send them (``age_s`` instead of ``at``).
    locations: tuple[dict[str, Any], ...] = ()
    # The patient's monitor once a crew is on scene: ``((seconds from arrival, source), ...)``;
    # empty: no monitor is streamed (:mod:`app.sim.live`).
    patient_monitor: tuple[tuple[float, str], ...] = ()
    # What the caller answers when the trainee asks (absent: every question gets "I don't know").
    caller: CallerScript = field(default_factory=CallerScript)
    # The unit capability the call needs (scoring); None: ALS for priority 1, BLS otherwise.
    expected_capability: str | None = None
    # The patient's physiology (app.sim.physiology): feeds the crew's monitor from arrival.
    physiology: Physiology | None = None
    # The right receiving hospital (scoring) and the capabilities the patient needs there.
    expected_hospital: str | None = None
    hospital_needs: tuple[str, ...] = ()
    # A repeat call about the incident of an earlier call (its index): attached, not a new incident.
    repeat_of: int | None = None


class InjectedEventKind(StrEnum):
    """What the runner makes happen at a scenario time (:class:`app.sim.runner.Injector`)."""

    UNIT_BREAKDOWN = "unit_breakdown"  # the unit's crew reports it out of service (released first if busy)
    HOSPITAL_STATUS = "hospital_status"  # a hospital's ED opens, gets busy or starts diverting
    SERVER_DROP = "server_drop"  # the server process dies; the runner restarts it after duration_s


@dataclass(frozen=True)
class InjectedEvent:
    """One injected event of the scenario's ``events:`` list. ``index``: its place in the file."""

    index: int
    at_s: float
    kind: InjectedEventKind
    unit: str | None = None  # unit_breakdown
    hospital: str | None = None  # hospital_status
    status: str | None = None  # hospital_status: open | busy | diverting
    note: str | None = None  # hospital_status
    duration_s: float = 30.0  # server_drop


@dataclass(frozen=True)
class Place:
    id: str
    name: str
    lat: float
    lon: float


@dataclass(frozen=True)
class UnitSpec:
    id: str
    call_sign: str
    capability: str
    station: str | None = None


@dataclass(frozen=True)
class PrincipalSpec:
    """A credential the registry creates: a seat, a device (with its unit), a switch, a trainer."""

    id: str
    name: str
    unit: str | None = None


@dataclass(frozen=True)
class Registry:
    """The parts of a registry the simulation uses; ``data`` is the whole mapping for the server."""

    data: Mapping[str, Any] = field(repr=False)
    source: Path
    stations: tuple[Place, ...] = ()
    hospitals: tuple[Place, ...] = ()
    units: tuple[UnitSpec, ...] = ()
    seats: tuple[PrincipalSpec, ...] = ()
    devices: tuple[PrincipalSpec, ...] = ()
    switches: tuple[PrincipalSpec, ...] = ()
    trainers: tuple[PrincipalSpec, ...] = ()
    volunteers: tuple[PrincipalSpec, ...] = ()  # simulated first responders
    aeds: tuple[Place, ...] = ()

    def device_for(self, unit_id: str) -> PrincipalSpec | None:
        return next((d for d in self.devices if d.unit == unit_id), None)


@dataclass(frozen=True)
class Scenario:
    path: Path
    name: str
    registry: Registry
    calls: tuple[ScriptedCall, ...]
    start: StartTrigger = StartTrigger.FIRST_SEAT_READY
    loop: bool = False
    loop_period_s: float | None = None
    events: tuple[InjectedEvent, ...] = ()

    @property
    def calls_by_index(self) -> dict[int, ScriptedCall]:
        """The calls by their place in the file."""
        return {c.index: c for c in self.calls}

    @property
    def period_s(self) -> float:
        """Length of one round of the script (the loop restarts after this)."""
        if self.loop_period_s is not None:
            return self.loop_period_s
        return (self.calls[-1].at_s if self.calls else 0.0) + 60.0


# ---------------------------------------------------------------- loading


def load_scenario(path: str | Path) -> Scenario:
    """Read and check a scenario file (and the registry it names).

    Raises:
        ScenarioError: listing every problem, each as ``file: place: problem``.
    """
    path = Path(path)
    raw = _read_yaml(path)
    check = _Checker(path, lines=_line_index(path))
    scenario = _scenario(check, raw)
    check.raise_if_any()
    assert scenario is not None
    return scenario


def load_registry(path: str | Path) -> Registry:
    """Read and check a registry file on its own. Raises ScenarioError."""
    path = Path(path)
    raw = _read_yaml(path)
    check = _Checker(path)
    registry = _registry(check, raw, path)
    check.raise_if_any()
    assert registry is not None
    return registry


def _read_yaml(path: Path) -> Any:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScenarioError([f"{path}: file is {size} bytes; the limit is {MAX_FILE_BYTES}"])
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([f"{path}: no such file"]) from None
    except IsADirectoryError:
        raise ScenarioError([f"{path}: is a directory, not a file"]) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError([f"{path}: not UTF-8 text (byte {exc.start})"]) from None
    except OSError as exc:
        raise ScenarioError([f"{path}: cannot read: {exc.strerror or exc}"]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError([f"{path}: {where}not valid YAML: {problem}"]) from None
    if data is None:
        raise ScenarioError([f"{path}: the file is empty"])
    return data


def _line_index(path: Path) -> dict[str, int]:
    """Each place in the file (``calls[1].caller.answers.conscious``) → its 1-based line.

    Built from the YAML node tree (the file has already parsed once, so it parses again).
    """
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    lines: dict[str, int] = {}

    def walk(node: yaml.Node, where: str) -> None:
        lines.setdefault(where, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                at = _join(where, str(key.value))
                lines.setdefault(at, key.start_mark.line + 1)
                walk(value, at)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, f"{where}[{i}]")

    if root is not None:
        walk(root, "")
    return lines


class _Checker:
    """Collects problems for one file, so the author sees all of them at once."""

    def __init__(self, path: Path, lines: dict[str, int] | None = None) -> None:
        self.path = path
        self.problems: list[str] = []
        self.lines = lines or {}

    def problem_at(self, where: str, what: str) -> None:
        """A problem with its line: ``file:line: place: what`` (the line of the nearest known place)."""
        place = where
        while place and place not in self.lines:
            place = place.rsplit(".", 1)[0] if "." in place else place.rsplit("[", 1)[0] if "[" in place else ""
        line = self.lines.get(place)
        prefix = f"{self.path}:{line}" if line else f"{self.path}"
        text = f"{prefix}: {where}: {what}"
        if text not in self.problems:
            self.problems.append(text)

    def problem(self, where: str, what: str) -> None:
        line = f"{self.path}: {where}: {what}" if where else f"{self.path}: {what}"
        if line not in self.problems:  # a field can be found missing by two checks
            self.problems.append(line)

    def add_lines(self, since: int) -> None:
        """Give the problems recorded since index ``since`` the line of their place (``file:line:``)."""
        plain = f"{self.path}: "
        for i in range(since, len(self.problems)):
            text = self.problems[i]
            if text.startswith(plain):
                where, _, what = text[len(plain):].partition(": ")
                self.problems[i] = ""
                count = len(self.problems)
                self.problem_at(where, what)
                if len(self.problems) > count:  # else: already listed with its line
                    self.problems[i] = self.problems.pop()
        self.problems[:] = [p for p in self.problems if p]

    def raise_if_any(self) -> None:
        if self.problems:
            raise ScenarioError(self.problems)

    # ------------------------------------------------------------ shapes
    def mapping(
        self, value: Any, where: str, known: tuple[str, ...] | None, required: tuple[str, ...] = ()
    ) -> dict | None:
        """Check ``value`` is a mapping with the required keys (and, when ``known`` is given, no others)."""
        if not isinstance(value, dict):
            self.problem(where, f"expected a mapping of fields, got {_kind(value)}")
            return None
        if known is not None:
            for key in value:
                if key not in known:
                    hint = difflib.get_close_matches(str(key), known, n=1)
                    extra = f" (did you mean {hint[0]!r}?)" if hint else f" (known: {', '.join(known)})"
                    self.problem(_join(where, str(key)), f"unknown field{extra}")
        for key in required:
            if key not in value or value[key] is None:
                self.problem(_join(where, key), "missing")
        # Problems are recorded; the caller still checks the fields it can, so the
        # author sees every problem at once.
        return value

    def text(self, value: Any, where: str, *, max_len: int, required: bool = True) -> str | None:
        if value is None:
            if required:
                self.problem(where, "missing")
            return None
        if not isinstance(value, str):
            self.problem(where, f"expected text, got {_kind(value)}")
            return None
        if required and not value.strip():
            self.problem(where, "must not be empty")
            return None
        if len(value) > max_len:
            self.problem(where, f"longer than {max_len} characters")
            return None
        return value

    def ident(self, value: Any, where: str) -> str | None:
        if not isinstance(value, str) or not NAME_ID_RE.match(value):
            self.problem(where, f"not a valid id: {value!r} (letters, digits and _.:- , up to 64, no spaces)")
            return None
        return value

    def number(
        self, value: Any, where: str, *, low: float, high: float | None = None, low_open: bool = False
    ) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            self.problem(where, f"expected a number, got {_kind(value)}")
            return None
        if value < low or (low_open and value == low):
            self.problem(where, f"must be {'>' if low_open else '>='} {low:g}, got {value:g}")
            return None
        if high is not None and value > high:
            self.problem(where, f"must be <= {high:g}, got {value:g}")
            return None
        return float(value)

    def integer(self, value: Any, where: str, *, low: int, high: int) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(where, f"expected a whole number, got {_kind(value)}")
            return None
        if not low <= value <= high:
            self.problem(where, f"must be between {low} and {high}, got {value}")
            return None
        return value

    def choice(self, value: Any, where: str, choices: tuple[str, ...]) -> str | None:
        if not isinstance(value, str) or value not in choices:
            self.problem(where, f"must be one of {', '.join(choices)}, got {value!r}")
            return None
        return value

    def items(self, value: Any, where: str) -> list:
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(where, f"expected a list, got {_kind(value)}")
            return []
        return value


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {
        bool: "true/false",
        int: "a number",
        float: "a number",
        str: f"text {value!r}" if isinstance(value, str) and len(value) < 40 else "text",
        list: "a list",
        dict: "a mapping",
    }.get(type(value), type(value).__name__)


# ---------------------------------------------------------------- scenario

_SCENARIO_FIELDS = ("version", "name", "registry", "start", "loop", "loop_period_s", "calls", "events")
_CALL_FIELDS = (
    "at",
    "caller_number",
    "caller_name",
    "location_text",
    "says",
    "patients",
    "expected_priority",
    "abandon_after_s",
    "talk_s",
    "outcome",
    "locations",
    "patient_monitor",
    "caller",
    "expected_capability",
    "physiology",
    "expected_hospital",
    "hospital_needs",
    "repeat_of",
)
_PHYSIOLOGY_FIELDS = ("rhythm", "hr", "spo2", "rr", "hr_per_min", "spo2_per_min", "arrest_after_s", "arrest_rhythm",
                      "asystole_after_s", "cpr_slows", "rosc_chance", "rosc_rhythm")
_EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    InjectedEventKind.UNIT_BREAKDOWN: ("at", "kind", "unit"),
    InjectedEventKind.HOSPITAL_STATUS: ("at", "kind", "hospital", "status", "note"),
    InjectedEventKind.SERVER_DROP: ("at", "kind", "duration_s"),
}
ED_STATUSES = ("open", "busy", "diverting")
HOSPITAL_CAPABILITIES = ("chest_pain_centre", "pci", "stroke_centre", "thrombolysis", "thrombectomy",
                         "trauma_centre", "paediatric", "maternity", "burns")
_CALLER_FIELDS = ("behaviour", "answers", "landmark")
_CALLER_ANSWER_FIELDS = ("answer", "zh", "en")
# How far outside the area its registry covers (stations and hospitals) a scenario
# position may be: a centre's ambulances cover ~30 km around their stations.
MAP_MARGIN_KM = 30.0
_LOCATION_FIELDS = ("source", "lat", "lon", "accuracy_m", "age_s", "address")


def _scenario(check: _Checker, raw: Any) -> Scenario | None:
    top = check.mapping(raw, "", _SCENARIO_FIELDS, required=("name", "registry", "calls"))
    if top is None:
        return None
    version = top.get("version", SCENARIO_VERSION)
    if version != SCENARIO_VERSION:
        check.problem("version", f"this program reads scenario version {SCENARIO_VERSION}, not {version!r}")
    name = check.text(top.get("name"), "name", max_len=200, required="name" in top)
    start = StartTrigger.FIRST_SEAT_READY
    if "start" in top:
        chosen = check.choice(top["start"], "start", tuple(t.value for t in StartTrigger))
        start = StartTrigger(chosen) if chosen else start
    loop = top.get("loop", False)
    if not isinstance(loop, bool):
        check.problem("loop", f"expected true or false, got {_kind(loop)}")
        loop = False
    loop_period = None
    if top.get("loop_period_s") is not None:
        loop_period = check.number(top["loop_period_s"], "loop_period_s", low=0, low_open=True)

    registry = _scenario_registry(check, top.get("registry"))

    calls_raw = check.items(top.get("calls"), "calls")
    if "calls" in top and isinstance(top.get("calls"), list) and not calls_raw:
        check.problem("calls", "the script has no calls")
    if len(calls_raw) > MAX_CALLS:
        check.problem("calls", f"{len(calls_raw)} calls; the limit is {MAX_CALLS}")
        calls_raw = []
    calls = [c for i, item in enumerate(calls_raw) if (c := _call(check, item, i)) is not None]
    for before_call, call in zip(calls, calls[1:], strict=False):
        if call.at_s < before_call.at_s:
            check.problem_at(
                f"calls[{call.index}].at",
                f"time goes backwards: {call.at_s:g} s comes after calls[{before_call.index}] at "
                f"{before_call.at_s:g} s (list the calls in time order)",
            )
    if registry is not None:
        _check_positions(check, calls, registry)
        _check_references(check, calls, registry)
    events = _events(check, top.get("events"), registry)
    calls.sort(key=lambda c: (c.at_s, c.index))
    if calls and loop_period is not None and loop_period <= calls[-1].at_s:
        check.problem(
            "loop_period_s",
            f"must be longer than the last call's time ({calls[-1].at_s:g} s), got {loop_period:g}",
        )
    if registry is not None and calls and not registry.switches:
        check.problem("registry", "has no phone switch (switches:); the script's calls could not be offered")
    if check.problems or registry is None or name is None:
        return None
    return Scenario(
        path=check.path,
        name=name,
        registry=registry,
        calls=tuple(calls),
        start=start,
        loop=loop,
        loop_period_s=loop_period,
        events=events,
    )


def _check_references(check: _Checker, calls: list[ScriptedCall], registry: Registry) -> None:
    """A call's expected hospital must exist; a repeat call must follow the call it repeats."""
    hospitals = {h.id for h in registry.hospitals}
    indexes = {c.index for c in calls}
    for call in calls:
        if call.expected_hospital is not None and call.expected_hospital not in hospitals:
            check.problem_at(f"calls[{call.index}].expected_hospital",
                             f"no hospital {call.expected_hospital!r} in the registry (its hospitals: "
                             f"{', '.join(sorted(hospitals)) or 'none'})")
        if call.repeat_of is not None and (call.repeat_of >= call.index or call.repeat_of not in indexes):
            earlier = f"0 to {call.index - 1}" if call.index else "the first call repeats none"
            check.problem_at(f"calls[{call.index}].repeat_of",
                             f"must name an earlier call of this file ({earlier}), got {call.repeat_of}")


def _events(check: _Checker, value: Any, registry: Registry | None) -> tuple[InjectedEvent, ...]:
    """The ``events:`` list: each kind's fields, ids that exist, in time order."""
    found: list[InjectedEvent] = []
    units = {u.id for u in registry.units} if registry else None
    hospitals = {h.id for h in registry.hospitals} if registry else None
    for i, item in enumerate(check.items(value, "events")):
        where = f"events[{i}]"
        before_all = len(check.problems)
        if not isinstance(item, dict):
            check.problem_at(where, f"expected a mapping of fields, got {_kind(item)}")
            continue
        kind = check.choice(item.get("kind"), f"{where}.kind", tuple(k.value for k in InjectedEventKind))
        if kind is None:
            check.add_lines(before_all)
            continue
        before = len(check.problems)
        for key in item:
            if key not in _EVENT_FIELDS[kind]:
                hint = difflib.get_close_matches(str(key), _EVENT_FIELDS[kind], n=1)
                extra = f" (did you mean {hint[0]!r}?)" if hint else f" (a {kind} takes: {', '.join(_EVENT_FIELDS[kind])})"
                check.problem_at(f"{where}.{key}", f"unknown field{extra}")
        at = check.number(item.get("at"), f"{where}.at", low=0)
        event = InjectedEvent(index=i, at_s=at or 0.0, kind=InjectedEventKind(kind))
        if kind == InjectedEventKind.UNIT_BREAKDOWN:
            unit = item.get("unit")
            if units is not None and unit not in units:
                check.problem_at(f"{where}.unit", f"no unit {unit!r} in the registry")
            event = InjectedEvent(index=i, at_s=at or 0.0, kind=event.kind, unit=str(unit))
        elif kind == InjectedEventKind.HOSPITAL_STATUS:
            hospital = item.get("hospital")
            if hospitals is not None and hospital not in hospitals:
                check.problem_at(f"{where}.hospital", f"no hospital {hospital!r} in the registry")
            status = check.choice(item.get("status"), f"{where}.status", ED_STATUSES)
            note = check.text(item.get("note"), f"{where}.note", max_len=200, required=False)
            event = InjectedEvent(index=i, at_s=at or 0.0, kind=event.kind, hospital=str(hospital),
                                  status=status, note=note)
        else:
            duration = 30.0
            if item.get("duration_s") is not None:
                duration = check.number(item["duration_s"], f"{where}.duration_s", low=1, high=600) or 30.0
            event = InjectedEvent(index=i, at_s=at or 0.0, kind=event.kind, duration_s=duration)
        if found and at is not None and at < found[-1].at_s:
            check.problem_at(f"{where}.at", f"time goes backwards: {at:g} s comes after events[{found[-1].index}] "
                             f"at {found[-1].at_s:g} s (list the events in time order)")
        check.add_lines(before_all)
        if len(check.problems) == before and at is not None:
            found.append(event)
    return tuple(found)


def _physiology(check: _Checker, value: Any, where: str) -> Physiology | None:
    """A call's ``physiology:`` (app.sim.physiology.Physiology)."""
    if value is None:
        return None
    raw = check.mapping(value, where, _PHYSIOLOGY_FIELDS, required=("rhythm",))
    if raw is None:
        return None
    before = len(check.problems)
    args: dict[str, Any] = {}
    for key in ("rhythm", "arrest_rhythm", "rosc_rhythm"):
        if raw.get(key) is not None:
            args[key] = check.choice(raw[key], f"{where}.{key}", RHYTHMS)
    limits = {"hr": (0, 250), "spo2": (40, 100), "rr": (0, 60), "hr_per_min": (-30, 30), "spo2_per_min": (-10, 10),
              "arrest_after_s": (0, 7200), "asystole_after_s": (30, 3600), "cpr_slows": (1, 10), "rosc_chance": (0, 1)}
    for key, (low, high) in limits.items():
        if raw.get(key) is not None:
            args[key] = check.number(raw[key], f"{where}.{key}", low=low, high=high)
    check.add_lines(before)
    if len(check.problems) > before or args.get("rhythm") is None:
        return None
    return Physiology(**args)


def _scenario_registry(check: _Checker, value: Any) -> Registry | None:
    if value is None:
        return None  # reported as missing already
    if isinstance(value, str):
        reg_path = Path(value)
        if not reg_path.is_absolute():
            reg_path = check.path.parent / reg_path
        try:
            return load_registry(reg_path)
        except ScenarioError as exc:
            check.problem("registry", f"the registry {value!r} cannot be used:")
            check.problems.extend(f"  {p}" for p in exc.problems)
            return None
    if isinstance(value, dict):
        sub = _Checker(check.path)
        registry = _registry(sub, value, check.path, where="registry")
        check.problems.extend(sub.problems)
        return registry
    check.problem("registry", f"expected a file name or a mapping, got {_kind(value)}")
    return None


def _call(check: _Checker, item: Any, index: int) -> ScriptedCall | None:
    where = f"calls[{index}]"
    raw = check.mapping(
        item, where, _CALL_FIELDS, required=("at", "caller_number", "says", "expected_priority", "outcome")
    )
    if raw is None:
        return None
    before = len(check.problems)
    at = check.number(raw.get("at"), f"{where}.at", low=0) if "at" in raw else None
    number = raw.get("caller_number")
    if isinstance(number, int) and not isinstance(number, bool):
        check.problem(
            f"{where}.caller_number",
            f'write the number in quotes ("{number}"): YAML reads bare digits as a number '
            "and drops leading zeros",
        )
        number = None
    elif number is not None and (not isinstance(number, str) or not PHONE_RE.match(number)):
        check.problem(f"{where}.caller_number", f"not a phone number: {number!r} (digits, optional + * # -)")
        number = None
    caller_name = check.text(raw.get("caller_name"), f"{where}.caller_name", max_len=64, required=False)
    location = check.text(raw.get("location_text"), f"{where}.location_text", max_len=200, required=False)
    says = None
    if "says" in raw and raw["says"] is not None:
        says_raw = check.mapping(raw["says"], f"{where}.says", ("zh", "en"), required=("zh", "en"))
        if says_raw is not None:
            zh = check.text(says_raw.get("zh"), f"{where}.says.zh", max_len=1000, required="zh" in says_raw)
            en = check.text(says_raw.get("en"), f"{where}.says.en", max_len=1000, required="en" in says_raw)
            if zh is not None and en is not None:
                says = CallerSays(zh=zh, en=en)
    patients = 1
    if raw.get("patients") is not None:
        patients = check.integer(raw["patients"], f"{where}.patients", low=1, high=999) or 1
    priority = None
    if "expected_priority" in raw and raw["expected_priority"] is not None:
        priority = check.integer(raw["expected_priority"], f"{where}.expected_priority", low=1, high=4)
    abandon = None
    if raw.get("abandon_after_s") is not None:
        abandon = check.number(raw["abandon_after_s"], f"{where}.abandon_after_s", low=0, low_open=True)
    talk = 60.0
    if raw.get("talk_s") is not None:
        talk = check.number(raw["talk_s"], f"{where}.talk_s", low=0, low_open=True) or 60.0
    outcome = None
    if "outcome" in raw and raw["outcome"] is not None:
        chosen = check.choice(raw["outcome"], f"{where}.outcome", tuple(o.value for o in SCRIPT_OUTCOMES))
        outcome = CloseReason(chosen) if chosen else None
    locations = _locations(check, raw.get("locations"), f"{where}.locations")
    monitor = _patient_monitor(check, raw.get("patient_monitor"), f"{where}.patient_monitor")
    caller = _caller(check, raw.get("caller"), f"{where}.caller")
    capability = None
    if raw.get("expected_capability") is not None:
        capability = check.choice(raw["expected_capability"], f"{where}.expected_capability", CAPABILITIES)
    physiology = _physiology(check, raw.get("physiology"), f"{where}.physiology")
    if physiology is not None and monitor:
        check.problem_at(f"{where}.physiology", "give either physiology: or patient_monitor:, not both")
    hospital = None
    if raw.get("expected_hospital") is not None:
        hospital = check.ident(raw["expected_hospital"], f"{where}.expected_hospital")
    needs: list[str] = []
    for i, flag in enumerate(check.items(raw.get("hospital_needs"), f"{where}.hospital_needs")):
        chosen_flag = check.choice(flag, f"{where}.hospital_needs[{i}]", HOSPITAL_CAPABILITIES)
        if chosen_flag:
            needs.append(chosen_flag)
    repeat_of = None
    if raw.get("repeat_of") is not None:
        repeat_of = check.integer(raw["repeat_of"], f"{where}.repeat_of", low=0, high=MAX_CALLS)
    if (len(check.problems) > before or at is None or number is None or says is None or priority is None
            or outcome is None):
        return None
    return ScriptedCall(
        index=index,
        at_s=at,
        caller_number=number,
        caller_name=caller_name,
        location_text=location,
        says=says,
        patients=patients,
        expected_priority=priority,
        abandon_after_s=abandon,
        talk_s=talk,
        outcome=outcome,
        locations=locations,
        patient_monitor=monitor,
        caller=caller,
        expected_capability=capability,
        physiology=physiology,
        expected_hospital=hospital,
        hospital_needs=tuple(needs),
        repeat_of=repeat_of,
    )


def _check_positions(check: _Checker, calls: list[ScriptedCall], registry: Registry) -> None:
    """Refuse a caller position outside the area the registry covers (plus :data:`MAP_MARGIN_KM`)."""
    places = [*registry.stations, *registry.hospitals]
    if not places:
        return
    margin_lat = MAP_MARGIN_KM / 111.0
    mid_lat = sum(p.lat for p in places) / len(places)
    margin_lon = MAP_MARGIN_KM / (111.0 * max(0.1, math.cos(math.radians(mid_lat))))
    south, north = min(p.lat for p in places) - margin_lat, max(p.lat for p in places) + margin_lat
    west, east = min(p.lon for p in places) - margin_lon, max(p.lon for p in places) + margin_lon
    for call in calls:
        for i, candidate in enumerate(call.locations):
            lat, lon = candidate.get("lat"), candidate.get("lon")
            if lat is None or lon is None:
                continue
            if not (south <= lat <= north and west <= lon <= east):
                check.problem_at(
                    f"calls[{call.index}].locations[{i}]",
                    f"position {lat:.5f}, {lon:.5f} is outside the map (the registry's stations and "
                    f"hospitals cover {south:.3f}..{north:.3f} N, {west:.3f}..{east:.3f} E with a "
                    f"{MAP_MARGIN_KM:g} km margin)",
                )


def question_answers() -> dict[str, frozenset[str]]:
    """Every protocol question id of the shipped protocols → the answer keys it takes.

    A question id reused by several protocols takes the keys of any of them.
    """
    return dict(_question_answers())


def question_reuses() -> dict[str, str]:
    """Question id → the id of the question it asks again (``reuses:`` in the protocol files)."""
    return dict(_question_reuses())


@functools.cache
def _question_answers() -> tuple[tuple[str, frozenset[str]], ...]:
    keys: dict[str, set[str]] = {}
    for protocol in _shipped_protocols().all_protocols():
        for qid, question in protocol.questions.items():
            keys.setdefault(qid, set()).update(question.keys)
    return tuple((qid, frozenset(k)) for qid, k in sorted(keys.items()))


@functools.cache
def _question_reuses() -> tuple[tuple[str, str], ...]:
    found = {qid: q.reuses for p in _shipped_protocols().all_protocols() for qid, q in p.questions.items() if q.reuses}
    return tuple(sorted(found.items()))


@functools.cache
def _shipped_protocols() -> Any:
    from app.triage import DEFAULT_PROTOCOL_DIR, load_protocol_set

    return load_protocol_set(DEFAULT_PROTOCOL_DIR)


def _caller(check: _Checker, value: Any, where: str) -> CallerScript:
    if value is None:
        return CallerScript()
    raw = check.mapping(value, where, _CALLER_FIELDS)
    if raw is None:
        return CallerScript()
    behaviour = CallerBehaviour.CALM
    if "behaviour" in raw:
        chosen = check.choice(raw["behaviour"], f"{where}.behaviour", tuple(b.value for b in CallerBehaviour))
        behaviour = CallerBehaviour(chosen) if chosen else behaviour
    landmark = None
    if raw.get("landmark") is not None:
        lm = check.mapping(raw["landmark"], f"{where}.landmark", ("zh", "en"), required=("zh", "en"))
        if lm is not None:
            zh = check.text(lm.get("zh"), f"{where}.landmark.zh", max_len=200)
            en = check.text(lm.get("en"), f"{where}.landmark.en", max_len=200)
            landmark = CallerSays(zh=zh, en=en) if zh and en else None
    answers: dict[str, CallerAnswer] = {}
    answers_raw = raw.get("answers")
    if answers_raw is not None and not isinstance(answers_raw, dict):
        check.problem_at(f"{where}.answers", f"expected a mapping of question id to answer, got {_kind(answers_raw)}")
        answers_raw = None
    known = question_answers()
    for qid, item in (answers_raw or {}).items():
        at = f"{where}.answers.{qid}"
        if str(qid) not in known:
            hint = difflib.get_close_matches(str(qid), known, n=1)
            extra = f" (did you mean {hint[0]!r}?)" if hint else ""
            check.problem_at(at, f"unknown question id {qid!r}: no protocol asks it{extra}")
            continue
        entry = check.mapping(item, at, _CALLER_ANSWER_FIELDS, required=("zh", "en"))
        if entry is None:
            continue
        key = entry.get("answer")
        if key is not None:
            if isinstance(key, bool):
                check.problem_at(f"{at}.answer", f'write the key in quotes ("yes"/"no"): YAML reads {key} as true/false')
                continue
            key = str(key)
            if key not in known[str(qid)]:
                check.problem_at(
                    f"{at}.answer",
                    f"{key!r} is not an answer of question {qid!r} (its answers: {', '.join(sorted(known[str(qid)]))})",
                )
                continue
        zh = check.text(entry.get("zh"), f"{at}.zh", max_len=500)
        en = check.text(entry.get("en"), f"{at}.en", max_len=500)
        if zh and en:
            answers[str(qid)] = CallerAnswer(zh=zh, en=en, answer=key)
    return CallerScript(behaviour=behaviour, answers=answers, landmark=landmark)


def _locations(check: _Checker, value: Any, where: str) -> tuple[dict[str, Any], ...]:
    """A call's location candidates, checked as the protocol will (app.protocol.location)."""
    from app.protocol.location import LOCATION, MAX_CANDIDATES
    from app.protocol.schema import check_value

    found = []
    items = check.items(value, where)
    if len(items) > MAX_CANDIDATES:
        check.problem(where, f"{len(items)} candidates; the limit is {MAX_CANDIDATES}")
        return ()
    for i, item in enumerate(items):
        at = f"{where}[{i}]"
        raw = check.mapping(item, at, _LOCATION_FIELDS, required=("source",))
        if raw is None:
            continue
        age = raw.get("age_s")
        if age is not None and check.number(age, f"{at}.age_s", low=0) is None:
            continue
        candidate = {k: raw.get(k) for k in ("source", "lat", "lon", "accuracy_m", "address")}
        try:
            check_value(LOCATION, {**candidate, "at": None}, at)
        except Exception as exc:  # ProtocolError: say it the scenario's way
            check.problem(at, str(getattr(exc, "message", exc)).removeprefix(at + ": "))
            continue
        found.append({**candidate, "age_s": age})
    return tuple(found)


def _patient_monitor(check: _Checker, value: Any, where: str) -> tuple[tuple[float, str], ...]:
    """``{rhythm: vf}`` or ``{scenario: vf_cpr_rosc}`` → the monitor's steps (app.sim.monitor)."""
    if value is None:
        return ()
    from app.ecg.rhythms import Rhythm
    from app.sim.monitor import SCENARIOS

    raw = check.mapping(value, where, ("rhythm", "scenario"))
    if raw is None:
        return ()
    if ("rhythm" in raw) == ("scenario" in raw):
        check.problem(where, "give either rhythm: or scenario:, not both or neither")
        return ()
    if "rhythm" in raw:
        rhythm = check.choice(raw["rhythm"], f"{where}.rhythm", (*(r.value for r in Rhythm), "mitdb208", "ecg12"))
        return ((0.0, rhythm),) if rhythm else ()
    name = check.choice(raw["scenario"], f"{where}.scenario", tuple(SCENARIOS))
    return tuple((float(at), str(source)) for at, source in SCENARIOS[name]) if name else ()


# ---------------------------------------------------------------- registry

_PRINCIPAL_SECTIONS = ("seats", "devices", "switches", "trainers", "volunteers")
# The sections and keys the server's ``admin import`` accepts (server_stub/README.md):
# checked here too, so ``dispatch120 sim check`` finds what the import would refuse.
_REGISTRY_KEYS: dict[str, tuple[str, ...]] = {
    "stations": ("id", "name", "lat", "lon"),
    "hospitals": ("id", "name", "lat", "lon", "capabilities", "trauma_level"),  # the server checks the last two
    "units": ("id", "call_sign", "station", "capability"),
    "seats": ("id", "name"),
    "devices": ("id", "unit", "name"),
    "switches": ("id", "name"),
    "trainers": ("id", "name"),
    "volunteers": ("id", "name"),
    "aeds": ("id", "name", "lat", "lon", "access"),  # the server checks access
}


def _registry(check: _Checker, raw: Any, source: Path, where: str = "") -> Registry | None:
    top = check.mapping(raw, where, tuple(_REGISTRY_KEYS))
    if top is None:
        return None
    before = len(check.problems)
    stations = _places(check, top.get("stations"), _join(where, "stations"))
    hospitals = _places(check, top.get("hospitals"), _join(where, "hospitals"), _REGISTRY_KEYS["hospitals"])
    aeds = _places(check, top.get("aeds"), _join(where, "aeds"), _REGISTRY_KEYS["aeds"])
    station_ids = {s.id for s in stations}

    units: list[UnitSpec] = []
    seen_units: set[str] = set()
    for i, item in enumerate(check.items(top.get("units"), _join(where, "units"))):
        at = f"{_join(where, 'units')}[{i}]"
        unit = check.mapping(item, at, _REGISTRY_KEYS["units"], required=("id", "call_sign"))
        if unit is None:
            continue
        uid = check.ident(unit.get("id"), f"{at}.id") if "id" in unit else None
        call_sign = check.text(
            unit.get("call_sign"), f"{at}.call_sign", max_len=32, required="call_sign" in unit
        )
        # The server's default is bls: never claim a capability a unit may not have.
        capability = check.choice(unit.get("capability", "bls"), f"{at}.capability", CAPABILITIES)
        station = unit.get("station")
        if station is not None and station not in station_ids:
            check.problem(f"{at}.station", f"no station {station!r} in stations:")
            station = None
        if uid is not None and uid in seen_units:
            check.problem(f"{at}.id", f"unit {uid!r} is listed twice")
            continue
        if uid and call_sign and capability:
            seen_units.add(uid)
            units.append(UnitSpec(id=uid, call_sign=call_sign, capability=capability, station=station))

    principals: dict[str, list[PrincipalSpec]] = {s: [] for s in _PRINCIPAL_SECTIONS}
    seen_principals: set[str] = set()
    devices_by_unit: dict[str, str] = {}
    for section in _PRINCIPAL_SECTIONS:
        for i, item in enumerate(check.items(top.get(section), _join(where, section))):
            at = f"{_join(where, section)}[{i}]"
            need = {"devices": ("id", "unit"), "seats": ("id", "name"), "volunteers": ("id", "name")}.get(
                section, ("id",))
            entry = check.mapping(item, at, _REGISTRY_KEYS[section], required=need)
            if entry is None or "id" not in entry:
                continue
            pid = check.ident(entry.get("id"), f"{at}.id")
            name = entry.get("name", pid)
            name = check.text(name, f"{at}.name", max_len=100) if name is not None else pid
            unit_id = None
            if section == "devices" and entry.get("unit") is not None:
                unit_id = entry["unit"]
                if unit_id not in seen_units:
                    check.problem(f"{at}.unit", f"no unit {unit_id!r} in units:")
                    unit_id = None
                elif unit_id in devices_by_unit:
                    check.problem(
                        f"{at}.unit", f"unit {unit_id!r} already has device {devices_by_unit[unit_id]!r}"
                    )
                    unit_id = None
            if pid is None or name is None:
                continue
            if pid in seen_principals:
                check.problem(
                    f"{at}.id", f"{pid!r} is already used by another seat, device, switch, trainer or volunteer"
                )
                continue
            if section == "devices" and unit_id is None:
                continue
            seen_principals.add(pid)
            if unit_id is not None:
                devices_by_unit[unit_id] = pid
            principals[section].append(PrincipalSpec(id=pid, name=name, unit=unit_id))
    if not principals["seats"]:
        check.problem(_join(where, "seats"), "the registry has no seat: nobody could take the calls")
    if len(check.problems) > before:
        return None
    return Registry(
        data=top,
        source=source,
        stations=tuple(stations),
        hospitals=tuple(hospitals),
        units=tuple(units),
        seats=tuple(principals["seats"]),
        devices=tuple(principals["devices"]),
        switches=tuple(principals["switches"]),
        trainers=tuple(principals["trainers"]),
        volunteers=tuple(principals["volunteers"]),
        aeds=tuple(aeds),
    )


def _places(check: _Checker, value: Any, where: str, keys: tuple[str, ...] = ("id", "name", "lat", "lon")) -> list[Place]:
    places: list[Place] = []
    seen: set[str] = set()
    for i, item in enumerate(check.items(value, where)):
        at = f"{where}[{i}]"
        raw = check.mapping(item, at, keys, required=("id", "name", "lat", "lon"))
        if raw is None or any(k not in raw for k in ("id", "name", "lat", "lon")):
            continue
        pid = check.ident(raw["id"], f"{at}.id")
        name = check.text(raw["name"], f"{at}.name", max_len=100)
        lat = check.number(raw["lat"], f"{at}.lat", low=-90, high=90)
        lon = check.number(raw["lon"], f"{at}.lon", low=-180, high=180)
        if pid is not None and pid in seen:
            check.problem(f"{at}.id", f"{pid!r} is listed twice")
            continue
        if pid is not None and name is not None and lat is not None and lon is not None:
            seen.add(pid)
            places.append(Place(id=pid, name=name, lat=lat, lon=lon))
    return places
