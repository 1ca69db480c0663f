"""The hop from the sync client's thread to the GUI thread.

``SyncClient`` runs its own asyncio loop in a thread and calls ``on_message`` /
``on_status`` from there. The store and every widget belong to the GUI thread,
so :class:`SyncBridge` re-emits both as Qt signals: the bridge object lives in
the GUI thread, so Qt queues the emission to it and the slots (which call
``store.handle_message`` / ``store.set_connection``) run there, in the order the
sync thread emitted them.

Pass ``bridge.on_message`` and ``bridge.on_status`` to ``SyncClient``.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from app.seat.store import ConnectionStatus, SeatStore
from widgets.clock import SeatClock

log = logging.getLogger(__name__)


class SyncBridge(QObject):
    """Delivers the sync client's callbacks to the store on the GUI thread.

    Create it on the GUI thread (it must live there). ``on_message`` and
    ``on_status`` may be called from any thread and return at once.

    Signals (GUI thread):
        command_retrying(object, str, str): (command id, code, message) of a transient
            server error (``"retry": true``, set by the sync client): the command is still
            in the outbox and will be re-sent, so it is *not* handed to the store as a
            failure (``command_failed`` would clear the "pending" marks in the widgets).
    """

    command_retrying = Signal(object, str, str)
    # Telemetry (hundreds of frames/s) is coalesced: at most one batch per TELEMETRY_BATCH_MS.
    TELEMETRY_BATCH_MS = 30
    TELEMETRY_MAX_PENDING = 20_000
    _message_received = Signal(object)
    _status_changed = Signal(object)
    _telemetry_due = Signal()

    def __init__(self, store: SeatStore, clock: SeatClock | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._clock = clock
        # Explicitly queued: even when called from the GUI thread itself (a test, or a
        # client that delivers synchronously), the store is never re-entered mid-update.
        self._message_received.connect(self._deliver_message, Qt.ConnectionType.QueuedConnection)
        self._status_changed.connect(self._deliver_status, Qt.ConnectionType.QueuedConnection)
        self._telemetry_lock = threading.Lock()
        self._telemetry: list[dict[str, Any]] = []
        self._telemetry_timer = QTimer(self)
        self._telemetry_timer.setSingleShot(True)
        self._telemetry_timer.setInterval(self.TELEMETRY_BATCH_MS)
        self._telemetry_timer.timeout.connect(self._deliver_telemetry)
        self._telemetry_due.connect(self._telemetry_timer.start, Qt.ConnectionType.QueuedConnection)

    # ------------------------------------------------------------ any thread
    def on_message(self, msg: dict[str, Any]) -> None:
        """Hand one decoded server message to the GUI thread. Any thread; never blocks."""
        if msg.get("type") in ("unit_telemetry", "positions"):
            with self._telemetry_lock:
                first = not self._telemetry
                self._telemetry.append(msg)
                if len(self._telemetry) > self.TELEMETRY_MAX_PENDING:  # GUI thread stalled: drop the oldest
                    del self._telemetry[: len(self._telemetry) - self.TELEMETRY_MAX_PENDING]
            if first:  # the batch timer starts once per batch
                self._telemetry_due.emit()
            return
        self._message_received.emit(msg)

    def on_status(self, status: ConnectionStatus) -> None:
        """Hand a link status change to the GUI thread. Any thread; never blocks."""
        self._status_changed.emit(status)

    # ------------------------------------------------------------ GUI thread
    @Slot(object)
    def _deliver_message(self, msg: dict[str, Any]) -> None:
        try:
            mtype = msg.get("type")
            if mtype == "welcome" and self._clock is not None:
                self._clock.set_server_time(msg.get("server_time"))
            if mtype == "error" and msg.get("retry"):
                self.command_retrying.emit(msg.get("ref"), str(msg.get("code")), str(msg.get("message")))
                return
            self._store.handle_message(msg)
        except Exception:
            # A message the store cannot apply must not take the seat down; it is logged
            # with its type and sequence number so the resync can be checked.
            log.exception("could not apply server message type=%r seq=%r", msg.get("type"), msg.get("seq"))

    @Slot()
    def _deliver_telemetry(self) -> None:
        with self._telemetry_lock:
            frames, self._telemetry = self._telemetry, []
        try:
            self._store.handle_telemetry(frames)
        except Exception:
            log.exception("could not apply %d telemetry frame(s)", len(frames))

    @Slot(object)
    def _deliver_status(self, status: ConnectionStatus) -> None:
        try:
            self._store.set_connection(status)
        except Exception:
            log.exception("could not apply link status %r", status)
