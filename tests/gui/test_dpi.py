"""The seat at 100 %, 125 %, 150 % and 200 % display scaling, in Chinese and English: no text
clipped in the key panels, no font under the floor a dispatcher reads at arm's length."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[2]
# (scale, the physical screen): a 1920x1080 desk monitor at 100 %, a 1920x1080 laptop at 125 %
# and 150 % (Windows' defaults for 15.6" and 14"), a 4K monitor at 200 %.
SCALES = [(1.0, (1920, 1080)), (1.25, (1920, 1080)), (1.5, (1920, 1080)), (2.0, (3840, 2160))]


def run_seat_at(scale: float, screen: tuple[int, int], tmp_path: Path, *extra: str) -> dict:
    config = tmp_path / "screens.json"
    config.write_text(json.dumps({"screens": [{"name": "desk", "x": 0, "y": 0, "width": screen[0],
                                               "height": screen[1], "logicalDpi": 96, "logicalBaseDpi": 96,
                                               "dpr": 1}]}), encoding="utf-8")
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={config}", "QT_SCALE_FACTOR": f"{scale:g}",
           "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "tests.gui.dpi_seat", "--lang", "zh_CN", "--lang", "en", *extra],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.timeout(150)
@pytest.mark.parametrize(("scale", "screen"), SCALES, ids=[f"{int(s * 100)}%" for s, _ in SCALES])
def test_no_text_is_clipped_and_no_font_is_too_small_at_this_scaling(scale, screen, tmp_path):
    report = run_seat_at(scale, screen, tmp_path)

    assert report["dpr"] == pytest.approx(scale)
    assert report["screen"] == [round(screen[0] / scale), round(screen[1] / scale)]
    assert report["checked"] > 100  # the call, form, questionnaire, coach, units and banner were there
    assert report["clipped"] == []
    assert report["small_fonts"] == []


def test_a_caption_styled_under_the_floor_is_caught_and_the_seat_sheet_is_raised_to_it(qtbot, styled_app):
    from PySide6.QtWidgets import QLabel

    from widgets.style import MIN_POINT_SIZE, floor_style_sheet, font_below_floor, min_pixel_size

    caption = QLabel("心率 HR")
    qtbot.addWidget(caption)
    caption.setStyleSheet("font-size: 11px; color: grey")
    caption.ensurePolished()
    assert font_below_floor(caption.font(), caption)  # what the scaling check reports

    caption.setStyleSheet(floor_style_sheet(caption.styleSheet(), caption))
    caption.ensurePolished()
    assert not font_below_floor(caption.font(), caption)
    assert caption.font().pixelSize() == min_pixel_size(caption)
    assert floor_style_sheet("a { font-size: 9pt } b { font-size: 22pt }") == (
        f"a {{ font-size: {MIN_POINT_SIZE:g}pt }} b {{ font-size: 22pt }}")
