"""Wire tables of ambulance telemetry (issue 6): positions, vitals, waveforms, alarms.

Message types (``ENVELOPES``):

* ``telemetry`` — device → server (relayed to subscribed seats as ``unit_telemetry``,
  same fields):
  ``{"v":1,"type":"telemetry","unit_id":"A1","kind":..., "t": <device ISO ts>,
  "seq": <device frame counter>, "data": {...}}``. ``kind`` is one of
  :class:`TelemetryKind`; ``data`` is checked against :data:`DATA_FIELDS`
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

:class:`StreamGuard` holds the per unit/channel clocks that make device
timestamps monotonic; the server keeps one per device connection.

``telemetry.strip_request`` (seat) → ``telemetry.strip_stored``: see :data:`COMMANDS`.

Pure tables and pure checks; imports only ``app.protocol.schema``/``errors``
and ``app.domain.model`` (see ``app.protocol.features``). Nothing here does I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from app.domain.model import Role
from app.protocol.errors import ErrorCode, ProtocolError
from app.protocol.schema import Field, check_object, iso_timestamp_problem, opt


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



def _samples_problem(value: list[Any]) -> str | None:
    for i, sample in enumerate(value):
        if type(sample) is not int:  # noqa: E721 - bool and float are refused on purpose
            return f"sample {i} is not an integer"
        if not -SAMPLE_LIMIT <= sample <= SAMPLE_LIMIT:
            return f"sample {i} out of range"
    return None


def _waveform_problem(value: dict[str, Any]) -> str | None:
    channel = value["channel"]
    mdc, unit = CHANNELS[channel]
    if value["mdc_code"] != mdc:
        return f"channel {channel} has MDC code {mdc}"
    if value["unit"] != unit:
        return f"channel {channel} is in {unit}"
    if value["factor"] <= 0:
        return "factor must be more than 0"
    return None


def _vitals_problem(value: dict[str, Any]) -> str | None:
    if not any(v is not None for v in value.values()):
        return "no vital sign in the frame"
    return None


_TS = Field("str", max_len=40, check=iso_timestamp_problem)
_CHANNEL = Field("str", choices=frozenset(CHANNELS))

DATA_FIELDS: dict[str, Mapping[str, Field]] = {
    TelemetryKind.POSITION: {
        "lat": Field("float", min=-90, max=90),
        "lon": Field("float", min=-180, max=180),
        "heading_deg": opt("float", min=0, max=360),
        "speed_mps": opt("float", min=0, max=150),
        "accuracy_m": opt("float", min=0, max=100_000),
    },
    TelemetryKind.VITALS: {name: opt("float", min=lo, max=hi) for name, (lo, hi) in VITAL_RANGES.items()},
    TelemetryKind.WAVEFORM: {
        "channel": _CHANNEL,
        "mdc_code": Field("str", max_len=64),
        "start": _TS,
        "period_ms": Field("float", min=MIN_PERIOD_MS, max=MAX_PERIOD_MS),
        "factor": Field("float", min=0, max=1e6),
        "origin": Field("int", min=-SAMPLE_LIMIT, max=SAMPLE_LIMIT),
        "unit": Field("str", choices=frozenset({"mV", "%", "mmHg"})),
        "samples": Field("list", max_len=MAX_SAMPLES, check=_samples_problem),
        "lead_off": Field("bool"),
    },
    TelemetryKind.ALARM: {
        "code": Field("id"),
        "priority": Field("str", choices=frozenset(p.value for p in AlarmPriority)),
        "active": Field("bool"),
    },
    TelemetryKind.STATUS: {
        "lead_off": Field("list", max_len=len(CHANNELS), item=_CHANNEL),
        "sensor_off": Field("list", max_len=len(CHANNELS), item=_CHANNEL),
    },
}
_DATA_CHECKS = {TelemetryKind.WAVEFORM: _waveform_problem, TelemetryKind.VITALS: _vitals_problem}

_KINDS = frozenset(k.value for k in TelemetryKind)
_SUBSCRIBABLE = frozenset({TelemetryKind.VITALS, TelemetryKind.WAVEFORM, TelemetryKind.ALARM, TelemetryKind.STATUS})

_POSITION_ITEM = Field(
    "object",
    fields={
        "unit_id": Field("id"),
        "lat": Field("float", min=-90, max=90),
        "lon": Field("float", min=-180, max=180),
        "heading_deg": opt("float", min=0, max=360),
        "speed_mps": opt("float", min=0, max=150),
        "accuracy_m": opt("float", min=0, max=100_000),
        "t": _TS,
    },
)

_TELEMETRY: dict[str, Field] = {
    "unit_id": Field("id"),
    "kind": Field("str", choices=_KINDS),
    "t": _TS,
    "seq": Field("int", min=0),
    "data": Field("object"),
}

ENVELOPES: dict[str, Mapping[str, Field]] = {
    "telemetry": _TELEMETRY,
    # server -> subscribed seats: a device's telemetry frame as accepted, relayed.
    "unit_telemetry": _TELEMETRY,
    "subscribe": {
        "unit_ids": Field("list", max_len=MAX_SUBSCRIBED_UNITS, item=Field("id")),
        "kinds": Field("list", max_len=len(_SUBSCRIBABLE), item=Field("str", choices=frozenset(_SUBSCRIBABLE))),
    },
    "positions": {"items": Field("list", max_len=10_000, item=_POSITION_ITEM)},
}
CLIENT_TYPES = frozenset({"telemetry", "subscribe"})
SERVER_TYPES = frozenset({"unit_telemetry", "positions"})
# What the seat hands to its TelemetryStore (never journaled).
LIVE_TYPES = frozenset({"unit_telemetry", "positions"})


class StripReason(StrEnum):
    REQUEST = "request"  # a seat asked (telemetry.strip_request)
    ALARM = "alarm"  # cut by the server around a high-priority alarm


# ECG strips: a seat asks for the last ``seconds`` of a unit's lead II; the server stores the
# samples in its ``strips`` table (not the event log: they are big) and appends
# telemetry.strip_stored, attached to the unit's current incident (server_stub/strips.py).
COMMANDS: dict[str, Mapping[str, Field]] = {
    "telemetry.strip_request": {
        "unit_id": Field("id"),
        "seconds": Field("int", min=1, max=MAX_STRIP_SECONDS),
    },
}
EVENTS: dict[str, Mapping[str, Field]] = {
    "telemetry.strip_stored": {
        "unit_id": Field("id"),
        "incident_id": Field("uuid"),
        "strip_id": Field("uuid"),
        "start": _TS,  # device time of the first sample
        "seconds": Field("float", min=0, max=MAX_STRIP_SECONDS + 1),
        "channel": _CHANNEL,
        "reason": Field("str", choices=frozenset(r.value for r in StripReason)),
        "alarm_code": opt("id"),
    },
}
COMMAND_ROLES: dict[str, frozenset[Role]] = {"telemetry.strip_request": frozenset({Role.SEAT})}


# ---------------------------------------------------------------- checks


def parse_epoch(text: str) -> float:
    """A protocol timestamp (already validated) as POSIX seconds. Raises ValueError."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


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
    check_object(DATA_FIELDS[kind], data, "data")
    problem = _DATA_CHECKS.get(kind, lambda _v: None)(data)
    if problem:
        raise ProtocolError(ErrorCode.INVALID_ARGS, f"data: {problem}", field="data")
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
    """Per unit: device timestamps must move forward (one guard per device connection).

    Positions, vitals and status frames need a strictly later ``t`` than the
    last accepted one of that kind; alarms per code; waveform chunks per
    channel must not start before the previous chunk ended (a later start is a
    gap, accepted: the buffers show it as a gap). Not thread-safe: the owner's
    loop only.
    """

    def __init__(self) -> None:
        self._last: dict[tuple[str, str, str], float] = {}

    def check(self, msg: Mapping[str, Any]) -> None:
        """Raise ProtocolError(INVALID_ARGS) if ``msg`` goes back in time; else remember it.

        Call after :func:`validate_telemetry` (the frame is well formed).
        """
        kind, data = msg["kind"], msg["data"]
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
            return
        sub = data["code"] if kind == TelemetryKind.ALARM else ""
        key = (msg["unit_id"], kind, sub)
        t = parse_epoch(msg["t"])
        previous = self._last.get(key)
        if previous is not None and (t < previous if kind == TelemetryKind.ALARM else t <= previous):
            raise ProtocolError(
                ErrorCode.INVALID_ARGS,
                f"t: non-monotonic device time for {kind} ({(previous - t) * 1000:.0f} ms before the last frame)",
                field="t",
            )
        self._last[key] = t


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
