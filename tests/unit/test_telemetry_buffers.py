"""The seat's telemetry buffers: gaps stay gaps, silence becomes "no data", bad frames change nothing."""

from __future__ import annotations

import numpy as np

from app.seat.telemetry import TelemetryStore, WaveformBuffer
from app.sim.monitor import SimulatedMonitor, iso

T0 = 1_741_919_470.0


class Clock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def relayed(frame: dict) -> dict:
    return {**frame, "type": "unit_telemetry"}


def test_a_missing_chunk_is_nan_never_a_flat_line():
    buf = WaveformBuffer("ECG_II", 500)
    assert buf.append(T0, np.ones(100), now_monotonic=1.0)
    assert buf.append(T0 + 0.4, np.ones(100), now_monotonic=1.4)  # 0.2 s missing in between
    start, window = buf.window(0.6)
    assert start == T0
    assert np.isnan(window[100:200]).all()
    assert not np.isnan(window[:100]).any() and not np.isnan(window[200:]).any()


def test_a_lead_off_chunk_is_nan_and_flagged():
    buf = WaveformBuffer("ECG_II", 500)
    buf.append(T0, np.ones(100), lead_off=True, now_monotonic=1.0)
    assert np.isnan(buf.window(0.2)[1]).all()
    assert buf.data_state(1.0) == "lead_off"


def test_an_overlapping_chunk_is_refused():
    buf = WaveformBuffer("ECG_II", 500)
    buf.append(T0, np.ones(100), now_monotonic=1.0)
    assert not buf.append(T0 + 0.1, np.zeros(100))
    assert buf.refused_chunks == 1
    assert (buf.window(0.2)[1] == 1).all()


def test_the_window_can_end_now_showing_the_silence_as_a_gap():
    buf = WaveformBuffer("ECG_II", 500)
    buf.append(T0, np.ones(500), now_monotonic=1.0)
    _start, window = buf.window(2.0, end_epoch_s=T0 + 2.0)
    assert np.isnan(window[500:]).all() and (window[:500] == 1).all()


def test_the_ring_keeps_only_the_last_60_seconds():
    buf = WaveformBuffer("ECG_II", 100, seconds=60)
    for i in range(70):
        buf.append(T0 + i, np.full(100, float(i)), now_monotonic=float(i))
    start, window = buf.window(60)
    assert start == T0 + 10 and window[0] == 10 and window[-1] == 69


def test_data_states_go_from_ok_to_no_data_after_3_s_and_vitals_to_stale_after_10_s():
    clock = Clock()
    store = TelemetryStore(clock=clock)
    monitor = SimulatedMonitor("A1", "sinus", T0)
    store.apply_many([relayed(f) for f in monitor.frames_until(T0 + 2)])
    unit = store.units["A1"]
    assert unit.data_state("ECG_II", clock.now) == "ok"
    assert unit.data_state("hr", clock.now) == "ok"
    assert unit.data_state("ECG_V1", clock.now) == "no_data"  # never received
    clock.now += 3.5
    assert unit.data_state("ECG_II", clock.now) == "no_data"
    # Waveforms keep coming but the vitals stopped: stale after 10 s.
    frames = [relayed(f) for f in monitor.frames_until(T0 + 14) if f["kind"] == "waveform"]
    clock.now += 8
    store.apply_many(frames)
    assert unit.data_state("ECG_II", clock.now) == "ok"
    assert unit.data_state("hr", clock.now) == "stale"


def test_bad_frames_are_counted_and_change_nothing():
    store = TelemetryStore(clock=Clock())
    bad = {"v": 1, "type": "unit_telemetry", "unit_id": "A1", "kind": "vitals", "t": iso(T0), "seq": 1,
           "data": {"hr": 900}}
    assert store.apply(bad) == set()
    assert store.apply({"type": "unit_telemetry", "garbage": True}) == set()
    assert store.invalid_frames == 2 and "A1" not in store.units


def test_vf_raises_a_high_priority_alarm_and_the_ecg_rate_is_computed_on_the_seat():
    clock = Clock()
    store = TelemetryStore(clock=clock)
    sinus = SimulatedMonitor("A1", "sinus", T0)
    for frame in sinus.frames_until(T0 + 12):
        clock.now += 0.02
        store.apply(relayed(frame))
    unit = store.units["A1"]
    assert unit.ecg_hr is not None and abs(unit.ecg_hr - 75) < 5
    assert not unit.hr_disagrees
    vf = SimulatedMonitor("A2", "vf", T0)
    store.apply_many([relayed(f) for f in vf.frames_until(T0 + 2)])
    assert [(code, a.priority) for code, a in store.units["A2"].active_alarms()] == [("VF", "high")]


def test_positions_keep_the_newest_fix():
    store = TelemetryStore(clock=Clock())
    item = {"unit_id": "A1", "lat": 29.5, "lon": 106.5, "heading_deg": None, "speed_mps": None,
            "accuracy_m": None, "t": iso(T0 + 5)}
    assert store.apply({"v": 1, "type": "positions", "items": [item]}) == {"A1"}
    older = {**item, "lat": 1.0, "t": iso(T0)}
    store.apply({"v": 1, "type": "positions", "items": [older]})
    assert store.positions["A1"].lat == 29.5
