"""PostgreSQL's write path on the server's loop (:meth:`EventStore.commit_async`), against a real cluster.

The same transaction and the same refusals as :meth:`EventStore.commit` (test_event_store_backends.py),
on the one connection the store keeps open: what it writes reads back whole and chains; a log another
writer moved is refused before anything is written, whether the log end was read or implied by the keys;
stored command ids are named; a writer connection lost while idle is opened again.
"""

from __future__ import annotations

import asyncio
import io
import time
from typing import Any

import psycopg
import pytest
from sqlalchemy.exc import OperationalError

from app.protocol import ack, event
from server_stub import verify
from server_stub.store import (
    Batch,
    CommandRecord,
    EventStore,
    KnownCommandsError,
    PrincipalRow,
    StaleLogError,
)

TS = "2026-12-06T08:00:00.000Z"


def a_call_event(seq: int, call_id: str, text: str = "") -> dict[str, Any]:
    return event(seq=seq, ts=TS, name="call.queued", actor={"id": "seat-1", "role": "seat"}, ref=f"cmd-{seq}",
                 data={"call_id": call_id, "note": text})


def a_command(command_id: str, seq: int) -> CommandRecord:
    return CommandRecord(command_id, "seat-1", "call.answer", ack(ref=command_id, seq=seq, events=1), "f" * 64)


@pytest.fixture
def store(pg_url: str):
    store = EventStore(pg_url)
    store.commit(Batch(expected_seq=0, principals=[PrincipalRow("seat-1", "seat", "一号席", None, "h" * 64)]))
    yield store
    store.close()


def test_a_batch_committed_on_the_loop_reads_back_whole_and_its_chain_verifies(store, pg_url):
    async def scenario() -> None:
        text = "胸痛 'quoted' \"double\" \\ backslash 💓"
        await store.commit_async(Batch(
            expected_seq=0,
            events=[a_call_event(1, "c1", text), a_call_event(2, "c1")],
            changed={"calls": {"c1": {"call_id": "c1", "state": "queued", "note": text}},
                     "units": {"A1": {"unit_id": "A1", "version": 3}}},
            commands=[a_command("cmd-1", 2)],
        ))
        # The next batch chains to the event this store wrote, without reading it.
        await store.commit_async(Batch(expected_seq=2, events=[a_call_event(3, "c1")],
                                       changed={"calls": {"c1": {"call_id": "c1", "state": "answered"}}},
                                       commands=[a_command("cmd-3", 3)]))
        await store.aclose()

    asyncio.run(scenario())
    events = store.read_events(0)
    assert events == [a_call_event(1, "c1", "胸痛 'quoted' \"double\" \\ backslash 💓"), a_call_event(2, "c1"),
                      a_call_event(3, "c1")]
    assert store.query_row("calls", "c1") == ({"call_id": "c1", "state": "answered"}, 3)
    assert store.query_row("units", "A1") == ({"unit_id": "A1", "version": 3}, 2)
    assert store.find_command("cmd-1").ack == ack(ref="cmd-1", seq=2, events=1)
    assert store.find_command("cmd-3").fingerprint == "f" * 64
    out, err = io.StringIO(), io.StringIO()
    assert verify.run(pg_url, out, err) == 0, out.getvalue() + err.getvalue()


@pytest.mark.parametrize("chained", [True, False], ids=["log-end-implied-by-keys", "log-end-read"])
def test_a_batch_behind_another_writers_append_is_refused_and_writes_nothing(store, pg_url, chained, caplog):
    other = EventStore(pg_url)

    async def scenario() -> None:
        if chained:  # this store wrote event 1, so it would chain to it without reading
            await store.commit_async(Batch(expected_seq=0, events=[a_call_event(1, "mine")]))
            expected = 1
        else:
            expected = 0
        other.commit(Batch(expected_seq=expected, events=[a_call_event(expected + 1, "theirs")]))
        with pytest.raises(StaleLogError):
            await store.commit_async(Batch(expected_seq=expected, events=[a_call_event(expected + 1, "late")],
                                           changed={"calls": {"late": {"state": "queued"}}},
                                           commands=[a_command("cmd-late", expected + 1)]))
        # Caught up, the same decision on the new log end is written.
        await store.commit_async(Batch(expected_seq=expected + 1, events=[a_call_event(expected + 2, "late")]))
        await store.aclose()

    try:
        asyncio.run(scenario())
        assert [e["data"]["call_id"] for e in store.read_events(0)] == ["mine", "theirs", "late"][1 - chained:]
        assert store.query_row("calls", "late") is None
        assert store.find_command("cmd-late") is None
        assert verify.run(pg_url, io.StringIO(), io.StringIO()) == 0
        assert "error ignored" not in caplog.text  # the pipeline was left with every answer read
    finally:
        other.close()


def test_a_batch_without_events_is_checked_against_the_log_end_too(store, pg_url):
    """A command that made no event was still decided on a state: a moved log refuses it."""
    other = EventStore(pg_url)

    async def scenario() -> None:
        await store.commit_async(Batch(expected_seq=0, events=[a_call_event(1, "mine")]))
        other.commit(Batch(expected_seq=1, events=[a_call_event(2, "theirs")]))
        with pytest.raises(StaleLogError):
            await store.commit_async(Batch(expected_seq=1, commands=[a_command("cmd-no-event", 1)]))
        await store.aclose()

    try:
        asyncio.run(scenario())
        assert store.find_command("cmd-no-event") is None
    finally:
        other.close()


def test_stored_command_ids_are_named_and_nothing_of_the_batch_is_written(store, caplog):
    async def scenario() -> list[list[str]]:
        await store.commit_async(Batch(expected_seq=0, events=[a_call_event(1, "c1")], commands=[a_command("cmd-1", 1)]))
        named = []
        # A stored id among the written commands (its key collides) ...
        with pytest.raises(KnownCommandsError) as written:
            await store.commit_async(Batch(expected_seq=1, events=[a_call_event(2, "c2")],
                                           commands=[a_command("cmd-2", 2), a_command("cmd-1", 2)]))
        named.append([r.command_id for r in written.value.records])
        # ... and among the refused ones, which are not written (looked up under the lock).
        with pytest.raises(KnownCommandsError) as refused:
            await store.commit_async(Batch(expected_seq=1, events=[a_call_event(2, "c2")],
                                           commands=[a_command("cmd-2", 2)], check_ids=["cmd-1"]))
        named.append([r.command_id for r in refused.value.records])
        # The rest of the batch, committed again, goes through.
        await store.commit_async(Batch(expected_seq=1, events=[a_call_event(2, "c2")], commands=[a_command("cmd-2", 2)]))
        await store.aclose()
        return named

    assert asyncio.run(scenario()) == [["cmd-1"], ["cmd-1"]]
    assert "error ignored" not in caplog.text
    assert [e["seq"] for e in store.read_events(0)] == [1, 2]
    assert store.find_command("cmd-2").ack["seq"] == 2


def test_a_writer_connection_lost_while_idle_is_opened_again_and_the_batch_written(store, caplog):
    conninfo = store.conninfo

    async def scenario() -> None:
        await store.commit_async(Batch(expected_seq=0, events=[a_call_event(1, "c1")]))
        pid = store._async_conn.info.backend_pid
        # The database restarts, a firewall drops the idle connection: here, the backend is terminated.
        with psycopg.connect(conninfo, autocommit=True) as admin:
            assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]
        await asyncio.sleep(0.2)
        await store.commit_async(Batch(expected_seq=1, events=[a_call_event(2, "c1")], commands=[a_command("cmd-2", 2)]))
        assert store._async_conn.info.backend_pid != pid
        await store.aclose()

    asyncio.run(scenario())
    assert "writer connection" in caplog.text and "was lost" in caplog.text  # retried, and said so
    assert [e["seq"] for e in store.read_events(0)] == [1, 2]
    assert store.find_command("cmd-2") is not None


def test_a_database_error_fails_the_batch_and_the_next_batch_is_written(store):
    """A refused row (here a command by an unknown credential) rolls back; the connection stays usable."""

    async def scenario() -> None:
        with pytest.raises(Exception) as failed:
            await store.commit_async(Batch(expected_seq=0, events=[a_call_event(1, "c1")],
                                           commands=[CommandRecord("cmd-x", "nobody", "call.answer", {}, None)]))
        assert "foreign key" in str(failed.value).lower()
        await store.commit_async(Batch(expected_seq=0, events=[a_call_event(1, "c1")]))
        await store.aclose()

    asyncio.run(scenario())
    assert [e["seq"] for e in store.read_events(0)] == [1]
    assert store.find_command("cmd-x") is None


@pytest.mark.parametrize("theirs_commits", [True, False], ids=["theirs-commits", "theirs-rolls-back"])
def test_an_append_waits_for_another_writers_open_transaction_then_follows_its_outcome(store, theirs_commits):
    """Without the table lock, the first new event's key is the check: a writer whose insert of that key
    is not committed yet makes the batch wait; its commit refuses the batch, its rollback lets it through."""
    conninfo = store.conninfo

    async def scenario() -> bool:
        await store.commit_async(Batch(expected_seq=0, events=[a_call_event(1, "mine")]))
        other = await psycopg.AsyncConnection.connect(conninfo)
        try:
            await other.execute(
                "INSERT INTO events (seq, ts, name, actor_id, actor_role, ref, data, chain_hash) "
                "VALUES (2, %s, 'call.queued', 'admin', 'admin', NULL, '{\"call_id\": \"theirs\"}', %s)", (TS, "0" * 64))
            mine = asyncio.ensure_future(store.commit_async(Batch(expected_seq=1, events=[a_call_event(2, "late")],
                                                                  commands=[a_command("cmd-late", 2)])))
            await asyncio.sleep(0.5)
            assert not mine.done(), "the append did not wait for the other writer's transaction"
            await (other.commit() if theirs_commits else other.rollback())
            try:
                await asyncio.wait_for(mine, 10)
            except StaleLogError:
                return False
            return True
        finally:
            await other.close()
            await store.aclose()

    assert asyncio.run(scenario()) is not theirs_commits
    calls = [e["data"]["call_id"] for e in store.read_events(0)]
    assert calls == (["mine", "theirs"] if theirs_commits else ["mine", "late"])
    assert (store.find_command("cmd-late") is None) is theirs_commits


def test_the_events_are_written_before_anything_else_of_the_batch(store):
    """The order that keeps two appenders from deadlocking: a batch whose first event's key and whose
    command id are both taken fails on the event's key (nothing else was locked before it)."""
    conninfo = store.conninfo

    async def scenario() -> None:
        await store.commit_async(Batch(expected_seq=0, events=[a_call_event(1, "c1")], commands=[a_command("cmd-1", 1)]))
        await store.aclose()

    asyncio.run(scenario())
    from server_stub.store import _BatchRows  # the statement itself, to see which key it met first

    statement = store._sql.append
    rows = _BatchRows(Batch(expected_seq=0, events=[a_call_event(1, "again")], commands=[a_command("cmd-1", 1)],
                            changed={"units": {"A1": {"unit_id": "A1"}}}), "0" * 64)
    with psycopg.connect(conninfo) as conn, pytest.raises(psycopg.errors.UniqueViolation) as taken:
        conn.execute(statement.sql, statement.params(rows, "x:1"))
    assert taken.value.diag.constraint_name == "events_pkey"


def test_one_notification_per_batch_however_many_events(store):
    conninfo = store.conninfo

    async def scenario() -> list[str]:
        listener = await psycopg.AsyncConnection.connect(conninfo, autocommit=True)
        await listener.execute("LISTEN dispatch120_events")
        await store.commit_async(Batch(expected_seq=0, events=[a_call_event(seq, "c1") for seq in (1, 2, 3)]))
        await store.commit_async(Batch(expected_seq=3, commands=[a_command("cmd-none", 3)]))  # no events: none
        payloads = [note.payload async for note in listener.notifies(timeout=1.0)]
        await listener.close()
        await store.aclose()
        return payloads

    assert asyncio.run(scenario()) == [f"{store.instance_id}:3"]


def test_a_commit_the_database_does_not_answer_fails_in_bounded_time_and_the_next_one_works(
        store, caplog):
    """A database that stops answering (here: another session holds the events table) must not hold every
    seat's commands forever: the commit gives up, drops its connection, and the next commit works."""
    store.commit_timeout_s = 0.5  # the server's --commit-timeout-s
    conninfo = store.conninfo

    async def scenario() -> float:
        await store.commit_async(Batch(expected_seq=0, events=[a_call_event(1, "c1")]))
        blocker = await psycopg.AsyncConnection.connect(conninfo)
        await blocker.execute("LOCK TABLE events IN ACCESS EXCLUSIVE MODE")
        started = time.monotonic()
        try:
            with pytest.raises(OperationalError):
                await store.commit_async(Batch(expected_seq=1, events=[a_call_event(2, "c1")],
                                               commands=[a_command("cmd-2", 2)]))
            waited = time.monotonic() - started
        finally:
            await blocker.rollback()
            await blocker.close()
        await store.commit_async(Batch(expected_seq=1, events=[a_call_event(2, "c1")], commands=[a_command("cmd-2", 2)]))
        await store.aclose()
        return waited

    assert asyncio.run(scenario()) < 5
    assert "did not answer a commit" in caplog.text
    assert [e["seq"] for e in store.read_events(0)] == [1, 2]
    assert store.find_command("cmd-2") is not None


def test_closing_the_store_closes_its_writer_connection_even_off_its_loop(store):
    """The admin tools and error paths close the store without the server's loop: no connection is left open."""
    conninfo = store.conninfo

    async def scenario() -> int:
        await store.commit_async(Batch(expected_seq=0, events=[a_call_event(1, "c1")]))
        return store._async_conn.info.backend_pid

    pid = asyncio.run(scenario())  # the loop is gone; its connection is still open
    store.close()
    with psycopg.connect(conninfo, autocommit=True) as admin:
        for _ in range(50):
            if admin.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()[0] == 0:
                break
            time.sleep(0.05)
        else:
            pytest.fail(f"backend {pid} still connected after close()")
