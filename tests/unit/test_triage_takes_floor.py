"""Time-critical instruction flows (choking, a birth under way, life-threatening bleeding) take the call screen.

The protocol says which determinants (``takes_floor: true``); the seat then gives their
instructions the floor as it does the CPR coach (tests/gui/test_workspaces.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.triage import DEFAULT_PROTOCOL_DIR, ProtocolSetError, load_protocol_set

GOOD = Path(__file__).resolve().parents[1] / "data" / "protocols_bad" / "good"


@pytest.fixture(scope="module")
def protocols():
    return load_protocol_set(DEFAULT_PROTOCOL_DIR)


@pytest.mark.parametrize(("code", "flow"), [
    ("22-A-2", "adult choking, unable to cough"),
    ("22-A-3", "child choking, unable to cough"),
    ("22-A-4", "infant choking"),
    ("14-A-1", "birth under way"),
    ("14-A-3", "bleeding after a birth at home"),
    ("09-A-2", "life-threatening external bleeding"),
])
def test_the_time_critical_instruction_flows_take_the_call_screen(protocols, code, flow):
    determinant = protocols.determinant(code)
    assert determinant.takes_floor, flow
    assert determinant.instructions, f"{flow}: nothing to coach"
    assert determinant.as_dict()["takes_floor"] is True


def test_only_level_one_flows_without_the_cpr_coach_take_the_call_screen(protocols):
    taking = [d for p in protocols.protocols.values() for d in p.determinants.values() if d.takes_floor]
    assert taking, "no determinant takes the floor"
    for determinant in taking:
        assert determinant.priority == 1, determinant.code
        assert not determinant.cpr, determinant.code


def _alpha(tmp_path: Path, old: str, new: str) -> Path:
    directory = tmp_path / "protocols"
    shutil.copytree(GOOD, directory)
    path = directory / "alpha.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return directory


def _problems(directory: Path) -> list[str]:
    with pytest.raises(ProtocolSetError) as caught:
        load_protocol_set(directory)
    return [str(problem) for problem in caught.value.problems]


def test_takes_floor_on_a_cpr_determinant_is_refused_with_its_line(tmp_path):
    problems = _problems(_alpha(tmp_path, "    cpr: true\n", "    cpr: true\n    takes_floor: true\n"))
    assert any("alpha.yaml:" in p and "01-A-1: takes_floor is for instruction flows without CPR" in p
               for p in problems), problems


def test_takes_floor_must_be_true_or_false(tmp_path):
    problems = _problems(_alpha(tmp_path, "    plan: bls_routine\n", "    plan: bls_routine\n    takes_floor: often\n"))
    assert any("takes_floor" in p for p in problems), problems
