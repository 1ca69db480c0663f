"""The named commands widgets call: keyword-only, validated at once, queued durably, never blocking."""

from __future__ import annotations

import pytest

from app.protocol import ErrorCode, ProtocolError
from app.seat.commands import SeatCommands
from app.seat.journal import Journal
from app.seat.sync import SyncClient


@pytest.fixture
def seat(tmp_path):
    journal = Journal(tmp_path / "journal.sqlite")
    # Not started: the server is unreachable, as on a seat that starts offline.
    sync = SyncClient(
        "ws://127.0.0.1:9/ws",
        "token",
        journal,
        client_name="test",
        on_message=lambda msg: None,
        on_status=lambda status: None,
    )
    return SeatCommands(sync), journal


def test_dispatcher_records_an_incident_offline_and_it_waits_in_the_outbox(seat):
    commands, journal = seat
    answer = commands.answer_call(call_id="call-17")
    command_id, incident_id = commands.create_incident(
        call_id="call-17", address="渝中区解放碑步行街", callback_number="13800138000", patients=2
    )
    [first, second] = journal.pending()
    assert (first.command_id, first.name, first.args) == (answer, "call.answer", {"call_id": "call-17"})
    assert second.command_id == command_id
    assert second.args == {
        "incident_id": incident_id,
        "call_id": "call-17",
        "address": "渝中区解放碑步行街",
        "callback_number": "13800138000",
        "patients": 2,
    }  # unset optional fields are left out, not sent as null


def test_every_named_command_maps_to_its_protocol_command(seat):
    commands, journal = seat
    _, incident = commands.create_incident()
    commands.update_incident(incident_id=incident, priority=1, description=None)
    commands.assign_unit(incident_id=incident, unit_id="A1", unit_version=3)
    commands.set_unit_status(unit_id="A1", status="en_route")
    commands.close_incident(incident_id=incident, reason="transported")
    commands.set_ready(ready=True)
    commands.end_call(call_id="call-1")
    assert [(c.name, c.args) for c in journal.pending()] == [
        ("incident.create", {"incident_id": incident}),
        ("incident.update", {"incident_id": incident, "priority": 1}),
        ("unit.assign", {"incident_id": incident, "unit_id": "A1", "unit_version": 3}),
        ("unit.status", {"unit_id": "A1", "status": "en_route"}),
        ("incident.close", {"incident_id": incident, "reason": "transported"}),
        ("seat.set_ready", {"ready": True}),
        ("call.ended", {"call_id": "call-1"}),
    ]


def test_invalid_input_is_refused_before_anything_is_queued(seat):
    commands, journal = seat
    with pytest.raises(ProtocolError) as bad_phone:
        commands.create_incident(callback_number="call me maybe")
    assert bad_phone.value.code == ErrorCode.INVALID_ARGS
    assert bad_phone.value.field == "args.callback_number"
    with pytest.raises(ProtocolError):
        commands.close_incident(incident_id="6f1c1d7e-3b7a-4c55-9a51-0a4e2b1f9c01", reason="bored")
    with pytest.raises(TypeError):  # no such field: the typed signature refuses it
        commands.update_incident(incident_id="6f1c1d7e-3b7a-4c55-9a51-0a4e2b1f9c01", colour="red")
    with pytest.raises(TypeError):
        commands.assign_unit("6f1c1d7e-3b7a-4c55-9a51-0a4e2b1f9c01", "A1")  # keyword-only
    assert journal.pending_count() == 0
