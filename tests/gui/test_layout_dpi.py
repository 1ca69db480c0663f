"""The one-screen seat during a call at every size a dispatcher's screen has: a 1366x768 laptop
at 100, 125 and 150 % scaling and a 1920x1080 screen at 100, 125, 150 and 200 % (911x512 to
1920x1080 logical pixels).

The question read aloud, every numbered answer and the coded priority are on screen without
scrolling; the call panel and the location strip stay readable (the form comes forward with
Ctrl+2 where it shares a place); the map keeps a place of its own, or is a tab on the smallest
desks; no text is cut and no font is under the floor.

Qt fixes the screen and its scaling when the QApplication starts, so each desk runs in its own
process (``tests/gui/layout_dpi_seat.py``), once per size for all the tests here.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[2]
# (screen in device pixels, scale): the sizes a dispatcher's one screen has.
DESKS = [((1366, 768), 1.0), ((1366, 768), 1.25), ((1366, 768), 1.5),
         ((1920, 1080), 1.0), ((1920, 1080), 1.25), ((1920, 1080), 1.5), ((1920, 1080), 2.0)]
IDS = [f"{'laptop' if w == 1366 else 'monitor'}-{w}x{h}-at-{round(s * 100)}-percent" for (w, h), s in DESKS]
WIDE_ENOUGH_FOR_FORM_BESIDE_TRIAGE = 1200  # logical px (widgets.workspace.SIDE_BY_SIDE_MIN_WIDTH)
TALL_ENOUGH_FOR_THE_MAP_UNDER_TRIAGE = 800  # (widgets.workspace.MAP_UNDER_TRIAGE_MIN_HEIGHT)


@functools.cache
def desk(width: int, height: int, scale: float, language: str = "zh_CN", extra: tuple[str, ...] = ()) -> dict[str, dict]:
    """The seat's measures at each moment of the call (``tests/gui/layout_dpi_seat.py``;
    ``extra``: more of its options, e.g. ``("--training", "--queue", "3")``)."""
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "screens.json"
        config.write_text(json.dumps({"screens": [{"name": "laptop", "x": 0, "y": 0, "width": width, "height": height,
                                                   "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}),
                          encoding="utf-8")
        env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={config}", "QT_SCALE_FACTOR": f"{scale:g}",
               "QTWEBENGINE_CHROMIUM_FLAGS": "--no-sandbox", "PYTHONPATH": str(ROOT)}
        done = subprocess.run([sys.executable, "-m", "tests.gui.layout_dpi_seat", "--map", "--result",
                               "--language", language, *extra],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    moments = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return {m["moment"]: m for m in moments}


@pytest.fixture(params=DESKS, ids=IDS)
def seat_during_a_call(request) -> dict[str, dict]:
    (width, height), scale = request.param
    moments = desk(width, height, scale)
    assert moments["question"]["screen"] == [round(width / scale), round(height / scale)]
    assert moments["question"]["dpr"] == pytest.approx(scale)
    return moments


def test_the_question_and_every_answer_key_are_on_screen_without_scrolling(seat_during_a_call):
    # The case entry's "what happened?" (eleven answers) and "is the patient awake?" mid-arrest.
    for moment in ("what_happened", "question"):
        triage = seat_during_a_call[moment]["triage"]
        assert triage["dock_in_front"], moment
        assert triage["question"]["seen"] and triage["question"]["fits"], (moment, triage["question"])
        assert len(triage["answers"]) >= 3
        assert all(answer["seen"] for answer in triage["answers"]), (moment, triage["answers"])
        assert triage["answers_height"] >= triage["answers_need"], moment  # not a list to scroll inside
        assert triage["scrolled"] == 0, moment
        assert triage["viewport_height"] >= triage["question_and_answers_need"], (moment, triage)


def test_in_english_too_every_answer_key_is_on_screen_on_a_laptop_at_150_percent():
    # English texts are longer: the dispatcher's help under "what happened?" runs to five lines.
    moments = desk(1366, 768, 1.5, "en")
    for moment in ("what_happened", "question"):
        triage = moments[moment]["triage"]
        assert triage["question"]["seen"] and all(answer["seen"] for answer in triage["answers"]), moment
        assert triage["viewport_height"] >= triage["question_and_answers_need"], moment
    assert moments["result"]["triage"]["priority_chip"]["seen"]


def test_the_coded_priority_is_on_screen_when_triage_reaches_a_determinant(seat_during_a_call):
    triage = seat_during_a_call["result"]["triage"]
    assert triage["dock_in_front"]
    assert triage["determinant"]["text"] and triage["determinant"]["seen"]
    assert triage["priority_chip"]["text"] and triage["priority_chip"]["seen"] and triage["priority_chip"]["fits"]


def test_the_call_panel_and_the_location_strip_stay_readable(seat_during_a_call):
    question = seat_during_a_call["question"]
    width, height = question["calls"]["size"]
    need_width, need_height = question["calls"]["need"]
    assert width >= need_width and height >= need_height
    if question["screen"][0] >= WIDE_ENOUGH_FOR_FORM_BESIDE_TRIAGE:
        assert question["form"]["location_seen"]  # beside the questions
    else:
        assert not question["form"]["location_seen"]
        assert "IncidentFormDock" in question["tabbed"]["triage"]  # one Ctrl+2 away
    assert seat_during_a_call["form"]["form"]["location_seen"]  # Ctrl+2: the form, to type the address
    for moment in seat_during_a_call.values():
        assert moment["clipped"] == [], moment["moment"]
        assert moment["small_fonts"] == [], moment["moment"]


def test_the_map_has_room_of_its_own_or_is_a_tab_in_front_until_a_call_on_the_smallest_desks(seat_during_a_call):
    idle, question = seat_during_a_call["idle"], seat_during_a_call["question"]
    width, height = question["screen"]
    if width >= WIDE_ENOUGH_FOR_FORM_BESIDE_TRIAGE:
        _x, _y, map_width, map_height = question["docks"]["map"]
        assert map_width >= 400 and map_height >= 180
        assert question["tabbed"]["map"] == []
    else:
        # A tab in front until the call (a map page loaded hidden stays zoomed out to the whole
        # world); during the call the questions are in front of it.
        _x, _y, map_width, map_height = idle["docks"]["map"]
        assert map_width >= 400 and map_height >= 180
        assert "map" not in question["docks"] and "TriageDock" in question["tabbed"]["map"]


def test_the_unit_board_is_beside_the_questions_or_one_key_away(seat_during_a_call):
    question = seat_during_a_call["question"]
    width, height = question["screen"]
    if width >= WIDE_ENOUGH_FOR_FORM_BESIDE_TRIAGE and height >= TALL_ENOUGH_FOR_THE_MAP_UNDER_TRIAGE:
        _x, _y, units_width, units_height = question["docks"]["units"]
        assert units_width >= 400 and units_height >= 200
    else:
        assert "TriageDock" in question["tabbed"]["units"]  # Ctrl+4; F8 assigns from the menu
