"""The seat as a dispatch desk over one, two or three screens: which window lands on which screen,
a layout that comes back after a restart, a screen that went away bringing its panels home, a
corrupt saved layout replaced by the preset (with a line in the log), and the CPR coach taking
the floor of the call screen when an arrest is recognised.

Qt chooses its screens when the QApplication starts, so each seat here runs in its own process
(``tests/gui/workspace_seat.py``) on ``QT_QPA_PLATFORM=offscreen:configfile=screens.json``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[2]


def screen(name: str, x: int, width: int = 1920, height: int = 1080) -> dict:
    return {"name": name, "x": x, "y": 0, "width": width, "height": height,
            "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}


LAPTOP = [screen("laptop", 0, 1366, 768)]
TWO = [screen("left", 0), screen("middle", 1920)]
THREE = [screen("left", 0), screen("middle", 1920), screen("right", 3840)]

CALL_SCREEN = {"CallsDock", "IncidentFormDock", "TriageDock", "IncidentQueueDock"}


class Desk:
    """One run of the seat: what it printed (one JSON description per ``--describe`` and at the end)."""

    def __init__(self, outputs: list[dict], log: str) -> None:
        self.outputs = outputs
        self.log = log

    @property
    def last(self) -> dict:
        return self.outputs[-1]

    def window_on(self, screen_name: str, at: int = -1) -> dict:
        [window] = [w for w in self.outputs[at]["windows"].values() if w["screen"] == screen_name]
        return window


@pytest.fixture
def run_seat(tmp_path):
    layout = tmp_path / "layout-seat-1.json"

    def run(screens: list[dict], *steps: str) -> Desk:
        config = tmp_path / f"screens-{len(screens)}-{screens[-1]['name']}.json"
        config.write_text(json.dumps({"screens": screens}), encoding="utf-8")
        env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={config}",
               "QTWEBENGINE_CHROMIUM_FLAGS": "--no-sandbox"}
        done = subprocess.run([sys.executable, "-m", "tests.gui.workspace_seat", "--layout", str(layout), *steps],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-3000:]
        outputs = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
        return Desk(outputs, done.stderr)

    run.layout = layout
    return run


def test_one_laptop_screen_holds_the_whole_desk_maximised_not_a_fixed_1600x900_window(run_seat):
    desk = run_seat(LAPTOP)
    assert list(desk.last["windows"]) == ["main"]
    main = desk.window_on("laptop")
    assert main["maximized"]
    assert main["geometry"][2] <= 1366 and main["geometry"][3] <= 768  # fits the laptop's screen
    assert {"CallsDock", "IncidentFormDock", "UnitsDock"} <= set(main["docks"])
    # The open incidents and the questions share the unit board's place as tabs (a call brings
    # the questions forward: tests/gui/test_layout_dpi.py).
    assert not set(main["docks"]) & {"IncidentQueueDock", "TriageDock"}
    for name, (width, height) in main["dock_sizes"].items():
        assert width >= 200 and height >= 150, name  # nothing squeezed to a strip


def test_two_screens_put_the_call_taking_on_the_first_and_units_and_suggestions_on_the_second(run_seat):
    desk = run_seat(TWO)
    first, second = desk.window_on("left"), desk.window_on("middle")
    assert first["maximized"] and second["maximized"]
    assert set(first["docks"]) == CALL_SCREEN
    assert {"UnitsDock", "HospitalTabsDock", "VitalsDock"} <= set(second["docks"])
    assert second["geometry"][0] >= 1920  # really on the second screen


def test_three_screens_give_the_vitals_wall_and_the_unit_board_a_screen_of_their_own(run_seat):
    desk = run_seat(THREE)
    assert set(desk.window_on("left")["docks"]) == CALL_SCREEN
    assert set(desk.window_on("middle")["docks"]) == {"HospitalTabsDock"}  # and the map, with --map
    assert set(desk.window_on("right")["docks"]) == {"VitalsDock", "UnitsDock"}
    assert all(w["maximized"] for w in desk.last["windows"].values())


def test_the_layout_chosen_from_the_menu_comes_back_after_a_restart(run_seat):
    first = run_seat(THREE, "--preset", "2", "--hide", "HospitalTabsDock")
    assert first.last["preset"] == 2 and len(first.last["windows"]) == 2
    assert run_seat.layout.exists()

    again = run_seat(THREE)

    assert "seat layout restored" in again.log
    assert set(again.last["windows"]) == {"main", "desk2"}  # not the three-screen preset
    assert set(again.window_on("left")["docks"]) == CALL_SCREEN
    assert set(again.window_on("middle")["docks"]) == {"UnitsDock", "VitalsDock"}  # the suggestions stay hidden


def test_a_screen_that_is_gone_since_the_last_time_brings_its_panels_home(run_seat):
    run_seat(THREE)
    saved = json.loads(run_seat.layout.read_text(encoding="utf-8"))
    assert saved["windows"]["desk3"]["screen"] == "right"

    desk = run_seat(TWO)  # the right-hand screen was unplugged

    assert "missing; their panels come home" in desk.log
    home = desk.window_on("left")
    assert {"UnitsDock", "VitalsDock"} & set(home["docks"])  # tabbed on the call screen
    assert CALL_SCREEN - {"IncidentQueueDock"} <= set(home["docks"])
    assert set(desk.window_on("middle")["docks"]) == {"HospitalTabsDock"}
    assert all(w["screen"] in {"left", "middle"} for w in desk.last["windows"].values())


@pytest.mark.parametrize("content", [
    b"\x00\x81not json at all",
    json.dumps({"format": "someone-elses-app", "windows": {}}).encode(),
    json.dumps({"format": "dispatch120-layout", "version": 1, "preset": 2,
                "windows": {"main": {"screen": "left", "geometry": "AAAA", "state": "AAAA"}},
                "docks": {"CallsDock": "main"}}).encode(),
], ids=["garbage", "foreign", "panels-of-another-seat"])
def test_a_corrupt_or_foreign_saved_layout_is_ignored_with_a_log_line_and_the_preset_used(run_seat, content):
    run_seat.layout.write_bytes(content)

    desk = run_seat(TWO)

    assert "saved layout" in desk.log and "ignored" in desk.log
    assert set(desk.window_on("left")["docks"]) == CALL_SCREEN
    assert {"UnitsDock", "HospitalTabsDock"} <= set(desk.window_on("middle")["docks"])


def test_a_damaged_window_state_in_a_well_formed_layout_falls_back_to_the_preset(run_seat):
    run_seat(TWO)
    saved = json.loads(run_seat.layout.read_text(encoding="utf-8"))
    saved["windows"]["main"]["state"] = "AAAAAAAA"  # valid base64, not a Qt window state
    run_seat.layout.write_text(json.dumps(saved), encoding="utf-8")

    desk = run_seat(TWO)

    assert "state not usable" in desk.log
    assert set(desk.window_on("left")["docks"]) == CALL_SCREEN


def largest(window: dict) -> str:
    return max(window["dock_sizes"], key=lambda name: window["dock_sizes"][name][0] * window["dock_sizes"][name][1])


@pytest.mark.parametrize("screens", [LAPTOP, TWO], ids=["laptop", "two-screens"])
def test_the_cpr_coach_takes_the_floor_on_arrest_until_esc_and_f11_reaches_the_desk_in_one_key(run_seat, screens):
    desk = run_seat(screens, "--arrest", "--describe", "--key", "F11", "--describe", "--key", "F11", "--describe",
                    "--key", "Escape")
    call_screen = screens[0]["name"]
    coach, whole_desk, back, after_esc = (desk.window_on(call_screen, at) for at in range(4))

    assert desk.outputs[0]["on_floor"] and desk.outputs[0]["coach_shown"]
    assert largest(coach) == "TriageDock"
    width, height = coach["dock_sizes"]["TriageDock"]
    assert width * height > 0.6 * coach["geometry"][2] * coach["geometry"][3]
    assert set(coach["docks"]) == {"CallsDock", "TriageDock"}
    # F11: the whole desk (the form, and on one screen the questions beside it) — F11 again: the coach.
    assert not desk.outputs[1]["on_floor"] and "IncidentFormDock" in whole_desk["docks"]
    if len(screens) == 1:  # the questions beside the form (the unit board a tab behind them)
        assert "TriageDock" in whole_desk["docks"]
    assert desk.outputs[2]["on_floor"] and largest(back) == "TriageDock"
    # Esc leaves the coach: the desk as it was, the questions back.
    assert not desk.outputs[3]["on_floor"] and not desk.outputs[3]["coach_shown"]
    assert "IncidentFormDock" in after_esc["docks"]
    if len(screens) > 1:  # the other screen was never touched
        assert desk.outputs[3]["windows"]["desk2"]["docks"] == desk.outputs[0]["windows"]["desk2"]["docks"]


def test_the_instructions_for_a_choking_adult_take_the_floor_like_the_coach_and_esc_gives_the_desk_back(run_seat):
    desk = run_seat(LAPTOP, "--choking", "--describe", "--key", "F11", "--describe", "--key", "F11", "--describe",
                    "--key", "Escape")
    floor, whole_desk, back, after_esc = (desk.window_on("laptop", at) for at in range(4))

    first = desk.outputs[0]
    assert first["on_floor"] and not first["coach_shown"] and first["instructions_shown"]
    assert largest(floor) == "TriageDock" and set(floor["docks"]) == {"CallsDock", "TriageDock"}
    assert not desk.outputs[1]["on_floor"] and "IncidentFormDock" in whole_desk["docks"]
    assert desk.outputs[2]["on_floor"] and largest(back) == "TriageDock" and desk.outputs[2]["instructions_shown"]
    assert not desk.outputs[3]["on_floor"] and "IncidentFormDock" in after_esc["docks"]


def test_each_seat_keeps_its_own_layout_file_next_to_its_journal(tmp_path, monkeypatch):
    from app.settings import layout_path, load_settings

    user = tmp_path / "user.toml"
    user.write_text(f'journal_path = "{tmp_path / "j" / "journal.sqlite"}"\n', encoding="utf-8")
    monkeypatch.setenv("DISPATCH120_MACHINE_CONFIG", str(tmp_path / "no-machine.toml"))
    monkeypatch.setenv("DISPATCH120_USER_CONFIG", str(user))

    seat3 = layout_path(load_settings(overrides={"seat_id": "seat-3"}))
    seat4 = layout_path(load_settings(overrides={"seat_id": "seat-4"}))

    assert seat3 == tmp_path / "j" / "layout-seat-3.json"
    assert seat3 != seat4
