"""From the console the trainer rings a second call about a trainee's call: the call is chosen
from the calls so far (the selected one first), and the line typed is what that caller says."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from app.resources import resource_path
from app.sim.control import RUN_ID
from widgets.labels import inject_kind_text
from widgets.trainer_console import TrainerConsole

pytestmark = pytest.mark.gui

DEMO = resource_path("scenarios", "demo.yaml")
TS = "2026-12-05T10:00:0%d.000Z"


@dataclass
class FakeCentre:
    workdir: Path
    url: str = "ws://127.0.0.1:8121/ws"
    seats: dict[str, str] = field(default_factory=lambda: {"seat-1": "tok-seat-1"})
    trainers: dict[str, str] = field(default_factory=lambda: {"trainer-1": "tok-trainer"})

    def stop(self) -> None: ...


class RecordingLink:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def send_command(self, name: str, args: dict[str, Any]) -> str:
        self.sent.append((name, args))
        return "cmd"


def event(seq: int, name: str, **data: Any) -> dict[str, Any]:
    return {"type": "event", "seq": seq, "ts": TS % seq, "name": name,
            "actor": {"id": "switch-1", "role": "switch"}, "data": data}


def test_the_trainer_rings_a_second_call_about_the_selected_call_with_a_typed_line(qtbot, tmp_path):
    link = RecordingLink()
    console = TrainerConsole(scenarios=[DEMO], start_centre=lambda scenario, **o: FakeCentre(tmp_path),
                             open_link=lambda *a: link)
    qtbot.addWidget(console)
    console.set_trainee_seats(["seat-1"])
    console.start_run()
    messages = [
        event(1, "training.clock_set", run_id=RUN_ID, paused=False, time_scale=1),
        event(2, "call.received", call_id="sim1-0-0", caller_number="13812345678", location_text="港口旁"),
        event(3, "call.ringing", call_id="sim1-0-0", seat_id="seat-1"),
        event(4, "call.received", call_id="sim1-0-1", caller_number="13987654321", location_text="路口"),
    ]
    for message in messages:
        console.bridge.message.emit(message)
    qtbot.waitUntil(lambda: console.inject_button.isEnabled() and len(console.log.calls) == 2)

    console.select_call("sim1-0-1")
    console.inject_kind.setCurrentIndex(console.inject_kind.findData("second_call"))
    assert console.inject_kind.currentText() == inject_kind_text("second_call")
    assert console.inject_says.isVisibleTo(console)  # the line is asked for this kind only
    targets = [console.inject_target.itemData(i) for i in range(console.inject_target.count())]
    assert targets == ["sim1-0-0", "sim1-0-1"] and console.inject_target.currentData() == "sim1-0-1"

    console.inject_says.setText("又有一辆车撞上来了！")
    console.inject_button.click()
    console.inject_target.setCurrentIndex(console.inject_target.findData("sim1-0-0"))
    console.inject()  # no line typed: the caller says the scripted one
    assert [args for name, args in link.sent if name == "training.inject"] == [
        {"run_id": RUN_ID, "kind": "second_call", "target": "sim1-0-1", "says": "又有一辆车撞上来了！"},
        {"run_id": RUN_ID, "kind": "second_call", "target": "sim1-0-0"},
    ]
    assert console.inject_says.text() == ""

    console.inject_kind.setCurrentIndex(console.inject_kind.findData("server_drop"))
    assert not console.inject_says.isVisibleTo(console)
    console.stop_run()
