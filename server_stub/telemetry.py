"""Routing of ambulance telemetry: devices → server → subscribed seats.

Runs on the server's asyncio loop (everything here; no locks needed). Not part
of the event log: telemetry is live data, never replayed. What the server keeps:

* each unit's last position (sent to every seat as soon as it is live) and
  last vitals and active alarms (sent to a seat right after it subscribes);
* each unit's last :data:`ECG_HISTORY_S` seconds of ECG chunks, from which
  strips are cut (on a seat's ``telemetry.strip_request``, and 10 s around
  every high-priority alarm) — see :class:`server_stub.strips.StripStore`.

**Slow subscribers.** Events are written with ``websockets.broadcast`` (no
backpressure): a seat whose socket holds more than ``slow_client_bytes``
unsent is closed with 1008 and catches up by replay — an event is never
dropped. Telemetry must not push a seat into that close, and may be dropped:
so every receiving connection has a :class:`Sink` — a bounded deque of frames
(:data:`QUEUE_FRAMES`; the oldest is dropped when full, counted in
``dropped``) and one task that writes them with ``await ws.send()``, which
waits while the socket's buffer is above websockets' write limit (32 KiB).
Telemetry therefore never holds more than ~32 KiB + one frame in a seat's
socket buffer, far below the 4 MiB that triggers 1008; a slow seat loses old
telemetry, keeps every event, and sees live data again as soon as it keeps up.

Positions go to every seat without subscribing, coalesced: at most one item
per unit per :data:`POSITIONS_EVERY_S` in one ``positions`` frame.

**Other instances** (:mod:`server_stub.fanout`, ``--bus``). The router tells its
``relay`` which units this instance's seats watch (:meth:`Bus.watch`/``unwatch``)
and hands it every accepted frame (sent on only where another instance watches the
unit) and, once per flush, the positions its own devices reported. Frames from
another instance (:meth:`TelemetryRouter.receive_remote`) reach the local
subscribers and the last values as if a local device had sent them, but never cut
an alarm strip (the device's instance does, into the shared database) and are
never relayed again; remote positions join the next local flush, so a seat still
gets at most one item per unit per second whichever instance its devices are on.

**Device time.** One :class:`~app.protocol.telemetry.StreamGuard` for the whole
server: time order is per unit and kind whichever connection a frame came on,
and survives a device's reconnect. A frame dated more than ``max_clock_skew_s``
ahead of the server's clock is refused alone (it never becomes the time later
frames are compared with); every accepted frame updates the unit's clock offset
(``stats()["clock_offset_s"]``, logged when it passes :data:`OFFSET_LOG_S`).
Relayed frames carry their device times in UTC with ``Z`` and milliseconds.
A device's ``seq`` must grow on a connection (a new connection may start anywhere).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from array import array
from collections import deque
from collections.abc import Callable, Container
from dataclasses import dataclass, field
from typing import Any

import orjson
from websockets.exceptions import ConnectionClosed

from app.domain.model import Role
from app.protocol import ErrorCode, Message, ProtocolError, encode, error
from app.protocol.telemetry import (
    MAX_DEVICE_CLOCK_SKEW_S,
    AlarmPriority,
    StreamGuard,
    TelemetryKind,
    normalised,
    parse_epoch,
    positions,
    unit_telemetry,
    validate_telemetry,
)
from server_stub.fanout import Bus, LocalBus

log = logging.getLogger("server_stub.telemetry")
# Who gets every unit's position (coalesced): the seats and the wall display (read-only).
POSITION_ROLES = frozenset({Role.SEAT, Role.WALL, Role.SUPERVISOR})

QUEUE_FRAMES = 256  # per receiving connection; ~2–5 s of 4 monitors
POSITIONS_EVERY_S = 1.0
ECG_HISTORY_S = 60.0
ALARM_STRIP_S = 10.0
# A device clock this far off the server's is logged (at most once a minute per unit).
OFFSET_LOG_S = 5.0
OFFSET_LOG_EVERY_S = 60.0


@dataclass(eq=False)
class Sink:
    """One connection's bounded telemetry queue and the task that drains it."""

    label: str
    ws: Any
    role: Role
    units: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()
    queue: deque[str] = field(default_factory=lambda: deque(maxlen=QUEUE_FRAMES))
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[Any] | None = None
    sent: int = 0
    dropped: int = 0

    def put(self, frame: str) -> None:
        if len(self.queue) == self.queue.maxlen:
            self.dropped += 1
            if self.dropped in (1, 100) or self.dropped % 10_000 == 0:
                log.warning("%s too slow for telemetry: %d frame(s) dropped so far", self.label, self.dropped)
        self.queue.append(frame)
        self.wake.set()

    async def pump(self) -> None:
        try:
            while True:
                await self.wake.wait()
                self.wake.clear()
                while self.queue:
                    await self.ws.send(self.queue.popleft())  # waits while the socket buffer is full
                    self.sent += 1
        except ConnectionClosed:
            pass


@dataclass
class EcgChunk:
    start: float  # epoch s
    end: float
    data: dict[str, Any]  # the waveform frame's data, as received


class TelemetryRouter:
    """Validates device frames, keeps the last values, fans telemetry out.

    Args:
        on_alarm_strip: called with ``(unit_id, alarm_code, chunks)`` when a high-priority
            alarm becomes active (the server stores the strip). Loop thread.
        queue_frames: size of each subscriber's queue.
        max_clock_skew_s: how far a device time may be ahead of the server's clock.
        known_units: the units that exist (a subscribe naming another is refused); None: any.
        clock: the server's clock (POSIX s).
        relay: the fan-out to other instances (default: none, :class:`~server_stub.fanout.LocalBus`).
    """

    def __init__(
        self,
        on_alarm_strip: Callable[[str, str, list[EcgChunk]], Any] | None = None,
        queue_frames: int = QUEUE_FRAMES,
        *,
        max_clock_skew_s: float = MAX_DEVICE_CLOCK_SKEW_S,
        known_units: Callable[[], Container[str]] | None = None,
        clock: Callable[[], float] = time.time,
        relay: Bus | None = None,
    ) -> None:
        self.relay: Bus = relay or LocalBus()
        self.sinks: dict[Any, Sink] = {}  # keyed by the server's Client
        # Device time per unit and kind, for every connection, kept across reconnects.
        self.guard = StreamGuard()
        self.last_seq: dict[Any, int] = {}  # per connection: the device's last accepted frame counter
        self.clock_offset_s: dict[str, float] = {}  # unit -> device time minus server time, last frame
        self._offset_logged: dict[str, float] = {}
        self.max_clock_skew_s = max_clock_skew_s
        self.known_units = known_units
        self.clock = clock
        self.last_position: dict[str, dict[str, Any]] = {}
        self.last_vitals: dict[str, str] = {}  # unit -> its last unit_telemetry frame
        self.active_alarms: dict[str, dict[str, str]] = {}  # unit -> code -> frame
        self.ecg: dict[str, deque[EcgChunk]] = {}
        self.frames_in = 0
        self.refused = 0
        self._pending_positions: dict[str, dict[str, Any]] = {}  # to this instance's seats
        self._pending_relay: dict[str, dict[str, Any]] = {}  # this instance's devices, to the others
        self.frames_from_others = 0
        self.on_alarm_strip = on_alarm_strip  # may be set after construction
        # Every position a device of this instance reported (the track recorder, server_stub/track.py).
        self.on_position: Callable[[dict[str, Any]], Any] | None = None
        self._queue_frames = queue_frames
        self._flusher: asyncio.Task[Any] | None = None

    # ------------------------------------------------------------ life cycle
    def start(self) -> None:
        """Start the positions flusher (call on the loop)."""
        self._flusher = asyncio.get_running_loop().create_task(self._flush_positions_forever(), name="positions")

    async def close(self) -> None:
        tasks = [s.task for s in self.sinks.values() if s.task is not None]
        if self._flusher is not None:
            tasks.append(self._flusher)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.sinks.clear()

    def client_live(self, client: Any, label: str, ws: Any, role: Role) -> None:
        """A connection finished its replay: seats (and wall displays) get a sink and every known position."""
        if role not in POSITION_ROLES:
            return
        sink = self._sink(client, label, ws, role)
        if self.last_position:
            sink.put(encode(positions(list(self.last_position.values()))))

    def client_gone(self, client: Any) -> None:
        self.last_seq.pop(client, None)
        sink = self.sinks.pop(client, None)
        if sink is not None:
            for unit in _watched(sink.units, sink.kinds):
                self.relay.unwatch(unit)
        if sink is not None and sink.task is not None:
            sink.task.cancel()
            if sink.dropped:
                log.info("%s: telemetry sent=%d dropped=%d", sink.label, sink.sent, sink.dropped)

    def _sink(self, client: Any, label: str, ws: Any, role: Role) -> Sink:
        sink = self.sinks.get(client)
        if sink is None:
            sink = self.sinks[client] = Sink(label, ws, role, queue=deque(maxlen=self._queue_frames))
            sink.task = asyncio.get_running_loop().create_task(sink.pump(), name=f"telemetry to {label}")
        return sink

    # ------------------------------------------------------------ input
    def handle(
        self, client: Any, label: str, ws: Any, role: Role, unit_id: str | None, msg: Message
    ) -> Message | None:
        """Handle a ``telemetry`` or ``subscribe`` frame. Returns an error reply, or None.

        Never raises for bad input: every problem is an ``error`` message
        (``forbidden``, ``invalid_args``) for the caller to send back.
        """
        if msg["type"] == "subscribe":
            if role != Role.SEAT:
                return error(ErrorCode.FORBIDDEN, f"role {role.value} may not subscribe to telemetry")
            known = self.known_units() if self.known_units is not None else None
            if known is not None:
                for index, unit in enumerate(msg["unit_ids"]):
                    if unit not in known:
                        # Refused whole: the previous subscription stays as it was.
                        return error(ErrorCode.NOT_FOUND, f"unit_ids[{index}]: no unit {unit}",
                                     field=f"unit_ids[{index}]")
            self._subscribe(self._sink(client, label, ws, role), msg)
            return None
        ref = f"seq:{msg['seq']}"
        if role != Role.DEVICE:
            return error(ErrorCode.FORBIDDEN, f"role {role.value} may not send telemetry", ref=ref)
        if unit_id != msg["unit_id"]:
            return error(
                ErrorCode.FORBIDDEN,
                f"this device belongs to unit {unit_id}; it may not send telemetry for {msg['unit_id']}",
                ref=ref,
                field="unit_id",
            )
        previous_seq = self.last_seq.get(client)
        if previous_seq is not None and msg["seq"] <= previous_seq:
            self.refused += 1
            return error(
                ErrorCode.INVALID_ARGS,
                f"seq: {msg['seq']} is not after this connection's last frame {previous_seq} "
                "(the frame counter must grow; a new connection may start again)",
                ref=ref,
                field="seq",
            )
        now = self.clock()
        try:
            validate_telemetry(msg)
            offset = self.guard.check(msg, now=now, max_future_s=self.max_clock_skew_s)
        except ProtocolError as exc:
            self.refused += 1
            if exc.field == "t":
                self._note_offset(msg["unit_id"], parse_epoch(msg["t"]) - now, refused=True)
            return error(exc.code, exc.message, ref=ref, field=exc.field)
        self.last_seq[client] = msg["seq"]
        if offset is not None:
            self._note_offset(msg["unit_id"], offset)
        self.frames_in += 1
        msg = normalised(msg)
        self._route(msg, encode(unit_telemetry(msg)))
        return None

    def _note_offset(self, unit: str, offset: float, *, refused: bool = False) -> None:
        """Remember a unit's device clock offset; log it when large (rate-limited per unit)."""
        if not refused:
            self.clock_offset_s[unit] = offset
        if abs(offset) < OFFSET_LOG_S:
            return
        now = time.monotonic()
        if now - self._offset_logged.get(unit, -OFFSET_LOG_EVERY_S) >= OFFSET_LOG_EVERY_S:
            self._offset_logged[unit] = now
            log.warning("unit %s: device clock %+.1f s from the server's%s", unit, offset,
                        " (frame refused)" if refused else "")

    def _subscribe(self, sink: Sink, msg: Message) -> None:
        units, kinds = frozenset(msg["unit_ids"]), frozenset(msg["kinds"])
        added = units - sink.units
        before, after = _watched(sink.units, sink.kinds), _watched(units, kinds)
        sink.units, sink.kinds = units, kinds
        for unit in sorted(after - before):
            self.relay.watch(unit)
        for unit in sorted(before - after):
            self.relay.unwatch(unit)
        log.info("%s subscribes to %s (%s)", sink.label, sorted(units) or "nothing", ",".join(sorted(kinds)))
        for unit in sorted(added):
            if TelemetryKind.VITALS in kinds and unit in self.last_vitals:
                sink.put(self.last_vitals[unit])
            if TelemetryKind.ALARM in kinds:
                for alarm_frame in self.active_alarms.get(unit, {}).values():
                    sink.put(alarm_frame)

    def receive_remote(self, unit_id: str, kind: str, frame: str) -> None:
        """A frame another instance accepted from its device (the bus calls this; loop thread).

        It reaches this instance's subscribers and last values; it is not relayed again.
        """
        msg = orjson.loads(frame)
        if msg.get("unit_id") != unit_id or msg.get("kind") != kind or kind == TelemetryKind.POSITION:
            log.warning("ignored a relayed %s frame for %s that does not match its channel", kind, unit_id)
            return
        self.frames_from_others += 1
        self._route(msg, frame, remote=True)

    def merge_remote_positions(self, items: list[dict[str, Any]]) -> None:
        """Positions another instance's devices reported: sent with this instance's next flush.

        A position older than the one known for the unit (by device time) is ignored.
        """
        for item in items:
            unit = item.get("unit_id")
            if not isinstance(unit, str) or not isinstance(item.get("t"), str):
                continue
            known = self.last_position.get(unit)
            # Device times are normalised to one form (UTC, Z, milliseconds): strings compare in time order.
            if known is not None and item["t"] < known["t"]:
                continue
            self.last_position[unit] = item
            self._pending_positions[unit] = item

    def _route(self, msg: Message, frame: str, *, remote: bool = False) -> None:
        unit, kind, data = msg["unit_id"], msg["kind"], msg["data"]
        if kind == TelemetryKind.POSITION:
            item = {
                "unit_id": unit,
                "lat": data["lat"],
                "lon": data["lon"],
                "heading_deg": data.get("heading_deg"),
                "speed_mps": data.get("speed_mps"),
                "accuracy_m": data.get("accuracy_m"),
                "t": msg["t"],
            }
            self.last_position[unit] = item
            self._pending_positions[unit] = item
            self._pending_relay[unit] = item
            if self.on_position is not None:
                self.on_position(item)
            return
        if kind == TelemetryKind.VITALS:
            self.last_vitals[unit] = frame
        elif kind == TelemetryKind.ALARM:
            alarms = self.active_alarms.setdefault(unit, {})
            if data["active"]:
                newly = data["code"] not in alarms
                alarms[data["code"]] = frame
                if newly and data["priority"] == AlarmPriority.HIGH and self.on_alarm_strip is not None and not remote:
                    self.on_alarm_strip(unit, data["code"], self.recent_ecg(unit, ALARM_STRIP_S))
            else:
                alarms.pop(data["code"], None)
        elif kind == TelemetryKind.WAVEFORM and data["channel"] == "ECG_II":
            start = parse_epoch(data["start"])
            end = start + len(data["samples"]) * data["period_ms"] / 1000.0
            history = self.ecg.setdefault(unit, deque())
            # Kept 60 s per unit: the samples as one int32 array, not a list of Python ints
            # (~10× smaller, one allocation — measured: the list form grew the RSS steadily, bench/telemetry.py).
            history.append(EcgChunk(start, end, {**data, "samples": array("i", data["samples"])}))
            while history and history[0].end < end - ECG_HISTORY_S:
                history.popleft()
        for sink in self.sinks.values():
            if unit in sink.units and kind in sink.kinds:
                sink.put(frame)
        if not remote:
            self.relay.publish_telemetry(unit, kind, frame)

    def recent_ecg(self, unit_id: str, seconds: float) -> list[EcgChunk]:
        """The unit's lead-II chunks that overlap its last ``seconds`` of ECG (oldest first)."""
        history = self.ecg.get(unit_id)
        if not history:
            return []
        since = history[-1].end - seconds
        return [c for c in history if c.end > since]

    # ------------------------------------------------------------ positions
    async def _flush_positions_forever(self) -> None:
        while True:
            await asyncio.sleep(POSITIONS_EVERY_S)
            with contextlib.suppress(Exception):
                self.flush_positions()

    def flush_positions(self) -> None:
        """Send the positions that changed since the last flush to every seat (one frame), and
        those this instance's devices reported to the other instances."""
        if self._pending_relay:
            relayed, self._pending_relay = list(self._pending_relay.values()), {}
            self.relay.publish_positions(relayed)
        if not self._pending_positions:
            return
        items, self._pending_positions = list(self._pending_positions.values()), {}
        frame = encode(positions(items))
        for sink in self.sinks.values():
            if sink.role in POSITION_ROLES:
                sink.put(frame)

    def stats(self) -> dict[str, Any]:
        return {
            "frames_in": self.frames_in,
            "refused": self.refused,
            "frames_from_others": self.frames_from_others,
            "bus": self.relay.stats(),
            "clock_offset_s": {unit: round(offset, 3) for unit, offset in sorted(self.clock_offset_s.items())},
            "sinks": {s.label: {"sent": s.sent, "dropped": s.dropped, "queued": len(s.queue)} for s in self.sinks.values()},
            "at": time.time(),
        }


def _watched(units: frozenset[str], kinds: frozenset[str]) -> frozenset[str]:
    """The units a subscription needs from other instances (positions come to every seat anyway)."""
    return units if kinds - {TelemetryKind.POSITION} else frozenset()
