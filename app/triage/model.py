"""The triage protocol model: immutable values built by :mod:`app.triage.loader`.

Pure data, no I/O, no Qt; safe to share between threads once loaded (every
object is frozen and its collections are tuples or read-only mappings).

Text shown to the caller or the dispatcher lives in the protocol files, in both
languages, as :class:`Text`; everything else the core hands out is an id, an
enum or a number (``widgets/labels.py`` names the enums).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

LANGUAGES = ("zh", "en")
"""Every protocol string exists in these languages (checked on load)."""

CASE_ENTRY_ID = "case_entry"
"""Protocol id of the case-entry questions (``case_entry.yaml``)."""


class Capability(enum.StrEnum):
    """What the ambulance must be able to do."""

    ALS = "als"  # advanced life support (doctor/paramedic, monitor-defibrillator, drugs)
    BLS = "bls"  # basic life support
    NEGATIVE_PRESSURE = "negative_pressure"  # isolation ambulance for suspected infectious disease


class CprMethod(enum.StrEnum):
    """How the telephone-CPR coach teaches resuscitation (ERC 2021 / AHA 2020-2025).

    The cause and the patient's age decide it: a presumed cardiac arrest in an adult gets
    compression-only CPR; an asphyxial arrest (drowning, hanging or strangulation, choking
    that became an arrest, smothering) and any child or infant need oxygen first, so the
    coach asks for rescue breaths when the caller is able and willing, and falls back to
    continuous compressions when not.
    """

    HANDS_ONLY = "hands_only"  # adult, presumed cardiac: continuous compressions, 100-120/min
    BREATHS_FIRST = "breaths_first"  # adult asphyxial arrest: 5 rescue breaths, then 30:2
    CHILD = "child"  # 1 year to puberty: 5 rescue breaths, then 30:2; one or two hands, 1/3 depth (~5 cm)
    INFANT = "infant"  # under 1 year: 5 rescue breaths (mouth over mouth and nose), then 30:2; two fingers, ~4 cm


class Urgency(enum.StrEnum):
    """How the unit drives and how soon it must leave."""

    EMERGENCY = "emergency"
    URGENT = "urgent"
    ROUTINE = "routine"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a protocol file. ``str()`` is ``file:line: message``.

    ``line`` is 1-based; 0 when the problem concerns the whole file (e.g. a missing file).
    """

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class Text(Mapping[str, str]):
    """A string in both languages: a read-only mapping ``{"zh": ..., "en": ...}``.

    ``text.get("zh")`` / ``text.get("zh_CN")`` / ``text["en"]``. :meth:`get` accepts a
    locale name and falls back to English for a language the protocols do not have.
    """

    __slots__ = ("_values",)

    def __init__(self, zh: str, en: str) -> None:
        self._values = {"zh": zh, "en": en}

    @property
    def zh(self) -> str:
        return self._values["zh"]

    @property
    def en(self) -> str:
        return self._values["en"]

    def get(self, lang: str, default: str | None = None) -> str:  # type: ignore[override]
        """The text in ``lang`` (``"zh"``, ``"en"``, or a locale like ``"zh_CN"``).

        A language the protocols do not carry gives ``default`` if given, else English.
        """
        key = (lang or "").replace("-", "_").split("_", 1)[0].lower()
        if key in self._values:
            return self._values[key]
        return default if default is not None else self._values["en"]

    def __getitem__(self, key: str) -> str:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return dict(self._values) == dict(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.zh, self.en))

    def __repr__(self) -> str:
        return f"Text(zh={self.zh!r}, en={self.en!r})"

    def as_dict(self) -> dict[str, str]:
        """A plain ``{"zh": ..., "en": ...}`` (for JSON)."""
        return dict(self._values)


@dataclass(frozen=True, slots=True)
class Plan:
    """A response plan (``plans.yaml``): what to send and how fast.

    ``extra`` names additional resources (``fire_rescue``, ``police``, ``second_unit``,
    ``supervisor``, ``hazmat``, ...); ``label`` is the centre's own name for the plan.
    """

    id: str
    capability: Capability
    urgency: Urgency
    lights_sirens: bool
    extra: tuple[str, ...]
    label: Text

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "capability": self.capability.value,
            "urgency": self.urgency.value,
            "lights_sirens": self.lights_sirens,
            "extra": list(self.extra),
            "label": self.label.as_dict(),
        }


RANGE_UNITS = ("min", "h", "d", "wk", "mo", "y", "m", "mmol/L", "mmHg", "°C", "%", "/min")
"""Units a quantitative answer's :class:`AnswerRange` may use (one unit per question)."""


@dataclass(frozen=True, slots=True)
class AnswerRange:
    """The quantity an answer stands for (``range:`` in the file), e.g. last seen well
    more than 4.5 h and at most 6 h ago: ``AnswerRange(4.5, False, 6, True, "h")``.

    ``low``/``high`` ``None`` = unbounded on that side. ``*_inclusive`` says whether the bound
    itself belongs to this answer (``min``/``max`` in the file) or not (``over``/``under``).
    """

    low: float | None
    low_inclusive: bool
    high: float | None
    high_inclusive: bool
    unit: str

    def contains(self, value: float) -> bool:
        """Whether ``value`` (in :attr:`unit`) is this answer."""
        if self.low is not None and (value < self.low or (value == self.low and not self.low_inclusive)):
            return False
        return self.high is None or value < self.high or (value == self.high and self.high_inclusive)

    def describe(self) -> str:
        """``"> 4.5 and <= 6 h"``: for problem messages."""
        parts = []
        if self.low is not None:
            parts.append(f"{'>=' if self.low_inclusive else '>'} {self.low:g}")
        if self.high is not None:
            parts.append(f"{'<=' if self.high_inclusive else '<'} {self.high:g}")
        return f"{' and '.join(parts) or 'any'} {self.unit}"


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer to a question. Exactly one of ``next`` (a question id in the same
    protocol), ``determinant`` (a determinant code in the same protocol) or
    ``complaint`` (a chief-complaint protocol id: continue there) is set — except in a
    *follow-up* question (:attr:`Determinant.follow_up`), whose answers set none of them:
    the answer is recorded and the questionnaire goes on with the next follow-up.

    ``arrest`` marks the answer that recognises a cardiac arrest (unconscious and not
    breathing normally): the session's :attr:`~app.triage.engine.TriageSession.arrest_recognised`
    becomes true when it is on the path.

    ``caller_id`` marks the answer taken without asking when the phone switch delivers the
    caller's number (ANI): the callback number is then shown, not asked aloud; the dispatcher
    can still re-ask the question (:meth:`~app.triage.engine.TriageSession.reask`).
    """

    key: str
    label: Text
    next: str | None = None
    determinant: str | None = None
    complaint: str | None = None
    arrest: bool = False
    range: AnswerRange | None = None
    scene_safe: bool = False  # the caller has confirmed the scene is safe to approach
    caller_id: bool = False  # taken without asking when the switch delivers the caller's number
    line: int = field(default=0, compare=False)  # 1-based line in the file (0 = not from a file)


@dataclass(frozen=True, slots=True)
class Question:
    """A question to the caller. ``reuses`` names a question (usually a case-entry one)
    whose answer carries over when its key is one of this question's keys.

    ``compound`` is the reviewer's reason why a text that joins several facts with
    and/or is still one question (``app.triage.check.option_problems`` accepts it then).
    """

    id: str
    text: Text
    answers: tuple[Answer, ...]
    help: Text | None = None
    reuses: str | None = None
    compound: str | None = None
    line: int = field(default=0, compare=False)  # 1-based line in the file (0 = not from a file)

    def answer_for(self, key: str) -> Answer | None:
        """The answer with this key, or ``None``."""
        for answer in self.answers:
            if answer.key == key:
                return answer
        return None

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(answer.key for answer in self.answers)


@dataclass(frozen=True, slots=True)
class Determinant:
    """The outcome of a protocol: code, priority (1 = level I, most urgent .. 4 = level IV),
    the response plan (after the centre's ``overrides`` in ``plans.yaml``), whether the
    telephone-CPR coach starts and how it teaches (``cpr_method``, ``None`` when ``cpr`` is
    false), scene-safety instructions to give before the caller goes to the patient
    (``safety``; electricity, gas, fire, traffic, violence), key facts for the crew,
    pre-arrival instructions in order and case-exit advice; ``prenotify`` = the seat proposes
    pre-notifying the receiving specialist centre (stroke centre, chest-pain centre);
    ``takes_floor`` = the instructions are a time-critical flow the dispatcher coaches step by
    step while the caller acts (choking, a birth under way, life-threatening bleeding): the seat
    gives them the call screen as it does the CPR coach.

    ``follow_up`` lists question ids of the same protocol asked *after* the determinant is
    reached (facts the receiving hospital needs: blood thinners, seizure at onset). They are
    not reachable from the protocol's start, their answers lead nowhere, they never change
    the determinant, and the dispatcher may skip them; see
    :attr:`app.triage.engine.TriageSession.follow_up`."""

    code: str
    priority: int
    plan: Plan
    cpr: bool
    facts: Text
    instructions: tuple[Text, ...]
    exit: tuple[Text, ...]
    protocol_id: str = ""
    cpr_method: CprMethod | None = None
    safety: tuple[Text, ...] = ()
    prenotify: bool = False  # the seat proposes pre-notifying the receiving centre (stroke, STEMI)
    follow_up: tuple[str, ...] = ()  # question ids asked after the determinant (never change it)
    takes_floor: bool = False  # the seat gives these instructions the call screen (like the CPR coach)

    def as_dict(self) -> dict[str, object]:
        return {
            "determinant": self.code,
            "protocol": self.protocol_id,
            "priority": self.priority,
            "plan": self.plan.as_dict(),
            "cpr": self.cpr,
            "prenotify": self.prenotify,
            "cpr_method": self.cpr_method.value if self.cpr_method else None,
            "safety": [text.as_dict() for text in self.safety],
            "facts": self.facts.as_dict(),
            "instructions": [text.as_dict() for text in self.instructions],
            "exit": [text.as_dict() for text in self.exit],
            "follow_up": list(self.follow_up),
            "takes_floor": self.takes_floor,
        }


@dataclass(frozen=True, slots=True, eq=False)
class Protocol:
    """One protocol file: the case entry or one chief complaint.

    ``questions`` and ``determinants`` keep file order. ``keywords`` maps a language to
    words that suggest this complaint (``ProtocolSet.complaint_for_keyword``).

    ``located_first`` (case entry only; may be empty): ``(question id, answer keys that go
    on)`` asked before everything else when the caller's location is already precise (the two
    arrest questions). The first is asked first; the next one only after an answer listed for
    the previous one that leads to it; any other answer hands back to the file's order.
    """

    id: str
    version: str
    code: int
    title: Text
    keywords: Mapping[str, tuple[str, ...]]
    start: str
    questions: Mapping[str, Question]
    determinants: Mapping[str, Determinant]
    file: str = ""
    located_first: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def is_case_entry(self) -> bool:
        return self.id == CASE_ENTRY_ID

    @property
    def follow_up_ids(self) -> frozenset[str]:
        """The questions some determinant of this protocol asks as follow-ups."""
        return frozenset(qid for d in self.determinants.values() for qid in d.follow_up)


@dataclass(frozen=True, eq=False)
class ProtocolSet:
    """A validated, complete set of protocols (built only by :func:`app.triage.loader.load_protocol_set`).

    ``protocols`` are the chief complaints by id (the case entry is not among them),
    ``plans`` the response plans by id, ``overrides`` the centre's determinant → plan
    map (already applied to every ``Determinant.plan``), ``version`` a digest of every
    file's bytes (two sets with the same version are the same protocols).
    """

    protocols: Mapping[str, Protocol]
    case_entry: Protocol
    plans: Mapping[str, Plan]
    version: str
    directory: Path | None = None
    overrides: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def protocol(self, protocol_id: str) -> Protocol:
        """The case entry or a chief complaint by id. Raises ``KeyError`` for an unknown id."""
        if protocol_id == self.case_entry.id:
            return self.case_entry
        return self.protocols[protocol_id]

    def all_protocols(self) -> tuple[Protocol, ...]:
        """The case entry first, then the chief complaints by code."""
        return (self.case_entry, *sorted(self.protocols.values(), key=lambda p: (p.code, p.id)))

    def determinant(self, code: str) -> Determinant:
        """A determinant by code, from any protocol. Raises ``KeyError``."""
        for protocol in self.all_protocols():
            if code in protocol.determinants:
                return protocol.determinants[code]
        raise KeyError(code)

    def complaint_for_keyword(self, text: str) -> Protocol | None:
        """The chief complaint whose keyword (any language) best matches ``text``.

        Case-insensitive substring match; the longest matching keyword wins (ties: the
        lower protocol code). ``None`` when no keyword occurs in ``text``.
        """
        haystack = (text or "").casefold()
        if not haystack.strip():
            return None
        best: tuple[int, int, str] | None = None
        for protocol in self.protocols.values():
            for words in protocol.keywords.values():
                for word in words:
                    needle = word.casefold()
                    if needle and needle in haystack:
                        rank = (-len(needle), protocol.code, protocol.id)
                        if best is None or rank < best:
                            best = rank
        return self.protocols[best[2]] if best else None
