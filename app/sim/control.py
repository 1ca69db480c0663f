"""The trainer's controls, as the training runner obeys them: pause, speed, injected events.

The trainer's console sends ``training.set_clock`` and ``training.inject`` (a unit breaks
down, a hospital diverts, the server drops, a second caller rings about a call) to the real
server (role ``trainer``; only a training centre accepts them). The runner does not
listen on a port of its own: :class:`TrainerControl` follows the events those commands
make (``training.clock_set``, ``training.injected``) on the simulated switch's link,
and applies them to the scenario clock every simulator shares (:class:`ScaledClock`:
pause and speed changes without a jump in scenario time) or hands them to the runner's
``Injector`` (:class:`InjectorPort`). At start it announces the clock it runs with, so the
event log alone says how server time maps to scenario time (the after-action report needs that).

A trainee's seat joins the trainer's run with a join file the console writes
(:func:`write_join_file`; ``dispatch120 --simulate --join FILE``), on the trainer's computer
or — when the centre listens on the LAN — on another machine the file was copied to.

Runs on the runner's asyncio loop; nothing here blocks.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from app.domain.state import State
from app.domain.training import is_training_centre
from app.protocol import Message
from app.sim.clock import ScaledClock
from app.sim.link import SimLink
from app.sim.procs import write_private_json

log = logging.getLogger(__name__)

# The one training run of a training database (a run always starts on a fresh database).
RUN_ID = "run-1"
SERVER_DROP_S = 30.0  # how long an injected server drop lasts, in scenario seconds


class InjectorPort(Protocol):
    """What the runner can make happen (``app.sim.runner.Injector``)."""

    def break_down_unit(self, unit_id: str) -> Awaitable[None]: ...

    def set_hospital_status(self, hospital_id: str, status: str, note: str | None = None) -> None: ...

    def drop_server(self, duration_s: float) -> Awaitable[None]: ...

    def second_call(self, about_call_id: str, says: str | None = None) -> None: ...


class TrainerControl:
    """Follows the trainer's clock and injections on ``link`` (the simulated switch's).

    Args:
        clock: the scenario clock the simulators share.
        link: a link whose events this control may see; its ``on_event`` and ``on_synced``
            callbacks are wrapped (the ones already set still run first).
        injector: carries out injected events (None: injections are logged and ignored).
        run_id: the training run's id.

    Call :meth:`close` when the runner stops (cancels injections under way).
    """

    def __init__(self, clock: ScaledClock, link: SimLink, injector: InjectorPort | None = None, *,
                 run_id: str = RUN_ID) -> None:
        self.clock = clock
        self.link = link
        self.injector = injector
        self.run_id = run_id
        self._tasks: set[asyncio.Task[None]] = set()
        self._announced = False
        previous_event, previous_synced = link.on_event, link.on_synced

        def on_event(state: State, event: Message) -> None:
            if previous_event is not None:
                previous_event(state, event)
            self.on_event(state, event)

        def on_synced(state: State) -> None:
            if previous_synced is not None:
                previous_synced(state)
            self.on_synced(state)

        link.on_event = on_event
        link.on_synced = on_synced

    def on_synced(self, state: State) -> None:
        """After a (re)connect: announce the clock once; later, catch up with the log's clock."""
        run = state.training_runs.get(self.run_id)
        if run is None:
            # Only a training centre (a trainer registered) takes it; elsewhere nobody can change it.
            if not self._announced and is_training_centre(state.principals):
                self._announced = True
                self.link.send("training.set_clock", {"run_id": self.run_id, "paused": self.clock.paused,
                                                      "time_scale": _wire_scale(self.clock.time_scale)})
            return
        self.apply_clock(bool(run["paused"]), float(run["time_scale"]))

    def on_event(self, state: State, event: Message) -> None:
        data = event["data"]
        if data.get("run_id") != self.run_id:
            return
        if event["name"] == "training.clock_set":
            self.apply_clock(data["paused"], float(data["time_scale"]))
        elif event["name"] == "training.injected":
            self.inject(data["kind"], data.get("target"), data.get("says"))

    def apply_clock(self, paused: bool, time_scale: float) -> None:
        """Set the scenario clock (no jump in scenario time); logs what changed."""
        clock = self.clock
        if time_scale != clock.time_scale:
            clock.set_time_scale(time_scale)
            log.info("trainer: scenario clock now %g× real time (scenario %.1f s)", time_scale, clock.now())
        if paused and not clock.paused:
            clock.pause()
            log.info("trainer: scenario clock paused at %.1f s", clock.now())
        elif not paused and clock.paused:
            clock.resume()
            log.info("trainer: scenario clock resumed at %.1f s", clock.now())

    def inject(self, kind: str, target: str | None, says: str | None = None) -> None:
        """Carry out an injected event (in a task: a breakdown may wait for the unit to be free).

        ``says``: for a second call, what its caller says once answered (None: a scripted line).
        """
        injector = self.injector
        if injector is None:
            log.warning("trainer: injected %s (%s) but this runner cannot inject events", kind, target)
            return
        log.info("trainer: injecting %s (%s) at scenario %.1f s", kind, target, self.clock.now())
        work: Awaitable[None] | None = None
        if kind == "unit_breakdown" and target:
            work = injector.break_down_unit(target)
        elif kind == "hospital_diversion" and target:
            injector.set_hospital_status(target, "diverting", None)
        elif kind == "server_drop":
            work = injector.drop_server(SERVER_DROP_S)
        elif kind == "second_call" and target:
            injector.second_call(target, says)
        else:
            log.warning("trainer: cannot inject %s without a target", kind)
        if work is not None:
            task = asyncio.ensure_future(work)
            self._tasks.add(task)
            task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Future[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("trainer: an injected event failed", exc_info=task.exception())

    def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()


def _wire_scale(time_scale: float) -> float | int:
    """An integer scale goes on the wire as an integer (``4``, not ``4.0``)."""
    return int(time_scale) if float(time_scale).is_integer() else float(time_scale)


# ---------------------------------------------------------------- trainees' seats joining a trainer's run


@dataclass
class JoinedTraining:
    """A training centre a trainer's console runs, joined by a trainee's seat
    (``dispatch120 --simulate --join FILE``). Same fields as the launcher's session; ``stop``
    does nothing: the centre belongs to the trainer's console. ``workdir`` is None on a machine
    that does not have the run's directory (a seat on the LAN): the seat keeps its training
    journal in a directory of its own."""

    url: str
    seat_id: str
    seat_token: str = field(repr=False)
    workdir: Path | None

    def stop(self) -> None:
        """The trainer stops the centre, not the trainee."""


def write_join_file(path: Path, *, url: str, seat_id: str, seat_token: str, workdir: Path) -> Path:
    """What a trainee's seat needs to join the run (mode 0600: it holds the seat's token)."""
    write_private_json(Path(path), {"url": url, "seat_id": seat_id, "seat_token": seat_token,
                                    "workdir": str(workdir)})
    return Path(path)


def read_join_file(path: Path) -> JoinedTraining:
    """Read a join file written by the trainer's console.

    Raises:
        ValueError: unreadable, or not a join file (the message says which).
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        workdir = Path(data["workdir"]) if data.get("workdir") else None
        return JoinedTraining(url=str(data["url"]), seat_id=str(data["seat_id"]),
                              seat_token=str(data["seat_token"]),
                              workdir=workdir if workdir is not None and workdir.is_dir() else None)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a training join file ({type(exc).__name__}: {exc})") from None
