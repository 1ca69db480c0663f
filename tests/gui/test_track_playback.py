"""A supervisor replays an incident: the ambulance moves along its recorded track on the real map page,
takes its status's colour at each moment, the caller's location appears when it was known, and the
keyboard drives the playback (Space, ←/→, +/−)."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt

from widgets.labels import unit_status_colours
from widgets.track_playback import SPEEDS, STEP_S, TrackPlayback

T0 = 1_774_000_000.0  # the call


def _point(t: float, lat: float, lon: float) -> dict:
    return {"t": t, "lat": lat, "lon": lon, "speed_mps": 9.0, "heading_deg": None, "device_ts": "", "server_ts": ""}


def monaco_track() -> dict:
    """A1 sent 60 s after the call, drives north-east for 200 s (a position every 5 s), on scene at 270 s."""
    positions = [_point(T0 + 60 + 5 * i, 43.7290 + 0.0003 * i, 7.4170 + 0.0004 * i) for i in range(41)]
    return {
        "incident_id": "5b7e2c1a-9d34-4f6e-8a21-3c4d5e6f7a8b", "tz": "Asia/Shanghai", "address": "Boulevard Albert 1er",
        "priority": 1, "start_t": T0, "end_t": T0 + 300,
        "units": [{"unit_id": "A1", "call_sign": "急救1", "assigned_t": T0 + 55, "clock_offset_s": 0.2,
                   "statuses": [{"t": T0 + 55, "status": "dispatched", "at": ""},
                                {"t": T0 + 60, "status": "en_route", "at": ""},
                                {"t": T0 + 270, "status": "on_scene", "at": ""}],
                   "positions": positions}],
        "caller_locations": [{"t": T0 + 5, "lat": 43.7410, "lon": 7.4330, "accuracy_m": 15.0, "source": "gps",
                              "kind": "candidate"},
                             {"t": T0 + 120, "lat": 43.7411, "lon": 7.4331, "accuracy_m": 8.0, "source": "caller_link",
                              "kind": "candidate"}],
    }


@pytest.fixture
def playback(qtbot, styled_app):
    window = TrackPlayback(monaco_track())
    qtbot.addWidget(window)
    window.resize(1000, 700)
    window.show()
    with qtbot.waitSignal(window.map_view.ready, timeout=20000):
        qtbot.waitExposed(window)
    return window


def page_items(qtbot, window) -> dict:
    """The page's items by (layer, id), once the page has applied what the widget queued."""
    window.map_view.flush()
    box: list = []
    window.map_view.run_js("window.d120.state()", box.append)
    qtbot.waitUntil(lambda: bool(box), timeout=5000)
    return {(i["layer"], i["id"]): i for i in json.loads(box[0])["items"]}


def wait_items(qtbot, window, predicate) -> dict:
    found: dict = {}

    def check() -> bool:
        found["items"] = page_items(qtbot, window)
        return predicate(found["items"])

    qtbot.waitUntil(check, timeout=10000)
    return found["items"]


def test_the_ambulance_is_drawn_between_its_recorded_positions_in_its_status_colour(qtbot, playback):
    playback.seek(T0 + 62.5)  # half-way between the fixes at 60 s and 65 s
    items = wait_items(qtbot, playback, lambda i: ("units", "A1") in i)
    a1 = items[("units", "A1")]
    assert a1["lat"] == pytest.approx(43.72915, abs=1e-6) and a1["lon"] == pytest.approx(7.4172, abs=1e-6)
    assert a1["color"] == unit_status_colours("en_route").background
    assert a1["heading_deg"] == pytest.approx(44, abs=1.5)  # no device heading: the way it drives (north-east)
    assert ("tracks", "A1") in items  # the whole route, faint, underneath
    playback.seek(T0 + 280)
    items = wait_items(qtbot, playback,
                       lambda i: i.get(("units", "A1"), {}).get("color") == unit_status_colours("on_scene").background)
    assert items[("units", "A1")]["lat"] == pytest.approx(43.7290 + 0.0003 * 40)  # stays at its last fix


def test_before_the_dispatch_no_ambulance_and_only_the_callers_first_fix_are_shown(qtbot, playback):
    playback.seek(T0 + 30)
    items = wait_items(qtbot, playback, lambda i: ("callers", "c0") in i)
    assert ("units", "A1") not in items and ("callers", "c1") not in items
    playback.seek(T0 + 130)
    items = wait_items(qtbot, playback, lambda i: ("callers", "c1") in i)
    playback.seek(T0 + 30)  # back again: the later fix disappears
    wait_items(qtbot, playback, lambda i: ("callers", "c1") not in i and ("units", "A1") not in i)


def test_the_keyboard_plays_steps_and_changes_the_speed(qtbot, playback):
    playback.setFocus()
    qtbot.keyClick(playback, Qt.Key.Key_Right)
    assert playback.t == pytest.approx(T0 + STEP_S)
    qtbot.keyClick(playback, Qt.Key.Key_Left)
    qtbot.keyClick(playback, Qt.Key.Key_Left)
    assert playback.t == pytest.approx(T0)  # not before the start
    for _ in range(len(SPEEDS) + 2):
        qtbot.keyClick(playback, Qt.Key.Key_Plus)
    assert playback.speed == 60
    qtbot.keyClick(playback, Qt.Key.Key_Minus)
    assert playback.speed == 30
    playback.set_speed(60)
    playback.seek(T0 + 290)
    qtbot.keyClick(playback, Qt.Key.Key_Space)
    assert playback.playing
    # At 60× the last 10 s take ~0.2 s: the playback stops by itself at the end.
    qtbot.waitUntil(lambda: not playback.playing, timeout=5000)
    assert playback.t == pytest.approx(T0 + 300)
    assert playback.slider.value() == playback.slider.maximum()
    qtbot.keyClick(playback, Qt.Key.Key_Space)  # playing again starts from the beginning
    assert playback.playing and playback.t < T0 + 10
    qtbot.keyClick(playback, Qt.Key.Key_Space)
    assert not playback.playing


def test_dragging_the_slider_moves_the_playback(qtbot, playback):
    playback.slider.setValue(playback.slider.maximum() // 2)
    assert playback.t == pytest.approx(T0 + 150)
    assert "+2:30" in playback.time_label.text()


def test_the_supervisor_opens_the_playback_from_the_incident_record_tab(qtbot, styled_app):
    from widgets.kpi_dashboard import KpiDashboard

    asked: list[str] = []

    def track_of(incident_id: str) -> dict:  # what GET /records/track/<id> answers (tests/integration)
        asked.append(incident_id)
        return monaco_track()

    dashboard = KpiDashboard(lambda a, b: {}, track_fetcher=track_of)
    qtbot.addWidget(dashboard)
    dashboard.record_id.setText("5b7e2c1a")
    qtbot.mouseClick(dashboard.track_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(dashboard.findChildren(TrackPlayback)), timeout=10000)
    window = dashboard.findChildren(TrackPlayback)[0]
    assert asked == ["5b7e2c1a"] and window.isWindow() and window.isVisible()
    qtbot.waitUntil(lambda: window.map_view.is_ready, timeout=20000)
    window.seek(T0 + 100)
    wait_items(qtbot, window, lambda i: ("units", "A1") in i)
    window.close()


def test_without_a_track_source_the_dashboard_says_playback_is_unavailable(qtbot, styled_app):
    from widgets.kpi_dashboard import KpiDashboard

    dashboard = KpiDashboard(lambda a, b: {})
    qtbot.addWidget(dashboard)
    dashboard.record_id.setText("5b7e2c1a")
    dashboard.open_track()
    assert "not available" in dashboard.record_text.toPlainText()
    assert not dashboard.findChildren(TrackPlayback)
