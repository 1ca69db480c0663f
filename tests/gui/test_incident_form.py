"""The incident form: recording what the caller says, keyboard first, never losing the typing."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tests.gui.conftest import OTHER_SEAT, SEAT, ime_type

pytestmark = pytest.mark.gui


def answer_and_type(seat, qtbot, *, address="渝中区民生路88号", what="男，65岁，胸痛20分钟"):
    seat.server.ring("c1", "13800138000")
    qtbot.keyClick(seat.window, Qt.Key.Key_F2)
    seat.server.event("call.answered", call_id="c1", seat_id=SEAT)
    form = seat.window.form
    ime_type(form.address, address)
    ime_type(form.description, what)
    return form


def confirm_create(seat) -> str:
    """Play the server: the incident.create command is applied and acked."""
    sent = seat.sync.named("incident.create")[-1]
    seat.server.event("incident.created", seat_id=SEAT, ref=sent.command_id, **sent.args)
    seat.server.ack(sent.command_id)
    return sent.args["incident_id"]


def test_ctrl_s_saves_a_new_incident_linked_to_the_answered_call(seat, qtbot):
    form = answer_and_type(seat, qtbot)

    qtbot.keyClick(seat.window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)

    created = seat.sync.named("incident.create")
    assert len(created) == 1
    args = created[0].args
    assert args["call_id"] == "c1"
    assert args["address"] == "渝中区民生路88号"
    assert args["callback_number"] == "13800138000"
    assert args["description"] == "男，65岁，胸痛20分钟"
    assert args["patients"] == 1
    assert "priority" not in args  # not set: left to triage later
    assert form.incident_id == args["incident_id"]
    assert form._state.text() == "Saving…"

    confirm_create(seat)

    assert form._state.text() == "Open, no unit"
    assert seat.window.queue.incident_ids() == [args["incident_id"]]


def test_ctrl_enter_in_what_happened_saves_instead_of_adding_a_line(seat, qtbot):
    form = answer_and_type(seat, qtbot)

    qtbot.keyClick(form.description, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)

    assert len(seat.sync.named("incident.create")) == 1
    assert "\n" not in form.description.toPlainText()


def test_tab_follows_the_call_from_address_to_callback_to_what_happened(seat, qtbot):
    form = answer_and_type(seat, qtbot)
    form.address.setFocus()
    qtbot.waitUntil(form.address.hasFocus)

    qtbot.keyClick(form.address, Qt.Key.Key_Tab)
    qtbot.waitUntil(form.callback.hasFocus)
    qtbot.keyClick(form.callback, Qt.Key.Key_Tab)
    qtbot.waitUntil(form.description.hasFocus)
    qtbot.keyClick(form.description, Qt.Key.Key_Tab)  # moves on, does not insert a tab
    qtbot.waitUntil(form.patients.hasFocus)
    assert "\t" not in form.description.toPlainText()


def test_saving_an_existing_incident_sends_only_the_changed_fields(seat, qtbot):
    form = answer_and_type(seat, qtbot)
    form.save()
    incident_id = confirm_create(seat)

    form.patients.setValue(2)
    form.priority.setCurrentIndex(form.priority.findData(1))
    qtbot.keyClick(seat.window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)

    updates = seat.sync.named("incident.update")
    assert [u.args for u in updates] == [{"incident_id": incident_id, "patients": 2, "priority": 1}]


def test_typing_is_not_overwritten_by_a_change_from_another_seat(seat, qtbot):
    form = answer_and_type(seat, qtbot)
    form.save()
    incident_id = confirm_create(seat)
    ime_type(form.description, "，意识模糊")

    seat.server.event("incident.updated", incident_id=incident_id, changes={"patients": 3},
                      actor={"id": OTHER_SEAT, "role": "seat"})

    assert form.description.toPlainText().endswith("意识模糊")
    assert form.has_unsaved_changes()
    form.save()
    # Only what this dispatcher changed is sent; the other seat's patients=3 is not undone.
    assert seat.sync.named("incident.update")[-1].args == {
        "incident_id": incident_id,
        "description": "男，65岁，胸痛20分钟，意识模糊",
    }


def test_an_untouched_form_follows_changes_from_another_seat(seat, qtbot):
    form = answer_and_type(seat, qtbot)
    form.save()
    incident_id = confirm_create(seat)

    seat.server.event("incident.updated", incident_id=incident_id, changes={"patients": 3, "priority": 2})

    assert form.patients.value() == 3
    assert form.priority.currentData() == 2
    assert not form.has_unsaved_changes()


def test_a_refused_create_keeps_the_typing_unsaved_and_unlinks_the_call(seat, qtbot):
    form = answer_and_type(seat, qtbot)
    form.save()
    sent = seat.sync.named("incident.create")[-1]

    seat.server.error(sent.command_id, "conflict", "call c1 already belongs to incident X")

    assert form.incident_id is None
    assert form.call_id is None
    assert form.address.text() == "渝中区民生路88号"
    assert form.has_unsaved_changes()
    form.save()  # the dispatcher presses Ctrl+S again: it is created without the call link
    again = seat.sync.named("incident.create")[-1].args
    assert again["address"] == "渝中区民生路88号" and "call_id" not in again


def test_input_the_core_refuses_is_shown_and_nothing_is_sent(seat, qtbot):
    form = answer_and_type(seat, qtbot)
    form.description.setPlainText("很长" * 1001)  # over the protocol's 2000 characters

    assert form.save() is False

    assert seat.sync.named("incident.create") == []
    assert "Invalid input" in seat.window.messages.current_text
    assert "description" in seat.window.messages.current_text
    assert form.has_unsaved_changes()


def test_the_callback_number_field_accepts_only_a_phone_number(seat, qtbot):
    form = seat.window.form
    form.callback.setFocus()
    qtbot.keyClicks(form.callback, "13a8 00")
    assert form.callback.text() == "13800"


def test_answering_a_second_call_saves_the_typing_of_the_first_one(seat, qtbot):
    form = answer_and_type(seat, qtbot)
    seat.server.ring("c2", "13900000000")

    qtbot.keyClick(seat.window, Qt.Key.Key_F2)

    created = seat.sync.named("incident.create")
    assert len(created) == 1 and created[0].args["call_id"] == "c1"
    assert form.call_id == "c2"
    assert form.callback.text() == "13900000000"
    assert form.address.text() == ""


def test_selecting_an_incident_in_the_queue_loads_it_into_the_form(seat, qtbot):
    seat.server.event("incident.created", incident_id="6f1c2a9e-0000-4000-8000-000000000001", call_id=None,
                      seat_id=OTHER_SEAT, address="南岸区南坪东路2号", callback_number="02362000000",
                      description="车祸，2人受伤", patients=2, priority=1)
    queue = seat.window.queue

    queue.table.setFocus()
    queue.select_incident("6f1c2a9e-0000-4000-8000-000000000001")

    form = seat.window.form
    assert form.incident_id == "6f1c2a9e-0000-4000-8000-000000000001"
    assert form.address.text() == "南岸区南坪东路2号"
    assert form.patients.value() == 2
    assert form.priority.currentData() == 1


def test_ctrl_e_closes_the_incident_with_the_chosen_reason(seat, qtbot):
    form = answer_and_type(seat, qtbot)
    form.save()
    incident_id = confirm_create(seat)

    qtbot.keyClick(seat.window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    dialog = form.close_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.select_reason("cancelled")
    dialog.note.setText("呼救者称已自行就医")
    dialog.accept()

    assert [c.args for c in seat.sync.named("incident.close")] == [
        {"incident_id": incident_id, "reason": "cancelled", "note": "呼救者称已自行就医"}
    ]
    seat.server.event("incident.closed", incident_id=incident_id, reason="cancelled", note=None)
    assert form.incident_id is None
    assert seat.window.queue.incident_ids() == []
