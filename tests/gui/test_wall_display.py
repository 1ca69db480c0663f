"""The centre's wall display: real widgets offscreen, fed by the real store and protocol events
as a wall's link delivers them (the feed also keeps today's figures, ``app.wall``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from app.protocol import format_ts, snapshot, welcome
from app.seat.store import ConnectionStatus, Link, SeatStore
from app.wall import TodayFigures, WallFeed
from maps.sources import make_config
from tests.gui.conftest import Server
from widgets.clock import SeatClock
from widgets.wall_display import WALL_MAP_ZOOM, WallDisplay

# 10:00 in Shanghai: today began 10 hours ago.
START = datetime(2026, 11, 27, 2, 0, 0, tzinfo=UTC)
HOURS = 3600.0


def status(server: Server, unit_id: str, new: str, previous: str, version: int, incident_id: str | None,
           seconds_ago: float) -> None:
    server.event("unit.status_changed", unit_id=unit_id, status=new, previous=previous, incident_id=incident_id,
                 version=version, manual=False, seconds_ago=seconds_ago)


def call(server: Server, call_id: str, offered_ago: float, answered_ago: float | None, seat: str = "seat-1") -> None:
    server.event("call.received", call_id=call_id, caller_number="*", seconds_ago=offered_ago)
    server.event("call.ringing", call_id=call_id, seat_id=seat, seconds_ago=offered_ago - 1)
    if answered_ago is not None:
        server.event("call.answered", call_id=call_id, seat_id=seat, seconds_ago=answered_ago)


@pytest.fixture
def centre(qtbot, styled_app):
    """A morning at the centre, as the wall's link delivers it (times are the server's)."""
    store = SeatStore()
    figures = TodayFigures("Asia/Shanghai", now=lambda: server.now)
    feed = WallFeed(store, figures)
    server = Server(feed, START)  # type: ignore[arg-type]  # the feed has the store's methods
    feed.handle_message(welcome(principal={"id": "wall-1", "role": "wall", "name": "大屏", "unit_id": None},
                                server_seq=0, resume="replay"))
    server.event("station.registered", station_id="st-1", name="Port", lat=43.7350, lon=7.4210)
    for n in range(1, 7):
        server.event("unit.registered", unit_id=f"u{n}", call_sign=f"120-0{n}", station_id="st-1", capability="als")
    # Yesterday, 23:55 local: a call answered late. It is not today's.
    call(server, "y1", 10 * HOURS + 300, 10 * HOURS + 270)
    # Today: answered in 5 s; an arrest (priority I), u1 out in 60 s, on scene.
    call(server, "c1", 600, 595)
    server.event("incident.created", incident_id="00000000-0000-4000-8000-000000000001", call_id="c1",
                 seat_id="seat-1", address="Boulevard des Moulins 12", priority=1, seconds_ago=590)
    server.event("unit.assigned", incident_id="00000000-0000-4000-8000-000000000001", unit_id="u1", version=1,
                 seconds_ago=585)
    status(server, "u1", "en_route", "dispatched", 2, "00000000-0000-4000-8000-000000000001", 525)
    status(server, "u1", "on_scene", "en_route", 3, "00000000-0000-4000-8000-000000000001", 200)
    # Answered in 14 s; a fall (priority III), u2 out only after 4 minutes.
    call(server, "c2", 500, 486)
    server.event("incident.created", incident_id="00000000-0000-4000-8000-000000000002", call_id="c2",
                 seat_id="seat-2", address="Rue Grimaldi 3", priority=3, seconds_ago=480)
    server.event("unit.assigned", incident_id="00000000-0000-4000-8000-000000000002", unit_id="u2", version=1,
                 seconds_ago=480)
    status(server, "u2", "en_route", "dispatched", 2, "00000000-0000-4000-8000-000000000002", 240)
    # Priority II recorded from a hospital's transfer request (no call), no unit yet.
    server.event("incident.created", incident_id="00000000-0000-4000-8000-000000000003", seat_id="seat-1",
                 address="Avenue de la Costa 40", priority=2, seconds_ago=100)
    # Two calls waiting: one queued for 40 s, one ringing for 15 s.
    server.event("call.received", call_id="c3", caller_number="*", seconds_ago=40)
    call(server, "c4", 15, None, seat="seat-2")
    store.set_connection(ConnectionStatus(Link.ONLINE))
    wall = WallDisplay(store, figures, SeatClock(now=lambda: server.now), confirm_close=False)
    qtbot.addWidget(wall)
    wall.resize(1920, 1080)
    wall.show()
    qtbot.waitExposed(wall)
    wall.tick()
    return wall, store, server


def test_the_wall_shows_todays_figures_as_the_kpi_report_defines_them(centre):
    wall, _store, _server = centre
    # Answered within 10 s: c1 only, over every call offered today (c1..c4; y1 was yesterday's).
    assert wall.answer_value.text() == "25.0 %"
    assert "1 of 4 calls" in wall.answer_detail.text() and "since 00:00" in wall.answer_detail.text()
    # Departed within 3 min: u1 (60 s) of u1 and u2 (240 s).
    assert wall.depart_value.text() == "50.0 %"
    assert "1 of 2 departures" in wall.depart_detail.text()


def test_the_wall_shows_calls_waiting_units_by_status_and_incidents_most_urgent_first(centre):
    wall, _store, server = centre
    assert wall.waiting_value.text() == "2"
    assert wall.waiting_detail.text() == "longest wait 0:40"
    counts = wall.status_counts()
    assert (counts["available"], counts["en_route"], counts["on_scene"], counts["dispatched"]) == (4, 1, 1, 0)
    rows = [[wall.incidents.item(r, c).text() for c in range(5)] for r in range(wall.incidents.rowCount())]
    assert [(r[0], r[1], r[3]) for r in rows] == [("I", "Boulevard des Moulins 12", "120-01"),
                                                  ("II", "Avenue de la Costa 40", "—"),
                                                  ("III", "Rue Grimaldi 3", "120-02")]
    assert rows[0][4] == "9:50" and wall.open_value.text() == "3"

    # A minute later the waits and ages have moved on; the queued call is answered.
    server.now += timedelta(seconds=60)
    server.event("call.answered", call_id="c3", seat_id="seat-1")
    wall.tick()
    assert wall.waiting_value.text() == "1" and wall.waiting_detail.text() == "longest wait 1:15"
    assert wall.incidents.item(0, 4).text() == "10:50"
    assert wall.answer_value.text() == "25.0 %"  # c3 waited 100 s: counted, not within 10 s


def test_a_wall_that_started_from_a_snapshot_says_since_when_it_counts(qtbot, styled_app):
    store = SeatStore()
    now = {"t": START}
    figures = TodayFigures("Asia/Shanghai", now=lambda: now["t"])
    feed = WallFeed(store, figures)
    # The server sent a snapshot at 09:30 local (the wall was too far behind for a replay).
    at = START - timedelta(minutes=30)
    feed.handle_message({**welcome(principal={"id": "wall-1", "role": "wall", "name": "大屏", "unit_id": None},
                                   server_seq=500, resume="snapshot"), "server_time": format_ts(at)})
    feed.handle_message(snapshot(seq=500, state={"seq": 500, "units": {}, "calls": {}, "incidents": {}}))
    server = Server(feed, START)  # type: ignore[arg-type]
    server.seq = 500
    call(server, "c9", 120, 112)
    wall = WallDisplay(store, figures, SeatClock(now=lambda: now["t"]), confirm_close=False)
    qtbot.addWidget(wall)
    wall.tick()
    assert wall.answer_value.text() == "100.0 %"
    assert "since 09:30" in wall.answer_detail.text()
    assert "since 00:00" not in wall.answer_detail.text()

    # After midnight the wall has every event of the new day: since 00:00 again, yesterday gone.
    now["t"] = START + timedelta(hours=14, minutes=5)
    server.now = now["t"]
    call(server, "c10", 60, 40)
    wall.render_figures()
    assert wall.answer_value.text() == "0.0 %" and "since 00:00" in wall.answer_detail.text()
    assert wall.last_figures is not None and wall.last_figures.calls_offered == 1


def test_the_wall_takes_no_input_and_closes_only_after_confirmation(qtbot, centre):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit, QTextEdit, QWidget

    wall, store, _server = centre
    for kind in (QAbstractButton, QLineEdit, QTextEdit, QComboBox, QAbstractSpinBox):
        assert [w for w in wall.findChildren(kind) if w.isVisible() and w.isEnabled()] == [], kind
    # Only the wall itself takes the keyboard (for F11 and Esc).
    focusable = [w for w in wall.findChildren(QWidget) if w.focusPolicy() != Qt.FocusPolicy.NoFocus]
    assert focusable == [], focusable
    assert wall.incidents.selectionMode() == wall.incidents.SelectionMode.NoSelection

    # Keys other than F11 and Esc change nothing.
    before = [wall.incidents.item(r, 1).text() for r in range(wall.incidents.rowCount())]
    for key in (Qt.Key.Key_Delete, Qt.Key.Key_Return, Qt.Key.Key_A, Qt.Key.Key_F5):
        qtbot.keyClick(wall, key)
    assert [wall.incidents.item(r, 1).text() for r in range(wall.incidents.rowCount())] == before
    assert wall.isVisible()

    qtbot.keyClick(wall, Qt.Key.Key_F11)
    qtbot.waitUntil(wall.isFullScreen)
    qtbot.keyClick(wall, Qt.Key.Key_F11)
    qtbot.waitUntil(lambda: not wall.isFullScreen())

    asked: list[bool] = []
    wall.confirm_close = True
    wall.ask_close = lambda: asked.append(True) or False  # the operator answers "No"
    qtbot.keyClick(wall, Qt.Key.Key_Escape)
    assert asked == [True] and wall.isVisible()
    wall.ask_close = lambda: True
    qtbot.keyClick(wall, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not wall.isVisible())
    assert not wall.timer.isActive()


def test_every_unit_is_on_the_map_in_its_status_colour_and_incidents_in_their_priority_colour(qtbot, centre):
    from widgets.labels import priority_colours, unit_status_colours

    _list_wall, store, server = centre
    figures = TodayFigures("Asia/Shanghai", now=lambda: server.now)
    wall = WallDisplay(store, figures, SeatClock(now=lambda: server.now), map_config=make_config(),
                       confirm_close=False)
    qtbot.addWidget(wall)
    wall.resize(1920, 1080)
    with qtbot.waitSignal(wall.map_view.ready, timeout=20000):
        wall.show()
    for number, lat, lon in ((1, 43.7390, 7.4260), (2, 43.7320, 7.4180)):
        server.event("incident.located", incident_id=f"00000000-0000-4000-8000-00000000000{number}", lat=lat,
                     lon=lon, source="map_click", seat_id="seat-1")
    at = format_ts(server.now)
    changed = store.telemetry.apply({"type": "positions", "items": [
        {"unit_id": f"u{n}", "t": at, "lat": 43.730 + n * 0.002, "lon": 7.420 + n * 0.001, "heading_deg": None,
         "speed_mps": 0.0, "accuracy_m": 5.0} for n in range(1, 7)]})
    store.events.positions_changed.emit(changed)

    def items() -> dict:
        wall.map_view.flush()
        box: list = []
        wall.map_view.run_js("window.d120.state()", box.append)
        qtbot.waitUntil(lambda: bool(box), timeout=5000)
        return {(i["layer"], i["id"]): i for i in json.loads(box[0])["items"]}

    qtbot.waitUntil(lambda: len([k for k in items() if k[0] == "units"]) == 6, timeout=5000)
    drawn = items()
    assert drawn[("units", "u1")]["color"] == unit_status_colours("on_scene").background
    assert drawn[("units", "u2")]["color"] == unit_status_colours("en_route").background
    assert drawn[("units", "u3")]["color"] == unit_status_colours("available").background
    assert ("stations", "st-1") in drawn
    # A unit that changes status changes colour; incidents with a location show their priority.
    status(server, "u1", "transporting", "on_scene", 4, "00000000-0000-4000-8000-000000000001", 0)
    qtbot.waitUntil(lambda: items()[("units", "u1")]["color"] == unit_status_colours("transporting").background,
                    timeout=5000)
    incidents = {k[1]: v for k, v in items().items() if k[0] == "incidents"}
    assert incidents["00000000-0000-4000-8000-000000000001"]["color"] == priority_colours(1).background
    assert incidents["00000000-0000-4000-8000-000000000001"]["label"] == "I"
    assert incidents["00000000-0000-4000-8000-000000000002"]["color"] == priority_colours(3).background
    # Drawn for a big screen seen from across the room: every marker WALL_MAP_ZOOM times a seat's.
    scale: list = []
    wall.map_view.run_js("window.devicePixelRatio", scale.append)
    qtbot.waitUntil(lambda: bool(scale), timeout=5000)
    assert scale[0] == pytest.approx(WALL_MAP_ZOOM, rel=0.01) and WALL_MAP_ZOOM >= 1.5


def test_new_calls_reach_the_figures_within_five_seconds_not_on_every_event(centre):
    wall, _store, server = centre
    call(server, "c5", 3, 1)  # answered in 2 s
    wall.tick()
    assert wall.answer_value.text() == "25.0 %"  # a day's events take ~70 ms to fold: not at every event
    for _second in range(5):
        wall.tick()
    assert wall.answer_value.text() == "40.0 %"  # c1 and c5 of five calls
