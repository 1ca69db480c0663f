"""Trauma, scene-safety, allergy, headache, psychiatric and paediatric triage on the shipped
protocols: each test plays a caller's story through the real files (as ``dispatch120 triage
run`` does, destination included) and checks what the guideline asks for. No Qt."""

from __future__ import annotations

import pytest

from app.dispatch.destination import load_rules, required_for
from app.triage import DEFAULT_PROTOCOL_DIR, TriageSession, load_protocol_set
from app.triage.vignettes import destination_rules, triage_run

OPENING = {"location_confirmed": "confirmed", "callback_number": "confirmed"}


def caller(age: str = "adult", sex: str = "female") -> dict[str, str]:
    """A case-entry account of an awake patient ("something else"), before the chief complaint."""
    return {**OPENING, "what_happened": "described", "age": age, "sex": sex, "conscious": "yes",
            "breathing_awake": "no"}


@pytest.fixture(scope="module")
def protocol_set():
    return load_protocol_set(DEFAULT_PROTOCOL_DIR)


@pytest.fixture(scope="module")
def run(protocol_set):
    rules = destination_rules(DEFAULT_PROTOCOL_DIR)

    def play(answers: dict[str, str], complaint: str | None = None) -> dict:
        case = {"answers": answers} if complaint is None else {"complaint": complaint, "answers": answers}
        out = triage_run(protocol_set, case, rules)
        assert out["unanswered"] is None, out["unanswered"]
        return out
    return play


def spoken(out: dict, *keys: str) -> str:
    return " ".join(text["en"] for key in keys for text in out.get(key) or ()).lower()


# ---------------------------------------------------------------- unsafe scenes (case entry)


@pytest.mark.parametrize(("account", "danger", "code"), [
    ("traffic_collision", "traffic", "00-A-5"), ("violence", "violence", "00-A-6")])
def test_an_unsafe_crash_or_assault_scene_sends_the_unassessed_patient_to_the_highest_level_trauma_centre(
        run, account, danger, code):
    out = run({**OPENING, "what_happened": account, "scene_safe": danger})
    assert out["determinant"] == code and out["safety"]
    assert out["destination"]["needs"] == ["trauma_centre"] and out["destination"]["trauma_level_at_most"] == 1


@pytest.mark.parametrize(("account", "danger", "needs"), [
    ("electrocution", "electricity", ["burns"]),   # electrical injury: burn-centre referral criterion
    ("fire_gas", "fire_smoke", ["burns"]),         # possible inhalation injury, like burns 10-A
    ("drowning", "water", None),                   # the nearest emergency department: oxygen first
    ("fire_gas", "gas", None),                     # carbon monoxide: oxygen from the crew
])
def test_live_power_and_fire_scenes_need_a_burns_unit_but_water_and_gas_scenes_the_nearest_hospital(
        run, account, danger, needs):
    out = run({**OPENING, "what_happened": account, "scene_safe": danger})
    assert (out["destination"] or {}).get("needs") == needs


# ---------------------------------------------------------------- traffic collisions


SAFE_CRASH = {**OPENING, "what_happened": "traffic_collision", "scene_safe": "safe", "conscious": "yes",
              "breathing_awake": "no", "chief_complaint": "traffic_collision", "q_count": "one_or_two",
              "q_trapped": "no"}


def test_every_traffic_determinant_gives_the_road_safety_steps_before_the_caller_goes_near(protocol_set):
    for code, determinant in protocol_set.protocols["traffic_collision"].determinants.items():
        steps = " ".join(text["en"] for text in determinant.safety).lower() if determinant.safety else ""
        for words in ("hazard lights", "warning triangle", "off the road", "switch off the engines", "no smoking",
                      "do not move the injured"):
            assert words in steps, f"{code}: safety steps lack {words!r}"


def test_a_pedestrian_child_hit_by_a_car_hears_the_safety_steps_and_goes_to_a_trauma_centre(run):
    out = run({**SAFE_CRASH, "q_mechanism": "yes"})
    assert out["determinant"] == "07-B-1" and "warning triangle" in spoken(out, "safety")
    assert out["destination"]["needs"] == ["trauma_centre"]


def test_a_pregnant_passenger_after_a_minor_looking_crash_gets_als_to_a_trauma_centre_with_obstetrics_first(run):
    out = run({**SAFE_CRASH, "q_mechanism": "no", "q_bleeding": "no", "q_traffic_pregnant": "yes"})
    assert out["determinant"] == "07-B-4" and out["priority"] == 2
    assert out["plan"]["capability"] == "als" and out["plan"]["lights_sirens"]
    assert out["destination"]["needs"] == ["trauma_centre"] and out["destination"]["prefers"] == ["maternity"]
    assert "left side" in spoken(out, "instructions")


def test_the_pregnancy_question_is_asked_only_when_no_red_or_yellow_criterion_was_found(run):
    high_energy = run({**SAFE_CRASH, "q_mechanism": "yes"})
    assert "q_traffic_pregnant" not in [question for _protocol, question, _key in high_energy["path"]]
    minor = run({**SAFE_CRASH, "q_mechanism": "no", "q_bleeding": "no", "q_traffic_pregnant": "no",
                 "q_injury": "minor"})
    assert minor["determinant"] == "07-C-1" and minor["destination"] is None


# ---------------------------------------------------------------- trauma / bleeding


WOUND = {**caller("child", "male"), "chief_complaint": "trauma_bleeding", "q_scene_safe": "safe",
         "q_penetrating": "no", "q_severe_bleeding": "no", "q_shock": "no"}


def test_a_childs_facial_dog_bite_with_the_bleeding_controlled_needs_wound_care_not_a_trauma_centre(run):
    out = run({**WOUND, "q_limb_injury": "none", "q_head_trunk_wound": "yes"})
    assert out["determinant"] == "09-C-2" and out["priority"] == 3 and not out["plan"]["lights_sirens"]
    assert out["destination"] is None or "trauma_centre" not in out["destination"]["needs"]
    assert "soap and running water" in spoken(out, "instructions")


@pytest.mark.parametrize(("limb", "code", "level"), [
    ("crushed_or_severed", "09-A-5", 1),  # red: mangled limb or amputation above the wrist / ankle
    ("fracture_or_digit", "09-B-1", None),  # open / deformed fracture or a finger: any trauma centre
])
def test_only_a_crushed_limb_or_an_amputation_above_the_wrist_or_ankle_needs_the_highest_level_centre(
        run, limb, code, level):
    out = run({**WOUND, "q_limb_injury": limb})
    assert out["determinant"] == code
    assert out["destination"]["needs"] == ["trauma_centre"] and out["destination"]["trauma_level_at_most"] == level


# ---------------------------------------------------------------- allergy


ALLERGY = {**caller("child", "male"), "chief_complaint": "allergic_reaction", "q_allergy_breathing": "no",
           "q_allergy_shock": "no", "q_allergy_swelling": "no"}


def test_hives_all_over_with_normal_breathing_and_circulation_are_not_anaphylaxis(run):
    out = run({**ALLERGY, "q_allergy_gut": "no", "q_allergy_hives": "yes"})
    assert out["determinant"] == "12-C-2" and out["priority"] == 3 and not out["plan"]["lights_sirens"]
    assert "call 120 again" in spoken(out, "instructions")


def test_severe_gut_symptoms_in_an_allergic_reaction_count_as_anaphylaxis(run):
    out = run({**ALLERGY, "q_allergy_gut": "yes"})
    assert out["priority"] <= 2 and out["plan"]["capability"] == "als" and out["plan"]["lights_sirens"]
    assert "auto-injector" in spoken(out, "instructions")


# ---------------------------------------------------------------- headache


HEADACHE = {**caller(), "chief_complaint": "headache", "q_alert": "yes", "q_stroke_signs": "no"}


def test_dislike_of_light_in_a_usual_migraine_is_not_taken_for_meningitis(protocol_set, run):
    question = protocol_set.protocols["headache"].questions["q_meningism"]
    assert "light" not in question.text["en"].split("?")[0]
    migraine = run({**HEADACHE, "q_thunderclap": "no", "q_meningism": "no", "q_head_injury_anticoag": "no",
                    "q_pregnant_postpartum": "no", "q_headache_severe": "no"})
    assert migraine["priority"] == 4
    meningitis = run({**HEADACHE, "q_thunderclap": "no", "q_meningism": "yes"})
    assert meningitis["determinant"] == "16-B-2"


def test_a_headache_with_blurred_vision_days_after_birth_is_treated_as_pre_eclampsia(run):
    out = run({**HEADACHE, "q_thunderclap": "no", "q_meningism": "no", "q_head_injury_anticoag": "no",
               "q_pregnant_postpartum": "postpartum_6_weeks", "q_preeclampsia_signs": "yes"})
    assert out["determinant"] == "16-B-4" and out["priority"] <= 2
    assert out["plan"]["capability"] == "als" and out["plan"]["lights_sirens"]
    assert out["destination"]["needs"] == ["maternity"]


def test_a_man_is_not_asked_whether_he_is_pregnant(run):
    out = run({**HEADACHE, "sex": "male", "q_thunderclap": "no", "q_meningism": "no",
               "q_head_injury_anticoag": "no", "q_headache_severe": "no"})
    assert ("headache", "q_pregnant_postpartum", "male") in [tuple(step) for step in out["path"]]


def test_a_thunderclap_headache_goes_with_lights_to_a_stroke_centre_with_neuro_intervention_first(run):
    out = run({**HEADACHE, "q_thunderclap": "yes"})
    assert out["determinant"] == "16-B-1" and out["plan"]["lights_sirens"]
    assert out["destination"]["needs"] == ["stroke_centre"] and out["destination"]["prefers"] == ["thrombectomy"]


# ---------------------------------------------------------------- psychiatric


PSYCH = {**caller("adult", "male"), "chief_complaint": "psychiatric_suicide"}


def test_a_man_waving_a_knife_the_caller_hears_to_keep_away_and_never_to_disarm_him(run):
    out = run({**PSYCH, "q_scene_danger": "weapon"})
    steps = spoken(out, "safety")
    assert "keep your distance" in steps and "do not try to take the knife" in steps and "leave at once" in steps
    assert "police" in out["plan"]["extra"]


def test_a_person_on_a_roof_edge_brings_fire_rescue_as_well_as_police(run):
    out = run({**PSYCH, "q_scene_danger": "height"})
    assert {"fire_rescue", "police"} <= set(out["plan"]["extra"]) and out["safety"]


def test_a_hanging_told_only_in_the_psychiatric_protocol_still_gets_breaths_first_cpr(protocol_set):
    # The case entry heard "something else"; the psychiatric question keeps the case entry's id
    # `what_happened`, so its "hanging" is the most recent account the arrest cause question carries.
    session = TriageSession(protocol_set)
    for key in ("confirmed", "confirmed", "described", "adult", "male", "yes", "no", "psychiatric_suicide",
                "no", "hanging", "no"):
        session.answer(key)
    assert session.arrest_recognised and session.result is not None
    assert session.result.code == "01-A-7" and session.result.cpr_method == "breaths_first"


# ---------------------------------------------------------------- diabetic child


def test_a_drowsy_vomiting_diabetic_child_is_not_labelled_a_hypo_and_goes_to_a_paediatric_hospital(run):
    out = run({**caller("child"), "chief_complaint": "diabetic_problem", "q_diabetic_alert": "confused",
               "q_swallow": "yes"})
    assert "ketoacidosis" in out["facts"]["en"] and "suspected hypoglycaemia" not in out["facts"]["en"]
    assert "give no sugar" in spoken(out, "instructions")
    assert out["destination"]["needs"] == ["paediatric"]


# ---------------------------------------------------------------- paediatric destinations

MEDICAL = ("03", "05", "06", "11", "12", "13", "15", "16", "17", "18", "19", "20", "21", "22", "23", "24")


@pytest.mark.parametrize("age", ["infant", "child"])
def test_every_seriously_ill_child_needs_a_paediatric_hospital_unless_a_specific_centre_comes_first(
        protocol_set, age):
    rules = load_rules()
    for protocol in protocol_set.all_protocols():
        for code, determinant in protocol.determinants.items():
            if code[:2] not in MEDICAL:
                continue
            need = required_for({"protocol": protocol.id, "determinant": code}, rules, age)
            if determinant.priority <= 2:
                assert need is not None, f"{code} ({age}) needs a receiving capability"
                assert need.rule_id != "seriously_ill_child" or need.needs == {"paediatric"}
            else:
                assert need is None or need.rule_id != "seriously_ill_child", f"{code}: level III-IV"
            adult = required_for({"protocol": protocol.id, "determinant": code}, rules, "adult")
            assert adult is None or adult.rule_id != "seriously_ill_child"


@pytest.mark.parametrize(("code", "protocol", "rule"), [
    ("03-B-2", "breathing_problems", "seriously_ill_child"),  # stridor with retractions
    ("17-B-1", "sick_person", "seriously_ill_child"),  # floppy febrile infant
    ("24-A-2", "fever_infectious", "seriously_ill_child"),  # fever with a purpuric rash
    ("16-B-1", "headache", "suspected_sah"),  # specific rules still win
    ("10-B-1", "burns", "child_burns"),
    ("09-A-1", "trauma_bleeding", "severe_trauma"),
    ("01-A-5", "cardiac_arrest", "child_arrest"),  # a drowned child in arrest: no PCI centre
])
def test_a_childs_destination_rule_is_the_most_specific_one(code, protocol, rule):
    need = required_for({"protocol": protocol, "determinant": code}, load_rules(), "child")
    assert need.rule_id == rule


def test_an_arrested_child_goes_to_a_paediatric_hospital_and_an_adult_to_a_pci_centre(protocol_set):
    rules = load_rules()
    for code, determinant in protocol_set.protocols["cardiac_arrest"].determinants.items():
        need = required_for({"protocol": "cardiac_arrest", "determinant": code}, rules)
        if determinant.cpr_method in ("child", "infant"):
            assert need.needs == {"paediatric"}, code
        else:
            assert "paediatric" not in need.needs, code
    adult = required_for({"protocol": "cardiac_arrest", "determinant": "01-A-1"}, rules)
    assert adult.needs == {"chest_pain_centre", "pci"}
