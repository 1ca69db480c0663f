"""Wire types of ambulance telemetry: positions, vitals, waveforms, alarms.

Message types (``ENVELOPES``):

* ``telemetry`` — device → server (relayed to subscribed seats as ``unit_telemetry``,
  same fields):
  ``{"v":1,"type":"telemetry","unit_id":"A1","kind":..., "t": <device ISO ts>,
  "seq": <device frame counter>, "data": {...}}``. ``kind`` is one of
  :class:`TelemetryKind`; ``data`` is checked against :data:`DATA_TYPES`
  by :func:`validate_telemetry` (the envelope table alone accepts any object).
* ``subscribe`` — seat → server: ``{"unit_ids": [...], "kinds": [...]}``
  replaces the seat's subscription (an empty list unsubscribes).
* ``positions`` — server → every seat, at most one item per unit per second.

Waveform chunks are shaped like FHIR ``SampledData`` with one difference:
``origin`` is the integer baseline of the samples, so the physical value is
``(sample - origin) * factor`` in ``unit`` (FHIR's ``origin`` is a physical
quantity: FHIR origin = ``-origin * factor``). The frame's ``t`` of a waveform frame is the device time at the
**end** of the chunk: ``start + len(samples) * period_ms`` must equal ``t``
within :func:`chunk_tolerance_ms` — that is how a wrong sample count is caught.

:class:`StreamGuard` holds the per unit/kind (and channel, alarm code) clocks that make
device timestamps monotonic, and refuses device times too far in the future of
the server's clock; the server keeps one for all connections, so two connections
of one device and a reconnect are ordered against the same last time.

``telemetry.strip_request`` (seat) → ``telemetry.strip_stored``: see :data:`COMMANDS`.

Pure types and pure checks; imports only ``app.protocol.schema``/``errors``
and ``app.protocol.vocabulary`` (see ``app.protocol.features``). Nothing here does I/O.
"""

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from app.protocol.errors import ErrorCode, ProtocolError
from app.protocol.schema import (
    UNSET,
    Envelope,
    Int,
    List,
    NameId,
    Num,
    Obj,
    Opt,
    Str,
    Uuid,
    Wire,
    check_timestamps,
    choice,
    conform,
    fail,
)
from app.protocol.vocabulary import Role


class TelemetryKind(StrEnum):
    POSITION = "position"
    VITALS = "vitals"
    WAVEFORM = "waveform"
    ALARM = "alarm"
    STATUS = "status"


class AlarmPriority(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


# channel -> (MDC code, unit). ECG leads in mV, pleth in % (relative), CO2 in mmHg.
CHANNELS: dict[str, tuple[str, str]] = {
    "ECG_I": ("MDC_ECG_ELEC_POTL_I", "mV"),
    "ECG_II": ("MDC_ECG_ELEC_POTL_II", "mV"),
    "ECG_III": ("MDC_ECG_ELEC_POTL_III", "mV"),
    "ECG_aVR": ("MDC_ECG_ELEC_POTL_AVR", "mV"),
    "ECG_aVL": ("MDC_ECG_ELEC_POTL_AVL", "mV"),
    "ECG_aVF": ("MDC_ECG_ELEC_POTL_AVF", "mV"),
    "ECG_V1": ("MDC_ECG_ELEC_POTL_V1", "mV"),
    "ECG_V2": ("MDC_ECG_ELEC_POTL_V2", "mV"),
    "ECG_V3": ("MDC_ECG_ELEC_POTL_V3", "mV"),
    "ECG_V4": ("MDC_ECG_ELEC_POTL_V4", "mV"),
    "ECG_V5": ("MDC_ECG_ELEC_POTL_V5", "mV"),
    "ECG_V6": ("MDC_ECG_ELEC_POTL_V6", "mV"),
    "PLETH": ("MDC_PULS_OXIM_PLETH", "%"),
    "CO2": ("MDC_AWAY_CO2", "mmHg"),
}
ECG_LEADS: tuple[str, ...] = tuple(c for c in CHANNELS if c.startswith("ECG_"))

# Plausible physical ranges (inclusive) of each vital; outside → the frame is refused.
VITAL_RANGES: dict[str, tuple[float, float]] = {
    "hr": (0, 350),  # /min
    "spo2": (0, 100),  # %
    "nibp_sys": (0, 300),  # mmHg
    "nibp_dia": (0, 250),
    "nibp_map": (0, 300),
    "rr": (0, 150),  # /min
    "etco2": (0, 150),  # mmHg
    "temp_c": (15, 45),  # °C
}

MAX_SAMPLES = 2500  # per chunk (5 s at 500 Hz)
MIN_PERIOD_MS = 0.5  # 2 kHz
MAX_PERIOD_MS = 100.0  # 10 Hz
MAX_SUBSCRIBED_UNITS = 64
MAX_STRIP_SECONDS = 60
SAMPLE_LIMIT = 2**31 - 1
# How far a device time may be ahead of the server's clock (the server's
# --max-device-clock-skew-s). A frame dated later is refused alone: one glitched
# clock reading must not become the time every later frame is compared with.
MAX_DEVICE_CLOCK_SKEW_S = 60.0

DeviceTime = Str(40, description="ISO 8601 with a time zone")
Channel = choice(CHANNELS)
Heading = Num(0, 360)
Speed = Num(0, 150)
Accuracy = Num(0, 100_000)


class PositionData(Wire):
    """``data`` of a ``position`` frame: WGS-84 degrees, heading from north, speed, accuracy radius."""

    lat: Num(-90, 90)
    lon: Num(-180, 180)
    heading_deg: Opt(Heading) = UNSET
    speed_mps: Opt(Speed) = UNSET
    accuracy_m: Opt(Accuracy) = UNSET


def _vital(name: str) -> Any:
    lo, hi = VITAL_RANGES[name]
    return Opt(Num(lo, hi))


class VitalsData(Wire):
    """``data`` of a ``vitals`` frame: at least one vital sign, each within its plausible range."""

    hr: _vital("hr") = UNSET
    spo2: _vital("spo2") = UNSET
    nibp_sys: _vital("nibp_sys") = UNSET
    nibp_dia: _vital("nibp_dia") = UNSET
    nibp_map: _vital("nibp_map") = UNSET
    rr: _vital("rr") = UNSET
    etco2: _vital("etco2") = UNSET
    temp_c: _vital("temp_c") = UNSET

    def __post_init__(self) -> None:
        if all(getattr(self, name) in (None, UNSET) for name in VITAL_RANGES):
            fail("", "no vital sign in the frame")


class WaveformData(Wire):
    """``data`` of a ``waveform`` frame: one chunk of one channel, like FHIR ``SampledData``.

    The physical value of a sample is ``(sample - origin) * factor`` in ``unit``; ``mdc_code`` and
    ``unit`` are those of the channel (:data:`CHANNELS`). ``start`` is the device time of the first
    sample; ``start + len(samples) * period_ms`` must equal the frame's ``t`` within
    :func:`chunk_tolerance_ms`. ``lead_off`` (a boolean) says the electrode of this lead is off.
    """

    channel: Channel
    mdc_code: Str(64)
    start: DeviceTime
    period_ms: Num(MIN_PERIOD_MS, MAX_PERIOD_MS)
    factor: Num(0, 1e6)
    origin: Int(-SAMPLE_LIMIT, SAMPLE_LIMIT)
    unit: choice({"mV", "%", "mmHg"})
    samples: List(Int(-SAMPLE_LIMIT, SAMPLE_LIMIT), MAX_SAMPLES, min_len=1)
    lead_off: bool

    def __post_init__(self) -> None:
        check_timestamps(self, "start")
        mdc, unit = CHANNELS[self.channel]
        if self.mdc_code != mdc:
            fail("", f"channel {self.channel} has MDC code {mdc}")
        if self.unit != unit:
            fail("", f"channel {self.channel} is in {unit}")
        if self.factor <= 0:
            fail("", "factor must be more than 0")


class AlarmData(Wire):
    """``data`` of an ``alarm`` frame: the device's alarm ``code``, raised (``active``) or cleared."""

    code: NameId
    priority: AlarmPriority
    active: bool


class StatusData(Wire):
    """``data`` of a ``status`` frame: the channels whose lead or sensor is off (lists of channel names)."""

    lead_off: List(Channel, len(CHANNELS))
    sensor_off: List(Channel, len(CHANNELS))


DATA_TYPES: dict[str, type[Wire]] = {
    TelemetryKind.POSITION: PositionData,
    TelemetryKind.VITALS: VitalsData,
    TelemetryKind.WAVEFORM: WaveformData,
    TelemetryKind.ALARM: AlarmData,
    TelemetryKind.STATUS: StatusData,
}
DATA_FIELDS = DATA_TYPES

_SUBSCRIBABLE = (TelemetryKind.VITALS, TelemetryKind.WAVEFORM, TelemetryKind.ALARM, TelemetryKind.STATUS)


class PositionItem(Wire):
    """One unit's last position, as of device time ``t``."""

    unit_id: NameId
    lat: Num(-90, 90)
    lon: Num(-180, 180)
    heading_deg: Opt(Heading) = UNSET
    speed_mps: Opt(Speed) = UNSET
    accuracy_m: Opt(Accuracy) = UNSET
    t: DeviceTime

    def __post_init__(self) -> None:
        check_timestamps(self, "t")


class Telemetry(Envelope, tag="telemetry"):
    """Device → server: one telemetry frame of the device's own unit.

    ``t`` is the device time of the frame (of the chunk's end for a waveform). ``seq`` is the
    device's own frame counter (one more per frame sent); the server does not order by it (it
    orders by ``t``, see :class:`StreamGuard`) but names it in the ``ref`` ``"seq:<seq>"`` of the
    error refusing the frame. ``data`` is checked for its ``kind`` (:data:`DATA_TYPES`) by
    :func:`validate_telemetry`.
    """

    unit_id: NameId
    kind: TelemetryKind
    t: DeviceTime
    seq: Int(0)
    data: Obj

    def __post_init__(self) -> None:
        check_timestamps(self, "t")


class UnitTelemetry(Telemetry, tag="unit_telemetry"):
    """Server → the seats subscribed to the unit and kind: a device's frame as accepted, relayed."""


class Subscribe(Envelope, tag="subscribe"):
    """Seat → server: replaces the seat's subscription (empty lists unsubscribe). No reply on success."""

    unit_ids: List(NameId, MAX_SUBSCRIBED_UNITS)
    kinds: List(choice(_SUBSCRIBABLE), len(_SUBSCRIBABLE))


class Positions(Envelope, tag="positions"):
    """Server → every seat: unit positions, at most one item per unit per second."""

    items: List(PositionItem, 10_000)


ENVELOPES: dict[str, type[Envelope]] = {
    "telemetry": Telemetry,
    "unit_telemetry": UnitTelemetry,
    "subscribe": Subscribe,
    "positions": Positions,
}
CLIENT_TYPES = frozenset({"telemetry", "subscribe"})
SERVER_TYPES = frozenset({"unit_telemetry", "positions"})
# What the seat hands to its TelemetryStore (never journaled).
LIVE_TYPES = frozenset({"unit_telemetry", "positions"})


class StripReason(StrEnum):
    REQUEST = "request"  # a seat asked (telemetry.strip_request)
    ALARM = "alarm"  # cut by the server around a high-priority alarm


class StripRequest(Wire):
    """Store the last ``seconds`` of the unit's lead II as a strip of its current incident."""

    unit_id: NameId
    seconds: Int(1, MAX_STRIP_SECONDS)


class StripStored(Wire):
    """A strip was stored (server table ``strips``, not the log); ``start`` is the first sample's device time."""

    unit_id: NameId
    incident_id: Uuid
    strip_id: Uuid
    start: DeviceTime
    seconds: Num(0, MAX_STRIP_SECONDS + 1)
    channel: Channel
    reason: StripReason
    alarm_code: Opt(NameId) = UNSET

    def __post_init__(self) -> None:
        check_timestamps(self, "start")


# ECG strips: a seat asks for the last ``seconds`` of a unit's lead II; the server stores the
# samples in its ``strips`` table (not the event log: they are big) and appends
# telemetry.strip_stored, attached to the unit's current incident (server_stub/strips.py).
COMMANDS: dict[str, type[Wire]] = {"telemetry.strip_request": StripRequest}
EVENTS: dict[str, type[Wire]] = {"telemetry.strip_stored": StripStored}
COMMAND_ROLES: dict[str, frozenset[Role]] = {"telemetry.strip_request": frozenset({Role.SEAT})}


# ---------------------------------------------------------------- checks


def parse_epoch(text: str) -> float:
    """A protocol timestamp (already validated) as POSIX seconds. Raises ValueError."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def utc_z(text: str) -> str:
    """A (validated) device timestamp as the protocol writes times: UTC, milliseconds, ``Z``.

    ``2025-03-14T10:31:10+08:00`` → ``2025-03-14T02:31:10.000Z``. Sub-millisecond digits are
    truncated (the tightest waveform tolerance, 20 ms, is far wider).
    """
    moment = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def normalised(msg: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of an accepted telemetry frame with its device times (``t``, a waveform's
    ``data.start``) in UTC with ``Z`` and milliseconds, as relayed to the seats."""
    out = {**msg, "t": utc_z(msg["t"])}
    if msg["kind"] == TelemetryKind.WAVEFORM:
        out["data"] = {**msg["data"], "start": utc_z(msg["data"]["start"])}
    return out


def chunk_tolerance_ms(period_ms: float) -> float:
    """How far a chunk's end may be from the frame's ``t`` (and from the previous chunk's end)."""
    return max(2 * period_ms, 20.0)


def validate_telemetry(msg: Mapping[str, Any]) -> None:
    """Check a decoded ``telemetry`` frame's ``data`` for its ``kind`` (stateless).

    The envelope itself was checked by :func:`app.protocol.decode`. Raises
    ProtocolError(INVALID_ARGS) naming the field: unknown channel, a vital out
    of its plausible range (HR 900, SpO2 140), too many samples, a chunk whose
    sample count does not match its duration.
    """
    kind = msg["kind"]
    data = msg["data"]
    conform(data, DATA_TYPES[kind], root="data")
    if kind == TelemetryKind.WAVEFORM:
        start = parse_epoch(data["start"])
        end = start + len(data["samples"]) * data["period_ms"] / 1000.0
        t = parse_epoch(msg["t"])
        off_ms = (t - end) * 1000.0
        if abs(off_ms) > chunk_tolerance_ms(data["period_ms"]):
            raise ProtocolError(
                ErrorCode.INVALID_ARGS,
                f"data.samples: {len(data['samples'])} samples at {data['period_ms']:g} ms end "
                f"{off_ms:+.0f} ms from the frame time t (wrong sample count or start)",
                field="data.samples",
            )


class StreamGuard:
    """Device timestamps per unit and kind: not too far in the future, and moving forward.

    Positions, vitals and status frames need a strictly later ``t`` than the
    last accepted one of that unit and kind; alarms per code; waveform chunks per
    channel must not start before the previous chunk ended (a later start is a
    gap, accepted: the buffers show it as a gap). A refused frame changes nothing:
    only accepted frames become the time later frames are compared with. The keys
    are the unit's, not the connection's: one guard serves every connection of a
    server. Not thread-safe: the owner's loop only.
    """

    def __init__(self) -> None:
        self._last: dict[tuple[str, str, str], float] = {}

    def check(self, msg: Mapping[str, Any], *, now: float | None = None,
              max_future_s: float = MAX_DEVICE_CLOCK_SKEW_S) -> float | None:
        """Raise ProtocolError(INVALID_ARGS) if ``msg`` is too far ahead or goes back in time; else remember it.

        Call after :func:`validate_telemetry` (the frame is well formed).

        Args:
            now: the server's clock (POSIX s); None skips the future bound (replays, tests).
            max_future_s: how far ``t`` may be ahead of ``now``.

        Returns:
            The device clock's offset from ``now`` in seconds (``t - now``; positive: ahead),
            or None without ``now``.
        """
        kind, data = msg["kind"], msg["data"]
        t = parse_epoch(msg["t"])
        offset = None if now is None else t - now
        if offset is not None and offset > max_future_s:
            raise ProtocolError(
                ErrorCode.INVALID_ARGS,
                f"t: device time is {offset:+.1f} s from the server clock, more than {max_future_s:g} s in "
                "the future: check the device clock (this frame is refused, the next ones are not affected)",
                field="t",
            )
        if kind == TelemetryKind.WAVEFORM:
            key = (msg["unit_id"], kind, data["channel"])
            start = parse_epoch(data["start"])
            end = start + len(data["samples"]) * data["period_ms"] / 1000.0
            previous_end = self._last.get(key)
            tolerance_s = chunk_tolerance_ms(data["period_ms"]) / 1000.0
            if previous_end is not None and start < previous_end - tolerance_s:
                raise ProtocolError(
                    ErrorCode.INVALID_ARGS,
                    f"data.start: non-monotonic: chunk starts {(previous_end - start) * 1000:.0f} ms "
                    f"before the previous {data['channel']} chunk ended",
                    field="data.start",
                )
            self._last[key] = end
            return offset
        sub = data["code"] if kind == TelemetryKind.ALARM else ""
        key = (msg["unit_id"], kind, sub)
        previous = self._last.get(key)
        if previous is not None and (t < previous if kind == TelemetryKind.ALARM else t <= previous):
            raise ProtocolError(
                ErrorCode.INVALID_ARGS,
                f"t: non-monotonic device time for {kind} ({(previous - t) * 1000:.0f} ms before the last frame)",
                field="t",
            )
        self._last[key] = t
        return offset


def physical(samples: list[int], origin: int, factor: float) -> list[float]:
    """Integer samples to physical values: ``(s - origin) * factor``."""
    return [(s - origin) * factor for s in samples]


def is_finite_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


# ---------------------------------------------------------------- builders


def telemetry(*, unit_id: str, kind: str, t: str, seq: int, data: dict[str, Any]) -> dict[str, Any]:
    """A device's telemetry frame (not validated here: see :func:`validate_telemetry`)."""
    return {"v": 1, "type": "telemetry", "unit_id": unit_id, "kind": kind, "t": t, "seq": seq, "data": data}


def unit_telemetry(frame: Mapping[str, Any]) -> dict[str, Any]:
    """The relayed form of an accepted device frame (server → subscribed seats)."""
    return {**frame, "type": "unit_telemetry"}


def subscribe(*, unit_ids: list[str], kinds: list[str]) -> dict[str, Any]:
    return {"v": 1, "type": "subscribe", "unit_ids": list(unit_ids), "kinds": list(kinds)}


def positions(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"v": 1, "type": "positions", "items": items}
