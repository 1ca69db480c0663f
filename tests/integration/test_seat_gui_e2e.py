"""The seat's window against a real server process: a call from the phone switch to a dispatched ambulance.

Everything is real except the people: the server (``dispatch_server``, a child process on
127.0.0.1), the seat's sync client in its thread, the journal, the Qt bridge, the store
and the widgets. The phone switch and the ambulance's device are protocol clients
(``tests/integration/wsclient.py``). The dispatcher uses the keys: F5, F2, Ctrl+S, F8.
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QInputMethodEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.domain.model import CallState, SeatState, UnitStatus  # noqa: E402
from app.seat.commands import SeatCommands  # noqa: E402
from app.seat.journal import Journal  # noqa: E402
from app.seat.store import Link, SeatStore  # noqa: E402
from app.seat.sync import SyncClient  # noqa: E402
from widgets.clock import SeatClock  # noqa: E402
from widgets.main_window import MainWindow  # noqa: E402
from widgets.qt_bridge import SyncBridge  # noqa: E402

pytestmark = [pytest.mark.integration, pytest.mark.gui, pytest.mark.timeout(60)]
WAIT_MS = 10_000


@pytest.fixture
def live_seat(dispatch_server, tmp_path, qtbot):
    """The seat-1 window connected to the real server, online."""
    store = SeatStore()
    clock = SeatClock()
    bridge = SyncBridge(store, clock)
    journal = Journal(tmp_path / "journal-seat-1.sqlite")
    sync = SyncClient(dispatch_server.url, dispatch_server.tokens["seat-1"], journal, client_name="pytest-seat",
                      on_message=bridge.on_message, on_status=bridge.on_status, backoff_s=(0.1, 1.0))
    window = MainWindow(store, SeatCommands(sync), clock=clock, seat_id="seat-1", confirm_close=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    sync.start()
    try:
        qtbot.waitUntil(lambda: store.connection.link == Link.ONLINE and store.seat_id == "seat-1", timeout=WAIT_MS)
        yield window, store
    finally:
        sync.stop()
        journal.close()


def test_a_real_call_answered_with_f2_recorded_and_dispatched_with_f8(live_seat, dispatch_server, qtbot):
    window, store = live_seat
    switch = dispatch_server.client("switch-1")
    device = dispatch_server.client("dev-A1")

    qtbot.keyClick(window, Qt.Key.Key_F5)  # ready for calls
    qtbot.waitUntil(lambda: store.state.seats["seat-1"]["state"] == SeatState.READY, timeout=WAIT_MS)
    reply = switch.command("call.offered", {"call_id": "e2e-call-1", "caller_number": "13800138000",
                                            "caller_name": "张先生", "location_text": "南岸区南坪"})
    assert reply["type"] == "ack", reply
    qtbot.waitUntil(lambda: any(c["state"] == CallState.RINGING for c in store.my_calls()), timeout=WAIT_MS)

    qtbot.keyClick(window, Qt.Key.Key_F2)
    form = window.form
    assert form.callback.text() == "13800138000"
    qtbot.waitUntil(lambda: store.state.calls["e2e-call-1"]["state"] == CallState.ANSWERED, timeout=WAIT_MS)

    typed = QInputMethodEvent("", [])
    typed.setCommitString("南岸区南坪东路2号")
    form.address.setFocus()
    QApplication.sendEvent(form.address, typed)
    qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: form.incident_id in store.state.incidents, timeout=WAIT_MS)
    incident = store.state.incidents[form.incident_id]
    assert incident["address"] == "南岸区南坪东路2号" and incident["call_id"] == "e2e-call-1"

    board = window.board
    board.table.setFocus()
    board.select_unit("A1")
    qtbot.keyClick(window, Qt.Key.Key_F8)
    # The command is on its way; the board still shows what the server last said.
    assert board.is_pending("A1")
    assert board.status_shown("A1") == "Available"

    qtbot.waitUntil(lambda: board.status_shown("A1") == "Dispatched", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not board.is_pending("A1"), timeout=WAIT_MS)
    assert store.state.units["A1"]["incident_id"] == form.incident_id

    # The crew reports from the ambulance; the seat follows.
    reply = device.command("unit.status", {"unit_id": "A1", "status": UnitStatus.EN_ROUTE.value})
    assert reply["type"] == "ack", reply
    qtbot.waitUntil(lambda: board.status_shown("A1") == "En route", timeout=WAIT_MS)
    assert window.queue.incident_ids() == [form.incident_id]
    assert any(e["name"] == "unit.assigned" for e in dispatch_server.db_events())
