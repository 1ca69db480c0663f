"""Keyboard first: after answering, and after every answer, the next keystroke goes where the call is."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.triage import DEFAULT_PROTOCOL_DIR, ProtocolLibrary
from tests.gui.conftest import SEAT

pytestmark = pytest.mark.gui


def type_key(qtbot, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """One keystroke where the keyboard focus is, as the dispatcher types."""
    target = QApplication.focusWidget()
    assert target is not None
    qtbot.keyClick(target, key, modifier)


def answer_call(seat, qtbot) -> None:
    seat.server.ring("c1", "13800138000", location_text="渝中区较场口")
    qtbot.keyClick(seat.window, Qt.Key.Key_F2)
    seat.server.event("call.answered", call_id="c1", seat_id=SEAT)


def test_after_f2_the_first_digit_answers_the_first_question_and_does_not_land_in_the_address(triage_seat, qtbot):
    seat = triage_seat
    panel = seat.window.triage
    answer_call(seat, qtbot)

    qtbot.waitUntil(panel.answers.hasFocus)
    assert panel.session.current.id == "location_confirmed"
    type_key(qtbot, Qt.Key.Key_1)  # address confirmed

    assert seat.window.form.address.text() == ""
    assert panel.session.answers["case_entry"]["location_confirmed"] == "confirmed"


def test_after_each_answer_the_keyboard_waits_on_the_next_question(triage_seat, qtbot):
    seat = triage_seat
    panel = seat.window.triage
    answer_call(seat, qtbot)
    qtbot.waitUntil(panel.answers.hasFocus)
    asked = [panel.session.current.id]
    # Address confirmed, callback confirmed, something else happened, adult, male, awake.
    for key in (Qt.Key.Key_1, Qt.Key.Key_1, Qt.Key.Key_1, Qt.Key.Key_3, Qt.Key.Key_1, Qt.Key.Key_1):
        type_key(qtbot, key)
        qtbot.waitUntil(panel.answers.hasFocus)
        asked.append(panel.session.current.id)

    assert len(set(asked)) == len(asked), asked  # every key answered a new question
    assert seat.window.form.address.text() == "" and seat.window.form.description.toPlainText() == ""


def test_typing_the_address_then_enter_hands_the_keyboard_back_to_the_question(triage_seat, qtbot):
    seat = triage_seat
    panel = seat.window.triage
    answer_call(seat, qtbot)
    qtbot.waitUntil(panel.answers.hasFocus)

    type_key(qtbot, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)  # Ctrl+2: the form's first empty field
    qtbot.waitUntil(seat.window.form.address.hasFocus)
    qtbot.keyClicks(seat.window.form.address, "Jiefangbei 12")
    type_key(qtbot, Qt.Key.Key_Return)

    qtbot.waitUntil(panel.answers.hasFocus)
    assert seat.window.form.address.text() == "Jiefangbei 12"
    type_key(qtbot, Qt.Key.Key_1)
    assert panel.session.answers["case_entry"]["location_confirmed"] == "confirmed"


def test_without_protocols_the_answered_call_keeps_the_cursor_in_the_address(monkeypatch, request, qtbot):
    import widgets.questionnaire

    broken = ProtocolLibrary(DEFAULT_PROTOCOL_DIR / "no-such-directory")
    assert broken.current is None
    monkeypatch.setattr(widgets.questionnaire, "shared_library", lambda: broken)
    seat = request.getfixturevalue("seat")
    answer_call(seat, qtbot)

    qtbot.waitUntil(seat.window.form.address.hasFocus)
