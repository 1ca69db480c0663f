"""Convert the pydicom 12-lead ECG test file to resources/ecg/ecg12-1000hz.npz (run once, by hand).

    .venv/bin/python tools/convert_ecg_dicom.py /work/shared/data/waveform_ecg_12lead.dcm

pydicom is needed only here (a dev dependency), never at run time.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pydicom

OUT = Path(__file__).resolve().parents[1] / "resources" / "ecg" / "ecg12-1000hz.npz"
NAMES = ["ECG_I", "ECG_II", "ECG_III", "ECG_aVR", "ECG_aVL", "ECG_aVF",
         "ECG_V1", "ECG_V2", "ECG_V3", "ECG_V4", "ECG_V5", "ECG_V6"]


def main(path: str) -> None:
    ds = pydicom.dcmread(path)
    seq = ds.WaveformSequence[0]
    fs = float(seq.SamplingFrequency)
    raw = ds.waveform_array(0)  # N x channels, already scaled by pydicom? see below
    labels = [ch.ChannelSourceSequence[0].CodeMeaning for ch in seq.ChannelDefinitionSequence]
    sens = [float(ch.ChannelSensitivity) for ch in seq.ChannelDefinitionSequence]
    units = [ch.ChannelSensitivityUnitsSequence[0].CodeValue for ch in seq.ChannelDefinitionSequence]
    print("fs", fs, "shape", raw.shape, "labels", labels, "sens", sens[:2], units[:2], raw.dtype)
    leads = np.asarray(raw[:, :12].T)
    np.savez_compressed(OUT, leads=leads.astype(np.float32), names=np.array(NAMES), fs=fs, uv_per_unit=1.0)
    print("wrote", OUT, leads.shape)


if __name__ == "__main__":
    main(sys.argv[1])
