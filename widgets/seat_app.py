"""Qt start-up pieces for the composition root (``app/__main__.py``), which may not import PySide6.

* :func:`create_application` — the QApplication, the seat's style, the language.
* :func:`show_startup_problem` — a clear, translated dialog for what stops the seat
  from starting (no seat id, no token in the keyring, no keyring, …); the caller
  logs the same text.
* :func:`install_signal_handlers` — Ctrl+C / SIGTERM end the event loop normally,
  so the composition root's ``finally`` blocks (stop the sync thread, stop the
  training processes) run.
* :func:`dispose` — delete Qt objects now, in the order given (the composition root's
  objects have no parent: it deletes each once nothing can call it any more);
  :func:`silence` — cut off one that must stay alive (a bridge whose thread would not stop).

GUI thread only.
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Callable, Sequence
from enum import StrEnum

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from widgets.i18n_runtime import LanguageSwitcher
from widgets.style import apply_style

log = logging.getLogger(__name__)


class StartupProblem(StrEnum):
    NO_SEAT_ID = "no_seat_id"
    NO_TOKEN = "no_token"
    KEYRING_UNAVAILABLE = "keyring_unavailable"
    JOURNAL_UNUSABLE = "journal_unusable"
    TRAINING_FAILED = "training_failed"
    BAD_SETTINGS = "bad_settings"


def create_application(argv: Sequence[str], language: str) -> tuple[QApplication, LanguageSwitcher]:
    """Create (or reuse) the QApplication with the seat's look, in ``language``.

    The language switcher has no parent: the caller owns it and deletes it with
    :func:`dispose` when done (nothing is left parented to the application, which may be reused).
    """
    # QtWebEngine and the map's d120:// scheme must be set up before the QApplication exists.
    from maps.scheme import register_scheme

    if QApplication.instance() is None:
        # QtWebEngine refuses to start as root without its sandbox switched off
        # (DESIGN §3); a seat started by IT as root must still show its map.
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
            if "--no-sandbox" not in flags:
                os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = f"{flags} --no-sandbox".strip()
                log.warning("running as root: QtWebEngine's sandbox is off (run the seat as a normal user)")
        register_scheme()
    app = QApplication.instance() or QApplication(list(argv))
    assert isinstance(app, QApplication)
    app.setApplicationName("dispatch120")
    app.setOrganizationName("dispatch120")
    app.setApplicationDisplayName("dispatch120")
    apply_style(app)
    languages = LanguageSwitcher()
    languages.set_language(language)
    return app, languages


def install_signal_handlers(app: QApplication) -> Callable[[], None]:
    """SIGINT/SIGTERM quit the event loop (then the caller cleans up).

    Python runs signal handlers only between bytecodes, and Qt's loop runs in C++;
    a 200 ms timer gives the interpreter a chance to run them.

    Returns:
        A function that puts the previous handlers back and stops the timer.
    """
    def quit_now(signum: int, _frame: object) -> None:
        log.info("signal %s: quitting", signal.Signals(signum).name)
        app.quit()

    previous = {sig: signal.signal(sig, quit_now) for sig in (signal.SIGINT, signal.SIGTERM)}
    timer = QTimer(app)
    timer.timeout.connect(lambda: None)
    timer.start(200)

    def restore() -> None:
        timer.stop()
        dispose(timer)
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore


def dispose(*objects: QObject | None) -> None:
    """Delete ``objects`` (and their children) now, in this order. GUI thread, outside any event loop.

    A window is deleted without being closed (closing may ask the dispatcher to confirm).
    Deleting explicitly — not whenever Python's garbage collector gets to the last
    reference, possibly from another thread — is what keeps QtWebEngine's pages dying
    before their profiles while Chromium's threads still run.
    """
    for obj in objects:
        if obj is not None:
            obj.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def silence(obj: QObject) -> None:
    """``obj`` emits nothing more, and what it had queued for the GUI thread is dropped. GUI thread.

    For a bridge whose thread would not stop: it stays alive (the thread may still call it),
    but nothing it was told reaches the store and the widgets being deleted.
    """
    obj.blockSignals(True)
    QCoreApplication.removePostedEvents(obj)


def problem_text(problem: StartupProblem, *, seat_id: str | None = None, detail: str = "") -> str:
    """The dispatcher's explanation of a start-up problem, in the current language."""
    if problem == StartupProblem.NO_SEAT_ID:
        text = QCoreApplication.translate(
            "SeatStartup",
            "No seat id is configured for this workstation. Start with --seat-id, or ask IT to set "
            "seat_id in dispatch120.toml.",
        )
    elif problem == StartupProblem.NO_TOKEN:
        text = QCoreApplication.translate(
            "SeatStartup",
            "No login token is stored for seat %1. IT stores it once with:\n\n"
            "    dispatch120 credentials set --seat-id %1\n\n"
            "(the token is read from standard input and kept in the system keyring).",
        ).replace("%1", seat_id or "<seat>")
    elif problem == StartupProblem.KEYRING_UNAVAILABLE:
        text = QCoreApplication.translate(
            "SeatStartup", "The system keyring, where the seat's login token is kept, cannot be used."
        )
    elif problem == StartupProblem.JOURNAL_UNUSABLE:
        text = QCoreApplication.translate(
            "SeatStartup", "The seat's local journal cannot be opened, so calls typed offline could not be kept."
        )
    elif problem == StartupProblem.TRAINING_FAILED:
        text = QCoreApplication.translate(
            "SeatStartup", "The training centre (simulated server, calls and ambulances) could not be started."
        )
    else:
        text = QCoreApplication.translate("SeatStartup", "The settings cannot be used.")
    return f"{text}\n\n{detail}" if detail else text


def show_startup_problem(problem: StartupProblem, *, seat_id: str | None = None, detail: str = "") -> None:
    """Show why the seat cannot start (modal: nothing else is on screen yet)."""
    box = QMessageBox()
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle(QCoreApplication.translate("SeatStartup", "dispatch120 cannot start"))
    box.setText(problem_text(problem, seat_id=seat_id, detail=detail))
    box.exec()
