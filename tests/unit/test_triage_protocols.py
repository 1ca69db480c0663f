"""The shipped protocols (resources/protocols): every file passes ``triage check``, every
path ends in a determinant, and typical calls get the expected priority."""

from __future__ import annotations

import pytest

from app.triage import DEFAULT_PROTOCOL_DIR, LANGUAGES, TriageSession, load_protocol_set, run_case
from app.triage.check import enumerate_paths

COMPLAINTS = {
    "cardiac_arrest", "chest_pain", "breathing_problems", "stroke", "unconscious_fainting", "convulsions",
    "traffic_collision", "falls", "trauma_bleeding", "burns", "poisoning_overdose", "allergic_reaction",
    "diabetic_problem", "pregnancy_childbirth", "abdominal_pain", "headache", "sick_person",
    "psychiatric_suicide", "drowning", "electrocution", "heat_cold_exposure", "choking", "back_pain",
    "fever_infectious", "interfacility_transfer",
}
CASE_ENTRY = {"location_confirmed": "confirmed", "callback_number": "confirmed", "what_happened": "described",
              "age": "adult", "sex": "female", "conscious": "yes", "breathing_awake": "no"}
UNCONSCIOUS = {**{k: v for k, v in CASE_ENTRY.items() if k != "breathing_awake"}, "conscious": "no"}


@pytest.fixture(scope="module")
def protocol_set():
    return load_protocol_set(DEFAULT_PROTOCOL_DIR)  # raises with every problem listed if any file is bad


def test_every_chief_complaint_of_the_case_entry_has_its_protocol(protocol_set):
    assert COMPLAINTS <= set(protocol_set.protocols)
    chosen = {a.complaint for a in protocol_set.case_entry.questions["chief_complaint"].answers}
    assert chosen == set(protocol_set.protocols)


def test_every_path_of_every_protocol_ends_in_a_determinant(protocol_set):
    for protocol in protocol_set.all_protocols():
        reached = set()
        for path, end in enumerate_paths(protocol):
            assert path, protocol.id
            if end.kind == "determinant":
                reached.add(end.target)
                assert end.target in protocol.determinants
            else:
                assert end.target in protocol_set.protocols, (protocol.id, path)
        assert reached == set(protocol.determinants), protocol.id
        asked = {q for path, _end in enumerate_paths(protocol) for q, _k in path}
        on_path = set(protocol.questions) - protocol.follow_up_ids  # follow-ups come after the determinant
        assert asked == on_path, f"{protocol.id}: unreachable {on_path - asked}"
        assert not asked & protocol.follow_up_ids, protocol.id


def test_every_string_exists_in_both_languages(protocol_set):
    def texts():
        for plan in protocol_set.plans.values():
            yield plan.label
        for protocol in protocol_set.all_protocols():
            yield protocol.title
            for question in protocol.questions.values():
                yield question.text
                if question.help is not None:
                    yield question.help
                yield from (answer.label for answer in question.answers)
            for determinant in protocol.determinants.values():
                yield determinant.facts
                yield from determinant.instructions
                yield from determinant.exit
    for text in texts():
        assert all(text[lang].strip() for lang in LANGUAGES), text


def test_a_cardiac_arrest_is_always_the_highest_level_with_cpr(protocol_set):
    for determinant in protocol_set.protocols["cardiac_arrest"].determinants.values():
        assert determinant.priority == 1 and determinant.cpr and determinant.plan.capability == "als"


def _play(protocol_set, answers, complaint=None):
    case = {"answers": answers} if complaint is None else {"complaint": complaint, "answers": answers}
    out = run_case(protocol_set, case)
    assert out["unanswered"] is None, out["unanswered"]
    assert out["unused"] == [], out["unused"]
    return out


def test_collapsed_and_not_breathing_reaches_telephone_cpr_in_five_answers(protocol_set):
    session = TriageSession(protocol_set)
    for key in ("confirmed", "confirmed", "collapsed", "no", "no"):
        session.answer(key)
    assert session.arrest_recognised
    assert session.protocol.id == "cardiac_arrest" and session.current.id == "q_age"
    session.answer("unknown")
    assert session.result.code == "01-A-1" and session.result.priority == 1 and session.result.cpr
    assert session.result.cpr_method == "hands_only" and session.result.plan.id == "als_emergency"
    assert sum(1 for step in session.steps if not step.carried) == 6  # as many answers as before causes existed


@pytest.mark.parametrize(("age", "code"), [("adult", "01-A-1"), ("older", "01-A-1"), ("child", "01-A-2"),
                                           ("infant", "01-A-3")])
def test_the_cpr_instructions_fit_the_age_given_in_the_case_entry(protocol_set, age, code):
    out = _play(protocol_set, {**UNCONSCIOUS, "age": age, "breathing_normally": "unsure"})
    assert out["determinant"] == code and out["priority"] == 1 and out["cpr"] and out["arrest_recognised"]
    # 7 case-entry answers + breathing, cause and age carried into the arrest protocol, not asked again
    assert len(out["path"]) == 10


VIGNETTES = [
    # (name, complaint, answers beyond the case entry, expected priority)
    ("older man with crushing chest pain, sweating", "chest_pain", {"q_clammy": "yes"}, 1),
    ("55-year-old with chest pressure, otherwise stable", "chest_pain",
     {"q_clammy": "no", "q_tearing": "no", "q_pleuritic": "no", "q_over_35": "yes", "q_onset": "within_12h"}, 2),
    ("young adult, chest wall pain after a fall", "chest_pain",
     {"q_clammy": "no", "q_tearing": "no", "q_pleuritic": "no", "q_over_35": "no", "q_heart_history": "no",
      "q_chest_wall": "yes"}, 3),
    ("chest pain and struggling to breathe", "chest_pain", {"breathing_awake": "yes"}, 1),
    ("asthmatic who cannot finish a sentence", "breathing_problems", {"q_speak": "no"}, 1),
    ("COPD patient worse today", "breathing_problems",
     {"q_speak": "yes", "q_colour": "no", "q_history": "yes"}, 2),
    ("mild breathlessness with fever and cough", "breathing_problems",
     {"q_speak": "yes", "q_colour": "no", "q_history": "no", "q_mild": "yes", "q_fever": "yes"}, 3),
    ("face drooping and arm weakness since an hour", "stroke",
     {"q_face": "yes", "q_arm_after_sign": "yes", "q_speech_after_sign": "no", "q_diabetes": "no", "q_seizure": "no",
      "q_anticoagulant": "no", "q_onset": "within_4_5h"}, 1),
    ("weakness noticed three days ago", "stroke",
     {"q_face": "no", "q_arm": "yes", "q_speech_after_sign": "no", "q_diabetes": "no", "q_seizure": "no",
      "q_anticoagulant": "no", "q_onset": "over_24h"}, 3),
    ("car crash, driver trapped", "traffic_collision", {"q_count": "one_or_two", "q_trapped": "yes"}, 1),
    ("bus crash, many injured", "traffic_collision", {"q_count": "three_or_more"}, 1),
    ("cyclist hit by a car, awake", "traffic_collision",
     {"q_count": "one_or_two", "q_trapped": "no", "q_mechanism": "yes"}, 2),
    ("minor fender-bender, neck pain, walking", "traffic_collision",
     {"q_count": "one_or_two", "q_trapped": "no", "q_mechanism": "no", "q_bleeding": "no", "q_traffic_pregnant": "no",
      "q_injury": "minor"}, 3),
    ("minor collision, nobody hurt", "traffic_collision", {"q_count": "none"}, 4),
]


@pytest.mark.parametrize(("name", "complaint", "answers", "priority"), VIGNETTES, ids=[v[0] for v in VIGNETTES])
def test_typical_calls_get_the_expected_priority(protocol_set, name, complaint, answers, priority):
    out = _play(protocol_set, {**CASE_ENTRY, "chief_complaint": complaint, **answers})
    assert out["protocol"] == complaint
    assert out["priority"] == priority, (name, out["determinant"])


def test_an_unconscious_breathing_stroke_patient_is_level_one(protocol_set):
    out = _play(protocol_set, {**UNCONSCIOUS, "breathing_normally": "yes", "chief_complaint": "stroke"})
    assert out["determinant"] == "04-A-1" and out["priority"] == 1 and not out["arrest_recognised"]


def test_each_of_the_core_protocols_spans_the_urgent_and_the_less_urgent(protocol_set):
    for complaint in ("chest_pain", "breathing_problems", "stroke", "traffic_collision"):
        priorities = {d.priority for d in protocol_set.protocols[complaint].determinants.values()}
        assert 1 in priorities and max(priorities) >= 3, complaint


def test_changing_from_chest_pain_to_breathing_problems_keeps_the_case_entry_answers(protocol_set):
    session = TriageSession(protocol_set)
    for key in ("confirmed", "confirmed", "described", "older", "male", "yes", "yes", "chest_pain"):
        session.answer(key)
    assert session.result.code == "02-A-2"  # conscious and breathing carried: chest pain + breathing difficulty
    session.choose_complaint("breathing_problems")
    assert session.protocol.id == "breathing_problems" and session.current.id == "q_speak"
    assert ("breathing_problems", "q_awake", "yes") in session.path
    session.back()
    assert session.result.code == "02-A-2"
