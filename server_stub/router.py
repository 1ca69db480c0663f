"""Frames of a live connection: decode once, check the role, hand each to its desk.

Runs on the server's loop, inside the connection's handler task. A frame that is
not valid costs one error reply and one unit of the connection's error budget
(past it: close 4008); a bug while handling a frame costs one ``internal`` reply —
never the connection or the server.

Where a frame goes:

* ``telemetry`` / ``subscribe`` → :class:`server_stub.telemetry.TelemetryRouter`;
* ``volunteer.position`` → the responder desk; ``rtc_to_caller`` → the caller links;
* a ``cmd`` → its desk when it needs more than the pure core (ECG strips, pre-notification,
  responders, caller links), else ``app.domain.decide.decide`` through the command bus.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from websockets.exceptions import ConnectionClosed

from app.domain.common import Principal
from app.domain.decide import decide
from app.protocol import (
    CLIENT_TYPES,
    COMMAND_ROLES,
    CloseCode,
    ErrorCode,
    Message,
    ProtocolError,
    decode,
    error,
    error_from,
)
from server_stub.bus import CommandBus, command_fingerprint
from server_stub.clients import Client, Clients
from server_stub.telemetry import TelemetryRouter

log = logging.getLogger("server_stub.router")

# A command handled by a desk: (client, who, command id, args).
CommandHandler = Callable[[Client, Principal, str, dict[str, Any]], Awaitable[None]]
# A frame handled by a desk: returns an error reply, or None.
FrameHandler = Callable[[Client, Message], Message | None]


class FrameRouter:
    """Decodes and routes the frames of live connections. Loop only.

    Args:
        commands: command name → the desk that handles it (the others go to ``decide``).
        frames: frame type → the desk that handles it (besides telemetry and commands).
    """

    def __init__(
        self,
        bus: CommandBus,
        clients: Clients,
        telemetry: TelemetryRouter,
        *,
        commands: dict[str, CommandHandler],
        frames: dict[str, FrameHandler],
    ) -> None:
        self.bus = bus
        self.clients = clients
        self.telemetry = telemetry
        self.commands = commands
        self.frames = frames

    async def serve(self, client: Client) -> None:
        """Handle the client's frames until it closes. Raises ConnectionClosed."""
        async for frame in client.ws:
            if isinstance(frame, bytes):
                log.info("closing %s: binary frame", client.label)
                self.clients.push(client, error(ErrorCode.BAD_MESSAGE, "binary frames are not accepted; send JSON text"))
                await client.ws.close(CloseCode.UNSUPPORTED_DATA, "binary frames are not accepted")
                return
            try:
                await self.handle(client, frame)
            except ConnectionClosed:
                raise
            except Exception:  # a bug must cost one reply, never the connection or the server
                log.exception("internal error handling a frame from %s", client.label)
                self.clients.push(client, error(ErrorCode.INTERNAL, "internal server error; nothing was applied"))
            if client.closing:
                # Close here, before the handler returns: websockets would close with 1000.
                await client.ws.close(client.close_code, client.close_reason)
                return

    async def handle(self, client: Client, frame: str) -> None:
        try:
            msg = decode(frame, allowed=CLIENT_TYPES)
        except ProtocolError as exc:
            if exc.code == ErrorCode.UNSUPPORTED_VERSION:
                # A client speaking another version cannot be understood from here on:
                # the error, then close 4003 (docs/protocol.md §2), as before the hello.
                log.info("closing %s: %s", client.label, exc.message)
                self.clients.push(client, error_from(exc))
                self.clients.close(client, CloseCode.UNSUPPORTED_VERSION, "unsupported protocol version")
                return
            self.invalid(client, error_from(exc))
            return
        mtype = msg["type"]
        if mtype == "hello":
            self.invalid(client, error(ErrorCode.BAD_MESSAGE, "already authenticated"))
            return
        if mtype in self.frames:
            reply = self.frames[mtype](client, msg)
            if reply is not None:
                self.invalid(client, reply)
            return
        if mtype in ("telemetry", "subscribe"):
            who = client.principal
            reply = self.telemetry.handle(client, client.label, client.ws, who.role, who.unit_id, msg)
            if reply is not None:
                self.invalid(client, reply)
            return
        name, command_id = msg["name"], msg["id"]
        if client.principal.role not in COMMAND_ROLES[name]:
            self.invalid(
                client,
                error(ErrorCode.FORBIDDEN, f"role {client.principal.role.value} may not send {name}", ref=command_id),
            )
            return
        args = msg["args"]
        who = client.principal
        client.command_fingerprint = (command_id, command_fingerprint(name, args))
        desk = self.commands.get(name)
        if desk is not None:
            await desk(client, who, command_id, args)
            return
        await self.bus.execute(
            who,
            lambda state: decide(state, who, name, args),
            command=(command_id, name),
            client=client,
        )

    def invalid(self, client: Client, reply: Message) -> None:
        """Reply to an invalid frame and count it against the connection's error budget."""
        self.clients.push(client, reply)
        if client.errors.record(time.monotonic()):
            log.warning("closing %s: too many invalid frames", client.label)
            self.clients.close(client, CloseCode.TOO_MANY_ERRORS, "too many invalid frames")
