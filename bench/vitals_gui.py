"""Frame rate and CPU of the seat drawing 4 monitors (lead II, pleth, CO2) and one 12-lead view.

``python -m bench vitals_gui`` runs it in a child process (``python -m bench.vitals_gui --child``)
with ``QT_QPA_PLATFORM=offscreen``: four simulated ambulances stream 500 Hz ECG (lead II
for three of them, all 12 leads for the fourth) in 100-ms chunks as real protocol
``telemetry`` frames into a real :class:`app.seat.telemetry.TelemetryStore`; a real
:class:`widgets.vitals_wall.VitalsWall` draws them with its one render timer (30 frames/s
asked) and the 12-lead window of the fourth unit is re-taken once a second.

Figures: frames drawn per second (render ticks), milliseconds per tick (all monitors,
p50/p95), and the process's CPU use (user+system time / wall time, 100 % = one core).

Also home of :class:`SyntheticMonitor`, the simple generator the screenshot tool and the
GUI tests share (sinus rhythm or VF, pleth, capnogram, vitals and alarms) — the product's
simulated monitors live in ``app/``; this one only feeds the widgets.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from app.protocol import format_ts
from app.protocol.telemetry import CHANNELS

ECG_RATE_HZ = 500.0
PLETH_RATE_HZ = 100.0
CO2_RATE_HZ = 25.0
FACTOR_MV = 0.005  # 5 µV per count
# Einthoven / Goldberger / precordial projections of a simple heart vector (x, y) per lead.
LEAD_GAINS = {"I": 0.55, "II": 1.0, "III": 0.45, "aVR": -0.78, "aVL": 0.05, "aVF": 0.72,
              "V1": -0.45, "V2": 0.35, "V3": 0.8, "V4": 1.15, "V5": 1.0, "V6": 0.75}


def _iso(epoch_s: float) -> str:
    return format_ts(datetime.fromtimestamp(epoch_s, UTC))


def sinus_ecg(t: np.ndarray, hr: float = 78.0, gain: float = 1.0) -> np.ndarray:
    """An ECG-like sinus rhythm in mV at times ``t`` (s): P, QRS, T as Gaussians."""
    rr = 60.0 / hr
    phase = np.mod(t, rr)
    def g(centre: float, width: float, amp: float) -> np.ndarray:
        return amp * np.exp(-0.5 * ((phase - centre) / width) ** 2)
    beat = (g(0.10, 0.020, 0.12) + g(0.235, 0.008, -0.12) + g(0.25, 0.010, 1.15) + g(0.266, 0.009, -0.25)
            + g(0.48, 0.045, 0.28))
    if gain < 0:  # aVR-like leads: inverted complexes
        return beat * gain
    return beat * gain + 0.01 * np.sin(2 * np.pi * 0.25 * t)


def vf_ecg(t: np.ndarray, gain: float = 1.0, seed: int = 7) -> np.ndarray:
    """Coarse ventricular fibrillation: chaotic 4–7 Hz waves of wandering amplitude (mV)."""
    rng = np.random.default_rng(seed)
    freqs = rng.uniform(3.8, 6.5, 5)
    phases = rng.uniform(0, 2 * np.pi, 5)
    wave = sum(np.sin(2 * np.pi * f * t + p + 0.6 * np.sin(2 * np.pi * 0.3 * t * (i + 1)))
               for i, (f, p) in enumerate(zip(freqs, phases, strict=True)))
    envelope = 0.35 + 0.25 * np.sin(2 * np.pi * 0.21 * t) ** 2
    return (wave / 2.2) * envelope * (abs(gain) * 1.4 + 0.3)


def pleth(t: np.ndarray, hr: float = 78.0) -> np.ndarray:
    """A pulse-oximeter pleth (relative %, 0–100): fast upstroke, dicrotic notch."""
    phase = np.mod(t, 60.0 / hr) / (60.0 / hr)
    wave = np.exp(-0.5 * ((phase - 0.25) / 0.08) ** 2) + 0.35 * np.exp(-0.5 * ((phase - 0.55) / 0.09) ** 2)
    return 20 + 60 * wave


def capnogram(t: np.ndarray, rr: float = 16.0, etco2: float = 36.0) -> np.ndarray:
    """A capnogram (mmHg): expiratory plateau rising to EtCO2, inspiratory downstroke to 0."""
    phase = np.mod(t, 60.0 / rr) / (60.0 / rr)
    up = 1 / (1 + np.exp(-(phase - 0.08) * 60))
    down = 1 / (1 + np.exp((phase - 0.55) * 60))
    plateau = 0.9 + 0.1 * np.clip((phase - 0.1) / 0.45, 0, 1)
    return etco2 * up * down * plateau


@dataclass
class SyntheticMonitor:
    """A device that makes real protocol ``telemetry`` frames for one ambulance.

    ``rhythm``: ``"sinus"`` or ``"vf"``. ``leads``: the ECG leads it streams. Frames
    are applied with :meth:`feed` up to a device time; vitals and alarms once a second.
    """

    unit_id: str
    rhythm: str = "sinus"
    hr: float = 78.0
    leads: tuple[str, ...] = ("II",)
    start_epoch_s: float = field(default_factory=lambda: math.floor(time.time()) - 20.0)
    seq: int = 0
    sent_until_s: float = 0.0  # device seconds since start already sent
    vitals_sent_s: float = -1.0

    def _frame(self, kind: str, t_epoch: float, data: dict[str, Any]) -> dict[str, Any]:
        self.seq += 1
        return {"v": 1, "type": "telemetry", "unit_id": self.unit_id, "kind": kind, "t": _iso(t_epoch),
                "seq": self.seq, "data": data}

    def _wave(self, channel: str, rate: float, start_s: float, end_s: float, factor: float,
              values: Any) -> dict[str, Any]:
        k0, k1 = int(round(start_s * rate)), int(round(end_s * rate))
        t = np.arange(k0, k1) / rate
        counts = np.round(values(t) / factor).astype(np.int64)
        start_epoch = self.start_epoch_s + k0 / rate
        mdc, unit = CHANNELS[channel]
        return self._frame("waveform", self.start_epoch_s + k1 / rate, {
            "channel": channel, "mdc_code": mdc, "start": _iso(start_epoch), "period_ms": 1000.0 / rate,
            "factor": factor, "origin": 0, "unit": unit, "samples": counts.tolist(), "lead_off": False})

    def frames_until(self, device_s: float, chunk_s: float = 0.1) -> list[dict[str, Any]]:
        """Frames covering device time ``[sent_until, device_s)`` in chunks of ``chunk_s``."""
        frames: list[dict[str, Any]] = []
        while self.sent_until_s + chunk_s <= device_s + 1e-9:
            a, b = self.sent_until_s, self.sent_until_s + chunk_s
            for lead in self.leads:
                gain = LEAD_GAINS[lead]
                fn = ((lambda t, g=gain: sinus_ecg(t, self.hr, g)) if self.rhythm == "sinus"
                      else (lambda t, g=gain: vf_ecg(t, g)))
                frames.append(self._wave(f"ECG_{lead}", ECG_RATE_HZ, a, b, FACTOR_MV, fn))
            if self.rhythm == "sinus":
                frames.append(self._wave("PLETH", PLETH_RATE_HZ, a, b, 0.1, lambda t: pleth(t, self.hr)))
                frames.append(self._wave("CO2", CO2_RATE_HZ, a, b, 0.1, lambda t: capnogram(t)))
            else:  # VF with CPR: no pulse (no pleth), ventilations at 10/min with low EtCO2
                frames.append(self._wave("CO2", CO2_RATE_HZ, a, b, 0.1, lambda t: capnogram(t, 10, 14)))
            if math.floor(b) > self.vitals_sent_s:
                self.vitals_sent_s = math.floor(b)
                frames.extend(self._vitals(self.start_epoch_s + b))
            self.sent_until_s = b
        return frames

    def _vitals(self, t_epoch: float) -> list[dict[str, Any]]:
        if self.rhythm == "sinus":
            return [self._frame("vitals", t_epoch, {"hr": self.hr, "spo2": 97, "nibp_sys": 128, "nibp_dia": 82,
                                                     "nibp_map": 97, "rr": 16, "etco2": 36, "temp_c": 36.8})]
        return [self._frame("vitals", t_epoch, {"rr": 10, "etco2": 14, "temp_c": 36.1}),
                self._frame("alarm", t_epoch, {"code": "vf", "priority": "high", "active": True})]


def feed(store: Any, monitors: list[SyntheticMonitor], device_s: float) -> int:
    """Hand every monitor's frames up to ``device_s`` to the seat store, one batch per call
    (as the Qt bridge does); returns the number of frames."""
    frames = [frame for monitor in monitors for frame in monitor.frames_until(device_s)]
    if frames:
        store.handle_telemetry(frames)
    return len(frames)


# ---------------------------------------------------------------- the benchmark (child process)


def _child(seconds: float) -> dict[str, Any]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.seat.store import SeatStore
    from app.seat.telemetry import TelemetryStore
    from widgets.vitals_wall import VitalsWall

    app = QApplication.instance() or QApplication([])
    store = SeatStore()
    telemetry = store.telemetry = TelemetryStore(heart_rate=None)  # measure the drawing, not the QRS detector
    units = ["b1", "b2", "b3", "b4"]
    monitors = [SyntheticMonitor(u, hr=70 + 8 * i) for i, u in enumerate(units[:3])]
    monitors.append(SyntheticMonitor("b4", leads=tuple(LEAD_GAINS)))
    wall = VitalsWall(store)
    wall.resize(1900, 1000)
    wall.show()
    t0_wall = time.monotonic()
    lead_in = 12.0
    feed(store, monitors, lead_in)
    for unit in units:
        wall.watch(unit)
    twelve = wall.open_twelve_lead("b4")
    twelve.resize(1200, 650)

    frames_applied = 0
    tick_ms: list[float] = []
    original = wall.render_clock.tick

    def timed_tick() -> None:
        start = time.perf_counter()
        original()
        tick_ms.append((time.perf_counter() - start) * 1000)

    wall.render_clock.timer.timeout.disconnect()
    wall.render_clock.timer.timeout.connect(timed_tick)

    def pump() -> None:
        nonlocal frames_applied
        frames_applied += feed(store, monitors, lead_in + time.monotonic() - t0_wall)

    feeder = QTimer()
    feeder.timeout.connect(pump)
    feeder.start(100)
    refresher = QTimer()
    refresher.timeout.connect(twelve.refresh)
    refresher.start(1000)

    for _ in range(20):  # settle (layout, first paints)
        app.processEvents()
    tick_ms.clear()
    cpu0, wall0 = time.process_time(), time.monotonic()
    frames0 = wall.render_clock.frames
    end = wall0 + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.001)
    took = time.monotonic() - wall0
    cpu = time.process_time() - cpu0
    frames = wall.render_clock.frames - frames0
    feeder.stop()
    refresher.stop()
    wall.shutdown()
    ticks = np.array(tick_ms) if tick_ms else np.array([float("nan")])
    return {
        "seconds": took,
        "monitors": len(units),
        "twelve_lead_views": 1,
        "ecg_rate_hz": ECG_RATE_HZ,
        "sweep_seconds": round(wall.monitors["b1"].sweep_seconds, 2),
        "fps_asked": round(1000 / wall.render_clock.timer.interval(), 1),
        "fps": frames / took,
        "tick_ms_p50": float(np.percentile(ticks, 50)),
        "tick_ms_p95": float(np.percentile(ticks, 95)),
        "cpu_percent": 100 * cpu / took,
        "frames_applied_per_s": frames_applied / took,
        "invalid_frames": telemetry.invalid_frames,
        "platform": app.platformName(),
    }


def run(seconds: float = 10.0) -> dict[str, Any]:
    """Run the measurement in a child process; raises RuntimeError if the child fails."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, "-m", "bench.vitals_gui", "--child", "--seconds", str(seconds)],
                          capture_output=True, text=True, timeout=seconds + 120, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"vitals_gui child failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def render(result: dict[str, Any]) -> str:
    return (
        f"vitals monitor drawing ({result['platform']}): {result['monitors']} monitors (lead II "
        f"{result['ecg_rate_hz']:g} Hz, sweep {result['sweep_seconds']:g} s, pleth, CO2) + "
        f"{result['twelve_lead_views']} 12-lead view refreshed 1/s, {result['seconds']:.0f} s\n"
        f"  frames/s {result['fps']:.1f} (asked {result['fps_asked']:g}); per frame p50 "
        f"{result['tick_ms_p50']:.1f} ms p95 {result['tick_ms_p95']:.1f} ms; CPU {result['cpu_percent']:.0f} % "
        f"of one core; telemetry frames applied {result['frames_applied_per_s']:.0f}/s "
        f"(refused {result['invalid_frames']})"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.vitals_gui")
    parser.add_argument("--child", action="store_true", help="measure in this process and print JSON")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.seconds)))
    else:
        print(render(run(args.seconds)))
