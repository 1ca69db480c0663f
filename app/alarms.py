"""Patient alarms at the seat: limits, priorities and the acknowledge / silence state machine.

Pure and Qt-free: the vitals monitor (``widgets.vitals_monitor``) feeds it the
latest fresh vitals and the alarms the device reports, once per display frame,
and draws what :class:`AlarmTracker` says. Nothing here produces user-facing
text: conditions are :class:`AlarmCode` members (``widgets.labels`` names them).

Defaults are those of a transport monitor (IEC 60601-2-27/-2-61 style):

* HR below 50 or above 150 /min → medium;
* SpO2 below 90 % → medium, below 85 % → high;
* asystole, ventricular fibrillation, ventricular tachycardia → high, whether
  the device reports them or the seat computes them;
* the HR limits apply to the device's HR; when the device sends none, to the HR
  the seat computes from the ECG (:mod:`app.ecg.qrs`). When the seat finds the
  ECG window to be noise for a technical reason (artefact, beats that do not
  repeat…: :data:`app.ecg.qrs.TECHNICAL_REASONS`) there is no HR from the ECG,
  hence no HR limit alarm from it, and a *technical* alarm condition
  ``ecg_noise`` (IEC 60601-1-8 §6.1: the signal, not the patient) at low
  priority instead. A fibrillation-like or beat-less window is not called noise:
  it is left to the rhythm alarms (VF, asystole), never dismissed as artefact.

Priorities are shown as IEC 60601-1-8 asks: high = red flashing at ~2 Hz,
medium = yellow flashing at ~0.5 Hz, low = cyan steady (:data:`FLASH_HZ`).

The state machine, per monitored unit:

* a condition that appears is *active* and unacknowledged (flashes, sounds);
* **Acknowledge** latches every present condition as acknowledged: the display
  stops flashing (steady colour) and the sound stops, until that condition
  clears; if it comes back later it alarms afresh;
* **Silence** pauses the sound for :data:`SILENCE_S` (2 min) for every condition,
  the visual signal keeps flashing; a *new* condition during the pause is heard
  at once (IEC 60601-1-8 "audio paused" ends for a higher or new condition).

All times are monotonic seconds supplied by the caller (no clock is read here).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

from app.ecg.qrs import TECHNICAL_REASONS

SILENCE_S = 120.0


class Priority(IntEnum):
    """Alarm priority, ordered: ``Priority.HIGH > Priority.MEDIUM > Priority.LOW``."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3

    @classmethod
    def parse(cls, value: object) -> Priority | None:
        """``"high"``/``"medium"``/``"low"`` (any case) or a Priority; None for anything else."""
        if isinstance(value, Priority):
            return value
        if isinstance(value, str):
            return {"high": cls.HIGH, "medium": cls.MEDIUM, "low": cls.LOW}.get(value.strip().lower())
        return None


# Visual alarm signal, IEC 60601-1-8 table 2: flashing frequency in Hz (0 = steady).
FLASH_HZ: dict[Priority, float] = {Priority.HIGH: 2.0, Priority.MEDIUM: 0.5, Priority.LOW: 0.0}


class AlarmCode(StrEnum):
    """Alarm conditions the seat knows. Device codes outside this list keep their own string."""

    ASYSTOLE = "asystole"
    VF = "vf"
    VT = "vt"
    HR_LOW = "hr_low"
    HR_HIGH = "hr_high"
    SPO2_LOW = "spo2_low"
    SPO2_CRITICAL = "spo2_critical"
    NIBP_SYS_LOW = "nibp_sys_low"
    NIBP_SYS_HIGH = "nibp_sys_high"
    RR_LOW = "rr_low"
    RR_HIGH = "rr_high"
    ETCO2_LOW = "etco2_low"
    ETCO2_HIGH = "etco2_high"
    ECG_NOISE = "ecg_noise"  # technical: the seat's HR-from-ECG window is artefact/noise


# Lethal rhythms are always high priority, whatever priority a device gives them.
LETHAL_RHYTHMS = frozenset({AlarmCode.ASYSTOLE, AlarmCode.VF, AlarmCode.VT})


@dataclass(frozen=True)
class Limits:
    """Alarm limits of one monitored patient (transport-monitor defaults).

    A value strictly below ``*_low`` or strictly above ``*_high`` alarms.
    """

    hr_low: float = 50
    hr_high: float = 150
    spo2_medium: float = 90  # SpO2 below this: medium
    spo2_high: float = 85  # SpO2 below this: high
    nibp_sys_low: float = 90
    nibp_sys_high: float = 180
    rr_low: float = 8
    rr_high: float = 30
    etco2_low: float = 25
    etco2_high: float = 50

    def range_of(self, vital: str) -> tuple[float, float] | None:
        """The (low, high) limits shown beside a numeric, or None when it has none."""
        return {
            "hr": (self.hr_low, self.hr_high),
            "spo2": (self.spo2_medium, 100.0),
            "nibp_sys": (self.nibp_sys_low, self.nibp_sys_high),
            "rr": (self.rr_low, self.rr_high),
            "etco2": (self.etco2_low, self.etco2_high),
        }.get(vital)


DEFAULT_LIMITS = Limits()


def _code(code: str) -> str:
    try:
        return AlarmCode(code)
    except ValueError:
        return code


def evaluate(vitals: Mapping[str, float | None], device_alarms: Mapping[str, object] | None = None,
             limits: Limits = DEFAULT_LIMITS, rhythm: str | None = None, *,
             ecg_hr: float | None = None, ecg_noise_reason: str | None = None) -> dict[str, Priority]:
    """The alarm conditions present now, each with its priority.

    Args:
        vitals: the *fresh* vitals by name (``hr``, ``spo2``, ``nibp_sys``, ``rr``, ``etco2``);
            stale or missing ones must be left out or None — they raise no limit alarm.
        device_alarms: the device's active alarms, code → priority (``"high"``… or a
            :class:`Priority`); an unparsable priority counts as high (safer than dropping it).
        limits: the patient's limits.
        rhythm: a rhythm the seat computed itself (``"vf"``, ``"vt"``, ``"asystole"``) or None.
        ecg_hr: the HR the seat computed from the ECG (``UnitTelemetry.ecg_hr``), used for
            the HR limits only when ``vitals`` has no ``hr``; ignored when ``ecg_noise_reason`` is set.
        ecg_noise_reason: why the seat has no HR from the ECG (``UnitTelemetry.ecg_hr_reason``);
            a technical reason raises :attr:`AlarmCode.ECG_NOISE` at low priority.

    Returns:
        code → priority; when the device and the limits report the same code the higher wins.
    """
    present: dict[str, Priority] = {}

    def raise_(code: str, priority: Priority) -> None:
        code = _code(code)
        if code in LETHAL_RHYTHMS:
            priority = Priority.HIGH
        if priority > present.get(code, 0):
            present[code] = priority

    def value(name: str) -> float | None:
        return value_of(vitals.get(name))

    def value_of(v: object) -> float | None:
        if v is None or isinstance(v, bool):
            return None
        try:
            number = float(v)  # type: ignore[arg-type]  # any object: float() raises for a non-number
        except (TypeError, ValueError):
            return None
        return number if number == number else None  # NaN is no value

    hr = value("hr")
    if hr is None and ecg_noise_reason is None:
        hr = value_of(ecg_hr)
    if ecg_noise_reason in TECHNICAL_REASONS:
        raise_(AlarmCode.ECG_NOISE, Priority.LOW)
    if hr is not None:
        if hr < limits.hr_low:
            raise_(AlarmCode.HR_LOW, Priority.MEDIUM)
        elif hr > limits.hr_high:
            raise_(AlarmCode.HR_HIGH, Priority.MEDIUM)
    spo2 = value("spo2")
    if spo2 is not None:
        if spo2 < limits.spo2_high:
            raise_(AlarmCode.SPO2_CRITICAL, Priority.HIGH)
        elif spo2 < limits.spo2_medium:
            raise_(AlarmCode.SPO2_LOW, Priority.MEDIUM)
    for name, low_code, high_code, low, high in (
        ("nibp_sys", AlarmCode.NIBP_SYS_LOW, AlarmCode.NIBP_SYS_HIGH, limits.nibp_sys_low, limits.nibp_sys_high),
        ("rr", AlarmCode.RR_LOW, AlarmCode.RR_HIGH, limits.rr_low, limits.rr_high),
        ("etco2", AlarmCode.ETCO2_LOW, AlarmCode.ETCO2_HIGH, limits.etco2_low, limits.etco2_high),
    ):
        v = value(name)
        if v is None:
            continue
        if v < low:
            raise_(low_code, Priority.MEDIUM)
        elif v > high:
            raise_(high_code, Priority.MEDIUM)
    for code, priority in dict(device_alarms or {}).items():
        raise_(str(code), Priority.parse(priority) or Priority.HIGH)
    if rhythm:
        raise_(rhythm, Priority.HIGH)
    return present


@dataclass
class AlarmEntry:
    """One present condition and what the dispatcher did about it."""

    code: str
    priority: Priority
    since_s: float
    acknowledged: bool = False


@dataclass
class AlarmTracker:
    """Present alarms of one monitored unit and the dispatcher's acknowledge / silence.

    Not thread-safe: call from one thread (the GUI thread). Times are monotonic seconds.
    """

    entries: dict[str, AlarmEntry] = field(default_factory=dict)
    silenced_until_s: float | None = None
    _heard_after_silence: set[str] = field(default_factory=set)

    def update(self, present: Mapping[str, Priority], now_s: float) -> bool:
        """Take the conditions present now (from :func:`evaluate`). Returns True if anything changed.

        Conditions that cleared are forgotten (with their acknowledgement); a new one,
        or one whose priority rose, alarms unacknowledged.
        """
        changed = False
        for code in [c for c in self.entries if c not in present]:
            del self.entries[code]
            self._heard_after_silence.discard(code)
            changed = True
        for code, priority in present.items():
            entry = self.entries.get(code)
            if entry is None:
                self.entries[code] = AlarmEntry(code, Priority(priority), now_s)
                if self.is_silenced(now_s):
                    self._heard_after_silence.add(code)
                changed = True
            elif priority != entry.priority:
                if priority > entry.priority:
                    entry.acknowledged = False
                    if self.is_silenced(now_s):
                        self._heard_after_silence.add(code)
                entry.priority = Priority(priority)
                changed = True
        return changed

    def acknowledge(self) -> bool:
        """Acknowledge every present condition (latched until it clears). True if any was new."""
        newly = [e for e in self.entries.values() if not e.acknowledged]
        for entry in newly:
            entry.acknowledged = True
        return bool(newly)

    def silence(self, now_s: float, seconds: float = SILENCE_S) -> None:
        """Pause the sound for ``seconds`` (the visual signal goes on)."""
        self.silenced_until_s = now_s + seconds
        self._heard_after_silence.clear()

    def is_silenced(self, now_s: float) -> bool:
        return self.silenced_until_s is not None and now_s < self.silenced_until_s

    def silence_left_s(self, now_s: float) -> float:
        until = self.silenced_until_s
        return max(0.0, until - now_s) if until is not None and now_s < until else 0.0

    def ordered(self) -> list[AlarmEntry]:
        """Present conditions, highest priority first, unacknowledged before acknowledged, oldest first."""
        return sorted(self.entries.values(), key=lambda e: (-e.priority, e.acknowledged, e.since_s, e.code))

    def top(self) -> AlarmEntry | None:
        ordered = self.ordered()
        return ordered[0] if ordered else None

    def flash_hz(self) -> float:
        """How fast the alarm display flashes now: that of the highest unacknowledged condition (0 = steady)."""
        waiting = [e.priority for e in self.entries.values() if not e.acknowledged]
        return FLASH_HZ[max(waiting)] if waiting else 0.0

    def audible(self, now_s: float) -> Priority | None:
        """The priority of the sound that should play now, or None (nothing, acknowledged or silenced)."""
        waiting = [e for e in self.entries.values() if not e.acknowledged]
        if self.is_silenced(now_s):
            waiting = [e for e in waiting if e.code in self._heard_after_silence]
        return max((e.priority for e in waiting), default=None)

    def clear(self) -> None:
        self.entries.clear()
        self._heard_after_silence.clear()
        self.silenced_until_s = None


def highest(priorities: Iterable[Priority]) -> Priority | None:
    return max(priorities, default=None)
