"""Generate the CPR metronome's click: ``resources/sounds/metronome_click.wav``.

A 25 ms, 1.6 kHz tone with a 1 ms attack and an exponential decay (mono,
16-bit, 44.1 kHz, ~2 KB): short and bright enough to cut through a phone call
without masking the dispatcher's voice. Generated here rather than downloaded,
so the seat ships no third-party audio.

Usage: ``.venv/bin/python tools/make_click.py [OUT.wav]``. Deterministic: the
same bytes every run.
"""

from __future__ import annotations

import sys
import wave
from pathlib import Path

import numpy as np

RATE_HZ = 44_100
LENGTH_S = 0.025
TONE_HZ = 1_600
ATTACK_S = 0.001
DECAY_S = 0.006  # time constant of the exponential decay
PEAK = 0.8  # of full scale, leaves headroom

OUT = Path(__file__).resolve().parents[1] / "resources" / "sounds" / "metronome_click.wav"


def click_samples() -> np.ndarray:
    """The click as int16 samples."""
    t = np.arange(int(RATE_HZ * LENGTH_S)) / RATE_HZ
    envelope = np.minimum(t / ATTACK_S, 1.0) * np.exp(-np.maximum(t - ATTACK_S, 0.0) / DECAY_S)
    # A little second harmonic makes it a "tock" rather than a pure beep.
    wave_form = np.sin(2 * np.pi * TONE_HZ * t) + 0.3 * np.sin(2 * np.pi * 2 * TONE_HZ * t)
    samples = PEAK * envelope * wave_form / 1.3
    return np.round(samples * 32767).astype("<i2")


def write_click(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE_HZ)
        out.writeframes(click_samples().tobytes())


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    write_click(target)
    print(f"wrote {target} ({target.stat().st_size} bytes)")
