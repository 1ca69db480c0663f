"""Training scenarios: the demo loads; a trainer's mistakes are reported clearly (file, place, problem)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from app.domain.model import CloseReason
from app.protocol import command
from app.protocol.schema import PHONE_RE
from app.sim.cli import main as sim_main
from app.sim.launcher import default_scenario
from app.sim.scenario import ScenarioError, StartTrigger, load_registry, load_scenario
from app.sim.switch import CallSignal, CallSignalKind

REGISTRY = """
stations:
  - {id: st-1, name: 枫维耶急救站, lat: 43.72793, lon: 7.41778}
hospitals:
  - {id: chpg, name: 格蕾丝王妃医院中心, lat: 43.73041, lon: 7.41141}
units:
  - {id: A1, call_sign: 急救1, station: st-1, capability: als}
seats:
  - {id: seat-1, name: 调度席1}
devices:
  - {id: dev-A1, unit: A1}
switches:
  - {id: switch-1}
"""

CALL = """
  - at: 3
    caller_number: "13812345678"
    says: {zh: 胸口痛, en: chest pain}
    expected_priority: 1
    outcome: transported
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def scenario_text(calls: str = CALL, registry: str = "registry: registry.yaml", extra: str = "") -> str:
    return f"name: 测试\n{registry}\n{extra}\ncalls:{calls}"


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return caught.value.problems


# ---------------------------------------------------------------- the demo


def test_demo_scenario_is_a_monaco_evening_that_rings_at_once():
    scenario = load_scenario(default_scenario())
    reg = scenario.registry
    assert scenario.start == StartTrigger.FIRST_SEAT_READY and scenario.loop
    assert scenario.calls[0].at_s <= 5, "a demo shows a ringing call at once"
    assert 7 <= len(scenario.calls) <= 10 and scenario.calls[-1].at_s <= 6 * 60
    assert [s.id for s in reg.seats] == ["seat-1", "seat-2"] and len(reg.switches) == 1
    assert len(reg.units) in (5, 6) and all(u.call_sign.startswith("急救") for u in reg.units)
    assert {u.capability for u in reg.units} == {"als", "bls"}
    assert all(reg.device_for(u.id) is not None for u in reg.units), "one device per unit"
    for place in (*reg.stations, *reg.hospitals):  # Monaco, where the map data is
        assert 43.72 < place.lat < 43.76 and 7.40 < place.lon < 7.45, place
    assert {c.outcome for c in scenario.calls} >= {CloseReason.TRANSPORTED, CloseReason.TREATED_ON_SCENE}
    assert any(c.abandon_after_s for c in scenario.calls)
    for call in scenario.calls:
        assert call.says.zh and call.says.en and PHONE_RE.match(call.caller_number)


def test_every_demo_call_makes_a_valid_call_offered_command():
    for call in load_scenario(default_scenario()).calls:
        signal = CallSignal(
            CallSignalKind.OFFERED,
            f"sim-0-{call.index}",
            caller_number=call.caller_number,
            caller_name=call.caller_name,
            location_text=call.location_text,
        )
        name, args = signal.as_command()
        command(name, args)  # raises ProtocolError if the protocol would refuse it


def test_sim_check_prints_a_summary_of_the_demo(capsys):
    assert sim_main(["check", str(default_scenario())]) == 0
    out = capsys.readouterr().out
    assert "8 calls" in out and "13812345678" in out and "6 units (3 ALS, 3 BLS)" in out


def test_registry_can_be_written_inline_in_the_scenario(tmp_path):
    inline = "registry:\n" + textwrap.indent(textwrap.dedent(REGISTRY), "  ")
    scenario = load_scenario(write(tmp_path, "s.yaml", scenario_text(registry=inline)))
    assert [u.id for u in scenario.registry.units] == ["A1"]
    assert scenario.registry.source == tmp_path / "s.yaml"


def test_calls_are_played_in_time_order_and_defaults_apply(tmp_path):
    write(tmp_path, "registry.yaml", REGISTRY)
    # Listed in time order (a call listed before an earlier one is refused: time going backwards).
    calls = CALL.replace("at: 3", "at: 10") + CALL.replace("at: 3", "at: 50")
    scenario = load_scenario(write(tmp_path, "s.yaml", scenario_text(calls=calls)))
    assert [(c.at_s, c.index) for c in scenario.calls] == [(10, 0), (50, 1)]
    assert scenario.calls[0].talk_s == 60 and scenario.calls[0].patients == 1
    assert scenario.period_s == 110  # last call + 60 s


# ---------------------------------------------------------------- mistakes


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(ScenarioError, match=r"nope\.yaml: no such file"):
        load_scenario(tmp_path / "nope.yaml")


def test_broken_yaml_is_reported_with_its_line(tmp_path):
    path = write(tmp_path, "s.yaml", "name: x\ncalls: [1, 2\nregistry: r.yaml\n")
    (problem,) = problems_of(path)
    assert str(path) in problem and "line 3" in problem and "not valid YAML" in problem


def test_an_empty_file_says_so(tmp_path):
    assert problems_of(write(tmp_path, "s.yaml", "# nothing yet\n")) == [
        f"{tmp_path / 's.yaml'}: the file is empty"
    ]


def test_a_misspelt_field_gets_a_suggestion(tmp_path):
    write(tmp_path, "registry.yaml", REGISTRY)
    path = write(tmp_path, "s.yaml", scenario_text(calls=CALL + "    talks_s: 30\n"))
    assert problems_of(path) == [f"{path}: calls[0].talks_s: unknown field (did you mean 'talk_s'?)"]


def test_an_unquoted_phone_number_is_refused_with_the_fix(tmp_path):
    write(tmp_path, "registry.yaml", REGISTRY)
    path = write(tmp_path, "s.yaml", scenario_text(calls=CALL.replace('"13812345678"', "13812345678")))
    (problem,) = problems_of(path)
    assert "calls[0].caller_number" in problem and 'quotes ("13812345678")' in problem


def test_every_problem_is_reported_at_once(tmp_path):
    write(tmp_path, "registry.yaml", REGISTRY)
    bad = CALL.replace("at: 3", "at: -1").replace("expected_priority: 1", "expected_priority: 5")
    bad = bad.replace("outcome: transported", "outcome: teleported")
    path = write(tmp_path, "s.yaml", scenario_text(calls=bad + "    says_nothing: true\n"))
    problems = problems_of(path)
    assert len(problems) == 4, problems
    assert all(p.startswith(f"{path}: calls[0].") for p in problems)
    joined = "\n".join(problems)
    assert "at: must be >= 0" in joined and "expected_priority: must be between 1 and 4" in joined
    assert "outcome: must be one of transported, treated_on_scene, refused, no_patient_found" in joined


def test_required_fields_and_wrong_types_are_named(tmp_path):
    write(tmp_path, "registry.yaml", REGISTRY)
    path = write(tmp_path, "s.yaml", "registry: registry.yaml\nloop: sometimes\ncalls:\n  - at: soon\n")
    problems = "\n".join(problems_of(path))
    for expected in (
        "name: missing",
        "loop: expected true or false",
        "calls[0].at: expected a number, got text 'soon'",
        "calls[0].caller_number: missing",
        "calls[0].says: missing",
        "calls[0].outcome: missing",
    ):
        assert f"{path}: {expected}" in problems


def test_a_loop_shorter_than_the_script_is_refused(tmp_path):
    write(tmp_path, "registry.yaml", REGISTRY)
    path = write(
        tmp_path,
        "s.yaml",
        scenario_text(calls=CALL.replace("at: 3", "at: 90"), extra="loop: true\nloop_period_s: 60"),
    )
    assert problems_of(path) == [
        f"{path}: loop_period_s: must be longer than the last call's time (90 s), got 60"
    ]


def test_a_missing_registry_file_is_named_with_the_scenario(tmp_path):
    path = write(tmp_path, "s.yaml", scenario_text(registry="registry: elsewhere.yaml"))
    problems = problems_of(path)
    assert problems[0] == f"{path}: registry: the registry 'elsewhere.yaml' cannot be used:"
    assert f"{tmp_path / 'elsewhere.yaml'}: no such file" in problems[1]


def test_registry_mistakes_are_reported_like_the_server_import_would(tmp_path):
    registry = (
        REGISTRY
        + "version: 1\n"
        + textwrap.dedent(
            """
        trainers:
          - {id: seat-1}
        """
        )
    )
    registry = registry.replace("station: st-1", "station: st-9").replace(
        "{id: dev-A1, unit: A1}", "{id: dev-A1, unit: A7}"
    )
    path = write(tmp_path, "registry.yaml", registry)
    with pytest.raises(ScenarioError) as caught:
        load_registry(path)
    problems = "\n".join(caught.value.problems)
    assert f"{path}: version: unknown field" in problems
    assert "units[0].station: no station 'st-9'" in problems
    assert "devices[0].unit: no unit 'A7'" in problems
    assert "trainers[0].id: 'seat-1' is already used" in problems


def test_a_scenario_without_a_switch_cannot_offer_calls(tmp_path):
    write(tmp_path, "registry.yaml", REGISTRY.replace("switches:\n  - {id: switch-1}\n", ""))
    path = write(tmp_path, "s.yaml", scenario_text())
    assert problems_of(path) == [
        f"{path}: registry: has no phone switch (switches:); the script's calls could not be offered"
    ]


def test_sim_check_lists_the_problems_and_fails(tmp_path, capsys):
    path = write(tmp_path, "s.yaml", "name: x\n")
    assert sim_main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "2 problem(s)" in err and f"{path}: registry: missing" in err and f"{path}: calls: missing" in err
