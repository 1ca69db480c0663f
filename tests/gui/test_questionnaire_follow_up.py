"""A stroke: the priority is sent as soon as face, arm, speech, diabetes and the onset are
known; then the result page asks the hospital's follow-up questions (blood thinner, seizure at
onset), which the dispatcher answers with a number or skips with one key (Esc). Every answer
is sent and listed for the crew; the determinant never changes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tests.gui.test_questionnaire import answer_call, press

pytestmark = pytest.mark.gui


def reach_stroke_priority(seat, qtbot):
    """Answer a call, go to stroke and key: awake, not struggling, face 1, arm 1, speech 1,
    diabetes no (2), last seen well within 4.5 h (1)."""
    panel = seat.window.triage
    answer_call(seat, qtbot)
    press(qtbot, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    panel.choose_complaint("stroke")
    for key in (Qt.Key.Key_1, Qt.Key.Key_2, Qt.Key.Key_1, Qt.Key.Key_1, Qt.Key.Key_1, Qt.Key.Key_2,
                Qt.Key.Key_1):
        press(qtbot, key)
    return panel


def test_after_a_stroke_determinant_the_hospital_questions_are_asked_and_recorded(triage_seat, qtbot):
    seat = triage_seat
    panel = reach_stroke_priority(seat, qtbot)

    # The priority went out before any follow-up: the unit can be sent now.
    assert panel.session.result.code == "04-A-3"
    [complete] = seat.sync.named("triage.complete")
    assert complete.args["priority"] == 1
    assert seat.window.form.priority.currentData() == 1
    assert panel.pages.currentIndex() == 2
    qtbot.waitUntil(panel.instructions.hasFocus)
    assert panel.follow_up_box.isVisibleTo(panel)
    assert "blood thinner" in panel.follow_up_question.text()
    answers_before = len(seat.sync.named("triage.answer"))

    press(qtbot, Qt.Key.Key_1)  # takes a blood thinner
    assert "seizure" in panel.follow_up_question.text()
    press(qtbot, Qt.Key.Key_2)  # no seizure at onset

    assert not panel.follow_up_box.isVisibleTo(panel)
    sent = [(s.args["question"], s.args["answer"]) for s in seat.sync.named("triage.answer")[answers_before:]]
    assert sent == [("q_anticoagulant", "yes"), ("q_seizure", "no")]
    assert [s.name for s in seat.sync.sent].index("triage.complete") < len(seat.sync.sent) - 2
    assert "Takes a blood thinner" in panel.facts.text()
    assert "No seizure at onset" in panel.facts.text()
    assert len(seat.sync.named("triage.complete")) == 1  # the determinant was never re-sent or changed
    assert panel.session.result.code == "04-A-3"
    # With the follow-ups done, number keys do nothing on the result page (no stray answers).
    press(qtbot, Qt.Key.Key_1)
    assert len(seat.sync.named("triage.answer")) == answers_before + 2


def test_one_key_skips_the_follow_ups_and_nothing_blocks_dispatch(triage_seat, qtbot):
    seat = triage_seat
    panel = reach_stroke_priority(seat, qtbot)
    qtbot.waitUntil(panel.instructions.hasFocus)
    answers_before = len(seat.sync.named("triage.answer"))
    assert panel.follow_up_box.isVisibleTo(panel)

    press(qtbot, Qt.Key.Key_Escape)

    assert not panel.follow_up_box.isVisibleTo(panel)
    assert panel.session.follow_up is None
    assert len(seat.sync.named("triage.answer")) == answers_before  # skipped: nothing invented
    assert panel.session.result.code == "04-A-3"
    # Backspace brings the skipped questions back.
    press(qtbot, Qt.Key.Key_Backspace)
    assert panel.follow_up_box.isVisibleTo(panel)
    assert "blood thinner" in panel.follow_up_question.text()
