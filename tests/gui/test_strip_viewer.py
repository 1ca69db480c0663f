"""The dispatcher looks at the stored ECG strips of a watched ambulance's incident."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt

from app.seat.commands import SeatCommands
from app.seat.store import SeatStore
from app.seat.strips import FetchedStrip, StripError
from app.sim.monitor import SimulatedMonitor
from widgets.strip_viewer import RECORD_SECONDS, StripsWindow
from widgets.vitals_wall import VitalsWall

INCIDENT = "inc-1"


def lead_ii(seconds: float) -> dict:
    """``seconds`` of the simulator's STEMI lead II, as one strip's fields."""
    monitor = SimulatedMonitor("A1", "stemi", start_epoch_s=1_700_000_000.0)
    frames = [f["data"] for f in monitor.frames_until(1_700_000_000.0 + seconds + 1)
              if f["kind"] == "waveform" and f["data"]["channel"] == "ECG_II"]
    samples = [s for d in frames for s in d["samples"]]
    first = frames[0]
    keep = int(seconds * 1000 / first["period_ms"])
    return {"channel": "ECG_II", "start": first["start"], "period_ms": first["period_ms"], "factor": first["factor"],
            "origin": first["origin"], "unit": first["unit"], "samples": samples[:keep]}


def stored(strip_id: str, seconds: float, reason: str = "request", alarm_code: str | None = None) -> dict:
    return {"unit_id": "A1", "incident_id": INCIDENT, "strip_id": strip_id, "start": f"2026-11-27T08:00:{seconds:02.0f}.000Z",
            "seconds": seconds, "channel": "ECG_II", "reason": reason, "alarm_code": alarm_code}


@pytest.fixture
def store() -> SeatStore:
    store = SeatStore()
    store.state.units["A1"] = {"unit_id": "A1", "call_sign": "渝A1", "status": "on_scene", "incident_id": INCIDENT}
    store.state.incidents[INCIDENT] = {"incident_id": INCIDENT, "strips": [stored("s-old", 5, "alarm", "VF"),
                                                                            stored("s-new", 4)]}
    return store


class Server:
    """The far side of ``GET /strips/<id>`` (the network edge): strips by id, and who asked from which thread."""

    def __init__(self) -> None:
        self.strips = {"s-new": FetchedStrip(strip_id="s-new", unit_id="A1", incident_id=INCIDENT, **lead_ii(4)),
                       "s-old": FetchedStrip(strip_id="s-old", unit_id="A1", incident_id=INCIDENT, **lead_ii(5))}
        self.threads: list[str] = []

    def fetch(self, strip_id: str) -> FetchedStrip:
        self.threads.append(threading.current_thread().name)
        if strip_id not in self.strips:
            raise StripError(f"ECG strip {strip_id}: HTTP 404 Not Found", status=404)
        return self.strips[strip_id]


def test_the_newest_strip_is_fetched_off_the_gui_thread_and_drawn_on_ecg_paper(qtbot, store):
    server = Server()
    window = StripsWindow(store, "A1", call_sign="渝A1", fetcher=server.fetch)
    qtbot.addWidget(window)
    window.show()

    assert window.strips.count() == 2 and window.chosen_strip_id() == "s-new", "newest first, and shown"
    assert "VF" in window.strips.item(1).text()
    qtbot.waitUntil(lambda: window.viewer.strip is not None)
    assert window.viewer.strip.samples == server.strips["s-new"].samples
    assert server.threads and all(name.startswith("strip-") for name in server.threads)
    xs, ys = window.viewer.paper.curve.getData()
    assert len(xs) == 2000 and xs[-1] == pytest.approx(3.998), "4 s at 500 Hz along 25 mm/s paper"
    assert max(ys) - min(ys) > 0.5, "drawn in mV"
    assert "ECG_II" in window.viewer.heading.text() and "4 s" in window.viewer.heading.text()

    window.strips.setCurrentRow(1)
    qtbot.waitUntil(lambda: window.viewer.strip is not None and window.viewer.strip.strip_id == "s-old")
    assert len(window.viewer.paper.curve.getData()[0]) == 2500


def test_a_strip_that_cannot_be_fetched_says_why_and_draws_nothing(qtbot, store):
    server = Server()
    del server.strips["s-new"]
    window = StripsWindow(store, "A1", fetcher=server.fetch)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: "404" in window.viewer.heading.text())
    assert window.viewer.strip is None and len(window.viewer.paper.curve.getData()[0] or ()) == 0


def test_ctrl_shift_e_on_a_watched_unit_asks_the_server_for_a_strip_and_a_new_strip_appears(qtbot, store):
    sent: list[tuple[str, dict]] = []

    class Sink:  # the sync client's outbox (the network edge)
        def send_command(self, name, args, command_id=None):
            sent.append((name, args))
            return "cmd-1"

    wall = VitalsWall(store)
    qtbot.addWidget(wall)
    wall.seat_commands = SeatCommands(Sink())
    wall.strip_fetcher = Server().fetch
    wall.show()
    wall.watch("A1")
    wall.activateWindow()
    qtbot.waitUntil(wall.isActiveWindow)
    qtbot.keyClick(wall, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)

    assert sent == [("telemetry.strip_request", {"unit_id": "A1", "seconds": RECORD_SECONDS})]
    window = wall.strip_windows["A1"]
    assert window.isVisible() and window.strips.count() == 2
    store.state.incidents[INCIDENT]["strips"].append(stored("s-newest", 10))  # telemetry.strip_stored arrived
    store.events.incident_changed.emit(INCIDENT)
    assert window.strips.count() == 3
    wall.shutdown()
