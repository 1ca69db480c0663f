"""A small blocking protocol client for integration tests (any component's).

Built on ``websockets.sync.client``: every call blocks the test's thread with
a timeout, nothing runs in the background except websockets' own reader
thread. Messages are parsed with orjson but *not* validated, so tests can
see exactly what the server sent.

    client = ProtocolClient.open(url, token=tokens["seat-1"])   # hello + sync
    reply = client.command("seat.set_ready", {"ready": True})    # ack or error
    ringing = client.wait_event("call.ringing", call_id="c1")    # data fields must match
    code, reason = client.expect_close()

Every message received is kept in ``client.received`` (in order) and every
event in ``client.events``; ``wait_for`` consumes a message only from its own
point of view (each message is returned by at most one ``wait_for``).

The handshake (the hello frame, when the client is synced) is
:class:`app.protocol.session.ClientSession`'s, fed every message as received;
commands go out as given (``send_command``/``send_json``), not through its
outbox, so a test can send what a broken client would.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import orjson
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from app.protocol.session import ClientSession, MemoryOutbox, SendFrame, Synced

Message = dict[str, Any]
DEFAULT_TIMEOUT_S = 5.0


class ProtocolClient:
    def __init__(self, ws: ClientConnection, *, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        self.ws = ws
        self.timeout = timeout
        self.received: list[Message] = []
        self.events: list[Message] = []
        self._unclaimed: list[Message] = []
        self.welcome: Message | None = None
        self.sync_messages: list[Message] = []  # snapshot/replayed events before "synced"
        self.closed: tuple[int | None, str] | None = None
        # Follows every message; hello() starts a new one with the token. A test that sends
        # its own hello (a golden frame) still learns from it when the client is synced.
        self.session = ClientSession(token="", client="pytest", outbox=MemoryOutbox())
        self._synced_by: Message | None = None  # the message the session took as "synced"

    # ------------------------------------------------------------ opening
    @classmethod
    def connect(cls, url: str, *, timeout: float = DEFAULT_TIMEOUT_S, **kwargs: Any) -> ProtocolClient:
        """Open the websocket only (no hello). ``kwargs`` go to ``websockets.sync.client.connect``."""
        kwargs.setdefault("max_size", 64 * 1024 * 1024)  # snapshots may be large
        kwargs.setdefault("open_timeout", timeout)
        kwargs.setdefault("compression", None)
        # A test client left connected to a server the test killed would wait 10 s (the default)
        # for a closing handshake that never comes; 1 s keeps teardown short.
        kwargs.setdefault("close_timeout", 1.0)
        # websockets 17: the direct (non-context-manager) style must be asked for explicitly.
        kwargs.setdefault("legacy", True)
        return cls(connect(url, **kwargs), timeout=timeout)

    @classmethod
    def open(
        cls,
        url: str,
        *,
        token: str,
        last_seq: int | None = None,
        client: str = "pytest",
        timeout: float = DEFAULT_TIMEOUT_S,
    ) -> ProtocolClient:
        """Connect, say hello and wait until ``synced``. Raises AssertionError if refused."""
        conn = cls.connect(url, timeout=timeout)
        welcome = conn.hello(token, last_seq=last_seq, client=client)
        assert welcome["type"] == "welcome", f"hello refused: {welcome}"
        conn.sync()
        return conn

    def hello(self, token: str, *, last_seq: int | None = None, client: str = "pytest") -> Message:
        """Send hello; return the welcome (or the error the server answered with)."""
        self.session = ClientSession(token=token, client=client, outbox=MemoryOutbox())
        for action in self.session.connection_made(last_seq):
            if isinstance(action, SendFrame):
                self.send_raw(action.frame)
        reply = self.wait_for(lambda m: m["type"] in ("welcome", "error"))
        if reply["type"] == "welcome":
            self.welcome = reply
        return reply

    def sync(self) -> list[Message]:
        """Collect the snapshot / replayed events up to ``synced``; return them (without synced)."""
        while True:
            msg = self.wait_for(lambda m: m["type"] in ("snapshot", "event", "synced"))
            if msg is self._synced_by:
                return self.sync_messages
            self.sync_messages.append(msg)

    # ------------------------------------------------------------ sending
    def send_raw(self, frame: str | bytes) -> None:
        self.ws.send(frame)

    def send_json(self, msg: Message) -> None:
        self.ws.send(orjson.dumps(msg).decode())

    def send_command(self, name: str, args: dict[str, Any], *, command_id: str | None = None) -> str:
        command_id = command_id or str(uuid.uuid4())
        self.send_json({"v": 1, "type": "cmd", "id": command_id, "name": name, "args": args})
        return command_id

    def command(self, name: str, args: dict[str, Any], *, command_id: str | None = None) -> Message:
        """Send a command and return its ack or error (events meanwhile are kept)."""
        command_id = self.send_command(name, args, command_id=command_id)
        return self.reply_to(command_id)

    def reply_to(self, command_id: str) -> Message:
        return self.wait_for(lambda m: m["type"] in ("ack", "error") and m.get("ref") == command_id)

    # ------------------------------------------------------------ receiving
    def _read(self, timeout: float) -> Message:
        frame = self.ws.recv(timeout=timeout)
        msg = orjson.loads(frame)
        self.received.append(msg)
        # Trusted, not validated: the tests look at exactly what the server sent.
        if any(isinstance(a, Synced) and a.first for a in self.session.receive_message(msg)):
            self._synced_by = msg
        if msg.get("type") == "event":
            self.events.append(msg)
        return msg

    def wait_for(self, predicate: Callable[[Message], bool], timeout: float | None = None) -> Message:
        """The first not-yet-claimed message matching ``predicate``.

        Raises:
            TimeoutError: nothing matched in time (the message says what was seen).
            websockets.exceptions.ConnectionClosed: the server closed first.
        """
        for i, msg in enumerate(self._unclaimed):
            if predicate(msg):
                return self._unclaimed.pop(i)
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                seen = [(m["type"], m.get("name") or m.get("code")) for m in self._unclaimed[-10:]]
                raise TimeoutError(f"no matching message; last unclaimed: {seen}")
            try:
                msg = self._read(left)
            except TimeoutError:
                continue
            if predicate(msg):
                return msg
            self._unclaimed.append(msg)

    def wait_event(self, name: str, timeout: float | None = None, **data: Any) -> Message:
        """The next event called ``name`` whose data has all the given fields equal."""

        def matches(m: Message) -> bool:
            return (
                m["type"] == "event"
                and m["name"] == name
                and all(m["data"].get(k) == v for k, v in data.items())
            )

        return self.wait_for(matches, timeout)

    def expect_close(self, timeout: float | None = None) -> tuple[int | None, str]:
        """Read until the server closes the connection; return (close code, reason)."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        try:
            while time.monotonic() < deadline:
                try:
                    msg = self._read(max(0.01, deadline - time.monotonic()))
                except TimeoutError:
                    continue
                self._unclaimed.append(msg)
        except ConnectionClosed as exc:
            frame = exc.rcvd
            self.closed = (frame.code, frame.reason) if frame is not None else (None, "")
            return self.closed
        raise TimeoutError("the server did not close the connection")

    def close(self) -> None:
        self.ws.close()

    def __enter__(self) -> ProtocolClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
