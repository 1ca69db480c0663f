"""Scoring a training run from its event log: each call's items against their targets,
in scenario seconds, and a surge with no free unit is not held against the trainee."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.protocol import format_ts
from app.resources import resource_path
from app.sim.scenario import load_scenario
from app.sim.scoring import WEIGHTS, score_run

T0 = datetime(2026, 12, 5, 21, 0, tzinfo=UTC)
SCALE = 10.0  # the run went 10× faster: 1 wall second is 10 scenario seconds


@pytest.fixture(scope="module")
def demo():
    return load_scenario(resource_path("scenarios", "demo.yaml"))


def ev(scenario_s: float, name: str, **data) -> dict:
    return {"name": name, "data": data, "ts": format_ts(T0 + timedelta(seconds=scenario_s / SCALE))}


def arrest_call_log(*, answer_s: float, recognised_s: float, cpr_s: float, assigned_s: float,
                    priority: int, unit: str) -> list[dict]:
    return [
        ev(0, "call.received", call_id="c1"),
        ev(answer_s, "call.answered", call_id="c1", seat_id="seat-1"),
        ev(answer_s + 1, "incident.created", incident_id="i1", call_id="c1"),
        ev(recognised_s, "triage.arrest_recognised", incident_id="i1"),
        ev(recognised_s, "incident.updated", incident_id="i1", changes={"priority": priority}),
        ev(cpr_s, "cpr.started", incident_id="i1"),
        ev(assigned_s, "unit.assigned", incident_id="i1", unit_id=unit),
    ]


def test_a_quick_arrest_call_meets_every_target(demo):
    log = arrest_call_log(answer_s=4, recognised_s=30, cpr_s=40, assigned_s=35, priority=1, unit="A1")
    score = score_run(demo, log, time_scale=SCALE, call_index={"c1": 1})
    items = {i.id: i for i in score.items}
    assert items["call1.answer"].actual == pytest.approx(4.0)  # scenario seconds, not wall
    assert items["call1.arrest_recognition"].actual == pytest.approx(30.0)
    assert all(i.ok for i in score.items) and score.score == 100.0
    assert items["call1.capability"].actual == "als"


def test_late_recognition_and_under_triage_lose_their_weights(demo):
    log = arrest_call_log(answer_s=12, recognised_s=75, cpr_s=120, assigned_s=50, priority=2, unit="A2")
    score = score_run(demo, log, time_scale=SCALE, call_index={"c1": 1})
    failed = {i.id for i in score.items if not i.ok}
    assert failed == {"call1.answer", "call1.arrest_recognition", "call1.first_compression",
                      "call1.priority", "call1.capability"}  # A2 is a BLS unit
    scored = sum(i.weight for i in score.items)  # an arrest call: no hospital or attach item
    assert scored == sum(WEIGHTS.values()) - WEIGHTS["hospital"] - WEIGHTS["attach"]
    assert score.score == pytest.approx(100 * WEIGHTS["dispatch"] / scored, abs=0.1)


def test_with_every_unit_busy_the_dispatch_is_not_scored_until_one_is_free(demo):
    busy = [ev(-5, "unit.assigned", incident_id=f"old{u}", unit_id=u) for u in ("A1", "A2", "A3", "A4", "A5", "A6")]
    log = busy + [
        ev(0, "call.received", call_id="c7"),
        ev(5, "call.answered", call_id="c7", seat_id="seat-1"),
        ev(6, "incident.created", incident_id="i7", call_id="c7", priority=3),
    ]
    score = score_run(demo, log, time_scale=SCALE, call_index={"c7": 7})
    items = {i.id: i for i in score.items}
    assert items["call7.dispatch"].ok is None and items["call7.dispatch"].actual == "no unit free"
    assert score.score == 100.0  # answer and priority met; the surge counts neither way

    # A unit comes free at 200 s and is sent at 230 s: 30 s of the dispatcher's own delay.
    freed = log + [ev(200, "unit.status_changed", unit_id="A4", status="available"),
                   ev(230, "unit.assigned", incident_id="i7", unit_id="A4")]
    items = {i.id: i for i in score_run(demo, freed, time_scale=SCALE, call_index={"c7": 7}).items}
    assert items["call7.dispatch"].actual == pytest.approx(30.0) and items["call7.dispatch"].ok


def test_a_call_that_arrives_while_a_unit_is_free_but_loses_it_to_another_is_timed_from_the_next_free_unit(demo):
    # Five units busy; call c6 arrives with A6 still free, but c5 (earlier, more urgent) takes A6.
    busy = [ev(-5, "unit.assigned", incident_id=f"old{u}", unit_id=u) for u in ("A1", "A2", "A3", "A4", "A5")]
    log = busy + [
        ev(0, "call.received", call_id="c5"),
        ev(2, "call.received", call_id="c6"),
        ev(4, "call.answered", call_id="c5", seat_id="seat-1"),
        ev(5, "incident.created", incident_id="i5", call_id="c5", priority=3),
        ev(6, "call.answered", call_id="c6", seat_id="seat-2"),
        ev(7, "incident.created", incident_id="i6", call_id="c6", priority=3),
        ev(20, "unit.assigned", incident_id="i5", unit_id="A6"),
        # Nobody is free for ten minutes; A2 clears at 620 s and is sent to c6 at 625 s.
        ev(620, "unit.status_changed", unit_id="A2", status="available"),
        ev(625, "unit.assigned", incident_id="i6", unit_id="A2"),
    ]
    items = {i.id: i for i in score_run(demo, log, time_scale=SCALE, call_index={"c5": 5, "c6": 6}).items}

    assert items["call5.dispatch"].actual == pytest.approx(20.0)
    assert items["call6.dispatch"].actual == pytest.approx(5.0) and items["call6.dispatch"].ok
