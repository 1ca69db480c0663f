"""The map in the seat's window: the caller's candidates, ambulances by status, follow, clicks.

A real MainWindow with the map (real QtWebEngine, offscreen) fed through the real store by
protocol events; positions go through the seat's telemetry buffer as the server's
``positions`` frames would.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from pytestqt.exceptions import TimeoutError as QtBotTimeout

from app.protocol import format_ts
from app.seat.commands import SeatCommands
from app.seat.store import SeatStore
from app.seat.telemetry import TelemetryStore
from tests.gui.conftest import SEAT, RecordingSync, Server
from widgets.clock import SeatClock
from widgets.labels import unit_status_colours
from widgets.main_window import MainWindow

START = datetime(2026, 11, 27, 2, 0, 0, tzinfo=UTC)


@pytest.fixture
def map_seat(qtbot, styled_app):
    store = SeatStore()
    if not hasattr(store, "telemetry"):  # the telemetry feature may not have put it on the store yet
        store.telemetry = TelemetryStore(heart_rate=None)
    server = Server(store, START)
    server.registry()
    server.welcome()
    server.online()
    server.event("seat.state_changed", seat_id=SEAT, state="ready", reason=None)
    window = MainWindow(store, SeatCommands(RecordingSync()), clock=SeatClock(now=lambda: server.now),
                        confirm_close=False, seat_id=SEAT, show_map=True)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.map_dock.view.ready, timeout=20000):
        qtbot.waitExposed(window)
    return window, store, server


def map_state(qtbot, window) -> dict:
    view = window.map_dock.view
    view.flush()
    box: list = []
    view.run_js("window.d120.state()", box.append)
    qtbot.waitUntil(lambda: bool(box), timeout=5000)
    return json.loads(box[0])


def wait_state(qtbot, window, predicate) -> dict:
    box: dict = {}

    def check() -> bool:
        box["s"] = map_state(qtbot, window)
        return predicate(box["s"])

    try:
        qtbot.waitUntil(check, timeout=5000)
    except QtBotTimeout as exc:
        raise AssertionError(f"the page never reached the expected state; last seen: {box.get('s')}") from exc
    return box["s"]


def send_positions(store, server, *items) -> None:
    changed = store.telemetry.apply({"type": "positions", "items": [
        {"unit_id": unit_id, "t": format_ts(server.now - timedelta(seconds=age_s)), "lat": lat, "lon": lon, "heading_deg": heading,
         "speed_mps": 8.0, "accuracy_m": 5.0} for unit_id, lat, lon, heading, age_s in items]})
    signal = getattr(store.events, "positions_changed", None)
    if signal is not None:
        signal.emit(changed)


def test_dispatcher_sees_both_disagreeing_caller_locations_with_their_accuracy(qtbot, map_seat):
    window, store, server = map_seat
    at = format_ts(server.now)
    server.event("call.received", call_id="c1", caller_number="13800000001", caller_name=None, location_text=None,
                 line=None, seconds_ago=5, locations=[
                     {"source": "gps", "lat": 43.7390, "lon": 7.4260, "accuracy_m": 12.0, "at": at},
                     {"source": "cell", "lat": 43.7335, "lon": 7.4180, "accuracy_m": 250.0, "at": at}])
    server.event("call.ringing", call_id="c1", seat_id=SEAT, seconds_ago=4)
    state = wait_state(qtbot, window, lambda s: len([i for i in s["items"] if i["layer"] == "callers"]) == 4)
    callers = {i["id"]: i for i in state["items"] if i["layer"] == "callers"}
    assert (callers["c1/0"]["lat"], callers["c1/0"]["lon"], callers["c1/0"]["label"]) == (43.7390, 7.4260, "GPS")
    assert callers["c1/0/acc"]["radius_m"] == 12.0 and callers["c1/1/acc"]["radius_m"] == 250.0
    assert callers["c1/1"]["label"] == "Cell" and callers["c1/0"]["color"] != callers["c1/1"]["color"]


def test_ambulances_are_coloured_by_status_and_a_stale_fix_looks_stale(qtbot, map_seat):
    window, store, server = map_seat
    send_positions(store, server, ("u1", 43.7400, 7.4270, 90.0, 2), ("u2", 43.7350, 7.4200, None, 45))
    window.map_dock.tick()
    state = wait_state(qtbot, window, lambda s: len([i for i in s["items"] if i["layer"] == "units"]) == 2)
    units = {i["id"]: i for i in state["items"] if i["layer"] == "units"}
    assert units["u1"]["label"] == "120-01" and units["u1"]["heading_deg"] == 90.0
    assert units["u1"]["color"] == unit_status_colours("available").background
    assert (units["u1"]["stale"], units["u2"]["stale"]) == (False, True)
    server.event("unit.status_changed", unit_id="u1", status="out_of_service", previous="available",
                 incident_id=None, version=1, manual=True)
    state = wait_state(qtbot, window, lambda s: any(
        i["id"] == "u1" and i["color"] == unit_status_colours("out_of_service").background for i in s["items"]))


def test_follow_this_unit_keeps_it_centred(qtbot, map_seat):
    window, store, server = map_seat
    send_positions(store, server, ("u3", 43.7300, 7.4150, 0.0, 1))
    window.map_dock.tick()
    wait_state(qtbot, window, lambda s: any(i["id"] == "u3" for i in s["items"]))
    window.board.select_unit("u3")
    window.map_dock.follow_action.trigger()  # Units menu: follow the selected unit
    send_positions(store, server, ("u3", 43.7450, 7.4300, 0.0, 0))
    window.map_dock.tick()
    state = wait_state(qtbot, window, lambda s: s["followed"] == "units/u3" and s["center"] is not None
                       and abs(s["center"][0] - 43.7450) < 5e-4)  # within a pixel
    assert state["center"][1] == pytest.approx(7.4300, abs=5e-4)


def test_a_click_on_the_map_offers_that_position_to_the_dispatcher(qtbot, map_seat):
    window, _store, _server = map_seat
    box: list = []
    with qtbot.waitSignal(window.map_dock.position_picked, timeout=5000) as picked:
        window.map_dock.view.run_js("d120.map.fire('click', {latlng: L.latLng(43.7311, 7.4222)}); 1", box.append)
    assert picked.args == pytest.approx([43.7311, 7.4222])
