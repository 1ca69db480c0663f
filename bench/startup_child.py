"""Child process of the start-up benchmark: the real seat start-up, timed to its first paint.

Run by :mod:`bench.startup` as ``python -m bench.startup_child``; reads one JSON
line of parameters from stdin (``mode`` "live" or "simulate"; for "live" also
``url``, ``seat_id``, ``token``, ``journal``) and prints one JSON line of
``time.monotonic()`` marks to stdout. CLOCK_MONOTONIC is system-wide on Linux,
so the parent subtracts its own mark taken just before it started this process.

What runs is the seat's composition root, :func:`app.__main__.seat_session` —
the code ``dispatch120`` runs between parsing its arguments and
``qapp.exec()`` (settings, logging, QApplication and style, language, keyring,
journal, store, sync client, main window ``show()``, sync thread start). The
one difference from a production start: the token is put into the in-memory
keyring of :mod:`app.secrets` (``use_memory_backend``, as simulation and tests
do) instead of being read from the OS keyring. The token comes through stdin,
never the environment or the command line.

Marks: ``main`` (this module's first line), ``imported`` (``app.__main__``
imported), ``shown`` (``seat_session`` returned: window shown, sync started),
``first_paint_begin`` (the window's native window is first exposed: Qt paints
the whole window then), ``first_paint`` (that paint pass has returned to the
event loop; also ``first_paint_cpu_s``, the process's CPU seconds then), ``online`` (the store heard ONLINE from the sync thread: hello,
snapshot, synced done), ``online_painted`` (the first repaint of the window
after that), ``map_ready`` (the map page loaded and painted), ``exited``.

Mode ``bare`` (:func:`bare`) runs the floor the seat is compared with instead:
a bare ``QMainWindow`` with one ``QWebEngineView`` on a local Leaflet page.

Runs on the GUI (main) thread. Exit code 0 with the marks printed, else 1 with
an ``error`` key.
"""

import time

T_MAIN = time.monotonic()

import json  # noqa: E402 - after the first mark on purpose
import sys  # noqa: E402
from typing import Any  # noqa: E402

GIVE_UP_S = 30.0


def main() -> int:
    params = json.loads(sys.stdin.readline())
    marks: dict[str, Any] = {"main": T_MAIN}
    if params["mode"] == "bare":
        return bare(marks)
    from app import secrets
    from app.__main__ import StartupFailed, build_parser, seat_session

    marks["imported"] = time.monotonic()
    if params["mode"] == "simulate":
        argv = ["--simulate", "--language", "zh_CN", "--log-level", "WARNING"]
    else:
        secrets.use_memory_backend()
        secrets.set_token(params["seat_id"], params["token"])
        argv = ["--server-url", params["url"], "--seat-id", params["seat_id"], "--journal", params["journal"],
                "--language", "zh_CN", "--log-level", "WARNING"]
    args = build_parser().parse_args(argv)
    try:
        with seat_session(args) as runtime:
            marks["shown"] = time.monotonic()
            _watch(runtime, marks)
            runtime.qapp.exec()
            marks["units_seen"] = len(runtime.store.state.units)
            marks["link"] = str(runtime.store.connection.link)
    except StartupFailed as exc:
        marks["error"] = f"the seat did not start (exit code {exc.code}); see its log"
    marks["exited"] = time.monotonic()
    print(json.dumps(marks), flush=True)
    return 1 if "error" in marks or "first_paint" not in marks else 0


def _watch_paint(window: Any, marks: dict[str, Any], on_mark: Any) -> None:
    """Mark ``first_paint_begin`` when the window's native window (its ``QWindow``) is first exposed
    or painted — Qt paints the whole widget tree in that pass; a bare window covered by its central
    widget gets no paint event of its own — and ``first_paint`` once that pass has returned to the
    event loop (the frame is complete); then call ``on_mark()``. Call it before or after ``show()``,
    before the event loop runs."""
    from PySide6.QtCore import QEvent, QTimer

    def done() -> None:
        if "first_paint" not in marks:
            marks["first_paint"] = time.monotonic()
            # CPU seconds of this process (every thread) from its start: less moved than the wall
            # time by other work on a shared machine.
            marks["first_paint_cpu_s"] = time.process_time()
        on_mark()

    def on_native_event(_obj: Any, kind: Any) -> None:
        if kind in (QEvent.Type.Expose, QEvent.Type.Paint) and "first_paint_begin" not in marks:
            marks["first_paint_begin"] = time.monotonic()
            QTimer.singleShot(0, done)

    native_watch = _event_watch(window, on_native_event)

    def hook() -> bool:
        handle = window.windowHandle()
        if handle is None:
            return False
        handle.installEventFilter(native_watch)
        return True

    if not hook():  # not shown yet: the native window exists from the widget's Show event on
        def on_widget_event(_obj: Any, kind: Any) -> None:
            if kind == QEvent.Type.Show and hook():
                window.removeEventFilter(widget_watch)

        widget_watch = _event_watch(window, on_widget_event)
        window.installEventFilter(widget_watch)


def _event_watch(parent: Any, on_event: Any) -> Any:
    """A QObject (child of ``parent``) to install as an event filter: calls ``on_event(object, event
    type)`` for every event and lets it through. Qt is imported here, not at the top: the marks before
    ``imported`` must not include Qt."""
    from PySide6.QtCore import QEvent, QObject

    class EventWatch(QObject):
        def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
            on_event(obj, event.type())
            return False

    return EventWatch(parent)


def _watch(runtime: Any, marks: dict[str, Any]) -> None:
    """Record the first paint, the first repaint after ONLINE and the map page's ready; quit the
    loop when all three are seen."""
    from PySide6.QtCore import QEvent, QTimer

    from app.seat.store import Link

    window, qapp = runtime.window, runtime.qapp

    def finish_if_done() -> None:
        if all(name in marks for name in ("first_paint", "online_painted", "map_ready")):
            QTimer.singleShot(0, qapp.quit)

    def mark(name: str) -> None:
        marks.setdefault(name, time.monotonic())
        finish_if_done()

    _watch_paint(window, marks, finish_if_done)

    def on_online_repaint(_obj: Any, kind: Any) -> None:
        if kind in (QEvent.Type.Paint, QEvent.Type.UpdateRequest) and "online" in marks:
            if "online_repaint_begin" not in marks:
                marks["online_repaint_begin"] = time.monotonic()
                QTimer.singleShot(0, lambda: mark("online_painted"))

    watch = _event_watch(window, on_online_repaint)
    window.installEventFilter(watch)
    # The map is built after the window's first paint (MainWindow defer_panels).
    window.on_panel("map", lambda dock: dock.view.ready.connect(lambda: mark("map_ready")))

    def on_connection(status: Any) -> None:
        if status.link == Link.ONLINE and "online" not in marks:
            marks["online"] = time.monotonic()

    runtime.store.events.connection_changed.connect(on_connection)
    if runtime.store.connection.link == Link.ONLINE:
        on_connection(runtime.store.connection)

    def give_up() -> None:
        marks.setdefault("timeout", True)
        qapp.quit()

    QTimer.singleShot(int(GIVE_UP_S * 1000), give_up)


BARE_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8">
<link rel="stylesheet" href="__LEAFLET__/leaflet.css"/>
<script src="__LEAFLET__/leaflet.js"></script>
<style>html,body,#map{margin:0;height:100%}</style>
</head><body><div id="map"></div><script>
L.map("map").setView([__LAT__, __LON__], __ZOOM__);
requestAnimationFrame(function () { requestAnimationFrame(function () { document.title = "ready"; }); });
</script></body></html>
"""


def bare(marks: dict[str, Any]) -> int:
    """The floor the seat is compared with: a bare QMainWindow holding one QWebEngineView.

    The view loads a local page with the seat's vendored Leaflet (``resources/vendor/leaflet``,
    read from ``file://``) centred where the seat's map starts; the window opens maximised,
    as the seat's does, and its first paint is timed exactly as the seat's (:func:`_watch_paint`).
    ``map_ready``: the page has drawn two animation frames after Leaflet set up the map (the
    seat's map says ready at its first frame). No server, no settings, no translations.
    """
    import os
    import tempfile
    from pathlib import Path

    from PySide6.QtCore import QTimer, QUrl
    from PySide6.QtWebEngineWidgets import QWebEngineView  # before the QApplication (DESIGN §3)
    from PySide6.QtWidgets import QApplication, QMainWindow

    marks["imported"] = time.monotonic()
    from app.resources import resource_path

    leaflet = resource_path("vendor", "leaflet").as_uri()
    page = Path(tempfile.mkdtemp(prefix="dispatch120-bench-bare-")) / "bare.html"
    page.write_text(BARE_PAGE.replace("__LEAFLET__", leaflet).replace("__LAT__", "29.563").replace(
        "__LON__", "106.551").replace("__ZOOM__", "13"), encoding="utf-8")
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--no-sandbox" not in os.environ.get(
            "QTWEBENGINE_CHROMIUM_FLAGS", ""):  # as the seat does (widgets.seat_app): Chromium refuses root
        os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = (os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
                                                    + " --no-sandbox").strip()
    qapp = QApplication(sys.argv[:1])
    window = QMainWindow()
    view = QWebEngineView(window)
    window.setCentralWidget(view)

    def on_title(title: str) -> None:
        if title == "ready":
            marks.setdefault("map_ready", time.monotonic())
            finish_if_done()

    def finish_if_done() -> None:
        if "first_paint" in marks and "map_ready" in marks:
            QTimer.singleShot(0, qapp.quit)

    view.titleChanged.connect(on_title)
    view.load(QUrl.fromLocalFile(str(page)))
    _watch_paint(window, marks, finish_if_done)
    window.showMaximized()
    marks["shown"] = time.monotonic()
    QTimer.singleShot(int(GIVE_UP_S * 1000), lambda: (marks.setdefault("timeout", True), qapp.quit()))
    qapp.exec()
    marks["exited"] = time.monotonic()
    del view, window
    page.unlink(missing_ok=True)
    page.parent.rmdir()
    print(json.dumps(marks), flush=True)
    return 0 if "first_paint" in marks and "timeout" not in marks else 1


if __name__ == "__main__":
    sys.exit(main())
