"""The dispatcher pre-notifies the destination hospital from the incident (Ctrl+Shift+H) and sees its answer."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.gui.conftest import new_uuid

SCENE = (43.7384, 7.4246)  # Place du Casino
AMBULANCE = (43.7403, 7.4270)  # Avenue Princesse Grace, on the way


def stemi_incident(seat) -> str:
    s = seat.server
    s.event("hospital.registered", hospital_id="H-CCM", name="摩纳哥心胸中心", lat=43.73763, lon=7.42486)
    s.event("hospital.registered", hospital_id="H-CHPG", name="格蕾丝王妃医院中心", lat=43.73041, lon=7.41141)
    incident_id = new_uuid()
    s.event("incident.created", incident_id=incident_id, call_id=None, seat_id="seat-1", address="Place du Casino",
            callback_number=None, description="胸痛40分钟，大汗", patients=1, priority=1)
    s.event("triage.completed", incident_id=incident_id, protocol="chest_pain", protocol_version="2026.11",
            determinant="10-D-1", priority=1, plan="als_emergency", capability="als", cpr=False)
    s.event("unit.assigned", incident_id=incident_id, unit_id="u1", version=1)
    s.event("incident.destination_set", incident_id=incident_id, hospital_id="H-CHPG", rank=1, reason=None)
    seat.store.handle_telemetry([
        {"v": 1, "type": "positions", "items": [{"unit_id": "u1", "lat": AMBULANCE[0], "lon": AMBULANCE[1],
                                                  "heading_deg": 200.0, "speed_mps": 12.0, "accuracy_m": 8.0,
                                                  "t": s.ts()}]},
        {"v": 1, "type": "unit_telemetry", "unit_id": "u1", "kind": "vitals", "t": s.ts(), "seq": 1,
         "data": {"hr": 112, "spo2": 93, "nibp_sys": 96, "nibp_dia": 58, "nibp_map": 71, "rr": 22, "etco2": 31,
                  "temp_c": 36.4}},
    ])
    seat.window._on_incident_selected(incident_id)
    return incident_id


def test_ctrl_shift_h_prefills_the_destination_and_sends_what_the_preview_shows(seat, qtbot):
    incident_id = stemi_incident(seat)
    qtbot.keyClick(seat.window, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    dialog = seat.window.prenotify_dialog
    assert dialog is not None and dialog.isVisible()
    # Defaults: the incident's destination (not the first hospital), its unit, the ETA from the road graph.
    assert dialog.hospital_id() == "H-CHPG" and dialog.unit_id() == "u1"
    assert dialog.complaint.currentData() == "chest_pain" and dialog.note.text() == "胸痛40分钟，大汗"
    assert dialog.eta_from_route is not None and 30 < dialog.eta_from_route < 1200
    assert dialog.eta.value() >= 1
    assert "HR 112 /min" in dialog.preview.text() and "NIBP 96/58 mmHg" in dialog.preview.text()
    dialog.complaint.setCurrentIndex(dialog.complaint.findData("stemi"))
    dialog.age.setValue(58)
    dialog.age_estimated.setChecked(True)
    dialog.sex.setCurrentIndex(dialog.sex.findData("male"))
    assert "STEMI, male, ~58 y" in dialog.preview.text()
    if os.environ.get("DISPATCH120_SCREENSHOT"):
        QApplication.processEvents()
        dialog.grab().save(str(Path(os.environ["DISPATCH120_SCREENSHOT"])))
    qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
    [sent] = seat.sync.named("prenotify.send")
    assert sent.args == {"incident_id": incident_id, "hospital_id": "H-CHPG", "unit_id": "u1",
                         "eta_s": dialog.eta_from_route, "include_ecg": True,
                         "summary": {"age": 58, "age_estimated": True, "sex": "male", "complaint": "stemi",
                                     "note": "胸痛40分钟，大汗"}}

    # The server's events: the dialog lists it as waiting, then the cath lab's answer reaches the strip.
    pid = new_uuid()
    seat.server.event("prenotify.sent", ref=sent.command_id, prenotify_id=pid, incident_id=incident_id,
                      hospital_id="H-CHPG", unit_id="u1", eta_s=sent.args["eta_s"], complaint="stemi",
                      has_vitals=True, has_ecg=True)
    assert "waiting" in dialog.history.item(0).text()
    with qtbot.waitSignal(seat.window.prenotify_answers.answered):
        seat.server.event("prenotify.acknowledged", prenotify_id=pid, incident_id=incident_id, hospital_id="H-CHPG",
                          response="cath_lab_activated", note="导管室10分钟就绪",
                          actor={"id": "ed-chpg", "role": "hospital"})
    assert "Cath lab activated — 导管室10分钟就绪" in dialog.history.item(0).text()
    text = seat.window.messages.history[-1].text
    assert "格蕾丝王妃医院中心" in text and "Cath lab activated" in text


def test_without_an_incident_the_shortcut_says_so_and_without_position_the_eta_is_typed(seat, qtbot):
    qtbot.keyClick(seat.window, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert seat.window.prenotify_dialog is None
    assert seat.window.messages.history[-1].text
    incident_id = stemi_incident(seat)
    seat.store.telemetry.positions.clear()
    seat.server.event("incident.destination_set", incident_id=incident_id, hospital_id="H-CCM", rank=1, reason=None)
    seat.window.prenotify_action.trigger()
    dialog = seat.window.prenotify_dialog
    assert dialog.hospital_id() == "H-CCM" and dialog.eta_from_route is None and dialog.eta_s() is None
    dialog.eta.setValue(15)
    dialog.unit.setCurrentIndex(0)  # no ambulance: no vitals, no ECG
    qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
    [sent] = seat.sync.named("prenotify.send")
    assert sent.args["eta_s"] == 900 and sent.args["include_ecg"] is False and "unit_id" not in sent.args
