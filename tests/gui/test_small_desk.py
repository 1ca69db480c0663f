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
from PySide6.QtCore import QEvent, QObject, QRect, Qt
from PySide6.QtWidgets import QApplication, QLabel, QToolButton

from tests.gui.conftest import SEAT
from tests.gui.test_layout_dpi import desk

pytestmark = pytest.mark.gui

TRAINING_WITH_A_QUEUE = ("--training", "--queue", "3")
SMALLEST = [((1366, 768), 1.5, "zh_CN"), ((1366, 768), 1.5, "en"), ((1920, 1080), 2.0, "zh_CN")]
IDS = [f"{w}x{h}-at-{round(s * 100)}-percent-{lang}" for (w, h), s, lang in SMALLEST]
BOTH_SMALLEST_IN_BOTH_LANGUAGES = [(size, scale, language) for size, scale in (((1366, 768), 1.5), ((1920, 1080), 2.0))
                                   for language in ("zh_CN", "en")]


@pytest.fixture(params=SMALLEST, ids=IDS)
def small_desk(request) -> dict[str, dict]:
    size, scale, language = request.param
    return small_desk_at(size, scale, language)


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


def in_both_languages_on_both_smallest_desks():
    """Parametrize over 911x512 and 960x540, zh and en."""
    return pytest.mark.parametrize(("size", "scale", "language"), [
        pytest.param((w, h), s, lang, id=f"{w}x{h}-at-{round(s * 100)}-percent-{lang}")
        for (w, h), s, lang in BOTH_SMALLEST_IN_BOTH_LANGUAGES])


@in_both_languages_on_both_smallest_desks()
def test_ctrl_2_brings_the_form_forward_in_the_place_of_the_questions_inside_the_window(size, scale, language):
    # A tab group is as tall as its tallest panel's minimum plus its tabs: a form taller than the
    # room under the banner (911x512: 386 px and the tabs in 386 px) stretched the tab group and
    # the calls beside it past the window's bottom edge, and a form wider than the room (English,
    # 960x540: 739 px) pushed it past the right edge.
    moments = small_desk_at(size, scale, language)
    width, height = moments["form"]["window"]
    x, y, w, h = moments["form"]["docks"]["form"]
    assert [x, y, w, h] == moments["question"]["triage"]["dock"], (moments["form"]["docks"], moments["question"])
    assert x >= 0 and y >= 0 and x + w <= width and y + h <= height, ([x, y, w, h], [width, height])
    assert moments["form"]["form"]["location_seen"]  # the location strip under the fields, whole


@in_both_languages_on_both_smallest_desks()
def test_no_panel_runs_past_the_window_during_the_call(size, scale, language):
    # The last waiting calls are on screen, whichever panel of the form's tab group is in front.
    # The docks after the answer also show how tall the calls were laid out while the call rang
    # (Qt keeps a dock's height once stretched; see the next test).
    moments = small_desk_at(size, scale, language)
    for moment in ("idle", "what_happened", "question", "form", "result"):
        width, height = moments[moment]["window"]
        for name, (x, y, w, h) in moments[moment]["docks"].items():
            assert x >= 0 and y >= 0 and x + w <= width and y + h <= height, (moment, name, [x, y, w, h], [width, height])
        assert moments[moment]["calls"]["waiting_list_seen"], (moment, moments[moment]["calls"])


class PanelAskedAtShow(QObject):
    """What the call panel asked at the moment its location strip or its "no call" hint appeared
    (showing a widget lays out the layouts up to the window just then): its minimum height, and
    whether the hint, the strip and a call of this seat were in it together."""

    def __init__(self, panel) -> None:
        super().__init__(panel)
        self.panel = panel
        self.hint = panel.findChild(QLabel, "EmptyHint")
        self.asked: list[dict] = []
        for shown in (panel.location, self.hint):
            shown.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.Show:
            self.asked.append({"shown": watched.objectName(), "height": self.panel.minimumSizeHint().height(),
                               "hint": self.hint.isVisible(), "location": self.panel.location.isVisible(),
                               "own_calls": self.panel.my_calls.count()})
        return False


def test_a_call_coming_and_going_never_makes_the_calls_panel_ask_for_the_no_call_hint_too(seat, qtbot):
    # With the "no call at this seat" hint still in the panel while the ringing call's location
    # came in, the panel asked 40 px more than the call needs, and on a 911x512 desk Qt stretched
    # the calls dock past the window's bottom edge for the whole call.
    panel = seat.window.call_panel
    spy = PanelAskedAtShow(panel)
    seat.server.ring("c1", "13800138000", location_text="渝中区较场口 解放碑步行街 8号")
    qtbot.waitUntil(lambda: panel.my_calls.count() == 1 and panel.location.isVisible())
    [ringing] = spy.asked
    assert ringing["shown"] == "CallLocation" and not ringing["hint"], ringing
    panel.fit()
    assert ringing["height"] <= panel.needed_height(), (ringing, panel.needed_height())

    seat.server.event("call.answered", call_id="c1", seat_id=SEAT)
    seat.server.event("call.ended", call_id="c1")  # the caller hangs up: the hint comes back alone
    qtbot.waitUntil(lambda: spy.panel.my_calls.count() == 0 and spy.hint.isVisible())
    assert len(spy.asked) == 2, spy.asked  # the strip stayed through the answer
    idle = spy.asked[1]
    assert idle["shown"] == "EmptyHint" and not idle["location"] and idle["own_calls"] == 0, idle
    assert idle["height"] <= panel.needed_height(), (idle, panel.needed_height())


def small_desk_at(size: tuple[int, int], scale: float, language: str) -> dict[str, dict]:
    return desk(*size, scale, language, TRAINING_WITH_A_QUEUE)


def on_screen_in(scroll, widget) -> bool:
    """Every pixel of ``widget`` is inside the scroll area's viewport."""
    top_left = widget.mapTo(scroll.viewport(), widget.rect().topLeft())
    return scroll.viewport().rect().contains(QRect(top_left, widget.size()))


def test_a_form_lower_than_its_fields_brings_each_field_into_view_as_the_cursor_reaches_it(seat, qtbot):
    # Where the desk leaves the form less height than its fields need (units listed under the
    # call on a 911x512 desk), the fields scroll under the header and the Save row stays put.
    form = seat.window.form
    qtbot.keyClick(seat.window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)  # Ctrl+2: the form
    qtbot.waitUntil(form.address.hasFocus)
    form.setFixedHeight(form.minimumSizeHint().height())
    scroll = form.body_scroll
    qtbot.waitUntil(lambda: scroll.verticalScrollBar().maximum() > 0)  # the fields do not all fit
    save = form.findChild(QToolButton, "SaveButton")
    for field in (form.address, form.callback, form.description, form.patients, form.priority):
        if not field.hasFocus():
            press(qtbot, Qt.Key.Key_Tab)
        qtbot.waitUntil(field.hasFocus)
        qtbot.waitUntil(lambda f=field: on_screen_in(scroll, f))
        assert save.isVisible() and form.rect().contains(save.geometry())
    form.address.setFocus()  # straight back to the top (Ctrl+2 on an empty address)
    qtbot.waitUntil(lambda: on_screen_in(scroll, form.address))


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
