"""``GET /kpi`` on a real server process: a supervisor reads the whole report, a dispatcher only the
centre's line and their own, everybody else is turned away, and a bad period is answered plainly.

One server for the module: two dispatchers take a call each, one of them sends an ambulance.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.records.kpi import Period, parse_ts
from app.seat.kpi_fetch import KpiFetchError, current_shift, fetch_kpi
from tests.integration.conftest import DEFAULT_REGISTRY, ServerProcess, new_server

TZ = "Asia/Shanghai"
REGISTRY = {**DEFAULT_REGISTRY, "walls": [{"id": "wall-1", "name": "大屏"}],
            "supervisors": [{"id": "sup-1", "name": "值班主任 李华"}]}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    process = new_server(tmp_path_factory.mktemp("kpi-server"), REGISTRY).start()
    try:
        _two_calls(process)
        yield process
    finally:
        process.close()


def _two_calls(server: ServerProcess) -> None:
    """seat-1 answers c-1 and sends A1 to its incident; seat-2 answers c-2 (no incident)."""
    switch = server.client("switch-1")
    for seat_id, call_id in (("seat-1", "c-1"), ("seat-2", "c-2")):
        seat = server.client(seat_id)
        assert seat.command("seat.set_ready", {"ready": True})["type"] == "ack"
        assert switch.command("call.offered", {"call_id": call_id, "caller_number": "13800138000"})["type"] == "ack"
        seat.wait_event("call.ringing", call_id=call_id, seat_id=seat_id)
        assert seat.command("call.answer", {"call_id": call_id})["type"] == "ack"
        if seat_id == "seat-1":
            incident_id = str(uuid.uuid4())
            assert seat.command("incident.create", {"incident_id": incident_id, "call_id": call_id,
                                                    "address": "南坪西路 8 号", "priority": 1})["type"] == "ack"
            assert seat.command("unit.assign", {"incident_id": incident_id, "unit_id": "A1",
                                                "unit_version": 0})["type"] == "ack"
        assert seat.command("call.ended", {"call_id": call_id})["type"] == "ack"
        assert seat.command("seat.set_ready", {"ready": False})["type"] == "ack"


def _days_of_the_calls(server: ServerProcess) -> tuple[str, str]:
    """The local days the two calls were offered on (a run just before midnight spans two)."""
    zone = ZoneInfo(TZ)
    days = sorted(parse_ts(e["ts"]).astimezone(zone).date().isoformat()
                  for e in server.db_events() if e["name"] == "call.received")
    return days[0], days[-1]


def _get(server: ServerProcess, query: str, token: str | None) -> tuple[int, dict]:
    return server.get_json(f"/kpi{query}", token)


def test_the_supervisor_reads_the_whole_report_of_the_day(server):
    first, last = _days_of_the_calls(server)
    status, report = _get(server, f"?from={first}&to={last}&tz={TZ}", server.tokens["sup-1"])
    assert status == 200, report
    assert report["from"] == first and report["tz"] == TZ and report["empty"] is False
    overall = report["overall"]
    assert overall["calls_offered"] == 2 and overall["calls_answered"] == 2 and overall["incidents"] == 1
    assert overall["dispatch_to_call_ratio"]["numerator"] == 1
    assert [line["seat"] for line in report["by_seat"]] == ["seat-1", "seat-2"]
    assert [line["priority"] for line in report["by_priority"]] == [1, None]
    assert {"by_day", "by_shift", "by_determinant", "by_station"} <= report.keys()


def test_a_dispatcher_reads_the_centres_line_and_only_their_own(server):
    first, last = _days_of_the_calls(server)
    status, report = _get(server, f"?from={first}&to={last}", server.tokens["seat-2"])
    assert status == 200, report
    assert report["overall"]["calls_offered"] == 2
    assert [line["seat"] for line in report["by_seat"]] == ["seat-2"]
    mine = report["by_seat"][0]
    assert mine["calls_answered"] == 1 and mine["incidents"] == 0
    for other in ("by_day", "by_shift", "by_priority", "by_determinant", "by_station"):
        assert other not in report


def test_a_dispatcher_reads_their_own_shift_through_the_seats_client(server):
    offered = next(parse_ts(e["ts"]) for e in server.db_events()
                   if e["name"] == "call.received" and e["data"]["call_id"] == "c-1")
    shift = current_shift(offered, TZ)
    assert shift.start <= offered < shift.end
    report = fetch_kpi(server.url, server.tokens["seat-1"], shift=shift, tz=TZ)
    assert report["shift"] == shift.name
    mine = report["by_seat"]
    assert [line["seat"] for line in mine] == ["seat-1"]
    assert mine[0]["calls_answered"] == 1 and mine[0]["incidents"] == 1
    assert mine[0]["call_processing_s"]["n"] == 1  # answered, then A1 sent
    # The other seat's call counts in the centre's line if it fell in the same shift.
    assert report["overall"]["calls_offered"] in (1, 2)


@pytest.mark.parametrize("who", ["wall-1", "dev-A1", "switch-1", "trainer-1"])
def test_roles_without_figures_are_forbidden(server, who):
    status, answer = _get(server, "?from=2026-12-01&to=2026-12-01", server.tokens[who])
    assert status == 403 and answer["error"] == "forbidden", answer


@pytest.mark.parametrize("token", [None, "not-a-token-at-all-but-long-enough", "short"])
def test_no_token_or_an_unknown_one_is_unauthorised(server, token):
    status, answer = _get(server, "?from=2026-12-01&to=2026-12-01", token)
    assert status == 401 and answer["error"] == "unauthorized", answer


@pytest.mark.parametrize(("query", "says"), [
    ("?from=2026-12-05&to=2026-12-01", "after"),
    ("?from=2026-13-01&to=2026-12-01", "YYYY-MM-DD"),
    ("?from=2026-12-01&to=2026-12-01&tz=Mars/Olympus", "unknown time zone"),
    ("?from=2025-01-01&to=2026-12-31", "at most 366"),
    ("?from=2026-12-01", "needed"),
    ("?shift=2026-12-01T09:00", "no shift starts at 09:00"),
    ("?from=2026-12-01&to=2026-12-01&seat=seat-2", "unknown parameter"),
])
def test_a_bad_period_is_answered_400_with_the_reason(server, query, says):
    status, answer = _get(server, query, server.tokens["sup-1"])
    assert status == 400 and answer["error"] == "bad_request"
    assert says in answer["message"]


def test_a_year_is_accepted_and_a_quiet_year_says_it_is_empty(server):
    status, report = _get(server, "?from=2024-01-01&to=2024-12-31", server.tokens["sup-1"])
    assert status == 200 and report["empty"] is True and report["overall"]["calls_offered"] == 0


def test_a_supervisor_added_by_the_admin_reads_the_report_and_sends_no_command(server):
    added = server.admin("add-supervisor", "sup-2", "--name", "夜班主任")
    assert added.returncode == 0, added.stderr
    token = re.search(r"One-time token for sup-2.*?\n\n\s+(\S+)", added.stdout, re.S).group(1)
    first, last = _days_of_the_calls(server)
    status, report = _get(server, f"?from={first}&to={last}", token)
    assert status == 200 and len(report["by_seat"]) == 2

    # On the websocket a supervisor sees what the wall sees: no caller, and commands are refused.
    server.tokens["sup-2"] = token
    supervisor = server.client("sup-2")
    assert supervisor.welcome["principal"]["role"] == "supervisor"
    state = next(m for m in supervisor.sync_messages if m["type"] == "snapshot")["state"]
    assert state["calls"]["c-1"]["caller_number"] == "*" and state["principals"] == {}
    refused = supervisor.command("incident.create", {"incident_id": str(uuid.uuid4()), "address": "x"})
    assert refused["type"] == "error" and refused["code"] == "forbidden"


def test_the_seats_client_reports_the_servers_reason(server):
    with pytest.raises(KpiFetchError, match="after") as caught:
        fetch_kpi(server.url, server.tokens["sup-1"], first=datetime(2026, 12, 5).date(),
                  last=datetime(2026, 12, 1).date())
    assert caught.value.status == 400
    with pytest.raises(KpiFetchError) as refused:
        fetch_kpi(server.url, server.tokens["wall-1"], shift=current_shift(datetime.now(ZoneInfo(TZ))))
    assert refused.value.status == 403


def test_current_shift_follows_the_centres_shift_starts():
    zone = ZoneInfo(TZ)
    night = current_shift(datetime(2026, 12, 6, 3, 0, tzinfo=zone), TZ)
    assert night.name == "2026-12-05 20:00" and night.end == datetime(2026, 12, 6, 8, 0, tzinfo=zone)
    day = current_shift(datetime(2026, 12, 6, 8, 0, tzinfo=zone), TZ)
    assert day.name == "2026-12-06 08:00" and day.end - day.start == timedelta(hours=12)
    assert Period.make("2026-12-06", "2026-12-06", TZ).shift(day.start) == day.name



def _incident_id(server: ServerProcess) -> str:
    return next(e["data"]["incident_id"] for e in server.db_events() if e["name"] == "incident.created")


def _get_record(server: ServerProcess, path: str, token: str | None) -> tuple[int, dict]:
    return server.get_json(f"/records/incident/{path}", token)


def test_the_supervisor_opens_an_incidents_record_and_nobody_else_may(server):
    incident_id = _incident_id(server)
    status, record = _get_record(server, f"{incident_id}?lang=en", server.tokens["sup-1"])
    assert status == 200, record
    assert record["incident_id"] == incident_id and record["language"] == "en"
    names = [step["name"] for step in record["timeline"]]
    assert names[0] == "call.received" and {"call.answered", "incident.created", "unit.assigned"} <= set(names)
    assert record["calls"][0]["seat_id"] == "seat-1"

    status, _ = _get_record(server, incident_id[:8], server.tokens["sup-1"])  # a prefix names it too
    assert status == 200
    for who in ("seat-1", "wall-1"):
        status, answer = _get_record(server, incident_id, server.tokens[who])
        assert status == 403 and answer["error"] == "forbidden"
    assert _get_record(server, incident_id, None)[0] == 401
    status, answer = _get_record(server, str(uuid.uuid4()), server.tokens["sup-1"])
    assert status == 404 and answer["error"] == "not_found"
    status, answer = _get_record(server, "not-an-id", server.tokens["sup-1"])
    assert status == 400 and answer["error"] == "bad_request"


# ------------------------------------------------------------------ the windows, fed by the same server


def _store_fed_from_the_log(server: ServerProcess, seat_id: str):
    """A seat's store holding the log as the seat received it (the events, as the server sent them)."""
    from app.protocol import welcome
    from app.seat.store import SeatStore

    store = SeatStore()
    store.handle_message(welcome(principal={"id": seat_id, "role": "seat", "name": seat_id, "unit_id": None},
                                 server_seq=0, resume="replay"))
    _feed(server, store)
    return store


def _feed(server: ServerProcess, store) -> None:
    from app.protocol import event

    for row in server.db_events():
        if row["seq"] > store.state.seq:
            store.handle_message(event(seq=row["seq"], ts=row["ts"], name=row["name"],
                                       actor={"id": row["actor_id"], "role": row["actor_role"]}, ref=row["ref"],
                                       data=row["data"]))


@pytest.mark.gui
def test_my_shift_shows_the_dispatchers_figures_and_catches_up_when_their_next_call_ends(server, qtbot):
    from PySide6.QtWidgets import QWidget

    from widgets.seat_kpi import MY_SHIFT_ROWS, MyShift

    store = _store_fed_from_the_log(server, "seat-1")
    offered = next(parse_ts(e["ts"]) for e in server.db_events()
                   if e["name"] == "call.received" and e["data"]["call_id"] == "c-1")
    window = QWidget()
    qtbot.addWidget(window)
    my_shift = MyShift(store, window, tz=TZ, now=lambda: offered.astimezone(ZoneInfo(TZ)))
    my_shift.fetcher = lambda shift, seq: fetch_kpi(server.url, server.tokens["seat-1"], shift=shift, seq=seq, tz=TZ)
    my_shift.action.trigger()
    view = my_shift.view
    qtbot.waitUntil(lambda: view.report is not None, timeout=10_000)
    answered = MY_SHIFT_ROWS.index("calls_answered")
    assert view.table.item(answered, 1).text() == "1"
    assert "seat-1" in view.heading.text()
    processing = MY_SHIFT_ROWS.index("call_processing_s")
    assert view.table.item(processing, 2).text() == "≤ 60 s"

    # seat-1 takes another call; when it ends at the seat, the view fetches again and counts it.
    switch, seat = server.client("switch-1"), server.client("seat-1")
    assert seat.command("seat.set_ready", {"ready": True})["type"] == "ack"
    assert switch.command("call.offered", {"call_id": "c-3", "caller_number": "13800138000"})["type"] == "ack"
    seat.wait_event("call.ringing", call_id="c-3")
    assert seat.command("call.answer", {"call_id": "c-3"})["type"] == "ack"
    assert seat.command("call.ended", {"call_id": "c-3"})["type"] == "ack"
    assert seat.command("seat.set_ready", {"ready": False})["type"] == "ack"
    my_shift.now = lambda: datetime.now(ZoneInfo(TZ))  # c-3 is in the shift running now
    fetches = my_shift.fetches
    _feed(server, store)
    qtbot.waitUntil(lambda: my_shift.fetches > fetches and not my_shift._busy, timeout=10_000)
    qtbot.waitUntil(lambda: view.table.item(answered, 1).text() in ("1", "2") and view.report["shift"]
                    == current_shift(datetime.now(ZoneInfo(TZ)), TZ).name, timeout=10_000)
    mine = view.mine()
    c3 = next(parse_ts(e["ts"]) for e in server.db_events()
              if e["name"] == "call.received" and e["data"]["call_id"] == "c-3")
    same_shift = current_shift(c3, TZ).name == current_shift(offered, TZ).name
    assert mine["calls_answered"] == (2 if same_shift else 1)
    my_shift.dialog.close()


@pytest.mark.gui
def test_the_supervisors_dashboard_draws_a_real_servers_days(server, qtbot):
    from datetime import date

    from widgets.kpi_dashboard import KpiDashboard

    first, last = (date.fromisoformat(d) for d in _days_of_the_calls(server))
    dashboard = KpiDashboard(lambda a, b: fetch_kpi(server.url, server.tokens["sup-1"], first=a, last=b, tz=TZ),
                             today=lambda: last)
    qtbot.addWidget(dashboard)
    dashboard.show()
    dashboard.set_period(first, last)
    qtbot.waitUntil(lambda: dashboard.report is not None and not dashboard.fetching, timeout=10_000)
    assert dashboard.tiles["calls_offered"][1].text() == str(dashboard.report["overall"]["calls_offered"])
    seats = [dashboard.seat_table.item(row, 0).text() for row in range(dashboard.seat_table.rowCount())]
    assert seats[:2] == ["seat-1", "seat-2"]
    priorities = [dashboard.priority_table.item(r, 0).text() for r in range(dashboard.priority_table.rowCount())]
    assert priorities[0] == "Priority I"
    days = (last - first).days + 1
    xs, ys = dashboard.answer_curve.getData()
    expected = [(date.fromisoformat(d["date"]) - first).days for d in dashboard.report["by_day"]
                if d["answered_within_10s_rate"]["value"] is not None]
    assert list(xs) == expected and len(dashboard.day_axes[0].days) == days
    assert dashboard.answer_target.value() == 95.0
    answered = sum(dashboard.answer_bars.opts["height"])
    assert answered == dashboard.report["overall"]["calls_answered"]
    assert dashboard.processing_hist_target.value() == 60.0

    # A period the server refuses: the reason is shown, the last figures stay.
    dashboard.set_period(last, first - timedelta(days=1))
    qtbot.waitUntil(lambda: not dashboard.fetching and bool(dashboard.problem), timeout=10_000)
    assert "after" in dashboard.status.text() and dashboard.report is not None


@pytest.mark.gui
def test_the_supervisor_reads_an_incidents_record_in_the_dashboard(server, qtbot):
    from app.records.record_render import to_text
    from app.seat.kpi_fetch import fetch_record
    from widgets.kpi_dashboard import KpiDashboard

    token = server.tokens["sup-1"]
    dashboard = KpiDashboard(lambda a, b: fetch_kpi(server.url, token, first=a, last=b),
                             record_fetcher=lambda iid: to_text(fetch_record(server.url, token, iid)).decode())
    qtbot.addWidget(dashboard)
    incident_id = _incident_id(server)
    dashboard.record_id.setText(incident_id)
    dashboard.open_record()
    qtbot.waitUntil(lambda: incident_id in dashboard.record_text.toPlainText(), timeout=10_000)
    assert "南坪西路 8 号" in dashboard.record_text.toPlainText()

    dashboard.record_id.setText(str(uuid.uuid4()))
    dashboard.open_record()
    qtbot.waitUntil(lambda: "HTTP 404" in dashboard.record_text.toPlainText(), timeout=10_000)
