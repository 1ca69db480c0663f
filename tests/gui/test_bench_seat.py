"""The triage bench and the screenshot tool lay the seat out at the size they ask for."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSize
from PySide6.QtWidgets import QApplication

from bench.triage_gui import build_seat

pytestmark = pytest.mark.gui


def test_the_bench_seat_takes_the_size_it_asks_for_not_its_screens(qtbot):
    screen = QApplication.primaryScreen().availableGeometry().size()
    wanted = QSize(screen.width() + 317, screen.height() + 123)  # a size no maximised window has here

    window, _store, _loop = build_seat(size=(wanted.width(), wanted.height()))
    qtbot.addWidget(window)

    qtbot.waitUntil(lambda: window.size() == wanted)
    assert not window.isMaximized()
    assert window.docks["triage"].isVisible()


def test_leaving_the_cpr_coach_with_escape_puts_the_keyboard_back_on_the_question(qtbot):
    from PySide6.QtCore import Qt

    from app.triage import DEFAULT_PROTOCOL_DIR

    window, _store, loop = build_seat(DEFAULT_PROTOCOL_DIR)
    qtbot.addWidget(window)
    loop.ring("c-esc", "13800138000", "渝中区较场口")
    qtbot.keyClick(window, Qt.Key.Key_F2)
    panel = window.triage
    # Start triage; location confirmed (the callback number comes from the switch); sudden collapse;
    # not conscious; not breathing.
    for key in (Qt.Key.Key_T, Qt.Key.Key_1, Qt.Key.Key_2, Qt.Key.Key_2, Qt.Key.Key_2):
        modifier = Qt.KeyboardModifier.ControlModifier if key == Qt.Key.Key_T else Qt.KeyboardModifier.NoModifier
        qtbot.keyClick(QApplication.focusWidget() or window, key, modifier)
    qtbot.waitUntil(lambda: panel.pages.currentWidget() is panel.coach and window.workspace.on_floor)

    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_Escape)  # back to the age question

    qtbot.waitUntil(lambda: not window.workspace.on_floor and panel.pages.currentWidget() is not panel.coach)
    focused = QApplication.focusWidget()
    assert focused is not None and panel.isAncestorOf(focused), type(focused).__name__
    qtbot.keyClick(focused, Qt.Key.Key_1)  # the next keystroke answers the question, not the address box
    qtbot.waitUntil(lambda: "q_age" in panel.session.answers.get("cardiac_arrest", {}))
