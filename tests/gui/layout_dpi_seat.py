"""The one-screen seat in the middle of a call, at one display scaling, in its own process.

Qt fixes the screen's size and device pixel ratio when the QApplication starts, so a test of
the layout a dispatcher gets on a 1366x768 laptop at 150 % (a 911x512 desk in logical pixels)
runs this script with ``QT_QPA_PLATFORM=offscreen:configfile=screens.json`` and
``QT_SCALE_FACTOR``. The seat is the real ``MainWindow`` with the workspace's preset for the
screen (maximised, as at first start), fed by the in-process fake server of the GUI tests.

It measures the idle desk (``idle``), answers a call (F2), confirms the switch's address (1) and measures the desk at the
longest question ("what happened?", eleven answers: moment ``what_happened``); answers
"collapsed" (2) so the questionnaire asks whether the patient is awake — the middle of an
arrest call, before the arrest is recognised — and measures again (``question``); presses
Ctrl+2 (the form, to type the address: ``form``) and Enter (back to the question). With
``--result`` it goes back and triages a chest pain to its determinant (``result``). Prints
one JSON line per moment::

    {"moment": "question", "screen": [w, h], "dpr": 1.5, "docks": {name: [x, y, w, h]},
     "triage": {...}, "form": {...}, "calls": {...}, "banner": {...}, "clipped": [...], "small_fonts": [...]}

``--screenshot FILE`` grabs the window (device pixels) at the question mid-arrest,
``--screenshot-longest FILE`` at "what happened?". ``--training`` makes it a training seat
(the TRAINING marker in the banner, the "ask the caller" box in the call panel) and
``--queue N`` puts N calls in the centre's queue before the call: the fullest banner and
call panel a small desk has to hold.
Run: ``python -m tests.gui.layout_dpi_seat [--language zh_CN] [--map] [--screenshot FILE]``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")

from maps.scheme import register_scheme  # noqa: E402  (QtWebEngine before the QApplication)

register_scheme()

from PySide6.QtCore import QRect, Qt  # noqa: E402
from PySide6.QtGui import QRegion  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QLabel, QScrollArea, QToolButton, QWidget  # noqa: E402

from tests.gui.conftest import SEAT  # noqa: E402
from tests.gui.dpi_seat import clipped_texts, small_fonts  # noqa: E402
from tests.gui.workspace_seat import scripted_seat, settle, wait  # noqa: E402
from widgets.main_window import MainWindow  # noqa: E402
from widgets.seat_app import dispose  # noqa: E402


def window_rect(widget: QWidget, rect: QRect | None = None) -> QRect:
    """``rect`` (default: the whole widget) in the coordinates of the widget's window."""
    rect = widget.rect() if rect is None else rect
    return QRect(widget.mapTo(widget.window(), rect.topLeft()), rect.size())


def seen(widget: QWidget, rect: QRect | None = None) -> bool:
    """Every pixel of ``rect`` of ``widget`` is on screen: shown, in front (not under another tab)
    and inside each of its ancestors up to the window (not cut off by a dock or a scroll area)."""
    local = widget.rect() if rect is None else rect
    if not widget.isVisible() or not QRegion(local).subtracted(widget.visibleRegion()).isEmpty():
        return False  # hidden, under another tab, or partly covered by another dock
    target = window_rect(widget, rect)
    parent = widget.parentWidget()
    while parent is not None and not parent.isWindow():
        if not window_rect(parent).contains(target):
            return False
        parent = parent.parentWidget()
    return widget.window().rect().contains(target)


def measure_triage(window: MainWindow) -> dict:
    triage = window.triage
    dock = window.docks["triage"]
    scroll = window.findChild(QScrollArea, "TriageScroll")
    answers = triage.answers
    question = triage.question
    rows = [{"text": answers.item(row).text(), "seen": seen(answers.viewport(),
                                                             answers.visualItemRect(answers.item(row)))}
            for row in range(answers.count())]
    # What the question page needs from its top down to the last answer (the route so far and
    # the key hint under it may scroll).
    page = triage.pages.currentWidget()
    need = (window_rect(answers).bottom() - window_rect(triage).top() + 1) if page is question.parentWidget() else 0
    return {
        "dock": list(window_rect(dock).getRect()),
        "dock_in_front": dock.isVisible() and not dock.visibleRegion().isEmpty(),
        "viewport_height": scroll.viewport().height(),
        "panel_height": triage.height(),
        "question_and_answers_need": need,
        "scrolled": scroll.verticalScrollBar().value(),
        "page": triage.pages.currentIndex(),
        "question": {"text": question.text(), "seen": seen(question),
                     "fits": question.heightForWidth(question.width()) <= question.height()},
        "answers": rows,
        "answers_need": answers.sizeHint().height(),
        "answers_height": answers.height(),
        "determinant": {"text": triage.determinant.text(), "seen": seen(triage.determinant)},
        "priority_chip": {"text": triage.priority_chip.text(), "seen": seen(triage.priority_chip),
                          "fits": triage.priority_chip.sizeHint().width() <= triage.priority_chip.width()},
    }


def text_of(widget: QLabel | QToolButton) -> dict:
    """A label's or button's text: on screen, and whole (neither elided nor narrower than its text)."""
    return {"text": widget.text(), "seen": seen(widget),
            "whole": "…" not in widget.text() and widget.sizeHint().width() <= widget.width()}


def measure_calls(window: MainWindow) -> dict:
    panel = window.call_panel
    own = panel.my_calls
    rows = [{"text": own.item(row).text(), "seen": seen(own.viewport(), own.visualItemRect(own.item(row)))}
            for row in range(own.count())]
    waiting = panel.waiting
    return {
        "size": [panel.width(), panel.height()],
        "need": [panel.minimumSizeHint().width(), panel.minimumSizeHint().height()],
        "own_calls": rows,
        "answer_button": text_of(panel.findChild(QToolButton, "AnswerButton")),
        "hangup_button": text_of(panel.findChild(QToolButton, "HangupButton")),
        "queue_summary": text_of(panel.findChild(QLabel, "QueueSummary")),
        "waiting_rows": waiting.count(),
        "waiting_list_seen": seen(waiting.viewport()) and waiting.viewport().height() > 0,
    }


def measure_banner(window: MainWindow) -> dict:
    banner = window.banner
    return {
        "width": banner.width(),
        "link": text_of(banner.link_label), "seat_state": text_of(banner.seat_state_label),
        "ready": text_of(banner.ready_button), "clock": text_of(banner.clock_label),
        "seat": {**text_of(banner.seat_label), "tooltip": banner.seat_label.toolTip()},
        "training": {**text_of(banner.training_label), "tooltip": banner.training_label.toolTip(),
                     "shown": banner.training_label.isVisible()},
    }


def describe(window: MainWindow, moment: str) -> dict:
    screen = window.screen()
    docks = {}
    for key, dock in window.docks.items():
        if dock.isVisible() and not dock.visibleRegion().isEmpty() and not dock.isFloating():
            docks[key] = list(window_rect(dock).getRect())
    form_card = window.docks["form"].widget()
    location = getattr(window, "location_box", None)
    return {
        "moment": moment,
        "screen": [screen.availableGeometry().width(), screen.availableGeometry().height()],
        "dpr": window.devicePixelRatioF(),
        "window": [window.width(), window.height()],
        "docks": docks,
        # Panels in a tab group behind another (name -> the panels sharing its place).
        "tabbed": {key: sorted(other.objectName() for other in window.tabifiedDockWidgets(dock))
                   for key, dock in window.docks.items() if not dock.isFloating()},
        "triage": measure_triage(window),
        "form": {"height": form_card.height(), "need": form_card.minimumSizeHint().height(),
                 "location_seen": location is not None and seen(location)},
        "calls": measure_calls(window),
        "banner": measure_banner(window),
        # The scaling check's own measures (tests/gui/dpi_seat.py): text cut off, fonts under the floor.
        "clipped": clipped_texts(window)[1],
        "small_fonts": small_fonts(window),
    }


def answer_keys(app: QApplication, window: MainWindow, keys: str) -> None:
    for key in keys:
        QTest.keyClick(app.focusWidget() or window, getattr(Qt.Key, f"Key_{key}"))
        settle(app)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--language", default="zh_CN")
    parser.add_argument("--map", action="store_true", help="with the live map (QtWebEngine)")
    parser.add_argument("--result", action="store_true", help="also triage a chest pain to its determinant")
    parser.add_argument("--result-keys", default="11311121")
    parser.add_argument("--training", action="store_true", help="a training seat (--simulate): the TRAINING marker")
    parser.add_argument("--queue", type=int, default=0, help="calls waiting in the centre's queue during the call")
    parser.add_argument("--screenshot", help="grab the window mid-arrest (is the patient awake?)")
    parser.add_argument("--screenshot-longest", help="grab the window at the longest question (what happened?)")
    args = parser.parse_args(argv)

    app, window, store, server, _sync = scripted_seat(args.language, layout_path=None, show_map=args.map,
                                                      training=args.training)
    window.show()
    settle(app)
    window.activateWindow()
    settle(app)
    if args.map:  # the page painted before the screenshot (a grab at load time is white)
        ready: list[bool] = []
        window.map_dock.view.ready.connect(lambda *_: ready.append(True))
        wait(app, 20_000, lambda: bool(ready))
        wait(app, 1000)

    print(json.dumps(describe(window, "idle"), ensure_ascii=False), flush=True)  # before the call
    for n in range(args.queue):  # waiting for a seat, the longest first
        server.event("call.received", call_id=f"q{n}", caller_number=f"1391234{n:04d}", caller_name=None,
                     location_text=None, line=None, seconds_ago=90 - n)
    server.ring("c1", "13800138000", location_text="渝中区较场口 解放碑步行街 8号")
    QTest.keyClick(window, Qt.Key.Key_F2)
    server.event("call.answered", call_id="c1", seat_id=SEAT)
    settle(app)
    answer_keys(app, window, "1")  # the switch's address confirmed: what happened? (the longest list)
    print(json.dumps(describe(window, "what_happened"), ensure_ascii=False), flush=True)
    if args.screenshot_longest:
        window.grab().save(args.screenshot_longest)
    answer_keys(app, window, "2")  # collapsed: is the patient awake?
    print(json.dumps(describe(window, "question"), ensure_ascii=False), flush=True)
    if args.screenshot:
        window.grab().save(args.screenshot)
    # Ctrl+2: the form (in front of its tab group where it is one), to type the address.
    QTest.keyClick(app.focusWidget() or window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    settle(app)
    print(json.dumps(describe(window, "form"), ensure_ascii=False), flush=True)
    QTest.keyClick(app.focusWidget() or window, Qt.Key.Key_Return)  # back to the question
    settle(app)
    if args.result:
        for _ in range(2):
            window.triage.back()
        settle(app)
        for key in args.result_keys:
            answer_keys(app, window, key)
        print(json.dumps(describe(window, "result"), ensure_ascii=False), flush=True)
    window.close()
    dispose(window)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
