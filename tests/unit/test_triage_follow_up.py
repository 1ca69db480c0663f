"""Follow-up questions: a stroke's priority is known after the FAST signs and the onset, and
the facts the hospital needs (blood thinner, seizure at onset) are asked after it, recorded,
skippable, and never change the determinant."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.triage import DEFAULT_PROTOCOL_DIR, ProtocolSetError, TriageSession, load_protocol_set, run_case
from app.triage.engine import follow_up_answers

GOOD = Path(__file__).resolve().parents[1] / "data" / "protocols_bad" / "good"

CASE_ENTRY = {"location_confirmed": "confirmed", "callback_number": "confirmed", "what_happened": "described",
              "age": "older", "sex": "male", "conscious": "yes", "breathing_awake": "no",
              "chief_complaint": "stroke"}
FAST_WITHIN_4_5H = {"q_face": "yes", "q_arm_after_sign": "yes", "q_speech_after_sign": "yes",
                    "q_diabetes": "no", "q_onset": "within_4_5h"}


@pytest.fixture(scope="module")
def protocols():
    return load_protocol_set(DEFAULT_PROTOCOL_DIR)


def stroke_session(protocols) -> TriageSession:
    session = TriageSession(protocols)
    session.choose_complaint("stroke")
    for key in ("yes", "no"):  # awake; not struggling to breathe
        session.answer(key)
    return session


# ---------------------------------------------------------------- the engine


def test_a_stroke_reaches_its_priority_after_fast_diabetes_and_onset_then_asks_the_hospital_questions(protocols):
    session = stroke_session(protocols)
    asked = []
    for key in ("yes", "yes", "yes", "no", "within_4_5h"):
        asked.append(session.current.id)
        session.answer(key)

    assert asked == ["q_face", "q_arm_after_sign", "q_speech_after_sign", "q_diabetes", "q_onset"]
    assert session.result.code == "04-A-3" and session.result.priority == 1
    assert session.current is None
    assert session.follow_up.id == "q_anticoagulant"
    assert [step[1] for step in session.path][-1] == "q_onset"  # the route ends at the determinant

    session.answer_follow_up("yes")
    assert session.follow_up.id == "q_seizure"
    session.answer_follow_up("unknown")

    assert session.follow_up is None
    assert session.result.code == "04-A-3"  # never changed by a follow-up
    assert session.follow_up_path == [("stroke", "q_anticoagulant", "yes"), ("stroke", "q_seizure", "unknown")]
    assert [step[1] for step in session.path][-1] == "q_onset"


def test_the_dispatcher_skips_the_remaining_follow_ups_at_once_and_can_undo_it(protocols):
    session = stroke_session(protocols)
    for key in ("yes", "no", "no", "unknown", "within_6h"):
        session.answer(key)
    assert session.result.code == "04-A-4"
    session.answer_follow_up("no")

    assert session.skip_follow_ups() is True
    assert session.follow_up is None
    assert [(f.question.id, f.answer_key, f.skipped) for f in session.follow_ups] == [
        ("q_anticoagulant", "no", False), ("q_seizure", None, True)]
    assert session.skip_follow_ups() is False  # nothing left to skip

    assert session.back() is True  # undo the skip
    assert session.follow_up.id == "q_seizure"
    assert session.back() is True  # undo the follow-up answer
    assert session.follow_up.id == "q_anticoagulant"
    assert session.result.code == "04-A-4"


def test_a_follow_up_cannot_be_answered_before_the_determinant_nor_with_a_key_it_lacks(protocols):
    session = stroke_session(protocols)
    with pytest.raises(ValueError, match="no follow-up question is open"):
        session.answer_follow_up("yes")
    for key in ("yes", "yes", "yes", "no", "within_4_5h"):
        session.answer(key)
    with pytest.raises(ValueError, match="no answer 'maybe'"):
        session.answer_follow_up("maybe")
    with pytest.raises(ValueError, match="not a follow-up"):
        session.answer_follow_up("yes", "q_face")


def test_an_answered_follow_up_can_be_reasked(protocols):
    session = stroke_session(protocols)
    for key in ("yes", "yes", "yes", "no", "within_4_5h"):
        session.answer(key)
    session.answer_follow_up("yes")
    session.answer_follow_up("no")
    session.reask("q_anticoagulant")
    assert session.follow_up.id == "q_anticoagulant"
    session.answer_follow_up("no")
    assert session.follow_up_path == [("stroke", "q_anticoagulant", "no"), ("stroke", "q_seizure", "no")]


def test_a_known_diabetic_with_a_low_reading_goes_to_diabetic_problem_before_any_stroke_determinant(protocols):
    session = stroke_session(protocols)
    for key in ("yes", "no", "no", "yes"):  # face droops; arm, speech normal; known diabetic
        session.answer(key)
    assert session.current.id == "q_glucose"
    session.answer("low")
    assert session.protocol.id == "diabetic_problem"
    assert session.result is None or not session.result.code.startswith("04-")


def test_a_stroke_without_fast_signs_asks_the_posterior_signs_and_no_diabetes(protocols):
    session = stroke_session(protocols)
    asked = []
    while session.current is not None:
        asked.append(session.current.id)
        session.answer("no")
    assert asked == ["q_face", "q_arm", "q_speech", "q_other_signs"]
    assert session.result.code == "04-C-1" and session.follow_ups == []


# ---------------------------------------------------------------- triage run and the audit


def test_triage_run_lists_the_follow_ups_with_the_cases_answers_and_none_is_unused(protocols):
    out = run_case(protocols, {"complaint": "stroke",
                               "answers": CASE_ENTRY | FAST_WITHIN_4_5H | {"q_seizure": "no"}})
    assert out["determinant"] == "04-A-3"
    assert [(f["question"], f["answer"]) for f in out["follow_up"]] == [("q_anticoagulant", None),
                                                                        ("q_seizure", "no")]
    assert out["follow_up"][0]["answers"] == ["yes", "no", "unknown"]
    assert out["unused"] == []
    assert "q_seizure" not in [step[1] for step in out["path"]]
    assert out["unanswered"] is None


def test_the_follow_up_answers_of_an_incident_path_read_as_facts(protocols):
    path = [{"protocol": "case_entry", "question": "sex", "answer": "male"},
            {"protocol": "stroke", "question": "q_onset", "answer": "within_4_5h"},
            {"protocol": "stroke", "question": "q_anticoagulant", "answer": "unknown"},
            {"protocol": "stroke", "question": "q_seizure", "answer": "no"},
            {"protocol": "stroke", "question": "q_anticoagulant", "answer": "yes"},  # corrected: last wins
            {"protocol": "gone", "question": "q_x", "answer": "yes"}]
    facts = [(q.id, a.label.en) for q, a in follow_up_answers(protocols, path)]
    assert facts == [("q_anticoagulant", "Takes a blood thinner"), ("q_seizure", "No seizure at onset")]


# ---------------------------------------------------------------- loading and checking


FOLLOW_UP = """  - id: q_meds
    text: {zh: "吃什么药？", en: "Which medicines?"}
    answers:
      - key: thinner
        label: {zh: 吃抗凝药, en: Takes a blood thinner}
      - key: none
        label: {zh: 不吃药, en: No medicines}
determinants:
"""


def _alpha(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    directory = tmp_path / "protocols"
    shutil.copytree(GOOD, directory)
    path = directory / "alpha.yaml"
    text = path.read_text(encoding="utf-8").replace("determinants:\n", FOLLOW_UP, 1)
    text = text.replace("    plan: bls_routine\n", "    plan: bls_routine\n    follow_up: [q_meds]\n", 1)
    for old, new in edits:
        assert old in text
        text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    return directory


def _messages(directory: Path) -> list[str]:
    with pytest.raises(ProtocolSetError) as caught:
        load_protocol_set(directory)
    return [str(p) for p in caught.value.problems]


def test_a_determinant_lists_follow_up_questions_that_are_not_on_the_path(tmp_path):
    protocol_set = load_protocol_set(_alpha(tmp_path))
    alpha = protocol_set.protocols["alpha"]
    assert alpha.determinants["01-D-1"].follow_up == ("q_meds",)
    assert alpha.follow_up_ids == {"q_meds"}
    assert protocol_set.determinant("01-D-1").as_dict()["follow_up"] == ["q_meds"]


def test_a_follow_up_that_names_no_question_is_refused(tmp_path):
    messages = _messages(_alpha(tmp_path, ("follow_up: [q_meds]", "follow_up: [q_meds, q_pills]")))
    assert any("follow_up 'q_pills' is not a question of this file" in m for m in messages), messages


def test_a_follow_up_reachable_from_start_is_refused(tmp_path):
    messages = _messages(_alpha(tmp_path, ("        next: q_shared\n", "        next: q_meds\n")))
    assert any("next 'q_meds' is a follow-up of 01-D-1" in m for m in messages), messages


def test_a_follow_up_answer_that_leads_somewhere_is_refused(tmp_path):
    messages = _messages(_alpha(tmp_path, ("        label: {zh: 不吃药, en: No medicines}\n",
                                           "        label: {zh: 不吃药, en: No medicines}\n"
                                           "        determinant: 01-D-1\n")))
    assert any("q_meds is a follow-up of 01-D-1" in m and "remove determinant" in m for m in messages), messages


def test_an_answer_leading_nowhere_outside_a_follow_up_is_refused(tmp_path):
    messages = _messages(_alpha(tmp_path, ("    follow_up: [q_meds]\n", "")))
    assert any("q_meds answer thinner: needs exactly one of next / determinant / complaint" in m
               for m in messages), messages
    assert any("question q_meds is unreachable" in m for m in messages), messages


def test_follow_up_labels_must_say_the_fact_and_options_stay_exclusive(tmp_path):
    from app.triage.check import option_problems

    directory = _alpha(tmp_path, ("label: {zh: 吃抗凝药, en: Takes a blood thinner}", "label: {zh: 是, en: \"Yes\"}"),
                       ("label: {zh: 不吃药, en: No medicines}", "label: {zh: 是, en: Not any}"))
    messages = [str(p) for p in option_problems(load_protocol_set(directory))]
    assert any("follow-up answer thinner" in m and "must say the fact" in m for m in messages), messages
    assert any("answers thinner and none have the same zh label" in m for m in messages), messages


def test_the_shipped_follow_ups_pass_the_option_rules(protocols):
    from app.triage.check import option_problems

    follow_up_lines = {q.line for p in protocols.all_protocols() for q in p.questions.values()
                       if q.id in p.follow_up_ids}
    assert follow_up_lines
    assert [p for p in option_problems(protocols) if "follow-up" in p.message] == []


# ---------------------------------------------------------------- the destination


@pytest.mark.parametrize(("onset", "code", "needs"), [
    ("within_4_5h", "04-A-3", {"stroke_centre", "thrombolysis"}),
    ("within_6h", "04-A-4", {"stroke_centre", "thrombectomy"}),
    ("within_24h", "04-B-1", {"stroke_centre", "thrombectomy"}),
    ("unknown", "04-A-5", {"stroke_centre", "thrombolysis", "thrombectomy"}),
])
def test_a_stroke_past_4_5_hours_needs_a_thrombectomy_centre(protocols, onset, code, needs):
    from app.triage.vignettes import destination_rules, triage_run

    out = triage_run(protocols, {"complaint": "stroke", "answers": CASE_ENTRY | FAST_WITHIN_4_5H | {"q_onset": onset}},
                     destination_rules(DEFAULT_PROTOCOL_DIR))
    assert out["determinant"] == code
    assert set(out["destination"]["needs"]) == needs
