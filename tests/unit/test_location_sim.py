"""The demo scenario's calls carry realistic location candidates, and the simulated switch sends them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.domain.location import disagreements
from app.protocol import validate_command
from app.sim.scenario import ScenarioError, load_scenario
from app.sim.switch import CallSignal, CallSignalKind

DEMO = Path(__file__).resolve().parents[2] / "resources" / "scenarios" / "demo.yaml"


def test_demo_calls_have_gps_cell_a_disagreement_and_a_landline_address():
    calls = load_scenario(DEMO).calls
    everything = [c for call in calls for c in call.locations]
    gps = [c for c in everything if c["source"] == "gps" and c["accuracy_m"]]
    cells = [c for c in everything if c["source"] == "cell"]
    assert gps and all(10 <= c["accuracy_m"] <= 50 for c in gps)
    assert cells and all(300 <= c["accuracy_m"] <= 1500 for c in cells)
    assert any(disagreements(call.locations) for call in calls)
    assert any(c["source"] == "landline_address" and c["lat"] is None and c["address"] for c in everything)


def test_the_switch_stamps_each_fix_with_its_time_and_the_command_validates():
    call = load_scenario(DEMO).calls[1]
    signal = CallSignal(CallSignalKind.OFFERED, "sim-1", caller_number=call.caller_number,
                        locations=call.locations)
    name, args = signal.as_command(datetime(2026, 11, 27, 2, 0, 15, tzinfo=UTC))
    validate_command(name, args)
    assert args["locations"][0]["at"] == "2026-11-27T02:00:00.000Z"  # GPS fix 15 s old
    assert "age_s" not in args["locations"][0]


def test_a_scenario_with_a_position_out_of_range_is_refused_with_its_place(tmp_path):
    text = DEMO.read_text(encoding="utf-8").replace("lat: 43.73618", "lat: 143.73618", 1)
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("registry: registry-demo.yaml", f"registry: {DEMO.parent / 'registry-demo.yaml'}"),
                   encoding="utf-8")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(bad)
    assert "calls[0].locations[0]" in str(exc.value) and "above 90" in str(exc.value)
