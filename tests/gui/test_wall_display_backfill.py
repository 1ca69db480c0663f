"""A supervisor restarts the wall display mid-morning and the server answers with a snapshot: the
wall fetches the morning's KPI events and shows the figures since 00:00 again; while the server
cannot be asked it says since when it counts, and asks again later."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.protocol import format_ts, snapshot, welcome
from app.records.kpi import KPI_EVENTS
from app.seat.store import SeatStore
from app.wall import RowsRequest, SeqRow, TodayFigures, WallFeed
from tests.gui.conftest import Server
from widgets.clock import SeatClock
from widgets.wall_display import WallDisplay

START = datetime(2026, 11, 27, 2, 0, 0, tzinfo=UTC)  # 10:00 in Shanghai
SNAPSHOT_AT = START - timedelta(minutes=30)  # 09:30


class ServerLog:
    """The server's log: every event it wrote, whoever was listening."""

    def __init__(self) -> None:
        self.messages: list[dict] = []

    def handle_message(self, msg: dict) -> None:
        self.messages.append(msg)

    def rows(self, request: RowsRequest) -> list[SeqRow]:
        """``GET /kpi/rows`` of this log."""
        return [(m["seq"], m["name"], m["ts"], m["data"]) for m in self.messages
                if m["name"] in KPI_EVENTS and m["seq"] <= request.through_seq and m["ts"] >= format_ts(request.since)]


def a_morning() -> tuple[ServerLog, int]:
    """Calls from 06:00 to 09:50 (answered in 4 s, 15 s, 8 s, 30 s), the snapshot's seq after 09:00."""
    log = ServerLog()
    server = Server(log, START)  # type: ignore[arg-type]  # the log has handle_message
    snap_seq = 0
    for n, (offered_h, wait) in enumerate(((4.0, 4), (2.5, 15), (1.2, 8), (10 / 60, 30))):
        ago = offered_h * 3600
        if ago < (START - SNAPSHOT_AT).total_seconds() and not snap_seq:
            snap_seq = server.seq
        server.event("call.received", call_id=f"c{n}", caller_number="13800138000", seconds_ago=ago)
        server.event("call.answered", call_id=f"c{n}", seat_id="seat-1", seconds_ago=ago - wait)
    return log, snap_seq


def restarted_wall(qtbot, log: ServerLog, snap_seq: int, fetcher) -> WallDisplay:
    store = SeatStore()
    figures = TodayFigures("Asia/Shanghai", now=lambda: START)
    feed = WallFeed(store, figures)
    feed.handle_message({**welcome(principal={"id": "wall-1", "role": "wall", "name": "大屏", "unit_id": None},
                                   server_seq=snap_seq, resume="snapshot"), "server_time": format_ts(SNAPSHOT_AT)})
    feed.handle_message(snapshot(seq=snap_seq, state={"seq": snap_seq, "units": {}, "calls": {}, "incidents": {}}))
    for msg in log.messages:
        if msg["seq"] > snap_seq:
            feed.handle_message(msg)
    wall = WallDisplay(store, figures, SeatClock(now=lambda: START), confirm_close=False, rows_fetcher=fetcher)
    qtbot.addWidget(wall)
    return wall


def test_a_wall_restarted_mid_morning_shows_the_figures_since_midnight_again(qtbot, styled_app):
    log, snap_seq = a_morning()
    asked: list[RowsRequest] = []
    wall = restarted_wall(qtbot, log, snap_seq, lambda request: asked.append(request) or log.rows(request))
    wall.render_figures()
    assert "since 09:30" in wall.answer_detail.text() and "0 of 1 calls" in wall.answer_detail.text()

    wall.tick()
    qtbot.waitUntil(lambda: "since 00:00" in wall.answer_detail.text())
    assert wall.fetch_thread is not None
    wall.fetch_thread.join(5)
    assert not wall.fetch_thread.is_alive()
    # c0 (4 s) and c2 (8 s) of the morning's four calls.
    assert wall.answer_value.text() == "50.0 %" and "2 of 4 calls" in wall.answer_detail.text()
    assert [r.through_seq for r in asked] == [snap_seq]
    wall.tick()
    assert len(asked) == 1  # complete: nothing more is asked


def test_while_the_server_cannot_be_asked_the_wall_says_since_when_it_counts(qtbot, styled_app):
    log, snap_seq = a_morning()
    tries: list[RowsRequest] = []

    def unreachable(request: RowsRequest) -> list[SeqRow]:
        tries.append(request)
        raise OSError("connection refused")

    wall = restarted_wall(qtbot, log, snap_seq, unreachable)
    wall.tick()
    qtbot.waitUntil(lambda: wall.backfill.failures == 1)
    assert wall.fetch_thread is not None
    wall.fetch_thread.join(5)
    wall.render_figures()
    assert "since 09:30" in wall.answer_detail.text() and "0 of 1 calls" in wall.answer_detail.text()
    wall.tick()
    assert len(tries) == 1  # not again before the retry interval
