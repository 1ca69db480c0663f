"""Regenerate docs/screenshot-incident-report.png: the demo incident's PDF report, page 1.

Builds the demonstration log (``app.records.demo``: real commands through the domain), writes
it into a real event store (migrated schema) with its ECG strip and pre-notification rows,
runs ``dispatch120 records show --format pdf`` on it and renders a page with
``pdftoppm -png -r 80`` (poppler-utils).

    .venv/bin/python tools/render_pdf_page.py [--page N] [--out docs/screenshot-incident-report.png]
    .venv/bin/python tools/render_pdf_page.py --site monaco --page map --out docs/screenshot-incident-report-map.png

``--site monaco`` puts the story on the demo city's streets (``demo.MONACO``) and records the
ambulances' tracks along the road router's routes, so the report's map has roads and tracks;
``--page map`` renders the page with that map.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def write_demo_log(path: Path, site: str = "chongqing") -> Path:
    """The demonstration incident in a new SQLite event store at ``path`` (with its tracks at Monaco)."""
    from app.records import demo
    from server_stub.schema import prenotify_table, strips_table, unit_positions_table
    from server_stub.store import Batch, EventStore

    if site == "monaco":
        from app.mapdata.city import DEFAULT_CITY_DIR
        from app.routing.engine import GraphRouter

        router = GraphRouter.for_city(DEFAULT_CITY_DIR)

        def drive(a: tuple[float, float], b: tuple[float, float]) -> list[tuple[float, float]]:
            route = router.route(a, b)
            return [a, *(route.path if route else ()), b]

        log = demo.build(demo.MONACO, drive)
    else:
        log = demo.build()
    store = EventStore(path)
    try:
        store.commit(Batch(expected_seq=0, events=log.events))
        with store.engine.begin() as conn:
            if log.strips:
                conn.execute(strips_table.insert(), log.strips)
            if log.prenotifications:
                conn.execute(prenotify_table.insert(), log.prenotifications)
            if site == "monaco":
                conn.execute(unit_positions_table.insert(), log.positions)
    finally:
        store.close()
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", default="1", help="a page number, or 'map' for the map page")
    parser.add_argument("--site", choices=("chongqing", "monaco"), default="chongqing")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot-incident-report.png")
    parser.add_argument("--keep-pdf", type=Path, help="also keep the PDF here")
    args = parser.parse_args()
    from app.__main__ import main as dispatch120
    from app.records import demo

    with tempfile.TemporaryDirectory(prefix="incident-report-") as tmp:
        db = write_demo_log(Path(tmp) / "events.sqlite", args.site)
        pdf = Path(tmp) / "report.pdf"
        code = dispatch120(["records", "show", "--db", str(db), "--incident", demo.INCIDENT_ID, "--format", "pdf",
                            "--out", str(pdf)])
        if code:
            return code
        page = args.page
        if page == "map":
            text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
            page = str(next(i for i, t in enumerate(text.split("\f"), 1) if "地图与轨迹" in t))
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", page, "-l", page, "-singlefile",
                        str(pdf), str(Path(tmp) / "page")], check=True)
        shutil.copyfile(Path(tmp) / "page.png", args.out)
        if args.keep_pdf:
            shutil.copyfile(pdf, args.keep_pdf)
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
