"""Write docs/clinical-review.md from the loaded protocols, the destination rules and the reviewer's notes.

    .venv/bin/python tools/clinical_review.py            # rewrite docs/clinical-review.md
    .venv/bin/python tools/clinical_review.py --check    # exit 1 (and say why) when the doc is stale

The document is what a centre's medical director reads before signing off a protocol set.
Everything that is a *fact of the files* — the questions in order, their answers and where
each leads, each determinant's level, response plan, extra resources, CPR method,
scene-safety steps, instructions, and the hospital capability the destination rules ask
for — is generated here from the set as the seat loads it (:func:`app.triage.load_protocol_set`),
so the tables cannot drift from the files. Everything that is *judgement* — which guideline
backs a question or a determinant, the rationale, what still needs a clinician's signature —
is written by hand in ``docs/clinical-review.notes.yaml`` (keyed by protocol id, question id
and determinant code) and merged in; regenerating never loses it.

Notes that name a question or determinant the files no longer have are listed in the
document (and fail the unit test), so a renamed determinant cannot silently lose its review.
Questions and determinants without a guideline note are put on the sign-off list.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make `app` importable without installing
    sys.path.insert(0, str(ROOT))

from app.dispatch import destination  # noqa: E402
from app.resources import resource_path  # noqa: E402
from app.triage.check import check_directory, enumerate_paths  # noqa: E402
from app.triage.loader import DEFAULT_PROTOCOL_DIR  # noqa: E402
from app.triage.model import Determinant, Protocol, ProtocolSet, Question, Text  # noqa: E402

DOC_PATH = ROOT / "docs" / "clinical-review.md"
NOTES_PATH = ROOT / "docs" / "clinical-review.notes.yaml"
REGENERATE = ".venv/bin/python tools/clinical_review.py"
# Where the destination rules have lived: the dispatch folder first, the protocol set later.
DESTINATION_RULE_FILES = (resource_path("protocols", "destinations.yaml"),
                          resource_path("dispatch", "destination_rules.yaml"))

MAX_PATHS_SHOWN = 5  # carried questions multiply paths (case entry: thousands); the shortest tell the criteria
LEVELS = {1: "I", 2: "II", 3: "III", 4: "IV"}
SEVERITIES = ("critical", "concern", "judgement", "check")
SEVERITY_TITLES = {
    "critical": "Critical — likely to harm a patient as written; fix before go-live",
    "concern": "Concerns — the protocol may be wrong as written",
    "judgement": "Judgement calls — the evidence leaves the choice to the centre",
    "check": "To check locally — facts the reviewer must confirm for this centre",
    "missing": "Not yet reviewed — no guideline note recorded (generated)",
}


class NotesError(ValueError):
    """The notes file is malformed; the message names the entry."""


# ---------------------------------------------------------------- notes (hand-written part)


@dataclass(frozen=True)
class SignOff:
    """One item the medical director must decide on. ``severity``: critical | concern | judgement | check."""

    severity: str
    text: str


@dataclass(frozen=True)
class Note:
    """The reviewer's note on a question or a determinant."""

    guideline: str = ""
    note: str = ""
    signoff: tuple[SignOff, ...] = ()


@dataclass(frozen=True)
class ProtocolNotes:
    guideline: str = ""
    rationale: str = ""
    signoff: tuple[SignOff, ...] = ()
    questions: Mapping[str, Note] = field(default_factory=dict)
    determinants: Mapping[str, Note] = field(default_factory=dict)


@dataclass(frozen=True)
class Notes:
    intro: str = ""
    sources: str = ""
    general: tuple[SignOff, ...] = ()
    protocols: Mapping[str, ProtocolNotes] = field(default_factory=dict)


def _only(entry: Any, where: str, allowed: Iterable[str]) -> dict[str, Any]:
    if entry is None:
        return {}
    if not isinstance(entry, dict):
        raise NotesError(f"{where}: expected a mapping")
    unknown = set(entry) - set(allowed)
    if unknown:
        raise NotesError(f"{where}: unknown key(s) {sorted(map(str, unknown))}; allowed: {sorted(allowed)}")
    return entry


def _text(value: Any, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise NotesError(f"{where}: expected text")
    return value.strip()


def _line(value: Any, where: str) -> str:
    """One-line text (a list item in the document): whitespace and line breaks collapse to one space."""
    return " ".join(_text(value, where).split())


def _signoffs(value: Any, where: str) -> tuple[SignOff, ...]:
    """``signoff`` is one item or a list; an item is text (a judgement call) or ``{severity: text}``."""
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    out = []
    for i, item in enumerate(items):
        if isinstance(item, str):
            out.append(SignOff("judgement", " ".join(item.split())))
        elif isinstance(item, dict) and len(item) == 1:
            (severity, text), = item.items()
            if severity not in SEVERITIES:
                raise NotesError(f"{where}[{i}]: severity {severity!r} is not one of {SEVERITIES}")
            out.append(SignOff(severity, _line(text, f"{where}[{i}]")))
        else:
            raise NotesError(f"{where}[{i}]: give text, or one `severity: text` pair")
    return tuple(out)


def _note(entry: Any, where: str) -> Note:
    if isinstance(entry, str):
        return Note(guideline=" ".join(entry.split()))
    fields = _only(entry, where, ("guideline", "note", "signoff"))
    return Note(_line(fields.get("guideline"), f"{where}.guideline"), _line(fields.get("note"), f"{where}.note"),
                _signoffs(fields.get("signoff"), f"{where}.signoff"))


def parse_notes(doc: Any) -> Notes:
    """Notes from the parsed YAML. Raises :class:`NotesError` on an unknown key or a wrong type,
    so a misspelt key cannot make a note vanish from the document."""
    top = _only(doc, "notes", ("schema", "intro", "sources", "signoff", "protocols"))
    if top.get("schema") != 1:
        raise NotesError("notes: `schema: 1` is required")
    protocols = {}
    if not isinstance(top.get("protocols") or {}, dict):
        raise NotesError("protocols: expected a mapping of protocol id to notes")
    for pid, entry in (top.get("protocols") or {}).items():
        where = f"protocols.{pid}"
        fields = _only(entry, where, ("guideline", "rationale", "signoff", "questions", "determinants"))
        questions = fields.get("questions") or {}
        determinants = fields.get("determinants") or {}
        for name, value in (("questions", questions), ("determinants", determinants)):
            if not isinstance(value, dict):
                raise NotesError(f"{where}.{name}: expected a mapping")
        protocols[str(pid)] = ProtocolNotes(
            guideline=_line(fields.get("guideline"), f"{where}.guideline"),
            rationale=_text(fields.get("rationale"), f"{where}.rationale"),
            signoff=_signoffs(fields.get("signoff"), f"{where}.signoff"),
            questions={str(q): _note(v, f"{where}.questions.{q}") for q, v in questions.items()},
            determinants={str(c): _note(v, f"{where}.determinants.{c}") for c, v in determinants.items()},
        )
    return Notes(intro=_text(top.get("intro"), "intro"), sources=_text(top.get("sources"), "sources"),
                 general=_signoffs(top.get("signoff"), "signoff"), protocols=protocols)


def load_notes(path: Path = NOTES_PATH) -> Notes:
    """Read the notes file (blocking). A missing file gives empty notes."""
    if not path.exists():
        return Notes()
    return parse_notes(yaml.safe_load(path.read_text(encoding="utf-8")))


def orphan_notes(protocol_set: ProtocolSet, notes: Notes) -> list[str]:
    """Notes whose protocol, question or determinant the set does not have (``protocol[.target]``)."""
    out = []
    for pid, pnotes in notes.protocols.items():
        try:
            protocol = protocol_set.protocol(pid)
        except KeyError:
            out.append(pid)
            continue
        out += [f"{pid}.{q}" for q in pnotes.questions if q not in protocol.questions]
        out += [f"{pid}.{c}" for c in pnotes.determinants if c not in protocol.determinants]
    return out


# ---------------------------------------------------------------- destination rules


AGE_KEYS = ("infant", "child", "adult", "older", "unknown")  # the case-entry `age` answers, youngest first


def _format_requirement(requirement: Any) -> str:
    if requirement is None:
        return "—"
    text = " + ".join(sorted(requirement.needs))
    level = getattr(requirement, "trauma_level_at_most", None)
    if level is not None:
        text += f" (trauma level ≤ {level})"
    prefers = sorted(getattr(requirement, "prefers", ()) or ())
    if prefers:
        text += f", prefers {' + '.join(prefers)}"
    return f"{text} `{requirement.rule_id}`"


@dataclass(frozen=True)
class DestinationRules:
    """The destination rules as :mod:`app.dispatch.destination` reads them, and the file they came from."""

    rules: Sequence[Any]
    source: str

    def _required(self, determinant: Determinant, age: str) -> Any:
        result = {"determinant": determinant.code, "protocol": determinant.protocol_id}
        try:
            return destination.required_for(result, self.rules, age=age)
        except TypeError:  # rules that do not depend on the patient's age
            return destination.required_for(result, self.rules)

    def needs_for(self, determinant: Determinant) -> str:
        """What the rules ask of the receiving hospital ("—": the nearest open ED); when the answer
        depends on the case-entry age, one part per group of ages (``infant, child: …; adult, …: —``)."""
        by_text: dict[str, list[str]] = {}
        for age in AGE_KEYS:
            by_text.setdefault(_format_requirement(self._required(determinant, age)), []).append(age)
        if len(by_text) == 1:
            return next(iter(by_text))
        return "; ".join(f"{', '.join(ages)}: {text}" for text, ages in by_text.items())


def _rule_file_candidates(protocol_dir: Path | None) -> list[Path]:
    """Where the rules may be: in the protocol set's own directory (``destinations.yaml``), then the
    module's default file, then the older ``resources/dispatch/destination_rules.yaml``."""
    name = getattr(destination, "DESTINATIONS_FILE", "destinations.yaml")
    candidates = [protocol_dir / name] if protocol_dir is not None else []
    default = getattr(destination, "RULES_FILE", None)
    candidates += [Path(default)] if default else []
    candidates += list(DESTINATION_RULE_FILES)
    return list(dict.fromkeys(candidates))


def load_destination_rules(protocol_dir: Path | None = None) -> DestinationRules:
    """The destination rules the seat uses with the protocol set in ``protocol_dir`` (blocking read).

    Raises:
        FileNotFoundError: no rules file exists.
        app.dispatch.destination.RulesError: the file is malformed.
    """
    candidates = _rule_file_candidates(protocol_dir)
    for path in candidates:
        if path.exists():
            try:
                source = path.resolve().relative_to(ROOT).as_posix()
            except ValueError:
                source = path.name
            return DestinationRules(destination.load_rules(path), source)
    raise FileNotFoundError("no destination rules file among " + ", ".join(map(str, candidates)))


def _render_rules(rules: DestinationRules) -> list[str]:
    lines = [f"Read from `{rules.source}`; the first matching rule applies; no rule: the nearest open "
             "emergency department.", "",
             "| rule | matches | ages | needs | reason |", "|---|---|---|---|---|"]
    for rule in rules.rules:
        matches = ", ".join([*(f"`{d}`" for d in rule.determinants), *(f"protocol `{p}`" for p in
                                                                        sorted(rule.protocols))])
        ages = ", ".join(sorted(getattr(rule, "ages", ()) or ())) or "any"
        requirement = _format_requirement(rule.requirement).rsplit(" `", 1)[0]
        reason = getattr(rule.requirement, "reason", None) or {}
        reason_text = f"{_cell(reason['zh'])} / *{_cell(reason['en'])}*" if reason else ""
        lines.append(f"| `{rule.rule_id}` | {matches} | {ages} | {requirement} | {reason_text} |")
    return [*lines, ""]


# ---------------------------------------------------------------- rendering helpers


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def _bilingual(text: Text) -> str:
    return f"{_cell(text.zh)} / *{_cell(text.en)}*"


def _anchor(protocol: Protocol) -> str:
    return f"p-{protocol.id}"


def _level(priority: int) -> str:
    return LEVELS.get(priority, str(priority))


def _question_numbers(protocol: Protocol) -> dict[str, int]:
    """Questions numbered in asking order: a question comes after every question that leads to it,
    ties in file order (the protocol graph has no loops; the loader checks that)."""
    parents = {qid: 0 for qid in protocol.questions}
    for question in protocol.questions.values():
        for answer in question.answers:
            if answer.next is not None:
                parents[answer.next] += 1
    file_order = list(protocol.questions)
    # Follow-up questions (asked after the determinant) have no parents but come last.
    ready = [q for q in file_order if parents[q] == 0 and q not in protocol.follow_up_ids]
    order: list[str] = []
    while ready:
        ready.sort(key=lambda q: (q != protocol.start, file_order.index(q)))
        qid = ready.pop(0)
        order.append(qid)
        for target in dict.fromkeys(a.next for a in protocol.questions[qid].answers if a.next is not None):
            parents[target] -= sum(1 for a in protocol.questions[qid].answers if a.next == target)
            if parents[target] == 0:
                ready.append(target)
    order += [q for q in file_order if q not in order]
    return {qid: i for i, qid in enumerate(order, start=1)}


def _leads_to(protocol: Protocol, protocol_set: ProtocolSet, answer: Any, numbers: Mapping[str, int]) -> str:
    if answer.next is not None:
        return f"Q{numbers[answer.next]} `{answer.next}`"
    if answer.determinant is not None:
        det = protocol.determinants[answer.determinant]
        return f"**{det.code}** (level {_level(det.priority)})"
    if answer.complaint is None:  # a follow-up's answer: recorded, the determinant stands
        return "recorded (follow-up, after the determinant)"
    target = protocol_set.protocol(str(answer.complaint))
    return f"complaint [{target.code:02d} {target.id}](#{_anchor(target)})"


def _decisive_answers(protocol: Protocol, numbers: Mapping[str, int]) -> dict[str, list[str]]:
    """For each determinant, the answers that lead straight to it (``Q3 = yes``)."""
    out: dict[str, list[str]] = {code: [] for code in protocol.determinants}
    for qid, question in protocol.questions.items():
        for answer in question.answers:
            if answer.determinant is not None:
                out[answer.determinant].append(f"Q{numbers[qid]}={answer.key}")
    return out


def _paths(protocol: Protocol, numbers: Mapping[str, int]) -> dict[str, list[str]]:
    """For each determinant, every full path of answers that reaches it, in asking order."""
    out: dict[str, list[str]] = {code: [] for code in protocol.determinants}
    for path, end in enumerate_paths(protocol):
        if end.kind == "determinant":
            out[end.target].append(" → ".join(f"Q{numbers[q]}={k}" for q, k in path))
    return {code: sorted(paths, key=lambda p: (p.count("→"), p)) for code, paths in out.items()}


def _cpr(det: Determinant) -> str:
    if not det.cpr:
        return "—"
    return f"yes: `{det.cpr_method.value}`" if det.cpr_method else "yes"


def _plan(det: Determinant) -> tuple[str, str, str]:
    plan = det.plan
    lights = "lights+sirens" if plan.lights_sirens else "no lights"
    extra = ", ".join(plan.extra) if plan.extra else "—"
    return f"`{plan.id}`", f"{plan.capability.value.upper()} · {plan.urgency.value} · {lights}", extra


def _render_signoffs(items: Sequence[SignOff], indent: str = "") -> list[str]:
    return [f"{indent}- **Sign-off ({item.severity}):** {item.text}" for item in items]


def _render_note(note: Note | None, indent: str) -> list[str]:
    if note is None:
        return [f"{indent}- *Guideline:* **none recorded** (on the sign-off list)"]
    lines = []
    if note.guideline:
        lines.append(f"{indent}- *Guideline:* {note.guideline}")
    else:
        lines.append(f"{indent}- *Guideline:* **none recorded** (on the sign-off list)")
    if note.note:
        lines.append(f"{indent}- *Note:* {note.note}")
    lines += _render_signoffs(note.signoff, indent)
    return lines


# ---------------------------------------------------------------- the document


@dataclass
class _SignOffList:
    """Sign-off items gathered while rendering, each pointing back at its section."""

    items: list[tuple[str, str, str]] = field(default_factory=list)  # (severity, where, text)

    def add(self, severity: str, where: str, text: str) -> None:
        self.items.append((severity, where, text))

    def render(self) -> list[str]:
        lines: list[str] = []
        number = 0
        for severity in (*SEVERITIES, "missing"):
            chosen = [(where, text) for s, where, text in self.items if s == severity]
            if not chosen:
                continue
            lines += [f"### {SEVERITY_TITLES[severity]}", ""]
            for where, text in chosen:
                number += 1
                lines.append(f"{number}. {where} — {text}" if where else f"{number}. {text}")
            lines.append("")
        return lines


def _render_protocol(protocol: Protocol, protocol_set: ProtocolSet, rules: DestinationRules,
                     pnotes: ProtocolNotes, signoffs: _SignOffList) -> list[str]:
    anchor = _anchor(protocol)
    link = f"[{protocol.code:02d} {protocol.id}](#{anchor})"
    numbers = _question_numbers(protocol)
    file_name = Path(protocol.file).name if protocol.file else f"{protocol.id}.yaml"
    lines = [f'<a id="{anchor}"></a>', "",
             f"## {protocol.code:02d} {protocol.id} — {protocol.title.zh} / {protocol.title.en}", "",
             f"File `resources/protocols/{file_name}`, clinical revision `{protocol.version}`; "
             f"{len(protocol.questions)} questions, {len(protocol.determinants)} determinants.", ""]
    if pnotes.guideline:
        lines += [f"**Guideline basis.** {pnotes.guideline}", ""]
    else:
        lines += ["**Guideline basis.** *None recorded.*", ""]
        signoffs.add("missing", link, "no guideline basis recorded for the protocol")
    if pnotes.rationale:
        lines += [pnotes.rationale, ""]
    for item in pnotes.signoff:
        signoffs.add(item.severity, link, item.text)
    if pnotes.signoff:
        lines += [*_render_signoffs(pnotes.signoff), ""]

    lines += ["### Decision points", ""]
    if protocol.located_first:
        first = ", then ".join(f"`{qid}`" + (f" (goes on after {', '.join(f'`{k}`' for k in keys)})" if keys else "")
                               for qid, keys in protocol.located_first)
        lines += [f"*When the caller's location is precise* (a handset fix ≤ 50 m, ≤ 2 min old, not contradicted): "
                  f"{first} asked before everything else; the rest in the order below, skipping what was asked.", ""]
    for qid, number in sorted(numbers.items(), key=lambda kv: kv[1]):
        question: Question = protocol.questions[qid]
        carried = f" (carries the answer of `{question.reuses}`)" if question.reuses else ""
        lines.append(f"**Q{number} `{qid}`**{carried} — {_bilingual(question.text)}")
        lines.append("")
        if question.help is not None:
            lines += [f"- *Dispatcher help:* {_bilingual(question.help)}"]
        for answer in question.answers:
            arrest = " ⚑ recognises cardiac arrest" if answer.arrest else ""
            arrest += " ☎ taken without asking when the switch delivers the caller's number" if answer.caller_id else ""
            lines.append(f"- `{answer.key}` {_bilingual(answer.label)} → "
                         f"{_leads_to(protocol, protocol_set, answer, numbers)}{arrest}")
        note = pnotes.questions.get(qid)
        if note is not None:
            lines += _render_note(note, "")
            for item in note.signoff:
                signoffs.add(item.severity, f"{link} Q{number} `{qid}`", item.text)
        lines.append("")

    if not protocol.determinants:
        return lines
    decisive = _decisive_answers(protocol, numbers)
    lines += ["### Determinants", "",
              "| code | level | plan | crew · urgency · driving | extra resources | CPR coach | "
              "safety steps | destination needs | reached by |",
              "|---|---|---|---|---|---|---|---|---|"]
    for det in protocol.determinants.values():
        plan_id, crew, extra = _plan(det)
        safety = f"yes ({len(det.safety)})" if det.safety else "no"
        override = " (centre override)" if det.code in protocol_set.overrides else ""
        lines.append(f"| **{det.code}** | {_level(det.priority)} | {plan_id}{override} | {crew} | {extra} | "
                     f"{_cpr(det)} | {safety} | {rules.needs_for(det)} | {', '.join(decisive[det.code])} |")
    lines.append("")

    paths = _paths(protocol, numbers)
    first_with: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}
    for det in protocol.determinants.values():
        lines += [f"#### {det.code} — level {_level(det.priority)}", "",
                  f"- *Crew facts:* {_bilingual(det.facts)}"]
        if det.takes_floor:
            lines.append("- *Coached on the call screen:* the seat gives these instructions the call screen, "
                         "as it does the CPR coach (`takes_floor`)")
        note = pnotes.determinants.get(det.code)
        lines += _render_note(note, "")
        where = f"{link} **{det.code}**"
        if note is None or not note.guideline:
            signoffs.add("missing", where, "no guideline note for this determinant")
        for item in note.signoff if note else ():
            signoffs.add(item.severity, where, item.text)
        lines += ["", "<details><summary>Paths, scene safety, instructions and case exit</summary>", ""]
        shown = paths[det.code][:MAX_PATHS_SHOWN]
        more = len(paths[det.code]) - len(shown)
        lines += [f"Paths from the protocol's first question ({len(paths[det.code])}; the shortest first):", ""]
        lines += [f"- {p}" for p in shown] or ["- (none)"]
        if more:
            lines.append(f"- … and {more} more")
        for title, texts in (("Scene safety, before the caller goes to the patient", det.safety),
                             ("Pre-arrival instructions, in order", det.instructions),
                             ("Case exit", det.exit)):
            if not texts:
                continue
            key = (title, tuple((t.zh, t.en) for t in texts))
            if key in first_with:  # the same list as an earlier determinant: say so, once is enough to read
                lines += ["", f"{title}: the same as **{first_with[key]}**."]
                continue
            first_with[key] = det.code
            lines += ["", f"{title}:", ""]
            lines += [f"{i}. {_bilingual(t)}" for i, t in enumerate(texts, start=1)]
        lines += ["", "</details>", ""]
    return lines


def render_document(protocol_set: ProtocolSet, rules: DestinationRules, notes: Notes) -> str:
    """The whole document, deterministic for the same inputs (pure; no I/O)."""
    signoffs = _SignOffList()
    for item in notes.general:
        signoffs.add(item.severity, "", item.text)
    protocols = protocol_set.all_protocols()
    lines = [
        "# Clinical review of the triage protocols",
        "",
        f"<!-- Generated by tools/clinical_review.py; do not edit by hand. Hand-written notes live in "
        f"docs/clinical-review.notes.yaml. Regenerate with: {REGENERATE} -->",
        "",
        f"Protocol set version **`{protocol_set.version}`** (digest of every file in `resources/protocols`; "
        "the seat records it with each triage). Destination rules: "
        f"`{rules.source}`. A sign-off applies to this version only.",
        "",
    ]
    if notes.intro:
        lines += [notes.intro, ""]
    lines += ["## Contents", ""]
    lines += [f"- [{p.code:02d} {p.id} — {p.title.zh} / {p.title.en}](#{_anchor(p)})" for p in protocols]
    lines += ["- [Response plans](#response-plans)", "- [Destination rules](#destination-rules)", "- [Sources](#sources)", "- [Sign-off list](#sign-off-list)", ""]

    lines += ["## How to read the tables", "",
              "- **Decision points**: each question in asking order (Q1 is the protocol's first question), "
              "its answers and where each leads: the next question, a determinant, or another chief complaint "
              "(→). ⚑ marks the answer that recognises a cardiac arrest (the seat stamps the time).",
              "- **level**: I (priority 1, immediate threat to life) … IV (no red flags / booked).",
              "- **plan**: the response plan of `resources/protocols/plans.yaml` after the centre's overrides; "
              "crew capability (ALS, BLS, NEGATIVE_PRESSURE), urgency and whether it drives with lights and "
              "sirens; **extra resources** are dispatched alongside.",
              "- **CPR coach**: whether the telephone-CPR coach starts, and how it teaches: `hands_only` "
              "(continuous compressions), `breaths_first` (5 rescue breaths then 30:2), `child`, `infant`.",
              "- **safety steps**: whether the caller is given scene-safety steps before going to the patient.",
              "- **destination needs**: the hospital capabilities the destination rules ask for (rule id in "
              "backticks); — means the nearest open emergency department.",
              "- **reached by**: the answers that lead straight to the determinant; the full paths are in "
              "the collapsed details with the instructions.",
              ""]

    for protocol in protocols:
        pnotes = notes.protocols.get(protocol.id, ProtocolNotes())
        lines += _render_protocol(protocol, protocol_set, rules, pnotes, signoffs)

    lines += ["## Response plans", "", "| plan | crew | urgency | lights and sirens | extra resources | label |",
              "|---|---|---|---|---|---|"]
    for plan in sorted(protocol_set.plans.values(), key=lambda p: p.id):
        lines.append(f"| `{plan.id}` | {plan.capability.value} | {plan.urgency.value} | "
                     f"{'yes' if plan.lights_sirens else 'no'} | {', '.join(plan.extra) or '—'} | "
                     f"{_bilingual(plan.label)} |")
    lines.append("")
    if protocol_set.overrides:
        lines += ["Centre overrides (determinant → plan): "
                  + ", ".join(f"{c} → `{p}`" for c, p in sorted(protocol_set.overrides.items())), ""]
    else:
        lines += ["No centre overrides.", ""]

    lines += ["## Destination rules", "", *_render_rules(rules)]
    lines += ["## Sources", ""]
    lines += [notes.sources, ""] if notes.sources else ["*None recorded.*", ""]

    orphans = orphan_notes(protocol_set, notes)
    for orphan in orphans:
        signoffs.add("concern", f"`{orphan}`", "a note in docs/clinical-review.notes.yaml names something the "
                     "protocol files no longer have: re-review it against the new question or determinant")
    lines += ["## Sign-off list", "",
              "Every item below needs a named clinician's decision before this protocol set goes live.", ""]
    lines += signoffs.render()
    lines += ["### Signature", "", "| role | name | decision | date |", "|---|---|---|---|",
              "| Medical director |  |  |  |", "| Dispatch quality lead |  |  |  |", "",
              f"Protocol set `{protocol_set.version}`.", ""]
    return "\n".join(lines)


def generate(protocol_dir: Path = DEFAULT_PROTOCOL_DIR, notes_path: Path = NOTES_PATH) -> str:
    """Load everything from disk and render the document (blocking file I/O).

    Raises:
        SystemExit: the protocol set does not load (the problems are in the message).
        NotesError: the notes file is malformed.
    """
    protocol_set, problems = check_directory(protocol_dir)
    if protocol_set is None:
        raise SystemExit("the protocol set does not load:\n" + "\n".join(map(str, problems)))
    return render_document(protocol_set, load_destination_rules(Path(protocol_dir)), load_notes(notes_path))


def _shown(path: Path) -> str:
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 when the doc is stale")
    args = parser.parse_args(argv)
    text = generate()
    current = DOC_PATH.read_text(encoding="utf-8") if DOC_PATH.exists() else ""
    if args.check:
        if current == text:
            return 0
        diff = difflib.unified_diff(current.splitlines(), text.splitlines(), "committed", "generated", lineterm="")
        print("\n".join(list(diff)[:60]))
        print(f"\n{_shown(DOC_PATH)} is stale; regenerate with: {REGENERATE}", file=sys.stderr)
        return 1
    DOC_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {_shown(DOC_PATH)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
