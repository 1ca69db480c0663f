"""The clinical vignette suite (tests/data/vignettes): every story, played as
``dispatch120 triage run`` plays a case, must give what the guidelines expect — one test per
vignette. Then the runner itself, on the minimal fixture protocols: it refuses malformed
vignette files with file:line, and it catches a protocol that under- or over-triages."""

from __future__ import annotations

import argparse
import json
import shutil
import textwrap
from pathlib import Path

import pytest

from app.triage import DEFAULT_PROTOCOL_DIR
from app.triage import cli as triage_cli
from app.triage.check import check_directory
from app.triage.vignettes import (
    DEFAULT_VIGNETTE_DIR,
    advised,
    destination_rules,
    load_vignettes,
    parse_vignettes,
    play_all,
    summarize_results,
    triage_run,
)

GOOD = Path(__file__).resolve().parents[1] / "data" / "protocols_bad" / "good"
SUITE, SUITE_PROBLEMS = load_vignettes(DEFAULT_VIGNETTE_DIR)
COMPLAINTS = (
    "cardiac_arrest", "chest_pain", "breathing_problems", "stroke", "unconscious_fainting", "convulsions",
    "traffic_collision", "falls", "trauma_bleeding", "burns", "poisoning_overdose", "allergic_reaction",
    "diabetic_problem", "pregnancy_childbirth", "abdominal_pain", "headache", "sick_person",
    "psychiatric_suicide", "drowning", "electrocution", "heat_cold_exposure", "choking", "back_pain",
    "fever_infectious", "interfacility_transfer",
)


# ---------------------------------------------------------------- the suite


@pytest.fixture(scope="module")
def real_protocols():
    protocol_set, problems = check_directory(DEFAULT_PROTOCOL_DIR, options=False)
    assert protocol_set is not None, problems
    return protocol_set, destination_rules(DEFAULT_PROTOCOL_DIR)


def test_the_vignette_files_are_well_formed():
    assert SUITE_PROBLEMS == []


def test_the_suite_covers_every_chief_complaint_and_the_risky_variants():
    assert len(SUITE) >= 80
    per_complaint = {c: sum(v.complaint == c for v in SUITE) for c in COMPLAINTS}
    assert min(per_complaint.values()) >= 3, per_complaint
    tags = [t for v in SUITE for t in v.variants]
    for variant, at_least in (("paediatric", 10), ("obstetric", 8), ("hazardous_scene", 10),
                              ("caller_unsure", 6), ("asphyxial", 5), ("low_acuity", 15)):
        assert tags.count(variant) >= at_least, variant


@pytest.mark.parametrize("vignette", SUITE, ids=[v.id for v in SUITE])
def test_vignette(vignette, real_protocols):
    protocol_set, rules = real_protocols
    (result,) = play_all(protocol_set, [vignette], rules)
    if result.failures:
        pytest.fail("\n".join(str(f) for f in result.failures), pytrace=False)


# ---------------------------------------------------------------- the runner


def _file(body: str) -> str:
    return textwrap.dedent(body).lstrip()


STORY = 'story: {zh: "胸痛", en: "Chest pain"}'


def _vignette(vid: str, answers: str, expect: str, complaint: str = "beta") -> str:
    return _file(f"""
        schema: 1
        complaint: {complaint}
        vignettes:
          - id: {vid}
            source: "test"
            {STORY}
            answers: {answers}
            expect: {expect}
        """)


@pytest.fixture()
def good_dir(tmp_path):
    """The fixture protocols plus a destination rule: 02-B-1 needs a trauma centre."""
    directory = tmp_path / "protocols"
    shutil.copytree(GOOD, directory)
    (directory / "destinations.yaml").write_text(_file("""
        schema: 1
        rules:
          - id: serious_beta
            determinants: ["02-B-1"]
            needs: [trauma_centre]
            trauma_level_at_most: 2
            reason: {zh: 乙重, en: Beta serious}
        """), encoding="utf-8")
    return directory


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    triage_cli.register(parser.add_subparsers())
    return parser


def _play(directory: Path, text: str):
    vignettes, problems = parse_vignettes(text, "v.yaml")
    assert problems == []
    protocol_set, problems = check_directory(directory, options=False)
    assert protocol_set is not None, problems
    (result,) = play_all(protocol_set, vignettes, destination_rules(directory))
    return result


def test_a_malformed_vignette_is_refused_with_its_file_and_line():
    text = _file("""
        schema: 1
        complaint: beta
        vignettes:
          - id: fine
            source: "test"
            story: {zh: "胸痛", en: "Chest pain"}
            expect: {priority: 2}
          - id: Bad-Id
            source: "test"
            story: {zh: "胸痛"}
            expect:
              capability: helicopter
              priority_min: 3
              priority_max: 1
              colour: red
        """)
    vignettes, problems = parse_vignettes(text, "v.yaml")
    assert [v.id for v in vignettes] == ["fine"]
    messages = [str(p) for p in problems]
    assert any(m.startswith("v.yaml:8:") and "lower_case" in m for m in messages), messages
    assert any(m.startswith("v.yaml:10:") and "missing 'en'" in m for m in messages), messages
    assert any(m.startswith("v.yaml:12:") and "'helicopter' is not one of" in m for m in messages), messages
    assert any(m.startswith("v.yaml:15:") and "unknown key 'colour'" in m for m in messages), messages


def test_a_vignette_id_used_twice_in_a_directory_is_refused(tmp_path):
    one = _vignette("same", "{}", "{priority: 2}")
    (tmp_path / "a.yaml").write_text(one, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(one, encoding="utf-8")
    vignettes, problems = load_vignettes(tmp_path)
    assert len(vignettes) == 1
    assert len(problems) == 1 and "already used" in problems[0].message and problems[0].line == 4


def test_a_protocol_that_under_triages_fails_the_vignette(good_dir):
    # beta's "no" to the shared question gives 02-C-1, level III: a story that needs level II fails
    result = _play(good_dir, _vignette(
        "beta_serious", "{age: adult, conscious: 'yes', chief_complaint: beta, q_first: 'yes', q_shared: 'no'}",
        "{priority_max: 2, capability: als}"))
    assert [(f.what, f.message) for f in result.failures] == [
        ("priority", "priority 3, expected level 1..2"),
        ("capability", "bls (bls_routine), expected als"),
    ]


def test_a_low_acuity_case_sent_to_a_trauma_centre_is_over_triage(good_dir):
    result = _play(good_dir, _vignette(
        "beta_over", "{age: adult, conscious: 'yes', chief_complaint: beta, q_first: 'yes', q_shared: 'yes'}",
        "{destination: {not: [trauma_centre]}}"))
    assert len(result.failures) == 1
    assert result.failures[0].what == "destination" and "over-triage" in result.failures[0].message


def test_the_destination_must_be_as_demanding_as_the_guideline(good_dir):
    passing = _play(good_dir, _vignette(
        "beta_trauma", "{age: adult, conscious: 'yes', chief_complaint: beta, q_first: 'yes', q_shared: 'yes'}",
        "{destination: {needs: [trauma_centre], trauma_level_at_most: 2}}"))
    assert passing.passed
    failing = _play(good_dir, _vignette(
        "beta_level1", "{age: adult, conscious: 'yes', chief_complaint: beta, q_first: 'yes', q_shared: 'yes'}",
        "{destination: {needs: [trauma_centre], trauma_level_at_most: 1}}"))
    assert [f.message for f in failing.failures] == ["trauma level required 2, expected 1 or higher"]


def test_an_arrest_vignette_checks_cpr_and_the_words_the_caller_hears(good_dir):
    # unconscious, not breathing → alpha; "yes" to severe → 01-A-1: CPR, "按压"/"Push"
    result = _play(good_dir, _vignette(
        "alpha_arrest", "{age: adult, conscious: 'no', breathing_normally: 'no', q_severe: 'yes'}",
        "{priority: 1, cpr: true, cpr_method: hands_only, arrest_recognised: true, "
        "say: [[push, 按压]], never_advise: [aspirin]}", complaint="alpha"))
    assert result.passed, result.failures
    assert (result.questions_asked, result.questions_in_complaint, result.questions_to_arrest) == (4, 1, 3)
    wrong = _play(good_dir, _vignette(
        "alpha_arrest_breaths", "{age: adult, conscious: 'no', breathing_normally: 'no', q_severe: 'yes'}",
        "{cpr_method: breaths_first, say: [[人工呼吸, rescue breath]]}", complaint="alpha"))
    assert [f.what for f in wrong.failures] == ["cpr_method", "say"]


def test_answers_that_stop_short_are_a_failure_not_a_crash(good_dir):
    # the case entry stops short, so the vignette's complaint (beta) is chosen, as `triage run` does
    result = _play(good_dir, _vignette("short", "{age: adult}", "{priority: 2}"))
    assert [f.what for f in result.failures] == ["answers"]
    assert "stop at beta/q_first (keys: yes, no)" in result.failures[0].message
    bad_key = _play(good_dir, _vignette("bad_key", "{age: teenager}", "{priority: 2}"))
    assert [f.what for f in bad_key.failures] == ["answers"] and "teenager" in bad_key.failures[0].message


def test_carried_answers_are_not_counted_as_questions_asked(good_dir):
    # alpha's q_age reuses the case-entry age: asked once (case entry), carried into alpha
    result = _play(good_dir, _vignette(
        "alpha_minor", "{age: child, conscious: 'yes', chief_complaint: alpha, q_severe: 'no', q_shared: 'no'}",
        "{priority: 4}", complaint="alpha"))
    assert result.passed
    assert [step[1] for step in result.outcome["path"]] == [
        "age", "conscious", "chief_complaint", "q_age", "q_severe", "q_shared"]
    assert (result.questions_asked, result.questions_in_complaint) == (5, 2)


def test_advice_against_a_drug_is_not_advice_to_take_it():
    texts = ["不要给他吃阿司匹林。让他安静休息", "Do not give aspirin.", "Keep him still; chew one aspirin."]
    assert advised(texts[:2], "阿司匹林") == [] and advised(texts[:2], "aspirin") == []
    assert advised(texts, "aspirin") == ["chew one aspirin"]


def test_the_vignettes_command_prints_each_failure_and_exits_1(good_dir, tmp_path, capsys):
    suite = tmp_path / "suite"
    suite.mkdir()
    answers = "{age: adult, conscious: 'yes', chief_complaint: beta, q_first: 'yes', q_shared: 'no'}"
    (suite / "beta.yaml").write_text(_vignette("beta_minor", answers, "{priority_min: 3}"), encoding="utf-8")
    args = ["triage", "vignettes", str(suite), "--protocols", str(good_dir)]
    parser = _parser()
    parsed = parser.parse_args(args)
    assert parsed.func(parsed) == 0
    assert capsys.readouterr().out.startswith("1/1 vignettes pass (100%)")

    (suite / "more.yaml").write_text(_vignette("beta_needs_als", answers, "{capability: als}"), encoding="utf-8")
    parsed = parser.parse_args(args)
    assert parsed.func(parsed) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].endswith("more.yaml:4: beta_needs_als: capability: bls (bls_routine), expected als [02-C-1]")
    assert lines[1].startswith("1/2 vignettes pass (50%)")

    parsed = parser.parse_args([*args, "--json"])
    assert parsed.func(parsed) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["summary"]["passed"] == 1 and document["summary"]["total"] == 2
    assert {r["id"]: r["passed"] for r in document["results"]} == {"beta_minor": True, "beta_needs_als": False}


def test_triage_run_and_the_vignettes_give_the_same_outcome(good_dir, tmp_path, capsys):
    case = {"complaint": "beta", "answers": {"age": "adult", "conscious": "yes", "q_first": "yes", "q_shared": "yes"}}
    case_file = tmp_path / "case.json"
    case_file.write_text(json.dumps(case), encoding="utf-8")
    parser = _parser()
    parsed = parser.parse_args(["triage", "run", "--case", str(case_file), "--protocols", str(good_dir)])
    assert parsed.func(parsed) == 0
    printed = json.loads(capsys.readouterr().out)
    protocol_set, _ = check_directory(good_dir, options=False)
    assert printed == json.loads(json.dumps(triage_run(protocol_set, case, destination_rules(good_dir))))
    assert printed["destination"]["needs"] == ["trauma_centre"]


def test_the_summary_counts_questions_per_complaint(good_dir):
    texts = [
        _vignette("a1", "{age: child, conscious: 'yes', chief_complaint: alpha, q_severe: 'yes'}", "{priority: 1}",
                  complaint="alpha"),
        _vignette("a2", "{age: child, conscious: 'yes', chief_complaint: alpha, q_severe: 'no', q_shared: 'no'}",
                  "{priority: 1}", complaint="alpha"),
    ]
    vignettes = [parse_vignettes(t, f"{i}.yaml")[0][0] for i, t in enumerate(texts)]
    protocol_set, _ = check_directory(good_dir, options=False)
    summary = summarize_results(play_all(protocol_set, vignettes, []))
    assert (summary.total, summary.passed) == (2, 1)
    row = summary.by_complaint["alpha"]
    assert (row["questions_median"], row["questions_max"]) == (4.5, 5)
    assert (row["in_complaint_median"], row["in_complaint_max"]) == (1.5, 2)
