"""QRS detection and heart rate from one ECG lead, with a signal-quality check.

A Pan–Tompkins style detector in plain numpy (no scipy at run time):

1. band-pass 5–18 Hz (zero-phase, FFT with cosine-tapered edges) — keeps the
   QRS, drops baseline wander, T waves and mains/muscle noise;
2. derivative, squared, moving-window integration over 150 ms;
3. peaks of the integrated signal at least 250 ms apart (≤ 240 /min) above an
   adaptive threshold (a fraction of the running signal level, updated with
   every beat found as Pan–Tompkins does with SPKI/NPKI), with a search-back
   at half the threshold when an RR interval is longer than 1.66× the recent
   mean;
4. each beat is placed on the largest absolute band-passed deflection within
   ±80 ms of the integrated peak.

Heart rate is computed per 10-s window from the **median** of two-beat RR
intervals of the beats in that window (:func:`robust_rate`). A mean RR reads
falsely low whenever an artefact hides a few beats: on MIT-BIH 208 a 2–5 s
amplifier-blocking artefact (baseline jump, then a slow decay with no QRS)
made 10-s windows read 48–86 /min against ~90–109 /min by two neurokit2
detectors (``bench/ecg_hr.py``). The median ignores the odd long interval.

A window is **noise** (rate None) with a :class:`NoiseReason`, checked in this order:

* ``fibrillation`` — :func:`fibrillation_like`: one dominant frequency holding
  most of the power, which the detected beats do not follow (VF's waves are not
  beats to count);
* ``artefact`` — :func:`artefact_gaps`: a beat-free stretch longer than 1.2 s and
  1.8 median RR in which the baseline moves by more than 1 mV (electrode or
  motion artefact, amplifier saturation). A real pause or asystole stays near
  the baseline and is *not* artefact: it must keep its low rate and its alarm;
* ``few_beats`` — fewer beats than a 20 /min rhythm would give (asystole, a pause);
* ``unmatched`` — fewer than 60 % of the beats repeat in shape (:func:`matched_share`);
* ``implausible`` — a rate outside 20–300 /min;
* ``spikes`` — many RR intervals far shorter than the median (artefact spikes counted as beats).

``artefact``, ``unmatched``, ``implausible`` and ``spikes`` are technical
(:data:`TECHNICAL_REASONS`): the signal is bad, not the patient. A noise window
is shown as "?" with its reason, never as a rate.

Pure functions; any thread. Raise ``ValueError`` on an empty signal or a
sampling rate that is not positive.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

BAND_HZ = (5.0, 18.0)
INTEGRATION_S = 0.150
REFRACTORY_S = 0.250
SEARCH_S = 0.080
WINDOW_S = 10.0
THRESHOLD_K = 0.15
SPK_ALPHA = 0.125
T_WAVE_S = 0.360
MATCH_CORRELATION = 0.85
MIN_MATCHED = 0.6
MATCH_BAND_HZ = (1.0, 40.0)
MIN_HR, MAX_HR = 20.0, 300.0
FIB_CONCENTRATION = 0.6  # share of the 1–40 Hz power within ±1 Hz of the peak (ECG ≤ 0.45, VF ≥ 0.85)
FIB_MAX_COUNTABLE_HZ = 4.0  # a dominant wave faster than 240 /min is flutter/fibrillation, not beats
FIB_RATE_TOLERANCE = 0.2
# VF and flutter waves run at 3–10 Hz; a concentrated peak below 2 Hz is baseline movement
# (an artefact window of MIT-BIH 208 peaks at 1.1 Hz with a concentration of 0.62).
FIB_MIN_HZ = 2.0
# Artefact gaps. On MIT-BIH 208 the three beat-free stretches longer than 1.4 s are all
# amplifier-blocking artefacts whose smoothed baseline moves 2.0–3.6 mV; the wander
# between beats elsewhere stays well under 1 mV.
GAP_MIN_S = 1.2
GAP_RR_FACTOR = 1.8
BASELINE_JUMP_MV = 1.0
BASELINE_SMOOTH_S = 0.2  # moving average, applied twice (≈ a 2 Hz low-pass)
GAP_GUARD_S = (0.2, 0.1)  # skipped after the previous beat (QRS, T) and before the next one


class NoiseReason(StrEnum):
    """Why a window gives no rate (see the module docstring)."""

    FIBRILLATION = "fibrillation"
    ARTEFACT = "artefact"
    FEW_BEATS = "few_beats"
    UNMATCHED = "unmatched"
    IMPLAUSIBLE = "implausible"
    SPIKES = "spikes"


# The signal is bad, not the patient: a technical alarm condition, not a physiological one.
TECHNICAL_REASONS = frozenset({NoiseReason.ARTEFACT, NoiseReason.UNMATCHED, NoiseReason.IMPLAUSIBLE,
                               NoiseReason.SPIKES})


@dataclass(frozen=True)
class HeartRate:
    """HR of one window: ``hr`` in /min (None when noise), ``noise`` flag and its ``reason``, ``beats``.

    ``artefact_s`` is how long the artefact gaps in the window last (0 when there are none).
    """

    hr: float | None
    noise: bool
    beats: int
    sqi: float
    reason: NoiseReason | None = None
    artefact_s: float = 0.0


def bandpass(signal: np.ndarray, fs: float, band: tuple[float, float] = BAND_HZ) -> np.ndarray:
    """Zero-phase FFT band-pass with 1-Hz cosine tapers. Returns float64."""
    x = np.asarray(signal, dtype=np.float64)
    x = x - np.median(x)
    n = len(x)
    size = 1 << int(np.ceil(np.log2(max(n, 2)) + 1))  # padding: no wrap-around between the ends
    spectrum = np.fft.rfft(x, size)
    freqs = np.fft.rfftfreq(size, 1.0 / fs)
    lo, hi = band
    gain = np.clip((freqs - (lo - 1.0)) / 2.0, 0, 1) * np.clip(((hi + 1.0) - freqs) / 2.0, 0, 1)
    gain = 0.5 - 0.5 * np.cos(np.pi * gain)
    return np.fft.irfft(spectrum * gain, size)[:n]


def _integrated(filtered: np.ndarray, fs: float) -> np.ndarray:
    deriv = np.gradient(filtered) * fs
    width = max(1, int(round(INTEGRATION_S * fs)))
    return np.convolve(deriv * deriv, np.ones(width) / width, mode="same")


def _local_maxima(x: np.ndarray, distance: int) -> np.ndarray:
    """Indexes of local maxima at least ``distance`` apart, the larger one winning."""
    inner = np.flatnonzero((x[1:-1] > x[:-2]) & (x[1:-1] >= x[2:])) + 1
    if len(inner) == 0:
        return inner
    order = np.argsort(x[inner])[::-1]
    taken = np.zeros(len(x), dtype=bool)
    keep = []
    for i in inner[order]:
        lo, hi = max(0, i - distance + 1), min(len(x), i + distance)
        if not taken[lo:hi].any():
            keep.append(i)
            taken[i] = True
    return np.sort(np.asarray(keep, dtype=int))


def detect_qrs(signal: np.ndarray, fs: float) -> np.ndarray:
    """Sample indexes of the QRS complexes in ``signal`` (mV or any unit)."""
    if fs <= 0:
        raise ValueError("sampling rate must be positive")
    x = np.asarray(signal, dtype=np.float64)
    if len(x) == 0:
        raise ValueError("empty signal")
    if len(x) < int(fs * 0.5) or not np.isfinite(x).all():
        return np.zeros(0, dtype=int)
    filtered = bandpass(x, fs)
    mwi = _integrated(filtered, fs)
    distance = int(REFRACTORY_S * fs)
    candidates = _local_maxima(mwi, distance)
    if len(candidates) == 0:
        return candidates
    # Initial levels from the first 2 s (Pan–Tompkins' learning phase).
    learn = mwi[: int(2 * fs)]
    spk = 0.25 * float(learn.max())
    npk = 0.5 * float(np.mean(learn))
    threshold = npk + THRESHOLD_K * (spk - npk)
    beats: list[int] = []
    rr_recent: list[int] = []
    slope = np.abs(np.gradient(filtered))
    half = int(0.075 * fs)
    t_wave_s = int(T_WAVE_S * fs)

    def max_slope(i: int) -> float:
        return float(slope[max(0, i - half) : i + half + 1].max())

    for idx in candidates:
        value = mwi[idx]
        # T-wave discrimination (Pan–Tompkins): soon after a beat and with less
        # than half its steepest slope, a peak is the T wave, not a QRS.
        if value > threshold and beats and idx - beats[-1] < t_wave_s:
            if max_slope(idx) < 0.5 * max_slope(beats[-1]):
                npk = SPK_ALPHA * value + (1 - SPK_ALPHA) * npk
                continue
        if value > threshold:
            if beats and rr_recent:
                gap = idx - beats[-1]
                mean_rr = float(np.mean(rr_recent[-8:]))
                if gap > 1.66 * mean_rr:
                    _search_back(mwi, candidates, beats[-1], idx, threshold * 0.5, distance, beats, rr_recent)
            if beats:
                rr_recent.append(idx - beats[-1])
            beats.append(int(idx))
            spk = SPK_ALPHA * value + (1 - SPK_ALPHA) * spk
        else:
            npk = 0.125 * value + 0.875 * npk
        threshold = npk + THRESHOLD_K * (spk - npk)
    return _refine(filtered, np.asarray(beats, dtype=int), int(SEARCH_S * fs))


def _search_back(
    mwi: np.ndarray,
    candidates: np.ndarray,
    last: int,
    now: int,
    low_threshold: float,
    distance: int,
    beats: list[int],
    rr_recent: list[int],
) -> None:
    between = candidates[(candidates > last + distance) & (candidates < now - distance)]
    if len(between) == 0:
        return
    best = int(between[np.argmax(mwi[between])])
    if mwi[best] > low_threshold:
        rr_recent.append(best - beats[-1])
        beats.append(best)


def _refine(filtered: np.ndarray, beats: np.ndarray, half: int) -> np.ndarray:
    if len(beats) == 0:
        return beats
    out = np.empty_like(beats)
    mag = np.abs(filtered)
    for i, b in enumerate(beats):
        lo, hi = max(0, b - half), min(len(filtered), b + half + 1)
        out[i] = lo + int(np.argmax(mag[lo:hi]))
    return np.unique(out)


def rate_from_beats(beats: np.ndarray, fs: float) -> float | None:
    """Mean rate (/min) from beat indexes; None with fewer than 2 beats.

    Reads low when beats are missing (an artefact gap counts as one long RR):
    the displayed rate is :func:`robust_rate`.
    """
    if len(beats) < 2:
        return None
    return 60.0 * fs * (len(beats) - 1) / float(beats[-1] - beats[0])


def robust_rate(beats: np.ndarray, fs: float) -> float | None:
    """Rate (/min) from the median of two-beat intervals (RRᵢ + RRᵢ₊₁) / 2; None with fewer than 2 beats.

    A median ignores the odd long interval (a missed beat, an artefact gap); taken
    over pairs of RR it stays right in ventricular bigeminy, where a plain median
    RR would pick either the short coupling or the long compensatory interval.
    With only two beats it is their one RR.
    """
    if len(beats) < 2:
        return None
    rr = np.diff(np.asarray(beats, dtype=np.float64))
    pairs = (rr[:-1] + rr[1:]) / 2.0 if len(rr) >= 2 else rr
    return 60.0 * fs / float(np.median(pairs))


def _smooth(x: np.ndarray, width: int) -> np.ndarray:
    """Centred moving average (shorter at the edges), by cumulative sums."""
    if width <= 1 or len(x) == 0:
        return x
    csum = np.concatenate(([0.0], np.cumsum(x)))
    idx = np.arange(len(x))
    lo = np.clip(idx - width // 2, 0, len(x))
    hi = np.clip(idx + width // 2 + 1, 0, len(x))
    return (csum[hi] - csum[lo]) / (hi - lo)


def artefact_gaps(signal: np.ndarray, fs: float, beats: np.ndarray) -> list[tuple[int, int]]:
    """Beat-free stretches ``(start, stop)`` (sample indexes) that are artefact, not a pause.

    A stretch between two beats, or between a window edge and its first/last
    beat, is an artefact gap when it lasts at least :data:`GAP_MIN_S` and
    :data:`GAP_RR_FACTOR` × the median RR, and the baseline (``signal`` smoothed
    by :data:`BASELINE_SMOOTH_S` twice, outside :data:`GAP_GUARD_S` of the beats)
    moves by more than :data:`BASELINE_JUMP_MV` in it. A pause or asystole stays
    near the baseline and is not returned.
    """
    x = np.asarray(signal, dtype=np.float64)
    if len(x) == 0:
        return []
    width = max(1, int(round(BASELINE_SMOOTH_S * fs)))
    baseline = _smooth(_smooth(x - np.median(x), width), width)
    longest_rr = GAP_RR_FACTOR * float(np.median(np.diff(beats))) if len(beats) >= 3 else 0.0
    min_len = max(GAP_MIN_S * fs, longest_rr)
    after, before = (int(round(g * fs)) for g in GAP_GUARD_S)
    edges = np.concatenate(([0], np.asarray(beats, dtype=int), [len(x)]))
    gaps = []
    for start, stop in zip(edges[:-1], edges[1:], strict=True):
        if stop - start < min_len:
            continue
        lo = start + after if start > 0 else 0
        hi = stop - before if stop < len(x) else len(x)
        if hi > lo and float(np.ptp(baseline[lo:hi])) > BASELINE_JUMP_MV:
            gaps.append((int(start), int(stop)))
    return gaps


def signal_quality(signal: np.ndarray, fs: float, beats: np.ndarray) -> float:
    """0..1: share of the 5–18 Hz band energy that falls within ±60 ms of the detected beats.

    Clean ECG has most of its QRS-band energy in the complexes; muscle noise,
    motion and electrode artefact spread it everywhere.
    """
    filtered = bandpass(signal, fs)
    energy = filtered * filtered
    total = float(energy.sum())
    if total <= 0 or len(beats) == 0:
        return 0.0
    mask = np.zeros(len(signal), dtype=bool)
    half = int(0.06 * fs)
    for b in beats:
        mask[max(0, b - half) : b + half + 1] = True
    return float(energy[mask].sum()) / total


def matched_share(signal: np.ndarray, fs: float, beats: np.ndarray) -> float:
    """0..1: share of beats whose shape (band-passed, ±100 ms) closely matches another beat's.

    Real complexes repeat (normal beats look alike, so do the PVCs of one focus,
    so do VT complexes); peaks picked out of noise do not.
    """
    half = int(0.1 * fs)
    filtered = bandpass(signal, fs, MATCH_BAND_HZ)  # wide band: noise must not look like a wave train
    inside = beats[(beats >= half) & (beats < len(signal) - half)]
    if len(inside) < 3:
        return 0.0
    segments = np.stack([filtered[b - half : b + half] for b in inside])
    segments = segments - segments.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(segments, axis=1)
    if np.any(norms == 0):
        return 0.0
    unit = segments / norms[:, None]
    corr = unit @ unit.T
    np.fill_diagonal(corr, -1.0)
    return float(np.mean(corr.max(axis=1) > MATCH_CORRELATION))


def dominant_frequency(signal: np.ndarray, fs: float) -> tuple[float, float]:
    """``(peak Hz, concentration)``: the strongest 1–40 Hz frequency and the share of power within ±1 Hz of it.

    A QRS train spreads its power over many harmonics (concentration ≤ ~0.45 on
    MIT-BIH 208 and the 12-lead record); fibrillation and flutter are nearly
    sinusoidal (≥ ~0.85).
    """
    x = np.asarray(signal, dtype=np.float64)
    if len(x) < 4:
        return 0.0, 0.0
    power = np.abs(np.fft.rfft((x - x.mean()) * np.hanning(len(x)))) ** 2
    freqs = np.fft.rfftfreq(len(x), 1.0 / fs)
    band = (freqs >= 1.0) & (freqs <= 40.0)
    total = float(power[band].sum())
    if not band.any() or total <= 0:
        return 0.0, 0.0
    peak = float(freqs[band][np.argmax(power[band])])
    return peak, float(power[band & (np.abs(freqs - peak) <= 1.0)].sum()) / total


def fibrillation_like(signal: np.ndarray, fs: float, rate: float | None) -> bool:
    """A quasi-sinusoidal window whose detected beats do not follow its one frequency (VF, flutter).

    True when the power is concentrated (≥ :data:`FIB_CONCENTRATION`) at
    :data:`FIB_MIN_HZ` or faster, and either
    the dominant wave is faster than a countable rate (≥ 4 Hz) or the detected
    rate differs from it by more than 20 %. Monomorphic VT passes: its beats are
    its dominant wave.
    """
    peak, concentration = dominant_frequency(signal, fs)
    if concentration < FIB_CONCENTRATION or peak < FIB_MIN_HZ:
        return False
    if peak >= FIB_MAX_COUNTABLE_HZ or rate is None:
        return True
    return abs(rate - 60.0 * peak) > FIB_RATE_TOLERANCE * 60.0 * peak


def window_quality(signal: np.ndarray, fs: float, beats: np.ndarray) -> tuple[bool, float]:
    """``(noise, sqi)`` for one window and its beats (indexes into ``signal``).

    The signal-quality index is :func:`matched_share` (1–40 Hz); the window is
    noise for any :class:`NoiseReason` (:func:`noise_reason`).
    """
    reason, sqi, _gaps = noise_reason(signal, fs, beats)
    return reason is not None, sqi


def noise_reason(
    signal: np.ndarray, fs: float, beats: np.ndarray
) -> tuple[NoiseReason | None, float, list[tuple[int, int]]]:
    """``(reason or None, sqi, artefact gaps)`` of one window and its beats (indexes into ``signal``).

    Reasons are tried in the order of the module docstring, so VF is never
    called an artefact and an artefact gap is named even when few beats remain.
    """
    x = np.asarray(signal, dtype=np.float64)
    seconds = len(x) / fs
    rate = robust_rate(beats, fs)
    gaps = artefact_gaps(x, fs, beats)
    if fibrillation_like(x, fs, rate):
        return NoiseReason.FIBRILLATION, 0.0, gaps
    if gaps:
        return NoiseReason.ARTEFACT, matched_share(x, fs, beats), gaps
    if len(beats) < 2 or len(beats) < seconds * MIN_HR / 60.0:
        return NoiseReason.FEW_BEATS, 0.0, gaps
    sqi = matched_share(x, fs, beats)
    rr = np.diff(beats) / fs
    if sqi < MIN_MATCHED:
        return NoiseReason.UNMATCHED, sqi, gaps
    if rate is None or not MIN_HR <= rate <= MAX_HR:
        return NoiseReason.IMPLAUSIBLE, sqi, gaps
    if float(np.mean(rr < 0.45 * np.median(rr))) > 0.15:
        return NoiseReason.SPIKES, sqi, gaps
    return None, sqi, gaps


def _result(signal: np.ndarray, fs: float, beats: np.ndarray) -> HeartRate:
    reason, sqi, gaps = noise_reason(signal, fs, beats)
    hr = None if reason is not None else robust_rate(beats, fs)
    artefact_s = sum(stop - start for start, stop in gaps) / fs
    return HeartRate(hr, reason is not None, len(beats), sqi, reason, artefact_s)


def heart_rate(signal: np.ndarray, fs: float) -> HeartRate:
    """HR of one window (typically the last 10 s) with its noise flag and reason."""
    x = np.asarray(signal, dtype=np.float64)
    return _result(x, fs, detect_qrs(x, fs))


def windows(signal: np.ndarray, fs: float, window_s: float = WINDOW_S) -> list[HeartRate]:
    """HR of every full window of a long recording, detected once over the whole signal."""
    x = np.asarray(signal, dtype=np.float64)
    beats = detect_qrs(x, fs)
    size = int(round(window_s * fs))
    out = []
    for start in range(0, len(x) - size + 1, size):
        inside = beats[(beats >= start) & (beats < start + size)] - start
        out.append(_result(x[start : start + size], fs, inside))
    return out
