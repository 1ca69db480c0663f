"""A wall restarted mid-day whose feed began from a snapshot fetches the KPI events it missed
(``GET /kpi/rows``) and counts from midnight again, exactly as a wall that saw the whole day."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import orjson
import pytest
from sqlalchemy import insert
from websockets.datastructures import Headers
from websockets.http11 import Request

from app.protocol import format_ts
from app.records.kpi import KPI_EVENTS, LOOK_BACK
from app.wall import RETRY_S, Backfill, RowsRequest, SeqRow, TodayFigures, parse_rows
from server_stub.auth import token_hash
from server_stub.kpi_route import ROW_FIELDS, KpiRowsRoute, parse_rows_query, read_rows, reduce_row
from server_stub.schema import events_table
from server_stub.store import EventStore

NOW = datetime(2026, 11, 27, 6, 0, 0, tzinfo=UTC)  # 14:00 in Shanghai
MIDNIGHT = datetime(2026, 11, 26, 16, 0, 0, tzinfo=UTC)  # 00:00 in Shanghai
SNAPSHOT_AT = NOW - timedelta(minutes=5)  # the supervisor restarted the wall at 13:55
HOURS = 3600.0


def ev(seq: int, name: str, seconds_ago: float, **data) -> dict:
    return {"v": 1, "type": "event", "seq": seq, "ts": format_ts(NOW - timedelta(seconds=seconds_ago)), "name": name,
            "actor": {"id": "server", "role": "admin"}, "data": data}


def the_day() -> list[dict]:
    """Last night and today until 14:00: calls answered in and out of 10 s, runs out in and out of
    3 min, with the callers' numbers, names and addresses the server stores."""
    events: list[dict] = []

    def add(name: str, ago: float, **data) -> None:
        events.append(ev(len(events) + 1, name, ago, **data))

    add("unit.registered", 40 * HOURS, unit_id="A1", call_sign="渝A1", station_id="st-1", capability="als")
    add("call.received", 14 * HOURS + 30, call_id="late", caller_number="13800138000", caller_name="张三")  # 23:59:30
    add("call.answered", 14 * HOURS - 5, call_id="late", seat_id="seat-1")
    for n, (wait, out) in enumerate(((6, 120), (12, 200), (3, 60), (25, None), (4, 90))):
        offered = 9 * HOURS - n * 2 * HOURS  # 05:00, 07:00, ... 13:00
        add("call.received", offered, call_id=f"c{n}", caller_number="13900139000", location_text="南坪西路 8 号")
        add("call.answered", offered - wait, call_id=f"c{n}", seat_id="seat-1")
        iid = f"00000000-0000-4000-8000-00000000001{n}"
        add("incident.created", offered - wait - 30, incident_id=iid, call_id=f"c{n}", seat_id="seat-1", priority=2,
            address="南坪西路 8 号", callback_number="13900139000", description="老人摔倒")
        add("incident.updated", offered - wait - 35, incident_id=iid, changes={"priority": 1, "description": "昏迷"})
        add("unit.assigned", offered - wait - 40, incident_id=iid, unit_id="A1", version=n + 1)
        if out is not None:
            add("unit.status_changed", offered - wait - 40 - out, unit_id="A1", status="en_route",
                previous="dispatched", incident_id=iid, version=n + 1, manual=False)
        add("unit.status_changed", offered - 1200, unit_id="A1", status="available", previous="en_route",
            incident_id=iid, version=n + 1, manual=False)
        add("incident.closed", offered - 1300, incident_id=iid, reason="transported", note="家属陪同")
    # After the restart: a call answered in 3 s, one still ringing.
    add("call.received", 120, call_id="after", caller_number="13700137000")
    add("call.answered", 117, call_id="after", seat_id="seat-2")
    add("call.received", 20, call_id="waiting", caller_number="13600136000")
    return events


def snapshot_seq(events: list[dict]) -> int:
    """The seq of the snapshot sent at 13:55: the last event before it."""
    return max(e["seq"] for e in events if e["ts"] < format_ts(SNAPSHOT_AT))


def server_rows(events: list[dict], request: RowsRequest) -> list[SeqRow]:
    """What the server answers: its KPI events of the request, reduced to what fold() reads."""
    return [(e["seq"], e["name"], e["ts"], reduce_row(e["name"], e["data"])) for e in events
            if e["name"] in ROW_FIELDS and e["seq"] <= request.through_seq and e["ts"] >= format_ts(request.since)]


def wall_that_saw_the_whole_day(events: list[dict]) -> TodayFigures:
    figures = TodayFigures("Asia/Shanghai", now=lambda: NOW)
    for msg in events:
        figures.handle_message(msg)
    return figures


def wall_restarted_at_1355(events: list[dict], now=lambda: NOW) -> TodayFigures:
    """A wall whose server sent a snapshot at 13:55 (too far behind for a replay), then the live events."""
    figures = TodayFigures("Asia/Shanghai", now=now)
    seq = snapshot_seq(events)
    figures.handle_message({"v": 1, "type": "welcome", "server_time": format_ts(SNAPSHOT_AT), "server_seq": seq,
                            "resume": "snapshot", "principal": {}})
    figures.handle_message({"v": 1, "type": "snapshot", "seq": seq, "state": {}})
    for msg in events:
        if msg["seq"] > seq:
            figures.handle_message(msg)
    return figures


def test_a_wall_restarted_mid_day_fetches_the_morning_and_shows_the_whole_days_figures():
    events = the_day()
    whole_day = wall_that_saw_the_whole_day(events).figures()
    figures = wall_restarted_at_1355(events)
    before = figures.figures()
    assert not before.complete and before.since.strftime("%H:%M") == "13:55" and before.calls_offered == 2

    request = figures.missing()
    assert request == RowsRequest(MIDNIGHT - LOOK_BACK, snapshot_seq(events))
    assert figures.merge(request, server_rows(events, request))

    after = figures.figures()
    assert after.complete and after.since.strftime("%H:%M") == "00:00"
    assert after == whole_day
    # By hand: c0, c2, c4 and "after" within 10 s of the 7 calls offered today (the 23:59:30 one was
    # yesterday's); A1 out within 3 min for c0, c2 and c4, late for c1, never for c3.
    assert (after.answered_within_10s["numerator"], after.answered_within_10s["denominator"]) == (4, 7)
    assert (after.departed_within_3min["numerator"], after.departed_within_3min["denominator"]) == (3, 5)
    assert figures.missing() is None  # nothing more to fetch


def test_rows_the_wall_already_has_are_not_counted_twice():
    events = the_day()
    figures = wall_restarted_at_1355(events)
    request = figures.missing()
    assert request is not None
    fetched = server_rows(events, request)
    # A server answering more than asked (the live events after the snapshot) and the same row twice.
    after_snapshot = server_rows(events, RowsRequest(request.since, 10**9))[len(fetched):]
    assert after_snapshot, "the story needs live rows after the snapshot"
    assert figures.merge(request, [*fetched, *fetched[:5], *after_snapshot])

    seqs = [row[0] for row in figures.rows]
    assert seqs == sorted(set(seqs))
    assert figures.figures() == wall_that_saw_the_whole_day(events).figures()


def test_an_answer_for_an_older_snapshot_is_not_merged_and_the_new_one_is_asked_for():
    events = the_day()
    figures = wall_restarted_at_1355(events)
    first = figures.missing()
    assert first is not None
    # The link dropped while fetching; the server sent a newer snapshot.
    figures.handle_message({"v": 1, "type": "welcome", "server_time": format_ts(NOW), "server_seq": 999,
                            "resume": "snapshot", "principal": {}})
    figures.handle_message({"v": 1, "type": "snapshot", "seq": 999, "state": {}})
    assert not figures.merge(first, server_rows(events, first))
    assert not figures.figures().complete
    assert figures.missing() == RowsRequest(first.since, 999)


def test_a_failed_fetch_keeps_since_hhmm_logs_once_and_is_retried_later(caplog):
    events = the_day()
    figures = wall_restarted_at_1355(events)
    clock = [1000.0]
    outcomes: list[Exception | None] = [OSError("connection refused")] * 3 + [None]

    def fetch(request: RowsRequest) -> list[SeqRow]:
        outcome = outcomes.pop(0)
        if outcome is not None:
            raise outcome
        return server_rows(events, request)

    backfill = Backfill(figures, fetch, clock=lambda: clock[0])

    def attempt() -> bool:
        request = backfill.due()
        if request is None:
            return False
        try:
            rows, problem = fetch(request), ""
        except OSError as exc:
            rows, problem = None, str(exc)
        assert backfill.due() is None  # one fetch at a time
        return backfill.done(request, rows, problem) or True

    with caplog.at_level(logging.INFO, logger="app.wall"):
        for _ in range(3):
            assert attempt()
            assert not figures.figures().complete and figures.figures().since.strftime("%H:%M") == "13:55"
            assert not attempt()  # not again at once
            clock[0] += RETRY_S
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1 and "connection refused" in warnings[0].getMessage()
        assert attempt()
    assert figures.figures().complete and figures.figures() == wall_that_saw_the_whole_day(events).figures()
    assert backfill.failures == 0 and backfill.due() is None and outcomes == []


def test_after_midnight_nothing_is_missing_and_the_new_day_counts_from_00_00():
    events = the_day()
    now = [NOW]
    figures = wall_restarted_at_1355(events, now=lambda: now[0])
    assert figures.missing() is not None
    now[0] = MIDNIGHT + timedelta(days=1, minutes=5)
    assert figures.missing() is None
    figures.prune()
    shown = figures.figures()
    assert shown.complete and shown.since.strftime("%H:%M") == "00:00" and shown.calls_offered == 0
    assert Backfill(figures, lambda request: []).due() is None


def test_the_rows_the_server_sends_hold_what_the_kpis_read_and_no_caller():
    assert set(ROW_FIELDS) == set(KPI_EVENTS)
    sent = orjson.dumps([reduce_row(e["name"], e["data"]) for e in the_day() if e["name"] in ROW_FIELDS]).decode()
    for private in ("13800138000", "13900139000", "张三", "南坪西路", "老人摔倒", "昏迷", "家属陪同",
                    "caller_number", "address", "description", "note", "callback_number"):
        assert private not in sent, private
    assert reduce_row("incident.updated", {"incident_id": "i", "changes": {"description": "x"}}) == {"incident_id": "i"}
    assert reduce_row("incident.updated", {"incident_id": "i", "changes": {"priority": 1, "address": "x"}}) == {
        "incident_id": "i", "changes": {"priority": 1}}


@pytest.mark.parametrize("query", [
    "through_seq=5", "from=2026-11-26T16:00:00Z", "from=yesterday&through_seq=5", "from=2026-11-26T16:00:00&through_seq=5",
    "from=2026-11-26T16:00:00Z&through_seq=-1", "from=2026-11-26T16:00:00Z&through_seq=five",
    "from=2026-11-26T16:00:00Z&through_seq=5&through_seq=6", "from=2026-11-26T16:00:00Z&through_seq=5&tz=UTC",
])
def test_a_bad_rows_query_is_refused_with_the_reason(query):
    from server_stub.kpi_route import BadQueryError

    with pytest.raises(BadQueryError):
        parse_rows_query(query)


def test_a_rows_query_names_a_moment_and_a_seq():
    assert parse_rows_query("from=2026-11-27T00:00:00%2B08:00&through_seq=42") == (MIDNIGHT, 42)
    assert parse_rows_query("from=2026-11-26T16:00:00.000Z&through_seq=0") == (MIDNIGHT, 0)


TOKEN = "a-wall-token-0123456789"


def test_more_rows_than_the_limit_are_refused_plainly_and_the_wall_reads_a_good_answer(tmp_path):
    store = EventStore(tmp_path / "events.sqlite")
    with store.engine.begin() as conn:
        for e in the_day():
            conn.execute(insert(events_table).values(seq=e["seq"], ts=e["ts"], name=e["name"], actor_id="server",
                                                     actor_role="admin", ref=None, data=e["data"]))
    principals = SimpleNamespace(
        engine=store.engine,
        principal_by_token_hash=lambda digest: SimpleNamespace(id="wall-1", role="wall", revoked=False)
        if digest == token_hash(TOKEN) else None)
    query = f"from={format_ts(MIDNIGHT - LOOK_BACK)}&through_seq=30"
    request = Request(f"/kpi/rows?{query}", Headers({"Authorization": f"Bearer {TOKEN}"}))

    refused = asyncio.run(KpiRowsRoute(principals, limit=10).serve(request))
    assert refused.status_code == 400
    assert orjson.loads(refused.body)["error"] == "too_many_rows" and "more than 10" in orjson.loads(refused.body)["message"]

    answered = asyncio.run(KpiRowsRoute(principals).serve(request))
    assert answered.status_code == 200
    rows = parse_rows(answered.body)
    expected = server_rows(the_day(), RowsRequest(MIDNIGHT - LOOK_BACK, 30))
    assert rows == expected and read_rows(store.engine, MIDNIGHT - LOOK_BACK, 30) == expected
    store.close()
