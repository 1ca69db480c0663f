"""Whole-set checks and figures behind ``dispatch120 triage check`` (pure, no I/O but the load).

The schema and graph rules are enforced by :func:`app.triage.loader.load_protocol_set`
(the seat refuses a set that breaks them). This module adds the rules about how a
question is *worded and answered* — :func:`option_problems`, run by ``triage check``
and by the tests over every shipped protocol — and the path enumeration the summary uses:

* **Options are exclusive.** Two answers of a question may not carry the same label (in
  either language), and quantitative answers (``range:``) may not overlap.
* **Options are exhaustive.** When answers carry ranges, every answer but one ``unknown``
  has a range, all in one unit; together they cover the quantity from 0 (or from
  minus infinity) without a gap and leave the top open.
* **A follow-up reads on its own.** A determinant's ``follow_up`` question has two answers
  or more, and each label says the fact ("Takes a blood thinner", not "Yes"): the crew facts
  and the pre-notification list the answers without their questions.
* **One fact per question.** A text that joins separate predicates with "and" (English
  "and" starting a new clause: "… hit their head and take blood thinners"; Chinese 并且/
  而且, or 和/以及/同时 after a clause break) or asks several questions in one text is
  flagged: a "no" to it cannot say which part was denied. "Or" (English "or" starting a
  clause, Chinese 或/或者 after a clause break, 还是) is flagged only when the answers are
  not yes/no — an either-or question whose answers must then cover every case (a yes/no
  any-of list is exclusive and exhaustive as it is). A heuristic: a reviewer who finds
  the facts belong together writes the reason in the question's ``compound:`` key and
  the rule accepts it.

Each problem is ``file:line: reason`` like the loader's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from app.dispatch.destination import check_protocol_set as destination_problems
from app.triage.loader import ProtocolSetError, load_protocol_set
from app.triage.model import Answer, Problem, Protocol, ProtocolSet, Question

UNKNOWN_KEY = "unknown"
"""The one answer of a quantitative question that may go without a range."""

# What makes a question's options ambiguous is a conjunction: "Did they hit their head and
# take blood thinners?" answered "no" does not say which part is denied. A disjunction answered
# yes/no ("chest pain, breathing difficulty or fever?": yes = any, no = none) is exclusive and
# exhaustive, so "or" is flagged only where the answers are the alternatives themselves
# (an either-or question must then offer every case, which the reader has to check).
#
# English: "and"/"or" (after an optional comma) followed by a word that starts a new clause —
# an auxiliary or modal verb, a subject pronoun, "there", or one of the few main verbs the
# protocols use for a second fact. "awake and answering", "pale, sweating, or cold" (one
# predicate listing states) do not match; "and take blood thinners", "or has it been" do.
_CLAUSE_START = (r"(is|are|was|were|has|have|had|does|do|did|can|could|will|would|should|may|they|he|she|it|"
                 r"there|take|takes|took|hit|hits|use|uses|used|need|needs|feel|feels)\b")
_EN_AND = re.compile(r",?\s+and\s+" + _CLAUSE_START, re.IGNORECASE)
_EN_OR = re.compile(r",?\s+or\s+" + _CLAUSE_START, re.IGNORECASE)
# Chinese: a connective right after a clause break (comma, question mark, semicolon, full stop),
# or 并且/而且 anywhere (they always join predicates; 同时 only after a break, since
# "多人同时发烧" means "at the same time"); 还是 asks either-or.
_ZH_AND = re.compile(r"[，,？?；;。]\s*(和|以及|同时)|并且|而且")
_ZH_OR = re.compile(r"[，,？?；;。]\s*(或者|或是|或)|还是")
# A question sentence: text up to "?"; one that opens with "Or" continues the one before.
_EN_SENTENCE = re.compile(r"[^?]*\?")


def _is_yes_no(question: Question) -> bool:
    return {"yes", "no"} <= set(question.keys)


def _question_sentences(text: str, sentence: re.Pattern[str], continuation: tuple[str, ...]) -> int:
    # A parenthesis is a note to the caller ("(occasional gasps do not count)"), not a question.
    text = re.sub(r"[(（][^)）]*[)）]", "", text)
    return sum(1 for part in sentence.findall(text) if not part.strip().lower().startswith(continuation))


def compound_reasons(question: Question) -> list[str]:
    """Why the text of ``question`` looks like several facts in one (empty: it does not).

    Ignores ``question.compound``; :func:`option_problems` applies it.
    """
    reasons = []
    en, zh = question.text.en, question.text.zh
    # Counted in English: Chinese often asks one thing as two short questions (清醒吗？能回答吗？).
    asked = _question_sentences(en, _EN_SENTENCE, ("or ",))
    if asked > 1:
        reasons.append(f"asks {asked} questions in one text (are both facts meant, or either?)")
    for lang, pattern, word in (("en", _EN_AND, "and"), ("zh", _ZH_AND, "")):
        match = pattern.search(en if lang == "en" else zh)
        if match:
            reasons.append(f"{lang} joins two facts with {(word or match.group(0).strip('，,？?；;。 '))!r}")
    if not _is_yes_no(question):
        for lang, pattern in (("en", _EN_OR), ("zh", _ZH_OR)):
            match = pattern.search(en if lang == "en" else zh)
            if match:
                joined = "or" if lang == "en" else match.group(0).strip("，,？?；;。 ")
                reasons.append(f"{lang} asks either-or with {joined!r} and the answers are the alternatives "
                               "(do they cover every case?)")
    return reasons


def _same_label_problems(protocol: Protocol, question: Question) -> list[Problem]:
    problems = []
    for lang in ("zh", "en"):
        seen: dict[str, Answer] = {}
        for answer in question.answers:
            label = " ".join(answer.label[lang].casefold().split())
            if label in seen:
                problems.append(Problem(protocol.file, answer.line, f"question {question.id}: answers "
                                        f"{seen[label].key} and {answer.key} have the same {lang} label "
                                        f"{answer.label[lang]!r} (options overlap)"))
            else:
                seen[label] = answer
    return problems


def _range_problems(protocol: Protocol, question: Question) -> list[Problem]:
    ranged = [a for a in question.answers if a.range is not None]
    if not ranged:
        return []
    problems = []

    def problem(answer: Answer | None, message: str) -> None:
        line = answer.line if answer is not None else question.line
        problems.append(Problem(protocol.file, line, f"question {question.id}: {message}"))

    for answer in question.answers:
        if answer.range is None and answer.key != UNKNOWN_KEY:
            problem(answer, f"answer {answer.key} has no range while others do (a quantity's answers are "
                    f"ranges, plus at most one {UNKNOWN_KEY!r})")
    units = {a.range.unit for a in ranged if a.range is not None}
    if len(units) > 1:
        problem(None, f"ranges mix units ({', '.join(sorted(units))}): use one")
        return problems

    def low_key(answer: Answer) -> tuple[float, int]:
        r = answer.range
        assert r is not None
        return (float("-inf") if r.low is None else r.low, 0 if r.low_inclusive else 1)

    ordered = sorted(ranged, key=low_key)
    first = ordered[0].range
    assert first is not None
    if first.low is not None and not (first.low == 0 and first.low_inclusive):
        problem(ordered[0], f"nothing covers values below {first.describe()} (the lowest range must start "
                "with min: 0 or have no lower bound)")
    for before, after in zip(ordered, ordered[1:], strict=False):
        a, b = before.range, after.range
        assert a is not None and b is not None
        if a.high is None or b.low is None or b.low < a.high or (
                b.low == a.high and a.high_inclusive and b.low_inclusive):
            problem(after, f"answers {before.key} ({a.describe()}) and {after.key} ({b.describe()}) overlap")
        elif b.low > a.high or (b.low == a.high and not a.high_inclusive and not b.low_inclusive):
            problem(after, f"gap between answers {before.key} ({a.describe()}) and {after.key} "
                    f"({b.describe()}): no answer fits a value in between")
    last = ordered[-1].range
    assert last is not None
    if last.high is not None and len(problems) == 0:
        problem(ordered[-1], f"nothing covers values above {last.describe()} (leave the highest range open)")
    return problems


# A follow-up's answer is shown on its own (crew facts, pre-notification), without its
# question: "Yes" says nothing there, "Takes a blood thinner" does.
_BARE_LABELS = frozenset({"yes", "no", "unknown", "not known", "don't know", "是", "否", "有", "没有", "不知道"})


def _follow_up_problems(protocol: Protocol, question: Question) -> list[Problem]:
    problems = []
    if len(question.answers) < 2:
        problems.append(Problem(protocol.file, question.line, f"question {question.id}: a follow-up needs at "
                                "least two answers (and usually one for 'not known')"))
    for answer in question.answers:
        bare = [lang for lang in ("zh", "en") if answer.label[lang].strip().casefold() in _BARE_LABELS]
        if bare:
            problems.append(Problem(protocol.file, answer.line, f"question {question.id}: follow-up answer "
                                    f"{answer.key} is shown without its question (crew facts, pre-notification): "
                                    f"its {'/'.join(bare)} label must say the fact, e.g. 'Takes a blood thinner', "
                                    f"not {answer.label[bare[0]]!r}"))
    return problems


def option_problems(protocol_set: ProtocolSet) -> list[Problem]:
    """Every question of every protocol against the option and wording rules above; a
    follow-up question (``Determinant.follow_up``) also needs two answers or more, each
    labelled as a fact that reads on its own.

    Returns the problems sorted by file and line (empty when all questions pass).
    """
    problems: list[Problem] = []
    for protocol in protocol_set.all_protocols():
        follow_ups = protocol.follow_up_ids
        for question in protocol.questions.values():
            if question.id in follow_ups:
                problems += _follow_up_problems(protocol, question)
            problems += _same_label_problems(protocol, question)
            problems += _range_problems(protocol, question)
            reasons = compound_reasons(question)
            if reasons and not question.compound:
                problems.append(Problem(protocol.file, question.line, f"question {question.id} "
                                        f"{'; '.join(reasons)}: split it, or give compound: \"why these facts "
                                        "belong together\""))
    return sorted(problems, key=lambda p: (p.file, p.line, p.message))


@dataclass(frozen=True, slots=True)
class PathEnd:
    """Where a path through one protocol ends: a determinant code or another protocol's id."""

    kind: str  # "determinant" or "complaint"
    target: str


def enumerate_paths(protocol: Protocol) -> Iterator[tuple[tuple[tuple[str, str], ...], PathEnd]]:
    """Every path from ``protocol.start``: ``(((question_id, answer_key), ...), end)``.

    Depth-first, in file order. The loader guarantees there are no loops, so this ends.
    """
    stack: list[tuple[str, tuple[tuple[str, str], ...]]] = [(protocol.start, ())]
    while stack:
        question_id, prefix = stack.pop()
        question = protocol.questions[question_id]
        for answer in reversed(question.answers):
            path = (*prefix, (question_id, answer.key))
            if answer.next is not None:
                stack.append((answer.next, path))
            elif answer.determinant is not None:
                yield path, PathEnd("determinant", answer.determinant)
            else:
                yield path, PathEnd("complaint", str(answer.complaint))


def check_directory(directory: Path | str, *, options: bool = True) -> tuple[ProtocolSet | None, list[Problem]]:
    """Load ``directory``; returns ``(set, [])`` or ``(None, problems)``. Never raises for bad files.

    ``options`` (default) also applies :func:`option_problems`; ``triage run`` passes False to
    play a vignette against a set whose wording is still under review.
    """
    try:
        protocol_set = load_protocol_set(directory)
    except ProtocolSetError as exc:
        return None, exc.problems
    problems = option_problems(protocol_set) if options else []
    problems += [Problem(p.file, p.line, p.message) for p in destination_problems(protocol_set)]
    return (None, problems) if problems else (protocol_set, [])


def summarize(protocol_set: ProtocolSet) -> dict[str, object]:
    """Counts for the ``check`` report: per protocol questions, determinants, paths, longest path."""
    rows = []
    for protocol in protocol_set.all_protocols():
        paths = list(enumerate_paths(protocol))
        rows.append({
            "id": protocol.id,
            "code": protocol.code,
            "version": protocol.version,
            "questions": len(protocol.questions),
            "determinants": len(protocol.determinants),
            "paths": len(paths),
            "longest_path": max((len(path) for path, _end in paths), default=0),
            "priorities": sorted({d.priority for d in protocol.determinants.values()}),
        })
    return {
        "version": protocol_set.version,
        "complaints": len(protocol_set.protocols),
        "plans": len(protocol_set.plans),
        "questions": sum(int(r["questions"]) for r in rows),  # type: ignore[call-overload]
        "determinants": sum(int(r["determinants"]) for r in rows),  # type: ignore[call-overload]
        "paths": sum(int(r["paths"]) for r in rows),  # type: ignore[call-overload]
        "protocols": rows,
    }
