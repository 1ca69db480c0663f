"""During VF the seat shows "noise", never a heart rate counted from fibrillation waves."""

from __future__ import annotations

import numpy as np
import pytest

from app.ecg import qrs
from app.ecg.rhythms import Rhythm, generate
from app.seat.telemetry import TelemetryStore
from app.sim.monitor import SimulatedMonitor

FS = 500.0


def ten_second_windows(rhythm: Rhythm) -> list[qrs.HeartRate]:
    loop = generate(rhythm, FS, seconds=30)
    size = int(10 * FS)
    return [qrs.heart_rate(loop[o : o + size], FS) for o in range(0, len(loop) - size + 1, int(FS))]


def test_every_vf_window_is_noise_with_no_rate():
    results = ten_second_windows(Rhythm.VF)
    assert results and all(r.noise and r.hr is None for r in results)


@pytest.mark.parametrize(("rhythm", "rate"), [(Rhythm.VT, 180), (Rhythm.SINUS, 75), (Rhythm.STEMI, 88)])
def test_organised_rhythms_keep_their_rate_in_every_window(rhythm, rate):
    results = ten_second_windows(rhythm)
    assert all(not r.noise and abs(r.hr - rate) < 10 for r in results)


def test_fibrillation_is_told_from_a_qrs_train_by_its_single_frequency():
    peak, concentration = qrs.dominant_frequency(generate(Rhythm.VF, FS, seconds=10), FS)
    assert 4.0 <= peak <= 6.0 and concentration > qrs.FIB_CONCENTRATION
    _peak, concentration = qrs.dominant_frequency(generate(Rhythm.SINUS, FS, seconds=10), FS)
    assert concentration < qrs.FIB_CONCENTRATION
    assert not qrs.fibrillation_like(np.zeros(5000), FS, None)


class Clock:
    now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_seat_shows_no_ecg_heart_rate_for_an_ambulance_in_vf():
    clock = Clock()
    store = TelemetryStore(clock=clock)
    monitor = SimulatedMonitor("A1", "vf", start_epoch_s=1_000_000.0)
    for second in range(1, 13):
        clock.now += 1.0
        store.apply_many(monitor.frames_until(1_000_000.0 + second))
    unit = store.units["A1"]
    assert unit.ecg_hr_at is not None, "the seat did compute the HR from the ECG"
    assert unit.ecg_hr is None and unit.ecg_hr_noise
