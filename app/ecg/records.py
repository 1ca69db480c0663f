"""The real recordings shipped in ``resources/ecg/`` (see resources/ATTRIBUTION.md).

* MIT-BIH Arrhythmia Database record 208, lead MLII, 5 min at 360 Hz
  (``mitdb-208-mlii-360hz.npz``, array ``ecg``, mV = (raw − 1024) / 200);
* a 12-lead ECG from pydicom's test files, 10 s at 1000 Hz, converted once by
  ``tools/convert_ecg_dicom.py`` to ``ecg12-1000hz.npz`` (``leads`` float32
  µV 12×N as pydicom scales them, ``names``, ``fs``, ``uv_per_unit``).

Pure numpy; any thread. Raise ``FileNotFoundError`` if a file is missing.
"""

from __future__ import annotations

import numpy as np

from app.resources import resource_path

ECG_DIR = resource_path("ecg")
MITDB_208 = ECG_DIR / "mitdb-208-mlii-360hz.npz"
ECG12 = ECG_DIR / "ecg12-1000hz.npz"
MITDB_FS = 360.0


def mitdb_208() -> np.ndarray:
    """Record 208 lead MLII in mV at 360 Hz (108,000 samples)."""
    with np.load(MITDB_208) as data:
        return (data["ecg"].astype(np.float64) - 1024.0) / 200.0


def resample(signal: np.ndarray, fs_in: float, fs_out: float) -> np.ndarray:
    """Linear-interpolation resampling (enough for display and playback)."""
    n_out = int(round(len(signal) * fs_out / fs_in))
    t_out = np.arange(n_out) / fs_out
    return np.interp(t_out, np.arange(len(signal)) / fs_in, signal)


def ecg12() -> tuple[list[str], np.ndarray, float]:
    """The 12-lead recording: (lead names, mV array 12×N, rate Hz)."""
    with np.load(ECG12) as data:
        names = [str(n) for n in data["names"]]
        return names, data["leads"].astype(np.float64) * float(data["uv_per_unit"]) / 1000.0, float(data["fs"])
