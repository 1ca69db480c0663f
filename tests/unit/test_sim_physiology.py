"""The simulated patient: rhythm and vitals answer to compressions, to an AED and to delay, and
feed the crew's monitor from the moment it arrives."""

from __future__ import annotations

import random

from app.sim.monitor import SimulatedMonitor
from app.sim.physiology import ROSC_VITALS, Events, Physiology, course

VF = Physiology(rhythm="vf", asystole_after_s=600, cpr_slows=3, rosc_chance=1.0, rosc_rhythm="st_elevation")


class FixedDraw(random.Random):
    """An rng whose every draw is ``value``: decides a ROSC chance exactly."""

    def __init__(self, value: float) -> None:
        super().__init__(0)
        self.value = value

    def random(self) -> float:
        return self.value


def rhythms(steps):
    return [(s.at_s, s.rhythm) for s in steps]


def test_untreated_vf_has_decayed_to_asystole_when_a_late_crew_arrives():
    steps = course(VF, Events(crew_arrived_s=720), random.Random(1))

    assert rhythms(steps) == [(0.0, "asystole")]


def test_compressions_keep_the_heart_in_vf_until_the_crew_gets_there():
    # CPR from 1 min: 60 s untreated, then each second counts a third; asystole only at 1680 s.
    steps = course(VF, Events(crew_arrived_s=720, cpr_started_s=60), FixedDraw(0.99))

    assert steps[0].rhythm == "vf"
    assert ("asystole" in [r for _, r in rhythms(steps)]) is True
    assert rhythms(steps)[-1] == (round(1680 - 720, 1), "asystole")


def test_a_volunteers_aed_after_early_cpr_brings_rosc_before_the_crew_arrives():
    # Shock at 3 min after CPR from 1 min: chance 1.0 × (1 − 0.10 × 1 − 0.035 × 2) = 0.83 > 0.8.
    steps = course(VF, Events(crew_arrived_s=600, cpr_started_s=60, aed_arrived_s=180), FixedDraw(0.8))

    assert rhythms(steps) == [(0.0, "st_elevation")]
    assert steps[0].vitals == ROSC_VITALS


def test_the_same_shock_without_compressions_fails_and_the_crew_finds_vf():
    # No CPR: 3 untreated minutes leave 1.0 × (1 − 0.3) = 0.7 < 0.8; the crew's later shocks fail too.
    steps = course(VF, Events(crew_arrived_s=480, aed_arrived_s=180), FixedDraw(0.8))

    assert steps[0].rhythm == "vf"
    assert "st_elevation" not in [r for _, r in rhythms(steps)]


def test_the_crew_shocks_a_minute_after_arriving_then_every_two_minutes():
    # A draw that succeeds only once the chance is below 0.5 never happens; one at 0.2 succeeds at the first shock.
    steps = course(VF, Events(crew_arrived_s=300, cpr_started_s=30), FixedDraw(0.2))

    assert rhythms(steps) == [(0.0, "vf"), (60.0, "st_elevation")]


def test_the_same_seed_gives_the_same_patient():
    p = Physiology(rhythm="vf", rosc_chance=0.5)
    events = Events(crew_arrived_s=420, cpr_started_s=90)

    first = course(p, events, random.Random("7:0:physiology"))
    again = course(p, events, random.Random("7:0:physiology"))

    assert first == again


def test_a_hypoxic_patient_has_drifted_down_when_the_crew_arrives_then_recovers_on_oxygen():
    p = Physiology(rhythm="sinus", hr=110, spo2=94, spo2_per_min=-0.5)

    steps = course(p, Events(crew_arrived_s=600), random.Random(1))

    assert steps[0].vitals["spo2"] == 89.0  # 94 − 0.5 × 10 min
    assert [s.vitals["spo2"] for s in steps] == [89.0, 91.0, 93.0, 95.0, 96.0]
    assert all(s.rhythm == "sinus" for s in steps)


def test_a_stemi_patient_reached_too_late_is_found_in_vf():
    p = Physiology(rhythm="st_elevation", arrest_after_s=900, arrest_rhythm="vf", rosc_chance=0.0)

    in_time = course(p, Events(crew_arrived_s=600), random.Random(1))
    late = course(p, Events(crew_arrived_s=1000), random.Random(1))

    assert in_time[0].rhythm == "st_elevation"
    assert late[0].rhythm == "vf"


def test_the_monitor_shows_the_physiology_vitals_and_alarms_on_low_saturation():
    steps = [(0.0, "sinus", {"hr": 118.0, "spo2": 86.0}), (2.0, "sinus", {"hr": 100.0, "spo2": 95.0})]
    monitor = SimulatedMonitor("A1", steps, start_epoch_s=1000.0)

    frames = monitor.frames_until(1004.0)

    vitals = [f["data"] for f in frames if f["kind"] == "vitals"]
    assert abs(vitals[0]["hr"] - 118) <= 1 and abs(vitals[0]["spo2"] - 86) <= 1
    assert abs(vitals[-1]["hr"] - 100) <= 1 and abs(vitals[-1]["spo2"] - 95) <= 1
    alarms = [(f["data"]["code"], f["data"]["active"]) for f in frames if f["kind"] == "alarm"]
    assert alarms == [("SPO2_LOW", True), ("SPO2_LOW", False)]
