"""The command bus: one writer, durable append, events out, then the ack.

Everything here runs on the server's asyncio loop; the only other thread is the
one ``asyncio.to_thread`` lends for each database call.

The command path (:meth:`CommandBus.execute`), one command at a time under the
bus's lock (single writer):

1. catch up with events another process appended (the admin CLI);
2. idempotency: a command id already applied returns its stored ack when the
   name and arguments are the same (:func:`command_fingerprint`), else ``conflict``;
3. ``decide_fn(state)`` → drafts (or ProtocolError → error reply with that code);
4. validate every drafted event, number it, find the query rows it changes
   (:func:`server_stub.projection.project`);
5. one transaction: events + query rows + command row — COMMIT (in a worker
   thread; the loop keeps serving);
6. apply to the in-memory state and tell the appliers (ACD ring timers,
   revoked credentials), send the events to every connection that receives
   events (devices only what their crew needs, :mod:`server_stub.visibility`), tell the followers (the desks: pages, volunteers, hospitals), and
   only then push the ack to the sender — so when a seat sees its ack, the
   command's events are already in its store.

Anything unexpected in 2–5 is an ``internal`` error reply, logged with its
traceback; the transaction rolled back, the connection stays up.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from typing import Any

import orjson

from app.domain.common import EventDraft, Principal
from app.domain.model import Role
from app.domain.state import State
from app.protocol import (
    ErrorCode,
    Message,
    ProtocolError,
    ack,
    encode,
    error,
    error_from,
    now_iso,
    validate_event,
)
from server_stub.clients import Client, Clients
from server_stub.projection import project
from server_stub.store import Batch, CommandRecord, EventStore, StaleLogError
from server_stub.visibility import DeviceView

log = logging.getLogger("server_stub.bus")

# The in-memory state must never run ahead of or behind the log: a batch that
# kept meeting a moving log end is retried this many times.
STALE_RETRIES = 5

Decide = Callable[[State], list[EventDraft]]
Follower = Callable[[list[Message]], None]


def command_fingerprint(name: str, args: dict[str, Any]) -> str:
    """SHA-256 hex of a command's name and arguments in canonical JSON (keys sorted).

    Key order and whitespace do not change it; any other difference in content does.
    """
    canonical = orjson.dumps({"name": name, "args": args}, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()


class CommandBus:
    """The server's state, its log and the single-writer command path. Loop only.

    Args:
        store: the event log.
        clients: where event frames, acks and errors go.

    Register with :meth:`on_applied` what must follow the state at once (timers,
    closes) and with :meth:`on_sent` what reacts to committed events after they
    were sent (desks); both get every committed batch, in commit order, including
    events another process appended.
    """

    def __init__(self, store: EventStore, clients: Clients, device_view: DeviceView | None = None) -> None:
        self.store = store
        self.clients = clients
        self.device_view = device_view or DeviceView()
        self.state = State()
        self.lock = asyncio.Lock()
        self._appliers: list[Follower] = []
        self._followers: list[Follower] = []

    def on_applied(self, follower: Follower) -> None:
        self._appliers.append(follower)

    def on_sent(self, follower: Follower) -> None:
        self._followers.append(follower)

    # ------------------------------------------------------------ state
    def rebuild_state(self) -> int:
        """Worker thread: the state from the whole log. Returns how many events were read."""
        state = State()
        count = 0
        for msg in self.store.iter_events():
            state.apply(msg)
            count += 1
        self.state = state
        return count

    async def catch_up(self) -> None:
        """Apply and send events other processes appended (takes the lock)."""
        async with self.lock:
            self._apply_newer(await asyncio.to_thread(self.store.read_events, self.state.seq))

    # ------------------------------------------------------------ commands
    async def execute(
        self,
        who: Principal,
        decide_fn: Decide,
        *,
        command: tuple[str, str] | None = None,
        client: Client | None = None,
    ) -> None:
        """Run a command (``command`` = (id, name)) whose reply goes to ``client``. Raises only on a bug."""
        async with self.lock:
            await self._execute_locked(who, decide_fn, command=command, client=client)

    async def system(self, who: Principal, decide_fn: Decide, what: str) -> None:
        """Run a server-made decision (ACD, seat presence, desks) through the command path.

        ``what`` names it in the log. Never raises (failures are logged).
        """
        try:
            async with self.lock:
                await self._execute_locked(who, decide_fn, command=None, client=None, what=what)
        except Exception:
            log.exception("system decision %s failed", what)

    async def _execute_locked(
        self,
        who: Principal,
        decide_fn: Decide,
        *,
        command: tuple[str, str] | None,
        client: Client | None,
        what: str = "system",
    ) -> None:
        command_id, command_name = command if command is not None else (None, what)
        fingerprint = None
        if client is not None and client.command_fingerprint is not None and client.command_fingerprint[0] == command_id:
            fingerprint = client.command_fingerprint[1]
        try:
            for _attempt in range(STALE_RETRIES):
                # One trip to the database thread: events another process appended, and
                # whether this command id was applied before.
                newer, previous = await asyncio.to_thread(self._read_before_command, command_id)
                self._apply_newer(newer)
                if previous is not None:
                    self._reply_duplicate(client, who, command_id, command_name, fingerprint, previous)
                    return
                try:
                    drafts = decide_fn(self.state)
                except ProtocolError as exc:
                    exc.ref = command_id
                    log.info("refused %s %s from %s: %s", command_name, command_id, who.id, exc.code.value)
                    if client is not None:
                        self.clients.push(client, error_from(exc))
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
                    batch.command = CommandRecord(command_id, who.id, command_name, reply, fingerprint)
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
                self.clients.push(
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
            await asyncio.to_thread(self.rebuild_state)
        self._send(proj.events)
        # Last: a client that has its ack has every frame the command caused.
        if client is not None and reply is not None:
            self.clients.push(client, reply)

    def _reply_duplicate(
        self,
        client: Client | None,
        who: Principal,
        command_id: str,
        name: str,
        fingerprint: str | None,
        previous: CommandRecord,
    ) -> None:
        """A command id seen before: the same ack if it is the same command, else ``conflict``."""
        if client is None:
            return
        if previous.principal_id != who.id:
            log.warning("command id %s reused by %s (first sent by %s)", command_id, who.id, previous.principal_id)
            self.clients.push(
                client, error(ErrorCode.CONFLICT, "this command id was already used by another sender", ref=command_id)
            )
            return
        # Rows stored before fingerprints existed have none: the name is all that can be compared.
        other_content = previous.name != name or (
            previous.fingerprint is not None and fingerprint is not None and previous.fingerprint != fingerprint
        )
        if other_content:
            log.warning("command id %s reused by %s for other content (%s, first %s)", command_id, who.id, name,
                        previous.name)
            self.clients.push(
                client,
                error(
                    ErrorCode.CONFLICT,
                    f"command id {command_id} was already used for a different command ({previous.name}); "
                    "a new command needs a new id",
                    ref=command_id,
                    field="id",
                ),
            )
            return
        log.info("duplicate command %s from %s: same ack", command_id, who.id)
        self.clients.push(client, {**previous.ack, "duplicate": True})

    def _read_before_command(self, command_id: str | None) -> tuple[list[Message], CommandRecord | None]:
        """Worker thread: the log after our state, and the stored command with this id (if any)."""
        newer = self.store.read_events(self.state.seq)
        return newer, (self.store.find_command(command_id) if command_id is not None else None)

    def _apply_newer(self, newer: list[Message]) -> None:
        if not newer:
            return
        log.info("picked up %d event(s) written by another process: seq=%d..%d", len(newer), newer[0]["seq"], newer[-1]["seq"])
        self._apply_committed(newer)
        self._send(newer)

    def _apply_committed(self, events: list[Message]) -> None:
        for msg in events:
            self.state.apply(msg)
        for applier in self._appliers:
            applier(events)

    def _send(self, events: list[Message]) -> None:
        """Events to every connection that receives events, then to the desks."""
        if not events:
            return
        receivers = self.clients.where(lambda c: c.receives_events)
        # Devices get their least-privilege view (server_stub/visibility.py), everyone else the event.
        devices = [c for c in receivers if c.principal.role == Role.DEVICE]
        others = [c for c in receivers if c.principal.role != Role.DEVICE] if devices else receivers
        for msg in events:
            self.clients.send(others, encode(msg))
            if devices:
                seen = self.device_view.event(msg)
                if seen is not None:
                    self.clients.send(devices, encode(seen))
        for follower in self._followers:
            follower(events)
