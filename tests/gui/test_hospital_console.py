"""The hospital console: a STEMI pre-notification arrives, the ED activates the cath lab."""

from __future__ import annotations

import copy
import json

from PySide6.QtCore import Qt

from app.ecg.rhythms import Rhythm, generate
from tests.golden_helpers import SERVER_TO_CLIENT, golden
from widgets.hospital_console import HospitalConsole


def stemi_frame() -> dict:
    frame = copy.deepcopy(golden(f"{SERVER_TO_CLIENT}/prenotify_package").message)
    mv = generate(Rhythm.STEMI, fs=500.0, seconds=6.0)
    frame["package"]["ecg"]["samples"] = [int(round(v / 0.005)) for v in mv]
    return frame


def test_the_console_shows_the_stemi_and_the_cath_lab_button_sends_the_ack(qtbot, tmp_path):
    sent = []
    console = HospitalConsole(send_command=lambda name, args: sent.append((name, args)))
    qtbot.addWidget(console)
    frame = stemi_frame()
    console.apply_frame(frame)
    assert console.list.count() == 1
    assert "~58" in console.title.text() and "急救1" in console.title.text()
    assert console.vital_labels["hr"].text() == "112" and console.vital_labels["nibp"].text() == "96/58"
    assert len(console.ecg.curve.getData()[0]) == 3000
    with qtbot.waitSignal(console.acknowledged):
        qtbot.mouseClick(console.ack_buttons["cath_lab_activated"], Qt.MouseButton.LeftButton)
    pid = frame["package"]["prenotify_id"]
    assert sent == [("prenotify.ack", {"prenotify_id": pid, "response": "cath_lab_activated"})]
    # The server's updated package marks it answered; the same entry is updated, not doubled.
    console.apply_frame({**frame, "acknowledged": {"response": "cath_lab_activated", "note": None,
                                                   "at": "2026-11-27T03:32:30.000Z", "by": "ed-CQMU1"}})
    assert console.list.count() == 1 and console.list.item(0).text().startswith("✓")
    out = console.export_fhir(tmp_path / "p.json")
    bundle = json.loads(out.read_text(encoding="utf-8"))
    assert bundle["resourceType"] == "Bundle" and len(bundle["entry"]) >= 10


def test_a_package_without_ecg_says_so_instead_of_a_flat_line(qtbot):
    console = HospitalConsole()
    qtbot.addWidget(console)
    frame = stemi_frame()
    frame["package"]["ecg"] = None
    console.apply_frame(frame)
    assert len(console.ecg.curve.getData()[0] or []) == 0 and console.ecg.no_ecg.toPlainText()
