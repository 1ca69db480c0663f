"""A recognised cardiac arrest is priority I with the ALS emergency plan at once — not two
questions later when the arrest protocol reaches its determinant."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.gui.conftest import SEAT

pytestmark = pytest.mark.gui

INCIDENT_AT = (43.7340, 7.4260)  # on Port Hercule's quay (Monaco, the seat's road graph)


def press(qtbot, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    target = QApplication.focusWidget()
    assert target is not None
    qtbot.keyClick(target, key, modifier)


def test_the_recommendation_shows_the_als_emergency_plan_right_after_the_arrest_is_recognised(triage_seat, qtbot):
    seat = triage_seat
    s = seat.server
    s.ring("c1", "13800138000", location_text="Quai Antoine 1er")
    qtbot.keyClick(seat.window, Qt.Key.Key_F2)
    s.event("call.answered", call_id="c1", seat_id=SEAT)
    qtbot.waitUntil(seat.window.triage.answers.hasFocus)  # F2 leaves the keyboard on the first question
    # Address; the callback number comes from the switch; collapsed, not awake, not breathing.
    for key in (Qt.Key.Key_1, Qt.Key.Key_2, Qt.Key.Key_2, Qt.Key.Key_2):
        press(qtbot, key)
    # The arrest is recorded with priority I and the arrest protocol's plan, before any determinant.
    [recognised] = seat.sync.named("triage.arrest_recognised")
    assert not seat.sync.named("triage.complete")
    assert {k: recognised.args[k] for k in ("priority", "plan", "capability")} == {
        "priority": 1, "plan": "als_emergency", "capability": "als"}
    # The server records it (the fake server plays the events back), the incident is located.
    [created] = seat.sync.named("incident.create")
    incident_id = created.args["incident_id"]
    s.event("incident.created", incident_id=incident_id, call_id="c1", seat_id=SEAT, address=None,
            callback_number=None, description=None, patients=1, priority=None)
    s.event("triage.arrest_recognised", **recognised.args)
    s.event("incident.located", incident_id=incident_id, lat=INCIDENT_AT[0], lon=INCIDENT_AT[1],
            source="map_click", candidate_source=None, address=None, seat_id=SEAT)
    assert s.store.state.incidents[incident_id]["priority"] == 1
    panel = seat.window.recommendation
    panel.follow_incident(incident_id)
    qtbot.waitUntil(lambda: panel.status in ("ok", "no_units"))
    header = panel.header.text()
    assert "no triage plan yet" not in header
    assert "ALS" in header and "priority I" in header and "cardiac arrest recognised" in header
