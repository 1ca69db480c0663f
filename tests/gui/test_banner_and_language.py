"""The banner (link, pending commands, training, seat state) and the run-time language switch."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer

from app.seat.store import ConnectionStatus, Link
from tests.gui.conftest import SEAT
from widgets.i18n_runtime import CHINESE, ENGLISH, LanguageSwitcher
from widgets.labels import LINK_COLOURS

pytestmark = pytest.mark.gui

TS_FILE = Path(__file__).resolve().parents[2] / "i18n" / "dispatch120_zh_CN.ts"


@pytest.fixture
def languages(styled_app):
    switcher = LanguageSwitcher()
    yield switcher
    switcher.set_language(ENGLISH)  # leave the application as the other tests expect it


def test_offline_banner_is_red_and_shows_the_pending_count(seat):
    banner = seat.window.banner

    seat.store.set_connection(ConnectionStatus(Link.OFFLINE, pending=3, detail="connection refused", retry_in_s=4))

    assert banner.link_label.text() == "OFFLINE"
    assert "3 command(s) waiting to be sent" in banner.pending_label.text()
    assert "retry in 4 s" in banner.pending_label.text()
    assert banner.property("link") == "offline"
    assert LINK_COLOURS[Link.OFFLINE].background in banner.styleSheet()
    assert "connection refused" in banner.link_label.toolTip()


def test_back_online_the_banner_turns_green_and_the_count_goes(seat):
    banner = seat.window.banner
    seat.store.set_connection(ConnectionStatus(Link.OFFLINE, pending=2))
    seat.store.set_connection(ConnectionStatus(Link.SYNCING, pending=2))
    assert banner.link_label.text() == "SYNCING"
    assert "2 command(s) being sent" in banner.pending_label.text()

    seat.store.set_connection(ConnectionStatus(Link.ONLINE, pending=0))

    assert banner.link_label.text() == "ONLINE"
    assert banner.pending_label.text() == ""
    assert LINK_COLOURS[Link.ONLINE].background in banner.styleSheet()


def test_f5_asks_to_be_ready_and_the_banner_follows_the_server(seat, qtbot):
    seat.server.event("seat.state_changed", seat_id=SEAT, state="not_ready", reason="break")
    banner = seat.window.banner
    assert banner.seat_state_label.text() == "Not ready (break)"

    qtbot.keyClick(seat.window, Qt.Key.Key_F5)

    assert [s.args for s in seat.sync.named("seat.set_ready")] == [{"ready": True}]
    assert banner.seat_state_label.text() == "Not ready (break)"  # until the server says so
    seat.server.event("seat.state_changed", seat_id=SEAT, state="ready", reason=None)
    assert banner.seat_state_label.text() == "Ready"
    assert seat.window.ready_action.text() == "Set not ready"


def test_training_is_marked_in_the_banner_and_the_title(seat, qtbot):
    from app.seat.commands import SeatCommands
    from widgets.main_window import MainWindow

    assert not seat.window.banner.training_label.isVisible()
    training = MainWindow(seat.store, SeatCommands(seat.sync), training=True, confirm_close=False)
    qtbot.addWidget(training)
    training.show()
    qtbot.waitExposed(training)

    assert training.banner.training_label.isVisible()
    assert "TRAINING" in training.banner.training_label.text()
    assert "TRAINING" in training.windowTitle()


def test_the_whole_window_has_one_timer_that_ticks_once_a_second(seat):
    timers = [t for t in seat.window.findChildren(QTimer) if t.isActive() and t.interval() == 1000]
    assert timers == [seat.window.timer]


def test_switching_language_changes_the_visible_texts_without_a_restart(seat, languages):
    window = seat.window
    seat.server.ring("c1", "13800138000")
    assert window.call_panel.answer_action.text() == "Answer"
    assert window.banner.link_label.text() == "ONLINE"

    assert languages.set_language(CHINESE)

    assert window.call_panel.answer_action.text() == "接听"
    assert window.call_panel.answer_action.toolTip() == "接听 (F2)"
    assert window.banner.link_label.text() == "在线"
    assert window.board.status_shown("u1") == "待命"
    assert window.incident_menu.title() == "事件(&I)"
    assert window.form._labels["address"].text() == "地址(&A)"
    assert "振铃" in window.call_panel.my_calls.item(0).text()

    assert languages.set_language(ENGLISH)

    assert window.call_panel.answer_action.text() == "Answer"
    assert window.board.status_shown("u1") == "Available"


def test_the_language_menu_and_ctrl_l_switch_language(seat, languages, qtbot):
    from app.seat.commands import SeatCommands
    from widgets.main_window import MainWindow

    window = MainWindow(seat.store, SeatCommands(seat.sync), languages=languages, confirm_close=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    assert window.language_menu.title() == "语言 / Language"  # the same in every language

    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert languages.language == CHINESE
    assert window.language_actions[CHINESE].isChecked()
    assert window.units_menu.title() == "车辆(&U)"

    window.language_actions[ENGLISH].trigger()
    assert languages.language == ENGLISH
    assert window.units_menu.title() == "&Units"


def test_a_missing_catalogue_falls_back_to_english_with_a_warning(tmp_path, styled_app, caplog):
    switcher = LanguageSwitcher(qm_dir=tmp_path / "qm", ts_dir=tmp_path / "ts")

    assert switcher.set_language(CHINESE) is False

    assert switcher.language == ENGLISH
    assert any("showing English" in r.getMessage() for r in caplog.records)


def test_a_stale_catalogue_is_compiled_from_its_source_on_the_fly(tmp_path, styled_app):
    ts_dir = tmp_path / "ts"
    ts_dir.mkdir()
    (ts_dir / "dispatch120_zh_CN.ts").write_bytes(TS_FILE.read_bytes())
    switcher = LanguageSwitcher(qm_dir=tmp_path / "qm", ts_dir=ts_dir)
    try:
        assert switcher.set_language(CHINESE)
        assert (tmp_path / "qm" / "dispatch120_zh_CN.qm").exists()
    finally:
        switcher.set_language(ENGLISH)


def test_every_string_has_a_finished_chinese_translation_keeping_its_placeholders():
    root = ET.parse(TS_FILE).getroot()
    problems = []
    for context in root.iter("context"):
        for message in context.iter("message"):
            source = message.findtext("source")
            translation = message.find("translation")
            if translation.get("type") in ("obsolete", "vanished"):
                continue
            forms = [f.text or "" for f in translation.iter("numerusform")] or [translation.text or ""]
            if translation.get("type") == "unfinished" or not all(f.strip() for f in forms):
                problems.append(f"untranslated: {source!r}")
                continue
            wanted = sorted(re.findall(r"%(?:\d|n)", source))
            for form in forms:
                if sorted(set(re.findall(r"%(?:\d|n)", form))) != sorted(set(wanted)):
                    problems.append(f"placeholders differ: {source!r} -> {form!r}")
    assert problems == []


def test_commands_refused_while_away_are_shown_and_forgotten_once_dismissed(seat, qtbot):
    from app.seat.journal import RejectedCommand

    refused = RejectedCommand("cmd-7", "unit.assign", {"incident_id": "x", "unit_id": "u1"}, "2026-11-27T01:00:00.000Z",
                              1, "2026-11-27T01:00:01.000Z", "unit_busy", "unit 120-01 is dispatched")
    dismissed: list[str] = []

    seat.window.show_rejected([refused], dismissed.append)

    text = seat.window.messages.current_text
    assert "Unit assignment" in text and "The unit is not available" in text and "120-01 is dispatched" in text
    assert dismissed == []
    qtbot.mouseClick(seat.window.messages._dismiss, Qt.MouseButton.LeftButton)
    assert dismissed == ["cmd-7"]
    assert seat.window.messages.current_text == ""
