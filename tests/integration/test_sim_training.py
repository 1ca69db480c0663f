"""Simulation mode end to end: the real runner, the real server, simulated switch and ambulances.

A seat-like test client (the protocol, over websockets) plays the trainee. Scenario
time runs 300 times faster, so a crew's half-hour job takes a few seconds; the seed
makes the crews' delays repeatable.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from app.sim.launcher import TrainingStartError, start_training
from app.sim.procs import child_env, pid_alive

try:  # `python -m pytest` from the project root (the Makefile's way)
    from tests.integration.wsclient import ProtocolClient
except ImportError:  # pragma: no cover - plain `pytest`, rootdir not on sys.path
    from wsclient import ProtocolClient

pytestmark = pytest.mark.integration

TIME_SCALE = 300.0
SCENARIO = """
name: 集成测试 / integration test
start: first_seat_ready
registry:
  stations: [{id: st-fontvieille, name: 枫维耶急救站, lat: 43.72793, lon: 7.41778}]
  hospitals: [{id: chpg, name: 格蕾丝王妃医院中心, lat: 43.73041, lon: 7.41141}]
  units:
    - {id: A1, call_sign: 急救1, station: st-fontvieille, capability: als}
    - {id: A2, call_sign: 急救2, station: st-fontvieille, capability: bls}
  seats: [{id: seat-1, name: 调度席1}, {id: seat-2, name: 调度席2}]
  devices: [{id: dev-A1, unit: A1}, {id: dev-A2, unit: A2}]
  switches: [{id: switch-1, name: 模拟交换机}]
calls:
  - at: 1
    caller_number: "13812345678"
    caller_name: 王先生
    location_text: Boulevard Albert 1er 12号
    says: {zh: 我爸爸胸口痛得厉害, en: My father has crushing chest pain}
    expected_priority: 1
    talk_s: 30
    outcome: transported
  - at: 2
    caller_number: "13987654321"
    location_text: Avenue de la Costa
    says: {zh: "喂？喂……", en: "Hello? Hello..."}
    expected_priority: 2
    abandon_after_s: 5
    outcome: no_patient_found
"""


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(textwrap.dedent(SCENARIO), encoding="utf-8")
    return path


def wait_gone(*pids: int, timeout_s: float = 10.0) -> list[int]:
    """Wait until none of ``pids`` runs; return those still alive at the deadline."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        alive = [pid for pid in pids if pid_alive(pid)]
        if not alive:
            return []
        time.sleep(0.05)
    return [pid for pid in pids if pid_alive(pid)]


def open_seat(url: str, token: str, *, within_s: float = 10.0) -> ProtocolClient:
    """Connect like a seat, retrying while the server (re)starts."""
    deadline = time.monotonic() + within_s
    while True:
        try:
            return ProtocolClient.open(url, token=token, timeout=10, client="pytest-seat")
        except (OSError, ConnectionClosed, InvalidHandshake, TimeoutError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def take_call_and_dispatch(seat: ProtocolClient, unit_id: str) -> tuple[str, str]:
    """The trainee says ready, answers the call that rings, records it and assigns ``unit_id``."""
    assert seat.command("seat.set_ready", {"ready": True})["type"] == "ack"
    ringing = seat.wait_event("call.ringing", seat_id="seat-1", timeout=10)
    call_id = ringing["data"]["call_id"]
    assert seat.command("call.answer", {"call_id": call_id})["type"] == "ack"
    incident_id = str(uuid.uuid4())
    created = seat.command(
        "incident.create",
        {
            "incident_id": incident_id,
            "call_id": call_id,
            "address": "Boulevard Albert 1er 12号",
            "callback_number": "13812345678",
            "description": "男，68岁，胸痛，大汗",
            "patients": 1,
            "priority": 1,
        },
    )
    assert created["type"] == "ack", created
    assigned = seat.command(
        "unit.assign", {"incident_id": incident_id, "unit_id": unit_id, "unit_version": 0}
    )
    assert assigned["type"] == "ack", assigned
    return call_id, incident_id


def test_trainee_takes_a_simulated_call_and_the_ambulance_runs_the_job_by_itself(scenario_file, tmp_path):
    session = start_training(
        scenario_file, time_scale=TIME_SCALE, seed=5, workdir=tmp_path / "run", timeout_s=30
    )
    runner_pid, server_pid = session.process.pid, session.server_pid
    seat = None
    try:
        assert session.url.startswith("ws://127.0.0.1:") and session.seat_id == "seat-1"
        assert set(session.seats) == {"seat-1", "seat-2"} and session.seats["seat-1"] == session.seat_token
        assert (session.workdir / "TRAINING-DATABASE.txt").exists() and (
            session.workdir / "training-events.sqlite"
        ).exists()
        seat = open_seat(session.url, session.seat_token)
        # Nothing rings before the trainee is ready; then the first scripted call rings at once.
        started = time.monotonic()
        call_id, incident_id = take_call_and_dispatch(seat, "A1")
        received = next(
            e for e in seat.events if e["name"] == "call.received" and e["data"]["call_id"] == call_id
        )
        assert (
            received["data"]["caller_number"] == "13812345678" and received["data"]["caller_name"] == "王先生"
        )
        assert received["actor"]["role"] == "switch"
        # The second caller hangs up in the queue; the first one's talk ends by itself.
        abandoned = seat.wait_event("call.abandoned", timeout=5)
        assert abandoned["actor"]["role"] == "switch" and abandoned["data"]["call_id"] != call_id
        assert seat.wait_event("call.ended", call_id=call_id, timeout=5)["actor"]["role"] == "switch"

        reports = []
        while not reports or reports[-1]["data"]["status"] != "available":
            reports.append(seat.wait_event("unit.status_changed", unit_id="A1", timeout=15))
        assert [r["data"]["status"] for r in reports] == [
            "en_route",
            "on_scene",
            "transporting",
            "at_hospital",
            "available",
        ]
        assert all(
            r["actor"] == {"id": "dev-A1", "role": "device"} and not r["data"]["manual"] for r in reports
        )
        assert all(r["data"]["incident_id"] == incident_id for r in reports)
        # Realistic delays, only scaled: the crew's whole job takes at least 1110 s of scenario
        # time (turnout 30 + travel 180 + on scene 300 + transport 300 + handover 300).
        assert (time.monotonic() - started) * TIME_SCALE >= 1110
        closed = seat.command("incident.close", {"incident_id": incident_id, "reason": "transported"})
        assert closed["type"] == "ack", closed
    finally:
        if seat is not None:
            seat.close()
        session.stop()
    assert wait_gone(runner_pid, server_pid, timeout_s=5) == [], "stop() leaves no process behind"
    assert session.stop() == 0, "stop() is idempotent"


def test_the_training_centre_dies_with_a_seat_killed_with_sigkill(scenario_file, tmp_path):
    seat_program = textwrap.dedent(
        f"""
        import json, time
        from app.sim.launcher import TrainingStartError, start_training
        session = start_training({str(scenario_file)!r}, time_scale=300, workdir={str(tmp_path / "run")!r})
        print(json.dumps({{"runner": session.process.pid, "server": session.server_pid}}), flush=True)
        time.sleep(120)
        """
    )
    seat_process = subprocess.Popen(
        [sys.executable, "-c", seat_program], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=child_env()
    )
    try:
        line = seat_process.stdout.readline()
        assert line, f"the seat process failed: {seat_process.stderr.read().decode(errors='replace')}"
        pids = json.loads(line)
        assert pid_alive(pids["runner"]) and pid_alive(pids["server"])
        seat_process.send_signal(signal.SIGKILL)
        seat_process.wait(timeout=5)
        assert wait_gone(pids["runner"], pids["server"], timeout_s=10) == []
    finally:
        if seat_process.poll() is None:
            seat_process.kill()
            seat_process.wait()
        seat_process.stdout.close()
        seat_process.stderr.close()


def test_a_broken_scenario_stops_the_start_with_the_reason(scenario_file, tmp_path):
    scenario_file.write_text(
        scenario_file.read_text(encoding="utf-8").replace("talk_s: 30", "talks_s: 30"), encoding="utf-8"
    )
    with pytest.raises(TrainingStartError) as caught:
        start_training(scenario_file, workdir=tmp_path / "run", timeout_s=30)
    message = str(caught.value)
    assert "exited with code 2" in message
    assert f"{scenario_file}: calls[0].talks_s: unknown field (did you mean 'talk_s'?)" in message
    assert not (tmp_path / "run").exists(), "nothing was set up"


def test_the_server_dies_with_a_runner_killed_with_sigkill(scenario_file, tmp_path):
    session = start_training(scenario_file, time_scale=TIME_SCALE, workdir=tmp_path / "run", timeout_s=30)
    try:
        assert session.running and pid_alive(session.server_pid)
        os.kill(session.process.pid, signal.SIGKILL)
        assert wait_gone(session.server_pid, timeout_s=10) == []
        assert not session.running
    finally:
        session.stop()


def test_sim_serve_writes_a_private_ready_file_and_exits_when_stdin_closes(scenario_file, tmp_path):
    ready = tmp_path / "ready.json"
    runner = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app.sim",
            "serve",
            "--scenario",
            str(scenario_file),
            "--workdir",
            str(tmp_path / "run"),
            "--ready-file",
            str(ready),
            "--exit-with-stdin",
            "--seat-id",
            "seat-2",
            "--log-level",
            "warning",
        ],
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=child_env(),
    )
    try:
        deadline = time.monotonic() + 30
        while not ready.exists():
            assert runner.poll() is None, runner.stderr.read().decode(errors="replace")
            assert time.monotonic() < deadline, "no ready file"
            time.sleep(0.05)
        assert stat.S_IMODE(os.stat(ready).st_mode) == 0o600, "the ready file holds tokens"
        info = json.loads(ready.read_text(encoding="utf-8"))
        assert info["seat_id"] == "seat-2" and info["seat_token"] == info["seats"]["seat-2"]
        assert info["pid"] == runner.pid and Path(info["workdir"]) == tmp_path / "run"
        with open_seat(info["url"], info["seats"]["seat-2"]) as seat:
            assert seat.welcome["principal"]["id"] == "seat-2"
        assert not (tmp_path / "run" / "tokens.json").exists(), "the admin's token file is removed once read"
        runner.stdin.close()  # the parent goes away
        assert runner.wait(timeout=10) == 0
        assert wait_gone(info["server_pid"], timeout_s=5) == []
        assert not ready.exists(), "the ready file is removed at exit"
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()
        runner.stderr.close()


def test_switch_and_ambulances_carry_on_after_the_server_crashes_and_restarts(scenario_file, tmp_path):
    session = start_training(
        scenario_file, time_scale=TIME_SCALE, seed=9, workdir=tmp_path / "run", timeout_s=30
    )
    seat = None
    try:
        os.kill(session.server_pid, signal.SIGKILL)
        assert wait_gone(session.server_pid, timeout_s=5) == []
        # The runner starts the server again on the same port; the seat, the switch and
        # the ambulances reconnect on their own.
        seat = open_seat(session.url, session.seat_token, within_s=15)
        take_call_and_dispatch(seat, "A2")
        departed = seat.wait_event("unit.status_changed", unit_id="A2", timeout=15)
        assert departed["data"]["status"] == "en_route" and departed["actor"]["id"] == "dev-A2"
    finally:
        if seat is not None:
            seat.close()
        session.stop()
    assert "restarting it on port" in (session.workdir / "runner.log").read_text(encoding="utf-8")
