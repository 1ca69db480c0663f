"""A quality reviewer checks that a centre's event log is as it was committed.

The log was written by real servers (dispatch work from seats, the registry from the admin
CLI, several events per transaction under group commit, two instances on one PostgreSQL
log); ``dispatch120-server admin verify`` checks its hash chain. Somebody with database
access (the file, or a PostgreSQL superuser who switches the append-only triggers off)
alters, deletes or moves an event: verify exits 1 and names it. Nobody can change an
event while the guards are on.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import uuid
from pathlib import Path

import pytest

from server_stub import migrations
from server_stub.__main__ import main

# ---------------------------------------------------------------------------- helpers


def dispatch_work(seat, unit_id: str = "A1") -> int:
    """An incident with a unit assigned and a note in Chinese; returns the last acked seq."""
    incident_id = str(uuid.uuid4())
    assert seat.command("incident.create", {"incident_id": incident_id, "address": "渝中区解放碑", "patients": 1}
                        )["type"] == "ack"
    reply = seat.command("unit.assign", {"incident_id": incident_id, "unit_id": unit_id, "unit_version": 0})
    assert reply["type"] == "ack", reply
    return reply["seq"]


def verify(server_cli, db: str | Path, *extra: str):
    return server_cli("admin", "--db", str(db), "verify", *extra)


def psycopg_url(pg_url: str) -> str:
    return pg_url.replace("postgresql+psycopg://", "postgresql://", 1)


# ---------------------------------------------------------------------------- SQLite


def test_a_centres_log_verifies_and_every_kind_of_tampering_is_named(dispatch_server, server_cli, tmp_path, capsys):
    seat_1, seat_2 = dispatch_server.client("seat-1"), dispatch_server.client("seat-2")
    dispatch_work(seat_1, "A1")
    dispatch_work(seat_2, "A2")
    # Both seats send without waiting: the server decides and commits them in batches (group commit).
    sent = [(seat, seat.send_command("incident.create", {"incident_id": str(uuid.uuid4()), "address": f"南岸区 {n} 号",
                                                        "patients": 1}))
            for n in range(6) for seat in (seat_1, seat_2)]
    replies = [seat.reply_to(command_id) for seat, command_id in sent]
    assert {r["type"] for r in replies} == {"ack"}
    last = max(r["seq"] for r in replies)

    clean = verify(server_cli, dispatch_server.db_path)  # while the server runs: it reads one WAL snapshot
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert f"(seq 1–{last})" in clean.stdout and "chain intact" in clean.stdout

    dispatch_server.stop()
    rows = {r["seq"]: r for r in dispatch_server.db_events()}
    assigned = next(seq for seq, r in rows.items() if r["name"] == "unit.assigned")

    def tampered(name: str, *statements: str) -> Path:
        copy = tmp_path / f"{name}.sqlite"
        shutil.copy(dispatch_server.db_path, copy)
        db = sqlite3.connect(copy)
        db.execute("DROP TRIGGER events_no_update")
        db.execute("DROP TRIGGER events_no_delete")
        for sql in statements:
            db.execute(sql)
        db.commit()
        db.close()
        return copy

    cases = {
        "payload": (tampered("payload", f"UPDATE events SET data = replace(data, '\"A1\"', '\"A2\"') "
                                        f"WHERE seq = {assigned}"), f"BROKEN at seq {assigned} (altered)"),
        "type": (tampered("type", f"UPDATE events SET name = 'unit.released' WHERE seq = {assigned}"),
                 f"BROKEN at seq {assigned} (altered)"),
        "time": (tampered("time", f"UPDATE events SET ts = '2026-01-01T00:00:00.000Z' WHERE seq = {assigned}"),
                 f"BROKEN at seq {assigned} (altered)"),
        "deleted": (tampered("deleted", f"DELETE FROM events WHERE seq = {assigned}"),
                    f"BROKEN at seq {assigned} (deleted)"),
        "swapped": (tampered("swapped", f"UPDATE events SET seq = -1 WHERE seq = {assigned}",
                             f"UPDATE events SET seq = {assigned} WHERE seq = {assigned + 1}",
                             f"UPDATE events SET seq = {assigned + 1} WHERE seq = -1"),
                    f"BROKEN at seq {assigned} (reordered): it was committed as seq {assigned + 1}"),
    }
    for what, (copy, named) in cases.items():
        code = main(["admin", "--db", str(copy), "verify"])  # in this process: the same CLI, faster
        out = capsys.readouterr().out
        assert code == 1, (what, out)
        assert named in out, (what, out)
    # The altered event is named with its command id, so the reviewer finds the seat's command.
    altered = verify(server_cli, cases["payload"][0])
    assert altered.returncode == 1
    assert f"command id {rows[assigned]['ref']}" in altered.stdout and "type unit.assigned" in altered.stdout


def test_the_admin_cli_cannot_delete_events_and_db_restore_brings_back_a_log_that_verifies(
    dispatch_server, server_cli, tmp_path
):
    dispatch_work(dispatch_server.client("seat-1"))
    backup = tmp_path / "backup.sqlite"
    assert server_cli("db", "--db", str(dispatch_server.db_path), "backup", str(backup)).returncode == 0
    dispatch_server.stop()

    refused = sqlite3.connect(dispatch_server.db_path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        refused.execute("DELETE FROM events")
    refused.close()

    restored = tmp_path / "restored.sqlite"
    done = server_cli("db", "--db", str(restored), "restore", str(backup))
    assert done.returncode == 0, done.stderr
    assert verify(server_cli, restored).returncode == 0


# ---------------------------------------------------------------------------- PostgreSQL


def test_two_instances_on_postgresql_write_one_chain_that_verifies_and_refuse_changes(
    start_server, pg_url, server_cli
):
    import psycopg

    server_a, server_b = start_server(db_url=pg_url), start_server(db_url=pg_url)
    seat_a, seat_b = server_a.client("seat-1"), server_b.client("seat-2")
    dispatch_work(seat_a, "A1")
    dispatch_work(seat_b, "A2")
    for n in range(4):  # the instances append in turn: each must chain onto the other's last event
        for seat in (seat_a, seat_b):
            reply = seat.command("incident.create", {"incident_id": str(uuid.uuid4()), "address": f"南岸区 {n} 号",
                                                     "patients": 1})
            assert reply["type"] == "ack", reply

    result = verify(server_cli, pg_url)
    assert result.returncode == 0, result.stdout + result.stderr
    with psycopg.connect(psycopg_url(pg_url)) as conn:
        last, head = conn.execute("SELECT seq, chain_hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        actors = {r[0] for r in conn.execute("SELECT DISTINCT actor_id FROM events")}
    assert {"seat-1", "seat-2"} <= actors
    assert f"events checked: {last} (seq 1–{last})" in result.stdout and f"head: {last}:{head}" in result.stdout

    with psycopg.connect(psycopg_url(pg_url)) as conn:
        for sql in ("UPDATE events SET name = 'x' WHERE seq = 2", "DELETE FROM events WHERE seq = 2",
                    "TRUNCATE events CASCADE"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
                conn.execute(sql)
            conn.rollback()


@pytest.mark.parametrize(("what", "statements", "named"), [
    ("payload", ["UPDATE events SET data = jsonb_set(data::jsonb, '{address}', '\"江北区\"')::json WHERE seq = 5"],
     "BROKEN at seq 5 (altered)"),
    ("deleted", ["DELETE FROM events WHERE seq = 5"], "BROKEN at seq 5 (deleted)"),
    ("swapped", ["UPDATE events SET seq = -1 WHERE seq = 5", "UPDATE events SET seq = 5 WHERE seq = 6",
                 "UPDATE events SET seq = 6 WHERE seq = -1"], "BROKEN at seq 5 (reordered): it was committed as seq 6"),
])
def test_a_postgresql_superuser_who_switches_the_guard_off_is_still_caught(pg_url, server_cli, what, statements,
                                                                           named):
    import psycopg

    from app.protocol import event
    from server_stub.store import Batch, EventStore

    store = EventStore(pg_url)
    try:
        for seq in range(1, 9, 2):
            store.commit(Batch(expected_seq=seq - 1, events=[
                event(seq=s, ts=f"2026-11-27T08:00:0{s}.000Z", name="incident.created",
                      actor={"id": "seat-1", "role": "seat"}, ref=f"cmd-{s}",
                      data={"incident_id": f"i{s}", "address": "渝中区", "patients": 1, "lat": 29.5 + s / 1000})
                for s in (seq, seq + 1)]))
    finally:
        store.close()
    assert verify(server_cli, pg_url).returncode == 0
    with psycopg.connect(psycopg_url(pg_url)) as conn:
        conn.execute("ALTER TABLE events DISABLE TRIGGER USER")
        for sql in statements:
            conn.execute(sql)
        conn.execute("ALTER TABLE events ENABLE TRIGGER USER")

    result = verify(server_cli, pg_url)

    assert result.returncode == 1, result.stdout + result.stderr
    assert named in result.stdout


def test_a_postgresql_log_from_before_the_chain_verifies_once_upgraded(pg_url, server_cli):
    import psycopg
    from alembic import command
    from sqlalchemy import create_engine

    engine = create_engine(pg_url)
    with engine.begin() as conn:
        command.upgrade(migrations.alembic_config(conn), "0002_command_fingerprint")
    engine.dispose()
    with psycopg.connect(psycopg_url(pg_url)) as conn:
        for seq in range(1, 5):
            conn.execute("INSERT INTO events (seq, ts, name, actor_id, actor_role, ref, data) VALUES "
                         "(%s, %s, 'call.queued', 'switch-1', 'switch', NULL, %s)",
                         (seq, f"2026-11-27T08:00:0{seq}.000Z", json.dumps({"call_id": f"c{seq}", "ani": "138"})))

    before = verify(server_cli, pg_url)
    assert before.returncode == 2 and "no hash chain yet" in before.stderr

    assert server_cli("db", "--db", pg_url, "upgrade").returncode == 0
    after = verify(server_cli, pg_url)
    assert after.returncode == 0, after.stdout + after.stderr
    assert "events checked: 4 (seq 1–4)" in after.stdout


def test_a_postgresql_log_restored_with_pg_restore_verifies_and_keeps_its_guard(pg_url, postgres_cluster, server_cli,
                                                                               tmp_path):
    import subprocess

    import psycopg

    from app.protocol import event
    from server_stub.store import Batch, EventStore
    from tests.services import postgres_bin

    store = EventStore(pg_url)
    try:
        store.commit(Batch(expected_seq=0, events=[
            event(seq=s, ts=f"2026-11-27T08:00:0{s}.000Z", name="call.queued", actor={"id": "switch-1", "role": "switch"},
                  ref=None, data={"call_id": f"c{s}", "line": "120-01"}) for s in range(1, 6)]))
    finally:
        store.close()
    dump, bindir = tmp_path / "dispatch120.dump", postgres_bin()
    subprocess.run([str(bindir / "pg_dump"), "-Fc", "-f", str(dump), psycopg_url(pg_url)], check=True, timeout=60)
    restored = postgres_cluster.create_database()
    subprocess.run([str(bindir / "pg_restore"), "--no-owner", "-d", psycopg_url(restored), str(dump)], check=True,
                   timeout=60)

    result = verify(server_cli, restored)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "events checked: 5 (seq 1–5)" in result.stdout
    with psycopg.connect(psycopg_url(restored)) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("DELETE FROM events WHERE seq = 5")
