"""The centre's database across server updates: Alembic revisions, run at every start.

An operator updates dispatch120-server on a centre that has years of events: the
new server must keep them (adopt the file, never recreate it), and an older server
started by mistake on a newer file must refuse it without touching it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

from app.protocol import event
from server_stub import migrations
from server_stub.__main__ import EXIT_DATABASE_NEWER, main
from server_stub.schema import metadata
from server_stub.store import Batch, DatabaseNewerError, EventStore, SchemaVersionError
from tests.pre_migration_db import ADMIN_INIT_TABLES, OLD_DDL, make_pre_migration_db, normalise_sql

TS = "2026-11-27T08:00:00.000Z"


def a_call(seq: int) -> dict:
    return event(seq=seq, ts=TS, name="call.queued", actor={"id": "switch-1", "role": "switch"}, ref=None,
                 data={"call_id": f"c{seq}"})


def schema_of(path: Path) -> dict[str, str]:
    db = sqlite3.connect(path)
    try:
        rows = db.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'")
        return {name: normalise_sql(sql) for name, sql in rows}
    finally:
        db.close()


def revision_of(path: Path) -> list[str]:
    db = sqlite3.connect(path)
    try:
        return [row[0] for row in db.execute("SELECT version_num FROM alembic_version")]
    finally:
        db.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def a_centre_with_history(path: Path) -> None:
    """A pre-migration database of a centre that has worked: a seat's credential and three calls."""
    make_pre_migration_db(path)
    db = sqlite3.connect(path)
    db.execute("INSERT INTO principals VALUES ('seat-1', 'seat', '一号席', NULL, ?, 0, ?)", ("a" * 64, TS))
    for seq in (1, 2, 3):
        db.execute("INSERT INTO events(seq, ts, name, actor_id, actor_role, ref, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (seq, TS, "call.queued", "switch-1", "switch", None, f'{{"call_id":"c{seq}"}}'))
    db.execute("INSERT INTO strips(strip_id, unit_id, incident_id, channel, start, seconds, period_ms, factor, "
               "origin, unit, samples, reason, alarm_code, created_at) "
               "VALUES ('s1', 'A1', 'i1', 'II', ?, 1, 2, 1, 0, 'uV', x'5b315d', 'alarm', NULL, ?)", (TS, TS))
    db.commit()
    db.close()


def test_the_baseline_revision_makes_exactly_the_schema_the_server_made_before_migrations(tmp_path):
    from alembic import command

    engine = create_engine(f"sqlite:///{tmp_path / 'new.sqlite'}")
    try:
        with engine.begin() as conn:
            command.upgrade(migrations.alembic_config(conn), "0001_baseline")
    finally:
        engine.dispose()

    new = schema_of(tmp_path / "new.sqlite")
    assert new.pop("alembic_version").startswith("CREATE TABLE alembic_version")
    assert new == {name: normalise_sql(sql) for name, sql in OLD_DDL.items()}
    assert revision_of(tmp_path / "new.sqlite") == ["0001_baseline"]


def test_a_new_database_is_at_the_head_revision_with_every_later_column(tmp_path):
    EventStore(tmp_path / "new.sqlite").close()
    new = schema_of(tmp_path / "new.sqlite")
    assert "fingerprint" in new["commands"]
    assert revision_of(tmp_path / "new.sqlite") == [migrations.head_revision()]


def test_the_tables_in_code_are_the_tables_the_migrations_make(tmp_path):
    """A column added in server_stub/schema.py without a revision fails here."""
    EventStore(tmp_path / "log.sqlite").close()
    engine = create_engine(f"sqlite:///{tmp_path / 'log.sqlite'}")
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_a_centre_database_made_before_migrations_is_adopted_with_its_events(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="server_stub.migrations")
    path = tmp_path / "events.sqlite"
    a_centre_with_history(path)

    store = EventStore(path)

    assert store.schema.adopted and store.schema.to_revision == migrations.head_revision()
    assert [e["data"]["call_id"] for e in store.read_events(0)] == ["c1", "c2", "c3"]
    assert store.principal("seat-1").name == "一号席"
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT strip_id FROM strips").scalars().all() == ["s1"]
    # It goes on working: the log continues after seq 3 (AUTOINCREMENT kept).
    store.commit(Batch(expected_seq=3, events=[a_call(4)]))
    assert store.max_seq() == 4
    store.close()
    assert revision_of(path) == [migrations.head_revision()]
    assert "made before schema migrations; adopted at 0001_baseline" in caplog.text


def test_a_database_that_only_admin_init_made_gets_the_missing_tables(tmp_path):
    path = tmp_path / "events.sqlite"
    make_pre_migration_db(path, names=ADMIN_INIT_TABLES)
    EventStore(path).close()
    made = schema_of(path)
    assert {"strips", "prenotifications", "caller_link_tokens", "caller_media", "ix_caller_media_call_id"} <= set(made)


def test_opening_twice_changes_nothing_the_second_time(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="server_stub.migrations")
    EventStore(tmp_path / "log.sqlite").close()
    before = schema_of(tmp_path / "log.sqlite")
    store = EventStore(tmp_path / "log.sqlite")
    assert (store.schema.from_revision, store.schema.created, store.schema.adopted) == (
        migrations.head_revision(), False, False)
    store.close()
    assert schema_of(tmp_path / "log.sqlite") == before
    assert "nothing to upgrade" in caplog.text


def a_newer_servers_database(path: Path) -> None:
    EventStore(path).close()
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE shift_handover (id TEXT PRIMARY KEY)")  # what the newer revision added
    db.execute("UPDATE alembic_version SET version_num = '0042_shift_handover'")
    db.commit()
    db.close()


def test_an_older_server_refuses_a_database_a_newer_server_wrote_and_never_touches_it(tmp_path):
    path = tmp_path / "events.sqlite"
    a_newer_servers_database(path)
    before = digest(path)

    with pytest.raises(DatabaseNewerError) as refused:
        EventStore(path)

    assert "0042_shift_handover" in str(refused.value) and "newer dispatch120-server" in str(refused.value)
    assert digest(path) == before


@pytest.mark.parametrize("problem", ["meta says another version", "table of another shape", "not our file"])
def test_a_file_that_is_not_a_baseline_database_is_refused_and_nothing_is_created(tmp_path, problem):
    path = tmp_path / "events.sqlite"
    if problem == "not our file":
        db = sqlite3.connect(path)
        db.execute("CREATE TABLE photos (id INTEGER)")
    else:
        make_pre_migration_db(path, names=ADMIN_INIT_TABLES)
        db = sqlite3.connect(path)
        if problem == "meta says another version":
            db.execute("UPDATE meta SET value = '99'")
        else:
            db.execute("CREATE TABLE strips (strip_id TEXT PRIMARY KEY, samples_v2 BLOB)")
    db.commit()
    db.close()
    before = schema_of(path)

    with pytest.raises(SchemaVersionError):
        EventStore(path)

    assert schema_of(path) == before  # one transaction: the tables the baseline had made are gone again


def test_db_current_upgrade_and_history_on_the_command_line(tmp_path, capsys):
    path = tmp_path / "events.sqlite"
    a_centre_with_history(path)
    head = migrations.head_revision()

    assert main(["db", "--db", str(path), "current"]) == 0
    assert "no revision (made before schema migrations)" in capsys.readouterr().out
    assert main(["db", "--db", str(path), "upgrade"]) == 0
    assert f"(made before schema migrations) → {head}" in capsys.readouterr().out
    assert main(["db", "--db", str(path), "current"]) == 0
    assert f"revision {head} (newest)" in capsys.readouterr().out
    assert main(["db", "--db", str(path), "history"]) == 0
    assert f"{migrations.BASELINE}  Baseline" in capsys.readouterr().out
    store = EventStore(path)
    assert store.max_seq() == 3
    store.close()


def test_db_current_reads_only_and_says_when_a_newer_server_wrote_the_file(tmp_path, capsys):
    missing = tmp_path / "nothing-here.sqlite"
    assert main(["db", "--db", str(missing), "current"]) == 1
    assert not missing.exists()

    path = tmp_path / "events.sqlite"
    a_newer_servers_database(path)
    before = digest(path)
    assert main(["db", "--db", str(path), "current"]) == EXIT_DATABASE_NEWER
    assert "unknown to this server" in capsys.readouterr().out
    assert main(["db", "--db", str(path), "upgrade"]) == EXIT_DATABASE_NEWER
    assert "written by a newer dispatch120-server" in capsys.readouterr().err
    assert digest(path) == before


def test_the_migration_scripts_are_found_from_an_installed_copy_of_the_package(tmp_path):
    """No alembic.ini, no working directory: the scripts are located from the package itself."""
    site = tmp_path / "site"
    shutil.copytree(Path(migrations.__file__).parents[1], site / "server_stub",
                    ignore=shutil.ignore_patterns("__pycache__"))
    app_dir = Path(__file__).resolve().parents[2] / "app"
    (site / "app").symlink_to(app_dir, target_is_directory=True)
    code = ("import server_stub.migrations as m, sys; "
            "assert m.SCRIPT_DIR.is_relative_to(sys.argv[1]), m.SCRIPT_DIR; print(m.head_revision())")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": str(site)}
    result = subprocess.run([sys.executable, "-c", code, str(site)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == migrations.head_revision()


def test_the_migrations_also_speak_postgresql(capsys):
    """The SQL a PostgreSQL administrator gets (offline mode, no server needed): every revision
    compiles for PostgreSQL with generic types, none of SQLite's own."""
    from alembic import command

    command.upgrade(migrations.alembic_config(url="postgresql://dispatch@localhost/centre"), "head", sql=True)
    sql = capsys.readouterr().out
    assert "CREATE TABLE events (\n    seq SERIAL NOT NULL" in sql
    assert "package BYTEA NOT NULL" in sql and "data JSON NOT NULL" in sql
    assert "AUTOINCREMENT" not in sql and "BLOB" not in sql
    assert f"INSERT INTO alembic_version (version_num) VALUES ('{migrations.BASELINE}')" in sql
