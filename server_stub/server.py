"""The server's composition root and life cycle: build the parts, listen, stop.

Everything runs on one asyncio loop (the server's main thread); the only other
thread is the one ``asyncio.to_thread`` lends for each database call.

The parts, each in its module:

* :mod:`server_stub.http_routes` — plain HTTP on the websocket port (caller page, photos,
  ECG strips, the KPI report of :mod:`server_stub.kpi_route`) and closing after each HTTP answer;
* :mod:`server_stub.connection` — one websocket from hello to close: authentication,
  snapshot or replay, then :mod:`server_stub.router` routes its frames;
* :mod:`server_stub.bus` — the command bus: single writer, durable append, events out
  and then the ack;
* :mod:`server_stub.clients` — the authenticated connections and the writes to them
  (back-pressure: a connection too far behind is closed and catches up by replay);
* :mod:`server_stub.presence` — ACD ring timers and seat presence;
* the desks, each given this server as its :class:`server_stub.ports.DeskPort`:
  :mod:`server_stub.strip_desk` (ECG strips), :mod:`server_stub.prenotify` (hospitals),
  :mod:`server_stub.responders` (volunteers), :mod:`server_stub.caller_link` (the caller's
  phone), and :mod:`server_stub.telemetry` (live device data, never in the log);
* :mod:`server_stub.fanout` — the bus to the other instances on the same log (``--bus``):
  a wake-up after each commit, watched units' telemetry, positions.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import Callable, Coroutine, Iterable
from typing import Any, TypeVar

from websockets.asyncio.server import Server, serve

from app.domain.common import Principal
from app.domain.state import State
from app.protocol import MAX_FRAME_BYTES, CloseCode, Message
from server_stub.bus import CommandBus, Decide
from server_stub.caller_link import CallerLinkService
from server_stub.clients import Client, Clients
from server_stub.config import ServerConfig
from server_stub.connection import Connections
from server_stub.fanout import Bus, LocalBus
from server_stub.http_routes import WS_PATH, AnsweringConnection, HttpRoutes
from server_stub.kpi_route import KpiRoute, KpiRowsRoute, RecordRoute
from server_stub.prenotify import PrenotifyDesk
from server_stub.presence import Presence
from server_stub.responders import ResponderDesk
from server_stub.router import FrameRouter
from server_stub.store import EventStore
from server_stub.strip_desk import StripDesk
from server_stub.strips import StripStore, serve_strip
from server_stub.telemetry import TelemetryRouter
from server_stub.tls import server_context
from server_stub.track import TrackRecorder
from server_stub.visibility import DeviceView

T = TypeVar("T")

__all__ = ["CLOSE_TIMEOUT_S", "Client", "DispatchServer", "ServerConfig"]

log = logging.getLogger("server_stub.server")
# How long a stop waits for connection handlers to finish before closing the store anyway.
CLOSE_TIMEOUT_S = 5.0


class DispatchServer:
    """The central server. Create, ``await start()``, then ``await close()``.

    It is also the :class:`server_stub.ports.DeskPort` its desks are given. All methods
    run on the server's asyncio loop.
    """

    def __init__(self, config: ServerConfig, store: EventStore, fanout: Bus | None = None) -> None:
        self.config = config
        self.store = store
        store.commit_timeout_s = config.commit_timeout_s
        self.fanout: Bus = fanout or LocalBus()
        self._log_moved = asyncio.Event()  # another instance said it appended (the bus)
        self.port: int | None = None  # the TCP port, once listening
        self._tasks: set[asyncio.Task[Any]] = set()
        self._ws_server: Server | None = None
        self.clients = Clients(config.slow_client_bytes, self.spawn)
        self.bus = CommandBus(store, self.clients, DeviceView(callback_number=config.devices_see_callback_number))
        self.presence = Presence(self.bus, self.clients, self.spawn, ring_timeout_s=config.ring_timeout_s,
                                 seat_grace_s=config.seat_grace_s)
        # Live telemetry: not events, never in the log.
        self.telemetry = TelemetryRouter(
            max_clock_skew_s=config.max_device_clock_skew_s, known_units=lambda: self.bus.state.units,
            relay=self.fanout,
        )
        # Tracks for playback: positions of units on an incident, beside the log (server_stub/track.py).
        self.track = TrackRecorder(store.engine, interval_s=config.track_interval_s,
                                   incident_of=lambda unit: (self.bus.state.units.get(unit) or {}).get("incident_id"))
        self.telemetry.on_position = self.track.offer
        self.bus.on_committed(self.fanout.publish_events)
        self.fanout.set_callbacks(
            on_events=self._other_instance_appended,
            on_telemetry=self.telemetry.receive_remote,
            on_positions=self.telemetry.merge_remote_positions,
        )
        self.strips = StripStore(store.engine)  # ECG strips beside the log
        self.strip_desk = StripDesk(self, self.strips, self.telemetry)
        self.telemetry.on_alarm_strip = self.strip_desk.alarm_strip
        self.prenotify = PrenotifyDesk(self, store.engine, self.telemetry, self.strips)
        self.responders = ResponderDesk(self, config.responder_radius_m, config.walk_router)
        self.caller_links = CallerLinkService(
            self, store, base_url=config.link_base_url, default_base_url=self._plain_base_url,
            ttl_s=config.link_ttl_s, sms=config.sms_gateway, ice_servers=config.ice_servers,
            keep_photos=config.caller_photos_kept, media_days=config.caller_media_days,
        )
        self.bus.on_applied(self.presence.on_events)
        self.bus.on_sent(self.prenotify.deliver)
        self.bus.on_sent(self.caller_links.on_events)
        self.bus.on_sent(self.responders.on_events)
        self.router = FrameRouter(
            self.bus, self.clients, self.telemetry,
            commands={
                "seat.set_ready": self.presence.set_ready,  # rate-limited changes of a seat's state
                "telemetry.strip_request": self.strip_desk.strip_request,
                "prenotify.send": self.prenotify.send,
                "responders.alert": self.responders.alert_command,
                "volunteer.respond": self.responders.respond_command,
                "call.link_send": self.caller_links.link_send,
            },
            frames={
                "volunteer.position": self.responders.position,
                "rtc_to_caller": self.caller_links.rtc_from_seat,  # live video signalling to a caller's page
            },
        )
        self.connections = Connections(
            config, self.bus, self.clients, self.presence, self.telemetry, self.router,
            hospital_frames=self.prenotify.frames_on_connect, on_live=self.responders.client_live,
            caller_page=self.caller_links.serve_page, spawn=self.spawn, fanout=self.fanout,
        )
        # A revoked or rotated credential's connections close on every instance (from the log).
        self.bus.on_applied(self.connections.on_events)
        self.kpi = KpiRoute(store, seq=lambda: self.bus.state.seq)  # GET /kpi: supervisors' dashboards, seats' own figures
        self.http = HttpRoutes(
            self.caller_links.process_request,
            lambda request: serve_strip(self.store, self.strips, self.bus.state.incidents, request),
            self.kpi.serve,
            RecordRoute(store).serve,  # GET /records/incident/<id> and /records/track/<id>: supervisors
            KpiRowsRoute(store).serve,  # GET /kpi/rows: a wall's KPI events since midnight
        )

    # ------------------------------------------------------------ the desks' port
    @property
    def state(self) -> State:
        return self.bus.state

    def push(self, client: Client, msg: Message | str) -> None:
        self.clients.push(client, msg)

    def push_all(self, clients: Iterable[Client], frame: str) -> None:
        self.clients.send(clients, frame)

    def clients_where(self, predicate: Callable[[Client], bool]) -> list[Client]:
        return self.clients.where(predicate)

    async def execute(self, who: Principal, decide: Decide, *, command: tuple[str, str], client: Client) -> None:
        await self.bus.execute(who, decide, command=command, client=client)

    async def system(self, who: Principal, decide: Decide, what: str) -> None:
        await self.bus.system(who, decide, what)

    async def catch_up(self) -> None:
        await self.bus.catch_up()

    def spawn(self, coro: Coroutine[object, None, T], what: str) -> asyncio.Task[T]:
        task = asyncio.get_running_loop().create_task(coro, name=what)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    # ------------------------------------------------------------ life cycle
    async def start(self) -> None:
        """Rebuild the state from the log, re-arm timers, listen.

        Raises:
            OSError: the address is in use or cannot be bound.
            sqlalchemy.exc.SQLAlchemyError: the database cannot be read.
            server_stub.fanout.BusUnavailableError: ``--bus`` cannot be reached.
        """
        started = time.perf_counter()
        count = await asyncio.to_thread(self.bus.rebuild_state)
        log.info(
            "state rebuilt from the log: events=%d seq=%d took_ms=%.0f",
            count,
            self.state.seq,
            (time.perf_counter() - started) * 1000,
        )
        self.presence.resume(self.state)
        await asyncio.to_thread(self.caller_links.load)
        await self.fanout.start()
        self._ws_server = await serve(
            self.connections.handle,
            self.config.host,
            self.config.port,
            process_request=self.http.process_request,
            create_connection=AnsweringConnection,
            ssl=tls_context(self.config),
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
        self.spawn(self._poll_forever(), "log poller")
        self.spawn(self._catch_up_on_bus_forever(), "log reader woken by the bus")
        if self.config.caller_media_days > 0:
            self.spawn(self.caller_links.purge_forever(), "caller media purge")
        self.telemetry.start()
        self.track.start()
        scheme = "ws" if self.config.tls_cert is None else "wss"
        log.info("listening on %s://%s:%d%s", scheme, self.config.host, self.port, WS_PATH)

    @property
    def handlers_running(self) -> int:
        """Connection handlers (websocket or plain HTTP) that have not returned yet."""
        return 0 if self._ws_server is None else len(self._ws_server.handler_tasks)

    async def close(self) -> None:
        """Stop: close every connection with 1001 (going away), stop timers, close the store."""
        self.presence.stop()
        if self._ws_server is not None:
            self._ws_server.close(close_connections=True, code=CloseCode.GOING_AWAY, reason="server shutting down")
            try:
                # A safety net only: every handler ends when its connection closes.
                await asyncio.wait_for(self._ws_server.wait_closed(), CLOSE_TIMEOUT_S)
            except TimeoutError:
                log.warning("connections still open %.0f s after the close; stopping anyway", CLOSE_TIMEOUT_S)
        await self.telemetry.close()
        await self.track.close()  # its last batch, before the store closes
        await self.fanout.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        # Wait for a command in flight to finish its commit before closing the store.
        async with self.bus.lock:
            self.bus.log_commit_summary(asyncio.get_running_loop().time())
            await self.store.aclose()
        log.info("server stopped at seq=%d", self.state.seq)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %s failed", task.get_name(), exc_info=task.exception())

    async def _poll_forever(self) -> None:
        """Pick up events another process appended (the admin CLI, other instances on PostgreSQL).

        Every poll interval, and on PostgreSQL as soon as another instance's append is
        notified (``LISTEN``, :class:`server_stub.store.AppendListener`); the log stays the
        truth, a missed notification only waits for the next poll.
        """
        appended = self.store.append_listener()
        try:
            while True:
                await appended.wait(self.config.poll_interval_s)
                self.bus.log_moved()  # a NOTIFY or the poll interval: the next batch reads first too
                try:
                    await self.bus.catch_up()
                except Exception:
                    log.exception("reading new events from the log failed; retrying")
        finally:
            await appended.close()

    def _other_instance_appended(self, last_seq: int | None) -> None:
        """The bus: another instance appended up to ``last_seq`` (None: it may have, read anyway)."""
        if last_seq is None or last_seq > self.state.seq:
            self.bus.log_moved()
            self._log_moved.set()

    async def _catch_up_on_bus_forever(self) -> None:
        """Read the log when the bus says another instance appended. The wake-ups are only
        hints: the events come from the log in seq order (:meth:`CommandBus.catch_up` reads
        after this instance's own state), so a lost, repeated or late hint loses or repeats
        nothing; the poll and NOTIFY of :meth:`_poll_forever` go on beside it."""
        while True:
            await self._log_moved.wait()
            self._log_moved.clear()
            try:
                await self.bus.catch_up()
            except Exception:
                log.exception("reading new events from the log failed; the poll retries")

    def _plain_base_url(self) -> str:
        return f"http://{self.config.host}:{self.port}"


def tls_context(config: ServerConfig) -> ssl.SSLContext | None:
    """HTTPS/WSS with the centre's certificate (server_stub/tls.py), or None: plain. Raises TlsSetupError."""
    if config.tls_cert is None:
        return None
    return server_context(config.tls_cert, config.tls_key or config.tls_cert)
