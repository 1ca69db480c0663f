"""One websocket connection from hello to close: authentication, catch-up, then frames.

Runs on the server's loop, one :meth:`Connections.handle` task per connection
(websockets' handler). The life of a connection:

1. **hello** within ``hello_timeout_s``, else close 4002; an unknown or revoked token
   closes 4001; a wrong protocol version 4003 (``app.protocol.CloseCode``), before or after the hello;
2. **register and choose the resume point in one loop step** (no await between): it is
   counted, registered for event frames, and gets ``replay`` (the events after its
   ``last_seq``) or a ``snapshot`` (``server_stub.policy.choose_resume``) up to the
   seq of that same instant — so nothing is missed or doubled;
3. a seat's first connection tells the ACD it is online (:mod:`server_stub.presence`);
4. **welcome → snapshot | replay → synced**, then the frames queued meanwhile; from
   then on frames go straight to its socket (:mod:`server_stub.clients`). Hospital
   consoles get their pre-notifications instead of events, volunteers nothing, devices
   only what their crew needs (:mod:`server_stub.visibility`), in the snapshot and replay too;
5. **frames** until it closes (:class:`server_stub.router.FrameRouter`);
6. on close: unregistered, and a seat's last connection takes it offline.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from app.domain.common import Principal
from app.domain.model import Role
from app.protocol import (
    CloseCode,
    ErrorCode,
    Message,
    ProtocolError,
    decode,
    encode,
    error,
    error_from,
    snapshot,
    synced,
    welcome,
)
from server_stub.auth import token_hash
from server_stub.bus import CommandBus
from server_stub.clients import Client, Clients, close_reason
from server_stub.config import ServerConfig
from server_stub.policy import ErrorBudget, choose_resume
from server_stub.presence import Presence
from server_stub.router import FrameRouter
from server_stub.telemetry import TelemetryRouter
from server_stub.visibility import DeviceView

log = logging.getLogger("server_stub.connection")

HELLO_ONLY = frozenset({"hello"})
CALLER_SOCKET_PREFIX = "/ws/caller/"


class Connections:
    """The websocket handler of the server. Loop only.

    Args:
        hospital_frames: the frames a hospital console gets on connect (its recent
            pre-notifications, :meth:`server_stub.prenotify.PrenotifyDesk.frames_on_connect`).
        on_live: called with a client once its catch-up is done (volunteers get their alerts).
        caller_page: serves a caller page's socket (``/ws/caller/<token>``) until it closes.
    """

    def __init__(
        self,
        config: ServerConfig,
        bus: CommandBus,
        clients: Clients,
        presence: Presence,
        telemetry: TelemetryRouter,
        router: FrameRouter,
        *,
        hospital_frames: Callable[[Client], Awaitable[list[str]]],
        on_live: Callable[[Client], None],
        caller_page: Callable[[ServerConnection], Awaitable[None]],
    ) -> None:
        self.config = config
        self.bus = bus
        self.clients = clients
        self.presence = presence
        self.telemetry = telemetry
        self.router = router
        self.hospital_frames = hospital_frames
        self.on_live = on_live
        self.caller_page = caller_page

    async def handle(self, ws: ServerConnection) -> None:
        if ws.request is not None and ws.request.path.startswith(CALLER_SOCKET_PREFIX):
            await self.caller_page(ws)
            return
        peer = _peer(ws)
        try:
            hello_msg = await self._authenticate(ws, peer)
        except ConnectionClosed:
            return
        if hello_msg is None:
            return
        principal, last_seq, client_name = hello_msg
        client = Client(ws, principal, ErrorBudget(self.config.error_limit, self.config.error_window_s))
        count = self.clients.connected(principal.id)
        log.info(
            "connected %s peer=%s client=%r last_seq=%s connections=%d",
            client.label,
            peer,
            client_name,
            last_seq,
            count,
        )
        if count > 1:
            log.warning("%s now has %d connections (all receive events)", client.label, count)
        try:
            # Synchronous, no await: the resume point and the registration for
            # broadcasts happen at the same instant, so nothing is missed or doubled.
            state = self.bus.state
            server_seq = state.seq
            resume = choose_resume(last_seq, server_seq)
            state_dict = state.to_dict() if resume == "snapshot" else None
            self.clients.add(client)
            if principal.role == Role.SEAT and count == 1:
                await self.presence.seat_changed(principal)
            await self._sync(client, resume, last_seq, server_seq, state_dict)
            self.telemetry.client_live(client, client.label, ws, principal.role)
            self.on_live(client)
            await self.router.serve(client)
        except ConnectionClosed:
            pass
        finally:
            self.clients.discard(client)
            self.telemetry.client_gone(client)
            left = self.clients.disconnected(principal.id)
            log.info(
                "disconnected %s peer=%s code=%s connections=%d",
                client.label,
                peer,
                ws.close_code,
                left,
            )
            if principal.role == Role.SEAT and left == 0 and not self.presence.stopping:
                await self.presence.seat_changed(principal)

    async def _authenticate(self, ws: ServerConnection, peer: str) -> tuple[Principal, int | None, str] | None:
        """Wait for a valid hello. Returns None after refusing (the socket is closed then)."""
        try:
            frame = await asyncio.wait_for(ws.recv(), timeout=self.config.hello_timeout_s)
        except TimeoutError:
            log.info("refused peer=%s: no hello within %.0f s", peer, self.config.hello_timeout_s)
            await _refuse(
                ws,
                error(ErrorCode.UNAUTHENTICATED, f"no hello within {self.config.hello_timeout_s:g} s"),
                CloseCode.AUTH_TIMEOUT,
            )
            return None
        if isinstance(frame, bytes):
            await _refuse(ws, error(ErrorCode.BAD_MESSAGE, "binary frames are not accepted"), CloseCode.UNSUPPORTED_DATA)
            return None
        try:
            msg = decode(frame, allowed=HELLO_ONLY)
        except ProtocolError as exc:
            if exc.code == ErrorCode.UNSUPPORTED_VERSION:
                reply, code = error_from(exc), CloseCode.UNSUPPORTED_VERSION
            else:
                # Not a valid hello (another type, bad JSON, a hello with a wrong field):
                # always `unauthenticated`, with the detail and the field for the vendor.
                what = "invalid hello" if _looks_like_hello(frame) else "authenticate first: the first frame must be hello"
                reply = error(ErrorCode.UNAUTHENTICATED, f"{what} ({exc.message})", field=exc.field)
                code = CloseCode.AUTH_TIMEOUT
            log.info("refused peer=%s before hello: %s", peer, exc.code.value)
            await _refuse(ws, reply, code)
            return None
        row = await asyncio.to_thread(self.bus.store.principal_by_token_hash, token_hash(msg["token"]))
        if row is None or row.revoked:
            log.warning("refused peer=%s: %s token", peer, "revoked" if row else "unknown")
            await _refuse(ws, error(ErrorCode.UNAUTHENTICATED, "unknown or revoked token"), CloseCode.AUTH_FAILED)
            return None
        principal = Principal(id=row.id, role=Role(row.role), name=row.name, unit_id=row.unit_id)
        return principal, msg.get("last_seq"), msg["client"]

    async def _sync(
        self,
        client: Client,
        resume: str,
        last_seq: int | None,
        server_seq: int,
        state_dict: dict[str, Any] | None,
    ) -> None:
        """welcome → snapshot or replay up to ``server_seq`` → synced → frames queued meanwhile."""
        ws = client.ws
        role = client.principal.role
        if role == Role.HOSPITAL:  # hospital consoles get their pre-notifications, never events
            resume = "snapshot"
        await ws.send(encode(welcome(principal=client.principal.as_dict(), server_seq=server_seq, resume=resume)))
        if role == Role.HOSPITAL:
            frames = await self.hospital_frames(client)
            for frame in frames:
                await ws.send(frame)
            log.info("%s: %d pre-notification(s) on connect", client.label, len(frames))
        elif role == Role.VOLUNTEER:
            pass  # a volunteer never sees the log: only its own alerts (server_stub/responders.py)
        elif state_dict is not None:
            if role == Role.DEVICE:  # least privilege: what the crew needs (server_stub/visibility.py)
                state_dict = self.bus.device_view.snapshot(state_dict)
            frame = encode(snapshot(seq=server_seq, state=state_dict))
            log.info("snapshot to %s seq=%d bytes=%d", client.label, server_seq, len(frame))
            await ws.send(frame)
        else:
            assert last_seq is not None
            missed = await asyncio.to_thread(self.bus.store.read_events, last_seq, server_seq)
            log.info("replay to %s after=%d events=%d", client.label, last_seq, len(missed))
            view: DeviceView | None = self.bus.device_view if role == Role.DEVICE else None
            for msg in missed:
                seen = msg if view is None else view.event(msg)
                if seen is not None:
                    await ws.send(encode(seen))
        await ws.send(encode(synced(seq=server_seq)))
        while client.pending:
            frames, client.pending = client.pending, []
            for frame in frames:
                await ws.send(frame)
        client.live = True  # no await between the empty check and this: nothing slips in between


async def _refuse(ws: ServerConnection, reply: Message, code: CloseCode) -> None:
    with contextlib.suppress(ConnectionClosed):
        await ws.send(encode(reply))
    await ws.close(code, close_reason(reply["message"]))


def _looks_like_hello(frame: str) -> bool:
    # Only called after decode() failed, so parsing twice does not matter.
    try:
        msg = orjson.loads(frame)
    except orjson.JSONDecodeError:
        return False
    return isinstance(msg, dict) and msg.get("type") == "hello"


def _peer(ws: ServerConnection) -> str:
    try:
        host, port = ws.remote_address[:2]
    except (TypeError, ValueError):
        return "?"
    return f"{host}:{port}"
