"""The clinical reviewer's concerns about the triage protocols, each played as a caller's story
through the shipped protocol files and destination rules (as ``dispatch120 triage run`` plays
a case) and checked against the guideline the concern cites. No Qt."""

from __future__ import annotations

import pytest

from app.triage import DEFAULT_PROTOCOL_DIR, TriageSession, load_protocol_set
from app.triage.vignettes import destination_rules, triage_run

OPENING = {"location_confirmed": "confirmed", "callback_number": "confirmed"}
ARREST_AGE_QUESTION = {"drowning": "q_age_drowning", "electrocution": "q_age_electrocution",
                       "traffic_collision": "q_age_traffic", "violence": "q_age_violence"}


def awake_caller(complaint: str, age: str = "adult", sex: str = "female") -> dict[str, str]:
    """A case-entry account of an awake patient ("something else"), then the chief complaint."""
    return {**OPENING, "what_happened": "described", "age": age, "sex": sex, "conscious": "yes",
            "breathing_awake": "no", "chief_complaint": complaint}


def arrest_by_cause(cause: str, age: str) -> dict[str, str]:
    """The case entry hears a hazardous cause, the scene is made safe, the patient is in arrest."""
    return {**OPENING, "what_happened": cause, "scene_safe": "safe", "conscious": "no",
            "breathing_normally": "no", ARREST_AGE_QUESTION[cause]: age}


@pytest.fixture(scope="module")
def protocol_set():
    return load_protocol_set(DEFAULT_PROTOCOL_DIR)


@pytest.fixture(scope="module")
def play(protocol_set):
    rules = destination_rules(DEFAULT_PROTOCOL_DIR)

    def run(answers: dict[str, str], complaint: str | None = None) -> dict:
        case = {"answers": answers} if complaint is None else {"complaint": complaint, "answers": answers}
        out = triage_run(protocol_set, case, rules)
        assert out["unanswered"] is None, f"stopped at {out['unanswered']}"
        assert out["unused"] == [], f"answers never asked: {out['unused']}"
        return out
    return run


def said(out: dict, *keys: str) -> list[str]:
    return [text["en"].lower() for key in keys for text in out.get(key) or ()]


def spoken(out: dict, *keys: str) -> str:
    return " ".join(said(out, *keys or ("instructions",)))


def needs(out: dict) -> set[str]:
    return set((out["destination"] or {}).get("needs") or ())


def lights_als(out: dict) -> bool:
    return out["plan"]["capability"] == "als" and out["plan"]["lights_sirens"]


def aspirin_only_forbidden(out: dict) -> bool:
    lines = said(out, "instructions", "safety", "exit")
    return all("do not" in line for line in lines if "aspirin" in line)


# ---------------------------------------------------------------- 1. newborn CPR


def test_a_newborn_not_breathing_at_a_home_birth_is_taught_the_count_the_cpr_coach_beats(play):
    out = play({**awake_caller("pregnancy_childbirth"), "q_birth_status": "born", "q_baby_breathing": "no"})
    assert out["determinant"] == "14-A-2" and out["cpr"] and out["cpr_method"] == "infant"
    steps = said(out, "instructions")
    text = " ".join(steps)
    # the coach's infant method: 5 breaths, then 30 compressions : 2 breaths, thumbs encircling
    assert "30 pushes, then 2 breaths" in text and "3 presses" not in text
    assert "two fingers" not in text and "both thumbs" in text and "heel of one hand" in text
    # ERC 2021 NLS kept: dry and warm first, 5 breaths before any compression
    dry = next(i for i, step in enumerate(steps) if "dry the baby" in step)
    breaths = next(i for i, step in enumerate(steps) if "5 gentle breaths" in step)
    pushes = next(i for i, step in enumerate(steps) if "push down about 4 cm" in step)
    assert dry < breaths < pushes and "warm" in steps[dry]


# ---------------------------------------------------------------- 2./3. traumatic arrests


@pytest.mark.parametrize("cause", ["traffic_collision", "violence"])
def test_an_adult_traumatic_arrest_goes_to_the_highest_level_trauma_centre_not_a_pci_centre(play, cause):
    out = play(arrest_by_cause(cause, "adult"))
    assert out["protocol"] == "cardiac_arrest" and out["cpr"]
    assert needs(out) == {"trauma_centre"} and out["destination"]["trauma_level_at_most"] == 1


@pytest.mark.parametrize("cause", ["traffic_collision", "violence"])
@pytest.mark.parametrize("age", ["child", "infant"])
def test_a_childs_traumatic_arrest_still_goes_to_a_paediatric_hospital(play, cause, age):
    out = play(arrest_by_cause(cause, age))
    assert out["cpr_method"] == age and out["destination"]["rule"] == "child_arrest"


@pytest.mark.parametrize("cause", ["traffic_collision", "violence"])
@pytest.mark.parametrize("age", ["adult", "child", "infant", "pregnant"])
def test_a_traumatic_arrest_tells_the_caller_to_press_on_heavy_bleeding(play, cause, age):
    out = play(arrest_by_cause(cause, age))
    assert "bleeding heavily" in spoken(out) and "press hard on it" in spoken(out)


def test_a_medical_arrest_is_not_slowed_by_a_bleeding_step(play):
    out = play({**OPENING, "what_happened": "collapsed", "conscious": "no", "breathing_normally": "no",
                "q_age": "adult"})
    assert "bleeding" not in spoken(out)


# ---------------------------------------------------------------- 4. aortic syndrome / MI outside chest pain


def test_tearing_back_pain_is_treated_like_the_tearing_chest_pain_of_a_dissection(play):
    back = play({**awake_caller("back_pain", sex="male"), "q_back_shock": "no", "q_back_trauma": "no",
                 "q_tearing": "yes"})
    assert back["priority"] == 1 and lights_als(back) and back["prenotify"]
    assert "chest_pain_centre" in needs(back)
    assert aspirin_only_forbidden(back) and "aspirin" in spoken(back)


def test_belly_pain_that_may_be_an_aortic_catastrophe_or_a_heart_attack_goes_with_lights(play):
    start = {**awake_caller("abdominal_pain", age="older", sex="male"), "q_abdo_shock": "no", "q_gi_bleeding": "no"}
    aorta = play({**start, "q_cardiac": "no", "q_aorta": "yes"})
    assert aorta["priority"] == 1 and lights_als(aorta) and "chest_pain_centre" in needs(aorta)
    assert aspirin_only_forbidden(aorta) and "aspirin" in spoken(aorta)
    heart = play({**start, "q_cardiac": "yes"})
    assert heart["priority"] <= 2 and lights_als(heart)
    assert needs(heart) == {"chest_pain_centre", "pci"}  # as the chest-pain protocol's 02-B-1
    assert aspirin_only_forbidden(heart)


def test_every_aortic_determinant_shares_one_destination_and_forbids_aspirin(protocol_set):
    rules = destination_rules(DEFAULT_PROTOCOL_DIR)
    aortic = [rule for rule in rules if rule.rule_id == "suspected_aortic_syndrome"]
    assert aortic and set(aortic[0].determinants) == {"02-A-4", "15-A-3", "23-A-2"}
    for code in aortic[0].determinants:
        protocol = next(p for p in protocol_set.all_protocols() if code in p.determinants)
        determinant = protocol.determinants[code]
        assert determinant.priority == 1 and determinant.plan.lights_sirens
        assert any("aspirin" in t.en.lower() and "do not" in t.en.lower() for t in determinant.instructions)


# ---------------------------------------------------------------- 5. meningococcal rash in a headache


def test_a_headache_with_a_rash_that_does_not_fade_is_level_one_like_the_fever_protocols_rash(play):
    headache = {**awake_caller("headache"), "q_alert": "yes", "q_stroke_signs": "no", "q_thunderclap": "no"}
    rash = play({**headache, "q_meningism": "rash"})
    fever_rash = play({**awake_caller("fever_infectious"), "q_resp_or_epi": "no", "q_sepsis_signs": "yes"})
    assert rash["priority"] == fever_rash["priority"] == 1
    assert rash["plan"]["id"] == fever_rash["plan"]["id"] and lights_als(rash)
    stiff_neck = play({**headache, "q_meningism": "yes"})
    assert stiff_neck["priority"] <= 2 and lights_als(stiff_neck)


# ---------------------------------------------------------------- 6. angioedema


def test_a_swelling_tongue_in_an_allergic_reaction_gets_lights_and_the_auto_injector(play):
    out = play({**awake_caller("allergic_reaction"), "q_allergy_breathing": "no", "q_allergy_shock": "no",
                "q_allergy_swelling": "yes"})
    assert lights_als(out)
    assert "tongue or throat is swelling" in spoken(out) and "use it now" in spoken(out)


# ---------------------------------------------------------------- 7. ongoing seizure


def test_a_fit_still_going_on_gets_lights_and_the_caller_reports_breathing_when_it_stops(protocol_set, play):
    out = play({**OPENING, "what_happened": "convulsions", "fitting_now": "still", "q_seizure_now": "under_5_min",
                "q_pregnant_fitting": "no"})
    assert out["determinant"] == "06-B-1" and lights_als(out)
    convulsions = protocol_set.protocols["convulsions"]
    ongoing = {answer.determinant for key in ("over_5_min", "repeated", "under_5_min")
               for answer in convulsions.questions[convulsions.questions["q_seizure_now"].answer_for(key).next].answers}
    assert ongoing == {"06-A-1", "06-A-2", "06-B-1"}
    for code in ongoing:
        text = " ".join(t.en.lower() for t in convulsions.determinants[code].instructions)
        assert "stay on the line" in text and "breathing normally" in text, code
    assert "change the answer" in convulsions.questions["q_seizure_now"].help.en


def test_when_the_fit_stops_the_dispatcher_changes_the_answer_and_breathing_is_asked(protocol_set):
    session = TriageSession(protocol_set)
    for key in ("confirmed", "confirmed", "convulsions", "still", "under_5_min", "no"):
        session.answer(key)
    assert session.result is not None and session.result.code == "06-B-1"
    session.reask("q_seizure_now", "convulsions")  # the caller: "it has stopped"
    session.answer("stopped")
    assert session.current is not None and session.current.id == "q_breathing"
    session.answer("no")  # not breathing normally
    assert session.arrest_recognised and session.protocol.id == "cardiac_arrest"


# ---------------------------------------------------------------- 8. heavy bleeding after a collision


def test_heavy_bleeding_after_a_collision_is_level_one_to_the_highest_level_trauma_centre(play):
    out = play({**OPENING, "what_happened": "described", "age": "adult", "sex": "male", "conscious": "yes",
                "breathing_awake": "no", "chief_complaint": "traffic_collision", "q_count": "one_or_two",
                "q_trapped": "no", "q_mechanism": "no", "q_bleeding": "yes"})
    assert out["priority"] == 1 and out["determinant"].split("-")[1] == "A"  # letter A = level I
    assert out["destination"]["trauma_level_at_most"] == 1 and "trauma_centre" in needs(out)


# ---------------------------------------------------------------- 9. syncope


FAINT = {**awake_caller("unconscious_fainting", age="older", sex="male"), "q_breathing": "yes"}


@pytest.mark.parametrize("answers", [{"q_awake": "confused"}, {"q_awake": "yes", "q_red_flags": "yes"}],
                         ids=["confused_slurred_after_faint", "faint_with_chest_pain_or_stroke_signs"])
def test_a_faint_with_slurred_speech_chest_pain_or_stroke_signs_gets_als_with_lights(play, answers):
    assert lights_als(play({**FAINT, **answers}))


def test_a_high_risk_faint_gets_a_crew_with_ecg_monitoring(play):
    out = play({**FAINT, "q_awake": "yes", "q_red_flags": "no", "q_cardiac_risk": "yes"})
    assert out["determinant"] == "05-B-3" and out["plan"]["capability"] == "als"


# ---------------------------------------------------------------- 10. moderate hypothermia


def test_hypothermia_with_shivering_stopped_gets_als_and_gentle_horizontal_handling(play):
    out = play({**awake_caller("heat_cold_exposure", age="older"), "q_heat_or_cold": "cold", "q_cold_alert": "yes",
                "q_shivering": "no"})
    assert lights_als(out)
    assert "handle them gently" in spoken(out) and "lying flat" in spoken(out) and "walk" in spoken(out)


# ---------------------------------------------------------------- 11. carbon monoxide via the complaint


def test_carbon_monoxide_told_through_the_poisoning_complaint_gets_the_gas_scenes_resources_and_safety(play):
    out = play({**awake_caller("poisoning_overdose"), "q_alert": "yes", "q_poison_danger_signs": "no",
                "q_intent": "no", "q_substance": "gas"})
    unsafe_gas = play({**OPENING, "what_happened": "fire_gas", "scene_safe": "gas"})
    assert set(unsafe_gas["plan"]["extra"]) <= set(out["plan"]["extra"])
    assert out["safety"] and "nobody goes back in" in spoken(out, "safety")
    assert "make a flame" in spoken(out, "safety")


# ---------------------------------------------------------------- 12. asphyxial arrests, each its own words


@pytest.mark.parametrize(("cause", "own_words"), [
    ("hanging", "take anything off the neck"),
    ("choking", "before every 2 breaths, open the mouth and look again"),
])
def test_a_hanging_or_choking_arrest_is_not_told_the_drowning_lines(play, cause, own_words):
    question = {"hanging": "q_age_hanging", "choking": "q_age_choking"}[cause]
    out = play({**OPENING, "what_happened": cause, "conscious": "no", "breathing_normally": "no", question: "adult"})
    assert out["cpr_method"] == "breaths_first"
    assert "drain water" not in spoken(out) and own_words in spoken(out)


def test_a_drowning_arrest_keeps_its_own_lines(play):
    out = play(arrest_by_cause("drowning", "adult"))
    assert "drain water" in spoken(out)


# ---------------------------------------------------------------- 13. pregnant women, whatever the cause


@pytest.mark.parametrize(("cause", "method", "extra", "destination"), [
    ("drowning", "breaths_first", set(), ({"maternity"}, None)),
    ("electrocution", "hands_only", {"fire_rescue"}, ({"maternity"}, None)),
    ("traffic_collision", "hands_only", {"fire_rescue", "police", "second_unit"}, ({"trauma_centre"}, "maternity")),
    ("violence", "hands_only", {"police"}, ({"trauma_centre"}, "maternity")),
])
def test_a_visibly_pregnant_woman_in_arrest_keeps_her_causes_care_and_gets_the_bump_pushed_left(
        play, cause, method, extra, destination):
    pregnant = play(arrest_by_cause(cause, "pregnant"))
    adult = play(arrest_by_cause(cause, "adult"))
    assert len(pregnant["path"]) == len(adult["path"])  # one more answer, no more questions
    assert pregnant["cpr_method"] == method == adult["cpr_method"] and pregnant["safety"] == adult["safety"]
    assert extra <= set(pregnant["plan"]["extra"]) and pregnant["plan"]["extra"] == adult["plan"]["extra"]
    assert "push the bump over towards her left" in spoken(pregnant) and pregnant["prenotify"]
    wanted, preferred = destination
    assert needs(pregnant) == wanted and "pci" not in needs(pregnant)
    if preferred:
        assert preferred in pregnant["destination"]["prefers"]
