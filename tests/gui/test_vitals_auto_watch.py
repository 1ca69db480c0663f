"""The vitals wall starts watching a unit's ECG when it is on scene at this seat's incident, and
lets it go when the unit clears; the dispatcher's own choice wins. A real seat window and store,
fed by protocol events."""

from __future__ import annotations

import pytest

from tests.gui.conftest import OTHER_SEAT, SEAT

MINE = "00000000-0000-4000-8000-0000000000a1"
THEIRS = "00000000-0000-4000-8000-0000000000b2"


class Crew:
    """Plays a unit's terminal: its statuses, with the version the server would give."""

    def __init__(self, server, unit_id: str) -> None:
        self.server, self.unit_id, self.version, self.status = server, unit_id, 0, "available"

    def assigned(self, incident_id: str) -> None:
        self.version += 1
        self.server.event("unit.assigned", incident_id=incident_id, unit_id=self.unit_id, version=self.version)
        self.incident_id, self.status = incident_id, "dispatched"

    def reports(self, *statuses: str) -> None:
        for status in statuses:
            self.version += 1
            self.server.event("unit.status_changed", unit_id=self.unit_id, status=status, previous=self.status,
                              incident_id=self.incident_id, version=self.version, manual=False)
            self.status = status


@pytest.fixture
def desk(seat):
    server = seat.server
    for unit_id in ("u1", "u3"):  # u1 and u3 carry a monitor; u2 has no device registered
        server.event("principal.registered", principal_id=f"dev-{unit_id}", role="device",
                     name=f"{unit_id} monitor", unit_id=unit_id)
    server.event("incident.created", incident_id=MINE, seat_id=SEAT, address="南坪西路 8 号", priority=1)
    server.event("incident.created", incident_id=THEIRS, seat_id=OTHER_SEAT, address="解放碑", priority=2)
    wall = seat.window.vitals_wall
    wall.auto_watch = True  # the setting vitals_auto_watch (default on), as the composition root sets it
    return seat, wall


def test_a_units_ecg_is_watched_from_on_scene_at_my_incident_until_it_clears(desk):
    seat, wall = desk
    u1 = Crew(seat.server, "u1")
    u1.assigned(MINE)
    u1.reports("en_route")
    assert wall.watched() == []

    u1.reports("on_scene")
    assert wall.watched() == ["u1"] and wall.automatic() == ["u1"]
    assert seat.window.vitals_dock.isVisible()

    u1.reports("transporting", "at_hospital")  # the patient is still on the monitor
    assert wall.watched() == ["u1"]

    u1.reports("available")
    assert wall.watched() == [] and wall.automatic() == []


def test_no_ecg_or_another_seats_incident_is_not_watched(desk):
    seat, wall = desk
    u2, u3 = Crew(seat.server, "u2"), Crew(seat.server, "u3")
    u2.assigned(MINE)
    u2.reports("en_route", "on_scene")  # no monitor registered for u2
    u3.assigned(THEIRS)
    u3.reports("en_route", "on_scene")  # seat-2's incident
    assert wall.watched() == []


def test_a_monitor_the_dispatcher_closed_stays_closed_for_that_incident(desk):
    seat, wall = desk
    u1 = Crew(seat.server, "u1")
    u1.assigned(MINE)
    u1.reports("en_route", "on_scene")
    assert wall.watched() == ["u1"]

    wall.monitors["u1"].close_requested.emit("u1")  # the dispatcher closes the monitor

    assert wall.watched() == []
    u1.reports("transporting")
    assert wall.watched() == []


def test_a_unit_the_dispatcher_watches_is_not_let_go_when_it_clears(desk):
    seat, wall = desk
    u1 = Crew(seat.server, "u1")
    u1.assigned(MINE)
    u1.reports("en_route", "on_scene")
    wall.watch("u1")  # the dispatcher chooses it too (unit board: Watch vitals)
    assert wall.automatic() == []

    u1.reports("available")
    assert wall.watched() == ["u1"]


def test_with_the_setting_off_nothing_is_watched_by_itself(desk):
    seat, wall = desk
    wall.auto_watch = False
    u1 = Crew(seat.server, "u1")
    u1.assigned(MINE)
    u1.reports("en_route", "on_scene")
    assert wall.watched() == []
