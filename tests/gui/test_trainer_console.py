"""The trainer runs a class: starts the training centre from the console, a trainee's seat
connects to it, and the trainer pauses, changes the speed, injects a breakdown and speaks as
the caller — through the real server, the real runner and the real protocol.

One training centre for the module: the story is one test, in the order a trainer works."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.resources import resource_path
from app.seat.journal import Journal
from app.seat.store import SeatStore
from app.seat.sync import SyncClient
from app.sim.control import read_join_file
from widgets.clock import SeatClock
from widgets.qt_bridge import SyncBridge
from widgets.trainer_console import TrainerConsole

pytestmark = pytest.mark.gui

DEMO = resource_path("scenarios", "demo.yaml")
TRAINEE = "seat-1"


@dataclass
class TraineeSeat:
    store: SeatStore
    sync: SyncClient

    def ringing(self) -> str | None:
        return next((c["call_id"] for c in self.store.state.calls.values()
                     if c.get("seat_id") == TRAINEE and c["state"] == "ringing"), None)


def runner_log(console: TrainerConsole) -> str:
    path = Path(console.session.workdir) / "runner.log"
    return path.read_text(encoding="utf-8") if path.exists() else ""


@pytest.fixture
def console(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # the runs' directories go here
    window = TrainerConsole(scenarios=[DEMO])
    qtbot.addWidget(window)
    yield window
    window.shutdown()


@pytest.fixture
def join(console, tmp_path):
    """Connects the trainee's seat (a real sync client and store) once the centre runs."""
    made: list[tuple[SyncClient, Journal, SyncBridge]] = []

    def connect() -> TraineeSeat:
        # As `dispatch120 --simulate --join FILE` does: the join file the console wrote for the seat.
        joined = read_join_file(console.join_files[TRAINEE])
        assert joined.seat_id == TRAINEE and joined.url == console.session.url
        store = SeatStore()
        bridge = SyncBridge(store, SeatClock())
        journal = Journal(tmp_path / "trainee.sqlite")
        sync = SyncClient(joined.url, joined.seat_token, journal,
                          client_name="trainee-seat", on_message=bridge.on_message, on_status=bridge.on_status)
        made.append((sync, journal, bridge))
        sync.start()
        return TraineeSeat(store, sync)

    yield connect
    for sync, journal, bridge in made:
        assert sync.stop()
        journal.close()
        bridge.deleteLater()


def test_trainer_runs_a_class_pauses_speeds_up_injects_and_speaks_as_the_caller(console, join, qtbot):
    console.set_trainee_seats([TRAINEE])
    console.speed_box.setValue(10)
    with qtbot.waitSignal(console.run_started, timeout=30_000):
        console.start_run()
    # The runner announces its clock in the log; the console follows the log.
    qtbot.waitUntil(console.pause_button.isEnabled, timeout=15_000)
    assert console.state.training_runs["run-1"]["time_scale"] == 10
    assert "10×" in console.clock_label.text()

    assert set(console.join_files) == {TRAINEE}  # only the chosen trainee seats
    assert console.join_files[TRAINEE].stat().st_mode & 0o777 == 0o600  # it holds the seat's token
    seat = join()
    qtbot.waitUntil(lambda: seat.store.me is not None, timeout=15_000)
    seat.sync.send_command("seat.set_ready", {"ready": True})
    qtbot.waitUntil(lambda: seat.ringing() is not None, timeout=30_000)
    call_id = seat.ringing()
    seat.sync.send_command("call.answer", {"call_id": call_id})
    # The console shows the trainee's call live, answered.
    qtbot.waitUntil(lambda: call_id in console._rows and console.log.calls[call_id].answered_s is not None,
                    timeout=15_000)
    row = console._rows[call_id]
    assert console.calls_table.item(row, 0).text() == TRAINEE

    # The trainer takes over the caller's voice on that call.
    console.select_call(call_id)
    assert console.script_label.text() not in ("", "—")  # the caller's script, for the trainer's eyes
    console.say_edit.setText("他脸色发紫，我该怎么办？")
    console.say_button.click()
    qtbot.waitUntil(lambda: any(s["zh"] == "他脸色发紫，我该怎么办？"
                                for s in seat.store.state.calls[call_id].get("caller_said") or ()), timeout=15_000)
    qtbot.waitUntil(lambda: any("他脸色发紫" in line for line in console.caller_texts()), timeout=15_000)

    # Pause: the log says so, the console shows it, and the runner's clock stopped.
    console.pause_button.click()
    qtbot.waitUntil(lambda: console.state.training_runs["run-1"]["paused"], timeout=15_000)
    assert console.pause_button.text() == console.tr("Resume (F8)")
    qtbot.waitUntil(lambda: "scenario clock paused" in runner_log(console), timeout=15_000)

    # Speed 4× while paused: still paused, now at 4×; then resume.
    console.set_speed(4)
    qtbot.waitUntil(lambda: console.state.training_runs["run-1"]["time_scale"] == 4, timeout=15_000)
    assert console.state.training_runs["run-1"]["paused"]
    qtbot.waitUntil(lambda: "4× real time" in runner_log(console), timeout=15_000)
    console.toggle_pause()
    qtbot.waitUntil(lambda: not console.state.training_runs["run-1"]["paused"], timeout=15_000)
    qtbot.waitUntil(lambda: "scenario clock resumed" in runner_log(console), timeout=15_000)

    # Inject a breakdown of an available unit: the trainee's seat sees it go out of service.
    free = sorted(u for u, unit in seat.store.state.units.items() if unit["status"] == "available")
    console.inject_kind.setCurrentIndex(console.inject_kind.findData("unit_breakdown"))
    console.inject_target.setCurrentIndex(console.inject_target.findData(free[0]))
    console.inject_button.click()
    qtbot.waitUntil(lambda: seat.store.state.units[free[0]]["status"] == "out_of_service", timeout=20_000)
    qtbot.waitUntil(lambda: [i.get("target") for i in console.state.training_runs["run-1"]["injected"]] == [free[0]],
                    timeout=15_000)  # the console has its own link: the event may reach it a moment later

    # The class is over: stop the centre and print the after-action report from the console.
    workdir = Path(console.session.workdir)
    with qtbot.waitSignal(console.run_stopped, timeout=30_000):
        console.stop_run()
    assert console.report_button.isEnabled()
    console.report_button.click()
    pdf = workdir / "after-action.pdf"
    assert pdf.is_file() and (workdir / "after-action.html").is_file()
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "调度席1 (seat-1)" in text and "车辆故障" in text  # the trainee, and the injected breakdown
