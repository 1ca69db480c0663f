"""The event store behaves the same on SQLite (one process) and PostgreSQL (several instances).

Each test runs on both: ``backend_db`` is a fresh SQLite file or a fresh PostgreSQL database.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select

from app.domain.common import Principal
from app.domain.decide import decide
from app.domain.model import Role
from app.protocol import ack, event
from server_stub.bus import CommandBus
from server_stub.schema import strips_table
from server_stub.store import (
    Batch,
    CommandRecord,
    EventStore,
    PrincipalRow,
    StaleLogError,
    insert_ignoring_duplicates,
)
from tests.integration.conftest import DEFAULT_REGISTRY, make_registry_db

TS = "2026-11-27T08:00:00.000Z"
SEAT_1 = Principal(id="seat-1", role=Role.SEAT, name="一号席")
SEAT_2 = Principal(id="seat-2", role=Role.SEAT, name="二号席")


@pytest.fixture(params=["sqlite", "postgresql"])
def backend_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """``--db`` of a fresh database: an SQLite file, or a database in the session's PostgreSQL."""
    if request.param == "sqlite":
        return str(tmp_path / "events.sqlite")
    return request.getfixturevalue("pg_url")


def a_call_event(seq: int, call_id: str) -> dict:
    return event(seq=seq, ts=TS, name="call.queued", actor={"id": "switch-1", "role": "switch"}, ref=None,
                 data={"call_id": call_id})


def test_a_batch_is_written_whole_and_query_rows_are_replaced_not_duplicated(backend_db):
    store = EventStore(backend_db)
    try:
        store.commit(Batch(expected_seq=0, principals=[PrincipalRow("seat-1", "seat", "一号席", None, "h" * 64)]))
        store.commit(Batch(
            expected_seq=0,
            events=[a_call_event(1, "c1"), a_call_event(2, "c1")],
            changed={"calls": {"c1": {"call_id": "c1", "state": "queued"}}},
            command=CommandRecord("cmd-1", "seat-1", "call.answer", ack(ref="cmd-1", seq=2, events=2)),
        ))
        store.commit(Batch(expected_seq=2, events=[a_call_event(3, "c1")],
                           changed={"calls": {"c1": {"call_id": "c1", "state": "answered"}}}))
        assert [e["seq"] for e in store.read_events(0)] == [1, 2, 3]
        assert store.read_events(0)[0] == a_call_event(1, "c1")
        assert store.query_row("calls", "c1") == ({"call_id": "c1", "state": "answered"}, 3)
        assert store.find_command("cmd-1").ack["seq"] == 2
        assert store.principal("seat-1").name == "一号席"
    finally:
        store.close()


def test_a_second_writer_behind_the_log_end_is_refused_and_writes_nothing(backend_db):
    """Two stores on one database (two processes, or two instances): the log end is checked under a lock."""
    first, second = EventStore(backend_db), EventStore(backend_db)
    try:
        assert first.max_seq() == second.max_seq() == 0
        first.commit(Batch(expected_seq=0, events=[a_call_event(1, "mine")]))
        with pytest.raises(StaleLogError):
            second.commit(Batch(expected_seq=0, events=[a_call_event(1, "theirs")]))
        assert [e["data"]["call_id"] for e in second.read_events(0)] == ["mine"]
        second.commit(Batch(expected_seq=1, events=[a_call_event(2, "theirs")]))
        assert [e["seq"] for e in first.read_events(0)] == [1, 2]
    finally:
        first.close()
        second.close()


def test_a_strip_saved_twice_keeps_the_first_copy(backend_db):
    store = EventStore(backend_db)
    row = {"strip_id": "s-1", "unit_id": "A1", "incident_id": "i-1", "channel": "ecg_ii", "start": TS,
           "seconds": 10.0, "period_ms": 2.0, "factor": 1.0, "origin": 0, "unit": "uV", "samples": b"[1,2]",
           "reason": "alarm", "alarm_code": None, "created_at": TS}
    try:
        with store.engine.begin() as conn:
            conn.execute(insert_ignoring_duplicates(store.dialect, strips_table).values(**row))
            conn.execute(insert_ignoring_duplicates(store.dialect, strips_table).values(**{**row, "samples": b"[9]"}))
        with store.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(strips_table)).scalar_one() == 1
            assert conn.execute(select(strips_table.c.samples)).scalar_one() == b"[1,2]"
    finally:
        store.close()


class Seat:
    """A sending connection as the bus sees it (hashable, like the server's)."""

    command_fingerprint = None


class RecordingClients:
    """The part of :class:`server_stub.clients.Clients` the bus uses; keeps what was pushed."""

    def __init__(self) -> None:
        self.pushed: list[tuple[Any, dict]] = []

    def push(self, client: Any, msg: dict) -> None:
        self.pushed.append((client, msg))

    def where(self, _predicate: Any) -> list[Any]:
        return []

    def send(self, _clients: Any, _frame: str) -> None:
        pass

    def send_many(self, _clients: Any, _frames: list[str]) -> None:
        pass

    def write_frames(self, frames_by_client: dict[Any, list[str]]) -> None:
        """A batch's frames per connection: the replies (acks, errors) are what the test reads."""
        for client, frames in frames_by_client.items():
            for frame in frames:
                msg = orjson.loads(frame)
                if msg["type"] in ("ack", "error"):
                    self.pushed.append((client, msg))


def test_two_instances_deciding_on_the_same_state_cannot_both_assign_one_unit(backend_db, tmp_path):
    """Seat 1 on instance A and seat 2 on instance B assign unit A1 at the same moment.

    The interleaving is forced: B decides first, A commits while B's decision is in
    flight (B's commit has started), then B commits. B's commit finds the log moved, B
    catches up, decides again and is refused with the reason; the log holds one assignment.
    """
    if "://" in backend_db:
        make_registry_db(tmp_path / "registry", DEFAULT_REGISTRY, db_url=backend_db)
    else:
        backend_db = str(make_registry_db(tmp_path / "registry", DEFAULT_REGISTRY).db_path)
    store_a, store_b = EventStore(backend_db), EventStore(backend_db)
    stale_commits: list[int] = []
    real_commit_a, real_commit_b = store_a.commit_async, store_b.commit_async

    async def scenario() -> tuple[list, list]:
        b_has_decided, a_committed = asyncio.Event(), asyncio.Event()

        async def commit_a(batch: Batch) -> None:
            await asyncio.wait_for(b_has_decided.wait(), 10)  # instance B decided
            await real_commit_a(batch)
            a_committed.set()

        async def commit_b(batch: Batch) -> None:
            b_has_decided.set()
            await asyncio.wait_for(a_committed.wait(), 10)  # instance A committed
            try:
                await real_commit_b(batch)
            except StaleLogError:
                stale_commits.append(batch.expected_seq)
                raise

        clients_a, clients_b = RecordingClients(), RecordingClients()
        bus_a, bus_b = CommandBus(store_a, clients_a), CommandBus(store_b, clients_b)
        # The forced interleaving waits inside a commit: both buses commit off the loop's own call
        # (on SQLite the server commits on its loop, and one server holds the file's lock).
        bus_a.commit_on_loop = bus_b.commit_on_loop = False
        await asyncio.to_thread(bus_a.rebuild_state)
        incidents = [str(uuid.uuid4()), str(uuid.uuid4())]
        for incident_id in incidents:
            args = {"incident_id": incident_id, "address": "南坪西路 8 号", "patients": 1}
            await bus_a.execute(SEAT_1, lambda s, a=args: decide(s, SEAT_1, "incident.create", a),
                                command=(str(uuid.uuid4()), "incident.create"), client=None)
        await asyncio.to_thread(bus_b.rebuild_state)
        assert bus_b.state.units["A1"]["version"] == 0
        store_a.commit_async, store_b.commit_async = commit_a, commit_b
        seat_a, seat_b = Seat(), Seat()
        assign = [{"incident_id": incidents[0], "unit_id": "A1", "unit_version": 0},
                  {"incident_id": incidents[1], "unit_id": "A1", "unit_version": 0}]
        await asyncio.gather(
            bus_b.execute(SEAT_2, lambda s: decide(s, SEAT_2, "unit.assign", assign[1]),
                          command=("cmd-b", "unit.assign"), client=seat_b),
            bus_a.execute(SEAT_1, lambda s: decide(s, SEAT_1, "unit.assign", assign[0]),
                          command=("cmd-a", "unit.assign"), client=seat_a),
        )
        return [m for _c, m in clients_a.pushed], [m for _c, m in clients_b.pushed]

    try:
        replies_a, replies_b = asyncio.run(scenario())
        assert [m["type"] for m in replies_a] == ["ack"]
        assert [(m["type"], m["code"]) for m in replies_b] == [("error", "unit_busy")]
        assert "渝A1" in replies_b[0]["message"]  # the dispatcher is told which unit and why
        assert stale_commits, "B's first decision should have met the moved log end"
        assigned = [e for e in store_a.read_events(0) if e["name"] == "unit.assigned"]
        assert [(e["data"]["unit_id"], e["actor"]["id"]) for e in assigned] == [("A1", "seat-1")]
    finally:
        store_a.close()
        store_b.close()


def test_a_batch_reads_the_log_first_only_when_another_instance_may_have_appended(backend_db, tmp_path):
    """PostgreSQL: one read at start and one after each hint; SQLite (one writer): never. A batch
    decided on a log nobody announced is still caught by the commit's log-end check (above)."""
    if "://" in backend_db:
        make_registry_db(tmp_path / "registry", DEFAULT_REGISTRY, db_url=backend_db)
    else:
        backend_db = str(make_registry_db(tmp_path / "registry", DEFAULT_REGISTRY).db_path)
    store = EventStore(backend_db)
    reads: list[int] = []
    real_read = store.read_events

    def read_events(after: int, *args: Any, **kwargs: Any) -> list:
        reads.append(after)
        return real_read(after, *args, **kwargs)

    store.read_events = read_events  # type: ignore[method-assign]

    async def create_incidents(bus: CommandBus, count: int) -> None:
        for _ in range(count):
            args = {"incident_id": str(uuid.uuid4()), "address": "南坪西路 8 号", "patients": 1}
            await bus.execute(SEAT_1, lambda s, a=args: decide(s, SEAT_1, "incident.create", a),
                              command=(str(uuid.uuid4()), "incident.create"), client=None)

    async def scenario() -> tuple[int, int]:
        bus = CommandBus(store, RecordingClients())
        await asyncio.to_thread(bus.rebuild_state)
        reads.clear()  # the start's own reading of the whole log
        await create_incidents(bus, 3)
        before_hint = len(reads)
        bus.log_moved()
        await create_incidents(bus, 2)
        return before_hint, len(reads) - before_hint

    try:
        before_hint, after_hint = asyncio.run(scenario())
        if "://" in backend_db:
            assert (before_hint, after_hint) == (1, 1)
        else:
            assert (before_hint, after_hint) == (0, 0)
        assert store.max_seq() >= 5
    finally:
        store.close()


def test_an_acked_event_survives_kill_9_of_the_server(backend_db, start_server):
    server = start_server(db_url=backend_db) if "://" in backend_db else start_server()
    seat = server.client("seat-1")
    incident_id = str(uuid.uuid4())
    reply = seat.command("incident.create", {"incident_id": incident_id, "address": "解放碑", "patients": 2})
    assert reply["type"] == "ack"

    server.kill()

    rows = [r for r in server.db_events() if r["seq"] == reply["seq"]]
    assert rows and rows[0]["data"]["incident_id"] == incident_id
    server.restart()
    again = server.client("seat-2", last_seq=0)
    replayed = {m["seq"]: m for m in again.sync_messages}
    assert replayed[reply["seq"]]["data"]["incident_id"] == incident_id


def test_another_instance_is_woken_by_an_append_not_by_its_own(pg_url):
    """PostgreSQL NOTIFY: a listener returns when another store appends; its own appends do not wake it."""
    mine, other = EventStore(pg_url), EventStore(pg_url)

    async def scenario() -> None:
        listener = mine.append_listener()
        try:
            await listener.wait(0.01)  # connects and LISTENs; nothing to hear yet
            await asyncio.to_thread(mine.commit, Batch(expected_seq=0, events=[a_call_event(1, "own")]))
            with pytest.raises(TimeoutError):  # its own append: still waiting when the test gives up
                await asyncio.wait_for(listener.wait(60), 0.5)
            waiting = asyncio.ensure_future(listener.wait(60))
            await asyncio.to_thread(other.commit, Batch(expected_seq=1, events=[a_call_event(2, "theirs")]))
            await asyncio.wait_for(waiting, 20)  # woken long before its 60 s poll
        finally:
            await listener.close()

    try:
        asyncio.run(scenario())
    finally:
        mine.close()
        other.close()
