"""Clinical vignettes: stories with the outcome the guidelines expect, played against a protocol set.

A vignette file (format: ``tests/data/vignettes/README.md``) holds, per chief complaint,
stories in both languages, the answers a dispatcher would key for them, and an ``expect``
block written from the guidelines: bounds on the priority, the plan's capability, urgency
and extra resources, CPR and its method, scene safety, the hospital requirement, key
instruction keywords and advice that must not be given.

:func:`load_vignettes` reads a directory (blocking I/O) and reports every problem as
``file:line: problem``; :func:`parse_vignettes` does the same for one file's text (pure).
:func:`play_all` runs each vignette exactly as ``dispatch120 triage run --case`` runs a
case (:func:`triage_run`: :func:`app.triage.engine.run_case` plus the hospital requirement)
and compares the outcome with the expectation (:func:`compare`). Everything but the loaders
is pure and runs on the calling thread.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from app.dispatch.destination import DESTINATIONS_FILE, Rule, age_answer, load_rules, required_for
from app.protocol.hospitals import HospitalCapability
from app.triage.engine import TriageSession, run_case
from app.triage.model import CASE_ENTRY_ID, Capability, CprMethod, Problem, ProtocolSet, Urgency

DEFAULT_VIGNETTE_DIR = Path(__file__).resolve().parents[2] / "tests" / "data" / "vignettes"
"""The suite kept with the source (``tests/data/vignettes``)."""

VARIANTS = frozenset({
    "paediatric", "infant", "obstetric", "hazardous_scene", "caller_unsure", "asphyxial", "agonal",
    "low_acuity", "elderly", "time_window", "wake_up", "dissection", "pe", "violence", "multi_casualty",
    "infectious", "anticoagulated",
})
"""Tags a vignette may carry (for coverage counts)."""

# Words that turn a sentence into advice *against* something ("do not give aspirin").
_NEGATIONS_ZH = ("不要", "不能", "不可", "不宜", "不得", "不应", "勿", "禁", "别", "避免", "无需", "不需")
_NEGATIONS_EN = re.compile(r"\b(do not|don't|does not|must not|should not|not|never|avoid|no)\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[。；;！!？?\n]|\.(?:\s|$)")
_ID = re.compile(r"^[a-z0-9_]+$")
_TRUE, _FALSE = frozenset({"true", "True", "TRUE"}), frozenset({"false", "False", "FALSE"})
_CAPABILITIES = frozenset(c.value for c in Capability)
_URGENCIES = frozenset(u.value for u in Urgency)
_CPR_METHODS = frozenset(m.value for m in CprMethod)
_HOSPITAL = frozenset(c.value for c in HospitalCapability)


# ---------------------------------------------------------------- the data


@dataclass(frozen=True, slots=True)
class Destination:
    """What the hospital requirement of ``triage run`` must satisfy (all optional)."""

    none: bool | None = None  # True: no special capability may be required
    needs: tuple[str, ...] = ()  # all required
    needs_any: tuple[str, ...] = ()  # at least one required
    not_: tuple[str, ...] = ()  # none of these may be required
    trauma_level_at_most: int | None = None  # the required trauma level is this or higher (1 = highest)


@dataclass(frozen=True, slots=True)
class Expectation:
    """The outcome the guidelines call for; ``None``/empty means "not checked"."""

    protocol: tuple[str, ...] = ()
    priority_min: int | None = None  # the level number must be >= this (3: not level I or II)
    priority_max: int | None = None  # the level number must be <= this (2: at least level II)
    capability: tuple[str, ...] = ()
    urgency: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()
    extra_any: tuple[str, ...] = ()
    cpr: bool | None = None
    cpr_method: tuple[str, ...] = ()
    arrest_recognised: bool | None = None
    safety: bool | None = None
    destination: Destination | None = None
    say: tuple[tuple[str, ...], ...] = ()  # each: alternatives, one must appear
    never_advise: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Vignette:
    id: str
    file: str
    line: int
    complaint: str  # the chief complaint the dispatcher chooses for the story
    variants: tuple[str, ...]
    story: Mapping[str, str]
    source: str
    answers: Mapping[str, str]
    expect: Expectation

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    def as_case(self) -> dict[str, Any]:
        """The case ``dispatch120 triage run --case`` would read for this vignette."""
        return {"name": self.id, "complaint": self.complaint, "answers": dict(self.answers)}


@dataclass(frozen=True, slots=True)
class Failure:
    """One way the outcome differs from the expectation. ``str()``: ``file:line: id: what: message``."""

    vignette: Vignette
    what: str  # the expectation key (``priority``, ``destination``, ``answers`` ...)
    message: str

    def __str__(self) -> str:
        return f"{self.vignette.where}: {self.vignette.id}: {self.what}: {self.message}"


@dataclass(frozen=True)
class Result:
    """A vignette played: the ``triage run`` outcome (``None`` if the case was refused), the
    failures, warnings (answers never asked), and how many questions the dispatcher asked:
    in all (case entry included), after the case entry, and up to arrest recognition."""

    vignette: Vignette
    outcome: Mapping[str, Any] | None
    failures: tuple[Failure, ...]
    warnings: tuple[str, ...] = ()
    questions_asked: int | None = None
    questions_in_complaint: int | None = None
    questions_to_arrest: int | None = None

    @property
    def passed(self) -> bool:
        return not self.failures

    def as_dict(self) -> dict[str, Any]:
        outcome = self.outcome or {}
        plan = outcome.get("plan") or {}
        return {
            "id": self.vignette.id,
            "file": self.vignette.file,
            "line": self.vignette.line,
            "complaint": self.vignette.complaint,
            "variants": list(self.vignette.variants),
            "passed": self.passed,
            "failures": [{"what": f.what, "message": f.message} for f in self.failures],
            "warnings": list(self.warnings),
            "determinant": outcome.get("determinant"),
            "protocol": outcome.get("protocol"),
            "priority": outcome.get("priority"),
            "plan": plan.get("id") if isinstance(plan, Mapping) else None,
            "questions_asked": self.questions_asked,
            "questions_in_complaint": self.questions_in_complaint,
            "questions_to_arrest": self.questions_to_arrest,
        }


# ---------------------------------------------------------------- loading


class _Reader:
    """Reads composed YAML nodes into values, collecting ``file:line`` problems."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.problems: list[Problem] = []

    def problem(self, node: Node | None, message: str) -> None:
        line = node.start_mark.line + 1 if node is not None else 0
        self.problems.append(Problem(self.label, line, message))

    def mapping(self, node: Node, where: str, required: Iterable[str], optional: Iterable[str]) -> dict[str, Node] | None:
        if not isinstance(node, MappingNode):
            self.problem(node, f"{where}: expected a mapping")
            return None
        allowed = set(required) | set(optional)
        out: dict[str, Node] = {}
        ok = True
        for key_node, value in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            if key is None or key not in allowed:
                self.problem(key_node, f"{where}: unknown key {key!r} (allowed: {', '.join(sorted(allowed))})")
                ok = False
            elif key in out:
                self.problem(key_node, f"{where}: duplicate key {key!r}")
                ok = False
            else:
                out[key] = value
        for key in required:
            if key not in out:
                self.problem(node, f"{where}: missing {key!r}")
                ok = False
        # Unknown or duplicate keys are reported, and the known ones still read (so one run
        # reports every problem); a missing required key stops here.
        return out if ok or all(key in out for key in required) else None

    def string(self, node: Node, where: str, choices: frozenset[str] | None = None,
               pattern: re.Pattern[str] | None = None) -> str | None:
        if not isinstance(node, ScalarNode) or not str(node.value).strip():
            self.problem(node, f"{where}: expected a non-empty string")
            return None
        value = str(node.value)
        if choices is not None and value not in choices:
            self.problem(node, f"{where}: {value!r} is not one of {', '.join(sorted(choices))}")
            return None
        if pattern is not None and not pattern.match(value):
            self.problem(node, f"{where}: {value!r} must be lower_case_with_underscores")
            return None
        return value

    def strings(self, node: Node, where: str, choices: frozenset[str] | None = None,
                allow_one: bool = False, allow_empty: bool = False) -> tuple[str, ...] | None:
        if allow_one and isinstance(node, ScalarNode):
            one = self.string(node, where, choices)
            return None if one is None else (one,)
        if not isinstance(node, SequenceNode) or (not node.value and not allow_empty):
            self.problem(node, f"{where}: expected a {'possibly empty ' if allow_empty else 'non-empty '}list")
            return None
        values = [self.string(item, f"{where}[{i}]", choices) for i, item in enumerate(node.value)]
        return None if any(v is None for v in values) else tuple(v for v in values if v is not None)

    def boolean(self, node: Node, where: str) -> bool | None:
        if isinstance(node, ScalarNode) and node.value in _TRUE | _FALSE:
            return node.value in _TRUE
        self.problem(node, f"{where}: expected true or false")
        return None

    def level(self, node: Node, where: str, low: int, high: int) -> int | None:
        if isinstance(node, ScalarNode) and re.fullmatch(r"\d+", str(node.value)) and low <= int(node.value) <= high:
            return int(node.value)
        self.problem(node, f"{where}: expected a whole number {low}..{high}")
        return None


def _read_destination(reader: _Reader, node: Node, where: str) -> Destination | None:
    fields = reader.mapping(node, where, (), ("none", "needs", "needs_any", "not", "trauma_level_at_most"))
    if fields is None:
        return None
    none = reader.boolean(fields["none"], f"{where}.none") if "none" in fields else None
    lists = {key: reader.strings(fields[key], f"{where}.{key}", _HOSPITAL) if key in fields else ()
             for key in ("needs", "needs_any", "not")}
    level = (reader.level(fields["trauma_level_at_most"], f"{where}.trauma_level_at_most", 1, 3)
             if "trauma_level_at_most" in fields else None)
    if ("none" in fields and none is None) or any(v is None for v in lists.values()) or (
            "trauma_level_at_most" in fields and level is None):
        return None
    if none and (lists["needs"] or lists["needs_any"] or level is not None):
        reader.problem(node, f"{where}: none: true contradicts needs/needs_any/trauma_level_at_most")
        return None
    clash = set(lists["not"] or ()) & (set(lists["needs"] or ()) | set(lists["needs_any"] or ()))
    if clash:
        reader.problem(node, f"{where}: {', '.join(sorted(clash))} both needed and refused")
        return None
    return Destination(none, lists["needs"] or (), lists["needs_any"] or (), lists["not"] or (), level)


_EXPECT_KEYS = ("protocol", "priority", "priority_min", "priority_max", "capability", "urgency", "extra",
                "extra_any", "cpr", "cpr_method", "arrest_recognised", "safety", "destination", "say",
                "never_advise")


def _read_expect(reader: _Reader, node: Node, where: str) -> Expectation | None:
    fields = reader.mapping(node, where, (), _EXPECT_KEYS)
    if fields is None:
        return None
    if not fields:
        reader.problem(node, f"{where}: expects nothing; say at least one thing the outcome must be")
        return None
    before = len(reader.problems)
    values: dict[str, Any] = {}
    if "priority" in fields:
        if "priority_min" in fields or "priority_max" in fields:
            reader.problem(fields["priority"], f"{where}: give priority or priority_min/priority_max, not both")
        level = reader.level(fields["priority"], f"{where}.priority", 1, 4)
        values["priority_min"] = values["priority_max"] = level
    for key in ("priority_min", "priority_max"):
        if key in fields:
            values[key] = reader.level(fields[key], f"{where}.{key}", 1, 4)
    if (values.get("priority_min") and values.get("priority_max")
            and values["priority_min"] > values["priority_max"]):
        reader.problem(fields.get("priority_min"), f"{where}: priority_min is above priority_max")
    for key, choices in (("protocol", None), ("capability", _CAPABILITIES), ("urgency", _URGENCIES),
                         ("cpr_method", _CPR_METHODS), ("extra", None), ("extra_any", None),
                         ("never_advise", None)):
        if key in fields:
            values[key] = reader.strings(fields[key], f"{where}.{key}", choices,
                                         allow_one=key in ("protocol", "capability", "urgency", "cpr_method"))
    for key in ("cpr", "arrest_recognised", "safety"):
        if key in fields:
            values[key] = reader.boolean(fields[key], f"{where}.{key}")
    if values.get("cpr_method") and values.get("cpr") is False:
        reader.problem(fields["cpr_method"], f"{where}: cpr_method given but cpr is false")
    if "destination" in fields:
        values["destination"] = _read_destination(reader, fields["destination"], f"{where}.destination")
    if "say" in fields:
        node_say = fields["say"]
        if not isinstance(node_say, SequenceNode) or not node_say.value:
            reader.problem(node_say, f"{where}.say: expected a non-empty list of keywords or keyword lists")
        else:
            says = [reader.strings(item, f"{where}.say[{i}]", allow_one=True) for i, item in enumerate(node_say.value)]
            values["say"] = tuple(s for s in says if s is not None)
    if len(reader.problems) != before:
        return None
    return Expectation(**{k: v for k, v in values.items() if v is not None})


def _read_vignette(reader: _Reader, node: Node, where: str, complaint: str) -> Vignette | None:
    fields = reader.mapping(node, where, ("id", "story", "source", "expect"),
                            ("variants", "complaint", "answers"))
    if fields is None:
        return None
    before = len(reader.problems)
    vid = reader.string(fields["id"], f"{where}.id", pattern=_ID)
    where = f"{where} ({vid})" if vid else where
    story: dict[str, str] = {}
    story_fields = reader.mapping(fields["story"], f"{where}.story", ("zh", "en"), ())
    if story_fields is not None:
        for lang, text_node in story_fields.items():
            text = reader.string(text_node, f"{where}.story.{lang}")
            if text is not None:
                story[lang] = text
    source = reader.string(fields["source"], f"{where}.source")
    variants = (reader.strings(fields["variants"], f"{where}.variants", VARIANTS, allow_empty=True)
                if "variants" in fields else ())
    chosen = reader.string(fields["complaint"], f"{where}.complaint") if "complaint" in fields else complaint
    answers: dict[str, str] = {}
    if "answers" in fields:
        answer_node = fields["answers"]
        if isinstance(answer_node, ScalarNode) and answer_node.tag.endswith(":null"):
            pass  # `answers:` left empty while the story is being written
        elif not isinstance(answer_node, MappingNode):
            reader.problem(answer_node, f"{where}.answers: expected a mapping question id -> answer key")
        else:
            for key_node, value_node in answer_node.value:
                qid = reader.string(key_node, f"{where}.answers")
                key = reader.string(value_node, f"{where}.answers.{qid}")
                if qid is None or key is None:
                    continue
                if qid in answers:
                    reader.problem(key_node, f"{where}.answers: duplicate question {qid!r}")
                answers[qid] = key  # the text as written: a plain yes/no stays "yes"/"no"
    expect = _read_expect(reader, fields["expect"], f"{where}.expect")
    if len(reader.problems) != before or vid is None or source is None or chosen is None or expect is None:
        return None
    return Vignette(vid, reader.label, node.start_mark.line + 1, chosen, variants or (), story, source,
                    answers, expect)


def parse_vignettes(text: str, label: str) -> tuple[list[Vignette], list[Problem]]:
    """The vignettes of one file's text; every problem as ``label:line: message`` (pure)."""
    reader = _Reader(label)
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        return [], [Problem(label, line, f"not valid YAML: {getattr(exc, 'problem', None) or exc}")]
    if root is None:
        return [], [Problem(label, 0, "empty file")]
    fields = reader.mapping(root, "file", ("schema", "complaint", "vignettes"), ())
    if fields is None:
        return [], reader.problems
    if not (isinstance(fields["schema"], ScalarNode) and fields["schema"].value == "1"):
        reader.problem(fields["schema"], "schema: must be 1")
    complaint = reader.string(fields["complaint"], "complaint", pattern=_ID)
    items = fields["vignettes"]
    vignettes: list[Vignette] = []
    if not isinstance(items, SequenceNode) or not items.value:
        reader.problem(items, "vignettes: expected a non-empty list")
    elif complaint is not None:
        for index, item in enumerate(items.value):
            vignette = _read_vignette(reader, item, f"vignettes[{index}]", complaint)
            if vignette is not None:
                vignettes.append(vignette)
    return vignettes, reader.problems


def load_vignettes(directory: Path | str = DEFAULT_VIGNETTE_DIR) -> tuple[list[Vignette], list[Problem]]:
    """Every ``*.yaml`` file of ``directory`` (sorted by name), and every problem found.

    Blocking file I/O. Problems name the file (as given under ``directory``) and the line;
    vignette ids must be unique across the directory. A vignette with a problem is left out.
    """
    directory = Path(directory)
    if not directory.is_dir():
        return [], [Problem(str(directory), 0, "not a directory")]
    vignettes: list[Vignette] = []
    problems: list[Problem] = []
    seen: dict[str, Vignette] = {}
    for path in sorted(directory.glob("*.yaml")):
        label = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(label, 0, f"cannot read: {exc}"))
            continue
        found, file_problems = parse_vignettes(text, label)
        problems.extend(file_problems)
        for vignette in found:
            if vignette.id in seen:
                problems.append(Problem(label, vignette.line, f"vignette id {vignette.id!r} already used at "
                                        f"{seen[vignette.id].where}"))
                continue
            seen[vignette.id] = vignette
            vignettes.append(vignette)
    if not vignettes and not problems:
        problems.append(Problem(str(directory), 0, "no vignette files (*.yaml)"))
    return vignettes, problems


# ---------------------------------------------------------------- comparing


def _texts(outcome: Mapping[str, Any], keys: Sequence[str]) -> list[str]:
    """Every language of every text under ``keys`` (instructions, safety, exit)."""
    out: list[str] = []
    for key in keys:
        for text in outcome.get(key) or ():
            if isinstance(text, Mapping):
                out.extend(str(v) for v in text.values())
            elif isinstance(text, str):
                out.append(text)
    return out


def _negated(sentence: str) -> bool:
    return any(word in sentence for word in _NEGATIONS_ZH) or bool(_NEGATIONS_EN.search(sentence))


def advised(texts: Iterable[str], keyword: str) -> list[str]:
    """The sentences of ``texts`` that mention ``keyword`` (case-insensitive) without negating it."""
    needle = keyword.casefold()
    hits = []
    for text in texts:
        for sentence in _SENTENCE_END.split(text):
            if needle in sentence.casefold() and not _negated(sentence):
                hits.append(sentence.strip())
    return hits


def _required_destination(outcome: Mapping[str, Any]) -> tuple[bool, frozenset[str], int | None]:
    """``(reported, needs, trauma_level_at_most)`` from a ``triage run`` outcome.

    ``triage run`` reports ``destination`` as ``None`` (nothing special needed) or a mapping
    with ``needs`` and, for trauma, ``trauma_level_at_most``; ``reported`` is false when the
    outcome has no ``destination`` key at all.
    """
    if "destination" not in outcome:
        return False, frozenset(), None
    requirement = outcome.get("destination")
    if not requirement:
        return True, frozenset(), None
    needs = frozenset(str(n) for n in requirement.get("needs") or ())
    level = requirement.get("trauma_level_at_most")
    return True, needs, level if isinstance(level, int) else None


def compare(expect: Expectation, outcome: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every difference between ``expect`` and a ``triage run`` outcome, as ``(what, message)``."""
    out: list[tuple[str, str]] = []
    if outcome.get("determinant") is None:
        stop = outcome.get("unanswered") or {}
        out.append(("answers", f"no determinant: the answers stop at {stop.get('protocol')}/{stop.get('question')} "
                    f"(keys: {', '.join(stop.get('answers') or ())})"))
        return out
    if expect.protocol and outcome.get("protocol") not in expect.protocol:
        out.append(("protocol", f"ends in {outcome.get('protocol')}, expected {' or '.join(expect.protocol)}"))
    priority = outcome.get("priority")
    if expect.priority_min is not None or expect.priority_max is not None:
        low, high = expect.priority_min or 1, expect.priority_max or 4
        if not isinstance(priority, int) or not low <= priority <= high:
            wanted = f"level {low}" if low == high else f"level {low}..{high}"
            out.append(("priority", f"priority {priority}, expected {wanted}"))
    plan = outcome.get("plan") or {}
    if expect.capability and plan.get("capability") not in expect.capability:
        out.append(("capability", f"{plan.get('capability')} ({plan.get('id')}), expected {' or '.join(expect.capability)}"))
    if expect.urgency and plan.get("urgency") not in expect.urgency:
        out.append(("urgency", f"{plan.get('urgency')} ({plan.get('id')}), expected {' or '.join(expect.urgency)}"))
    extra = set(plan.get("extra") or ())
    missing = [e for e in expect.extra if e not in extra]
    if missing:
        out.append(("extra", f"plan {plan.get('id')} lacks {', '.join(missing)} (has: {', '.join(sorted(extra)) or '-'})"))
    if expect.extra_any and not extra & set(expect.extra_any):
        out.append(("extra_any", f"plan {plan.get('id')} has none of {', '.join(expect.extra_any)} "
                    f"(has: {', '.join(sorted(extra)) or '-'})"))
    if expect.cpr is not None and bool(outcome.get("cpr")) != expect.cpr:
        out.append(("cpr", f"cpr {bool(outcome.get('cpr'))}, expected {expect.cpr}"))
    if expect.cpr_method and outcome.get("cpr_method") not in expect.cpr_method:
        out.append(("cpr_method", f"{outcome.get('cpr_method')}, expected {' or '.join(expect.cpr_method)}"))
    if expect.arrest_recognised is not None and bool(outcome.get("arrest_recognised")) != expect.arrest_recognised:
        out.append(("arrest_recognised", f"{bool(outcome.get('arrest_recognised'))}, expected {expect.arrest_recognised}"))
    if expect.safety is not None and bool(outcome.get("safety")) != expect.safety:
        out.append(("safety", "no scene-safety steps" if expect.safety else "scene-safety steps where none expected"))
    if expect.destination is not None:
        out.extend(_compare_destination(expect.destination, outcome))
    spoken = _texts(outcome, ("safety", "instructions", "exit"))
    folded = [t.casefold() for t in spoken]
    for alternatives in expect.say:
        if not any(word.casefold() in text for word in alternatives for text in folded):
            out.append(("say", f"no instruction mentions any of: {' / '.join(alternatives)}"))
    for keyword in expect.never_advise:
        hits = advised(spoken, keyword)
        if hits:
            out.append(("never_advise", f"advises {keyword!r}: {hits[0]!r}"))
    return out


def _compare_destination(expect: Destination, outcome: Mapping[str, Any]) -> list[tuple[str, str]]:
    reported, needs, level = _required_destination(outcome)
    if not reported:
        return [("destination", "triage run reports no destination requirement")]
    shown = ", ".join(sorted(needs)) or "nothing special"
    if level is not None:
        shown += f" (trauma level <= {level})"
    out = []
    if expect.none and needs:
        out.append(("destination", f"requires {shown}, expected nothing special"))
    missing = [n for n in expect.needs if n not in needs]
    if missing:
        out.append(("destination", f"requires {shown}; {', '.join(missing)} missing"))
    if expect.needs_any and not needs & set(expect.needs_any):
        out.append(("destination", f"requires {shown}; expected one of {', '.join(expect.needs_any)}"))
    refused = sorted(needs & set(expect.not_))
    if refused:
        out.append(("destination", f"requires {', '.join(refused)}, which this case must not require (over-triage)"))
    if expect.trauma_level_at_most is not None and (level is None or level > expect.trauma_level_at_most):
        out.append(("destination", f"trauma level required {level if level is not None else 'any'}, "
                    f"expected {expect.trauma_level_at_most} or higher"))
    return out


# ---------------------------------------------------------------- playing


def destination_rules(protocol_dir: Path | str) -> list[Rule]:
    """The destination rules kept with a protocol directory (``destinations.yaml``), or none.

    Blocking read. Raises ``RulesError`` for a malformed file (``triage check`` reports it).
    """
    path = Path(protocol_dir) / DESTINATIONS_FILE
    return load_rules(path) if path.exists() else []


def triage_run(protocol_set: ProtocolSet, case: Mapping[str, Any], rules: Sequence[Rule]) -> dict[str, Any]:
    """The outcome ``dispatch120 triage run`` prints for one case: :func:`run_case` plus the
    hospital requirement (``destination``: ``None`` = the nearest open hospital).

    Raises:
        ValueError: the case is malformed (see :func:`run_case`).
    """
    out = run_case(protocol_set, case)
    requirement = required_for(out if out["determinant"] else None, rules, age_answer(out["path"]))
    out["destination"] = requirement.as_dict() if requirement else None
    return out


Runner = Callable[[ProtocolSet, Mapping[str, Any]], Mapping[str, Any]]


def _count_questions(protocol_set: ProtocolSet, outcome: Mapping[str, Any]) -> tuple[int, int, int | None] | None:
    """Replay the outcome's path to count the questions actually asked (carried answers are
    not asked): in all, after the case entry (in the chief complaint and any it led to), and
    up to arrest recognition.
    ``None`` when the replay does not give the same path (it then says nothing reliable)."""
    session = TriageSession(protocol_set)
    asked = in_complaint = 0
    to_arrest: int | None = None
    for protocol_id, question_id, key in outcome.get("path") or ():
        if session.current is not None and session.protocol.is_case_entry and protocol_id != CASE_ENTRY_ID:
            session.choose_complaint(protocol_id)
        current = session.current
        if current is None or session.protocol.id != protocol_id or current.id != question_id:
            continue  # a carried answer: the engine walked past it without asking
        session.answer(key)
        asked += 1
        in_complaint += protocol_id != CASE_ENTRY_ID
        if to_arrest is None and session.arrest_recognised:
            to_arrest = asked
    if [list(step) for step in session.path] != [list(step) for step in outcome.get("path") or ()]:
        return None
    return asked, in_complaint, to_arrest


def play(protocol_set: ProtocolSet, vignette: Vignette, runner: Runner) -> Result:
    """Play ``vignette`` through ``runner`` and compare the outcome with its expectation.

    ``runner`` is what ``dispatch120 triage run`` does for a case:
    ``functools.partial(triage_run, rules=destination_rules(protocol_dir))``.
    A case the runner refuses (unknown complaint, an answer key a question lacks) is a
    failure ``answers``, not an exception.
    """
    try:
        outcome = runner(protocol_set, vignette.as_case())
    except ValueError as exc:
        return Result(vignette, None, (Failure(vignette, "answers", str(exc)),))
    failures = tuple(Failure(vignette, what, message) for what, message in compare(vignette.expect, outcome))
    warnings = tuple(f"answer never asked: {qid}" for qid in outcome.get("unused") or ())
    counts = _count_questions(protocol_set, outcome) if outcome.get("determinant") else None
    asked, in_complaint, to_arrest = counts if counts else (None, None, None)
    return Result(vignette, outcome, failures, warnings, asked, in_complaint, to_arrest)


def play_all(protocol_set: ProtocolSet, vignettes: Iterable[Vignette], rules: Sequence[Rule]) -> list[Result]:
    """Every vignette played as ``triage run`` plays it (:func:`triage_run` with ``rules``)."""
    def runner(protocols: ProtocolSet, case: Mapping[str, Any]) -> Mapping[str, Any]:
        return triage_run(protocols, case, rules)
    return [play(protocol_set, vignette, runner) for vignette in vignettes]


@dataclass
class Summary:
    """Figures over a played suite: pass rate, coverage, questions to the determinant."""

    total: int
    passed: int
    by_complaint: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_variant: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def pass_rate(self) -> float:
        return self.passed / self.total if self.total else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total, "passed": self.passed, "pass_rate": self.pass_rate,
                "by_complaint": self.by_complaint, "by_variant": self.by_variant}


def summarize_results(results: Sequence[Result]) -> Summary:
    """Pass counts per complaint and per variant, and per complaint the median and maximum
    number of questions asked to reach the determinant (in all and in the complaint)."""
    summary = Summary(total=len(results), passed=sum(r.passed for r in results))
    groups: dict[str, list[Result]] = {}
    for result in results:
        groups.setdefault(result.vignette.complaint, []).append(result)
        for variant in result.vignette.variants:
            row = summary.by_variant.setdefault(variant, {"vignettes": 0, "passed": 0})
            row["vignettes"] += 1
            row["passed"] += result.passed
    for complaint in sorted(groups):
        rows = groups[complaint]
        asked = [r.questions_asked for r in rows if r.questions_asked is not None]
        inside = [r.questions_in_complaint for r in rows if r.questions_in_complaint is not None]
        summary.by_complaint[complaint] = {
            "vignettes": len(rows),
            "passed": sum(r.passed for r in rows),
            "questions_median": statistics.median(asked) if asked else None,
            "questions_max": max(asked) if asked else None,
            "in_complaint_median": statistics.median(inside) if inside else None,
            "in_complaint_max": max(inside) if inside else None,
        }
    return summary
