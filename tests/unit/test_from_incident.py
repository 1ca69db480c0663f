"""A trainer turns a closed incident of the centre's event log into a training scenario
(``dispatch120 sim from-incident``): what happened is kept, who it happened to is not.

The logs are the records tests' (made through the real domain, written into a real event
store): the demonstration incident of ``app.records.demo`` — a chest-pain caller with a name,
a number, an address, a description, caller-link chat and photo, notes — and the pocket
centre's log with an open incident and a cancelled one.
"""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest
import yaml

from app.__main__ import main
from app.records import demo
from app.records.incident import read_incident
from app.sim.from_incident import PositionShift, map_bounds
from app.sim.scenario import load_scenario
from tests.unit.test_incident_record import two_incidents_log, write_demo
from tests.unit.test_kpi import INC

# Everything in the demonstration log that says who the caller is, where they live, or what
# anyone wrote: none of it may reach the scenario.
IDENTIFYING = (
    "13912345678", "李", "民族路", "166号", "3单元502", "男，62岁", "胸痛约30分钟", "既往高血压",
    "救护车已出发", "单元门口", "导管室", "阿司匹林", "ST 段", "王敏", "3号席",
    demo.INCIDENT_ID, demo.CALL_ID, demo.MEDIA_ID, demo.STRIP_ID, demo.PRENOTIFY_ID, "L-0042",
    "2026-11-27", "29.56371", "106.57702", "29.5662", "106.5811",
)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    return Path(write_demo(tmp_path_factory.mktemp("from-incident") / "events.sqlite"))


@pytest.fixture(scope="module")
def demo_scenario(demo_db, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("scenario") / "chest-pain.yaml"
    assert main(["sim", "from-incident", "--db", str(demo_db), "--incident", demo.INCIDENT_ID[:8],
                 "--out", str(out)]) == 0
    return out


def test_nothing_identifying_survives_in_the_scenario(demo_scenario, demo_db):
    text = demo_scenario.read_text(encoding="utf-8")
    record = read_incident(demo_db, demo.INCIDENT_ID)
    free_text = [n["text"] for n in record["notes"]] + [m["text"] for m in record["caller_link"]["chat"]]
    assert free_text  # the log has free text to remove
    for secret in (*IDENTIFYING, *free_text, record["incident"]["address"]):
        assert secret not in text, secret


def test_the_scenario_keeps_what_the_dispatcher_reached_and_passes_the_checks(demo_scenario, capsys):
    assert main(["sim", "check", str(demo_scenario)]) == 0
    scenario = load_scenario(demo_scenario)
    # The runner and the seat start as seat-1: the log's seat ids are replaced.
    assert [s.id for s in scenario.registry.seats] == ["seat-1"]
    [call] = scenario.calls
    assert call.at_s == 3.0
    assert (call.expected_priority, call.expected_capability, call.expected_hospital) == (1, "als", "H1")
    assert call.outcome == "transported"
    assert "Determinant reached: 02-A-3" in demo_scenario.read_text(encoding="utf-8")
    assert "胸痛" in call.says.zh and "Chest pain" in call.says.en  # the protocol's label, not the caller's words


def test_the_caller_answers_every_recorded_question_in_its_protocols_words(demo_scenario, demo_db):
    path = read_incident(demo_db, demo.INCIDENT_ID, lang="en")["triage"]["path"]
    answers = load_scenario(demo_scenario).calls[0].caller.answers
    assert {q: a.answer for q, a in answers.items()} == {s["question"]: s["answer"] for s in path}
    by_question = {s["question"]: s for s in path}
    for qid, said in answers.items():
        assert said.en == by_question[qid]["answer_label"]  # the label of the protocol that asked it


def test_positions_move_a_few_hundred_metres_together_and_stay_on_the_map(demo_scenario, demo_db):
    [call] = load_scenario(demo_scenario).calls
    gps = next(c for c in call.locations if c["source"] == "gps")
    cell = next(c for c in call.locations if c["source"] == "cell")
    north_m, east_m = (gps["lat"] - 29.56371) * 111_320, (gps["lon"] - 106.57702) * 111_320 * 0.8699
    assert 240 <= (north_m ** 2 + east_m ** 2) ** 0.5 <= 610
    # One offset for the whole incident: the candidates keep their places relative to each other.
    assert cell["lat"] - gps["lat"] == pytest.approx(29.5662 - 29.56371, abs=2e-5)
    assert cell["lon"] - gps["lon"] == pytest.approx(106.5811 - 106.57702, abs=2e-5)


def test_a_position_at_the_edge_of_the_map_is_moved_inwards():
    bounds = map_bounds([{"lat": 29.5, "lon": 106.5}])
    assert bounds is not None
    south, north, west, east = bounds
    for seed in range(50):
        shift = PositionShift(random.Random(seed), bounds)
        lat, lon = shift(north, east)
        assert south <= lat <= north and west <= lon <= east


def test_an_open_incident_is_refused_and_nothing_is_written(tmp_path, capsys):
    db = two_incidents_log(tmp_path / "two.sqlite")
    out = tmp_path / "open.yaml"
    assert main(["sim", "from-incident", "--db", str(db), "--incident", INC[0], "--out", str(out)]) == 5
    assert "still open" in capsys.readouterr().err
    assert not out.exists() and not list(tmp_path.glob("*.partial"))


def test_a_cancelled_incident_becomes_a_call_where_the_crew_finds_no_patient(tmp_path):
    db = two_incidents_log(tmp_path / "two.sqlite")
    out = tmp_path / "cancelled.yaml"
    assert main(["sim", "from-incident", "--db", str(db), "--incident", INC[1], "--out", str(out)]) == 0
    [call] = load_scenario(out).calls
    assert call.outcome == "no_patient_found" and call.expected_priority == 3
    assert "较场口" not in out.read_text(encoding="utf-8")


def test_an_unknown_incident_is_refused_with_exit_code_4(demo_db, tmp_path, capsys):
    out = tmp_path / "x.yaml"
    assert main(["sim", "from-incident", "--db", str(demo_db), "--incident", "ffffffff-0000-4000-8000-000000000000",
                 "--out", str(out)]) == 4
    assert "no incident" in capsys.readouterr().err and not out.exists()


def test_a_file_that_is_not_an_event_log_is_refused(tmp_path, capsys):
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER)")
    out = tmp_path / "x.yaml"
    assert main(["sim", "from-incident", "--db", str(other), "--incident", demo.INCIDENT_ID, "--out", str(out)]) == 1
    assert "not a dispatch120 event log" in capsys.readouterr().err and not out.exists()


def test_a_log_written_by_a_newer_server_is_refused_with_exit_code_3(demo_db, tmp_path, capsys):
    newer = tmp_path / "newer.sqlite"
    newer.write_bytes(demo_db.read_bytes())
    with sqlite3.connect(newer) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
    out = tmp_path / "x.yaml"
    assert main(["sim", "from-incident", "--db", str(newer), "--incident", demo.INCIDENT_ID, "--out", str(out)]) == 3
    assert "newer" in capsys.readouterr().err and not out.exists()


def test_the_seed_chooses_the_new_number_and_the_offset(demo_db, demo_scenario, tmp_path):
    other = tmp_path / "seed2.yaml"
    assert main(["sim", "from-incident", "--db", str(demo_db), "--incident", demo.INCIDENT_ID,
                 "--out", str(other), "--seed", "2"]) == 0
    a, b = (yaml.safe_load(p.read_text(encoding="utf-8"))["calls"][0] for p in (demo_scenario, other))
    assert a["caller_number"] != b["caller_number"] and a["locations"] != b["locations"]
    assert a["caller"] == b["caller"]  # what happened does not depend on the seed
