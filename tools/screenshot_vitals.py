"""Screenshot of the vitals wall: two ambulances side by side, one in VF with its high alarm.

Usage (a real X server, e.g. Xvfb; offscreen works too but uses a fixed 96 dpi)::

    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python tools/screenshot_vitals.py [out.png]

Two simulated monitors (``bench.vitals_gui.SyntheticMonitor``: sinus 78/min with
pleth and capnogram; VF during CPR with a low EtCO2 and the device's high-priority
"vf" alarm) stream real protocol frames into a real ``TelemetryStore``; the real
``VitalsWall`` draws them live for a few seconds, then the window is grabbed while
the red alarm banner is lit. Writes ``docs/screenshot-vitals.png`` by default.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.seat.store import SeatStore  # noqa: E402
from bench.vitals_gui import SyntheticMonitor, feed  # noqa: E402
from widgets.i18n_runtime import LanguageSwitcher  # noqa: E402
from widgets.style import apply_style  # noqa: E402
from widgets.vitals_wall import VitalsWall  # noqa: E402


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else ROOT / "docs" / "screenshot-vitals.png"
    language = os.environ.get("DISPATCH120_LANG", "en")
    app = QApplication.instance() or QApplication(argv)
    apply_style(app)
    switcher = LanguageSwitcher()
    switcher.set_language(language)
    store = SeatStore()
    for unit_id, call_sign in (("u1", "120-01"), ("u2", "120-02")):
        store.state.units[unit_id] = {"unit_id": unit_id, "call_sign": call_sign, "status": "on_scene"}
    devices = [SyntheticMonitor("u1", rhythm="sinus", hr=78), SyntheticMonitor("u2", rhythm="vf")]
    started = time.monotonic()
    lead_in = 15.0
    feed(store, devices, lead_in)

    wall = VitalsWall(store)
    wall.setWindowTitle("dispatch120 — vitals")
    wall.resize(1880, 640)
    wall._fill_units()
    wall.show()
    wall.watch("u1")
    wall.watch("u2")

    feeder = QTimer()
    feeder.timeout.connect(lambda: feed(store, devices, lead_in + time.monotonic() - started))
    feeder.start(100)
    deadline = time.monotonic() + 4.0
    while time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.005)
    vf = wall.monitors["u2"]
    deadline = time.monotonic() + 2.0
    while not vf.banner_lit and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.005)
    app.processEvents()
    out.parent.mkdir(parents=True, exist_ok=True)
    if not wall.grab().save(str(out)):
        print(f"could not write {out}", file=sys.stderr)
        return 1
    print(f"wrote {out} ({wall.width()}x{wall.height()}, alarm lit: {vf.banner_lit}, "
          f"sweep {wall.monitors['u1'].sweep_seconds:.2f} s, {wall.logicalDpiX()} dpi)")
    wall.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
