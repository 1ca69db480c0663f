"""Destination and first responders in the seat: the right hospital, one key; volunteers tracked."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.gui.conftest import new_uuid

SCENE = (43.7384, 7.4246)  # Monte-Carlo casino square


def monaco_hospitals(seat) -> None:
    s = seat.server
    s.event("hospital.registered", hospital_id="H-CHPG", name="Centre Hospitalier Princesse Grace",
            lat=43.7286, lon=7.4153)
    s.event("hospital.registered", hospital_id="H-NEAR", name="Clinique du Casino", lat=43.7390, lon=7.4250)
    s.event("hospital.capabilities_set", hospital_id="H-CHPG",
            capabilities=["chest_pain_centre", "pci", "stroke_centre", "trauma_centre"], trauma_level=2)
    s.event("hospital.capabilities_set", hospital_id="H-NEAR", capabilities=["maternity"], trauma_level=None)


def arrest_incident(seat) -> str:
    s = seat.server
    incident_id = new_uuid()
    s.event("incident.created", incident_id=incident_id, call_id=None, seat_id="seat-1", address="Place du Casino",
            callback_number=None, description="collapsed", patients=1, priority=1)
    s.event("incident.located", incident_id=incident_id, lat=SCENE[0], lon=SCENE[1], source="map_click",
            candidate_source=None, address=None, seat_id="seat-1")
    s.event("triage.completed", incident_id=incident_id, protocol="cardiac_arrest", protocol_version="2026.11",
            determinant="09-E-1", priority=1, plan="als_emergency", capability="als", cpr=True)
    seat.window._on_incident_selected(incident_id)
    return incident_id


def test_a_cardiac_arrest_goes_to_the_pci_centre_not_the_nearest_clinic_with_one_key(seat, qtbot):
    monaco_hospitals(seat)
    incident_id = arrest_incident(seat)
    panel = seat.window.destination
    qtbot.waitUntil(lambda: [d.hospital_id for d in panel.rows] == ["H-CHPG", "H-NEAR"])
    assert "missing: chest-pain centre, PCI" in panel.table.item(1, 3).text()
    assert "nearest" in panel.table.item(1, 4).text()
    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    [sent] = seat.sync.named("incident.set_destination")
    assert sent.args == {"incident_id": incident_id, "hospital_id": "H-CHPG", "rank": 1}


def test_picking_another_hospital_asks_why_and_a_diverting_ed_drops_to_the_end(seat, qtbot):
    monaco_hospitals(seat)
    incident_id = arrest_incident(seat)
    panel = seat.window.destination
    seat.server.event("hospital.status_changed", hospital_id="H-CHPG", status="diverting", previous="open",
                      note=None)
    qtbot.waitUntil(lambda: [d.hospital_id for d in panel.rows] == ["H-NEAR", "H-CHPG"])
    asked = []
    panel.reason_prompt = lambda chosen, first: asked.append((chosen, first)) or None  # cancelled
    assert not panel.pick_rank(2)
    assert asked == [("Centre Hospitalier Princesse Grace", "Clinique du Casino")]
    panel.reason_prompt = lambda chosen, first: "patient_request"
    assert panel.pick_rank(2)
    [sent] = seat.sync.named("incident.set_destination")
    assert sent.args == {"incident_id": incident_id, "hospital_id": "H-CHPG", "rank": 2,
                         "reason": "patient_request"}


def test_the_responders_tab_alerts_and_follows_volunteers_and_the_aed_fetcher(seat, qtbot):
    monaco_hospitals(seat)
    incident_id = arrest_incident(seat)
    panel = seat.window.responders
    s = seat.server
    qtbot.mouseClick(panel.alert_button, Qt.MouseButton.LeftButton)
    [sent] = seat.sync.named("responders.alert")
    assert sent.args == {"incident_id": incident_id}
    s.event("principal.registered", principal_id="vol-1", role="volunteer", name="Anne", unit_id=None)
    s.event("aed.registered", aed_id="AED-CASINO", name="Casino atrium", lat=43.7391, lon=7.4276, access="24h")
    alert_id = new_uuid()
    s.event("responders.alerted", alert_id=alert_id, incident_id=incident_id, radius_m=500,
            volunteers=[{"volunteer_id": "vol-1", "distance_m": 180.0}, {"volunteer_id": "vol-2", "distance_m": 420.0}])
    qtbot.waitUntil(lambda: panel.list.count() == 2)
    assert panel.summary.text() == "Alerted 2, accepted 0, arrived 0"
    base = {"alert_id": alert_id, "incident_id": incident_id, "volunteer_id": "vol-1"}
    s.event("responders.responded", **base, response="accepted")
    s.event("responders.aed_assigned", **base, aed_id="AED-CASINO", walk_s=245.0, distance_m=343.0,
            route="straight_line")
    qtbot.waitUntil(lambda: "Casino atrium" in panel.list.item(0).text())
    assert "Anne" in panel.list.item(0).text() and "4 min 05 s" in panel.list.item(0).text()
    s.event("responders.responded", **base, response="arrived")
    qtbot.waitUntil(lambda: panel.summary.text() == "Alerted 2, accepted 1, arrived 1")


def test_with_the_citys_road_graph_hospitals_are_ranked_by_road_not_straight_line(seat, qtbot):
    from app.dispatch.destination import TravelSource

    window = seat.window
    router = getattr(getattr(window, "recommendation", None), "router", None)
    if router is None:  # the seat fixture builds the window without the shipped Monaco graph
        from app.mapdata.city import city_dir
        from app.routing.engine import GraphRouter
        from widgets.destination_panel import DestinationPanel

        router = GraphRouter.for_city(city_dir(None), 1.2)
        panel = DestinationPanel(window.store, window.runner, window.form.incident_for_dispatch, router=router)
        qtbot.addWidget(panel)
    else:
        panel = window.destination
    monaco_hospitals(seat)
    incident_id = arrest_incident(seat)
    panel.follow_incident(incident_id)
    qtbot.waitUntil(lambda: len(panel.rows) == 2)
    chpg = next(d for d in panel.rows if d.hospital_id == "H-CHPG")
    assert chpg.travel is not None and chpg.travel.source == TravelSource.ROAD
    assert chpg.travel.distance_m > 1330  # a road is never shorter than the 1.33 km straight line


def test_a_hospital_going_on_diversion_re_ranks_the_open_destination_list_at_once(seat, qtbot):
    monaco_hospitals(seat)
    arrest_incident(seat)
    panel = seat.window.destination
    qtbot.waitUntil(lambda: [d.hospital_id for d in panel.rows] == ["H-CHPG", "H-NEAR"])
    seat.server.event("hospital.status_changed", hospital_id="H-CHPG", status="diverting", previous="open",
                      note="CT down")
    # The store's hospital_changed signal re-ranked the list while the event was applied: no
    # polling, no event-loop turn needed.
    assert [d.hospital_id for d in panel.rows] == ["H-NEAR", "H-CHPG"]
    assert "diverting" in panel.table.item(1, 4).text()
    seat.server.event("hospital.capabilities_set", hospital_id="H-NEAR", capabilities=["chest_pain_centre", "pci"],
                      trauma_level=None)
    assert panel.table.item(0, 3).text() == "matches"


def test_a_penetrating_wound_asks_for_a_level_one_trauma_centre_and_the_tab_says_why(seat, qtbot):
    monaco_hospitals(seat)
    s = seat.server
    s.event("hospital.registered", hospital_id="H-T1", name="CHU de Nice Pasteur", lat=43.7230, lon=7.2820)
    s.event("hospital.capabilities_set", hospital_id="H-T1", capabilities=["trauma_centre", "burns"], trauma_level=1)
    incident_id = new_uuid()
    s.event("incident.created", incident_id=incident_id, call_id=None, seat_id="seat-1", address="Place du Casino",
            callback_number=None, description="stabbed", patients=1, priority=1)
    s.event("incident.located", incident_id=incident_id, lat=SCENE[0], lon=SCENE[1], source="map_click",
            candidate_source=None, address=None, seat_id="seat-1")
    s.event("triage.completed", incident_id=incident_id, protocol="trauma_bleeding", protocol_version="2026.11",
            determinant="09-A-1", priority=1, plan="als_emergency_police", capability="als", cpr=False)
    seat.window._on_incident_selected(incident_id)
    panel = seat.window.destination
    qtbot.waitUntil(lambda: bool(panel.rows) and panel.rows[0].hospital_id == "H-T1")
    # the level-2 trauma centre nearer by is listed lower, with what it lacks
    chpg = next(i for i, d in enumerate(panel.rows) if d.hospital_id == "H-CHPG")
    assert "trauma level" in panel.table.item(chpg, 3).text()
    status = panel.status.text()
    assert status.startswith("Severe trauma (high-risk criteria): the highest-level trauma centre")
    assert "trauma centre level I" in status
