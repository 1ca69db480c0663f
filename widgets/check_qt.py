"""The seat checks that need Qt (``dispatch120 --check``; see :mod:`app.check` for the rest).

* ``fonts`` — a font family that can draw Simplified Chinese, as Qt's font database sees it
  (on Linux that is fontconfig's list; on Windows the system's fonts).
* ``webengine`` — an off-the-record profile and a page load a small document; the page is
  deleted before its profile (Qt warns, and may crash at exit, otherwise).
* ``map`` — the seat's real map page (:class:`maps.view.MapView`, built from the seat's
  settings like the main window does) loads and reports ready; every request is recorded,
  and requests that would leave the machine (other than the configured tile server) are named.
* ``audio`` — an audio output exists for the CPR metronome's click; without one the
  visible beat still works, so it is a WARN.

GUI thread; needs the QApplication (``widgets.seat_app.create_application``: it registers the
map's ``d120://`` scheme before the application exists). Each wait is bounded
(:data:`WEBENGINE_TIMEOUT_MS`, :data:`MAP_TIMEOUT_MS`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from PySide6.QtCore import QEventLoop, Qt, QTimer, SignalInstance
from PySide6.QtGui import QFontDatabase

from app.check import CheckResult, Status

log = logging.getLogger(__name__)

WEBENGINE_TIMEOUT_MS = 8000
MAP_TIMEOUT_MS = 12000
LOCAL_SCHEMES = frozenset({"d120", "data", "about", "qrc", "blob", "file"})


def wait_for(ok: Sequence[SignalInstance], failed: Sequence[SignalInstance], timeout_ms: int) -> bool | None:
    """Run a local event loop until a signal of ``ok`` (True) or ``failed`` (False), or the timeout (None).

    A signal carrying a bool (``loadFinished(ok)``) counts as that bool.
    """
    loop = QEventLoop()
    outcome: list[bool] = []

    def finish(value: bool) -> Callable[..., None]:
        def slot(*args: Any) -> None:
            if not outcome:
                outcome.append(value and not (args and args[0] is False))
                loop.quit()
        return slot

    connections = [(signal, finish(True)) for signal in ok] + [(signal, finish(False)) for signal in failed]
    for signal, slot in connections:
        signal.connect(slot)
    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(loop.quit)
    timer.start(timeout_ms)
    if not outcome:
        loop.exec()
    timer.stop()
    for signal, slot in connections:
        try:
            signal.disconnect(slot)
        except (RuntimeError, TypeError):  # the sender is already gone
            pass
    return outcome[0] if outcome else None


def check_fonts(families: Callable[[], list[str]] | None = None) -> CheckResult:
    """PASS when Qt has a family that writes Simplified Chinese. ``families``: the machine edge (tests)."""
    if families is None:
        def families() -> list[str]:
            return list(QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese))
    found = families()
    if not found:
        return CheckResult("fonts", Status.FAIL, "fonts.missing")
    return CheckResult("fonts", Status.PASS, "fonts.ok", {"families": ", ".join(found[:3])})


def check_webengine(timeout_ms: int = WEBENGINE_TIMEOUT_MS) -> CheckResult:
    from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineProfile, qWebEngineChromiumVersion

    from widgets.seat_app import dispose

    profile = QWebEngineProfile()  # off the record: nothing written to disk
    page = QWebEnginePage(profile)
    try:
        page.setHtml("<!doctype html><html><body><p>dispatch120 check</p></body></html>")
        loaded = wait_for([page.loadFinished], [], timeout_ms)
    finally:
        dispose(page)  # the page dies before its profile
        dispose(profile)
    if loaded is None:
        return CheckResult("webengine", Status.FAIL, "webengine.failed",
                           {"error": f"no page loaded within {timeout_ms / 1000:g} s"})
    if not loaded:
        return CheckResult("webengine", Status.FAIL, "webengine.failed", {"error": "a page did not load"})
    return CheckResult("webengine", Status.PASS, "webengine.ok", {"version": qWebEngineChromiumVersion()})


def check_map(settings: Any, timeout_ms: int = MAP_TIMEOUT_MS) -> CheckResult:
    """The seat's map page, built from ``settings`` as the main window builds it, loads offline."""
    from PySide6.QtWebEngineCore import QWebEngineUrlRequestInterceptor

    from maps.sources import MapConfigError, make_config, map_config_from_settings
    from maps.view import MapView
    from widgets.seat_app import dispose

    class Recorder(QWebEngineUrlRequestInterceptor):
        def __init__(self, parent: Any) -> None:
            super().__init__(parent)
            self.urls: list[str] = []

        def interceptRequest(self, info: Any) -> None:  # noqa: N802 (Qt override)
            self.urls.append(info.requestUrl().toString())

    settings_problem = None
    try:
        config = map_config_from_settings(settings) if settings is not None else make_config()
    except MapConfigError as exc:
        settings_problem = str(exc)
        config = make_config(city=getattr(settings, "map_city", None))
    view = MapView(config)
    try:
        recorder = Recorder(view.profile)  # dies with the profile that calls it
        view.profile.setUrlRequestInterceptor(recorder)
        # Painted but never mapped on a real display: the check must not flash a window.
        view.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        view.resize(640, 480)
        view.show()
        view.start()
        ready = wait_for([view.ready], [view.load_failed], timeout_ms)
        urls = list(recorder.urls)
    finally:
        dispose(view)  # view → page → profile → scheme handler, in that order
    city = config.basemap.city if config.basemap else "—"
    if ready is None:
        return CheckResult("map", Status.FAIL, "map.failed",
                            {"error": f"not ready within {timeout_ms / 1000:g} s"})
    if not ready:
        return CheckResult("map", Status.FAIL, "map.failed", {"error": "the page failed to load"})
    tile_host = urlsplit(getattr(settings, "map_tile_url", None) or "").hostname
    remote = sorted({u for u in urls if urlsplit(u).scheme not in LOCAL_SCHEMES
                     and urlsplit(u).hostname != tile_host})
    if remote:
        return CheckResult("map", Status.WARN, "map.remote", {"urls": ", ".join(remote[:3])})
    if settings_problem:
        return CheckResult("map", Status.WARN, "map.settings", {"error": settings_problem})
    return CheckResult("map", Status.PASS, "map.ok", {"city": city})


def check_audio(outputs: Callable[[], list[Any]] | None = None) -> CheckResult:
    """PASS with the default output's name; WARN without one (the metronome's beat is also visible)."""
    if outputs is None:
        try:
            from PySide6.QtMultimedia import QMediaDevices
        except ImportError as exc:
            return CheckResult("audio", Status.WARN, "audio.missing", {"error": str(exc)})

        def outputs() -> list[Any]:
            return list(QMediaDevices.audioOutputs())
    found = outputs()
    if not found:
        return CheckResult("audio", Status.WARN, "audio.missing")
    first = found[0]
    name = first.description() if hasattr(first, "description") else str(first)
    return CheckResult("audio", Status.PASS, "audio.ok", {"device": name})


def run_qt_checks(settings: Any, names: set[str]) -> dict[str, CheckResult]:
    """The Qt checks named in ``names`` (a subset of ``app.check.QT_CHECKS``), each guarded."""
    from app.check import guarded

    results: dict[str, CheckResult] = {}
    if "fonts" in names:
        results["fonts"] = guarded("fonts", check_fonts)
    if "webengine" in names:
        results["webengine"] = guarded("webengine", check_webengine)
    if "map" in names:
        results["map"] = guarded("map", lambda: check_map(settings))
    if "audio" in names:
        results["audio"] = guarded("audio", check_audio)
    return results


def qt_versions() -> dict[str, str]:
    """Qt, PySide6 and QtWebEngine's Chromium versions (for the diagnostics bundle)."""
    import PySide6
    from PySide6.QtCore import qVersion

    found = {"qt": qVersion(), "pyside6": PySide6.__version__}
    try:
        from PySide6.QtWebEngineCore import qWebEngineChromiumVersion, qWebEngineVersion

        found["qtwebengine"] = qWebEngineVersion()
        found["chromium"] = qWebEngineChromiumVersion()
    except ImportError as exc:
        found["qtwebengine"] = f"unavailable ({exc})"
    return found
