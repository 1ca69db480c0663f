"""Take docs/screenshot-map.png: the seat with the live map, ambulances and a caller located twice.

Run under a display::

    xvfb-run -a -s "-screen 0 1920x1080x24" python tools/screenshot_map.py [--output docs/screenshot-map.png]
        [--size 1600x900] [--language zh_CN|en]

The real MainWindow, store and map page are fed with protocol events as the server would send
them (registry of Monaco stations and hospitals, units in several statuses, a call ringing with
a GPS fix and a cell fix 700 m apart, an incident), and ambulance positions through the seat's
telemetry buffer — one of them older than 30 s, so it is drawn stale. Exit code 0 when saved.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")  # QtWebEngine refuses root without it

from maps.scheme import register_scheme  # noqa: E402  (before the QApplication)

register_scheme()

from PySide6.QtCore import QTimer  # noqa: E402

from app.protocol import event, format_ts, welcome  # noqa: E402
from app.seat.commands import SeatCommands  # noqa: E402
from app.seat.store import ConnectionStatus, Link, SeatStore  # noqa: E402
from app.seat.telemetry import TelemetryStore  # noqa: E402
from widgets.clock import SeatClock  # noqa: E402
from widgets.main_window import MainWindow  # noqa: E402
from widgets.seat_app import create_application  # noqa: E402

SEAT = "seat-1"


class NoNetwork:
    """The seat's command sink for a picture: nothing is sent anywhere."""

    def send_command(self, name, args, command_id=None):
        return command_id or "screenshot"


class Feed:
    def __init__(self, store: SeatStore, now: datetime) -> None:
        self.store, self.now, self.seq = store, now, 0

    def __call__(self, event_name: str, /, seconds_ago: float = 0, **data) -> None:
        self.seq += 1
        self.store.handle_message(event(seq=self.seq, ts=format_ts(self.now - timedelta(seconds=seconds_ago)),
                                        name=event_name, actor={"id": "server", "role": "admin"}, ref=None, data=data))


def populate(store: SeatStore, now: datetime, extra_units: int = 0) -> None:
    ev = Feed(store, now)
    for sid, name, lat, lon in (("st-fv", "枫维耶急救站", 43.7281, 7.4155), ("st-cd", "孔达明急救站", 43.7395, 7.4275)):
        ev("station.registered", station_id=sid, name=name, lat=lat, lon=lon)
    ev("hospital.registered", hospital_id="h-pg", name="摩纳哥公主格蕾丝医院", lat=43.7296, lon=7.4150)
    units = (("u1", "急救1", "st-fv"), ("u2", "急救2", "st-fv"), ("u3", "急救3", "st-cd"), ("u4", "急救4", "st-cd"),
             ("u5", "急救5", "st-cd"), ("u6", "急救6", "st-fv"))
    for unit_id, call_sign, station in units:
        ev("unit.registered", unit_id=unit_id, call_sign=call_sign, station_id=station, capability="als")
    for n in range(extra_units):  # --units: a busy city's fleet, many of them close together
        ev("unit.registered", unit_id=f"x{n}", call_sign=f"急救{n + 7}", station_id="st-fv" if n % 2 else "st-cd",
           capability="bls" if n % 3 else "als")
    ev("principal.registered", principal_id=SEAT, role="seat", name="调度席1", unit_id=None)
    store.handle_message(welcome(principal={"id": SEAT, "role": "seat", "name": "调度席1", "unit_id": None},
                                 server_seq=ev.seq, resume="replay"))
    store.set_connection(ConnectionStatus(Link.ONLINE))
    ev("seat.state_changed", seat_id=SEAT, state="ready", reason=None)
    at = format_ts(now - timedelta(seconds=20))
    ev("call.received", call_id="c1", caller_number="13812345678", caller_name="王先生",
       location_text="Boulevard Albert 1er 港口旁", line=None, seconds_ago=25, locations=[
           {"source": "gps", "lat": 43.73655, "lon": 7.42245, "accuracy_m": 15.0, "at": at},
           {"source": "cell", "lat": 43.7405, "lon": 7.4290, "accuracy_m": 300.0, "at": at}])
    ev("call.ringing", call_id="c1", seat_id=SEAT, seconds_ago=24)
    ev("call.answered", call_id="c1", seat_id=SEAT, seconds_ago=20)
    for unit_id, status, previous in (("u2", "en_route", "available"), ("u4", "on_scene", "available"),
                                      ("u5", "out_of_service", "available")):
        ev("unit.status_changed", unit_id=unit_id, status=status, previous=previous, incident_id=None,
           version=1, manual=True)


def positions(store: SeatStore, now: datetime, extra_units: int = 0) -> None:
    t = now.timestamp()
    rng = random.Random(120)
    extra = [(f"x{n}", rng.uniform(43.7280, 43.7450), rng.uniform(7.4100, 7.4340), float(rng.randrange(360)),
              45 if n % 17 == 0 else 1) for n in range(extra_units)]
    items = extra + [("u1", 43.7290, 7.4170, 45.0, 2), ("u2", 43.7335, 7.4200, 70.0, 1), ("u3", 43.7400, 7.4270, None, 3),
             ("u4", 43.7445, 7.4330, 200.0, 4), ("u5", 43.7312, 7.4125, 10.0, 95), ("u6", 43.7372, 7.4185, 300.0, 2)]
    changed = store.telemetry.apply({"type": "positions", "items": [
        {"unit_id": u, "t": format_ts(datetime.fromtimestamp(t - age, UTC)), "lat": lat, "lon": lon,
         "heading_deg": heading, "speed_mps": 9.0, "accuracy_m": 5.0} for u, lat, lon, heading, age in items]})
    signal = getattr(store.events, "positions_changed", None)
    if signal is not None:
        signal.emit(changed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "screenshot-map.png")
    parser.add_argument("--size", default="1600x900")
    parser.add_argument("--language", default="zh_CN", choices=["zh_CN", "en"])
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--units", type=int, default=0, help="extra ambulances spread over the city (labels declutter)")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))
    qapp, languages = create_application(sys.argv[:1], args.language)
    now = datetime.now(UTC)
    store = SeatStore()
    if not hasattr(store, "telemetry"):
        store.telemetry = TelemetryStore(heart_rate=None)
    populate(store, now, args.units)
    window = MainWindow(store, SeatCommands(NoNetwork()), clock=SeatClock(), languages=languages,
                        confirm_close=False, seat_id=SEAT, show_map=True)
    window.resize(width, height)
    window.show()
    result = {"code": 1}
    deadline = time.monotonic() + args.timeout
    call = store.state.calls["c1"]
    window.form.begin_call(call)

    def ready() -> None:
        positions(store, datetime.now(UTC), args.units)  # fixes fresh when the map is ready
        window.map_dock.tick()
        QTimer.singleShot(800, fit)

    def fit() -> None:  # once the window's splitters have their final sizes
        window.map_dock.view.fit_bounds([(c["lat"], c["lon"]) for c in call["locations"]]
                                        + [(43.7290, 7.4170), (43.7445, 7.4330)], max_zoom=16)
        QTimer.singleShot(300, poll)

    def poll() -> None:
        window.map_dock.view.run_js("window.d120.state()", check)

    def check(text) -> None:
        state = json.loads(text or "{}")
        if state.get("basemap_features") and len(state.get("items", [])) >= 10 or time.monotonic() > deadline:
            QTimer.singleShot(1500, grab)  # let the canvas paint the basemap
        else:
            QTimer.singleShot(300, poll)

    def grab() -> None:
        window.tick()
        args.output.parent.mkdir(parents=True, exist_ok=True)
        if window.grab().save(str(args.output)):
            print(f"saved {args.output}")
            result["code"] = 0
        qapp.quit()

    window.map_dock.view.ready.connect(ready)
    qapp.exec()
    return result["code"]


if __name__ == "__main__":
    sys.exit(main())
