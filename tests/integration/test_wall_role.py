"""The centre's wall display, through a real server process: it sees every unit, call and incident,
never who called, and the server takes no command from it."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.integration.conftest import DEFAULT_REGISTRY

CALLER = "13800138000"
CALLER_NAME = "张三"
CALLBACK = "13900139000"


def _story(server) -> str:
    """A call offered with the caller's number and name, answered, an incident with a callback number."""
    switch, seat = server.client("switch-1"), server.client("seat-1")
    assert seat.command("seat.set_ready", {"ready": True})["type"] == "ack"
    offered = switch.command("call.offered", {"call_id": "c-1", "caller_number": CALLER, "caller_name": CALLER_NAME,
                                              "location_text": "南岸区 南坪西路 8 号"})
    assert offered["type"] == "ack"
    seat.wait_event("call.ringing", call_id="c-1")
    assert seat.command("call.answer", {"call_id": "c-1"})["type"] == "ack"
    incident_id = str(uuid.uuid4())
    created = seat.command("incident.create", {"incident_id": incident_id, "call_id": "c-1", "address": "南坪西路 8 号",
                                               "callback_number": CALLBACK, "priority": 1})
    assert created["type"] == "ack"
    assert seat.command("unit.assign", {"incident_id": incident_id, "unit_id": "A1", "unit_version": 0})["type"] == "ack"
    return incident_id


def _no_caller_in(messages) -> None:
    text = repr(messages)
    for secret in (CALLER, CALLER_NAME, CALLBACK, "南岸区 南坪西路"):
        assert secret not in text, secret


def test_the_wall_sees_calls_incidents_and_units_live_but_never_the_caller(start_server):
    server = start_server(registry={**DEFAULT_REGISTRY, "walls": [{"id": "wall-1", "name": "大屏"}]})
    wall = server.client("wall-1")
    assert wall.welcome["principal"]["role"] == "wall"

    incident_id = _story(server)

    wall.wait_event("unit.assigned", unit_id="A1")
    names = [e["name"] for e in wall.events]
    for expected in ("call.received", "call.ringing", "call.answered", "incident.created", "unit.assigned"):
        assert expected in names
    received = next(e for e in wall.events if e["name"] == "call.received")
    assert received["data"]["caller_number"] == "*"
    assert "caller_name" not in received["data"]
    created = next(e for e in wall.events if e["name"] == "incident.created")
    assert created["data"]["incident_id"] == incident_id and created["data"]["priority"] == 1
    assert "callback_number" not in created["data"]
    _no_caller_in(wall.received)

    # A wall that starts later gets the same in its snapshot, and in a replay from the start.
    late = server.client("wall-1")
    snapshot = next(m for m in late.sync_messages if m["type"] == "snapshot")
    state = snapshot["state"]
    assert state["calls"]["c-1"]["state"] == "answered" and state["calls"]["c-1"]["caller_number"] == "*"
    assert state["incidents"][incident_id]["priority"] == 1
    assert state["units"]["A1"]["status"] == "dispatched"
    assert state["principals"] == {} and state["seats"] == {}
    _no_caller_in(late.received)
    replayed = server.client("wall-1", last_seq=0)
    assert {"call.received", "incident.created", "unit.assigned"} <= {e["name"] for e in replayed.events}
    _no_caller_in(replayed.received)


def test_the_server_refuses_every_command_from_the_wall_and_stores_nothing(start_server):
    server = start_server()
    added = server.admin("add-wall", "wall-1", "--name", "调度大厅大屏")
    assert added.returncode == 0, added.stderr
    token = re.search(r"One-time token for wall-1.*?\n\n\s+(\S+)", added.stdout, re.S).group(1)
    server.tokens["wall-1"] = token
    wall = server.client("wall-1")
    assert wall.welcome["principal"] == {"id": "wall-1", "role": "wall", "name": "调度大厅大屏", "unit_id": None}
    events_before = server.db_count("events")

    for name, args in (
        ("incident.create", {"incident_id": str(uuid.uuid4()), "address": "大屏不能建事件"}),
        ("unit.status", {"unit_id": "A1", "status": "out_of_service"}),
        ("call.answer", {"call_id": "c-9"}),
        ("seat.set_ready", {"ready": True}),
    ):
        reply = wall.command(name, args)
        assert reply["type"] == "error" and reply["code"] == "forbidden", reply
        assert "wall" in reply["message"]

    # Nor does it get live telemetry by subscription (it gets the positions every seat gets).
    wall.send_json({"v": 1, "type": "subscribe", "unit_ids": ["A1"], "kinds": ["vitals"]})
    refused = wall.wait_for(lambda m: m["type"] == "error")
    assert refused["code"] == "forbidden"
    assert server.db_count("events") == events_before


@pytest.mark.timeout(60)
def test_the_wall_window_shows_a_real_servers_morning_from_its_replay(start_server, tmp_path, qtbot):
    """The wall's parts as ``dispatch120 wall`` composes them: journal (replay from the start),
    sync client, the seat's Qt bridge into the store and today's figures, and the window."""
    from app.seat.journal import Journal
    from app.seat.store import Link, SeatStore
    from app.seat.sync import SyncClient
    from app.wall import TodayFigures, WallFeed
    from widgets.clock import SeatClock
    from widgets.qt_bridge import SyncBridge
    from widgets.wall_display import WallDisplay

    server = start_server(registry={**DEFAULT_REGISTRY, "walls": [{"id": "wall-1", "name": "大屏"}]})
    _story(server)  # before the wall starts: it learns it from the replay
    store, clock = SeatStore(), SeatClock()
    figures = TodayFigures("Asia/Shanghai")
    bridge = SyncBridge(WallFeed(store, figures), clock)  # type: ignore[arg-type]
    journal = Journal(tmp_path / "journal-wall-1.sqlite")
    journal.set_last_seq(0)
    sync = SyncClient(server.url, server.tokens["wall-1"], journal, client_name="pytest-wall",
                      on_message=bridge.on_message, on_status=bridge.on_status, backoff_s=(0.1, 1.0))
    wall = WallDisplay(store, figures, clock, confirm_close=False)
    qtbot.addWidget(wall)
    wall.show()
    sync.start()
    try:
        qtbot.waitUntil(lambda: store.connection.link == Link.ONLINE and "c-1" in store.state.calls, timeout=10_000)
        wall.refresh()
        wall.render_figures()  # what the wall's timer does within 5 s of new events
        assert wall.open_value.text() == "1" and wall.incidents.item(0, 0).text() == "I"
        assert wall.answer_value.text() == "100.0 %" and "since 00:00" in wall.answer_detail.text()
        assert store.state.calls["c-1"]["caller_number"] == "*"

        # A call offered now waits on the wall, live.
        switch = server.client("switch-1")
        assert switch.command("call.offered", {"call_id": "c-2", "caller_number": CALLER})["type"] == "ack"
        qtbot.waitUntil(lambda: wall.waiting_value.text() == "1", timeout=10_000)
        wall.render_figures()
        assert wall.answer_value.text() == "50.0 %"
        _no_caller_in([store.state.to_dict()])
    finally:
        sync.stop()
        journal.close()
