"""GUI test fixtures: a real SeatStore fed with protocol messages, a fake sync client at the edge.

The store, the commands (``SeatCommands``), the protocol builders and every widget
are the real ones; only the network is replaced: :class:`RecordingSync` implements
the sync client's ``send_command`` (validating like the real one, so invalid
arguments still raise ``ProtocolError``) and records what would have been sent.
:class:`Server` plays the server's part by building protocol messages (events with
increasing ``seq``, acks, errors) and handing them to the store, as the Qt bridge does.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")  # QtWebEngine refuses root without it

from maps.scheme import register_scheme  # noqa: E402  (imports QtWebEngine: before any QApplication)

register_scheme()

from PySide6.QtGui import QInputMethodEvent  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from app.protocol import ack, command, error, event, format_ts, new_id, validate_event, welcome  # noqa: E402
from app.seat.commands import SeatCommands  # noqa: E402
from app.seat.store import ConnectionStatus, Link, SeatStore  # noqa: E402
from widgets.clock import SeatClock  # noqa: E402
from widgets.main_window import MainWindow  # noqa: E402
from widgets.style import apply_style  # noqa: E402

SEAT = "seat-1"
OTHER_SEAT = "seat-2"


@dataclass
class Sent:
    command_id: str
    name: str
    args: dict[str, Any]


@dataclass
class RecordingSync:
    """Stands in for ``app.seat.sync.SyncClient`` at the network edge: records commands."""

    sent: list[Sent] = field(default_factory=list)

    def send_command(self, name: str, args: dict[str, Any], command_id: str | None = None) -> str:
        frame = command(name, args, command_id=command_id)  # raises ProtocolError like the real client
        self.sent.append(Sent(frame["id"], name, dict(args)))
        return frame["id"]

    def named(self, name: str) -> list[Sent]:
        return [s for s in self.sent if s.name == name]


class Server:
    """Builds the server's messages and hands them to the store (as the Qt bridge would)."""

    def __init__(self, store: SeatStore, start: datetime) -> None:
        self.store = store
        self.seq = 0
        self.now = start

    def ts(self, seconds_ago: float = 0) -> str:
        return format_ts(self.now - timedelta(seconds=seconds_ago))

    def event(self, name: str, /, *, seconds_ago: float = 0, ref: str | None = None,
              actor: dict[str, str] | None = None, **data: Any) -> dict[str, Any]:
        validate_event(name, data)
        self.seq += 1
        msg = event(seq=self.seq, ts=self.ts(seconds_ago), name=name,
                    actor=actor or {"id": "server", "role": "admin"}, ref=ref, data=data)
        self.store.handle_message(msg)
        return msg

    def ack(self, command_id: str, events: int = 1) -> None:
        self.store.handle_message(ack(ref=command_id, seq=self.seq, events=events))

    def error(self, command_id: str | None, code: str, message: str) -> None:
        self.store.handle_message(error(code, message, ref=command_id))

    def welcome(self, seat_id: str = SEAT) -> None:
        self.store.handle_message(
            welcome(principal={"id": seat_id, "role": "seat", "name": "Seat one", "unit_id": None},
                    server_seq=self.seq, resume="replay")
        )

    def registry(self) -> None:
        self.event("station.registered", station_id="st-north", name="North station", lat=29.56, lon=106.55)
        self.event("station.registered", station_id="st-south", name="South station", lat=29.50, lon=106.50)
        for unit_id, call_sign, station in (("u1", "120-01", "st-north"), ("u2", "120-02", "st-north"),
                                            ("u3", "120-03", "st-south")):
            self.event("unit.registered", unit_id=unit_id, call_sign=call_sign, station_id=station,
                       capability="als")
        self.event("principal.registered", principal_id=SEAT, role="seat", name="Seat one", unit_id=None)
        self.event("principal.registered", principal_id=OTHER_SEAT, role="seat", name="Seat two", unit_id=None)

    def ring(self, call_id: str, number: str, *, seat_id: str = SEAT, seconds_ago: float = 12,
             caller_name: str | None = None, location_text: str | None = None) -> None:
        self.event("call.received", call_id=call_id, caller_number=number, caller_name=caller_name,
                   location_text=location_text, line=None, seconds_ago=seconds_ago)
        self.event("call.ringing", call_id=call_id, seat_id=seat_id, seconds_ago=seconds_ago - 1)

    def online(self, pending: int = 0) -> None:
        self.store.set_connection(ConnectionStatus(Link.ONLINE, pending=pending))


@dataclass
class Seat:
    window: MainWindow
    store: SeatStore
    sync: RecordingSync
    server: Server


@pytest.fixture(scope="session")
def styled_app(qapp: QApplication) -> QApplication:
    apply_style(qapp)
    return qapp


@pytest.fixture
def seat(qtbot, styled_app) -> Seat:
    """A seat window, logged in as seat-1, online, with three units; shown and active."""
    start = datetime(2026, 11, 27, 2, 0, 0, tzinfo=UTC)
    store = SeatStore()
    sync = RecordingSync()
    server = Server(store, start)
    clock = SeatClock(now=lambda: server.now)
    server.registry()
    server.welcome()
    server.online()
    server.event("seat.state_changed", seat_id=SEAT, state="ready", reason=None)
    window = MainWindow(store, SeatCommands(sync), clock=clock, confirm_close=False, seat_id=SEAT)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    return Seat(window, store, sync, server)


@pytest.fixture(scope="session")
def protocol_library():
    """The shipped protocols, loaded once for the session (read-only: a test that edits
    protocols loads its own directory)."""
    from app.triage import DEFAULT_PROTOCOL_DIR, ProtocolLibrary

    library = ProtocolLibrary(DEFAULT_PROTOCOL_DIR)
    assert library.current is not None, library.problems
    return library


@pytest.fixture
def triage_seat(monkeypatch, protocol_library, request) -> Seat:
    """The seat window, its questionnaire on the shipped protocols."""
    import widgets.questionnaire

    monkeypatch.setattr(widgets.questionnaire, "shared_library", lambda: protocol_library)
    return request.getfixturevalue("seat")


def new_uuid() -> str:
    return new_id()


def ime_type(widget: QWidget, text: str) -> None:
    """Type Chinese the way an input method delivers it: one committed string.

    (``QTest.keyClicks`` only knows ASCII key codes and aborts on CJK characters.)
    """
    widget.setFocus()
    event = QInputMethodEvent("", [])
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)
