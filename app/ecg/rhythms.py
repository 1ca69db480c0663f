"""Generated ECG rhythms for the simulated monitors (lead II, mV, any rate).

Each rhythm is synthesised once as a loop of :data:`LOOP_S` seconds from a
seeded RNG (repeatable) by summing Gaussian P/Q/R/S/T waves per beat (sinus,
ST elevation, AF, VT) or filtered noise (VF); asystole is a near-flat line
with a little baseline noise (a *real* asystole, not missing data).
Pure numpy; any thread. ``ValueError`` for an unknown rhythm.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np

LOOP_S = 30.0


class Rhythm(StrEnum):
    SINUS = "sinus"
    STEMI = "st_elevation"
    AF = "af"
    VT = "vt"
    VF = "vf"
    ASYSTOLE = "asystole"


# Typical rate (/min) of each rhythm, for the simulated device's HR numeric.
RATES: dict[Rhythm, float | None] = {
    Rhythm.SINUS: 75.0,
    Rhythm.STEMI: 88.0,
    Rhythm.AF: 110.0,
    Rhythm.VT: 180.0,
    Rhythm.VF: None,
    Rhythm.ASYSTOLE: 0.0,
}

# (offset s from R, width s, amplitude mV) of P, Q, R, S, T
_SINUS_WAVES = ((-0.16, 0.025, 0.15), (-0.03, 0.010, -0.12), (0.0, 0.012, 1.2), (0.03, 0.012, -0.25), (0.28, 0.05, 0.3))


def _beats(fs: float, rr: np.ndarray, waves: tuple[tuple[float, float, float], ...], n: int) -> np.ndarray:
    t = np.arange(n) / fs
    out = np.zeros(n)
    r_times = np.cumsum(rr)
    for r in r_times[r_times < n / fs + 0.5]:
        for off, width, amp in waves:
            centre = r + off
            lo, hi = int((centre - 5 * width) * fs), int((centre + 5 * width) * fs) + 1
            lo, hi = max(lo, 0), min(hi, n)
            if hi > lo:
                out[lo:hi] += amp * np.exp(-0.5 * ((t[lo:hi] - centre) / width) ** 2)
    return out


def generate(rhythm: Rhythm | str, fs: float = 500.0, seconds: float = LOOP_S, seed: int = 6) -> np.ndarray:
    """``seconds`` of the rhythm at ``fs`` Hz, in mV (float64)."""
    rhythm = Rhythm(rhythm)
    rng = np.random.default_rng(seed)
    n = int(round(seconds * fs))
    beats_needed = int(seconds * 4) + 4
    noise = 0.01 * rng.standard_normal(n)
    wander = 0.05 * np.sin(2 * np.pi * 0.25 * np.arange(n) / fs)
    if rhythm in (Rhythm.SINUS, Rhythm.STEMI):
        rate = RATES[rhythm] or 75.0
        rr = 60.0 / rate + 0.02 * rng.standard_normal(beats_needed)
        waves: tuple[tuple[float, float, float], ...] = _SINUS_WAVES
        if rhythm == Rhythm.STEMI:
            # ST elevation: a broad positive wave joining S and T (~0.3 mV "tombstone").
            waves = (*_SINUS_WAVES[:4], (0.12, 0.07, 0.3), (0.26, 0.06, 0.5))
        return _beats(fs, rr, waves, n) + noise + wander
    if rhythm == Rhythm.AF:
        rr = rng.uniform(0.38, 0.75, beats_needed)
        waves = _SINUS_WAVES[1:]  # no P wave
        f_waves = 0.06 * np.sin(2 * np.pi * 6.0 * np.arange(n) / fs + rng.uniform(0, 6.28)) * (
            1 + 0.5 * np.sin(2 * np.pi * 0.7 * np.arange(n) / fs)
        )
        return _beats(fs, rr, waves, n) + f_waves + noise + wander
    if rhythm == Rhythm.VT:
        rr = np.full(beats_needed, 60.0 / 180.0)
        waves = ((0.0, 0.04, 1.6), (0.09, 0.05, -1.0))  # wide, monomorphic
        return _beats(fs, rr, waves, n) + noise
    if rhythm == Rhythm.VF:
        t = np.arange(n) / fs
        freq = 5.0 + 0.8 * np.sin(2 * np.pi * 0.13 * t)
        phase = 2 * np.pi * np.cumsum(freq) / fs
        amp = 0.5 + 0.3 * np.sin(2 * np.pi * 0.21 * t + 1.0) + 0.1 * rng.standard_normal(n).cumsum() / np.sqrt(n)
        return amp * np.sin(phase) + 0.15 * np.sin(2.3 * phase + 0.5) + noise
    return 0.5 * noise + 0.02 * np.sin(2 * np.pi * 0.1 * np.arange(n) / fs)  # asystole
