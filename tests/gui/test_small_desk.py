"""The smallest one-screen desks during a call: a 1366x768 laptop at 150 % (911x512 logical
pixels) and a 1920x1080 screen at 200 % (960x540), on a training seat with calls queuing.

The call being handled is whole in the call panel with its Answer (F2) and Hang up (F4)
buttons and the queue's count; the banner keeps the link state, the ready/busy state with
its F5 button and the clock whole (the training marker shortens, the seat's name gives way
and keeps its whole text in a tooltip); every answer of "what happened?" shows the key that
answers it, the tenth 0 and the eleventh -.

Each desk runs in its own process (``tests/gui/layout_dpi_seat.py`` through
``tests/gui/test_layout_dpi.py``'s ``desk``).
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.gui.conftest import SEAT
from tests.gui.test_layout_dpi import desk

pytestmark = pytest.mark.gui

TRAINING_WITH_A_QUEUE = ("--training", "--queue", "3")
SMALLEST = [((1366, 768), 1.5, "zh_CN"), ((1366, 768), 1.5, "en"), ((1920, 1080), 2.0, "zh_CN")]
IDS = [f"{w}x{h}-at-{round(s * 100)}-percent-{lang}" for (w, h), s, lang in SMALLEST]


@pytest.fixture(params=SMALLEST, ids=IDS)
def small_desk(request) -> dict[str, dict]:
    (width, height), scale, language = request.param
    return desk(width, height, scale, language, TRAINING_WITH_A_QUEUE)


def test_the_call_being_handled_and_its_keys_are_whole_in_the_call_panel(small_desk):
    for moment in ("what_happened", "question", "result"):
        calls = small_desk[moment]["calls"]
        [own] = calls["own_calls"]
        assert own["seen"], (moment, own, calls["size"])  # number, place, "on the line 0:00": no line cut
        for button in ("answer_button", "hangup_button"):
            assert calls[button]["seen"] and calls[button]["whole"], (moment, calls[button])
        assert calls[button]["text"].endswith("F4")
        assert calls["queue_summary"]["seen"] and calls["queue_summary"]["whole"], (moment, calls["queue_summary"])
        assert "3" in calls["queue_summary"]["text"]
        assert calls["waiting_rows"] == 3


def test_the_banner_keeps_the_link_the_ready_key_and_the_clock_whole(small_desk):
    for moment in ("idle", "question"):
        banner = small_desk[moment]["banner"]
        for part in ("link", "seat_state", "ready", "clock"):
            assert banner[part]["seen"] and banner[part]["whole"], (moment, part, banner[part])
        assert banner["ready"]["text"].endswith("F5")
        assert banner["clock"]["text"] == "02:00:00"
        # The training marker is there, whole (shortened where the desk is narrow) ...
        assert banner["training"]["shown"] and banner["training"]["seen"] and banner["training"]["whole"]
        # ... and the seat's name gives way, its whole text one hover away.
        assert banner["seat"]["seen"] and banner["seat"]["whole"], (moment, banner["seat"])
        assert "seat-1" in banner["seat"]["tooltip"] and "Seat one" in banner["seat"]["tooltip"]
        assert small_desk[moment]["clipped"] == [], moment


def test_every_answer_of_what_happened_shows_its_key_on_the_smallest_desk(small_desk):
    answers = small_desk["what_happened"]["triage"]["answers"]
    assert len(answers) == 11
    keys = [answer["text"].split()[0] for answer in answers]
    assert keys == ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "-"]
    assert all(answer["seen"] for answer in answers)


def press(qtbot, key) -> None:
    target = QApplication.focusWidget()
    assert target is not None
    qtbot.keyClick(target, key)


def test_zero_answers_the_tenth_and_minus_the_eleventh_answer(triage_seat, qtbot):
    seat = triage_seat
    panel = seat.window.triage
    seat.server.ring("c1", "13800138000", location_text="渝中区较场口")
    qtbot.keyClick(seat.window, Qt.Key.Key_F2)
    seat.server.event("call.answered", call_id="c1", seat_id=SEAT)
    qtbot.waitUntil(panel.answers.hasFocus)
    press(qtbot, Qt.Key.Key_1)  # the switch's address confirmed: what happened? (eleven answers)
    what_happened = panel.session.current
    assert len(what_happened.answers) == 11
    assert panel.answers.item(9).text().split()[0] == "0"
    assert panel.answers.item(10).text().split()[0] == "-"

    press(qtbot, Qt.Key.Key_Minus)
    assert panel.session.current is not what_happened
    last = seat.sync.named("triage.answer")[-1].args
    assert (last["question"], last["answer"]) == (what_happened.id, what_happened.answers[10].key)

    press(qtbot, Qt.Key.Key_Backspace)
    assert panel.session.current.id == what_happened.id
    press(qtbot, Qt.Key.Key_0)
    last = seat.sync.named("triage.answer")[-1].args
    assert (last["question"], last["answer"]) == (what_happened.id, what_happened.answers[9].key)
