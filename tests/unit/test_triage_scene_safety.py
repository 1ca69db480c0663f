"""The caller's 'the scene is safe' answer is remembered by the triage session, so the CPR
coach shows the safety steps as already confirmed instead of asking a second time."""

from __future__ import annotations

import shutil
from pathlib import Path

from app.triage import TriageSession, load_protocol_set
from app.triage.check import check_directory
from app.triage.loader import DEFAULT_PROTOCOL_DIR


def _walk(answers: list[tuple[str, str]]) -> TriageSession:
    session = TriageSession(load_protocol_set(DEFAULT_PROTOCOL_DIR))
    for question_id, key in answers:
        assert session.current is not None and session.current.id == question_id, session.current
        session.answer(key)
    return session


START = [("location_confirmed", "confirmed"), ("callback_number", "confirmed")]


def test_an_electric_shock_caller_who_says_the_power_is_off_has_confirmed_the_scene():
    session = _walk([*START, ("what_happened", "electrocution"), ("scene_safe", "safe"),
                     ("conscious", "no"), ("breathing_normally", "no")])
    assert session.arrest_recognised
    assert session.scene_confirmed_safe


def test_a_sudden_collapse_confirms_nothing_about_the_scene():
    session = _walk([*START, ("what_happened", "collapsed"), ("conscious", "no"), ("breathing_normally", "no")])
    assert session.arrest_recognised
    assert not session.scene_confirmed_safe


def test_going_back_over_the_safety_answer_forgets_the_confirmation():
    session = _walk([*START, ("what_happened", "electrocution"), ("scene_safe", "safe")])
    assert session.scene_confirmed_safe
    session.back()
    assert not session.scene_confirmed_safe


def test_a_scene_safe_flag_that_is_not_a_boolean_is_refused_with_its_line(tmp_path: Path):
    target = tmp_path / "protocols"
    shutil.copytree(DEFAULT_PROTOCOL_DIR, target)
    path = target / "case_entry.yaml"
    text = path.read_text(encoding="utf-8")
    assert "scene_safe: true" in text
    path.write_text(text.replace("scene_safe: true", "scene_safe: maybe", 1), encoding="utf-8")
    protocol_set, problems = check_directory(target)
    assert protocol_set is None
    assert any("case_entry.yaml:" in str(p) and "scene_safe" in str(p) for p in problems), problems
