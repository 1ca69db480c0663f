"""The KPI report reads a PostgreSQL event log exactly as it reads a SQLite one, and only reads it."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.__main__ import main
from app.records import kpi
from server_stub.store import Batch, EventStore
from tests.unit.test_kpi import (
    BEIJING_EVENING,
    INC,
    assign,
    centre,
    close,
    crew_reports,
    offered_and_answered,
    s,
    take_call_open_incident,
    write_log,
)


def _shift_with_runs():
    c = centre()
    t0 = s(BEIJING_EVENING, 60)
    offered_and_answered(c, "C0", s(t0, -50), 12.0)
    take_call_open_incident(c, "C1", INC[0], t0, answer_s=5, create_s=20, priority=1)
    assign(c, INC[0], "A01", s(t0, 65))
    assign(c, INC[0], "A02", s(t0, 95))
    crew_reports(c, "A01", (s(t0, 185), "en_route"), (s(t0, 700), "on_scene"))
    crew_reports(c, "A02", (s(t0, 295), "en_route"), (s(t0, 600), "on_scene"), (s(t0, 650), "available"))
    take_call_open_incident(c, "C2", INC[1], s(t0, 120), answer_s=3, create_s=10, by="seat-2")
    assign(c, INC[1], "A03", s(t0, 140), by="seat-2")
    close(c, INC[1], "cancelled", s(t0, 200))
    return c


def _write_pg(c, url: str) -> None:
    store = EventStore(url)
    try:
        store.commit(Batch(expected_seq=0, events=c.log))
    finally:
        store.close()


def test_the_same_log_gives_the_same_report_on_postgresql_and_sqlite(pg_url, tmp_path):
    c = _shift_with_runs()
    _write_pg(c, pg_url)
    sqlite_db = write_log(c, tmp_path / "events.sqlite")

    on_pg = kpi.kpi_report(pg_url, "2026-11-27", "2026-11-27")

    assert on_pg == kpi.kpi_report(sqlite_db, "2026-11-27", "2026-11-27")
    assert on_pg["overall"]["calls_offered"] == 3
    assert on_pg["overall"]["departure_within_3min_rate"]["value"] == 0.5


def test_a_newer_postgresql_schema_is_refused_with_exit_code_3(pg_url, capsys):
    _write_pg(centre(), pg_url)
    with psycopg.connect(pg_url.replace("postgresql+psycopg://", "postgresql://", 1)) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099_future'")

    assert main(["report", "kpi", "--db", pg_url, "--from", "2026-11-27", "--to", "2026-11-27"]) == 3
    assert "newer than this dispatch120 knows" in capsys.readouterr().err


def test_the_reports_connection_cannot_write_to_the_log(pg_url):
    _write_pg(centre(), pg_url)
    engine = kpi.open_log(pg_url)
    try:
        with engine.connect() as conn, pytest.raises(DBAPIError, match="read-only"):
            conn.execute(text("DELETE FROM events"))
    finally:
        engine.dispose()
