"""ACD ring timers and seat presence: the server's own decisions about calls and seats.

Runs on the server's asyncio loop. What it decides goes through the command bus
as a system decision (``app.domain.decide``: ``ring_timeout``, ``seat_connected``,
``seat_disconnected``), so it is in the log like any command:

* a call that rings at a seat for ``ring_timeout_s`` without an answer times out
  (the ACD rings the next ready seat) — a timer per ringing call, armed and
  cancelled by the committed events themselves;
* **presence is in memory** (the connection count per seat, :class:`server_stub.clients.Clients`);
  the log gets only what changes the ACD's decisions: a seat that was ``offline`` and
  connects becomes ``not_ready`` (once), and a seat whose last connection closes while
  it is ``ready`` or ``busy`` goes ``offline`` (its ringing call rings elsewhere, and no
  call is offered to it). A ``not_ready`` seat that disconnects and reconnects appends
  nothing: reconnecting cannot grow the log, and the ACD never offers it a call anyway;
* after a restart, seats that were ready or busy get ``seat_grace_s`` to reconnect
  before they are taken offline (and their calls ring elsewhere);
* ``seat.set_ready`` appends an event only when the seat's state really changes, and a
  seat may change it at most :data:`READY_CHANGES_PER_WINDOW` times in
  :data:`READY_WINDOW_S` seconds: past that, a request that would change it is refused with
  ``rate_limited`` ("… retry after N s") and nothing changes — toggling cannot grow the log
  without bound. A request for the state the seat is in costs nothing and is never limited.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque

from app.domain.common import SYSTEM, EventDraft, Principal
from app.domain.decide import decide, ring_timeout, seat_connected, seat_disconnected
from app.domain.model import CallState, SeatState
from app.domain.state import State
from app.protocol import ErrorCode, Message, error
from server_stub.bus import CommandBus
from server_stub.clients import Client, Clients, Spawn

log = logging.getLogger("server_stub.presence")

# Seat states the ACD acts on: a seat in one of them that has no connection left must go offline.
ACD_STATES = frozenset({SeatState.READY, SeatState.BUSY})

# Changes of its own ready state a seat may make in READY_WINDOW_S (sliding); each is a durable
# seat.state_changed. A dispatcher changes it about once per call (ready after the wrap-up) plus
# breaks: 20 a minute is far above real work, and bounds what a seat credential can append.
READY_CHANGES_PER_WINDOW = 20
READY_WINDOW_S = 60.0

# Events that end a call's ringing at its seat.
RING_ENDS = frozenset({"call.answered", "call.abandoned", "call.queued", "call.ended", "call.ring_timeout"})


class Presence:
    """Ring timers and seat presence of one server. Loop only.

    Args:
        bus: where the decisions go.
        clients: the connection count per seat.
        spawn: the server's background-task runner.
        ring_timeout_s, seat_grace_s: from :class:`server_stub.config.ServerConfig`.
    """

    def __init__(self, bus: CommandBus, clients: Clients, spawn: Spawn, *, ring_timeout_s: float,
                 seat_grace_s: float, ready_changes: int = READY_CHANGES_PER_WINDOW,
                 ready_window_s: float = READY_WINDOW_S) -> None:
        self.bus = bus
        self.ready_changes = ready_changes
        self.ready_window_s = ready_window_s
        self._ready_changed_at: dict[str, deque[float]] = {}  # seat id -> times of its last changes
        self.clients = clients
        self.spawn = spawn
        self.ring_timeout_s = ring_timeout_s
        self.seat_grace_s = seat_grace_s
        self.stopping = False
        self._ring_timers: dict[str, asyncio.TimerHandle] = {}

    def resume(self, state: State) -> None:
        """After the state was rebuilt at start: re-arm ringing calls, give online seats their grace."""
        for call in state.calls.values():
            if call["state"] == "ringing":
                self._arm(call["call_id"], call["seat_id"])
        # No seat is connected to a server that just started; those that were
        # online get a grace period to reconnect before the ACD writes them off.
        stale_seats = [s["seat_id"] for s in state.seats.values() if acd_needs_offline(state, s["seat_id"])]
        if stale_seats:
            self.spawn(self._expire_seats_later(stale_seats), "seat grace")

    def stop(self) -> None:
        """No timer fires from now on."""
        self.stopping = True
        for handle in self._ring_timers.values():
            handle.cancel()
        self._ring_timers.clear()

    # ------------------------------------------------------------ ring timers
    def on_events(self, events: list[Message]) -> None:
        """Committed events: a ringing call arms its timer, an answer (or any end) cancels it."""
        for msg in events:
            name, data = msg["name"], msg["data"]
            if name == "call.ringing":
                self._arm(data["call_id"], data["seat_id"])
            elif name in RING_ENDS:
                handle = self._ring_timers.pop(data["call_id"], None)
                if handle is not None:
                    handle.cancel()

    def _arm(self, call_id: str, seat_id: str) -> None:
        old = self._ring_timers.pop(call_id, None)
        if old is not None:
            old.cancel()
        if self.stopping:
            return
        loop = asyncio.get_running_loop()
        self._ring_timers[call_id] = loop.call_later(self.ring_timeout_s, self._ring_timer_fired, call_id, seat_id)

    def _ring_timer_fired(self, call_id: str, seat_id: str) -> None:
        self._ring_timers.pop(call_id, None)
        log.info("call %s not answered at %s within %g s", call_id, seat_id, self.ring_timeout_s)
        self.spawn(
            self.bus.system(SYSTEM, lambda s: ring_timeout(s, call_id, seat_id), "ring timeout"), f"ring timeout {call_id}"
        )

    # ------------------------------------------------------------ seats
    async def set_ready(self, client: Client, who: Principal, command_id: str, args: dict[str, object]) -> None:
        """``seat.set_ready`` (the router's desk): decided like any command, unless it would change
        the seat's state once too often in the window — then ``rate_limited``, nothing changes."""
        if would_change_ready(self.bus.state, who.id, args["ready"] is True):
            now = time.monotonic()
            times = self._ready_changed_at.setdefault(who.id, deque(maxlen=self.ready_changes))
            while times and times[0] <= now - self.ready_window_s:
                times.popleft()
            if len(times) >= self.ready_changes:
                wait_s = max(1.0, times[0] + self.ready_window_s - now)
                log.warning("refused seat.set_ready %s from %s: %d changes within %.0f s", command_id, who.id,
                            len(times), self.ready_window_s)
                self.clients.push(client, error(
                    ErrorCode.RATE_LIMITED,
                    f"ready/not ready changed {len(times)} times within {self.ready_window_s:.0f} s; "
                    f"retry after {wait_s:.0f} s",
                    ref=command_id,
                ))
                return
            times.append(now)
        await self.bus.execute(who, lambda state: decide(state, who, "seat.set_ready", args),
                               command=(command_id, "seat.set_ready"), client=client)

    async def seat_changed(self, principal: Principal) -> None:
        """Tell the ACD a seat came or went, deciding on the connection count at that moment."""

        def presence(state: State) -> list[EventDraft]:
            if self.clients.count(principal.id) > 0:
                return seat_connected(state, principal.id)
            if not acd_needs_offline(state, principal.id):
                return []  # not ready: nothing for the ACD to change, nothing for the log
            return seat_disconnected(state, principal.id)

        online = self.clients.count(principal.id) > 0
        await self.bus.system(principal if online else SYSTEM, presence,
                              "seat connected" if online else "seat disconnected")

    async def _expire_seats_later(self, seat_ids: list[str]) -> None:
        await asyncio.sleep(self.seat_grace_s)
        for seat_id in seat_ids:
            if self.clients.count(seat_id) == 0 and acd_needs_offline(self.bus.state, seat_id):
                log.info("seat %s did not reconnect after the restart: offline", seat_id)
                await self.bus.system(SYSTEM, lambda s, sid=seat_id: seat_disconnected(s, sid), "seat grace expired")


def acd_needs_offline(state: State, seat_id: str) -> bool:
    """Whether a seat without a connection must be written off: it is ready or busy, or a call rings there."""
    seat = state.seats.get(seat_id)
    if seat is None:
        return False
    if seat["state"] in ACD_STATES:
        return True
    return any(c["state"] == CallState.RINGING and c.get("seat_id") == seat_id for c in state.calls.values())


def would_change_ready(state: State, seat_id: str, ready: bool) -> bool:
    """Whether ``seat.set_ready`` would append a state change now (as ``app.domain.decide`` decides it):
    a busy seat changes only by going not ready; any other only to another state."""
    seat = state.seats.get(seat_id)
    current = seat["state"] if seat else SeatState.OFFLINE
    if current == SeatState.BUSY:
        return not ready
    return current != (SeatState.READY if ready else SeatState.NOT_READY)
