"""An incident's record and the incident search read a PostgreSQL event log exactly as a SQLite one."""

from __future__ import annotations

from app.__main__ import main
from app.records import demo
from app.records.incident import Criteria, read_incident, search
from app.records.record_render import render_record
from tests.unit.test_incident_record import write_demo


def test_the_same_log_gives_the_same_record_and_search_on_postgresql_and_sqlite(pg_url, tmp_path):
    write_demo(pg_url)
    sqlite_db = write_demo(tmp_path / "events.sqlite")

    on_pg = read_incident(pg_url, demo.INCIDENT_ID[:8])

    assert on_pg == read_incident(sqlite_db, demo.INCIDENT_ID)
    assert len(on_pg["strips"][0]["samples"]) == 2500 and on_pg["vitals"][0]["hr"] == 96
    assert render_record(on_pg, "pdf") == render_record(read_incident(sqlite_db, demo.INCIDENT_ID), "pdf")
    criteria = Criteria(phone="13912345678", unit="渝中2", determinant="02-A")
    assert search(pg_url, criteria) == search(sqlite_db, criteria) != []


def test_an_unknown_incident_on_postgresql_is_refused_with_exit_code_4(pg_url, capsys):
    write_demo(pg_url)

    assert main(["records", "show", "--db", pg_url, "--incident", "ffffffff-0000-4000-8000-000000000000"]) == 4
    assert "no incident" in capsys.readouterr().err
