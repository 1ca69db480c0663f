"""A second call from the same number shows a banner that links to the open incident and attaches the call."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.gui.conftest import SEAT, Seat, new_uuid


def open_incident_from(seat: Seat, number: str, *, minutes_ago: float) -> str:
    incident_id = new_uuid()
    seat.server.event("call.received", call_id="c-old", caller_number=number, caller_name=None,
                      location_text=None, line=None, seconds_ago=minutes_ago * 60 + 30)
    seat.server.event("call.answered", call_id="c-old", seat_id="seat-2", seconds_ago=minutes_ago * 60 + 20)
    seat.server.event("incident.created", incident_id=incident_id, call_id="c-old", seat_id="seat-2",
                      callback_number=number, seconds_ago=minutes_ago * 60)
    seat.server.event("call.ended", call_id="c-old", seconds_ago=minutes_ago * 60 - 60)
    return incident_id


def test_second_call_from_the_same_number_shows_the_banner_and_attach_sends_call_attach(seat: Seat, qtbot):
    incident_id = open_incident_from(seat, "13800138000", minutes_ago=12)
    seat.server.ring("c-new", "13800138000")
    banner = seat.window.call_panel.repeat_banner
    qtbot.waitUntil(banner.isVisible)
    assert "12 min" in banner.text.text() or "12:" in banner.text.text()
    assert incident_id[:8].upper() in banner.text.text()
    assert not banner.attach_action.isEnabled()  # answer first
    seat.window.call_panel.answer()
    seat.server.event("call.answered", call_id="c-new", seat_id=SEAT)
    qtbot.waitUntil(banner.attach_action.isEnabled)
    qtbot.keyClick(seat.window, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: bool(seat.sync.named("call.attach")))
    [attach] = seat.sync.named("call.attach")
    assert attach.args == {"call_id": "c-new", "incident_id": incident_id}
    # The form shows the existing incident, not a new draft linked to the call.
    qtbot.waitUntil(lambda: seat.window.form.incident_id == incident_id)
    seat.server.event("call.attached", call_id="c-new", incident_id=incident_id, seat_id=SEAT,
                      ref=attach.command_id)
    qtbot.waitUntil(lambda: not banner.isVisible())
    assert not seat.sync.named("incident.create")


def test_open_incident_button_shows_it_in_the_form(seat: Seat, qtbot):
    incident_id = open_incident_from(seat, "13800138000", minutes_ago=5)
    seat.server.ring("c-new", "13800138000")
    banner = seat.window.call_panel.repeat_banner
    qtbot.waitUntil(banner.isVisible)
    banner.open_button.click()
    qtbot.waitUntil(lambda: seat.window.form.incident_id == incident_id)


def test_a_call_from_another_number_far_away_shows_no_banner(seat: Seat, qtbot):
    open_incident_from(seat, "13800138000", minutes_ago=5)
    seat.server.ring("c-new", "13912345678")
    qtbot.waitUntil(lambda: seat.window.call_panel.current_call() is not None)
    assert not seat.window.call_panel.repeat_banner.isVisible()


def test_the_banner_buttons_stack_instead_of_being_cut_off_in_a_narrow_calls_column(seat: Seat, qtbot):
    open_incident_from(seat, "13800138000", minutes_ago=3)
    seat.server.ring("c-new", "13800138000")
    banner = seat.window.call_panel.repeat_banner
    qtbot.waitUntil(banner.isVisible)
    needed = banner.open_button.sizeHint().width() + banner.attach_button.sizeHint().width()

    banner.resize(needed // 2 + 40, banner.height())
    qtbot.waitUntil(lambda: banner._buttons.direction() == banner._buttons.Direction.TopToBottom)
    banner.resize(needed + 200, banner.height())
    qtbot.waitUntil(lambda: banner._buttons.direction() == banner._buttons.Direction.LeftToRight)
