"""The after-action timeline is in scenario time: a pause is not a delay, a faster clock
counts its seconds faster, and the score is computed on that time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.protocol import format_ts
from app.resources import resource_path
from app.sim.after_action import TrainingLog, item_row, score_seat, step_text
from app.sim.scenario import load_scenario

T0 = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
CALL = "sim1-0-1"  # round 0, the demo's second call (a cardiac arrest)
INCIDENT = "3f6d1b2a-8c4e-4f7a-9b0c-5d2e1a3f4b6c"


def events() -> list[dict]:
    seq = 0

    def ev(wall_s: float, name: str, /, **data) -> dict:
        nonlocal seq
        seq += 1
        return {"type": "event", "seq": seq, "ts": format_ts(T0 + timedelta(seconds=wall_s)), "name": name,
                "actor": {"id": "x", "role": "seat"}, "data": data}

    return [
        ev(0, "principal.registered", principal_id="seat-1", role="seat", name="调度席1", unit_id=None),
        ev(0, "training.clock_set", run_id="run-1", paused=False, time_scale=10),
        ev(1, "call.received", call_id=CALL, caller_number="13900001111"),  # scenario 10 s
        ev(1.5, "call.ringing", call_id=CALL, seat_id="seat-1"),
        ev(1.8, "call.answered", call_id=CALL, seat_id="seat-1"),  # 8 s after arrival
        ev(2, "training.clock_set", run_id="run-1", paused=True, time_scale=10),  # scenario 20 s
        ev(600, "training.clock_set", run_id="run-1", paused=False, time_scale=2),  # ten minutes' pause
        ev(601, "incident.created", incident_id=INCIDENT, call_id=CALL, address="摩纳哥港"),  # scenario 22 s
        ev(605, "triage.answered", incident_id=INCIDENT, protocol="case_entry", protocol_version="1",
           question="breathing_normally", answer="no"),  # scenario 30 s
        ev(605, "training.caller_said", call_id=CALL, zh="没有，胸口不动", en="No", via="voice"),
        ev(606, "triage.arrest_recognised", incident_id=INCIDENT, at=format_ts(T0)),  # scenario 32 s
        ev(610, "cpr.started", incident_id=INCIDENT, rate_per_min=110, variant="adult"),  # scenario 40 s
    ]


def test_a_pause_is_not_counted_and_each_step_is_in_scenario_seconds_from_the_call():
    log = TrainingLog()
    for event in events():
        log.add(event)
    record = log.calls[CALL]
    assert record.index == 1 and record.seat_id == "seat-1"
    assert record.answered_s == 8.0
    assert record.arrest_s == 22.0 and record.cpr_s == 30.0
    assert record.questions == ["breathing_normally"] and record.caller_lines == ["没有，胸口不动"]
    assert [(s.at_s, s.kind) for s in record.steps] == [
        (0.0, "received"), (8.0, "answered"), (12.0, "incident"), (20.0, "question"), (20.0, "caller"),
        (22.0, "arrest"), (30.0, "cpr")]
    assert log.seat_names == {"seat-1": "调度席1"}
    # A question shows as the protocol labels its answer, in the report's language.
    question = record.steps[3]
    assert step_text(question, "zh") == "询问: 不呼吸/呼吸不正常"
    assert step_text(question, "en") == "asked: Not breathing / not normally"


def test_the_score_uses_scenario_time_so_the_paused_trainee_meets_the_targets():
    log = TrainingLog()
    for event in events():
        log.add(event)
    scenario = load_scenario(resource_path("scenarios", "demo.yaml"))
    score = score_seat(scenario, log, list(log.calls.values()))
    items = {i.id: i for i in score.items}
    assert items["call1.answer"].actual == 8.0 and items["call1.answer"].ok
    assert items["call1.first_compression"].actual == 30.0 and items["call1.first_compression"].ok
    assert item_row(items["call1.answer"], "zh") == ("1", "接听用时", "≤ 10 s", "8 s", "达标")
    assert item_row(items["call1.dispatch"], "en")[3:] == ("—", "missed")
