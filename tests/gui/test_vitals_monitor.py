"""The vitals monitor: sweep, explicit no-data / lead-off states, numerics, alarms, freeze, 12-lead.

Real protocol frames from a simulated device (``bench.vitals_gui.SyntheticMonitor``) go
through the real ``TelemetryStore`` into real ``WaveformBuffer``s; the monitors are the
real widgets. The clock is a test clock, so "4 s without data" needs no waiting.
"""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest
from PySide6.QtCore import Qt

from app.alarms import FLASH_HZ, Priority
from app.seat.store import SeatStore
from app.seat.telemetry import TelemetryStore
from bench.vitals_gui import SyntheticMonitor, feed
from widgets.twelve_lead import TwelveLeadView
from widgets.vitals_monitor import ERASE_GAP_S, GAIN_MM_MV, SPEED_MM_S, VitalsMonitor, logical_px_per_mm
from widgets.vitals_wall import VitalsWall

pytestmark = pytest.mark.gui


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(clock) -> SeatStore:
    store = SeatStore()
    store.telemetry = TelemetryStore(clock=clock, heart_rate=None)  # the test's clock; HR from ECG set by hand
    for unit_id, call_sign in (("u1", "120-01"), ("u2", "120-02")):
        store.state.units[unit_id] = {"unit_id": unit_id, "call_sign": call_sign, "status": "on_scene"}
    return store


def stream(store, device: SyntheticMonitor, clock: Clock, seconds: float) -> None:
    """The device streams ``seconds`` more of real time (the clock moves with it)."""
    step = 0.1
    for _ in range(int(round(seconds / step))):
        clock.now += step
        feed(store, [device], device.sent_until_s + step)
    assert store.telemetry.invalid_frames == 0, store.telemetry.last_error


def make_monitor(qtbot, store, clock, unit_id="u1") -> VitalsMonitor:
    monitor = VitalsMonitor(store, unit_id, call_sign="120-01", clock=clock)
    qtbot.addWidget(monitor)
    monitor.resize(1000, 420)
    monitor.show()
    qtbot.waitExposed(monitor)
    qtbot.waitUntil(lambda: monitor.ecg.plot.getViewBox().width() > 300)
    monitor._relayout()
    return monitor


def drawn(trace) -> tuple[np.ndarray, np.ndarray]:
    x, y = trace.curve.getData()
    return (np.empty(0), np.empty(0)) if x is None else (np.asarray(x), np.asarray(y))


def assert_no_flat_line(monitor: VitalsMonitor) -> None:
    """Nothing drawn anywhere is a finite constant series (it could be read as asystole)."""
    for trace in (monitor.ecg, monitor.pleth, monitor.co2):
        _x, y = drawn(trace)
        finite = y[np.isfinite(y)]
        if trace.curve.isVisible() and finite.size > 1:
            assert np.ptp(finite) > 0, f"{trace.title.toPlainText()} drawn as a flat line"


def test_sinus_ecg_sweeps_at_25_mm_s_with_an_erase_bar(qtbot, store, clock):
    device = SyntheticMonitor("u1", rhythm="sinus", start_epoch_s=1.7e9)
    stream(store, device, clock, 15)
    monitor = make_monitor(qtbot, store, clock)

    monitor.render(clock())

    width_mm = monitor.ecg.plot.getViewBox().width() / logical_px_per_mm(monitor)
    assert monitor.sweep_seconds == pytest.approx(width_mm / SPEED_MM_S - 0.32, abs=0.01)
    x, y = drawn(monitor.ecg)
    assert monitor.ecg.state == "ok" and monitor.ecg.curve.isVisible()
    assert len(x) == int(round(monitor.sweep_seconds * 500))
    assert x.min() >= 0 and x.max() < monitor.sweep_seconds
    assert np.all(np.diff(x) > 0)  # laid out left to right, no line across the screen
    gap = np.isnan(y).sum()
    assert gap == pytest.approx(ERASE_GAP_S * 500, abs=2)
    assert 0.8 < np.nanmax(y) < 1.5  # the R waves, in mV
    # 10 mm/mV: the y range in mV is the trace's height in mm / 10
    height_mm = monitor.ecg.plot.getViewBox().height() / logical_px_per_mm(monitor)
    low, high = monitor.ecg.y_range
    assert high - low == pytest.approx(height_mm / GAIN_MM_MV, rel=0.01)
    assert "II" in monitor.ecg.title.toPlainText() and "10 mm/mV" in monitor.ecg.title.toPlainText()
    assert "25 mm/s" in monitor.ecg.title.toPlainText()


def test_the_sweep_moves_on_as_samples_arrive(qtbot, store, clock):
    device = SyntheticMonitor("u1", start_epoch_s=1.7e9)
    stream(store, device, clock, 15)
    monitor = make_monitor(qtbot, store, clock)
    monitor.render(clock())
    before = drawn(monitor.ecg)[0][np.isnan(drawn(monitor.ecg)[1])].min()

    stream(store, device, clock, 1.0)
    monitor.render(clock())

    after = drawn(monitor.ecg)[0][np.isnan(drawn(monitor.ecg)[1])].min()
    assert (after - before) % monitor.sweep_seconds == pytest.approx(1.0, abs=0.05)


def test_no_data_for_more_than_3_s_shows_no_data_and_hides_the_trace(qtbot, store, clock):
    device = SyntheticMonitor("u1", start_epoch_s=1.7e9)
    stream(store, device, clock, 10)
    monitor = make_monitor(qtbot, store, clock)
    monitor.render(clock())
    assert monitor.ecg.state == "ok"

    clock.now += 3.5  # the stream is unplugged
    monitor.render(clock())

    for trace in (monitor.ecg, monitor.pleth, monitor.co2):
        assert trace.state == "no_data"
        assert not trace.curve.isVisible()
        assert len(drawn(trace)[0]) == 0
        assert trace.state_text.isVisible() and trace.state_text.toPlainText() == "NO DATA"
    assert_no_flat_line(monitor)


def test_a_unit_that_never_sent_anything_shows_no_data(qtbot, store, clock):
    monitor = make_monitor(qtbot, store, clock, unit_id="u2")
    monitor.render(clock())
    assert monitor.ecg.state_text.toPlainText() == "NO DATA"
    assert monitor.hr.value.text() == "--"
    assert_no_flat_line(monitor)


def test_lead_off_is_written_over_the_trace_never_drawn_flat(qtbot, store, clock):
    device = SyntheticMonitor("u1", start_epoch_s=1.7e9)
    stream(store, device, clock, 10)
    monitor = make_monitor(qtbot, store, clock)
    frame = device.frames_until(device.sent_until_s + 0.1)[0]
    assert frame["data"]["channel"] == "ECG_II"
    frame["data"]["lead_off"] = True
    frame["data"]["samples"] = [0] * len(frame["data"]["samples"])  # what a device sends when off: zeros
    clock.now += 0.1
    store.telemetry.apply(frame)

    monitor.render(clock())

    assert monitor.ecg.state == "lead_off"
    assert monitor.ecg.state_text.toPlainText() == "LEAD OFF"
    assert not monitor.ecg.curve.isVisible()
    assert_no_flat_line(monitor)


def test_a_gap_in_the_stream_is_drawn_as_a_gap(qtbot, store, clock):
    device = SyntheticMonitor("u1", start_epoch_s=1.7e9)
    stream(store, device, clock, 10)
    device.frames_until(device.sent_until_s + 1.0)  # one second lost on the way
    stream(store, device, clock, 2)
    monitor = make_monitor(qtbot, store, clock)
    monitor.render(clock())
    _x, y = drawn(monitor.ecg)
    assert np.isnan(y).sum() >= ERASE_GAP_S * 500 + 450  # the erase bar and the lost second


def test_numerics_in_their_colours_and_grey_dashes_when_older_than_10_s(qtbot, store, clock):
    device = SyntheticMonitor("u1", start_epoch_s=1.7e9)
    stream(store, device, clock, 5)
    monitor = make_monitor(qtbot, store, clock)
    monitor.render(clock())
    assert monitor.hr.value.text() == "78"
    assert monitor.spo2.value.text() == "97"
    assert monitor.nibp.value.text() == "128/82 (97)"
    assert "#33ff66" in monitor.hr.value.styleSheet()  # HR green
    assert "#3fe0ff" in monitor.spo2.value.styleSheet()  # SpO2 cyan
    assert monitor.hr.limits.text() == "150\n50"

    clock.now += 11
    monitor.render(clock())

    assert monitor.hr.value.text() == "--" and monitor.spo2.value.text() == "--"
    assert "#6b6b6b" in monitor.hr.value.styleSheet()


def test_device_and_ecg_heart_rates_are_shown_with_a_warning_when_they_disagree(qtbot, store, clock):
    device = SyntheticMonitor("u1", start_epoch_s=1.7e9)
    stream(store, device, clock, 5)
    monitor = make_monitor(qtbot, store, clock)
    store.telemetry.units["u1"].ecg_hr = 120.0
    monitor._numerics_dirty = True
    monitor.render(clock())
    assert store.telemetry.units["u1"].hr_disagrees
    assert "Device HR 78" in monitor.hr_compare.text() and "ECG HR 120" in monitor.hr_compare.text()
    assert "disagree" in monitor.hr_compare.text()


def test_vf_raises_a_high_alarm_flashing_at_2_hz_until_acknowledged(qtbot, store, clock):
    device = SyntheticMonitor("u1", rhythm="vf", start_epoch_s=1.7e9)
    stream(store, device, clock, 5)
    monitor = make_monitor(qtbot, store, clock)
    monitor.render(clock())

    top = monitor.alarms.top()
    assert top.code == "vf" and top.priority == Priority.HIGH
    assert monitor.alarm_banner.text().startswith("VENTRICULAR FIBRILLATION")
    assert monitor.blink_timer.isActive()
    assert monitor.blink_timer.interval() == 1000 / (2 * FLASH_HZ[Priority.HIGH]) == 250
    lit = monitor.banner_lit
    qtbot.waitUntil(lambda: monitor.banner_lit != lit, timeout=2000)
    qtbot.waitUntil(lambda: monitor.banner_lit == lit, timeout=2000)
    assert "#e00000" in monitor.alarm_banner.styleSheet() or not monitor.banner_lit

    qtbot.mouseClick(monitor.ack_button, Qt.MouseButton.LeftButton)

    assert not monitor.blink_timer.isActive()
    assert monitor.banner_lit  # steady red while the condition lasts
    assert "background: #e00000" in monitor.alarm_banner.styleSheet()
    assert not monitor.ack_button.isEnabled()


def test_a_medium_alarm_flashes_yellow_at_half_a_hertz(qtbot, store, clock):
    device = SyntheticMonitor("u1", hr=165, start_epoch_s=1.7e9)
    stream(store, device, clock, 3)
    monitor = make_monitor(qtbot, store, clock)
    monitor.render(clock())
    assert monitor.alarms.top().code == "hr_high"
    assert monitor.blink_timer.interval() == 1000
    assert "#ffd200" in monitor.alarm_banner.styleSheet()


def test_silence_keeps_the_banner_flashing(qtbot, store, clock):
    device = SyntheticMonitor("u1", rhythm="vf", start_epoch_s=1.7e9)
    stream(store, device, clock, 3)
    monitor = make_monitor(qtbot, store, clock)
    monitor.render(clock())
    qtbot.mouseClick(monitor.silence_button, Qt.MouseButton.LeftButton)
    assert monitor.alarms.is_silenced(clock())
    assert monitor.blink_timer.isActive()
    assert monitor.alarm_banner.text().startswith("🔕")


def test_freeze_keeps_the_picture_and_scrolls_back_through_60_s(qtbot, store, clock):
    device = SyntheticMonitor("u1", start_epoch_s=1.7e9)
    stream(store, device, clock, 70)
    monitor = make_monitor(qtbot, store, clock)
    monitor.render(clock())

    monitor.set_frozen(True)
    x_frozen, y_frozen = drawn(monitor.ecg)
    stream(store, device, clock, 2)
    monitor.render(clock())

    x_after, y_after = drawn(monitor.ecg)
    np.testing.assert_array_equal(y_frozen, y_after)  # new samples do not move a frozen trace
    assert not np.isnan(y_after).any()  # a frozen strip has no erase bar
    end = monitor.frozen_view_end()
    monitor.scroll_back(30)
    assert monitor.frozen_view_end() == pytest.approx(end - 30, abs=0.1)
    assert "30.0 s ago" in monitor.frozen_label.text()
    monitor.scroll_back(1000)  # at most 60 s back
    assert monitor.frozen_view_end() >= end - 60

    monitor.set_frozen(False)
    monitor.render(clock())
    assert np.isnan(drawn(monitor.ecg)[1]).any()  # sweeping again, with its erase bar


def test_the_lead_can_be_changed(qtbot, store, clock):
    device = SyntheticMonitor("u1", leads=("II", "V1"), start_epoch_s=1.7e9)
    stream(store, device, clock, 10)
    monitor = make_monitor(qtbot, store, clock)
    monitor.lead_box.setCurrentText("V1")
    monitor.render(clock())
    assert monitor.lead == "V1"
    assert monitor.ecg.title.toPlainText().startswith("V1")
    assert np.nanmin(drawn(monitor.ecg)[1]) < -0.3  # V1: mostly negative complexes
    monitor.set_lead("aVL")  # not streamed
    monitor.render(clock())
    assert monitor.ecg.state_text.toPlainText() == "NO DATA"


def test_twelve_lead_view_is_a_static_10_s_printout_3_by_4_plus_rhythm(qtbot, store, clock):
    device = SyntheticMonitor("u1", leads=("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5"),
                              start_epoch_s=1.7e9)
    stream(store, device, clock, 12)
    view = TwelveLeadView(store, "u1", call_sign="120-01")
    qtbot.addWidget(view)

    assert [s[0] for s in view.segments] == ["I", "aVR", "V1", "V4", "II", "aVL", "V2", "V5",
                                             "III", "aVF", "V3", "V6", "II"]
    lengths = {lead: len(curve.getData()[0] if curve.getData()[0] is not None else []) for lead, curve, *_ in
               view.segments[:12]}
    assert all(n == 1250 for lead, n in lengths.items() if lead != "V6")  # 2.5 s at 500 Hz
    assert len(view.segments[12][1].getData()[0]) == 5000  # rhythm strip: 10 s
    assert view.missing == ["V6"]
    v6_curve, v6_label = view.segments[11][1], view.segments[11][2]
    assert v6_curve.getData()[0] is None or len(v6_curve.getData()[0]) == 0
    assert "no data" in v6_label.toPlainText()
    # columns are consecutive 2.5-s slices of the same 10 s: I at 0-2.5 s, V4 at 7.5-10 s (25 mm/s)
    x_i, x_v4 = view.segments[0][1].getData()[0], view.segments[3][1].getData()[0]
    assert x_v4[0] - x_i[0] == pytest.approx(7.5 * 25, abs=0.1)


def test_the_wall_watches_units_subscribes_and_keys_act(qtbot, store, clock):
    subscribed: list[list[str]] = []
    wall = VitalsWall(store, clock=clock)
    qtbot.addWidget(wall)
    wall.set_subscriber(subscribed.append)
    wall.resize(1400, 500)
    wall.show()
    qtbot.waitExposed(wall)
    device = SyntheticMonitor("u2", rhythm="vf", start_epoch_s=1.7e9)

    wall.watch("u1")
    wall.watch("u2")
    stream(store, device, clock, 3)
    wall.render_clock.tick()

    assert subscribed[-1] == ["u1", "u2"]
    assert wall.monitors["u2"].title.text() == "120-02"
    assert len([t for t in wall.findChildren(type(wall.render_clock.timer)) if t.isActive()
                and t is not wall.monitors["u2"].blink_timer]) == 1  # one drawing timer for all
    wall.activateWindow()
    qtbot.waitUntil(wall.isActiveWindow)
    qtbot.keyClick(wall, Qt.Key.Key_F6)
    assert wall.monitors["u2"].alarms.top().acknowledged

    wall.unwatch("u1")
    assert subscribed[-1] == ["u2"]
    assert "u1" not in store.telemetry.units


def test_a_monitor_closed_on_the_wall_is_let_go_by_the_store_and_hears_nothing_more(qtbot, store, clock):
    wall = VitalsWall(store, clock=clock)
    qtbot.addWidget(wall)
    wall.show()
    wall.watch("u1")
    wall.watch("u2")
    connected = len(store.events.vitals_changed), len(store.events.alarm_changed)
    closed = weakref.ref(wall.monitors["u1"])

    wall.unwatch("u1")  # the dispatcher closes u1's monitor; the store keeps no hold on it

    def gone() -> bool:
        gc.collect()
        return closed() is None

    qtbot.waitUntil(gone)
    # Its vitals and alarm slots went with it.
    assert (len(store.events.vitals_changed), len(store.events.alarm_changed)) == (connected[0] - 1, connected[1] - 1)
    store.events.vitals_changed.emit("u1")  # nothing left to call for the closed one
    assert "u2" in wall.monitors


def test_watch_vitals_from_the_unit_boards_context_menu(seat, qtbot):
    board = seat.window.board
    board.select_unit("u1")
    menu = board.status_menu(board.selected_unit())
    watch = [a for a in menu.actions() if a.text() == "Watch vitals"]
    assert len(watch) == 1

    watch[0].trigger()

    assert seat.window.vitals_wall.watched() == ["u1"]
    assert seat.window.vitals_dock.isVisible()


def test_switching_language_updates_the_monitor_labels(qtbot, store, clock, styled_app):
    from widgets.i18n_runtime import CHINESE, ENGLISH, LanguageSwitcher

    device = SyntheticMonitor("u1", rhythm="vf", start_epoch_s=1.7e9)
    stream(store, device, clock, 3)
    monitor = make_monitor(qtbot, store, clock)
    monitor.render(clock())
    clock.now += 4
    monitor.render(clock())
    assert monitor.ack_button.text() == "Acknowledge"
    assert monitor.ecg.state_text.toPlainText() == "NO DATA"
    switcher = LanguageSwitcher()
    try:
        assert switcher.set_language(CHINESE)
        assert monitor.ack_button.text() == "确认报警"
        assert monitor.silence_button.text() == "静音 2 分钟"
        assert monitor.ecg.state_text.toPlainText() == "无数据"
        assert monitor.alarm_banner.text().startswith("心室颤动")
        assert monitor.hr.name.text() == "心率"
    finally:
        switcher.set_language(ENGLISH)
    assert monitor.ack_button.text() == "Acknowledge"
    assert monitor.alarm_banner.text().startswith("VENTRICULAR FIBRILLATION")


def test_a_noisy_ecg_window_shows_a_question_mark_and_a_technical_alarm_not_bradycardia(qtbot, store, clock):
    device = SyntheticMonitor("u1", start_epoch_s=1.7e9)
    stream(store, device, clock, 5)
    monitor = make_monitor(qtbot, store, clock)
    unit = store.telemetry.units["u1"]
    del unit.vitals["hr"]  # a device that sends no HR: the seat's HR from the ECG is the one alarmed on
    unit.ecg_hr, unit.ecg_hr_noise, unit.ecg_hr_reason = None, True, "artefact"
    monitor._numerics_dirty = True
    monitor.render(clock())

    assert "ECG HR ? (artefact)" in monitor.hr_compare.text()
    assert {e.code: e.priority for e in monitor.alarms.ordered()} == {"ecg_noise": Priority.LOW}

    unit.ecg_hr, unit.ecg_hr_noise, unit.ecg_hr_reason = 42.0, False, None  # a clean window, truly slow
    monitor._numerics_dirty = True
    monitor.render(clock())

    assert "ECG HR 42" in monitor.hr_compare.text()
    assert {e.code: e.priority for e in monitor.alarms.ordered()} == {"hr_low": Priority.MEDIUM}


def test_a_monitor_deleted_right_after_a_resize_does_not_lay_itself_out_afterwards(qtbot, store, clock):
    from PySide6.QtCore import QCoreApplication, QEvent

    monitor = VitalsMonitor(store, "u1", call_sign="120-01", clock=clock)
    monitor.show()
    monitor.resize(900, 500)  # queues a re-layout for the next pass of the event loop

    monitor.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QCoreApplication.processEvents()  # the queued re-layout must not run on the deleted widget
