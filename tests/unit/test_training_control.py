"""The trainer's pause and speed: the scenario clock stops and changes pace without a jump,
sleepers wait in scenario time, and the runner follows the trainer's events on its link."""

from __future__ import annotations

import asyncio

import pytest

from app.domain.common import Principal
from app.domain.decide import decide
from app.domain.state import State
from app.protocol import ProtocolError, validate_command
from app.protocol.errors import ErrorCode
from app.protocol.vocabulary import Role
from app.sim.clock import ScaledClock
from app.sim.control import RUN_ID, TrainerControl

TRAINER = Principal(id="trainer-1", role=Role.TRAINER, name="培训教员")


class Wall:
    """A wall clock moved by hand."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_pausing_stops_scenario_time_and_resuming_goes_on_from_there():
    wall = Wall()
    clock = ScaledClock(10, wall=wall)
    wall.t += 3
    assert clock.now() == pytest.approx(30)
    clock.pause()
    wall.t += 100  # a long pause: no scenario time passes
    assert clock.now() == pytest.approx(30)
    clock.resume()
    wall.t += 1
    assert clock.now() == pytest.approx(40)


def test_a_speed_change_keeps_scenario_time_continuous():
    wall = Wall()
    clock = ScaledClock(2, wall=wall)
    wall.t += 5
    before = clock.now()
    clock.set_time_scale(8)
    assert clock.now() == pytest.approx(before)  # no jump at the change
    wall.t += 1
    assert clock.now() == pytest.approx(before + 8)
    with pytest.raises(ValueError):
        clock.set_time_scale(0)


def test_a_sleeper_is_held_by_a_pause_and_released_after_the_resume():
    async def story() -> None:
        clock = ScaledClock(1000)  # 1 scenario second = 1 ms
        clock.pause()
        sleeper = asyncio.ensure_future(clock.sleep(1.0))
        for _ in range(20):
            await asyncio.sleep(0.005)  # 100 ms of wall time: far past the 1 ms it would take
        assert not sleeper.done()
        clock.resume()
        await asyncio.wait_for(sleeper, 5)

    asyncio.run(story())


def test_a_slower_clock_stretches_what_is_left_of_a_wait():
    async def story() -> None:
        clock = ScaledClock(1000)
        sleeper = asyncio.ensure_future(clock.sleep(60.0))  # 60 ms of wall time at 1000×
        await asyncio.sleep(0)
        clock.set_time_scale(0.5)  # now 2 minutes of wall time
        for _ in range(20):
            await asyncio.sleep(0.01)
        assert not sleeper.done()
        clock.set_time_scale(1e6)
        await asyncio.wait_for(sleeper, 5)

    asyncio.run(story())


class FakeLink:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict]] = []
        self.on_event = None
        self.on_synced = None

    def send(self, name: str, args: dict) -> str:
        validate_command(name, args)
        self.sent.append((name, args))
        return str(len(self.sent))


class FakeInjector:
    def __init__(self) -> None:
        self.done: list[tuple] = []

    async def break_down_unit(self, unit_id: str) -> None:
        self.done.append(("breakdown", unit_id))

    def set_hospital_status(self, hospital_id: str, status: str, note: str | None = None) -> None:
        self.done.append(("hospital", hospital_id, status))

    async def drop_server(self, duration_s: float) -> None:
        self.done.append(("drop", duration_s))


def event(name: str, **data) -> dict:
    return {"type": "event", "seq": 1, "ts": "2026-12-05T10:00:00.000Z", "name": name,
            "actor": {"id": "trainer-1", "role": "trainer"}, "data": data}


def test_the_runner_announces_its_clock_then_follows_the_trainers_events():
    async def story() -> None:
        clock = ScaledClock(10)
        link, injector = FakeLink(), FakeInjector()
        heard = []
        link.on_event = lambda state, ev: heard.append(ev["name"])  # the switch's own callback
        control = TrainerControl(clock, link, injector)  # type: ignore[arg-type]
        link.on_synced(State())  # not a training centre (no trainer registered): nothing to announce
        assert link.sent == []
        link.on_synced(training_centre())
        assert link.sent == [("training.set_clock", {"run_id": RUN_ID, "paused": False, "time_scale": 10})]
        link.on_event(State(), event("training.clock_set", run_id=RUN_ID, paused=True, time_scale=4))
        assert clock.paused and clock.time_scale == 4
        assert heard == ["training.clock_set"]  # the switch still hears every event
        link.on_event(State(), event("training.clock_set", run_id="another-run", paused=False, time_scale=4))
        assert clock.paused
        link.on_event(State(), event("training.injected", run_id=RUN_ID, kind="unit_breakdown", target="A01"))
        link.on_event(State(), event("training.injected", run_id=RUN_ID, kind="hospital_diversion",
                                     target="H-CHPG"))
        await asyncio.sleep(0)
        assert ("breakdown", "A01") in injector.done
        assert ("hospital", "H-CHPG", "diverting") in injector.done
        control.close()

    asyncio.run(story())


def test_after_a_reconnect_the_runner_takes_the_clock_the_log_has():
    clock = ScaledClock(10)
    link = FakeLink()
    TrainerControl(clock, link)  # type: ignore[arg-type]
    state = State()
    state.training_runs[RUN_ID] = {"run_id": RUN_ID, "paused": True, "time_scale": 2, "injected": []}
    link.on_synced(state)
    assert link.sent == []  # already announced in the log: nothing to say
    assert clock.paused and clock.time_scale == 2


def training_centre() -> State:
    state = State()
    state.principals["trainer-1"] = {"principal_id": "trainer-1", "role": "trainer", "name": "t", "revoked": False}
    return state


def test_only_a_training_centre_takes_the_trainers_clock_and_injections():
    args = {"run_id": RUN_ID, "paused": True, "time_scale": 3}
    with pytest.raises(ProtocolError) as refused:
        decide(State(), TRAINER, "training.set_clock", dict(args))
    assert refused.value.code == ErrorCode.FORBIDDEN
    [(name, data)] = decide(training_centre(), TRAINER, "training.set_clock", dict(args))
    assert name == "training.clock_set" and data == args
    inject = {"run_id": RUN_ID, "kind": "server_drop"}
    with pytest.raises(ProtocolError):
        decide(State(), TRAINER, "training.inject", dict(inject))
    assert decide(training_centre(), TRAINER, "training.inject", dict(inject)) == [("training.injected", inject)]


def test_the_trainer_may_speak_as_the_caller_but_a_seat_may_not_run_the_clock():
    from app.protocol import COMMAND_ROLES

    assert Role.TRAINER in COMMAND_ROLES["training.caller_say"]
    assert Role.SEAT not in COMMAND_ROLES["training.set_clock"]
    assert COMMAND_ROLES["training.inject"] == frozenset({Role.TRAINER})


def test_the_clock_bounds_are_checked_at_the_edge():
    with pytest.raises(ProtocolError):
        validate_command("training.set_clock", {"run_id": RUN_ID, "paused": False, "time_scale": 0})
    with pytest.raises(ProtocolError):
        validate_command("training.inject", {"run_id": RUN_ID, "kind": "meteor_strike"})


def test_a_trainee_seat_joins_the_trainers_run_with_its_join_file(tmp_path):
    from app.__main__ import _start_training, build_parser
    from app.sim.control import write_join_file

    path = write_join_file(tmp_path / "join-seat-1.json", url="ws://127.0.0.1:5/ws", seat_id="seat-1",
                           seat_token="t0k3n", workdir=tmp_path)
    args = build_parser().parse_args(["--simulate", "--join", str(path)])
    joined = _start_training(args, None)  # type: ignore[arg-type]
    assert (joined.url, joined.seat_id, joined.seat_token) == ("ws://127.0.0.1:5/ws", "seat-1", "t0k3n")
    assert "t0k3n" not in repr(joined)
    joined.stop()  # the trainer's centre keeps running: nothing to stop here
    (tmp_path / "bad.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ValueError, match="not a training join file"):
        _start_training(build_parser().parse_args(["--simulate", "--join", str(tmp_path / "bad.json")]), None)  # type: ignore[arg-type]
