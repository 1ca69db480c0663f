"""Updating the server of a working centre: the real process on a database the old release made.

The database is built with the DDL the server used before migrations (``create_all``),
holding the centre's registry events and credentials; the new server adopts it, keeps
every event, and serves them to a seat that reconnects.
"""

from __future__ import annotations

import hashlib
import sqlite3

from tests.integration.conftest import ServerProcess
from tests.pre_migration_db import ADMIN_INIT_TABLES, make_pre_migration_db

BASELINE = "0001_baseline"


def test_the_updated_server_adopts_the_old_database_and_a_seat_gets_every_event(tmp_path, registry_template):
    old = tmp_path / "events.sqlite"
    # As `admin import` of the previous release left it: event log tables only, no alembic_version.
    make_pre_migration_db(old, names=ADMIN_INIT_TABLES, copy_from=registry_template.db_path)
    db = sqlite3.connect(old)
    history = db.execute("SELECT seq, name FROM events ORDER BY seq").fetchall()
    db.close()
    assert history, "the registry import wrote events"

    server = ServerProcess(tmp_path, old, dict(registry_template.tokens), 15.0, [])
    try:
        server.start()
        seat = server.client("seat-1", last_seq=0)  # a seat that saw nothing: everything is replayed …
        replayed = [(m["seq"], m["name"]) for m in seat.sync_messages]
        assert replayed[:len(history)] == history
        assert all(seq > history[-1][0] for seq, _ in replayed[len(history):])  # … then its own going online
        log = server.log_path.read_text(encoding="utf-8")
        assert f"made before schema migrations; adopted at {BASELINE}" in log
        assert server.db_count("strips") == 0 and server.db_count("caller_media") == 0  # the missing tables
        assert server.stop() == 0
    finally:
        server.close()
    db = sqlite3.connect(old)
    assert db.execute("SELECT version_num FROM alembic_version").fetchall() != []
    assert db.execute("SELECT seq, name FROM events ORDER BY seq").fetchall()[:len(history)] == history
    db.close()


def test_an_older_server_started_on_a_newer_database_exits_with_code_3_and_leaves_it_alone(tmp_path, server_cli):
    path = tmp_path / "events.sqlite"
    make_pre_migration_db(path)
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
    db.execute("INSERT INTO alembic_version VALUES ('0042_shift_handover')")
    db.commit()
    db.close()
    before = hashlib.sha256(path.read_bytes()).hexdigest()

    result = server_cli("serve", "--db", path, "--port", "0", "--log-file", tmp_path / "server.log")

    assert result.returncode == 3
    assert "refusing to start" in result.stderr and "0042_shift_handover" in result.stderr
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
