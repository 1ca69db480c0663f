"""Load and switch the seat's language at run time (Qt Linguist ``.qm`` files).

The source strings in the code are English; Chinese (``zh_CN``) is the default
language of the seat. Installing or removing a ``QTranslator`` makes Qt send a
``LanguageChange`` event to every widget, whose ``changeEvent`` calls its
``retranslate_ui()``: switching needs no restart.

Where the catalogue comes from, in order:

1. ``resources/i18n/dispatch120_<lang>.qm`` (built by ``i18n/build.py``), if it is
   not older than its source ``i18n/dispatch120_<lang>.ts``;
2. otherwise the ``.ts`` is compiled on the fly with ``pyside6-lrelease`` (the one
   beside this interpreter, else on PATH) into ``resources/i18n/`` or, when that is
   not writable, a temporary directory;
3. otherwise a warning is logged and the seat shows English.

Qt's own strings (standard dialog buttons) come from Qt's ``qtbase_<lang>.qm``.
GUI thread only.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QLibraryInfo, QLocale, QObject, QTranslator, Signal

from app.resources import resource_path

log = logging.getLogger(__name__)

# The .ts sources sit beside the package in a checkout only; an installed seat uses the shipped .qm.
TS_DIR = Path(__file__).resolve().parents[1] / "i18n"
QM_DIR = resource_path("i18n")
CATALOGUE = "dispatch120"

ENGLISH = "en"
CHINESE = "zh_CN"
LANGUAGES: tuple[str, ...] = (CHINESE, ENGLISH)
DEFAULT_LANGUAGE = CHINESE
# Shown in the language menu in their own language, so anyone can find their way back.
NATIVE_NAMES = {CHINESE: "中文（简体）", ENGLISH: "English"}


def _lrelease() -> str | None:
    beside = Path(sys.executable).parent / "pyside6-lrelease"
    if beside.exists():
        return str(beside)
    return shutil.which("pyside6-lrelease")


def find_catalogue(language: str, *, qm_dir: Path = QM_DIR, ts_dir: Path = TS_DIR) -> Path | None:
    """The ``.qm`` file for ``language``, compiling it first if needed; None if unavailable.

    Never raises: a failed compilation is logged and the existing (older) ``.qm`` is
    used if there is one.
    """
    qm = qm_dir / f"{CATALOGUE}_{language}.qm"
    ts = ts_dir / f"{CATALOGUE}_{language}.ts"
    stale = ts.exists() and (not qm.exists() or qm.stat().st_mtime < ts.stat().st_mtime)
    if not stale:
        return qm if qm.exists() else None
    tool = _lrelease()
    if tool is None:
        log.warning("%s is missing or stale and pyside6-lrelease is not installed", qm)
        return qm if qm.exists() else None
    for target_dir in (qm_dir, Path(tempfile.gettempdir()) / "dispatch120-i18n"):
        target = target_dir / qm.name
        try:
            target_dir.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                [tool, "-silent", str(ts), "-qm", str(target)], check=True, capture_output=True, timeout=60
            )
        except (OSError, subprocess.SubprocessError) as exc:
            log.warning("could not compile %s into %s: %s", ts.name, target_dir, exc)
            continue
        log.info("compiled %s -> %s", ts.name, target)
        return target
    return qm if qm.exists() else None


class LanguageSwitcher(QObject):
    """Owns the application's translators; :meth:`set_language` switches them.

    Signals:
        language_changed(str): after a switch, with the language now in effect.
    """

    language_changed = Signal(str)

    def __init__(self, *, qm_dir: Path = QM_DIR, ts_dir: Path = TS_DIR, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._qm_dir = qm_dir
        self._ts_dir = ts_dir
        self._installed: list[QTranslator] = []
        self._language = ENGLISH

    @property
    def language(self) -> str:
        """The language in effect (``en`` when a catalogue could not be loaded)."""
        return self._language

    def set_language(self, language: str) -> bool:
        """Switch every widget to ``language`` (``zh_CN`` or ``en``).

        Returns:
            True if the language is now in effect; False if its catalogue could not
            be loaded (then English is shown and a warning is logged).
        """
        if language not in LANGUAGES:
            log.warning("unknown language %r; showing English", language)
            language = ENGLISH
        app = QCoreApplication.instance()
        if app is None:
            raise RuntimeError("create the QApplication before switching language")
        for translator in self._installed:
            app.removeTranslator(translator)
        self._installed.clear()
        ok = True
        if language != ENGLISH:
            ok = self._install_catalogue(app, language)
            if ok:
                self._install_qt_catalogue(app, language)
        # Installing a translator only posts LanguageChange; deliver it now, so every widget
        # has retranslated when this returns (and language_changed listeners see the new texts).
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LanguageChange)
        effective = language if ok else ENGLISH
        QLocale.setDefault(QLocale(effective if effective != ENGLISH else "en_US"))
        changed = effective != self._language
        self._language = effective
        if changed or not ok:
            self.language_changed.emit(effective)
        return ok

    def toggle(self) -> bool:
        """Chinese <-> English."""
        return self.set_language(ENGLISH if self._language != ENGLISH else CHINESE)

    def _install_catalogue(self, app: QCoreApplication, language: str) -> bool:
        path = find_catalogue(language, qm_dir=self._qm_dir, ts_dir=self._ts_dir)
        if path is None:
            log.warning(
                "no translation for %s (looked for %s); showing English. Build it with `make i18n`.",
                language,
                self._qm_dir / f"{CATALOGUE}_{language}.qm",
            )
            return False
        translator = QTranslator(self)
        if not translator.load(str(path)):
            log.warning("could not load %s; showing English", path)
            return False
        app.installTranslator(translator)
        self._installed.append(translator)
        return True

    def _install_qt_catalogue(self, app: QCoreApplication, language: str) -> None:
        qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        translator = QTranslator(self)
        if translator.load(f"qtbase_{language}", qt_dir):
            app.installTranslator(translator)
            self._installed.append(translator)
        else:
            log.info("Qt's own %s catalogue not found in %s; standard buttons stay English", language, qt_dir)
