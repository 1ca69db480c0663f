"""The seat at one display scaling, in its own process: is any text clipped, is any font too small?

Qt fixes the screens' device pixel ratio when the QApplication starts, so a test that checks
125 %, 150 % or 200 % scaling runs this script with
``QT_QPA_PLATFORM=offscreen:configfile=screens.json`` (one screen whose ``dpr`` is the scale,
as Windows or GNOME set it). The seat is the real ``MainWindow`` on the bench's in-process
server (:func:`bench.triage_gui.build_seat`), styled as at the desk, laid out at the screen's
size. For each language given it answers a call (the questionnaire's first question), then
plays a cardiac arrest until the CPR coach has the floor, and at both moments checks every
visible label and button of the key panels (calls, incident form, triage/CPR coach, unit
board, status banner): its size hint must fit its geometry (a word-wrapped label: its height
for its width), and no widget's font may be under the seat's floor
(``widgets.style.MIN_POINT_SIZE``). Prints one JSON line::

    {"scale": 1.5, "screen": [w, h], "dpr": 1.5, "checked": n, "clipped": [...], "small_fonts": [...]}

``--screenshot FILE`` grabs the window (in device pixels) at the first question of the first
language. Run: ``python -m tests.gui.dpi_seat --lang zh_CN --lang en [--screenshot FILE]``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QWidget  # noqa: E402

KEY_PANELS = ("calls", "form", "triage", "units")
TOLERANCE_PX = 1  # rounding of fractional scale factors


def _describe(widget: QWidget) -> str:
    text = widget.text() if isinstance(widget, QLabel | QAbstractButton) else ""
    return f"{type(widget).__name__}#{widget.objectName() or '?'} {text[:40]!r}"


def clipped_texts(window) -> tuple[int, list[str]]:
    """Visible labels and buttons of the key panels whose text does not fit their geometry."""
    roots: list[QWidget] = [window.banner] + [window.docks[k] for k in KEY_PANELS if k in window.docks]
    checked, clipped = 0, []
    for root in roots:
        if not root.isVisible():
            continue
        for widget in root.findChildren(QWidget):
            if not widget.isVisible() or not isinstance(widget, QLabel | QAbstractButton):
                continue
            if not widget.text().strip() or widget.width() <= 0:
                continue
            checked += 1
            hint = widget.sizeHint()
            if isinstance(widget, QLabel) and widget.wordWrap():
                need_w, need_h = widget.minimumSizeHint().width(), widget.heightForWidth(widget.width())
            else:
                need_w, need_h = hint.width(), hint.height()
            if need_w > widget.width() + TOLERANCE_PX or need_h > widget.height() + TOLERANCE_PX:
                clipped.append(f"{_describe(widget)} needs {need_w}x{need_h}, has {widget.width()}x{widget.height()}")
    return checked, clipped


def small_fonts(window) -> list[str]:
    from widgets.style import font_below_floor

    out = []
    for widget in (window, *window.findChildren(QWidget)):
        if widget.isVisible() and font_below_floor(widget.font(), widget):
            font = widget.font()
            size = f"{font.pixelSize()}px" if font.pixelSize() > 0 else f"{font.pointSizeF():g}pt"
            out.append(f"{_describe(widget)} {size}")
    return out


def settle(app: QApplication) -> None:
    for _ in range(3):
        app.processEvents()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lang", action="append", default=[])
    parser.add_argument("--screenshot")
    args = parser.parse_args(argv)

    from app.triage import DEFAULT_PROTOCOL_DIR
    from bench.triage_gui import build_seat
    from widgets.i18n_runtime import LanguageSwitcher
    from widgets.style import apply_style

    app = QApplication.instance() or QApplication([])
    apply_style(app)
    screen = app.primaryScreen()
    area = screen.availableGeometry()
    first = (args.lang or ["zh_CN"])[0]
    window, _store, loop = build_seat(DEFAULT_PROTOCOL_DIR, first, size=(area.width(), area.height()))
    languages = window.languages or LanguageSwitcher()
    report = {"scale": screen.devicePixelRatio(), "screen": [area.width(), area.height()],
              "dpr": window.devicePixelRatioF(), "checked": 0, "clipped": [], "small_fonts": []}
    for n, language in enumerate(args.lang or ["zh_CN"]):
        if not languages.set_language(language):
            print(f"language {language} not available", file=sys.stderr)
            return 2
        settle(app)
        # A new number each time: a repeat call's banner is another screen (tested with the banner).
        loop.ring(f"c-{n}", f"1380013800{n}", "渝中区较场口 解放碑步行街 8号")
        settle(app)
        QTest.keyClick(window, Qt.Key.Key_F2)
        settle(app)
        for moment in ("question", "coach"):
            if moment == "coach":
                for key in (Qt.Key.Key_1, Qt.Key.Key_1, Qt.Key.Key_2, Qt.Key.Key_2, Qt.Key.Key_2):
                    QTest.keyClick(app.focusWidget() or window, key)
                    settle(app)
            checked, clipped = clipped_texts(window)
            report["checked"] += checked
            report["clipped"] += [f"{language} {moment}: {c}" for c in clipped]
            report["small_fonts"] += [f"{language} {moment}: {c}" for c in small_fonts(window)]
            if moment == "question" and n == 0 and args.screenshot:
                window.grab().save(args.screenshot)
        # Leave the coach and hang up, so the next language starts from a quiet seat.
        QTest.keyClick(app.focusWidget() or window, Qt.Key.Key_S)  # EMS arrived: compressions stop
        window.triage.coach.leave_requested.emit()
        loop.send_command("call.ended", {"call_id": f"c-{n}"})
        settle(app)
    print(json.dumps(report, ensure_ascii=False))
    window.close()
    languages.set_language("en")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
