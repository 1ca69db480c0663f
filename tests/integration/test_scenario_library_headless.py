"""The whole training library, headless: each scenario runs from start to end through a real
training centre (runner, server, simulated switch, ambulances and volunteers), the scripted
good dispatcher scores at least 90 and the slow one clearly less; the injected events happen
through the real server; the same seed gives the same run.

The runs are made once for the module, several centres at a time (each centre is its own
process tree; most of a run's wall time is its processes starting), the longest first, at half
the headless default time scale; each test waits for the run it reads. The module takes minutes,
not seconds (31 centres; figures in bench/README.md § "The training library headless"), which is
why the runs are shared. bench/training.py measures the same thing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from app.resources import resource_path
from app.sim.cli import scenario_files
from app.sim.headless import STYLES, HeadlessRun, play_scenario
from app.sim.scoring import SCORED_EVENTS

pytestmark = pytest.mark.integration

LIBRARY = [p for p in scenario_files(resource_path("scenarios")) if p.name != "demo.yaml"]
# Most of a run is waiting on the scaled clock; 4 at once keep 2 cores busy without making the good
# dispatcher late (module 105 s with 4, 136 s with 3 on an otherwise quiet 2-core machine).
CENTRES_AT_ONCE = 4
# Slower than the headless default (50): the targets' slack is seconds of scenario time, and on a
# loaded machine a command's round trip can take a few hundred milliseconds of wall time.
TIME_SCALE = 25.0
EXTRA_EVENTS = ("hospital.status_changed", "training.caller_said")
AGAIN = "stemi-prenotify"  # played twice with the same seed
ON_SCENE = "arrest-tcpr-aed"  # its good run goes on until the crew reaches the patient
# Started first (longest-processing-time-first): a long run started last would run alone at the
# end while the other centres' slots stay empty. Wall seconds at TIME_SCALE on 2 cores: the
# surge 55-60 each (its last calls wait for crews to clear), the arrest's good run and the
# hoax's 15-25 (until on scene; a server drop); the others 5-15.
LONGEST_FIRST = ("surge-no-free-units", "arrest-tcpr-aed", "hoax-no-patient")


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Iterator[dict[tuple[str, str], Future[HeadlessRun]]]:
    """Every run, started at once in the background (CENTRES_AT_ONCE at a time), the longest
    first, then in the order the tests read them: each test waits only for its own run, the
    others go on meanwhile."""
    root = tmp_path_factory.mktemp("library")
    jobs = [(p, "good") for p in LIBRARY] + [(p, "slow") for p in LIBRARY]
    jobs.append((resource_path("scenarios", f"{AGAIN}.yaml"), "again"))
    jobs.sort(key=lambda job: LONGEST_FIRST.index(job[0].stem) if job[0].stem in LONGEST_FIRST else len(LONGEST_FIRST))
    pool = ThreadPoolExecutor(CENTRES_AT_ONCE, thread_name_prefix="library-run")
    try:
        yield {
            (path.stem, style): pool.submit(
                play_scenario, path, STYLES["good" if style == "again" else style], seed=7, time_scale=TIME_SCALE,
                workdir=root / f"{path.stem}-{style}", log_names=EXTRA_EVENTS,
                until_on_scene=(path.stem, style) == (ON_SCENE, "good"))
            for path, style in jobs
        }
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def failed(run: HeadlessRun) -> list[dict[str, object]]:
    return [item.as_dict() for item in run.score.items if item.ok is False]


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.stem)
def test_the_good_dispatcher_plays_the_scenario_to_the_end_and_scores_at_least_90(runs, path):
    run = runs[path.stem, "good"].result()

    assert run.score.score >= 90, failed(run)


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.stem)
def test_the_slow_dispatcher_scores_clearly_lower(runs, path):
    good, slow = runs[path.stem, "good"].result(), runs[path.stem, "slow"].result()

    assert slow.score.score <= good.score.score - 30, (slow.score.score, failed(slow))


def test_every_call_of_the_library_is_scored_in_both_runs(runs):
    from app.sim.scenario import load_scenario

    for path in LIBRARY:
        calls = {f"call{c.index}" for c in load_scenario(path).calls}
        for style in ("good", "slow"):
            scored = {i.id.split(".")[0] for i in runs[path.stem, style].result().score.items}
            assert scored == calls, (path.stem, style)


def test_the_same_seed_gives_the_same_events_ids_included(runs):
    first, again = runs[AGAIN, "good"].result(), runs[AGAIN, "again"].result()

    def story(run: HeadlessRun) -> list[tuple[object, ...]]:
        keys = ("call_id", "incident_id", "unit_id", "status", "priority", "hospital_id", "question")
        return [(e["name"], *(e["data"].get(k) for k in keys)) for e in run.log if e["name"] in SCORED_EVENTS]

    def caller(run: HeadlessRun) -> dict[str, list[str]]:
        lines: dict[str, list[str]] = {}
        for e in run.log:
            if e["name"] == "training.caller_said":
                lines.setdefault(e["data"]["call_id"], []).append(e["data"]["zh"])
        return lines

    assert story(first) == story(again)
    # The caller says the same lines in the same order on every call. The scripted dispatcher
    # hangs up a few scenario seconds after dispatching, on the wall clock scaled 25 times: on a
    # busy machine a reply still queued then may be cut off in one run and heard in the other,
    # so only a call's last lines may be missing from one of the two runs.
    said, said_again = caller(first), caller(again)
    assert said.keys() == said_again.keys()
    for call_id, lines in said.items():
        shorter, longer = sorted((lines, said_again[call_id]), key=len)
        assert shorter and longer[:len(shorter)] == shorter, (call_id, lines, said_again[call_id])
        assert len(longer) - len(shorter) <= 2, (call_id, lines, said_again[call_id])
    assert [i.id for i in first.score.items] == [i.id for i in again.score.items]


def test_a_unit_that_breaks_down_on_the_way_reports_it_and_the_good_dispatcher_sends_another(runs):
    log = runs["electrocution-live-wire", "good"].result().log

    # A1 (the nearest ALS unit) was sent, broke down on its way: its device released it, then
    # reported it out of service; the dispatcher sent another ALS unit.
    a1 = [(e["data"]["status"], e["data"]["manual"]) for e in log
          if e["name"] == "unit.status_changed" and e["data"]["unit_id"] == "A1"]
    assert a1[-2:] == [("available", False), ("out_of_service", False)], a1
    assigned = [e["data"]["unit_id"] for e in log if e["name"] == "unit.assigned"]
    assert assigned[0] == "A1" and len(assigned) == 2 and assigned[1] in ("A3", "A5")


def test_a_hospital_that_starts_diverting_is_avoided_by_the_good_dispatcher_only(runs):
    good = runs["hospital-diversion", "good"].result().log
    slow = runs["hospital-diversion", "slow"].result().log

    diverting = [e["data"] for e in good if e["name"] == "hospital.status_changed"]
    assert [(d["hospital_id"], d["status"]) for d in diverting] == [("ccm", "diverting")]
    assert [e["data"]["hospital_id"] for e in good if e["name"] == "incident.destination_set"] == ["chpg"]
    assert [e["data"]["hospital_id"] for e in slow if e["name"] == "incident.destination_set"] == ["ccm"]


def test_the_server_dropped_for_30_s_comes_back_and_the_next_call_is_worked(runs):
    run = runs["hoax-no-patient", "good"].result()

    runner_log = (run.workdir / "runner.log").read_text(encoding="utf-8")
    assert "server dropped for 30 s" in runner_log
    assert runner_log.count("starting the server") == 2
    assert {i.id: i.ok for i in run.score.items}["call1.priority"] is True


def test_repeat_calls_are_attached_by_the_good_dispatcher_and_become_new_incidents_with_the_slow_one(runs):
    good = {i.id: i for i in runs["collision-multi", "good"].result().score.items}
    slow = {i.id: i for i in runs["collision-multi", "slow"].result().score.items}

    assert good["call1.attach"].ok and good["call2.attach"].ok
    assert (slow["call1.attach"].ok, slow["call1.attach"].actual) == (False, "new incident")


def test_the_crew_that_reaches_the_arrest_finds_the_patient_the_physiology_says(runs):
    run = runs[ON_SCENE, "good"].result()

    runner_log = (run.workdir / "runner.log").read_text(encoding="utf-8")
    course = re.search(r"patient course \[\(0\.0, '(\w+)'\)(.*)\] from Events\(crew_arrived_s=([\d.]+), "
                       r"cpr_started_s=([\d.]+)", runner_log)
    assert course is not None, runner_log[-2000:]
    # Compressions were coached within the targets, so the VF had not decayed: VF, or ROSC already.
    assert course.group(1) in ("vf", "st_elevation")
    assert float(course.group(4)) <= 90 < float(course.group(3))
    assert re.search(r"unit A\d: monitor on \(incident [0-9a-f-]+, \[\(0\.0, '(vf|st_elevation)'", runner_log)
