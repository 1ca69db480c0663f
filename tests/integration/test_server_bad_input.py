"""Bad input gets a clear error or close code, stores nothing, and the server keeps serving.

Most tests end with :func:`still_serving`: another client logs in and has a
command applied, so a bad frame that broke the server fails the test there.
"""

from __future__ import annotations

import uuid

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.integration.wsclient import ProtocolClient


@pytest.fixture
def server(dispatch_server):
    return dispatch_server


def still_serving(server) -> None:
    """Another client can still log in and have a command applied."""
    other = server.client("seat-2")
    reply = other.command("incident.create", {"incident_id": str(uuid.uuid4())})
    assert reply["type"] == "ack", reply
    other.close()


def test_malformed_json_gets_bad_json_and_nothing_is_stored(server):
    seat = server.client("seat-1")
    before = server.db_count("events")
    seat.send_raw('{"v": 1, "type": "cmd", "id": ')
    reply = seat.wait_for(lambda m: m["type"] == "error")
    assert reply["code"] == "bad_json"
    assert server.db_count("events") == before
    # The connection stays usable.
    assert seat.command("seat.set_ready", {"ready": True})["type"] == "ack"
    still_serving(server)


def test_an_unknown_message_type_gets_unknown_type(server):
    seat = server.client("seat-1")
    before = server.db_count("events")
    seat.send_json({"v": 1, "type": "teleport", "id": str(uuid.uuid4())})
    assert seat.wait_for(lambda m: m["type"] == "error")["code"] == "unknown_type"
    assert server.db_count("events") == before
    still_serving(server)


def test_an_unknown_command_gets_unknown_command_with_its_id(server):
    seat = server.client("seat-1")
    before = server.db_count("events")
    reply = seat.command("unit.teleport", {"unit_id": "A1"})
    assert (reply["type"], reply["code"]) == ("error", "unknown_command")
    assert server.db_count("events") == before


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"incident_id": "not-a-uuid"}, "args.incident_id"),
        ({"incident_id": str(uuid.uuid4()), "patients": "two"}, "args.patients"),
        ({"incident_id": str(uuid.uuid4()), "patients": True}, "args.patients"),
        ({"incident_id": str(uuid.uuid4()), "colour": "red"}, "args.colour"),
    ],
)
def test_wrong_field_types_are_refused_naming_the_field(server, args, field):
    seat = server.client("seat-1")
    before = server.db_count("events")
    reply = seat.command("incident.create", args)
    assert (reply["type"], reply["code"], reply["field"]) == ("error", "invalid_args", field)
    assert server.db_count("events") == before
    still_serving(server)


def test_a_10_mb_frame_closes_that_connection_with_1009_only(server):
    seat = server.client("seat-1")
    before = server.db_count("events")
    big = '{"v": 1, "type": "cmd", "id": "' + "x" * (10 * 1024 * 1024) + '"}'
    try:
        seat.send_raw(big)
    except ConnectionClosed:
        pass  # the server may close before the whole frame is written
    code, _reason = seat.expect_close()
    assert code == 1009
    assert server.db_count("events") == before
    still_serving(server)


def test_a_binary_frame_gets_an_error_and_close_1003(server):
    seat = server.client("seat-1")
    seat.send_raw(b'{"v": 1, "type": "cmd"}')
    assert seat.wait_for(lambda m: m["type"] == "error")["code"] == "bad_message"
    assert seat.expect_close()[0] == 1003
    still_serving(server)


def test_a_command_before_hello_is_unauthenticated_and_closed_4002(server):
    raw = server.raw_client()
    before = server.db_count("events")
    raw.send_command("incident.create", {"incident_id": str(uuid.uuid4())})
    assert raw.wait_for(lambda m: m["type"] == "error")["code"] == "unauthenticated"
    assert raw.expect_close()[0] == 4002
    assert server.db_count("events") == before
    still_serving(server)


def test_malformed_json_before_hello_is_unauthenticated_and_closed_4002(server):
    raw = server.raw_client()
    raw.send_raw("hello?")
    assert raw.wait_for(lambda m: m["type"] == "error")["code"] == "unauthenticated"
    assert raw.expect_close()[0] == 4002


def test_a_wrong_token_is_refused_with_close_4001(server):
    raw = server.raw_client()
    reply = raw.hello("not-a-real-token")
    assert (reply["type"], reply["code"]) == ("error", "unauthenticated")
    assert raw.expect_close()[0] == 4001
    still_serving(server)


def test_a_hello_of_another_protocol_version_is_closed_4003(server):
    raw = server.raw_client()
    raw.send_json({"v": 99, "type": "hello", "token": server.tokens["seat-1"], "client": "x", "last_seq": None})
    assert raw.wait_for(lambda m: m["type"] == "error")["code"] == "unsupported_version"
    assert raw.expect_close()[0] == 4003


def test_silence_after_connecting_is_closed_4002_after_the_hello_timeout(start_server):
    server = start_server(extra_args=["--hello-timeout", "0.3"])
    raw = server.raw_client()
    assert raw.wait_for(lambda m: m["type"] == "error")["code"] == "unauthenticated"
    assert raw.expect_close()[0] == 4002


def test_a_device_cannot_assign_units(server):
    seat = server.client("seat-1")
    incident_id = str(uuid.uuid4())
    seat.command("incident.create", {"incident_id": incident_id})
    device = server.client("dev-A1")
    before = server.db_count("events")
    reply = device.command("unit.assign", {"incident_id": incident_id, "unit_id": "A1"})
    assert (reply["type"], reply["code"]) == ("error", "forbidden")
    assert server.db_count("events") == before


def test_a_device_cannot_report_another_units_status(server):
    device = server.client("dev-A1")
    before = server.db_count("events")
    reply = device.command("unit.status", {"unit_id": "A2", "status": "out_of_service"})
    assert (reply["type"], reply["code"]) == ("error", "forbidden")
    assert server.db_count("events") == before
    # Its own unit is fine.
    assert device.command("unit.status", {"unit_id": "A1", "status": "out_of_service"})["type"] == "ack"


def test_a_seat_cannot_impersonate_the_phone_switch(server):
    seat = server.client("seat-1")
    reply = seat.command("call.offered", {"call_id": "fake", "caller_number": "110"})
    assert (reply["type"], reply["code"]) == ("error", "forbidden")


def test_assigning_a_busy_unit_is_refused_with_unit_busy(server):
    seat = server.client("seat-1")
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    seat.command("incident.create", {"incident_id": first})
    seat.command("incident.create", {"incident_id": second})
    assert seat.command("unit.assign", {"incident_id": first, "unit_id": "A1"})["type"] == "ack"
    before = server.db_count("events")
    reply = seat.command("unit.assign", {"incident_id": second, "unit_id": "A1"})
    assert (reply["type"], reply["code"]) == ("error", "unit_busy")
    assert server.db_count("events") == before


def test_assigning_with_a_stale_unit_version_is_a_conflict(server):
    """Two dispatchers saw A2 at version 0; the first one's status change wins."""
    seat_a = server.client("seat-1")
    seat_b = server.client("seat-2")
    assert seat_a.command("unit.status", {"unit_id": "A2", "status": "out_of_service", "unit_version": 0})["type"] == "ack"
    assert seat_a.command("unit.status", {"unit_id": "A2", "status": "available", "unit_version": 1})["type"] == "ack"
    incident_id = str(uuid.uuid4())
    seat_b.command("incident.create", {"incident_id": incident_id})
    before = server.db_count("events")
    reply = seat_b.command("unit.assign", {"incident_id": incident_id, "unit_id": "A2", "unit_version": 0})
    assert (reply["type"], reply["code"]) == ("error", "conflict")
    assert server.db_count("events") == before


def test_a_client_that_keeps_sending_garbage_is_closed_4008(server):
    seat = server.client("seat-1")
    for _ in range(21):
        seat.send_raw("garbage")
    assert seat.expect_close()[0] == 4008
    still_serving(server)


def test_other_paths_get_http_404(server):
    with pytest.raises(InvalidStatus) as caught:
        ProtocolClient.connect(server.url.replace("/ws", "/admin"))
    assert caught.value.response.status_code == 404
    still_serving(server)


def test_a_hello_with_a_wrong_field_is_unauthenticated_naming_the_field(server):
    raw = server.raw_client()
    raw.send_json({"v": 1, "type": "hello", "token": server.tokens["seat-1"], "client": "x", "last_seq": "7"})
    reply = raw.wait_for(lambda m: m["type"] == "error")
    assert (reply["code"], reply["field"]) == ("unauthenticated", "hello.last_seq")
    assert raw.expect_close()[0] == 4002
