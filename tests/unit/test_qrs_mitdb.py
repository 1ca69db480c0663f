"""The heart rate from the ECG agrees with neurokit2's detector on the real MIT-BIH record 208."""

from __future__ import annotations

import numpy as np
import pytest

from app.ecg import qrs, records
from app.ecg.rhythms import Rhythm, generate

nk = pytest.importorskip("neurokit2", reason="neurokit2 is the reference detector (dev extra)")


def test_hr_per_10_s_window_matches_neurokit2_on_mitdb_208():
    ecg = records.mitdb_208()
    fs = records.MITDB_FS
    mine = qrs.windows(ecg, fs)
    _signals, info = nk.ecg_peaks(ecg, sampling_rate=int(fs))
    reference = np.asarray(info["ECG_R_Peaks"])
    size = int(qrs.WINDOW_S * fs)
    assert len(mine) == 30
    diffs = []
    for i, window in enumerate(mine):
        inside = reference[(reference >= i * size) & (reference < (i + 1) * size)] - i * size
        ref_noise, _sqi = qrs.window_quality(ecg[i * size : (i + 1) * size], fs, inside)
        if window.noise or ref_noise:
            assert window.hr is None or ref_noise  # a noise window of ours never shows a rate
            continue
        diffs.append(abs(window.hr - qrs.robust_rate(inside, fs)))
    diffs = np.asarray(diffs)
    assert len(diffs) >= 20
    assert (diffs <= 3).mean() >= 0.9, diffs
    assert diffs.max() <= 10, diffs


@pytest.mark.parametrize(("rhythm", "rate"), [(Rhythm.SINUS, 75), (Rhythm.VT, 180)])
def test_generated_rhythms_give_their_rate(rhythm, rate):
    result = qrs.heart_rate(generate(rhythm, 500.0, seconds=10), 500.0)
    assert not result.noise and abs(result.hr - rate) < 5


def test_pure_noise_is_marked_as_noise_not_as_a_rate():
    rng = np.random.default_rng(1)
    result = qrs.heart_rate(0.5 * rng.standard_normal(5000), 500.0)
    assert result.noise and result.hr is None


def test_empty_signal_is_an_error():
    with pytest.raises(ValueError):
        qrs.heart_rate(np.zeros(0), 500.0)
