"""The simulated patient's physiology: rhythm and vitals over time, answering to CPR and delay.

Pure: no I/O, no clock. A scenario call's ``physiology:`` (:class:`Physiology`) says how the
patient starts (rhythm, HR, SpO2, RR at the moment of the call) and how they change: vitals
drift each minute until a crew treats them; a patient may arrest after a while if no crew
has arrived; a cardiac arrest in VF/VT decays to asystole, slower under CPR, and each
defibrillation (a volunteer's AED, then the crew's defibrillator every 2 minutes) brings
ROSC with a chance that falls with every minute of delay.

:func:`course` takes what happened (when the call came, when compressions started, when an
AED arrived, when the crew arrived, in scenario seconds from the call) and returns
:class:`MonitorStep`\\ s counted from the crew's arrival: what :class:`app.sim.monitor.SimulatedMonitor`
plays once the unit is on scene. Random draws (ROSC) come from the ``rng`` passed in, seeded
by the run's seed and the call: every trainee gets the same patient for the same actions.

Figures (documented in ``docs/training.md``): the chance of survival of a witnessed VF arrest
falls ~10 % per minute without CPR and ~3–4 % per minute with bystander CPR (Larsen et al.,
Ann Emerg Med 1993; AHA guidelines); untreated VF degrades to asystole within ~10 minutes
(CPR slows it); shocks follow the 2-minute CPR cycles of the AHA/ERC algorithms, the crew's
first ~60 s after arriving (to the patient, pads on).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

ARREST_RHYTHMS = frozenset({"vf", "vt", "asystole"})
SHOCKABLE = frozenset({"vf", "vt"})
RHYTHMS = ("sinus", "st_elevation", "af", "vt", "vf", "asystole")
NO_CPR_LOSS_PER_MIN = 0.10  # survival lost per minute of VF without CPR (Larsen 1993)
CPR_LOSS_PER_MIN = 0.035  # ... with bystander CPR
CREW_FIRST_SHOCK_S = 60.0  # crew on scene -> pads on, first analysis
SHOCK_EVERY_S = 120.0  # one CPR cycle between analyses
FOLLOW_S = 1200.0  # how long after arrival the course is worked out
VITALS_EVERY_S = 60.0  # a step per minute while vitals drift or recover
SPO2_RECOVERY_PER_MIN = 2.0  # oxygen from the crew
# Vitals after ROSC: tachycardic, a little hypoxic, low end-tidal CO2 rising.
ROSC_VITALS = {"hr": 108.0, "spo2": 93.0, "rr": 14.0, "etco2": 35.0}


@dataclass(frozen=True)
class Physiology:
    """A scenario call's ``physiology:`` block, checked by :mod:`app.sim.scenario`."""

    rhythm: str  # at the moment of the call: one of RHYTHMS
    hr: float | None = None  # None: the rhythm's typical rate
    spo2: float | None = None  # %, None: 96 when perfusing
    rr: float | None = None  # /min
    hr_per_min: float = 0.0  # drift each minute until a crew treats the patient
    spo2_per_min: float = 0.0
    # A perfusing patient arrests (arrest_rhythm) this long after the call unless a crew is there.
    arrest_after_s: float | None = None
    arrest_rhythm: str = "vf"
    asystole_after_s: float = 600.0  # VF/VT without CPR -> asystole (CPR makes it cpr_slows× slower)
    cpr_slows: float = 3.0
    rosc_chance: float = 0.5  # ROSC chance of a shock given at once; falls with delay
    rosc_rhythm: str = "st_elevation"


@dataclass(frozen=True)
class MonitorStep:
    """From ``at_s`` (seconds after the crew's arrival) the monitor shows ``rhythm`` and ``vitals``."""

    at_s: float
    rhythm: str
    vitals: dict[str, float | None] = field(default_factory=dict)

    def as_tuple(self) -> tuple[float, str, dict[str, float | None]]:
        return (self.at_s, self.rhythm, dict(self.vitals))


@dataclass(frozen=True)
class Events:
    """What happened to the patient, in scenario seconds from the call (None: never)."""

    crew_arrived_s: float
    cpr_started_s: float | None = None
    aed_arrived_s: float | None = None


@dataclass
class _Arrest:
    started_s: float
    rhythm: str
    no_cpr_s: float = 0.0  # minutes of delay, split by whether compressions were going
    cpr_s: float = 0.0
    last_s: float = 0.0


def course(physiology: Physiology, events: Events, rng: random.Random) -> list[MonitorStep]:
    """The monitor's steps from the crew's arrival (``at_s`` 0), given what was done.

    Deterministic for a given ``rng`` state. Raises nothing for consistent input.
    """
    p, arrival = physiology, events.crew_arrived_s
    arrest: _Arrest | None = None
    if p.rhythm in ARREST_RHYTHMS:
        arrest = _Arrest(0.0, p.rhythm)
    elif p.arrest_after_s is not None and p.arrest_after_s < arrival:
        arrest = _Arrest(p.arrest_after_s, p.arrest_rhythm, last_s=p.arrest_after_s)
    if arrest is None:
        return _perfusing_course(p, arrival)

    # Shocks: the AED once it is there, then the crew every cycle from pads-on.
    shocks: list[float] = []
    if events.aed_arrived_s is not None and arrest.started_s <= events.aed_arrived_s < arrival + CREW_FIRST_SHOCK_S:
        shocks.append(events.aed_arrived_s)
    t = max(arrival + CREW_FIRST_SHOCK_S, shocks[-1] + SHOCK_EVERY_S if shocks else 0.0)
    while t < arrival + FOLLOW_S:
        shocks.append(t)
        t += SHOCK_EVERY_S
    cpr_from = events.cpr_started_s if events.cpr_started_s is not None else arrival  # the crew does CPR
    cpr_from = max(cpr_from, arrest.started_s)
    asystole_at = _asystole_at(p, arrest, cpr_from)
    timeline: list[tuple[float, str, dict[str, float | None]]] = [(arrest.started_s, arrest.rhythm, {})]
    rosc_at: float | None = None
    for shock in shocks:
        if arrest.rhythm not in SHOCKABLE or shock >= asystole_at:
            break
        no_cpr_min = (min(shock, cpr_from) - arrest.started_s) / 60.0
        cpr_min = max(0.0, shock - cpr_from) / 60.0
        chance = p.rosc_chance * max(0.0, 1.0 - NO_CPR_LOSS_PER_MIN * no_cpr_min - CPR_LOSS_PER_MIN * cpr_min)
        if rng.random() < chance:
            rosc_at = shock
            timeline.append((shock, p.rosc_rhythm, dict(ROSC_VITALS)))
            break
    if rosc_at is None and arrest.rhythm in SHOCKABLE and asystole_at < arrival + FOLLOW_S:
        timeline.append((asystole_at, "asystole", {}))
    return _from_arrival(timeline, arrival)


def _asystole_at(p: Physiology, arrest: _Arrest, cpr_from: float) -> float:
    """When a shockable rhythm has decayed to asystole: ``asystole_after_s`` of untreated time,
    a second under CPR counting ``1 / cpr_slows``."""
    if arrest.rhythm not in SHOCKABLE:
        return arrest.started_s
    untreated = cpr_from - arrest.started_s
    if untreated >= p.asystole_after_s:
        return arrest.started_s + p.asystole_after_s
    return cpr_from + (p.asystole_after_s - untreated) * p.cpr_slows


def _perfusing_course(p: Physiology, arrival: float) -> list[MonitorStep]:
    """Vitals drifted until the crew got there, then recovering with oxygen and care."""
    base_hr = p.hr
    spo2 = p.spo2 if p.spo2 is not None else 96.0
    minutes = arrival / 60.0
    hr_now = None if base_hr is None else _clamp(base_hr + p.hr_per_min * minutes, 20, 220)
    spo2_now = _clamp(spo2 + p.spo2_per_min * minutes, 50, 100)
    steps: list[MonitorStep] = []
    for k in range(int(FOLLOW_S // VITALS_EVERY_S)):
        vitals: dict[str, float | None] = {"spo2": round(spo2_now, 1)}
        if hr_now is not None:
            vitals["hr"] = round(hr_now, 1)
        if p.rr is not None:
            vitals["rr"] = p.rr
        steps.append(MonitorStep(k * VITALS_EVERY_S, p.rhythm, vitals))
        if spo2_now >= 96.0 and (hr_now is None or base_hr is None or abs(hr_now - base_hr) < 1):
            break
        spo2_now = max(spo2_now, min(96.0, spo2_now + SPO2_RECOVERY_PER_MIN))
        if hr_now is not None and base_hr is not None:
            hr_now += (base_hr - hr_now) * 0.3  # care brings the rate back towards where it began
    return steps


def _from_arrival(timeline: list[tuple[float, str, dict[str, Any]]], arrival: float) -> list[MonitorStep]:
    """The timeline as seen from the arrival: what was showing then, and what comes after."""
    steps: list[MonitorStep] = []
    current = timeline[0]
    for entry in timeline:
        if entry[0] <= arrival:
            current = entry
    steps.append(MonitorStep(0.0, current[1], current[2]))
    steps.extend(MonitorStep(round(at - arrival, 1), rhythm, vitals) for at, rhythm, vitals in timeline if at > arrival)
    return steps


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))
