"""The seat's state store: the one copy of the truth that widgets render.

Owned by the GUI thread. The sync client (its own thread) hands every server
message to the GUI thread (``widgets.qt_bridge`` does the hop) and the GUI
thread calls :meth:`SeatStore.handle_message`; the store applies it to its
:class:`~app.domain.state.State` (``apply_changes``, which reports the
entities touched) and emits one change signal per touched entity
(:class:`StoreEvents`, psygnal). Widgets connect to those signals and never
keep their own copy.

Qt-free on purpose: tests drive it with plain dicts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from psygnal import Signal, SignalGroup, SignalInstance

from app.domain.state import State, Touched
from app.seat.telemetry import Position, TelemetryStore

log = logging.getLogger(__name__)


class _IsolatedSignalInstance(SignalInstance):
    """A psygnal signal whose slots cannot break each other.

    psygnal stops an emission at the first slot that raises (``EmitLoopError``);
    here a slot that raises is logged and the others still run, so one broken
    widget does not blank the whole seat. Overrides psygnal's immediate emit
    loop (0.16: ``_run_emit_loop_immediate``, the default reemission mode);
    ``tests/unit/test_store_signals.py`` proves the isolation on every upgrade.
    """

    def _run_emit_loop_immediate(self) -> None:
        args = self._emit_queue.popleft()
        for caller in list(self._slots):
            if caller._is_alive():  # a collected widget is already disconnected
                try:
                    caller.cb(args)
                except Exception:
                    log.exception("a slot of %s failed", self.name)


def _signal(*types: Any) -> Signal:
    return Signal(*types, signal_instance_class=_IsolatedSignalInstance)


class Link(StrEnum):
    """The seat's link to the server, as the banner shows it."""

    CONNECTING = "connecting"
    SYNCING = "syncing"  # connected, replaying what was missed
    ONLINE = "online"
    OFFLINE = "offline"  # waiting to reconnect (backoff)
    AUTH_FAILED = "auth_failed"  # token refused: retrying will not help


@dataclass(frozen=True)
class ConnectionStatus:
    link: Link
    pending: int = 0  # commands in the outbox, not yet acked
    detail: str = ""  # last error, for the log/tooltip (not translated)
    retry_in_s: float | None = None


class StoreEvents(SignalGroup):
    """The store's change signals, named in the past tense (STYLE §4).

    One ``<entity>_changed(id)`` per entity table of :class:`State` (the table
    name without its plural ``s``), emitted once per entity an applied event
    added, changed or removed, as :meth:`State.apply_changes` reports it — no
    list of events is kept here. The slot reads the entity from
    ``store.state.<table>`` (it may be gone if it was removed).

    psygnal holds bound methods weakly: a widget that is garbage-collected is
    disconnected by itself. Connect bound methods, not lambdas (a lambda is held
    strongly and keeps what it closes over alive and connected).
    """

    call_changed = _signal(str)
    seat_changed = _signal(str)
    incident_changed = _signal(str)
    unit_changed = _signal(str)
    station_changed = _signal(str)
    # A hospital's emergency-department status or capabilities changed.
    hospital_changed = _signal(str)
    principal_changed = _signal(str)
    caller_link_changed = _signal(str)
    aed_changed = _signal(str)
    responder_alert_changed = _signal(str)
    prenotification_changed = _signal(str)
    # A training run's clock or injections changed (training centres only).
    training_run_changed = _signal(str)
    # Stations, hospitals, AEDs or principals changed: lists of them redraw.
    registry_changed = _signal()
    # Whole state replaced (snapshot): widgets redraw everything.
    state_reset = _signal()
    connection_changed = _signal(object)  # ConnectionStatus
    # (command_id, seq), emitted only once the store holds every event up to seq.
    command_acked = _signal(str, int)
    # (command_id or None, code, message)
    command_failed = _signal(object, str, str)
    # (principal dict) once the server welcomed us
    welcomed = _signal(dict)
    # Live telemetry, once per unit per delivered batch: (unit_id)
    vitals_changed = _signal(str)
    waveform_appended = _signal(str)
    alarm_changed = _signal(str)
    # (set of unit ids whose position changed)
    positions_changed = _signal(set)
    # A caller link this seat sent: {call_id, link_id, url, expires_at} (the URL is shown, never stored).
    caller_link_url = _signal(dict)
    # Live video signalling from a caller's page: the rtc_from_caller message (never stored).
    caller_rtc = _signal(dict)


def change_signal_name(table: str) -> str:
    """The change signal of an entity table: ``"responder_alerts"`` -> ``"responder_alert_changed"``."""
    return f"{table.removesuffix('s')}_changed"


_missing_signals = [t for t in State.TABLES if not isinstance(getattr(StoreEvents, change_signal_name(t), None), Signal)]
if _missing_signals:  # a feature added a table: give it a signal above
    raise RuntimeError(f"StoreEvents has no change signal for the tables {_missing_signals}")

# Tables whose entities the registry lists show (``dispatch120-server admin`` writes them).
REGISTRY_TABLES = frozenset({"stations", "hospitals", "aeds", "principals"})


class SeatStore:
    """State of the centre as this seat knows it, plus its link status."""

    def __init__(self) -> None:
        self.state = State()
        self.events = StoreEvents()
        self.connection = ConnectionStatus(Link.CONNECTING)
        self.me: dict[str, Any] | None = None  # the welcome's principal
        self.telemetry = TelemetryStore()
        self._held_acks: list[tuple[int, str]] = []  # (seq, command id) acked ahead of their events

    @property
    def positions(self) -> dict[str, Position]:
        """Each ambulance's last GPS fix (unit id -> Position), live, not journaled."""
        return self.telemetry.positions

    @property
    def seat_id(self) -> str | None:
        return self.me["id"] if self.me else None

    # ------------------------------------------------------------ input
    def handle_message(self, msg: dict[str, Any]) -> None:
        """Apply one decoded server message. GUI thread only."""
        mtype = msg.get("type")
        if mtype in ("unit_telemetry", "positions"):
            self.handle_telemetry([msg])
        elif mtype == "event":
            self._apply_event(msg)
        elif mtype == "snapshot":
            self.state = State.from_dict(msg["state"])
            self.events.state_reset.emit()
            self._release_acks()
        elif mtype == "welcome":
            self.me = msg["principal"]
            self.events.welcomed.emit(self.me)
        elif mtype == "ack":
            self._on_ack(msg["ref"], msg["seq"])
        elif mtype == "error":
            self.events.command_failed.emit(msg.get("ref"), msg["code"], msg["message"])
        elif mtype == "caller_link":
            self.events.caller_link_url.emit(msg)
        elif mtype == "rtc_from_caller":
            self.events.caller_rtc.emit(msg)
        # "synced" changes nothing here: the link status says ONLINE.

    def handle_telemetry(self, frames: list[dict[str, Any]]) -> None:
        """Apply a batch of telemetry/positions frames, then emit one signal per unit and kind. GUI thread."""
        kinds: dict[str, set[str]] = {}
        moved: set[str] = set()
        for frame in frames:
            changed = self.telemetry.apply(frame)
            if frame.get("type") == "positions" or frame.get("kind") == "position":
                moved |= changed
            else:
                for unit_id in changed:
                    kinds.setdefault(str(frame.get("kind")), set()).add(unit_id)
        if moved:
            self.events.positions_changed.emit(moved)
        for kind, signal in (
            ("vitals", self.events.vitals_changed),
            ("waveform", self.events.waveform_appended),
            ("alarm", self.events.alarm_changed),
            ("status", self.events.waveform_appended),
        ):
            for unit_id in sorted(kinds.get(kind, ())):
                signal.emit(unit_id)

    def set_connection(self, status: ConnectionStatus) -> None:
        """Record the link status (GUI thread) and tell the banner."""
        if status != self.connection:
            self.connection = status
            self.events.connection_changed.emit(status)

    def _apply_event(self, msg: dict[str, Any]) -> None:
        touched = self.state.apply_changes(msg)
        if touched:
            self._emit_touched(touched)
        self._release_acks()

    def _emit_touched(self, touched: frozenset[Touched]) -> None:
        # Parents before children, in a stable order: calls, seats, incidents, units, ...
        order = {table: i for i, table in enumerate(State.TABLES)}
        for table, entity_id in sorted(touched, key=lambda t: (order[t.table], t.id)):
            self.events[change_signal_name(table)].emit(entity_id)
        if any(t.table in REGISTRY_TABLES for t in touched):
            self.events.registry_changed.emit()

    def _on_ack(self, command_id: str, seq: int) -> None:
        # An ack may arrive before the events it announces (older servers send it first):
        # hold it until the store has applied them, so a widget can trust the store on ack.
        if self.state.seq >= seq:
            self.events.command_acked.emit(command_id, seq)
        else:
            self._held_acks.append((seq, command_id))

    def _release_acks(self) -> None:
        if not self._held_acks:
            return
        due = [(seq, ref) for seq, ref in self._held_acks if seq <= self.state.seq]
        self._held_acks = [(seq, ref) for seq, ref in self._held_acks if seq > self.state.seq]
        for seq, ref in sorted(due):
            self.events.command_acked.emit(ref, seq)

    # ------------------------------------------------------------ queries
    def my_calls(self) -> list[dict[str, Any]]:
        """Calls ringing or answered at this seat, oldest first."""
        mine = [
            c
            for c in self.state.calls.values()
            if c["seat_id"] == self.seat_id and c["state"] in ("ringing", "answered")
        ]
        return sorted(mine, key=lambda c: c["received_at"])

    def waiting_calls(self) -> list[dict[str, Any]]:
        """All calls not yet answered anywhere (queued or ringing), oldest first."""
        waiting = [c for c in self.state.calls.values() if c["state"] in ("queued", "ringing")]
        return sorted(waiting, key=lambda c: c["received_at"])
