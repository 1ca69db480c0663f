"""The trainer lets trainee seats on other computers join: the console starts the centre on the
LAN address the trainer chose and shows where to join, each seat's token and its command."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from app.resources import resource_path
from app.sim.control import read_join_file
from widgets.trainer_console import TrainerConsole

pytestmark = pytest.mark.gui

DEMO = resource_path("scenarios", "demo.yaml")


@dataclass
class FakeCentre:
    """What start_training returns, for a centre listening where it was asked to."""

    workdir: Path
    lan_urls: list[str]
    url: str = "ws://127.0.0.1:8121/ws"
    seats: dict[str, str] = field(default_factory=lambda: {"seat-1": "tok-seat-1", "seat-2": "tok-seat-2"})
    trainers: dict[str, str] = field(default_factory=lambda: {"trainer-1": "tok-trainer"})
    stopped: bool = False

    def stop(self) -> None:
        self.stopped = True


class FakeLink:
    def start(self) -> None: ...

    def stop(self) -> None: ...

    def send_command(self, name: str, args: dict[str, Any]) -> str:
        return "cmd"


def console_with(qtbot, tmp_path: Path, listen: str | None, lan_urls: list[str]) -> tuple[TrainerConsole, list]:
    asked: list[dict[str, Any]] = []

    def start_centre(scenario: Path, **options: Any) -> FakeCentre:
        asked.append(options)
        return FakeCentre(workdir=tmp_path, lan_urls=lan_urls)

    window = TrainerConsole(scenarios=[DEMO], start_centre=start_centre, open_link=lambda *a: FakeLink(),
                            listen=listen)
    qtbot.addWidget(window)
    window.set_trainee_seats(["seat-1", "seat-2"])
    window.start_run()
    return window, asked


def test_the_console_shows_each_trainee_how_to_join_from_another_computer(qtbot, tmp_path):
    console, asked = console_with(qtbot, tmp_path, "0.0.0.0", ["ws://192.168.1.20:8121/ws"])
    assert asked[0]["listen"] == "0.0.0.0"
    assert console.join_info.isVisibleTo(console)
    lines = console.join_texts()
    assert "ws://192.168.1.20:8121/ws" in lines[0]
    seat_2 = next(line for line in lines if line.startswith("seat-2"))
    assert "tok-seat-2" in seat_2 and "dispatch120 --simulate --join join-seat-2.json" in seat_2
    # The join file names the LAN URL, so it works on the computer it is copied to.
    assert read_join_file(console.join_files["seat-2"]).url == "ws://192.168.1.20:8121/ws"
    console.stop_run()
    assert not console.join_info.isVisibleTo(console) and console.join_texts() == []


def test_by_default_the_console_keeps_the_centre_on_this_computer(qtbot, tmp_path):
    console, asked = console_with(qtbot, tmp_path, None, [])
    assert "listen" not in asked[0]
    assert not console.join_info.isVisibleTo(console) and console.join_texts() == []
    assert read_join_file(console.join_files["seat-1"]).url == "ws://127.0.0.1:8121/ws"
    console.stop_run()
