"""A simulator's websocket link to the server: authenticate, follow the event log, send commands.

The same path a real phone switch or ambulance terminal takes (``docs/protocol.md``):
``hello`` with the principal's token → ``welcome`` → snapshot or replay → ``synced`` →
live events. The rules of that path (and of retries and close codes) are
:class:`app.protocol.session.ClientSession`'s; this module is its asyncio shell. The
link keeps its own projection (:class:`~app.domain.state.State`) so a simulator decides
from the same state the seats see, and an in-memory outbox of commands not yet
acknowledged, re-sent after a reconnect with the same ids (the server's idempotency
makes that safe: a command is applied at most once).

Everything runs on one asyncio loop; the callbacks are called on it and must not block.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from app.domain.state import State
from app.protocol import Message
from app.protocol.session import (
    MAX_INBOUND_FRAME_BYTES,
    Acked,
    Action,
    BadFrame,
    ClientSession,
    Deliver,
    GiveUp,
    HelloRefused,
    MemoryOutbox,
    Reconnect,
    Rejected,
    Resync,
    Retrying,
    SendFrame,
    Synced,
    Welcomed,
)
from app.tls import client_context, describe_connect_error

log = logging.getLogger(__name__)


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
        ca_file: Path | None = None,
    ) -> None:
        self.url = url
        self.client_name = client_name
        self.ca_file = ca_file
        # wss://: verified against the centre's CA only when given (app/tls.py). Raises TlsConfigError.
        tls = client_context(url, ca_file)
        self._tls_kwargs: dict[str, Any] = {} if tls is None else {"ssl": tls}
        self.on_synced = on_synced
        self.on_event = on_event
        self.on_refused = on_refused
        self.on_message = on_message
        self._outbox = MemoryOutbox()
        self._session = ClientSession(
            token=token,
            client=client_name,
            outbox=self._outbox,
            backoff_s=backoff_s,
            rng=(rng or random.Random()).random,
        )
        self.state = State()
        self.principal: dict[str, Any] | None = None
        self.connects = 0  # successful syncs so far (for logs and tests)
        self.ever_synced = asyncio.Event()
        self._frames: asyncio.Queue[str] | None = None  # the current connection's frames to send
        self._end_connection = False  # Resync: close and reconnect at once

    def __repr__(self) -> str:  # never show the token
        return f"SimLink({self.client_name!r}, {self.url!r}, synced={self.synced})"

    @property
    def synced(self) -> bool:
        return self._session.synced

    @property
    def pending(self) -> int:
        """Commands sent or waiting, not yet acknowledged."""
        return len(self._outbox)

    def send(self, name: str, args: dict[str, Any]) -> str:
        """Queue a command; returns its id. Sent now if synced, else after the next sync.

        Raises:
            ProtocolError: if the arguments do not validate (a bug in the caller).
        """
        cid, actions = self._session.send_command(name, args)
        self._carry_out(actions)
        return cid

    async def send_live(self, msg: Message) -> bool:
        """Send a live frame (telemetry) now if synced; returns False (dropped) when offline.

        Live data is never queued: a position or an ECG chunk is worthless once late.
        Refusals come back as ``error`` frames with ``ref`` ``seq:N`` and are logged.
        """
        actions = self._session.send_live(msg, check=False)
        if not actions or self._frames is None:
            return False
        self._carry_out(actions)
        return True

    async def run(self) -> None:
        """Connect, sync, serve; reconnect with backoff after any network failure.

        Returns never; cancel to stop.

        Raises:
            AuthRefused: when the server refuses the token or protocol version.
        """
        while True:
            code: int | None = None
            reason = ""
            try:
                async with connect(
                    self.url,
                    max_size=MAX_INBOUND_FRAME_BYTES,
                    open_timeout=5,
                    close_timeout=2,
                    compression=None,
                    **self._tls_kwargs,
                ) as ws:
                    try:
                        await self._connection(ws)
                    finally:
                        rcvd = ws.protocol.close_rcvd
                        if rcvd is not None:
                            code, reason = rcvd.code, rcvd.reason
            except ConnectionClosed as exc:
                if exc.rcvd is not None:
                    code, reason = exc.rcvd.code, exc.rcvd.reason
            except (OSError, InvalidHandshake, TimeoutError, EOFError) as exc:
                why = describe_connect_error(exc, self.url, self.ca_file)
                (log.error if isinstance(exc, ssl.SSLError) else log.info)(
                    "%s: cannot connect to %s: %s", self.client_name, self.url, why)
            except InvalidURI:
                raise
            finally:
                self._frames = None
            [outcome] = self._session.connection_lost(code, reason)
            if isinstance(outcome, GiveUp):
                raise AuthRefused(f"{self.client_name}: server refused us: {code} {reason} ({outcome.advice})")
            assert isinstance(outcome, Reconnect)
            log.info("%s: connection closed (%s); again in %.2f s", self.client_name, code, outcome.after_s)
            await asyncio.sleep(outcome.after_s)

    async def _connection(self, ws: ClientConnection) -> None:
        self._frames = frames = asyncio.Queue[str]()
        self._end_connection = False
        last_seq = self.state.seq if self.state.seq > 0 else None
        self._carry_out(self._session.connection_made(last_seq))
        writer = asyncio.create_task(self._write(ws, frames), name=f"{self.client_name} sender")
        try:
            async for frame in ws:
                try:
                    self._carry_out(self._session.receive_frame(frame))
                except Exception:  # odd data from a newer server must not take the simulator down
                    log.exception("%s: could not handle a frame; ignored", self.client_name)
                if self._end_connection:
                    break
        finally:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer

    async def _write(self, ws: ClientConnection, frames: asyncio.Queue[str]) -> None:
        with contextlib.suppress(ConnectionClosed):
            while True:
                await ws.send(await frames.get())

    def _resend(self, command_id: str) -> None:
        self._carry_out(self._session.resend(command_id))

    def _carry_out(self, actions: list[Action]) -> None:
        for action in actions:
            if isinstance(action, SendFrame):
                if self._frames is not None:
                    self._frames.put_nowait(action.frame)
            elif isinstance(action, Deliver):
                self._on_delivered(action.message)
            elif isinstance(action, Welcomed):
                self.principal = action.principal
            elif isinstance(action, Synced):
                if action.first:
                    self.connects += 1
                    self.ever_synced.set()
                    log.info("%s: synced at seq %d", self.client_name, self.state.seq)
                    if self.on_synced is not None:
                        self._call(self.on_synced, self.state)
            elif isinstance(action, Retrying):
                asyncio.get_running_loop().call_later(
                    action.after_s, self._resend, action.command_id
                )
            elif isinstance(action, Rejected):
                msg = action.message
                log.info("%s: %s refused: %s %s", self.client_name, action.name, msg["code"], msg["message"])
                if self.on_refused is not None:
                    refusal = Refusal(action.command_id, action.name, action.args, msg["code"], msg["message"])
                    self._call(self.on_refused, self.state, refusal)
            elif isinstance(action, Resync):
                self.state = State()  # forget what the server's log no longer has; a snapshot follows
                self._end_connection = True
            elif isinstance(action, HelloRefused):
                log.warning("%s: hello refused: %s", self.client_name, action.message["message"])
            elif isinstance(action, BadFrame):
                log.warning("%s: ignoring a bad frame from the server: %s", self.client_name, action.error.message)
            elif isinstance(action, Acked):
                pass  # the events it made arrive (or arrived) as events

    def _on_delivered(self, msg: Message) -> None:
        mtype = msg["type"]
        if mtype == "event":
            changed = self.state.apply(msg)
            if changed and self.synced and self.on_event is not None:
                self._call(self.on_event, self.state, msg)
        elif mtype == "snapshot":
            self.state = State.from_dict(msg["state"])
        elif mtype == "error":
            log.warning("%s: server error %s: %s", self.client_name, msg["code"], msg["message"])
        elif self.on_message is not None:
            self._call(self.on_message, msg)

    def _call(self, fn: Callable[..., None], *args: Any) -> None:
        try:
            fn(*args)
        except Exception:  # a simulator bug must not take the link down
            log.exception("%s: callback %r failed", self.client_name, fn)
