"""The websockets server: authentication, commands, fan-out, ACD timers.

Everything here runs on one asyncio loop (the server's main thread); the only
other thread is the one ``asyncio.to_thread`` lends for each database call.

The command path (:meth:`DispatchServer._execute_locked`), one at a time
under ``self._lock`` (single writer):

1. catch up with events another process appended (the admin CLI);
2. idempotency: a command id already applied returns its stored ack;
3. ``decide(state, principal, name, args)`` → drafts (or ProtocolError →
   error reply with that code);
4. validate every drafted event, number it, find the query rows it changes
   (:func:`server_stub.projection.project`);
5. one transaction: events + query rows + command row — COMMIT (in a worker
   thread; the loop keeps serving);
6. apply to the in-memory state, push the ack to the sender, broadcast the
   events to every connection, arm/cancel ring timers.

Anything unexpected in 2–5 is an ``internal`` error reply, logged with its
traceback; the transaction rolled back, the connection stays up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
from websockets.asyncio.server import Server, ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from app.domain.decide import (
    SYSTEM,
    EventDraft,
    Principal,
    decide,
    ring_timeout,
    seat_connected,
    seat_disconnected,
)
from app.domain.model import Role, SeatState
from app.domain.state import State
from app.domain.telemetry import decide_strip
from app.protocol import (
    CLIENT_TYPES,
    COMMAND_ROLES,
    MAX_FRAME_BYTES,
    CloseCode,
    ErrorCode,
    Message,
    ProtocolError,
    ack,
    decode,
    encode,
    error,
    error_from,
    now_iso,
    snapshot,
    synced,
    validate_event,
    welcome,
)
from app.protocol.telemetry import StripReason
from server_stub.auth import token_hash
from server_stub.caller_link import SOCKET_PREFIX as CALLER_SOCKET_PREFIX
from server_stub.caller_link import CallerLinkService
from server_stub.policy import ErrorBudget, choose_resume, is_slow
from server_stub.prenotify import PrenotifyDesk, is_hospital
from server_stub.projection import project
from server_stub.responders import ResponderDesk
from server_stub.store import Batch, CommandRecord, EventStore, StaleLogError
from server_stub.strips import STRIPS_PREFIX, Strip, StripStore, cut_strip, serve_strip, strip_id_for_command
from server_stub.telemetry import ALARM_STRIP_S, TelemetryRouter

log = logging.getLogger("server_stub.server")
# How long a stop waits for connection handlers to finish before closing the store anyway.
CLOSE_TIMEOUT_S = 5.0

WS_PATH = "/ws"
HELLO_ONLY = frozenset({"hello"})
# A live connection whose unsent output exceeds this is closed (1008) and
# catches up by replay when it reconnects; ~10k events, minutes of peak load.
SLOW_CLIENT_BYTES = 4 * 1024 * 1024
# Frames that arrive for a connection while it is still replaying; past this
# many it is closed the same way (it cannot be reading).
MAX_PENDING_FRAMES = 20_000
# The in-memory state must never run ahead of or behind the log: a batch that
# kept meeting a moving log end is retried this many times.
STALE_RETRIES = 5


@dataclass
class ServerConfig:
    """Run-time settings of one server process (the CLI fills these in)."""

    db_path: Path
    host: str = "127.0.0.1"
    port: int = 8120
    ring_timeout_s: float = 15.0
    hello_timeout_s: float = 10.0
    poll_interval_s: float = 1.0
    # After a restart, seats that were online get this long to reconnect
    # before the ACD takes them offline (and re-rings their calls).
    seat_grace_s: float = 10.0
    slow_client_bytes: int = SLOW_CLIENT_BYTES
    error_limit: int = 20
    error_window_s: float = 10.0
    # The caller link (issue 7, server_stub/caller_link.py).
    link_base_url: str | None = None  # e.g. https://120.example.cn ; default http://host:port
    link_ttl_s: float = 2 * 3600.0
    ice_servers: tuple[dict, ...] = ()  # WebRTC STUN/TURN for caller video, as RTCIceServer dicts (issue 7)
    tls_cert: Path | None = None
    tls_key: Path | None = None
    sms_gateway: Any = None  # an app.sms.SmsGateway; None: the simulated one
    caller_photos_kept: bool = True  # --caller-photos keep|discard (issue 7 retention)
    caller_media_days: float = 0.0  # --caller-media-days: photos deleted N days after the incident closed; 0: never
    responder_radius_m: int = 500  # first responders alerted within this (issue 5, server_stub/responders.py)
    walk_router: Any = None  # --city: an app.routing GraphRouter on the walking graph; None: straight-line walks


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

    @property
    def label(self) -> str:
        return f"{self.principal.role.value}:{self.principal.id}"


class DispatchServer:
    """The central server. Create, ``await start()``, then ``await close()``.

    All methods run on the server's asyncio loop.
    """

    def __init__(self, config: ServerConfig, store: EventStore) -> None:
        self.config = config
        self.store = store
        self.state = State()
        self._lock = asyncio.Lock()
        self._clients: set[Client] = set()
        self._connections: dict[str, int] = {}  # principal id -> open authenticated connections
        self._ring_timers: dict[str, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._ws_server: Server | None = None
        self._stopping = False
        self.port: int | None = None
        # Live telemetry (issue 6): not events, never in the log (server_stub/telemetry.py).
        self.telemetry = TelemetryRouter(on_alarm_strip=self._on_alarm_strip)
        self.strips = StripStore(store.engine)  # ECG strips beside the log (server_stub/strips.py)
        self.prenotify = PrenotifyDesk(store.engine)  # hospital pre-notification (server_stub/prenotify.py)
        self.responders = ResponderDesk(self, config.responder_radius_m, config.walk_router)  # volunteers (issue 5)
        self.caller_links = CallerLinkService(
            self, base_url=config.link_base_url, ttl_s=config.link_ttl_s, sms=config.sms_gateway,
            ice_servers=config.ice_servers, keep_photos=config.caller_photos_kept,
            media_days=config.caller_media_days,
        )

    # ------------------------------------------------------------ life cycle
    async def start(self) -> None:
        """Rebuild the state from the log, re-arm timers, listen.

        Raises:
            OSError: the address is in use or cannot be bound.
            sqlalchemy.exc.SQLAlchemyError: the database cannot be read.
        """
        started = time.perf_counter()
        count = await asyncio.to_thread(self._rebuild_state)
        log.info(
            "state rebuilt from the log: events=%d seq=%d took_ms=%.0f",
            count,
            self.state.seq,
            (time.perf_counter() - started) * 1000,
        )
        for call in self.state.calls.values():
            if call["state"] == "ringing":
                self._arm_ring_timer(call["call_id"], call["seat_id"])
        # No seat is connected to a server that just started; those that were
        # online get a grace period to reconnect before the ACD writes them off.
        stale_seats = [s["seat_id"] for s in self.state.seats.values() if s["state"] != SeatState.OFFLINE]
        if stale_seats:
            self._spawn(self._expire_seats_later(stale_seats), "seat grace")
        await asyncio.to_thread(self.caller_links.load)
        self._ws_server = await serve(
            self._handle_connection,
            self.config.host,
            self.config.port,
            process_request=self._process_request,
            ssl=_tls_context(self.config),
            max_size=MAX_FRAME_BYTES,
            # permessage-deflate roughly doubles CPU and triples memory per
            # connection (DESIGN.md §3, websockets 17); our frames are small.
            compression=None,
            # A seat whose network died is noticed after ping_interval + ping_timeout
            # (websockets' default 20 + 20 s); 10 + 10 s bounds how long a dead seat
            # still counts as online for the ACD.
            ping_interval=10,
            ping_timeout=10,
        )
        self.port = self._ws_server.sockets[0].getsockname()[1]
        self._spawn(self._poll_forever(), "log poller")
        if self.config.caller_media_days > 0:
            self._spawn(self.caller_links.purge_forever(), "caller media purge")
        self.telemetry.start()
        log.info("listening on ws://%s:%d%s", self.config.host, self.port, WS_PATH)

    def _rebuild_state(self) -> int:
        state = State()
        count = 0
        for msg in self.store.iter_events():
            state.apply(msg)
            count += 1
        self.state = state
        return count

    async def close(self) -> None:
        """Stop: close every connection with 1001 (going away), stop timers, close the store."""
        self._stopping = True
        for handle in self._ring_timers.values():
            handle.cancel()
        self._ring_timers.clear()
        if self._ws_server is not None:
            self._ws_server.close(close_connections=True, code=CloseCode.GOING_AWAY, reason="server shutting down")
            try:
                # A stop must not hang on one connection handler that does not finish (seen in
                # the golden-story test: SIGTERM did not end the server within 10 s); the store
                # is still closed cleanly below.
                await asyncio.wait_for(self._ws_server.wait_closed(), CLOSE_TIMEOUT_S)
            except TimeoutError:
                log.warning("connections still open %.0f s after the close; stopping anyway", CLOSE_TIMEOUT_S)
        await self.telemetry.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        # Wait for a command in flight to finish its commit before closing the store.
        async with self._lock:
            await asyncio.to_thread(self.store.close)
        log.info("server stopped at seq=%d", self.state.seq)

    def _spawn(self, coro: Any, what: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro, name=what)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %s failed", task.get_name(), exc_info=task.exception())

    async def _poll_forever(self) -> None:
        """Every poll interval, pick up events another process appended (admin CLI)."""
        while True:
            await asyncio.sleep(self.config.poll_interval_s)
            try:
                async with self._lock:
                    await self._catch_up()
            except Exception:
                log.exception("reading new events from the log failed; retrying")

    async def _expire_seats_later(self, seat_ids: list[str]) -> None:
        await asyncio.sleep(self.config.seat_grace_s)
        for seat_id in seat_ids:
            if self._connections.get(seat_id, 0) == 0:
                log.info("seat %s did not reconnect after the restart: offline", seat_id)
                await self._system(SYSTEM, lambda s, sid=seat_id: seat_disconnected(s, sid), "seat grace expired")

    # ------------------------------------------------------------ connections
    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        path = urlsplit(request.path).path
        if path.startswith(("/c/", CALLER_SOCKET_PREFIX, "/media/")):  # caller link: page, socket, photos
            return self.caller_links.process_request(connection, request)
        if path.startswith(STRIPS_PREFIX):  # a seat fetches an ECG strip's samples (issue 6)
            return serve_strip(self.store, self.strips, self.state.incidents, request)
        return _only_ws_path(connection, request)

    async def _handle_connection(self, ws: ServerConnection) -> None:
        if ws.request is not None and ws.request.path.startswith(CALLER_SOCKET_PREFIX):
            await self.caller_links.serve_page(ws)
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
        count = self._connections.get(principal.id, 0) + 1
        self._connections[principal.id] = count
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
            server_seq = self.state.seq
            resume = choose_resume(last_seq, server_seq)
            state_dict = self.state.to_dict() if resume == "snapshot" else None
            self._clients.add(client)
            if principal.role == Role.SEAT and count == 1:
                await self._seat_presence(principal)
            await self._sync(client, resume, last_seq, server_seq, state_dict)
            self.telemetry.client_live(client, client.label, ws, principal.role)
            self.responders.client_live(client)
            await self._serve_frames(client)
        except ConnectionClosed:
            pass
        finally:
            self._clients.discard(client)
            self.telemetry.client_gone(client)
            left = self._connections.get(principal.id, 1) - 1
            if left:
                self._connections[principal.id] = left
            else:
                self._connections.pop(principal.id, None)
            log.info(
                "disconnected %s peer=%s code=%s connections=%d",
                client.label,
                peer,
                ws.close_code,
                left,
            )
            if principal.role == Role.SEAT and left == 0 and not self._stopping:
                await self._seat_presence(principal)

    async def _authenticate(self, ws: ServerConnection, peer: str) -> tuple[Principal, int | None, str] | None:
        """Wait for a valid hello. Returns None after refusing (the socket is closed then)."""
        try:
            frame = await asyncio.wait_for(ws.recv(), timeout=self.config.hello_timeout_s)
        except TimeoutError:
            log.info("refused peer=%s: no hello within %.0f s", peer, self.config.hello_timeout_s)
            await self._refuse(
                ws,
                error(ErrorCode.UNAUTHENTICATED, f"no hello within {self.config.hello_timeout_s:g} s"),
                CloseCode.AUTH_TIMEOUT,
            )
            return None
        if isinstance(frame, bytes):
            await self._refuse(
                ws, error(ErrorCode.BAD_MESSAGE, "binary frames are not accepted"), CloseCode.UNSUPPORTED_DATA
            )
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
            await self._refuse(ws, reply, code)
            return None
        row = await asyncio.to_thread(self.store.principal_by_token_hash, token_hash(msg["token"]))
        if row is None or row.revoked:
            log.warning("refused peer=%s: %s token", peer, "revoked" if row else "unknown")
            await self._refuse(ws, error(ErrorCode.UNAUTHENTICATED, "unknown or revoked token"), CloseCode.AUTH_FAILED)
            return None
        principal = Principal(id=row.id, role=Role(row.role), name=row.name, unit_id=row.unit_id)
        return principal, msg.get("last_seq"), msg["client"]

    @staticmethod
    async def _refuse(ws: ServerConnection, reply: Message, code: CloseCode) -> None:
        with contextlib.suppress(ConnectionClosed):
            await ws.send(encode(reply))
        await ws.close(code, _reason(reply["message"]))

    async def _sync(
        self,
        client: Client,
        resume: str,
        last_seq: int | None,
        server_seq: int,
        state_dict: dict[str, Any] | None,
    ) -> None:
        """welcome → snapshot or replay up to ``server_seq`` → synced → frames queued meanwhile."""
        if is_hospital(client):  # hospital consoles get their pre-notifications, never events
            await self.prenotify.sync_hospital(self, client, server_seq)
            return
        ws = client.ws
        await ws.send(encode(welcome(principal=client.principal.as_dict(), server_seq=server_seq, resume=resume)))
        if client.principal.role == Role.VOLUNTEER:
            pass  # a volunteer never sees the log: only its own alerts (server_stub/responders.py)
        elif state_dict is not None:
            frame = encode(snapshot(seq=server_seq, state=state_dict))
            log.info("snapshot to %s seq=%d bytes=%d", client.label, server_seq, len(frame))
            await ws.send(frame)
        else:
            assert last_seq is not None
            missed = await asyncio.to_thread(self.store.read_events, last_seq, server_seq)
            log.info("replay to %s after=%d events=%d", client.label, last_seq, len(missed))
            for msg in missed:
                await ws.send(encode(msg))
        await ws.send(encode(synced(seq=server_seq)))
        while client.pending:
            frames, client.pending = client.pending, []
            for frame in frames:
                await ws.send(frame)
        client.live = True  # no await between the empty check and this: nothing slips in between

    async def _serve_frames(self, client: Client) -> None:
        async for frame in client.ws:
            if isinstance(frame, bytes):
                log.info("closing %s: binary frame", client.label)
                self._push(client, error(ErrorCode.BAD_MESSAGE, "binary frames are not accepted; send JSON text"))
                await client.ws.close(CloseCode.UNSUPPORTED_DATA, "binary frames are not accepted")
                return
            try:
                await self._handle_frame(client, frame)
            except ConnectionClosed:
                raise
            except Exception:  # a bug must cost one reply, never the connection or the server
                log.exception("internal error handling a frame from %s", client.label)
                self._push(client, error(ErrorCode.INTERNAL, "internal server error; nothing was applied"))
            if client.closing:
                # Close here, before the handler returns: websockets would close with 1000.
                await client.ws.close(client.close_code, client.close_reason)
                return

    async def _handle_frame(self, client: Client, frame: str) -> None:
        try:
            msg = decode(frame, allowed=CLIENT_TYPES)
        except ProtocolError as exc:
            self._invalid(client, error_from(exc))
            return
        if msg["type"] == "hello":
            self._invalid(client, error(ErrorCode.BAD_MESSAGE, "already authenticated"))
            return
        if msg["type"] == "volunteer.position":
            reply = self.responders.position(client, msg)
            if reply is not None:
                self._invalid(client, reply)
            return
        if msg["type"] == "rtc_to_caller":  # live video signalling to a caller's page (issue 7)
            reply = self.caller_links.rtc_from_seat(client, msg)
            if reply is not None:
                self._invalid(client, reply)
            return
        if msg["type"] in ("telemetry", "subscribe"):
            who = client.principal
            reply = self.telemetry.handle(client, client.label, client.ws, who.role, who.unit_id, msg)
            if reply is not None:
                self._invalid(client, reply)
            return
        name, command_id = msg["name"], msg["id"]
        if client.principal.role not in COMMAND_ROLES[name]:
            self._invalid(
                client,
                error(ErrorCode.FORBIDDEN, f"role {client.principal.role.value} may not send {name}", ref=command_id),
            )
            return
        args = msg["args"]
        who = client.principal
        if name == "telemetry.strip_request":
            await self._strip_request(client, who, command_id, args)
            return
        if name == "prenotify.send":
            await self.prenotify.send(self, client, who, command_id, args)
            return
        if name in ("responders.alert", "volunteer.respond"):
            handle = self.responders.alert_command if name == "responders.alert" else self.responders.respond_command
            await handle(client, who, command_id, args)
            return
        if name == "call.link_send":
            await self.caller_links.link_send(client, who, command_id, args)
            return
        await self._execute(
            who,
            lambda state: decide(state, who, name, args),
            command=(command_id, name),
            client=client,
        )

    # ------------------------------------------------------------ ECG strips (issue 6)
    async def _strip_request(self, client: Client, who: Principal, command_id: str, args: dict[str, Any]) -> None:
        """Cut the unit's last ``seconds`` of ECG, store the row, then append ``telemetry.strip_stored``."""
        strip = cut_strip(self.telemetry.recent_ecg(args["unit_id"], args["seconds"]), args["seconds"],
                          strip_id=strip_id_for_command(command_id), reason=StripReason.REQUEST)
        await self._store_strip(args["unit_id"], strip)
        await self._execute(
            who,
            lambda state: decide_strip(state, who, args, strip.meta() if strip is not None else None),
            command=(command_id, "telemetry.strip_request"),
            client=client,
        )

    async def _store_strip(self, unit_id: str, strip: Strip | None) -> bool:
        """Write the strip's row if the unit has a current incident (the event is decided after)."""
        incident_id = (self.state.units.get(unit_id) or {}).get("incident_id")
        if strip is None or not incident_id:
            return False
        try:
            await asyncio.to_thread(self.strips.save, strip, unit_id=unit_id, incident_id=incident_id)
        except Exception:
            log.exception("could not store ECG strip %s of unit %s", strip.strip_id, unit_id)
            return False
        return True

    def _on_alarm_strip(self, unit_id: str, code: str, chunks: list[Any]) -> None:
        """A high-priority alarm became active: keep the ECG before it, attached to the unit's incident."""
        strip = cut_strip(chunks, ALARM_STRIP_S, strip_id=str(uuid.uuid4()), reason=StripReason.ALARM,
                          alarm_code=code)
        if strip is None or not (self.state.units.get(unit_id) or {}).get("incident_id"):
            log.info("alarm %s of unit %s: no ECG or no current incident; no strip kept", code, unit_id)
            return

        async def keep() -> None:
            if await self._store_strip(unit_id, strip):
                await self._system(SYSTEM, lambda s: decide_strip(s, SYSTEM, {"unit_id": unit_id}, strip.meta()),
                                   "alarm strip")

        self._spawn(keep(), f"alarm strip {unit_id}")

    def _invalid(self, client: Client, reply: Message) -> None:
        """Reply to an invalid frame and count it against the connection's error budget."""
        self._push(client, reply)
        if client.errors.record(time.monotonic()):
            log.warning("closing %s: too many invalid frames", client.label)
            self._close_client(client, CloseCode.TOO_MANY_ERRORS, "too many invalid frames")

    # ------------------------------------------------------------ output
    def _push(self, client: Client, msg: Message | str) -> None:
        """Queue one frame for one client without waiting (see :meth:`_send_frames`)."""
        self._send_frames([client], encode(msg) if isinstance(msg, dict) else msg)

    def _send_frames(self, clients: list[Client] | set[Client], frame: str) -> None:
        """Write a frame to clients now, never waiting on any of them.

        Live clients get it through ``websockets.broadcast`` (fire-and-forget,
        no backpressure); clients still replaying get it queued after their
        replay. A client whose socket already holds more than
        ``slow_client_bytes`` unsent, or that queued too many frames while
        replaying, is closed with 1008: it reconnects and catches up by
        replay, so no event is ever silently dropped and memory stays bounded.
        """
        live = []
        for client in clients:
            if client.closing:
                continue
            if not client.live:
                if len(client.pending) >= MAX_PENDING_FRAMES:
                    self._close_client(client, CloseCode.POLICY_VIOLATION, "too slow: reconnect and resync")
                else:
                    client.pending.append(frame)
                continue
            transport = client.ws.transport
            buffered = transport.get_write_buffer_size() if transport is not None else 0
            if is_slow(buffered, self.config.slow_client_bytes):
                log.warning("closing %s: %d bytes unsent, too slow", client.label, buffered)
                self._close_client(client, CloseCode.POLICY_VIOLATION, "too slow: reconnect and resync")
                continue
            live.append(client.ws)
        if live:
            broadcast(live, frame)

    def _close_client(self, client: Client, code: CloseCode, reason: str) -> None:
        if client.closing:
            return
        client.closing = True
        client.close_code, client.close_reason = code, _reason(reason)
        self._spawn(client.ws.close(code, client.close_reason), f"close {client.label}")

    # ------------------------------------------------------------ the command path
    async def _execute(
        self,
        who: Principal,
        decide_fn: Callable[[State], list[EventDraft]],
        *,
        command: tuple[str, str] | None = None,
        client: Client | None = None,
    ) -> None:
        async with self._lock:
            await self._execute_locked(who, decide_fn, command=command, client=client)

    async def _system(self, who: Principal, decide_fn: Callable[[State], list[EventDraft]], what: str) -> None:
        """Run a server-made decision (ACD, seat presence) through the command path.

        ``what`` names it in the log. Never raises (failures are logged).
        """
        try:
            async with self._lock:
                await self._execute_locked(who, decide_fn, command=None, client=None, what=what)
        except Exception:
            log.exception("system decision %s failed", what)

    async def _execute_locked(
        self,
        who: Principal,
        decide_fn: Callable[[State], list[EventDraft]],
        *,
        command: tuple[str, str] | None,
        client: Client | None,
        what: str = "system",
    ) -> None:
        command_id, command_name = command if command is not None else (None, what)
        try:
            for _attempt in range(STALE_RETRIES):
                # One trip to the database thread: events another process appended, and
                # whether this command id was applied before.
                newer, previous = await asyncio.to_thread(self._read_before_command, command_id)
                self._apply_newer(newer)
                if previous is not None:
                    self._reply_duplicate(client, who, command_id, previous)
                    return
                try:
                    drafts = decide_fn(self.state)
                except ProtocolError as exc:
                    exc.ref = command_id
                    log.info("refused %s %s from %s: %s", command_name, command_id, who.id, exc.code.value)
                    if client is not None:
                        self._push(client, error_from(exc))
                    return
                for event_name, data in drafts:
                    validate_event(event_name, data)  # a ProtocolError here is a bug: internal
                proj = project(
                    self.state,
                    drafts,
                    ts=now_iso(),
                    actor={"id": who.id, "role": who.role.value},
                    ref=command_id,
                )
                if proj.skipped:
                    raise RuntimeError(f"{proj.skipped} drafted event(s) do not apply to the state")
                seq = proj.last_seq if proj.last_seq is not None else self.state.seq
                reply = ack(ref=command_id, seq=seq, events=len(proj.events)) if command_id else None
                batch = Batch(expected_seq=self.state.seq, events=proj.events, changed=proj.changed)
                if command_id is not None and reply is not None:
                    batch.command = CommandRecord(command_id, who.id, command_name, reply)
                if not batch.events and batch.command is None:
                    return
                try:
                    await asyncio.to_thread(self.store.commit, batch)
                except StaleLogError:
                    log.info("log moved while deciding %s; catching up and deciding again", command_name)
                    continue
                break
            else:
                raise RuntimeError(f"log kept moving; gave up after {STALE_RETRIES} attempts")
        except Exception:
            log.exception("internal error handling %s %s from %s; nothing stored", command_name, command_id, who.id)
            if client is not None:
                self._push(
                    client,
                    error(ErrorCode.INTERNAL, "internal server error; the command was not applied", ref=command_id),
                )
            return
        # Durable from here on: whatever happens next, the sender gets its ack.
        if proj.events:
            log.info(
                "applied %s %s from %s: seq=%d..%d",
                command_name,
                command_id or "-",
                who.id,
                proj.events[0]["seq"],
                proj.events[-1]["seq"],
            )
        try:
            self._apply_committed(proj.events)
        except Exception:
            log.exception("applying committed events failed; rebuilding the state from the log")
            await asyncio.to_thread(self._rebuild_state)
        if client is not None and reply is not None:
            self._push(client, reply)
        self._broadcast(proj.events)

    def _reply_duplicate(self, client: Client | None, who: Principal, command_id: str, previous: CommandRecord) -> None:
        if client is None:
            return
        if previous.principal_id != who.id:
            log.warning("command id %s reused by %s (first sent by %s)", command_id, who.id, previous.principal_id)
            self._push(
                client, error(ErrorCode.CONFLICT, "this command id was already used by another sender", ref=command_id)
            )
            return
        log.info("duplicate command %s from %s: same ack", command_id, who.id)
        self._push(client, {**previous.ack, "duplicate": True})

    def _read_before_command(self, command_id: str | None) -> tuple[list[Message], CommandRecord | None]:
        """Worker thread: the log after our state, and the stored command with this id (if any)."""
        newer = self.store.read_events(self.state.seq)
        return newer, (self.store.find_command(command_id) if command_id is not None else None)

    async def _catch_up(self) -> None:
        """Apply and broadcast events other processes appended. Call with the lock held."""
        self._apply_newer(await asyncio.to_thread(self.store.read_events, self.state.seq))

    def _apply_newer(self, newer: list[Message]) -> None:
        if not newer:
            return
        log.info("picked up %d event(s) written by another process: seq=%d..%d", len(newer), newer[0]["seq"], newer[-1]["seq"])
        self._apply_committed(newer)
        self._broadcast(newer)

    def _apply_committed(self, events: list[Message]) -> None:
        for msg in events:
            self.state.apply(msg)
            name, data = msg["name"], msg["data"]
            if name == "call.ringing":
                self._arm_ring_timer(data["call_id"], data["seat_id"])
            elif name in ("call.answered", "call.abandoned", "call.queued", "call.ended", "call.ring_timeout"):
                handle = self._ring_timers.pop(data["call_id"], None)
                if handle is not None:
                    handle.cancel()
            elif name == "principal.revoked":
                for client in list(self._clients):
                    if client.principal.id == data["principal_id"]:
                        log.info("closing %s: credential revoked", client.label)
                        self._close_client(client, CloseCode.AUTH_FAILED, "credential revoked")

    def _broadcast(self, events: list[Message]) -> None:
        # Hospital consoles and volunteers never get events (volunteers: server_stub/responders.py).
        receivers = [c for c in self._clients if not is_hospital(c) and c.principal.role != Role.VOLUNTEER]
        for msg in events:
            self._send_frames(receivers, encode(msg))
        self.prenotify.deliver(self, events)
        self.caller_links.on_events(events)
        self.responders.on_events(events)

    # ------------------------------------------------------------ ACD and presence
    def _arm_ring_timer(self, call_id: str, seat_id: str) -> None:
        old = self._ring_timers.pop(call_id, None)
        if old is not None:
            old.cancel()
        if self._stopping:
            return
        loop = asyncio.get_running_loop()
        self._ring_timers[call_id] = loop.call_later(self.config.ring_timeout_s, self._ring_timer_fired, call_id, seat_id)

    def _ring_timer_fired(self, call_id: str, seat_id: str) -> None:
        self._ring_timers.pop(call_id, None)
        log.info("call %s not answered at %s within %g s", call_id, seat_id, self.config.ring_timeout_s)
        self._spawn(
            self._system(SYSTEM, lambda s: ring_timeout(s, call_id, seat_id), "ring timeout"), f"ring timeout {call_id}"
        )

    async def _seat_presence(self, principal: Principal) -> None:
        """Tell the ACD a seat came or went, deciding on the connection count at that moment."""

        def presence(state: State) -> list[EventDraft]:
            if self._connections.get(principal.id, 0) > 0:
                return seat_connected(state, principal.id)
            return seat_disconnected(state, principal.id)

        online = self._connections.get(principal.id, 0) > 0
        await self._system(principal if online else SYSTEM, presence, "seat connected" if online else "seat disconnected")


def _only_ws_path(connection: ServerConnection, request: Request) -> Response | None:
    if urlsplit(request.path).path != WS_PATH:
        return connection.respond(HTTPStatus.NOT_FOUND, f"not found: the websocket endpoint is {WS_PATH}\n")
    return None


def _tls_context(config: ServerConfig) -> ssl.SSLContext | None:
    """HTTPS/WSS for the caller page (phones need a secure context for geolocation). Raises OSError/SSLError."""
    if config.tls_cert is None:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(config.tls_cert, config.tls_key)
    return context


def _reason(text: str) -> str:
    """A close reason that fits the 123-byte limit of a close frame (RFC 6455 §5.5)."""
    return text.encode("utf-8")[:120].decode("utf-8", errors="ignore")


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
