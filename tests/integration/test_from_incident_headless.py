"""A centre trains on what really happened to it: an incident worked in a real (headless)
training run is closed after its crew's handover, turned into a scenario with
``dispatch120 sim from-incident``, checked with ``sim check`` and played headless again.

The source run: the library's hang-up-callback scenario (a caller who rings twice; the second
call is attached to the first call's incident) through the real runner, server, switch and
crews, with the good scripted dispatcher; then a seat closes the incident as transported once
the crew has handed the patient over. One run for the module.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from app.__main__ import main
from app.records.incident import read_incident
from app.sim.headless import STYLES, play
from app.sim.launcher import start_training
from app.sim.link import SimLink
from app.sim.runner import DB_NAME
from app.sim.scenario import load_scenario

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "resources" / "scenarios" / "hang-up-callback.yaml"
TIME_SCALE = 300.0
# What the source scenario's caller gave the centre: none of it may reach the training scenario.
CALLER_NUMBER = "13655554444"
CALLER_NAME = "何小姐"
STREET = "Gastaldi"


async def _play_then_close(session, scenario) -> tuple[str, list[str]]:
    """Work the calls with the good dispatcher; close the incident after the handover. Returns
    the incident id and its call ids."""
    centre = await play(scenario, session.url, dict(session.seats), STYLES["good"], time_scale=TIME_SCALE,
                        timeout_s=120, seed=3)
    incident_id = centre.incident_of_index[0]
    seat_id, token = sorted(session.seats.items())[0]
    link = SimLink(session.url, token, client_name="test-closing-seat", backoff_s=(0.05, 0.5))
    task = asyncio.create_task(link.run())
    try:
        async with asyncio.timeout(90):
            await link.ever_synced.wait()
            while "handover" not in link.state.incidents[incident_id]["milestones"]:
                await asyncio.sleep(0.05)
            link.send("incident.close", {"incident_id": incident_id, "reason": "transported"})
            while link.state.incidents[incident_id]["state"] != "closed":
                await asyncio.sleep(0.05)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    return incident_id, list(centre.index_of)


@pytest.fixture(scope="module")
def closed_incident(tmp_path_factory) -> tuple[Path, str, list[str]]:
    workdir = tmp_path_factory.mktemp("source-run")
    session = start_training(SOURCE, time_scale=TIME_SCALE, seed=3, workdir=workdir, timeout_s=60)
    try:
        incident_id, call_ids = asyncio.run(_play_then_close(session, load_scenario(SOURCE)))
    finally:
        session.stop()
    return workdir / DB_NAME, incident_id, call_ids


@pytest.fixture(scope="module")
def converted(closed_incident, tmp_path_factory) -> Path:
    db, incident_id, _ = closed_incident
    out = tmp_path_factory.mktemp("converted") / "from-incident.yaml"
    assert main(["sim", "from-incident", "--db", str(db), "--incident", incident_id, "--out", str(out),
                 "--seed", "7"]) == 0
    return out


def test_the_incident_becomes_a_scenario_that_passes_sim_check(closed_incident, converted):
    assert main(["sim", "check", str(converted)]) == 0
    scenario = load_scenario(converted)
    first, again = scenario.calls
    assert again.repeat_of == 0 and again.at_s > first.at_s  # the callback is still the second call
    assert first.at_s == 3.0
    assert first.expected_priority == 3 and first.outcome == "transported"
    # The caller answers as the log recorded (the questions the dispatcher got answered before
    # the line dropped), each answer one the source scenario's caller gave.
    db, incident_id, _ = closed_incident
    recorded = {step["question"]: step["answer"] for step in read_incident(db, incident_id)["triage"]["path"]}
    source = load_scenario(SOURCE).calls[0].caller.answers
    answers = {q: a.answer for q, a in first.caller.answers.items()}
    assert answers == recorded and answers and all(source[q].answer == key for q, key in answers.items())
    assert first.caller.answers["location_confirmed"].en == "Address confirmed"  # the protocol's words


def test_nothing_that_identifies_the_caller_or_the_incident_survives(closed_incident, converted):
    _, incident_id, call_ids = closed_incident
    text = converted.read_text(encoding="utf-8")
    for secret in (CALLER_NUMBER, CALLER_NAME, STREET, incident_id, *call_ids,
                   "她一直吐", "She keeps vomiting", "6号"):
        assert secret not in text, secret


def test_the_positions_are_moved_a_few_hundred_metres(converted):
    [gps] = load_scenario(converted).calls[0].locations
    moved_m = ((gps["lat"] - 43.73080) * 111_320) ** 2 + ((gps["lon"] - 7.42270) * 111_320 * 0.723) ** 2
    assert 200 ** 2 < moved_m < 650 ** 2


def test_the_scenario_plays_headless_with_the_good_dispatcher(converted):
    done = subprocess.run([sys.executable, "-m", "app", "sim", "run", str(converted), "--dispatcher", "good",
                           "--json"], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    score = json.loads(done.stdout)
    assert 0 <= score["score"] <= 100 and score["items"]
    by_id = {item["id"]: item for item in score["items"]}
    assert any(i.endswith("priority") and i_ok for i, i_ok in ((k, v["ok"]) for k, v in by_id.items())), by_id


def test_the_same_seed_gives_the_same_scenario(closed_incident, converted, tmp_path):
    db, incident_id, _ = closed_incident
    again = tmp_path / "again.yaml"
    assert main(["sim", "from-incident", "--db", str(db), "--incident", incident_id, "--out", str(again),
                 "--seed", "7"]) == 0
    assert again.read_text(encoding="utf-8") == converted.read_text(encoding="utf-8")
    other = tmp_path / "other.yaml"
    assert main(["sim", "from-incident", "--db", str(db), "--incident", incident_id, "--out", str(other),
                 "--seed", "8"]) == 0
    a, b = (yaml.safe_load(p.read_text(encoding="utf-8"))["calls"][0] for p in (converted, other))
    assert a["caller_number"] != b["caller_number"] and a["locations"] != b["locations"]
