"""ECG heart-rate benchmark: our 10-s HR on MIT-BIH 208 against two neurokit2 detectors.

The seat computes the HR every second from the last 10 s of ECG
(``app.seat.telemetry``), so the record (5 min, 360 Hz, lead MLII) is cut the same way:
10-s windows stepped by 1 s (291 windows), each detected on its own, as at the seat.

* **References**: neurokit2's default detector and a second one (``pantompkins1985``;
  ``hamilton2002`` as a cross-check) run once over the whole record. A window's reference
  rate is :func:`app.ecg.qrs.robust_rate` of that detector's beats (the same formula as
  ours, so what is compared is where the beats are, not how they are averaged). A window
  counts when the two references agree within 3 bpm.
* **Ours**: :func:`app.ecg.qrs.heart_rate` (what the seat shows) — within 3 bpm of the
  default reference, flagged as noise (with its reason), or off. The old figure, the mean
  RR of the same beats, is reported beside it (it read 48–83 /min in the artefact gaps).
* **Time**: our HR over all windows against, in the same run, a bare scipy baseline
  (Butterworth 5–18 Hz ``filtfilt`` + ``find_peaks``, no quality check) and neurokit2's
  default ``ecg_peaks`` on the same windows; reported as ratios.

neurokit2 is heavy and not a run-time or test dependency: it is the ``bench`` extra
(``pip install -e '.[dev,bench]'``; ``make bench`` installs it). Without it :func:`run`
raises ``RuntimeError`` saying so.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from app.ecg import qrs, records

WINDOW_S = 10.0
STEP_S = 1.0
AGREE_BPM = 3.0
REFERENCE = "neurokit"
SECOND_REFERENCES = ("pantompkins1985", "hamilton2002")
INSTALL_HINT = ("neurokit2 is needed for the ECG HR benchmark (reference detectors): "
                "pip install -e '.[dev,bench]'  (make bench does this)")


def _neurokit() -> Any:
    try:
        import neurokit2  # heavy and bench-only: imported when this benchmark runs
    except ImportError as exc:
        raise RuntimeError(INSTALL_HINT) from exc
    return neurokit2


def _reference_beats(nk: Any, ecg: np.ndarray, fs: float, method: str) -> np.ndarray:
    _signals, info = nk.ecg_peaks(ecg, sampling_rate=int(fs), method=method)
    return np.asarray(info["ECG_R_Peaks"], dtype=int)


def _scipy_rate(window: np.ndarray, fs: float) -> float | None:
    """The bare baseline: band-pass, squared slope, peaks ≥ 250 ms apart above half the max."""
    from scipy.signal import butter, filtfilt, find_peaks

    b, a = butter(2, (5.0, 18.0), btype="band", fs=fs)
    energy = np.gradient(filtfilt(b, a, window)) ** 2
    peaks, _ = find_peaks(energy, height=0.3 * float(energy.max()), distance=int(0.25 * fs))
    return qrs.robust_rate(peaks, fs)


def _time_per_window(fn: Callable[[np.ndarray], object], windows: list[np.ndarray], rounds: int) -> float:
    """Best of ``rounds`` passes over every window, in ms per window."""
    best = float("inf")
    for _ in range(max(1, rounds)):
        t0 = time.perf_counter()
        for window in windows:
            fn(window)
        best = min(best, time.perf_counter() - t0)
    return best * 1000.0 / len(windows)


def run(step_s: float = STEP_S, rounds: int = 3) -> dict[str, Any]:
    """Score every 10-s window of MIT-BIH 208 and time the detectors.

    Raises:
        RuntimeError: neurokit2 is not installed (the message says how to install it).
    """
    nk = _neurokit()
    ecg = records.mitdb_208()
    fs = records.MITDB_FS
    size, step = int(WINDOW_S * fs), int(step_s * fs)
    starts = list(range(0, len(ecg) - size + 1, step))
    references = {m: _reference_beats(nk, ecg, fs, m) for m in (REFERENCE, *SECOND_REFERENCES)}

    def ref_rate(method: str, start: int) -> float | None:
        beats = references[method]
        return qrs.robust_rate(beats[(beats >= start) & (beats < start + size)] - start, fs)

    rows = []
    for start in starts:
        window = ecg[start : start + size]
        ours = qrs.heart_rate(window, fs)
        old = qrs.rate_from_beats(qrs.detect_qrs(window, fs), fs)  # the former mean-RR rate
        rows.append({"start_s": start / fs, "hr": ours.hr, "reason": ours.reason, "old": old,
                     "refs": {m: ref_rate(m, start) for m in references}})

    def score(second: str) -> dict[str, Any]:
        agreed = [r for r in rows if r["refs"][REFERENCE] is not None and r["refs"][second] is not None
                  and abs(r["refs"][REFERENCE] - r["refs"][second]) <= AGREE_BPM]
        within = [r for r in agreed if r["hr"] is not None and abs(r["hr"] - r["refs"][REFERENCE]) <= AGREE_BPM]
        noise = [r for r in agreed if r["hr"] is None]
        old_within = [r for r in agreed if r["old"] is not None and abs(r["old"] - r["refs"][REFERENCE]) <= AGREE_BPM]
        shown = len(agreed) - len(noise)
        return {
            "agreed_windows": len(agreed),
            "within_3": len(within),
            "within_3_share": len(within) / len(agreed) if agreed else None,
            "within_3_share_of_shown": len(within) / shown if shown else None,
            "noise": len(noise),
            "old_within_3_share": len(old_within) / len(agreed) if agreed else None,
        }

    old_low = [r for r in rows if r["old"] is not None
               and r["old"] <= r["refs"][REFERENCE] - 15 and r["old"] <= r["refs"][SECOND_REFERENCES[0]] - 15]
    windows = [ecg[s : s + size] for s in starts]
    ours_ms = _time_per_window(lambda w: qrs.heart_rate(w, fs), windows, rounds)
    scipy_ms = _time_per_window(lambda w: _scipy_rate(w, fs), windows, rounds)
    nk_ms = _time_per_window(lambda w: nk.ecg_peaks(w, sampling_rate=int(fs)), windows, rounds)
    return {
        "record": "MIT-BIH 208 MLII, 360 Hz, 300 s",
        "window_s": WINDOW_S,
        "step_s": step_s,
        "windows": len(rows),
        "neurokit2": str(getattr(nk, "__version__", "?")),
        "pairs": {f"{REFERENCE}+{second}": score(second) for second in SECOND_REFERENCES},
        "noise_windows": sum(1 for r in rows if r["hr"] is None),
        "noise_reasons": dict(Counter(str(r["reason"]) for r in rows if r["reason"] is not None)),
        "old_reads_15_low": len(old_low),
        "old_lowest": min((r["old"] for r in rows if r["old"] is not None), default=None),
        "new_lowest": min((r["hr"] for r in rows if r["hr"] is not None), default=None),
        "new_rate_shown_there": sum(1 for r in old_low if r["hr"] is not None),
        "new_within_3_or_noise_there": sum(1 for r in old_low if r["hr"] is None
                                           or abs(r["hr"] - r["refs"][REFERENCE]) <= AGREE_BPM),
        "ms_per_window": {"ours": ours_ms, "scipy_baseline": scipy_ms, "neurokit2": nk_ms},
        "ratio_to_scipy": ours_ms / scipy_ms if scipy_ms else None,
        "ratio_to_neurokit2": ours_ms / nk_ms if nk_ms else None,
    }


def render(result: dict[str, Any]) -> str:
    def pct(x: float | None) -> str:
        return "-" if x is None else f"{100 * x:.1f} %"

    lines = [f"ECG heart rate — {result['record']}: {result['windows']} windows of {result['window_s']:g} s "
             f"every {result['step_s']:g} s (neurokit2 {result['neurokit2']})"]
    for pair, s in result["pairs"].items():
        lines.append(f"  references {pair} agree (±3 bpm) on {s['agreed_windows']} windows: ours within 3 bpm "
                     f"{s['within_3']} ({pct(s['within_3_share'])}; {pct(s['within_3_share_of_shown'])} of those "
                     f"with a rate), noise {s['noise']}; old mean-RR within 3 bpm {pct(s['old_within_3_share'])}")
    reasons = ", ".join(f"{k} {v}" for k, v in sorted(result["noise_reasons"].items())) or "none"
    lines.append(f"  flagged as noise: {result['noise_windows']} of {result['windows']} ({reasons})")
    lines.append(f"  old mean-RR ≥ 15 bpm below both references: {result['old_reads_15_low']} windows "
                 f"(lowest {result['old_lowest']:.0f} /min); new: noise or within 3 bpm in "
                 f"{result['new_within_3_or_noise_there']} of them (a rate in {result['new_rate_shown_there']}); "
                 f"lowest new rate anywhere {result['new_lowest']:.0f} /min")
    ms = result["ms_per_window"]
    lines.append(f"  time per 10-s window: ours {ms['ours']:.2f} ms, scipy baseline {ms['scipy_baseline']:.2f} ms "
                 f"(×{result['ratio_to_scipy']:.1f}), neurokit2 {ms['neurokit2']:.2f} ms "
                 f"(ours ×{result['ratio_to_neurokit2']:.2f} of it)")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(run()))
