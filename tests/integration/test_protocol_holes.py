"""Holes an independent client found by following docs/protocol.md, each closed, through a real server."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.sim.monitor import iso
from tests.integration.conftest import PROJECT_ROOT

pytestmark = pytest.mark.integration

CALLER = "13800138000"
BEIJING = timezone(timedelta(hours=8))


def vitals(t: float, seq: int, hr: int = 72) -> dict:
    return {"v": 1, "type": "telemetry", "unit_id": "A1", "kind": "vitals", "t": iso(t), "seq": seq,
            "data": {"hr": hr}}


def subscribe(seat, units=("A1",), kinds=("vitals", "waveform")) -> None:
    seat.send_json({"v": 1, "type": "subscribe", "unit_ids": list(units), "kinds": list(kinds)})


def relayed(seat, seq: int) -> dict:
    return seat.wait_for(lambda m: m["type"] == "unit_telemetry" and m["seq"] == seq)


# ---------------------------------------------------------------- 1. command ids


def test_a_reused_command_id_with_other_arguments_is_refused_as_conflict(dispatch_server):
    seat = dispatch_server.client("seat-1")
    incident_id, command_id = str(uuid.uuid4()), str(uuid.uuid4())
    args = {"incident_id": incident_id, "address": "民族路166号", "priority": 2}
    first = seat.command("incident.create", args, command_id=command_id)
    assert first["type"] == "ack" and first["duplicate"] is False

    # The same command again (its ack was lost): the same ack, nothing appended.
    again = seat.command("incident.create", dict(reversed(list(args.items()))), command_id=command_id)
    assert again == {**first, "duplicate": True}

    # The same id for another command: refused, never mistaken for the first one.
    other = seat.command("incident.update", {"incident_id": incident_id, "priority": 1}, command_id=command_id)
    assert (other["type"], other["code"]) == ("error", "conflict")
    changed = seat.command("incident.create", {**args, "priority": 1}, command_id=command_id)
    assert (changed["type"], changed["code"]) == ("error", "conflict")
    assert "different command" in changed["message"]
    assert [e["name"] for e in dispatch_server.db_events() if e["ref"] == command_id] == ["incident.created"]


# ---------------------------------------------------------------- 2, 3, 5. device time


def test_one_frame_with_a_glitched_clock_is_refused_alone_and_the_ecg_keeps_flowing(dispatch_server):
    seat = dispatch_server.client("seat-1")
    subscribe(seat)
    device = dispatch_server.client("dev-A1")
    now = time.time()
    device.send_json(vitals(now - 30, 1))
    relayed(seat, 1)

    glitch = vitals(now, 2)
    glitch["t"] = "2099-01-01T00:00:00.000Z"
    device.send_json(glitch)
    error = device.wait_for(lambda m: m["type"] == "error" and m["ref"] == "seq:2")
    assert (error["code"], error["field"]) == ("invalid_args", "t")
    assert "s from the server clock" in error["message"] and "in the future" in error["message"]

    # Every correct frame after it is accepted: the glitch never became "the last time".
    for seq in range(3, 33):  # more than the error budget (20 in 10 s) would allow if refused
        device.send_json(vitals(now - 30 + seq * 0.5, seq))
    assert relayed(seat, 32)["data"] == {"hr": 72}
    assert not [m for m in device.received if m["type"] == "error" and m["ref"] != "seq:2"]
    assert "unit A1: device clock" in dispatch_server.log_path.read_text(encoding="utf-8")


def test_the_clock_bound_is_configurable(start_server):
    server = start_server(extra_args=["--max-device-clock-skew-s", "5"])
    device = server.client("dev-A1")
    device.send_json(vitals(time.time() + 20, 1))
    error = device.wait_for(lambda m: m["type"] == "error")
    assert error["field"] == "t" and "more than 5 s in the future" in error["message"]


def test_device_time_is_ordered_per_unit_across_connections_and_reconnects(dispatch_server):
    seat = dispatch_server.client("seat-1")
    subscribe(seat)
    now = time.time()
    first = dispatch_server.client("dev-A1")
    second = dispatch_server.client("dev-A1")
    first.send_json(vitals(now - 10, 1))
    relayed(seat, 1)
    second.send_json(vitals(now - 11, 1))  # older than what the unit already reported
    error = second.wait_for(lambda m: m["type"] == "error")
    assert (error["field"], "non-monotonic" in error["message"]) == ("t", True)

    first.close()
    second.close()
    again = dispatch_server.client("dev-A1")
    again.send_json(vitals(now - 10.5, 1))  # the server remembers the unit's last time across the reconnect
    assert again.wait_for(lambda m: m["type"] == "error")["field"] == "t"
    again.send_json(vitals(now - 9, 2))
    assert relayed(seat, 2)["data"] == {"hr": 72}


def test_relayed_device_times_are_utc_with_z_and_milliseconds(dispatch_server):
    seat = dispatch_server.client("seat-1")
    subscribe(seat)
    device = dispatch_server.client("dev-A1")
    moment = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=5)
    beijing = moment.astimezone(BEIJING).isoformat()  # "+08:00", no fraction
    frame = vitals(0, 1)
    frame["t"] = beijing
    device.send_json(frame)
    start = moment - timedelta(milliseconds=200)
    device.send_json({"v": 1, "type": "telemetry", "unit_id": "A1", "kind": "waveform", "t": beijing, "seq": 2,
                      "data": {"channel": "ECG_II", "mdc_code": "MDC_ECG_ELEC_POTL_II",
                               "start": start.astimezone(BEIJING).isoformat(timespec="milliseconds"),
                               "period_ms": 2.0, "factor": 0.005, "origin": 0, "unit": "mV",
                               "samples": [0] * 100, "lead_off": False}})
    expected = moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert relayed(seat, 1)["t"] == expected
    chunk = relayed(seat, 2)
    assert chunk["t"] == expected
    assert chunk["data"]["start"] == start.strftime("%Y-%m-%dT%H:%M:%S.") + f"{start.microsecond // 1000:03d}Z"


# ---------------------------------------------------------------- 4. version


def test_a_frame_of_another_protocol_version_after_the_hello_is_refused_and_closed_4003(dispatch_server):
    seat = dispatch_server.client("seat-1")
    seat.send_json({"v": 2, "type": "cmd", "id": str(uuid.uuid4()), "name": "seat.set_ready", "args": {"ready": True}})
    error = seat.wait_for(lambda m: m["type"] == "error")
    assert error["code"] == "unsupported_version"
    assert seat.expect_close()[0] == 4003


# ---------------------------------------------------------------- 7. silent acceptances


def test_a_waveform_chunk_without_samples_is_refused(dispatch_server):
    device = dispatch_server.client("dev-A1")
    device.send_json({"v": 1, "type": "telemetry", "unit_id": "A1", "kind": "waveform", "t": iso(time.time() - 1),
                      "seq": 1, "data": {"channel": "ECG_II", "mdc_code": "MDC_ECG_ELEC_POTL_II",
                                         "start": iso(time.time() - 1), "period_ms": 2.0, "factor": 0.005,
                                         "origin": 0, "unit": "mV", "samples": [], "lead_off": False}})
    error = device.wait_for(lambda m: m["type"] == "error")
    assert (error["code"], error["field"]) == ("invalid_args", "data.samples")


def test_a_subscribe_to_an_unknown_unit_is_refused_as_not_found(dispatch_server):
    seat = dispatch_server.client("seat-1")
    subscribe(seat, units=("A1", "Z9"))
    error = seat.wait_for(lambda m: m["type"] == "error")
    assert (error["code"], error["field"]) == ("not_found", "unit_ids[1]")


def test_a_telemetry_seq_that_goes_down_on_a_connection_is_refused(dispatch_server):
    seat = dispatch_server.client("seat-1")
    subscribe(seat)
    device = dispatch_server.client("dev-A1")
    now = time.time()
    device.send_json(vitals(now - 5, 7))
    relayed(seat, 7)
    device.send_json(vitals(now - 4, 6))
    error = device.wait_for(lambda m: m["type"] == "error")
    assert (error["code"], error["field"], error["ref"]) == ("invalid_args", "seq", "seq:6")
    # A new connection may start its counter again.
    dispatch_server.client("dev-A1").send_json(vitals(now - 3, 1))
    relayed(seat, 1)


# ---------------------------------------------------------------- 8. --db


def test_db_as_a_sqlite_url_opens_that_file_and_the_log_says_it_was_a_url(start_server, tmp_path):
    target = tmp_path / "centre" / "events.sqlite"
    target.parent.mkdir()
    server = start_server(extra_args=["--db", f"sqlite:///{target}"])  # four slashes: an absolute path
    assert target.exists()  # the URL's file, not a directory named "sqlite:"
    assert not (PROJECT_ROOT / "sqlite:").exists()  # the server runs in the project root
    assert f"database: SQLite file {target} (--db given as a URL)" in server.log_path.read_text(encoding="utf-8")


def test_db_with_a_scheme_this_build_does_not_support_exits_with_a_clear_message(server_cli, tmp_path):
    result = server_cli("admin", "--db", "mysql://dispatch@db.example.cn/centre", "list")
    assert result.returncode == 2
    assert "mysql:// databases are not supported in this build" in result.stderr


# ---------------------------------------------------------------- 9. presence


def test_a_not_ready_seat_reconnecting_again_and_again_does_not_grow_the_log(dispatch_server):
    def seat_events() -> list[dict]:
        return [e for e in dispatch_server.db_events()
                if e["name"] == "seat.state_changed" and e["data"]["seat_id"] == "seat-1"]

    dispatch_server.client("seat-1").close()
    logged_in = seat_events()
    assert [e["data"]["state"] for e in logged_in] == ["not_ready"]
    for _ in range(5):
        dispatch_server.client("seat-1").close()
    watcher = dispatch_server.client("seat-2")
    watcher.command("seat.set_ready", {"ready": True})
    assert seat_events() == logged_in


def test_a_ready_seat_that_disconnects_is_taken_offline_and_offered_no_call(dispatch_server):
    seat_1 = dispatch_server.client("seat-1")
    seat_2 = dispatch_server.client("seat-2")
    seat_1.command("seat.set_ready", {"ready": True})
    seat_1.close()
    seat_2.wait_event("seat.state_changed", seat_id="seat-1", state="offline")
    seat_2.command("seat.set_ready", {"ready": True})
    dispatch_server.client("switch-1").command("call.offered", {"call_id": "c-p", "caller_number": CALLER})
    seat_2.wait_event("call.ringing", call_id="c-p", seat_id="seat-2")


# ---------------------------------------------------------------- 10. least privilege


def _a_dispatched_call(server) -> tuple[str, dict]:
    seat = server.client("seat-1")
    seat.command("seat.set_ready", {"ready": True})
    server.client("switch-1").command("call.offered", {"call_id": "c-lp", "caller_number": CALLER,
                                                      "caller_name": "张先生", "location_text": "解放碑"})
    seat.wait_event("call.ringing", call_id="c-lp")
    assert seat.command("call.answer", {"call_id": "c-lp"})["type"] == "ack"
    incident_id = str(uuid.uuid4())
    seat.command("incident.create", {"incident_id": incident_id, "call_id": "c-lp", "address": "民族路166号",
                                     "callback_number": CALLER, "description": "胸痛", "priority": 1})
    seat.command("incident.update", {"incident_id": incident_id, "callback_number": "13900001111"})
    assert seat.command("unit.assign", {"incident_id": incident_id, "unit_id": "A1"})["type"] == "ack"
    return incident_id, seat.wait_event("incident.created", incident_id=incident_id)


def _caller_data_in(messages: list[dict]) -> list[str]:
    text = repr(messages)
    return [s for s in (CALLER, "13900001111", "张先生", "解放碑") if s in text]


def test_a_device_receives_its_crews_view_without_the_callers_name_or_number(dispatch_server):
    device = dispatch_server.client("dev-A1")
    incident_id, seen_by_seat = _a_dispatched_call(dispatch_server)
    assert seen_by_seat["data"]["callback_number"] == CALLER  # the seat sees everything

    # The incident reaches the crew at the assignment, as a brief just before unit.assigned.
    brief = device.wait_for(lambda m: m["type"] == "incident_brief")
    assigned = device.wait_event("unit.assigned", incident_id=incident_id, unit_id="A1")
    assert brief["seq"] == assigned["seq"]
    assert brief["incident"]["address"] == "民族路166号" and brief["incident"]["priority"] == 1
    assert brief["incident"]["callback_number"] is None
    names = {e["name"] for e in device.events}
    assert not {n for n in names if n.startswith(("call.", "seat.", "principal.", "incident.created"))}, names
    assert _caller_data_in(device.received) == []

    # The same on a reconnect, even one asking for a replay: a snapshot of its own view.
    again = dispatch_server.client("dev-A1", last_seq=0)
    assert again.welcome["resume"] == "snapshot"
    (snapshot,) = again.sync_messages
    state = snapshot["state"]
    assert state["calls"] == {} and state["seats"] == {} and state["principals"] == {}
    assert state["incidents"][incident_id]["address"] == "民族路166号"
    assert state["units"]["A1"]["incident_id"] == incident_id
    assert _caller_data_in([state]) == []


def test_a_centre_may_let_its_crews_see_the_callback_number(start_server):
    server = start_server(extra_args=["--devices-see-callback-number"])
    device = server.client("dev-A1")
    _a_dispatched_call(server)
    brief = device.wait_for(lambda m: m["type"] == "incident_brief")
    assert brief["incident"]["callback_number"] == "13900001111"  # as updated before the assignment
    assert not [e for e in device.events if e["name"].startswith("call.")]

