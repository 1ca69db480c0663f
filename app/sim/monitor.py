"""Simulated patient monitors: telemetry frames as an ambulance's monitor sends them.

:class:`SimulatedMonitor` does no I/O: ``frames_until(now)`` returns every frame
due up to device time ``now`` (epoch s) — 500 Hz lead-II ECG in 200-ms chunks
(all 12 leads when playing the 12-lead recording), pleth (125 Hz) and
capnogram (25 Hz) chunks, vitals at 1 Hz and alarm changes. The ECG comes from
a source: ``"mitdb208"`` (MIT-BIH record 208 resampled 360 → 500 Hz),
``"ecg12"`` (the 12-lead DICOM, 1000 → 500 Hz) or a generated
:class:`~app.ecg.rhythms.Rhythm`. A scenario is a list of ``(seconds from
start, source)`` steps, e.g. :data:`SCENARIOS` ``"vf_cpr_rosc"``; a step may carry a third
item, the vitals the patient has from then (``{"hr", "spo2", "rr", "etco2"}``, each
optional), which :mod:`app.sim.physiology` works out from what the trainee did.

:func:`stream` runs one monitor over a device connection (role ``device``,
bound to the unit) on the caller's asyncio loop until ``stop`` is set.

Alarms follow transport-monitor defaults: VF/VT/asystole high; SpO2 < 90
medium, < 85 high; HR outside 50–150 medium.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from app.ecg import records
from app.ecg.rhythms import RATES, Rhythm, generate
from app.protocol import encode
from app.protocol.session import ClientSession, Deliver, HelloRefused, MemoryOutbox, SendFrame
from app.protocol.telemetry import CHANNELS

log = logging.getLogger(__name__)

ECG_FS = 500.0
PLETH_FS = 125.0
CO2_FS = 25.0
CHUNK_S = 0.2
ECG_FACTOR = 0.005  # mV per unit (5 µV)
PLETH_FACTOR = 0.1  # % per unit
CO2_FACTOR = 0.1  # mmHg per unit

SCENARIOS: dict[str, list[tuple[float, str]]] = {
    "sinus": [(0.0, Rhythm.SINUS)],
    "stemi": [(0.0, Rhythm.STEMI)],
    "af": [(0.0, Rhythm.AF)],
    "vf": [(0.0, Rhythm.VF)],
    # VF until defibrillation at 120 s, ROSC in sinus tachycardia with ST elevation.
    "vf_cpr_rosc": [(0.0, Rhythm.VF), (120.0, Rhythm.STEMI)],
    "mitdb208": [(0.0, "mitdb208")],
    "ecg12": [(0.0, "ecg12")],
}


def iso(epoch_s: float) -> str:
    moment = datetime.fromtimestamp(epoch_s, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _source(name: str) -> dict[str, np.ndarray]:
    """Channel -> 500 Hz mV loop for one source."""
    if name == "mitdb208":
        return {"ECG_II": records.resample(records.mitdb_208(), records.MITDB_FS, ECG_FS)}
    if name == "ecg12":
        names, leads, fs = records.ecg12()
        return {n: records.resample(lead, fs, ECG_FS) for n, lead in zip(names, leads, strict=True)}
    return {"ECG_II": generate(name, ECG_FS)}


# A scenario step: (seconds from start, source name) or (seconds, source name, vitals such as hr, spo2).
MonitorStep = tuple[float, str] | tuple[float, str, Mapping[str, float | None]]
Vitals = dict[str, float | None]


class SimulatedMonitor:
    """One monitor's frame generator. Owner's thread only; no I/O.

    Args:
        unit_id: the ambulance.
        steps: scenario steps ``[(seconds from start, source name[, vitals])]``.
        start_epoch_s: device time of the first sample.
    """

    def __init__(self, unit_id: str, steps: Sequence[MonitorStep] | str, start_epoch_s: float) -> None:
        self.unit_id = unit_id
        raw = SCENARIOS[steps] if isinstance(steps, str) else steps
        self.steps: list[tuple[float, str, Vitals]] = sorted(
            ((float(step[0]), str(step[1]), dict(step[2]) if len(step) > 2 else {}) for step in raw),
            key=lambda step: step[0])
        self.start = start_epoch_s
        self._sources: dict[str, dict[str, np.ndarray]] = {}
        self._ecg_k = 0  # samples of ECG emitted
        self._pleth_k = 0
        self._co2_k = 0
        self._next_vitals = start_epoch_s + 1.0
        self._seq = 0
        self._alarms: dict[str, str] = {}  # active code -> priority
        self.lead_off = False

    def source_at(self, epoch_s: float) -> str:
        return self._step_at(epoch_s)[1]

    def vitals_at(self, epoch_s: float) -> Vitals:
        """The scripted vitals in force at ``epoch_s`` (empty: the rhythm's defaults)."""
        return self._step_at(epoch_s)[2]

    def _step_at(self, epoch_s: float) -> tuple[float, str, Vitals]:
        elapsed = epoch_s - self.start
        current = self.steps[0]
        for step in self.steps:
            if elapsed >= step[0]:
                current = step
        return current

    def _loop(self, source: str) -> dict[str, np.ndarray]:
        if source not in self._sources:
            self._sources[source] = _source(source)
        return self._sources[source]

    def _frame(self, kind: str, t: float, data: dict[str, Any]) -> dict[str, Any]:
        self._seq += 1
        return {"v": 1, "type": "telemetry", "unit_id": self.unit_id, "kind": kind, "t": iso(t), "seq": self._seq,
                "data": data}

    def _perfusing(self, source: str) -> bool:
        return source not in (Rhythm.VF, Rhythm.VT, Rhythm.ASYSTOLE)

    def frames_until(self, now_epoch_s: float) -> list[dict[str, Any]]:
        """Every frame due up to ``now_epoch_s`` (device time), oldest first."""
        frames: list[dict[str, Any]] = []
        chunk = int(CHUNK_S * ECG_FS)
        while self.start + (self._ecg_k + chunk) / ECG_FS <= now_epoch_s:
            t0 = self.start + self._ecg_k / ECG_FS
            source = self.source_at(t0)
            loop = self._loop(source)
            for channel, signal in loop.items():
                idx = (np.arange(self._ecg_k, self._ecg_k + chunk)) % len(signal)
                frames.append(self._wave(channel, t0, ECG_FS, signal[idx], ECG_FACTOR))
            self._ecg_k += chunk
            perfusing = self._perfusing(source)
            frames.append(self._aux("PLETH", PLETH_FS, "_pleth_k", perfusing, source))
            frames.append(self._aux("CO2", CO2_FS, "_co2_k", perfusing, source))
        while self._next_vitals <= now_epoch_s:
            frames.extend(self._vitals(self._next_vitals))
            self._next_vitals += 1.0
        return frames

    def _wave(self, channel: str, t0: float, fs: float, values: np.ndarray, factor: float) -> dict[str, Any]:
        samples = np.round(np.asarray(values) / factor).astype(int).tolist()
        mdc, unit = CHANNELS[channel]
        end = t0 + len(samples) / fs
        return self._frame("waveform", end, {
            "channel": channel, "mdc_code": mdc, "start": iso(t0), "period_ms": 1000.0 / fs,
            "factor": factor, "origin": 0, "unit": unit, "samples": samples,
            "lead_off": self.lead_off and channel.startswith("ECG_"),
        })

    def _aux(self, channel: str, fs: float, counter: str, perfusing: bool, source: str) -> dict[str, Any]:
        k0 = getattr(self, counter)
        n = int(round(CHUNK_S * fs))
        t = (np.arange(k0, k0 + n)) / fs
        rate = (RATES.get(source) if source in RATES else 80.0) or 80.0  # type: ignore[call-overload]
        if channel == "PLETH":
            phase = (t * rate / 60.0) % 1.0
            values = (np.exp(-((phase - 0.25) / 0.12) ** 2) + 0.4 * np.exp(-((phase - 0.55) / 0.1) ** 2)) * 50
            if not perfusing:
                values = 2.0 * np.sin(2 * np.pi * 1.7 * t)  # CPR artefact / no pulse
            factor = PLETH_FACTOR
        else:
            phase = (t * 12 / 60.0) % 1.0
            plateau = 38.0 if perfusing else 12.0
            values = np.where(phase < 0.45, plateau * np.clip((phase - 0.03) / 0.05, 0, 1), 0.0)
            factor = CO2_FACTOR
        setattr(self, counter, k0 + n)
        return self._wave(channel, self.start + k0 / fs, fs, values, factor)

    def _vitals(self, t: float) -> list[dict[str, Any]]:
        source = self.source_at(t)
        wobble = np.sin(t / 7.0)
        rate = RATES.get(source) if source in RATES else 98.0  # type: ignore[call-overload]
        perfusing = self._perfusing(source)
        data: dict[str, Any] = {
            "hr": None if rate is None else round(rate + 2 * wobble),
            "spo2": round(96 + wobble) if perfusing else None,
            "rr": 12 if perfusing else None,
            "etco2": round(38 + wobble) if perfusing else 12,
            "temp_c": 36.6,
        }
        for key, value in self.vitals_at(t).items():  # the physiology's figures, with the same wobble
            if key in data and value is not None and data[key] is not None:
                data[key] = round(value + (wobble if key in ("hr", "spo2") else 0))
                if key == "spo2":
                    data[key] = min(100, data[key])
        frames = [self._frame("vitals", t, data)]
        wanted: dict[str, str] = {}
        if source in (Rhythm.VF, Rhythm.VT, Rhythm.ASYSTOLE):
            wanted[str(source).upper()] = "high"
        spo2 = data["spo2"]
        if spo2 is not None and spo2 < 85:
            wanted["SPO2_LOW"] = "high"
        elif spo2 is not None and spo2 < 90:
            wanted["SPO2_LOW"] = "medium"
        hr = data["hr"]
        if hr is not None and perfusing and (hr > 150 or hr < 50):
            wanted["HR_HIGH" if hr > 150 else "HR_LOW"] = "medium"
        for code, priority in wanted.items():
            if self._alarms.get(code) != priority:
                frames.append(self._frame("alarm", t, {"code": code, "priority": priority, "active": True}))
        for code, priority in list(self._alarms.items()):
            if code not in wanted:
                frames.append(self._frame("alarm", t, {"code": code, "priority": priority, "active": False}))
        self._alarms = wanted
        return frames


async def stream(
    url: str, token: str, monitor: SimulatedMonitor, stop: asyncio.Event, *, clock: Any = None
) -> dict[str, int]:
    """Stream ``monitor`` over one device connection until ``stop`` is set. Caller's loop.

    Returns counts ``{"sent": n, "refused": m}``. Raises ConnectionClosed /
    OSError if the server is unreachable or closes the connection.
    """
    import time

    now = clock or time.time
    counts = {"sent": 0, "refused": 0}
    async with connect(url, compression=None, proxy=None, max_size=None) as ws:
        session = ClientSession(token=token, client="dispatch120-sim-monitor/0.1", outbox=MemoryOutbox())
        for action in session.connection_made(last_seq=None):
            if isinstance(action, SendFrame):
                await ws.send(action.frame)

        async def read() -> None:
            with contextlib.suppress(ConnectionClosed):
                async for frame in ws:
                    for action in session.receive_frame(frame):
                        if isinstance(action, Deliver | HelloRefused) and action.message["type"] == "error":
                            counts["refused"] += 1
                            log.warning("monitor %s frame refused: %s", monitor.unit_id, action.message["message"])

        reader = asyncio.ensure_future(read())
        try:
            while not stop.is_set():
                for frame in monitor.frames_until(now()):
                    await ws.send(encode(frame))
                    counts["sent"] += 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), CHUNK_S / 2)
        finally:
            reader.cancel()
    return counts
