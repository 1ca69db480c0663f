"""``dispatch120 --exit-after-first-paint`` / ``--screenshot FILE``: prove a seat starts, then leave.

For installation checks (an installed bundle, no Python on the PATH) and start-up timing:
the seat starts as usual; once its main window has painted **and** its map page is loaded
and has painted (:attr:`maps.view.MapView.ready`; the seat builds its map after the window's
first paint, ``MainWindow(defer_panels=True)``, so "first paint" always comes before
"map ready"), the seat prints one line to stdout,
optionally saves the window to a PNG, and quits the event loop, so the normal shutdown runs.

Output (stdout, one line each, flushed)::

    dispatch120: first paint
    dispatch120: map ready
    dispatch120: screenshot saved to FILE      (with --screenshot)

Exit code: 0, or 1 when the map failed to load or was not ready within ``timeout_s`` (the
line then says which). GUI thread.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

log = logging.getLogger(__name__)

MAP_TIMEOUT_S = 60.0
SCREENSHOT_SETTLE_MS = 2500


def _say(text: str) -> None:
    print(f"dispatch120: {text}", file=sys.stdout, flush=True)


class FirstPaintExit(QObject):
    """Watches ``window``; see the module docstring. Keep a reference while the loop runs."""

    def __init__(self, window: QWidget, *, screenshot: Path | None = None,
                 timeout_s: float = MAP_TIMEOUT_S) -> None:
        super().__init__(window)
        self._window = window
        self._screenshot = screenshot
        self._painted = False
        self._done = False
        self._map_ready_said = False
        self._map: Any = None
        self._expects_map = False
        window.installEventFilter(self)
        on_panel = getattr(window, "on_panel", None)
        if on_panel is not None and "map" in getattr(window, "docks", {}):
            # The seat builds its map after the first paint (MainWindow defer_panels): wait for it.
            self._expects_map = True
            on_panel("map", self._on_map_built)
        elif getattr(window, "map_dock", None) is not None:
            self._expects_map = True
            self._on_map_built(window.map_dock)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(lambda: self._finish(1, f"not painted with its map within {timeout_s:g} s"))
        self._timer.start(int(timeout_s * 1000))

    def _on_map_built(self, dock: Any) -> None:
        self._map = dock.view
        self._map.ready.connect(self._on_map_ready)
        self._map.load_failed.connect(lambda: self._finish(1, "the map page failed to load"))
        if self._map.is_ready:
            self._on_map_ready()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if obj is self._window and event.type() == QEvent.Type.Paint and not self._painted:
            self._painted = True
            # After the paint pass has returned to the event loop: the frame is complete.
            QTimer.singleShot(0, self._on_first_paint)
        return False

    def _on_first_paint(self) -> None:
        _say("first paint")
        if not self._expects_map or self._map_ready_said:
            self._finish_soon()

    def _on_map_ready(self) -> None:
        if self._map_ready_said:
            return
        self._map_ready_said = True
        _say("map ready")
        if self._painted:
            self._finish_soon()

    def _finish_soon(self) -> None:
        # One more turn of the loop so the window repaints with the map's first frame. For a
        # picture, a little longer: the page reports ready at its first frame, and the basemap's
        # roads and the units' markers are drawn over the next second or so (tools/screenshot.py
        # waits 3 s for the same reason).
        self._window.update()
        QTimer.singleShot(SCREENSHOT_SETTLE_MS if self._screenshot is not None else 0,
                          lambda: self._finish(0, ""))

    def _finish(self, code: int, problem: str) -> None:
        if self._done:
            return
        self._done = True
        self._timer.stop()
        if problem:
            _say(problem)
            log.error("--exit-after-first-paint: %s", problem)
        if self._screenshot is not None:
            self._screenshot.parent.mkdir(parents=True, exist_ok=True)
            if self._window.grab().save(str(self._screenshot)):
                _say(f"screenshot saved to {self._screenshot}")
            else:
                _say(f"could not save the screenshot to {self._screenshot}")
                code = code or 1
        app = QApplication.instance()
        if app is not None:
            app.exit(code)


def exit_after_first_paint(window: QWidget, *, screenshot: Path | None = None) -> FirstPaintExit:
    """Quit the seat's event loop once ``window`` and its map have painted (see the module docstring)."""
    return FirstPaintExit(window, screenshot=screenshot)
