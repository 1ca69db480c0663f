"""IT backs up the event log of a running centre and restores it into a fresh database.

SQLite: ``dispatch120-server db backup FILE`` (SQLite's online backup, while the server
writes) and ``db restore FILE``. PostgreSQL: ``pg_dump -Fc`` and ``pg_restore`` as
docs/operations.md says. Either way the restored log replays to the same state.
"""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path
from typing import Any

from app.domain.state import State
from server_stub.store import EventStore
from tests.services import postgres_bin


def some_dispatch_work(server, unit_id: str = "A1") -> int:
    """An incident created and ``unit_id`` assigned to it; returns the last acked seq."""
    seat = server.client("seat-1")
    incident_id = str(uuid.uuid4())
    assert seat.command("incident.create", {"incident_id": incident_id, "address": "南坪", "patients": 1})["type"] == "ack"
    reply = seat.command("unit.assign", {"incident_id": incident_id, "unit_id": unit_id, "unit_version": 0})
    assert reply["type"] == "ack", reply
    return reply["seq"]


def replayed(db: str | Path, upto: int | None = None) -> tuple[int, dict[str, Any]]:
    """(last seq, the projection) replayed from the log, as a server does at start."""
    store = EventStore(db)
    try:
        state = State()
        for msg in store.iter_events():
            if upto is not None and msg["seq"] > upto:
                break
            state.apply(msg)
    finally:
        store.close()
    return state.seq, {"incidents": state.incidents, "units": state.units, "calls": state.calls}


def query_rows(db: str | Path, projection: dict[str, Any]) -> dict[str, Any]:
    """The query tables' entity for every entity of ``projection`` (what clients' queries read)."""
    store = EventStore(db)
    try:
        return {name: {key: (store.query_row(name, key) or (None,))[0] for key in entities}
                for name, entities in projection.items()}
    finally:
        store.close()


def test_a_backup_of_a_running_server_restores_into_a_fresh_database_with_the_same_state(
    dispatch_server, server_cli, tmp_path
):
    acked = some_dispatch_work(dispatch_server)
    backup = tmp_path / "backup" / "events-backup.sqlite"

    made = server_cli("db", "--db", str(dispatch_server.db_path), "backup", str(backup))
    assert made.returncode == 0, made.stderr
    assert not backup.with_name(backup.name + "-wal").exists()  # one self-contained file
    some_dispatch_work(dispatch_server, "A2")  # the centre goes on working after the backup

    fresh = tmp_path / "restored" / "events.sqlite"
    restored = server_cli("db", "--db", str(fresh), "restore", str(backup))
    assert restored.returncode == 0, restored.stderr

    seq, state = replayed(fresh)
    assert seq >= acked
    assert state == replayed(dispatch_server.db_path, upto=seq)[1]  # the live log's state at the backup
    assert query_rows(fresh, state) == state  # the query tables came along, consistent with the log
    assert state["units"]["A1"]["status"] == "dispatched"
    assert state["units"]["A2"]["status"] == "available"  # assigned after the backup


def test_a_restore_never_overwrites_a_log_with_events_unless_told_and_never_under_a_server(
    dispatch_server, server_cli, tmp_path
):
    some_dispatch_work(dispatch_server)
    backup = tmp_path / "b.sqlite"
    assert server_cli("db", "--db", str(dispatch_server.db_path), "backup", str(backup)).returncode == 0

    again = server_cli("db", "--db", str(dispatch_server.db_path), "backup", str(backup))
    assert again.returncode == 2 and "never overwrites" in again.stderr

    running = server_cli("db", "--db", str(dispatch_server.db_path), "restore", str(backup), "--replace")
    assert running.returncode == 1 and "stop it first" in running.stderr

    dispatch_server.stop()
    refused = server_cli("db", "--db", str(dispatch_server.db_path), "restore", str(backup))
    assert refused.returncode == 2 and "--replace" in refused.stderr
    assert server_cli("db", "--db", str(dispatch_server.db_path), "restore", str(backup), "--replace").returncode == 0


def test_a_postgresql_log_dumped_with_pg_dump_restores_with_pg_restore_to_the_same_state(
    start_server, pg_url, postgres_cluster, tmp_path
):
    server = start_server(db_url=pg_url)
    some_dispatch_work(server)
    dump = tmp_path / "dispatch120.dump"
    source = pg_url.replace("postgresql+psycopg://", "postgresql://", 1)
    bindir = postgres_bin()
    subprocess.run([str(bindir / "pg_dump"), "-Fc", "-f", str(dump), source], check=True, timeout=60)
    server.stop()

    target_url = postgres_cluster.create_database()
    target = target_url.replace("postgresql+psycopg://", "postgresql://", 1)
    subprocess.run([str(bindir / "pg_restore"), "--no-owner", "-d", target, str(dump)], check=True, timeout=60)

    seq, state = replayed(target_url)
    assert (seq, state) == replayed(pg_url)
    assert query_rows(target_url, state) == state
    assert state["units"]["A1"]["status"] == "dispatched"
