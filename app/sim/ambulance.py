"""Simulated ambulances: one crew per unit, reporting statuses over the device protocol.

:class:`AmbulanceCrew` is the crew's behaviour and does no I/O: it reads the unit and
its incident from a :class:`~app.domain.state.State` and says which ``unit.status``
report is due when. :class:`SimulatedAmbulance` runs a crew over a :class:`SimLink`
made with the unit's device token (role ``device``), as a real ambulance terminal does.

A crew follows its unit, not its own memory: whenever the unit's version changes (an
assignment, its own report, a seat's correction or a stand-down) it plans the next step
from the unit's current status, so a seat that stands the unit down or moves it on by
hand simply changes what comes next. Reports carry ``unit_version``: one that crossed a
seat's change is refused by the server, never applied late.

Arrivals follow the drive: given an :class:`ArrivalClock` (the unit's
:class:`~app.sim.live.UnitMover`), a crew that sets off reports ``on_scene`` when the
unit reaches the scene on the map, and ``at_hospital`` when it reaches the hospital — the
planned route's length at the drive's speed. Only when there is no drive (no incident
position, no hospital, no station) do the :class:`TravelTimeModel` and ``transport_s``
draws decide.

Delays are realistic scenario seconds (a :class:`~app.sim.clock.ScaledClock` makes them
pass faster), drawn from a seeded RNG so a run can be repeated.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from app.domain.crew import apply_incident_brief
from app.domain.model import UNIT_COMMITTED, CloseReason, UnitStatus
from app.domain.state import Entity, State
from app.protocol import ErrorCode
from app.sim.clock import Clock, wait_until
from app.sim.link import Refusal, SimLink
from app.sim.live import UnitLive

log = logging.getLogger(__name__)

Range = tuple[float, float]


@dataclass(frozen=True)
class CrewTimings:
    """How long each step takes, in scenario seconds, drawn uniformly from (low, high).

    The defaults are plausible for a city service: the national target from dispatch to
    departure is 3 minutes; travel time is the :class:`TravelTimeModel`'s.
    """

    turnout_s: Range = (30.0, 90.0)  # dispatched -> en route
    on_scene_before_transport_s: Range = (300.0, 720.0)  # on scene -> transporting
    transport_s: Range = (300.0, 600.0)  # transporting -> at hospital
    handover_s: Range = (300.0, 600.0)  # at hospital -> available (the handover)
    clear_on_scene_s: Range = (300.0, 900.0)  # treated / refused / no patient -> available
    retry_s: float = 30.0  # after a refused report, try again this much later
    max_attempts: int = 3  # then give up on that step (a seat will move the unit on)


class TravelTimeModel(Protocol):
    """How long a unit takes to reach an incident when there is no drive to follow (no :class:`ArrivalClock`)."""

    def travel_time_s(self, *, unit: Entity, incident: Entity | None, rng: random.Random) -> float:
        """Scenario seconds from departure to arrival on scene."""
        ...


class ArrivalClock(Protocol):
    """When the unit reaches where its status sends it, on the drive the map shows (``UnitMover``)."""

    def arrival_at(self, state: State, now: float) -> float | None:
        """Scenario time of arrival (the scene en route, the hospital transporting); None: no drive."""
        ...


@dataclass(frozen=True)
class RandomTravelTime:
    """No map yet: a plausible urban travel time, uniform in [low_s, high_s]."""

    low_s: float = 180.0
    high_s: float = 480.0

    def travel_time_s(self, *, unit: Entity, incident: Entity | None, rng: random.Random) -> float:
        return rng.uniform(self.low_s, self.high_s)


OutcomeFor = Callable[[State, Entity], CloseReason]


def _always_transported(state: State, incident: Entity) -> CloseReason:
    return CloseReason.TRANSPORTED


@dataclass
class PlannedReport:
    """The crew's next report: ``status`` at ``due_at``, valid while the unit is at ``version``."""

    version: int
    incident_id: str | None
    status: UnitStatus
    due_at: float | None  # None: gave up on this step
    sent: bool = False
    attempts: int = 0


class AmbulanceCrew:
    """A crew's behaviour for one unit. Sans I/O; not thread-safe (one loop).

    Args:
        unit_id: the unit this crew drives.
        rng: the crew's random source (seed it for repeatable runs).
        timings: the step durations.
        travel: the travel time to the scene when there is no drive to follow.
        arrival: the unit's drive (its ``UnitMover``); None: arrivals are drawn (``travel``, ``transport_s``).
        outcome_for: what the crew finds at an incident (the scenario's outcome).

    Use: after any change, :meth:`poll` with the state and the time; send what it
    returns; wait until :meth:`next_deadline` or the next change; on a refused report
    call :meth:`refused`.
    """

    def __init__(
        self,
        unit_id: str,
        *,
        rng: random.Random,
        timings: CrewTimings | None = None,
        travel: TravelTimeModel | None = None,
        arrival: ArrivalClock | None = None,
        outcome_for: OutcomeFor = _always_transported,
    ) -> None:
        self.unit_id = unit_id
        self.rng = rng
        self.timings = timings or CrewTimings()
        self.travel = travel or RandomTravelTime()
        self.arrival = arrival
        self.outcome_for = outcome_for
        self.plan: PlannedReport | None = None

    def next_deadline(self) -> float | None:
        if self.plan is None or self.plan.sent:
            return None
        return self.plan.due_at

    def observe(self, state: State, now: float) -> None:
        """Plan the next step if the unit changed since the current plan was made."""
        unit = state.units.get(self.unit_id)
        if unit is None:
            self.plan = None
            return
        if self.plan is not None and self.plan.version == unit["version"]:
            return
        step = self._next_step(state, unit, now)
        if step is None:
            self.plan = None
            return
        status, delay_s = step
        self.plan = PlannedReport(unit["version"], unit.get("incident_id"), status, now + delay_s)

    def poll(self, state: State, now: float) -> list[tuple[str, dict[str, Any]]]:
        """The report due at ``now`` (at most one), as ``(command name, args)``."""
        self.observe(state, now)
        plan = self.plan
        if plan is None or plan.sent or plan.due_at is None or now < plan.due_at:
            return []
        plan.sent = True
        log.info("crew %s: reporting %s (incident %s)", self.unit_id, plan.status.value, plan.incident_id)
        return [
            (
                "unit.status",
                {"unit_id": self.unit_id, "status": plan.status.value, "unit_version": plan.version},
            )
        ]

    def refused(self, state: State, now: float, code: str) -> None:
        """The server refused our report. If the unit changed meanwhile, plan afresh; else retry later."""
        self.observe(state, now)
        plan = self.plan
        if plan is None or not plan.sent:
            return  # the unit moved on (stood down, corrected by a seat): a new plan is made
        plan.attempts += 1
        plan.sent = False
        if code == ErrorCode.FORBIDDEN or plan.attempts >= self.timings.max_attempts:
            log.warning("crew %s: giving up reporting %s after %s", self.unit_id, plan.status.value, code)
            plan.due_at = None
        else:
            plan.due_at = now + self.timings.retry_s

    # ------------------------------------------------------------ behaviour
    def _draw(self, bounds: Range) -> float:
        return self.rng.uniform(*bounds)

    def _drive_s(self, state: State, now: float) -> float | None:
        """Scenario seconds until the unit arrives on its drive; None: no drive to follow."""
        if self.arrival is None:
            return None
        arrives = self.arrival.arrival_at(state, now)
        return None if arrives is None else max(0.0, arrives - now)

    def _next_step(self, state: State, unit: Entity, now: float) -> tuple[UnitStatus, float] | None:
        try:
            status = UnitStatus(unit["status"])
        except ValueError:  # a status this version does not know (a newer server): wait for a known one
            log.warning("crew %s: unit is in unknown status %r; waiting", self.unit_id, unit["status"])
            return None
        incident = state.incidents.get(unit.get("incident_id") or "")
        t = self.timings
        if status == UnitStatus.DISPATCHED:
            return UnitStatus.EN_ROUTE, self._draw(t.turnout_s)
        if status == UnitStatus.EN_ROUTE:
            drive = self._drive_s(state, now)
            if drive is not None:
                return UnitStatus.ON_SCENE, drive
            return UnitStatus.ON_SCENE, self.travel.travel_time_s(unit=unit, incident=incident, rng=self.rng)
        if status == UnitStatus.ON_SCENE:
            if incident is not None and self._transports(state, incident):
                return UnitStatus.TRANSPORTING, self._draw(t.on_scene_before_transport_s)
            return UnitStatus.AVAILABLE, self._draw(t.clear_on_scene_s)
        if status == UnitStatus.TRANSPORTING:
            drive = self._drive_s(state, now)
            return UnitStatus.AT_HOSPITAL, drive if drive is not None else self._draw(t.transport_s)
        if status == UnitStatus.AT_HOSPITAL:
            return UnitStatus.AVAILABLE, self._draw(t.handover_s)
        return None  # available or out of service: nothing to do

    def _transports(self, state: State, incident: Entity) -> bool:
        """Whether this crew takes the patient: the outcome says so and it is the first unit working it."""
        if self.outcome_for(state, incident) != CloseReason.TRANSPORTED:
            return False
        working = [
            state.units[u]
            for u in incident["units"]
            if u in state.units and state.units[u].get("incident_id") == incident["incident_id"]
        ]
        if any(u["status"] in (UnitStatus.TRANSPORTING, UnitStatus.AT_HOSPITAL) for u in working):
            return False  # another crew has the patient already
        first = next((u for u in working if u["status"] in UNIT_COMMITTED), None)
        return first is not None and first["unit_id"] == self.unit_id


class SimulatedAmbulance:
    """Runs an :class:`AmbulanceCrew` over a device link. One asyncio loop; ``await run()``.

    Args:
        crew: the crew's behaviour.
        link: a :class:`SimLink` made with the unit's device token; its callbacks are set here.
        clock: scenario time.
        live: what the terminal streams besides statuses (GPS, a patient monitor); None: nothing.
    """

    LIVE_TICK_S = 0.2  # wall seconds: one ECG chunk; positions go once per scenario second

    def __init__(self, crew: AmbulanceCrew, link: SimLink, clock: Clock, live: UnitLive | None = None) -> None:
        self.crew = crew
        self.link = link
        self.clock = clock
        self.live = live
        self._wake = asyncio.Event()
        link.on_synced = self._on_synced
        link.on_event = self._on_event
        link.on_refused = self._on_refused
        link.on_message = self._on_message

    async def run(self) -> None:
        """Returns never; cancel to stop.

        Raises:
            AuthRefused: the server refused the device token.
        """
        async with asyncio.TaskGroup() as group:
            group.create_task(self.link.run(), name=f"device link {self.crew.unit_id}")
            group.create_task(self._drive(), name=f"crew {self.crew.unit_id}")
            if self.live is not None:
                group.create_task(self._stream_live(self.live), name=f"terminal {self.crew.unit_id}")

    async def _drive(self) -> None:
        while True:
            self._wake.clear()
            deadline = None
            if self.link.synced:
                for name, args in self.crew.poll(self.link.state, self.clock.now()):
                    self.link.send(name, args)
                deadline = self.crew.next_deadline()
            await wait_until(self.clock, deadline, self._wake)

    async def _stream_live(self, live: UnitLive) -> None:
        """Every :attr:`LIVE_TICK_S` (wall time), send the live frames due; dropped while offline."""
        failures = 0
        while True:
            if self.link.synced:
                try:
                    frames = live.frames(self.link.state, self.clock.now(), time.time())
                except Exception:  # a simulator bug must not stop the statuses (logged, not every tick)
                    failures += 1
                    if failures in (1, 10) or failures % 1000 == 0:
                        log.exception("unit %s: live frames failed (%d times)", self.crew.unit_id, failures)
                    frames = []
                for frame in frames:
                    if not await self.link.send_live(frame):
                        break
            await asyncio.sleep(self.LIVE_TICK_S)

    def _on_synced(self, state: State) -> None:
        if self.link.principal and self.link.principal.get("unit_id") not in (None, self.crew.unit_id):
            log.error(
                "device of unit %s is registered for unit %s; check the registry",
                self.crew.unit_id,
                self.link.principal.get("unit_id"),
            )
        self._wake.set()

    def _on_event(self, state: State, event: dict[str, Any]) -> None:
        self._wake.set()

    def _on_message(self, msg: dict[str, Any]) -> None:
        # A device sees an incident only from its unit's assignment on: the server sends the
        # incident (and the units on it) as an incident_brief just before the unit.assigned.
        if msg["type"] == "incident_brief" and apply_incident_brief(self.link.state, msg):
            self._wake.set()

    def _on_refused(self, state: State, refusal: Refusal) -> None:
        self.crew.refused(state, self.clock.now(), refusal.code)
        self._wake.set()
