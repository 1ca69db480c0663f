"""Clinical vignettes for the chief-complaint protocols written from public guidelines
(resources/protocols/SOURCES.md): a typical call must give the expected priority, plan
and instructions. Plays the real protocol files through ``run_case`` — no Qt, no I/O
beyond loading the directory once."""

from __future__ import annotations

import pytest

from app.triage import DEFAULT_PROTOCOL_DIR, load_protocol_set, run_case

CONTENT_PROTOCOLS = (
    "unconscious_fainting", "convulsions", "falls", "trauma_bleeding", "burns", "poisoning_overdose",
    "allergic_reaction", "diabetic_problem", "pregnancy_childbirth", "abdominal_pain", "headache",
    "sick_person", "psychiatric_suicide", "drowning", "electrocution", "heat_cold_exposure", "choking",
    "back_pain", "fever_infectious", "interfacility_transfer",
)

# (name, complaint, answers, expected priority, expected determinant)
VIGNETTES = [
    ("fainted_and_still_unresponsive", "unconscious_fainting",
     {"q_breathing": "yes", "q_awake": "no"}, 1, "05-A-1"),
    ("young_person_fainted_at_sight_of_blood_now_fine", "unconscious_fainting",
     {"q_breathing": "yes", "q_awake": "yes", "q_red_flags": "no", "q_cardiac_risk": "no", "q_injury": "no"},
     4, "05-D-1"),
    ("seizure_lasting_ten_minutes", "convulsions", {"q_seizure_now": "over_5_min", "q_pregnant_status": "no"},
     1, "06-A-1"),
    ("known_epileptic_usual_seizure_over", "convulsions",
     {"q_seizure_now": "stopped", "q_breathing": "yes", "q_special_risk": "no", "q_known_pattern": "yes"},
     3, "06-C-1"),
    ("fall_from_third_floor", "falls", {"q_height": "high"}, 1, "08-A-1"),
    ("older_woman_on_warfarin_hit_head", "falls",
     {"q_height": "ground", "q_alert": "yes", "q_severe_bleeding": "no", "q_neck_back": "no",
      "q_head_strike": "yes", "q_bleeding_risk": "yes"}, 2, "08-B-2"),
    ("slipped_in_kitchen_no_injury", "falls",
     {"q_height": "ground", "q_alert": "yes", "q_severe_bleeding": "no", "q_neck_back": "no",
      "q_head_strike": "no", "q_fracture": "no"}, 4, "08-D-1"),
    ("stabbed_in_the_chest", "trauma_bleeding", {"q_scene_safe": "safe", "q_penetrating": "yes"}, 1, "09-A-1"),
    ("spurting_leg_wound", "trauma_bleeding",
     {"q_scene_safe": "safe", "q_penetrating": "no", "q_severe_bleeding": "yes"}, 1, "09-A-2"),
    ("small_cut_bleeding_stopped", "trauma_bleeding",
     {"q_scene_safe": "safe", "q_penetrating": "no", "q_severe_bleeding": "no", "q_shock": "no",
      "q_limb_injury": "none", "q_head_trunk_wound": "no", "q_minor": "yes"}, 4, "09-D-1"),
    ("house_fire_smoke_inhalation_hoarse", "burns", {"q_fire": "safe", "q_burn_airway": "yes"}, 1, "10-A-2"),
    ("small_kettle_scald_on_forearm", "burns",
     {"q_fire": "safe", "q_burn_airway": "no", "q_burn_extent": "small", "q_burn_site": "no"}, 4, "10-D-1"),
    ("drank_pesticide_now_unconscious", "poisoning_overdose", {"q_alert": "no"}, 1, "11-A-1"),
    ("adult_tasted_dish_soap_no_symptoms", "poisoning_overdose",
     {"q_alert": "yes", "q_poison_danger_signs": "no", "q_intent": "no", "q_substance": "household",
      "q_poison_child_or_large": "no", "q_poison_symptoms": "no"}, 4, "11-D-1"),
    ("peanut_allergy_throat_closing", "allergic_reaction", {"q_allergy_breathing": "yes"}, 1, "12-A-1"),
    ("itchy_local_rash_only", "allergic_reaction",
     {"q_allergy_breathing": "no", "q_allergy_shock": "no", "q_allergy_swelling": "no",
      "q_allergy_gut": "no", "q_allergy_hives": "no", "q_allergy_history": "no"}, 4, "12-D-1"),
    ("diabetic_cannot_be_woken", "diabetic_problem", {"q_diabetic_alert": "unresponsive"}, 1, "13-A-1"),
    ("diabetic_shaky_and_sweaty_but_alert", "diabetic_problem",
     {"q_diabetic_alert": "alert", "q_hyper_signs": "no", "q_low_sugar": "yes"}, 3, "13-C-1"),
    ("baby_head_crowning", "pregnancy_childbirth", {"q_birth_status": "imminent"}, 1, "14-A-1"),
    ("term_labour_contractions_no_danger", "pregnancy_childbirth",
     {"q_birth_status": "no", "q_pregnancy_bleeding": "no", "q_pregnancy_danger": "no", "q_labour": "yes",
      "q_term": "yes"}, 3, "14-C-1"),
    ("belly_pain_pale_and_sweaty", "abdominal_pain", {"q_abdo_shock": "yes", "q_may_be_pregnant": "male"}, 1, "15-A-1"),
    ("mild_belly_ache", "abdominal_pain",
     {"q_abdo_shock": "no", "q_gi_bleeding": "no", "q_cardiac": "no", "q_aorta": "no", "q_possible_pregnancy": "no",
      "q_abdo_severe": "no", "q_abdo_age": "adult"}, 4, "15-D-1"),
    ("headache_and_unresponsive", "headache", {"q_alert": "no"}, 1, "16-A-1"),
    ("ordinary_tension_headache", "headache",
     {"q_alert": "yes", "q_stroke_signs": "no", "q_thunderclap": "no", "q_meningism": "no",
      "q_head_injury_anticoag": "no", "q_pregnant_postpartum": "no", "q_headache_severe": "no"}, 4, "16-D-1"),
    ("unwell_grey_and_clammy", "sick_person", {"q_sick_shock": "yes"}, 1, "17-A-1"),
    ("weak_for_a_week_no_red_flags", "sick_person",
     {"q_sick_shock": "no", "q_alert": "yes", "q_priority_symptom": "none", "q_sudden_change": "over_24h"},
     4, "17-D-1"),
    ("found_hanging_taken_down_breathing", "psychiatric_suicide",
     {"q_scene_danger": "no", "what_happened": "hanging", "q_breathing": "yes"}, 1, "18-A-1"),
    ("low_mood_wants_to_talk", "psychiatric_suicide",
     {"q_scene_danger": "no", "what_happened": "no", "q_suicide_plan": "no", "q_behaviour": "no"}, 4, "18-D-1"),
    ("child_pulled_from_pool_not_breathing", "drowning",
     {"q_out_of_water": "yes", "q_breathing": "no", "q_age_drowning": "child"}, 1, "01-A-5"),
    ("person_still_in_the_river", "drowning", {"q_out_of_water": "no"}, 1, "19-A-1"),
    ("swimmer_rescued_fine_now", "drowning",
     {"q_out_of_water": "yes", "q_breathing": "yes", "q_alert": "yes", "q_diving": "no",
      "q_drowning_symptoms": "no"}, 3, "19-C-1"),
    ("worker_still_on_live_wire", "electrocution", {"q_power_off": "live"}, 1, "20-A-1"),
    ("household_socket_tingle_no_symptoms", "electrocution",
     {"q_power_off": "off", "q_breathing": "yes", "q_alert": "yes", "q_high_voltage": "no",
      "q_shock_symptoms": "no"}, 3, "20-C-1"),
    ("labourer_confused_in_heatwave", "heat_cold_exposure",
     {"q_heat_or_cold": "heat", "q_heat_alert": "no"}, 1, "21-A-1"),
    ("mild_heat_exhaustion_drinking", "heat_cold_exposure",
     {"q_heat_or_cold": "heat", "q_heat_alert": "yes", "q_heat_severe": "no"}, 4, "21-D-1"),
    ("adult_choking_cannot_cough", "choking",
     {"q_conscious": "yes", "q_can_cough": "no", "q_age": "adult"}, 1, "22-A-2"),
    ("infant_choking_silent", "choking", {"q_conscious": "yes", "q_can_cough": "no", "q_age": "infant"}, 1, "22-A-4"),
    ("coughed_out_fish_bone_now_fine", "choking",
     {"q_conscious": "yes", "q_can_cough": "yes", "q_cleared": "yes", "q_after_effects": "no"}, 4, "22-D-1"),
    ("back_pain_and_fainting", "back_pain", {"q_back_shock": "yes"}, 1, "23-A-1"),
    ("lifted_a_box_back_ache_no_red_flags", "back_pain",
     {"q_back_shock": "no", "q_back_trauma": "no", "q_tearing": "no", "q_back_neuro": "no",
      "q_back_fever_cancer": "no"}, 4, "23-D-1"),
    ("fever_cough_blue_lips", "fever_infectious", {"q_resp_or_epi": "yes", "q_resp_severe": "yes"}, 1, "24-A-1"),
    ("fever_only_no_risk", "fever_infectious",
     {"q_resp_or_epi": "no", "q_sepsis_signs": "no", "q_fever_risk": "no"}, 4, "24-D-1"),
    ("stemi_to_cath_lab", "interfacility_transfer",
     {"q_transfer_time_critical": "pci"}, 1, "25-A-1"),
    ("booked_transfer_to_rehab", "interfacility_transfer",
     {"q_transfer_time_critical": "no", "q_transfer_stable": "yes", "q_transfer_isolation": "no",
      "q_transfer_monitoring": "no",
      "q_transfer_when": "booked"}, 4, "25-D-1"),
]


@pytest.fixture(scope="module")
def protocol_set():
    return load_protocol_set(DEFAULT_PROTOCOL_DIR)


def play(protocol_set, complaint: str, answers: dict[str, str]) -> dict:
    return run_case(protocol_set, {"complaint": complaint, "answers": answers})


def joined(result: dict, field: str, lang: str) -> str:
    return " ".join(text[lang] for text in result[field])


@pytest.mark.parametrize(("name", "complaint", "answers", "priority", "determinant"), VIGNETTES,
                         ids=[v[0] for v in VIGNETTES])
def test_typical_call_gets_the_expected_priority(protocol_set, name, complaint, answers, priority, determinant):
    result = play(protocol_set, complaint, answers)
    assert result["unanswered"] is None, f"{name}: stopped at {result['unanswered']}"
    assert result["unused"] == [], f"{name}: answers never asked {result['unused']}"
    assert (result["determinant"], result["priority"]) == (determinant, priority)


def test_every_content_protocol_has_a_life_threat_and_a_minor_vignette():
    by_complaint: dict[str, set[int]] = {}
    for _name, complaint, _answers, priority, _code in VIGNETTES:
        by_complaint.setdefault(complaint, set()).add(priority)
    for complaint in CONTENT_PROTOCOLS:
        priorities = by_complaint.get(complaint, set())
        assert 1 in priorities and priorities & {3, 4}, f"{complaint}: vignettes cover {sorted(priorities)}"


def test_content_protocols_ask_few_questions_and_speak_both_languages_everywhere(protocol_set):
    for pid in CONTENT_PROTOCOLS:
        protocol = protocol_set.protocols[pid]
        assert 3 <= len(protocol.questions) <= 8, pid
        for determinant in protocol.determinants.values():
            letter = determinant.code.split("-")[1]
            assert "ABCD".index(letter) + 1 == determinant.priority, determinant.code
            assert determinant.instructions and determinant.exit, determinant.code
            for text in (determinant.facts, *determinant.instructions, *determinant.exit):
                assert text.zh.strip() and text.en.strip(), determinant.code


def test_unconscious_patient_not_breathing_goes_to_cardiac_arrest_and_is_recognised(protocol_set):
    result = play(protocol_set, "unconscious_fainting",
                  {"q_breathing": "no", "what_happened": "collapsed", "q_age": "adult"})
    assert (result["protocol"], result["priority"], result["cpr"]) == ("cardiac_arrest", 1, True)
    assert result["arrest_recognised"] is True and result["unused"] == []


def test_drowning_arrest_starts_cpr_with_rescue_breaths(protocol_set):
    result = play(protocol_set, "drowning", {"q_out_of_water": "yes", "q_breathing": "no", "q_age_drowning": "adult"})
    assert result["cpr"] is True and result["arrest_recognised"] is True
    assert result["cpr_method"] == "breaths_first" and result["protocol"] == "cardiac_arrest"
    assert "5" in joined(result, "instructions", "en") and "breaths" in joined(result, "instructions", "en")


def test_infant_choking_uses_chest_thrusts_never_abdominal_thrusts(protocol_set):
    infant = play(protocol_set, "choking", {"q_conscious": "yes", "q_can_cough": "no", "q_age": "infant"})
    adult = play(protocol_set, "choking", {"q_conscious": "yes", "q_can_cough": "no", "q_age": "adult"})
    assert "chest thrusts" in joined(infant, "instructions", "en")
    assert "Do not give abdominal thrusts" in joined(infant, "instructions", "en")
    assert "abdominal thrusts" in joined(adult, "instructions", "en")


def test_unconscious_choking_victim_gets_cpr(protocol_set):
    result = play(protocol_set, "choking", {"q_conscious": "no", "q_breathing": "no", "q_age_choking": "child"})
    assert result["cpr"] is True and result["priority"] == 1
    assert result["cpr_method"] == "child" and result["arrest_recognised"] is True


def test_electrocution_with_live_power_keeps_rescuer_away_and_calls_fire_rescue(protocol_set):
    result = play(protocol_set, "electrocution", {"q_power_off": "live"})
    assert "fire_rescue" in result["plan"]["extra"]
    assert "Do not touch the patient" in joined(result, "instructions", "en")


def test_suspected_respiratory_infection_gets_a_negative_pressure_unit_and_isolation_advice(protocol_set):
    result = play(protocol_set, "fever_infectious",
                  {"q_resp_or_epi": "yes", "q_resp_severe": "no", "q_resp_mild": "no"})
    assert result["plan"]["capability"] == "negative_pressure"
    advice = joined(result, "instructions", "zh") + joined(result, "exit", "zh")
    assert "口罩" in advice and "通风" in advice


def test_person_with_a_weapon_threatening_suicide_brings_police(protocol_set):
    result = play(protocol_set, "psychiatric_suicide", {"q_scene_danger": "weapon"})
    assert "police" in result["plan"]["extra"]


def test_poisoning_advice_never_induces_vomiting_and_keeps_the_container(protocol_set):
    result = play(protocol_set, "poisoning_overdose", {"q_alert": "no"})
    zh = joined(result, "instructions", "zh")
    assert "不要催吐" in zh and "药瓶" in zh


def test_burns_are_cooled_with_running_water_for_twenty_minutes(protocol_set):
    result = play(protocol_set, "burns", {"q_fire": "safe", "q_burn_airway": "no", "q_burn_extent": "large"})
    assert "20" in joined(result, "instructions", "zh") and "流动" in joined(result, "instructions", "zh")
