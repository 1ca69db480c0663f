"""The seat's pre-notify dialog → a real server → the hospital console app → its answer → the seat.

Everything is real except the people and the ambulance's monitor (a protocol client streaming
a simulated STEMI): the server process, the seat's and the hospital's sync clients in their
threads, their journals, the Qt bridges, the seat's store, the dialog, the hospital window.
"""

from __future__ import annotations

import os
import re
import time

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402

from app.protocol import new_id  # noqa: E402
from app.seat.commands import SeatCommands  # noqa: E402
from app.seat.journal import Journal  # noqa: E402
from app.seat.store import Link, SeatStore  # noqa: E402
from app.seat.sync import SyncClient  # noqa: E402
from app.sim.monitor import SimulatedMonitor  # noqa: E402
from widgets.clock import SeatClock  # noqa: E402
from widgets.command_runner import CommandRunner  # noqa: E402
from widgets.hospital_window import HospitalBridge, HospitalWindow  # noqa: E402
from widgets.message_area import MessageArea  # noqa: E402
from widgets.prenotify_dialog import PrenotifyAnswers, PrenotifyDialog  # noqa: E402
from widgets.qt_bridge import SyncBridge  # noqa: E402

pytestmark = [pytest.mark.integration, pytest.mark.gui, pytest.mark.timeout(60)]
WAIT_MS = 10_000


def add_console(server, console_id: str, hospital_id: str) -> str:
    result = server.admin("add-hospital-console", console_id, "--hospital", hospital_id)
    assert result.returncode == 0, result.stderr
    return re.search(r"^\s{4}(\S+)\s*$", result.stdout, re.M).group(1)


def test_the_dispatcher_pre_notifies_the_cath_lab_and_sees_its_answer(dispatch_server, tmp_path, qtbot):
    server = dispatch_server
    # The hospital's console app, as `dispatch120 hospital` composes it.
    hospital_bridge = HospitalBridge()
    hospital_journal = Journal(tmp_path / "journal-hospital-ed-1.sqlite")
    hospital_sync = SyncClient(server.url, add_console(server, "ed-1", "h-1"), hospital_journal,
                               client_name="pytest-hospital", on_message=hospital_bridge.on_message,
                               on_status=hospital_bridge.on_status, backoff_s=(0.1, 1.0))
    hospital = HospitalWindow(hospital_bridge, hospital_sync.send_command, "ed-1")
    qtbot.addWidget(hospital)
    # The seat: store, bridge, sync client, the runner and the message strip.
    store = SeatStore()
    bridge = SyncBridge(store, SeatClock())
    seat_journal = Journal(tmp_path / "journal-seat-1.sqlite")
    seat_sync = SyncClient(server.url, server.tokens["seat-1"], seat_journal, client_name="pytest-seat",
                           on_message=bridge.on_message, on_status=bridge.on_status, backoff_s=(0.1, 1.0))
    messages = MessageArea()
    qtbot.addWidget(messages)
    runner = CommandRunner(store, SeatCommands(seat_sync), messages)
    answers = PrenotifyAnswers(store, messages.show_message)
    hospital_sync.start()
    seat_sync.start()
    try:
        qtbot.waitUntil(lambda: store.connection.link == Link.ONLINE, timeout=WAIT_MS)
        qtbot.waitUntil(lambda: "Online" in hospital.link_label.text(), timeout=WAIT_MS)
        # A STEMI patient, A1 on the way, its monitor streaming.
        incident_id = new_id()
        runner.run(runner.commands.create_incident, None, incident_id=incident_id, address="解放碑", description="胸痛40分钟")
        runner.run(runner.commands.assign_unit, None, incident_id=incident_id, unit_id="A1")
        qtbot.waitUntil(lambda: "A1" in (store.state.incidents.get(incident_id) or {}).get("units", []),
                        timeout=WAIT_MS)
        device = server.client("dev-A1")
        for frame in SimulatedMonitor("A1", "stemi", start_epoch_s=time.time() - 12.0).frames_until(time.time()):
            device.send_json(frame)
        device.command("seat.set_ready", {"ready": True})  # a round trip: every frame before it was handled

        dialog = PrenotifyDialog(store, runner, incident_id)
        qtbot.addWidget(dialog)
        assert dialog.hospital_id() == "h-1" and dialog.unit_id() == "A1"
        assert dialog.note.text() == "胸痛40分钟"
        dialog.complaint.setCurrentIndex(dialog.complaint.findData("stemi"))
        dialog.age.setValue(58)
        dialog.age_estimated.setChecked(True)
        dialog.sex.setCurrentIndex(dialog.sex.findData("male"))
        dialog.eta.setValue(12)
        assert "重庆医科大学附属第一医院" in dialog.preview.text()
        with qtbot.waitSignal(dialog.sent):
            qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)

        # The hospital's console shows the package: the patient, the vitals, 10 s of ECG.
        console = hospital.console
        qtbot.waitUntil(lambda: console.list.count() == 1, timeout=WAIT_MS)
        assert "~58" in console.title.text() and "渝A1" in console.title.text()
        assert console.vital_labels["hr"].text() not in ("", "—")
        assert len(console.ecg.curve.getData()[0]) == 5000
        qtbot.waitUntil(lambda: dialog.history.item(0).text().endswith(dialog.tr("waiting for the hospital's answer")),
                        timeout=WAIT_MS)

        # The ED activates the cath lab; the seat's store, strip and dialog show it.
        with qtbot.waitSignal(answers.answered, timeout=WAIT_MS) as answered:
            qtbot.mouseClick(console.ack_buttons["cath_lab_activated"], Qt.MouseButton.LeftButton)
        assert answered.args == [incident_id, "h-1", "cath_lab_activated"]
        [record] = store.state.incidents[incident_id]["prenotifications"]
        assert record["ack"]["response"] == "cath_lab_activated" and record["has_ecg"] and record["eta_s"] == 720
        assert "Cath lab activated" in messages.history[-1].text
        assert "Cath lab activated" in dialog.history.item(0).text()
        # The console's entry is marked answered by the server's updated package (not by itself).
        qtbot.waitUntil(lambda: console.list.item(0).text().startswith("✓"), timeout=WAIT_MS)
        assert hospital_journal.pending_count() == 0
    finally:
        seat_sync.stop()
        hospital_sync.stop()
        seat_journal.close()
        hospital_journal.close()
