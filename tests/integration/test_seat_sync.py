"""The seat's sync client against the real server process: survive the server going away.

Uses the fixtures of tests/integration/conftest.py (``dispatch_server``: a real
``dispatch120-server`` on 127.0.0.1, a random port, the default registry with
seat-1, seat-2, units A1/A2 and their devices).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable

import pytest

from app.domain.state import State
from app.seat.commands import SeatCommands
from app.seat.journal import Journal
from app.seat.store import ConnectionStatus, Link, SeatStore
from app.seat.sync import SyncClient

pytestmark = pytest.mark.integration
TIMEOUT_S = 15.0


class Seat:
    """A seat without a GUI: journal + SyncClient + SeatStore, the store fed on the sync thread.

    ``cond`` guards the store: tests read it only while holding it.
    """

    def __init__(self, journal_path, url: str, token: str):
        self.journal = Journal(journal_path)
        self.store = SeatStore()
        self.messages: list[dict] = []
        self.statuses: list[ConnectionStatus] = []
        self.cond = threading.Condition()
        self.sync = SyncClient(
            url,
            token,
            self.journal,
            client_name="dispatch120-seat/test",
            on_message=self._on_message,
            on_status=self._on_status,
            backoff_s=(0.1, 0.5),
        )
        self.commands = SeatCommands(self.sync)
        for msg in self.sync.replay_journal():  # offline start: what the journal saw
            self.store.handle_message(msg)

    def _on_message(self, msg: dict) -> None:
        with self.cond:
            self.store.handle_message(msg)
            self.messages.append(msg)
            self.cond.notify_all()

    def _on_status(self, status: ConnectionStatus) -> None:
        with self.cond:
            self.statuses.append(status)
            self.cond.notify_all()

    def wait(self, predicate: Callable[[], bool], what: str) -> None:
        with self.cond:
            if not self.cond.wait_for(predicate, TIMEOUT_S):
                raise AssertionError(
                    f"seat: timed out waiting for {what}; last statuses {self.statuses[-4:]}"
                )

    def link(self) -> Link | None:
        return self.statuses[-1].link if self.statuses else None

    def replies(self, command_ids: list[str]) -> dict[str, dict]:
        with self.cond:
            return {
                m["ref"]: m
                for m in self.messages
                if m["type"] in ("ack", "error") and m.get("ref") in command_ids
            }

    def wait_replies(self, command_ids: list[str]) -> dict[str, dict]:
        self.wait(lambda: len(self.replies(command_ids)) == len(command_ids), f"replies to {command_ids}")
        return self.replies(command_ids)

    def state_dict(self) -> dict:
        with self.cond:
            return self.store.state.to_dict()


@pytest.fixture
def open_seat(tmp_path):
    seats: list[Seat] = []

    def make(url: str, token: str, journal_name: str, *, start: bool = True) -> Seat:
        seat = Seat(tmp_path / journal_name, url, token)
        if start:
            seat.sync.start()
        seats.append(seat)
        return seat

    yield make
    for seat in seats:
        assert seat.sync.stop(TIMEOUT_S), "the sync thread did not stop"
        seat.journal.close()


def _db_state(server) -> State:
    state = State()
    for row in server.db_events():
        state.apply({"seq": row["seq"], "ts": row["ts"], "name": row["name"], "data": row["data"]})
    return state


def test_commands_made_while_the_server_is_down_reach_its_log_exactly_once(dispatch_server, open_seat):
    server = dispatch_server
    server.stop()  # the centre's server is down when the dispatcher starts working
    seat = open_seat(server.url, server.tokens["seat-1"], "seat-1.sqlite")
    seat.wait(lambda: seat.link() == Link.OFFLINE, "OFFLINE")

    create, incident = seat.commands.create_incident(
        address="渝中区解放碑步行街", callback_number="13800138000", patients=1
    )
    update = seat.commands.update_incident(incident_id=incident, priority=1)
    assign = seat.commands.assign_unit(incident_id=incident, unit_id="A1")
    ours = [create, update, assign]
    seat.wait(lambda: seat.statuses[-1].pending == 3, "3 pending on the banner")

    server.restart()  # same database, same port
    replies = seat.wait_replies(ours)

    assert [replies[c]["type"] for c in ours] == ["ack", "ack", "ack"], replies
    rows = server.db_events()
    assert [r["name"] for r in rows if r["ref"] == create] == ["incident.created"]
    assert [r["name"] for r in rows if r["ref"] == update] == ["incident.updated"]
    assert [r["name"] for r in rows if r["ref"] == assign] == ["unit.assigned"]
    assert [r["data"]["incident_id"] for r in rows if r["name"] == "incident.created"] == [incident]
    assert seat.journal.pending() == [] and seat.journal.rejected() == []
    seat.wait(
        lambda: seat.store.state.units["A1"]["incident_id"] == incident, "A1 dispatched to the incident"
    )
    assert seat.store.state.incidents[incident]["priority"] == 1


def test_a_seat_that_was_away_replays_to_the_same_state_as_a_fresh_seat_and_the_server(
    dispatch_server, open_seat
):
    server = dispatch_server
    seat = open_seat(server.url, server.tokens["seat-1"], "seat-1.sqlite")
    seat.wait(lambda: seat.link() == Link.ONLINE, "ONLINE")
    [first] = seat.wait_replies([seat.commands.set_ready(ready=False)]).values()
    assert first["type"] == "ack"
    seat.wait(lambda: seat.store.state.seq >= first["seq"], "the event of the ack")
    assert seat.sync.stop(TIMEOUT_S)  # the dispatcher closes the seat …
    seat.journal.close()

    other = server.client("seat-2")  # … while another seat works on
    incident = str(uuid.uuid4())
    assert other.command("incident.create", {"incident_id": incident, "address": "观音桥"})["type"] == "ack"
    assert other.command("unit.assign", {"incident_id": incident, "unit_id": "A2"})["type"] == "ack"
    other.close()
    server.kill()  # and the server dies hard
    server.restart()

    back = open_seat(server.url, server.tokens["seat-1"], "seat-1.sqlite", start=False)
    assert back.store.state.seq >= first["seq"]  # the journal was replayed before connecting
    assert back.store.state.seats["seat-1"]["state"] == "not_ready"
    assert incident not in back.store.state.incidents  # not seen yet: it happened while away
    back.sync.start()
    note = back.commands.update_incident(incident_id=incident, description="二楼，老人摔倒")
    assert back.wait_replies([note])[note]["type"] == "ack"
    resumed = [m for m in back.messages if m["type"] == "welcome"][0]
    assert resumed["resume"] == "replay"  # only what was missed, not a snapshot

    fresh = open_seat(server.url, server.tokens["seat-2"], "fresh-seat-2.sqlite")
    fresh.wait(lambda: fresh.link() == Link.ONLINE, "the fresh seat ONLINE")

    # Both seats and the server's log agree once they have seen the same seq.
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        target = server.db_events()[-1]["seq"]
        for s in (back, fresh):
            s.wait(lambda s=s, target=target: s.store.state.seq >= target, f"a seat at seq {target}")
        a, b, db = back.state_dict(), fresh.state_dict(), _db_state(server).to_dict()
        if a["seq"] == b["seq"] == db["seq"] or time.monotonic() > deadline:
            break  # else an event (a seat's login) landed between the reads: look again
    assert a == b
    assert a == db
    assert a["incidents"][incident]["description"] == "二楼，老人摔倒"
    assert a["units"]["A2"]["incident_id"] == incident
