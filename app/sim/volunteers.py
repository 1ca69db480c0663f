"""Simulated first-aid volunteers: phones that report positions and answer alerts.

:class:`VolunteerBehaviour` is one volunteer's behaviour and does no I/O: given scenario
times it says when a ``volunteer.position`` is due (every 30–60 scenario seconds, a small
random walk around a home spot, pulled back towards home) and how the volunteer answers a
``volunteer_alert``: after 5–20 s it accepts (70 %) or declines; once accepted it walks to
the scene — straight line × 1.3 at 1.4 m/s, or the server's ``walk_s`` when it is asked to
fetch an AED — reporting positions along the way, and reports ``arrived``.

:class:`SimulatedVolunteer` runs a behaviour over a :class:`~app.sim.link.SimLink` made with
the volunteer's own token (role ``volunteer``), as a real phone does (``docs/protocol.md``
§16). Every delay is in scenario seconds (the :class:`~app.sim.clock.Clock` applies the time
scale); the ``t`` of a position is the wall clock, since the server ages fixes by it. Random
choices come from a seeded RNG so a run can be repeated. One asyncio loop; not thread-safe.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
from dataclasses import dataclass, field
from typing import Any

from app.geo.sphere import destination, distance_m
from app.protocol import Message, now_iso
from app.protocol.responders import Response, volunteer_position
from app.sim.clock import Clock, wait_until
from app.sim.link import Refusal, SimLink

log = logging.getLogger(__name__)

Range = tuple[float, float]
Point = tuple[float, float]

WALK_SPEED_M_S = 1.4
WALK_DETOUR = 1.3  # streets and stairs are longer than the straight line


def walking_time_s(distance: float) -> float:
    """Scenario seconds to walk ``distance`` metres (straight line) through the streets."""
    return distance / WALK_SPEED_M_S * WALK_DETOUR


@dataclass(frozen=True)
class VolunteerTimings:
    """A volunteer's habits; ranges are drawn uniformly, in scenario seconds and metres."""

    position_every_s: Range = (30.0, 60.0)
    respond_after_s: Range = (5.0, 20.0)
    accept_probability: float = 0.7
    wander_step_m: Range = (0.0, 40.0)
    home_pull: float = 0.2  # each step moves this share of the way back towards home
    stay_on_scene_s: float = 1200.0  # after arriving, then wanders home again


@dataclass
class AlertTask:
    """One alert as this volunteer handles it."""

    alert_id: str
    scene: Point
    respond_at: float
    response: Response  # what the volunteer will answer (drawn when alerted)
    responded: bool = False
    start: Point | None = None  # where the walk began (after accepting)
    walk_from: float | None = None
    arrive_at: float | None = None
    arrived: bool = False


@dataclass
class VolunteerBehaviour:
    """One volunteer. Sans I/O.

    Use: call :meth:`alerted` / :meth:`aed_task` with the server's frames, :meth:`poll`
    with the time to get the frames and commands due, wait until :meth:`next_deadline`.
    """

    volunteer_id: str
    home: Point
    rng: random.Random
    timings: VolunteerTimings = field(default_factory=VolunteerTimings)
    now: float = 0.0

    def __post_init__(self) -> None:
        self.position: Point = self.home
        self.next_position_at: float = self.now  # the first fix goes at once
        self.tasks: dict[str, AlertTask] = {}

    # ------------------------------------------------------------ server frames
    def alerted(self, msg: Message, now: float) -> None:
        """A ``volunteer_alert``. The same alert again (sent again after a reconnect) changes nothing."""
        if msg["alert_id"] in self.tasks:
            return
        accepts = self.rng.random() < self.timings.accept_probability
        self.tasks[msg["alert_id"]] = AlertTask(
            msg["alert_id"], (float(msg["lat"]), float(msg["lon"])),
            now + self.rng.uniform(*self.timings.respond_after_s),
            Response.ACCEPTED if accepts else Response.DECLINED,
        )
        log.info("volunteer %s: alerted (%s), will %s", self.volunteer_id, msg["alert_id"],
                 "accept" if accepts else "decline")

    def aed_task(self, msg: Message, now: float) -> None:
        """A ``volunteer_aed``: fetch the AED first; the walk takes the server's ``walk_s`` from acceptance."""
        task = self.tasks.get(msg["alert_id"])
        if task is None or task.walk_from is None or task.arrived:
            return
        task.arrive_at = task.walk_from + float(msg["walk_s"])

    def resync(self, now: float) -> None:
        """The link (re)connected: report the position at once."""
        self.next_position_at = min(self.next_position_at, now)

    # ------------------------------------------------------------ time
    def next_deadline(self) -> float | None:
        times = [self.next_position_at]
        for task in self.tasks.values():
            if not task.responded:
                times.append(task.respond_at)
            elif task.arrive_at is not None and not task.arrived:
                times.append(task.arrive_at)
        return min(times)

    def poll(self, now: float) -> list[tuple[str, dict[str, Any]]]:
        """What is due at ``now``: ``("position", {lat, lon})`` and ``("respond", {alert_id, response})``."""
        out: list[tuple[str, dict[str, Any]]] = []
        for task in self.tasks.values():
            if not task.responded and now >= task.respond_at:
                task.responded = True
                out.append(("respond", {"alert_id": task.alert_id, "response": task.response.value}))
                if task.response == Response.ACCEPTED and self._walking() is None:
                    task.start, task.walk_from = self.position, now
                    task.arrive_at = now + walking_time_s(distance_m(*self.position, *task.scene))
            if task.arrive_at is not None and not task.arrived and now >= task.arrive_at:
                task.arrived = True
                self.position = task.scene
                out.append(("respond", {"alert_id": task.alert_id, "response": Response.ARRIVED.value}))
                self.next_position_at = now  # the phone reports where it is now
        if now >= self.next_position_at:
            self.position = self._move(now)
            self.next_position_at = now + self.rng.uniform(*self.timings.position_every_s)
            out.append(("position", {"lat": self.position[0], "lon": self.position[1]}))
        return out

    # ------------------------------------------------------------ behaviour
    def _walking(self) -> AlertTask | None:
        return next((t for t in self.tasks.values() if t.walk_from is not None and not t.arrived), None)

    def _move(self, now: float) -> Point:
        task = self._walking()
        if task is not None and task.start is not None and task.arrive_at is not None and task.walk_from is not None:
            share = min(1.0, (now - task.walk_from) / max(1e-9, task.arrive_at - task.walk_from))
            return (task.start[0] + (task.scene[0] - task.start[0]) * share,
                    task.start[1] + (task.scene[1] - task.start[1]) * share)
        for done in self.tasks.values():
            if done.arrived and done.arrive_at is not None and now < done.arrive_at + self.timings.stay_on_scene_s:
                return done.scene  # stays with the patient until the ambulance takes over
        lat, lon = self.position
        pull = self.timings.home_pull
        lat, lon = lat + (self.home[0] - lat) * pull, lon + (self.home[1] - lon) * pull
        return destination(lat, lon, self.rng.uniform(0.0, 360.0), self.rng.uniform(*self.timings.wander_step_m))


class SimulatedVolunteer:
    """Runs a :class:`VolunteerBehaviour` over the volunteer's own link. ``await run()``; cancel to stop.

    Args:
        behaviour: the volunteer.
        link: a :class:`SimLink` made with the volunteer's token; its callbacks are set here.
        clock: scenario time.
    """

    def __init__(self, behaviour: VolunteerBehaviour, link: SimLink, clock: Clock) -> None:
        self.behaviour = behaviour
        self.link = link
        self.clock = clock
        self._wake = asyncio.Event()
        link.on_synced = self._on_synced
        link.on_message = self._on_message
        link.on_refused = self._on_refused

    async def run(self) -> None:
        """Returns never; cancel to stop.

        Raises:
            AuthRefused: the server refused the volunteer's token.
        """
        async with asyncio.TaskGroup() as group:
            group.create_task(self.link.run(), name=f"volunteer link {self.behaviour.volunteer_id}")
            group.create_task(self._live(), name=f"volunteer {self.behaviour.volunteer_id}")

    async def _live(self) -> None:
        while True:
            self._wake.clear()
            for kind, args in self.behaviour.poll(self.clock.now()):
                if kind == "position":
                    # Live data: dropped while offline (a new fix goes right after the next sync).
                    await self.link.send_live(volunteer_position(lat=args["lat"], lon=args["lon"], t=now_iso(),
                                                                 accuracy_m=15.0))
                else:
                    self.link.send("volunteer.respond", args)  # queued until acked, also while offline
            await wait_until(self.clock, self.behaviour.next_deadline(), self._wake)

    def _on_synced(self, state: Any) -> None:
        self.behaviour.resync(self.clock.now())
        self._wake.set()

    def _on_message(self, msg: Message) -> None:
        if msg["type"] == "volunteer_alert":
            self.behaviour.alerted(msg, self.clock.now())
        elif msg["type"] == "volunteer_aed":
            self.behaviour.aed_task(msg, self.clock.now())
        self._wake.set()

    def _on_refused(self, state: Any, refusal: Refusal) -> None:
        # The incident closed, or the alert is unknown after a server reset: nothing to retry.
        log.info("volunteer %s: %s refused: %s", self.behaviour.volunteer_id, refusal.name, refusal.code)


def home_spots(places: list[Point], count: int, rng: random.Random, *, spread_m: float = 250.0) -> list[Point]:
    """``count`` home spots near the registry's places (stations, hospitals, AEDs), seeded."""
    if not places:
        return []
    spots = []
    for i in range(count):
        lat, lon = places[i % len(places)]
        spots.append(destination(lat, lon, rng.uniform(0.0, 360.0), spread_m * math.sqrt(rng.random())))
    return spots
