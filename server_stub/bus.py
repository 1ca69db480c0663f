"""The command bus: one writer, group commit, events out, then the acks.

Everything here runs on the server's asyncio loop; the only other thread is the
one ``asyncio.to_thread`` lends for a database read. Commits run on the loop: SQLite's
as a plain call, PostgreSQL's awaited (:meth:`EventStore.commit_async`).

The command path (:meth:`CommandBus.execute`). Commands join a queue; one
committer task takes every command queued so far (at most :data:`MAX_BATCH`)
as a batch, under the bus's lock (single writer), while the commands that
arrive meanwhile wait for the next batch — so one commit (one fsync) serves as
many commands as arrived during the previous one (group commit):

1. PostgreSQL only, when another instance may have appended since this one last
   read the log (at start, and whenever the fan-out bus says so: :meth:`CommandBus.log_moved`):
   apply what it appended (one read). Otherwise, and on SQLite, where this process is
   the only writer besides the rare admin CLI, the commit's log-end check catches an
   append nobody announced (then the batch is read up and decided again);
2. decide the commands in arrival order, each on the state the previous ones
   left (:class:`server_stub.undo.Trial` applies their events on trial and
   takes them back before anything awaits, so no one sees an uncommitted
   state): ``decide_fn(state)`` → drafts, each drafted event validated and
   numbered; a refusal (ProtocolError) or a bug affects only its own command;
   the same command id twice in one batch: the second is a repeat of the first;
3. one transaction: every event, the query rows they change, the command rows —
   COMMIT (PostgreSQL: awaited, the loop keeps serving; SQLite: a plain call on the
   loop, see :attr:`CommandBus.commit_on_loop`). The store checks the log end and
   the command ids in that transaction: a command id stored already
   (:class:`KnownCommandsError`) is answered as a repeat (same ack, or
   ``conflict`` when the name or arguments differ, :func:`command_fingerprint`) and
   the rest of the batch is committed again;
4. apply to the in-memory state and tell the appliers (ACD ring timers, revoked
   credentials) and the commit hooks (the fan-out);
5. flush, for each command in order: send its events to every connection that
   receives events (devices only what their crew needs, :mod:`server_stub.visibility`),
   tell the followers (the desks: pages, volunteers, hospitals), and only then push
   its reply — so when a seat sees its ack, the command's events are already in its
   store. The flush follows its batch's commit at once, before the next batch is
   decided, on both backends: sending it while the next batch's commit was under way
   was measured slower (the seats' next commands then missed that batch and waited for
   the one after; bench/README.md, run 9).

A failed commit fails every command of its batch with an ``internal`` error reply
(logged with its traceback); nothing of it is applied, sent or acked, and the
state is the committed one (it was never changed). A refusal is sent only after the
batch committed: it may rest on an earlier command of the same batch.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
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
    event,
    now_iso,
    validate_event,
)
from server_stub.clients import Client, Clients
from server_stub.store import Batch, CommandRecord, EventStore, KnownCommandsError, StaleLogError
from server_stub.undo import Trial
from server_stub.visibility import WALL_VIEW_ROLES, DeviceView, WallView

log = logging.getLogger("server_stub.bus")
# The group commit's figures go to the log once a minute (and at shutdown), not once per
# transaction: at a few hundred transactions a second, a line each would be most of the log.
COMMIT_SUMMARY_S = 60.0
# A commit on the loop (SQLite) longer than this is logged: the whole server waited for the disk.
SLOW_COMMIT_S = 0.5
# Roles that receive a filtered view of the events (server_stub/visibility.py), not every event.
FILTERED_ROLES = frozenset({Role.DEVICE}) | WALL_VIEW_ROLES

# The in-memory state must never run ahead of or behind the log: a batch that
# kept meeting a moving log end is retried this many times.
STALE_RETRIES = 5
# Commands decided and committed together at most. Bounds the time one batch holds
# the loop while deciding (~0.1 ms per command) and the size of one transaction.
MAX_BATCH = 256

Decide = Callable[[State], list[EventDraft]]
Follower = Callable[[list[Message]], None]

INTERNAL_MESSAGE = "internal server error; the command was not applied"


def command_fingerprint(name: str, args: dict[str, Any]) -> str:
    """SHA-256 hex of a command's name and arguments in canonical JSON (keys sorted).

    Key order and whitespace do not change it; any other difference in content does.
    """
    canonical = orjson.dumps({"name": name, "args": args}, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()


@dataclass(eq=False)
class _Queued:
    """One command (or server decision) waiting for, or in, a batch."""

    who: Principal
    decide_fn: Decide
    command_id: str | None
    name: str
    fingerprint: str | None
    client: Client | None
    done: asyncio.Future[None]
    # Set while its batch is decided and committed:
    events: list[Message] = field(default_factory=list)
    reply: Message | None = None  # ack, error or repeat answer; pushed after the batch
    record: CommandRecord | None = None  # what the commands table gets when it is acked


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
        self.wall_view = WallView()
        self.state = State()
        self.lock = asyncio.Lock()
        self._appliers: list[Follower] = []
        self._followers: list[Follower] = []
        self._committed: list[Callable[[int, int], None]] = []
        self._queue: list[_Queued] = []
        self._committer: asyncio.Task[None] | None = None
        # Where a batch's transaction runs. SQLite (one process, a local file): on the loop
        # itself, as Redis fsyncs its append-only file with `appendfsync always`. A worker
        # thread would overlap the fsync with the loop's work, but the GIL then changes hands
        # at every statement of the transaction (sqlite3 releases it around each call), and
        # measured at 20 seats that costs more than the overlap buys: 0.28-0.29 ms of server
        # CPU per event in a worker thread against 0.22 ms on the loop (bench/README.md, run 8).
        # The price: while the disk is slow, the whole process waits with it (telemetry too).
        # PostgreSQL (network round trips, several instances): awaited on the loop
        # (EventStore.commit_async): the loop keeps serving meanwhile.
        self.commit_on_loop = not store.shared
        # PostgreSQL: another instance may have appended since this one last read the log.
        self._log_moved = True
        # Sizes of the batches committed so far, and since the last summary line in the log.
        self.batches = 0
        self.batched_commands = 0
        self._window: list[int] = [0, 0, 0]  # transactions, commands, largest batch
        self._window_start: float | None = None

    def _count_batch(self, commands: int, now: float) -> None:
        """Count a committed batch; log the summary once :data:`COMMIT_SUMMARY_S` have passed."""
        window = self._window
        window[0] += 1
        window[1] += commands
        window[2] = max(window[2], commands)
        if self._window_start is None:
            self._window_start = now
        elif now - self._window_start >= COMMIT_SUMMARY_S:
            self.log_commit_summary(now)

    def log_commit_summary(self, now: float | None = None) -> None:
        """One INFO line for the transactions since the last one (none: nothing is logged)."""
        transactions, commands, largest = self._window
        if transactions:
            seconds = 0.0 if self._window_start is None or now is None else now - self._window_start
            log.info("committed %d command(s) in %d transaction(s) (group commit: %.1f per transaction, "
                     "largest %d) in %.0f s", commands, transactions, commands / transactions, largest, seconds)
        self._window = [0, 0, 0]
        self._window_start = now

    def on_applied(self, follower: Follower) -> None:
        self._appliers.append(follower)

    def on_sent(self, follower: Follower) -> None:
        self._followers.append(follower)

    def on_committed(self, hook: Callable[[int, int], None]) -> None:
        """Call ``hook(first_seq, last_seq)`` after each commit of this process's own events
        (never for events read from the log): the fan-out tells the other instances."""
        self._committed.append(hook)

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
            self._log_moved = False
            self._apply_newer(await asyncio.to_thread(self.store.read_events, self.state.seq))

    def log_moved(self) -> None:
        """Another instance appended (a hint): the next batch reads the log before deciding."""
        self._log_moved = True

    # ------------------------------------------------------------ commands
    async def execute(
        self,
        who: Principal,
        decide_fn: Decide,
        *,
        command: tuple[str, str] | None = None,
        client: Client | None = None,
    ) -> None:
        """Run a command (``command`` = (id, name)) whose reply goes to ``client``.

        Returns once its batch was committed and its reply pushed (or failed and
        answered). Raises only on a bug.
        """
        command_id, name = command if command is not None else (None, "system")
        await self._submit(who, decide_fn, command_id, name, client)

    async def system(self, who: Principal, decide_fn: Decide, what: str) -> None:
        """Run a server-made decision (ACD, seat presence, desks) through the command path.

        ``what`` names it in the log. Never raises (failures are logged).
        """
        try:
            await self._submit(who, decide_fn, None, what, None)
        except Exception:
            log.exception("system decision %s failed", what)

    async def _submit(
        self, who: Principal, decide_fn: Decide, command_id: str | None, name: str, client: Client | None
    ) -> None:
        fingerprint = None
        if client is not None and client.command_fingerprint is not None and client.command_fingerprint[0] == command_id:
            fingerprint = client.command_fingerprint[1]
        loop = asyncio.get_running_loop()
        queued = _Queued(who, decide_fn, command_id, name, fingerprint, client, loop.create_future())
        self._queue.append(queued)
        if self._committer is None or self._committer.done():
            self._committer = loop.create_task(self._commit_queued(), name="group commit")
        # Shielded: a sender that goes away does not take the batch of the others with it.
        await asyncio.shield(queued.done)

    async def _commit_queued(self) -> None:
        """The committer task: batches of whatever is queued, until the queue is empty.

        A batch's events and replies go out (its flush) as soon as it is committed, before the
        next batch is decided. (Sending them while the next batch's commit was on its way was
        measured slower on both backends: the seats' next commands then waited for a batch more.)
        The lock is held meanwhile, so events read from the log (:meth:`catch_up`) never overtake them.
        """
        batch: list[_Queued] = []
        try:
            async with self.lock:
                while self._queue:
                    batch = self._queue[:MAX_BATCH]
                    del self._queue[:MAX_BATCH]
                    committed = await self._commit_batch(batch)
                    done, batch = batch, []
                    self._flush(done, committed)
        finally:
            # Only when cancelled (the loop is stopping) or on a bug: nobody waits forever.
            for queued in [*batch, *self._queue]:
                if not queued.done.done():
                    queued.done.set_result(None)
            self._queue.clear()

    async def _commit_batch(self, batch: list[_Queued]) -> bool:
        """Decide, commit and apply one batch. Lock held. Never raises for a failed commit.

        Returns whether it was committed (its commands' events then go out with the replies, :meth:`_flush`).
        """
        loop = asyncio.get_running_loop()
        pending = batch
        committed: Batch | None = None
        stale = 0
        rechecked = False
        read_log = self.store.shared and self._log_moved
        try:
            while pending:
                if read_log:
                    self._log_moved = False
                    self._apply_newer(await loop.run_in_executor(None, self.store.read_events, self.state.seq))
                    read_log = False
                plan = self._decide(pending)
                try:
                    if plan.events or plan.commands:
                        if self.commit_on_loop:
                            started = loop.time()
                            try:
                                self.store.commit(plan)
                            finally:
                                took = loop.time() - started
                                if took >= SLOW_COMMIT_S:
                                    log.warning("a commit held the server for %.1f s (the disk is slow): every "
                                                "connection waited, telemetry too", took)
                        else:
                            await self.store.commit_async(plan)
                    elif plan.check_ids:  # nothing to write, but refusals that may be repeats
                        if not rechecked:
                            # A refusal is only as good as the state it was decided on. Nothing is
                            # committed here, so no commit can find the log moved: read it once (the
                            # admin CLI or another instance may have appended) and decide again if so.
                            rechecked = True
                            newer = await loop.run_in_executor(None, self.store.read_events, self.state.seq)
                            if newer:
                                self._apply_newer(newer)
                                continue
                        known_records = await loop.run_in_executor(None, self.store.find_commands,
                                                                   plan.check_ids)
                        if known_records:
                            raise KnownCommandsError(known_records)
                        break
                    else:
                        break
                except StaleLogError:
                    stale += 1
                    if stale >= STALE_RETRIES:
                        raise RuntimeError(f"log kept moving; gave up after {STALE_RETRIES} attempts") from None
                    log.info("log moved while deciding %d command(s); catching up and deciding again",
                             len(pending))
                    read_log = True
                    continue
                except KnownCommandsError as exc:
                    # Commands applied before (a re-sent outbox, another instance): repeats, the rest again.
                    known = {record.command_id: record for record in exc.records}
                    for queued in pending:
                        if queued.command_id in known:
                            queued.events, queued.record = [], None
                            queued.reply = self._repeat_reply(queued, known[queued.command_id])
                    pending = [queued for queued in pending if queued.command_id not in known]
                    continue
                committed = plan
                break
        except Exception:
            log.exception(
                "internal error committing a batch of %d command(s) (%s); nothing of it stored",
                len(pending),
                ", ".join(f"{q.name} {q.command_id or '-'}" for q in pending[:5]),
            )
            for queued in pending:
                queued.events, queued.record = [], None
                queued.reply = error(ErrorCode.INTERNAL, INTERNAL_MESSAGE, ref=queued.command_id)
            committed = None
        if committed is not None and committed.events:
            events = committed.events
            self.batches += 1
            self.batched_commands += len(pending)
            self._count_batch(len(pending), loop.time())
            log.debug("committed %d command(s) in one transaction: seq=%d..%d", len(pending), events[0]["seq"],
                      events[-1]["seq"])
            # Durable from here on: whatever happens next, the senders get their acks.
            self._tell_committed(events[0]["seq"], events[-1]["seq"])
            try:
                self._apply_committed(events)
            except Exception:
                log.exception("applying committed events failed; rebuilding the state from the log")
                await asyncio.to_thread(self.rebuild_state)
        return committed is not None

    def _flush(self, batch: list[_Queued], committed: bool) -> None:
        """In arrival order: a command's events (if its batch committed), then its reply; then its caller resumes.

        Each connection gets the whole batch in one write (:meth:`Clients.write_frames`); the
        order on every connection is the same as sending command by command.
        """
        try:
            try:
                out = self._batch_frames(batch, committed)
            except Exception:  # encoding or a visibility rule failed: command by command, each on its own
                log.exception("preparing the frames of a batch of %d command(s) failed", len(batch))
                out = None
            if out is None:
                self._flush_each(batch, committed)
            else:
                try:
                    self.clients.write_frames(out)
                except Exception:  # what was written is written; the senders must still resume
                    log.exception("writing the frames of a batch of %d command(s) failed", len(batch))
                if committed:
                    for queued in batch:
                        self._follow(queued)
        finally:
            # Whatever failed above, every sender resumes: a sender left waiting is a seat frozen.
            for queued in batch:
                if not queued.done.done():
                    queued.done.set_result(None)

    def _batch_frames(self, batch: list[_Queued], committed: bool) -> dict[Client, list[str]]:
        """Every connection's frames for ``batch``: the events of each command, its sender's reply after them.

        The connections that receive every event and sent nothing in this batch share one list
        (the same object), which :meth:`Clients.write_frames` frames and joins once for all of them.
        """
        out: dict[Client, list[str]] = {}
        others: list[Client] = []
        views: dict[View, list[Client]] = {}
        common: list[str] = []  # every event of the batch, for the connections that see them all
        # Replies to connections that see every event: (number of common frames before it, reply).
        replies: dict[Client, list[tuple[int, str]]] = {}
        if committed and any(queued.events for queued in batch):
            receivers = self.clients.where(lambda c: c.receives_events)
            # Devices get their least-privilege view (server_stub/visibility.py), everyone else the event.
            views = _by_view(receivers)
            others = [c for c in receivers if c.principal.role not in FILTERED_ROLES] if views else receivers
            out = {client: [] for view_clients in views.values() for client in view_clients}
        for queued in batch:
            if committed and queued.events:
                common.extend([encode(msg) for msg in queued.events])
                if views:
                    for view, filtered in self._filtered_frames(queued.events, views.keys()).items():
                        for client in views[view]:
                            out[client].extend(filtered)
            if queued.client is not None and queued.reply is not None:
                reply = queued.reply
                frame = encode(reply) if isinstance(reply, dict) else reply
                if queued.client in out:
                    out[queued.client].append(frame)
                else:
                    replies.setdefault(queued.client, []).append((len(common), frame))
        for client in others:
            mine = replies.pop(client, None)
            if mine is None:
                out[client] = common
                continue
            frames: list[str] = []
            start = 0
            for position, frame in mine:
                frames.extend(common[start:position])
                frames.append(frame)
                start = position
            frames.extend(common[start:])
            out[client] = frames
        for client, mine in replies.items():  # senders that receive no events (or nothing was committed)
            out[client] = [frame for _, frame in mine]
        return out

    def _follow(self, queued: _Queued) -> None:
        if not queued.events:
            return
        for follower in self._followers:
            try:
                follower(queued.events)
            except Exception:  # a desk's bug must not cost the others their acks
                log.exception("following the events of %s %s failed", queued.name, queued.command_id or "-")

    def _flush_each(self, batch: list[_Queued], committed: bool) -> None:
        for queued in batch:
            if committed and queued.events:
                try:
                    self._send(queued.events)
                except Exception:  # a desk's bug must not cost the others their acks
                    log.exception("sending the events of %s %s failed", queued.name, queued.command_id or "-")
            if queued.client is not None and queued.reply is not None:
                self.clients.push(queued.client, queued.reply)

    def _decide(self, pending: list[_Queued]) -> Batch:
        """Decide every pending command in order, each on the state the previous ones left.

        Sets each one's events, reply and record. Returns what to commit and which
        ids of refused commands to check for repeats.
        Synchronous from start to end: the live state is tried and put back before it returns.
        """
        trial = Trial(self.state)
        acked: dict[str, _Queued] = {}
        events: list[Message] = []
        try:
            for queued in pending:
                queued.events, queued.reply, queued.record = [], None, None
                command_id = queued.command_id
                if command_id is not None and command_id in acked:
                    first = acked[command_id]
                    assert first.record is not None
                    queued.reply = self._repeat_reply(queued, first.record)
                    continue
                self._decide_one(queued, trial)
                if queued.record is not None and command_id is not None:
                    acked[command_id] = queued
                events.extend(queued.events)
            changed = trial.changed_rows()
        finally:
            trial.undo_all()
        records = [queued.record for queued in pending if queued.record is not None]
        # A refused command may be the repeat of one stored before: it is answered as a repeat.
        refused = [q.command_id for q in pending if q.command_id is not None and q.command_id not in acked]
        return Batch(expected_seq=trial.start_seq, events=events, changed=changed, commands=records,
                     check_ids=list(dict.fromkeys(refused)))

    def _decide_one(self, queued: _Queued, trial: Trial) -> None:
        """One command on the tried state: its events applied on trial, or its error reply and no change."""
        mark = trial.mark()
        who, command_id = queued.who, queued.command_id
        try:
            drafts = queued.decide_fn(self.state)
        except ProtocolError as exc:
            exc.ref = command_id
            log.info("refused %s %s from %s: %s", queued.name, command_id, who.id, exc.code.value)
            queued.reply = error_from(exc)
            return
        except Exception:
            log.exception("internal error deciding %s %s from %s; nothing stored", queued.name, command_id, who.id)
            queued.reply = error(ErrorCode.INTERNAL, INTERNAL_MESSAGE, ref=command_id)
            return
        try:
            ts = now_iso()
            actor = {"id": who.id, "role": who.role.value}
            made: list[Message] = []
            for event_name, data in drafts:
                validate_event(event_name, data)  # a ProtocolError here is a bug: internal
                msg = event(seq=self.state.seq + 1, ts=ts, name=event_name, actor=dict(actor), ref=command_id,
                            data=data)
                if not trial.apply(msg):
                    raise RuntimeError(f"drafted event {event_name} does not apply to the state")
                made.append(msg)
        except Exception:
            trial.undo_to(mark)
            log.exception("internal error handling %s %s from %s; nothing stored", queued.name, command_id, who.id)
            queued.reply = error(ErrorCode.INTERNAL, INTERNAL_MESSAGE, ref=command_id)
            return
        queued.events = made
        if made and log.isEnabledFor(logging.DEBUG):
            # DEBUG: at INFO this line cost ~0.3 ms a command under load (bench/durable.py, cProfile);
            # the events themselves (actor, command id) are the record, the batch line says what was committed.
            log.debug("decided %s %s from %s: seq=%d..%d", queued.name, command_id or "-", who.id,
                      made[0]["seq"], made[-1]["seq"])
        if command_id is not None:
            reply = ack(ref=command_id, seq=self.state.seq, events=len(made))
            queued.reply = reply
            queued.record = CommandRecord(command_id, who.id, queued.name, reply, queued.fingerprint)

    def _repeat_reply(self, queued: _Queued, previous: CommandRecord) -> Message:
        """A command id seen before: the same ack if it is the same command, else ``conflict``."""
        command_id, who, name, fingerprint = queued.command_id, queued.who, queued.name, queued.fingerprint
        if previous.principal_id != who.id:
            log.warning("command id %s reused by %s (first sent by %s)", command_id, who.id, previous.principal_id)
            return error(ErrorCode.CONFLICT, "this command id was already used by another sender", ref=command_id)
        # Rows stored before fingerprints existed have none: the name is all that can be compared.
        other_content = previous.name != name or (
            previous.fingerprint is not None and fingerprint is not None and previous.fingerprint != fingerprint
        )
        if other_content:
            log.warning("command id %s reused by %s for other content (%s, first %s)", command_id, who.id, name,
                        previous.name)
            return error(
                ErrorCode.CONFLICT,
                f"command id {command_id} was already used for a different command ({previous.name}); "
                "a new command needs a new id",
                ref=command_id,
                field="id",
            )
        log.info("duplicate command %s from %s: same ack", command_id, who.id)
        return {**previous.ack, "duplicate": True}

    def _tell_committed(self, first_seq: int, last_seq: int) -> None:
        for hook in self._committed:
            try:
                hook(first_seq, last_seq)
            except Exception:  # a notification only: the other instances also read the log
                log.exception("commit hook failed for seq=%d..%d", first_seq, last_seq)

    def _apply_newer(self, newer: list[Message]) -> None:
        if not newer:
            return
        log.info("picked up %d event(s) written by another process: seq=%d..%d", len(newer), newer[0]["seq"], newer[-1]["seq"])
        self._apply_committed(newer)
        self._send(newer)

    def _apply_committed(self, events: list[Message]) -> None:
        for msg in events:
            # Which devices receive it depends on the state just before it (server_stub/visibility.py).
            self.device_view.observe(self.state, msg)
            self.state.apply(msg)
        for applier in self._appliers:
            applier(events)

    def _filtered_frames(self, events: list[Message], views: Iterable[View]) -> dict[View, list[str]]:
        """The frames of ``events`` as each view in ``views`` (a wall; a device, per unit) may see them;
        a device view that receives none of them is left out."""
        out: dict[View, list[str]] = {}
        units = {unit for role, unit in views if role == Role.DEVICE}
        if units:
            for unit, frames in self.device_view.frames(events, units).items():
                out[(Role.DEVICE, unit)] = frames
        for view in views:
            if view[0] == Role.WALL:  # wall displays and supervisors (_by_view)
                seen = [self.wall_view.event(msg) for msg in events]
                out[view] = [encode(msg) for msg in seen if msg is not None]
        return out

    def _send(self, events: list[Message]) -> None:
        """Events to every connection that receives events, then to the desks."""
        if not events:
            return
        receivers = self.clients.where(lambda c: c.receives_events)
        # Devices get their least-privilege view (server_stub/visibility.py), everyone else the event.
        views = _by_view(receivers)
        others = [c for c in receivers if c.principal.role not in FILTERED_ROLES] if views else receivers
        self.clients.send_many(others, [encode(msg) for msg in events])
        if views:
            filtered = self._filtered_frames(events, views.keys())
            self.clients.write_frames({c: frames for view, frames in filtered.items() for c in views[view]})
        for follower in self._followers:
            follower(events)


# What a filtered connection may see: a wall sees one view, a device that of its own unit.
View = tuple[Role, str | None]


def _by_view(receivers: list[Client]) -> dict[View, list[Client]]:
    """The filtered connections among ``receivers``, by the view they receive."""
    views: dict[View, list[Client]] = {}
    for client in receivers:
        principal = client.principal
        if principal.role in FILTERED_ROLES:
            if principal.role in WALL_VIEW_ROLES:
                view: View = (Role.WALL, None)  # one view for the wall displays and the supervisors
            else:
                view = (principal.role, principal.unit_id if principal.role == Role.DEVICE else None)
            views.setdefault(view, []).append(client)
    return views
