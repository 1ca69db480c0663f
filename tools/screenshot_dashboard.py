"""Take docs/screenshot-kpi-dashboard.png and docs/screenshot-seat-kpi.png from a generated month.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tools/screenshot_dashboard.py [--days 30] [--calls-per-day 1400]
        [--language zh_CN|en] [--out-dir docs]

A month of a city centre (``bench/kpi.py``'s generator with fewer calls a day: 16 seats, 120
ambulances, every event checked by ``app.protocol.validate_event``) is written into a real event
store (migrated schema, hash chain). The supervisor's report and a seat's shift are computed by the
server's own ``GET /kpi`` code (``server_stub.kpi_route``: ``compute_report``, ``part_for``), passed
through JSON as a client receives them, and shown in the real :class:`widgets.kpi_dashboard.KpiDashboard`
and :class:`widgets.seat_kpi.SeatKpiView`. Exit code 0 when both are saved.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402

LAST_DAY = date(2026, 12, 5)
SEAT = "seat-3"
SHIFT = "2026-12-05 08:00"


def make_log(path: Path, days: int, calls_per_day: int) -> int:
    """``days`` generated days ending on :data:`LAST_DAY` in a new event store at ``path``."""
    from bench import kpi as generator

    generator.FIRST_DAY = LAST_DAY - timedelta(days=days - 1)
    generator.CALLS_PER_DAY = calls_per_day
    return generator.write(path, days)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--calls-per-day", type=int, default=1400)
    parser.add_argument("--language", default="zh_CN", choices=("zh_CN", "en"))
    parser.add_argument("--out-dir", type=Path, default=ROOT / "docs")
    args = parser.parse_args(argv)

    from app.records.kpi import Period
    from server_stub.kpi_route import compute_report, part_for
    from server_stub.store import EventStore
    from widgets.kpi_dashboard import KpiDashboard
    from widgets.seat_app import create_application
    from widgets.seat_kpi import SeatKpiView

    with tempfile.TemporaryDirectory(prefix="kpi-shot-") as tmp:
        db = Path(tmp) / "events.sqlite"
        events = make_log(db, args.days, args.calls_per_day)
        store = EventStore(db)
        try:
            def fetch(first: date, last: date) -> dict:
                report = compute_report(store.engine, Period.make(first, last), None)
                return orjson.loads(orjson.dumps(part_for("supervisor", "sup-1", report)))

            shift_start = datetime.strptime(SHIFT, "%Y-%m-%d %H:%M").date()
            shift = compute_report(store.engine, Period.make(shift_start, shift_start + timedelta(days=1)), SHIFT)
            mine = orjson.loads(orjson.dumps(part_for("seat", SEAT, shift)))
            qapp, languages = create_application([sys.argv[0]], args.language)

            dashboard = KpiDashboard(fetch, today=lambda: LAST_DAY)
            dashboard.resize(1600, 950)
            dashboard.show()
            dashboard.refresh()
            while dashboard.fetching:
                qapp.processEvents()
            for _ in range(5):
                qapp.processEvents()
            out = args.out_dir / "screenshot-kpi-dashboard.png"
            dashboard.grab().save(str(out))
            print(f"{out}: {events:,} events, {dashboard.report['overall']['calls_offered']:,} calls")
            dashboard.tabs.setCurrentIndex(1)
            for _ in range(5):
                qapp.processEvents()
            dist = args.out_dir / "screenshot-kpi-dashboard-distributions.png"
            dashboard.grab().save(str(dist))

            view = SeatKpiView()
            view.resize(760, 330)
            view.show_report(mine, at=datetime(2026, 12, 5, 15, 42, 10))
            view.show()
            for _ in range(5):
                qapp.processEvents()
            seat_out = args.out_dir / "screenshot-seat-kpi.png"
            view.grab().save(str(seat_out))
            print(seat_out)
            dashboard.close()
            view.close()
        finally:
            store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
