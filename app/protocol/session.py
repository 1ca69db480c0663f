"""The client side of the dispatch120 protocol, without I/O: feed it what happened, do what it says.

A :class:`ClientSession` holds the rules every client of the server follows
(``docs/protocol.md`` §3–§4): say ``hello`` with the token and the last
sequence number applied; take the ``welcome``, then a snapshot or the replayed
events, until ``synced``; only then send the outbox, in the order the commands
were made; match acks and errors to the commands; retry a command the server
failed transiently; and decide from the close code whether to reconnect, how
soon, or to stop. It owns no socket, no thread, no event loop and no clock:
the caller (a *shell*) tells it what happened and carries out the
:class:`Action` objects it returns, in order::

    session = ClientSession(token=token, client="acme-monitor/2.4", outbox=MemoryOutbox())
    run(session.connection_made(last_seq=None))     # [SendFrame(hello)]
    for frame in websocket:                        # the shell's I/O
        run(session.receive_frame(frame))          # Deliver, Synced, SendFrame, Acked, …
    run(session.connection_lost(code, reason))     # [Reconnect(after_s)] or [GiveUp(advice)]

The shells are :class:`app.seat.sync.SyncClient` (a thread with an asyncio
loop, journal on disk), :class:`app.sim.link.SimLink` (asyncio, in-memory
outbox), ``bench/client.py`` and ``tests/integration/wsclient.py``. Each one
does only sockets, timers and threads; every rule lives here once.

Close codes (``docs/protocol.md`` "Close codes") map to a :class:`CloseAdvice`
in :data:`CLOSE_ADVICE`; codes not in the table (and a connection lost with no
close frame) reconnect with backoff:

====================  ==============  =========================================
code                  advice          the session returns
====================  ==============  =========================================
1000, 1001, 1008,     RECONNECT       ``Reconnect(backoff)``; replay catches up
1011, none, unknown
1002, 1003, 1009,     CLIENT_FAULT    ``Reconnect(backoff)``; the shell logs an
4002, 4008                            error (a bug in this client)
4001                  AUTH_FAILED     ``GiveUp``: wait for a new token
4003                  UPGRADE         ``GiveUp``: this client is too old
4004 (reserved)       REPLACED        ``GiveUp``: wait until the user asks
====================  ==============  =========================================

After a :class:`Resync` the reconnect is at once (``after_s == 0``). The
backoff starts afresh after a connection that reached ``synced``.

Durations are passed out (``after_s``); the shell keeps the time. Jitter comes
from an injectable ``rng`` so tests are exact.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

import app.protocol as wire
from app.protocol import (
    CloseCode,
    ErrorCode,
    Message,
    ProtocolError,
    command,
    decode,
    encode,
    error,
    hello,
    new_id,
    telemetry,
)

# wire.MAX_FRAME_BYTES bounds what a *client* may send. A snapshot is one frame that
# grows with the centre's state (the server sends it whole), so frames from the
# server may be larger; this bound only protects the client's memory.
MAX_INBOUND_FRAME_BYTES = 64 * 1024 * 1024

# Error codes after which the command was not applied and may succeed later
# (docs/protocol.md §4: "internal — yes, same id"; "rate_limited — yes, later").
RETRYABLE_CODES = frozenset({ErrorCode.INTERNAL.value, ErrorCode.RATE_LIMITED.value})
# The MAX_SERVER_RETRIES-th transient error of one command is final, so a
# command the server can never apply does not sit in the outbox forever.
MAX_SERVER_RETRIES = 5
# The hello's "client" field is at most 64 characters.
MAX_CLIENT_NAME = 64


class CloseAdvice(StrEnum):
    """What a client does after the server closed (or the network dropped) a connection."""

    RECONNECT = "reconnect"  # transient: reconnect with backoff; replay from last_seq catches up
    CLIENT_FAULT = "client_fault"  # this client sent something wrong: reconnect with backoff, log an error
    AUTH_FAILED = "auth_failed"  # token refused: stop until a new token is given
    UPGRADE = "upgrade"  # protocol version not spoken by the server: stop
    REPLACED = "replaced"  # another login of this credential took over: stop until asked


# docs/protocol.md "Close codes". 1000 is "—" there: a client that did not ask
# to stop reconnects, since a normal close is not a refusal. 4004 is reserved
# (version 1 never sends it); a client that got it would throw the other login
# out by reconnecting, so it waits to be asked.
CLOSE_ADVICE: dict[int, CloseAdvice] = {
    CloseCode.NORMAL: CloseAdvice.RECONNECT,
    CloseCode.GOING_AWAY: CloseAdvice.RECONNECT,
    CloseCode.PROTOCOL_ERROR: CloseAdvice.CLIENT_FAULT,
    CloseCode.UNSUPPORTED_DATA: CloseAdvice.CLIENT_FAULT,
    CloseCode.POLICY_VIOLATION: CloseAdvice.RECONNECT,  # too slow to read: replay catches up
    CloseCode.MESSAGE_TOO_BIG: CloseAdvice.CLIENT_FAULT,
    CloseCode.INTERNAL_ERROR: CloseAdvice.RECONNECT,
    CloseCode.TRY_AGAIN_LATER: CloseAdvice.RECONNECT,  # login rate limit: the backoff waits
    CloseCode.AUTH_FAILED: CloseAdvice.AUTH_FAILED,
    CloseCode.AUTH_TIMEOUT: CloseAdvice.CLIENT_FAULT,
    CloseCode.UNSUPPORTED_VERSION: CloseAdvice.UPGRADE,
    CloseCode.REPLACED: CloseAdvice.REPLACED,
    CloseCode.TOO_MANY_ERRORS: CloseAdvice.CLIENT_FAULT,
}
# Advice after which reconnecting cannot help until something changes.
STOPPING_ADVICE = frozenset({CloseAdvice.AUTH_FAILED, CloseAdvice.UPGRADE, CloseAdvice.REPLACED})


def close_advice(code: int | None) -> CloseAdvice:
    """The advice for a close code (``None``: the connection dropped without a close frame)."""
    if code is None:
        return CloseAdvice.RECONNECT
    return CLOSE_ADVICE.get(code, CloseAdvice.RECONNECT)


def decode_server_frame(frame: str | bytes) -> Message:
    """Decode a frame from the server: :func:`app.protocol.decode`, except that a
    ``snapshot`` may exceed ``MAX_FRAME_BYTES`` (up to :data:`MAX_INBOUND_FRAME_BYTES`),
    since it grows with the centre's state. Raises ProtocolError.
    """
    # The type sets are read at call time: protocol feature modules may extend them.
    if len(frame) <= wire.MAX_FRAME_BYTES:
        return decode(frame, allowed=wire.SERVER_TYPES)
    msg = decode(frame, allowed=wire.SERVER_TYPES, max_bytes=MAX_INBOUND_FRAME_BYTES)
    if msg["type"] != "snapshot":
        raise ProtocolError(ErrorCode.BAD_MESSAGE, f"frame larger than {wire.MAX_FRAME_BYTES} bytes")
    return msg


def check_client_frame(msg: Message) -> str:
    """Encode a message a client sends outside the outbox (``subscribe``, telemetry,
    ``rtc_to_caller``) and check it against the envelope's rules. Raises ProtocolError."""
    frame = encode(msg)
    decode(frame, allowed=wire.CLIENT_TYPES)
    return frame


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


# ---------------------------------------------------------------- the outbox


class OutboxCommand(Protocol):
    """A command waiting in an outbox (``app.seat.journal.PendingCommand`` is one)."""

    @property
    def command_id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def args(self) -> dict[str, Any]: ...


class Outbox(Protocol):
    """Commands not yet acknowledged, in the order they were made.

    The seat's :class:`app.seat.journal.Journal` implements it on disk;
    :class:`MemoryOutbox` in memory. The session calls it on the shell's thread.
    """

    def add_command(self, name: str, args: dict[str, Any], command_id: str | None = None) -> str:
        """Validate and store a command; return its id. Raises ProtocolError."""
        ...

    def pending(self) -> Iterable[OutboxCommand]:
        """The commands not yet acked or rejected, oldest first."""
        ...

    def mark_sent(self, command_id: str) -> Any: ...
    def mark_acked(self, command_id: str) -> bool: ...
    def mark_rejected(self, command_id: str, code: str, message: str) -> bool: ...


@dataclass(frozen=True)
class MemoryCommand:
    command_id: str
    name: str
    args: dict[str, Any]
    attempts: int = 0


class MemoryOutbox:
    """An :class:`Outbox` in a dict: for simulators, benches and tests (lost when the process ends)."""

    def __init__(self) -> None:
        self._commands: dict[str, MemoryCommand] = {}
        self.rejected: list[tuple[MemoryCommand, str, str]] = []  # (command, code, message)

    def __len__(self) -> int:
        return len(self._commands)

    def __iter__(self) -> Iterator[MemoryCommand]:
        return iter(list(self._commands.values()))

    def add_command(self, name: str, args: dict[str, Any], command_id: str | None = None) -> str:
        msg = command(name, args, command_id=command_id)  # raises ProtocolError on bad args
        cid = msg["id"]
        if cid in self._commands:
            raise ProtocolError(ErrorCode.CONFLICT, f"command id {cid} already used", ref=cid)
        self._commands[cid] = MemoryCommand(cid, name, args)
        return cid

    def pending(self) -> list[MemoryCommand]:
        return list(self._commands.values())

    def get(self, command_id: str) -> MemoryCommand | None:
        return self._commands.get(command_id)

    def mark_sent(self, command_id: str) -> int:
        cmd = self._commands.get(command_id)
        if cmd is None:
            return 0
        self._commands[command_id] = cmd = MemoryCommand(cmd.command_id, cmd.name, cmd.args, cmd.attempts + 1)
        return cmd.attempts

    def mark_acked(self, command_id: str) -> bool:
        return self._commands.pop(command_id, None) is not None

    def mark_rejected(self, command_id: str, code: str, message: str) -> bool:
        cmd = self._commands.pop(command_id, None)
        if cmd is None:
            return False
        self.rejected.append((cmd, code, message))
        return True


# ---------------------------------------------------------------- actions


class Action:
    """Something the shell must do or pass on; returned in the order to carry them out."""

    __slots__ = ()


@dataclass(frozen=True)
class SendFrame(Action):
    """Send this text frame on the current connection (in order with every other SendFrame)."""

    frame: str


@dataclass(frozen=True)
class Welcomed(Action):
    """The server accepted the hello; the snapshot or replay follows, then :class:`Synced`."""

    message: Message

    @property
    def principal(self) -> dict[str, Any]:
        return self.message["principal"]


@dataclass(frozen=True)
class HelloRefused(Action):
    """The server answered the hello with an ``error`` (a close follows: see :meth:`ClientSession.connection_lost`)."""

    message: Message


@dataclass(frozen=True)
class Deliver(Action):
    """A server message for the application: a snapshot, an event, live data, or an error not about our commands."""

    message: Message


@dataclass(frozen=True)
class Synced(Action):
    """Replay is complete; live events follow. Returned *after* the outbox's SendFrames, so a
    command the application sends on hearing it follows those already waiting.

    ``first`` is False for a repeated ``synced`` on the same connection (nothing to do).
    """

    message: Message
    first: bool = True


@dataclass(frozen=True)
class Acked(Action):
    """The server applied a command (durably). ``known``: it was waiting in the outbox."""

    command_id: str
    message: Message
    known: bool = True


@dataclass(frozen=True)
class Retrying(Action):
    """The server failed a command transiently; it stays in the outbox.

    Call :meth:`ClientSession.resend` with ``command_id`` after ``after_s`` seconds
    (it is sent again after any reconnect anyway).
    """

    command_id: str
    message: Message
    after_s: float


@dataclass(frozen=True)
class Rejected(Action):
    """A command will never be applied (refused by the server, or invalid under today's rules).

    It has left the outbox (the journal keeps it in ``rejected``); ``message`` is the ``error``.
    """

    command_id: str
    name: str
    args: dict[str, Any]
    message: Message


@dataclass(frozen=True)
class BadFrame(Action):
    """A frame from the server that does not decode or validate; it was skipped. Log it."""

    error: ProtocolError


class ResyncReason(StrEnum):
    SERVER_BEHIND = "server_behind"  # the server's log is shorter than what this client has seen
    IDENTITY_CHANGED = "identity_changed"  # the application found its saved state belongs to someone else


@dataclass(frozen=True)
class Resync(Action):
    """Saved state is unusable: close this connection now (1000); the reconnect asks for a snapshot.

    ``forget_events``: drop the saved events first, so ``last_seq`` becomes ``None``.
    """

    reason: ResyncReason
    forget_events: bool


@dataclass(frozen=True)
class Reconnect(Action):
    """The connection is gone: connect again after ``after_s`` seconds (0: at once)."""

    after_s: float
    advice: CloseAdvice
    code: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class GiveUp(Action):
    """Reconnecting cannot help (see ``advice``); wait for a new token or for the user to ask."""

    advice: CloseAdvice
    code: int | None = None
    reason: str = ""


class Phase(StrEnum):
    CLOSED = "closed"  # no connection
    HELLO_SENT = "hello_sent"  # waiting for welcome (or a refusal)
    SYNCING = "syncing"  # welcomed: snapshot or replayed events until synced
    SYNCED = "synced"  # live: the outbox is sent, commands flow


@dataclass
class _Connection:
    """What belongs to one connection only."""

    sent_last_seq: int | None
    sent: set[str] = field(default_factory=set)  # command ids sent on this connection
    in_flight: dict[str, OutboxCommand] = field(default_factory=dict)  # sent, no reply yet
    retry_waiting: set[str] = field(default_factory=set)  # transient error: waiting for resend()
    resync: bool = False


class ClientSession:
    """The protocol state of one client across its connections. Not thread-safe: one shell thread.

    Args:
        token: the principal's secret, sent in ``hello`` (never logged here).
        client: product/version for the server's log (cut to 64 characters).
        outbox: where commands wait until acked; the session reads it in order and
            marks commands sent, acked or rejected.
        backoff_s: (initial, maximum) reconnect delay.
        server_retry_s: (initial, maximum) delay before re-sending a command the server
            failed with ``internal``/``rate_limited``; doubles per retry.
        rng: ``() -> float`` in [0, 1) for the reconnect jitter.
    """

    def __init__(
        self,
        *,
        token: str,
        client: str,
        outbox: Outbox,
        backoff_s: tuple[float, float] = (0.5, 10.0),
        server_retry_s: tuple[float, float] = (1.0, 10.0),
        rng: Callable[[], float] = random.random,
    ) -> None:
        self._token = token
        self.client = client[:MAX_CLIENT_NAME]
        self.outbox = outbox
        self.backoff = Backoff(*backoff_s, rng=rng)
        self._server_retry_s = server_retry_s
        self._server_retries: dict[str, int] = {}  # command id -> transient errors so far
        self._subscription: Message | None = None
        self._conn: _Connection | None = None
        self.phase = Phase.CLOSED
        self.principal: dict[str, Any] | None = None
        self.server_seq: int | None = None

    def __repr__(self) -> str:  # never show the token
        return f"ClientSession({self.client!r}, phase={self.phase.value})"

    @property
    def synced(self) -> bool:
        return self.phase is Phase.SYNCED

    @property
    def resync_pending(self) -> bool:
        """This connection is to be closed for a :class:`Resync` (nothing more to do on it)."""
        return self._conn is not None and self._conn.resync

    def set_token(self, token: str) -> None:
        """Use this token from the next :meth:`connection_made` on."""
        self._token = token

    # ------------------------------------------------------------ connection life
    def connection_made(self, last_seq: int | None) -> list[Action]:
        """The websocket is open. Returns the ``hello`` to send.

        Args:
            last_seq: the last event seq the application has *durably* applied; ``None``
                asks for a snapshot.
        """
        self._conn = _Connection(sent_last_seq=last_seq)
        self.phase = Phase.HELLO_SENT
        return [SendFrame(encode(hello(token=self._token, client=self.client, last_seq=last_seq)))]

    def connection_lost(self, code: int | None = None, reason: str = "") -> list[Action]:
        """The connection ended (or could not be opened: ``code`` None). Returns one
        :class:`Reconnect` or :class:`GiveUp`.

        Args:
            code: the close code the *server* sent, ``None`` if none was received.
        """
        conn, was_synced = self._conn, self.phase is Phase.SYNCED
        self._conn = None
        self.phase = Phase.CLOSED
        if was_synced:
            self.backoff.reset()  # that connection worked: start the backoff afresh
        advice = close_advice(code)
        if advice in STOPPING_ADVICE:
            return [GiveUp(advice, code, reason)]
        if conn is not None and conn.resync:
            return [Reconnect(0.0, advice, code, reason)]
        return [Reconnect(self.backoff.next(), advice, code, reason)]

    def require_snapshot(self, reason: ResyncReason = ResyncReason.IDENTITY_CHANGED) -> list[Action]:
        """The application found its saved state unusable (e.g. welcomed as another principal
        than the one its journal belongs to). Returns a :class:`Resync`: close, and the
        reconnect (at once) asks for a snapshot."""
        if self._conn is not None:
            self._conn.resync = True
        return [Resync(reason, forget_events=False)]

    # ------------------------------------------------------------ receiving
    def receive_frame(self, frame: str | bytes) -> list[Action]:
        """A frame arrived: decode and validate it (once, here), then as :meth:`receive_message`.

        A frame that does not decode, or an event whose data is invalid, gives one
        :class:`BadFrame` and changes nothing. Unknown event names (a newer server)
        are delivered: projections ignore them.
        """
        try:
            msg = decode_server_frame(frame)
            if msg["type"] == "event" and msg["name"] in wire.EVENTS:
                wire.validate_event(msg["name"], msg["data"])
        except ProtocolError as exc:
            return [BadFrame(exc)]
        return self.receive_message(msg)

    def receive_message(self, msg: Message) -> list[Action]:
        """A message already decoded (and trusted: benches and tests that parse frames themselves)."""
        mtype = msg.get("type")
        if mtype == "event" or mtype == "snapshot":
            return [Deliver(msg)]
        if mtype == "welcome":
            return self._on_welcome(msg)
        if mtype == "synced":
            return self._on_synced(msg)
        if mtype == "ack":
            return self._on_ack(msg)
        if mtype == "error":
            return self._on_error(msg)
        return [Deliver(msg)]

    def _on_welcome(self, msg: Message) -> list[Action]:
        self.phase = Phase.SYNCING
        self.principal = msg.get("principal")
        self.server_seq = server_seq = msg.get("server_seq")
        actions: list[Action] = [Welcomed(msg)]
        conn = self._conn
        sent_last_seq = conn.sent_last_seq if conn is not None else None
        if conn is not None and sent_last_seq is not None and server_seq is not None and server_seq < sent_last_seq:
            # A restored or different database: what this client saw is not in that log.
            conn.resync = True
            actions.append(Resync(ResyncReason.SERVER_BEHIND, forget_events=True))
        return actions

    def _on_synced(self, msg: Message) -> list[Action]:
        if self.phase is Phase.SYNCED:
            return [Synced(msg, first=False)]
        self.phase = Phase.SYNCED
        actions: list[Action] = []
        if self._subscription is not None:
            actions.append(SendFrame(encode(self._subscription)))
        actions.extend(self.flush())
        actions.append(Synced(msg, first=True))
        return actions

    def _on_ack(self, msg: Message) -> list[Action]:
        ref = msg.get("ref")
        if not isinstance(ref, str):
            return [Deliver(msg)]
        conn = self._conn
        if conn is not None:
            conn.in_flight.pop(ref, None)
            conn.retry_waiting.discard(ref)
        self._server_retries.pop(ref, None)
        known = self.outbox.mark_acked(ref)
        return [Acked(ref, msg, known=bool(known))]

    def _on_error(self, msg: Message) -> list[Action]:
        if self.phase is Phase.HELLO_SENT:
            return [HelloRefused(msg)]
        ref = msg.get("ref")
        conn = self._conn
        cmd = conn.in_flight.get(ref) if conn is not None and ref else None
        if conn is None or cmd is None or not isinstance(ref, str):
            return [Deliver(msg)]
        code = msg["code"]
        tries = self._server_retries.get(ref, 0) + 1
        if code in RETRYABLE_CODES and tries < MAX_SERVER_RETRIES:
            self._server_retries[ref] = tries
            first_s, max_s = self._server_retry_s
            conn.retry_waiting.add(ref)
            return [Retrying(ref, msg, min(first_s * 2.0 ** (tries - 1), max_s))]
        self._server_retries.pop(ref, None)
        del conn.in_flight[ref]
        self.outbox.mark_rejected(ref, code, msg["message"])
        return [Rejected(ref, cmd.name, cmd.args, msg)]

    # ------------------------------------------------------------ sending
    def flush(self) -> list[Action]:
        """Send every outbox command not yet sent on this connection, oldest first.

        Returns nothing before ``synced``: commands reach the server only once the
        client has caught up, so a refusal is judged against what really happened.
        Call after adding to the outbox from elsewhere (another thread).
        A stored command that today's rules refuse is rejected here, visibly.
        """
        conn = self._conn
        if conn is None or self.phase is not Phase.SYNCED:
            return []
        actions: list[Action] = []
        for cmd in list(self.outbox.pending()):
            cid = cmd.command_id
            if cid in conn.sent:
                continue
            try:
                frame = encode(command(cmd.name, cmd.args, command_id=cid))
            except ProtocolError as exc:  # stored by an older version whose rules differ
                self.outbox.mark_rejected(cid, exc.code.value, exc.message)
                reply = error(exc.code, exc.message, ref=cid, field=exc.field)
                actions.append(Rejected(cid, cmd.name, cmd.args, reply))
                continue
            self.outbox.mark_sent(cid)
            conn.sent.add(cid)
            conn.in_flight[cid] = cmd
            actions.append(SendFrame(frame))
        return actions

    def send_command(
        self, name: str, args: dict[str, Any], command_id: str | None = None
    ) -> tuple[str, list[Action]]:
        """Add a command to the outbox and send it if synced.

        Returns:
            (command id, actions): the id is the ``ref`` of the ack or error that follows.

        Raises:
            ProtocolError: invalid command or arguments (nothing queued).
        """
        cid = self.outbox.add_command(name, args, command_id or new_id())
        return cid, self.flush()

    def resend(self, command_id: str) -> list[Action]:
        """The delay of a :class:`Retrying` has passed: send that command again if this
        connection is still the one that failed it (after a reconnect it was re-sent anyway)."""
        conn = self._conn
        if conn is None or command_id not in conn.retry_waiting:
            return []
        conn.retry_waiting.discard(command_id)
        conn.sent.discard(command_id)
        conn.in_flight.pop(command_id, None)
        return self.flush()

    def subscribe(self, unit_ids: list[str], kinds: list[str]) -> list[Action]:
        """Watch these units' live telemetry (replaces the previous subscription).

        Sent now when synced, and again after every ``synced``. Raises ProtocolError
        if the lists are invalid (nothing changes).
        """
        msg = telemetry.subscribe(unit_ids=unit_ids, kinds=kinds)
        frame = check_client_frame(msg)
        self._subscription = msg
        return [SendFrame(frame)] if self.phase is Phase.SYNCED else []

    def send_live(self, msg: Message, *, check: bool = True) -> list[Action]:
        """A frame that only makes sense now (telemetry, ``rtc_to_caller``): sent if synced,
        else dropped (returns nothing). Never queued: late live data is worthless.

        Args:
            check: validate it first (raises ProtocolError); a simulator streaming
                frames it built from the schema may skip that.
        """
        frame = check_client_frame(msg) if check else encode(msg)
        return [SendFrame(frame)] if self.phase is Phase.SYNCED else []
