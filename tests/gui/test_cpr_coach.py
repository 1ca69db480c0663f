"""The telephone-CPR coach: an accurate metronome, the compression count, time targets, and
a seat without sound that keeps coaching visibly."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from widgets.metronome import ClickSound, Metronome

pytestmark = pytest.mark.gui


def test_the_metronome_ticks_at_the_configured_rate_within_two_percent_over_ten_seconds(qtbot):
    metronome = Metronome(rate_per_min=110)
    ticks: list[float] = []
    metronome.ticked.connect(lambda _n, at: ticks.append(at))

    metronome.start()
    qtbot.waitUntil(lambda: len(ticks) > 1 and ticks[-1] - ticks[0] >= 10.0, timeout=20_000)
    metronome.stop()

    rate = (len(ticks) - 1) * 60.0 / (ticks[-1] - ticks[0])
    assert abs(rate - 110) / 110 <= 0.02, f"{rate:.2f}/min over {len(ticks)} ticks"


def test_the_rate_stays_between_100_and_120_per_minute(qtbot):
    metronome = Metronome()
    assert metronome.rate_per_min == 110
    for _ in range(10):
        metronome.faster()
    assert metronome.rate_per_min == 120
    for _ in range(10):
        metronome.slower()
    assert metronome.rate_per_min == 100


def test_a_seat_without_sound_keeps_the_visible_metronome_and_says_so(qtbot):
    silent = ClickSound(path=Path("/nonexistent/click.wav"))
    assert not silent.available and "missing" in silent.problem
    metronome = Metronome(sound=silent)
    ticks = []
    metronome.ticked.connect(lambda n, _at: ticks.append(n))
    metronome.start()  # never raises, beats anyway
    qtbot.waitUntil(lambda: len(ticks) >= 2, timeout=3000)
    metronome.stop()
    assert metronome.audio_problem


def test_compressions_are_counted_per_beat_and_the_timers_show_the_targets(seat, qtbot):
    coach = seat.window.triage.coach
    seat.server.ring("c1", "13800138000")
    qtbot.keyClick(seat.window, Qt.Key.Key_F2)
    seat.server.event("call.answered", call_id="c1", seat_id="seat-1", seconds_ago=30)
    call = seat.store.state.calls["c1"]
    coach.begin(None, answered_at=call["answered_at"], recognised_at=seat.server.ts(0))
    coach.show()
    assert "0:30" in coach.recognition_label.text() and coach.recognition_label.property("met") is True

    coach.metronome.set_rate(120)
    coach.start_compressions()
    qtbot.waitUntil(lambda: coach.compressions >= 3, timeout=5000)
    coach.stop_compressions(None)
    assert coach.compressions == coach.metronome.beats
    assert coach.compression_label.property("met") is True
    # No incident: nothing to record, nothing sent.
    assert seat.sync.named("cpr.started") == []


def test_the_script_has_adult_child_and_infant_variants_with_the_aed_step(seat, qtbot):
    coach = seat.window.triage.coach
    coach.begin(None, answered_at=None, recognised_at=None)
    texts = {}
    for variant in ("adult", "child", "infant"):
        coach.set_variant(variant)
        texts[variant] = [coach.steps.item(i).text() for i in range(coach.steps.count())]
    assert texts["adult"] != texts["child"] != texts["infant"]
    assert all(any("AED" in line for line in lines) for lines in texts.values())
    assert any("two fingers" in line for line in texts["infant"])
