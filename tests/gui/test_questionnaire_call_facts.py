"""At the seat, what the call already tells changes what the dispatcher asks aloud: the switch's
caller number answers the callback question (shown, one key asks it after all), and a precise
handset fix puts "awake?" and "breathing normally?" before the address, so an arrest is
recognised in two keystrokes after answering."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.gui.conftest import SEAT

pytestmark = pytest.mark.gui

NUMBER = "13800138000"


def press(qtbot, key) -> None:
    target = QApplication.focusWidget()
    assert target is not None
    qtbot.keyClick(target, key)


def answer_call(seat, qtbot, *, number: str, fix: dict | None = None) -> None:
    data = {"call_id": "c1", "caller_number": number, "caller_name": None, "location_text": "渝中区较场口",
            "line": None}
    if fix is not None:
        data["locations"] = [{**fix, "at": seat.server.ts(8)}]
    seat.server.event("call.received", seconds_ago=12, **data)
    seat.server.event("call.ringing", call_id="c1", seat_id=SEAT, seconds_ago=11)
    qtbot.keyClick(seat.window, Qt.Key.Key_F2)
    seat.server.event("call.answered", call_id="c1", seat_id=SEAT)
    qtbot.waitUntil(seat.window.triage.answers.hasFocus)


def sent_answers(seat) -> list[tuple[str, str]]:
    return [(s.args["question"], s.args["answer"]) for s in seat.sync.named("triage.answer")]


def test_a_handset_fix_lets_the_dispatcher_recognise_an_arrest_in_two_keys(triage_seat, qtbot):
    seat = triage_seat
    panel = seat.window.triage
    answer_call(seat, qtbot, number=NUMBER, fix={"source": "gps", "lat": 29.5569, "lon": 106.5772,
                                                  "accuracy_m": 15.0})
    assert panel.session.current.id == "conscious"
    assert panel.session.asking_located_first and panel.call_told.isVisibleTo(panel)

    press(qtbot, Qt.Key.Key_2)  # not awake
    press(qtbot, Qt.Key.Key_2)  # not breathing normally

    assert panel.pages.currentWidget() is panel.coach
    assert seat.sync.named("triage.arrest_recognised")
    assert sent_answers(seat) == [("conscious", "no"), ("breathing_normally", "no")]
    # Back from the coach, the address comes next, then what happened (the callback is known).
    panel.show_questions()
    assert panel.session.current.id == "location_confirmed"
    press(qtbot, Qt.Key.Key_1)
    assert panel.session.current.id == "what_happened"
    assert NUMBER in panel.call_told.text()
    assert sent_answers(seat)[2:] == [("location_confirmed", "confirmed"), ("callback_number", "confirmed")]
    # The audited path says which answer the caller gave and which came from the switch.
    sources = {s.args["question"]: s.args.get("source") for s in seat.sync.named("triage.answer")}
    assert sources["callback_number"] == "switch"
    assert sources["location_confirmed"] is None and sources["conscious"] is None


def test_the_switch_number_is_shown_not_asked_and_c_asks_it_after_all(triage_seat, qtbot):
    seat = triage_seat
    panel = seat.window.triage
    answer_call(seat, qtbot, number=NUMBER)  # no handset fix: the address first, as always
    assert panel.session.current.id == "location_confirmed"
    assert not panel.call_told.isVisibleTo(panel)

    press(qtbot, Qt.Key.Key_1)  # address confirmed
    assert panel.session.current.id == "what_happened"
    assert NUMBER in panel.call_told.text() and panel.call_told.isVisibleTo(panel)

    press(qtbot, Qt.Key.Key_C)  # the caller says the number cannot be called back
    assert panel.session.current.id == "callback_number"
    press(qtbot, Qt.Key.Key_2)  # another number recorded
    assert panel.session.current.id == "what_happened"
    assert sent_answers(seat)[-2:] == [("callback_number", "confirmed"), ("callback_number", "other_number")]


def test_a_withheld_number_and_a_cell_fix_keep_the_usual_order(triage_seat, qtbot):
    seat = triage_seat
    panel = seat.window.triage
    answer_call(seat, qtbot, number="0", fix={"source": "cell", "lat": 29.5569, "lon": 106.5772,
                                              "accuracy_m": 900.0})
    order = []
    for _ in range(3):
        order.append(panel.session.current.id)
        press(qtbot, Qt.Key.Key_1)
    assert order == ["location_confirmed", "callback_number", "what_happened"]
