"""Take docs/screenshot-triage.png (questionnaire mid-call) and docs/screenshot-cpr.png (CPR coach).

Run under a display: ``xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python tools/screenshot_triage.py
[--protocols DIR] [--language zh_CN|en] [--size 1600x900]``.

Drives the real seat window (``bench.triage_gui.build_seat``: the real domain in-process
instead of a server process) with key events like a dispatcher: F2 answers a ringing
call, Ctrl+T goes to the questionnaire, number keys answer. Shot 1 is taken in the middle
of a chest-pain call; shot 2 after an unconscious, not-breathing call reached the CPR
coach and compressions started (Space).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from bench.triage_gui import build_seat  # noqa: E402
from widgets.style import apply_style  # noqa: E402


def settle(app: QApplication, ms: int = 400) -> None:
    QTest.qWait(ms)
    app.processEvents()


def press(app: QApplication, window, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    QTest.keyClick(QApplication.focusWidget() or window, key, modifier)
    app.processEvents()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protocols", type=Path, default=None)
    parser.add_argument("--language", default="zh_CN", choices=["zh_CN", "en"])
    parser.add_argument("--size", default="1600x900")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "docs")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.split("x"))
    os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    apply_style(app)
    window, store, loop = build_seat(args.protocols, language=args.language, size=(width, height))
    window.activateWindow()
    QTest.qWaitForWindowActive(window, 5000)
    settle(app)

    # Shot 1: a chest-pain call, a few answers in.
    loop.ring("c-1", "13800138000", "渝中区民族路166号")
    settle(app, 100)
    window.call_panel.answer_action.trigger()
    loop.advance(20)
    form = window.form
    form.address.setText("重庆市渝中区民族路166号 3栋2单元")
    form.description.setPlainText("男性，约60岁，突发胸痛伴大汗")
    press(app, window, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    # The callback number comes from the switch (not asked): address, something else, adult, ...
    for key in (Qt.Key.Key_1, Qt.Key.Key_1, Qt.Key.Key_3, Qt.Key.Key_1, Qt.Key.Key_1,
                Qt.Key.Key_1, Qt.Key.Key_2):
        press(app, window, key)
        loop.advance(6)
    settle(app, 800)
    window.grab().save(str(args.out_dir / "screenshot-triage.png"))

    # Shot 2: unconscious, not breathing -> CPR coach, compressions running.
    loop.send_command("call.ended", {"call_id": "c-1"})
    loop.ring("c-2", "13698765432", "较场口地铁站2号出口")
    settle(app, 100)
    window.call_panel.answer_action.trigger()
    loop.advance(12)
    form.address.setText("渝中区较场口地铁站2号出口")
    press(app, window, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    for key in (Qt.Key.Key_1, Qt.Key.Key_2, Qt.Key.Key_2, Qt.Key.Key_2):  # callback from the switch
        press(app, window, key)
        loop.advance(5)
    loop.advance(14)
    press(app, window, Qt.Key.Key_Space)
    window.board.assign_action.trigger()
    settle(app, 3200)
    window.grab().save(str(args.out_dir / "screenshot-cpr.png"))
    window.triage.coach.stop_compressions(None)
    window.close()
    print(f"wrote {args.out_dir / 'screenshot-triage.png'} and {args.out_dir / 'screenshot-cpr.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
