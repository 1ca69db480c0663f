"""Destination suggestions: the hospital that can treat this patient, not merely the nearest."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pytest

from app.dispatch.destination import (
    DESTINATIONS_FILE,
    Reason,
    RulesError,
    Tier,
    TravelSource,
    age_answer,
    check_protocol_set,
    load_rules,
    parse_rules,
    required_for,
    straight_travel,
    suggest,
)
from app.domain.common import Principal
from app.domain.hospitals import COMMAND_HANDLERS
from app.domain.model import Role
from app.domain.state import State
from app.protocol.errors import ProtocolError
from app.triage.check import check_directory
from app.triage.cli import register
from app.triage.loader import DEFAULT_PROTOCOL_DIR, load_protocol_set

SCENE = (43.7384, 7.4246)
NEAR_GENERAL = {"hospital_id": "near", "lat": 43.7400, "lon": 7.4250, "capabilities": ["paediatric"]}
FAR_PCI = {"hospital_id": "pci", "lat": 43.7300, "lon": 7.4114,
           "capabilities": ["chest_pain_centre", "pci", "stroke_centre", "thrombolysis"]}
MID_CPC_NO_PCI = {"hospital_id": "cpc", "lat": 43.7350, "lon": 7.4200, "capabilities": ["chest_pain_centre"]}
STEMI = {"protocol": "chest_pain", "determinant": "02-A-1", "cpr": False}


def ids(rows):
    return [r.hospital_id for r in rows]


def test_a_suspected_stemi_goes_to_the_pci_centre_over_nearer_hospitals_without_pci():
    need = required_for(STEMI, load_rules())
    assert need is not None and need.needs == {"chest_pain_centre", "pci"}
    rows = suggest(SCENE, [NEAR_GENERAL, MID_CPC_NO_PCI, FAR_PCI], need)
    assert ids(rows) == ["pci", "near", "cpc"]
    first = rows[0]
    assert first.tier == Tier.CAPABLE_OPEN and Reason.HAS_CAPABILITY in first.reasons
    assert Reason.NEAREST not in first.reasons
    nearer = rows[1]
    assert Reason.LACKS_CAPABILITY in nearer.reasons and Reason.NEAREST in nearer.reasons
    assert rows[2].missing == ("pci",)
    assert rows[0].travel.seconds > rows[1].travel.seconds, "the PCI centre really is farther"


def test_without_a_requirement_the_nearest_open_hospital_comes_first():
    rows = suggest(SCENE, [FAR_PCI, NEAR_GENERAL], required_for({"determinant": "26-C-1"}, load_rules()))
    assert ids(rows) == ["near", "pci"]
    assert rows[0].reasons == (Reason.NO_REQUIREMENT, Reason.NEAREST)


def test_a_diverting_hospital_ranks_last_with_the_reason_even_if_it_is_capable_and_nearest():
    diverting = {**FAR_PCI, "hospital_id": "div", "lat": 43.7390, "lon": 7.4247, "ed_status": "diverting"}
    rows = suggest(SCENE, [diverting, FAR_PCI, NEAR_GENERAL], required_for(STEMI, load_rules()))
    assert ids(rows) == ["pci", "near", "div"]
    assert rows[-1].tier == Tier.DIVERTING and Reason.DIVERTING in rows[-1].reasons


def test_a_busy_capable_hospital_comes_after_an_open_capable_one_and_before_incapable_ones():
    busy = {**FAR_PCI, "hospital_id": "busy", "lat": 43.7390, "lon": 7.4247, "ed_status": "busy"}
    rows = suggest(SCENE, [busy, FAR_PCI, NEAR_GENERAL], required_for(STEMI, load_rules()))
    assert ids(rows) == ["pci", "busy", "near"]
    assert Reason.ED_BUSY in rows[1].reasons


def test_a_hospital_without_a_position_is_listed_not_hidden():
    rows = suggest(SCENE, [{"hospital_id": "nowhere"}, NEAR_GENERAL], None)
    assert ids(rows) == ["near", "nowhere"] and Reason.NO_ROUTE in rows[1].reasons and rows[1].travel is None


def test_the_straight_line_fallback_says_what_it_is():
    t = straight_travel(SCENE, (43.7474, 7.4246))
    assert t.source == TravelSource.STRAIGHT_LINE and 1300 < t.distance_m < 1500


@pytest.mark.parametrize(("result", "rule"), [
    ({"protocol": "stroke", "determinant": "04-A-3"}, "acute_stroke"),
    ({"protocol": "stroke", "determinant": "04-A-4"}, "stroke_thrombectomy_window"),  # 4.5-6 h
    ({"protocol": "stroke", "determinant": "04-B-1"}, "stroke_thrombectomy_window"),  # 6-24 h
    ({"protocol": "stroke", "determinant": "04-A-5"}, "stroke_unknown_onset"),
    ({"protocol": "cardiac_arrest", "determinant": "01-A-1"}, "cardiac_arrest"),
    ({"protocol": "burns", "determinant": "10-B-1"}, "serious_burns"),
    ({"protocol": "burns", "determinant": "10-A-2"}, "serious_burns"),
    ({"protocol": "falls", "determinant": "08-A-1"}, "severe_trauma"),
    ({"protocol": "trauma_bleeding", "determinant": "09-A-1"}, "severe_trauma"),
    ({"protocol": "traffic_collision", "determinant": "07-B-1"}, "trauma_centre"),
    ({"protocol": "pregnancy_childbirth", "determinant": "14-A-1"}, "childbirth"),
])
def test_each_triage_result_maps_to_its_rule(result, rule):
    assert required_for(result, load_rules()).rule_id == rule


@pytest.mark.parametrize("determinant", ["07-D-1", "07-C-1", "08-D-1", "09-D-1", "10-D-1", "10-C-1"])
def test_nobody_hurt_a_minor_wound_or_a_small_burn_needs_no_specialist_centre(determinant):
    assert required_for({"determinant": determinant}, load_rules()) is None


def test_a_penetrating_wound_needs_a_level_one_trauma_centre_and_says_why():
    need = required_for({"protocol": "trauma_bleeding", "determinant": "09-A-1"}, load_rules())
    assert need.needs == {"trauma_centre"} and need.trauma_level_at_most == 1
    assert "trauma" in need.reason["en"] and need.reason["zh"]
    level3 = {"hospital_id": "t3", "capabilities": ["trauma_centre"], "trauma_level": 3}
    level1 = {"hospital_id": "t1", "capabilities": ["trauma_centre"], "trauma_level": 1}
    assert need.missing(level3) == ["trauma_level"] and need.missing(level1) == []


def test_a_childs_burn_goes_to_a_burns_unit_a_paediatric_one_first():
    rules = load_rules()
    path = [{"protocol": "case_entry", "question": "age", "answer": "child"}]
    need = required_for({"protocol": "burns", "determinant": "10-C-1"}, rules, age_answer(path))
    assert need.rule_id == "child_burns" and need.needs == {"burns"} and need.prefers == {"paediatric"}
    adult_burns = {"hospital_id": "adult", "lat": 43.7390, "lon": 7.4247, "capabilities": ["burns"]}
    child_burns = {"hospital_id": "child", "lat": 43.7300, "lon": 7.4114, "capabilities": ["burns", "paediatric"]}
    rows = suggest(SCENE, [adult_burns, child_burns, NEAR_GENERAL], need)
    assert ids(rows) == ["child", "adult", "near"]
    assert Reason.LACKS_PREFERRED in rows[1].reasons and rows[1].missing_preferred == ("paediatric",)
    assert rows[1].tier == Tier.CAPABLE_OPEN and rows[2].tier == Tier.NOT_CAPABLE
    # the same small burn in an adult needs no burns unit
    assert required_for({"determinant": "10-C-1"}, rules, "adult") is None


def test_malformed_rules_are_refused_with_the_rule_named():
    with pytest.raises(RulesError, match="rule x"):
        parse_rules({"schema": 1, "rules": [{"id": "x", "needs": ["warp_drive"], "protocols": ["p"],
                                             "reason": {"zh": "x", "en": "x"}}]})


# ------------------------------------------------ the letters, read the right way round

TRAUMA_CODES = {"07": "trauma_centre", "08": "trauma_centre", "09": "trauma_centre", "10": "burns"}


def _every_determinant():
    protocol_set = load_protocol_set(DEFAULT_PROTOCOL_DIR)
    return [(p.id, code) for p in protocol_set.all_protocols() for code in sorted(p.determinants)]


@pytest.mark.parametrize(("protocol", "code"), _every_determinant())
def test_severe_trauma_and_burns_determinants_require_a_centre_and_minor_ones_do_not(protocol, code):
    """A/B (levels I–II) trauma and burns need a trauma centre / burns unit; C/D (III–IV) do not.
    Level I trauma (red criteria of the 2021 field-triage guideline) needs the highest level."""
    complaint, letter = code[:2], code[3]
    need = required_for({"protocol": protocol, "determinant": code}, load_rules())
    if complaint not in TRAUMA_CODES:
        return
    if letter in "AB":
        assert need is not None and TRAUMA_CODES[complaint] in need.needs, f"{code} must need {TRAUMA_CODES[complaint]}"
        if complaint != "10" and letter == "A":
            assert need.trauma_level_at_most == 1, f"{code}: red criteria need the highest-level trauma centre"
    else:
        assert need is None, f"{code} (level {letter}) must not require a specialist centre"


def test_the_walk_covers_all_four_trauma_and_burns_complaints_and_every_letter():
    seen = {(code[:2], code[3]) for _protocol, code in _every_determinant() if code[:2] in TRAUMA_CODES}
    assert {c for c, _l in seen} == set(TRAUMA_CODES) and {letter for _c, letter in seen} == set("ABCD")


# ------------------------------------------------ the rules are part of the protocol set

BAD = Path(__file__).resolve().parents[1] / "data" / "protocols_bad"


def _set_with_destinations(tmp_path: Path, text: str) -> Path:
    directory = tmp_path / "protocols"
    shutil.copytree(BAD / "good", directory)
    (directory / DESTINATIONS_FILE).write_text(text, encoding="utf-8")
    return directory


def test_the_shipped_rules_pass_triage_check():
    protocol_set, problems = check_directory(DEFAULT_PROTOCOL_DIR, options=False)
    assert [p for p in problems if p.file.endswith(DESTINATIONS_FILE)] == []
    assert check_protocol_set(load_protocol_set(DEFAULT_PROTOCOL_DIR)) == []


def test_triage_check_refuses_a_rule_with_an_unknown_capability_naming_file_and_line(tmp_path, capsys):
    directory = tmp_path / "protocols"
    shutil.copytree(BAD / "good", directory)
    shutil.copy(BAD / "destinations_unknown_capability.yaml", directory / DESTINATIONS_FILE)
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["triage", "check", str(directory)])
    assert args.func(args) == 1
    err = capsys.readouterr().err
    assert f"{directory / DESTINATIONS_FILE}:6: rule fictional_unit: unknown capability 'hyperbaric_chamber'" in err


@pytest.mark.parametrize(("rule", "line", "words"), [
    ('    determinants: ["01-Z-9"]\n', 5, "'01-Z-9': unknown determinant code"),
    ('    determinants: ["05-*"]\n', 5, "'05-*': a pattern that matches no determinant"),
    ("    protocols: [gamma]\n", 5, "unknown protocol id 'gamma'"),
    ('    determinants: ["01-A-1"]\n    trauma_level_at_most: 4\n', 6, "trauma level 4 out of range 1..3"),
])
def test_a_rule_that_names_nothing_real_is_refused_with_its_line(tmp_path, rule, line, words):
    text = ("schema: 1\nrules:\n  - id: r\n    needs: [trauma_centre]\n" + rule
            + "    reason: {zh: 测试, en: test}\n")
    protocol_set, problems = check_directory(_set_with_destinations(tmp_path, text), options=False)
    assert protocol_set is None
    [problem] = problems
    assert (Path(problem.file).name, problem.line) == (DESTINATIONS_FILE, line) and words in problem.message


def test_the_loader_does_not_read_the_rules_as_a_protocol():
    protocol_set = load_protocol_set(DEFAULT_PROTOCOL_DIR)
    assert "destinations" not in protocol_set.protocols


def test_triage_run_prints_the_hospital_the_result_needs(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    case = tmp_path / "case.json"
    case.write_text(json.dumps({"complaint": "burns", "answers": {"q_fire": "safe", "q_burn_airway": "yes"}}))
    args = parser.parse_args(["triage", "run", "--case", str(case)])
    assert args.func(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["determinant"] == "10-A-2"
    assert out["destination"]["rule"] == "serious_burns" and out["destination"]["needs"] == ["burns"]
    assert out["destination"]["trauma_level_at_most"] is None


def _state_with_hospital() -> State:
    state = State()
    state.hospitals["h1"] = {"hospital_id": "h1", "name": "h"}
    state.incidents["i1"] = {"incident_id": "i1", "state": "open"}
    return state


def test_a_destination_other_than_the_first_needs_a_reason():
    state = _state_with_hospital()
    seat = Principal("seat-1", Role.SEAT, "s")
    with pytest.raises(ProtocolError) as exc:
        COMMAND_HANDLERS["incident.set_destination"](state, seat, {"incident_id": "i1", "hospital_id": "h1", "rank": 2})
    assert exc.value.code == "invalid_args"
    [(name, data)] = COMMAND_HANDLERS["incident.set_destination"](
        state, seat, {"incident_id": "i1", "hospital_id": "h1", "rank": 2, "reason": "patient_request"})
    assert name == "incident.destination_set" and data["reason"] == "patient_request"


def test_a_hospital_console_sets_only_its_own_ed_status():
    state = _state_with_hospital()
    own = Principal("h1-ed", Role.HOSPITAL, "ed", unit_id="h1")
    other = Principal("h2-ed", Role.HOSPITAL, "ed", unit_id="h2")
    [(name, data)] = COMMAND_HANDLERS["hospital.set_status"](state, own, {"hospital_id": "h1", "status": "diverting"})
    assert (name, data["previous"], data["status"]) == ("hospital.status_changed", "open", "diverting")
    with pytest.raises(ProtocolError) as exc:
        COMMAND_HANDLERS["hospital.set_status"](state, other, {"hospital_id": "h1", "status": "busy"})
    assert exc.value.code == "forbidden"
