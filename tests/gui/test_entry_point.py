"""``dispatch120``: credentials, a clear refusal without a token, and training mode end to end."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from app import secrets
from app.__main__ import StartupFailed, build_parser, main, seat_session
from app.domain.model import SeatState
from app.seat.store import Link

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def isolated_settings(tmp_path, monkeypatch):
    """Settings files of this test only (no machine or user file of the developer's)."""
    user = tmp_path / "user.toml"
    user.write_text(f'log_dir = "{tmp_path / "logs"}"\njournal_path = "{tmp_path / "journal.sqlite"}"\n',
                    encoding="utf-8")
    monkeypatch.setenv("DISPATCH120_MACHINE_CONFIG", str(tmp_path / "no-machine.toml"))
    monkeypatch.setenv("DISPATCH120_USER_CONFIG", str(user))
    secrets.use_memory_backend()
    return tmp_path


def test_credentials_set_reads_the_token_from_stdin_and_keeps_it_in_the_keyring(isolated_settings, monkeypatch,
                                                                                 capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret-token-value\n"))

    assert main(["credentials", "set", "--seat-id", "seat-9"]) == 0

    assert secrets.get_token("seat-9") == "s3cret-token-value"
    out = capsys.readouterr().out
    assert "stored" in out and "s3cret" not in out
    assert main(["credentials", "delete", "--seat-id", "seat-9"]) == 0
    assert secrets.get_token("seat-9") is None


def test_credentials_set_refuses_an_empty_token(isolated_settings, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))

    assert main(["credentials", "set", "--seat-id", "seat-9"]) == 2

    assert "empty" in capsys.readouterr().err
    assert secrets.get_token("seat-9") is None


def test_without_a_token_the_seat_explains_how_to_store_one_instead_of_crashing(isolated_settings, monkeypatch,
                                                                                 caplog):
    shown = []
    monkeypatch.setattr("widgets.seat_app.show_startup_problem",
                        lambda problem, **kw: shown.append((problem, kw)))  # the modal dialog, at the edge
    args = build_parser().parse_args(["--seat-id", "seat-9", "--language", "en"])

    with pytest.raises(StartupFailed) as failed, seat_session(args):
        pass

    assert failed.value.code == 2
    [(problem, details)] = shown
    assert problem == "no_token" and details["seat_id"] == "seat-9"
    assert any("dispatch120 credentials set --seat-id seat-9" in r.getMessage() for r in caplog.records)


def test_sim_subcommand_is_delegated_to_the_simulation(capsys):
    assert main(["sim", "check", str(ROOT / "resources" / "scenarios" / "demo.yaml")]) == 0
    assert "calls over" in capsys.readouterr().out


@pytest.mark.integration
@pytest.mark.timeout(90)
def test_simulate_runs_a_training_centre_and_stops_it_with_the_seat(isolated_settings, qtbot):
    args = build_parser().parse_args(["--simulate", "--language", "en", "--time-scale", "5"])

    with seat_session(args) as runtime:
        training = runtime.training
        window = runtime.window
        qtbot.waitUntil(lambda: runtime.store.connection.link == Link.ONLINE, timeout=30_000)
        assert window.banner.training_label.isVisible()
        assert "TRAINING" in window.windowTitle()
        # The seat logs in for real: the training server knows it as a seat, not ready yet.
        qtbot.waitUntil(lambda: runtime.store.seat_id == training.seat_id, timeout=10_000)
        window.ready_action.trigger()
        qtbot.waitUntil(lambda: runtime.store.state.seats[training.seat_id]["state"] != SeatState.NOT_READY,
                        timeout=10_000)
        assert training.running
        server_pid = training.server_pid
        window.close()

    assert not training.running
    if server_pid:
        with pytest.raises(ProcessLookupError):
            os.kill(server_pid, 0)


def test_an_offline_start_shows_what_the_journal_saw_and_says_offline(isolated_settings, qtbot):
    import socket

    from app.protocol import event
    from app.seat.journal import Journal

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        url = f"ws://127.0.0.1:{probe.getsockname()[1]}/ws"
    journal = Journal(isolated_settings / "journal.sqlite")
    journal.bind_server(url)
    journal.bind_principal("seat-9")
    actor = {"id": "server", "role": "admin"}
    journal.record_events([
        event(seq=1, ts="2026-11-27T01:00:00.000Z", name="unit.registered", actor=actor, ref=None,
              data={"unit_id": "u1", "call_sign": "渝A1", "station_id": None, "capability": "als"}),
        event(seq=2, ts="2026-11-27T01:00:01.000Z", name="call.received", actor=actor, ref=None,
              data={"call_id": "c1", "caller_number": "13800138000"}),
        event(seq=3, ts="2026-11-27T01:00:02.000Z", name="call.answered", actor=actor, ref=None,
              data={"call_id": "c1", "seat_id": "seat-9"}),
    ])
    journal.close()
    secrets.set_token("seat-9", "a-token-for-seat-9")
    args = build_parser().parse_args(["--seat-id", "seat-9", "--server-url", url, "--language", "en"])

    with seat_session(args) as runtime:
        window = runtime.window
        assert window.board.status_shown("u1") == "Available"
        assert "13800138000" in window.call_panel.my_calls.item(0).text()
        qtbot.waitUntil(lambda: runtime.store.connection.link == Link.OFFLINE, timeout=10_000)
        assert window.banner.link_label.text() == "OFFLINE"
        assert window._busy_reasons()  # a live seat would ask before quitting with a call on the line
        window.confirm_close = False
        window.close()


def test_a_sync_thread_that_will_not_stop_is_logged_and_its_journal_is_not_closed_under_it(
        isolated_settings, qtbot, monkeypatch, caplog):
    from PySide6.QtCore import QCoreApplication

    from app.seat.sync import SyncClient

    secrets.set_token("seat-9", "a-token-for-seat-9")
    args = build_parser().parse_args(["--seat-id", "seat-9", "--server-url", "ws://127.0.0.1:9/ws", "--language", "en"])
    really_stop = SyncClient.stop
    monkeypatch.setattr(SyncClient, "stop", lambda self, timeout=5.0: False)  # a thread stuck in a call

    with seat_session(args) as runtime:
        sync, journal = runtime.sync, runtime.journal
        runtime.window.close()

    assert any("sync thread did not end" in r.getMessage() for r in caplog.records)
    assert journal.principal_id() is None  # still open (a closed journal raises): no server welcomed it
    assert really_stop(sync)  # the test ends the thread it kept
    QCoreApplication.processEvents()  # deliver whatever the thread reported before it ended
    assert not [r for r in caplog.records if r.name == "app.seat.store" and r.levelname == "ERROR"]
    journal.close()
