"""Ambulance tracks on a real server process: while A1 is on an incident its monitor's positions are
kept every ``--track-interval-s`` of device time, A2 (on no incident) leaves no track, nothing is added
to the event log, and only a supervisor reads the track through ``GET /records/track/<id>``.

One server for the module (``--track-interval-s 5``): seat-1 takes a call, creates an incident and
sends A1; A1's monitor then reports 12 positions one second apart, A2's as many.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid

import pytest

from app.__main__ import main as records_main
from app.sim.monitor import iso
from tests.integration.conftest import DEFAULT_REGISTRY, ServerProcess, new_server

pytestmark = pytest.mark.integration

REGISTRY = {**DEFAULT_REGISTRY, "supervisors": [{"id": "sup-1", "name": "值班主任 李华"}]}
INTERVAL_S = 5
FIXES = 12  # device times t0 … t0+11 s: kept at t0, t0+5, t0+10


def _positions(server: ServerProcess, unit: str | None = None) -> list[dict]:
    conn = sqlite3.connect(f"file:{server.db_path}?mode=ro", uri=True, timeout=5)
    conn.row_factory = sqlite3.Row
    try:
        where, args = ("WHERE unit_id = ?", (unit,)) if unit else ("", ())
        return [dict(r) for r in conn.execute(f"SELECT * FROM unit_positions {where} ORDER BY id", args)]
    finally:
        conn.close()


def _send_fixes(server: ServerProcess, unit: str, t0: float, lat0: float) -> None:
    device = server.client(f"dev-{unit}")
    for i in range(FIXES):
        device.send_json({"v": 1, "type": "telemetry", "unit_id": unit, "kind": "position", "t": iso(t0 + i),
                          "seq": i + 1, "data": {"lat": lat0 + i * 0.0005, "lon": 106.55, "speed_mps": 10.0,
                                                 "heading_deg": 0.0}})
    # A status frame after the positions: its answer (none: an error would come back) shows that the
    # server has handled every frame before it on this connection.
    assert device.command("unit.status", {"unit_id": unit, "status": "en_route"})["type"] in ("ack", "error")


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    server = new_server(tmp_path_factory.mktemp("track-server"), REGISTRY,
                        ["--track-interval-s", str(INTERVAL_S)]).start()
    try:
        seat, switch = server.client("seat-1"), server.client("switch-1")
        assert seat.command("seat.set_ready", {"ready": True})["type"] == "ack"
        assert switch.command("call.offered", {"call_id": "c-1", "caller_number": "13800138000"})["type"] == "ack"
        seat.wait_event("call.ringing", call_id="c-1", seat_id="seat-1")
        assert seat.command("call.answer", {"call_id": "c-1"})["type"] == "ack"
        incident_id = str(uuid.uuid4())
        assert seat.command("incident.create", {"incident_id": incident_id, "call_id": "c-1",
                                                "address": "南坪西路 8 号", "priority": 1})["type"] == "ack"
        assert seat.command("unit.assign", {"incident_id": incident_id, "unit_id": "A1",
                                            "unit_version": 0})["type"] == "ack"
        events_before = server.db_count("events")
        t0 = time.time() - 30
        _send_fixes(server, "A2", t0, 29.50)  # A2 is on no incident: no track
        seat_events = server.db_count("events")
        _send_fixes(server, "A1", t0, 29.52)
        deadline = time.monotonic() + 10
        while len(_positions(server, "A1")) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)  # the recorder writes its batch once a second
        yield server, incident_id, events_before, seat_events
    finally:
        server.close()


def test_an_assigned_ambulance_leaves_a_position_every_interval_of_its_own_time(recorded):
    server, incident_id, _, _ = recorded
    rows = _positions(server, "A1")
    assert [round(r["lat"], 4) for r in rows] == [29.52, 29.5225, 29.525]  # fixes 0, 5 and 10
    assert {r["incident_id"] for r in rows} == {incident_id}
    assert rows[0]["speed_mps"] == 10.0 and rows[0]["heading_deg"] == 0.0
    assert all(r["device_ts"].endswith("Z") and r["server_ts"] > r["device_ts"] for r in rows)


def test_an_ambulance_on_no_incident_leaves_no_track(recorded):
    server, _, _, _ = recorded
    assert _positions(server, "A2") == []


def test_positions_add_nothing_to_the_event_log(recorded):
    server, _, events_before, seat_events = recorded
    names = [e["name"] for e in server.db_events()[events_before:]]
    # Only the two monitors' status commands became events (A2's may be refused: it is on no incident).
    assert all(n == "unit.status_changed" for n in names), names
    assert len(names) <= 2 and seat_events - events_before <= 1
    assert server.admin("verify").returncode == 0  # the chain holds without the positions


def test_the_supervisor_reads_the_track_with_statuses_and_positions(recorded):
    server, incident_id, _, _ = recorded
    status, track = server.get_json(f"/records/track/{incident_id}", server.tokens["sup-1"])
    assert status == 200, track
    assert track["incident_id"] == incident_id and [u["unit_id"] for u in track["units"]] == ["A1"]
    a1 = track["units"][0]
    assert len(a1["positions"]) == 3
    assert [s["status"] for s in a1["statuses"]] == ["dispatched", "en_route"]
    assert track["start_t"] <= a1["statuses"][0]["t"] <= track["end_t"]


def test_only_a_supervisor_may_read_a_track(recorded):
    server, incident_id, _, _ = recorded
    assert server.get_json(f"/records/track/{incident_id}", None)[0] == 401
    assert server.get_json(f"/records/track/{incident_id}", "not-a-token-at-all")[0] == 401
    status, body = server.get_json(f"/records/track/{incident_id}", server.tokens["seat-1"])
    assert status == 403 and body["error"] == "forbidden"
    assert server.get_json("/records/track/ffffffff-0000-4000-8000-000000000000", server.tokens["sup-1"])[0] == 404
    assert server.get_json("/records/track/x'drop", server.tokens["sup-1"])[0] == 400


def test_the_track_command_prints_the_same_track(recorded, capsysbinary):
    server, incident_id, _, _ = recorded
    assert records_main(["records", "track", "--db", str(server.db_path), "--incident", incident_id[:8],
                         "--json"]) == 0
    track = json.loads(capsysbinary.readouterr().out)
    assert [len(u["positions"]) for u in track["units"]] == [3]


def test_the_dashboards_client_fetches_the_track_and_reports_refusals(recorded):
    from app.seat.kpi_fetch import KpiFetchError, fetch_track

    server, incident_id, _, _ = recorded
    track = fetch_track(server.url, server.tokens["sup-1"], incident_id)
    assert track["incident_id"] == incident_id
    with pytest.raises(KpiFetchError) as refused:
        fetch_track(server.url, server.tokens["seat-1"], incident_id)
    assert refused.value.status == 403


def test_the_track_summary_counts_each_units_positions(recorded, capsysbinary):
    server, incident_id, _, _ = recorded
    assert records_main(["records", "track", "--db", str(server.db_path), "--incident", incident_id]) == 0
    out = capsysbinary.readouterr().out.decode()
    assert "渝A1: 3 positions; dispatched" in out and "en_route" in out and "caller locations: 0" in out
