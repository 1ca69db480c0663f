"""``GET /kpi/rows`` on a real server process: a wall display restarted mid-day (its feed began from
a snapshot) reads the day's KPI events without a word about who called, folds them in and shows
the same figures as the KPI report; every other role is turned away, bad parameters are answered
plainly.

One server for the module: a caller gives their number, name and address; seat-1 answers, opens
an incident with the description and a callback number, raises its priority and sends A1.
"""

from __future__ import annotations

import urllib.parse
import uuid
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.protocol import format_ts
from app.records.kpi import KPI_EVENTS, LOOK_BACK, Period, build_report, fold, parse_ts
from app.wall import RowsFetchError, RowsRequest, TodayFigures, fetch_rows
from tests.integration.conftest import DEFAULT_REGISTRY, ServerProcess, new_server

TZ = "Asia/Shanghai"
REGISTRY = {**DEFAULT_REGISTRY, "walls": [{"id": "wall-1", "name": "大屏"}],
            "supervisors": [{"id": "sup-1", "name": "值班主任 李华"}]}
CALLER = ("13800138000", "王秀英", "南坪西路 8 号 3 单元", "老人在家中摔倒，意识不清", "13912345678")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    process = new_server(tmp_path_factory.mktemp("kpi-rows-server"), REGISTRY).start()
    try:
        _a_call(process)
        yield process
    finally:
        process.close()


def _a_call(server: ServerProcess) -> None:
    number, name, address, description, callback = CALLER
    switch, seat = server.client("switch-1"), server.client("seat-1")
    assert seat.command("seat.set_ready", {"ready": True})["type"] == "ack"
    assert switch.command("call.offered", {"call_id": "c-1", "caller_number": number, "caller_name": name,
                                           "location_text": address})["type"] == "ack"
    seat.wait_event("call.ringing", call_id="c-1", seat_id="seat-1")
    assert seat.command("call.answer", {"call_id": "c-1"})["type"] == "ack"
    incident_id = str(uuid.uuid4())
    assert seat.command("incident.create", {"incident_id": incident_id, "call_id": "c-1", "address": address,
                                            "description": description, "callback_number": callback,
                                            "priority": 2})["type"] == "ack"
    assert seat.command("incident.update", {"incident_id": incident_id, "priority": 1,
                                            "description": description + "，呼吸急促"})["type"] == "ack"
    assert seat.command("unit.assign", {"incident_id": incident_id, "unit_id": "A1", "unit_version": 0})["type"] == "ack"
    assert seat.command("call.ended", {"call_id": "c-1"})["type"] == "ack"


def _day(server: ServerProcess) -> date:
    """The local day the call was offered on."""
    offered = next(parse_ts(e["ts"]) for e in server.db_events() if e["name"] == "call.received")
    return offered.astimezone(ZoneInfo(TZ)).date()


def _since(server: ServerProcess) -> str:
    """That day's midnight minus the report's look-back, as the wall asks."""
    return format_ts(Period.make(_day(server), _day(server), TZ).start - LOOK_BACK)


def _rows(server: ServerProcess, query: dict[str, str], principal: str | None) -> tuple[int, dict]:
    token = None if principal is None else server.tokens[principal]
    return server.get_json(f"/kpi/rows?{urllib.parse.urlencode(query)}", token)


def test_a_wall_reads_the_days_kpi_events_without_the_caller(server):
    events = server.db_events()
    last = events[-1]["seq"]
    status, answer = _rows(server, {"from": _since(server), "through_seq": str(last)}, "wall-1")
    assert status == 200, answer
    rows = answer["rows"]
    kpi_events = [e for e in events if e["name"] in KPI_EVENTS]
    assert [row[0] for row in rows] == [e["seq"] for e in kpi_events]  # every KPI event, in seq order
    assert {row[1] for row in rows} >= {"call.received", "call.answered", "incident.created", "incident.updated",
                                        "unit.assigned"}
    sent = str(answer)
    for private in (*CALLER, "呼吸急促", "caller_number", "caller_name", "location_text", "address",
                    "description", "callback_number"):
        assert private not in sent, private
    updated = next(row for row in rows if row[1] == "incident.updated")
    assert updated[3]["changes"] == {"priority": 1}

    # Through an earlier seq: nothing after it.
    status, earlier = _rows(server, {"from": _since(server), "through_seq": str(rows[1][0])}, "wall-1")
    assert status == 200 and [row[0] for row in earlier["rows"]] == [rows[0][0], rows[1][0]]
    # From after the last event: nothing.
    after = format_ts(parse_ts(events[-1]["ts"]) + timedelta(seconds=1))
    assert _rows(server, {"from": after, "through_seq": str(last)}, "wall-1") == (200, {
        "from": after, "through_seq": last, "rows": []})


def test_a_wall_restarted_from_a_snapshot_counts_the_whole_day_like_the_report(server):
    events = server.db_events()
    day = _day(server)
    figures = TodayFigures(TZ, now=lambda: parse_ts(events[-1]["ts"]))
    last = events[-1]["seq"]
    figures.handle_message({"v": 1, "type": "welcome", "server_time": events[-1]["ts"], "server_seq": last,
                            "resume": "snapshot", "principal": {}})
    figures.handle_message({"v": 1, "type": "snapshot", "seq": last, "state": {}})
    assert not figures.figures().complete

    request = figures.missing()
    assert request is not None and request.through_seq == last
    assert figures.merge(request, fetch_rows(server.url, server.tokens["wall-1"], request))
    shown = figures.figures()
    report = build_report(fold((e["name"], e["ts"], e["data"]) for e in events), Period.make(day, day, TZ))
    assert shown.complete and shown.calls_offered == report["overall"]["calls_offered"] == 1
    assert shown.answered_within_10s == report["overall"]["answered_within_10s_rate"]
    assert shown.departed_within_3min == report["overall"]["departure_within_3min_rate"]


def test_a_supervisor_may_read_the_rows_too(server):
    status, answer = _rows(server, {"from": _since(server), "through_seq": "1000000"}, "sup-1")
    assert status == 200 and answer["rows"]


def test_everybody_else_is_turned_away(server):
    query = {"from": _since(server), "through_seq": "1000000"}
    for principal in ("seat-1", "dev-A1", "switch-1", "trainer-1"):
        status, answer = _rows(server, query, principal)
        assert status == 403 and answer["error"] == "forbidden", principal
    status, answer = _rows(server, query, None)
    assert status == 401 and answer["error"] == "unauthorized"
    with pytest.raises(RowsFetchError) as refused:
        fetch_rows(server.url, server.tokens["seat-1"], RowsRequest(parse_ts(_since(server)), 1))
    assert refused.value.status == 403


@pytest.mark.parametrize(("query", "says"), [
    ({"through_seq": "5"}, "needed"),
    ({"from": "yesterday", "through_seq": "5"}, "ISO time"),
    ({"from": "2026-11-26T16:00:00", "through_seq": "5"}, "offset"),
    ({"from": "2026-11-26T16:00:00Z", "through_seq": "-3"}, "through_seq"),
    ({"from": "2026-11-26T16:00:00Z", "through_seq": "5", "name": "call.received"}, "unknown parameter"),
])
def test_bad_parameters_are_answered_400_with_the_reason(server, query, says):
    status, answer = _rows(server, query, "wall-1")
    assert status == 400 and answer["error"] == "bad_request" and says in answer["message"], answer
