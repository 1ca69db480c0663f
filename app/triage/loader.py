"""Load and validate a protocol directory (format: ``resources/protocols/README.md``).

:func:`load_protocol_set` reads every ``*.yaml`` file of the directory, checks it against
the schema and the cross-file rules, and returns an immutable
:class:`~app.triage.model.ProtocolSet` — or raises :class:`ProtocolSetError` listing
*every* problem found, each with the file, the 1-based line and what is wrong (line
numbers come from the YAML node marks, ``yaml.compose``).

Blocking file I/O: call it from a worker thread or at start-up, not from a busy GUI
handler (the full set loads in tens of milliseconds; ``bench/triage.py`` measures it).
:class:`ProtocolLibrary` is what the seat holds: it keeps the last valid set when a
reload fails.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from app.resources import resource_path
from app.triage.model import (
    CASE_ENTRY_ID,
    LANGUAGES,
    RANGE_UNITS,
    Answer,
    AnswerRange,
    Capability,
    CprMethod,
    Determinant,
    Plan,
    Problem,
    Protocol,
    ProtocolSet,
    Question,
    Text,
    Urgency,
)

DEFAULT_PROTOCOL_DIR = resource_path("protocols")
"""``resources/protocols`` of this checkout / installation (:mod:`app.resources`)."""

SCHEMA_VERSION = 1
PLANS_FILE = "plans.yaml"
# Hospital destination rules: part of the set (hashed into its version), validated by
# app.dispatch.destination through app.triage.check, not read as a protocol here.
DESTINATIONS_FILE = "destinations.yaml"
CASE_ENTRY_FILE = f"{CASE_ENTRY_ID}.yaml"
CARDIAC_ARREST_ID = "cardiac_arrest"

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")
_CODE = re.compile(r"^(\d{2})-([A-Z])-(\d+)$")
_VERSION = re.compile(r"^\S{1,32}$")
# libyaml's parser when PyYAML was built with it (about 10x faster; same node marks).
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TAG_BOOL = "tag:yaml.org,2002:bool"
_TAG_INT = "tag:yaml.org,2002:int"
_TAG_NULL = "tag:yaml.org,2002:null"


_PLACEHOLDER = Text("?", "?")  # stands in for an invalid text so one mistake gives one message


class ProtocolSetError(Exception):
    """The protocol directory is not a valid set. ``problems`` lists every problem found
    (``str(problem)`` is ``file:line: message``); ``str(error)`` is all of them, one a line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems) or "invalid protocol set")


# ---------------------------------------------------------------- node helpers


class _File:
    """Checks the nodes of one file; every problem goes to the shared list."""

    def __init__(self, label: str, problems: list[Problem]) -> None:
        self.label = label
        self.problems = problems

    def problem(self, node: Node | None, message: str) -> None:
        line = node.start_mark.line + 1 if node is not None else 0
        self.problems.append(Problem(self.label, line, message))

    def mapping(self, node: Node, where: str, required: tuple[str, ...],
                optional: tuple[str, ...] = ()) -> dict[str, Node] | None:
        if not isinstance(node, MappingNode):
            self.problem(node, f"{where}: expected a mapping (key: value), found {_kind(node)}")
            return None
        out: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            if not isinstance(key, str):
                self.problem(key_node, f"{where}: keys must be plain names")
                continue
            if key in out:
                self.problem(key_node, f"{where}: {key!r} is given twice")
                continue
            if key not in required and key not in optional:
                allowed = ", ".join((*required, *optional))
                self.problem(key_node, f"{where}: unknown key {key!r} (allowed: {allowed})")
                continue
            out[key] = value_node
        for key in required:
            if key not in out:
                self.problem(node, f"{where}: missing {key!r}")
        return out

    def string(self, node: Node | None, where: str, pattern: re.Pattern[str] | None = None,
               what: str = "") -> str | None:
        if node is None:
            return None
        if not isinstance(node, ScalarNode) or node.tag == _TAG_NULL:
            self.problem(node, f"{where}: expected text, found {_kind(node)}")
            return None
        # The scalar as written (a plain `yes` stays "yes", not YAML 1.1's True).
        value = str(node.value).strip()
        if not value:
            self.problem(node, f"{where}: must not be empty")
            return None
        if pattern is not None and not pattern.match(value):
            self.problem(node, f"{where}: {value!r} is not a valid {what or 'value'}")
            return None
        return value

    def boolean(self, node: Node | None, where: str, default: bool = False) -> bool:
        if node is None:
            return default
        if not isinstance(node, ScalarNode) or node.tag != _TAG_BOOL:
            self.problem(node, f"{where}: expected true or false, found {_scalar_text(node)}")
            return default
        return str(node.value).lower() in ("true", "yes", "on", "y")

    def integer(self, node: Node | None, where: str, low: int, high: int) -> int | None:
        if node is None:
            return None
        if not isinstance(node, ScalarNode) or node.tag != _TAG_INT:
            self.problem(node, f"{where}: expected a whole number {low}..{high}, found {_scalar_text(node)}")
            return None
        value = int(str(node.value).replace("_", ""), 10)
        if not low <= value <= high:
            self.problem(node, f"{where}: {value} is out of range {low}..{high}")
            return None
        return value

    def sequence(self, node: Node | None, where: str, allow_empty: bool = True) -> list[Node]:
        if node is None:
            return []
        if not isinstance(node, SequenceNode):
            self.problem(node, f"{where}: expected a list, found {_kind(node)}")
            return []
        if not node.value and not allow_empty:
            self.problem(node, f"{where}: the list is empty")
        return list(node.value)

    def text(self, node: Node | None, where: str) -> Text | None:
        """A ``{zh: ..., en: ...}`` mapping with both languages non-empty."""
        if node is None:
            return None
        if not isinstance(node, MappingNode):
            self.problem(node, f"{where}: expected a translation {{zh: ..., en: ...}}, found {_kind(node)}")
            return None
        fields = self.mapping(node, where, (), LANGUAGES)
        if fields is None:
            return None
        values: dict[str, str] = {}
        for lang in LANGUAGES:
            value_node = fields.get(lang)
            if value_node is None:
                self.problem(node, f"{where}: missing the {lang!r} translation")
                continue
            value = self.string(value_node, f"{where}.{lang}")
            if value is not None:
                values[lang] = value
        if len(values) != len(LANGUAGES):
            return None
        return Text(values["zh"], values["en"])

    def texts(self, node: Node | None, where: str) -> tuple[Text, ...] | None:
        items = self.sequence(node, where)
        out = [self.text(item, f"{where}[{i}]") for i, item in enumerate(items)]
        return None if any(t is None for t in out) else tuple(t for t in out if t is not None)


def _kind(node: Node | None) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if isinstance(node, ScalarNode):
        return "nothing" if node.tag == _TAG_NULL else f"{node.value!r}"
    return "nothing"


def _scalar_text(node: Node | None) -> str:
    return _kind(node)


def _compose(path: Path, label: str, problems: list[Problem]) -> tuple[Node | None, bytes]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.append(Problem(label, 0, f"cannot read the file: {exc.strerror or exc}"))
        return None, b""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.append(Problem(label, line, "not UTF-8 text"))
        return None, data
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        context = exc.context or ""
        if exc.context_mark is not None and exc.problem_mark is not None \
                and exc.context_mark.line != exc.problem_mark.line:
            context = f"{context} (started at line {exc.context_mark.line + 1})"
        what = " ".join(part for part in (context, exc.problem) if part)
        problems.append(Problem(label, line, f"YAML syntax error: {what}"))
        return None, data
    except yaml.YAMLError as exc:
        problems.append(Problem(label, 0, f"YAML error: {exc}"))
        return None, data
    if node is None:
        problems.append(Problem(label, 1, "the file is empty"))
    return node, data


# ---------------------------------------------------------------- plans.yaml


def _load_plans(check: _File, root: Node) -> tuple[dict[str, Plan], dict[str, tuple[str, Node]]]:
    plans: dict[str, Plan] = {}
    overrides: dict[str, tuple[str, Node]] = {}
    top = check.mapping(root, "plans file", ("schema", "plans"), ("overrides",))
    if top is None:
        return plans, overrides
    _check_schema(check, top.get("schema"))
    plans_node = top.get("plans")
    if plans_node is not None:
        entries: dict[str, Node] = {}
        if not isinstance(plans_node, MappingNode):
            check.problem(plans_node, f"plans: expected a mapping plan_id: {{...}}, found {_kind(plans_node)}")
        else:
            for key_node, value_node in plans_node.value:
                plan_id = check.string(key_node, "plan id", _ID, "plan id (lower_case_with_underscores)")
                if plan_id is None:
                    continue
                if plan_id in entries:
                    check.problem(key_node, f"plan {plan_id!r} is defined twice")
                    continue
                entries[plan_id] = value_node
        for plan_id, node in entries.items():
            where = f"plan {plan_id}"
            fields = check.mapping(node, where, ("capability", "urgency", "lights_sirens", "label"), ("extra",))
            if fields is None:
                continue
            capability = _enum(check, fields.get("capability"), f"{where}.capability", Capability)
            urgency = _enum(check, fields.get("urgency"), f"{where}.urgency", Urgency)
            lights = check.boolean(fields.get("lights_sirens"), f"{where}.lights_sirens")
            extra = tuple(
                value for i, item in enumerate(check.sequence(fields.get("extra"), f"{where}.extra"))
                if (value := check.string(item, f"{where}.extra[{i}]", _ID, "resource name")) is not None
            )
            label = check.text(fields.get("label"), f"{where}.label")
            if capability is None or urgency is None or label is None:
                continue
            plans[plan_id] = Plan(plan_id, capability, urgency, lights, extra, label)
    overrides_node = top.get("overrides")
    if overrides_node is not None and not (isinstance(overrides_node, ScalarNode)
                                           and overrides_node.tag == _TAG_NULL):
        if not isinstance(overrides_node, MappingNode):
            check.problem(overrides_node, f"overrides: expected a mapping code: plan, found {_kind(overrides_node)}")
        else:
            for key_node, value_node in overrides_node.value:
                code = check.string(key_node, "overrides", _CODE, "determinant code (like 10-D-1)")
                plan_id = check.string(value_node, f"overrides.{code}", _ID, "plan id")
                if code is None or plan_id is None:
                    continue
                if code in overrides:
                    check.problem(key_node, f"overrides: {code} is given twice")
                    continue
                overrides[code] = (plan_id, value_node)
    return plans, overrides


def _enum(check: _File, node: Node | None, where: str, kind: Any) -> Any:
    value = check.string(node, where)
    if value is None:
        return None
    try:
        return kind(value)
    except ValueError:
        check.problem(node, f"{where}: {value!r} is not one of {', '.join(m.value for m in kind)}")
        return None


def _check_schema(check: _File, node: Node | None) -> None:
    if node is None:
        return
    value = check.integer(node, "schema", 0, 10**6)
    if value is not None and value != SCHEMA_VERSION:
        check.problem(node, f"schema {value} is not supported (this program reads schema {SCHEMA_VERSION})")


# ---------------------------------------------------------------- protocol files


class _Draft:
    """A protocol as read from its file, before cross-file checks; keeps nodes for lines."""

    def __init__(self, check: _File, file_id: str) -> None:
        self.check = check
        self.file_id = file_id
        self.id: str | None = None
        self.version = ""
        self.code: int | None = None
        self.code_node: Node | None = None
        self.title: Text | None = None
        self.keywords: dict[str, tuple[str, ...]] = {}
        self.start: str | None = None
        self.start_node: Node | None = None
        self.questions: dict[str, Question] = {}
        self.question_nodes: dict[str, Node] = {}
        self.answer_nodes: dict[tuple[str, str], dict[str, Node]] = {}
        self.reuses_nodes: dict[str, Node] = {}
        self.determinants: dict[str, dict[str, Any]] = {}
        self.determinant_nodes: dict[str, Node] = {}
        self.located_first: tuple[str, ...] = ()
        self.located_first_node: Node | None = None
        self.ok = True


def _read_protocol(check: _File, root: Node, file_id: str) -> _Draft:
    draft = _Draft(check, file_id)
    is_case_entry = file_id == CASE_ENTRY_ID
    required = ("schema", "id", "version", "code", "title", "start", "questions")
    if not is_case_entry:
        required = (*required, "determinants")
    optional = ("keywords", "determinants", "located_first") if is_case_entry else ("keywords",)
    top = check.mapping(root, "protocol", required, optional)
    if top is None:
        draft.ok = False
        return draft
    _check_schema(check, top.get("schema"))
    draft.id = check.string(top.get("id"), "id", _ID, "protocol id")
    if draft.id is not None and draft.id != file_id:
        check.problem(top["id"], f"id {draft.id!r} does not match the file name ({file_id}.yaml)")
    draft.version = check.string(top.get("version"), "version", _VERSION, "version") or ""
    draft.code_node = top.get("code")
    draft.code = check.integer(draft.code_node, "code", 0, 99)
    draft.title = check.text(top.get("title"), "title")
    if "keywords" in top:
        fields = check.mapping(top["keywords"], "keywords", (), LANGUAGES)
        for lang, node in (fields or {}).items():
            words = [check.string(item, f"keywords.{lang}[{i}]")
                     for i, item in enumerate(check.sequence(node, f"keywords.{lang}"))]
            draft.keywords[lang] = tuple(w for w in words if w)
    draft.start_node = top.get("start")
    draft.start = check.string(draft.start_node, "start", _ID, "question id")
    if "located_first" in top:
        draft.located_first_node = top["located_first"]
        items = check.sequence(top["located_first"], "located_first")
        chain: list[tuple[str, tuple[str, ...]]] = []
        for i, item in enumerate(items):
            fields = check.mapping(item, f"located_first[{i}]", ("question",), ("go_on",))
            qid = check.string((fields or {}).get("question"), f"located_first[{i}].question", _ID, "question id")
            keys = [check.string(k, f"located_first[{i}].go_on[{j}]", _KEY, "answer key")
                    for j, k in enumerate(check.sequence(fields["go_on"], f"located_first[{i}].go_on"))
                    ] if fields and "go_on" in fields else []
            if qid is not None and all(keys):
                chain.append((qid, tuple(k for k in keys if k)))
        draft.located_first = tuple(chain)
        draft.ok = draft.ok and len(chain) == len(items)

    for i, node in enumerate(check.sequence(top.get("questions"), "questions", allow_empty=False)):
        _read_question(draft, node, i)
    for i, node in enumerate(check.sequence(top.get("determinants"), "determinants",
                                            allow_empty=is_case_entry)):
        _read_determinant(draft, node, i)
    return draft


def _read_question(draft: _Draft, node: Node, index: int) -> None:
    check = draft.check
    fields = check.mapping(node, f"questions[{index}]", ("id", "text", "answers"), ("help", "reuses", "compound"))
    if fields is None:
        draft.ok = False
        return
    qid = check.string(fields.get("id"), f"questions[{index}].id", _ID, "question id")
    where = f"question {qid or index}"
    text = check.text(fields.get("text"), f"{where}.text")
    help_text = check.text(fields.get("help"), f"{where}.help") if "help" in fields else None
    reuses = None
    if "reuses" in fields:
        reuses = check.string(fields["reuses"], f"{where}.reuses", _ID, "question id")
    compound = check.string(fields.get("compound"), f"{where}.compound")  # a reviewer's reason, free text
    answers: list[Answer] = []
    keys: set[str] = set()
    answer_items = check.sequence(fields.get("answers"), f"{where}.answers", allow_empty=False)
    for j, answer_node in enumerate(answer_items):
        afields = check.mapping(answer_node, f"{where}.answers[{j}]", ("key", "label"),
                                ("next", "determinant", "complaint", "arrest", "range", "scene_safe",
                                 "caller_id"))
        if afields is None:
            draft.ok = False
            continue
        key = check.string(afields.get("key"), f"{where}.answers[{j}].key", _KEY, "answer key")
        awhere = f"{where} answer {key or j}"
        label = check.text(afields.get("label"), f"{awhere}.label")
        targets = [name for name in ("next", "determinant", "complaint") if name in afields]
        if len(targets) > 1:
            check.problem(answer_node, f"{awhere}: needs exactly one of next / determinant / complaint"
                          f" (has {', '.join(targets)})")
        # No target at all is right only in a follow-up question: _check_graph decides, once the
        # determinants (which list the follow-ups) are read.
        nxt = check.string(afields.get("next"), f"{awhere}.next", _ID, "question id")
        det = check.string(afields.get("determinant"), f"{awhere}.determinant", _CODE,
                           "determinant code (like 10-D-1)")
        complaint = check.string(afields.get("complaint"), f"{awhere}.complaint", _ID, "protocol id")
        arrest = check.boolean(afields.get("arrest"), f"{awhere}.arrest")
        scene_safe = check.boolean(afields.get("scene_safe"), f"{awhere}.scene_safe")
        caller_id = check.boolean(afields.get("caller_id"), f"{awhere}.caller_id")
        if key is not None and key in keys:
            check.problem(afields["key"], f"{where}: answer key {key!r} is used twice")
            key = None
        if key is None or len(targets) > 1 or (targets and (nxt or det or complaint) is None):
            draft.ok = False
            continue
        if label is None:  # reported; keep the answer so the graph checks do not cascade
            draft.ok = False
            label = _PLACEHOLDER
        keys.add(key)
        answer_range = _answer_range(check, afields["range"], f"{awhere}.range") if "range" in afields else None
        if "range" in afields and answer_range is None:
            draft.ok = False
        answers.append(Answer(key, label, nxt, det, complaint, arrest, answer_range,
                              scene_safe=scene_safe, caller_id=caller_id, line=answer_node.start_mark.line + 1))
        if qid is not None:
            draft.answer_nodes[(qid, key)] = afields
    if qid is None:
        draft.ok = False
        return
    if text is None or (help_text is None and "help" in fields):  # reported; keep the question for the graph
        draft.ok = False
        text = text or _PLACEHOLDER
    if qid in draft.questions or qid in draft.question_nodes:
        check.problem(fields["id"], f"question id {qid!r} is used twice in this file")
        draft.ok = False
        return
    draft.question_nodes[qid] = node
    if reuses is not None:
        draft.reuses_nodes[qid] = fields["reuses"]
    draft.questions[qid] = Question(qid, text, tuple(answers), help_text, reuses, compound,
                                    line=node.start_mark.line + 1)


_RANGE_BOUNDS = {"min": (True, True), "over": (True, False), "max": (False, True), "under": (False, False)}
_NUMBER_TAGS = (_TAG_INT, "tag:yaml.org,2002:float")


def _answer_range(check: _File, node: Node, where: str) -> AnswerRange | None:
    """``{min|over: N, max|under: N, unit: U}``: at least one bound, at most one per side."""
    fields = check.mapping(node, where, ("unit",), tuple(_RANGE_BOUNDS))
    if fields is None:
        return None
    unit = check.string(fields.get("unit"), f"{where}.unit")
    if unit is not None and unit not in RANGE_UNITS:
        check.problem(fields["unit"], f"{where}.unit: {unit!r} is not one of {', '.join(RANGE_UNITS)}")
        unit = None
    bounds: dict[bool, tuple[float, bool]] = {}  # is_low -> (value, inclusive)
    ok = unit is not None
    for name, (is_low, inclusive) in _RANGE_BOUNDS.items():
        value_node = fields.get(name)
        if value_node is None:
            continue
        if not isinstance(value_node, ScalarNode) or value_node.tag not in _NUMBER_TAGS:
            check.problem(value_node, f"{where}.{name}: expected a number, found {_kind(value_node)}")
            ok = False
            continue
        if is_low in bounds:
            check.problem(value_node, f"{where}: give one lower bound (min or over) and one upper (max or under)")
            ok = False
            continue
        bounds[is_low] = (float(str(value_node.value).replace("_", "")), inclusive)
    if not bounds and ok:
        check.problem(node, f"{where}: needs a bound (min, over, max or under)")
        ok = False
    if ok and True in bounds and False in bounds and bounds[True][0] > bounds[False][0]:
        check.problem(node, f"{where}: the lower bound is above the upper bound")
        ok = False
    if not ok or unit is None:
        return None
    low, high = bounds.get(True), bounds.get(False)
    return AnswerRange(low[0] if low else None, low[1] if low else False,
                       high[0] if high else None, high[1] if high else False, unit)


def _read_determinant(draft: _Draft, node: Node, index: int) -> None:
    check = draft.check
    fields = check.mapping(node, f"determinants[{index}]", ("code", "priority", "plan", "facts", "instructions"),
                           ("cpr", "cpr_method", "safety", "exit", "prenotify", "follow_up", "takes_floor"))
    if fields is None:
        draft.ok = False
        return
    code = check.string(fields.get("code"), f"determinants[{index}].code", _CODE, "determinant code (like 10-D-1)")
    where = f"determinant {code or index}"
    priority = check.integer(fields.get("priority"), f"{where}.priority", 1, 4)
    plan_id = check.string(fields.get("plan"), f"{where}.plan", _ID, "plan id")
    cpr = check.boolean(fields.get("cpr"), f"{where}.cpr")
    facts = check.text(fields.get("facts"), f"{where}.facts")
    instructions = check.texts(fields.get("instructions"), f"{where}.instructions")
    exits = check.texts(fields.get("exit"), f"{where}.exit") if "exit" in fields else ()
    safety = check.texts(fields.get("safety"), f"{where}.safety") if "safety" in fields else ()
    cpr_method: CprMethod | None = None
    if "cpr_method" in fields:
        method = check.string(fields["cpr_method"], f"{where}.cpr_method")
        if method is not None and method not in {m.value for m in CprMethod}:
            check.problem(fields["cpr_method"], f"{where}.cpr_method: {method!r} is not one of "
                          f"{', '.join(m.value for m in CprMethod)}")
            method = None
            draft.ok = False
        elif method is not None and not cpr:
            check.problem(fields["cpr_method"], f"{where}: cpr_method is set but cpr is false")
            draft.ok = False
        cpr_method = CprMethod(method) if method else None
    elif cpr:
        cpr_method = CprMethod.HANDS_ONLY
    takes_floor = check.boolean(fields.get("takes_floor"), f"{where}.takes_floor")
    if cpr and takes_floor:
        check.problem(fields["takes_floor"], f"{where}: takes_floor is for instruction flows without CPR; "
                      "the CPR coach already takes the call screen")
        draft.ok = False
    follow_up: list[str] = []
    for i, item in enumerate(check.sequence(fields.get("follow_up"), f"{where}.follow_up")):
        qid = check.string(item, f"{where}.follow_up[{i}]", _ID, "question id")
        if qid is None:
            draft.ok = False
        elif qid in follow_up:
            check.problem(item, f"{where}.follow_up: {qid!r} is listed twice")
            draft.ok = False
        else:
            follow_up.append(qid)
    if None in (code, priority, plan_id, facts, instructions, exits, safety):
        draft.ok = False
        return
    assert code is not None
    if code in draft.determinants:
        check.problem(fields["code"], f"determinant {code} is defined twice in this file")
        draft.ok = False
        return
    draft.determinant_nodes[code] = node
    draft.determinants[code] = {"code": code, "priority": priority, "plan": plan_id, "plan_node": fields["plan"],
                                "cpr": cpr, "cpr_method": cpr_method, "safety": safety,
                                "prenotify": check.boolean(fields.get("prenotify"), f"{where}.prenotify"),
                                "takes_floor": takes_floor,
                                "facts": facts, "instructions": instructions, "exit": exits,
                                "follow_up": tuple(follow_up), "follow_up_node": fields.get("follow_up"),
                                "priority_node": fields["priority"], "cpr_node": fields.get("cpr")}


# ---------------------------------------------------------------- cross-file checks


def _follow_ups(draft: _Draft) -> dict[str, str]:
    """Question id → the first determinant listing it as a follow-up; reports unknown ids."""
    out: dict[str, str] = {}
    for code, d in draft.determinants.items():
        for qid in d["follow_up"]:
            if qid not in draft.questions:
                if qid not in draft.question_nodes:  # defined but invalid: already reported
                    draft.check.problem(d["follow_up_node"], f"determinant {code}: follow_up {qid!r} is not a "
                                        "question of this file")
                draft.ok = False
                continue
            out.setdefault(qid, code)
    return out


def _check_graph(draft: _Draft) -> None:
    """next/determinant resolve, every question and determinant reachable, no cycles; follow-up
    questions exist, lead nowhere and are not reachable from start."""
    check = draft.check
    questions = draft.questions
    follow_ups = _follow_ups(draft)
    dangling = False
    # located_first: questions of this file whose go_on answers exist; each after the first is
    # reached by a go_on answer of the one before.
    for i, (qid, go_on) in enumerate(draft.located_first):
        question = questions.get(qid)
        if question is None:
            check.problem(draft.located_first_node, f"located_first: {qid!r} is not a question of this file")
            draft.ok = False
            continue
        for key in go_on:
            if question.answer_for(key) is None:
                check.problem(draft.located_first_node, f"located_first: {qid} has no answer {key!r}")
                draft.ok = False
        if i:
            before, keys = draft.located_first[i - 1]
            previous = questions.get(before)
            if previous is not None and not any(
                    a.next == qid for a in previous.answers if a.key in keys):
                check.problem(draft.located_first_node, f"located_first: no go_on answer of {before} "
                              f"leads to {qid!r}")
                draft.ok = False
    for qid, question in questions.items():
        for answer in question.answers:
            nodes = draft.answer_nodes.get((qid, answer.key), {})
            has_target = (answer.next or answer.determinant or answer.complaint) is not None
            if qid in follow_ups and has_target:
                target = next(name for name in ("next", "determinant", "complaint") if name in nodes)
                check.problem(nodes.get(target), f"question {qid} answer {answer.key}: {qid} is a follow-up of "
                              f"{follow_ups[qid]} (asked after the determinant): its answers lead nowhere, "
                              f"remove {target}")
                draft.ok = False
                continue
            if qid not in follow_ups and not has_target:
                line = answer.line
                check.problems.append(Problem(check.label, line, f"question {qid} answer {answer.key}: needs "
                                              "exactly one of next / determinant / complaint (only the answers "
                                              "of a determinant's follow_up question have none)"))
                draft.ok = False
                continue
            if answer.next is not None and answer.next not in questions:
                check.problem(nodes.get("next"), f"question {qid} answer {answer.key}: next {answer.next!r} "
                              "is not a question of this file")
                draft.ok = False
                dangling = True
            if answer.determinant is not None and answer.determinant not in draft.determinants:
                if answer.determinant in draft.determinant_nodes:
                    continue  # defined but invalid: already reported
                check.problem(nodes.get("determinant"), f"question {qid} answer {answer.key}: determinant "
                              f"{answer.determinant!r} is not defined in this file")
                draft.ok = False
    if draft.start is None:
        return
    if draft.start not in questions:
        check.problem(draft.start_node, f"start {draft.start!r} is not a question of this file")
        draft.ok = False
        return
    if draft.start in follow_ups:
        check.problem(draft.start_node, f"start {draft.start!r} is a follow-up of {follow_ups[draft.start]}: "
                      "a follow-up is asked only after the determinant")
        draft.ok = False
        return
    # Depth-first walk from start: reachability and cycles (white/grey/black).
    state: dict[str, int] = {}
    used_determinants: set[str] = set()

    def visit(qid: str) -> None:
        stack: list[tuple[str, int]] = [(qid, 0)]
        state[qid] = 1
        while stack:
            current, index = stack.pop()
            answers = questions[current].answers
            if index < len(answers):
                stack.append((current, index + 1))
                answer = answers[index]
                if answer.determinant is not None:
                    used_determinants.add(answer.determinant)
                target = answer.next
                if target is None or target not in questions:
                    continue
                if target in follow_ups:
                    nodes = draft.answer_nodes.get((current, answer.key), {})
                    check.problem(nodes.get("next"), f"question {current} answer {answer.key}: next {target!r} "
                                  f"is a follow-up of {follow_ups[target]}, asked only after the determinant "
                                  "(ask it on the path instead, or drop it from follow_up)")
                    draft.ok = False
                    continue
                if state.get(target) == 1:
                    nodes = draft.answer_nodes.get((current, answer.key), {})
                    check.problem(nodes.get("next"), f"question {current} answer {answer.key}: next {target!r} "
                                  "goes back to an earlier question (a loop: the call would never end)")
                    draft.ok = False
                elif target not in state:
                    state[target] = 1
                    stack.append((target, 0))
            else:
                state[current] = 2

    visit(draft.start)
    if dangling:
        return  # what a dangling next cuts off would only repeat the same mistake
    for qid, node in draft.question_nodes.items():
        if qid not in state and qid not in follow_ups:
            check.problem(node, f"question {qid} is unreachable from start {draft.start!r}")
            draft.ok = False
    for code, node in draft.determinant_nodes.items():
        if code not in used_determinants:
            check.problem(node, f"determinant {code} is never reached (no answer leads to it)")
            draft.ok = False


def _build(draft: _Draft, plans: dict[str, Plan], overrides: dict[str, tuple[str, Node]],
           report_plans: bool = True) -> Protocol | None:
    check = draft.check
    determinants: dict[str, Determinant] = {}
    for code, d in draft.determinants.items():
        plan_id = overrides[code][0] if code in overrides else d["plan"]
        plan = plans.get(plan_id)
        if plan is None:
            if code not in overrides and report_plans:
                check.problem(d["plan_node"], f"determinant {code}: plan {plan_id!r} is not in {PLANS_FILE}")
            draft.ok = False
            continue
        determinants[code] = Determinant(code, d["priority"], plan, d["cpr"], d["facts"],
                                         d["instructions"], d["exit"], draft.file_id,
                                         cpr_method=d["cpr_method"], safety=d["safety"],
                                         prenotify=d["prenotify"], follow_up=d["follow_up"],
                                         takes_floor=d["takes_floor"])
    if not draft.ok or draft.id is None or draft.code is None or draft.title is None or draft.start is None:
        return None
    return Protocol(
        id=draft.id,
        version=draft.version,
        code=draft.code,
        title=draft.title,
        keywords=MappingProxyType(dict(draft.keywords)),
        start=draft.start,
        questions=MappingProxyType(dict(draft.questions)),
        determinants=MappingProxyType(determinants),
        file=draft.check.label,
        located_first=draft.located_first,
    )


def load_protocol_set(directory: Path | str) -> ProtocolSet:
    """Read and validate every protocol file in ``directory`` (blocking file I/O).

    The directory holds ``case_entry.yaml``, ``plans.yaml`` and one ``<id>.yaml`` per chief
    complaint; other files (README.md, SOURCES.md, ...) are ignored.

    Returns:
        The validated, immutable set.

    Raises:
        ProtocolSetError: anything is wrong; ``.problems`` lists every problem found in
            every file (file, 1-based line, message), sorted by file and line.
    """
    directory = Path(directory)
    problems: list[Problem] = []
    if not directory.is_dir():
        raise ProtocolSetError([Problem(str(directory), 0, "not a directory")])
    files = sorted(p for p in directory.iterdir() if p.suffix == ".yaml" and p.is_file())
    names = {p.name for p in files}
    for required in (CASE_ENTRY_FILE, PLANS_FILE):
        if required not in names:
            problems.append(Problem(str(directory / required), 0, "missing: a protocol set needs this file"))
    digest = hashlib.sha256()
    plans: dict[str, Plan] = {}
    overrides: dict[str, tuple[str, Node]] = {}
    plans_check: _File | None = None
    drafts: list[_Draft] = []
    unreadable: set[str] = set()  # files that did not parse: exist, but cannot be checked further
    for path in files:
        label = str(path)
        check = _File(label, problems)
        root, data = _compose(path, label, problems)
        digest.update(path.name.encode() + b"\0" + data + b"\0")
        if root is None:
            unreadable.add(path.stem)
            continue
        if path.name == PLANS_FILE:
            plans, overrides = _load_plans(check, root)
            plans_check = check
        elif path.name != DESTINATIONS_FILE:
            drafts.append(_read_protocol(check, root, path.stem))

    for draft in drafts:
        _check_graph(draft)
    _cross_check(drafts, plans, overrides, plans_check, problems, unreadable)
    plans_readable = plans_check is not None
    built = {d.file_id: _build(d, plans, overrides, plans_readable) for d in drafts}
    if problems:
        raise ProtocolSetError(sorted(problems, key=lambda p: (p.file, p.line, p.message)))
    protocols = {pid: protocol for pid, protocol in built.items() if protocol is not None}
    case_entry = protocols.pop(CASE_ENTRY_ID)
    return ProtocolSet(
        protocols=MappingProxyType(protocols),
        case_entry=case_entry,
        plans=MappingProxyType(plans),
        version=digest.hexdigest()[:16],
        directory=directory,
        overrides=MappingProxyType({code: plan for code, (plan, _node) in overrides.items()}),
    )


def _cross_check(drafts: list[_Draft], plans: dict[str, Plan], overrides: dict[str, tuple[str, Node]],
                 plans_check: _File | None, problems: list[Problem], unreadable: set[str]) -> None:
    by_id = {d.file_id: d for d in drafts}
    complaints = {d.file_id for d in drafts if d.file_id != CASE_ENTRY_ID} | (unreadable - {CASE_ENTRY_ID})
    # Chief-complaint codes unique.
    codes: dict[int, _Draft] = {}
    for draft in drafts:
        if draft.code is None:
            continue
        if draft.code in codes:
            draft.check.problem(draft.code_node, f"code {draft.code:02d} is already used by "
                                f"{codes[draft.code].file_id}.yaml")
            draft.ok = False
        else:
            codes[draft.code] = draft
    # Determinant codes: prefix = protocol code, unique across files.
    seen: dict[str, str] = {}
    for draft in drafts:
        for code, node in draft.determinant_nodes.items():
            match = _CODE.match(code)
            if match and draft.code is not None and int(match.group(1)) != draft.code:
                draft.check.problem(node, f"determinant {code}: must start with this protocol's code "
                                    f"{draft.code:02d}")
                draft.ok = False
            if code in seen:
                draft.check.problem(node, f"determinant {code} is already defined in {seen[code]}")
                draft.ok = False
            else:
                seen[code] = f"{draft.file_id}.yaml"
    # Overrides name known determinants and plans.
    if plans_check is not None:
        for code, (plan_id, node) in overrides.items():
            if code not in seen:
                plans_check.problem(node, f"overrides: no protocol defines determinant {code}")
            if plan_id not in plans:
                plans_check.problem(node, f"overrides: plan {plan_id!r} is not defined in plans")
    # Answers' complaint targets and reuses links.
    all_questions: dict[str, Question] = {}
    for draft in drafts:
        for qid, question in draft.questions.items():
            all_questions.setdefault(qid, question)
    case_entry = by_id.get(CASE_ENTRY_ID)
    for draft in drafts:
        for qid, question in draft.questions.items():
            for answer in question.answers:
                if answer.complaint is None:
                    continue
                node = draft.answer_nodes.get((qid, answer.key), {}).get("complaint")
                if answer.complaint in unreadable:
                    draft.ok = False
                elif answer.complaint not in complaints:
                    draft.check.problem(node, f"question {qid} answer {answer.key}: complaint "
                                        f"{answer.complaint!r} has no protocol file ({answer.complaint}.yaml)")
                    draft.ok = False
                elif answer.complaint == draft.file_id:
                    draft.check.problem(node, f"question {qid} answer {answer.key}: complaint leads back "
                                        "into this same protocol")
                    draft.ok = False
            if question.reuses is None:
                continue
            source = None
            if case_entry is not None:
                source = case_entry.questions.get(question.reuses)
            source = source or all_questions.get(question.reuses)
            node = draft.reuses_nodes.get(qid)
            if source is None:
                draft.check.problem(node, f"question {qid}: reuses {question.reuses!r}, which is no question "
                                    "of the case entry or of any protocol")
                draft.ok = False
            elif not set(source.keys) & set(question.keys):
                draft.check.problem(node, f"question {qid}: reuses {question.reuses!r} but shares no answer key "
                                    f"with it ({', '.join(source.keys)})")
                draft.ok = False
    # The case entry chooses chief complaints.
    if case_entry is not None and case_entry.questions and not any(
        answer.complaint for question in case_entry.questions.values() for answer in question.answers
    ):
        case_entry.check.problem(case_entry.start_node, "the case entry never leads to a chief complaint "
                                 "(no answer has complaint:)")
        case_entry.ok = False
    # A cardiac arrest is always priority 1 with telephone CPR.
    arrest = by_id.get(CARDIAC_ARREST_ID)
    if arrest is not None:
        for code, d in arrest.determinants.items():
            if d["priority"] != 1 or not d["cpr"]:
                arrest.check.problem(arrest.determinant_nodes[code], f"determinant {code}: a cardiac arrest must "
                                     "be priority 1 with cpr: true")
                arrest.ok = False


# ---------------------------------------------------------------- the seat's library


class ProtocolLibrary:
    """The seat's protocol set: the last valid one survives a failed reload.

    Thread-safe: :meth:`reload` may run on a worker thread while the GUI thread reads
    :attr:`current` (a reference swap under a lock). Construction loads once and never
    raises for bad protocols: :attr:`current` is then ``None`` and :attr:`problems` says why.
    """

    def __init__(self, directory: Path | str = DEFAULT_PROTOCOL_DIR,
                 loader: Callable[[Path], ProtocolSet] = load_protocol_set) -> None:
        self.directory = Path(directory)
        self._loader = loader
        self._lock = threading.Lock()
        self._current: ProtocolSet | None = None
        self._problems: list[Problem] = []
        self.reload()

    @property
    def current(self) -> ProtocolSet | None:
        """The last set that loaded without problems, or ``None`` if none ever did."""
        with self._lock:
            return self._current

    @property
    def problems(self) -> list[Problem]:
        """The problems of the last failed load (empty after a successful one)."""
        with self._lock:
            return list(self._problems)

    def reload(self) -> list[Problem]:
        """Load the directory again (blocking file I/O).

        Returns:
            ``[]`` when the new set is now :attr:`current`; otherwise the problems, and
            :attr:`current` is still the previous valid set.
        """
        try:
            loaded = self._loader(self.directory)
        except ProtocolSetError as exc:
            with self._lock:
                self._problems = list(exc.problems)
            return list(exc.problems)
        with self._lock:
            self._current = loaded
            self._problems = []
        return []
