"""The seat's journal across upgrades and downgrades: unsent commands are never stranded.

A seat updated while commands wait in its outbox (the network was down) must send
them after the update; a seat rolled back to an older release must still start,
take calls, and still send what the newer release had queued.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3

import orjson
import pytest

from app.protocol import event
from app.seat import journal as journal_module
from app.seat.journal import IDENTITY_CHANGED, MIGRATIONS, PENDING, SCHEMA_VERSION, SENT, Journal

URL = "ws://centre:8120/ws"
INCIDENT = "6f1c1d7e-3b7a-4c55-9a51-0a4e2b1f9c01"

# The journal exactly as the first release (version 1) created it: its DDL, copied from that code.
V1_DDL = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT
);
CREATE TABLE IF NOT EXISTS outbox (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    command_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    args TEXT NOT NULL,
    created_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'pending'
);
CREATE TABLE IF NOT EXISTS rejected (
    command_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    args TEXT NOT NULL,
    created_at TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    rejected_at TEXT NOT NULL,
    code TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    message TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS snapshot (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    message TEXT NOT NULL
);
"""

# What a dispatcher typed while the server was unreachable, oldest first: (id, name, args).
TYPED = [
    ("c-1", "seat.set_ready", {"ready": True}),
    ("c-2", "incident.create", {"incident_id": INCIDENT, "address": "解放碑步行街"}),
    ("c-3", "incident.update", {"incident_id": INCIDENT, "address": "解放碑步行街 3 号"}),
    ("c-4", "seat.set_ready", {"ready": False}),
]


def _event(seq: int) -> dict:
    return event(seq=seq, ts=f"2026-11-27T10:00:{seq:02d}.000Z", name="seat.state_changed",
                 actor={"id": "seat-1", "role": "seat"}, ref=None, data={"seat_id": "seat-1", "state": "ready"})


def make_v1_journal(path) -> None:
    """A journal left by a version-1 seat: bound to a server, events seen, four commands unsent
    (the first sent twice without an ack), one refused and not yet seen by the dispatcher."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(V1_DDL)
    db.execute("PRAGMA user_version=1")
    for key, value in (("server_url", URL), ("principal_id", "seat-1"), ("last_seq", 2)):
        db.execute("INSERT INTO meta(key, value) VALUES (?, ?)", (key, orjson.dumps(value).decode()))
    for seq in (1, 2):
        db.execute("INSERT INTO events(seq, message) VALUES (?, ?)", (seq, orjson.dumps(_event(seq)).decode()))
    for cid, name, args in TYPED:  # the INSERT of version 1's add_command (same ms: typed in one burst)
        db.execute("INSERT INTO outbox(command_id, name, args, created_at) VALUES (?, ?, ?, ?)",
                   (cid, name, orjson.dumps(args).decode(), "2026-11-27T10:00:03.000Z"))
    db.execute("UPDATE outbox SET attempts = 2, state = 'sent' WHERE command_id = 'c-1'")
    db.execute("INSERT INTO rejected VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
               ("r-1", "unit.assign", orjson.dumps({"incident_id": INCIDENT, "unit_id": "A1"}).decode(),
                "2026-11-27T09:59:00.000Z", 1, "2026-11-27T09:59:01.000Z", "unit_busy", "A1 is busy"))
    db.close()


def user_version(path) -> int:
    db = sqlite3.connect(path)
    try:
        return db.execute("PRAGMA user_version").fetchone()[0]
    finally:
        db.close()


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_first_migration_step_still_makes_exactly_the_version_1_journal(tmp_path):
    """Shipped steps are never edited: step 0 → 1 builds what version-1 seats built."""
    by_steps = sqlite3.connect(tmp_path / "steps.sqlite")
    for statement in MIGRATIONS[0]:
        by_steps.execute(statement)
    by_v1 = sqlite3.connect(tmp_path / "v1.sqlite")
    by_v1.executescript(V1_DDL)

    def shape(db):
        return {name: db.execute(f"PRAGMA table_info({name})").fetchall()
                for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}

    assert shape(by_steps) == shape(by_v1)


def test_a_seat_updated_with_unsent_commands_keeps_them_in_order_and_sends_them_after(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="app.seat.journal")
    path = tmp_path / "journal.sqlite"
    make_v1_journal(path)

    journal = Journal(path)

    assert journal.moved_aside is None and journal.carried_over == 0
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(("-wal", "-shm"))) == ["journal.sqlite"]
    assert user_version(path) == SCHEMA_VERSION == 2
    pending = journal.pending()
    assert [(c.command_id, c.name, c.args) for c in pending] == TYPED
    assert [(c.attempts, c.state) for c in pending] == [(2, SENT), (0, PENDING), (0, PENDING), (0, PENDING)]
    [refused] = journal.rejected()
    assert (refused.command_id, refused.code, refused.message) == ("r-1", "unit_busy", "A1 is busy")
    # Still bound to the same server and seat, with what it saw: no snapshot needed, nothing stranded.
    assert journal.bind_server(URL) is False and journal.bind_principal("seat-1") is False
    assert journal.last_seq == 2 and [m["seq"] for m in journal.replay()] == [1, 2]
    assert "upgraded from version 1 to 2; 4 unsent command(s) kept" in caplog.text
    # The upgraded journal works: a new command queues behind the old ones, an ack removes one.
    journal.add_command("seat.set_ready", {"ready": True}, command_id="c-5")
    assert journal.mark_acked("c-1") is True
    assert [c.command_id for c in journal.pending()] == ["c-2", "c-3", "c-4", "c-5"]
    journal.close()
    assert [c.command_id for c in Journal(path).pending()] == ["c-2", "c-3", "c-4", "c-5"]


@pytest.mark.parametrize("start", range(1, SCHEMA_VERSION))
def test_every_upgrade_step_carries_the_outbox(tmp_path, start):
    """From every older version (built by the steps that version shipped) to this one."""
    path = tmp_path / "journal.sqlite"
    db = sqlite3.connect(path, isolation_level=None)
    for step in MIGRATIONS[:start]:
        if callable(step):
            step(db)
        else:
            for statement in step:
                db.execute(statement)
    db.execute(f"PRAGMA user_version={start}")
    for cid, name, args in TYPED:
        db.execute("INSERT INTO outbox(command_id, name, args, created_at) VALUES (?, ?, ?, ?)",
                   (cid, name, orjson.dumps(args).decode(), "2026-11-27T10:00:03.000Z"))
    db.close()

    journal = Journal(path)

    assert journal.moved_aside is None
    assert [(c.command_id, c.name, c.args) for c in journal.pending()] == TYPED


def test_commands_stranded_by_a_server_change_are_listed_in_the_order_they_were_typed(tmp_path):
    journal = Journal(tmp_path / "journal.sqlite")
    journal.bind_server(URL)
    for cid, name, args in TYPED:
        journal.add_command(name, args, command_id=cid)
    journal.bind_server("ws://training:1/ws")
    stranded = journal.rejected()
    assert [c.command_id for c in stranded] == [cid for cid, _, _ in TYPED]
    assert {c.code for c in stranded} == {IDENTITY_CHANGED}


def make_newer_journal(path, *, outbox_understood: bool = True) -> None:
    """A journal a newer seat (version 3) left behind, with a column and a table this seat does not know."""
    journal = Journal(path)
    journal.bind_server(URL)
    journal.bind_principal("seat-1")
    journal.record_events([_event(1)])
    for cid, name, args in TYPED:
        journal.add_command(name, args, command_id=cid)
    journal.mark_sent("c-1")
    journal.add_command("unit.assign", {"incident_id": INCIDENT, "unit_id": "A1"}, command_id="r-1")
    journal.mark_rejected("r-1", "unit_busy", "A1 is busy")
    journal.close()
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 0")
    db.execute("CREATE TABLE drafts (id TEXT PRIMARY KEY, form TEXT NOT NULL)")
    if not outbox_understood:
        db.execute("ALTER TABLE outbox RENAME COLUMN args TO arguments")
    db.execute("PRAGMA user_version=3")
    db.close()


def test_a_seat_rolled_back_after_an_update_starts_and_still_sends_what_the_newer_seat_queued(tmp_path, caplog):
    path = tmp_path / "journal.sqlite"
    make_newer_journal(path)
    before = digest(path)

    journal = Journal(path)

    # The newer journal is kept, byte for byte, for the newer release or for support …
    assert journal.moved_aside is not None and ".newer-v3-" in journal.moved_aside.name
    assert digest(journal.moved_aside) == before and user_version(journal.moved_aside) == 3
    # … and what it had not sent is in this seat's fresh journal, in order, under the same ids.
    pending = journal.pending()
    assert [(c.command_id, c.name, c.args) for c in pending] == TYPED
    assert (pending[0].attempts, pending[0].state) == (1, SENT)
    assert [(r.command_id, r.code) for r in journal.rejected()] == [("r-1", "unit_busy")]
    assert journal.carried_over == 5
    assert journal.last_seq is None  # events are not carried: the seat asks for a snapshot
    assert user_version(path) == SCHEMA_VERSION
    assert "carried 4 unsent and 1 rejected command(s)" in caplog.text
    # The commands stay bound to the server they were typed for.
    assert journal.bind_server(URL) is False
    assert journal.bind_server("ws://training:1/ws") is True
    assert {r.command_id for r in journal.rejected()} == {"r-1", "c-1", "c-2", "c-3", "c-4"}


def test_a_newer_journal_whose_outbox_this_seat_cannot_read_is_kept_and_the_seat_starts_empty(tmp_path, caplog):
    path = tmp_path / "journal.sqlite"
    make_newer_journal(path, outbox_understood=False)
    before = digest(path)

    journal = Journal(path)

    assert journal.moved_aside is not None and digest(journal.moved_aside) == before
    assert journal.carried_over == 0 and journal.pending() == []
    journal.add_command("seat.set_ready", {"ready": True})  # the seat takes calls
    assert journal.pending_count() == 1
    assert "written by a newer dispatch120" in caplog.text


def test_an_upgrade_that_fails_changes_nothing_in_the_old_journal_and_its_commands_are_carried(
        tmp_path, monkeypatch, caplog):
    path = tmp_path / "journal.sqlite"
    make_v1_journal(path)
    before = digest(path)

    def broken_step(db: sqlite3.Connection) -> None:
        db.execute("ALTER TABLE outbox ADD COLUMN half_done INTEGER")
        if db.execute("SELECT count(*) FROM outbox").fetchone()[0]:  # a bug that only shows with data
            raise sqlite3.IntegrityError("the step failed on a real row")

    monkeypatch.setattr(journal_module, "MIGRATIONS", (*MIGRATIONS, broken_step))
    monkeypatch.setattr(journal_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)

    journal = Journal(path)

    assert journal.moved_aside is not None and digest(journal.moved_aside) == before
    assert user_version(journal.moved_aside) == 1  # rolled back: not half-upgraded
    assert [(c.command_id, c.args) for c in journal.pending()] == [(cid, args) for cid, _, args in TYPED]
    assert "upgrade from journal version 1" in caplog.text
