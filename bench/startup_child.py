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
``first_paint_begin`` (the main window receives its first paint event),
``first_paint`` (that paint pass has returned to the event loop), ``online``
(the store heard ONLINE from the sync thread: hello, snapshot, synced done),
``online_painted`` (the first repaint of the window after that), ``exited``.

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


def _watch(runtime: Any, marks: dict[str, Any]) -> None:
    """Record the first paint and the first repaint after ONLINE; quit the loop when both are seen."""
    from PySide6.QtCore import QEvent, QObject, QTimer

    from app.seat.store import Link

    window, qapp = runtime.window, runtime.qapp

    def finish_if_done() -> None:
        if "first_paint" in marks and "online_painted" in marks:
            QTimer.singleShot(0, qapp.quit)

    def mark(name: str) -> None:
        marks.setdefault(name, time.monotonic())
        finish_if_done()

    class PaintWatch(QObject):
        def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
            kind = event.type()
            if kind == QEvent.Type.Paint and "first_paint_begin" not in marks:
                marks["first_paint_begin"] = time.monotonic()
                QTimer.singleShot(0, lambda: mark("first_paint"))
            elif kind in (QEvent.Type.Paint, QEvent.Type.UpdateRequest) and "online" in marks:
                if "online_repaint_begin" not in marks:
                    marks["online_repaint_begin"] = time.monotonic()
                    QTimer.singleShot(0, lambda: mark("online_painted"))
            return False

    watch = PaintWatch(window)
    window.installEventFilter(watch)

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


if __name__ == "__main__":
    sys.exit(main())
