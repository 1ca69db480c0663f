"""The seat's telemetry buffers: what the vitals monitor and the map draw.

Owned by the GUI thread (like :class:`app.seat.store.SeatStore`, which holds
one :class:`TelemetryStore` as ``store.telemetry``). Qt-free: tests and the
benchmark drive it with plain dicts.

* :meth:`TelemetryStore.apply` takes one decoded server frame (``unit_telemetry``
  or ``positions``), re-validates it (a seat never trusts a frame it draws),
  and returns the ids of the units it changed. A bad frame is counted in
  ``invalid_frames`` and logged, never raised: one broken monitor must not
  blank the seat.
* :class:`WaveformBuffer` is a 60-s ring of float32 samples in physical units
  (mV for ECG). Gaps (missing chunks) and lead-off stretches are NaN, so the
  widget draws a gap — never a flat line that could be read as asystole.
* Data states (:data:`DataState`): ``no_data`` = nothing received for more than
  :data:`NO_DATA_S` (3 s); ``lead_off``; ``stale`` = a vital older than its
  stale limit (10 s; NIBP is measured every few minutes: 15 min); else ``ok``.
  All "now" arguments are ``time.monotonic()`` seconds of this process.
* Heart rate from the ECG: every :data:`ECG_HR_EVERY_S` the last 10 s of the
  unit's ECG (lead II, or the first lead received) go through
  :func:`app.ecg.qrs.heart_rate`; ``UnitTelemetry.ecg_hr`` is the result (None
  when the window is noise: ``ecg_hr_noise`` is True and ``ecg_hr_reason`` says
  why — a :class:`app.ecg.qrs.NoiseReason` value, ``"missing"`` when most of
  the window is a gap or lead-off, ``"failed"`` when the detector raised) and
  ``hr_disagrees`` says the device's HR differs by more than :data:`HR_DISAGREE_BPM`. A noise window never leaves an
  old or falsely low number behind: ``ecg_hr`` is None until a clean window.

numpy is imported where the first waveform sample is handled, not with this module: the
store (and so this module) is built before the seat's first paint, which should not wait for
numpy, and a seat that watches no ECG never needs it (bench/README.md §3).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from app.protocol.errors import ErrorCode, ProtocolError
from app.protocol.messages import ENVELOPES
from app.protocol.schema import check_object
from app.protocol.telemetry import (
    CHANNELS,
    ECG_LEADS,
    TelemetryKind,
    parse_epoch,
    validate_telemetry,
)

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

DataState = Literal["ok", "no_data", "lead_off", "stale"]
NO_DATA_S = 3.0
STALE_S = 10.0
# NIBP is a cuff measurement every few minutes: it is stale after 15 min, not 10 s.
STALE_S_BY_VITAL: dict[str, float] = {"nibp_sys": 900.0, "nibp_dia": 900.0, "nibp_map": 900.0, "temp_c": 900.0}
BUFFER_SECONDS = 60.0
ECG_HR_WINDOW_S = 10.0
ECG_HR_EVERY_S = 1.0
HR_DISAGREE_BPM = 10.0


@dataclass(frozen=True)
class Vital:
    """One numeric: its value, device time (epoch s) and local receive time (monotonic s)."""

    value: float
    at: float
    received_at: float


@dataclass(frozen=True)
class Alarm:
    """One device alarm. ``since``: device time (epoch s) it became active (or ended, if not active)."""

    priority: str  # AlarmPriority value: "high" | "medium" | "low"
    active: bool
    since: float


@dataclass(frozen=True)
class Position:
    """An ambulance's last GPS fix. ``at``: device time (epoch s); ``received_at``: monotonic s."""

    unit_id: str
    lat: float
    lon: float
    heading_deg: float | None
    speed_mps: float | None
    accuracy_m: float | None
    at: float
    received_at: float


class WaveformBuffer:
    """A ring buffer of one channel's samples, in physical units, float32.

    Sample ``k`` (counted from the first sample ever appended) was taken at
    ``t0 + k / rate_hz`` (epoch s). Appending a chunk that starts after the
    last sample leaves a NaN gap; a chunk that starts before it (within half a
    sample it is treated as contiguous) is refused. Lead-off chunks are stored
    as NaN. Not thread-safe: the GUI thread only.
    """

    def __init__(self, channel: str, rate_hz: float, seconds: float = BUFFER_SECONDS) -> None:
        if rate_hz <= 0 or seconds <= 0:
            raise ValueError("rate_hz and seconds must be positive")
        self.channel = channel
        self.rate_hz = float(rate_hz)
        self.capacity = int(math.ceil(rate_hz * seconds))
        import numpy as np  # the first waveform of a channel: see the module's docstring

        self._data = np.full(self.capacity, np.nan, dtype=np.float32)
        self._t0: float | None = None
        self._next_k = 0  # index of the next sample to write (absolute)
        self.lead_off = False
        self.last_sample_epoch_s: float | None = None  # time just after the last sample
        self.last_received_monotonic: float | None = None
        self.refused_chunks = 0

    def append(
        self,
        start_epoch_s: float,
        samples_physical: np.ndarray | list[float],
        lead_off: bool = False,
        *,
        now_monotonic: float | None = None,
    ) -> bool:
        """Add one chunk. Returns False (and keeps nothing) if it overlaps what is stored.

        Lead-off chunks are stored as NaN whatever their samples say.
        """
        import numpy as np  # already loaded by __init__: a dictionary look-up

        samples = np.asarray(samples_physical, dtype=np.float32)
        if self._t0 is None:
            self._t0 = start_epoch_s
        k_start = (start_epoch_s - self._t0) * self.rate_hz
        k = int(round(k_start))
        if self._next_k and k < self._next_k:
            if self._next_k - k_start > max(0.5, 0.02 * self.rate_hz):  # more than ~20 ms back
                self.refused_chunks += 1
                return False
            k = self._next_k  # clock jitter of a contiguous chunk
        if k > self._next_k:
            self._write(self._next_k, np.full(min(k - self._next_k, self.capacity), np.nan, np.float32), k)
        values = np.full(len(samples), np.nan, np.float32) if lead_off else samples
        self._write(k, values, k + len(values))
        self._next_k = k + len(values)
        self.lead_off = lead_off
        self.last_sample_epoch_s = self._t0 + self._next_k / self.rate_hz
        self.last_received_monotonic = time.monotonic() if now_monotonic is None else now_monotonic
        return True

    def _write(self, k: int, values: np.ndarray, end_k: int) -> None:
        """Write ``values`` so that they end at absolute index ``end_k``."""
        if len(values) == 0:
            return
        if len(values) > self.capacity:
            values = values[-self.capacity :]
        start = (end_k - len(values)) % self.capacity
        first = min(len(values), self.capacity - start)
        self._data[start : start + first] = values[:first]
        if first < len(values):
            self._data[: len(values) - first] = values[first:]

    def window(self, seconds: float, end_epoch_s: float | None = None) -> tuple[float, np.ndarray]:
        """The last ``seconds`` of samples: ``(epoch s of the first sample, float32 copy)``.

        Ends at the last sample, or at ``end_epoch_s`` if given (later time is
        NaN: nothing arrived). Before anything arrived: ``(end or 0, all NaN)``.
        """
        import numpy as np

        n = max(0, min(int(round(seconds * self.rate_hz)), self.capacity))
        if self._t0 is None:
            return (end_epoch_s or 0.0) - n / self.rate_hz, np.full(n, np.nan, np.float32)
        end_k = self._next_k
        if end_epoch_s is not None:
            end_k = int(round((end_epoch_s - self._t0) * self.rate_hz))
        out = np.full(n, np.nan, np.float32)
        first_k = end_k - n
        # Stored absolute indexes: [next_k - capacity, next_k).
        lo = max(first_k, self._next_k - self.capacity, 0)
        hi = min(end_k, self._next_k)
        if hi > lo:
            idx = np.arange(lo, hi) % self.capacity
            out[lo - first_k : hi - first_k] = self._data[idx]
        return self._t0 + first_k / self.rate_hz, out

    def data_state(self, now_monotonic: float) -> DataState:
        """``no_data`` (nothing for > 3 s, or never), ``lead_off`` or ``ok``."""
        if self.last_received_monotonic is None or now_monotonic - self.last_received_monotonic > NO_DATA_S:
            return "no_data"
        return "lead_off" if self.lead_off else "ok"


@dataclass
class UnitTelemetry:
    """Everything the seat knows live about one ambulance."""

    unit_id: str
    vitals: dict[str, Vital] = field(default_factory=dict)
    alarms: dict[str, Alarm] = field(default_factory=dict)
    waveforms: dict[str, WaveformBuffer] = field(default_factory=dict)
    lead_off: frozenset[str] = frozenset()
    sensor_off: frozenset[str] = frozenset()
    last_frame_at: float | None = None  # monotonic s
    ecg_hr: float | None = None
    ecg_hr_noise: bool = False
    ecg_hr_reason: str | None = None  # why ecg_hr is None: a qrs.NoiseReason value, "missing" or "failed"
    ecg_hr_at: float | None = None  # monotonic s of the last computation

    def data_state(self, name: str, now_monotonic: float) -> DataState:
        """State of one waveform channel (``"ECG_II"``) or vital (``"hr"``)."""
        if self.last_frame_at is None or now_monotonic - self.last_frame_at > NO_DATA_S:
            return "no_data"
        if name in CHANNELS:
            buf = self.waveforms.get(name)
            if buf is None:
                return "no_data"
            if name in self.lead_off or name in self.sensor_off:
                return "lead_off"
            return buf.data_state(now_monotonic)
        vital = self.vitals.get(name)
        if vital is None:
            return "no_data"
        if now_monotonic - vital.received_at > STALE_S_BY_VITAL.get(name, STALE_S):
            return "stale"
        return "ok"

    @property
    def hr_disagrees(self) -> bool:
        """The device's HR and the HR from the ECG differ by more than 10 bpm (both known)."""
        device = self.vitals.get("hr")
        if device is None or self.ecg_hr is None:
            return False
        return abs(device.value - self.ecg_hr) > HR_DISAGREE_BPM

    def active_alarms(self) -> list[tuple[str, Alarm]]:
        """Active alarms, highest priority first."""
        order = {"high": 0, "medium": 1, "low": 2}
        items = [(code, a) for code, a in self.alarms.items() if a.active]
        return sorted(items, key=lambda item: (order.get(item[1].priority, 3), -item[1].since))

    def ecg_channel(self) -> str | None:
        """The lead the HR is computed from: ECG_II if present, else the first lead received."""
        if "ECG_II" in self.waveforms:
            return "ECG_II"
        return next((c for c in self.waveforms if c in ECG_LEADS), None)


# ``fn(ecg_mV, rate_hz) -> (bpm | None, noise reason | None)``: bpm None exactly when a reason is given.
HeartRateFn: TypeAlias = "Callable[[np.ndarray, float], tuple[float | None, str | None]]"
MISSING = "missing"  # the window is mostly gap or lead-off: no rate, and not an ECG-noise alarm either
FAILED = "failed"  # the rate function raised (logged): no rate


def _default_hr(signal: np.ndarray, rate_hz: float) -> tuple[float | None, str | None]:
    from app.ecg.qrs import heart_rate  # imported lazily: the seat starts without it

    result = heart_rate(signal, rate_hz)
    if result.noise:
        return None, str(result.reason) if result.reason is not None else "unmatched"
    return result.hr, None


class TelemetryStore:
    """Live telemetry of every unit this seat receives. GUI thread only.

    Args:
        clock: monotonic clock (tests pass a fake one).
        heart_rate: ``fn(ecg_mV, rate_hz) -> (bpm | None, noise reason | None)``
            (:data:`HeartRateFn`); None turns the HR-from-ECG off (e.g. a benchmark
            measuring only transport).
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        heart_rate: HeartRateFn | None = _default_hr,
    ) -> None:
        self.units: dict[str, UnitTelemetry] = {}
        self.positions: dict[str, Position] = {}
        self.invalid_frames = 0
        self.last_error: str | None = None
        self._clock = clock
        self._heart_rate = heart_rate

    def unit(self, unit_id: str) -> UnitTelemetry:
        """The unit's record, created empty on first use."""
        record = self.units.get(unit_id)
        if record is None:
            record = self.units[unit_id] = UnitTelemetry(unit_id)
        return record

    def forget(self, unit_id: str) -> None:
        """Drop a unit's live data (e.g. unsubscribed). Positions stay."""
        self.units.pop(unit_id, None)

    def apply(self, frame: Mapping[str, Any]) -> set[str]:
        """Apply one ``telemetry`` or ``positions`` frame; return the unit ids it changed.

        Invalid frames (bad shape, absurd values, overlapping chunks) change
        nothing: counted in ``invalid_frames``, logged, never raised.
        """
        try:
            mtype = frame.get("type")
            if mtype == "positions":
                return self._apply_positions(frame)
            if mtype not in ("telemetry", "unit_telemetry"):
                raise ProtocolError(ErrorCode.BAD_MESSAGE, f"not a telemetry frame: {str(mtype)[:40]!r}")
            body = {k: v for k, v in frame.items() if k not in ("v", "type")}
            check_object(ENVELOPES["telemetry"], body, str(mtype))
            validate_telemetry(frame)
            return self._apply_telemetry(frame)
        except (ProtocolError, KeyError, TypeError, ValueError) as exc:
            self.invalid_frames += 1
            self.last_error = str(exc)[:300]
            log.warning("telemetry frame refused (%d so far): %s", self.invalid_frames, self.last_error)
            return set()

    def apply_many(self, frames: list[Mapping[str, Any]]) -> set[str]:
        changed: set[str] = set()
        for frame in frames:
            changed |= self.apply(frame)
        return changed

    # ------------------------------------------------------------ internals
    def _apply_positions(self, frame: Mapping[str, Any]) -> set[str]:
        check_object(ENVELOPES["positions"], {"items": frame.get("items")}, "positions")
        now = self._clock()
        changed = set()
        for item in frame["items"]:
            at = parse_epoch(item["t"])
            old = self.positions.get(item["unit_id"])
            if old is not None and at < old.at:
                continue  # an older fix (e.g. the snapshot after a live one)
            self.positions[item["unit_id"]] = Position(
                item["unit_id"], item["lat"], item["lon"], item.get("heading_deg"), item.get("speed_mps"),
                item.get("accuracy_m"), at, now,
            )
            changed.add(item["unit_id"])
        return changed

    def _apply_telemetry(self, frame: Mapping[str, Any]) -> set[str]:
        now = self._clock()
        unit_id, kind, data = frame["unit_id"], frame["kind"], frame["data"]
        at = parse_epoch(frame["t"])
        if kind == TelemetryKind.POSITION:
            return self._apply_positions(
                {"type": "positions", "items": [{"unit_id": unit_id, "t": frame["t"], **data}]}
            )
        record = self.unit(unit_id)
        if kind == TelemetryKind.VITALS:
            for name, value in data.items():
                if value is not None:
                    record.vitals[name] = Vital(float(value), at, now)
        elif kind == TelemetryKind.ALARM:
            old = record.alarms.get(data["code"])
            since = old.since if old is not None and old.active == data["active"] else at
            record.alarms[data["code"]] = Alarm(data["priority"], data["active"], since)
        elif kind == TelemetryKind.STATUS:
            record.lead_off = frozenset(data["lead_off"])
            record.sensor_off = frozenset(data["sensor_off"])
        elif kind == TelemetryKind.WAVEFORM:
            channel = data["channel"]
            rate = 1000.0 / data["period_ms"]
            buf = record.waveforms.get(channel)
            if buf is None or abs(buf.rate_hz - rate) > 1e-6:
                buf = record.waveforms[channel] = WaveformBuffer(channel, rate)
            import numpy as np  # loaded by the buffer: see the module's docstring

            values = (np.asarray(data["samples"], dtype=np.float64) - data["origin"]) * data["factor"]
            if not buf.append(parse_epoch(data["start"]), values, data["lead_off"], now_monotonic=now):
                raise ValueError(f"{unit_id} {channel}: chunk overlaps the samples already received")
            if channel == record.ecg_channel():
                self._update_ecg_hr(record, buf, now)
        record.last_frame_at = now
        return {unit_id}

    def _update_ecg_hr(self, record: UnitTelemetry, buf: WaveformBuffer, now: float) -> None:
        if self._heart_rate is None or (record.ecg_hr_at is not None and now - record.ecg_hr_at < ECG_HR_EVERY_S):
            return
        record.ecg_hr_at = now
        _t, window = buf.window(ECG_HR_WINDOW_S)
        import numpy as np  # loaded by the buffer

        reason: str | None
        if np.isnan(window).mean() > 0.2:  # mostly gap / lead off: no rate
            hr, reason = None, MISSING
        else:
            try:
                hr, reason = self._heart_rate(np.nan_to_num(window, nan=0.0), buf.rate_hz)
            except Exception:  # a detector bug must not take the telemetry down
                log.exception("heart rate from the ECG failed for %s", record.unit_id)
                hr, reason = None, FAILED
        if hr is None and reason is None:  # a rate function that found nothing but gave no reason
            reason = MISSING
        record.ecg_hr = None if reason is not None else hr
        record.ecg_hr_noise = reason is not None
        record.ecg_hr_reason = reason
