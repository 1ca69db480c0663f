"""The incident state machine, as dispatchers and crews live it.

Each test drives the pure core the way the server does (``decide`` -> events ->
``State.apply``, see ``domain_harness``) and checks what the centre would see.
"""

from __future__ import annotations

from app.domain.model import IncidentState, Milestone
from app.protocol import ErrorCode
from tests.unit.domain_harness import (
    INCIDENT_1,
    INCIDENT_2,
    device,
    names,
    open_incident,
    refused,
    report,
    seat,
    staffed_centre,
)


def assign(c, unit_id: str, incident_id: str = INCIDENT_1, at: str = "seat-1", **extra):
    return c.send(seat(at), "unit.assign", {"incident_id": incident_id, "unit_id": unit_id, **extra})


def close(c, reason: str, incident_id: str = INCIDENT_1, at: str = "seat-1", note: str | None = None):
    return c.send(seat(at), "incident.close", {"incident_id": incident_id, "reason": reason, "note": note})


# ---------------------------------------------------------------- the whole cycle


def test_crew_reports_full_transport_cycle_and_every_milestone_is_stamped():
    c = staffed_centre()
    at = open_incident(c, patients=1, priority=2)
    states = [c.incident(INCIDENT_1)["state"]]
    assign(c, "A01", at=at)
    states.append(c.incident(INCIDENT_1)["state"])
    for status in ("en_route", "on_scene", "transporting", "at_hospital", "available"):
        report(c, "A01", status)
        states.append(c.incident(INCIDENT_1)["state"])
    close(c, "transported", at=at, note="已移交重医附一院急诊科")
    states.append(c.incident(INCIDENT_1)["state"])

    assert states == [s.value for s in IncidentState]  # open ... handed_over, closed: every step seen

    def ts_of(name: str, **data) -> str:
        [found] = [
            e for e in c.log if e["name"] == name and all(e["data"].get(k) == v for k, v in data.items())
        ]
        return found["ts"]

    expected = {
        Milestone.CALL_RECEIVED: ts_of("call.received"),
        Milestone.CALL_ANSWERED: ts_of("call.answered"),
        Milestone.INCIDENT_CREATED: ts_of("incident.created"),
        Milestone.UNIT_DISPATCHED: ts_of("unit.assigned"),
        Milestone.UNIT_DEPARTED: ts_of("unit.status_changed", status="en_route"),
        Milestone.ON_SCENE: ts_of("unit.status_changed", status="on_scene"),
        Milestone.LEFT_SCENE: ts_of("unit.status_changed", status="transporting"),
        Milestone.AT_HOSPITAL: ts_of("unit.status_changed", status="at_hospital"),
        Milestone.HANDOVER: ts_of("unit.status_changed", status="available"),
        Milestone.CLOSED: ts_of("incident.closed"),
    }
    incident = c.incident(INCIDENT_1)
    assert incident["milestones"] == {m.value: ts for m, ts in expected.items()}
    in_order = [incident["milestones"][m.value] for m in Milestone]
    assert in_order == sorted(in_order) and len(set(in_order)) == len(in_order)
    assert incident["close_reason"] == "transported"
    assert incident["close_note"] == "已移交重医附一院急诊科"
    unit = c.unit("A01")
    assert unit["status"] == "available" and unit["incident_id"] is None
    assert unit["version"] == 6  # assigned + five reports


def test_crew_reports_are_stamped_as_device_reports_and_seat_reports_as_manual():
    c = staffed_centre()
    at = open_incident(c)
    assign(c, "A01", at=at)
    [by_device] = c.send(device("A01"), "unit.status", {"unit_id": "A01", "status": "en_route"})
    [by_seat] = c.send(seat(at), "unit.status", {"unit_id": "A01", "status": "on_scene"})
    assert by_device["data"]["manual"] is False
    assert by_seat["data"]["manual"] is True
    assert by_seat["data"]["incident_id"] == INCIDENT_1


def test_treated_on_scene_closes_without_transport():
    c = staffed_centre()
    at = open_incident(c)
    assign(c, "A01", at=at)
    report(c, "A01", "en_route", "on_scene", "available")
    assert c.incident(INCIDENT_1)["state"] == IncidentState.ON_SCENE
    close(c, "treated_on_scene", at=at)
    incident = c.incident(INCIDENT_1)
    assert incident["state"] == IncidentState.CLOSED
    assert Milestone.HANDOVER.value not in incident["milestones"]
    assert Milestone.LEFT_SCENE.value not in incident["milestones"]


def test_second_unit_arriving_later_does_not_set_the_incident_back():
    c = staffed_centre()
    at = open_incident(c, patients=2)
    assign(c, "A01", at=at)
    report(c, "A01", "en_route", "on_scene", "transporting")
    assign(c, "A02", at=at)
    report(c, "A02", "en_route", "on_scene")
    incident = c.incident(INCIDENT_1)
    assert incident["state"] == IncidentState.TRANSPORTING
    assert incident["units"] == ["A01", "A02"]
    first_on_scene = incident["milestones"][Milestone.ON_SCENE.value]
    assert first_on_scene < c.unit("A02")["since"]  # the milestone is the first unit's arrival


def test_repeated_status_report_is_harmless():
    c = staffed_centre()
    at = open_incident(c)
    assign(c, "A01", at=at)
    report(c, "A01", "en_route")
    before = c.state.to_dict()
    assert c.send(device("A01"), "unit.status", {"unit_id": "A01", "status": "en_route"}) == []
    # Even with the version the crew saw before its own report (a resend after a reconnect).
    assert (
        c.send(device("A01"), "unit.status", {"unit_id": "A01", "status": "en_route", "unit_version": 1})
        == []
    )
    assert c.state.to_dict() == before


def test_incident_update_records_only_what_changed():
    c = staffed_centre()
    at = open_incident(c, patients=1, priority=3)
    [updated] = c.send(
        seat(at),
        "incident.update",
        {"incident_id": INCIDENT_1, "patients": 2, "priority": 3, "address": "重庆市渝中区民族路166号"},
    )
    assert updated["data"]["changes"] == {"patients": 2}
    assert c.send(seat(at), "incident.update", {"incident_id": INCIDENT_1, "patients": 2}) == []
    assert c.incident(INCIDENT_1)["patients"] == 2


# ---------------------------------------------------------------- assignment


def test_unit_cannot_be_assigned_twice():
    c = staffed_centre()
    at = open_incident(c)
    open_incident(c, INCIDENT_2, call_id="20261127-0002")
    assign(c, "A01", at=at)
    with refused(ErrorCode.UNIT_BUSY) as exc:
        assign(c, "A01", INCIDENT_2, at="seat-2")
    assert INCIDENT_1 in exc.value.message
    with refused(ErrorCode.UNIT_BUSY):
        assign(c, "A01", INCIDENT_1, at=at)  # the same incident again: no second dispatch event
    assert c.unit("A01")["incident_id"] == INCIDENT_1
    assert c.incident(INCIDENT_2)["units"] == []


def test_unit_out_of_service_cannot_be_assigned():
    c = staffed_centre()
    at = open_incident(c)
    c.send(seat(at), "unit.status", {"unit_id": "A02", "status": "out_of_service"})
    with refused(ErrorCode.UNIT_BUSY):
        assign(c, "A02", at=at)


def test_stale_unit_version_conflicts():
    c = staffed_centre()
    at = open_incident(c)
    seen = c.unit("A02")["version"]
    # While the dispatcher looks at the board, the crew goes off and back on duty.
    report(c, "A02", "out_of_service", "available")
    with refused(ErrorCode.CONFLICT) as exc:
        assign(c, "A02", at=at, unit_version=seen)
    assert "version 2" in exc.value.message
    assign(c, "A02", at=at, unit_version=c.unit("A02")["version"])
    assert c.unit("A02")["status"] == "dispatched"


def test_stale_version_in_a_status_report_conflicts():
    c = staffed_centre()
    at = open_incident(c)
    assign(c, "A01", at=at)
    report(c, "A01", "en_route")
    with refused(ErrorCode.CONFLICT):
        c.send(seat(at), "unit.status", {"unit_id": "A01", "status": "available", "unit_version": 1})


def test_assignment_of_unknown_unit_or_incident_is_not_found():
    c = staffed_centre()
    at = open_incident(c)
    with refused(ErrorCode.NOT_FOUND):
        assign(c, "A99", at=at)
    with refused(ErrorCode.NOT_FOUND):
        assign(c, "A01", INCIDENT_2, at=at)


def test_no_unit_is_sent_to_a_patient_already_handed_over():
    c = staffed_centre()
    at = open_incident(c)
    assign(c, "A01", at=at)
    report(c, "A01", "en_route", "on_scene", "transporting", "at_hospital", "available")
    with refused(ErrorCode.ILLEGAL_TRANSITION):
        assign(c, "A02", at=at)


# ---------------------------------------------------------------- unit transitions


def test_illegal_unit_transition_is_refused():
    c = staffed_centre()
    at = open_incident(c)
    with refused(ErrorCode.ILLEGAL_TRANSITION):
        report(c, "A01", "on_scene")  # available -> on_scene: the crew skipped the dispatch
    with refused(ErrorCode.ILLEGAL_TRANSITION):
        report(c, "A01", "dispatched")  # only a dispatcher's assignment dispatches a unit
    assign(c, "A01", at=at)
    report(c, "A01", "en_route", "on_scene", "transporting")
    with refused(ErrorCode.ILLEGAL_TRANSITION):
        report(c, "A01", "available")  # a unit with a patient on board cannot just clear
    with refused(ErrorCode.ILLEGAL_TRANSITION):
        report(c, "A01", "en_route")  # no going back
    assert c.unit("A01")["status"] == "transporting"


def test_device_cannot_report_another_units_status():
    c = staffed_centre()
    with refused(ErrorCode.FORBIDDEN) as exc:
        c.send(device("A01"), "unit.status", {"unit_id": "A02", "status": "out_of_service"})
    assert "A01" in exc.value.message
    assert c.unit("A02")["status"] == "available"


def test_device_cannot_dispatch_or_create_incidents():
    c = staffed_centre()
    at = open_incident(c)
    with refused(ErrorCode.FORBIDDEN):
        c.send(device("A01"), "unit.assign", {"incident_id": INCIDENT_1, "unit_id": "A01"})
    with refused(ErrorCode.FORBIDDEN):
        c.send(device("A01"), "incident.create", {"incident_id": INCIDENT_2})
    assert c.incident(INCIDENT_1)["seat_id"] == at


# ---------------------------------------------------------------- closing


def test_incident_cannot_be_closed_as_transported_before_handover():
    c = staffed_centre()
    at = open_incident(c)
    assign(c, "A01", at=at)
    report(c, "A01", "en_route", "on_scene", "transporting", "at_hospital")
    with refused(ErrorCode.ILLEGAL_TRANSITION):
        close(c, "transported", at=at)  # the crew is still at the hospital
    report(c, "A01", "available")
    close(c, "transported", at=at)
    assert c.incident(INCIDENT_1)["state"] == IncidentState.CLOSED


def test_incident_never_transported_cannot_be_closed_as_transported():
    c = staffed_centre()
    at = open_incident(c)
    assign(c, "A01", at=at)
    report(c, "A01", "en_route", "on_scene", "available")
    with refused(ErrorCode.ILLEGAL_TRANSITION):
        close(c, "transported", at=at)


def test_incident_with_a_unit_still_working_cannot_be_closed_as_treated():
    c = staffed_centre()
    at = open_incident(c)
    assign(c, "A01", at=at)
    report(c, "A01", "en_route", "on_scene")
    with refused(ErrorCode.ILLEGAL_TRANSITION) as exc:
        close(c, "treated_on_scene", at=at)
    assert "急救1" in exc.value.message


def test_cancelling_stands_down_dispatched_unit():
    c = staffed_centre()
    at = open_incident(c)
    assign(c, "A01", at=at)
    assign(c, "A02", at=at)
    report(c, "A01", "en_route")
    closing = close(c, "cancelled", at=at, note="报警人称患者已自行就医")
    assert names(closing) == ["unit.status_changed", "unit.status_changed", "incident.closed"]
    stood_down = {e["data"]["unit_id"]: e["data"] for e in closing[:2]}
    assert stood_down["A01"]["previous"] == "en_route" and stood_down["A02"]["previous"] == "dispatched"
    assert all(
        d["status"] == "available" and d["manual"] and d["incident_id"] == INCIDENT_1
        for d in stood_down.values()
    )
    for unit_id in ("A01", "A02"):
        assert c.unit(unit_id)["status"] == "available"
        assert c.unit(unit_id)["incident_id"] is None
    assert c.incident(INCIDENT_1)["close_reason"] == "cancelled"
    # The stood-down unit is free for the next call at once.
    open_incident(c, INCIDENT_2, call_id="20261127-0002")
    assign(c, "A01", INCIDENT_2, at="seat-2", unit_version=c.unit("A01")["version"])
    assert c.unit("A01")["incident_id"] == INCIDENT_2


def test_duplicate_incident_stands_its_units_down_too():
    c = staffed_centre()
    at = open_incident(c)
    assign(c, "A01", at=at)
    closing = close(c, "duplicate", at=at)
    assert names(closing) == ["unit.status_changed", "incident.closed"]


def test_unit_with_patient_on_board_cannot_be_stood_down():
    c = staffed_centre()
    at = open_incident(c)
    assign(c, "A01", at=at)
    report(c, "A01", "en_route", "on_scene", "transporting")
    with refused(ErrorCode.ILLEGAL_TRANSITION) as exc:
        close(c, "cancelled", at=at)
    assert "急救1" in exc.value.message
    assert c.incident(INCIDENT_1)["state"] == IncidentState.TRANSPORTING
    report(c, "A01", "at_hospital")
    with refused(ErrorCode.ILLEGAL_TRANSITION):
        close(c, "cancelled", at=at)


def test_closed_incident_refuses_further_work():
    c = staffed_centre()
    at = open_incident(c)
    close(c, "no_patient_found", at=at)
    with refused(ErrorCode.ILLEGAL_TRANSITION):
        close(c, "cancelled", at=at)
    with refused(ErrorCode.ILLEGAL_TRANSITION):
        assign(c, "A01", at=at)
    with refused(ErrorCode.ILLEGAL_TRANSITION):
        c.send(seat(at), "incident.update", {"incident_id": INCIDENT_1, "patients": 3})


# ---------------------------------------------------------------- creating


def test_incident_id_cannot_be_reused():
    c = staffed_centre()
    at = open_incident(c)
    with refused(ErrorCode.CONFLICT):
        c.send(seat(at), "incident.create", {"incident_id": INCIDENT_1})


def test_call_belongs_to_one_incident_only():
    c = staffed_centre()
    at = open_incident(c)
    with refused(ErrorCode.CONFLICT):
        c.send(seat(at), "incident.create", {"incident_id": INCIDENT_2, "call_id": "20261127-0001"})


def test_incident_cannot_be_created_from_a_call_nobody_answered():
    c = staffed_centre()
    c.offer_call("20261127-0001")
    with refused(ErrorCode.ILLEGAL_TRANSITION):
        c.send(seat("seat-1"), "incident.create", {"incident_id": INCIDENT_1, "call_id": "20261127-0001"})
    with refused(ErrorCode.NOT_FOUND):
        c.send(seat("seat-1"), "incident.create", {"incident_id": INCIDENT_1, "call_id": "20261127-9999"})


def test_incident_without_a_call_starts_with_defaults():
    """A dispatcher records an incident reported by the police line (no call in our switch)."""
    c = staffed_centre()
    [created] = c.send(seat("seat-1"), "incident.create", {"incident_id": INCIDENT_1})
    assert created["data"]["seat_id"] == "seat-1"
    incident = c.incident(INCIDENT_1)
    assert incident["state"] == IncidentState.OPEN
    assert incident["patients"] == 1 and incident["address"] == ""
    assert set(incident["milestones"]) == {Milestone.INCIDENT_CREATED.value}


def test_incident_created_from_a_call_carries_the_call_milestones():
    c = staffed_centre()
    open_incident(c)
    call = c.call("20261127-0001")
    milestones = c.incident(INCIDENT_1)["milestones"]
    assert call["incident_id"] == INCIDENT_1
    assert milestones[Milestone.CALL_RECEIVED.value] == call["received_at"]
    assert milestones[Milestone.CALL_ANSWERED.value] == call["answered_at"]
