"""``dispatch120 hospital``: the receiving hospital's window around :class:`HospitalConsole`.

The console's link is an :class:`app.seat.sync.SyncClient` (its own thread and asyncio loop,
reconnect with backoff, the acks durable in a journal's outbox): a hospital console gets no
events, only ``prenotify_package`` frames of its hospital, and the ack/error of its commands.
:class:`HospitalBridge` hops the client's callbacks to the GUI thread (queued signals);
:class:`HospitalWindow` shows the console and the link's state, and sends the answers through
``send_command``.

GUI thread only, except ``HospitalBridge.on_message``/``on_status`` (any thread, never block).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QLabel, QMainWindow

from app.seat.store import ConnectionStatus, Link
from widgets.hospital_console import HospitalConsole
from widgets.labels import error_text

log = logging.getLogger(__name__)


class HospitalBridge(QObject):
    """Delivers the hospital link's callbacks on the GUI thread. Create it on the GUI thread.

    Signals (GUI thread): ``package(dict)`` a ``prenotify_package`` frame; ``status(ConnectionStatus)``;
    ``refused(str, str)`` (code, message) of a command the server refused; ``welcomed(dict)`` the principal.
    """

    package = Signal(object)
    status = Signal(object)
    refused = Signal(str, str)
    welcomed = Signal(object)
    _message = Signal(object)
    _status_in = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._message.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._status_in.connect(self.status.emit, Qt.ConnectionType.QueuedConnection)

    def on_message(self, msg: dict[str, Any]) -> None:
        """Any thread; never blocks."""
        self._message.emit(msg)

    def on_status(self, status: ConnectionStatus) -> None:
        """Any thread; never blocks."""
        self._status_in.emit(status)

    @Slot(object)
    def _deliver(self, msg: dict[str, Any]) -> None:
        try:
            mtype = msg.get("type")
            if mtype == "prenotify_package":
                self.package.emit(msg)
            elif mtype == "welcome":
                self.welcomed.emit(msg["principal"])
            elif mtype == "error" and not msg.get("retry"):
                self.refused.emit(str(msg.get("code")), str(msg.get("message")))
        except Exception:
            log.exception("could not show server message type=%r", msg.get("type"))


class HospitalWindow(QMainWindow):
    """The hospital console's window: the console, and a status line (link, hospital, last refusal).

    Args:
        bridge: the link's bridge (its signals feed the console).
        send_command: ``SyncClient.send_command`` (queues durably; raises ProtocolError/JournalError).
        console_id: shown until the server's welcome.
    """

    def __init__(self, bridge: HospitalBridge, send_command: Callable[..., Any], console_id: str) -> None:
        super().__init__()
        self.setObjectName("HospitalWindow")
        self._send_command = send_command
        self._console_id = console_id
        self._link = Link.CONNECTING
        self._problem = ""
        self.console = HospitalConsole(send_command=self._send)
        self.setCentralWidget(self.console)
        self.link_label = QLabel()
        self.statusBar().addPermanentWidget(self.link_label)
        bridge.package.connect(self.console.apply_frame)
        bridge.status.connect(self._on_status)
        bridge.refused.connect(self._on_refused)
        bridge.welcomed.connect(self._on_welcome)
        self.resize(1400, 860)
        self.retranslate_ui()

    def _send(self, name: str, args: dict[str, Any]) -> None:
        try:
            self._send_command(name, args)
        except Exception as exc:  # invalid args, journal unwritable: say it, never crash
            log.exception("could not queue %s", name)
            self._on_refused("", str(exc) or type(exc).__name__)

    def _on_status(self, status: ConnectionStatus) -> None:
        self._link = status.link
        self.retranslate_ui()

    def _on_refused(self, code: str, message: str) -> None:
        self._problem = f"{error_text(code)}: {message}" if code else message
        self.statusBar().showMessage(self._problem)

    def _on_welcome(self, principal: dict[str, Any]) -> None:
        self._console_id = f"{principal.get('name') or principal.get('id')} ({principal.get('unit_id')})"
        self.retranslate_ui()

    def retranslate_ui(self) -> None:
        texts = {
            Link.ONLINE: self.tr("Online"), Link.CONNECTING: self.tr("Connecting…"),
            Link.SYNCING: self.tr("Connecting…"), Link.OFFLINE: self.tr("Offline: reconnecting"),
            Link.AUTH_FAILED: self.tr("Token refused: store a new one with dispatch120 credentials set"),
        }
        self.link_label.setText(texts.get(self._link, str(self._link)))
        self.link_label.setStyleSheet("font-weight: bold; color: %s;" % (
            "#1b5e20" if self._link == Link.ONLINE else "#b71c1c"))
        self.setWindowTitle(self.tr("dispatch120 — hospital pre-notifications — %1").replace("%1", self._console_id))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate_ui()
            self.console.retranslate_ui()
        super().changeEvent(event)
