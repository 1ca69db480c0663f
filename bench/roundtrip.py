"""Benchmark 1: command round trip seat → server → ack on loopback.

(a) ``raw``: a plain asyncio websockets client (:class:`bench.client.RawSeat`)
    sends one command, awaits its ack, sends the next. Measures the server
    (decide, one SQLite WAL ``synchronous=FULL`` commit, ack) plus loopback.
(b) ``seat``: the seat's real path, ``SyncClient.send_command`` → journal
    outbox (durable) → sync thread → server → ack → journal → ``on_message``.
    Timed from the call of ``send_command`` on the caller's thread (the GUI
    thread in the seat) to the ack reaching ``on_message`` on the sync thread;
    also reported: how long ``send_command`` itself blocks its caller (the
    outbox write), and when the command's *event* reaches ``on_message`` —
    the moment the seat's store (and so the screen) can change.

Each run uses its own server (:class:`bench.server.BenchServer`) so the
figures do not depend on which benchmarks ran before. Thread: the caller's.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from app.protocol import new_id
from bench.client import ClientError, CommandMix, RawSeat
from bench.server import BenchServer
from bench.stats import summary_ms

WARMUP = 20
REPLY_TIMEOUT_S = 10.0


async def _raw(url: str, token: str, unit_id: str, n: int) -> dict[str, Any]:
    seat = await RawSeat.open(url, token)
    try:
        mix = CommandMix(unit_id)
        await seat.must(*mix.setup())
        for _ in range(WARMUP):
            await seat.must(*mix.next())
        times: list[float] = []
        errors: dict[str, int] = {}
        events = 0
        started = time.perf_counter()
        for _ in range(n):
            reply, seconds = await seat.command(*mix.next())
            times.append(seconds)
            if reply.get("type") == "ack":
                events += reply.get("events", 0)
            else:
                errors[reply.get("code", "?")] = errors.get(reply.get("code", "?"), 0) + 1
        wall = time.perf_counter() - started
    finally:
        await seat.close()
    return {**summary_ms(times), "events": events, "errors": errors, "wall_s": wall}


def run_raw(n: int) -> dict[str, Any]:
    """Round trip of ``n`` sequential commands from a raw websocket client. Raises ClientError, ServerError."""
    with BenchServer() as server:
        return asyncio.run(_raw(server.url, server.tokens["bench-1"], "B1", n))


class _SeatProbe:
    """Timestamps of the SyncClient's callbacks (called on the sync thread)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.online = threading.Event()
        self.expect: dict[str, threading.Event] = {}
        self.ack_at: dict[str, float] = {}
        self.event_at: dict[str, float] = {}
        self.replies: dict[str, dict[str, Any]] = {}
        self.links: list[str] = []

    def on_message(self, msg: dict[str, Any]) -> None:
        now = time.perf_counter()
        kind = msg.get("type")
        ref = msg.get("ref")
        if kind == "event" and ref:
            with self.lock:
                self.event_at.setdefault(ref, now)
                done = self.expect.get(ref) if ref in self.replies else None
            if done is not None:
                done.set()
        elif kind in ("ack", "error") and ref:
            with self.lock:
                self.ack_at[ref] = now
                self.replies[ref] = msg
                # Done at the ack when the command made no event; else when its event came too.
                done = self.expect.get(ref) if (kind == "error" or msg.get("events", 0) == 0
                                                or ref in self.event_at) else None
            if done is not None:
                done.set()

    def on_status(self, status: Any) -> None:
        self.links.append(str(status.link))
        if str(status.link) == "online":
            self.online.set()


def run_seat(n: int) -> dict[str, Any]:
    """Round trip of ``n`` sequential commands through the seat's SyncClient and journal.

    Raises ClientError (not online, a command timed out), ServerError, JournalError.
    """
    from app.seat.journal import Journal
    from app.seat.sync import SyncClient

    workdir = Path(tempfile.mkdtemp(prefix="dispatch120-bench-seat-"))
    try:
        with BenchServer() as server:
            journal = Journal(workdir / "journal.sqlite")
            probe = _SeatProbe()
            sync = SyncClient(server.url, server.tokens["bench-2"], journal, client_name="dispatch120-bench/0.1",
                              on_message=probe.on_message, on_status=probe.on_status)
            sync.start()
            try:
                if not probe.online.wait(15):
                    raise ClientError(f"the SyncClient did not get online: {probe.links}")
                mix = CommandMix("B2")
                send = _seat_sender(sync, probe)
                reply = send(*mix.setup())[0]
                if reply.get("type") != "ack":
                    raise ClientError(f"incident.create refused: {reply}")
                for _ in range(WARMUP):
                    send(*mix.next())
                queued, to_ack, to_event = [], [], []
                errors: dict[str, int] = {}
                events = 0
                started = time.perf_counter()
                for _ in range(n):
                    reply, t_queued, t_ack, t_event = send(*mix.next())
                    queued.append(t_queued)
                    to_ack.append(t_ack)
                    if t_event is not None:
                        to_event.append(t_event)
                    if reply.get("type") == "ack":
                        events += reply.get("events", 0)
                    else:
                        errors[reply.get("code", "?")] = errors.get(reply.get("code", "?"), 0) + 1
                wall = time.perf_counter() - started
                pending = journal.pending_count()
            finally:
                sync.stop()
                journal.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return {
        **summary_ms(to_ack),
        "send_command_blocks": summary_ms(queued),
        "to_event": summary_ms(to_event),
        "events": events,
        "errors": errors,
        "wall_s": wall,
        "outbox_left": pending,
    }


def _seat_sender(sync: Any, probe: _SeatProbe):
    """A function sending one command through ``sync`` and waiting for its ack (and event)."""

    def send(name: str, args: dict[str, Any]) -> tuple[dict[str, Any], float, float, float | None]:
        cid = new_id()
        done = threading.Event()
        with probe.lock:
            probe.expect[cid] = done
        started = time.perf_counter()
        sync.send_command(name, args, command_id=cid)
        queued = time.perf_counter() - started
        if not done.wait(REPLY_TIMEOUT_S):
            raise ClientError(f"no ack for {name} {cid} within {REPLY_TIMEOUT_S:g} s")
        with probe.lock:
            probe.expect.pop(cid, None)
            reply = probe.replies.pop(cid)
            ack_at = probe.ack_at.pop(cid)
            event_at = probe.event_at.pop(cid, None)
        return reply, queued, ack_at - started, (event_at - started) if event_at is not None else None

    return send


def run(n: int) -> dict[str, Any]:
    """Both round trips. Returns {"n", "raw", "seat"}."""
    return {"n": n, "raw": run_raw(n), "seat": run_seat(n)}
