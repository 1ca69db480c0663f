"""The seat's sync client against a small in-test server speaking the protocol.

The fake server (websockets ``serve`` on 127.0.0.1, port 0, in its own thread)
does what the real one promises and nothing more: hello → welcome → replay or
snapshot → synced; one event per command, acks, idempotent command ids, and
knobs to refuse, fail once, lose an ack or send garbage. The real server is
exercised in tests/integration/test_seat_sync.py.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from app.domain.state import State
from app.protocol import (
    CLIENT_TYPES,
    MAX_FRAME_BYTES,
    CloseCode,
    ErrorCode,
    ProtocolError,
    ack,
    decode,
    encode,
    error,
    event,
    now_iso,
    snapshot,
    synced,
    welcome,
)
from app.protocol.session import MAX_SERVER_RETRIES, decode_server_frame
from app.seat.journal import Journal
from app.seat.store import ConnectionStatus, Link, SeatStore
from app.seat.sync import SyncClient

TIMEOUT_S = 10.0
INCIDENT = "6f1c1d7e-3b7a-4c55-9a51-0a4e2b1f9c01"


class FakeServer:
    """Minimal protocol server in a thread. Attributes are read by tests under ``cond``."""

    def __init__(self, tokens: dict[str, str]):
        self.tokens = tokens  # token -> principal id
        self.events: list[dict] = []
        self.acks: dict[str, dict] = {}
        self.received: list[str] = []  # every command frame's id, in arrival order
        self.hellos: list[dict] = []
        self.client_close_codes: list[int | None] = []
        self.reject: dict[str, str] = {}  # command name -> error code, every time
        self.fail_once: dict[str, str] = {}  # command name -> error code, the first time only
        self.lose_ack_once: set[str] = set()  # apply, then drop the TCP connection before acking
        self.frames_before_synced: list[str] = []
        self.cond = threading.Condition()
        self.port = 0
        self._clients: set[ServerConnection] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: Any = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    # -------------------------------------------------------- lifecycle
    def start(self) -> FakeServer:
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        async def main() -> None:
            self._server = await serve(self._handle, "127.0.0.1", self.port)
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            await self._server.wait_closed()

        self._thread = threading.Thread(target=self._loop.run_until_complete, args=(main(),), daemon=True)
        self._thread.start()
        assert ready.wait(TIMEOUT_S)
        return self

    def stop(self) -> None:
        """Shut down like a server going away (close 1001 to every client); keeps the port and log."""
        assert self._loop is not None and self._thread is not None
        self._loop.call_soon_threadsafe(self._server.close)
        self._thread.join(TIMEOUT_S)
        self._loop.close()

    def wait(self, predicate: Callable[[], bool], what: str) -> None:
        with self.cond:
            if not self.cond.wait_for(predicate, TIMEOUT_S):
                raise AssertionError(f"server: timed out waiting for {what}")

    def state(self) -> State:
        state = State()
        with self.cond:
            for ev in self.events:
                state.apply(ev)
        return state

    def append(self, name: str, data: dict) -> None:
        """An event made elsewhere (another seat, a device). Thread: the test's."""
        assert self._loop is not None
        asyncio.run_coroutine_threadsafe(
            self._append_and_broadcast(name, data, "seat-2", None), self._loop
        ).result()

    # -------------------------------------------------------- protocol
    async def _append_and_broadcast(self, name: str, data: dict, actor: str, ref: str | None) -> dict:
        with self.cond:
            ev = event(
                seq=len(self.events) + 1,
                ts=now_iso(),
                name=name,
                actor={"id": actor, "role": "seat"},
                ref=ref,
                data=data,
            )
            self.events.append(ev)
            self.cond.notify_all()
        for client in list(self._clients):
            try:
                await client.send(encode(ev))
            except ConnectionClosed:
                pass
        return ev

    async def _handle(self, ws: ServerConnection) -> None:
        try:
            hello = decode(await ws.recv(), allowed=CLIENT_TYPES)
        except (ProtocolError, ConnectionClosed):
            return
        principal_id = self.tokens.get(hello.get("token", ""))
        with self.cond:
            self.hellos.append(hello)
            self.cond.notify_all()
        if hello["type"] != "hello" or principal_id is None:
            await ws.send(encode(error(ErrorCode.UNAUTHENTICATED, "unknown token")))
            await ws.close(CloseCode.AUTH_FAILED, "authentication failed")
            return
        with self.cond:
            seq = len(self.events)
            last = hello["last_seq"]
            use_snapshot = last is None or last > seq
            missed = [] if use_snapshot else list(self.events[last:])
        principal = {"id": principal_id, "role": "seat", "name": principal_id, "unit_id": None}
        await ws.send(
            encode(
                welcome(principal=principal, server_seq=seq, resume="snapshot" if use_snapshot else "replay")
            )
        )
        if use_snapshot:
            await ws.send(encode(snapshot(seq=seq, state=self.state().to_dict())))
        for ev in missed:
            await ws.send(encode(ev))
        for frame in self.frames_before_synced:
            await ws.send(frame)
        await ws.send(encode(synced(seq=seq)))
        self._clients.add(ws)
        try:
            async for frame in ws:
                try:
                    msg = decode(frame, allowed=CLIENT_TYPES)
                except ProtocolError as exc:
                    await ws.send(encode(error(exc.code, exc.message, ref=exc.ref)))
                    continue
                if msg["type"] == "cmd":
                    await self._command(ws, principal_id, msg)
        except ConnectionClosed:
            pass
        finally:
            self._clients.discard(ws)
            rcvd = ws.protocol.close_rcvd
            with self.cond:
                self.client_close_codes.append(rcvd.code if rcvd else None)
                self.cond.notify_all()

    async def _command(self, ws: ServerConnection, principal_id: str, msg: dict) -> None:
        cid, name, args = msg["id"], msg["name"], msg["args"]
        with self.cond:
            self.received.append(cid)
            self.cond.notify_all()
            previous = self.acks.get(cid)
            code = self.reject.get(name) or self.fail_once.pop(name, None)
        if previous is not None:
            await ws.send(encode({**previous, "duplicate": True}))
            return
        if code:
            await ws.send(encode(error(code, f"refused by the fake server: {code}", ref=cid)))
            return
        if name == "seat.set_ready":
            drafts = [
                (
                    "seat.state_changed",
                    {"seat_id": principal_id, "state": "ready" if args["ready"] else "not_ready"},
                )
            ]
        elif name == "incident.create":
            drafts = [("incident.created", {**args, "seat_id": principal_id})]
        else:
            await ws.send(encode(error(ErrorCode.UNKNOWN_COMMAND, name, ref=cid)))
            return
        new = [await self._append_and_broadcast(n, d, principal_id, cid) for n, d in drafts]
        reply = ack(ref=cid, seq=new[-1]["seq"], events=len(new))
        with self.cond:
            self.acks[cid] = reply
        if name in self.lose_ack_once:
            self.lose_ack_once.discard(name)
            ws.transport.abort()  # applied and durable, but the ack never leaves
            return
        await ws.send(encode(reply))


class Seat:
    """A seat without a GUI: journal + SyncClient + SeatStore fed from the sync thread."""

    def __init__(self, journal: Journal, url: str, token: str = "tok-seat-1"):
        self.journal = journal
        self.store = SeatStore()
        self.messages: list[dict] = []
        self.statuses: list[ConnectionStatus] = []
        self.events_not_durable: list[int] = []
        self.cond = threading.Condition()
        self.sync = SyncClient(
            url,
            token,
            journal,
            client_name="test-seat",
            on_message=self._on_message,
            on_status=self._on_status,
            backoff_s=(0.05, 0.2),
            server_retry_s=(0.05, 0.2),
        )

    def _on_message(self, msg: dict) -> None:
        if msg["type"] == "event" and (self.journal.last_seq or 0) < msg["seq"]:
            self.events_not_durable.append(msg["seq"])
        self.store.handle_message(msg)  # the store's only user in these tests is this thread
        with self.cond:
            self.messages.append(msg)
            self.cond.notify_all()

    def _on_status(self, status: ConnectionStatus) -> None:
        with self.cond:
            self.statuses.append(status)
            self.cond.notify_all()

    def link(self) -> Link | None:
        return self.statuses[-1].link if self.statuses else None

    def wait(self, predicate: Callable[[], bool], what: str) -> None:
        with self.cond:
            if not self.cond.wait_for(predicate, TIMEOUT_S):
                raise AssertionError(f"seat: timed out waiting for {what}; statuses: {self.statuses[-5:]}")

    def wait_online(self, pending: int | None = None) -> None:
        def ok() -> bool:
            last = self.statuses[-1] if self.statuses else None
            return (
                last is not None and last.link == Link.ONLINE and (pending is None or last.pending == pending)
            )

        self.wait(ok, f"ONLINE with {pending} pending")

    def wait_acked(self, command_id: str) -> dict:
        self.wait(
            lambda: any(m["type"] == "ack" and m["ref"] == command_id for m in self.messages), "the ack"
        )
        return next(m for m in self.messages if m["type"] == "ack" and m["ref"] == command_id)

    def types(self) -> list[str]:
        with self.cond:
            return [m["type"] for m in self.messages]


@pytest.fixture
def server():
    fake = FakeServer({"tok-seat-1": "seat-1", "tok-seat-2": "seat-2"}).start()
    yield fake
    if fake._loop is not None and not fake._loop.is_closed():
        fake.stop()


@pytest.fixture
def seats(tmp_path):
    started: list[Seat] = []

    def make(
        url: str, *, name: str = "journal.sqlite", token: str = "tok-seat-1", start: bool = True
    ) -> Seat:
        seat = Seat(Journal(tmp_path / name), url, token)
        if start:
            seat.sync.start()
        started.append(seat)
        return seat

    yield make
    for seat in started:
        assert seat.sync.stop(TIMEOUT_S)


# ---------------------------------------------------------------- stories


def test_fresh_seat_gets_a_snapshot_and_goes_online(server, seats):
    server.append("seat.state_changed", {"seat_id": "seat-2", "state": "ready"})
    seat = seats(server.url)
    seat.wait_online()
    assert server.hellos[0]["last_seq"] is None and server.hellos[0]["client"] == "test-seat"
    assert seat.types() == ["welcome", "snapshot", "synced"]
    assert [s.link for s in seat.statuses][:3] == [Link.CONNECTING, Link.SYNCING, Link.ONLINE]
    assert seat.journal.last_seq == 1
    assert seat.store.state.seats["seat-2"]["state"] == "ready"
    assert seat.store.me["id"] == "seat-1"


def test_command_is_acked_and_its_event_is_durable_before_the_seat_shows_it(server, seats):
    seat = seats(server.url)
    seat.wait_online()
    cid = seat.sync.send_command("seat.set_ready", {"ready": True})
    seat.wait_acked(cid)
    seat.wait_online(pending=0)
    assert seat.journal.pending() == []
    seat.wait(lambda: seat.store.state.seats.get("seat-1", {}).get("state") == "ready", "the event")
    assert seat.events_not_durable == []
    assert [e["seq"] for e in seat.journal.load_events()] == [1]


def test_commands_made_while_the_server_is_down_are_delivered_once_in_order(server, seats):
    server.stop()  # the centre's server is down when the seat starts
    seat = seats(server.url)
    seat.wait(lambda: any(s.link == Link.OFFLINE and s.retry_in_s for s in seat.statuses), "OFFLINE")
    first = seat.sync.send_command("seat.set_ready", {"ready": True})
    second = seat.sync.send_command("incident.create", {"incident_id": INCIDENT})
    third = seat.sync.send_command("seat.set_ready", {"ready": False})
    seat.wait(lambda: seat.statuses[-1].pending == 3, "the banner to count 3 pending")
    assert seat.statuses[-1].link in (Link.OFFLINE, Link.CONNECTING)

    server.start()  # same port, same log
    seat.wait_online(pending=0)

    assert server.received == [first, second, third]  # each once, in the order made
    assert [e["ref"] for e in server.events] == [first, second, third]
    assert seat.store.state.incidents[INCIDENT]["seat_id"] == "seat-1"
    assert seat.journal.pending() == []


def test_lost_ack_is_resent_after_reconnect_and_applied_only_once(server, seats):
    server.lose_ack_once.add("seat.set_ready")
    seat = seats(server.url)
    seat.wait_online()
    cid = seat.sync.send_command("seat.set_ready", {"ready": True})

    seat.wait_acked(cid)

    assert server.received == [cid, cid]  # re-sent after the reconnect …
    assert len(server.events) == 1  # … applied once
    [acked] = [m for m in seat.messages if m["type"] == "ack"]
    assert acked["duplicate"] is True
    assert len(server.hellos) == 2 and server.hellos[1]["last_seq"] == 1  # the event came before the drop
    assert seat.journal.pending() == []


def test_a_seat_back_from_a_restart_gets_only_what_it_missed(server, seats, tmp_path):
    seat = seats(server.url)
    seat.wait_online()
    seat.wait_acked(seat.sync.send_command("seat.set_ready", {"ready": True}))
    assert seat.sync.stop(TIMEOUT_S)
    seat.journal.close()

    server.append("seat.state_changed", {"seat_id": "seat-2", "state": "ready"})
    server.append("seat.state_changed", {"seat_id": "seat-2", "state": "busy"})

    again = seats(server.url, start=False)  # same journal file
    for msg in again.sync.replay_journal():  # offline start: the saved state first
        again.store.handle_message(msg)
    assert again.store.state.seats["seat-1"]["state"] == "ready"
    again.sync.start()
    again.wait_online()

    assert server.hellos[-1]["last_seq"] == 1
    assert again.types() == ["welcome", "event", "event", "synced"]
    assert again.store.state.to_dict() == server.state().to_dict()


def test_refused_command_leaves_the_outbox_but_is_kept_for_the_dispatcher(server, seats):
    server.reject["incident.create"] = ErrorCode.UNIT_BUSY
    seat = seats(server.url)
    seat.wait_online()
    cid = seat.sync.send_command("incident.create", {"incident_id": INCIDENT})
    seat.wait(lambda: any(m["type"] == "error" for m in seat.messages), "the error")
    [err] = [m for m in seat.messages if m["type"] == "error"]
    assert (err["ref"], err["code"]) == (cid, "unit_busy") and "retry" not in err
    seat.wait_online(pending=0)
    [rejected] = seat.journal.rejected()
    assert (rejected.command_id, rejected.code) == (cid, "unit_busy")
    assert server.received == [cid]  # not retried


def test_server_fault_is_retried_and_the_command_goes_through(server, seats):
    server.fail_once["seat.set_ready"] = ErrorCode.INTERNAL
    seat = seats(server.url)
    seat.wait_online()
    cid = seat.sync.send_command("seat.set_ready", {"ready": True})
    seat.wait_acked(cid)
    [err] = [m for m in seat.messages if m["type"] == "error"]
    assert err["code"] == "internal" and err["retry"] is True
    assert server.received == [cid, cid]
    assert seat.journal.rejected() == [] and seat.journal.pending() == []


def test_wrong_token_stops_retrying_until_a_new_token_is_given(server, seats):
    seat = seats(server.url, token="tok-revoked")
    seat.wait(lambda: seat.link() == Link.AUTH_FAILED, "AUTH_FAILED")
    assert "4001" in seat.statuses[-1].detail
    assert any(m["type"] == "error" and m["code"] == "unauthenticated" for m in seat.messages)

    seat.sync.set_token("tok-seat-1")
    seat.wait_online()
    # The backoff in tests is 50 ms; a client that kept retrying would have sent many.
    assert [h["token"] for h in server.hellos] == ["tok-revoked", "tok-seat-1"]


def test_garbage_from_the_server_is_skipped_and_the_seat_stays_online(server, seats):
    good = event(
        seq=1,
        ts=now_iso(),
        name="seat.state_changed",
        actor={"id": "x", "role": "seat"},
        ref=None,
        data={"seat_id": "seat-2", "state": "ready"},
    )
    bad_data = {**good, "seq": 2, "data": {"seat_id": "seat-2", "state": "dancing"}}
    server.frames_before_synced = [
        "not json at all",
        '{"v": 1, "type": "launch_missiles"}',
        '{"v": 99, "type": "synced", "seq": 0}',
        encode(good),
        encode(bad_data),
    ]
    seat = seats(server.url)
    seat.wait_online()
    assert [e["seq"] for e in seat.journal.load_events()] == [1]
    assert seat.store.state.seats["seat-2"]["state"] == "ready"
    cid = seat.sync.send_command("seat.set_ready", {"ready": True})  # the link still works
    seat.wait_acked(cid)


def test_stop_closes_the_connection_normally(server, seats):
    seat = seats(server.url)
    seat.wait_online()
    assert seat.sync.stop(TIMEOUT_S)
    server.wait(lambda: server.client_close_codes == [1000], "the client's close code")
    assert seat.statuses[-1].link == Link.OFFLINE and seat.statuses[-1].detail == "stopped"


def test_server_restart_is_survived_with_backoff_and_resync(server, seats):
    seat = seats(server.url)
    seat.wait_online()
    server.stop()
    seat.wait(lambda: seat.link() == Link.OFFLINE, "OFFLINE")
    offline = [s for s in seat.statuses if s.link == Link.OFFLINE][0]
    assert offline.retry_in_s is not None and 0.025 <= offline.retry_in_s <= 0.05
    cid = seat.sync.send_command("seat.set_ready", {"ready": True})
    server.start()
    seat.wait_online(pending=0)
    assert server.received == [cid]
    assert seat.types().count("welcome") == 2


def test_a_server_with_a_shorter_log_makes_the_seat_ask_for_a_snapshot(server, seats):
    seat = seats(server.url, start=False)
    seat.journal.bind_principal("seat-1")
    seat.journal.reset_for_snapshot(snapshot(seq=500, state={"seq": 500, "seats": {"ghost": {}}}))
    server.append("seat.state_changed", {"seat_id": "seat-2", "state": "ready"})
    seat.sync.start()
    seat.wait_online()
    assert [h["last_seq"] for h in server.hellos] == [500, None]
    assert seat.journal.last_seq == 1
    assert "ghost" not in seat.store.state.seats
    assert seat.store.state.to_dict() == server.state().to_dict()


def test_another_seat_id_on_the_same_journal_starts_from_a_snapshot(server, seats):
    first = seats(server.url)
    first.wait_online()
    first.wait_acked(first.sync.send_command("seat.set_ready", {"ready": True}))
    assert first.sync.stop(TIMEOUT_S)
    first.journal.close()

    other = seats(server.url, token="tok-seat-2")  # same journal file, seat-2's token
    other.wait_online()
    assert [h["last_seq"] for h in server.hellos] == [None, 1, None]
    assert other.journal.principal_id() == "seat-2"


def test_a_command_the_server_keeps_failing_is_rejected_after_a_few_tries(server, seats):
    server.reject["seat.set_ready"] = ErrorCode.INTERNAL
    seat = seats(server.url)
    seat.wait_online()
    cid = seat.sync.send_command("seat.set_ready", {"ready": True})
    seat.wait(lambda: len(seat.journal.rejected()) == 1, "the command to be given up")
    errors = [m for m in seat.messages if m["type"] == "error"]
    assert [e.get("retry", False) for e in errors] == [True] * (MAX_SERVER_RETRIES - 1) + [False]
    assert server.received == [cid] * MAX_SERVER_RETRIES
    assert seat.journal.rejected()[0].code == "internal" and seat.journal.pending() == []


def test_stop_is_prompt_even_while_a_handshake_hangs(tmp_path):
    silent = socket.socket()  # accepts TCP connections, never answers the HTTP upgrade
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    try:
        statuses: list[ConnectionStatus] = []
        sync = SyncClient(
            f"ws://127.0.0.1:{silent.getsockname()[1]}/ws",
            "tok",
            Journal(tmp_path / "journal.sqlite"),
            client_name="test",
            on_message=lambda msg: None,
            on_status=statuses.append,
            open_timeout_s=60.0,
        )
        sync.start()
        connecting = threading.Event()
        for _ in range(1000):
            if statuses and statuses[-1].link == Link.CONNECTING:
                connecting.set()
                break
            connecting.wait(0.01)
        assert connecting.is_set()
        assert sync.stop(timeout=10.0)  # not after the 60 s open timeout
        assert statuses[-1].link == Link.OFFLINE and statuses[-1].detail == "stopped"
    finally:
        silent.close()


def test_a_busy_centre_whose_snapshot_is_larger_than_a_client_frame_still_syncs(server, seats):
    for n in range(200):  # ~2 KB of description each: a snapshot well over 256 KiB
        incident = f"6f1c1d7e-3b7a-4c55-9a51-{n:012d}"
        server.append(
            "incident.created", {"incident_id": incident, "seat_id": "seat-2", "description": "急" * 2000}
        )
    assert len(encode(snapshot(seq=200, state=server.state().to_dict()))) > MAX_FRAME_BYTES

    seat = seats(server.url)
    seat.wait_online()
    assert seat.types() == ["welcome", "snapshot", "synced"]
    assert len(seat.store.state.incidents) == 200
    assert seat.journal.load_snapshot()["seq"] == 200


def test_an_oversized_frame_that_is_not_a_snapshot_is_refused():
    big_event = encode(
        event(
            seq=1,
            ts=now_iso(),
            name="incident.created",
            actor={"id": "x", "role": "seat"},
            ref=None,
            data={"incident_id": INCIDENT, "seat_id": "seat-2", "description": "x" * (MAX_FRAME_BYTES + 1)},
        )
    )
    with pytest.raises(ProtocolError):
        decode_server_frame(big_event)
    with pytest.raises(ProtocolError):
        decode_server_frame(
            '{"v": 1, "type": "snapshot", "seq": -1, "state": {}, "pad": "' + "x" * MAX_FRAME_BYTES + '"}'
        )
