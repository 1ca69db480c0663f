"""The SQLite event log: durable settings, the one write path, the log-end check."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.exc import IntegrityError

from app.protocol import ack, event
from server_stub.store import (
    Batch,
    CommandRecord,
    EventStore,
    PrincipalRow,
    SchemaVersionError,
    StaleLogError,
)

TS = "2026-11-27T08:00:00.000Z"


def an_event(seq: int, call_id: str = "c1") -> dict:
    return event(seq=seq, ts=TS, name="call.queued", actor={"id": "switch-1", "role": "switch"}, ref=None,
                 data={"call_id": call_id})


@pytest.fixture
def store(tmp_path):
    s = EventStore(tmp_path / "log.sqlite")
    yield s
    s.close()


def test_every_connection_is_wal_with_full_sync_and_foreign_keys(store):
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_events_rows_and_command_are_written_together_and_read_back_in_order(store):
    store.commit(Batch(expected_seq=0, principals=[PrincipalRow("seat-1", "seat", "一号席", None, "h" * 64)]))
    reply = ack(ref="cmd-1", seq=2, events=2)
    store.commit(
        Batch(
            expected_seq=0,
            events=[an_event(1), an_event(2)],
            changed={"calls": {"c1": {"call_id": "c1", "state": "queued"}}},
            command=CommandRecord("cmd-1", "seat-1", "call.answer", reply),
        )
    )
    assert store.max_seq() == 2
    assert [e["seq"] for e in store.read_events(0)] == [1, 2]
    assert [e["seq"] for e in store.read_events(1, upto=1)] == []
    assert [e["seq"] for e in store.read_events(0, upto=1)] == [1]
    assert store.read_events(0)[0] == an_event(1)
    assert store.query_row("calls", "c1") == ({"call_id": "c1", "state": "queued"}, 2)
    assert store.find_command("cmd-1").ack == reply


def test_a_writer_behind_the_log_end_is_told_to_catch_up_and_nothing_is_written(store):
    store.commit(Batch(expected_seq=0, events=[an_event(1)]))
    with pytest.raises(StaleLogError):
        store.commit(Batch(expected_seq=0, events=[an_event(1, "other")]))
    assert [e["data"]["call_id"] for e in store.read_events(0)] == ["c1"]


def test_a_failing_batch_leaves_nothing_behind(store):
    """The command row refers to an unknown principal: the events of the same batch roll back."""
    with pytest.raises(IntegrityError):
        store.commit(
            Batch(
                expected_seq=0,
                events=[an_event(1)],
                command=CommandRecord("cmd-x", "nobody", "call.answer", ack(ref="cmd-x", seq=1, events=1)),
            )
        )
    assert store.max_seq() == 0


def test_a_principal_update_without_a_hash_keeps_the_token(store):
    store.commit(Batch(expected_seq=0, principals=[PrincipalRow("dev-1", "device", "车1", "A1", "a" * 64)]))
    store.commit(Batch(expected_seq=0, principals=[PrincipalRow("dev-1", "device", "车1", "A1", None, revoked=True)]))
    row = store.principal_by_token_hash("a" * 64)
    assert row is not None and row.revoked


def test_a_database_from_an_unknown_schema_version_is_refused(tmp_path):
    """A newer server's revision (see tests/unit/test_server_migrations.py for the whole story)."""
    path = tmp_path / "future.sqlite"
    EventStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE alembic_version SET version_num = '0099_from_a_newer_server'")
    conn.commit()
    conn.close()
    with pytest.raises(SchemaVersionError):
        EventStore(path)
