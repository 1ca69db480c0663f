"""The wall display's core: today's figures are the KPI report's, what a wall may see, its settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.protocol import format_ts
from app.records.kpi import Period, build_report, fold
from app.settings import ENV_MACHINE_CONFIG, ENV_USER_CONFIG, load_settings
from app.wall import TodayFigures
from server_stub.visibility import WallView

NOW = datetime(2026, 11, 27, 4, 0, 0, tzinfo=UTC)  # 12:00 in Shanghai
INC = "00000000-0000-4000-8000-000000000001"


def ev(seq: int, name: str, seconds_ago: float, **data) -> dict:
    return {"v": 1, "type": "event", "seq": seq, "ts": format_ts(NOW - timedelta(seconds=seconds_ago)), "name": name,
            "actor": {"id": "server", "role": "admin"}, "data": data}


def morning() -> list[dict]:
    """Yesterday evening and this morning: calls answered in and out of time, runs out in and out of time."""
    events, seq = [], 0

    def add(name: str, ago: float, **data) -> None:
        nonlocal seq
        seq += 1
        events.append(ev(seq, name, ago, **data))

    add("unit.registered", 40 * 3600, unit_id="A1", call_sign="渝A1", station_id="st-1", capability="als")
    add("call.received", 12 * 3600 + 30, call_id="late-evening")  # 23:59:30 yesterday, answered 00:00:05
    add("call.answered", 12 * 3600 - 5, call_id="late-evening", seat_id="seat-1")
    for n, (wait, out) in enumerate(((6, 120), (12, 200), (3, 60), (25, None))):
        offered = 3 * 3600 - n * 600
        add("call.received", offered, call_id=f"c{n}")
        add("call.answered", offered - wait, call_id=f"c{n}", seat_id="seat-1")
        iid = f"00000000-0000-4000-8000-00000000001{n}"
        add("incident.created", offered - wait - 30, incident_id=iid, call_id=f"c{n}", seat_id="seat-1", priority=2)
        add("unit.assigned", offered - wait - 40, incident_id=iid, unit_id="A1", version=n + 1)
        if out is not None:
            add("unit.status_changed", offered - wait - 40 - out, unit_id="A1", status="en_route",
                previous="dispatched", incident_id=iid, version=n + 1, manual=False)
        add("unit.status_changed", offered - 500, unit_id="A1", status="available", previous="en_route",
            incident_id=iid, version=n + 1, manual=False)
    add("call.received", 20, call_id="waiting")
    return events


def test_todays_figures_are_the_kpi_reports_figures_for_today():
    figures = TodayFigures("Asia/Shanghai", now=lambda: NOW)
    events = morning()
    for msg in events:
        figures.handle_message(msg)
    shown = figures.figures()

    report = build_report(fold((e["name"], e["ts"], e["data"]) for e in events),
                          Period.make("2026-11-27", "2026-11-27", "Asia/Shanghai"))
    assert shown.complete and shown.since.strftime("%H:%M") == "00:00"
    assert shown.answered_within_10s == report["overall"]["answered_within_10s_rate"]
    assert shown.departed_within_3min == report["overall"]["departure_within_3min_rate"]
    # By hand: c0 and c2 within 10 s of 5 offered today (the late-evening call was yesterday's);
    # A1 out in 120 s and 60 s, 200 s late, and one run stood down after 10 min without leaving.
    assert (shown.answered_within_10s["numerator"], shown.answered_within_10s["denominator"]) == (2, 5)
    assert (shown.departed_within_3min["numerator"], shown.departed_within_3min["denominator"]) == (2, 4)


def test_after_a_snapshot_the_wall_counts_from_the_snapshot_and_says_so():
    figures = TodayFigures("Asia/Shanghai", now=lambda: NOW)
    figures.handle_message({"v": 1, "type": "welcome", "server_time": format_ts(NOW - timedelta(hours=1)),
                            "server_seq": 900, "resume": "snapshot", "principal": {}})
    figures.handle_message({"v": 1, "type": "snapshot", "seq": 900, "state": {}})
    for msg in morning()[-3:]:  # only what came after the snapshot
        figures.handle_message(msg)
    shown = figures.figures()
    assert not shown.complete and shown.since.strftime("%H:%M") == "11:00"
    assert shown.calls_offered == 1  # the call waiting; the morning's before 11:00 are not known here


def test_the_wall_never_receives_the_caller_nor_what_it_does_not_need():
    view = WallView()
    received = view.event(ev(1, "call.received", 0, call_id="c1", caller_number="13800138000", caller_name="张三",
                             location_text="南坪西路 8 号", locations=[{"source": "gps", "lat": 29.5, "lon": 106.5}]))
    assert received is not None and received["data"] == {"call_id": "c1", "caller_number": "*"}
    created = view.event(ev(2, "incident.created", 0, incident_id=INC, seat_id="seat-1", callback_number="139",
                            priority=1))
    assert created is not None and "callback_number" not in created["data"] and created["data"]["priority"] == 1
    assert view.event(ev(3, "incident.updated", 0, incident_id=INC, changes={"callback_number": "139"})) is None
    for private in ("call.chat_received", "call.media_stored", "prenotify.sent", "triage.answered",
                    "principal.registered", "seat.state_changed", "some.future_event"):
        assert view.event(ev(4, private, 0)) is None, private
    state = view.snapshot({"seq": 4, "calls": {"c1": {"call_id": "c1", "caller_number": "13800138000",
                                                      "caller_name": "张三", "state": "queued", "chat": ["救命"],
                                                      "received_at": "t"}},
                           "principals": {"seat-1": {}}, "caller_links": {"l1": {}}})
    assert state["calls"]["c1"]["caller_number"] == "*" and "chat" not in state["calls"]["c1"]
    assert state["calls"]["c1"]["caller_name"] is None and state["calls"]["c1"]["state"] == "queued"
    assert state["principals"] == {} and state["caller_links"] == {}


def test_the_dispatcher_can_turn_automatic_vitals_watching_off_and_set_the_centres_zone(tmp_path):
    user = tmp_path / "user.toml"
    env = {ENV_MACHINE_CONFIG: str(tmp_path / "none.toml"), ENV_USER_CONFIG: str(user)}
    defaults = load_settings(env=env)
    assert defaults.vitals_auto_watch is True and defaults.centre_timezone == "Asia/Shanghai"

    user.write_text('vitals_auto_watch = false\ncentre_timezone = "Asia/Urumqi"\n', encoding="utf-8")
    chosen = load_settings(env=env)
    assert chosen.vitals_auto_watch is False and chosen.centre_timezone == "Asia/Urumqi"

    user.write_text('vitals_auto_watch = "no"\ncentre_timezone = "Mars/Olympus"\n', encoding="utf-8")
    refused = load_settings(env=env)
    assert refused.vitals_auto_watch is True and refused.centre_timezone == "Asia/Shanghai"
    assert len(refused.problems) == 2
