"""Pregnancy and time-critical transfers in the triage protocols: a pregnant woman in arrest,
eclampsia, a possible ectopic pregnancy, a child's belly pain and transfers for PCI, thrombectomy
or trauma surgery get the level, the unit, the words and the hospital the guidelines ask for.
Plays the real protocol files and destination rules as ``dispatch120 triage run`` does (no Qt)."""

from __future__ import annotations

import pytest

from app.triage import DEFAULT_PROTOCOL_DIR, TriageSession, load_protocol_set, run_case
from app.triage.vignettes import destination_rules, triage_run

OPENING = {"location_confirmed": "confirmed", "callback_number": "confirmed"}
AWAKE_WOMAN = {**OPENING, "what_happened": "described", "age": "adult", "sex": "female", "conscious": "yes",
               "breathing_awake": "no"}
COLLAPSE_ARREST = {**OPENING, "what_happened": "collapsed", "conscious": "no", "breathing_normally": "no"}


@pytest.fixture(scope="module")
def protocol_set():
    return load_protocol_set(DEFAULT_PROTOCOL_DIR)


@pytest.fixture(scope="module")
def rules():
    return destination_rules(DEFAULT_PROTOCOL_DIR)


def play(protocol_set, rules, answers: dict[str, str], complaint: str | None = None) -> dict:
    case = {"answers": answers} if complaint is None else {"complaint": complaint, "answers": answers}
    out = triage_run(protocol_set, case, rules)
    assert out["unanswered"] is None, f"stopped at {out['unanswered']}"
    assert out["unused"] == [], f"answers never asked: {out['unused']}"
    return out


def needs(out: dict) -> set[str]:
    return set((out["destination"] or {}).get("needs") or ())


def spoken(out: dict) -> str:
    return " ".join(text["en"] for text in out["instructions"]).lower()


# ---------------------------------------------------------------- maternal cardiac arrest


def test_a_visibly_pregnant_woman_in_arrest_gets_hands_only_cpr_with_her_bump_pushed_left(protocol_set, rules):
    out = play(protocol_set, rules, {**COLLAPSE_ARREST, "q_age": "pregnant"})
    assert out["determinant"] == "01-A-25" and out["priority"] == 1
    assert out["cpr"] and out["cpr_method"] == "hands_only" and out["arrest_recognised"]
    assert out["plan"]["capability"] == "als" and out["plan"]["urgency"] == "emergency"
    steps = spoken(out)
    assert "push the bump over towards her left" in steps and "right hip" in steps
    assert "may interrupt the pushing" in steps  # displacement never pauses compressions
    assert out["prenotify"]


def test_the_pregnant_arrest_goes_to_a_maternity_hospital_not_the_pci_centre_of_other_arrests(
        protocol_set, rules):
    pregnant = play(protocol_set, rules, {**COLLAPSE_ARREST, "q_age": "pregnant"})
    other = play(protocol_set, rules, {**COLLAPSE_ARREST, "q_age": "adult"})
    assert "maternity" in needs(pregnant) and "pci" not in needs(pregnant)
    assert "pci" in needs(other) and "maternity" not in needs(other)


def test_asking_for_a_pregnancy_adds_no_question_before_compressions(protocol_set, rules):
    pregnant = play(protocol_set, rules, {**COLLAPSE_ARREST, "q_age": "pregnant"})
    adult = play(protocol_set, rules, {**COLLAPSE_ARREST, "q_age": "adult"})
    assert len(pregnant["path"]) == len(adult["path"])


def test_an_arrest_on_a_call_that_came_through_pregnancy_childbirth_is_a_maternal_arrest(protocol_set):
    session = TriageSession(protocol_set)
    for key in ("confirmed", "confirmed", "described", "adult", "female", "yes", "no", "pregnancy_childbirth"):
        session.answer(key)
    assert session.protocol.id == "pregnancy_childbirth"
    session.choose_complaint("cardiac_arrest")  # she collapses while the dispatcher is on the line
    session.answer("no")  # not breathing normally
    assert session.result is not None and session.result.code == "01-A-25"
    cause = next(step for step in session.steps if step.protocol_id == "cardiac_arrest"
                 and step.question_id == "what_happened")
    assert cause.carried and cause.answer_key == "pregnancy_childbirth"


# ---------------------------------------------------------------- eclampsia


@pytest.mark.parametrize("answers", [
    {**OPENING, "what_happened": "convulsions", "fitting_now": "still", "q_seizure_now": "under_5_min",
     "q_pregnant_fitting": "yes"},
    {**OPENING, "what_happened": "convulsions", "fitting_now": "still", "q_seizure_now": "over_5_min",
     "q_pregnant_status": "yes"},
    {**AWAKE_WOMAN, "chief_complaint": "convulsions", "q_seizure_now": "stopped", "q_breathing": "yes",
     "q_special_risk": "pregnant"},
], ids=["fitting_under_5_min", "fitting_over_5_min", "fit_stopped_breathing"])
def test_a_seizure_late_in_pregnancy_is_eclampsia_with_lights_to_a_maternity_hospital(protocol_set, rules, answers):
    out = play(protocol_set, rules, answers)
    assert out["determinant"] == "06-A-2" and out["priority"] == 1 and not out["cpr"]
    assert out["plan"]["capability"] == "als" and out["plan"]["urgency"] == "emergency"
    assert "maternity" in needs(out)
    steps = spoken(out)
    assert "left side" in steps and "nothing in her mouth" in steps


def test_a_seizure_in_someone_not_pregnant_keeps_the_ongoing_fit_care(protocol_set, rules):
    out = play(protocol_set, rules, {**OPENING, "what_happened": "convulsions", "fitting_now": "still",
                                     "q_seizure_now": "under_5_min", "q_pregnant_fitting": "no"})
    assert out["determinant"] == "06-B-1" and "maternity" not in needs(out)


# ---------------------------------------------------------------- possible ectopic pregnancy


def test_a_faint_in_a_woman_who_may_be_pregnant_gets_als_to_a_maternity_hospital(protocol_set, rules):
    out = play(protocol_set, rules, {**AWAKE_WOMAN, "chief_complaint": "unconscious_fainting", "q_breathing": "yes",
                                     "q_awake": "yes", "q_red_flags": "no", "q_cardiac_risk": "yes",
                                     "q_may_be_pregnant": "yes"})
    assert out["determinant"] == "05-B-4" and out["priority"] <= 2
    assert out["plan"]["capability"] == "als" and out["plan"]["urgency"] == "emergency"
    assert "maternity" in needs(out)


def test_a_man_who_fainted_is_not_asked_about_pregnancy(protocol_set, rules):
    out = play(protocol_set, rules, {**AWAKE_WOMAN, "sex": "male", "chief_complaint": "unconscious_fainting",
                                     "q_breathing": "yes", "q_awake": "yes", "q_red_flags": "no",
                                     "q_cardiac_risk": "yes"})
    assert out["determinant"] == "05-B-3"
    assert ["unconscious_fainting", "q_may_be_pregnant", "male"] in out["path"]


def test_belly_pain_with_shock_in_a_woman_who_may_be_pregnant_is_a_ruptured_ectopic(protocol_set, rules):
    out = play(protocol_set, rules, {**AWAKE_WOMAN, "chief_complaint": "abdominal_pain", "q_abdo_shock": "yes",
                                     "q_may_be_pregnant": "yes"})
    assert out["determinant"] == "15-A-2" and out["priority"] == 1
    assert out["plan"]["capability"] == "als" and "maternity" in needs(out)


def test_belly_pain_with_shock_in_an_older_man_stays_without_a_maternity_requirement(protocol_set, rules):
    out = play(protocol_set, rules, {**AWAKE_WOMAN, "age": "older", "sex": "male", "chief_complaint": "abdominal_pain",
                                     "q_abdo_shock": "yes"})
    assert out["determinant"] == "15-A-1" and "maternity" not in needs(out)


def test_belly_pain_without_shock_in_a_woman_who_may_be_pregnant_gets_als_to_gynaecology(protocol_set, rules):
    out = play(protocol_set, rules, {**AWAKE_WOMAN, "chief_complaint": "abdominal_pain", "q_abdo_shock": "no",
                                     "q_gi_bleeding": "no", "q_cardiac": "no", "q_aorta": "no",
                                     "q_possible_pregnancy": "yes"})
    assert out["determinant"] == "15-B-3"
    assert out["plan"]["capability"] == "als" and "maternity" in needs(out)


# ---------------------------------------------------------------- a child's belly pain

MILD_BELLY = {"chief_complaint": "abdominal_pain", "q_abdo_shock": "no", "q_gi_bleeding": "no", "q_cardiac": "no",
              "q_aorta": "no", "q_possible_pregnancy": "no", "q_abdo_severe": "no"}


def test_a_child_with_belly_pain_is_never_graded_minor(protocol_set, rules):
    out = play(protocol_set, rules, {**AWAKE_WOMAN, "age": "child", "sex": "male", **MILD_BELLY})
    assert out["determinant"] == "15-C-2" and out["priority"] == 3
    assert "nothing to eat or drink" in spoken(out)
    assert ["abdominal_pain", "q_abdo_age", "child"] in out["path"]  # carried from the case entry


def test_an_adult_with_mild_belly_pain_stays_level_iv(protocol_set, rules):
    out = play(protocol_set, rules, {**AWAKE_WOMAN, **MILD_BELLY})
    assert out["determinant"] == "15-D-1" and out["priority"] == 4


# ---------------------------------------------------------------- time-critical transfers


@pytest.mark.parametrize(("purpose", "code", "capabilities"), [
    ("pci", "25-A-1", {"chest_pain_centre", "pci"}),
    ("thrombectomy", "25-A-2", {"stroke_centre", "thrombectomy"}),
    ("trauma", "25-A-3", {"trauma_centre"}),
])
def test_a_time_critical_transfer_is_an_emergency_to_the_capability_it_is_sent_for(
        protocol_set, rules, purpose, code, capabilities):
    out = play(protocol_set, rules, {"q_transfer_time_critical": purpose}, complaint="interfacility_transfer")
    assert out["determinant"] == code and out["priority"] == 1
    assert out["plan"]["capability"] == "als" and out["plan"]["urgency"] == "emergency"
    assert capabilities <= needs(out)
    if purpose == "trauma":
        assert out["destination"]["trauma_level_at_most"] == 1


def test_a_stable_patient_is_still_asked_whether_the_transfer_is_time_critical(protocol_set):
    out = run_case(protocol_set, {"complaint": "interfacility_transfer",
                                  "answers": {"q_transfer_stable": "yes", "q_transfer_isolation": "no",
                                              "q_transfer_monitoring": "yes"}})
    assert out["determinant"] is None
    assert out["unanswered"]["question"] == "q_transfer_time_critical"
