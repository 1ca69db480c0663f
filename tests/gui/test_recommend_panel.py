"""The recommendation list in the seat: ranked by road time, one key to send, reasons recorded.

The seat window loads the demo city's road graph (Monaco); the story happens there.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from tests.gui.conftest import new_uuid
from widgets.recommendation import OverrideDialog

INCIDENT_AT = (43.7340, 7.4260)  # on Port Hercule's quay
BY_ROAD = (43.7324286, 7.4224524)  # 334 m away, under a minute by road
ACROSS = (43.7360624, 7.4270893)  # 245 m away in a straight line, ~3 min by road


def monaco_story(seat, *, capability: str = "als") -> str:
    s = seat.server
    s.event("station.registered", station_id="st-port", name="Port station", lat=43.7350, lon=7.4215)
    s.event("station.registered", station_id="st-fv", name="Fontvieille station", lat=43.7290, lon=7.4155)
    for unit_id, call_sign, station, cap in (("m1", "MC-1", "st-port", "als"), ("m2", "MC-2", "st-fv", "bls"),
                                             ("m3", "MC-3", "st-fv", "als"), ("m4", "MC-4", None, "als")):
        s.event("unit.registered", unit_id=unit_id, call_sign=call_sign, station_id=station, capability=cap)
    for unit_id in ("u1", "u2", "u3"):  # the fixture's Chongqing units: busy elsewhere in this story
        s.event("unit.status_changed", unit_id=unit_id, status="out_of_service", previous="available",
                incident_id=None, version=1, manual=True)
    seat.store.handle_message({"v": 1, "type": "positions", "items": [
        {"unit_id": "m1", "lat": ACROSS[0], "lon": ACROSS[1], "heading_deg": None, "speed_mps": 0.0,
         "accuracy_m": 5.0, "t": s.ts()},
        {"unit_id": "m2", "lat": BY_ROAD[0], "lon": BY_ROAD[1], "heading_deg": None, "speed_mps": 0.0,
         "accuracy_m": 5.0, "t": s.ts()},
    ]})
    incident_id = new_uuid()
    s.event("incident.created", incident_id=incident_id, call_id=None, seat_id="seat-1", address="Quai Antoine 1er",
            callback_number=None, description="chest pain", patients=1, priority=None)
    s.event("incident.located", incident_id=incident_id, lat=INCIDENT_AT[0], lon=INCIDENT_AT[1], source="map_click",
            candidate_source=None, address=None, seat_id="seat-1")
    s.event("triage.completed", incident_id=incident_id, protocol="chest_pain", protocol_version="2026.11",
            determinant="10-D-1", priority=1, plan="als_emergency", capability=capability, cpr=False)
    seat.window._on_incident_selected(incident_id)
    return incident_id


def test_the_seat_lists_units_by_road_time_with_capability_reasons_and_unknown_positions(seat, qtbot):
    panel = seat.window.recommendation
    monaco_story(seat)
    qtbot.waitUntil(lambda: panel.status == "ok" and len(panel.rows) == 4)
    order = [r.unit_id for r in panel.rows]
    # m2 is nearest by road but BLS for an ALS plan: after every capable unit that can get there.
    assert order == ["m3", "m1", "m2", "m4"] or order == ["m1", "m3", "m2", "m4"]
    assert order[2:] == ["m2", "m4"]
    table = panel.table
    texts = {table.item(row, 1).text().split(" · ")[0]: table.item(row, 4).text() for row in range(table.rowCount())}
    assert "BLS unit for an ALS plan" in texts["MC-2"]
    assert "position unknown" in texts["MC-4"]  # listed, never hidden
    assert table.item(3, 2).text() == "—"


def test_enter_sends_the_first_suggestion_in_one_key(seat, qtbot):
    panel = seat.window.recommendation
    incident_id = monaco_story(seat)
    qtbot.waitUntil(lambda: panel.status == "ok")
    first = panel.rows[0]
    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    [sent] = seat.sync.named("unit.assign_recommended")
    assert sent.args["incident_id"] == incident_id and sent.args["unit_id"] == first.unit_id
    assert sent.args["rank"] == 1 and "override_reason" not in sent.args


def test_picking_another_unit_asks_why_and_sends_the_reason(seat, qtbot):
    panel = seat.window.recommendation
    monaco_story(seat)
    qtbot.waitUntil(lambda: panel.status == "ok")
    asked = []
    panel.override_prompt = lambda chosen, first: asked.append((chosen, first)) or ("road_conditions", "tunnel shut")
    panel.table.selectRow(2)
    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_F8)
    assert asked == [(panel.rows[2].call_sign, panel.rows[0].call_sign)]
    [sent] = seat.sync.named("unit.assign_recommended")
    assert sent.args["rank"] == 3 and sent.args["override_reason"] == "road_conditions"
    assert sent.args["override_note"] == "tunnel shut" and sent.args["first_unit_id"] == panel.rows[0].unit_id
    # Cancelling the question sends nothing.
    panel.override_prompt = lambda chosen, first: None
    assert panel.send_rank(2) is False
    assert len(seat.sync.named("unit.assign_recommended")) == 1


def test_the_reason_dialog_needs_a_note_for_other(qtbot):
    dialog = OverrideDialog("MC-2", "MC-1")
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert ok.isEnabled()  # the first reason in the list needs no note
    dialog.reason.setCurrentIndex(dialog.reason.findData("other"))
    assert not ok.isEnabled()
    dialog.note.setText("crew asked for it")
    assert ok.isEnabled()
    assert dialog.choice() == ("other", "crew asked for it")


def test_sending_the_last_unit_of_an_area_shows_the_coverage_warning(seat, qtbot):
    panel = seat.window.recommendation
    panel.coverage_target_s = 90.0  # a tight target: each station has exactly one unit close enough
    monaco_story(seat)
    qtbot.waitUntil(lambda: panel.status == "ok")
    warned = {r.unit_id: r.coverage_lost for r in panel.rows if r.coverage_lost}
    assert warned, "some unit is the last one covering its station area"
    row = [r.unit_id for r in panel.rows].index(next(iter(warned)))
    assert "without cover" in panel.table.item(row, 4).text()


def test_without_a_location_the_panel_asks_for_one(seat, qtbot):
    panel = seat.window.recommendation
    incident_id = new_uuid()
    seat.server.event("incident.created", incident_id=incident_id, call_id=None, seat_id="seat-1", address="x",
                      callback_number=None, description="", patients=1, priority=None)
    seat.window._on_incident_selected(incident_id)
    qtbot.waitUntil(lambda: panel.status == "no_location")
    assert "Locate the incident" in panel.header.text()


def test_a_unit_freed_while_incidents_wait_is_suggested_for_the_most_urgent(seat, qtbot):
    panel = seat.window.recommendation
    s = seat.server
    waiting = new_uuid()
    s.event("incident.created", incident_id=waiting, call_id=None, seat_id="seat-1", address="Avenue de la Costa 7",
            callback_number=None, description="", patients=1, priority=1, seconds_ago=300)
    s.event("incident.created", incident_id=new_uuid(), call_id=None, seat_id="seat-1", address="later",
            callback_number=None, description="", patients=1, priority=3, seconds_ago=600)
    s.event("unit.status_changed", unit_id="u1", status="out_of_service", previous="available", incident_id=None,
            version=1, manual=True)
    s.event("unit.status_changed", unit_id="u1", status="available", previous="out_of_service", incident_id=None,
            version=2, manual=True)
    qtbot.waitUntil(lambda: panel.suggestion is not None)
    assert panel.suggestion == ("u1", waiting)
    assert "Avenue de la Costa 7" in panel.pending_label.text() and "P1" in panel.pending_label.text()
    with qtbot.waitSignal(panel.incident_requested) as shown:
        panel.show_pending.click()
    assert shown.args == [waiting]
