"""The seat's journal: commands survive restarts, acked ones leave, rejected ones are kept."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from app.protocol import ErrorCode, ProtocolError, event, snapshot
from app.seat.journal import IDENTITY_CHANGED, SENT, Journal

INCIDENT = "6f1c1d7e-3b7a-4c55-9a51-0a4e2b1f9c01"


def _event(seq: int, seat: str = "seat-1", state: str = "ready") -> dict:
    return event(
        seq=seq,
        ts=f"2026-11-27T10:00:{seq % 60:02d}.000Z",
        name="seat.state_changed",
        actor={"id": seat, "role": "seat"},
        ref=None,
        data={"seat_id": seat, "state": state},
    )


def test_command_written_while_offline_is_still_pending_after_restart(tmp_path):
    path = tmp_path / "journal.sqlite"
    journal = Journal(path)
    first = journal.add_command("seat.set_ready", {"ready": True})
    second = journal.add_command("incident.create", {"incident_id": INCIDENT, "address": "解放碑"})
    journal.close()

    reopened = Journal(path)
    pending = reopened.pending()
    assert [c.command_id for c in pending] == [first, second]
    assert pending[1].args == {"incident_id": INCIDENT, "address": "解放碑"}
    assert pending[0].attempts == 0
    assert reopened.pending_count() == 2
    assert reopened.moved_aside is None


def test_acked_command_leaves_the_outbox_for_good(tmp_path):
    path = tmp_path / "journal.sqlite"
    journal = Journal(path)
    cid = journal.add_command("seat.set_ready", {"ready": True})
    assert journal.mark_sent(cid) == 1
    assert journal.pending()[0].state == SENT
    assert journal.mark_acked(cid) is True
    assert journal.mark_acked(cid) is False  # a duplicate ack changes nothing
    journal.close()

    assert Journal(path).pending() == []


def test_rejected_command_is_kept_for_the_dispatcher_until_dismissed(tmp_path):
    path = tmp_path / "journal.sqlite"
    journal = Journal(path)
    keep = journal.add_command("seat.set_ready", {"ready": False})
    refused = journal.add_command("unit.assign", {"incident_id": INCIDENT, "unit_id": "A1"})
    journal.mark_rejected(refused, ErrorCode.UNIT_BUSY, "A1 is already on another incident")
    journal.close()

    reopened = Journal(path)
    assert [c.command_id for c in reopened.pending()] == [keep]
    [rejected] = reopened.rejected()
    assert (rejected.command_id, rejected.code, rejected.name) == (refused, "unit_busy", "unit.assign")
    assert rejected.args == {"incident_id": INCIDENT, "unit_id": "A1"}
    assert rejected.message == "A1 is already on another incident"
    assert reopened.dismiss_rejected(refused) is True
    assert reopened.rejected() == []


def test_invalid_command_is_refused_at_once_and_nothing_is_written(tmp_path):
    journal = Journal(tmp_path / "journal.sqlite")
    with pytest.raises(ProtocolError) as bad_args:
        journal.add_command("incident.create", {"incident_id": INCIDENT, "patients": 0})
    assert bad_args.value.code == ErrorCode.INVALID_ARGS
    with pytest.raises(ProtocolError) as unknown:
        journal.add_command("unit.teleport", {})
    assert unknown.value.code == ErrorCode.UNKNOWN_COMMAND
    assert journal.pending_count() == 0


def test_a_command_id_cannot_be_used_twice(tmp_path):
    journal = Journal(tmp_path / "journal.sqlite")
    cid = journal.add_command("seat.set_ready", {"ready": True})
    with pytest.raises(ProtocolError) as again:
        journal.add_command("seat.set_ready", {"ready": False}, command_id=cid)
    assert again.value.code == ErrorCode.CONFLICT
    assert [c.args for c in journal.pending()] == [{"ready": True}]


def test_events_seen_rebuild_the_state_at_start_up_while_offline(tmp_path):
    path = tmp_path / "journal.sqlite"
    journal = Journal(path)
    assert journal.last_seq is None
    journal.reset_for_snapshot(snapshot(seq=10, state={"seq": 10, "seats": {}}))
    assert journal.record_events([_event(11), _event(12, state="not_ready")]) == 2
    assert journal.record_events([_event(12, state="not_ready")]) == 0  # overlap of a replay
    journal.close()

    reopened = Journal(path)
    assert reopened.last_seq == 12
    replay = reopened.replay()
    assert [m["type"] for m in replay] == ["snapshot", "event", "event"]
    assert [m["seq"] for m in replay] == [10, 11, 12]


def test_a_snapshot_replaces_older_events(tmp_path):
    journal = Journal(tmp_path / "journal.sqlite")
    journal.record_events([_event(1), _event(2)])
    journal.reset_for_snapshot(snapshot(seq=40, state={"seq": 40}))
    assert journal.load_events() == []
    assert journal.last_seq == 40
    assert journal.load_snapshot()["seq"] == 40


def test_corrupt_journal_is_moved_aside_and_a_fresh_one_started(tmp_path, caplog):
    path = tmp_path / "journal.sqlite"
    path.write_bytes(b"this is not a database, it was cut off by a power failure" * 100)
    (tmp_path / "journal.sqlite-wal").write_bytes(b"stale wal")

    journal = Journal(path)

    assert journal.moved_aside is not None and journal.moved_aside.exists()
    assert journal.moved_aside.read_bytes().startswith(b"this is not a database")
    assert journal.moved_aside.with_name(journal.moved_aside.name + "-wal").exists()
    assert journal.pending() == [] and journal.last_seq is None
    journal.add_command("seat.set_ready", {"ready": True})  # the fresh journal works
    assert journal.pending_count() == 1
    assert "moving it aside" in caplog.text


def test_a_foreign_sqlite_file_is_not_mistaken_for_a_journal(tmp_path):
    path = tmp_path / "journal.sqlite"
    other = sqlite3.connect(path)
    other.execute("CREATE TABLE photos (id INTEGER)")
    other.commit()
    other.close()

    journal = Journal(path)

    assert journal.moved_aside is not None
    assert journal.pending() == []


def test_new_server_url_forgets_events_and_keeps_unsent_commands_visible(tmp_path):
    journal = Journal(tmp_path / "journal.sqlite")
    assert journal.bind_server("ws://training:1/ws") is False  # first binding
    journal.record_events([_event(1)])
    cid = journal.add_command("seat.set_ready", {"ready": True})

    assert journal.bind_server("ws://training:1/ws") is False
    assert journal.bind_server("ws://real-centre:8765/ws") is True

    assert journal.last_seq is None and journal.replay() == []
    assert journal.pending() == []  # never sent to a server it was not typed for …
    [stranded] = journal.rejected()  # … but never lost either
    assert (stranded.command_id, stranded.code) == (cid, IDENTITY_CHANGED)


def test_new_principal_forgets_events(tmp_path):
    journal = Journal(tmp_path / "journal.sqlite")
    journal.bind_principal("seat-1")
    journal.record_events([_event(5)])
    assert journal.bind_principal("seat-1") is False
    assert journal.last_seq == 5
    assert journal.bind_principal("seat-9") is True
    assert journal.last_seq is None


def test_compaction_folds_events_into_a_snapshot_with_the_same_state(tmp_path):
    from app.domain.state import State

    journal = Journal(tmp_path / "journal.sqlite")
    events = [_event(seq, state="ready" if seq % 2 else "not_ready") for seq in range(1, 31)]
    journal.record_events(events)
    expected = State()
    for ev in events:
        expected.apply(ev)

    assert journal.compact(max_events=100) is False
    assert journal.compact(max_events=10) is True

    replay = journal.replay()
    assert [m["type"] for m in replay] == ["snapshot"]
    rebuilt = State.from_dict(replay[0]["state"])
    assert rebuilt.to_dict() == expected.to_dict()
    assert journal.last_seq == 30


def test_gui_and_sync_threads_can_use_the_journal_at_once(tmp_path):
    journal = Journal(tmp_path / "journal.sqlite")
    errors: list[BaseException] = []
    acked: list[str] = []

    def gui():
        try:
            for _ in range(50):
                journal.add_command("seat.set_ready", {"ready": True})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def sync():
        try:
            for seq in range(1, 51):
                journal.record_events([_event(seq)])
                for cmd in journal.pending()[:1]:
                    if journal.mark_acked(cmd.command_id):
                        acked.append(cmd.command_id)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=gui), threading.Thread(target=sync)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert journal.last_seq == 50
    assert journal.pending_count() + len(acked) == 50  # every command either acked or still pending
    assert len(journal.load_events()) == 50
