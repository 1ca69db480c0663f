"""The dispatcher reads where the caller is as a crew would say it: the nearest house for a precise fix.

A caller's handset fix next to a numbered house in the shipped demo city (12 Chemin de la Turbie,
Monaco) becomes "near 12 Chemin de la Turbie (±15 m)": the house, marked approximate, with the
fix's accuracy. A coarse fix, or a precise one with no house close enough, gives only the street:
a house number from a coarse fix would send the crew to the wrong door. An address the caller or
the dispatcher gave is never replaced by the derived one.
"""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt

from app.mapdata.address_index import AddressIndex
from app.mapdata.city import DEFAULT_CITY_DIR
from tests.gui.conftest import SEAT, Seat
from tests.gui.test_location_panel import answer_and_save, at, ring_with_locations
from widgets.i18n_runtime import CHINESE, ENGLISH, LanguageSwitcher
from widgets.location_panel import PRECISE_FIX_ACCURACY_M, CityLookup, address_reach_m

HOUSE = "12 Chemin de la Turbie"
STREET = "Chemin de la Turbie"
BESIDE_HOUSE = (43.7375185, 7.4175475)  # 8 m north of the house's address point, 11 m from the street
ACROSS_THE_STREET = (43.7377485, 7.4178475)  # 41 m from the house, 5 m from the street


def fix(seat: Seat, source: str, where: tuple[float, float], accuracy_m: float | None,
        address: str | None = None) -> dict:
    return {"source": source, "lat": where[0], "lon": where[1], "accuracy_m": accuracy_m, "at": at(seat, 30),
            "address": address}


def confirm(seat: Seat, qtbot) -> dict:
    """Ctrl+Shift+L, and the server's answer: returns the incident.locate arguments sent."""
    qtbot.keyClick(seat.window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: bool(seat.sync.named("incident.locate")))
    [locate] = seat.sync.named("incident.locate")
    seat.server.event("incident.located", seat_id=SEAT, ref=locate.command_id, **locate.args)
    return locate.args


def strip_shows(seat: Seat, qtbot, text: str) -> None:
    box = seat.window.location_box
    qtbot.waitUntil(lambda: box.street.text() == text and box.street.isVisible())


def test_a_precise_gps_fix_beside_a_numbered_house_shows_the_house_marked_approximate(seat: Seat, qtbot):
    ring_with_locations(seat, "c-1", "13800138000", [fix(seat, "gps", BESIDE_HOUSE, 15.0)])
    answer_and_save(seat, qtbot, "c-1")

    args = confirm(seat, qtbot)

    assert args["address"] == f"near {HOUSE} (±15 m)"
    strip_shows(seat, qtbot, f"near {HOUSE} (±15 m)")
    assert "confirm it with the caller" in seat.window.location_box.street.toolTip()


def test_a_coarse_cell_fix_at_the_same_place_shows_only_the_street(seat: Seat, qtbot):
    ring_with_locations(seat, "c-1", "13800138000", [fix(seat, "cell", BESIDE_HOUSE, 300.0)])
    answer_and_save(seat, qtbot, "c-1")

    args = confirm(seat, qtbot)

    assert args["address"] == STREET
    strip_shows(seat, qtbot, f"{STREET}, 11 m")
    assert seat.window.location_box.street.toolTip() == ""


def test_a_precise_fix_with_the_house_farther_than_twice_its_accuracy_shows_the_street(seat: Seat, qtbot):
    # ±20 m: the house 41 m away is beyond 2 × 20 m — the caller may well be across the street.
    ring_with_locations(seat, "c-1", "13800138000", [fix(seat, "gps", ACROSS_THE_STREET, 20.0)])
    answer_and_save(seat, qtbot, "c-1")

    args = confirm(seat, qtbot)

    assert args["address"] == STREET
    strip_shows(seat, qtbot, f"{STREET}, 5 m")


def test_a_fix_of_unknown_accuracy_never_gets_a_house_number(seat: Seat, qtbot):
    ring_with_locations(seat, "c-1", "13800138000", [fix(seat, "wifi", BESIDE_HOUSE, None)])
    answer_and_save(seat, qtbot, "c-1")

    assert confirm(seat, qtbot)["address"] == STREET
    strip_shows(seat, qtbot, f"{STREET}, 11 m")


def test_the_reach_of_a_fix_is_twice_its_accuracy_and_none_when_coarse():
    assert address_reach_m(25.0) == 50.0
    assert address_reach_m(5.0) == 20.0  # never less than an address point's distance from the rooms
    assert address_reach_m(PRECISE_FIX_ACCURACY_M) == 2 * PRECISE_FIX_ACCURACY_M
    assert address_reach_m(PRECISE_FIX_ACCURACY_M + 1) is None
    assert address_reach_m(None) is None and address_reach_m(0.0) is None


def test_the_callers_own_address_is_sent_as_it_is_not_replaced_by_the_derived_one(seat: Seat, qtbot):
    given = "Villa Les Lierres, 12 Chemin de la Turbie, 2nd floor"
    ring_with_locations(seat, "c-1", "13800138000", [fix(seat, "caller_link", BESIDE_HOUSE, 15.0, address=given)])
    answer_and_save(seat, qtbot, "c-1")

    assert confirm(seat, qtbot)["address"] == given
    # The strip still suggests what the fix says; the incident keeps the caller's words.
    strip_shows(seat, qtbot, f"near {HOUSE} (±15 m)")
    [incident_id] = list(seat.store.state.incidents)
    assert seat.store.state.incidents[incident_id]["location"]["address"] == given


def test_the_address_the_dispatcher_typed_stays_when_the_fix_is_confirmed(seat: Seat, qtbot):
    ring_with_locations(seat, "c-1", "13800138000", [fix(seat, "gps", BESIDE_HOUSE, 15.0)])
    incident_id = answer_and_save(seat, qtbot, "c-1")  # the dispatcher typed "Port Hercule"

    confirm(seat, qtbot)

    strip_shows(seat, qtbot, f"near {HOUSE} (±15 m)")
    assert seat.window.form.address.text() == "Port Hercule"
    assert seat.store.state.incidents[incident_id]["address"] == "Port Hercule"


def test_an_empty_address_field_offers_the_approximate_house_as_its_default(seat: Seat, qtbot):
    ring_with_locations(seat, "c-1", "13800138000", [fix(seat, "gps", BESIDE_HOUSE, 15.0)])
    seat.window.call_panel.answer()
    seat.server.event("call.answered", call_id="c-1", seat_id=SEAT)
    form = seat.window.form
    qtbot.waitUntil(lambda: form.call_id == "c-1")
    assert form.save()  # nothing typed
    [create] = seat.sync.named("incident.create")
    seat.server.event("incident.created", incident_id=create.args["incident_id"], call_id="c-1", seat_id=SEAT,
                      address=None, ref=create.command_id)

    confirm(seat, qtbot)

    qtbot.waitUntil(lambda: f"near {HOUSE} (±15 m)" in form.address.placeholderText())
    assert form.address.text() == ""  # a suggestion: the dispatcher confirms it with the caller


def test_the_house_is_looked_up_off_the_gui_thread_before_the_dispatcher_confirms(seat: Seat, qtbot):
    box = seat.window.location_box
    asked_on: list[int] = []
    lookup_house = box.lookup.nearest_address

    def recording(lat, lon, max_distance_m=100.0):
        asked_on.append(threading.get_ident())
        return lookup_house(lat, lon, max_distance_m)

    box.lookup.nearest_address = recording  # the seat's own CityLookup, watched
    # Asked of the worker as soon as the call is on the form; its answer is cached for Ctrl+Shift+L.
    with qtbot.waitSignal(box.worker.address_done, timeout=5000):
        ring_with_locations(seat, "c-1", "13800138000", [fix(seat, "gps", BESIDE_HOUSE, 15.0)])
        answer_and_save(seat, qtbot, "c-1")

    assert confirm(seat, qtbot)["address"] == f"near {HOUSE} (±15 m)"
    strip_shows(seat, qtbot, f"near {HOUSE} (±15 m)")
    assert asked_on and threading.get_ident() not in asked_on


@pytest.fixture
def chinese(styled_app):
    switcher = LanguageSwitcher()
    assert switcher.set_language(CHINESE)
    yield switcher
    switcher.set_language(ENGLISH)  # leave the application as the other tests expect it


def test_in_chinese_the_house_reads_yue_fujin(seat: Seat, qtbot, chinese):
    ring_with_locations(seat, "c-1", "13800138000", [fix(seat, "gps", BESIDE_HOUSE, 15.0)])
    answer_and_save(seat, qtbot, "c-1")

    assert confirm(seat, qtbot)["address"] == f"约 {HOUSE} 附近 (±15 m)"
    strip_shows(seat, qtbot, f"约 {HOUSE} 附近 (±15 m)")
    assert "请与来电者核实" in seat.window.location_box.street.toolTip()


def test_the_seats_lookup_answers_from_the_shipped_address_index(monkeypatch):
    asked: list[tuple[float, float]] = []
    grid_lookup = AddressIndex.nearest

    def recording(self, lat, lon, max_distance_m=100.0):
        asked.append((lat, lon))
        return grid_lookup(self, lat, lon, max_distance_m)

    monkeypatch.setattr(AddressIndex, "nearest", recording)
    lookup = CityLookup(DEFAULT_CITY_DIR)
    assert lookup.city.addresses is not None, "the shipped demo city has its address index"

    name, metres = lookup.nearest_address(*BESIDE_HOUSE)

    assert (name, round(metres)) == (HOUSE, 8)
    assert asked == [BESIDE_HOUSE]
    lookup.city.close()
