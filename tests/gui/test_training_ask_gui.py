"""Training: the trainee types a free question to the simulated caller in the call panel;
the question and the caller's scripted reply appear in the conversation — through the real
domain decision, the real question matcher and the scenario's caller script."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt

from app.domain.common import Principal
from app.domain.decide import decide
from app.domain.model import Role
from app.resources import resource_path
from app.seat.commands import SeatCommands
from app.seat.store import SeatStore
from app.sim.scenario import load_scenario
from app.sim.switch import CallScript, CallSignalKind, call_protocols
from tests.gui.conftest import SEAT, RecordingSync, Seat, Server, ime_type
from widgets.clock import SeatClock
from widgets.main_window import MainWindow
from widgets.shortcuts_dialog import collect_shortcuts

pytestmark = pytest.mark.gui

TRAINEE = Principal(id=SEAT, role=Role.SEAT, name="Seat one")
SWITCH = Principal(id="pbx-1", role=Role.SWITCH, name="模拟交换机")


@pytest.fixture
def training_seat(qtbot, styled_app) -> Seat:
    """A seat of a training centre (``--simulate``: the TRAINING banner; a trainer is registered)."""
    start = datetime(2026, 11, 27, 2, 0, 0, tzinfo=UTC)
    store = SeatStore()
    sync = RecordingSync()
    server = Server(store, start)
    server.registry()
    server.event("principal.registered", principal_id="trainer-1", role="trainer", name="培训教员", unit_id=None)
    server.welcome()
    server.online()
    server.event("seat.state_changed", seat_id=SEAT, state="ready", reason=None)
    window = MainWindow(store, SeatCommands(sync), clock=SeatClock(now=lambda: server.now), confirm_close=False,
                        seat_id=SEAT, training=True)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    return Seat(window, store, sync, server)


def carry_out(seat: Seat, who: Principal, name: str, args: dict, ref: str | None = None) -> None:
    """What the training centre's server does with a command: the domain decides, the events reach the seat."""
    for event_name, data in decide(seat.store.state, who, name, dict(args)):
        seat.server.event(event_name, ref=ref, actor={"id": who.id, "role": who.role.value}, **data)


def test_trainee_types_is_the_patient_still_breathing_and_the_caller_answers(training_seat, qtbot):
    seat = training_seat
    panel = seat.window.call_panel
    assert panel.ask_box.isVisible() and not panel.ask_box.isEnabled()  # no call yet

    # The demo's second call: a man collapsed in the street.
    script = CallScript(load_scenario(resource_path("scenarios", "demo.yaml")), id_prefix="t", seed=7)
    script.start(0.0)
    [offer] = [s for s in script.poll(40.0) if s.kind == CallSignalKind.OFFERED and s.call_id == "t-0-1"]
    seat.server.ring(offer.call_id, offer.caller_number, location_text=offer.location_text)
    qtbot.keyClick(seat.window, Qt.Key.Key_F2)
    seat.server.event("call.answered", call_id=offer.call_id, seat_id=SEAT)
    script.call_answered(offer.call_id, 41.0)
    qtbot.waitUntil(panel.ask_box.isEnabled)
    now = 41.0

    def ask(text: str) -> None:
        """F3, type, Enter; the centre records the question and the simulated switch plays the caller."""
        nonlocal now
        qtbot.keyClick(seat.window, Qt.Key.Key_F3)
        qtbot.waitUntil(panel.ask_box.hasFocus)
        ime_type(panel.ask_box, text)
        qtbot.keyClick(panel.ask_box, Qt.Key.Key_Return)
        assert panel.ask_box.text() == ""  # cleared once sent
        sent = seat.sync.named("training.ask")[-1]
        assert sent.args == {"call_id": offer.call_id, "text": text}
        seat.server.now += timedelta(seconds=2)
        carry_out(seat, TRAINEE, "training.ask", sent.args, ref=sent.command_id)
        script.question_typed(offer.call_id, text, now, call_protocols(seat.store.state, offer.call_id))
        now += 20.0  # the caller has finished speaking
        for signal in script.poll(now):
            if signal.kind == CallSignalKind.CALLER_SAID:
                seat.server.now += timedelta(seconds=5)
                carry_out(seat, SWITCH, *signal.as_command())

    ask("病人还有呼吸吗")
    qtbot.waitUntil(lambda: any("没有，胸口不动" in line for line in panel.caller_lines()))
    lines = panel.caller_lines()
    question = next(i for i, line in enumerate(lines) if "病人还有呼吸吗" in line)
    reply = next(i for i, line in enumerate(lines) if "没有，胸口不动" in line)
    assert question < reply  # the question, then the caller's reply
    assert "No, his chest isn't moving" in lines[reply]
    assert not any("不知道" in line for line in lines)

    ask("你喜欢什么颜色")
    qtbot.waitUntil(lambda: "我不知道" in panel.caller_lines()[-1])
    assert "你喜欢什么颜色" in panel.caller_lines()[-2]

    seat.server.event("call.ended", call_id=offer.call_id)
    qtbot.waitUntil(lambda: not panel.ask_box.isEnabled())


def test_the_ask_key_is_in_the_shortcut_list_in_training_only(training_seat, seat):
    def keys(window: MainWindow) -> set[str]:
        return {entry.keys for entry in collect_shortcuts(window)}

    assert "F3" in keys(training_seat.window)
    assert "F3" not in keys(seat.window)
    assert not seat.window.call_panel.ask_box.isVisible()
