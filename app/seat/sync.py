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
    :data:`MAX_SERVER_RETRIES`-th one is final (no ``retry`` key): the command
    is rejected, so a command the server can never apply does not sit in the
    outbox forever while the banner says "online".
  - every other code (``unit_busy``, ``illegal_transition``, ``conflict``,
    ``forbidden``, ``not_found``, ``invalid_args``, …, and codes this seat does
    not know) will not change on retry: the command moves to the journal's
    ``rejected`` table and the dispatcher sees it.

* Invalid frames from the server are logged and skipped; a callback that raises
  is logged; neither stops the thread. Frames from the server may exceed the
  protocol's ``MAX_FRAME_BYTES`` only if they are a ``snapshot`` (it grows with
  the centre's state; see :func:`decode_server_frame`).

Identity: before connecting the journal is bound to the server URL, and after
``welcome`` to the principal id. If either changed, or the server's log is
shorter than what this seat has seen (``server_seq < last_seq``: a restored or
different database), the saved events are forgotten and the client reconnects
at once asking for a snapshot.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidURI, WebSocketException
from websockets.uri import parse_uri

from app.protocol import (
    CLIENT_TYPES,
    ENVELOPES,
    EVENTS,
    MAX_FRAME_BYTES,
    SERVER_TYPES,
    CloseCode,
    ErrorCode,
    Message,
    ProtocolError,
    command,
    decode,
    encode,
    error,
    hello,
    validate_event,
)
from app.protocol.schema import check_object
from app.seat.journal import Journal, JournalError
from app.seat.store import ConnectionStatus, Link

log = logging.getLogger(__name__)

# Transient error codes: the command was not applied and may succeed later.
RETRYABLE_CODES = frozenset({ErrorCode.INTERNAL.value, ErrorCode.RATE_LIMITED.value})
MAX_SERVER_RETRIES = 5
# Close codes after which retrying with the same token cannot help.
AUTH_CLOSE_CODES = frozenset({CloseCode.AUTH_FAILED, CloseCode.UNSUPPORTED_VERSION})
# Frames taken from the receive queue at once; consecutive events among them
# are written to the journal in one transaction.
MAX_BATCH = 500
# MAX_FRAME_BYTES bounds what a *client* may send. A snapshot is one frame that
# grows with the centre's state (the server sends it whole), so frames from the
# server may be larger; this bound only protects the seat's memory.
MAX_INBOUND_FRAME_BYTES = 64 * 1024 * 1024
_CLOSED = object()  # queue sentinel: the connection is closed


class Backoff:
    """Reconnect delays: ``initial_s``, doubling, at most ``max_s``, with jitter.

    Each delay is drawn uniformly from ``[base/2, base]`` ("equal jitter"), so
    forty seats that lost the same server do not all come back in the same
    millisecond, and no delay exceeds ``max_s``. Pure; ``rng`` is injectable.
    """

    def __init__(self, initial_s: float = 0.5, max_s: float = 10.0, rng: Callable[[], float] = random.random):
        self.initial_s = initial_s
        self.max_s = max_s
        self._rng = rng
        self._failures = 0

    def next(self) -> float:
        base = min(self.initial_s * 2**self._failures, self.max_s)
        self._failures = min(self._failures + 1, 60)
        return base * (1.0 - 0.5 * self._rng())

    def reset(self) -> None:
        self._failures = 0


@dataclass
class _Session:
    """What happened on one connection (loop thread only)."""

    connected: bool = False
    synced: bool = False
    reset: bool = False  # journal reset: reconnect at once, asking for a snapshot
    close_code: int | None = None
    close_reason: str = ""
    detail: str = ""
    sent: set[str] = field(default_factory=set)  # command ids sent on this connection
    sender: asyncio.Task | None = None


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

    Raises:
        ValueError: ``url`` is not a websocket URL.
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
    ) -> None:
        try:
            parse_uri(url)
        except InvalidURI as exc:
            raise ValueError(f"not a websocket URL: {url!r} ({exc})") from None
        self.url = url
        self.journal = journal
        self.client_name = client_name
        self._token = token
        self._on_message = on_message
        self._on_status = on_status
        self._backoff = Backoff(*backoff_s)
        self._server_retry_s = server_retry_s
        self._ping_interval_s = ping_interval_s
        self._ping_timeout_s = ping_timeout_s
        self._open_timeout_s = open_timeout_s
        self._close_timeout_s = close_timeout_s
        self._server_retries: dict[str, int] = {}
        # Telemetry subscription (issue 6): sent after every "synced", replaced by subscribe().
        self._subscription: tuple[list[str], list[str]] | None = None
        self._live_ws: ClientConnection | None = None
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
        frame = {"v": 1, "type": "subscribe", "unit_ids": list(unit_ids), "kinds": list(kinds)}
        check_object(ENVELOPES["subscribe"], {k: v for k, v in frame.items() if k not in ("v", "type")}, "subscribe")
        self._subscription = (list(unit_ids), list(kinds))
        self._call_in_loop(self._send_subscription)

    def send_direct(self, msg: dict[str, Any]) -> bool:
        """Send a non-command message (e.g. ``rtc_to_caller``) now if online; never journaled. Any thread.

        Returns False when offline (the message is dropped: it only makes sense live). Raises
        ProtocolError if the message is invalid."""
        frame = encode(msg)
        decode(frame, allowed=CLIENT_TYPES)
        if self._live_ws is None:
            return False

        def go() -> None:
            ws = self._live_ws
            if ws is None:
                return

            async def send() -> None:
                try:
                    await ws.send(frame)
                except ConnectionClosed:
                    pass  # live-only: not re-sent

            asyncio.ensure_future(send())

        self._call_in_loop(go)
        return True

    def _send_subscription(self) -> None:
        ws, sub = self._live_ws, self._subscription
        if ws is None or sub is None:
            return
        frame = encode({"v": 1, "type": "subscribe", "unit_ids": sub[0], "kinds": sub[1]})

        async def send() -> None:
            try:
                await ws.send(frame)
            except ConnectionClosed:
                pass  # re-sent after the reconnect

        asyncio.ensure_future(send())

    def set_token(self, token: str) -> None:
        """Use a new token and, if the old one was refused, reconnect now. Thread: any."""
        self._token = token
        self._call_in_loop(self._retry_now)

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
        self._outbox_event = asyncio.Event()
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
        self._outbox_event.set()
        self._report(self._status.link, self._status.detail, self._status.retry_in_s)

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
            try:
                session = await self._session()
            except Exception as exc:  # a bug must not end the seat's only link
                log.exception("connection attempt failed unexpectedly")
                session = _Session(detail=_describe(exc))
            if self._stopping:
                break
            if session.synced:
                self._backoff.reset()
            code = session.close_code
            detail = session.detail or (
                f"closed by server: {code} {session.close_reason}".strip() if code else ""
            )
            if code in AUTH_CLOSE_CODES:
                log.error("server refused this seat's credentials (%s); waiting for a new token", code)
                self._blocked = True
                self._report(Link.AUTH_FAILED, detail)
                continue
            if code == CloseCode.REPLACED:
                # The same seat connected from elsewhere; fighting back would
                # make the two throw each other out. Wait for the dispatcher.
                log.warning("connection replaced by another login of this seat; not reconnecting")
                self._blocked = True
                self._report(Link.OFFLINE, detail, None)
                continue
            if session.reset:
                continue  # reconnect at once, asking for a snapshot
            delay = self._backoff.next()
            log.info("offline (%s); reconnecting in %.2f s", detail or "connection lost", delay)
            self._report(Link.OFFLINE, detail, round(delay, 2))
            await self._sleep_or_wake(delay)
        self._report(Link.OFFLINE, "stopped", None)

    async def _session(self) -> _Session:
        session = _Session()
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
            return session
        try:
            ws = opening.result()
        except (OSError, TimeoutError, WebSocketException) as exc:  # refused, unreachable, handshake
            session.detail = _describe(exc)
            return session
        except Exception as exc:
            log.exception("cannot open the connection")
            session.detail = _describe(exc)
            return session
        session.connected = True
        log.info("connected to %s", self.url)
        try:
            await self._converse(ws, session)
        except (JournalError, OSError, WebSocketException) as exc:
            log.error("connection aborted: %s", _describe(exc))
            session.detail = _describe(exc)
        except Exception as exc:  # a bug must not end the seat's only link: log, back off, retry
            log.exception("connection aborted by an unexpected error")
            session.detail = _describe(exc)
        finally:
            await ws.close()  # 1000, idempotent
        return session

    async def _converse(self, ws: ClientConnection, session: _Session) -> None:
        last_seq = self.journal.last_seq
        await ws.send(encode(hello(token=self._token, client=self.client_name, last_seq=last_seq)))
        queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=2 * MAX_BATCH)
        reader = asyncio.ensure_future(self._read(ws, queue, session))
        processor = asyncio.ensure_future(self._process(ws, queue, session, last_seq))
        stopper = asyncio.ensure_future(self._stop_event.wait())
        try:
            await asyncio.wait({processor, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._live_ws = None
            tasks = [t for t in (reader, processor, stopper, session.sender) if t is not None]
            for task in tasks:
                if task is not processor or not task.done():
                    task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        if processor.done() and not processor.cancelled() and processor.exception() is not None:
            raise processor.exception()  # type: ignore[misc]

    async def _read(self, ws: ClientConnection, queue: asyncio.Queue[Any], session: _Session) -> None:
        try:
            while True:
                frame = await ws.recv()
                try:
                    msg = decode_server_frame(frame)
                except ProtocolError as exc:
                    log.warning("skipped an invalid frame from the server: %s (%s)", exc.message, exc.code)
                    continue
                await queue.put(msg)
        except ConnectionClosed as exc:
            if exc.rcvd is not None:
                session.close_code = exc.rcvd.code
                session.close_reason = exc.rcvd.reason
            else:
                session.detail = "connection lost"
        except Exception as exc:
            log.exception("receiving failed")
            session.detail = _describe(exc)
        await queue.put(_CLOSED)

    async def _process(
        self, ws: ClientConnection, queue: asyncio.Queue[Any], session: _Session, sent_last_seq: int | None
    ) -> None:
        """Handle received messages in order; consecutive events are made durable together."""
        while True:
            batch = [await queue.get()]
            while len(batch) < MAX_BATCH and not queue.empty():
                batch.append(queue.get_nowait())
            events: list[Message] = []
            for msg in batch:
                if msg is _CLOSED:
                    self._flush_events(events)
                    return
                if msg["type"] in ("unit_telemetry", "positions", "caller_link", "prenotify_package"):
                    self._deliver(msg)  # live data / the caller link's URL: never journaled, never replayed
                    continue
                if msg["type"] == "event":
                    if self._event_ok(msg):
                        events.append(msg)
                    continue
                self._flush_events(events)
                events = []
                if not self._handle(ws, msg, session, sent_last_seq):
                    return
            self._flush_events(events)

    def _event_ok(self, msg: Message) -> bool:
        if msg["name"] in EVENTS:
            try:
                validate_event(msg["name"], msg["data"])
            except ProtocolError as exc:
                log.warning("skipped invalid event seq %s (%s): %s", msg["seq"], msg["name"], exc.message)
                return False
        # Unknown names (a newer server) are kept: the projection ignores them.
        return True

    def _flush_events(self, events: list[Message]) -> None:
        if not events:
            return
        self.journal.record_events(events)  # durable first …
        for ev in events:
            self._deliver(ev)  # … then shown

    def _handle(
        self, ws: ClientConnection, msg: Message, session: _Session, sent_last_seq: int | None
    ) -> bool:
        """Handle one non-event message. Returns False to end the connection (journal reset)."""
        mtype = msg["type"]
        if mtype == "welcome":
            principal_id = msg["principal"]["id"]
            changed = self.journal.bind_principal(principal_id)
            behind = sent_last_seq is not None and msg["server_seq"] < sent_last_seq
            log.info("welcomed as %s (%s), server seq %s", principal_id, msg["resume"], msg["server_seq"])
            self._deliver(msg)
            if (changed or behind) and sent_last_seq is not None:
                if behind:
                    log.warning(
                        "server log ends at seq %s but this seat has seen %s: asking for a snapshot",
                        msg["server_seq"],
                        sent_last_seq,
                    )
                    self.journal.forget_events()
                session.reset = True
                return False
            self._report(Link.SYNCING)
        elif mtype == "snapshot":
            self.journal.reset_for_snapshot(msg)
            self._deliver(msg)
        elif mtype == "synced":
            self._deliver(msg)
            if session.synced:
                return True  # a repeated "synced" changes nothing
            session.synced = True
            self._live_ws = ws
            self._send_subscription()
            self._report(Link.ONLINE)
            self._outbox_event.set()
            session.sender = asyncio.ensure_future(self._send_outbox(ws, session))
            self.journal.compact()
        elif mtype == "ack":
            self._server_retries.pop(msg["ref"], None)
            self.journal.mark_acked(msg["ref"])
            self._deliver(msg)
            self._report(self._status.link)
        elif mtype == "error":
            self._handle_error(msg, session)
        return True

    def _handle_error(self, msg: Message, session: _Session) -> None:
        ref = msg.get("ref")
        if not ref or not self.journal.is_pending(ref):
            log.warning("server error %s: %s", msg["code"], msg["message"])
            self._deliver(msg)
            return
        code = msg["code"]
        tries = self._server_retries.get(ref, 0) + 1
        if code in RETRYABLE_CODES and tries < MAX_SERVER_RETRIES:
            self._server_retries[ref] = tries
            first_s, max_s = self._server_retry_s
            delay = min(first_s * 2.0 ** (tries - 1), max_s)
            log.warning(
                "command %s: server said %s (%s); retrying in %.2f s", ref, code, msg["message"], delay
            )
            asyncio.get_running_loop().call_later(delay, self._release, session, ref)
            self._deliver({**msg, "retry": True})
        else:
            self._server_retries.pop(ref, None)
            log.warning("command %s rejected: %s (%s)", ref, code, msg["message"])
            self.journal.mark_rejected(ref, code, msg["message"])
            self._deliver(msg)
        self._report(self._status.link)

    def _release(self, session: _Session, command_id: str) -> None:
        session.sent.discard(command_id)
        self._outbox_event.set()

    async def _send_outbox(self, ws: ClientConnection, session: _Session) -> None:
        """Send every outbox command not yet sent on this connection, in order; then wait for more."""
        try:
            while True:
                self._outbox_event.clear()
                for cmd in self.journal.pending():
                    if cmd.command_id in session.sent:
                        continue
                    try:
                        frame = encode(command(cmd.name, cmd.args, command_id=cmd.command_id))
                    except ProtocolError as exc:
                        # Stored by an older version whose rules differ: refuse it here, visibly.
                        self.journal.mark_rejected(cmd.command_id, exc.code.value, exc.message)
                        self._deliver(error(exc.code, exc.message, ref=cmd.command_id, field=exc.field))
                        continue
                    self.journal.mark_sent(cmd.command_id)
                    session.sent.add(cmd.command_id)
                    log.debug("sending %s %s", cmd.name, cmd.command_id)
                    await ws.send(frame)
                await self._outbox_event.wait()
        except ConnectionClosed:
            return  # the reader sees the close and ends the session
        except JournalError:
            log.exception("cannot read the outbox; dropping the connection")
            await ws.close(CloseCode.INTERNAL_ERROR, "seat journal error")


def decode_server_frame(frame: str | bytes) -> Message:
    """Decode a frame from the server: :func:`app.protocol.decode`, except that a
    ``snapshot`` may exceed ``MAX_FRAME_BYTES`` (up to :data:`MAX_INBOUND_FRAME_BYTES`),
    since it grows with the centre's state. Raises ProtocolError.
    """
    if len(frame) <= MAX_FRAME_BYTES:
        return decode(frame, allowed=SERVER_TYPES)
    msg = decode(frame, allowed=SERVER_TYPES, max_bytes=MAX_INBOUND_FRAME_BYTES)
    if msg["type"] != "snapshot":
        raise ProtocolError(ErrorCode.BAD_MESSAGE, f"frame larger than {MAX_FRAME_BYTES} bytes")
    return msg


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
