"""The triage questionnaire: keyboard first, every answer audited, a cardiac arrest reaches
the CPR coach in a handful of keystrokes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.triage import DEFAULT_PROTOCOL_DIR
from tests.gui.conftest import SEAT

pytestmark = pytest.mark.gui

PROTOCOL_DIR = DEFAULT_PROTOCOL_DIR


def press(qtbot, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """One keystroke, where the keyboard focus is (as the dispatcher types)."""
    target = QApplication.focusWidget()
    assert target is not None
    qtbot.keyClick(target, key, modifier)


def answer_call(seat, qtbot) -> None:
    seat.server.ring("c1", "13800138000", location_text="渝中区较场口")
    qtbot.keyClick(seat.window, Qt.Key.Key_F2)
    seat.server.event("call.answered", call_id="c1", seat_id=SEAT)
    qtbot.waitUntil(seat.window.triage.answers.hasFocus)  # the first digit answers the first question


def test_a_cardiac_arrest_call_goes_from_answer_to_the_cpr_coach_in_five_keystrokes(triage_seat, qtbot):
    seat = triage_seat
    panel = seat.window.triage
    answer_call(seat, qtbot)

    keys = [
        (Qt.Key.Key_1, None),  # location confirmed (F2 left the keyboard on this question)
        # (the callback number comes from the switch: not asked)
        (Qt.Key.Key_2, None),  # what happened: collapsed
        (Qt.Key.Key_2, None),  # conscious: no
        (Qt.Key.Key_2, None),  # breathing normally: no -> arrest
    ]
    for key, modifier in keys:
        press(qtbot, key, modifier or Qt.KeyboardModifier.NoModifier)

    assert len(keys) <= 5
    assert panel.pages.currentWidget() is panel.coach
    qtbot.waitUntil(panel.coach.hasFocus)
    sent = [s.name for s in seat.sync.sent]
    # The incident exists before its first answer, and the arrest is recorded at once.
    assert sent.index("incident.create") < sent.index("triage.answer")
    assert "triage.arrest_recognised" in sent
    incident_id = seat.sync.named("incident.create")[0].args["incident_id"]
    assert {s.args["incident_id"] for s in seat.sync.named("triage.answer")} == {incident_id}
    answered = [(s.args["question"], s.args["answer"]) for s in seat.sync.named("triage.answer")]
    assert answered.index(("conscious", "no")) + 1 == answered.index(("breathing_normally", "no"))

    press(qtbot, Qt.Key.Key_Space)  # the caller starts pushing
    [started] = seat.sync.named("cpr.started")
    assert started.args == {"incident_id": incident_id, "rate_per_min": 110, "variant": "adult"}
    press(qtbot, Qt.Key.Key_Plus)
    assert panel.coach.metronome.rate_per_min == 115
    assert seat.sync.named("cpr.started")[-1].args["rate_per_min"] == 115
    panel.coach.stop_compressions("ems_arrived")


def test_number_keys_answer_backspace_goes_back_and_every_answer_is_sent(triage_seat, qtbot):
    seat = triage_seat
    panel = seat.window.triage
    answer_call(seat, qtbot)
    press(qtbot, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    first = panel.session.current.id

    press(qtbot, Qt.Key.Key_1)
    second = panel.session.current.id
    assert second != first
    # The address, and the callback number the switch delivered (on the route, not asked).
    assert [s.args["question"] for s in seat.sync.named("triage.answer")] == [first, "callback_number"]

    press(qtbot, Qt.Key.Key_Backspace)
    assert panel.session.current.id == first
    # Down + Enter confirms the highlighted answer, the same as its number.
    press(qtbot, Qt.Key.Key_Down)
    press(qtbot, Qt.Key.Key_Return)
    assert panel.session.current.id == second
    assert [s.args["answer"] for s in seat.sync.named("triage.answer") if s.args["question"] == first] == [
        panel.session.protocol_set.case_entry.questions[first].answers[0].key,
        panel.session.protocol_set.case_entry.questions[first].answers[1].key,
    ]
    assert "question 3 of" in panel.breadcrumb.text()


def test_changing_the_chief_complaint_keeps_the_answers_that_still_apply(triage_seat, qtbot):
    seat = triage_seat
    panel = seat.window.triage
    answer_call(seat, qtbot)
    press(qtbot, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    for key in (Qt.Key.Key_1, Qt.Key.Key_1, Qt.Key.Key_1):  # location, callback, "described"
        press(qtbot, key)
    case_answers = dict(panel.session.answers["case_entry"])

    press(qtbot, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: panel.picker is not None and panel.picker.isVisible())
    qtbot.keyClicks(panel.picker.filter, "stroke")
    qtbot.keyClick(panel.picker.filter, Qt.Key.Key_Return)

    assert panel.session.protocol.id == "stroke"
    assert panel.session.answers["case_entry"] == case_answers
    assert "stroke" not in panel.breadcrumb.text().lower() or panel.session.complaint is not None
    # Back to the case entry with one Backspace: the complaint change is undone, answers stay.
    qtbot.waitUntil(panel.answers.hasFocus)
    press(qtbot, Qt.Key.Key_Backspace)
    assert panel.session.protocol.is_case_entry
    assert panel.session.answers["case_entry"] == case_answers


def test_reaching_a_determinant_sends_the_result_and_fills_the_incident_priority(triage_seat, qtbot):
    seat = triage_seat
    panel = seat.window.triage
    answer_call(seat, qtbot)
    press(qtbot, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    panel.choose_complaint("stroke")
    guard = 0
    while panel.session.result is None and guard < 40:  # first answer each time
        press(qtbot, Qt.Key.Key_1)
        guard += 1
    result = panel.session.result
    assert result is not None
    [complete] = seat.sync.named("triage.complete")
    assert complete.args["determinant"] == result.code
    assert complete.args["priority"] == result.priority
    assert complete.args["plan"] == result.plan.id
    assert seat.window.form.priority.currentData() == result.priority
    assert not seat.window.form.has_unsaved_changes() or seat.window.form.values()["priority"] == result.priority
    assert panel.pages.currentIndex() == 2
    assert result.code in panel.determinant.text()
