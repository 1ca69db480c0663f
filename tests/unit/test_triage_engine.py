"""The questionnaire engine on the minimal fixture set: answering, going back across the
case-entry/complaint boundary, changing the chief complaint without losing answers, the
arrest rule and vignettes played by ``triage run``."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.triage import TriageSession, load_protocol_set, run_case

GOOD = Path(__file__).resolve().parents[1] / "data" / "protocols_bad" / "good"


@pytest.fixture(scope="module")
def protocol_set():
    return load_protocol_set(GOOD)


def _ids(session):
    return session.protocol.id, session.current.id if session.current else None


def test_a_call_starts_in_the_case_entry_and_ends_in_a_determinant(protocol_set):
    session = TriageSession(protocol_set)
    assert _ids(session) == ("case_entry", "age")
    assert session.position == (0, 4)
    for key in ("adult", "yes", "beta", "no", "yes"):
        session.answer(key)
    assert session.current is None
    assert session.result.code == "02-B-1" and session.result.priority == 2
    assert session.path == [("case_entry", "age", "adult"), ("case_entry", "conscious", "yes"),
                            ("case_entry", "chief_complaint", "beta"), ("beta", "q_first", "no"),
                            ("beta", "q_shared", "yes")]
    assert session.answers == {"case_entry": {"age": "adult", "conscious": "yes", "chief_complaint": "beta"},
                               "beta": {"q_first": "no", "q_shared": "yes"}}
    assert session.position == (2, 2)


def test_an_unknown_answer_key_is_refused_and_changes_nothing(protocol_set):
    session = TriageSession(protocol_set)
    with pytest.raises(ValueError, match="no answer 'teenager'"):
        session.answer("teenager")
    assert _ids(session) == ("case_entry", "age") and session.path == []


def test_answering_after_the_determinant_is_refused(protocol_set):
    session = TriageSession(protocol_set)
    for key in ("adult", "no", "no", "yes"):
        session.answer(key)
    assert session.result is not None and session.result.cpr
    with pytest.raises(ValueError, match="no question is open"):
        session.answer("yes")


def test_unconscious_and_not_breathing_goes_straight_to_the_arrest_protocol(protocol_set):
    session = TriageSession(protocol_set)
    session.answer("child")
    session.answer("no")
    assert not session.arrest_recognised
    session.answer("no")
    assert session.arrest_recognised
    # The age question of the arrest protocol reuses the case-entry age: not asked again.
    assert _ids(session) == ("alpha", "q_severe")
    assert session.steps[-1].carried and session.steps[-1].answer_key == "child"


def test_back_undoes_answers_across_the_case_entry_boundary(protocol_set):
    session = TriageSession(protocol_set)
    for key in ("adult", "yes", "alpha", "no"):
        session.answer(key)
    assert _ids(session) == ("alpha", "q_shared")
    assert session.back()
    assert _ids(session) == ("alpha", "q_severe")
    assert session.back()  # undoes the chief complaint: back in the case entry
    assert _ids(session) == ("case_entry", "chief_complaint")
    assert session.back() and session.back()
    assert _ids(session) == ("case_entry", "age") and session.path == []
    assert not session.back()


def test_back_takes_the_arrest_recognition_away_again(protocol_set):
    session = TriageSession(protocol_set)
    for key in ("adult", "no", "no"):
        session.answer(key)
    assert session.arrest_recognised
    session.back()
    assert not session.arrest_recognised and _ids(session) == ("case_entry", "breathing_normally")


def test_changing_the_complaint_keeps_the_answers_that_still_apply(protocol_set):
    session = TriageSession(protocol_set)
    for key in ("adult", "yes", "alpha", "no", "yes"):
        session.answer(key)
    assert session.result.code == "01-A-1"
    # The dispatcher realises it is beta: q_shared has the same id, its answer carries over.
    session.choose_complaint("beta")
    assert _ids(session) == ("beta", "q_first")
    session.answer("yes")
    assert session.result.code == "02-B-1"
    assert ("beta", "q_shared", "yes") in session.path
    assert session.answers["case_entry"] == {"age": "adult", "conscious": "yes", "chief_complaint": "alpha"}
    # Back to alpha: what was answered there is still there.
    session.choose_complaint("alpha")
    assert session.result.code == "01-A-1"
    assert session.answers["alpha"] == {"q_age": "adult", "q_severe": "no", "q_shared": "yes"}
    # and back() undoes the change of complaint
    session.back()
    assert session.protocol.id == "beta"


def test_a_complaint_can_be_chosen_before_the_case_entry_is_finished(protocol_set):
    session = TriageSession(protocol_set)
    session.answer("child")
    session.choose_complaint("alpha")
    assert _ids(session) == ("alpha", "q_severe")
    with pytest.raises(ValueError, match="no chief complaint"):
        session.choose_complaint("case_entry")


def test_a_wrong_carried_answer_can_be_asked_again(protocol_set):
    session = TriageSession(protocol_set)
    for key in ("adult", "yes", "alpha"):
        session.answer(key)
    assert _ids(session) == ("alpha", "q_severe")
    session.reask("q_age")
    assert _ids(session) == ("alpha", "q_age")
    session.answer("child")
    assert session.answers["alpha"]["q_age"] == "child"
    assert session.answers["case_entry"]["age"] == "adult"


def test_position_counts_questions_in_the_current_protocol(protocol_set):
    session = TriageSession(protocol_set)
    for key in ("adult", "yes", "alpha"):
        session.answer(key)
    assert session.position == (1, 3)  # q_age carried; q_severe now, then maybe q_shared


def test_run_case_prints_the_determinant_or_the_next_question(protocol_set):
    out = run_case(protocol_set, {"complaint": "beta", "answers": [["q_first", "yes"], ["q_shared", "no"]]})
    assert out["determinant"] == "02-C-1" and out["priority"] == 3
    assert out["plan"]["capability"] == "bls" and out["plan"]["extra"] == ["police"]
    assert out["unanswered"] is None and out["path"][0] == ["beta", "q_first", "yes"]

    out = run_case(protocol_set, {"answers": {"age": "adult", "conscious": "no", "breathing_normally": "no"}})
    assert out["arrest_recognised"] and out["protocol"] == "alpha"
    assert out["determinant"] is None
    assert out["unanswered"]["question"] == "q_severe" and out["unanswered"]["answers"] == ["yes", "no"]

    out = run_case(protocol_set, {"complaint": "alpha", "answers": {"q_age": "adult", "q_severe": "yes",
                                                                    "stray": "x"}})
    assert out["cpr"] and out["instructions"] == [{"zh": "按压", "en": "Push"}] and out["unused"] == ["stray"]


@pytest.mark.parametrize(("case", "words"), [
    ({"complaint": "gamma"}, "no chief complaint 'gamma'"),
    ({"complaint": "beta", "answers": {"q_first": "perhaps"}}, "no answer 'perhaps'"),
    ({"answers": "yes"}, "must be an object"),
    ({"answers": [["q_first"]]}, "must be [question_id, key]"),
    ({"complain": "beta"}, "unknown field"),
])
def test_a_malformed_case_is_refused_with_a_reason(protocol_set, case, words):
    with pytest.raises(ValueError, match=words.replace("[", r"\[").replace("]", r"\]")):
        run_case(protocol_set, case)


def test_a_complaint_is_suggested_from_the_callers_words(protocol_set):
    assert protocol_set.complaint_for_keyword("he has ALPHA PAIN since noon").id == "alpha"
    assert protocol_set.complaint_for_keyword("患者甲症发作").id == "alpha"
    assert protocol_set.complaint_for_keyword("nothing known") is None
