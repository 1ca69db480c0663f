"""An artefact gap in the ECG is flagged as noise, never read as a falsely low heart rate.

MIT-BIH 208 has amplifier-blocking artefacts (a baseline jump, then a slow decay with no
QRS) at ~42 s, ~96 s and ~209 s. Averaging RR over a 10-s window counted each gap as one
long beat and read 48–86 /min where two neurokit2 detectors read ~90–108 /min
(bench/ecg_hr.py); the seat showed that number with a signal quality of 0.9–1.0.
"""

from __future__ import annotations

import numpy as np
import pytest

from app.alarms import AlarmCode, Priority, evaluate
from app.ecg import qrs, records
from app.ecg.rhythms import Rhythm, generate
from app.seat.telemetry import TelemetryStore
from app.sim.monitor import SimulatedMonitor

FS = 500.0


def mitdb_window(start_s: float) -> np.ndarray:
    fs = records.MITDB_FS
    return records.mitdb_208()[int(start_s * fs) : int((start_s + 10) * fs)]


def with_amplifier_blocking(ecg: np.ndarray, fs: float, start_s: float, seconds: float) -> np.ndarray:
    """``ecg`` with ``seconds`` of artefact: a 3 mV baseline jump decaying over ~1 s, no QRS in it."""
    out = ecg.copy()
    lo, hi = int(start_s * fs), int((start_s + seconds) * fs)
    t = np.arange(hi - lo) / fs
    out[lo:hi] = ecg[lo] + 3.0 * np.exp(-t / 1.0) + 0.01 * np.sin(2 * np.pi * 0.3 * t)
    return out


@pytest.mark.parametrize("start_s", [40.0, 89.0, 205.0])
def test_a_mitdb_208_window_with_an_artefact_gap_is_noise_where_the_mean_rr_read_15_bpm_low(start_s):
    window = mitdb_window(start_s)
    fs = records.MITDB_FS
    beats = qrs.detect_qrs(window, fs)
    mean_rr_rate = qrs.rate_from_beats(beats, fs)
    assert mean_rr_rate <= qrs.robust_rate(beats, fs) - 15, "the old mean-RR rate read this window falsely low"

    result = qrs.heart_rate(window, fs)

    assert result.noise and result.hr is None
    assert result.reason == qrs.NoiseReason.ARTEFACT
    assert result.artefact_s >= 1.5


@pytest.mark.parametrize("start_s", [0.0, 100.0, 260.0])
def test_a_clean_mitdb_208_window_still_reads_its_rate(start_s):
    window = mitdb_window(start_s)
    fs = records.MITDB_FS
    beats = qrs.detect_qrs(window, fs)

    result = qrs.heart_rate(window, fs)

    assert not result.noise and result.reason is None and result.artefact_s == 0
    assert abs(result.hr - qrs.rate_from_beats(beats, fs)) <= 3  # nothing missing: mean and median agree


def test_a_3_s_baseline_jump_hiding_the_qrs_is_artefact_not_bradycardia():
    ecg = with_amplifier_blocking(generate(Rhythm.SINUS, FS, seconds=10), FS, start_s=4.0, seconds=3.0)
    beats = qrs.detect_qrs(ecg, FS)
    assert qrs.rate_from_beats(beats, FS) <= 75 - 15  # what the mean RR showed

    result = qrs.heart_rate(ecg, FS)

    assert result.hr is None and result.reason == qrs.NoiseReason.ARTEFACT
    assert qrs.artefact_gaps(ecg, FS, beats)


def test_a_baseline_jump_that_hides_no_beat_keeps_the_rate():
    ecg = generate(Rhythm.SINUS, FS, seconds=10)
    ecg[int(4 * FS) :] += 2.0  # electrode shift: the QRS go on above a new baseline

    result = qrs.heart_rate(ecg, FS)

    assert not result.noise and abs(result.hr - 75) < 5


def test_a_real_pause_on_a_flat_baseline_is_not_called_artefact():
    ecg = generate(Rhythm.SINUS, FS, seconds=10)
    lo, hi = int(4 * FS), int(7 * FS)
    ecg[lo:hi] = np.linspace(ecg[lo], ecg[hi], hi - lo)  # 3 s sinus arrest: no beat, baseline stays

    result = qrs.heart_rate(ecg, FS)

    assert result.reason != qrs.NoiseReason.ARTEFACT and result.artefact_s == 0


def test_a_true_bradycardia_is_read_and_still_alarms():
    # The 75 /min sinus loop played as if sampled 75/40 slower: 40 /min, wider complexes.
    fs = FS * 40 / 75
    ecg = generate(Rhythm.SINUS, FS, seconds=10 * 75 / 40)

    result = qrs.heart_rate(ecg, fs)

    assert not result.noise and abs(result.hr - 40) < 3
    assert evaluate({}, ecg_hr=result.hr) == {AlarmCode.HR_LOW: Priority.MEDIUM}


def test_the_median_of_rr_pairs_reads_bigeminy_right():
    # Ventricular bigeminy: 0.45 s coupling, 0.75 s compensatory pause -> 100 /min.
    beats = np.cumsum(np.tile([0.45, 0.75], 8)) * FS
    assert abs(qrs.robust_rate(beats, FS) - 100) < 0.5
    assert qrs.robust_rate(np.array([0, 500]), FS) == 60.0
    assert qrs.robust_rate(np.array([0]), FS) is None


class Clock:
    now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_seat_shows_no_ecg_heart_rate_and_raises_no_bradycardia_in_the_mitdb_208_artefact():
    clock = Clock()
    store = TelemetryStore(clock=clock)
    monitor = SimulatedMonitor("A1", "mitdb208", start_epoch_s=1_000_000.0)
    for second in range(1, 216):  # the last 10 s at 215 s hold the 209–214 s artefact
        clock.now += 1.0
        store.apply_many(monitor.frames_until(1_000_000.0 + second))
    unit = store.units["A1"]

    assert unit.ecg_hr is None and unit.ecg_hr_noise and unit.ecg_hr_reason == "artefact"
    without_device_hr = evaluate({}, ecg_hr=unit.ecg_hr, ecg_noise_reason=unit.ecg_hr_reason)
    assert AlarmCode.HR_LOW not in without_device_hr
    assert without_device_hr == {AlarmCode.ECG_NOISE: Priority.LOW}
