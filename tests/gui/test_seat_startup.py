"""The seat paints first and builds its heavy panels after: calls are answered while the map loads.

``MainWindow(defer_panels=True)`` is what ``dispatch120`` starts (``app.__main__.seat_session``):
the calls, the form, the open incidents and the unit board are built with the window; the triage
questionnaire, the caller's location box, the caller link, the suggestions, the vitals monitors
and the map are built after the first paint, one per turn of the event loop, in docks that exist
from the start so that the saved arrangement comes back. A call answered before the triage
panel's turn builds it at once: its first question is on screen with the call.
Here the map page's load is held (``MapView.start`` does not load it), so the map is never
ready while the dispatcher answers calls.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.seat.commands import SeatCommands
from app.seat.store import SeatStore
from maps.view import MapView
from tests.gui.conftest import SEAT, RecordingSync, Server
from widgets.clock import SeatClock
from widgets.main_window import DEFERRED_ORDER, MainWindow

pytestmark = pytest.mark.gui


@pytest.fixture
def held_map(monkeypatch) -> list[MapView]:
    """The map views asked to load their page; none of them loads it."""
    asked: list[MapView] = []
    monkeypatch.setattr(MapView, "start", lambda view: asked.append(view))
    return asked


def make_seat(qtbot, *, layout_path=None):
    from datetime import UTC, datetime

    store = SeatStore()
    sync = RecordingSync()
    server = Server(store, datetime(2026, 11, 27, 2, 0, 0, tzinfo=UTC))
    server.registry()
    server.welcome()
    server.online()
    server.event("seat.state_changed", seat_id=SEAT, state="ready", reason=None)
    window = MainWindow(store, SeatCommands(sync), clock=SeatClock(now=lambda: server.now), confirm_close=False,
                        seat_id=SEAT, show_map=True, layout_path=layout_path, defer_panels=True)
    qtbot.addWidget(window)
    return window, sync, server


def show_active(qtbot, window) -> None:
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)


def test_the_heavy_panels_wait_for_the_first_paint_in_docks_that_already_exist(qtbot, styled_app, held_map):
    window, _sync, _server = make_seat(qtbot)

    assert window.panels_pending == list(DEFERRED_ORDER)
    assert window.map_dock is None and not hasattr(window, "vitals_wall") and window.triage is None
    docks_before = {key: window.docks[key] for key in ("map", "vitals", "suggestions", "triage", "caller_link")}
    assert not docks_before["vitals"].isVisibleTo(window)  # shown when a unit is watched
    assert not docks_before["caller_link"].isVisibleTo(window)  # shown when a link is sent

    show_active(qtbot, window)
    qtbot.waitUntil(lambda: not window.panels_pending, timeout=30_000)

    assert {key: window.docks[key] for key in docks_before} == docks_before  # the same docks, now filled
    assert window.docks["map"].widget().findChild(type(window.map_dock)) is window.map_dock
    assert window.docks["vitals"].widget() is window.vitals_wall
    assert window.docks["caller_link"].widget() is window.caller_link
    assert window.docks["triage"].widget().findChild(type(window.triage)) is window.triage
    assert window.recommendation is not None and window.location_box is not None
    assert held_map == [window.map_dock.view]
    assert not window.docks["caller_link"].isVisible()


def test_a_call_answered_before_the_triage_panel_is_built_shows_its_first_question_for_the_first_digit(
        qtbot, styled_app, held_map, protocol_library, monkeypatch):
    import widgets.questionnaire

    monkeypatch.setattr(widgets.questionnaire, "shared_library", lambda: protocol_library)
    # The panels wait for their turn after the first paint; this dispatcher answers before it comes.
    monkeypatch.setattr(MainWindow, "_start_building_panels", lambda window: None)
    window, sync, server = make_seat(qtbot)
    show_active(qtbot, window)
    server.ring("c1", "13800138000", location_text="渝中区较场口")
    assert window.triage is None and "triage" in window.panels_pending

    qtbot.keyClick(window, Qt.Key.Key_F2)
    server.event("call.answered", call_id="c1", seat_id=SEAT)

    panel = window.triage
    assert [a.args for a in sync.named("call.answer")] == [{"call_id": "c1"}]
    assert panel is not None and "triage" not in window.panels_pending
    assert window.docks["triage"].widget().findChild(type(panel)) is panel
    qtbot.waitUntil(panel.answers.hasFocus)
    assert panel.session.current.id == "location_confirmed"

    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_1)  # the address is confirmed

    assert panel.session.answers["case_entry"]["location_confirmed"] == "confirmed"
    assert window.form.address.text() == ""
    assert window.panels_pending[0] == "protocols"  # the other panels keep their turn


def test_a_call_is_answered_with_f2_while_the_map_page_has_not_loaded(qtbot, styled_app, held_map):
    window, sync, server = make_seat(qtbot)
    show_active(qtbot, window)
    server.ring("c1", "13800138000", caller_name="张先生")

    qtbot.keyClick(window, Qt.Key.Key_F2)

    assert [a.args for a in sync.named("call.answer")] == [{"call_id": "c1"}]
    assert window.form.call_id == "c1"
    assert window.map_dock is None or not window.map_dock.view.is_ready

    server.event("call.answered", call_id="c1", seat_id=SEAT)
    qtbot.waitUntil(lambda: window.map_dock is not None, timeout=30_000)
    server.event("call.ended", call_id="c1")  # the caller hangs up; the next call rings, the map still waits
    server.ring("c2", "13900139000")
    qtbot.keyClick(window, Qt.Key.Key_F2)

    assert [a.args["call_id"] for a in sync.named("call.answer")] == ["c1", "c2"]
    assert not window.map_dock.view.is_ready and held_map == [window.map_dock.view]


def test_the_vitals_dock_shown_in_the_saved_layout_stays_shown_once_its_monitors_are_built(
        qtbot, styled_app, held_map, tmp_path):
    layout = tmp_path / "layout.json"
    first, _sync, _server = make_seat(qtbot, layout_path=layout)
    show_active(qtbot, first)
    qtbot.waitUntil(lambda: not first.panels_pending, timeout=30_000)
    first.vitals_dock.show()
    first.close()  # saves the arrangement
    assert layout.exists()

    again, _sync, _server = make_seat(qtbot, layout_path=layout)
    show_active(qtbot, again)
    qtbot.waitUntil(lambda: not again.panels_pending, timeout=30_000)

    assert again.docks["vitals"].widget() is again.vitals_wall
    assert again.vitals_dock.isVisible()
