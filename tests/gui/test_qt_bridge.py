"""The bridge from the sync client's thread to the GUI thread, and the seat's clock."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from app.protocol import error, event, format_ts, welcome
from app.seat.store import ConnectionStatus, Link, SeatStore
from widgets.clock import SeatClock
from widgets.qt_bridge import SyncBridge

pytestmark = pytest.mark.gui

T0 = datetime(2026, 11, 27, 2, 0, 0, tzinfo=UTC)


def call_received(seq: int, call_id: str) -> dict:
    return event(seq=seq, ts=format_ts(T0), name="call.received", actor={"id": "switch-1", "role": "switch"},
                 ref=None, data={"call_id": call_id, "caller_number": "13800138000"})


def test_messages_from_the_sync_thread_reach_the_store_on_the_gui_thread(qtbot):
    store = SeatStore()
    bridge = SyncBridge(store)
    handled_on: list[int] = []
    store.events.call_changed.connect(lambda _call: handled_on.append(threading.get_ident()))

    def sync_thread() -> None:
        for seq in range(1, 101):
            bridge.on_message(call_received(seq, f"c{seq}"))
        bridge.on_status(ConnectionStatus(Link.ONLINE, pending=1))

    worker = threading.Thread(target=sync_thread)
    worker.start()
    worker.join()
    assert store.state.calls == {}  # the sync thread never touched the store itself

    qtbot.waitUntil(lambda: store.state.seq == 100)
    assert set(handled_on) == {threading.get_ident()}
    assert list(store.state.calls) == [f"c{seq}" for seq in range(1, 101)]  # in the order sent
    qtbot.waitUntil(lambda: store.connection == ConnectionStatus(Link.ONLINE, pending=1))


def test_a_message_the_store_cannot_apply_is_logged_and_the_next_one_still_arrives(qtbot, caplog):
    store = SeatStore()
    bridge = SyncBridge(store)

    bridge.on_message({"type": "event", "seq": 1})  # no name, no data: malformed
    bridge.on_message(call_received(2, "c2"))

    qtbot.waitUntil(lambda: "c2" in store.state.calls)
    assert any("could not apply server message" in r.getMessage() for r in caplog.records)


def test_a_transient_server_error_is_a_retry_not_a_failure(qtbot):
    store = SeatStore()
    bridge = SyncBridge(store)
    failures: list[tuple] = []
    store.events.command_failed.connect(lambda *args: failures.append(args))

    with qtbot.waitSignal(bridge.command_retrying) as retrying:
        bridge.on_message({**error("internal", "database busy", ref="cmd-1"), "retry": True})

    assert retrying.args == ["cmd-1", "internal", "database busy"]
    assert failures == []


def test_the_welcome_teaches_the_clock_the_servers_time(qtbot):
    local = T0
    clock = SeatClock(now=lambda: local)
    store = SeatStore()
    bridge = SyncBridge(store, clock)
    hello_back = welcome(principal={"id": "seat-1", "role": "seat", "name": "一号席", "unit_id": None},
                         server_seq=0, resume="replay")
    hello_back["server_time"] = format_ts(T0 + timedelta(minutes=3))

    bridge.on_message(hello_back)

    qtbot.waitUntil(lambda: store.seat_id == "seat-1")
    assert clock.offset == timedelta(minutes=3)
    assert clock.elapsed_s(format_ts(T0)) == 180


def test_elapsed_time_is_never_negative_and_a_bad_timestamp_shows_unknown():
    clock = SeatClock(now=lambda: T0)
    assert clock.elapsed_s(format_ts(T0 + timedelta(seconds=5))) == 0
    assert clock.elapsed_s("yesterday") is None
    assert clock.elapsed_s(None) is None
