"""``triage check`` refuses questions whose options overlap, leave a gap, or whose text joins
separate facts with and/or — each with file:line and the reason — and the shipped
protocols pass it."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import pytest

from app.triage import DEFAULT_PROTOCOL_DIR, ProtocolSetError, load_protocol_set
from app.triage.check import check_directory, compound_reasons, option_problems
from app.triage.cli import register
from app.triage.model import Answer, Question, Text

BAD = Path(__file__).resolve().parents[1] / "data" / "protocols_bad"
GOOD = BAD / "good"
# The protocols reviewed with this validator (other files are reviewed by their owners).
REVIEWED = ("stroke", "chest_pain", "falls", "sick_person", "headache", "abdominal_pain", "back_pain",
            "breathing_problems", "allergic_reaction", "diabetic_problem", "pregnancy_childbirth",
            "fever_infectious", "interfacility_transfer")


def _set_with(tmp_path: Path, broken: str) -> Path:
    directory = tmp_path / "protocols"
    shutil.copytree(GOOD, directory)
    shutil.copy(BAD / broken, directory / "alpha.yaml")
    return directory


def _question(en: str, zh: str, keys=("yes", "no")) -> Question:
    answers = tuple(Answer(key, Text(key, key), determinant="01-A-1") for key in keys)
    return Question("q", Text(zh, en), answers)


@pytest.mark.parametrize(("fixture", "line", "words"), [
    ("overlapping_ranges.yaml", 27, "answers early (>= 0 and <= 6 h) and late (> 4 h) overlap"),
    ("range_gap.yaml", 27, "gap between answers early (>= 0 and <= 6 h) and late (> 24 h)"),
    ("compound_question.yaml", 20, "en joins two facts with 'and'"),
    ("duplicate_labels.yaml", 26, "answers yes and very have the same zh label"),
])
def test_triage_check_refuses_ambiguous_options_with_file_line_and_reason(tmp_path, capsys, fixture, line, words):
    directory = _set_with(tmp_path, fixture)
    load_protocol_set(directory)  # the schema is fine: it is the options that are wrong
    protocol_set, problems = check_directory(directory)
    assert protocol_set is None
    assert [(Path(p.file).name, p.line) for p in problems] == [("alpha.yaml", line)]
    assert words in problems[0].message
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["triage", "check", str(directory)])
    assert args.func(args) == 1
    assert f"alpha.yaml:{line}: " in capsys.readouterr().err


def test_a_reviewed_compound_question_is_accepted_with_its_reason(tmp_path):
    directory = _set_with(tmp_path, "compound_question.yaml")
    path = directory / "alpha.yaml"
    text = path.read_text(encoding="utf-8")
    marked = text.replace("  - id: q_severe\n", "  - id: q_severe\n    compound: \"both must hold for the rule\"\n")
    path.write_text(marked, encoding="utf-8")
    protocol_set, problems = check_directory(directory)
    assert problems == [] and protocol_set is not None
    assert protocol_set.protocols["alpha"].questions["q_severe"].compound == "both must hold for the rule"


@pytest.mark.parametrize(("en", "zh"), [
    # the two questions the medical director found
    ("Did the patient hit their head AND take blood thinners (e.g. warfarin) or is over 65?",
     "他撞到头了吗？同时在吃抗凝药，或者年龄超过65岁？"),
    ("Can the patient sit up and take their tablets?", "他能坐起来吗？"),
    ("Is the scene safe? Is the attacker still nearby?", "现场安全吗？伤人的人还在附近吗？"),
])
def test_texts_joining_separate_facts_are_flagged(en, zh):
    assert compound_reasons(_question(en, zh))


def test_an_either_or_question_is_flagged_when_its_answers_are_the_alternatives():
    either_or = _question("Did the patient get worse suddenly today, or has it been about the same for days?",
                          "是今天突然变差的，还是好几天都差不多？", keys=("sudden", "gradual"))
    assert any("either-or" in reason for reason in compound_reasons(either_or))


@pytest.mark.parametrize(("en", "zh"), [
    ("Is the patient pale, sweating, or cold and clammy?", "患者脸色苍白、出冷汗或皮肤湿冷吗？"),
    ("Is the patient awake and answering you normally?", "患者清醒吗？能正常回答您吗？"),
    ("Is the rash all over the body, or is there belly pain or vomiting?", "皮疹是全身都有，或者有肚子痛、呕吐吗？"),
    ("Is the patient breathing normally? (occasional gasps do not count?)", "他有正常呼吸吗？（偶尔喘息不算）"),
    ("Have several people had a fever at the same time?", "家里有多人同时发烧吗？"),
])
def test_one_fact_or_a_yes_no_any_of_list_is_not_flagged(en, zh):
    assert compound_reasons(_question(en, zh)) == []


def _ranges_in(tmp_path: Path, answers: str) -> list:
    directory = tmp_path / "protocols"
    shutil.copytree(GOOD, directory)
    path = directory / "alpha.yaml"
    text = path.read_text(encoding="utf-8")
    old = text[text.index("  - id: q_severe\n"):text.index("  - id: q_shared\n")]
    path.write_text(text.replace(old, "  - id: q_severe\n    text: {zh: \"多久？\", en: \"How long?\"}\n"
                                      "    answers:\n" + answers), encoding="utf-8")
    _set, problems = check_directory(directory)
    return [p.message for p in problems]


def _answer(key: str, bounds: str, target: str = "determinant: 01-A-1") -> str:
    range_line = f"        range: {{{bounds}}}\n" if bounds else ""
    return f"      - key: {key}\n        label: {{zh: {key}, en: {key}}}\n{range_line}        {target}\n"


def test_exclusive_and_exhaustive_ranges_with_an_unknown_answer_pass(tmp_path):
    answers = (_answer("short", "min: 0, max: 4.5, unit: h") + _answer("mid", "over: 4.5, max: 6, unit: h")
               + _answer("long", "over: 6, unit: h", "next: q_shared") + _answer("unknown", ""))
    assert _ranges_in(tmp_path, answers) == []


@pytest.mark.parametrize(("answers", "words"), [
    (_answer("short", "min: 0, max: 6, unit: h") + _answer("long", "over: 6, unit: min", "next: q_shared"),
     "ranges mix units"),
    (_answer("short", "min: 0, max: 6, unit: h") + _answer("later", "", "next: q_shared"),
     "answer later has no range"),
    (_answer("short", "min: 1, max: 6, unit: h") + _answer("long", "over: 6, unit: h", "next: q_shared"),
     "nothing covers values below"),
    (_answer("short", "min: 0, max: 6, unit: h") + _answer("long", "over: 6, max: 24, unit: h", "next: q_shared"),
     "nothing covers values above"),
    (_answer("short", "min: 0, under: 6, unit: h") + _answer("long", "over: 6, unit: h", "next: q_shared"),
     "gap between answers short"),
    (_answer("short", "min: 0, max: 6, unit: h") + _answer("long", "min: 6, unit: h", "next: q_shared"),
     "overlap"),
])
def test_ranges_that_overlap_leave_a_gap_or_mix_units_are_refused(tmp_path, answers, words):
    messages = _ranges_in(tmp_path, answers)
    assert any(words in m for m in messages), messages


@pytest.mark.parametrize(("bounds", "words"), [
    ("min: 0, max: 6, unit: fortnights", "is not one of"),
    ("unit: h", "needs a bound"),
    ("min: 6, max: 1, unit: h", "lower bound is above the upper bound"),
    ("min: soon, unit: h", "expected a number"),
    ("min: 0, over: 1, unit: h", "one lower bound"),
])
def test_a_malformed_range_is_refused_on_load(tmp_path, bounds, words):
    directory = tmp_path / "protocols"
    shutil.copytree(GOOD, directory)
    path = directory / "alpha.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("        determinant: 01-D-1\n",
                                 f"        range: {{{bounds}}}\n        determinant: 01-D-1\n", 1), encoding="utf-8")
    with pytest.raises(ProtocolSetError) as caught:
        load_protocol_set(directory)
    assert any(words in p.message and p.line > 0 for p in caught.value.problems), caught.value.problems


@pytest.fixture(scope="module")
def shipped():
    return load_protocol_set(DEFAULT_PROTOCOL_DIR)


@pytest.mark.parametrize("protocol_id", REVIEWED)
def test_every_reviewed_protocol_has_exclusive_exhaustive_single_fact_questions(shipped, protocol_id):
    problems = [p for p in option_problems(shipped) if Path(p.file).stem == protocol_id]
    assert problems == []


def test_the_falls_head_strike_and_bleeding_risk_are_two_questions(shipped):
    falls = shipped.protocols["falls"]
    assert "q_head_anticoag" not in falls.questions
    assert {"q_head_strike", "q_bleeding_risk"} <= set(falls.questions)
    heights = [(a.range.low, a.range.high) for a in falls.questions["q_height"].answers if a.range]
    assert sorted(heights, key=lambda b: b[0]) == [(0, 1), (1, 3), (3, None)]


def test_an_illness_of_one_day_has_an_answer_in_sick_person(shipped):
    question = shipped.protocols["sick_person"].questions["q_sudden_change"]
    for hours, key in ((0.5, "within_24h"), (24, "within_24h"), (24.5, "over_24h"), (72, "over_24h")):
        assert [a.key for a in question.answers if a.range and a.range.contains(hours)] == [key], hours
