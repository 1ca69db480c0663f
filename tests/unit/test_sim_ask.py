"""A trainee types a free question to the simulated caller: which protocol question it means,
matched against the real shipped protocols (resources/protocols)."""

from __future__ import annotations

import pytest

from app.sim.ask import MATCH_THRESHOLD, QuestionMatcher, features, shipped_matcher
from app.triage import DEFAULT_PROTOCOL_DIR, load_protocol_set

CASE_ENTRY = ["case_entry"]


@pytest.fixture(scope="module")
def matcher() -> QuestionMatcher:
    return shipped_matcher()


@pytest.mark.parametrize("typed", ["病人还有呼吸吗", "他还有呼吸吗？", "他有没有呼吸", "患者呼吸正常吗",
                                   "is the patient breathing?", "Is he still breathing?", "does she breathe?"])
def test_a_paraphrase_of_is_the_patient_breathing_means_the_breathing_question(matcher, typed):
    found = matcher.match(typed, prefer_protocols=CASE_ENTRY)
    assert found is not None and (found.protocol_id, found.question_id) == ("case_entry", "breathing_normally")


@pytest.mark.parametrize(("typed", "question"), [
    ("病人多大了", "age"), ("how old is he?", "age"), ("is he awake?", "conscious"), ("地址在哪里", "location_confirmed"),
    ("你们那里安全吗", "scene_safe"),
])
def test_other_case_entry_questions_are_found_in_either_language(matcher, typed, question):
    found = matcher.match(typed, prefer_protocols=CASE_ENTRY)
    assert found is not None and found.question_id == question


@pytest.mark.parametrize("typed", ["今天星期几", "你喜欢什么颜色", "what's the capital of France?", "asdf qwerty",
                                   "", "？？？"])
def test_small_talk_and_nonsense_mean_no_question(matcher, typed):
    assert matcher.match(typed, prefer_protocols=CASE_ENTRY) is None
    assert matcher.match(typed) is None


def test_the_calls_own_protocol_wins_over_a_closer_wording_elsewhere(matcher):
    # Several complaint protocols ask "他有正常呼吸吗？"; on a call still in case entry, the
    # breathing question of case entry is the one meant.
    anywhere = matcher.match("病人还有呼吸吗")
    assert anywhere is not None and anywhere.protocol_id != "case_entry"
    on_the_path = matcher.match("病人还有呼吸吗", prefer_protocols=CASE_ENTRY)
    assert on_the_path is not None and on_the_path.protocol_id == "case_entry"


def test_outside_the_path_a_question_is_still_found(matcher):
    found = matcher.match("宝宝在哭吗", prefer_protocols=CASE_ENTRY)
    assert found is not None and (found.protocol_id, found.question_id) == ("pregnancy_childbirth", "q_baby_breathing")


def test_the_threshold_decides(matcher):
    strict = QuestionMatcher(load_protocol_set(DEFAULT_PROTOCOL_DIR), threshold=1.01)
    assert strict.match("病人还有呼吸吗", prefer_protocols=CASE_ENTRY) is None
    found = matcher.match("病人还有呼吸吗", prefer_protocols=CASE_ENTRY)
    assert found is not None and found.score >= MATCH_THRESHOLD


def test_chinese_is_compared_by_character_pairs_and_english_by_word_stems():
    assert "zh2:呼吸" in features("病人还有呼吸吗") and "zh2:患者" in features("病人还有呼吸吗")  # 病人 → 患者
    assert not any(f.startswith("zh2:") and "吗" in f for f in features("病人还有呼吸吗"))  # particles ignored
    assert set(features("Is he breathing?")) == set(features("does she breathe")) == {"en:breath"}
