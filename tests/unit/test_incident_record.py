"""A supervisor finds an incident in the event log and prints its record (text, JSON, HTML, PDF).

Logs are made through the real domain (``decide``) and written into a real event store
(``EventStore``, migrated schema): the demonstration incident of ``app.records.demo`` (two
units, one stood down on the way, a triage path, the caller link, an ECG strip, a
pre-notification the hospital answered) and small logs of the KPI tests' pocket centre.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from app.__main__ import main
from app.records import demo, incident
from app.records.incident import Criteria, read_incident, search
from app.records.record_render import render_record, sections
from server_stub.schema import prenotify_table, strips_table
from server_stub.store import Batch, EventStore
from tests.unit.test_kpi import (
    BEIJING_EVENING,
    INC,
    assign,
    centre,
    close,
    crew_reports,
    s,
    take_call_open_incident,
)

ID = demo.INCIDENT_ID


def write_demo(path: Path | str, *, side_tables: bool = True) -> Path | str:
    log = demo.build()
    store = EventStore(path)
    try:
        store.commit(Batch(expected_seq=0, events=log.events))
        if side_tables:
            with store.engine.begin() as conn:
                conn.execute(strips_table.insert(), log.strips)
                conn.execute(prenotify_table.insert(), log.prenotifications)
    finally:
        store.close()
    return path


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    return write_demo(tmp_path_factory.mktemp("records") / "events.sqlite")


def two_incidents_log(path: Path) -> Path:
    """INC[0] (priority I, two units, transported) and INC[1] (cancelled while its unit drove)."""
    c = centre()
    t0 = s(BEIJING_EVENING, 60)
    take_call_open_incident(c, "C1", INC[0], t0, answer_s=5, create_s=20, priority=1,
                            address="重庆市江北区观音桥步行街8号")
    assign(c, INC[0], "A01", s(t0, 65))
    assign(c, INC[0], "A02", s(t0, 95))
    crew_reports(c, "A01", (s(t0, 185), "en_route"), (s(t0, 700), "on_scene"))
    take_call_open_incident(c, "C2", INC[1], s(t0, 120), answer_s=3, create_s=10, by="seat-2",
                            address="重庆市渝中区较场口1号", priority=3)
    assign(c, INC[1], "A03", s(t0, 140), by="seat-2")
    crew_reports(c, "A03", (s(t0, 170), "en_route"))
    close(c, INC[1], "cancelled", s(t0, 200))
    store = EventStore(path)
    try:
        store.commit(Batch(expected_seq=0, events=c.log))
    finally:
        store.close()
    return path


# ---------------------------------------------------------------- the record


def test_the_timeline_says_who_did_what_when_and_from_which_seat(demo_db):
    record = read_incident(demo_db, ID)

    lines = record["timeline"]
    assert [e["name"] for e in lines[:4]] == ["call.received", "call.ringing", "call.answered", "incident.created"]
    assert lines[0]["local"] == "2026-11-27 20:41:07" and lines[0]["actor"] == {"id": "pbx-1", "role": "switch"}
    assert lines[2]["seat_id"] == "seat-3" and lines[2]["text"] == "seat-3 接听来电"
    on_scene = next(e for e in lines if e["text"] == "渝中1 到达现场")
    assert on_scene["actor"] == {"id": "dev-A01", "role": "device"} and on_scene["seat_id"] is None
    assert lines[-1]["text"] == "结案：已送医"
    assert [e["seq"] for e in lines] == sorted(e["seq"] for e in lines)
    assert all(e["readable"] for e in lines)


def test_the_triage_path_has_every_question_and_answer_in_the_protocols_words(demo_db):
    zh = read_incident(demo_db, ID)["triage"]
    en = read_incident(demo_db, ID, lang="en")["triage"]

    assert len(zh["path"]) == 11
    assert zh["path"][0]["question_text"].startswith("请告诉我患者所在的详细地址")
    assert en["path"][0]["question_text"].startswith("Tell me the exact address of the patient")
    clammy = zh["path"][-1]
    assert (clammy["protocol"], clammy["question"], clammy["answer"]) == ("chest_pain", "q_clammy", "yes")
    assert clammy["question_text"] == "患者脸色苍白、出冷汗或皮肤湿冷吗？" and clammy["answer_label"] == "是"
    assert en["path"][-1]["answer_label"] == "Yes"
    assert (zh["result"]["determinant"], zh["result"]["priority"]) == ("02-A-3", 1)


def test_both_units_have_their_status_times_and_the_stood_down_run_ends_early(demo_db):
    units = {u["unit_id"]: u for u in read_incident(demo_db, ID)["units"]}

    assert [s["status"] for s in units["A01"]["statuses"]] == [
        "en_route", "on_scene", "transporting", "at_hospital", "available"]
    assert [s["status"] for s in units["A02"]["statuses"]] == ["en_route", "available"]
    assert units["A02"]["statuses"][-1]["by"] == "seat-3"  # stood down by the dispatcher, not the crew
    assert units["A01"]["call_sign"] == "渝中1" and units["A01"]["station_id"] == "ST-YZ"
    assert units["A01"]["recommendation"]["rank"] == 1
    assert units["A01"]["assigned_at"] < units["A02"]["assigned_at"]


def test_locations_keep_their_sources_and_the_dispatchers_choice(demo_db):
    locations = read_incident(demo_db, ID)["locations"]

    assert [(loc["kind"], loc.get("source")) for loc in locations] == [
        ("candidate", "gps"), ("candidate", "cell"), ("located", "candidate"), ("candidate", "caller_link")]
    located = locations[2]
    assert located["by"] == "seat-3" and located["candidate_source"] == "gps"
    assert locations[1]["accuracy_m"] == 800.0


def test_caller_link_media_are_listed_by_id_with_the_chat(demo_db):
    link = read_incident(demo_db, ID)["caller_link"]

    assert [m["media_id"] for m in link["media"]] == [demo.MEDIA_ID]
    assert link["media"][0]["bytes"] == 412_338 and link["media"][0]["purged_at"] is None
    assert [c["from"] for c in link["chat"]] == ["seat-3", "caller"]
    assert link["links"][0]["via"] == "sms"


def test_the_pre_notification_shows_the_hospitals_answer_and_the_vitals_sent(demo_db):
    record = read_incident(demo_db, ID)

    [pre] = record["prenotifications"]
    assert pre["hospital_name"] == "重医附一院" and pre["complaint"] == "stemi"
    assert [(a["response"], a["by"]) for a in pre["answers"]] == [("cath_lab_activated", "h-cqmu1")]
    assert pre["summary"]["note"].startswith("II、III、aVF")
    assert record["vitals"][0]["hr"] == 96 and record["vitals"][0]["spo2"] == 94
    assert [n["text"] for n in record["notes"]][-2:] == ["导管室已准备，绕行急诊直送导管室", "患者已交接导管室团队"]


def test_the_ecg_strip_comes_with_its_samples_and_a_heart_rate(demo_db):
    [strip] = read_incident(demo_db, ID)["strips"]

    assert strip["strip_id"] == demo.STRIP_ID and strip["requested_by"] == "seat-3"
    assert len(strip["samples"]) == 2500 and strip["period_ms"] == 4.0
    assert 60 < strip["heart_rate"] < 160


def test_without_the_servers_side_tables_the_record_says_what_is_missing(tmp_path):
    db = write_demo(tmp_path / "events.sqlite", side_tables=False)
    record = read_incident(db, ID)

    assert record["strips"][0]["samples"] is None and record["prenotifications"][0]["vitals"] is None
    strips = next(sec for sec in sections(record) if sec.key == "strips")
    assert "心电图数据不在此数据库中" in strips.rows[0][2]
    assert record_pdf_text(render_record(record, "pdf"), tmp_path).count("心电图数据不在此数据库中") == 1


def test_an_incident_opens_by_the_first_characters_of_its_id(demo_db, tmp_path):
    assert read_incident(demo_db, ID[:8])["incident_id"] == ID
    db = two_incidents_log(tmp_path / "two.sqlite")
    with pytest.raises(incident.AmbiguousIncidentError, match="names 2 incidents"):
        read_incident(db, "000000")


def test_an_unknown_incident_is_refused_with_exit_code_4(demo_db, capsys):
    assert main(["records", "show", "--db", str(demo_db), "--incident", "ffffffff-0000-4000-8000-000000000000"]) == 4
    assert "no incident 'ffffffff-0000-4000-8000-000000000000'" in capsys.readouterr().err
    assert main(["records", "show", "--db", str(demo_db), "--incident", "x'; drop"]) == 2
    assert "an incident id is a UUID" in capsys.readouterr().err


def test_the_cancelled_incident_lists_its_run_and_its_close(tmp_path):
    record = read_incident(two_incidents_log(tmp_path / "two.sqlite"), INC[1], lang="en")

    assert record["incident"]["state"] == "closed" and record["incident"]["close_reason"] == "cancelled"
    [unit] = record["units"]
    assert unit["unit_id"] == "A03" and unit["assigned_by"] == "seat-2"
    assert [s["status"] for s in unit["statuses"]] == ["en_route", "available"]
    assert record["timeline"][-1]["text"].startswith("closed: cancelled")
    # The other incident's events are not in this record.
    assert all("A01" not in e["text"] for e in record["timeline"])


# ---------------------------------------------------------------- search


@pytest.mark.parametrize(("criteria", "expected"), [
    (Criteria(), [0, 1]),
    (Criteria(phone="138 0013"), [0, 1]),
    (Criteria(address="观音桥"), [0]),
    (Criteria(unit="A03"), [1]),
    (Criteria(unit="急救2"), [0]),  # by call sign
    (Criteria(priority=3), [1]),
    (Criteria(priority=1, address="较场口"), []),
])
def test_search_finds_incidents_by_phone_address_unit_and_priority(tmp_path, criteria, expected):
    db = two_incidents_log(tmp_path / "two.sqlite")

    assert [h["incident_id"] for h in search(db, criteria)] == [INC[i] for i in expected]


def test_search_by_determinant_and_local_days(demo_db):
    day = incident.parse_day("2026-11-27", "--from")
    found = search(demo_db, Criteria(determinant="02-a", first=day, last=day))

    assert [h["incident_id"] for h in found] == [ID]
    assert found[0]["local"] == "2026-11-27 20:41:32" and found[0]["units"] == ["A01", "A02"]
    next_day = incident.parse_day("2026-11-28", "--from")
    assert search(demo_db, Criteria(first=next_day)) == []
    # 20:41 in Beijing is 04:41 of the same day in Los Angeles.
    assert search(demo_db, Criteria(first=day, last=day, tz="America/Los_Angeles")) != []


def test_search_on_the_command_line_in_chinese_and_as_json(demo_db, capsys):
    assert main(["records", "search", "--db", str(demo_db), "--unit", "渝中2", "--priority", "I"]) == 0
    out = capsys.readouterr().out
    assert ID in out and "I 级" in out and "共 1 起事件" in out
    assert main(["records", "search", "--db", str(demo_db), "--phone", "13912345678", "--json"]) == 0
    [hit] = json.loads(capsys.readouterr().out)
    assert hit["determinant"] == "02-A-3" and hit["phones"] == ["13912345678"]


def test_an_empty_search_says_so(demo_db, capsys):
    assert main(["records", "search", "--db", str(demo_db), "--address", "不存在的路"]) == 0
    captured = capsys.readouterr()
    assert "没有符合条件的事件" in captured.out and "没有符合条件的事件" in captured.err
    assert main(["records", "search", "--db", str(demo_db), "--address", "nowhere", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_bad_search_input_is_refused_with_a_clear_message(demo_db, capsys):
    args = ["records", "search", "--db", str(demo_db)]
    assert main([*args, "--from", "2026-11-28", "--to", "2026-11-27"]) == 2
    assert "--from 2026-11-28 is after --to 2026-11-27" in capsys.readouterr().err
    assert main([*args, "--priority", "V"]) == 2
    assert "priority is I, II, III or IV" in capsys.readouterr().err
    assert main([*args, "--from", "27/11/2026"]) == 2
    assert "--from must be YYYY-MM-DD" in capsys.readouterr().err


def test_a_newer_schema_or_a_file_that_is_not_a_database_is_refused_untouched(tmp_path, capsys):
    db = write_demo(tmp_path / "events.sqlite")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099_future'")
    conn.close()
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    assert main(["records", "show", "--db", str(db), "--incident", ID]) == 3
    assert main(["records", "search", "--db", str(db)]) == 3
    assert "newer than this dispatch120 knows" in capsys.readouterr().err
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not a database\n" * 100)
    assert main(["records", "search", "--db", str(text_file)]) == 1
    assert "cannot read the database" in capsys.readouterr().err


# ---------------------------------------------------------------- formats


def test_text_json_and_html_say_the_same(demo_db, capsys):
    assert main(["records", "show", "--db", str(demo_db), "--incident", ID, "--language", "en"]) == 0
    text = capsys.readouterr().out
    assert "120 incident record" in text and "Determinant: 02-A-3" in text and "cath lab activated" in text
    assert main(["records", "show", "--db", str(demo_db), "--incident", ID, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["determinant"] == "02-A-3"
    assert main(["records", "show", "--db", str(demo_db), "--incident", ID, "--format", "html"]) == 0
    page = capsys.readouterr().out
    assert '<html lang="zh-CN">' in page and "已启动导管室" in page and "http" not in page


def record_pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


@needs_poppler
def test_the_pdf_report_has_searchable_chinese_text_and_embeds_its_font(demo_db, tmp_path):
    out = tmp_path / "report.pdf"
    assert main(["records", "show", "--db", str(demo_db), "--incident", ID, "--format", "pdf",
                 "--out", str(out)]) == 0

    text = record_pdf_text(out.read_bytes(), tmp_path)
    for expected in ("120 急救事件记录", "判断码", "02-A-3", "患者脸色苍白、出冷汗或皮肤湿冷吗？", "渝中2",
                     "已启动导管室", "心率（由心电图计算）", "A01 ECG_II，2026-11-27 20:59:06，10 秒"):
        assert expected in text, expected
    fonts = subprocess.run(["pdffonts", str(out)], check=True, capture_output=True, text=True).stdout
    [font] = [line for line in fonts.splitlines() if "WenQuanYi" in line]
    assert font.split()[-5:-2] == ["yes", "yes", "yes"]  # embedded, subset, with a Unicode map


def test_the_same_log_gives_the_same_pdf_bytes_dated_by_the_incident(demo_db):
    record = read_incident(demo_db, ID)
    first, second = render_record(record, "pdf"), render_record(read_incident(demo_db, ID), "pdf")

    assert first == second
    assert b"/CreationDate (D:20261127133236" in first  # the close, 21:32:36 in Beijing


@needs_poppler
def test_the_kpi_report_as_pdf_and_an_empty_one_that_says_so(demo_db, tmp_path, capsys):
    out = tmp_path / "kpi.pdf"
    args = ["report", "kpi", "--db", str(demo_db), "--format", "pdf", "--out", str(out)]
    assert main([*args, "--from", "2026-11-27", "--to", "2026-11-27"]) == 0
    text = record_pdf_text(out.read_bytes(), tmp_path)
    assert "KPI 报告" in text and "answered_within_10s_rate" in text and "100.0 % (1/1)" in text
    assert "空报告" not in text
    assert main([*args, "--from", "2026-12-01", "--to", "2026-12-01"]) == 0
    assert "空报告：此期间没有来电" in record_pdf_text(out.read_bytes(), tmp_path)
    assert "empty report" in capsys.readouterr().err


def test_an_event_this_version_cannot_read_is_kept_in_the_timeline_by_its_name(tmp_path):
    log = demo.build()
    close_at = len(log.events) - 1
    newer = {**log.events[close_at - 1], "name": "incident.escalated",
             "data": {"incident_id": ID, "level": "major"}}
    events = [*log.events[:close_at], newer, *log.events[close_at:]]
    for seq, msg in enumerate(events, 1):
        msg["seq"] = seq
    db = tmp_path / "newer-events.sqlite"
    store = EventStore(db)
    try:
        store.commit(Batch(expected_seq=0, events=events))
    finally:
        store.close()

    timeline = read_incident(db, ID)["timeline"]

    [odd] = [e for e in timeline if e["name"] == "incident.escalated"]
    assert odd["readable"] is False and '"level":"major"' in odd["text"]
    assert timeline[-1]["text"] == "结案：已送医"
