"""Triage events on the incident (pure domain): the path, the result, the arrest and CPR
milestones, and the AHA time targets computed from them."""

from __future__ import annotations

import pytest

from app.domain.common import Principal
from app.domain.decide import decide
from app.domain.model import Role
from app.domain.state import State
from app.domain.triage import (
    FIRST_COMPRESSION_TARGET_S,
    RECOGNITION_TARGET_S,
    elapsed_against,
    first_compression_time,
    recognition_time,
    seconds_between,
)
from app.protocol import ProtocolError, validate_command

SEAT = Principal(id="seat-1", role=Role.SEAT, name="Seat one")
INCIDENT = "7c2e9a41-5b3d-4e8f-a16c-0d9b2f4e6a83"


class Log:
    """Commands through decide() and the projection, each event stamped with a given time."""

    def __init__(self) -> None:
        self.state = State()

    def apply(self, name: str, data: dict, ts: str) -> None:
        assert self.state.apply({"seq": self.state.seq + 1, "name": name, "data": data, "ts": ts})

    def send(self, name: str, args: dict, ts: str) -> int:
        validate_command(name, args)
        drafts = decide(self.state, SEAT, name, args)
        for event_name, data in drafts:
            self.apply(event_name, data, ts)
        return len(drafts)


@pytest.fixture
def log() -> Log:
    log = Log()
    log.apply("call.received", {"call_id": "c1", "caller_number": "13800138000"}, "2026-11-27T03:20:00.000Z")
    log.apply("call.answered", {"call_id": "c1", "seat_id": "seat-1"}, "2026-11-27T03:20:04.000Z")
    log.send("incident.create", {"incident_id": INCIDENT, "call_id": "c1"}, "2026-11-27T03:20:10.000Z")
    return log


def test_seconds_between_protocol_timestamps():
    assert seconds_between("2026-11-27T03:20:04.000Z", "2026-11-27T03:21:04.500Z") == 60.5
    assert seconds_between(None, "2026-11-27T03:21:04.500Z") is None
    assert seconds_between("not a time", "2026-11-27T03:21:04.500Z") is None


def test_arrest_recognised_at_59_seconds_meets_the_60_second_target_and_61_does_not(log):
    log.send("triage.arrest_recognised", {"incident_id": INCIDENT, "at": "2026-11-27T03:21:02.900Z"},
             "2026-11-27T03:21:03.000Z")
    within = recognition_time(log.state.incidents[INCIDENT])
    assert (within.seconds, within.target_s, within.met) == (59.0, RECOGNITION_TARGET_S, True)
    late = dict(log.state.incidents[INCIDENT])
    late["milestones"] = {**late["milestones"], "arrest_recognised": "2026-11-27T03:21:05.000Z"}
    assert recognition_time(late).met is False
    assert recognition_time(late).seconds == 61.0


def test_first_compression_is_measured_from_the_answer_against_90_seconds(log):
    assert first_compression_time(log.state.incidents[INCIDENT]).seconds is None  # not yet
    assert first_compression_time(log.state.incidents[INCIDENT]).met is None
    log.send("cpr.started", {"incident_id": INCIDENT, "rate_per_min": 110, "variant": "adult"},
             "2026-11-27T03:21:34.000Z")
    # A rate change later restarts nothing: the first compression stays the first.
    log.send("cpr.started", {"incident_id": INCIDENT, "rate_per_min": 115, "variant": "adult"},
             "2026-11-27T03:22:40.000Z")
    timing = first_compression_time(log.state.incidents[INCIDENT])
    assert (timing.seconds, timing.target_s, timing.met) == (90.0, FIRST_COMPRESSION_TARGET_S, True)
    assert log.state.incidents[INCIDENT]["triage"]["cpr"]["rate_per_min"] == 115


def test_a_live_timer_runs_against_its_target_until_the_milestone():
    running = elapsed_against("2026-11-27T03:20:04.000Z", "2026-11-27T03:21:40.000Z", 90)
    assert running.seconds == 96.0 and running.met is False


def test_triage_answers_build_the_audited_path_and_the_result_sets_the_priority(log):
    for question, answer, ts in (("conscious", "yes", "03:20:20"), ("chief_complaint", "chest_pain", "03:20:30")):
        log.send("triage.answer", {"incident_id": INCIDENT, "protocol": "case_entry", "protocol_version": "2026.11",
                                   "question": question, "answer": answer}, f"2026-11-27T{ts}.000Z")
    log.send("triage.complete", {"incident_id": INCIDENT, "protocol": "chest_pain", "protocol_version": "2026.11",
                                 "determinant": "10-D-1", "priority": 2, "plan": "als_emergency",
                                 "capability": "als", "cpr": False}, "2026-11-27T03:21:00.000Z")
    incident = log.state.incidents[INCIDENT]
    assert [(s["question"], s["answer"], s["at"]) for s in incident["triage"]["path"]] == [
        ("conscious", "yes", "2026-11-27T03:20:20.000Z"),
        ("chief_complaint", "chest_pain", "2026-11-27T03:20:30.000Z"),
    ]
    assert incident["priority"] == 2
    assert incident["triage"]["result"]["determinant"] == "10-D-1"
    assert incident["triage"]["arrest"] is None


def test_the_first_recognition_counts_and_a_repeat_adds_no_event(log):
    args = {"incident_id": INCIDENT, "at": "2026-11-27T03:20:40.000Z"}
    assert log.send("triage.arrest_recognised", args, "2026-11-27T03:20:41.000Z") == 1
    assert log.send("triage.arrest_recognised", {**args, "at": "2026-11-27T03:25:00.000Z"},
                    "2026-11-27T03:25:01.000Z") == 0
    incident = log.state.incidents[INCIDENT]
    assert incident["milestones"]["arrest_recognised"] == "2026-11-27T03:20:41.000Z"
    assert incident["triage"]["arrest"] == {"recognised_at": "2026-11-27T03:20:41.000Z",
                                            "client_at": "2026-11-27T03:20:40.000Z"}


def test_cpr_cannot_stop_before_it_started(log):
    with pytest.raises(ProtocolError) as refused:
        log.send("cpr.stopped", {"incident_id": INCIDENT, "compressions": 0, "reason": "other"},
                 "2026-11-27T03:21:00.000Z")
    assert refused.value.code == "illegal_transition"


def test_triage_on_a_closed_incident_is_refused(log):
    log.send("incident.close", {"incident_id": INCIDENT, "reason": "cancelled"}, "2026-11-27T03:22:00.000Z")
    with pytest.raises(ProtocolError) as refused:
        log.send("triage.answer", {"incident_id": INCIDENT, "protocol": "case_entry", "protocol_version": "1",
                                   "question": "conscious", "answer": "no"}, "2026-11-27T03:22:05.000Z")
    assert refused.value.code == "illegal_transition"


@pytest.mark.parametrize(
    ("change", "field"),
    [({"priority": 7}, "priority"), ({"priority": 0}, "priority"), ({"determinant": "10D1"}, "determinant"),
     ({"determinant": "10-d-1"}, "determinant"), ({"capability": "air"}, "capability"), ({"cpr": "yes"}, "cpr")],
)
def test_malformed_triage_results_are_refused_with_the_field_named(change, field):
    args = {"incident_id": INCIDENT, "protocol": "chest_pain", "protocol_version": "2026.11",
            "determinant": "10-D-1", "priority": 2, "plan": "als_emergency", "capability": "als", "cpr": False}
    with pytest.raises(ProtocolError) as refused:
        validate_command("triage.complete", {**args, **change})
    assert refused.value.code == "invalid_args" and field in refused.value.field
