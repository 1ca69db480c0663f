"""Regenerate docs/screenshot-incident-report.png: the demo incident's PDF report, page 1.

Builds the demonstration log (``app.records.demo``: real commands through the domain), writes
it into a real event store (migrated schema) with its ECG strip and pre-notification rows,
runs ``dispatch120 records show --format pdf`` on it and renders a page with
``pdftoppm -png -r 80`` (poppler-utils).

    .venv/bin/python tools/render_pdf_page.py [--page N] [--out docs/screenshot-incident-report.png]
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


def write_demo_log(path: Path) -> Path:
    """The demonstration incident in a new SQLite event store at ``path``."""
    from app.records import demo
    from server_stub.schema import prenotify_table, strips_table
    from server_stub.store import Batch, EventStore

    log = demo.build()
    store = EventStore(path)
    try:
        store.commit(Batch(expected_seq=0, events=log.events))
        with store.engine.begin() as conn:
            if log.strips:
                conn.execute(strips_table.insert(), log.strips)
            if log.prenotifications:
                conn.execute(prenotify_table.insert(), log.prenotifications)
    finally:
        store.close()
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot-incident-report.png")
    parser.add_argument("--keep-pdf", type=Path, help="also keep the PDF here")
    args = parser.parse_args()
    from app.__main__ import main as dispatch120
    from app.records import demo

    with tempfile.TemporaryDirectory(prefix="incident-report-") as tmp:
        db = write_demo_log(Path(tmp) / "events.sqlite")
        pdf = Path(tmp) / "report.pdf"
        code = dispatch120(["records", "show", "--db", str(db), "--incident", demo.INCIDENT_ID, "--format", "pdf",
                            "--out", str(pdf)])
        if code:
            return code
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", str(args.page), "-l", str(args.page), "-singlefile",
                        str(pdf), str(Path(tmp) / "page")], check=True)
        shutil.copyfile(Path(tmp) / "page.png", args.out)
        if args.keep_pdf:
            shutil.copyfile(pdf, args.keep_pdf)
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
