"""Training: the trainee questions a simulated caller, and the caller's scripted words
appear in the call panel — the scenario's caller, through the real protocol event."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.resources import resource_path
from app.sim.scenario import load_scenario
from app.sim.switch import CallScript, CallSignalKind
from tests.gui.conftest import SEAT

pytestmark = pytest.mark.gui


def press(qtbot, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    target = QApplication.focusWidget()
    assert target is not None
    qtbot.keyClick(target, key, modifier)


def test_trainee_asks_is_the_patient_breathing_and_the_callers_answer_appears(triage_seat, qtbot):
    seat = triage_seat
    # The demo's second call: a man collapsed in the street, his caller panicking.
    script = CallScript(load_scenario(resource_path("scenarios", "demo.yaml")), id_prefix="t", seed=7)
    script.start(0.0)
    [offer] = [s for s in script.poll(40.0) if s.kind == CallSignalKind.OFFERED and s.call_id == "t-0-1"]
    seat.server.ring(offer.call_id, offer.caller_number, location_text=offer.location_text)
    qtbot.keyClick(seat.window, Qt.Key.Key_F2)
    seat.server.event("call.answered", call_id=offer.call_id, seat_id=SEAT)
    script.call_answered(offer.call_id, 41.0)
    qtbot.waitUntil(seat.window.triage.answers.hasFocus)

    now = 41.0
    asked = 0

    def caller_replies() -> None:
        """What the simulated switch does with each answered step: the caller's words, later."""
        nonlocal now, asked
        for command in seat.sync.named("triage.answer")[asked:]:
            asked += 1
            seat.server.event("triage.answered", **command.args)
            script.question_asked(offer.call_id, command.args["question"], now, command.args["answer"])
        now += 15.0  # the caller has finished speaking
        for signal in script.poll(now):
            if signal.kind == CallSignalKind.CALLER_SAID:
                name, args = signal.as_command()
                assert name == "training.caller_say"
                seat.server.event("training.caller_said", **args)

    for _step in ("location confirmed", "collapsed", "not conscious"):  # the callback number: from the switch
        press(qtbot, Qt.Key.Key_1 if _step.endswith("confirmed") else Qt.Key.Key_2)
        caller_replies()
    assert "breathing_normally" not in [c.args["question"] for c in seat.sync.named("triage.answer")]
    panel = seat.window.call_panel
    assert not any("胸口不动" in line for line in panel.caller_lines())

    press(qtbot, Qt.Key.Key_2)  # "is the patient breathing normally?" — no
    caller_replies()

    qtbot.waitUntil(lambda: any("没有，胸口不动" in line for line in panel.caller_lines()))
    assert panel.caller_said.isVisible()
    last = panel.caller_lines()[-1]
    assert "No, his chest isn't moving" in last
    assert "🗣" in last  # spoken on the phone, not typed
    # Answers carried into the cardiac-arrest protocol are not questions: the caller stays quiet.
    assert sum("没有，胸口不动" in line for line in panel.caller_lines()) == 1
    assert not any("不知道" in line for line in panel.caller_lines())
