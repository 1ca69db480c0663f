"""The call panel: a dispatcher answers with one key, and sees the centre's queue."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt

from tests.gui.conftest import OTHER_SEAT, SEAT

pytestmark = pytest.mark.gui


def test_ringing_call_answered_with_f2_opens_the_incident_form_with_the_number_filled_in(seat, qtbot):
    seat.server.ring("c1", "13800138000", caller_name="张先生", location_text="渝中区解放碑")
    assert "13800138000" in seat.window.call_panel.my_calls.item(0).text()

    qtbot.keyClick(seat.window, Qt.Key.Key_F2)

    answers = seat.sync.named("call.answer")
    assert [a.args for a in answers] == [{"call_id": "c1"}]
    form = seat.window.form
    assert form.callback.text() == "13800138000"
    assert form.call_id == "c1"
    assert form.incident_id is None  # a new incident, not saved yet
    # The keyboard waits on the questionnaire's first question (the address, confirmed with 1);
    # the caller's location is offered in the address box.
    qtbot.waitUntil(seat.window.triage.answers.hasFocus)
    assert "渝中区解放碑" in form.address.placeholderText()


def test_enter_on_the_ringing_call_answers_it(seat, qtbot):
    seat.server.ring("c1", "13800138000")
    calls = seat.window.call_panel.my_calls
    calls.setFocus()
    calls.setCurrentRow(0)

    qtbot.keyClick(calls, Qt.Key.Key_Return)

    assert [a.args["call_id"] for a in seat.sync.named("call.answer")] == ["c1"]
    assert seat.window.form.callback.text() == "13800138000"


def test_f2_with_nothing_ringing_here_picks_up_the_longest_waiting_call(seat, qtbot):
    seat.server.event("call.received", call_id="old", caller_number="02360000001", seconds_ago=90)
    seat.server.event("call.received", call_id="new", caller_number="02360000002", seconds_ago=10)

    qtbot.keyClick(seat.window, Qt.Key.Key_F2)

    assert [a.args["call_id"] for a in seat.sync.named("call.answer")] == ["old"]


def test_waiting_calls_elsewhere_show_their_count_and_the_longest_wait(seat):
    seat.server.ring("c2", "13900000000", seat_id=OTHER_SEAT, seconds_ago=20)
    seat.server.event("call.received", call_id="c3", caller_number="02361234567", seconds_ago=80)

    panel = seat.window.call_panel
    assert panel.waiting_count == 2
    assert panel._queue_summary.text() == "2 waiting · longest 1:20"
    texts = [panel.waiting.item(i).text() for i in range(panel.waiting.count())]
    assert any(f"Ringing at {OTHER_SEAT}" in t for t in texts)


def test_ring_time_counts_up_from_the_calls_timestamp(seat):
    seat.server.ring("c1", "13800138000", seconds_ago=12)
    panel = seat.window.call_panel
    assert "0:12" in panel.my_calls.item(0).text()

    seat.server.now += timedelta(seconds=61)
    seat.window.tick()

    assert "1:13" in panel.my_calls.item(0).text()


def test_the_ringing_call_flashes_once_a_second(seat):
    seat.server.ring("c1", "13800138000")
    item = seat.window.call_panel.my_calls.item(0)
    before = item.background().color().name()

    seat.window.tick()
    after = item.background().color().name()
    seat.window.tick()

    assert before != after
    assert item.background().color().name() == before


def test_f4_hangs_up_the_answered_call(seat, qtbot):
    seat.server.ring("c1", "13800138000")
    seat.server.event("call.answered", call_id="c1", seat_id=SEAT)

    qtbot.keyClick(seat.window, Qt.Key.Key_F4)

    assert [e.args for e in seat.sync.named("call.ended")] == [{"call_id": "c1"}]


def test_an_answer_the_server_refuses_is_shown_without_a_dialog(seat, qtbot):
    seat.server.ring("c1", "13800138000")
    qtbot.keyClick(seat.window, Qt.Key.Key_F2)
    command_id = seat.sync.named("call.answer")[0].command_id
    assert "Answering…" in seat.window.call_panel.my_calls.item(0).text()

    seat.server.error(command_id, "conflict", "call c1 was answered at seat-2")

    strip = seat.window.messages.current_text
    assert "Conflict: someone else changed it first" in strip
    assert "call c1 was answered at seat-2" in strip
    assert "13800138000" in strip  # which action failed
    assert "Answering…" not in seat.window.call_panel.my_calls.item(0).text()
    assert seat.window.isActiveWindow()  # no dialog took the focus
    # The new incident is no longer tied to a call this seat did not get; what is typed stays.
    assert seat.window.form.call_id is None
    assert seat.window.form.callback.text() == "13800138000"


def test_a_call_answered_elsewhere_leaves_this_seats_list(seat):
    seat.server.ring("c1", "13800138000")
    seat.server.event("call.queued", call_id="c1")
    seat.server.event("call.answered", call_id="c1", seat_id=OTHER_SEAT)

    assert seat.window.call_panel.my_calls.count() == 0
    assert seat.window.call_panel.waiting_count == 0
