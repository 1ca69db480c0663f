"""The authenticated connections of one server and how frames reach them (back-pressure).

Everything here runs on the server's asyncio loop; nothing awaits. A frame is
written with ``websockets.broadcast`` (fire-and-forget: one write to the
socket's buffer, no backpressure), so one slow seat never holds up another.
Instead of waiting, the back-pressure rule is a limit: a connection whose
socket already holds more than ``slow_client_bytes`` unsent, or that queued
more than :data:`MAX_PENDING_FRAMES` while replaying, is closed with 1008 and
catches up by replay when it reconnects — so an event is never silently
dropped and memory stays bounded (``server_stub.policy.is_slow``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.server import ServerConnection, broadcast
from websockets.frames import Frame, Opcode
from websockets.protocol import OPEN

from app.domain.common import Principal
from app.domain.model import Role
from app.protocol import CloseCode, Message, encode
from server_stub.policy import ErrorBudget, is_slow

log = logging.getLogger("server_stub.clients")

# A live connection whose unsent output exceeds this is closed (1008) and
# catches up by replay when it reconnects; ~10k events, minutes of peak load.
SLOW_CLIENT_BYTES = 4 * 1024 * 1024
# Frames that arrive for a connection while it is still replaying; past this
# many it is closed the same way (it cannot be reading).
MAX_PENDING_FRAMES = 20_000
# Roles that never receive events: hospital consoles get only their pre-notifications
# (server_stub/prenotify.py), volunteers only their own alerts (server_stub/responders.py).
NO_EVENTS = frozenset({Role.HOSPITAL, Role.VOLUNTEER})

Spawn = Callable[[Coroutine[Any, Any, Any], str], "asyncio.Task[Any]"]


@dataclass(eq=False)
class Client:
    """One authenticated connection. Touched only on the server loop."""

    ws: ServerConnection
    principal: Principal
    errors: ErrorBudget
    live: bool = False  # replay done: frames go straight to the socket
    closing: bool = False
    close_code: int = CloseCode.NORMAL
    close_reason: str = ""
    pending: list[str] = field(default_factory=list)  # frames queued during replay
    # (command id, fingerprint of its name and arguments) of the command being handled,
    # set by the router before any desk runs it; the bus stores and compares it.
    command_fingerprint: tuple[str, str] | None = None
    # SHA-256 of the token this connection logged in with (never the token): a rotation
    # or revocation closes exactly the connections whose token no longer counts.
    token_digest: str = field(default="", repr=False)

    @property
    def label(self) -> str:
        return f"{self.principal.role.value}:{self.principal.id}"

    @property
    def receives_events(self) -> bool:
        return self.principal.role not in NO_EVENTS


def close_reason(text: str) -> str:
    """A close reason that fits the 123-byte limit of a close frame (RFC 6455 §5.5)."""
    return text.encode("utf-8")[:120].decode("utf-8", errors="ignore")


class Clients:
    """The set of authenticated connections, their count per principal, and the writes to them.

    Args:
        slow_client_bytes: unsent bytes past which a live connection is closed (1008).
        spawn: runs a coroutine as a tracked background task (the server's).
    """

    def __init__(self, slow_client_bytes: int, spawn: Spawn) -> None:
        self.slow_client_bytes = slow_client_bytes
        self._spawn = spawn
        self._clients: set[Client] = set()
        self._connections: dict[str, int] = {}  # principal id -> open authenticated connections

    # ------------------------------------------------------------ membership
    def add(self, client: Client) -> None:
        """Register for frames (call in the same loop step as choosing the resume point)."""
        self._clients.add(client)

    def discard(self, client: Client) -> None:
        self._clients.discard(client)

    def connected(self, principal_id: str) -> int:
        """Count one more authenticated connection of ``principal_id``; returns the new count."""
        count = self._connections.get(principal_id, 0) + 1
        self._connections[principal_id] = count
        return count

    def disconnected(self, principal_id: str) -> int:
        """Count one connection of ``principal_id`` less; returns how many are left."""
        left = self._connections.get(principal_id, 1) - 1
        if left:
            self._connections[principal_id] = left
        else:
            self._connections.pop(principal_id, None)
        return left

    def count(self, principal_id: str) -> int:
        """Open authenticated connections of ``principal_id``."""
        return self._connections.get(principal_id, 0)

    def __len__(self) -> int:
        return len(self._clients)

    def where(self, predicate: Callable[[Client], bool]) -> list[Client]:
        return [c for c in self._clients if predicate(c)]

    # ------------------------------------------------------------ output
    def push(self, client: Client, msg: Message | str) -> None:
        """Queue one frame for one client without waiting (see :meth:`send`)."""
        self.send([client], encode(msg) if isinstance(msg, dict) else msg)

    def send(self, clients: Iterable[Client], frame: str) -> None:
        """Write a frame to clients now, never waiting on any of them.

        Live clients get it through ``websockets.broadcast``; clients still
        replaying get it queued after their replay. A client too far behind is
        closed with 1008 (module docstring).
        """
        live = []
        for client in clients:
            if client.closing:
                continue
            if not client.live:
                if len(client.pending) >= MAX_PENDING_FRAMES:
                    self.close(client, CloseCode.POLICY_VIOLATION, "too slow: reconnect and resync")
                else:
                    client.pending.append(frame)
                continue
            transport = client.ws.transport
            buffered = transport.get_write_buffer_size() if transport is not None else 0
            if is_slow(buffered, self.slow_client_bytes):
                log.warning("closing %s: %d bytes unsent, too slow", client.label, buffered)
                self.close(client, CloseCode.POLICY_VIOLATION, "too slow: reconnect and resync")
                continue
            live.append(client.ws)
        if live:
            broadcast(live, frame)

    def send_many(self, clients: Iterable[Client], frames: list[str]) -> None:
        """Write several frames to clients, in order: :meth:`send` of each frame in turn, cheaper."""
        if frames:
            self.write_frames({client: frames for client in clients})

    def write_frames(self, frames_by_client: dict[Client, list[str]]) -> None:
        """Write each client its frames, in order, with one socket write per live client.

        The same rules as :meth:`send` (replaying clients queue, slow ones are closed), but a
        frame given to several clients (the same ``str`` object) is framed once — the server's
        frames are unmasked and uncompressed (``compression=None``), so their bytes are the
        same on every connection — a frame list given to several clients (the same ``list``
        object: the bus gives one to every seat that sent nothing in the batch) is joined once,
        and a client's frames go out in one write. At 20 seats one ``socket.send`` per event
        per seat was the largest CPU cost of an event (bench/README.md, group commit).
        """
        wired: dict[int, bytes] = {}
        joined: dict[int, bytes] = {}  # id of a frame list given to several clients -> its bytes

        def wire(frame: str) -> bytes:
            data = wired.get(id(frame))
            if data is None:
                data = wired[id(frame)] = Frame(Opcode.TEXT, frame.encode()).serialize(mask=False)
            return data

        def wire_all(frames: list[str]) -> bytes:
            data = joined.get(id(frames))
            if data is None:
                data = joined[id(frames)] = b"".join([wire(frame) for frame in frames])
            return data

        for client, frames in frames_by_client.items():
            if client.closing or not frames:
                continue
            if not client.live:
                if len(client.pending) + len(frames) > MAX_PENDING_FRAMES:
                    self.close(client, CloseCode.POLICY_VIOLATION, "too slow: reconnect and resync")
                else:
                    client.pending.extend(frames)
                continue
            ws = client.ws
            transport = ws.transport
            buffered = transport.get_write_buffer_size() if transport is not None else 0
            if is_slow(buffered, self.slow_client_bytes):
                log.warning("closing %s: %d bytes unsent, too slow", client.label, buffered)
                self.close(client, CloseCode.POLICY_VIOLATION, "too slow: reconnect and resync")
                continue
            # What websockets.broadcast skips, skipped here too: a connection closing, or one in
            # the middle of a fragmented message (the server sends none).
            if transport is None or ws.protocol.state is not OPEN or ws.send_in_progress is not None:
                continue
            if ws.protocol.extensions:  # never negotiated today; framing would differ per connection
                for frame in frames:
                    broadcast([ws], frame)
                continue
            try:
                transport.write(wire_all(frames))
            except Exception as exc:  # as broadcast: one connection's failure is that connection's
                log.warning("skipped a write to %s: %s", client.label, exc)

    def close(self, client: Client, code: CloseCode, reason: str) -> None:
        """Close one connection (once) with ``code``; its handler sees the close and cleans up."""
        if client.closing:
            return
        client.closing = True
        client.close_code, client.close_reason = code, close_reason(reason)
        self._spawn(client.ws.close(code, client.close_reason), f"close {client.label}")
