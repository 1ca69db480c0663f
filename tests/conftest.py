"""Test-session set-up shared by every test folder.

The whole run gets its own XDG directories, so no test reads the developer's
settings or writes journals, logs or training databases into their home
(platformdirs follows XDG on Linux; child processes inherit the variables).
"""

from __future__ import annotations

import atexit
import gc
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

_ROOT = Path(tempfile.mkdtemp(prefix="dispatch120-tests-"))
atexit.register(shutil.rmtree, _ROOT, ignore_errors=True)
for _name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
    _dir = _ROOT / _name.lower()
    _dir.mkdir()
    os.environ[_name] = str(_dir)
# Temporary files of the tests and their children (e.g. a training runner
# killed with SIGKILL on purpose cannot clean up after itself) go here too.
_TMP = _ROOT / "tmp"
_TMP.mkdir()
os.environ["TMPDIR"] = str(_TMP)
tempfile.tempdir = None  # re-read TMPDIR
# Machine-wide settings must not leak in from the machine running the tests.
os.environ.setdefault("DISPATCH120_MACHINE_CONFIG", str(_ROOT / "no-machine-config.toml"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Child processes (servers, simulators, the training centre) print every thread's
# stack on a crash too, like the test process itself (pytest's faulthandler plugin).
os.environ.setdefault("PYTHONFAULTHANDLER", "1")


def _qt_application():
    """The QApplication if a test has created one, without importing Qt (tests/unit import no Qt)."""
    widgets = sys.modules.get("PySide6.QtWidgets")
    return widgets.QApplication.instance() if widgets is not None else None


def _settle_qt(app) -> None:
    """Run what Qt has pending, delete what was ``deleteLater``'d, and collect Python's cyclic garbage.

    The collection runs here, on the GUI thread, at a known point: a Qt object whose last
    reference sits in a cycle would otherwise be destroyed whenever the collector next
    runs — possibly in another thread, possibly while QtWebEngine's threads still work.
    """
    from PySide6.QtCore import QCoreApplication, QEvent

    for _ in range(3):  # a deletion may free objects that post deletions of their own
        app.processEvents()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        if not gc.collect():  # nothing was garbage: nothing new can be pending (a full collection
            break             # costs ~0.07 s with the suite's heap; up to six ran per Qt test)
    app.processEvents()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


# Qt and PySide make these for themselves the first time they are needed (the first
# gesture-enabled widget, the first input event, an application style sheet, a signal
# connected to a sender's slot) and keep them for the application's life.
_QT_OWN_CHILDREN = frozenset({"QGestureManager", "QPointingDevice", "QInputDevice", "QStyleSheetStyle",
                              "PySide::SenderSignalDeletionTracker"})


def _describe(obj) -> str:
    name = obj.objectName()
    title = obj.windowTitle() if hasattr(obj, "windowTitle") else ""
    return f"{obj.metaObject().className()}" + (f" {name!r}" if name else "") + (
        f" titled {title!r}" if title else "")


# Every settle collects garbage, up to four times per Qt test, and a full collection walks every
# object alive: 0.05-0.3 s each with a seat window's modules loaded, half of a GUI test's time
# (measured over tests/gui). So before each Qt test, once its settle has collected, what is alive
# is frozen (``gc.freeze``: collections skip it) and the collections at its end walk only what
# the test made. What a test module's long-lived objects (its fixtures, caches) leave behind is
# collected at the next module's first Qt test (``gc.unfreeze`` first: the whole heap once per
# module), still on the GUI thread at a known point, and at the end of the session.
_frozen_in: list[object] = [None]  # the test module whose Qt tests run with the heap frozen


def _settle_qt_before(app, module: object) -> None:
    """Settle before a Qt test, then freeze what is alive; in a new test module, unfreeze first."""
    if module != _frozen_in[0]:
        gc.unfreeze()
    _settle_qt(app)
    gc.freeze()
    _frozen_in[0] = module


@pytest.fixture(autouse=True)
def qt_objects_die_with_their_test(request):
    """Fails a test that leaves top-level widgets or objects parented to the QApplication behind.

    Every window a test opens goes to ``qtbot.addWidget`` (closed and deleted at teardown);
    anything parented to the application must be deleted by whoever made it. Left behind,
    such objects pile up over a session and are destroyed at exit or by the garbage
    collector in no particular order (a QtWebEngine page after its profile crashes).
    """
    if not _uses_qt(request):
        yield  # a test without Qt (qtbot and qapp bring it; so does the ``gui`` mark)
        return
    app = _qt_application()
    import shiboken6

    if app is not None:
        _settle_qt_before(app, request.node.path)
    before_windows = {shiboken6.getCppPointer(w)[0] for w in app.topLevelWidgets()} if app else set()
    before_children = {shiboken6.getCppPointer(o)[0] for o in app.children()} if app else set()
    yield
    app = _qt_application()
    if app is None:
        return
    _settle_qt(app)
    # A window with a parent (a dialog, a menu, a combo box's list) dies with its parent.
    windows = [w for w in app.topLevelWidgets() if w.parentWidget() is None
               and shiboken6.getCppPointer(w)[0] not in before_windows]
    children = [o for o in app.children() if shiboken6.getCppPointer(o)[0] not in before_children
                and o.metaObject().className() not in _QT_OWN_CHILDREN]
    if windows or children:
        lines = [f"  top-level widget {_describe(w)}" for w in windows]
        lines += [f"  child of the QApplication {_describe(o)}" for o in children]
        for leftover in windows:  # the next test starts clean (deleted, not closed: closing may ask)
            leftover.deleteLater()
        _settle_qt(app)
        pytest.fail("Qt objects outlived the test (give windows to qtbot.addWidget, delete what you "
                    "parent to the application):\n" + "\n".join(lines), pytrace=False)


def _uses_qt(request) -> bool:
    return "qapp" in request.fixturenames or request.node.get_closest_marker("gui") is not None


@pytest.fixture(autouse=True)
def startup_problems_open_no_modal_dialog(request, monkeypatch):
    """A seat that cannot start fails its test at once instead of waiting on a dialog nobody closes.

    ``show_startup_problem`` runs a modal ``QMessageBox``; in a test its event loop never ends, and
    neither pytest-timeout (a Python signal handler never runs inside Qt's loop) nor anything else
    stops it. The composition root logs the same reason and raises ``StartupFailed``.
    """
    if _uses_qt(request):
        monkeypatch.setattr("widgets.seat_app.show_startup_problem", lambda problem, **details: None)
    yield


@pytest.fixture(autouse=True)
def root_logging_is_put_back():
    """Handlers a test's composition root added to the root logger go with the test.

    ``app.logs.setup_logging`` (called by ``seat_session``, the CLIs) adds a file handler in the
    test's temporary directory and a stderr handler; left installed, every later test would log
    into a finished test's files.
    """
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in [h for h in root.handlers if h not in handlers and getattr(h, "_dispatch120", False)]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)


def pytest_sessionfinish(session, exitstatus):
    """Delete what is still pending on the GUI thread before the interpreter tears Qt down.

    At exit Python destroys what remains in no particular order, the QApplication among it;
    a QtWebEngine page still alive then would outlive its profile.
    """
    gc.unfreeze()  # what the last module kept alive is collected now, on the GUI thread
    app = _qt_application()
    if app is not None:
        _settle_qt(app)
