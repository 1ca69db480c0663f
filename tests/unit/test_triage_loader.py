"""Protocol files are validated on load; broken ones are refused with file, line and problem,
and the seat keeps its last valid set."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.triage import Problem, ProtocolLibrary, ProtocolSetError, load_protocol_set
from app.triage.check import check_directory
from app.triage.cli import register

BAD = Path(__file__).resolve().parents[1] / "data" / "protocols_bad"
GOOD = BAD / "good"


def _set_with(tmp_path: Path, broken: str, as_name: str = "alpha.yaml") -> Path:
    directory = tmp_path / "protocols"
    shutil.copytree(GOOD, directory)
    shutil.copy(BAD / broken, directory / as_name)
    return directory


def _problems(directory: Path) -> list[Problem]:
    with pytest.raises(ProtocolSetError) as caught:
        load_protocol_set(directory)
    return caught.value.problems


def test_the_minimal_fixture_set_is_valid():
    protocol_set = load_protocol_set(GOOD)
    assert set(protocol_set.protocols) == {"alpha", "beta"}
    assert protocol_set.case_entry.id == "case_entry"
    assert protocol_set.protocols["alpha"].determinants["01-D-1"].plan.extra == ("police",)


@pytest.mark.parametrize(("fixture", "line", "words"), [
    ("syntax_error.yaml", 11, "YAML syntax error"),
    ("dangling_next.yaml", 16, "next 'q_sever' is not a question of this file"),
    ("missing_translation.yaml", 21, "missing the 'en' translation"),
    ("unknown_plan.yaml", 41, "plan 'als_nowhere' is not in plans.yaml"),
])
def test_a_broken_file_is_refused_naming_file_line_and_problem(tmp_path, fixture, line, words):
    problems = _problems(_set_with(tmp_path, fixture))
    first = problems[0]
    assert Path(first.file).name == "alpha.yaml"
    assert first.line == line
    assert words in first.message
    assert str(first) == f"{first.file}:{line}: {first.message}"
    # one mistake, one message: no cascade of follow-on complaints from other files
    assert all(Path(p.file).name == "alpha.yaml" for p in problems)


def test_every_problem_in_every_file_is_reported_at_once(tmp_path):
    directory = _set_with(tmp_path, "missing_translation.yaml")
    shutil.copy(BAD / "unknown_plan.yaml", directory / "gamma.yaml")
    text = (directory / "gamma.yaml").read_text(encoding="utf-8")
    (directory / "gamma.yaml").write_text(text.replace("id: alpha", "id: gamma"), encoding="utf-8")
    messages = [str(p) for p in _problems(directory)]
    assert any("alpha.yaml:21:" in m and "'en' translation" in m for m in messages)
    assert any("gamma.yaml" in m and "als_nowhere" in m for m in messages)
    assert any("gamma.yaml" in m and "code 01 is already used" in m for m in messages)
    assert any("gamma.yaml" in m and "01-A-1 is already defined" in m for m in messages)


@pytest.mark.parametrize(("replace", "by", "words"), [
    ("        determinant: 01-D-1", "        next: q_age", "loop"),
    ("  - id: q_shared\n", "  - id: q_shared\n    colour: red\n", "unknown key 'colour'"),
    ("    priority: 4", "    priority: 5", "out of range 1..4"),
    ("    cpr: true", "    cpr: maybe", "expected true or false"),
    ("        determinant: 01-A-1\n      - key: \"no\"", "        determinant: 01-A-1\n        next: q_shared\n"
     "      - key: \"no\"", "exactly one of next / determinant / complaint"),
    ("reuses: age", "reuses: shoe_size", "reuses 'shoe_size'"),
])
def test_schema_and_graph_mistakes_are_named(tmp_path, replace, by, words):
    directory = tmp_path / "protocols"
    shutil.copytree(GOOD, directory)
    text = (directory / "alpha.yaml").read_text(encoding="utf-8")
    assert replace in text
    (directory / "alpha.yaml").write_text(text.replace(replace, by, 1), encoding="utf-8")
    problems = _problems(directory)
    assert any(words in p.message and p.line > 0 for p in problems), problems


def test_an_unreachable_question_is_refused(tmp_path):
    directory = tmp_path / "protocols"
    shutil.copytree(GOOD, directory)
    text = (directory / "beta.yaml").read_text(encoding="utf-8")
    (directory / "beta.yaml").write_text(text.replace("next: q_shared", "determinant: 02-B-1"), encoding="utf-8")
    problems = _problems(directory)
    assert [(Path(p.file).name, p.line) for p in problems if "unreachable" in p.message] == [("beta.yaml", 17)]


def test_a_missing_plans_file_is_named(tmp_path):
    directory = tmp_path / "protocols"
    shutil.copytree(GOOD, directory)
    (directory / "plans.yaml").unlink()
    assert any(Path(p.file).name == "plans.yaml" and "missing" in p.message for p in _problems(directory))


def test_a_centre_maps_a_determinant_to_its_own_plan(tmp_path):
    directory = tmp_path / "protocols"
    shutil.copytree(GOOD, directory)
    text = (directory / "plans.yaml").read_text(encoding="utf-8")
    (directory / "plans.yaml").write_text(text.replace("overrides: {}", "overrides:\n  02-C-1: als_emergency"),
                                          encoding="utf-8")
    protocol_set = load_protocol_set(directory)
    assert protocol_set.protocols["beta"].determinants["02-C-1"].plan.id == "als_emergency"
    assert protocol_set.overrides == {"02-C-1": "als_emergency"}


def test_the_seat_keeps_the_last_valid_protocol_set(tmp_path):
    directory = tmp_path / "protocols"
    shutil.copytree(GOOD, directory)
    library = ProtocolLibrary(directory)
    first = library.current
    assert first is not None and library.problems == []

    shutil.copy(BAD / "dangling_next.yaml", directory / "alpha.yaml")
    problems = library.reload()
    assert problems and "q_sever" in problems[0].message
    assert library.current is first
    assert library.problems == problems

    shutil.copy(GOOD / "alpha.yaml", directory / "alpha.yaml")
    (directory / "beta.yaml").write_text((GOOD / "beta.yaml").read_text(encoding="utf-8")
                                         .replace('version: "t1"', 'version: "t2"'), encoding="utf-8")
    assert library.reload() == []
    assert library.current is not first
    assert library.current.protocols["beta"].version == "t2"
    assert library.current.version != first.version


def test_a_library_that_never_loaded_has_no_set_and_says_why(tmp_path):
    library = ProtocolLibrary(tmp_path / "nowhere")
    assert library.current is None
    assert "not a directory" in library.problems[0].message


def test_triage_check_prints_file_line_problem_and_exits_1(tmp_path, capsys):
    import argparse

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["triage", "check", str(_set_with(tmp_path, "unknown_plan.yaml"))])
    assert args.func(args) == 1
    err = capsys.readouterr().err
    assert "alpha.yaml:41: determinant 01-A-1: plan 'als_nowhere' is not in plans.yaml" in err

    args = parser.parse_args(["triage", "check", str(GOOD)])
    assert args.func(args) == 0
    assert "OK — 2 chief complaints" in capsys.readouterr().out


def test_check_directory_never_raises_for_bad_files(tmp_path):
    protocol_set, problems = check_directory(_set_with(tmp_path, "syntax_error.yaml"))
    assert protocol_set is None and problems[0].line == 11


def test_triage_run_prints_the_vignette_outcome_as_json(tmp_path, capsys):
    import argparse
    import json

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    case = tmp_path / "case.json"
    case.write_text(json.dumps({"complaint": "alpha", "answers": {"q_age": "child", "q_severe": "yes"}}))
    args = parser.parse_args(["triage", "run", "--case", str(case), "--protocols", str(GOOD)])
    assert args.func(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["determinant"], out["priority"], out["cpr"]) == ("01-A-1", 1, True)
    assert out["plan"]["id"] == "als_emergency" and out["exit"] == [{"zh": "开门", "en": "Open the door"}]

    case.write_text("{not json")
    assert args.func(args) == 2
    assert "not valid JSON" in capsys.readouterr().err
