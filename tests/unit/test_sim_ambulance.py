"""Simulated crews, driven by a manual clock against the pocket centre (decide -> events -> State).

Every report a crew makes goes through the real command path of the domain
(``Centre.send`` as the unit's device), so a report the server would refuse
fails here too. No sockets, no sleeping: time moves only when the test says.
"""

from __future__ import annotations

import random

import pytest

from app.domain.model import CloseReason, IncidentState, Milestone
from app.protocol import ProtocolError
from app.sim.ambulance import AmbulanceCrew, CrewTimings
from app.sim.clock import ManualClock
from tests.unit.domain_harness import (
    INCIDENT_1,
    INCIDENT_2,
    Centre,
    device,
    open_incident,
    seat,
    staffed_centre,
)

TIMINGS = CrewTimings()


def crew_for(unit_id: str, *, seed: int = 7, outcome: CloseReason = CloseReason.TRANSPORTED) -> AmbulanceCrew:
    return AmbulanceCrew(unit_id, rng=random.Random(seed), outcome_for=lambda state, incident: outcome)


def run_until_idle(
    c: Centre, crew: AmbulanceCrew, clock: ManualClock, *, limit_s: float = 4 * 3600
) -> list[tuple[str, float]]:
    """Let time pass deadline by deadline; send every report through the centre.

    Returns (status, seconds since the previous report) for each report, until the crew has nothing planned.
    """
    reports: list[tuple[str, float]] = []
    last = clock.now()
    crew.observe(c.state, clock.now())
    while (deadline := crew.next_deadline()) is not None and deadline - clock.now() < limit_s:
        clock.advance(deadline - clock.now())
        for name, args in crew.poll(c.state, clock.now()):
            c.send(device(crew.unit_id), name, args)
            reports.append((args["status"], clock.now() - last))
            last = clock.now()
        crew.observe(c.state, clock.now())  # the event of the report comes back
    return reports


def dispatched_centre(unit_id: str = "A01") -> Centre:
    c = staffed_centre()
    open_incident(c)
    c.send(seat("seat-1"), "unit.assign", {"incident_id": INCIDENT_1, "unit_id": unit_id})
    return c


def within(value: float, bounds: tuple[float, float]) -> bool:
    return bounds[0] <= value <= bounds[1]


def test_crew_takes_the_patient_to_hospital_and_hands_over_with_realistic_delays():
    c, clock = dispatched_centre(), ManualClock()
    crew = crew_for("A01")
    reports = run_until_idle(c, crew, clock)
    assert [status for status, _ in reports] == [
        "en_route",
        "on_scene",
        "transporting",
        "at_hospital",
        "available",
    ]
    turnout, travel, on_scene, transport, handover = (delay for _, delay in reports)
    assert within(turnout, TIMINGS.turnout_s) and turnout <= 180, "the national target is 3 minutes"
    assert within(travel, (180, 480))
    assert within(on_scene, TIMINGS.on_scene_before_transport_s)
    assert within(transport, TIMINGS.transport_s) and within(handover, TIMINGS.handover_s)
    incident = c.incident(INCIDENT_1)
    assert incident["state"] == IncidentState.HANDED_OVER
    assert Milestone.HANDOVER in incident["milestones"]
    assert c.unit("A01")["status"] == "available"
    # The seat can now close it as transported: the crew's reports made that true.
    c.send(seat("seat-1"), "incident.close", {"incident_id": INCIDENT_1, "reason": "transported"})


@pytest.mark.parametrize(
    "outcome", [CloseReason.TREATED_ON_SCENE, CloseReason.REFUSED, CloseReason.NO_PATIENT_FOUND]
)
def test_crew_clears_from_the_scene_when_nobody_is_transported(outcome):
    c, clock = dispatched_centre(), ManualClock()
    reports = run_until_idle(c, crew_for("A01", outcome=outcome), clock)
    assert [status for status, _ in reports] == ["en_route", "on_scene", "available"]
    assert within(reports[-1][1], TIMINGS.clear_on_scene_s)
    assert c.incident(INCIDENT_1)["state"] == IncidentState.ON_SCENE  # the seat closes it with the reason
    c.send(seat("seat-1"), "incident.close", {"incident_id": INCIDENT_1, "reason": outcome.value})


def test_an_available_crew_does_nothing():
    c, clock = staffed_centre(), ManualClock()
    crew = crew_for("A01")
    assert run_until_idle(c, crew, clock) == []
    assert crew.poll(c.state, clock.now() + 10_000) == []


def test_standing_the_unit_down_stops_the_job():
    c, clock = dispatched_centre(), ManualClock()
    crew = crew_for("A01")
    crew.observe(c.state, clock.now())
    clock.advance(crew.next_deadline() - clock.now())
    (report,) = crew.poll(c.state, clock.now())
    c.send(device("A01"), *report)  # en route
    crew.observe(c.state, clock.now())
    assert crew.plan is not None and crew.plan.status == "on_scene"
    # The caller rings back: it was a mistake. The seat closes the incident as cancelled.
    c.send(seat("seat-1"), "incident.close", {"incident_id": INCIDENT_1, "reason": "cancelled"})
    assert c.unit("A01")["status"] == "available"
    assert run_until_idle(c, crew, clock) == []


def test_a_report_that_crossed_a_seat_correction_is_refused_and_the_crew_follows_the_seat():
    c, clock = dispatched_centre(), ManualClock()
    crew = crew_for("A01")
    crew.observe(c.state, clock.now())
    clock.advance(crew.next_deadline() - clock.now())
    (stale,) = crew.poll(c.state, clock.now())  # "en route", for the unit's current version
    # Before it reaches the server, the dispatcher marks the unit on scene by radio.
    c.send(seat("seat-1"), "unit.status", {"unit_id": "A01", "status": "en_route"})
    c.send(seat("seat-1"), "unit.status", {"unit_id": "A01", "status": "on_scene"})
    with pytest.raises(ProtocolError) as refused:
        c.send(device("A01"), *stale)
    crew.refused(c.state, clock.now(), refused.value.code)
    assert crew.plan is not None and crew.plan.status == "transporting", (
        "plans from where the seat put the unit"
    )
    assert [s for s, _ in run_until_idle(c, crew, clock)] == ["transporting", "at_hospital", "available"]


def test_a_refused_report_is_retried_a_few_times_then_given_up():
    c, clock = dispatched_centre(), ManualClock()
    crew = crew_for("A01")
    crew.observe(c.state, clock.now())
    attempts = 0
    while (deadline := crew.next_deadline()) is not None:
        clock.advance(deadline - clock.now())
        assert crew.poll(c.state, clock.now())
        attempts += 1
        crew.refused(c.state, clock.now(), "internal")  # e.g. the server failed to commit
    assert attempts == TIMINGS.max_attempts
    assert c.unit("A01")["status"] == "dispatched"  # nothing was applied; a seat will see a slow crew


def test_only_the_first_unit_on_a_transported_incident_takes_the_patient():
    c, clock = dispatched_centre("A01"), ManualClock()
    c.send(seat("seat-1"), "unit.assign", {"incident_id": INCIDENT_1, "unit_id": "A02"})
    first, second = crew_for("A01", seed=1), crew_for("A02", seed=2)
    history: list[tuple[str, str]] = []
    for crew in (first, second):
        crew.observe(c.state, clock.now())
    while deadlines := [d for crew in (first, second) if (d := crew.next_deadline()) is not None]:
        clock.advance(min(deadlines) - clock.now())
        for crew in (first, second):
            for name, args in crew.poll(c.state, clock.now()):
                c.send(device(crew.unit_id), name, args)
                history.append((crew.unit_id, args["status"]))
        for crew in (first, second):
            crew.observe(c.state, clock.now())
    assert [s for u, s in history if u == "A01"] == [
        "en_route",
        "on_scene",
        "transporting",
        "at_hospital",
        "available",
    ]
    assert [s for u, s in history if u == "A02"] == ["en_route", "on_scene", "available"]


def test_the_same_seed_gives_the_same_run_and_another_seed_another():
    def timeline(seed: int) -> list[tuple[str, float]]:
        return run_until_idle(dispatched_centre(), crew_for("A01", seed=seed), ManualClock())

    assert timeline(42) == timeline(42)
    assert timeline(42) != timeline(43)


def test_a_crew_reassigned_after_handover_starts_the_next_job():
    c, clock = dispatched_centre(), ManualClock()
    crew = crew_for("A01")
    run_until_idle(c, crew, clock)
    c.send(seat("seat-1"), "incident.close", {"incident_id": INCIDENT_1, "reason": "transported"})
    c.send(seat("seat-1"), "incident.create", {"incident_id": INCIDENT_2, "address": "Avenue de la Costa"})
    c.send(seat("seat-1"), "unit.assign", {"incident_id": INCIDENT_2, "unit_id": "A01"})
    assert [s for s, _ in run_until_idle(c, crew, clock)][:2] == ["en_route", "on_scene"]
    assert c.incident(INCIDENT_2)["milestones"][Milestone.ON_SCENE]


def test_a_unit_in_a_status_this_version_does_not_know_makes_the_crew_wait_not_crash():
    c, clock = dispatched_centre(), ManualClock()
    c.state.units["A01"]["status"] = "refuelling"  # as a snapshot from a newer server might say
    crew = crew_for("A01")
    assert crew.poll(c.state, clock.now()) == [] and crew.next_deadline() is None


# ------------------------------------------------------------ arrivals follow the drive
STATION_AT = (29.5200, 106.5700)
SCENE_AT = (29.5380, 106.5700)  # 2 km north of the station
HOSPITAL_AT = (29.5380, 106.5900)  # ~1.9 km east of the scene


def on_the_map(c: Centre, *, scene: tuple[float, float] | None = SCENE_AT) -> None:
    """Give the station, the hospital and (unless None) the incident a position."""
    c.state.stations["ST-YZ"] = {"station_id": "ST-YZ", "name": "渝中站", "lat": STATION_AT[0], "lon": STATION_AT[1]}
    c.state.hospitals["H-1"] = {"hospital_id": "H-1", "name": "医院", "lat": HOSPITAL_AT[0], "lon": HOSPITAL_AT[1]}
    if scene is not None:
        c.state.incidents[INCIDENT_1]["location"] = {"lat": scene[0], "lon": scene[1]}


def drive_job(c: Centre, crew: AmbulanceCrew, mover, clock: ManualClock) -> list[tuple[str, float, tuple]]:
    """Like :func:`run_until_idle`, also noting where the unit is on the map when each report goes out."""
    reports: list[tuple[str, float, tuple]] = []
    last = clock.now()
    crew.observe(c.state, clock.now())
    while (deadline := crew.next_deadline()) is not None:
        clock.advance(deadline - clock.now())
        for name, args in crew.poll(c.state, clock.now()):
            fix = mover.fix(c.state, clock.now())
            c.send(device(crew.unit_id), name, args)
            reports.append((args["status"], clock.now() - last, (fix.lat, fix.lon)))
            last = clock.now()
        crew.observe(c.state, clock.now())
    return reports


def test_the_crew_reports_on_scene_when_the_ambulance_reaches_the_scene_on_the_map():
    from app.domain.location import distance_m
    from app.sim.live import UnitMover

    c, clock = dispatched_centre(), ManualClock()
    on_the_map(c)
    mover = UnitMover("A01", rng=random.Random(3))
    crew = AmbulanceCrew("A01", rng=random.Random(7), arrival=mover)
    reports = drive_job(c, crew, mover, clock)
    assert [status for status, _, _ in reports] == ["en_route", "on_scene", "transporting", "at_hospital", "available"]
    (_, _, at_station), (_, travel, at_scene), _, (_, transport, at_hospital), _ = reports
    assert at_station == pytest.approx(STATION_AT)
    assert at_scene == pytest.approx(SCENE_AT), "on scene exactly when the unit gets there, no jump"
    assert at_hospital == pytest.approx(HOSPITAL_AT)
    # Plausible city speeds (30–50 km/h) over the distance actually driven.
    assert 2000 / (50 / 3.6) * 0.99 <= travel <= 2000 / (30 / 3.6) * 1.01
    to_hospital = distance_m(*SCENE_AT, *HOSPITAL_AT)
    assert to_hospital / (50 / 3.6) <= transport <= to_hospital / (30 / 3.6)


def test_travel_time_follows_the_road_distance():
    from app.sim.live import UnitMover

    def travel_to(scene: tuple[float, float]) -> float:
        c, clock = dispatched_centre(), ManualClock()
        on_the_map(c, scene=scene)
        mover = UnitMover("A01", rng=random.Random(3))  # same seed: same speed on both drives
        reports = drive_job(c, AmbulanceCrew("A01", rng=random.Random(7), arrival=mover), mover, clock)
        return reports[1][1]

    near = travel_to((29.5290, 106.5700))  # 1 km
    far = travel_to((29.5560, 106.5700))  # 4 km
    assert far / near == pytest.approx(4.0, rel=0.01)


def test_without_a_scene_position_the_crew_falls_back_to_its_travel_time_model():
    from app.sim.live import UnitMover

    c, clock = dispatched_centre(), ManualClock()
    on_the_map(c, scene=None)  # the dispatcher has no location for the incident yet
    mover = UnitMover("A01", rng=random.Random(3))
    reports = drive_job(c, AmbulanceCrew("A01", rng=random.Random(7), arrival=mover), mover, clock)
    assert [status for status, _, _ in reports][:2] == ["en_route", "on_scene"]
    assert within(reports[1][1], (180, 480))
    assert within(reports[3][1], TIMINGS.transport_s), "no scene: no drive to the hospital either"
