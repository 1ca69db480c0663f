"""Stroke and chest pain as the medical director asked: the stroke onset splits at the
treatment windows (4.5 h, 6 h, 24 h, unknown/wake-up) with face, arm and speech asked one by
one; chest pain screens for aortic dissection before any aspirin advice, asks the onset time
and looks for pulmonary-embolism cues. Played against the shipped protocols."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.triage import DEFAULT_PROTOCOL_DIR, ProtocolSetError, load_protocol_set, run_case
from app.triage.check import enumerate_paths

CASE_ENTRY = {"location_confirmed": "confirmed", "callback_number": "confirmed", "what_happened": "described",
              "age": "older", "sex": "male", "conscious": "yes", "breathing_awake": "no"}
# Face droops; arm and speech still asked and recorded; no diabetes, no seizure, no blood thinner.
FACE_DROOP = {"q_face": "yes", "q_arm_after_sign": "no", "q_speech_after_sign": "yes", "q_diabetes": "no",
              "q_seizure": "no", "q_anticoagulant": "no"}
STABLE_CHEST = {"q_clammy": "no", "q_tearing": "no", "q_pleuritic": "no"}


@pytest.fixture(scope="module")
def protocol_set():
    return load_protocol_set(DEFAULT_PROTOCOL_DIR)


def _play(protocol_set, complaint, answers):
    out = run_case(protocol_set, {"complaint": complaint, "answers": {**CASE_ENTRY, "chief_complaint": complaint,
                                                                      **answers}})
    assert out["unused"] == [], out["unused"]
    return out


# ---------------------------------------------------------------- stroke


@pytest.mark.parametrize(("onset", "code", "priority", "prenotify"), [
    ("within_4_5h", "04-A-3", 1, True),  # thrombolysis and thrombectomy
    ("within_6h", "04-A-4", 1, True),  # thrombectomy
    ("unknown", "04-A-5", 1, True),  # wake-up / unknown: imaging-selected treatment
    ("within_24h", "04-B-1", 2, True),  # imaging-selected thrombectomy only
    ("over_24h", "04-C-2", 3, False),
])
def test_a_fast_positive_stroke_is_graded_by_the_treatment_window(protocol_set, onset, code, priority, prenotify):
    out = _play(protocol_set, "stroke", {**FACE_DROOP, "q_onset": onset})
    assert (out["determinant"], out["priority"], out["prenotify"]) == (code, priority, prenotify)


def test_the_onset_question_splits_at_4_5_6_and_24_hours_with_an_unknown_answer(protocol_set):
    onset = protocol_set.protocols["stroke"].questions["q_onset"]
    bounds = [(a.range.low, a.range.high) for a in onset.answers if a.range is not None]
    assert bounds == [(0, 4.5), (4.5, 6), (6, 24), (24, None)]
    assert {a.range.unit for a in onset.answers if a.range} == {"h"}
    assert [a.key for a in onset.answers if a.range is None] == ["unknown"]


def test_face_arm_and_speech_are_three_questions_each_recorded(protocol_set):
    out = _play(protocol_set, "stroke", {**FACE_DROOP, "q_onset": "within_4_5h"})
    asked = {question: key for protocol, question, key in out["path"] if protocol == "stroke"}
    assert asked["q_face"] == "yes" and asked["q_arm_after_sign"] == "no" and asked["q_speech_after_sign"] == "yes"


def test_an_arm_drift_alone_makes_the_stroke_fast_positive(protocol_set):
    out = _play(protocol_set, "stroke", {"q_face": "no", "q_arm": "yes", "q_speech_after_sign": "no",
                                         "q_diabetes": "no", "q_seizure": "no", "q_anticoagulant": "no",
                                         "q_onset": "within_4_5h"})
    assert out["determinant"] == "04-A-3" and out["priority"] == 1


def test_no_face_arm_or_speech_sign_never_reaches_the_window_determinants(protocol_set):
    normal = {"q_face": "no", "q_arm": "no", "q_speech": "no"}
    assert _play(protocol_set, "stroke", {**normal, "q_other_signs": "no"})["determinant"] == "04-C-1"
    dizzy = _play(protocol_set, "stroke", {**normal, "q_other_signs": "yes"})
    assert dizzy["determinant"] == "04-B-2" and dizzy["priority"] == 2


def test_a_diabetic_with_a_low_glucose_continues_as_a_diabetic_problem(protocol_set):
    out = _play(protocol_set, "stroke", {"q_face": "yes", "q_arm_after_sign": "yes", "q_speech_after_sign": "yes",
                                         "q_diabetes": "yes", "q_glucose": "low"})
    assert out["protocol"] == "diabetic_problem"
    low = next(a for a in protocol_set.protocols["stroke"].questions["q_glucose"].answers if a.key == "low")
    assert low.range is not None and low.range.high == 3.9 and not low.range.high_inclusive


@pytest.mark.parametrize("fact", ["q_seizure", "q_anticoagulant"])
def test_seizure_and_blood_thinners_are_recorded_without_changing_the_priority(protocol_set, fact):
    outcomes = {(out["determinant"], out["priority"]) for key in ("yes", "no", "unknown")
                for out in [_play(protocol_set, "stroke", {**FACE_DROOP, fact: key, "q_onset": "within_6h"})]}
    assert outcomes == {("04-A-4", 1)}


def test_the_stroke_priority_is_decided_by_the_last_answer(protocol_set):
    stroke = protocol_set.protocols["stroke"]
    for path, end in enumerate_paths(stroke):
        if end.kind == "determinant" and end.target in {"04-A-3", "04-A-4", "04-A-5", "04-B-1", "04-C-2"}:
            assert path[-1][0] == "q_onset"


# ---------------------------------------------------------------- chest pain


def _advises_aspirin(determinant) -> bool:
    return any("chew" in text.en and "aspirin" in text.en for text in determinant.instructions)


def test_no_path_advises_aspirin_before_the_dissection_screen(protocol_set):
    chest = protocol_set.protocols["chest_pain"]
    advising = set()
    for path, end in enumerate_paths(chest):
        determinant = chest.determinants[end.target]
        if _advises_aspirin(determinant):
            advising.add(end.target)
            assert ("q_tearing", "no") in path or ("q_tearing", "unknown") in path, path
    assert advising == {"02-B-1", "02-B-2"}


def test_aspirin_advice_is_conditional_on_a_doctor_allergy_and_bleeding(protocol_set):
    [advice] = [t for t in protocol_set.determinant("02-B-1").instructions if "aspirin" in t.en and "chew" in t.en]
    assert "doctor" in advice.en and "allergic" in advice.en and "bleeding" in advice.en and "300 mg" in advice.en
    assert "医生" in advice.zh and "过敏" in advice.zh and "出血" in advice.zh and "300毫克" in advice.zh


def test_a_tearing_pain_to_the_back_is_a_suspected_dissection_without_aspirin(protocol_set):
    out = _play(protocol_set, "chest_pain", {"q_clammy": "no", "q_tearing": "yes"})
    assert out["determinant"] == "02-A-4" and out["priority"] == 1 and out["prenotify"]
    assert not _advises_aspirin(protocol_set.determinant("02-A-4"))
    assert any("Do not give aspirin" in text["en"] for text in out["instructions"])


@pytest.mark.parametrize(("onset", "code", "prenotify"), [
    ("within_12h", "02-B-1", True), ("unknown", "02-B-1", True), ("over_12h", "02-B-2", False),
])
def test_a_suspected_coronary_syndrome_records_the_onset_time(protocol_set, onset, code, prenotify):
    out = _play(protocol_set, "chest_pain", {**STABLE_CHEST, "q_over_35": "yes", "q_onset": onset})
    assert (out["determinant"], out["priority"], out["prenotify"]) == (code, 2, prenotify)
    assert ["chest_pain", "q_onset", onset] in out["path"]


def test_pleuritic_pain_with_a_clot_risk_is_a_suspected_pulmonary_embolism(protocol_set):
    out = _play(protocol_set, "chest_pain", {"q_clammy": "no", "q_tearing": "no", "q_pleuritic": "yes",
                                             "q_clot_risk": "yes"})
    assert out["determinant"] == "02-B-3" and out["priority"] == 2
    assert "embolism" in out["facts"]["en"]
    assert not _advises_aspirin(protocol_set.determinant("02-B-3"))


def test_the_danger_signs_stay_level_one_and_leave_aspirin_to_the_crew(protocol_set):
    for code in ("02-A-1", "02-A-2", "02-A-3", "02-A-4"):
        determinant = protocol_set.determinant(code)
        assert determinant.priority == 1 and not _advises_aspirin(determinant), code


# ---------------------------------------------------------------- the prenotify flag


def test_the_prenotify_flag_is_read_and_reported(protocol_set):
    assert protocol_set.determinant("04-A-3").as_dict()["prenotify"] is True
    assert protocol_set.determinant("04-C-1").as_dict()["prenotify"] is False


def test_a_prenotify_flag_that_is_not_true_or_false_is_refused(tmp_path):
    good = Path(__file__).resolve().parents[1] / "data" / "protocols_bad" / "good"
    directory = tmp_path / "protocols"
    shutil.copytree(good, directory)
    text = (directory / "alpha.yaml").read_text(encoding="utf-8")
    (directory / "alpha.yaml").write_text(text.replace("    cpr: true", "    cpr: true\n    prenotify: maybe"),
                                          encoding="utf-8")
    with pytest.raises(ProtocolSetError) as caught:
        load_protocol_set(directory)
    assert any("prenotify" in p.message and p.line > 0 for p in caught.value.problems)
