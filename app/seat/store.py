"""The seat's state store: the one copy of the truth that widgets render.

Owned by the GUI thread. The sync client (its own thread) hands every server
message to the GUI thread (``widgets.qt_bridge`` does the hop) and the GUI
thread calls :meth:`SeatStore.handle_message`; the store applies it to its
:class:`~app.domain.state.State` and emits one change event per thing that
changed. Widgets connect to those events and never keep their own copy.

Qt-free on purpose: tests drive it with plain dicts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from app.domain import features
from app.domain.state import State
from app.seat.telemetry import Position, TelemetryStore

log = logging.getLogger(__name__)


class Signal:
    """A minimal synchronous signal: ``connect(fn)``, ``emit(*args)``.

    Handlers run on the emitting thread (the GUI thread for the store). A
    handler that raises is logged and does not stop the others: one broken
    widget must not blank the whole seat.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._handlers: list[Callable[..., Any]] = []

    def connect(self, handler: Callable[..., Any]) -> None:
        self._handlers.append(handler)

    def disconnect(self, handler: Callable[..., Any]) -> None:
        self._handlers.remove(handler)

    def emit(self, *args: Any) -> None:
        for handler in list(self._handlers):
            try:
                handler(*args)
            except Exception:
                log.exception("handler %r of %s failed", handler, self.name)


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


@dataclass
class StoreEvents:
    """Change events, named in the past tense (STYLE §4)."""

    call_changed: Signal = field(default_factory=lambda: Signal("call_changed"))
    seat_changed: Signal = field(default_factory=lambda: Signal("seat_changed"))
    incident_changed: Signal = field(default_factory=lambda: Signal("incident_changed"))
    unit_changed: Signal = field(default_factory=lambda: Signal("unit_changed"))
    registry_changed: Signal = field(default_factory=lambda: Signal("registry_changed"))
    # A hospital's emergency-department status or capabilities changed: (hospital dict)
    hospital_changed: Signal = field(default_factory=lambda: Signal("hospital_changed"))
    # Whole state replaced (snapshot): widgets redraw everything.
    state_reset: Signal = field(default_factory=lambda: Signal("state_reset"))
    connection_changed: Signal = field(default_factory=lambda: Signal("connection_changed"))
    # (command_id, seq)
    command_acked: Signal = field(default_factory=lambda: Signal("command_acked"))
    # (command_id or None, code, message)
    command_failed: Signal = field(default_factory=lambda: Signal("command_failed"))
    # (principal dict) once the server welcomed us
    welcomed: Signal = field(default_factory=lambda: Signal("welcomed"))
    # Live telemetry (issue 6), once per unit per delivered batch: (unit_id)
    vitals_changed: Signal = field(default_factory=lambda: Signal("vitals_changed"))
    waveform_appended: Signal = field(default_factory=lambda: Signal("waveform_appended"))
    alarm_changed: Signal = field(default_factory=lambda: Signal("alarm_changed"))
    # (set of unit ids whose position changed)
    positions_changed: Signal = field(default_factory=lambda: Signal("positions_changed"))
    # A caller link this seat sent: {call_id, link_id, url, expires_at} (the URL is shown, never stored).
    caller_link_url: Signal = field(default_factory=lambda: Signal("caller_link_url"))
    # Live video signalling from a caller's page: the rtc_from_caller message (never stored).
    caller_rtc: Signal = field(default_factory=lambda: Signal("caller_rtc"))


# Which entity an event touches, and which change event tells the widgets.
_TOUCHES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "call.received": (("calls", "call_id", "call_changed"),),
    "call.queued": (("calls", "call_id", "call_changed"),),
    "call.ringing": (("calls", "call_id", "call_changed"), ("seats", "seat_id", "seat_changed")),
    "call.ring_timeout": (("calls", "call_id", "call_changed"), ("seats", "seat_id", "seat_changed")),
    "call.answered": (("calls", "call_id", "call_changed"), ("seats", "seat_id", "seat_changed")),
    "call.abandoned": (("calls", "call_id", "call_changed"),),
    "call.ended": (("calls", "call_id", "call_changed"),),
    "seat.state_changed": (("seats", "seat_id", "seat_changed"),),
    "incident.created": (("incidents", "incident_id", "incident_changed"), ("calls", "call_id", "call_changed")),
    "incident.updated": (("incidents", "incident_id", "incident_changed"),),
    "unit.assigned": (("units", "unit_id", "unit_changed"), ("incidents", "incident_id", "incident_changed")),
    "unit.status_changed": (("units", "unit_id", "unit_changed"), ("incidents", "incident_id", "incident_changed")),
    "incident.closed": (("incidents", "incident_id", "incident_changed"),),
    "unit.registered": (("units", "unit_id", "unit_changed"),),
    "principal.registered": (("seats", "principal_id", "seat_changed"),),
}


_TOUCHES.update(features.merged("STORE_TOUCHES"))

# Registry events (``dispatch120-server admin``): widgets that list stations, hospitals, AEDs or
# principals redraw on ``registry_changed``.
REGISTRY_EVENTS = frozenset({"station.registered", "hospital.registered", "aed.registered", "principal.revoked"})


class SeatStore:
    """State of the centre as this seat knows it, plus its link status."""

    def __init__(self) -> None:
        self.state = State()
        self.events = StoreEvents()
        self.connection = ConnectionStatus(Link.CONNECTING)
        self.me: dict[str, Any] | None = None  # the welcome's principal
        self.telemetry = TelemetryStore()

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
        elif mtype == "welcome":
            self.me = msg["principal"]
            self.events.welcomed.emit(self.me)
        elif mtype == "ack":
            self.events.command_acked.emit(msg["ref"], msg["seq"])
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
        if not self.state.apply(msg):
            return
        data = msg["data"]
        name = msg["name"]
        if name in REGISTRY_EVENTS:
            self.events.registry_changed.emit()
        for table, key, signal_name in _TOUCHES.get(name, ()):
            entity_id = data.get(key)
            entity = getattr(self.state, table).get(entity_id) if entity_id else None
            if entity is not None:
                getattr(self.events, signal_name).emit(entity)

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
