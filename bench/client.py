"""A plain asyncio websockets client speaking the dispatch120 protocol, and the command mix.

This is the "raw" seat of the round-trip and durable benchmarks: no journal, an
outbox in memory, websocket framing checked but no validation of the messages'
content (frames are parsed with orjson only and fed to the session as trusted
messages), so what it measures is the server and the loopback network. The protocol's rules (hello, sync, matching
replies to commands, retries, close codes) are
:class:`app.protocol.session.ClientSession`'s; these classes are its shells.
The real seat's path (``app.seat.sync.SyncClient`` + journal) is measured separately.

Everything here runs on one asyncio loop (the caller's). Raises
:class:`ClientError` when the server refuses the connection or a command.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path
from typing import Any

import orjson
from websockets.client import ClientProtocol
from websockets.frames import CloseCode, Frame, Opcode
from websockets.http11 import Response
from websockets.protocol import State
from websockets.uri import parse_uri

from app.protocol import new_id
from app.protocol.session import (
    MAX_INBOUND_FRAME_BYTES,
    Acked,
    Action,
    ClientSession,
    Deliver,
    GiveUp,
    HelloRefused,
    MemoryOutbox,
    Rejected,
    Retrying,
    SendFrame,
    Synced,
)
from app.tls import client_context

CLIENT_NAME = "dispatch120-bench/0.1"


class ClientError(RuntimeError):
    """The server refused the hello or a command the benchmark needs, or the connection dropped."""


class CommandMix:
    """The commands a benchmark client sends, each giving exactly one event.

    Alternates ``unit.status`` toggles of the client's own unit (available ↔
    out_of_service) with ``incident.update`` of its own incident, each update
    changing a different field (description, address, patients, callback
    number) to a new value. Every client has its own unit and incident, so
    clients never conflict. Call :meth:`setup` first (creates the incident).
    """

    FIELDS = ("description", "address", "patients", "callback_number")

    def __init__(self, unit_id: str) -> None:
        self.unit_id = unit_id
        self.incident_id = new_id()
        self._unit_out = False
        self._counter = itertools.count(1)

    def setup(self) -> tuple[str, dict[str, Any]]:
        return "incident.create", {"incident_id": self.incident_id, "address": "解放碑步行街", "patients": 1}

    def next(self) -> tuple[str, dict[str, Any]]:
        i = next(self._counter)
        if i % 2:
            self._unit_out = not self._unit_out
            return "unit.status", {"unit_id": self.unit_id,
                                   "status": "out_of_service" if self._unit_out else "available"}
        which = self.FIELDS[(i // 2) % len(self.FIELDS)]
        value: Any
        if which == "description":
            value = f"胸痛，呼吸困难 ({i})"
        elif which == "address":
            value = f"渝中区民族路 {i} 号"
        elif which == "patients":
            value = i % 997 + 2  # never 1 (the created value) and never the previous one
        else:
            value = f"138{i % 100_000_000:08d}"
        return "incident.update", {"incident_id": self.incident_id, which: value}


def _session(token: str) -> ClientSession:
    return ClientSession(token=token, client=CLIENT_NAME, outbox=MemoryOutbox())


def _refusal(actions: list[Action]) -> str | None:
    """Why the server refused the connection, if these actions say it did."""
    for action in actions:
        if isinstance(action, HelloRefused):
            return f"hello refused: {action.message.get('code')} {action.message.get('message')}"
        if isinstance(action, GiveUp):
            return f"connection refused: {action.code} {action.reason} ({action.advice})"
    return None


class RawSeat:
    """One authenticated websocket connection. Create with :meth:`open`; ``await close()``.

    ``await command(name, args)`` sends one command and returns ``(ack_or_error, seconds)``.
    Several commands may be in flight at once (each awaits its own reply).

    The connection is websockets' Sans-I/O :class:`~websockets.client.ClientProtocol` on a
    plain asyncio protocol. Once open, each complete unfragmented text frame (FIN, no RSV
    bits, unmasked, within the size limit: every event, ack and error the server sends) is
    cut from the stream here and parsed with orjson, which refuses invalid UTF-8 and invalid
    JSON (close 1007); every other frame — ping, close, fragments, anything malformed — goes
    whole to websockets' parser, which answers it as its asyncio client would (pong, the
    closing handshake, 1002/1009 on a protocol error). Messages reach the
    :class:`ClientSession` in the order received, in the loop step they arrived in. Left out:
    the asyncio client's per-message machinery (a message queue, flow control, one ``recv()``
    and one generator-based frame parse per message) — at 20 seats that each receive every
    event it was most of the bench client's CPU, on the two cores the server under test uses
    (bench/README.md, group commit).
    """

    def __init__(self, protocol: ClientProtocol, session: ClientSession) -> None:
        self.protocol = protocol
        self.session = session
        self.transport: asyncio.Transport | None = None
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        loop = asyncio.get_running_loop()
        self._opened: asyncio.Future[None] = loop.create_future()  # handshake done and synced
        self._lost: asyncio.Future[None] = loop.create_future()  # the TCP connection is gone
        self._fragments: list[bytes] = []
        self._buffer = b""  # the start of a frame not complete yet (open connection)
        self._cutting = True  # frames are cut here (False: websockets' parser takes every byte)
        self.events_seen = 0
        self.closed: str | None = None

    @classmethod
    async def open(cls, url: str, token: str, *, ca_file: Path | None = None) -> RawSeat:
        """Connect and sync; ``wss://`` verified against ``ca_file`` only when given (app/tls.py)."""
        tls = client_context(url, ca_file)
        uri = parse_uri(url)
        seat = cls(ClientProtocol(uri, max_size=MAX_INBOUND_FRAME_BYTES), _session(token))
        loop = asyncio.get_running_loop()
        try:
            await asyncio.wait_for(
                loop.create_connection(lambda: _SeatStream(seat), uri.host, uri.port, ssl=tls), 10)
            seat.protocol.send_request(seat.protocol.connect())
            seat._write()
            await asyncio.wait_for(asyncio.shield(seat._opened), 10)
        except TimeoutError as exc:
            seat._abort()
            raise ClientError(f"no welcome/synced from the server: {exc!r}") from exc
        except BaseException:
            seat._abort()
            raise
        return seat

    # ------------------------------------------------------------ the stream (asyncio protocol callbacks)
    def _write(self) -> None:
        transport = self.transport
        if transport is None:
            return
        for data in self.protocol.data_to_send():
            if data:
                transport.write(data)
            elif transport.can_write_eof():  # SEND_EOF: half-close, as websockets' client does
                transport.write_eof()

    def _data(self, data: bytes) -> None:
        if self.protocol.state is State.CONNECTING or not self._cutting:
            self._protocol_data(data)
            return
        # Open: whole frames are cut here, so websockets' parser only ever gets whole frames and
        # stays at a frame boundary. A complete unfragmented text frame — FIN set, RSV bits clear,
        # opcode text, unmasked (RFC 6455 §5.2), within max_size: every event, ack and error —
        # goes straight to orjson and the session; any other frame (ping, close, a fragment, a bad
        # header) goes to websockets' parser, which answers it (pong, the closing handshake, 1002).
        buffer = self._buffer + data if self._buffer else data
        view = memoryview(buffer)
        size, pos = len(buffer), 0
        while size - pos >= 2:
            head1, head2 = buffer[pos], buffer[pos + 1]
            length, header = head2 & 0x7F, 2
            if length == 126:
                if size - pos < 4:
                    break
                length, header = int.from_bytes(view[pos + 2:pos + 4]), 4
            elif length == 127:
                if size - pos < 10:
                    break
                length, header = int.from_bytes(view[pos + 2:pos + 10]), 10
            if length > MAX_INBOUND_FRAME_BYTES:
                # websockets refuses it (1009) from its header alone; it takes the stream from here.
                self._cutting = False
                break
            end = pos + header + length
            if end > size:
                break
            if head1 == 0x81 and head2 & 0x80 == 0 and not self._fragments and self.protocol.state is State.OPEN:
                self._message(view[pos + header:end])
            else:
                self._protocol_data(bytes(view[pos:end]))
            pos = end
        rest = bytes(view[pos:]) if pos < size else b""
        view.release()
        self._buffer = b""
        if not self._cutting:
            self._protocol_data(rest)
        else:
            self._buffer = rest  # the start of the next frame
        self._write()

    def _protocol_data(self, data: bytes) -> None:
        """Bytes through websockets' parser (the handshake, control frames, fragments, errors)."""
        protocol = self.protocol
        protocol.receive_data(data)
        for received in protocol.events_received():
            if isinstance(received, Response):
                if protocol.handshake_exc is not None:
                    self._fail(ClientError(f"handshake refused: {protocol.handshake_exc!r}"))
                else:
                    self._run(self.session.connection_made(last_seq=None))
            elif not isinstance(received, Frame):
                continue
            elif received.opcode is Opcode.TEXT or received.opcode is Opcode.CONT:
                self._fragments.append(received.data)
                if received.fin:
                    frame = self._fragments[0] if len(self._fragments) == 1 else b"".join(self._fragments)
                    self._fragments = []
                    self._message(frame)
            elif received.opcode is Opcode.BINARY:  # the protocol has none: close as the asyncio client would
                protocol.fail(CloseCode.UNSUPPORTED_DATA, "binary frames are not expected")
        self._write()
        if protocol.close_expected() and self.transport is not None and protocol.state is State.CLOSED:
            self.transport.close()

    def _eof(self) -> None:
        self.protocol.receive_eof()
        self._write()

    def _connection_lost(self, exc: Exception | None) -> None:
        rcvd = self.protocol.close_rcvd
        self.closed = self.closed or (f"closed {rcvd.code} {rcvd.reason}" if rcvd else f"closed ({exc!r})")
        if not self._opened.done():
            refusal = _refusal(self.session.connection_lost(rcvd.code if rcvd else None, rcvd.reason if rcvd else ""))
            self._opened.set_exception(ClientError(f"no welcome/synced from the server: {refusal or self.closed}"))
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(ClientError(f"connection closed: {self.closed}"))
        self._waiting.clear()
        if not self._lost.done():
            self._lost.set_result(None)

    # ------------------------------------------------------------ the session's actions
    def _message(self, data: bytes | memoryview) -> None:
        try:
            msg = orjson.loads(data)
        except orjson.JSONDecodeError as exc:  # not UTF-8 JSON: close 1007, as a bad text frame is
            self.closed = f"invalid frame from the server: {exc}"
            self.protocol.fail(CloseCode.INVALID_DATA, "invalid JSON")
            return
        self._run(self.session.receive_message(msg))

    def _run(self, actions: list[Action]) -> None:
        refusal = None if self._opened.done() else _refusal(actions)
        if refusal:
            self._fail(ClientError(refusal))
            return
        for action in actions:
            if isinstance(action, SendFrame):
                self.protocol.send_text(action.frame.encode())
            elif isinstance(action, Deliver) and action.message.get("type") == "event":
                self.events_seen += 1
            elif isinstance(action, Acked | Rejected):
                future = self._waiting.pop(action.command_id, None)
                if future is not None and not future.done():
                    future.set_result(action.message)
            elif isinstance(action, Retrying):
                asyncio.get_running_loop().call_later(action.after_s, self._resend, action.command_id)
            elif isinstance(action, Synced) and not self._opened.done():
                self._opened.set_result(None)

    def _fail(self, exc: ClientError) -> None:
        if not self._opened.done():
            self._opened.set_exception(exc)
        self._abort()

    def _abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    def _resend(self, command_id: str) -> None:
        self._run(self.session.resend(command_id))
        self._write()

    # ------------------------------------------------------------ commands
    async def command(self, name: str, args: dict[str, Any], timeout: float = 10.0) -> tuple[dict[str, Any], float]:
        """Send one command and wait for its reply. Returns (reply, seconds from send to reply).

        Several calls may be in flight on one connection at once; the server
        handles a connection's frames in the order they arrive.
        """
        if self.closed:
            raise ClientError(f"connection closed: {self.closed}")
        cid = new_id()
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[cid] = future
        started = time.perf_counter()
        try:
            _, actions = self.session.send_command(name, args, cid)
            self._run(actions)
            self._write()
            reply = await asyncio.wait_for(future, timeout)
        except TimeoutError as exc:
            raise ClientError(f"{name}: no reply ({exc!r})") from exc
        finally:
            self._waiting.pop(cid, None)
        return reply, time.perf_counter() - started

    async def must(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        """A command the benchmark's set-up needs: raises ClientError unless acked."""
        reply, _ = await self.command(name, args)
        if reply.get("type") != "ack":
            raise ClientError(f"{name} refused: {reply.get('code')} {reply.get('message')}")
        return reply

    async def close(self) -> None:
        """The closing handshake (1000), then the TCP connection; at most 10 s."""
        if self.protocol.state is State.OPEN:
            self.protocol.send_close(CloseCode.NORMAL_CLOSURE)
            self._write()
        try:
            await asyncio.wait_for(asyncio.shield(self._lost), 10)
        except TimeoutError:
            self._abort()


class _SeatStream(asyncio.Protocol):
    """The asyncio side of a :class:`RawSeat`: bytes in, bytes out, nothing else."""

    def __init__(self, seat: RawSeat) -> None:
        self.seat = seat

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.seat.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.seat._data(data)

    def eof_received(self) -> bool | None:
        self.seat._eof()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.seat._connection_lost(exc)


class SyncClient:
    """A blocking client for the benches that script a few principals (caller link, pre-notification).

    Says hello and waits for ``synced``; :meth:`wait` reads frames until one matches.
    Not thread-safe: one thread per client.
    """

    def __init__(self, url: str, token: str, *, ca_file: Path | None = None) -> None:
        from websockets.sync.client import connect as sync_connect

        tls = client_context(url, ca_file)
        self.ws = sync_connect(url, max_size=None, proxy=None, compression=None, **({} if tls is None else {"ssl": tls}))
        self.session = _session(token)
        self._retry_due: dict[str, float] = {}  # command id -> monotonic time to re-send it
        self._outcomes: dict[str, dict[str, Any]] = {}  # command id -> its final ack or error
        self._send(self.session.connection_made(last_seq=None))
        self.wait(lambda m: self.session.synced)

    def _send(self, actions: list[Action]) -> None:
        for action in actions:
            if isinstance(action, SendFrame):
                self.ws.send(action.frame)
            elif isinstance(action, Retrying):
                self._retry_due[action.command_id] = time.monotonic() + action.after_s
            elif isinstance(action, Acked | Rejected):
                self._outcomes[action.command_id] = action.message
            elif isinstance(action, HelloRefused):
                raise ClientError(_refusal([action]))

    def wait(self, pred, timeout: float = 20.0) -> dict[str, Any]:
        end = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            for cid in [c for c, due in self._retry_due.items() if due <= now]:
                del self._retry_due[cid]
                self._send(self.session.resend(cid))
            next_due = min(self._retry_due.values(), default=end)
            try:
                frame = self.ws.recv(timeout=max(0.01, min(end, next_due) - now))
            except TimeoutError:
                if time.monotonic() >= end:
                    raise
                continue
            msg = orjson.loads(frame)
            self._send(self.session.receive_message(msg))
            if pred(msg):
                return msg

    def send_command(self, name: str, args: dict[str, Any]) -> str:
        cid, actions = self.session.send_command(name, args)
        self._send(actions)
        return cid

    def command(self, name: str, args: dict[str, Any]) -> str:
        """Send and wait for the ack (a transient server fault is retried). Raises ClientError on a refusal."""
        cid = self.send_command(name, args)
        self.wait(lambda m: cid in self._outcomes)
        reply = self._outcomes.pop(cid)
        if reply["type"] != "ack":
            raise ClientError(f"{name}: {reply}")
        return cid
