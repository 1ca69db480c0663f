"""A seat window in its own process, for tests that need several screens.

Qt chooses its platform (and so its screens) when the QApplication starts, so a test
that wants two or three virtual screens runs this script with
``QT_QPA_PLATFORM=offscreen:configfile=screens.json``. The seat is the real
``MainWindow`` fed by the same fake server as the in-process GUI tests. The script does
the steps named on its command line, then prints one JSON line describing the desk::

    {"screens": [{"name", "geometry"}], "windows": {name: {"screen", "geometry", "maximized",
     "docks": [visible dock names], "dock_sizes": {name: [w, h]}}}, "preset": n, "on_floor": bool}

Steps (in the order given): ``--preset N`` (View → Layout), ``--hide DOCK``, ``--watch UNIT``
(vitals), ``--ecg UNIT`` (watch a unit streaming VF for 8 s of real time: screenshots only),
``--arrest`` (answer a call, Ctrl+T, collapsed and not breathing), ``--choking`` (answer a call,
an adult choking and unable to cough), ``--key NAME`` (Escape or F11,
where the focus is), ``--describe`` (print the JSON now too), ``--screenshot PREFIX`` (each
visible top-level window to PREFIX-<window>.png). At the end the seat is closed, which saves
its layout.

Run: ``python -m tests.gui.workspace_seat --layout FILE [steps]`` from the repository root.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")

from maps.scheme import register_scheme  # noqa: E402  (QtWebEngine before the QApplication)

register_scheme()

from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, Qt, QTimer  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QDockWidget  # noqa: E402

from app.seat.commands import SeatCommands  # noqa: E402
from app.seat.store import SeatStore  # noqa: E402
from tests.gui.conftest import SEAT, RecordingSync, Server  # noqa: E402
from widgets.clock import SeatClock  # noqa: E402
from widgets.main_window import MainWindow  # noqa: E402
from widgets.seat_app import dispose  # noqa: E402
from widgets.style import apply_style  # noqa: E402

KEYS = {"Escape": Qt.Key.Key_Escape, "F11": Qt.Key.Key_F11}


def describe(window: MainWindow) -> dict:
    workspace = window.workspace
    windows = {}
    for name, win in workspace.windows().items():
        if not win.isVisible():
            continue
        docks = [d for d in win.findChildren(QDockWidget) if d.parentWidget() is win and d.isVisible()
                 and not d.visibleRegion().isEmpty()]
        windows[name] = {
            "screen": win.screen().name(),
            "geometry": list(win.geometry().getRect()),
            "maximized": win.isMaximized(),
            "docks": sorted(d.objectName() for d in docks),
            "dock_sizes": {d.objectName(): [d.width(), d.height()] for d in docks},
        }
    return {
        "screens": [{"name": s.name(), "geometry": list(s.geometry().getRect())} for s in QApplication.screens()],
        "windows": windows,
        "preset": workspace.preset,
        "on_floor": workspace.on_floor,
        "coach_shown": window.triage.pages.currentWidget() is window.triage.coach,
        "instructions_shown": window.triage.pages.currentIndex() == 2 and window.triage.instructions.hasFocus(),
    }


def settle(app: QApplication) -> None:
    for _ in range(5):
        app.processEvents()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)


def wait(app: QApplication, ms: int, until=None) -> None:
    """Run the event loop for up to ``ms`` (or until ``until()`` is true)."""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    if until is not None:
        poll = QTimer()
        poll.timeout.connect(lambda: until() and loop.quit())
        poll.start(50)
    loop.exec()


def arrest(window: MainWindow, server: Server, app: QApplication) -> None:
    server.ring("c1", "13800138000", location_text="解放碑步行街 8 号")
    QTest.keyClick(window, Qt.Key.Key_F2)
    server.event("call.answered", call_id="c1", seat_id=SEAT)
    settle(app)
    QTest.keyClick(app.focusWidget() or window, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    # Address (the callback number comes from the switch), collapsed, not awake, not breathing.
    for key in (Qt.Key.Key_1, Qt.Key.Key_2, Qt.Key.Key_2, Qt.Key.Key_2):
        QTest.keyClick(app.focusWidget() or window, key)
    settle(app)


def choking(window: MainWindow, server: Server, app: QApplication) -> None:
    """An adult choking and unable to cough: severe obstruction (22-A-2), whose instructions take the floor."""
    server.ring("c2", "13900139000", location_text="较场口 3 号")
    QTest.keyClick(window, Qt.Key.Key_F2)
    server.event("call.answered", call_id="c2", seat_id=SEAT)
    settle(app)
    # Address (the callback number comes from the switch), choking, ...; conscious: carried.
    for key in ("confirmed", "choking", "yes", "yes", "choking", "no"):
        assert window.triage.answer(key), key
        settle(app)
    QTest.keyClick(app.focusWidget() or window, Qt.Key.Key_1)  # age: adult
    settle(app)


def scripted_seat(language: str, *, layout_path: Path | None, show_map: bool, training: bool = False
                  ) -> tuple[QApplication, MainWindow, SeatStore, Server, RecordingSync]:
    """A real seat window on a scripted server (online, this seat ready), not shown yet; the scripts'
    one set-up (also tests/gui/layout_dpi_seat.py)."""
    app = QApplication.instance() or QApplication([])
    apply_style(app)
    languages = None
    if language != "en":
        from widgets.i18n_runtime import LanguageSwitcher

        languages = LanguageSwitcher()
        languages.set_language(language)
    store = SeatStore()
    sync = RecordingSync()
    server = Server(store, datetime(2026, 11, 27, 2, 0, 0, tzinfo=UTC))
    clock = SeatClock(now=lambda: server.now)
    server.registry()
    server.welcome()
    server.online()
    server.event("seat.state_changed", seat_id=SEAT, state="ready", reason=None)
    window = MainWindow(store, SeatCommands(sync), clock=clock, confirm_close=False, seat_id=SEAT,
                        layout_path=layout_path, show_map=show_map, languages=languages, training=training)
    return app, window, store, server, sync


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--layout", type=Path, required=True)
    parser.add_argument("--language", default="en")
    parser.add_argument("--map", action="store_true", help="with the live map (QtWebEngine)")
    args, steps = parser.parse_known_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")

    app, window, store, server, sync = scripted_seat(args.language, layout_path=args.layout, show_map=args.map)
    window.show()
    settle(app)
    window.activateWindow()
    settle(app)
    if args.map:  # the page painted before any screenshot (a grab at load time is white)
        ready: list[bool] = []
        window.map_dock.view.ready.connect(lambda *_: ready.append(True))
        wait(app, 20_000, lambda: bool(ready))
        wait(app, 1500)

    i = 0
    while i < len(steps):
        step = steps[i]
        if step == "--preset":
            window.workspace.layout_actions[int(steps[i + 1]) - 1].trigger()
            i += 1
        elif step == "--hide":
            window.findChild(QDockWidget, steps[i + 1]).hide()
            i += 1
        elif step == "--describe":
            settle(app)
            print(json.dumps(describe(window)), flush=True)
        elif step == "--watch":
            window.vitals_wall.watch(steps[i + 1])
            i += 1
        elif step == "--ecg":  # a unit on scene streams VF for 8 s of real time (screenshots only)
            from bench.vitals_gui import SyntheticMonitor, feed

            device = SyntheticMonitor(steps[i + 1], rhythm="vf", start_epoch_s=time.time())
            window.vitals_wall.watch(steps[i + 1])
            started = time.monotonic()
            while time.monotonic() - started < 8.0:
                feed(store, [device], time.monotonic() - started)
                wait(app, 100)
            i += 1
        elif step == "--arrest":
            arrest(window, server, app)
        elif step == "--choking":
            choking(window, server, app)
        elif step == "--key":
            QTest.keyClick(app.focusWidget() or window, KEYS[steps[i + 1]])
            i += 1
        elif step == "--screenshot":
            settle(app)
            prefix = steps[i + 1]
            for name, win in window.workspace.windows().items():
                if win.isVisible():
                    win.grab().save(f"{prefix}-{name}.png")
            i += 1
        else:
            parser.error(f"unknown step {step}")
        settle(app)
        i += 1
    print(json.dumps(describe(window)), flush=True)
    window.close()
    dispose(window)  # its map's page before the web profile
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
