"""Headless runs: a scripted dispatcher plays the demo through a real training centre and
the run is scored from the event log — the good dispatcher meets the targets, the slow one
clearly does not."""

from __future__ import annotations

import json

import pytest

from app.resources import resource_path
from app.sim.cli import main as sim_main

pytestmark = pytest.mark.integration

DEMO = resource_path("scenarios", "demo.yaml")


def run(capsys, dispatcher: str) -> dict:
    assert sim_main(["run", str(DEMO), "--dispatcher", dispatcher, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_good_dispatcher_scores_at_least_90_and_the_slow_one_clearly_lower(capsys):
    good = run(capsys, "good")
    slow = run(capsys, "slow")

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
