"""Group commit: the commands that arrive together are decided in order and committed in one transaction.

The real :class:`server_stub.bus.CommandBus` on a real SQLite event store; the
connections are replaced by a recorder of what would have been sent. Commands are
submitted with ``asyncio.gather``: they all join the queue before the committer
task first runs, so they form one batch (no timing involved).
"""

from __future__ import annotations

import asyncio
import io
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import orjson
import pytest
from sqlalchemy.exc import OperationalError

from app.domain.common import EventDraft, Principal
from app.domain.decide import decide
from app.domain.model import Role
from app.domain.state import State
from app.protocol import ErrorCode, event
from server_stub.admin import run_registry_change
from server_stub.bus import CommandBus, command_fingerprint
from server_stub.registry import parse_registry
from server_stub.store import Batch, EventStore
from server_stub.undo import Trial

SEAT_1 = Principal(id="seat-1", role=Role.SEAT, name="一号席")
SEAT_2 = Principal(id="seat-2", role=Role.SEAT, name="二号席")
REGISTRY = {
    "stations": [{"id": "st-1", "name": "南岸急救站", "lat": 29.52, "lon": 106.57}],
    "hospitals": [{"id": "h-1", "name": "重庆医科大学附属第一医院", "lat": 29.53, "lon": 106.51}],
    "units": [{"id": f"A{i}", "call_sign": f"渝A{i}", "station": "st-1", "capability": "als"} for i in (1, 2, 3)],
    "seats": [{"id": "seat-1", "name": "一号席"}, {"id": "seat-2", "name": "二号席"}],
}


class Wire:
    """Stands in for server_stub.clients.Clients: one seat that receives events; records everything in order."""

    def __init__(self) -> None:
        self.seat = SimpleNamespace(principal=SEAT_2, receives_events=True)
        self.log: list[tuple[str, Any, dict]] = []  # ("ack"/"error", sender, msg) or ("event", None, msg)

    def push(self, client: Any, msg: dict) -> None:
        self.log.append((msg["type"], client, msg))

    def where(self, predicate: Callable[[Any], bool]) -> list[Any]:
        return [c for c in (self.seat,) if predicate(c)]

    def send(self, _clients: Any, frame: str) -> None:
        self.log.append(("event", None, orjson.loads(frame)))

    def send_many(self, clients: Any, frames: list[str]) -> None:
        for frame in frames:
            self.send(clients, frame)

    def write_frames(self, frames_by_client: dict[Any, list[str]]) -> None:
        """Each connection's frames of a batch, in order: the seat's events, each sender's reply."""
        for client, frames in frames_by_client.items():
            for frame in frames:
                msg = orjson.loads(frame)
                if client is self.seat and msg["type"] == "event":
                    self.log.append(("event", None, msg))
                else:
                    self.log.append((msg["type"], client, msg))

    def reply(self, sender: Any) -> dict:
        (msg,) = [msg for kind, c, msg in self.log if kind != "event" and c is sender]
        return msg

    def events(self) -> list[dict]:
        return [msg for kind, _, msg in self.log if kind == "event"]


@dataclass(eq=False)
class Cmd:
    """One command as a connection sends it (the router sets the fingerprint before the bus runs it)."""

    who: Principal
    name: str
    args: dict[str, Any]
    command_id: str = ""
    decide_fn: Callable[[State], list[EventDraft]] | None = None

    def __post_init__(self) -> None:
        self.command_id = self.command_id or str(uuid.uuid4())
        self.command_fingerprint = (self.command_id, command_fingerprint(self.name, self.args))

    def run(self, bus: CommandBus):
        decide_fn = self.decide_fn or (lambda s: decide(s, self.who, self.name, self.args))
        return bus.execute(self.who, decide_fn, command=(self.command_id, self.name), client=self)  # type: ignore[arg-type]


def together(bus: CommandBus, *cmds: Cmd) -> None:
    async def go() -> None:
        await asyncio.gather(*(cmd.run(bus) for cmd in cmds))

    asyncio.run(go())


def create(incident_id: str | None = None, who: Principal = SEAT_1, command_id: str = "", patients: int = 1) -> Cmd:
    return Cmd(who, "incident.create", {"incident_id": incident_id or str(uuid.uuid4()), "address": "解放碑",
                                         "patients": patients}, command_id)


@pytest.fixture
def store(tmp_path: Path):
    store = EventStore(tmp_path / "events.sqlite")
    run_registry_change(store, parse_registry(REGISTRY), io.StringIO())
    yield store
    store.close()


def new_bus(store: EventStore) -> tuple[CommandBus, Wire]:
    wire = Wire()
    bus = CommandBus(store, wire)  # type: ignore[arg-type]  # the recorder has the methods the bus uses
    bus.rebuild_state()
    return bus, wire


def watch_commits(store: EventStore, wire: Wire) -> list[tuple[Batch, int]]:
    """Every commit that returned: (batch, how many frames had been sent before it started)."""
    commits: list[tuple[Batch, int]] = []
    real = store.commit

    def commit(batch: Batch) -> None:
        sent_before = len(wire.log)
        real(batch)
        commits.append((batch, sent_before))

    store.commit = commit  # type: ignore[method-assign]
    return commits


def rebuilt(store: EventStore) -> dict:
    state = State()
    for msg in store.iter_events():
        state.apply(msg)
    return state.to_dict()


# ---------------------------------------------------------------- one fsync, many acks
def test_commands_that_arrive_together_share_one_commit_and_each_is_acked_after_it(store):
    bus, wire = new_bus(store)
    commits = watch_commits(store, wire)
    cmds = [create() for _ in range(12)]

    together(bus, *cmds)

    assert len(commits) == 1, "one transaction (one fsync) for the twelve commands"
    batch, sent_before = commits[0]
    assert len(batch.events) == 12 and len(batch.commands) == 12
    assert sent_before == 0, "nothing is sent or acked before the commit returned"
    acks = [wire.reply(cmd) for cmd in cmds]
    assert [a["type"] for a in acks] == ["ack"] * 12
    stored = {e["seq"]: e["ref"] for e in store.read_events(0)}
    assert all(stored[a["seq"]] == a["ref"] == cmd.command_id for a, cmd in zip(acks, cmds, strict=True))
    # In arrival order: each command's event, then its ack.
    assert [(kind, msg.get("ref")) for kind, _, msg in wire.log] == [
        step for cmd in cmds for step in (("event", cmd.command_id), ("ack", cmd.command_id))
    ]
    assert bus.state.to_dict() == rebuilt(store)


def test_each_command_of_a_batch_is_decided_on_the_state_the_ones_before_it_left(store):
    bus, wire = new_bus(store)
    first_id, second_id, new_id = (str(uuid.uuid4()) for _ in range(3))
    together(bus, create(first_id), create(second_id))
    commits = watch_commits(store, wire)
    assign_first = Cmd(SEAT_1, "unit.assign", {"incident_id": first_id, "unit_id": "A1", "unit_version": 0})
    assign_second = Cmd(SEAT_2, "unit.assign", {"incident_id": second_id, "unit_id": "A1", "unit_version": 0})
    make = create(new_id)
    update = Cmd(SEAT_1, "incident.update", {"incident_id": new_id, "patients": 3})

    together(bus, assign_first, assign_second, make, update)

    assert len(commits) == 1
    assert wire.reply(assign_first)["type"] == "ack"
    refused = wire.reply(assign_second)
    assert (refused["type"], refused["code"]) in {("error", ErrorCode.UNIT_BUSY.value),
                                                  ("error", ErrorCode.CONFLICT.value)}
    assert [wire.reply(c)["type"] for c in (make, update)] == ["ack", "ack"]
    assert bus.state.incidents[new_id]["patients"] == 3
    assert bus.state.units["A1"]["incident_id"] == first_id
    assert bus.state.to_dict() == rebuilt(store)


def test_a_refused_or_broken_command_in_a_batch_changes_nothing_and_the_others_are_applied(store):
    bus, wire = new_bus(store)
    incident_id = str(uuid.uuid4())
    before = create(incident_id)
    unknown = Cmd(SEAT_1, "incident.update", {"incident_id": str(uuid.uuid4()), "patients": 2})

    def half_then_bug(state: State) -> list[EventDraft]:
        # A valid event (applied on trial), then one the schema refuses: the whole command is taken back.
        return [("incident.updated", {"incident_id": incident_id, "changes": {"patients": 9}}),
                ("incident.updated", {"incident_id": incident_id, "changes": "not a mapping"})]

    broken = Cmd(SEAT_1, "incident.update", {"incident_id": incident_id, "patients": 9}, decide_fn=half_then_bug)
    after = Cmd(SEAT_2, "incident.update", {"incident_id": incident_id, "address": "民族路 2 号"})

    together(bus, before, unknown, broken, after)

    assert wire.reply(before)["type"] == "ack"
    assert (wire.reply(unknown)["type"], wire.reply(unknown)["code"]) == ("error", ErrorCode.NOT_FOUND.value)
    assert (wire.reply(broken)["type"], wire.reply(broken)["code"]) == ("error", ErrorCode.INTERNAL.value)
    acked_after = wire.reply(after)
    assert acked_after["type"] == "ack" and acked_after["seq"] == wire.reply(before)["seq"] + 1
    assert bus.state.incidents[incident_id]["patients"] == 1, "the broken command's first event was taken back"
    assert [e["ref"] for e in store.read_events(wire.reply(before)["seq"] - 1)] == [before.command_id,
                                                                                     after.command_id]
    assert bus.state.to_dict() == rebuilt(store)


# ---------------------------------------------------------------- idempotency inside a batch
def test_the_same_command_id_twice_in_one_batch_is_applied_once_and_answered_with_the_same_ack(store):
    bus, wire = new_bus(store)
    incident_id = str(uuid.uuid4())
    original = create(incident_id)
    resent = create(incident_id, command_id=original.command_id)

    together(bus, original, resent)

    first, again = wire.reply(original), wire.reply(resent)
    assert first["type"] == "ack" and first["duplicate"] is False
    assert again == {**first, "duplicate": True}
    assert [e["ref"] for e in store.read_events(0)].count(original.command_id) == 1


def test_the_same_command_id_with_other_content_in_one_batch_is_a_conflict(store):
    bus, wire = new_bus(store)
    original = create(patients=1)
    other = create(patients=4, command_id=original.command_id)
    stolen = Cmd(SEAT_2, "incident.create", dict(original.args), original.command_id)

    together(bus, original, other, stolen)

    assert wire.reply(original)["type"] == "ack"
    for cmd in (other, stolen):
        assert (wire.reply(cmd)["type"], wire.reply(cmd)["code"]) == ("error", ErrorCode.CONFLICT.value)
    assert [e["ref"] for e in store.read_events(0)].count(original.command_id) == 1


def test_commands_stored_before_are_answered_as_repeats_inside_a_later_batch(store):
    bus, wire = new_bus(store)
    incident_id = str(uuid.uuid4())
    first = create(incident_id)
    together(bus, first)
    ack = wire.reply(first)
    # Re-sent after a lost ack: deciding it again would refuse it (the incident exists), but it is a repeat.
    resent_alone = create(incident_id, command_id=first.command_id)
    together(bus, resent_alone)
    resent_with_others = create(incident_id, command_id=first.command_id)
    fresh = create()
    reused = create(command_id=first.command_id)  # the same id for another incident

    together(bus, resent_with_others, fresh, reused)

    assert wire.reply(resent_alone) == {**ack, "duplicate": True}
    assert wire.reply(resent_with_others) == {**ack, "duplicate": True}
    assert wire.reply(fresh)["type"] == "ack"
    assert (wire.reply(reused)["type"], wire.reply(reused)["code"]) == ("error", ErrorCode.CONFLICT.value)
    assert [e["ref"] for e in store.read_events(0)].count(first.command_id) == 1
    assert bus.state.to_dict() == rebuilt(store)


# ---------------------------------------------------------------- a failed commit
def test_a_failed_commit_fails_the_whole_batch_sends_nothing_and_the_state_stays_the_log(store):
    bus, wire = new_bus(store)
    incident_id = str(uuid.uuid4())
    together(bus, create(incident_id))
    before = bus.state.to_dict()
    wire.log.clear()
    committed_hook: list[tuple[int, int]] = []
    followed: list[list[dict]] = []
    bus.on_committed(lambda first, last: committed_hook.append((first, last)))
    bus.on_sent(followed.append)
    real_commit = store.commit

    def disk_full(batch: Batch) -> None:
        raise OperationalError("COMMIT", {}, Exception("database or disk is full"))

    store.commit = disk_full
    cmds = [create(), Cmd(SEAT_1, "incident.update", {"incident_id": incident_id, "patients": 5}),
            Cmd(SEAT_1, "incident.update", {"incident_id": str(uuid.uuid4()), "patients": 2})]

    together(bus, *cmds)

    for cmd in cmds:
        assert (wire.reply(cmd)["type"], wire.reply(cmd)["code"]) == ("error", ErrorCode.INTERNAL.value)
    assert wire.events() == [] and followed == [] and committed_hook == []
    assert bus.state.to_dict() == before == rebuilt(store)

    # The disk recovers: the same commands, re-sent, are applied.
    store.commit = real_commit
    wire.log.clear()
    retried = [create(c.args["incident_id"], command_id=c.command_id) if c.name == "incident.create" else c
               for c in cmds[:2]]
    together(bus, *retried)
    assert [wire.reply(c)["type"] for c in retried] == ["ack", "ack"]
    assert len(committed_hook) == 1 and len(wire.events()) == 2
    assert bus.state.to_dict() == rebuilt(store)


# ---------------------------------------------------------------- the trial behind it
def test_a_trial_applies_events_to_the_live_state_and_puts_every_entity_back(store):
    bus, _wire = new_bus(store)
    incident_id = str(uuid.uuid4())
    together(bus, create(incident_id))
    state = bus.state
    before = state.to_dict()
    trial = Trial(state)
    events = [
        event(seq=state.seq + 1, ts="2026-11-27T08:00:00.000Z", name="incident.updated",
              actor={"id": "seat-1", "role": "seat"}, ref="c-1", data={"incident_id": incident_id, "changes": {"patients": 4}}),
        event(seq=state.seq + 2, ts="2026-11-27T08:00:01.000Z", name="unit.status_changed",
              actor={"id": "seat-1", "role": "seat"}, ref="c-2",
              data={"unit_id": "A2", "status": "out_of_service", "previous": "available", "version": 1}),
    ]
    for msg in events:
        trial.mark()
        assert trial.apply(msg)
    assert state.incidents[incident_id]["patients"] == 4 and state.seq == events[-1]["seq"]

    changed = trial.changed_rows()
    trial.undo_all()

    assert changed["incidents"][incident_id]["patients"] == 4
    assert changed["units"]["A2"]["status"] == "out_of_service"
    assert "calls" not in changed
    assert state.to_dict() == before
    assert changed["incidents"][incident_id] is not state.incidents[incident_id], "the rows handed out are not the state's"


def test_a_refusal_decided_on_a_stale_state_is_decided_again_after_reading_what_another_writer_appended(store):
    # Another writer (the admin CLI, another instance) appends an incident this bus has not read yet.
    bus, wire = new_bus(store)
    other, _ = new_bus(store)
    incident_id = str(uuid.uuid4())
    together(other, create(incident_id))
    assert incident_id not in bus.state.incidents

    update = Cmd(SEAT_1, "incident.update", {"incident_id": incident_id, "patients": 2})
    together(bus, update)

    assert wire.reply(update)["type"] == "ack", "not refused as not_found on a state that was behind the log"
    assert bus.state.incidents[incident_id]["patients"] == 2
    assert bus.state.to_dict() == rebuilt(store)


class _Seat:
    """A receiving seat the bus can use as a dict key (the real path of a batch's frames)."""

    principal = SEAT_2
    receives_events = True


def test_a_connection_write_that_fails_still_lets_every_sender_of_the_batch_go_on(store):
    bus, wire = new_bus(store)
    seat = _Seat()
    wire.where = lambda predicate: [c for c in (seat,) if predicate(c)]  # type: ignore[method-assign]
    written: list[dict] = []

    def broken_write(frames_by_client: dict) -> None:
        written.append(frames_by_client)
        raise OSError("connection reset")

    wire.write_frames = broken_write  # type: ignore[method-assign]
    cmds = [create() for _ in range(3)]

    async def go() -> None:
        await asyncio.wait_for(asyncio.gather(*(cmd.run(bus) for cmd in cmds)), timeout=30)

    asyncio.run(go())  # a hang here (a sender never resumed) fails with TimeoutError

    assert written and all(len(frames) == 3 for frames in (written[0][seat],)), written
    assert len(store.read_events(0)) >= 3  # committed before the write, durable whatever the socket did


@dataclass(eq=False)
class _Connection:
    """A seat's connection as the bus sees it: receives every event; may send commands too."""

    principal: Principal
    receives_events: bool = True
    command_fingerprint: tuple[str, str] | None = None


def test_every_connection_gets_the_batch_in_the_order_sending_command_by_command_would_give(store):
    """Two seats send commands in one batch (one of them two), a third only watches: each gets every
    event in commit order, and a sender its reply right after its own command's event."""
    bus, wire = new_bus(store)
    first, second, watcher = (_Connection(SEAT_1), _Connection(SEAT_2), _Connection(SEAT_2))
    wire.where = lambda predicate: [c for c in (first, second, watcher) if predicate(c)]  # type: ignore[method-assign]
    written: dict[Any, list[tuple[str, str]]] = {}

    def write_frames(frames_by_client: dict[Any, list[str]]) -> None:
        for client, frames in frames_by_client.items():
            written.setdefault(client, []).extend(
                (msg["type"], msg["ref"]) for msg in (orjson.loads(frame) for frame in frames))

    wire.write_frames = write_frames  # type: ignore[method-assign]
    a1, b1, a2 = create(who=SEAT_1), create(who=SEAT_2), create(who=SEAT_1)

    async def go() -> None:
        for cmd, conn in ((a1, first), (b1, second), (a2, first)):
            conn.command_fingerprint = cmd.command_fingerprint
        await asyncio.gather(*(
            bus.execute(cmd.who, lambda s, c=cmd: decide(s, c.who, c.name, c.args), command=(cmd.command_id, cmd.name),
                        client=conn)  # type: ignore[arg-type]
            for cmd, conn in ((a1, first), (b1, second), (a2, first))
        ))

    asyncio.run(go())

    assert bus.batches == 1
    events = [("event", a1.command_id), ("event", b1.command_id), ("event", a2.command_id)]
    assert written[watcher] == events
    assert written[first] == [events[0], ("ack", a1.command_id), events[1], events[2], ("ack", a2.command_id)]
    assert written[second] == [events[0], events[1], ("ack", b1.command_id), events[2]]


# ---------------------------------------------------------------- what the log says
def test_the_log_gets_one_group_commit_summary_not_a_line_per_transaction(store, caplog):
    bus, wire = new_bus(store)
    caplog.set_level(logging.INFO, logger="server_stub.bus")

    together(bus, *(create() for _ in range(5)))
    together(bus, *(create() for _ in range(3)))

    def summaries() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.levelno == logging.INFO and "committed" in r.getMessage()]

    assert summaries() == [], "no INFO line per transaction"
    bus.log_commit_summary()  # as the server does when it stops
    (line,) = summaries()
    assert line.startswith("committed 8 command(s) in 2 transaction(s) (group commit: 4.0 per transaction, largest 5)")
    bus.log_commit_summary()
    assert len(summaries()) == 1, "nothing committed since: no line"


def test_on_sqlite_the_transaction_runs_on_the_loop_thread(store):
    bus, wire = new_bus(store)
    threads: list[int] = []
    real = store.commit

    def commit(batch: Batch) -> None:
        threads.append(threading.get_ident())
        real(batch)

    store.commit = commit  # type: ignore[method-assign]
    loop_threads: list[int] = []

    async def go() -> None:
        loop_threads.append(threading.get_ident())
        await create().run(bus)

    asyncio.run(go())
    assert bus.commit_on_loop and threads == loop_threads


def test_a_commit_that_holds_the_server_for_long_is_logged_for_it(store, caplog, monkeypatch):
    import server_stub.bus as bus_module

    bus, wire = new_bus(store)
    monkeypatch.setattr(bus_module, "SLOW_COMMIT_S", 0.0)  # every commit counts as slow
    caplog.set_level(logging.WARNING, logger="server_stub.bus")
    together(bus, create())
    assert any("held the server" in r.getMessage() for r in caplog.records)
