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
  before they are taken offline (and their calls ring elsewhere).
"""

from __future__ import annotations

import asyncio
import logging

from app.domain.common import SYSTEM, EventDraft, Principal
from app.domain.decide import ring_timeout, seat_connected, seat_disconnected
from app.domain.model import CallState, SeatState
from app.domain.state import State
from app.protocol import Message
from server_stub.bus import CommandBus
from server_stub.clients import Clients, Spawn

log = logging.getLogger("server_stub.presence")

# Seat states the ACD acts on: a seat in one of them that has no connection left must go offline.
ACD_STATES = frozenset({SeatState.READY, SeatState.BUSY})

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
                 seat_grace_s: float) -> None:
        self.bus = bus
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
