"""KPIs from the event log, on shifts whose answers are worked out by hand.

Each story is played through the real domain (``decide`` → events → ``State.apply``, the
harness in ``domain_harness.py``), written into a real SQLite event store (the server's
``EventStore``, migrated schema) and read back by ``app.records.kpi`` as the report does.
The harness clock does not tick by itself here (``step_s=0``): every second is set by hand.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from app.__main__ import main
from app.records import kpi
from app.records.report import render
from server_stub.store import Batch, EventStore
from tests.unit.domain_harness import ADMIN, SWITCH, Centre, device, seat

BEIJING_EVENING = datetime(2026, 11, 27, 10, 0, 0, tzinfo=UTC)  # 18:00 in Beijing, a day shift


# ---------------------------------------------------------------- plumbing


def centre(start: datetime = BEIJING_EVENING) -> Centre:
    """Three ALS ambulances, seat-1 and seat-2 logged in and ready; the clock still."""
    c = Centre(start=start, step_s=0)
    for unit_id in ("A01", "A02", "A03"):
        c.register_unit(unit_id, f"急救{unit_id[-1]}")
    c.register_seat("seat-1")
    c.register_seat("seat-2")
    c.login_ready("seat-1", "seat-2")
    return c


def at(c: Centre, moment: datetime) -> None:
    """Set the server clock: the next events are stamped ``moment``."""
    c.now = moment


def write_log(c: Centre, path: Path) -> Path:
    store = EventStore(path)
    try:
        store.commit(Batch(expected_seq=0, events=c.log))
    finally:
        store.close()
    return path


def report_of(c: Centre, tmp_path: Path, first: str = "2026-11-27", last: str | None = None, **options) -> dict:
    db = write_log(c, tmp_path / "events.sqlite")
    return kpi.kpi_report(db, first, last or first, **options)


def offered_and_answered(c: Centre, call_id: str, offered: datetime, after_s: float, by: str = "seat-1") -> None:
    at(c, offered)
    c.offer_call(call_id)
    at(c, offered + timedelta(seconds=after_s))
    c.send(seat(by), "call.answer", {"call_id": call_id})
    c.send(seat(by), "call.ended", {"call_id": call_id})


def take_call_open_incident(c: Centre, call_id: str, incident_id: str, offered: datetime, *, answer_s: float,
                            create_s: float, by: str = "seat-1", **fields) -> None:
    offered_and_answered(c, call_id, offered, answer_s, by)
    at(c, offered + timedelta(seconds=create_s))
    c.send(seat(by), "incident.create", {"incident_id": incident_id, "call_id": call_id, **fields})


def assign(c: Centre, incident_id: str, unit_id: str, moment: datetime, by: str = "seat-1") -> None:
    at(c, moment)
    c.send(seat(by), "unit.assign", {"incident_id": incident_id, "unit_id": unit_id})


def crew_reports(c: Centre, unit_id: str, *steps: tuple[datetime, str]) -> None:
    for moment, status in steps:
        at(c, moment)
        c.send(device(unit_id), "unit.status", {"unit_id": unit_id, "status": status})


def close(c: Centre, incident_id: str, reason: str, moment: datetime) -> None:
    at(c, moment)
    c.send(seat("seat-1"), "incident.close", {"incident_id": incident_id, "reason": reason})


def s(base: datetime, seconds: float) -> datetime:
    return base + timedelta(seconds=seconds)


INC = [f"{i:08d}-0000-4000-8000-000000000000" for i in range(1, 10)]


# ---------------------------------------------------------------- calls


def test_a_call_answered_at_exactly_ten_seconds_meets_the_target_and_an_abandoned_call_counts_against_it(tmp_path):
    c = centre()
    t0 = s(BEIJING_EVENING, 60)
    offered_and_answered(c, "C1", t0, 10.0)                    # exactly 10.0 s: within
    offered_and_answered(c, "C2", s(t0, 60), 10.5)             # 10.5 s: late
    at(c, s(t0, 120))
    c.offer_call("C3")
    at(c, s(t0, 124))
    c.send(SWITCH, "call.abandoned", {"call_id": "C3"})        # hung up before the answer
    offered_and_answered(c, "C4", s(t0, 180), 3.0, by="seat-2")

    overall = report_of(c, tmp_path)["overall"]

    assert overall["calls_offered"] == 4
    assert overall["calls_answered"] == 3
    assert overall["answered_within_10s_rate"] == {"value": 0.5, "numerator": 2, "denominator": 4}
    # (10.0 + 10.5 + 3.0) / 3; p90 by nearest rank: the 3rd of 3 sorted values.
    assert overall["answer_time_s"] == {"mean": 7.833, "p90": 10.5, "n": 3, "excluded": 0}


def test_calls_are_counted_at_the_seat_that_answered_them_and_unanswered_ones_under_no_seat(tmp_path):
    c = centre()
    offered_and_answered(c, "C1", s(BEIJING_EVENING, 60), 4.0, by="seat-1")
    offered_and_answered(c, "C2", s(BEIJING_EVENING, 120), 12.0, by="seat-2")
    at(c, s(BEIJING_EVENING, 200))
    c.offer_call("C3")
    at(c, s(BEIJING_EVENING, 230))
    c.send(SWITCH, "call.abandoned", {"call_id": "C3"})

    by_seat = {line["seat"]: line for line in report_of(c, tmp_path)["by_seat"]}

    assert list(by_seat) == ["seat-1", "seat-2", None]
    assert by_seat["seat-1"]["answered_within_10s_rate"]["value"] == 1.0
    assert by_seat["seat-2"]["answered_within_10s_rate"]["value"] == 0.0
    assert by_seat[None]["calls_offered"] == 1 and by_seat[None]["calls_answered"] == 0


# ---------------------------------------------------------------- incidents and runs


def test_an_incident_with_two_units_counts_two_runs_the_first_dispatch_and_the_first_arrival(tmp_path):
    c = centre()
    t0 = s(BEIJING_EVENING, 60)
    take_call_open_incident(c, "C1", INC[0], t0, answer_s=5, create_s=20, priority=1)
    assign(c, INC[0], "A01", s(t0, 65))                         # call processing: 65 - 5 = 60 s
    assign(c, INC[0], "A02", s(t0, 95))
    crew_reports(c, "A01", (s(t0, 65 + 120), "en_route"))       # left after 120 s: within 3 min
    crew_reports(c, "A02", (s(t0, 95 + 200), "en_route"))       # left after 200 s: late
    crew_reports(c, "A02", (s(t0, 600), "on_scene"))            # the second unit arrives first
    crew_reports(c, "A01", (s(t0, 700), "on_scene"), (s(t0, 900), "transporting"), (s(t0, 1500), "at_hospital"),
                 (s(t0, 1800), "available"))
    crew_reports(c, "A02", (s(t0, 950), "available"))
    close(c, INC[0], "transported", s(t0, 1900))

    overall = report_of(c, tmp_path)["overall"]

    assert overall["incidents"] == 1
    assert overall["call_processing_s"]["mean"] == 60.0
    assert overall["departure_within_3min_rate"] == {"value": 0.5, "numerator": 1, "denominator": 2}
    assert overall["response_time_s"] == {"mean": 600.0, "p90": 600.0, "n": 1, "excluded": 0}  # offered → first on scene
    assert overall["dispatch_to_call_ratio"] == {"value": 2.0, "numerator": 2, "denominator": 1}
    assert overall["empty_run_rate"] == {"value": 0.0, "numerator": 0, "denominator": 2, "by_reason": {}}
    # A priority-I patient transported without a pre-notification.
    assert overall["prenotification_rate"] == {"value": 0.0, "numerator": 0, "denominator": 1}


def test_cancelled_runs_are_empty_runs_and_a_unit_stood_down_before_it_had_to_leave_is_not_late(tmp_path):
    c = centre()
    t0 = s(BEIJING_EVENING, 60)
    # 1. Cancelled 100 s after dispatch, before leaving: an empty run, not a late departure.
    take_call_open_incident(c, "C1", INC[0], t0, answer_s=3, create_s=10)
    assign(c, INC[0], "A01", s(t0, 30))
    close(c, INC[0], "cancelled", s(t0, 130))
    # 2. Cancelled 300 s after dispatch, still not left: empty, and late (3 min passed).
    take_call_open_incident(c, "C2", INC[1], s(t0, 200), answer_s=3, create_s=10)
    assign(c, INC[1], "A02", s(t0, 230))
    close(c, INC[1], "cancelled", s(t0, 530))
    # 3. Nobody there: left in 60 s, empty run with reason no_patient_found.
    take_call_open_incident(c, "C3", INC[2], s(t0, 600), answer_s=3, create_s=10)
    assign(c, INC[2], "A03", s(t0, 630))
    crew_reports(c, "A03", (s(t0, 690), "en_route"), (s(t0, 1200), "on_scene"), (s(t0, 1500), "available"))
    close(c, INC[2], "no_patient_found", s(t0, 1510))
    # 4. Treated on scene: left in 90 s, not empty.
    take_call_open_incident(c, "C4", INC[3], s(t0, 2000), answer_s=3, create_s=10)
    assign(c, INC[3], "A01", s(t0, 2030))
    crew_reports(c, "A01", (s(t0, 2120), "en_route"), (s(t0, 2500), "on_scene"), (s(t0, 3000), "available"))
    close(c, INC[3], "treated_on_scene", s(t0, 3010))

    overall = report_of(c, tmp_path)["overall"]

    assert overall["empty_run_rate"] == {"value": 0.75, "numerator": 3, "denominator": 4,
                                         "by_reason": {"cancelled": 2, "no_patient_found": 1}}
    # Due to leave: runs 2 (late), 3 and 4 (in time); run 1 was stood down within 3 min.
    assert overall["departure_within_3min_rate"] == {"value": 0.6667, "numerator": 2, "denominator": 3}


def test_an_incident_still_open_at_the_end_of_the_period_is_followed_past_midnight_but_not_judged_empty(tmp_path):
    c = centre()
    night = datetime(2026, 11, 27, 15, 50, 0, tzinfo=UTC)  # 23:50 in Beijing
    take_call_open_incident(c, "C1", INC[0], night, answer_s=4, create_s=30)
    assign(c, INC[0], "A01", s(night, 510))                     # 23:58:30
    crew_reports(c, "A01", (s(night, 630), "en_route"),         # 00:00:30 on the 28th: 120 s, in time
                 (s(night, 1200), "on_scene"))                  # still on scene when the log ends
    # A second incident whose unit has not moved 10 minutes later: it counts as late.
    take_call_open_incident(c, "C2", INC[1], s(night, 60), answer_s=2, create_s=20, by="seat-2")
    assign(c, INC[1], "A02", s(night, 600), by="seat-2")
    # A third, dispatched 100 s before the log ends: it may still leave in time, so it is not judged.
    take_call_open_incident(c, "C3", INC[2], s(night, 120), answer_s=2, create_s=20, by="seat-2")
    assign(c, INC[2], "A03", s(night, 1100), by="seat-2")
    at(c, s(night, 1200))
    c.send(seat("seat-1"), "seat.set_ready", {"ready": False})  # the last event of the log

    report = report_of(c, tmp_path)

    overall = report["overall"]
    assert overall["incidents"] == 3
    assert overall["response_time_s"]["mean"] == 1200.0
    assert overall["departure_within_3min_rate"] == {"value": 0.5, "numerator": 1, "denominator": 2}
    assert overall["empty_run_rate"]["denominator"] == 0  # no incident closed: no outcome yet
    assert [line["date"] for line in report["by_day"]] == ["2026-11-27"]


# ---------------------------------------------------------------- time zones, days and shifts


def _three_calls_around_midnight_in_beijing() -> Centre:
    c = centre(datetime(2026, 11, 27, 15, 0, tzinfo=UTC))
    offered_and_answered(c, "C1", datetime(2026, 11, 27, 15, 59, 55, tzinfo=UTC), 8.0)  # 23:59:55 → answered 00:00:03
    offered_and_answered(c, "C2", datetime(2026, 11, 27, 16, 0, 5, tzinfo=UTC), 2.0)   # 00:00:05 on the 28th
    offered_and_answered(c, "C3", datetime(2026, 11, 28, 0, 0, 0, tzinfo=UTC), 2.0)    # 08:00:00 sharp
    return c


def test_a_call_belongs_to_the_local_day_and_shift_it_was_offered_in(tmp_path):
    report = report_of(_three_calls_around_midnight_in_beijing(), tmp_path, "2026-11-27", "2026-11-28")

    assert [(d["date"], d["calls_offered"]) for d in report["by_day"]] == [("2026-11-27", 1), ("2026-11-28", 2)]
    # The night shift (20:00–08:00) keeps both sides of midnight; 08:00 sharp starts the day shift.
    assert [(d["shift"], d["calls_offered"]) for d in report["by_shift"]] == [
        ("2026-11-27 20:00", 2), ("2026-11-28 08:00", 1)]


def test_the_same_log_cut_at_utc_midnight_gives_other_days_and_shifts(tmp_path):
    report = report_of(_three_calls_around_midnight_in_beijing(), tmp_path, "2026-11-27", "2026-11-28", tz="UTC")

    assert [(d["date"], d["calls_offered"]) for d in report["by_day"]] == [("2026-11-27", 2), ("2026-11-28", 1)]
    assert [(d["shift"], d["calls_offered"]) for d in report["by_shift"]] == [
        ("2026-11-27 08:00", 2), ("2026-11-27 20:00", 1)]


def test_a_one_day_report_leaves_out_a_call_offered_the_evening_before_even_if_answered_after_midnight(tmp_path):
    report = report_of(_three_calls_around_midnight_in_beijing(), tmp_path, "2026-11-28")

    assert report["overall"]["calls_offered"] == 2
    assert report["overall"]["answer_time_s"]["mean"] == 2.0


def test_shift_times_are_the_centres_own(tmp_path):
    report = report_of(_three_calls_around_midnight_in_beijing(), tmp_path, "2026-11-27", "2026-11-28",
                       shifts=[datetime.strptime(t, "%H:%M").time() for t in ("00:00", "07:30", "16:00")])

    assert [(d["shift"], d["calls_offered"]) for d in report["by_shift"]] == [
        ("2026-11-27 16:00", 1), ("2026-11-28 00:00", 1), ("2026-11-28 07:30", 1)]


# ---------------------------------------------------------------- clocks


def test_kpis_use_the_servers_time_not_the_seats_or_devices_clock(tmp_path):
    c = centre()
    t0 = s(BEIJING_EVENING, 60)
    take_call_open_incident(c, "C1", INC[0], t0, answer_s=6, create_s=15)
    # The seat's clock is 7 minutes slow: its "at" says the arrest was recognised before the call came.
    at(c, s(t0, 40))
    c.send(seat("seat-1"), "triage.arrest_recognised",
           {"incident_id": INC[0], "at": "2026-11-27T09:54:00.000Z", "priority": 1,
            "plan": "als_emergency", "capability": "als"})
    at(c, s(t0, 81))
    c.send(seat("seat-1"), "cpr.started", {"incident_id": INC[0], "rate_per_min": 110, "variant": "adult"})

    overall = report_of(c, tmp_path)["overall"]

    assert overall["tcpr_recognition_rate"] == {"value": 1.0, "numerator": 1, "denominator": 1}
    assert overall["time_to_first_compression_s"]["mean"] == 75.0  # 81 - 6, both server times


def test_a_server_clock_stepped_back_leaves_the_call_out_of_the_times_and_off_the_target(tmp_path):
    c = centre()
    t0 = s(BEIJING_EVENING, 60)
    offered_and_answered(c, "C1", t0, -30.0)  # NTP stepped the server's clock back 30 s between the two events
    offered_and_answered(c, "C2", s(t0, 100), 4.0)

    overall = report_of(c, tmp_path)["overall"]

    assert overall["answer_time_s"] == {"mean": 4.0, "p90": 4.0, "n": 1, "excluded": 1}
    assert overall["answered_within_10s_rate"] == {"value": 0.5, "numerator": 1, "denominator": 2}


# ---------------------------------------------------------------- priority, determinant, triage


def test_priority_and_determinant_are_the_incidents_last_ones_and_carry_its_call(tmp_path):
    c = centre()
    t0 = s(BEIJING_EVENING, 60)
    take_call_open_incident(c, "C1", INC[0], t0, answer_s=3, create_s=10, priority=3)
    at(c, s(t0, 50))
    c.send(seat("seat-1"), "triage.complete", {"incident_id": INC[0], "protocol": "chest_pain",
                                               "protocol_version": "2026.11", "determinant": "10-D-1", "priority": 1,
                                               "plan": "als_emergency", "capability": "als", "cpr": False})
    take_call_open_incident(c, "C2", INC[1], s(t0, 100), answer_s=12, create_s=30, priority=2)
    take_call_open_incident(c, "C3", INC[2], s(t0, 200), answer_s=3, create_s=30)

    report = report_of(c, tmp_path)

    by_priority = {line["priority"]: line for line in report["by_priority"]}
    assert list(by_priority) == [1, 2, None]
    assert by_priority[1]["incidents"] == 1 and by_priority[1]["answered_within_10s_rate"]["value"] == 1.0
    assert by_priority[2]["answered_within_10s_rate"]["value"] == 0.0
    assert [line["determinant"] for line in report["by_determinant"]] == ["10-D-1", None]


def test_priority_one_transports_with_a_prenotification(tmp_path):
    c = centre()
    t0 = s(BEIJING_EVENING, 60)
    c.append([("hospital.registered", {"hospital_id": "H1", "name": "重医附一院", "lat": 29.53, "lon": 106.51})])
    for i, (call_id, notify) in enumerate((("C1", True), ("C2", False))):
        base = s(t0, 3000 * i)
        take_call_open_incident(c, call_id, INC[i], base, answer_s=3, create_s=10, priority=1)
        assign(c, INC[i], "A01", s(base, 30))
        crew_reports(c, "A01", (s(base, 60), "en_route"), (s(base, 600), "on_scene"), (s(base, 900), "transporting"))
        if notify:
            at(c, s(base, 950))
            c.append([("prenotify.sent", {"prenotify_id": f"0000000{i}-1111-4111-8111-111111111111",
                                          "incident_id": INC[i], "hospital_id": "H1", "unit_id": "A01",
                                          "eta_s": 600, "complaint": "stemi", "has_vitals": True,
                                          "has_ecg": True})], seat("seat-1"))
        crew_reports(c, "A01", (s(base, 1500), "at_hospital"), (s(base, 1800), "available"))
        close(c, INC[i], "transported", s(base, 1810))

    overall = report_of(c, tmp_path)["overall"]

    assert overall["prenotification_rate"] == {"value": 0.5, "numerator": 1, "denominator": 2}


# ---------------------------------------------------------------- the report and its command


def test_the_json_report_has_the_documented_shape(tmp_path):
    c = centre()
    offered_and_answered(c, "C1", s(BEIJING_EVENING, 60), 4.0)
    db = write_log(c, tmp_path / "events.sqlite")
    out = tmp_path / "kpi.json"

    assert main(["report", "kpi", "--db", str(db), "--from", "2026-11-27", "--to", "2026-11-27",
                 "--format", "json", "--out", str(out)]) == 0

    report = json.loads(out.read_text())
    assert {"from", "to", "overall", "by_day", "by_seat", "by_priority"} <= set(report)
    assert (report["from"], report["to"], report["tz"], report["empty"]) == ("2026-11-27", "2026-11-27",
                                                                            "Asia/Shanghai", False)
    assert tuple(report["overall"]) == kpi.KPI_KEYS
    assert report["by_day"][0]["date"] == "2026-11-27"
    assert tuple(report["by_seat"][0]) == ("seat", *kpi.KPI_KEYS)


def test_csv_and_html_carry_the_same_numbers(tmp_path):
    c = centre()
    offered_and_answered(c, "C1", s(BEIJING_EVENING, 60), 4.0)
    offered_and_answered(c, "C2", s(BEIJING_EVENING, 120), 14.0)
    report = report_of(c, tmp_path)

    lines = render(report, "csv").decode().splitlines()
    header = lines[0].split(",")
    overall = dict(zip(header, lines[1].split(","), strict=True))
    assert (overall["group"], overall["answered_within_10s_rate"], overall["answer_time_s_mean"]) == (
        "overall", "0.5", "9.0")
    page = render(report, "html").decode()
    assert "0.5 (1/2)" in page and "9.0 / 14.0 (n=2)" in page
    assert "http://" not in page and "https://" not in page


def test_an_empty_period_gives_a_report_that_says_it_is_empty(tmp_path, capsys):
    db = write_log(centre(), tmp_path / "events.sqlite")

    code = main(["report", "kpi", "--db", str(db), "--from", "2026-12-01", "--to", "2026-12-01", "--format", "html"])

    captured = capsys.readouterr()
    assert code == 0
    assert "Empty report" in captured.out
    assert "empty report: no call was offered and no incident was created" in captured.err
    assert kpi.kpi_report(db, "2026-12-01", "2026-12-01")["empty"] is True


def test_from_after_to_is_refused_with_a_clear_message(tmp_path, capsys):
    db = write_log(centre(), tmp_path / "events.sqlite")

    assert main(["report", "kpi", "--db", str(db), "--from", "2026-11-28", "--to", "2026-11-27"]) == 2
    assert "--from 2026-11-28 is after --to 2026-11-27" in capsys.readouterr().err


def test_an_unknown_format_time_zone_or_shift_time_is_refused(tmp_path, capsys):
    db = write_log(centre(), tmp_path / "events.sqlite")
    args = ["report", "kpi", "--db", str(db), "--from", "2026-11-27", "--to", "2026-11-27"]

    with pytest.raises(SystemExit) as exc:
        main([*args, "--format", "xlsx"])
    assert exc.value.code == 2
    assert "invalid choice: 'xlsx'" in capsys.readouterr().err
    assert main([*args, "--tz", "Mars/Olympus"]) == 2
    assert "unknown time zone 'Mars/Olympus'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main([*args, "--shifts", "08:00,25:00"])
    assert exc.value.code == 2
    assert "shift start times are HH:MM" in capsys.readouterr().err


def test_a_database_written_by_a_newer_server_is_refused_and_left_untouched(tmp_path, capsys):
    db = write_log(centre(), tmp_path / "events.sqlite")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099_future'")
    conn.close()
    before = hashlib.sha256(db.read_bytes()).hexdigest()

    assert main(["report", "kpi", "--db", str(db), "--from", "2026-11-27", "--to", "2026-11-27"]) == 3

    assert "schema revision 0099_future, newer than this dispatch120 knows" in capsys.readouterr().err
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


def test_a_missing_file_or_a_database_that_is_not_an_event_log_is_refused_and_nothing_is_created(tmp_path, capsys):
    missing = tmp_path / "nowhere.sqlite"
    assert main(["report", "kpi", "--db", str(missing), "--from", "2026-11-27", "--to", "2026-11-27"]) == 1
    assert "no such database file" in capsys.readouterr().err
    assert not missing.exists()
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (x)")
    conn.close()
    assert main(["report", "kpi", "--db", f"sqlite:///{other}", "--from", "2026-11-27", "--to", "2026-11-27"]) == 1
    assert "not a dispatch120 event log" in capsys.readouterr().err


def test_the_report_only_reads_the_database(tmp_path):
    c = centre()
    offered_and_answered(c, "C1", s(BEIJING_EVENING, 60), 4.0)
    db = write_log(c, tmp_path / "events.sqlite")
    before = hashlib.sha256(db.read_bytes()).hexdigest()

    kpi.kpi_report(db, "2026-11-27", "2026-11-27")

    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    # A reader of a WAL database opens its -wal and -shm files; nothing was written to the log.
    wal = tmp_path / "events.sqlite-wal"
    assert not wal.exists() or wal.stat().st_size == 0


def test_the_reader_knows_every_schema_revision_the_server_has():
    versions = Path(__file__).resolve().parents[2] / "server_stub" / "migrations" / "versions"
    assert {p.stem for p in versions.glob("[0-9]*.py")} == set(kpi.KNOWN_SCHEMA_REVISIONS)


def test_the_reports_connection_cannot_write_to_a_sqlite_log(tmp_path):
    db = write_log(centre(), tmp_path / "events.sqlite")
    engine = kpi.open_log(db)
    try:
        with engine.connect() as conn, pytest.raises(OperationalError, match="readonly"):
            conn.execute(text("DELETE FROM events"))
    finally:
        engine.dispose()


def test_an_incident_just_after_the_first_midnight_finds_its_call_offered_just_before_it(tmp_path):
    c = centre(datetime(2026, 11, 27, 15, 0, tzinfo=UTC))
    before_midnight = datetime(2026, 11, 27, 15, 59, 40, tzinfo=UTC)  # 23:59:40 in Beijing
    take_call_open_incident(c, "C1", INC[0], before_midnight, answer_s=5, create_s=40)  # created 00:00:20
    assign(c, INC[0], "A01", s(before_midnight, 95))
    crew_reports(c, "A01", (s(before_midnight, 155), "en_route"), (s(before_midnight, 700), "on_scene"))

    overall = report_of(c, tmp_path, "2026-11-28")["overall"]

    assert (overall["calls_offered"], overall["incidents"]) == (0, 1)
    assert overall["call_processing_s"]["mean"] == 90.0  # 95 - 5: the call is the evening before's
    assert overall["response_time_s"]["mean"] == 700.0


def test_a_day_with_a_daylight_saving_change_is_cut_at_its_own_midnights(tmp_path):
    # Europe/Berlin, 25 October 2026: clocks go back at 03:00, the day lasts 25 hours (22:00 UTC to 23:00 UTC).
    c = centre(datetime(2026, 10, 24, 21, 0, tzinfo=UTC))
    offered_and_answered(c, "C1", datetime(2026, 10, 24, 21, 59, 50, tzinfo=UTC), 3.0)  # 23:59:50 CEST, the 24th
    offered_and_answered(c, "C2", datetime(2026, 10, 25, 22, 30, tzinfo=UTC), 3.0)      # 23:30 CET, the 25th
    offered_and_answered(c, "C3", datetime(2026, 10, 25, 23, 0, 5, tzinfo=UTC), 3.0)    # 00:00:05 CET, the 26th

    report = report_of(c, tmp_path, "2026-10-24", "2026-10-26", tz="Europe/Berlin")

    assert [(d["date"], d["calls_offered"]) for d in report["by_day"]] == [
        ("2026-10-24", 1), ("2026-10-25", 1), ("2026-10-26", 1)]


def test_runs_count_at_the_station_their_unit_was_registered_at_even_a_month_before(tmp_path):
    c = Centre(start=BEIJING_EVENING - timedelta(days=30), step_s=0)
    c.register_unit("A01", "急救1")  # station ST-YZ
    c.append([("unit.registered", {"unit_id": "A02", "call_sign": "急救2", "station_id": "ST-JB",
                                   "capability": "als"})], ADMIN)
    c.register_seat("seat-1")
    at(c, BEIJING_EVENING)
    c.login_ready("seat-1")
    t0 = s(BEIJING_EVENING, 60)
    take_call_open_incident(c, "C1", INC[0], t0, answer_s=3, create_s=10)
    assign(c, INC[0], "A01", s(t0, 20))
    assign(c, INC[0], "A02", s(t0, 25))
    crew_reports(c, "A01", (s(t0, 80), "en_route"))                        # 60 s: in time
    crew_reports(c, "A02", (s(t0, 325), "en_route"))                       # 300 s: late
    close(c, INC[0], "cancelled", s(t0, 400))

    report = report_of(c, tmp_path)

    stations = {line["station"]: line for line in report["by_station"]}
    assert stations["ST-YZ"]["departure_within_3min_rate"]["value"] == 1.0
    assert stations["ST-JB"]["departure_within_3min_rate"]["value"] == 0.0
    assert stations["ST-JB"]["empty_run_rate"] == {"value": 1.0, "numerator": 1, "denominator": 1,
                                                   "by_reason": {"cancelled": 1}}
    station_row = next(line for line in render(report, "csv").decode().splitlines() if ",station,ST-JB," in line)
    assert ",0.0,0,1," in station_row  # departure: 0 of 1; the calls' columns are empty
