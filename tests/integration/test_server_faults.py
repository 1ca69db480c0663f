"""A bug or a database failure in one command costs one ``internal`` reply — nothing else.

Here the server runs inside the test process (its own asyncio loop in a
thread) so that a fault can be injected into one step of the command path.
Everything else is real: websockets on 127.0.0.1, the SQLite event log.
"""

from __future__ import annotations

import asyncio
import shutil
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

import server_stub.router as router_module
from server_stub.server import DispatchServer, ServerConfig
from server_stub.store import EventStore
from tests.integration.wsclient import ProtocolClient


@contextmanager
def in_process_server(db_path: Path) -> Iterator[tuple[str, DispatchServer]]:
    store = EventStore(db_path)
    ready = threading.Event()
    box: dict = {}

    async def main() -> None:
        server = DispatchServer(ServerConfig(db_path=db_path, port=0), store)
        await server.start()
        box.update(server=server, loop=asyncio.get_running_loop(), stop=asyncio.Event())
        ready.set()
        await box["stop"].wait()
        await server.close()

    thread = threading.Thread(target=lambda: asyncio.run(main()), name="server-loop", daemon=True)
    thread.start()
    assert ready.wait(10), "in-process server did not start"
    try:
        yield f"ws://127.0.0.1:{box['server'].port}/ws", box["server"]
    finally:
        box["loop"].call_soon_threadsafe(box["stop"].set)
        thread.join(10)


@pytest.fixture
def served(tmp_path, registry_template):
    db_path = tmp_path / "events.sqlite"
    shutil.copyfile(registry_template.db_path, db_path)
    with in_process_server(db_path) as (url, server):
        seat = ProtocolClient.open(url, token=registry_template.tokens["seat-1"])
        yield seat, server
        seat.close()


def event_count(server: DispatchServer) -> int:
    return server.store.max_seq()


def test_a_drafted_event_that_breaks_the_schema_is_an_internal_error_and_nothing_is_stored(served, monkeypatch):
    seat, server = served
    monkeypatch.setattr(router_module, "decide", lambda *a: [("incident.created", {"incident_id": "not-a-uuid"})])
    before = event_count(server)
    reply = seat.command("incident.create", {"incident_id": str(uuid.uuid4())})
    assert (reply["type"], reply["code"]) == ("error", "internal")
    assert event_count(server) == before
    monkeypatch.undo()
    assert seat.command("incident.create", {"incident_id": str(uuid.uuid4())})["type"] == "ack"


def test_a_crash_inside_decide_is_an_internal_error_and_the_connection_stays_up(served, monkeypatch):
    seat, server = served

    def broken(*args):
        raise KeyError("a bug")

    monkeypatch.setattr(router_module, "decide", broken)
    before = event_count(server)
    # A command the domain decides (seat.set_ready is the presence desk's, which never calls decide).
    args = {"incident_id": str(uuid.uuid4()), "address": "解放碑"}
    command_id = seat.send_command("incident.create", args)
    reply = seat.reply_to(command_id)
    assert (reply["type"], reply["code"], reply["ref"]) == ("error", "internal", command_id)
    assert event_count(server) == before
    monkeypatch.undo()
    # The same command id is not burnt: nothing was stored for it.
    assert seat.command("incident.create", args, command_id=command_id)["duplicate"] is False


def test_a_failed_commit_is_an_internal_error_and_the_state_does_not_change(served, monkeypatch):
    seat, server = served
    real_commit = server.store.commit

    def failing_commit(batch):
        raise OperationalError("INSERT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(server.store, "commit", failing_commit)
    incident_id = str(uuid.uuid4())
    before = event_count(server)
    reply = seat.command("incident.create", {"incident_id": incident_id})
    assert (reply["type"], reply["code"]) == ("error", "internal")
    assert event_count(server) == before

    monkeypatch.setattr(server.store, "commit", real_commit)
    # The server did not apply what it could not store: the incident does not exist.
    reply = seat.command("incident.update", {"incident_id": incident_id, "address": "x"})
    assert (reply["type"], reply["code"]) == ("error", "not_found")
    assert seat.command("incident.create", {"incident_id": incident_id})["type"] == "ack"
