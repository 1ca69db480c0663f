"""A plain asyncio websockets client speaking the dispatch120 protocol, and the command mix.

This is the "raw" seat of the round-trip benchmark: no journal, an outbox in
memory, no validation of what the server sends (frames are parsed with orjson
only and fed to the session as trusted messages), so what it measures is the
server and the loopback network. The protocol's rules (hello, sync, matching
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
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

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
    """

    def __init__(self, ws: ClientConnection, session: ClientSession) -> None:
        self.ws = ws
        self.session = session
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._reader: asyncio.Task[None] | None = None
        self.events_seen = 0
        self.closed: str | None = None

    @classmethod
    async def open(cls, url: str, token: str, *, ca_file: Path | None = None) -> RawSeat:
        """Connect and sync; ``wss://`` verified against ``ca_file`` only when given (app/tls.py)."""
        tls = client_context(url, ca_file)
        ws = await connect(url, compression=None, max_size=MAX_INBOUND_FRAME_BYTES, proxy=None, open_timeout=10,
                           **({} if tls is None else {"ssl": tls}))
        seat = cls(ws, _session(token))
        await seat._send(seat.session.connection_made(last_seq=None))
        while not seat.session.synced:
            try:
                actions = seat.session.receive_message(orjson.loads(await asyncio.wait_for(ws.recv(), 10)))
            except TimeoutError as exc:
                raise ClientError(f"no welcome/synced from the server: {exc!r}") from exc
            except ConnectionClosed as exc:
                rcvd = exc.rcvd
                refusal = _refusal(seat.session.connection_lost(rcvd.code if rcvd else None, rcvd.reason if rcvd else ""))
                raise ClientError(f"no welcome/synced from the server: {refusal or repr(exc)}") from exc
            refusal = _refusal(actions)
            if refusal:
                raise ClientError(refusal)
        seat._reader = asyncio.ensure_future(seat._read())
        return seat

    async def _send(self, actions: list[Action]) -> None:
        for action in actions:
            if isinstance(action, SendFrame):
                await self.ws.send(action.frame)

    def _resolve(self, command_id: str, reply: dict[str, Any]) -> None:
        future = self._waiting.pop(command_id, None)
        if future is not None and not future.done():
            future.set_result(reply)

    async def _read(self) -> None:
        try:
            async for frame in self.ws:
                for action in self.session.receive_message(orjson.loads(frame)):
                    if isinstance(action, Deliver) and action.message.get("type") == "event":
                        self.events_seen += 1
                    elif isinstance(action, Acked | Rejected):
                        self._resolve(action.command_id, action.message)
                    elif isinstance(action, Retrying):
                        asyncio.get_running_loop().call_later(action.after_s, self._resend, action.command_id)
        except ConnectionClosed as exc:
            self.closed = repr(exc)
        finally:
            self.closed = self.closed or "closed"
            for future in self._waiting.values():
                if not future.done():
                    future.set_exception(ClientError(f"connection closed: {self.closed}"))
            self._waiting.clear()

    def _resend(self, command_id: str) -> None:
        asyncio.ensure_future(self._send(self.session.resend(command_id)))

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
            await self._send(actions)
            reply = await asyncio.wait_for(future, timeout)
        except (ConnectionClosed, TimeoutError) as exc:
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
        await self.ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)


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
