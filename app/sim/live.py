"""What a simulated ambulance's terminal streams besides its status reports: GPS and a patient monitor.

* :class:`PathPlanner` — the seam where routing plugs in.
  :class:`StraightLinePlanner` draws a straight line between two points;
  :class:`app.routing.planner.RoadPathPlanner` returns the road route's polyline
  (built by :func:`app.sim.runner.default_planner`); nothing else here depends on which.
* :class:`UnitMover` — where the unit is, from its status in the shared projection:
  parked at its station when available (driving back there after a job), moving
  station → scene while en route, scene → the nearest registered hospital while
  transporting, at the scene / hospital once the crew reports arriving. Speeds are
  plausible urban averages (:data:`URBAN_SPEED_KMH`), in scenario time (a
  :class:`~app.sim.clock.ScaledClock` makes them pass faster).
* :class:`UnitLive` — the frames due now: a ``telemetry`` ``position`` frame once per
  scenario second, and, while the crew is with a patient whose scripted call carries a
  ``patient_monitor``, the frames of a :class:`~app.sim.monitor.SimulatedMonitor`
  (from arrival on scene until the handover at hospital).

The crew's arrival times come from the same drive: :meth:`UnitMover.arrival_at` is the
:class:`~app.sim.ambulance.ArrivalClock` a crew asks when it sets off, so it reports on
scene (at hospital) when the unit reaches the scene (the hospital) on the map — the
route's length at the leg's speed, in scenario seconds. Without a drive (no scene or
hospital position, no station) the crew falls back to its random travel time; if a crew
reports arriving before the unit gets there (that fallback, a seat's correction) the unit
snaps to the destination; if the unit arrives first, it waits there.

Sans I/O: no sockets, no sleeping, no clock reads (``now`` and the device's epoch time
are passed in). Not thread-safe: one loop.
"""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from app.domain.location import distance_m, position, rank_candidates
from app.domain.model import UnitStatus
from app.domain.state import Entity, State
from app.protocol.telemetry import TelemetryKind

log = logging.getLogger(__name__)

LatLon = tuple[float, float]
URBAN_SPEED_KMH = (30.0, 50.0)  # average over a city trip, lights and traffic included
POSITION_EVERY_S = 1.0  # scenario seconds between two position frames
_TO_SCENE = frozenset({UnitStatus.EN_ROUTE, UnitStatus.ON_SCENE})
_TO_HOSPITAL = frozenset({UnitStatus.TRANSPORTING, UnitStatus.AT_HOSPITAL})
_ARRIVED = frozenset({UnitStatus.ON_SCENE, UnitStatus.AT_HOSPITAL})
_WITH_PATIENT = frozenset({UnitStatus.ON_SCENE, UnitStatus.TRANSPORTING, UnitStatus.AT_HOSPITAL})


class PathPlanner(Protocol):
    """Plans a drive. The seam for road routing: return the road route's polyline."""

    def path(self, start: LatLon, end: LatLon) -> list[LatLon]:
        """The points driven through from ``start`` to ``end`` (both included), in order."""
        ...


class StraightLinePlanner:
    """No road network yet: the straight line from start to end."""

    def path(self, start: LatLon, end: LatLon) -> list[LatLon]:
        return [start, end]


def bearing_deg(a: LatLon, b: LatLon) -> float:
    """Initial great-circle bearing from ``a`` to ``b``, degrees clockwise from north in [0, 360)."""
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    dl = math.radians(b[1] - a[1])
    x = math.sin(dl) * math.cos(p2)
    y = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(x, y)) % 360.0


@dataclass(frozen=True)
class Fix:
    """A GPS fix as the terminal reports it."""

    lat: float
    lon: float
    heading_deg: float | None
    speed_mps: float


class Leg:
    """One drive along a polyline at a constant average speed, departing at ``depart_at`` (scenario s)."""

    def __init__(self, points: Sequence[LatLon], depart_at: float, speed_mps: float) -> None:
        if len(points) < 1 or speed_mps <= 0:
            raise ValueError("a leg needs at least one point and a positive speed")
        self.points = list(points)
        self.depart_at = depart_at
        self.speed_mps = speed_mps
        self.lengths = [distance_m(*a, *b) for a, b in zip(self.points, self.points[1:], strict=False)]
        self.length_m = sum(self.lengths)
        self.heading_deg: float | None = None

    @property
    def end(self) -> LatLon:
        return self.points[-1]

    def arrives_at(self) -> float:
        return self.depart_at + self.length_m / self.speed_mps

    def at(self, now: float) -> Fix:
        """Where the unit is at scenario time ``now`` (at the start before departure, at the end after)."""
        travelled = max(0.0, now - self.depart_at) * self.speed_mps
        for (a, b), seg in zip(zip(self.points, self.points[1:], strict=False), self.lengths, strict=True):
            if seg <= 0:
                continue
            if travelled < seg:
                f = travelled / seg
                heading = bearing_deg(a, b)
                self.heading_deg = heading
                moving = now >= self.depart_at
                return Fix(a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, heading,
                           self.speed_mps if moving else 0.0)
            travelled -= seg
        return Fix(self.end[0], self.end[1], self.heading_deg, 0.0)


def _latlon(entity: Mapping[str, Any] | None) -> LatLon | None:
    return position(entity) if entity is not None else None


def scene_of(state: State, incident: Entity | None, now_utc: datetime) -> LatLon | None:
    """The incident's position: its confirmed location, else its call's best located candidate."""
    if incident is None:
        return None
    here = _latlon(incident.get("location"))
    if here is not None:
        return here
    for call_id in [incident.get("call_id"), *(incident.get("calls") or ())]:
        call = state.calls.get(call_id or "")
        if call is None:
            continue
        for candidate in rank_candidates(call.get("locations"), now_utc):
            here = position(candidate)
            if here is not None:
                return here
    return None


class UnitMover:
    """Where one unit is, following its status in the projection. See the module docstring.

    Args:
        unit_id: the unit.
        rng: draws each leg's average speed (seed it for repeatable runs).
        planner: the path planner (straight lines; :class:`app.routing.planner.RoadPathPlanner` on roads).
        speed_kmh: the range the average speed of a leg is drawn from.
    """

    def __init__(
        self,
        unit_id: str,
        *,
        rng: random.Random,
        planner: PathPlanner | None = None,
        speed_kmh: tuple[float, float] = URBAN_SPEED_KMH,
    ) -> None:
        self.unit_id = unit_id
        self.rng = rng
        self.planner = planner or StraightLinePlanner()
        self.speed_kmh = speed_kmh
        self.leg: Leg | None = None
        self.here: LatLon | None = None
        self._target: LatLon | None = None
        self._snapped_for: tuple[Any, ...] | None = None
        self._warned: set[str] = set()

    def _warn_once(self, key: str, message: str, *args: Any) -> None:
        if key not in self._warned:
            self._warned.add(key)
            log.warning(message, *args)

    def _station(self, state: State, unit: Entity) -> LatLon | None:
        station_id = unit.get("station_id")
        return _latlon(state.stations.get(station_id or ""))

    def _nearest_hospital(self, state: State, near: LatLon) -> LatLon | None:
        best: tuple[float, LatLon] | None = None
        for hospital in state.hospitals.values():
            there = _latlon(hospital)
            if there is not None:
                d = distance_m(*near, *there)
                if best is None or d < best[0]:
                    best = (d, there)
        return best[1] if best else None

    def _target_for(self, state: State, unit: Entity, now_utc: datetime) -> LatLon | None:
        """Where the unit is heading (None: stay where it is)."""
        try:
            status = UnitStatus(unit.get("status"))
        except ValueError:
            return None
        if status == UnitStatus.AVAILABLE:
            return self._station(state, unit)
        if status not in _TO_SCENE | _TO_HOSPITAL:
            return None  # dispatched (not moving yet) or out of service: stays put
        incident = state.incidents.get(unit.get("incident_id") or "")
        scene = scene_of(state, incident, now_utc)
        if scene is None:
            self._warn_once(
                f"scene:{unit.get('incident_id')}",
                "unit %s: incident %s has no location yet; the unit stays where it is",
                self.unit_id, unit.get("incident_id"),
            )
            return None
        if status in _TO_SCENE:
            return scene
        hospital = self._nearest_hospital(state, scene)
        if hospital is None:
            self._warn_once("hospital", "unit %s: no hospital with a position in the registry", self.unit_id)
        return hospital

    def arrival_at(self, state: State, now: float, now_utc: datetime | None = None) -> float | None:
        """When (scenario time) the unit reaches where its status sends it; None: it is not driving anywhere.

        Plans the drive if :meth:`fix` has not yet (the same leg either way, so the crew's
        report and the map agree). En route: the scene; transporting: the hospital;
        available: the station. None without a target (dispatched, no scene or hospital
        position, no station). Raises nothing for bad data (logged once).
        """
        unit = state.units.get(self.unit_id)
        if unit is None or not self._update(state, unit, now, now_utc):
            return None
        if self.leg is None or self._target is None:
            return None
        return self.leg.arrives_at()

    def fix(self, state: State, now: float, now_utc: datetime | None = None) -> Fix | None:
        """The unit's position at scenario time ``now`` (None: it has no position at all yet)."""
        unit = state.units.get(self.unit_id)
        if unit is None or not self._update(state, unit, now, now_utc):
            return None
        if self.leg is None:
            return Fix(self.here[0], self.here[1], None, 0.0)
        moved = self.leg.at(now)
        self.here = (moved.lat, moved.lon)
        return moved

    def _update(self, state: State, unit: Entity, now: float, now_utc: datetime | None) -> bool:
        """Bring :attr:`here` and :attr:`leg` up to ``now`` and the unit's status (False: no position)."""
        if self.here is None:
            self.here = self._station(state, unit)
            if self.here is None:
                self._warn_once("station", "unit %s has no station with a position; no GPS", self.unit_id)
                return False
        if self.leg is not None:
            moved = self.leg.at(now)
            self.here = (moved.lat, moved.lon)
        target = self._target_for(state, unit, now_utc or datetime.now(UTC))
        if target is not None and target != self._target:
            start = self.here
            speed = self.rng.uniform(*self.speed_kmh) / 3.6
            self.leg = Leg(self.planner.path(start, target), now, speed)
            self._target = target
        elif target is None:
            self.leg, self._target = None, None
        status = unit.get("status")
        if self.leg is not None and status in _ARRIVED:
            key = (unit.get("version"), self._target)
            if self._snapped_for != key:  # the crew says it is there: it is there
                self._snapped_for = key
                self.here = self.leg.end
                self.leg = Leg([self.leg.end], now, 1.0)
        return True


MonitorFor = Callable[[State, Entity], "Sequence[tuple[Any, ...]] | None"]  # (at, source[, vitals])


class UnitLive:
    """The live frames a simulated unit's terminal sends (positions, a patient monitor). Sans I/O.

    Args:
        mover: the unit's position.
        monitor_for: the scripted ``patient_monitor`` steps of an incident, or None.
    """

    def __init__(self, mover: UnitMover, monitor_for: MonitorFor | None = None) -> None:
        self.mover = mover
        self.unit_id = mover.unit_id
        self.monitor_for = monitor_for
        self.monitor: Any = None  # app.sim.monitor.SimulatedMonitor (imported when first needed: numpy)
        self.monitor_incident: str | None = None
        self._seq = 0
        self._last_position_at: float | None = None
        self._last_t = 0.0

    def _device_time(self, epoch_s: float) -> float:
        """Strictly increasing device time (the server refuses a position that goes back)."""
        self._last_t = max(epoch_s, self._last_t + 0.001)
        return self._last_t

    def frames(self, state: State, now: float, epoch_s: float) -> list[dict[str, Any]]:
        """Frames due at scenario time ``now`` / device time ``epoch_s``: a position, monitor frames."""
        from app.sim.monitor import iso

        frames: list[dict[str, Any]] = []
        if self._last_position_at is None or now - self._last_position_at >= POSITION_EVERY_S:
            fix = self.mover.fix(state, now, datetime.fromtimestamp(epoch_s, UTC))
            if fix is not None:
                self._last_position_at = now
                self._seq += 1
                data: dict[str, Any] = {"lat": fix.lat, "lon": fix.lon, "speed_mps": round(fix.speed_mps, 2),
                                        "accuracy_m": 10.0}
                if fix.heading_deg is not None:
                    data["heading_deg"] = round(fix.heading_deg, 1)
                frames.append({"v": 1, "type": "telemetry", "unit_id": self.unit_id,
                               "kind": TelemetryKind.POSITION.value, "t": iso(self._device_time(epoch_s)),
                               "seq": self._seq, "data": data})
        frames.extend(self._monitor_frames(state, epoch_s))
        return frames

    def _monitor_frames(self, state: State, epoch_s: float) -> list[dict[str, Any]]:
        unit = state.units.get(self.unit_id)
        incident_id = unit.get("incident_id") if unit is not None else None
        with_patient = unit is not None and unit.get("status") in _WITH_PATIENT and incident_id
        if not with_patient or incident_id != self.monitor_incident:
            if self.monitor is not None:
                log.info("unit %s: monitor off (incident %s)", self.unit_id, self.monitor_incident)
            self.monitor, self.monitor_incident = None, None
        if with_patient and self.monitor is None and self.monitor_for is not None:
            incident = state.incidents.get(incident_id)
            steps = self.monitor_for(state, incident) if incident is not None else None
            if steps:
                from app.sim.monitor import SimulatedMonitor

                self.monitor = SimulatedMonitor(self.unit_id, list(steps), start_epoch_s=epoch_s)
                self.monitor_incident = incident_id
                log.info("unit %s: monitor on (incident %s, %s)", self.unit_id, incident_id, list(steps))
        if self.monitor is None:
            return []
        frames = self.monitor.frames_until(epoch_s)
        # One frame counter per terminal: the server refuses a seq that does not grow on a
        # connection, and a new monitor (next incident) would start its own count again.
        for frame in frames:
            self._seq += 1
            frame["seq"] = self._seq
        return frames
