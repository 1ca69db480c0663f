"""The dispatcher sees where the caller is, how sure that is, and sets the incident's position."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Qt

from app.protocol import format_ts
from tests.gui.conftest import SEAT, Seat


def at(seat: Seat, seconds_ago: float) -> str:
    return format_ts(seat.server.now - timedelta(seconds=seconds_ago))


def ring_with_locations(seat: Seat, call_id: str, number: str, locations: list[dict]) -> None:
    seat.server.event("call.received", call_id=call_id, caller_number=number, caller_name=None,
                      location_text=None, line=None, locations=locations, seconds_ago=20)
    seat.server.event("call.ringing", call_id=call_id, seat_id=SEAT, seconds_ago=19)


def gps(seat, lat=43.7384, lon=7.4246, accuracy_m=35.0):
    return {"source": "gps", "lat": lat, "lon": lon, "accuracy_m": accuracy_m, "at": at(seat, 60), "address": None}


def cell(seat, lat=43.7484, lon=7.4246, accuracy_m=300.0):
    return {"source": "cell", "lat": lat, "lon": lon, "accuracy_m": accuracy_m, "at": at(seat, 90), "address": None}


def test_ringing_call_shows_best_location_and_warns_when_sources_disagree(seat: Seat, qtbot):
    ring_with_locations(seat, "c-1", "13800138000", [cell(seat), gps(seat)])
    view = seat.window.call_panel.location
    qtbot.waitUntil(lambda: view.isVisible() and "GPS" in view.best.text())
    assert "±35 m" in view.best.text()
    assert view.warning.isVisible()
    assert "1.1 km" in view.warning.text() and "Cell" in view.warning.text()
    assert view.candidates.count() == 2


def test_a_candidate_without_accuracy_says_so_and_a_landline_address_is_text(seat: Seat, qtbot):
    landline = {"source": "landline_address", "lat": None, "lon": None, "accuracy_m": None, "at": None,
                "address": "Boulevard Albert 1er 12"}
    ring_with_locations(seat, "c-1", "02363451234", [gps(seat, accuracy_m=None), landline])
    view = seat.window.call_panel.location
    qtbot.waitUntil(lambda: "accuracy unknown" in view.best.text())
    assert not view.warning.isVisible()
    texts = [view.candidates.item(i).text() for i in range(view.candidates.count())]
    assert texts[-1] == "Landline registered address: Boulevard Albert 1er 12"


def answer_and_save(seat: Seat, qtbot, call_id: str) -> str:
    seat.window.call_panel.answer()
    seat.server.event("call.answered", call_id=call_id, seat_id=SEAT)
    form = seat.window.form
    qtbot.waitUntil(lambda: form.call_id == call_id)
    form.address.setText("Port Hercule")
    assert form.save()
    [create] = seat.sync.named("incident.create")
    seat.server.event("incident.created", incident_id=create.args["incident_id"], call_id=call_id,
                      seat_id=SEAT, address="Port Hercule", ref=create.command_id)
    return create.args["incident_id"]


def test_ctrl_shift_l_confirms_the_best_caller_location(seat: Seat, qtbot):
    ring_with_locations(seat, "c-1", "13800138000", [cell(seat), gps(seat)])
    incident_id = answer_and_save(seat, qtbot, "c-1")
    qtbot.keyClick(seat.window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: bool(seat.sync.named("incident.locate")))
    [locate] = seat.sync.named("incident.locate")
    street = seat.window.location_box.lookup.nearest(43.7384, 7.4246)[0]
    assert locate.args == {"incident_id": incident_id, "lat": 43.7384, "lon": 7.4246, "source": "candidate",
                           "candidate_source": "gps", "address": street}
    seat.server.event("incident.located", seat_id=SEAT, ref=locate.command_id, **locate.args)
    box = seat.window.location_box
    qtbot.waitUntil(lambda: "43.73840" in box.position.text())
    assert "seat-1" in box.position.text() and "GPS" in box.position.text()
    # The reverse lookup names the nearest street of the imported demo city.
    assert " m" in box.street.text()


def test_address_search_with_partial_input_locates_the_incident(seat: Seat, qtbot):
    ring_with_locations(seat, "c-1", "13800138000", [gps(seat)])
    incident_id = answer_and_save(seat, qtbot, "c-1")
    box = seat.window.location_box
    assert box.lookup is not None, "the demo city (resources/maps/monaco) is imported"
    box.search.setFocus()
    qtbot.keyClicks(box.search, "albert")
    qtbot.waitUntil(lambda: len(box.results) > 0)
    assert "Albert" in box.results[0].name
    qtbot.keyClick(box.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(seat.sync.named("incident.locate")))
    [locate] = seat.sync.named("incident.locate")
    assert locate.args["incident_id"] == incident_id
    assert locate.args["source"] == "address_search"
    assert "Albert" in locate.args["address"]


def test_a_map_click_is_sent_as_incident_locate(seat: Seat, qtbot):
    ring_with_locations(seat, "c-1", "13800138000", [gps(seat)])
    answer_and_save(seat, qtbot, "c-1")
    assert seat.window.location_box.locate_at(43.7301, 7.4201, "map_click")
    [locate] = seat.sync.named("incident.locate")
    assert (locate.args["lat"], locate.args["lon"], locate.args["source"]) == (43.7301, 7.4201, "map_click")


def test_the_confirmed_location_fills_the_address_unless_the_dispatcher_typed_one_and_both_are_kept(
        seat: Seat, qtbot):
    ring_with_locations(seat, "c-1", "13800138000", [gps(seat)])
    seat.window.call_panel.answer()
    seat.server.event("call.answered", call_id="c-1", seat_id=SEAT)
    form = seat.window.form
    qtbot.waitUntil(lambda: form.call_id == "c-1")
    assert form.save()  # nothing typed in the address
    [create] = seat.sync.named("incident.create")
    incident_id = create.args["incident_id"]
    seat.server.event("incident.created", incident_id=incident_id, call_id="c-1", seat_id=SEAT, address=None,
                      ref=create.command_id)
    qtbot.keyClick(seat.window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: bool(seat.sync.named("incident.locate")))
    [locate] = seat.sync.named("incident.locate")
    street = seat.window.location_box.lookup.nearest(43.7384, 7.4246)[0]
    assert locate.args["address"] == street  # the reverse-geocoded street goes with the position
    seat.server.event("incident.located", seat_id=SEAT, ref=locate.command_id, **locate.args)
    queue = seat.window.queue.table
    qtbot.waitUntil(lambda: any(queue.item(r, 2).text() == street for r in range(queue.rowCount())))
    assert street in form.address.placeholderText() and form.address.text() == ""
    # The dispatcher types the address the caller gives: the queue shows it, the located one is kept.
    seat.server.event("incident.updated", incident_id=incident_id, changes={"address": "Quai Antoine 1er 4"})
    qtbot.waitUntil(lambda: any(queue.item(r, 2).text() == "Quai Antoine 1er 4" for r in range(queue.rowCount())))
    incident = seat.store.state.incidents[incident_id]
    assert (incident["address"], incident["location"]["address"]) == ("Quai Antoine 1er 4", street)
