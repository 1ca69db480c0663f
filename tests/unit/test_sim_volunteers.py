"""Simulated volunteers: slow positions near home, answering alerts, walking to the scene."""

from __future__ import annotations

import asyncio
import random

import pytest

from app.geo.sphere import distance_m
from app.protocol import new_id
from app.sim.clock import ManualClock
from app.sim.volunteers import (
    SimulatedVolunteer,
    VolunteerBehaviour,
    VolunteerTimings,
    home_spots,
    walking_time_s,
)

HOME = (43.7390, 7.4270)  # Place du Casino
SCENE = (43.7402, 7.4275)  # ~140 m north


def alert(alert_id: str | None = None, where=SCENE) -> dict:
    return {"v": 1, "type": "volunteer_alert", "alert_id": alert_id or new_id(), "lat": where[0], "lon": where[1],
            "distance_m": 140.0}


def volunteer(seed: int = 1, **timings) -> VolunteerBehaviour:
    return VolunteerBehaviour("vol-1", HOME, random.Random(seed), VolunteerTimings(**timings))


def positions_until(v: VolunteerBehaviour, end: float) -> list[tuple[float, tuple[float, float]]]:
    out = []
    t = 0.0
    while t <= end:
        for kind, args in v.poll(t):
            if kind == "position":
                out.append((t, (args["lat"], args["lon"])))
        t = v.next_deadline()
    return out


def test_an_idle_volunteer_reports_every_30_to_60_s_and_stays_near_home():
    v = volunteer()
    reports = positions_until(v, 3600.0)
    assert reports[0][0] == 0.0  # the first fix at once
    gaps = [b[0] - a[0] for a, b in zip(reports, reports[1:], strict=False)]
    assert 60 <= len(reports) <= 121 and all(30.0 <= g <= 60.0 for g in gaps)
    assert max(distance_m(*HOME, *p) for _, p in reports) < 250.0
    assert len({p for _, p in reports}) > len(reports) // 2  # it does move


def test_the_same_seed_makes_the_same_volunteer():
    assert positions_until(volunteer(7), 600.0) == positions_until(volunteer(7), 600.0)


def test_an_accepting_volunteer_answers_within_5_to_20_s_and_arrives_after_the_walk():
    v = volunteer(accept_probability=1.0)
    v.poll(0.0)
    alert_id = new_id()
    v.alerted(alert(alert_id), now=100.0)
    answered_at = v.tasks[alert_id].respond_at
    assert 105.0 <= answered_at <= 120.0
    assert not any(kind == "respond" for kind, _ in v.poll(answered_at - 0.5))
    assert ("respond", {"alert_id": alert_id, "response": "accepted"}) in v.poll(answered_at)
    walk = walking_time_s(distance_m(*v.tasks[alert_id].start, *SCENE))
    assert 100.0 < walk < 200.0  # ~140 m at 1.4 m/s x 1.3
    halfway = answered_at + walk / 2
    v.next_position_at = halfway  # the phone reports on the way
    on_the_way = dict(v.poll(halfway))["position"]
    assert distance_m(on_the_way["lat"], on_the_way["lon"], *SCENE) < distance_m(*HOME, *SCENE)
    assert v.next_deadline() <= answered_at + walk
    arrived = v.poll(answered_at + walk)
    assert ("respond", {"alert_id": alert_id, "response": "arrived"}) in arrived
    assert dict(arrived)["position"] == {"lat": SCENE[0], "lon": SCENE[1]}
    v.alerted(alert(alert_id), now=answered_at + walk + 1)  # sent again after a reconnect
    assert all(kind == "position" for kind, _ in v.poll(answered_at + walk + 3600))


def test_the_aed_fetcher_arrives_after_the_servers_walk_through_the_aed():
    v = volunteer(accept_probability=1.0)
    alert_id = new_id()
    v.alerted(alert(alert_id), now=0.0)
    while not v.tasks[alert_id].responded:
        v.poll(v.next_deadline())
    answered_at = v.tasks[alert_id].walk_from
    v.aed_task({"type": "volunteer_aed", "alert_id": alert_id, "walk_s": 600.0}, now=answered_at + 1)
    assert v.tasks[alert_id].arrive_at == answered_at + 600.0
    assert not any(a.get("response") == "arrived" for _, a in v.poll(answered_at + 599.0))
    assert ("respond", {"alert_id": alert_id, "response": "arrived"}) in v.poll(answered_at + 600.0)


def test_a_declining_volunteer_never_walks_and_about_70_percent_accept():
    v = volunteer(accept_probability=0.0)
    alert_id = new_id()
    v.alerted(alert(alert_id), now=0.0)
    replies = v.poll(20.0)
    assert ("respond", {"alert_id": alert_id, "response": "declined"}) in replies
    assert v.tasks[alert_id].arrive_at is None
    answers = []
    for seed in range(400):
        w = volunteer(seed)
        w.alerted(alert(), now=0.0)
        answers.append(next(iter(w.tasks.values())).response.value)
    assert 0.6 < answers.count("accepted") / len(answers) < 0.8


def test_home_spots_lie_near_the_registry_places():
    places = [(43.7392, 7.4275), (43.7277, 7.4155)]
    spots = home_spots(places, 5, random.Random(3))
    assert len(spots) == 5
    assert all(min(distance_m(*s, *p) for p in places) <= 250.0 for s in spots)
    assert home_spots([], 3, random.Random(3)) == []


class FakeLink:
    """The edge of the machine: records what a volunteer's phone would send."""

    def __init__(self) -> None:
        self.on_synced = self.on_message = self.on_refused = None
        self.live: list[dict] = []
        self.commands: list[tuple[str, dict]] = []
        self.synced = True

    async def run(self) -> None:
        self.on_synced(None)
        await asyncio.Event().wait()

    async def send_live(self, msg: dict) -> bool:
        self.live.append(msg)
        return True

    def send(self, name: str, args: dict) -> str:
        self.commands.append((name, args))
        return new_id()


@pytest.mark.parametrize("seed", [1, 2])
def test_a_simulated_volunteer_runs_on_scenario_time(seed):
    async def scenario() -> tuple[FakeLink, str]:
        clock, link = ManualClock(), FakeLink()
        sim = SimulatedVolunteer(VolunteerBehaviour("vol-1", HOME, random.Random(seed),
                                                    VolunteerTimings(accept_probability=1.0)), link, clock)
        task = asyncio.create_task(sim.run())
        for _ in range(5):
            await asyncio.sleep(0)
        assert [m["type"] for m in link.live] == ["volunteer.position"]
        assert link.live[0]["t"].endswith("Z")  # wall-clock time: the server ages fixes by it
        alert_id = new_id()
        link.on_message(alert(alert_id))
        for _step in range(40):  # 40 x 30 s of scenario time, no sleeping
            clock.advance(30.0)
            for _ in range(5):
                await asyncio.sleep(0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return link, alert_id

    link, alert_id = asyncio.run(scenario())
    assert link.commands == [("volunteer.respond", {"alert_id": alert_id, "response": "accepted"}),
                             ("volunteer.respond", {"alert_id": alert_id, "response": "arrived"})]
    assert 20 <= len(link.live) <= 42
    assert (link.live[-1]["lat"], link.live[-1]["lon"]) == SCENE
