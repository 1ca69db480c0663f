"""F1: the dispatcher finds every key of the seat in one searchable list, in Chinese and English."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QWidget

from tests.gui.conftest import ime_type
from widgets.i18n_runtime import CHINESE, ENGLISH, LanguageSwitcher

pytestmark = pytest.mark.gui

NATIVE = QKeySequence.SequenceFormat.NativeText


@pytest.fixture
def languages(styled_app):
    switcher = LanguageSwitcher()
    yield switcher
    switcher.set_language(ENGLISH)  # leave the application as the other tests expect it


def open_list(seat, qtbot):
    qtbot.keyClick(seat.window, Qt.Key.Key_F1)
    dialog = seat.window.shortcut_help.dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.isVisible() and dialog.filter.hasFocus())
    return dialog


def rows(dialog) -> list[tuple[str, str, str]]:
    """The rows the dispatcher sees: (key, action, where)."""
    table = dialog.table
    return [tuple(table.item(row, col).text() for col in range(3))
            for row in range(table.rowCount()) if not table.isRowHidden(row)]


def keyed_actions(window) -> list[QAction]:
    """Every action with a key that the seat's windows hold (found without the dialog's code)."""
    found = {id(a): a for a in window.findChildren(QAction)}
    for widget in (window, *window.findChildren(QWidget)):
        found.update({id(a): a for a in widget.actions()})
    for desk in window.workspace.desks.values():
        found.update({id(a): a for a in desk.findChildren(QAction)})
    return [a for a in found.values() if not a.shortcut().isEmpty()]


def test_f1_lists_every_shortcut_the_window_has_with_its_key(seat, qtbot):
    dialog = open_list(seat, qtbot)
    shown = rows(dialog)
    keys_shown = {key for key, _text, _where in shown}

    actions = keyed_actions(seat.window)
    assert len(actions) >= 20
    for action in actions:
        keys = ", ".join(k.toString(NATIVE) for k in action.shortcuts())
        text = action.text().replace("&", "")
        assert any(key == keys and (not text or row_text == text) for key, row_text, _ in shown), (keys, text)
    # The keys of an arrest, chest-pain, stroke and collision call are all there.
    for key in ("F1", "F2", "F4", "F5", "F8", "Ctrl+F8", "Ctrl+T", "Ctrl+K", "Ctrl+Shift+H", "F11", "Ctrl+2"):
        assert any(key in shown_key.split(", ") for shown_key in keys_shown), key
    assert len(shown) == len(dialog.entries)  # nothing typed: nothing hidden


def test_a_new_action_on_a_panel_appears_in_the_list_without_editing_it(seat, qtbot):
    extra = QAction("Call the duty doctor", seat.window.board)
    extra.setShortcut(QKeySequence("Ctrl+Shift+9"))
    seat.window.board.addAction(extra)

    dialog = open_list(seat, qtbot)

    assert any(text == "Call the duty doctor" for _key, text, _where in rows(dialog))


def test_typing_filters_the_list_by_action_key_or_place(seat, qtbot):
    dialog = open_list(seat, qtbot)
    everything = rows(dialog)

    qtbot.keyClicks(dialog.filter, "hang up")
    qtbot.waitUntil(lambda: len(rows(dialog)) < len(everything))
    assert [(key, text) for key, text, _ in rows(dialog)] == [("F4", "Hang up")]

    dialog.filter.clear()
    qtbot.keyClicks(dialog.filter, "ctrl+shift")
    shift_rows = rows(dialog)
    assert shift_rows and all("Ctrl+Shift" in key for key, _, _ in shift_rows)
    assert len(shift_rows) == sum("Ctrl+Shift" in key for key, _, _ in everything)

    dialog.filter.clear()
    qtbot.keyClicks(dialog.filter, "no such key anywhere")
    assert rows(dialog) == []
    assert dialog.count.text().startswith("0 of ")

    dialog.filter.clear()
    assert rows(dialog) == everything


def test_the_list_speaks_chinese_and_filters_on_chinese_words(seat, qtbot, languages):
    assert languages.set_language(CHINESE)
    dialog = open_list(seat, qtbot)

    assert dialog.windowTitle() == "键盘快捷键"
    assert ("F2", "接听") in [(key, text) for key, text, _ in rows(dialog)]
    ime_type(dialog.filter, "挂断")
    qtbot.waitUntil(lambda: [key for key, _, _ in rows(dialog)] == ["F4"])

    assert languages.set_language(ENGLISH)
    dialog.filter.clear()
    qtbot.waitUntil(lambda: ("F2", "Answer") in [(key, text) for key, text, _ in rows(dialog)])
    assert dialog.windowTitle() == "Keyboard shortcuts"


def test_escape_closes_the_list_and_the_keyboard_goes_back_where_it_was(seat, qtbot):
    seat.window.call_panel.my_calls.setFocus()
    qtbot.waitUntil(seat.window.call_panel.my_calls.hasFocus)
    dialog = open_list(seat, qtbot)

    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)

    qtbot.waitUntil(lambda: not dialog.isVisible())
    qtbot.waitUntil(seat.window.call_panel.my_calls.hasFocus)
