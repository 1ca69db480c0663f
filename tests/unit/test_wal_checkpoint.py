"""The SQLite event log's WAL is checkpointed beside the commits, never inside one: a commit
that crosses SQLite's automatic checkpoint limit would copy and fsync a thousand pages while
the seats wait for its acks."""

from __future__ import annotations

from app.protocol import event
from server_stub.store import CHECKPOINT_WAL_BYTES, Batch, EventStore

TS = "2026-11-27T08:00:00.000Z"


def events(first: int, count: int) -> list[dict]:
    return [event(seq=seq, ts=TS, name="incident.updated", actor={"id": "seat-1", "role": "seat"}, ref=None,
                  data={"incident_id": f"inc-{seq}", "changes": {"description": "胸痛，出冷汗。" * 40}})
            for seq in range(first, first + count)]


def test_commits_never_checkpoint_and_the_checkpointer_does_it_beside_them(tmp_path):
    store = EventStore(tmp_path / "log.sqlite")
    try:
        assert store.checkpointer is not None
        store.checkpointer.stop()  # the test checkpoints by hand
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
        seq = 1
        while not store.checkpointer.due():  # well past SQLite's own limit of 1,000 pages
            store.commit(Batch(expected_seq=seq - 1, events=events(seq, 50)))
            seq += 50
        wal = store.checkpointer.wal_path
        assert wal.stat().st_size >= CHECKPOINT_WAL_BYTES  # no commit checkpointed it on the way

        busy, frames, copied = store.checkpointer.checkpoint()

        assert (busy, copied) == (0, frames) and frames > 1000
        store.commit(Batch(expected_seq=seq - 1, events=events(seq, 1)))  # the WAL restarts from its start
        assert store.max_seq() == seq
        assert not store.checkpointer.due()  # and is cut back, so its size says what is left to copy
    finally:
        store.close()


def test_a_closed_store_stops_its_checkpointer(tmp_path):
    store = EventStore(tmp_path / "log.sqlite")
    checkpointer = store.checkpointer
    assert checkpointer is not None and checkpointer._thread.is_alive()
    store.close()
    assert not checkpointer._thread.is_alive()


def test_a_commit_that_fails_in_the_database_leaves_the_next_commit_working(tmp_path):
    from sqlalchemy.exc import IntegrityError

    from server_stub.store import CommandRecord

    store = EventStore(tmp_path / "log.sqlite")
    try:
        store.commit(Batch(expected_seq=0, events=events(1, 1)))
        twice = CommandRecord("cmd-1", "seat-1", "incident.update", {"type": "ack", "ref": "cmd-1", "seq": 2})
        try:
            store.commit(Batch(expected_seq=1, events=events(2, 1), commands=[twice, twice]))
        except IntegrityError:
            pass
        else:
            raise AssertionError("the same command id twice in one transaction must fail")
        assert [e["seq"] for e in store.read_events(0)] == [1], "nothing of the failed transaction is stored"
        store.commit(Batch(expected_seq=1, events=events(2, 2)))
        assert [e["seq"] for e in store.read_events(0)] == [1, 2, 3]
    finally:
        store.close()
