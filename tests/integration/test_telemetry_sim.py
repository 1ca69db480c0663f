"""A simulated ambulance's terminal through a real server: its GPS moves on the seats' map.

The ambulance runs on its own asyncio loop in a thread (as in ``dispatch120 sim serve``),
scenario time 60 times faster; the seat is a plain protocol client.
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from app.domain.location import distance_m
from app.protocol import new_id
from app.seat.telemetry import TelemetryStore
from app.sim.ambulance import AmbulanceCrew, CrewTimings, RandomTravelTime, SimulatedAmbulance
from app.sim.clock import ScaledClock
from app.sim.link import SimLink
from app.sim.live import UnitLive, UnitMover

pytestmark = pytest.mark.integration

STATION = (29.52, 106.57)  # st-1 of the default registry
SCENE = (29.538, 106.57)  # 2 km north: ~3 minutes at 30–50 km/h, 3 s of wall time at 60×


@contextmanager
def ambulance_running(url: str, token: str, unit_id: str, monitor=None) -> Iterator[None]:
    """Run a simulated ambulance (crew + terminal) for ``unit_id`` until the block ends."""
    loop = asyncio.new_event_loop()

    async def main() -> None:
        clock = ScaledClock(60.0)
        crew = AmbulanceCrew(
            unit_id,
            rng=random.Random(7),
            # The crew takes its time: the straight line reaches the scene first, and the unit waits there.
            timings=CrewTimings(turnout_s=(5.0, 5.0), on_scene_before_transport_s=(9999.0, 9999.0)),
            travel=RandomTravelTime(3600.0, 3600.0),
        )
        link = SimLink(url, token, client_name=f"test-ambulance {unit_id}")
        live = UnitLive(UnitMover(unit_id, rng=random.Random(7)), monitor_for=monitor)
        await SimulatedAmbulance(crew, link, clock, live=live).run()

    task_box: dict = {}

    def thread() -> None:
        asyncio.set_event_loop(loop)
        task_box["task"] = loop.create_task(main())
        try:
            loop.run_until_complete(task_box["task"])
        except (asyncio.CancelledError, Exception):
            pass

    runner = threading.Thread(target=thread, daemon=True)
    runner.start()
    try:
        yield
    finally:
        loop.call_soon_threadsafe(lambda: task_box["task"].cancel())
        runner.join(10)
        loop.close()


def _positions(seat, store: TelemetryStore, until) -> None:
    while True:
        store.apply(seat.wait_for(lambda m: m["type"] == "positions", timeout=10))
        if until(store.positions.get("A1")):
            return


def test_a_dispatched_ambulance_drives_from_its_station_to_the_scene_on_every_seats_map(dispatch_server):
    seat = dispatch_server.client("seat-1")
    store = TelemetryStore()
    with ambulance_running(dispatch_server.url, dispatch_server.tokens["dev-A1"], "A1"):
        _positions(seat, store, lambda p: p is not None)
        parked = store.positions["A1"]
        assert (parked.lat, parked.lon) == STATION and parked.speed_mps == 0

        incident_id = new_id()
        assert seat.command("incident.create", {"incident_id": incident_id, "address": "解放碑"})["type"] == "ack"
        assert seat.command("incident.locate", {"incident_id": incident_id, "lat": SCENE[0], "lon": SCENE[1],
                                                "source": "map_click"})["type"] == "ack"
        assert seat.command("unit.assign", {"incident_id": incident_id, "unit_id": "A1"})["type"] == "ack"

        seen: list = []

        def moving_on(p) -> bool:
            if p is not None and (not seen or p.at > seen[-1].at):
                seen.append(p)
            return p is not None and distance_m(p.lat, p.lon, *SCENE) < 1.0

        _positions(seat, store, moving_on)
    driving = [p for p in seen if p.speed_mps and p.speed_mps > 0]
    assert len(driving) >= 2, "the seat saw the ambulance on the way, more than once"
    assert all(30 / 3.6 <= p.speed_mps <= 50 / 3.6 for p in driving)
    left = [distance_m(p.lat, p.lon, *SCENE) for p in driving]
    assert left == sorted(left, reverse=True) and left[0] < distance_m(*STATION, *SCENE)
    assert all(p.heading_deg == pytest.approx(0.0, abs=1.0) or p.heading_deg == pytest.approx(360.0, abs=1.0)
               for p in driving), "heading north"
    assert seen[-1].speed_mps == 0
    assert store.invalid_frames == 0
