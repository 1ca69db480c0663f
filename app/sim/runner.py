"""``dispatch120 sim serve``: a training centre in one process tree.

1. Load and check the scenario (:mod:`app.sim.scenario`).
2. Make a fresh training work directory (default
   ``user_data_dir('dispatch120')/training/<timestamp>/``) holding
   ``training-events.sqlite`` and a ``TRAINING-DATABASE.txt`` marker — never the
   real database.
3. Import the registry with the server's admin CLI
   (``python -m server_stub admin --db … import … --tokens-out …``), read the tokens,
   delete the token file.
4. Start the server as a child (``python -m server_stub serve --port 0 --exit-with-stdin
   --ready-file …``), restarting it on the same port if it dies. It listens on 127.0.0.1
   unless ``--listen HOST`` says otherwise (``0.0.0.0``: every address of this machine), so
   trainee seats on other machines of the centre's LAN can join with their seats' tokens;
   the simulators always connect on this machine (:func:`local_url`).
5. Run the simulated switch, ambulances and volunteers here (asyncio), over websockets,
   and the scenario's injected events (:class:`Injector`: a unit breaks down, a hospital
   starts diverting, the server drops for a while) at their scenario times; the trainer's
   pause, speed and injections arrive as events on the switch's link (:mod:`app.sim.control`).
6. Write the ready file (``url``, ``seat_id``, ``seat_token``, ``seats``, ``trainers``,
   ``workdir``, ``pid``, ``server_pid``, ``listen``, ``lan_urls``; mode 0600) once every
   simulator has synced. With a LAN ``--listen``, also write a join file per seat in the work
   directory (``join-<seat>.json``, 0600) and print the command each seat joins with.
7. On SIGTERM/SIGINT, or stdin EOF with ``--exit-with-stdin``: stop the simulators,
   stop the server (close its stdin, SIGTERM, 5 s, SIGKILL), remove the ready file.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import ipaddress
import json
import logging
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs
import yaml

from app.domain.model import UNIT_COMMITTED, UnitStatus, unit_may_move
from app.mapdata.city import DEFAULT_CITY_DIR
from app.protocol import Message
from app.routing.graph import WALK_GRAPH_FILE
from app.sim.ambulance import AmbulanceCrew, CrewTimings, SimulatedAmbulance, TravelTimeModel
from app.sim.clock import Clock, ScaledClock
from app.sim.control import TrainerControl, write_join_file
from app.sim.link import AuthRefused, SimLink
from app.sim.live import PathPlanner, UnitLive, UnitMover
from app.sim.physiology import Events, course
from app.sim.procs import (
    child_env,
    set_parent_death_signal,
    stop_child,
    tail,
    watch_stdin_eof,
    write_private_json,
)
from app.sim.scenario import (
    CallerSays,
    InjectedEvent,
    InjectedEventKind,
    Scenario,
    ScenarioError,
    load_scenario,
)
from app.sim.switch import CallBook, SimulatedSwitch, SwitchBridge
from app.sim.volunteers import SimulatedVolunteer, VolunteerBehaviour, home_spots

if TYPE_CHECKING:
    from app.routing.planner import RoadPathPlanner

log = logging.getLogger("app.sim.runner")

DB_NAME = "training-events.sqlite"
MARKER_NAME = "TRAINING-DATABASE.txt"
SERVER_START_TIMEOUT_S = 20.0
SIM_SYNC_TIMEOUT_S = 15.0
MAX_SERVER_RESTARTS = 3
CLIENT_VERSION = "0.1"


class RunnerError(RuntimeError):
    """The training centre could not be set up; the message says why (and shows the child's log)."""


# ---------------------------------------------------------------- the simulators


class Simulation:
    """The simulated switch and one simulated ambulance per device, on one asyncio loop.

    Args:
        scenario: the script and registry.
        url: the server's websocket URL.
        tokens: ``{principal_id: token}`` from the registry import.
        clock: scenario time (scaled).
        seed: makes the crews' delays repeatable.
        timings, travel: the crews' step durations and travel time when there is no drive to follow.
        planner: the ambulances' path planner (straight lines; road routes); crews report arriving
            when their unit reaches the scene / hospital on it.

    Raises:
        RunnerError: if a token is missing for the switch or a device.
    """

    def __init__(
        self,
        scenario: Scenario,
        url: str,
        tokens: dict[str, str],
        *,
        clock: Clock,
        seed: int | None = None,
        timings: CrewTimings | None = None,
        travel: TravelTimeModel | None = None,
        planner: PathPlanner | None = None,
    ) -> None:
        registry = scenario.registry
        self.callbook = CallBook()
        self.links: list[SimLink] = []
        jitter = random.Random(f"{seed}:links")
        self.switch: SimulatedSwitch | None = None
        self.bridge: SwitchBridge | None = None
        if registry.switches:
            principal = registry.switches[0]
            link = SimLink(
                url,
                _token(tokens, principal.id),
                client_name=f"dispatch120-sim-switch/{CLIENT_VERSION}",
                rng=jitter,
            )
            self.switch = SimulatedSwitch(scenario, clock, callbook=self.callbook, seed=seed or 0,
                                          id_prefix=seeded_prefix(scenario, seed))
            self.bridge = SwitchBridge(self.switch, link, on_state=self.switch.centre_changed)
            follow = link.on_event

            def observe(state: Any, event: Message) -> None:
                self._observe(event)
                if follow is not None:
                    follow(state, event)

            link.on_event = observe
            self.links.append(link)
        self.ambulances: list[SimulatedAmbulance] = []
        for device in registry.devices:
            assert device.unit is not None  # the registry check guarantees it
            mover = UnitMover(
                device.unit,
                rng=random.Random(f"{seed}:{device.unit}:gps") if seed is not None else random.Random(),
                planner=planner,
            )
            crew = AmbulanceCrew(
                device.unit,
                rng=random.Random(f"{seed}:{device.unit}") if seed is not None else random.Random(),
                timings=timings,
                travel=travel,
                arrival=mover,  # the crew reports arriving when the unit gets there on the map
                outcome_for=self.callbook.outcome_for,
            )
            link = SimLink(
                url,
                _token(tokens, device.id),
                client_name=f"dispatch120-sim-ambulance/{CLIENT_VERSION} {device.unit}",
                rng=jitter,
            )
            live = UnitLive(mover, monitor_for=self._monitor_for)
            self.ambulances.append(SimulatedAmbulance(crew, link, clock, live=live))
            self.links.append(link)
        self.volunteers = _volunteers(registry, url, tokens, clock, seed, jitter)
        self.links.extend(v.link for v in self.volunteers)
        self.seed = seed
        self.clock = clock
        # What the patient physiology needs, in scenario time as the switch heard of it (a few
        # ms after the server's stamp; right whatever the clock's speed or pauses): call, CPR, AED.
        self._received_at: dict[str, float] = {}
        self._cpr_at: dict[str, float] = {}
        self._aed_at: dict[str, float] = {}
        self._fetcher: dict[str, tuple[str, str]] = {}  # alert id -> (incident id, AED fetcher)

    def _observe(self, event: Message) -> None:
        """The switch's view of the log: remember when what the patient's course depends on happened."""
        name, data = event["name"], event["data"]
        at = self.clock.now()
        if name == "call.received":
            self._received_at.setdefault(data["call_id"], at)
        elif name == "cpr.started":
            self._cpr_at.setdefault(data["incident_id"], at)
        elif name == "responders.aed_assigned":
            self._fetcher[data["alert_id"]] = (data["incident_id"], data["volunteer_id"])
        elif name == "responders.responded" and data.get("response") == "arrived":
            fetch = self._fetcher.get(data["alert_id"])
            if fetch is not None and fetch[1] == data["volunteer_id"]:
                self._aed_at.setdefault(fetch[0], at)

    def _monitor_for(self, state: Any, incident: dict[str, Any]) -> tuple[tuple[Any, ...], ...] | None:
        """The patient monitor of the call(s) behind ``incident`` as the crew arrives (None: no monitor).

        A call with ``physiology`` gets the course worked out now from what was done since
        the call came (compressions, an AED); one with ``patient_monitor`` its fixed steps.
        """
        for call_id in [incident.get("call_id"), *(incident.get("calls") or ())]:
            script = self.callbook.script_for(call_id or "")
            if script is None:
                continue
            if script.physiology is not None and call_id in self._received_at:
                received = self._received_at[call_id]
                incident_id = incident.get("incident_id") or ""

                def since_call(at: float | None, received: float = received) -> float | None:
                    return None if at is None else max(0.0, at - received)

                events = Events(crew_arrived_s=since_call(self.clock.now()) or 0.0,
                                cpr_started_s=since_call(self._cpr_at.get(incident_id)),
                                aed_arrived_s=since_call(self._aed_at.get(incident_id)))
                rng = random.Random(f"{self.seed}:{script.index}:physiology")
                steps = course(script.physiology, events, rng)
                log.info("call %s: patient course %s from %s", call_id, [(s.at_s, s.rhythm) for s in steps], events)
                return tuple(step.as_tuple() for step in steps)
            if script.patient_monitor:
                return script.patient_monitor
        return None

    async def run(self) -> None:
        """Run every simulator until cancelled. Raises AuthRefused if a token is refused."""
        async with asyncio.TaskGroup() as group:
            if self.bridge is not None:
                group.create_task(self.bridge.run(), name="switch")
            for ambulance in self.ambulances:
                group.create_task(ambulance.run(), name=f"ambulance {ambulance.crew.unit_id}")
            for volunteer in self.volunteers:
                group.create_task(volunteer.run(), name=f"volunteer {volunteer.behaviour.volunteer_id}")

    async def wait_synced(self) -> None:
        """Return once every link has synced with the server at least once."""
        for link in self.links:
            await link.ever_synced.wait()


def seeded_prefix(scenario: Scenario, seed: int | None) -> str | None:
    """The call ids' prefix of a seeded run (the same every time), None for a random one."""
    if seed is None:
        return None
    return "sim" + hashlib.sha256(f"{seed}:{scenario.name}".encode()).hexdigest()[:6]


# ---------------------------------------------------------------- injected events


class Injector:
    """Carries out injected events through the real server and protocol. Runner's loop.

    One method per kind, so a trainer console can call them at any time too:
    :meth:`break_down_unit`, :meth:`set_hospital_status`, :meth:`drop_server`, :meth:`second_call`.
    :meth:`run` plays the scenario's ``events:`` at their times (scenario time 0 is the
    switch's start).

    Args:
        sim: the simulators (the unit's crew reports the breakdown over its device link).
        server: the server child (dropped and restarted).
        clock: scenario time.
        hospital_links: a hospital console link per hospital whose status may change.
    """

    BREAKDOWN_RETRY_S = 5.0  # a unit transporting a patient breaks down once it is free

    def __init__(self, sim: Simulation, server: ServerChild | None, clock: Clock,
                 hospital_links: dict[str, SimLink] | None = None) -> None:
        self.sim = sim
        self.server = server
        self.clock = clock
        self.hospital_links = hospital_links or {}
        self.done: list[InjectedEvent] = []

    async def run(self, events: tuple[InjectedEvent, ...]) -> None:
        """Carry out ``events`` at their scenario times. Returns when all are done; cancel to stop."""
        if not events:
            return
        script = self.sim.switch.script if self.sim.switch is not None else None
        while script is not None and script.started_at is None:
            await self.clock.sleep(0.5)
        start = script.started_at if script is not None and script.started_at is not None else self.clock.now()
        for event in events:
            await self.clock.sleep(start + event.at_s - self.clock.now())
            log.info("injecting %s at %g s", event.kind.value, event.at_s)
            if event.kind == InjectedEventKind.UNIT_BREAKDOWN:
                assert event.unit is not None
                await self.break_down_unit(event.unit)
            elif event.kind == InjectedEventKind.HOSPITAL_STATUS:
                assert event.hospital is not None and event.status is not None
                self.set_hospital_status(event.hospital, event.status, event.note)
            else:
                await self.drop_server(event.duration_s)
            self.done.append(event)

    async def break_down_unit(self, unit_id: str) -> None:
        """The unit's crew reports it out of service; a unit working an incident is released first
        (the seats see it go available, then out of service, and must send another)."""
        ambulance = next((a for a in self.sim.ambulances if a.crew.unit_id == unit_id), None)
        if ambulance is None:
            log.warning("breakdown: unit %s has no simulated crew", unit_id)
            return
        link = ambulance.link
        while True:
            unit = link.state.units.get(unit_id) if link.synced else None
            if unit is not None:
                status = UnitStatus(unit["status"])
                if status == UnitStatus.OUT_OF_SERVICE:
                    return
                version = unit["version"]
                if status in UNIT_COMMITTED and unit_may_move(status, UnitStatus.AVAILABLE):
                    link.send("unit.status", {"unit_id": unit_id, "status": "available", "unit_version": version})
                    version += 1
                    status = UnitStatus.AVAILABLE
                if status == UnitStatus.AVAILABLE:
                    link.send("unit.status", {"unit_id": unit_id, "status": "out_of_service", "unit_version": version})
                    return
            await self.clock.sleep(self.BREAKDOWN_RETRY_S)

    def set_hospital_status(self, hospital_id: str, status: str, note: str | None = None) -> None:
        """The hospital's console sets its emergency department's status (``hospital.set_status``)."""
        link = self.hospital_links.get(hospital_id)
        if link is None:
            log.warning("hospital status: no console for hospital %s", hospital_id)
            return
        args = {"hospital_id": hospital_id, "status": status}
        if note:
            args["note"] = note
        link.send("hospital.set_status", args)

    def second_call(self, about_call_id: str, says: str | None = None) -> None:
        """Another caller rings now about call ``about_call_id``'s incident, from the same place,
        and once answered says ``says`` (the trainer's line, in both languages) or a scripted line."""
        switch = self.sim.switch
        if switch is None:
            log.warning("second call: this runner has no simulated switch")
            return
        words = CallerSays(zh=says, en=says) if says else None
        call_id = switch.inject_second_call(about_call_id, words)
        if call_id is not None:
            log.info("second call %s about %s", call_id, about_call_id)

    async def drop_server(self, duration_s: float) -> None:
        """Kill the server, keep it down ``duration_s`` scenario seconds, start it again on its port."""
        server = self.server
        if server is None or server.proc is None:
            return
        server.held_down = True
        try:
            server.proc.kill()
            await asyncio.to_thread(server.proc.wait)
            log.warning("server dropped for %g s", duration_s)
            await self.clock.sleep(duration_s)
            server.start()  # this (the main) thread: see _restart_server
        finally:
            server.held_down = False


def add_hospital_consoles(db: Path, workdir: Path, hospital_ids: list[str]) -> dict[str, str]:
    """Register one console per hospital with the server's admin CLI; returns ``{hospital id: token}``.

    The token is read from the command's output (it prints it once) and kept in memory only.

    Raises:
        RunnerError: if the admin command fails or prints no token.
    """
    tokens: dict[str, str] = {}
    for hospital_id in hospital_ids:
        console = f"sim-console-{hospital_id}"
        cmd = [sys.executable, "-m", "server_stub", "admin", "--db", str(db), "add-hospital-console",
               console, "--hospital", hospital_id, "--name", f"{hospital_id} (simulated)"]
        done = subprocess.run(cmd, capture_output=True, env=child_env(), timeout=60, stdin=subprocess.DEVNULL)
        out = done.stdout.decode("utf-8", errors="replace")
        lines = [line.strip() for line in out.splitlines()]
        token = next((lines[i + 2] for i, line in enumerate(lines)
                      if line.startswith(f"One-time token for {console}") and i + 2 < len(lines)), "")
        if done.returncode != 0 or not token:
            err = (done.stderr or b"").decode("utf-8", errors="replace").strip()
            raise RunnerError(f"could not add a console for hospital {hospital_id} (exit code {done.returncode}): "
                              f"{err[-2000:] or out[-2000:]}")
        tokens[hospital_id] = token
    return tokens


def _volunteers(
    registry: Any, url: str, tokens: dict[str, str], clock: Clock, seed: int | None, jitter: random.Random
) -> list[SimulatedVolunteer]:
    """One simulated phone per registered volunteer, living near the registry's places."""
    places = [(p.lat, p.lon) for p in (*registry.aeds, *registry.stations, *registry.hospitals)]
    homes = home_spots(places, len(registry.volunteers), random.Random(f"{seed}:homes"))
    volunteers = []
    for principal, home in zip(registry.volunteers, homes, strict=False):
        behaviour = VolunteerBehaviour(
            principal.id, home, random.Random(f"{seed}:{principal.id}") if seed is not None else random.Random(),
            now=clock.now())
        link = SimLink(url, _token(tokens, principal.id),
                       client_name=f"dispatch120-sim-volunteer/{CLIENT_VERSION} {principal.id}", rng=jitter)
        volunteers.append(SimulatedVolunteer(behaviour, link, clock))
    return volunteers


def _token(tokens: dict[str, str], principal_id: str) -> str:
    token = tokens.get(principal_id)
    if not token:
        raise RunnerError(f"the registry import gave no token for {principal_id!r}")
    return token


# ---------------------------------------------------------------- the server child


@dataclass
class ServerChild:
    """The server subprocess and what it reported in its ready file."""

    db: Path
    workdir: Path
    ring_timeout_s: float | None = None
    city: Path | None = None  # an imported city: --city (volunteers walk its walking graph) if it has one
    host: str = "127.0.0.1"
    port: int = 0
    url: str = ""
    proc: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    held_down: bool = False  # dropped on purpose (an injected event): not restarted on death
    _log_file: Any = field(default=None, repr=False)

    @property
    def log_path(self) -> Path:
        return self.workdir / "server-console.log"  # its stderr: the log, and any crash before logging

    def start(self) -> None:
        """Start the server and wait until it listens. Call from the main thread.

        Raises:
            RunnerError: if it exits or does not become ready in time (with its log's tail).
        """
        ready = self.workdir / "server-ready.json"
        with contextlib.suppress(FileNotFoundError):
            ready.unlink()
        cmd = [
            sys.executable,
            "-m",
            "server_stub",
            "serve",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--db",
            str(self.db),
            "--ready-file",
            str(ready),
            "--exit-with-stdin",
            "--log-file",
            str(self.workdir / "server.log"),
        ]
        if self.ring_timeout_s is not None:
            cmd += ["--ring-timeout", f"{self.ring_timeout_s:g}"]
        if self.city is not None and (self.city / WALK_GRAPH_FILE).is_file():
            cmd += ["--city", str(self.city)]
        if self._log_file is None:
            self._log_file = open(self.log_path, "ab")  # noqa: SIM115 - kept open for the child's life
        log.info("starting the server: %s", " ".join(cmd))
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            env=child_env(),
            close_fds=True,
            # With --exit-with-stdin the server also sets its own parent-death signal
            # (Linux); the main thread that starts it lives as long as this runner.
        )
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RunnerError(
                    f"the server exited with code {self.proc.returncode} while starting; its log "
                    f"({self.log_path}) ends with:\n{tail(self.log_path)}"
                )
            info = _read_json(ready)
            if info is not None:
                self.host, self.port = info["host"], int(info["port"])
                self.url = local_url(self.host, self.port)
                log.info("server pid %d listening on %s", self.proc.pid, self.url)
                return
            time.sleep(0.05)
        stop_child(self.proc)
        raise RunnerError(
            f"the server did not start within {SERVER_START_TIMEOUT_S:.0f} s; its log ({self.log_path}) "
            f"ends with:\n{tail(self.log_path)}"
        )

    @property
    def lan_urls(self) -> list[str]:
        """The URLs seats on other machines join at (empty while it listens on loopback only)."""
        return lan_urls(self.host, self.port)

    def stop(self) -> None:
        if self.proc is not None:
            code = stop_child(self.proc)
            log.info("server stopped (exit code %s)", code)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None


# ---------------------------------------------------------------- where seats reach the server

LOOPBACK = "127.0.0.1"
_WILDCARDS = {"0.0.0.0", "::", ""}


def _ws_url(host: str, port: int) -> str:
    return f"ws://[{host}]:{port}/ws" if ":" in host else f"ws://{host}:{port}/ws"


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or ``localhost``) is reachable from this machine only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def local_url(host: str, port: int) -> str:
    """The URL processes on this machine (simulators, the trainer's console) connect to.

    A wildcard address is reached on loopback; a named address is reached where it listens
    (a server bound to one LAN address does not answer on 127.0.0.1).
    """
    if host in _WILDCARDS:
        return _ws_url("::1" if host == "::" else LOOPBACK, port)
    return _ws_url(host, port)


def machine_addresses() -> list[str]:
    """This machine's IPv4 addresses other than loopback and link-local, sorted.

    From the host name's addresses and the interface a datagram to a private address would
    leave by (a UDP ``connect`` sends nothing; it only asks the routing table). No network: [].
    """
    found: set[str] = set()
    with contextlib.suppress(OSError):
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.add(str(info[4][0]))
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("10.255.255.255", 9))
        found.add(probe.getsockname()[0])
    usable = []
    for address in found:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            continue
        if not (ip.is_loopback or ip.is_link_local or ip.is_unspecified):
            usable.append(address)
    return sorted(usable, key=ipaddress.ip_address)


def lan_urls(host: str, port: int) -> list[str]:
    """The URLs other machines join a server listening on ``host`` at: none on loopback; on a
    wildcard one per address of this machine (:func:`machine_addresses`); else ``host``'s."""
    if is_loopback(host):
        return []
    if host in _WILDCARDS:
        return [_ws_url(address, port) for address in machine_addresses()]
    return [_ws_url(host, port)]


def write_seat_join_files(workdir: Path, url: str, seats: dict[str, str]) -> dict[str, Path]:
    """One join file per seat (``join-<seat>.json``, 0600) for ``dispatch120 --simulate --join``."""
    return {seat_id: write_join_file(workdir / f"join-{seat_id}.json", url=url, seat_id=seat_id,
                                     seat_token=token, workdir=workdir)
            for seat_id, token in seats.items()}


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


# ---------------------------------------------------------------- set-up steps


def default_training_root() -> Path:
    """Where training runs go: ``user_data_dir('dispatch120')/training``."""
    return Path(platformdirs.user_data_dir("dispatch120")) / "training"


def make_workdir(requested: Path | None) -> Path:
    """Create the run's directory and its training marker.

    Raises:
        RunnerError: if ``requested`` already holds a database (a run must start fresh).
    """
    if requested is None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        workdir = default_training_root() / f"{stamp}-{os.getpid()}"
    else:
        workdir = Path(requested)
    workdir.mkdir(parents=True, exist_ok=True)
    if (workdir / DB_NAME).exists():
        raise RunnerError(f"{workdir} already holds a training database; choose an empty directory")
    (workdir / MARKER_NAME).write_text(
        "TRAINING DATA - NOT REAL RECORDS\n"
        "This directory was made by `dispatch120 sim serve` (simulation mode). The event log\n"
        f"{DB_NAME} holds simulated calls, incidents and ambulances only; it must never be\n"
        "used as, merged into or reported with a real centre's records.\n",
        encoding="utf-8",
    )
    return workdir


def _record_scenario(scenario: Scenario, path: Path) -> None:
    """Keep the run's scenario beside its database, self-contained (the registry inlined)."""
    raw = yaml.safe_load(scenario.path.read_text(encoding="utf-8"))
    raw["registry"] = dict(scenario.registry.data)
    path.write_text(
        f"# Played in this training run; first read from {scenario.path}\n"
        + yaml.safe_dump(raw, allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )


def import_registry(scenario: Scenario, workdir: Path, db: Path) -> dict[str, str]:
    """Write the registry into ``workdir``, import it with the server's admin CLI, return the tokens.

    Raises:
        RunnerError: if the import fails (with the admin command's output).
    """
    registry_path = workdir / "registry.yaml"
    registry_path.write_text(
        yaml.safe_dump(dict(scenario.registry.data), allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    tokens_path = workdir / "tokens.json"
    cmd = [
        sys.executable,
        "-m",
        "server_stub",
        "admin",
        "--db",
        str(db),
        "import",
        str(registry_path),
        "--tokens-out",
        str(tokens_path),
    ]
    log.info("importing the registry: %s", " ".join(cmd))
    try:
        done = subprocess.run(cmd, capture_output=True, env=child_env(), timeout=60, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise RunnerError("the registry import took more than 60 s") from None
    if done.returncode != 0:
        output = (done.stderr or done.stdout or b"").decode("utf-8", errors="replace").strip()
        raise RunnerError(f"the registry import failed (exit code {done.returncode}):\n{output[-4000:]}")
    try:
        tokens = json.loads(tokens_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise RunnerError(f"the registry import wrote no readable token file: {exc}") from None
    finally:
        with contextlib.suppress(OSError):
            tokens_path.unlink()  # the tokens live in this process only from now on
    if not isinstance(tokens, dict) or not all(isinstance(v, str) for v in tokens.values()):
        raise RunnerError("the registry import's token file is not {principal_id: token}")
    return tokens


# ---------------------------------------------------------------- serve


@dataclass
class ServeOptions:
    scenario: Path
    time_scale: float = 1.0
    workdir: Path | None = None
    ready_file: Path | None = None
    exit_with_stdin: bool = False
    parent_death_signal: bool = True
    seed: int | None = None
    ring_timeout_s: float | None = None
    seat_id: str | None = None
    log_level: str = "info"
    listen: str = LOOPBACK  # the server's listen address; 0.0.0.0 lets seats on the LAN join


def serve(options: ServeOptions) -> int:
    """Run a training centre until told to stop. Main thread only.

    Returns:
        The exit code: 0 after a requested stop, 2 for a bad scenario, 1 for any other failure.
    """
    _install_exit_on_sigterm()
    if options.exit_with_stdin:
        if options.parent_death_signal:
            set_parent_death_signal(signal.SIGTERM)
        # EOF on stdin: our parent closed the pipe or died. Stop like on SIGTERM.
        watch_stdin_eof(lambda: os.kill(os.getpid(), signal.SIGTERM))
    try:
        scenario = load_scenario(options.scenario)
    except ScenarioError as exc:
        print(f"dispatch120 sim: the scenario cannot be used:\n{exc}", file=sys.stderr)
        return 2
    seat_id = options.seat_id or scenario.registry.seats[0].id
    if seat_id not in {s.id for s in scenario.registry.seats}:
        print(f"dispatch120 sim: no seat {seat_id!r} in the scenario's registry", file=sys.stderr)
        return 2

    server: ServerChild | None = None
    try:
        workdir = make_workdir(options.workdir)
        _log_to_file(workdir / "runner.log")
        log.info(
            "training run in %s, scenario %s, time scale %g", workdir, options.scenario, options.time_scale
        )
        _record_scenario(scenario, workdir / "scenario.yaml")
        db = workdir / DB_NAME
        tokens = import_registry(scenario, workdir, db)
        consoles = add_hospital_consoles(db, workdir, sorted({
            e.hospital for e in scenario.events if e.kind == InjectedEventKind.HOSPITAL_STATUS and e.hospital}))
        # The training scenarios play in the demo city (Monaco).
        server = ServerChild(db=db, workdir=workdir, ring_timeout_s=options.ring_timeout_s, city=DEFAULT_CITY_DIR,
                             host=options.listen)
        server.start()
        return asyncio.run(_run(options, scenario, tokens, server, workdir, seat_id, consoles))
    except RunnerError as exc:
        log.error("%s", exc)
        print(f"dispatch120 sim: {exc}", file=sys.stderr)
        return 1
    except SystemExit as exc:  # SIGTERM/stdin EOF while setting up
        log.info("stopped while starting")
        return int(exc.code or 0)
    finally:
        _install_exit_on_sigterm()  # asyncio.run reset the handlers; keep cleanup interruptible-safe
        if server is not None:
            server.stop()
        if options.ready_file is not None:
            with contextlib.suppress(OSError):
                Path(options.ready_file).unlink()


async def _run(
    options: ServeOptions,
    scenario: Scenario,
    tokens: dict[str, str],
    server: ServerChild,
    workdir: Path,
    seat_id: str,
    consoles: dict[str, str] | None = None,
) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in _STOP_SIGNALS:
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # Windows: no add_signal_handler
            signal.signal(sig, lambda _n, _f: loop.call_soon_threadsafe(stop.set))
    clock = ScaledClock(options.time_scale)
    sim = Simulation(scenario, server.url, tokens, clock=clock, seed=options.seed, planner=default_planner())
    hospital_links = {
        hospital_id: SimLink(server.url, token, client_name=f"dispatch120-sim-hospital/{CLIENT_VERSION} {hospital_id}",
                             rng=random.Random(f"{options.seed}:{hospital_id}:console"))
        for hospital_id, token in (consoles or {}).items()}
    injector = Injector(sim, server, clock, hospital_links)
    # The trainer's pause, speed and injections arrive as events on the switch's link.
    control = TrainerControl(clock, sim.bridge.link, injector) if sim.bridge is not None else None
    sim.links.extend(hospital_links.values())
    sim_task = asyncio.create_task(sim.run(), name="simulation")
    link_tasks = [asyncio.create_task(link.run(), name=f"console {h}") for h, link in hospital_links.items()]
    injector_task = asyncio.create_task(injector.run(scenario.events), name="injected events")
    stop_task = asyncio.create_task(stop.wait(), name="stop")
    try:
        synced = asyncio.create_task(sim.wait_synced())
        done, _ = await asyncio.wait(
            {sim_task, synced, stop_task}, timeout=SIM_SYNC_TIMEOUT_S, return_when=asyncio.FIRST_COMPLETED
        )
        synced.cancel()
        if sim_task in done:
            sim_task.result()  # raises what stopped it
            return 1
        if stop_task in done:
            return 0
        if synced not in done:
            log.warning("not every simulator synced within %.0f s; going on", SIM_SYNC_TIMEOUT_S)
        seats = {s.id: tokens[s.id] for s in scenario.registry.seats if s.id in tokens}
        if server.lan_urls:
            _announce_lan(server, workdir, seats)
        if options.ready_file is not None:
            write_private_json(
                Path(options.ready_file),
                {
                    "url": server.url,
                    "seat_id": seat_id,
                    "seat_token": seats.get(seat_id),
                    "seats": seats,
                    "workdir": str(workdir),
                    "pid": os.getpid(),
                    "server_pid": server.proc.pid if server.proc else None,
                    "trainers": {t.id: tokens[t.id] for t in scenario.registry.trainers if t.id in tokens},
                    "listen": server.host,
                    "lan_urls": server.lan_urls,
                },
            )
        log.info("training centre ready at %s (%d simulators)", server.url, len(sim.links))
        while not stop.is_set():
            done, _ = await asyncio.wait(
                {sim_task, stop_task}, timeout=0.5, return_when=asyncio.FIRST_COMPLETED
            )
            if sim_task in done:
                sim_task.result()
                return 1
            if injector_task.done() and not injector_task.cancelled() and injector_task.exception():
                raise injector_task.exception()  # type: ignore[misc]
            if (server.proc is not None and server.proc.poll() is not None and not stop.is_set()
                    and not server.held_down):
                await _restart_server(server)
        log.info("stopping")
        return 0
    except Exception as exc:
        cause = _root_cause(exc)
        log.error(
            "the simulation failed: %s", cause, exc_info=not isinstance(cause, RunnerError | AuthRefused)
        )
        print(f"dispatch120 sim: the simulation failed: {cause}", file=sys.stderr)
        return 1
    finally:
        if control is not None:
            control.close()
        for task in (sim_task, stop_task, injector_task, *link_tasks):
            task.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.gather(sim_task, stop_task, injector_task, *link_tasks, return_exceptions=True)


def _announce_lan(server: ServerChild, workdir: Path, seats: dict[str, str]) -> None:
    """Say where seats on the LAN join, and write each seat's join file (its token stays in the file)."""
    urls = server.lan_urls
    log.warning("the training server listens on %s: seats on the LAN join at %s with their seat's token",
                server.host, ", ".join(urls))
    files = write_seat_join_files(workdir, urls[0], seats)
    print(f"dispatch120 sim: seats on other machines join at {', '.join(urls)}", flush=True)
    for seat_id, path in files.items():
        print(f"  {seat_id}: copy {path} to the seat, then: dispatch120 --simulate --join {path.name}", flush=True)


async def _restart_server(server: ServerChild) -> None:
    """The server died on its own: start it again on the same port (the simulators reconnect)."""
    assert server.proc is not None
    code = server.proc.returncode
    if server.restarts >= MAX_SERVER_RESTARTS:
        raise RunnerError(
            f"the server exited (code {code}) for the {server.restarts + 1}th time; giving up. "
            f"Its log ({server.log_path}) ends with:\n{tail(server.log_path)}"
        )
    server.restarts += 1
    log.warning("the server exited with code %s; restarting it on port %d", code, server.port)
    # Started from this (the main) thread on purpose, though it blocks the loop for the
    # moment the server takes to listen: the server's parent-death signal is tied to the
    # thread that starts it, and the main thread lives as long as the runner. Nothing is
    # lost meanwhile: the simulators' plans are in scenario time and their links reconnect.
    server.start()


def _root_cause(exc: BaseException) -> BaseException:
    """The first real error inside (nested) task-group exception groups."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


_STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, name)
)


def _install_exit_on_sigterm() -> None:
    """Outside the asyncio loop, SIGTERM/SIGHUP raise SystemExit so ``finally`` blocks stop the server."""
    if threading.current_thread() is threading.main_thread():
        for sig in _STOP_SIGNALS:
            if sig != signal.SIGINT:  # SIGINT already raises KeyboardInterrupt
                signal.signal(sig, _exit_on_signal)


def _exit_on_signal(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def _log_to_file(path: Path) -> None:
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(min(root.level or logging.INFO, logging.INFO))


def configure_logging(level: str) -> None:
    """stderr at ``level``; the run's log file (added later) always gets INFO."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(getattr(logging, level.upper(), logging.INFO))
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("websockets").setLevel(logging.WARNING)


def options_from_args(args: argparse.Namespace) -> ServeOptions:
    return ServeOptions(
        scenario=Path(args.scenario),
        time_scale=args.time_scale,
        workdir=Path(args.workdir) if args.workdir else None,
        ready_file=Path(args.ready_file) if args.ready_file else None,
        exit_with_stdin=args.exit_with_stdin,
        parent_death_signal=not args.no_parent_death_signal,
        seed=args.seed,
        ring_timeout_s=args.ring_timeout,
        seat_id=args.seat_id,
        log_level=args.log_level,
        listen=getattr(args, "listen", None) or LOOPBACK,
    )


def default_planner(map_city: str | None = None) -> RoadPathPlanner | None:
    """A planner on the city's road graph (setting ``map_city``, default the demo city), or None.

    None when that city has no usable road graph: the simulation then draws straight lines.
    """
    from app.mapdata.city import city_dir
    from app.routing.engine import GraphRouter
    from app.routing.graph import GraphFileError
    from app.routing.planner import RoadPathPlanner

    try:
        if map_city is None:
            from app.settings import load_settings

            map_city = load_settings().map_city
            factor = load_settings().emergency_speed_factor
        else:
            factor = 1.2
        return RoadPathPlanner(GraphRouter.for_city(city_dir(map_city), factor))
    except (GraphFileError, ValueError, OSError) as exc:
        log.warning("no road routing for the simulation (%s); ambulances drive straight lines", exc)
        return None
