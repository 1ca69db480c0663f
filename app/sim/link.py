"""A simulator's websocket link to the server: authenticate, follow the event log, send commands.

The same path a real phone switch or ambulance terminal takes (``docs/protocol.md``):
``hello`` with the principal's token → ``welcome`` → snapshot or replay → ``synced`` →
live events. The link keeps its own projection (:class:`~app.domain.state.State`) so a
simulator decides from the same state the seats see, and an outbox of commands not yet
acknowledged, re-sent after a reconnect with the same ids (the server's idempotency makes
that safe: a command is applied at most once).

Everything runs on one asyncio loop; the callbacks are called on it and must not block.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from app.domain.state import State
from app.protocol import CloseCode, Message, ProtocolError, command, encode, hello

# A snapshot is one frame that grows with the centre's state, so frames from the server
# may exceed the protocol's MAX_FRAME_BYTES; the seat's sync client decodes them the same way.
from app.seat.sync import MAX_INBOUND_FRAME_BYTES, decode_server_frame

log = logging.getLogger(__name__)

# Close codes after which retrying with the same token cannot help.
_FATAL_CLOSE = frozenset({CloseCode.AUTH_FAILED, CloseCode.UNSUPPORTED_VERSION})


class AuthRefused(RuntimeError):
    """The server refused this link's token (close 4001) or protocol version: retrying will not help."""


@dataclass(frozen=True)
class Refusal:
    """The server refused one of our commands; nothing was applied."""

    command_id: str
    name: str
    args: dict[str, Any]
    code: str
    message: str


class SimLink:
    """One authenticated connection, reconnecting until cancelled.

    Args:
        url: ``ws://host:port/ws``.
        token: the principal's token (never logged).
        client_name: sent in ``hello`` (shows in the server's log).
        on_synced: ``fn(state)`` after every (re)connect, once replay or snapshot is applied.
        on_event: ``fn(state, event)`` for each live event, after it was applied to ``state``.
        on_refused: ``fn(state, refusal)`` when the server refuses a command.
        on_message: ``fn(message)`` for any other server message (e.g. ``volunteer_alert``).
        rng: for the reconnect jitter.

    Call :meth:`run` in a task; cancel the task to stop. :meth:`send` may be called
    any time (also while offline): the command waits in the outbox.
    """

    def __init__(
        self,
        url: str,
        token: str,
        *,
        client_name: str,
        on_synced: Callable[[State], None] | None = None,
        on_event: Callable[[State, Message], None] | None = None,
        on_refused: Callable[[State, Refusal], None] | None = None,
        on_message: Callable[[Message], None] | None = None,
        rng: random.Random | None = None,
        backoff_s: tuple[float, float] = (0.1, 3.0),
    ) -> None:
        self.url = url
        self._token = token
        self.client_name = client_name
        self.on_synced = on_synced
        self.on_event = on_event
        self.on_refused = on_refused
        self.on_message = on_message
        self._rng = rng or random.Random()
        self._backoff_s = backoff_s
        self.state = State()
        self.principal: dict[str, Any] | None = None
        self.synced = False
        self.connects = 0  # successful syncs so far (for logs and tests)
        self.ever_synced = asyncio.Event()
        self._outbox: dict[str, Message] = {}  # command id -> frame, until acked or refused
        self._unsent: list[str] = []
        self._wake_sender = asyncio.Event()
        self._ws: ClientConnection | None = None  # while synced: for live frames (send_live)

    def __repr__(self) -> str:  # never show the token
        return f"SimLink({self.client_name!r}, {self.url!r}, synced={self.synced})"

    @property
    def pending(self) -> int:
        """Commands sent or waiting, not yet acknowledged."""
        return len(self._outbox)

    def send(self, name: str, args: dict[str, Any]) -> str:
        """Queue a command; returns its id. Sent now if synced, else after the next sync.

        Raises:
            ProtocolError: if the arguments do not validate (a bug in the caller).
        """
        msg = command(name, args)
        self._outbox[msg["id"]] = msg
        if self.synced:
            self._unsent.append(msg["id"])
            self._wake_sender.set()
        return msg["id"]

    async def send_live(self, msg: Message) -> bool:
        """Send a live frame (telemetry) now if synced; returns False (dropped) when offline.

        Live data is never queued: a position or an ECG chunk is worthless once late.
        Refusals come back as ``error`` frames with ``ref`` ``seq:N`` and are logged.
        """
        ws = self._ws
        if ws is None or not self.synced:
            return False
        try:
            await ws.send(encode(msg))
        except ConnectionClosed:
            return False
        return True

    async def run(self) -> None:
        """Connect, sync, serve; reconnect with backoff after any network failure.

        Returns never; cancel to stop.

        Raises:
            AuthRefused: when the server refuses the token or protocol version.
        """
        delay = self._backoff_s[0]
        while True:
            syncs_before = self.connects
            try:
                async with connect(
                    self.url,
                    max_size=MAX_INBOUND_FRAME_BYTES,
                    open_timeout=5,
                    close_timeout=2,
                    compression=None,
                ) as ws:
                    await self._session(ws)
            except ConnectionClosed as exc:
                rcvd = exc.rcvd
                if rcvd is not None and rcvd.code in _FATAL_CLOSE:
                    raise AuthRefused(
                        f"{self.client_name}: server refused us: {rcvd.code} {rcvd.reason}"
                    ) from None
                log.info(
                    "%s: connection closed (%s)", self.client_name, rcvd.code if rcvd else "no close frame"
                )
            except (OSError, InvalidHandshake, TimeoutError) as exc:
                log.info("%s: cannot connect to %s: %s", self.client_name, self.url, exc)
            except InvalidURI:
                raise
            finally:
                self.synced = False
                self._ws = None
            if self.connects > syncs_before:  # this session worked: start the backoff afresh
                delay = self._backoff_s[0]
            await asyncio.sleep(delay * (0.8 + 0.4 * self._rng.random()))
            delay = min(delay * 2, self._backoff_s[1])

    async def _session(self, ws: ClientConnection) -> None:
        last_seq = self.state.seq if self.state.seq > 0 else None
        await ws.send(encode(hello(token=self._token, client=self.client_name[:64], last_seq=last_seq)))
        sender: asyncio.Task[None] | None = None
        try:
            async for frame in ws:
                try:
                    msg = decode_server_frame(frame)
                except ProtocolError as exc:
                    log.warning("%s: ignoring a bad frame from the server: %s", self.client_name, exc.message)
                    continue
                try:
                    sender = self._handle(ws, msg, sender)
                except Exception:  # odd data from a newer server must not take the simulator down
                    log.exception("%s: could not handle a %s message; ignored", self.client_name, msg["type"])
        finally:
            if sender is not None:
                sender.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sender

    def _handle(
        self, ws: ClientConnection, msg: Message, sender: asyncio.Task[None] | None
    ) -> asyncio.Task[None] | None:
        """Apply one server message; returns the session's sender task (started at the first sync)."""
        mtype = msg["type"]
        if mtype == "event":
            changed = self.state.apply(msg)
            if changed and self.synced and self.on_event is not None:
                self._call(self.on_event, self.state, msg)
        elif mtype == "snapshot":
            self.state = State.from_dict(msg["state"])
        elif mtype == "welcome":
            self.principal = msg["principal"]
        elif mtype == "synced":
            self.synced = True
            self._ws = ws
            self.connects += 1
            self.ever_synced.set()
            log.info("%s: synced at seq %d", self.client_name, self.state.seq)
            self._unsent = list(self._outbox)  # resend what was never acked, same ids
            if sender is None:
                sender = asyncio.create_task(self._send_loop(ws), name=f"{self.client_name} sender")
            self._wake_sender.set()
            if self.on_synced is not None:
                self._call(self.on_synced, self.state)
        elif mtype == "ack":
            self._outbox.pop(msg["ref"], None)
        elif mtype == "error":
            self._on_error(msg)
        elif self.on_message is not None:
            self._call(self.on_message, msg)
        return sender

    async def _send_loop(self, ws: ClientConnection) -> None:
        while True:
            await self._wake_sender.wait()
            self._wake_sender.clear()
            while self._unsent:
                command_id = self._unsent.pop(0)
                msg = self._outbox.get(command_id)
                if msg is not None:
                    await ws.send(encode(msg))

    def _on_error(self, msg: Message) -> None:
        ref = msg.get("ref")
        sent = self._outbox.pop(ref, None) if ref else None
        if sent is None:
            log.warning("%s: server error %s: %s", self.client_name, msg["code"], msg["message"])
            return
        refusal = Refusal(ref, sent["name"], sent["args"], msg["code"], msg["message"])
        log.info("%s: %s refused: %s %s", self.client_name, sent["name"], msg["code"], msg["message"])
        if self.on_refused is not None:
            self._call(self.on_refused, self.state, refusal)

    def _call(self, fn: Callable[..., None], *args: Any) -> None:
        try:
            fn(*args)
        except Exception:  # a simulator bug must not take the link down
            log.exception("%s: callback %r failed", self.client_name, fn)
