"""The training scenario library and its format: every scenario checks, its callers answer the
real protocols' questions so that the protocol reaches the priority, unit and hospital the
scenario expects; a bad scenario is refused with its file, line and reason."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.resources import resource_path
from app.sim.cli import main as sim_main
from app.sim.cli import scenario_files
from app.sim.physiology import ARREST_RHYTHMS
from app.sim.scenario import InjectedEventKind, ScenarioError, load_scenario
from app.sim.scoring import expected_capability, expects_arrest
from app.triage.check import check_directory
from app.triage.loader import DEFAULT_PROTOCOL_DIR
from app.triage.vignettes import destination_rules, triage_run

SCENARIOS = resource_path("scenarios")
LIBRARY = [p for p in scenario_files(SCENARIOS) if p.name != "demo.yaml"]
BAD = sorted((Path(__file__).parent.parent / "data" / "scenarios_bad").glob("*.yaml"))
# What the issue asks the library to cover, by file.
COVERED = {
    "arrest-tcpr-aed", "drowning-child", "stemi-prenotify", "stroke-thrombolysis", "collision-multi", "childbirth",
    "poisoning", "landmark-only", "deaf-caller", "surge-no-free-units", "hospital-diversion", "hoax-no-patient",
    "fever-negative-pressure", "electrocution-live-wire", "hang-up-callback",
}


@pytest.fixture(scope="module")
def protocols():
    protocol_set, problems = check_directory(DEFAULT_PROTOCOL_DIR, options=False)
    assert protocol_set is not None, problems
    return protocol_set, destination_rules(DEFAULT_PROTOCOL_DIR)


def test_the_library_holds_the_fifteen_situations_and_every_one_passes_sim_check(capsys):
    assert {p.stem for p in LIBRARY} == COVERED

    assert sim_main(["check", str(SCENARIOS)]) == 0
    assert capsys.readouterr().out.count("scenario: ") == len(LIBRARY) + 1  # and the demo


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.stem)
def test_each_scripted_caller_leads_the_protocol_to_what_the_scenario_expects(path, protocols):
    protocol_set, rules = protocols
    scenario = load_scenario(path)
    for call in scenario.calls:
        if call.repeat_of is not None:
            continue  # a repeat call belongs to the incident of the call it repeats
        answers = {q: a.answer for q, a in call.caller.answers.items() if a.answer is not None}
        complaint = answers.pop("chief_complaint")
        result = triage_run(protocol_set, {"complaint": complaint, "answers": answers}, rules)

        assert result["unanswered"] is None, f"call {call.index}: the caller leaves {result['unanswered']}"
        assert result["priority"] == call.expected_priority, f"call {call.index}: {result['determinant']}"
        assert result["plan"]["capability"] == expected_capability(call), f"call {call.index}"
        needs = set(result["destination"]["needs"]) if result["destination"] else set()
        assert needs <= set(call.hospital_needs), f"call {call.index}: the protocol's hospital needs {needs}"
        assert result["arrest_recognised"] == expects_arrest(call) or call.caller.answers["conscious"].answer == "unknown"
        for said in call.caller.answers.values():
            assert said.zh.strip() and said.en.strip()  # both languages, always


def test_every_scenario_expects_a_hospital_for_a_transported_patient_and_a_physiology_for_an_arrest():
    for path in LIBRARY:
        for call in load_scenario(path).calls:
            if call.outcome == "transported" and call.repeat_of is None:
                assert call.expected_hospital, f"{path.name} call {call.index}"
            if expects_arrest(call):
                assert call.physiology is not None and call.physiology.rhythm in ARREST_RHYTHMS, path.name


def test_the_injected_events_of_the_library_cover_every_kind():
    kinds = {e.kind for p in LIBRARY for e in load_scenario(p).events}

    assert kinds == set(InjectedEventKind)
    diversion = load_scenario(SCENARIOS / "hospital-diversion.yaml").events[0]
    assert (diversion.hospital, diversion.status) == ("ccm", "diverting")


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_a_bad_scenario_is_refused_with_file_line_and_reason(path):
    text = path.read_text(encoding="utf-8")
    reason = re.search(r"^# expect: (.+)$", text, re.M).group(1)
    line = next(i for i, row in enumerate(text.splitlines(), start=1) if "# <-- here" in row)

    with pytest.raises(ScenarioError) as refused:
        load_scenario(path)

    assert len(refused.value.problems) == 1, refused.value.problems
    problem = refused.value.problems[0]
    assert problem.startswith(f"{path}:{line}: "), problem
    assert reason in problem


def test_sim_check_of_the_bad_fixtures_lists_every_problem_and_fails(capsys):
    assert sim_main(["check", str(BAD[0].parent)]) == 2

    err = capsys.readouterr().err
    for path in BAD:
        assert f"{path}:" in err
