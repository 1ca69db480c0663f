"""Cardiac-arrest routing on the shipped protocols: the cause of the arrest decides how the
caller is taught CPR (ERC 2021 / AHA 2020-2025: rescue breaths first for drowning, hanging,
choking and every child; compression-only for a presumed cardiac arrest in an adult), the
scene is made safe before the caller goes to the patient, and the arrest keeps the
resources the scene needs. Plays the real files through the engine; no Qt."""

from __future__ import annotations

import pytest

from app.triage import DEFAULT_PROTOCOL_DIR, TriageSession, load_protocol_set, run_case
from app.triage.check import enumerate_paths

OPENING = {"location_confirmed": "confirmed", "callback_number": "confirmed"}
HAZARDS = ("drowning", "traffic_collision", "electrocution", "fire_gas", "violence", "unknown")

# cause → (adult method, resources the scene needs, safety steps expected)
CAUSES = {
    "collapsed": ("hands_only", set(), False),
    "drowning": ("breaths_first", set(), True),
    "hanging": ("breaths_first", {"police"}, True),
    "choking": ("breaths_first", set(), False),
    "electrocution": ("hands_only", {"fire_rescue"}, True),
    "traffic_collision": ("hands_only", {"fire_rescue", "police", "second_unit"}, True),
    "fire_gas": ("hands_only", {"fire_rescue", "hazmat"}, True),
    "violence": ("hands_only", {"police"}, True),
}
AGE_QUESTION = {"collapsed": "q_age", "drowning": "q_age_drowning", "hanging": "q_age_hanging",
                "choking": "q_age_choking", "electrocution": "q_age_electrocution",
                "traffic_collision": "q_age_traffic", "fire_gas": "q_age_fire", "violence": "q_age_violence"}


@pytest.fixture(scope="module")
def protocol_set():
    return load_protocol_set(DEFAULT_PROTOCOL_DIR)


def arrest_from_the_case_entry(protocol_set, cause: str, age: str, breathing: str = "no") -> dict:
    answers = {**OPENING, "what_happened": cause, "conscious": "no", "breathing_normally": breathing,
               AGE_QUESTION[cause]: age}
    if cause in HAZARDS:
        answers["scene_safe"] = "safe"
    out = run_case(protocol_set, {"answers": answers})
    assert out["unanswered"] is None and out["unused"] == [], (out["unanswered"], out["unused"])
    return out


# ---------------------------------------------------------------- CPR method by cause and age


@pytest.mark.parametrize("cause", sorted(CAUSES))
def test_an_adult_arrest_is_taught_by_its_cause_and_keeps_the_scenes_resources(protocol_set, cause):
    method, resources, has_safety = CAUSES[cause]
    out = arrest_from_the_case_entry(protocol_set, cause, "adult")
    assert out["protocol"] == "cardiac_arrest" and out["priority"] == 1 and out["cpr"] and out["arrest_recognised"]
    assert out["cpr_method"] == method
    assert resources <= set(out["plan"]["extra"]), out["plan"]
    assert bool(out["safety"]) == has_safety


@pytest.mark.parametrize("cause", sorted(CAUSES))
@pytest.mark.parametrize("age", ["child", "infant"])
def test_a_child_or_infant_gets_the_child_or_infant_method_whatever_the_cause(protocol_set, cause, age):
    out = arrest_from_the_case_entry(protocol_set, cause, age)
    assert out["cpr_method"] == age
    assert CAUSES[cause][1] <= set(out["plan"]["extra"])  # the scene's resources stay with a child too
    assert "5" in " ".join(text["en"] for text in out["instructions"])  # 5 initial rescue breaths


def test_a_drowned_adult_from_the_case_entry_gets_five_rescue_breaths_before_compressions(protocol_set):
    out = arrest_from_the_case_entry(protocol_set, "drowning", "unknown")
    steps = [text["en"] for text in out["instructions"]]
    breaths = next(i for i, step in enumerate(steps) if "5 breaths" in step)
    pushes = next(i for i, step in enumerate(steps) if "30 times" in step)
    assert breaths < pushes
    assert any("cannot or will not give breaths" in step for step in steps)  # hands-only fallback


def test_the_plain_sudden_collapse_keeps_its_six_answers_and_hands_only_cpr(protocol_set):
    session = TriageSession(protocol_set)
    for key in ("confirmed", "confirmed", "collapsed", "no", "no", "adult"):
        session.answer(key)
    assert session.result.code == "01-A-1" and session.result.cpr_method == "hands_only"
    assert [s.question_id for s in session.steps if not s.carried] == [
        "location_confirmed", "callback_number", "what_happened", "conscious", "breathing_normally", "q_age"]


# ---------------------------------------------------------------- arrests reached from a complaint


@pytest.mark.parametrize(("complaint", "answers", "method", "safety"), [
    ("drowning", {"q_out_of_water": "yes", "q_breathing": "no", "q_age_drowning": "adult"}, "breaths_first", True),
    ("electrocution", {"q_power_off": "off", "q_breathing": "unsure", "q_age_electrocution": "adult"},
     "hands_only", True),
    ("choking", {"q_conscious": "no", "q_breathing": "no", "q_age_choking": "adult"}, "breaths_first", False),
    ("psychiatric_suicide", {"q_scene_danger": "no", "what_happened": "hanging", "q_breathing": "no",
                             "q_age_hanging": "adult"}, "breaths_first", True),
    ("traffic_collision", {"q_count": "one_or_two", "q_trapped": "no", "q_awake": "no", "q_breathing": "no",
                           "q_age_traffic": "adult"}, "hands_only", True),
    ("convulsions", {"q_seizure_now": "stopped", "q_breathing": "no", "q_age": "adult"}, "hands_only", False),
    ("unconscious_fainting", {"q_breathing": "no", "what_happened": "collapsed", "q_age": "infant"}, "infant", False),
])
def test_every_complaints_arrest_exit_lands_on_a_determinant_for_its_cause(protocol_set, complaint, answers,
                                                                           method, safety):
    out = run_case(protocol_set, {"complaint": complaint, "answers": answers})
    assert out["unanswered"] is None and out["unused"] == [], (out["unanswered"], out["unused"])
    assert out["protocol"] == "cardiac_arrest" and out["cpr"] and out["arrest_recognised"]
    assert out["cpr_method"] == method and bool(out["safety"]) == safety


def test_a_complaint_chosen_by_hand_still_tells_the_arrest_protocol_the_cause(protocol_set):
    session = TriageSession(protocol_set)
    for key in ("confirmed", "confirmed", "collapsed"):
        session.answer(key)
    session.choose_complaint("electrocution")  # the dispatcher hears "he touched the cable" and changes it
    for key in ("off", "no", "adult"):
        session.answer(key)
    assert session.result.code == "01-A-13" and session.result.safety
    assert "fire_rescue" in session.result.plan.extra


def test_arrests_end_in_the_arrest_protocol_except_newborn_resuscitation(protocol_set):
    outside = {d.code: d.cpr_method for p in protocol_set.protocols.values() if p.id != "cardiac_arrest"
               for d in p.determinants.values() if d.cpr}
    assert outside == {"14-A-2": "infant"}  # a newborn at birth: breaths first, never adult hands-only
    for determinant in protocol_set.protocols["cardiac_arrest"].determinants.values():
        assert determinant.cpr_method is not None


# ---------------------------------------------------------------- scene safety before approach


@pytest.mark.parametrize("cause", HAZARDS)
def test_a_hazardous_or_unknown_account_asks_about_scene_safety_before_sending_the_caller_in(protocol_set, cause):
    session = TriageSession(protocol_set)
    for key in ("confirmed", "confirmed", cause):
        session.answer(key)
    assert session.current.id == "scene_safe"
    session.answer("safe")
    assert session.current.id == "conscious"


def test_no_account_reaches_the_approach_question_past_a_hazard_without_the_safety_question(protocol_set):
    for path, _end in enumerate_paths(protocol_set.case_entry):
        asked = [question for question, _key in path]
        what = dict(path).get("what_happened")
        if what in HAZARDS and "conscious" in asked:
            assert asked.index("scene_safe") < asked.index("conscious"), path


def test_a_sudden_collapse_goes_to_the_patient_without_an_extra_question(protocol_set):
    session = TriageSession(protocol_set)
    for key in ("confirmed", "confirmed", "collapsed"):
        session.answer(key)
    assert session.current.id == "conscious"


@pytest.mark.parametrize(("danger", "resource"), [
    ("electricity", "fire_rescue"), ("water", "fire_rescue"), ("fire_smoke", "fire_rescue"), ("gas", "hazmat"),
    ("traffic", "second_unit"), ("violence", "police"),
])
def test_an_unsafe_scene_keeps_the_caller_away_and_adds_the_resources_that_make_it_safe(protocol_set, danger,
                                                                                        resource):
    out = run_case(protocol_set, {"answers": {**OPENING, "what_happened": "unknown", "scene_safe": danger}})
    assert out["determinant"].startswith("00-A-") and out["priority"] == 1
    assert not out["cpr"] and not out["arrest_recognised"]
    assert out["safety"] and resource in out["plan"]["extra"]


@pytest.mark.parametrize("cause", ["drowning", "hanging", "electrocution", "traffic_collision", "fire_gas",
                                   "violence"])
def test_an_arrest_from_a_hazardous_scene_carries_its_safety_steps_into_the_cpr_coach(protocol_set, cause):
    for age in ("adult", "child", "infant"):
        out = arrest_from_the_case_entry(protocol_set, cause, age)
        assert out["safety"] and all(text["zh"] and text["en"] for text in out["safety"])


# ---------------------------------------------------------------- "not sure" and convulsions


def test_a_high_speed_collision_with_breathing_not_sure_keeps_rescue_police_and_a_second_unit(protocol_set):
    out = arrest_from_the_case_entry(protocol_set, "traffic_collision", "adult", breathing="unsure")
    assert out["arrest_recognised"] and out["cpr"]
    assert {"fire_rescue", "police", "second_unit"} <= set(out["plan"]["extra"])


@pytest.mark.parametrize("answers", [
    {"what_happened": "convulsions", "fitting_now": "still"},
    {"what_happened": "collapsed", "conscious": "no", "breathing_normally": "fitting"},
])
def test_a_patient_still_fitting_gets_seizure_care_not_the_cpr_coach(protocol_set, answers):
    out = run_case(protocol_set, {"answers": {**OPENING, **answers, "q_seizure_now": "under_5_min",
                                              "q_pregnant_fitting": "no"}})
    assert out["protocol"] == "convulsions" and not out["cpr"] and not out["arrest_recognised"]
    steps = " ".join(text["en"] for text in out["instructions"])
    assert "time" in steps.lower() and "nothing in the mouth" in steps and "breathing" in steps


def test_unresponsive_and_not_breathing_once_the_fit_stops_is_an_arrest(protocol_set):
    out = run_case(protocol_set, {"answers": {**OPENING, "what_happened": "convulsions", "fitting_now": "stopped",
                                              "conscious": "no", "breathing_normally": "no", "q_age": "adult"}})
    assert out["determinant"] == "01-A-1" and out["arrest_recognised"] and out["cpr_method"] == "hands_only"
    assert "jerking" in out["facts"]["en"]


def test_the_arrest_questions_warn_that_jerking_and_gasping_are_common_in_arrest(protocol_set):
    for question in (protocol_set.case_entry.questions["breathing_normally"],
                     protocol_set.protocols["cardiac_arrest"].questions["q_breathing"]):
        assert "jerking" in question.help.en and "gasping" in question.help.en.lower()
        assert "抽动" in question.help.zh and "喘息" in question.help.zh


def test_every_account_the_case_entry_takes_is_a_cause_the_arrest_protocol_knows(protocol_set):
    accounts = set(protocol_set.case_entry.questions["what_happened"].keys)
    causes = set(protocol_set.protocols["cardiac_arrest"].questions["what_happened"].keys)
    assert accounts <= causes  # carried, never asked again on the arrest path
