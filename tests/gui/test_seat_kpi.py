"""My shift (Ctrl+Shift+M): the dispatcher sees their own figures of the shift beside the targets,
in words as well as colour, and in Chinese; the key is in the F1 list like every other.

The figures come from the server's own code (``server_stub.kpi_route``: the shift's report and the
seat's part of it) over events built here, so the formulas are the real ones.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt

from app.protocol import format_ts
from app.records.kpi import Period, fold
from server_stub.kpi_route import part_for, shift_report
from tests.gui.conftest import SEAT
from widgets.i18n_runtime import CHINESE, ENGLISH, LanguageSwitcher
from widgets.seat_kpi import MY_SHIFT_ROWS

pytestmark = pytest.mark.gui

# 10:00 in Beijing: the day shift (08:00–20:00) of 27 Nov 2026.
OFFERED = datetime(2026, 11, 27, 2, 0, 0, tzinfo=UTC)


def _shift_events() -> list[tuple[str, str, dict]]:
    """Two calls at this seat: one answered in 4 s (an incident, a unit 70 s after answering, out
    in 60 s), one answered in 12 s; a third, at another seat, answered in 3 s."""
    def at(seconds: float) -> str:
        return format_ts(OFFERED + timedelta(seconds=seconds))

    return [
        ("call.received", at(0), {"call_id": "c-1"}),
        ("call.answered", at(4), {"call_id": "c-1", "seat_id": SEAT}),
        ("incident.created", at(30), {"incident_id": "i-1", "call_id": "c-1", "seat_id": SEAT, "priority": 1}),
        ("unit.assigned", at(74), {"incident_id": "i-1", "unit_id": "A1"}),
        ("unit.status_changed", at(134), {"unit_id": "A1", "status": "en_route", "incident_id": "i-1"}),
        ("call.received", at(600), {"call_id": "c-2"}),
        ("call.answered", at(612), {"call_id": "c-2", "seat_id": SEAT}),
        ("call.received", at(900), {"call_id": "c-3"}),
        ("call.answered", at(903), {"call_id": "c-3", "seat_id": "seat-2"}),
    ]


def _fetcher(asked: list):
    def fetch(shift, seq):
        asked.append((shift, seq))
        day = shift.start.date()
        period = Period.make(day, day + timedelta(days=1), "Asia/Shanghai")
        return part_for("seat", SEAT, shift_report(fold(_shift_events()), period, shift.name))
    return fetch


def _row(view, key: str) -> list[str]:
    row = MY_SHIFT_ROWS.index(key)
    return [view.table.item(row, column).text() for column in range(view.table.columnCount())]


def test_ctrl_shift_m_shows_my_shift_against_the_targets(seat, qtbot):
    asked: list = []
    my_shift = seat.window.my_shift
    my_shift.fetcher = _fetcher(asked)
    my_shift.now = lambda: OFFERED + timedelta(hours=1)

    qtbot.keyClick(seat.window, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)

    qtbot.waitUntil(lambda: my_shift.view is not None and my_shift.view.report is not None)
    view = my_shift.view
    assert my_shift.dialog.isVisible() and asked[0][0].name == "2026-11-27 08:00"
    assert asked[0][1] == seat.store.state.seq  # the events this seat has seen must be in the answer
    assert "08:00–20:00" in view.heading.text() and SEAT in view.heading.text()
    assert _row(view, "calls_answered")[1] == "2" and _row(view, "calls_answered")[4] == "3"
    assert _row(view, "answered_within_10s_rate")[1:4] == ["50.0 %  (1/2)", "≥ 95 %", "missed"]
    assert _row(view, "answered_within_10s_rate")[4] == "66.7 %"
    assert _row(view, "call_processing_s")[1:4] == ["70.0 s (p90 70.0 s)  (n = 1)", "≤ 60 s", "missed"]
    assert _row(view, "departure_within_3min_rate")[1:4] == ["100.0 %  (1/1)", "≥ 95 %", "met"]
    assert _row(view, "time_to_first_compression_s")[1] == "–"
    assert "Updated" in view.status.text()


def test_my_shift_says_why_it_has_no_figures(seat, qtbot):
    my_shift = seat.window.my_shift

    def refused(shift, seq):
        raise OSError("connection refused")

    my_shift.fetcher = refused
    my_shift.action.trigger()
    qtbot.waitUntil(lambda: "connection refused" in my_shift.view.status.text())
    assert _row(my_shift.view, "answered_within_10s_rate")[1] == "–"


def test_my_shift_is_in_the_seat_menu_and_in_chinese(seat, qtbot):
    assert my_shift_in(seat.window.seat_menu.actions(), seat.window.my_shift.action)
    switcher = LanguageSwitcher()
    try:
        assert switcher.set_language(CHINESE)
        seat.window.my_shift.fetcher = _fetcher([])
        seat.window.my_shift.now = lambda: OFFERED
        seat.window.my_shift.action.trigger()
        view = seat.window.my_shift.view
        qtbot.waitUntil(lambda: view.report is not None)
        assert seat.window.my_shift.action.text().startswith("本班指标")
        assert _row(view, "answered_within_10s_rate")[0] == "10秒接听率"
        assert _row(view, "answered_within_10s_rate")[3] == "未达标"
        assert seat.window.my_shift.dialog.windowTitle() == "本班指标"
    finally:
        switcher.set_language(ENGLISH)


def my_shift_in(actions, action) -> bool:
    return action in actions and action.shortcut().toString() == "Ctrl+Shift+M"
