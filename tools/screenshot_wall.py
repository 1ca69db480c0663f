"""Take docs/screenshot-wall.png: the centre's wall display during a busy morning.

Run under a display::

    xvfb-run -a -s "-screen 0 1920x1080x24" python tools/screenshot_wall.py [--output docs/screenshot-wall.png]
        [--size 1920x1080] [--language zh_CN|en]

The real WallDisplay, store and map page are fed with the events a wall receives (no caller
numbers: ``*``), as the server would send them: the demo registry of Monaco (stations,
hospitals), twelve ambulances in every status with positions, a morning's calls (answered in
4–16 s, three waiting), incidents of priority I–IV (some located, one without a unit yet) and
their runs (most out within 3 minutes). Exit code 0 when saved.
"""

from __future__ import annotations

import argparse
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
from app.seat.store import ConnectionStatus, Link, SeatStore  # noqa: E402
from app.wall import TodayFigures, WallFeed  # noqa: E402
from maps.sources import make_config  # noqa: E402
from widgets.clock import SeatClock  # noqa: E402
from widgets.seat_app import create_application  # noqa: E402
from widgets.wall_display import WallDisplay  # noqa: E402

STATIONS = (("st-fontvieille", "枫维耶急救站", 43.72793, 7.41778), ("st-condamine", "孔达明急救站", 43.73239, 7.42168),
            ("st-larvotto", "拉尔沃托急救站", 43.74422, 7.43151))
HOSPITALS = (("chpg", "格蕾丝王妃医院中心", 43.73041, 7.41141), ("ccm", "摩纳哥心胸中心", 43.73763, 7.42740))
# unit, call sign, station, status, position
UNITS = (
    ("A1", "南岸01", "st-fontvieille", "on_scene", (43.7362, 7.4218)),
    ("A2", "南岸02", "st-fontvieille", "available", (43.7281, 7.4180)),
    ("A3", "南岸03", "st-fontvieille", "transporting", (43.7318, 7.4150)),
    ("A4", "渝中04", "st-condamine", "en_route", (43.7390, 7.4250)),
    ("A5", "渝中05", "st-condamine", "available", (43.7326, 7.4220)),
    ("A6", "渝中06", "st-condamine", "dispatched", (43.7330, 7.4212)),
    ("A7", "渝中07", "st-condamine", "at_hospital", (43.7376, 7.4272)),
    ("A8", "江北08", "st-larvotto", "en_route", (43.7430, 7.4300)),
    ("A9", "江北09", "st-larvotto", "available", (43.7443, 7.4318)),
    ("A10", "江北10", "st-larvotto", "out_of_service", (43.7448, 7.4322)),
    ("A11", "江北11", "st-larvotto", "on_scene", (43.7468, 7.4355)),
    ("A12", "南岸12", "st-fontvieille", "available", (43.7276, 7.4170)),
)
# incident number, priority, address, location, unit (None: waiting for one), minutes ago
INCIDENTS = (
    (1, 1, "摩纳哥港 阿尔贝一世大道 12 号", (43.7365, 7.4222), "A1", 14),
    (2, 1, "拉尔沃托海滩 公主格蕾丝大道 22 号", (43.7470, 7.4358), "A11", 9),
    (3, 2, "蒙特卡洛 赌场广场", (43.7393, 7.4276), "A4", 6),
    (4, 2, "枫维耶 商业中心 3 层", (43.7287, 7.4160), "A3", 31),
    (5, 3, "孔达明 市场街 7 号", (43.7335, 7.4205), "A6", 2),
    (6, 3, "圣罗曼 公寓 B 座", (43.7500, 7.4400), None, 4),
    (7, 4, "摩纳哥城 宫殿广场", (43.7312, 7.4200), "A8", 11),
    (8, 2, "心胸中心 急诊转运", (43.7376, 7.4272), "A7", 38),
)


class Feed:
    """Hands wall events to the feed, with the server's times."""

    def __init__(self, feed: WallFeed, now: datetime) -> None:
        self.feed, self.now, self.seq, self.versions = feed, now, 0, {}

    def __call__(self, name: str, /, seconds_ago: float = 0, **data) -> None:
        self.seq += 1
        self.feed.handle_message(event(seq=self.seq, ts=format_ts(self.now - timedelta(seconds=seconds_ago)), name=name,
                                       actor={"id": "server", "role": "admin"}, ref=None, data=data))

    def status(self, unit: str, status: str, previous: str, incident: str | None, seconds_ago: float) -> None:
        self.versions[unit] = self.versions.get(unit, 0) + 1
        self("unit.status_changed", unit_id=unit, status=status, previous=previous, incident_id=incident,
             version=self.versions[unit], manual=False, seconds_ago=seconds_ago)


def incident_id(number: int) -> str:
    return f"00000000-0000-4000-8000-{number:012d}"


def populate(feed: WallFeed, store: SeatStore, now: datetime) -> None:
    ev = Feed(feed, now)
    feed.handle_message(welcome(principal={"id": "wall-1", "role": "wall", "name": "调度大厅大屏", "unit_id": None},
                                server_seq=0, resume="replay"))
    for sid, name, lat, lon in STATIONS:
        ev("station.registered", station_id=sid, name=name, lat=lat, lon=lon, seconds_ago=30 * 86400)
    for hid, name, lat, lon in HOSPITALS:
        ev("hospital.registered", hospital_id=hid, name=name, lat=lat, lon=lon, seconds_ago=30 * 86400)
    for unit, sign, station, *_ in UNITS:
        ev("unit.registered", unit_id=unit, call_sign=sign, station_id=station, capability="als",
           seconds_ago=30 * 86400)
    # The morning so far (since 00:00): calls answered in 4-16 s, a few runs closed.
    rng = random.Random(120)
    midnight = now.astimezone(feed.figures.tz).replace(hour=0, minute=0, second=0, microsecond=0)
    since_midnight = (now - midnight).total_seconds()
    for n in range(46):
        offered = since_midnight - 600 - n * (since_midnight - 3600) / 46
        wait = rng.choice((4, 5, 6, 6, 7, 8, 8, 9, 9, 11, 16))
        ev("call.received", call_id=f"m{n}", caller_number="*", seconds_ago=offered)
        ev("call.answered", call_id=f"m{n}", seat_id="seat-1", seconds_ago=offered - wait)
        ev("call.ended", call_id=f"m{n}", seconds_ago=offered - 90)
        if n % 2 == 0:
            iid = incident_id(100 + n)
            ev("incident.created", incident_id=iid, call_id=f"m{n}", seat_id="seat-1", address="—", priority=3,
               seconds_ago=offered - 60)
            unit = ("A2", "A5", "A9", "A12")[n // 2 % 4]
            ev("unit.assigned", incident_id=iid, unit_id=unit, version=0, seconds_ago=offered - 70)
            out = rng.choice((40, 60, 75, 90, 100, 120, 150, 170, 200))
            ev.status(unit, "en_route", "dispatched", iid, offered - 70 - out)
            ev.status(unit, "on_scene", "en_route", iid, offered - 600)
            ev.status(unit, "available", "on_scene", iid, offered - 1500)
            ev("incident.closed", incident_id=iid, reason="treated_on_scene", seconds_ago=offered - 1500)
    # The open incidents now, with their calls and runs.
    for number, priority, address, (lat, lon), unit, minutes in INCIDENTS:
        iid, call_id, ago = incident_id(number), f"c{number}", minutes * 60
        ev("call.received", call_id=call_id, caller_number="*", seconds_ago=ago + 70)
        ev("call.answered", call_id=call_id, seat_id="seat-1", seconds_ago=ago + 70 - 5 - number % 4)
        ev("incident.created", incident_id=iid, call_id=call_id, seat_id="seat-1", address=address,
           priority=priority, seconds_ago=ago)
        ev("incident.located", incident_id=iid, lat=lat, lon=lon, source="candidate", seat_id="seat-1",
           seconds_ago=ago)
        if unit is None:
            continue
        ev("unit.assigned", incident_id=iid, unit_id=unit, version=0, seconds_ago=ago - 20)
        target = next(u[3] for u in UNITS if u[0] == unit)
        path = ["dispatched", "en_route", "on_scene", "transporting", "at_hospital"]
        for step, (previous, status) in enumerate(zip(path, path[1:], strict=False)):
            if path.index(target) <= step:
                break
            ev.status(unit, status, previous, iid, ago - 20 - 80 * (step + 1) if ago > 300 else ago - 25 - step)
    ev.status("A10", "out_of_service", "available", None, 3 * 3600)
    # Three calls waiting for a dispatcher.
    for call_id, waited in (("w1", 27), ("w2", 12), ("w3", 5)):
        ev("call.received", call_id=call_id, caller_number="*", seconds_ago=waited)
    store.set_connection(ConnectionStatus(Link.ONLINE))


def positions(store: SeatStore, now: datetime) -> None:
    changed = store.telemetry.apply({"type": "positions", "items": [
        {"unit_id": unit, "t": format_ts(now - timedelta(seconds=2)), "lat": lat, "lon": lon, "heading_deg": None,
         "speed_mps": 0.0, "accuracy_m": 5.0} for unit, _s, _st, _status, (lat, lon) in UNITS]})
    store.events.positions_changed.emit(changed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "screenshot-wall.png")
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--language", default="zh_CN", choices=["zh_CN", "en"])
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))
    qapp, _languages = create_application(sys.argv[:1], args.language)
    now = datetime.now(UTC).replace(hour=2, minute=35, second=10, microsecond=0)  # 10:35 in Shanghai
    store = SeatStore()
    figures = TodayFigures("Asia/Shanghai", now=lambda: now)
    feed = WallFeed(store, figures)
    populate(feed, store, now)
    wall = WallDisplay(store, figures, SeatClock(now=lambda: now), map_config=make_config(), confirm_close=False)
    wall.resize(width, height)
    wall.show()
    result = {"code": 1}
    deadline = time.monotonic() + args.timeout

    def ready() -> None:
        positions(store, now)
        wall.refresh()
        wall.tick()
        QTimer.singleShot(3000, shoot)

    def shoot() -> None:
        wall.map_view.flush()
        args.output.parent.mkdir(parents=True, exist_ok=True)
        if wall.grab().save(str(args.output)):
            print(f"saved {args.output}")
            result["code"] = 0
        qapp.quit()

    wall.map_view.ready.connect(ready)
    QTimer.singleShot(int(args.timeout * 1000), qapp.quit)
    qapp.exec()
    if result["code"] != 0 and time.monotonic() >= deadline:
        print("the map did not become ready in time", file=sys.stderr)
    return result["code"]


if __name__ == "__main__":
    sys.exit(main())
