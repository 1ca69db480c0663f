"""One websocket connection from hello to close: authentication, catch-up, then frames.

Runs on the server's loop, one :meth:`Connections.handle` task per connection
(websockets' handler). The life of a connection:

1. **hello** within ``hello_timeout_s``, else close 4002; an unknown or revoked token
   closes 4001; a wrong protocol version 4003 (``app.protocol.CloseCode``), before or after the hello;
   too many refused tokens from one address, or one token refused too often, and further
   hellos are refused unchecked with ``rate_limited`` and close 1013 until the window
   allows again (:class:`server_stub.auth.LoginLimiter`; with a Redis bus the counts are
   shared by every instance, :class:`server_stub.fanout.SharedLoginLimits`). Every refusal is logged with
   the peer, the principal when known and the reason — never the token;
2. **register and choose the resume point in one loop step** (no await between): it is
   counted, registered for event frames, and gets ``replay`` (the events after its
   ``last_seq``) or a ``snapshot`` (``server_stub.policy.choose_resume``) up to the
   seq of that same instant — so nothing is missed or doubled;
3. a seat's first connection tells the ACD it is online (:mod:`server_stub.presence`);
4. **welcome → snapshot | replay → synced**, then the frames queued meanwhile; from
   then on frames go straight to its socket (:mod:`server_stub.clients`). Hospital
   consoles get their pre-notifications instead of events, volunteers nothing, devices
   only what their crew needs (:mod:`server_stub.visibility`): always a snapshot of their own
   unit's view, never a replay;
5. **frames** until it closes (:class:`server_stub.router.FrameRouter`);
6. on close: unregistered, and a seat's last connection takes it offline.

A credential revoked or rotated (``dispatch120-server admin revoke|rotate-token``, on any
instance) is a ``principal.revoked`` event in the shared log: each instance applies it
(at once on PostgreSQL NOTIFY, at worst after ``poll_interval_s``), re-reads the
credential and closes with 4001 every connection whose token no longer counts
(:meth:`Connections.on_events`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
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
from server_stub.auth import LoginLimiter, credential_label, token_hash
from server_stub.bus import CommandBus
from server_stub.clients import Client, Clients, Spawn, close_reason
from server_stub.config import ServerConfig
from server_stub.fanout import Bus, LocalBus, login_limits
from server_stub.policy import ErrorBudget, choose_resume
from server_stub.presence import Presence
from server_stub.router import FrameRouter
from server_stub.telemetry import TelemetryRouter
from server_stub.visibility import WALL_VIEW_ROLES, WallView

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
        fanout: the bus between instances; with Redis the failed-login counts are shared there
            (:class:`server_stub.fanout.SharedLoginLimits`).
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
        spawn: Spawn,
        fanout: Bus | None = None,
    ) -> None:
        self.config = config
        self.spawn = spawn
        # Failed logins: counted across the instances when the bus is Redis, else here alone.
        self.logins = login_limits(fanout or LocalBus(), LoginLimiter(
            per_address=config.login_failures_per_address,
            per_credential=config.login_failures_per_credential,
            window_s=config.login_window_s,
        ))
        # principal id -> seq of the last principal.revoked event applied here (rotation or revocation)
        self._credential_changed: dict[str, int] = {}
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
        principal, last_seq, client_name, digest, checked_at_seq = hello_msg
        client = Client(ws, principal, ErrorBudget(self.config.error_limit, self.config.error_window_s),
                        token_digest=digest)
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
            state_dict: dict[str, Any] | None
            if principal.role == Role.DEVICE:
                # Least privilege (server_stub/visibility.py): which events of a replay a device
                # may see depends on assignments it may not remember, so it always gets a
                # snapshot of its own view — its unit, its incident, the places (small).
                resume = "snapshot"
                state_dict = self.bus.device_view.snapshot(state, principal.unit_id)
            else:
                state_dict = state.to_dict() if resume == "snapshot" else None
            self.clients.add(client)
            if self._credential_changed.get(principal.id, 0) > checked_at_seq:
                # Revoked or rotated after its token was looked up: check it again (it is registered now).
                self.spawn(self._reverify(principal.id), f"re-verify {principal.id}")
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

    async def _authenticate(
        self, ws: ServerConnection, peer: str
    ) -> tuple[Principal, int | None, str, str, int] | None:
        """Wait for a valid hello. Returns None after refusing (the socket is closed then).

        Returns:
            (principal, last_seq, client name, token digest, the seq this instance had
            applied when the token was looked up).
        """
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
        digest = token_hash(msg["token"])
        address, credential = _host(ws), credential_label(digest)
        limited = await self.logins.retry_after(time.monotonic(), address=address, credential=digest)
        if limited is not None:
            by, wait_s = limited
            log.warning("refused peer=%s credential=%s client=%r: rate limited by %s, retry after %.0f s",
                        peer, credential, msg["client"], by, wait_s)
            reply = error(ErrorCode.RATE_LIMITED,
                          f"too many failed logins from this {by}; retry after {wait_s:.0f} s")
            await _refuse(ws, reply, CloseCode.TRY_AGAIN_LATER, f"rate limited, retry after {wait_s:.0f} s")
            return None
        checked_at_seq = self.bus.state.seq
        row = await asyncio.to_thread(self.bus.store.principal_by_token_hash, digest)
        if row is None or row.revoked:
            await self.logins.failed(time.monotonic(), address=address, credential=digest)
            log.warning("refused peer=%s principal=%s credential=%s client=%r: %s token", peer,
                        row.id if row else "?", credential, msg["client"], "revoked" if row else "unknown")
            await _refuse(ws, error(ErrorCode.UNAUTHENTICATED, "unknown or revoked token"), CloseCode.AUTH_FAILED)
            return None
        principal = Principal(id=row.id, role=Role(row.role), name=row.name, unit_id=row.unit_id)
        return principal, msg.get("last_seq"), msg["client"], digest, checked_at_seq

    # ------------------------------------------------------------ revocation and rotation
    def on_events(self, events: list[Message]) -> None:
        """Committed events (the bus's ``on_applied``, loop): a credential revoked or rotated
        — ``principal.revoked``, which a rotation writes before registering the principal
        again — has its connections re-checked against the credential's row."""
        for msg in events:
            if msg["name"] == "principal.revoked":
                principal_id = msg["data"]["principal_id"]
                self._credential_changed[principal_id] = msg["seq"]
                self.spawn(self._reverify(principal_id), f"re-verify {principal_id}")

    async def _reverify(self, principal_id: str) -> None:
        """Close (4001) the connections of ``principal_id`` whose token is revoked or replaced."""
        row = await asyncio.to_thread(self.bus.store.principal, principal_id)
        for client in self.clients.where(lambda c: c.principal.id == principal_id):
            if row is None or row.revoked:
                why = "credential revoked"
            elif row.token_hash != client.token_digest:
                why = "token replaced: log in with the new token"
            else:
                continue  # logged in with the current token (after a rotation)
            log.warning("closing %s peer=%s: %s", client.label, _peer(client.ws), why)
            self.clients.close(client, CloseCode.AUTH_FAILED, why)

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
            if role in WALL_VIEW_ROLES:  # wall display, supervisor: no caller (server_stub/visibility.py)
                state_dict = self.bus.wall_view.snapshot(state_dict)
            frame = encode(snapshot(seq=server_seq, state=state_dict))
            log.info("snapshot to %s seq=%d bytes=%d", client.label, server_seq, len(frame))
            await ws.send(frame)
        else:
            assert last_seq is not None
            missed = await asyncio.to_thread(self.bus.store.read_events, last_seq, server_seq)
            log.info("replay to %s after=%d events=%d", client.label, last_seq, len(missed))
            # Devices never replay (their snapshot is made in handle()).
            view: WallView | None = self.bus.wall_view if role in WALL_VIEW_ROLES else None
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


async def _refuse(ws: ServerConnection, reply: Message, code: CloseCode, reason: str | None = None) -> None:
    with contextlib.suppress(ConnectionClosed):
        await ws.send(encode(reply))
    await ws.close(code, close_reason(reply["message"] if reason is None else reason))


def _looks_like_hello(frame: str) -> bool:
    # Only called after decode() failed, so parsing twice does not matter.
    try:
        msg = orjson.loads(frame)
    except orjson.JSONDecodeError:
        return False
    return isinstance(msg, dict) and msg.get("type") == "hello"


def _host(ws: ServerConnection) -> str:
    """The peer's address without its port: what the login limit counts per address."""
    try:
        return str(ws.remote_address[0])
    except (TypeError, IndexError):
        return "?"


def _peer(ws: ServerConnection) -> str:
    try:
        host, port = ws.remote_address[:2]
    except (TypeError, ValueError):
        return "?"
    return f"{host}:{port}"
