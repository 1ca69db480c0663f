"""The unit board: F8 assigns, and the board shows only what the server says."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt

from app.domain.model import UnitStatus
from tests.gui.conftest import SEAT, ime_type
from widgets.labels import UNIT_STATUS_COLOURS

pytestmark = pytest.mark.gui

INCIDENT = "3f2a9c1b-0000-4000-8000-000000000001"


def with_incident_in_form(seat) -> str:
    seat.server.event("incident.created", incident_id=INCIDENT, call_id=None, seat_id=SEAT,
                      address="渝中区民生路88号", callback_number="13800138000", description="胸痛",
                      patients=1, priority=None)
    assert seat.window.form.load_incident(INCIDENT)
    return INCIDENT


def test_after_f8_the_board_changes_only_when_the_servers_event_arrives(seat, qtbot):
    incident_id = with_incident_in_form(seat)
    board = seat.window.board
    board.table.setFocus()
    board.select_unit("u1")

    qtbot.keyClick(seat.window, Qt.Key.Key_F8)

    assign = seat.sync.named("unit.assign")
    assert [a.args for a in assign] == [{"incident_id": incident_id, "unit_id": "u1", "unit_version": 0}]
    # Not optimistic: still available, with the hourglass of a pending command.
    assert board.status_shown("u1") == "Available"
    assert board.is_pending("u1")
    assert not board.table.item(board._rows["u1"], 0).icon().isNull()

    seat.server.event("unit.assigned", incident_id=incident_id, unit_id="u1", version=1,
                      ref=assign[0].command_id)

    assert board.status_shown("u1") == "Dispatched"
    assert board.table.item(board._rows["u1"], 5).text() == "渝中区民生路88号"
    seat.server.ack(assign[0].command_id)
    assert not board.is_pending("u1")
    assert board.table.item(board._rows["u1"], 0).icon().isNull()


def test_an_ack_that_overtakes_its_event_keeps_the_hourglass_until_the_event(seat, qtbot):
    incident_id = with_incident_in_form(seat)
    board = seat.window.board
    board.select_unit("u2")
    board.assign_selected()
    command_id = seat.sync.named("unit.assign")[0].command_id

    seat.server.seq += 1  # the server appended the event; its ack comes first
    seat.store.handle_message({"v": 1, "type": "ack", "ref": command_id, "seq": seat.server.seq,
                               "events": 1, "duplicate": False})
    assert board.is_pending("u2") and board.status_shown("u2") == "Available"

    seat.server.seq -= 1
    seat.server.event("unit.assigned", incident_id=incident_id, unit_id="u2", version=1)

    assert board.status_shown("u2") == "Dispatched"
    assert not board.is_pending("u2")


def test_a_refused_assignment_clears_the_hourglass_and_says_why(seat, qtbot):
    with_incident_in_form(seat)
    board = seat.window.board
    board.select_unit("u3")
    qtbot.keyClick(seat.window, Qt.Key.Key_F8)
    command_id = seat.sync.named("unit.assign")[0].command_id

    seat.server.error(command_id, "unit_busy", "unit 120-03 is dispatched to incident 9")

    assert not board.is_pending("u3")
    assert board.status_shown("u3") == "Available"
    text = seat.window.messages.current_text
    assert "The unit is not available" in text and "unit 120-03 is dispatched to incident 9" in text
    assert "120-03" in text


def test_f8_on_an_unsaved_new_incident_saves_it_first_then_assigns(seat, qtbot):
    seat.server.ring("c1", "13800138000")
    qtbot.keyClick(seat.window, Qt.Key.Key_F2)
    ime_type(seat.window.form.address, "南岸区南坪东路2号")
    seat.window.board.select_unit("u1")

    qtbot.keyClick(seat.window, Qt.Key.Key_F8)

    names = [s.name for s in seat.sync.sent]
    assert names == ["call.answer", "incident.create", "unit.assign"]
    created, assigned = seat.sync.sent[1], seat.sync.sent[2]
    assert assigned.args["incident_id"] == created.args["incident_id"]


def test_f8_without_any_incident_explains_instead_of_sending(seat, qtbot):
    seat.window.board.select_unit("u1")

    qtbot.keyClick(seat.window, Qt.Key.Key_F8)

    assert seat.sync.named("unit.assign") == []
    assert "answer a call or select an incident" in seat.window.messages.current_text


def test_the_status_menu_offers_only_changes_the_state_machine_allows(seat):
    board = seat.window.board
    seat.server.event("unit.status_changed", unit_id="u1", status="out_of_service", previous="available",
                      incident_id=None, version=1, manual=True)

    texts = [a.text() for a in board.status_menu(seat.store.state.units["u1"]).actions() if a.text()]

    assert "Set status: Available" in texts
    assert not any("On scene" in t for t in texts)


def test_a_manual_status_change_is_sent_and_shown_when_the_server_confirms(seat):
    board = seat.window.board
    menu = board.status_menu(seat.store.state.units["u2"])
    [out_of_service] = [a for a in menu.actions() if a.text() == "Set status: Out of service"]

    out_of_service.trigger()

    assert [s.args for s in seat.sync.named("unit.status")] == [{"unit_id": "u2", "status": "out_of_service"}]
    assert board.status_shown("u2") == "Available" and board.is_pending("u2")
    seat.server.event("unit.status_changed", unit_id="u2", status="out_of_service", previous="available",
                      incident_id=None, version=1, manual=True)
    assert board.status_shown("u2") == "Out of service"


def test_time_in_status_counts_from_the_events_timestamp(seat):
    seat.server.event("unit.status_changed", unit_id="u1", status="out_of_service", previous="available",
                      incident_id=None, version=1, manual=True, seconds_ago=5)
    board = seat.window.board
    assert board.table.item(board._rows["u1"], 3).text() == "0:05"

    seat.server.now += timedelta(minutes=61)
    seat.window.tick()

    assert board.table.item(board._rows["u1"], 3).text() == "1:01:05"


def test_status_colours_are_all_different_and_the_status_is_also_written():
    colours = [UNIT_STATUS_COLOURS[s].background for s in UnitStatus]
    assert len(set(colours)) == len(UnitStatus)


def test_each_status_cell_has_its_colour(seat):
    board = seat.window.board
    row = board._rows["u1"]
    cell = board.table.item(row, 2)
    assert cell.background().color().name().upper() == UNIT_STATUS_COLOURS[UnitStatus.AVAILABLE].background


def test_the_menu_key_opens_the_status_menu_of_the_selected_unit(seat, qtbot):
    from PySide6.QtGui import QContextMenuEvent
    from PySide6.QtWidgets import QApplication

    board = seat.window.board
    board.table.setFocus()
    board.select_unit("u3")  # the last row, far from the viewport's centre
    centre = board.table.viewport().rect().center()
    event = QContextMenuEvent(QContextMenuEvent.Reason.Keyboard, centre, board.table.viewport().mapToGlobal(centre))

    QApplication.sendEvent(board.table, event)

    assert board.context_menu_unit == "u3"
    menu = board.context_menu
    assert menu is not None and menu.isVisible()
    assert board.assign_action in menu.actions()
    menu.close()


def test_the_units_menu_offers_the_selected_units_status_changes(seat):
    window = seat.window
    window.board.select_unit("u2")

    window._fill_status_submenu()

    texts = [a.text() for a in window.status_submenu.actions()]
    assert texts == ["Set status: Out of service"]
