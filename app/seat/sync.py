"""The seat's link to the server: a websocket client in its own thread and asyncio loop.

Life of a connection::

    CONNECTING ── hello{token, client, last_seq} ──► welcome
    SYNCING    ── (snapshot) ── event … event ──► synced
    ONLINE     ── re-send the outbox in order, then every new command as it is added;
                  acks, errors and live events as they come
    OFFLINE    ── connection lost: wait (backoff with jitter), then CONNECTING again
    AUTH_FAILED ─ close 4001/4003: stop until :meth:`SyncClient.set_token` gives a new token
    (close 4004, "replaced": another login of this seat took over; OFFLINE without
    retrying until :meth:`SyncClient.reconnect_now`, so two seats do not throw each other out)

The protocol rules (hello, snapshot or replay until ``synced``, the outbox's
order, ack and error matching, transient-error retries, the close-code policy)
live in :class:`app.protocol.session.ClientSession`; this module is its shell:
the socket, the thread, the timers and the journal.

Threads: :meth:`SyncClient.start` runs the loop in a daemon thread. The
callbacks ``on_message(msg)`` and ``on_status(status)`` are called **from that
thread**; the Qt bridge (``widgets.qt_bridge``) hops them to the GUI thread.
:meth:`~SyncClient.send_command`, :meth:`~SyncClient.set_token`,
:meth:`~SyncClient.reconnect_now` and :meth:`~SyncClient.stop` may be called
from any thread.

Durability and order:

* ``send_command`` writes the command to the journal's outbox first (durable),
  then wakes the loop. Nothing is sent before ``synced``: the outbox is sent in
  the order commands were made, after the seat has caught up, so the replies
  land on a current store and a refusal (say ``unit_busy``: another seat took
  the ambulance meanwhile) is shown against what really happened. The server is
  idempotent on command ids, so re-sending after a lost ack is safe (the reply
  is the same ack with ``duplicate: true``).
* Events are written to the journal (one transaction per batch of frames that
  arrived together) **before** they are passed to ``on_message``.
* An ``error`` that refers to a command in the outbox:

  - ``internal`` (the server failed; the command was *not* applied) and
    ``rate_limited`` are transient: the command stays in the outbox and is
    re-sent on the same connection after a short delay (1 s, doubling, at most
    10 s) and again after any reconnect. Each such error passed to
    ``on_message`` carries ``"retry": true`` (a local key, not part of the
    protocol) so the GUI says "retrying", not "failed". The
    :data:`~app.protocol.session.MAX_SERVER_RETRIES`-th one is final (no
    ``retry`` key): the command is rejected, so a command the server can never
    apply does not sit in the outbox forever while the banner says "online".
  - every other code (``unit_busy``, ``illegal_transition``, ``conflict``,
    ``forbidden``, ``not_found``, ``invalid_args``, …, and codes this seat does
    not know) will not change on retry: the command moves to the journal's
    ``rejected`` table and the dispatcher sees it.

* Invalid frames from the server are logged and skipped; a callback that raises
  is logged; neither stops the thread. Frames from the server may exceed the
  protocol's ``MAX_FRAME_BYTES`` only if they are a ``snapshot`` (it grows with
  the centre's state; see :func:`app.protocol.session.decode_server_frame`).

Several servers: ``fallback_urls`` lists other instances of the same centre (on one
shared log, docs/operations.md). After a connection is lost or cannot be opened the
next attempt goes to the next URL in the list, round and round; the seat says hello with
its ``last_seq`` there as anywhere, so it resumes from the shared log with nothing lost
or repeated. The journal stays bound to the first URL.

Identity: before connecting the journal is bound to the server URL, and after
``welcome`` to the principal id. If either changed, or the server's log is
shorter than what this seat has seen (``server_seq < last_seq``: a restored or
different database), the saved events are forgotten and the client reconnects
at once asking for a snapshot.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidURI, WebSocketException
from websockets.uri import parse_uri

from app.protocol import CloseCode, Message, ProtocolError, telemetry
from app.protocol.session import (
    MAX_INBOUND_FRAME_BYTES,
    Acked,
    Action,
    BadFrame,
    ClientSession,
    CloseAdvice,
    Deliver,
    GiveUp,
    HelloRefused,
    Reconnect,
    Rejected,
    Resync,
    ResyncReason,
    Retrying,
    SendFrame,
    Synced,
    Welcomed,
    check_client_frame,
)
from app.seat.journal import Journal, JournalError
from app.seat.store import ConnectionStatus, Link
from app.tls import client_context, describe_connect_error

log = logging.getLogger(__name__)

# Frames taken from the receive queue at once; consecutive events among them
# are written to the journal in one transaction.
MAX_BATCH = 500
# Live data and the caller link's URL: never journaled, never replayed, so they
# need not wait for the events batched before them to be written.
_LIVE_TYPES = frozenset({"unit_telemetry", "positions", "caller_link", "prenotify_package"})
_CLOSED = object()  # queue sentinel: the connection is closed


@dataclass
class _Connection:
    """One websocket connection's I/O state (loop thread only)."""

    ws: ClientConnection | None = None
    frames: asyncio.Queue[str] = field(default_factory=asyncio.Queue)  # to send, in order
    events: list[Message] = field(default_factory=list)  # received, not yet journaled
    sent_last_seq: int | None = None
    end: bool = False  # Resync: close this connection
    close_code: int | None = None
    close_reason: str = ""
    detail: str = ""


class SyncClient:
    """Keeps the seat's journal in sync with the server.

    Args:
        url: ``ws://`` or ``wss://`` URL of the server's endpoint.
        token: the seat's secret (from :mod:`app.secrets`); never logged.
        journal: the seat's journal; bound to ``url`` here (see module doc).
        client_name: sent in ``hello`` (e.g. ``"dispatch120-seat/0.1"``).
        on_message: called with every decoded server message, from the sync thread.
        on_status: called with a :class:`ConnectionStatus` on every change, from the sync thread.
        backoff_s: (initial, maximum) reconnect delay; tests shorten it.
        server_retry_s: (initial, maximum) delay before re-sending a command the server
            failed with ``internal``/``rate_limited``; doubles per retry.
        ca_file: the centre's CA (PEM): a ``wss://`` server must have a certificate it
            signed, and only it is trusted (:mod:`app.tls`). None: the system store.
        fallback_urls: other servers of the same centre, tried in order after ``url``
            when a connection is lost or cannot be opened (module doc); same scheme as ``url``.

    Raises:
        ValueError: ``url`` is not a websocket URL, or ``ca_file`` cannot be used
            (:class:`app.tls.TlsConfigError`).
        JournalError: the journal cannot be written.
    """

    def __init__(
        self,
        url: str,
        token: str,
        journal: Journal,
        *,
        client_name: str,
        on_message: Callable[[Message], Any],
        on_status: Callable[[ConnectionStatus], Any],
        backoff_s: tuple[float, float] = (0.5, 10.0),
        server_retry_s: tuple[float, float] = (1.0, 10.0),
        ping_interval_s: float = 5.0,
        ping_timeout_s: float = 10.0,
        open_timeout_s: float = 5.0,
        close_timeout_s: float = 2.0,
        ca_file: Path | None = None,
        fallback_urls: Sequence[str] = (),
    ) -> None:
        self.urls: tuple[str, ...] = (url, *fallback_urls)
        for each in self.urls:
            try:
                if parse_uri(each).secure != parse_uri(url).secure:
                    raise ValueError(f"{each!r}: every server URL must use the scheme of {url!r}")
            except InvalidURI as exc:
                raise ValueError(f"not a websocket URL: {each!r} ({exc})") from None
        self.url = url  # the server of the current (or next) connection attempt
        self.ca_file = ca_file
        # The TLS context for wss:// (also for fetching strips and photos over https); None for ws://.
        self.tls_context = client_context(url, ca_file)
        self._tls_kwargs: dict[str, Any] = {} if self.tls_context is None else {"ssl": self.tls_context}
        self.journal = journal
        self.client_name = client_name
        self._on_message = on_message
        self._on_status = on_status
        # The protocol's rules; used on the loop thread only (set_token hops there too).
        self._session = ClientSession(
            token=token,
            client=client_name,
            outbox=journal,
            backoff_s=backoff_s,
            server_retry_s=server_retry_s,
        )
        self._ping_interval_s = ping_interval_s
        self._ping_timeout_s = ping_timeout_s
        self._open_timeout_s = open_timeout_s
        self._close_timeout_s = close_timeout_s
        self._conn: _Connection | None = None
        self._blocked = False  # AUTH_FAILED / replaced: wait for set_token() or reconnect_now()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._status = ConnectionStatus(Link.CONNECTING, pending=journal.pending_count())
        if journal.bind_server(url):
            log.warning("server URL changed to %s: the journal was reset, a snapshot will be requested", url)

    # ------------------------------------------------------------ any thread
    @property
    def status(self) -> ConnectionStatus:
        """The last status reported (read from any thread)."""
        return self._status

    def replay_journal(self) -> list[Message]:
        """The saved snapshot and events, for the store to apply at start-up (offline start).

        Call on the GUI thread before :meth:`start`; feed each message to
        ``SeatStore.handle_message``.
        """
        return self.journal.replay()

    def send_command(self, name: str, args: dict[str, Any], command_id: str | None = None) -> str:
        """Queue a command: durable in the outbox when this returns; sent when online.

        Thread: any (widgets call it on the GUI thread); never blocks on the network.

        Returns:
            The command id; the ack or error that follows carries it as ``ref``.

        Raises:
            ProtocolError: invalid command or arguments (nothing queued).
            JournalError: the journal cannot be written.
        """
        cid = self.journal.add_command(name, args, command_id)
        self._call_in_loop(self._outbox_changed)
        return cid

    def subscribe(self, unit_ids: list[str], kinds: list[str]) -> None:
        """Watch these units' live telemetry (replaces the previous subscription). Any thread.

        Sent at once when online, and again after every reconnect. Telemetry
        and positions frames are never journaled: they go to ``on_message``
        directly. Raises ProtocolError if the lists are invalid.
        """
        units, wanted = list(unit_ids), list(kinds)
        check_client_frame(telemetry.subscribe(unit_ids=units, kinds=wanted))
        self._call_in_loop(lambda: self._carry_out(self._session.subscribe(units, wanted)))

    def send_direct(self, msg: dict[str, Any]) -> bool:
        """Send a non-command message (e.g. ``rtc_to_caller``) now if online; never journaled. Any thread.

        Returns False when offline (the message is dropped: it only makes sense live). Raises
        ProtocolError if the message is invalid."""
        check_client_frame(msg)
        if not self._session.synced:
            return False
        self._call_in_loop(lambda: self._carry_out(self._session.send_live(msg, check=False)))
        return True

    def set_token(self, token: str) -> None:
        """Use a new token and, if the old one was refused, reconnect now. Thread: any."""

        def use() -> None:
            self._session.set_token(token)
            self._retry_now()

        self._call_in_loop(use)
        if self._loop is None:
            self._session.set_token(token)  # not started: no loop thread to race with

    def reconnect_now(self) -> None:
        """Skip the current backoff wait (or leave the "replaced" state) and connect. Thread: any."""
        self._call_in_loop(self._retry_now)

    def start(self) -> None:
        """Start the sync thread. Raises RuntimeError if already started."""
        if self._thread is not None:
            raise RuntimeError("SyncClient already started")
        self._loop = asyncio.new_event_loop()
        # Created here, before the loop runs, so callbacks queued by other threads
        # before the main task's first step find them (asyncio binds them lazily).
        self._stop_event = asyncio.Event()
        self._wake = asyncio.Event()
        self._thread = threading.Thread(target=self._thread_main, name="dispatch120-sync", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> bool:
        """Close the connection (code 1000) and end the thread.

        Thread: any but the sync thread. Returns True if the thread ended within ``timeout``.
        """
        if self._thread is None:
            return True
        self._call_in_loop(self._request_stop)
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _call_in_loop(self, callback: Callable[[], Any]) -> None:
        loop = self._loop
        if loop is None:
            return  # not started: the journal holds the command until start()
        try:
            loop.call_soon_threadsafe(callback)
        except RuntimeError:
            pass  # loop already closed: stopped

    # ------------------------------------------------------------ loop thread
    def _thread_main(self) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._main())
        except Exception:
            log.exception("sync loop ended by an error")
        finally:
            try:
                tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
                for task in tasks:
                    task.cancel()
                if tasks:
                    loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()

    def _request_stop(self) -> None:
        self._stopping = True
        self._stop_event.set()
        self._wake.set()

    def _retry_now(self) -> None:
        self._blocked = False
        self._wake.set()

    def _outbox_changed(self) -> None:
        try:
            self._carry_out(self._session.flush())
        except JournalError:
            log.exception("cannot read the outbox; dropping the connection")
            self._abort_connection()
        self._report(self._status.link, self._status.detail, self._status.retry_in_s)

    def _abort_connection(self) -> None:
        conn = self._conn
        if conn is not None and conn.ws is not None:
            asyncio.ensure_future(conn.ws.close(CloseCode.INTERNAL_ERROR, "seat journal error"))

    def _report(self, link: Link, detail: str = "", retry_in_s: float | None = None) -> None:
        try:
            pending = self.journal.pending_count()
        except JournalError:
            log.exception("cannot count pending commands")
            pending = self._status.pending
        status = ConnectionStatus(link, pending=pending, detail=detail, retry_in_s=retry_in_s)
        if status == self._status and link != Link.CONNECTING:
            return
        self._status = status
        try:
            self._on_status(status)
        except Exception:
            log.exception("on_status callback failed")

    def _deliver(self, msg: Message) -> None:
        try:
            self._on_message(msg)
        except Exception:
            log.exception("on_message callback failed for a %s message", msg.get("type"))

    async def _sleep_or_wake(self, delay_s: float | None) -> None:
        """Wait ``delay_s`` (None: forever) or until stop/reconnect_now/set_token."""
        self._wake.clear()
        if self._stopping:
            return
        try:
            await asyncio.wait_for(self._wake.wait(), delay_s)
        except TimeoutError:
            pass

    async def _main(self) -> None:
        while not self._stopping:
            if self._blocked:
                await self._sleep_or_wake(None)
                continue
            conn = _Connection()
            try:
                await self._connection(conn)
            except Exception as exc:  # a bug must not end the seat's only link
                log.exception("connection attempt failed unexpectedly")
                conn.detail = _describe(exc)
            if self._stopping:
                break
            code = conn.close_code
            detail = conn.detail or (f"closed by server: {code} {conn.close_reason}".strip() if code else "")
            [outcome] = self._session.connection_lost(code, conn.close_reason)
            if isinstance(outcome, GiveUp):
                self._blocked = True
                if outcome.advice is CloseAdvice.REPLACED:
                    log.warning("connection replaced by another login of this seat; not reconnecting")
                    self._report(Link.OFFLINE, detail, None)
                else:
                    log.error("server refused this seat (%s, %s); waiting for a new token", code, outcome.advice)
                    self._report(Link.AUTH_FAILED, detail)
                continue
            assert isinstance(outcome, Reconnect)
            if outcome.after_s == 0:
                continue  # reconnect at once, asking for a snapshot
            self._next_server()
            if outcome.advice is CloseAdvice.CLIENT_FAULT:
                log.error("the server closed the connection for a fault of this seat: %s", detail)
            log.info("offline (%s); reconnecting in %.2f s", detail or "connection lost", outcome.after_s)
            self._report(Link.OFFLINE, detail, round(outcome.after_s, 2))
            await self._sleep_or_wake(outcome.after_s)
        self._report(Link.OFFLINE, "stopped", None)

    def _next_server(self) -> None:
        """The next attempt goes to the next server of the list (round and round)."""
        if len(self.urls) > 1:
            self.url = self.urls[(self.urls.index(self.url) + 1) % len(self.urls)]
            log.info("next connection attempt goes to %s", self.url)

    async def _connection(self, conn: _Connection) -> None:
        self._report(Link.CONNECTING)
        opening = asyncio.ensure_future(
            connect(
                self.url,
                max_size=MAX_INBOUND_FRAME_BYTES,
                ping_interval=self._ping_interval_s,
                ping_timeout=self._ping_timeout_s,
                open_timeout=self._open_timeout_s,
                close_timeout=self._close_timeout_s,
                # DESIGN §3: permessage-deflate costs ~2x CPU and ~3x memory for
                # small JSON frames on a LAN; the seat does not offer it.
                compression=None,
                # The seat talks to its centre's server directly; an HTTP proxy
                # from the environment must not capture it (nor 127.0.0.1 in tests).
                proxy=None,
                **self._tls_kwargs,
            )
        )
        stopper = asyncio.ensure_future(self._stop_event.wait())
        try:
            await asyncio.wait({opening, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()
        if not opening.done():
            opening.cancel()
            await asyncio.gather(opening, return_exceptions=True)
            return
        try:
            ws = opening.result()
        except (OSError, TimeoutError, WebSocketException, EOFError) as exc:  # refused, unreachable, TLS, handshake
            conn.detail = describe_connect_error(exc, self.url, self.ca_file)
            if isinstance(exc, ssl.SSLError):
                log.error("cannot connect to %s: %s", self.url, conn.detail)
            return
        except Exception as exc:
            log.exception("cannot open the connection")
            conn.detail = _describe(exc)
            return
        log.info("connected to %s", self.url)
        conn.ws = ws
        self._conn = conn
        try:
            await self._converse(ws, conn)
        except (JournalError, OSError, WebSocketException) as exc:
            log.error("connection aborted: %s", _describe(exc))
            conn.detail = _describe(exc)
        except Exception as exc:  # a bug must not end the seat's only link: log, back off, retry
            log.exception("connection aborted by an unexpected error")
            conn.detail = _describe(exc)
        finally:
            self._conn = None
            await ws.close()  # 1000, idempotent

    async def _converse(self, ws: ClientConnection, conn: _Connection) -> None:
        conn.sent_last_seq = self.journal.last_seq
        self._carry_out(self._session.connection_made(conn.sent_last_seq))
        queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=2 * MAX_BATCH)
        reader = asyncio.ensure_future(self._read(ws, queue, conn))
        writer = asyncio.ensure_future(self._write(ws, conn))
        processor = asyncio.ensure_future(self._process(queue, conn))
        stopper = asyncio.ensure_future(self._stop_event.wait())
        try:
            await asyncio.wait({processor, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            tasks = [reader, writer, processor, stopper]
            for task in tasks:
                if task is not processor or not task.done():
                    task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        if processor.done() and not processor.cancelled() and processor.exception() is not None:
            raise processor.exception()  # type: ignore[misc]

    async def _read(self, ws: ClientConnection, queue: asyncio.Queue[Any], conn: _Connection) -> None:
        try:
            while True:
                await queue.put(await ws.recv())
        except ConnectionClosed as exc:
            if exc.rcvd is not None:
                conn.close_code = exc.rcvd.code
                conn.close_reason = exc.rcvd.reason
            else:
                conn.detail = "connection lost"
        except Exception as exc:
            log.exception("receiving failed")
            conn.detail = _describe(exc)
        await queue.put(_CLOSED)

    async def _write(self, ws: ClientConnection, conn: _Connection) -> None:
        """Send the session's frames in the order it gave them."""
        try:
            while True:
                await ws.send(await conn.frames.get())
        except ConnectionClosed:
            return  # the reader sees the close and ends the connection; the outbox is re-sent later

    async def _process(self, queue: asyncio.Queue[Any], conn: _Connection) -> None:
        """Feed received frames to the session in order; consecutive events are made durable together."""
        while True:
            batch = [await queue.get()]
            while len(batch) < MAX_BATCH and not queue.empty():
                batch.append(queue.get_nowait())
            for frame in batch:
                if frame is _CLOSED:
                    self._flush_events(conn)
                    return
                self._carry_out(self._session.receive_frame(frame), conn)
                if conn.end:
                    self._flush_events(conn)
                    return
            self._flush_events(conn)

    def _flush_events(self, conn: _Connection) -> None:
        events, conn.events = conn.events, []
        if not events:
            return
        self.journal.record_events(events)  # durable first …
        for ev in events:
            self._deliver(ev)  # … then shown

    def _carry_out(self, actions: list[Action], conn: _Connection | None = None) -> None:
        """Do what the session said, in order (loop thread)."""
        conn = conn or self._conn
        for action in actions:
            if isinstance(action, SendFrame):
                if conn is not None:
                    conn.frames.put_nowait(action.frame)
                continue
            if isinstance(action, Deliver):
                msg = action.message
                if msg["type"] == "event" and conn is not None:
                    conn.events.append(msg)
                    continue
                if msg["type"] in _LIVE_TYPES:
                    self._deliver(msg)
                    continue
            if conn is not None:
                self._flush_events(conn)  # everything else is ordered after the events before it
            self._carry_out_one(action, conn)

    def _carry_out_one(self, action: Action, conn: _Connection | None) -> None:
        if isinstance(action, Deliver):
            if action.message["type"] == "snapshot":
                self.journal.reset_for_snapshot(action.message)
            self._deliver(action.message)
        elif isinstance(action, Welcomed):
            msg = action.message
            principal_id = action.principal["id"]
            changed = self.journal.bind_principal(principal_id)
            log.info("welcomed as %s (%s), server seq %s", principal_id, msg["resume"], msg["server_seq"])
            self._deliver(msg)
            sent_last_seq = conn.sent_last_seq if conn is not None else None
            if changed and sent_last_seq is not None and conn is not None and not conn.end:
                # The journal forgot the other principal's events: ask for a snapshot.
                self._carry_out(self._session.require_snapshot(ResyncReason.IDENTITY_CHANGED), conn)
            elif conn is not None and not self._session.resync_pending:
                self._report(Link.SYNCING)
        elif isinstance(action, Resync):
            if action.forget_events:
                log.warning(
                    "server log ends before what this seat has seen (%s): asking for a snapshot",
                    conn.sent_last_seq if conn is not None else None,
                )
                self.journal.forget_events()
            if conn is not None:
                conn.end = True
        elif isinstance(action, Synced):
            self._deliver(action.message)
            if action.first:
                self._report(Link.ONLINE)
                self.journal.compact()
        elif isinstance(action, Acked):
            self._deliver(action.message)
            self._report(self._status.link)
        elif isinstance(action, Retrying):
            msg = action.message
            log.warning(
                "command %s: server said %s (%s); retrying in %.2f s",
                action.command_id, msg["code"], msg["message"], action.after_s,
            )
            loop = asyncio.get_running_loop()
            loop.call_later(action.after_s, lambda: self._carry_out(self._session.resend(action.command_id)))
            self._deliver({**msg, "retry": True})
            self._report(self._status.link)
        elif isinstance(action, Rejected):
            msg = action.message
            log.warning("command %s rejected: %s (%s)", action.command_id, msg["code"], msg["message"])
            self._deliver(msg)
            self._report(self._status.link)
        elif isinstance(action, HelloRefused):
            log.warning("hello refused: %s (%s)", action.message["code"], action.message["message"])
            self._deliver(action.message)
        elif isinstance(action, BadFrame):
            exc: ProtocolError = action.error
            log.warning("skipped an invalid frame from the server: %s (%s)", exc.message, exc.code)


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
