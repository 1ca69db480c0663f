"""``GET /kpi``'s answer is kept a few seconds (a room of seats refreshing together costs one read of
the log), and a database that fails is answered 500 with a log line, never a traceback to the client."""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace

import orjson
from sqlalchemy import create_engine
from websockets.datastructures import Headers
from websockets.http11 import Request

from app.records.kpi import Period
from server_stub.auth import token_hash
from server_stub.kpi_route import KpiRoute
from server_stub.store import EventStore

TOKEN = "a-supervisor-token-0123456789"


class _Principals:
    """The store's credential lookup, with one supervisor, over ``engine``."""

    def __init__(self, engine) -> None:
        self.engine = engine

    def principal_by_token_hash(self, digest: str):
        if digest == token_hash(TOKEN):
            return SimpleNamespace(id="sup-1", role="supervisor", revoked=False)
        return None


def _request(query: str) -> Request:
    return Request(f"/kpi?{query}", Headers({"Authorization": f"Bearer {TOKEN}"}))


def test_a_report_asked_again_within_five_seconds_is_not_computed_again(tmp_path):
    store = EventStore(tmp_path / "events.sqlite")
    now, seq = [100.0], [3]
    route = KpiRoute(_Principals(store.engine), clock=lambda: now[0], seq=lambda: seq[0])
    period = Period.make("2026-12-01", "2026-12-01")

    async def story() -> None:
        first = await route.report(period, None)
        assert first["empty"] is True
        now[0] += 4.9
        assert await route.report(period, None) is first
        assert route.computed == 1
        now[0] += 0.2
        await route.report(period, None)
        assert route.computed == 2
        await route.report(Period.make("2026-12-02", "2026-12-02"), None)  # another period: its own
        assert route.computed == 3
        # A seat whose call just ended has seen seq 7: a report read before the log reached it is not enough.
        seq[0] = 7
        await route.report(period, None, seen_seq=7)
        assert route.computed == 4
        assert (await route.report(period, None, seen_seq=7)) is not None and route.computed == 4

    try:
        asyncio.run(story())
    finally:
        store.close()


def test_a_failing_database_is_answered_500_and_logged(tmp_path, caplog):
    broken = create_engine(f"sqlite:///{tmp_path / 'missing' / 'events.sqlite'}")  # the folder does not exist
    route = KpiRoute(_Principals(broken))
    with caplog.at_level(logging.ERROR, logger="server_stub.kpi_route"):
        response = asyncio.run(route.serve(_request("from=2026-12-01&to=2026-12-01")))
    assert response.status_code == 500
    assert orjson.loads(response.body) == {"error": "internal", "message": "could not read the event log"}
    assert "could not compute the report" in caplog.text
