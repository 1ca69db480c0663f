"""Headless runs: a scripted dispatcher plays the demo through a real training centre and
the run is scored from the event log — the good dispatcher meets the targets, the slow one
clearly does not.

Both runs are the trainer's command line, ``python -m app.sim run demo.yaml --dispatcher …
--json``, started together: each is its own process with its own training centre (as two
trainers at two machines), so the module takes the longer run's time, not the sum.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from app.resources import resource_path

pytestmark = pytest.mark.integration

DEMO = resource_path("scenarios", "demo.yaml")
RUN_TIMEOUT_S = 300  # far beyond a run's ~30 s: a hung centre fails the test instead of the suite


def start(dispatcher: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "app.sim", "run", str(DEMO), "--dispatcher", dispatcher, "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")


def result(process: subprocess.Popen[str]) -> dict:
    try:
        out, err = process.communicate(timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()  # its training runner follows it (parent-death signal)
        out, err = process.communicate()
    assert process.returncode == 0, err[-2000:]
    return json.loads(out)


def test_the_good_dispatcher_scores_at_least_90_and_the_slow_one_clearly_lower():
    runs = {dispatcher: start(dispatcher) for dispatcher in ("good", "slow")}
    try:
        good, slow = result(runs["good"]), result(runs["slow"])
    finally:
        for process in runs.values():
            if process.poll() is None:
                process.kill()
                process.communicate()

    assert good["scenario"] == slow["scenario"] == "摩纳哥演示 / Monaco demo"
    assert good["score"] >= 90, [i for i in good["items"] if i["ok"] is False]
    assert slow["score"] <= good["score"] - 40, slow
    for item in good["items"]:
        assert set(item) == {"id", "target", "actual", "ok"}
    by_id = {i["id"]: i for i in good["items"]}
    # The collapsed man: arrest recognised and compressions started within the AHA targets.
    assert by_id["call1.arrest_recognition"]["ok"] and by_id["call1.arrest_recognition"]["actual"] <= 60
    assert by_id["call1.first_compression"]["ok"]
    slow_by_id = {i["id"]: i for i in slow["items"]}
    assert slow_by_id["call1.arrest_recognition"]["ok"] is False
    assert slow_by_id["call0.priority"] == {"id": "call0.priority", "target": 1, "actual": 2, "ok": False}
