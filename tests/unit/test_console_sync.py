"""The hospital console and the wall display reach the centre like the seat: when the first
server is down they fall back on the centre's other instances that IT listed in the central
config."""

from __future__ import annotations

from types import SimpleNamespace

from app.__main__ import _console_sync
from app.seat.journal import Journal
from app.settings import ENV_MACHINE_CONFIG, ENV_USER_CONFIG, load_settings


def test_a_console_tries_the_centres_other_instances_after_its_server(tmp_path):
    machine = tmp_path / "machine.toml"
    machine.write_text('server_url = "ws://dispatch1.centre.test:8765/ws"\n'
                       'server_fallback_urls = ["ws://dispatch2.centre.test:8765/ws"]\n', encoding="utf-8")
    settings = load_settings(env={ENV_MACHINE_CONFIG: str(machine), ENV_USER_CONFIG: str(tmp_path / "none.toml")},
                             strict=True)
    bridge = SimpleNamespace(on_message=lambda message: None, on_status=lambda status: None)
    journal = Journal(tmp_path / "journal.sqlite")
    try:
        for client in ("dispatch120-hospital/0.1", "dispatch120-wall/0.1"):
            sync = _console_sync(settings, "token", journal, client, bridge)

            assert sync.urls == ("ws://dispatch1.centre.test:8765/ws", "ws://dispatch2.centre.test:8765/ws")
    finally:
        journal.close()
