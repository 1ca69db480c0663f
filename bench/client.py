"""A plain asyncio websockets client speaking the dispatch120 protocol, and the command mix.

This is the "raw" seat of the round-trip benchmark: no journal, no outbox, no
validation of what the server sends (frames are parsed with orjson only), so
what it measures is the server and the loopback network. The real seat's
path (``app.seat.sync.SyncClient`` + journal) is measured separately.

Everything here runs on one asyncio loop (the caller's). Raises
:class:`ClientError` when the server refuses the connection or a command.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from app.protocol import command, encode, hello, new_id

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


class RawSeat:
    """One authenticated websocket connection. Create with :meth:`open`; ``await close()``.

    ``await command(name, args)`` sends one command and returns ``(ack_or_error, seconds)``.
    Several commands may be in flight at once (each awaits its own reply).
    """

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._reader: asyncio.Task[None] | None = None
        self.events_seen = 0
        self.closed: str | None = None

    @classmethod
    async def open(cls, url: str, token: str) -> RawSeat:
        ws = await connect(url, compression=None, max_size=64 * 1024 * 1024, proxy=None, open_timeout=10)
        seat = cls(ws)
        await ws.send(encode(hello(token=token, client=CLIENT_NAME, last_seq=None)))
        while True:
            try:
                msg = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
            except (ConnectionClosed, TimeoutError) as exc:
                raise ClientError(f"no welcome/synced from the server: {exc!r}") from exc
            if msg.get("type") == "error":
                raise ClientError(f"hello refused: {msg.get('code')} {msg.get('message')}")
            if msg.get("type") == "synced":
                break
        seat._reader = asyncio.ensure_future(seat._read())
        return seat

    async def _read(self) -> None:
        try:
            async for frame in self.ws:
                msg = orjson.loads(frame)
                kind = msg.get("type")
                if kind == "event":
                    self.events_seen += 1
                elif kind in ("ack", "error"):
                    future = self._waiting.pop(msg.get("ref") or "", None)
                    if future is not None and not future.done():
                        future.set_result(msg)
        except ConnectionClosed as exc:
            self.closed = repr(exc)
        finally:
            self.closed = self.closed or "closed"
            for future in self._waiting.values():
                if not future.done():
                    future.set_exception(ClientError(f"connection closed: {self.closed}"))
            self._waiting.clear()

    async def command(self, name: str, args: dict[str, Any], timeout: float = 10.0) -> tuple[dict[str, Any], float]:
        """Send one command and wait for its reply. Returns (reply, seconds from send to reply).

        Several calls may be in flight on one connection at once; the server
        handles a connection's frames in the order they arrive.
        """
        frame = command(name, args)
        if self.closed:
            raise ClientError(f"connection closed: {self.closed}")
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[frame["id"]] = future
        started = time.perf_counter()
        try:
            await self.ws.send(encode(frame))
            reply = await asyncio.wait_for(future, timeout)
        except (ConnectionClosed, TimeoutError) as exc:
            raise ClientError(f"{name}: no reply ({exc!r})") from exc
        finally:
            self._waiting.pop(frame["id"], None)
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

    def __init__(self, url: str, token: str) -> None:
        from websockets.sync.client import connect as sync_connect

        self.ws = sync_connect(url, max_size=None, proxy=None, compression=None)
        self.ws.send(encode(hello(token=token, client=CLIENT_NAME, last_seq=None)))
        self.wait(lambda m: m["type"] == "synced")

    def wait(self, pred, timeout: float = 20.0) -> dict[str, Any]:
        end = time.monotonic() + timeout
        while True:
            msg = orjson.loads(self.ws.recv(timeout=max(0.01, end - time.monotonic())))
            if pred(msg):
                return msg

    def send_command(self, name: str, args: dict[str, Any]) -> str:
        cid = new_id()
        self.ws.send(encode({"v": 1, "type": "cmd", "id": cid, "name": name, "args": args}))
        return cid

    def command(self, name: str, args: dict[str, Any]) -> str:
        """Send and wait for the ack. Raises ClientError on an error reply."""
        cid = self.send_command(name, args)
        reply = self.wait(lambda m: m["type"] in ("ack", "error") and m.get("ref") == cid)
        if reply["type"] != "ack":
            raise ClientError(f"{name}: {reply}")
        return cid
