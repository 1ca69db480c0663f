"""A simulated volunteer's phone against a real server: alerted, accepts, fetches the AED, arrives."""

from __future__ import annotations

import asyncio
import random
import re
import threading
import time

import pytest

from app.protocol import new_id
from app.sim.clock import ScaledClock
from app.sim.link import SimLink
from app.sim.volunteers import SimulatedVolunteer, VolunteerBehaviour, VolunteerTimings

pytestmark = pytest.mark.integration

SCENE = (43.7384, 7.4246)  # Monte-Carlo
HOME = (43.7396, 7.4252)  # ~140 m away, by the casino


class VolunteerThread:
    """Runs one simulated volunteer on its own asyncio loop (the test talks to the server synchronously)."""

    def __init__(self, url: str, token: str, *, time_scale: float) -> None:
        self.loop = asyncio.new_event_loop()
        behaviour = VolunteerBehaviour("vol-sim", HOME, random.Random(5), VolunteerTimings(accept_probability=1.0))
        self.link = SimLink(url, token, client_name="pytest-volunteer")
        self.sim = SimulatedVolunteer(behaviour, self.link, ScaledClock(time_scale))
        self.thread = threading.Thread(target=self._main, daemon=True)
        self.task: asyncio.Task[None] | None = None

    def _main(self) -> None:
        self.task = self.loop.create_task(self.sim.run())
        self.loop.run_until_complete(asyncio.gather(self.task, return_exceptions=True))

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(lambda: self.task and self.task.cancel())
        self.thread.join(10)


def test_a_simulated_volunteer_accepts_an_alert_fetches_the_aed_and_arrives(dispatch_server):
    assert dispatch_server.admin("add-aed", "aed-casino", "--name", "赌场AED", "--lat", "43.7392",
                                 "--lon", "7.4250", "--access", "24h").returncode == 0
    added = dispatch_server.admin("add-volunteer", "vol-sim", "--name", "王丽")
    assert added.returncode == 0, added.stderr
    token = re.search(r"One-time token for .*?:\s+(\S+)", added.stdout, re.S).group(1)
    phone = VolunteerThread(dispatch_server.url, token, time_scale=100.0)
    phone.thread.start()
    try:
        seat = dispatch_server.client("seat-1")
        incident_id = new_id()
        assert seat.command("incident.create", {"incident_id": incident_id, "address": "赌场广场"})["type"] == "ack"
        assert seat.command("incident.locate", {"incident_id": incident_id, "lat": SCENE[0], "lon": SCENE[1],
                                                "source": "map_click"})["type"] == "ack"
        # The phone's first position reaches the server right after it connects; until then nobody is in range.
        deadline = time.monotonic() + 10
        while True:
            reply = seat.command("responders.alert", {"incident_id": incident_id})
            if reply["type"] == "ack" or time.monotonic() > deadline:
                break
            assert reply["code"] == "conflict", reply
            time.sleep(0.05)
        assert reply["type"] == "ack", reply
        alerted = seat.wait_event("responders.alerted", incident_id=incident_id)["data"]
        assert [v["volunteer_id"] for v in alerted["volunteers"]] == ["vol-sim"]

        accepted = seat.wait_event("responders.responded", volunteer_id="vol-sim", response="accepted")
        assigned = seat.wait_event("responders.aed_assigned", volunteer_id="vol-sim")["data"]
        assert assigned["aed_id"] == "aed-casino" and assigned["alert_id"] == alerted["alert_id"]
        arrived = seat.wait_event("responders.responded", timeout=30, volunteer_id="vol-sim", response="arrived")
        assert arrived["seq"] > accepted["seq"]
        responses = [e["data"]["response"] for e in seat.events if e["name"] == "responders.responded"]
        assert responses == ["accepted", "arrived"]
        task = phone.sim.behaviour.tasks[alerted["alert_id"]]
        assert task.arrive_at == pytest.approx(task.walk_from + assigned["walk_s"])  # walked via the AED
    finally:
        phone.stop()
