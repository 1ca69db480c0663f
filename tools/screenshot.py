"""Take docs/screenshot-seat.png: the seat in training mode, driven like a dispatcher would.

Run under a display (``make screenshot`` uses ``xvfb-run``)::

    python tools/screenshot.py [--output docs/screenshot-seat.png] [--size 1920x1080]
                               [--language zh_CN|en] [--time-scale 5] [--timeout 120]

With ``QT_SCALE_FACTOR=1.5`` (and ``--size`` the logical size, 1280x720) the seat is laid out
as on a 1920x1080 screen at 150 % scaling; ``tests/gui/layout_dpi_seat.py --screenshot`` takes
the same desk offscreen in the middle of a call (docs/screenshot-dpi-*.png).

It starts the real seat (``dispatch120 --simulate``: training server, simulated phone
switch and ambulances as child processes), then goes through a call with the seat's own
actions — the same QActions the keys trigger: F5 (ready), F2 (answer) when a simulated
call rings, types the address and what happened, Ctrl+S (save), F8 (assign the first
available unit) — and waits until the server's events show the unit busy and another
call waiting, then grabs the window and exits. Exit code 0 on success; 1 (with the step
it was waiting for) if the seat did not get there within ``--timeout`` seconds.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtGui import QInputMethodEvent  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from app.__main__ import StartupFailed, build_parser, seat_session  # noqa: E402
from app.domain.model import CallState, SeatState, UnitStatus  # noqa: E402
from app.seat.store import Link  # noqa: E402

log = logging.getLogger("screenshot")

ADDRESS = "Boulevard Albert 1er 12号，港口旁，3栋2单元"
WHAT_HAPPENED = "男，68岁，突发胸痛约20分钟，压榨样，大汗，意识清楚，有高血压史。"


def ime_type(widget: QWidget, text: str) -> None:
    """Type as a Chinese input method does: one committed string into the focused field."""
    widget.setFocus()
    event = QInputMethodEvent("", [])
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


class Driver:
    """Steps through a call on a 200 ms timer; each step waits for the server's events."""

    def __init__(self, runtime, output: Path, size: tuple[int, int], timeout_s: float, settle_s: float) -> None:
        self.rt = runtime
        self.window = runtime.window
        self.store = runtime.store
        self.output = output
        self.size = size
        self.deadline = time.monotonic() + timeout_s
        self.settle_s = settle_s
        self.result = 1
        self.waiting_for = "the seat to come online"
        self._done_at: float | None = None
        self._others_since: float | None = None
        self._steps: list[tuple[str, Callable[[], bool]]] = [
            ("the seat to come online", self._online),
            ("the seat to be ready (F5)", self._ready),
            ("a simulated call to ring here", self._ringing),
            ("the call to be answered (F2)", self._answered),
            ("the incident to be saved (Ctrl+S)", self._saved),
            ("a unit to be dispatched (F8)", self._dispatched),
            ("another call waiting and the picture to settle", self._settled),
        ]
        self._answered_call: str | None = None
        self._assigned_unit: str | None = None
        self._sent: set[str] = set()
        self.timer = QTimer()
        self.timer.timeout.connect(self.step)

    def start(self) -> None:
        # The one-screen desk for the screen's logical size (QT_SCALE_FACTOR=1.5 gives a 1920x1080
        # screen the 1280x720 desk of 150 % scaling), then the size asked for if it is another.
        self.window.workspace.use_preset(1, save=False)
        QApplication.processEvents()
        if (self.window.width(), self.window.height()) != self.size:
            self.window.showNormal()
            self.window.resize(*self.size)
        self.timer.start(200)

    def step(self) -> None:
        if time.monotonic() > self.deadline:
            log.error("gave up waiting for %s", self.waiting_for)
            self._grab(self.output.with_name(self.output.stem + "-timeout.png"))
            self.rt.qapp.quit()
            return
        while self._steps:
            name, check = self._steps[0]
            self.waiting_for = name
            if not check():
                return
            log.info("done: %s", name)
            self._steps.pop(0)
        self._grab(self.output)
        self.result = 0
        self.rt.qapp.quit()

    def _once(self, key: str, action: Callable[[], object]) -> None:
        if key not in self._sent:
            self._sent.add(key)
            action()

    # ---------------------------------------------------------------- steps
    def _online(self) -> bool:
        return self.store.connection.link == Link.ONLINE and self.store.seat_id is not None

    def _seat_state(self) -> str | None:
        seat = self.store.state.seats.get(self.store.seat_id or "")
        return seat["state"] if seat else None

    def _ready(self) -> bool:
        if self._seat_state() in (SeatState.READY, SeatState.BUSY):
            return True
        self._once("ready", self.window.ready_action.trigger)
        return False

    def _ringing(self) -> bool:
        return any(c["state"] == CallState.RINGING for c in self.store.my_calls())

    def _answered(self) -> bool:
        if self._answered_call is None:
            self.window.call_panel.answer_action.trigger()  # F2
            self._answered_call = self.window.form.call_id
            return False
        call = self.store.state.calls.get(self._answered_call or "")
        if call is None or call["state"] != CallState.ANSWERED:
            return False
        form = self.window.form
        ime_type(form.address, ADDRESS)
        ime_type(form.description, WHAT_HAPPENED)
        form.priority.setCurrentIndex(form.priority.findData(1))
        return True

    def _saved(self) -> bool:
        self._once("save", self.window.form.save_action.trigger)  # Ctrl+S
        incident_id = self.window.form.incident_id
        return incident_id is not None and incident_id in self.store.state.incidents

    def _dispatched(self) -> bool:
        board = self.window.board
        if self._assigned_unit is None:
            available = sorted(
                (u for u in self.store.state.units.values() if u["status"] == UnitStatus.AVAILABLE),
                key=lambda u: u.get("call_sign", ""),
            )
            if not available:
                return False
            self._assigned_unit = available[0]["unit_id"]
            board.table.setFocus()
            board.select_unit(self._assigned_unit)
            board.assign_action.trigger()  # F8
            return False
        unit = self.store.state.units.get(self._assigned_unit)
        return unit is not None and unit["status"] != UnitStatus.AVAILABLE

    def _settled(self) -> bool:
        if self._done_at is None:
            self._done_at = time.monotonic()
            self.window.board.select_unit(self._assigned_unit or "")
            self.window.form.focus_first_empty()
        now = time.monotonic()
        if self._others_since is None and self.window.call_panel.waiting_count > 0:
            self._others_since = now
        if self._others_since is not None:
            return now - self._others_since >= self.settle_s
        return now - self._done_at >= 4 * self.settle_s  # no second call came: take it anyway

    def _grab(self, path: Path) -> None:
        self.window.tick()
        QApplication.processEvents()
        path.parent.mkdir(parents=True, exist_ok=True)
        if self.window.grab().save(str(path)):
            log.info("saved %s (%dx%d)", path, self.window.width(), self.window.height())
        else:
            log.error("could not write %s", path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "screenshot-seat.png")
    parser.add_argument("--size", default="1920x1080", help="window size WxH (default: %(default)s)")
    parser.add_argument("--language", default="zh_CN", choices=["zh_CN", "en"])
    parser.add_argument("--time-scale", type=float, default=5.0, help="scenario speed (default: %(default)s)")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds to let the picture settle")
    parser.add_argument("--timeout", type=float, default=120.0, help="give up after this many seconds")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))
    seat_args = build_parser().parse_args(
        ["--simulate", "--language", args.language, "--time-scale", str(args.time_scale)]
    )
    try:
        with seat_session(seat_args) as runtime:  # sets up logging (stderr and the seat's log file)
            log.setLevel(logging.INFO)
            driver = Driver(runtime, args.output, (width, height), args.timeout, args.settle)
            QTimer.singleShot(0, driver.start)
            runtime.qapp.exec()
            return driver.result
    except StartupFailed as exc:
        return exc.code


if __name__ == "__main__":
    sys.exit(main())
