"""``dispatch120 report kpi``: the KPI report of a period, from the event log (read-only).

Exit codes: 0 written (also an empty report, which says so), 2 bad arguments (dates, zone,
format), 1 the database cannot be read, 3 the database was written by a newer server.
"""

from __future__ import annotations

import argparse
import sys
from datetime import time
from pathlib import Path

from app.records import kpi
from app.records.report import FORMATS, render


def _shifts(text: str) -> tuple[time, ...]:
    try:
        return tuple(time.fromisoformat(part.strip()) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"shift start times are HH:MM separated by commas, not {text!r}") from None


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Add the ``report`` command group to a parser's subparsers (from ``add_subparsers()``)."""
    report = subparsers.add_parser(
        "report",
        help="reports from the centre's event log (KPIs)",
        description="Reports computed from the server's event log, which is only read.",
    )
    commands = report.add_subparsers(dest="report_command", metavar="{kpi}", required=True)
    k = commands.add_parser(
        "kpi",
        help="KPIs of a period: overall, by day, shift, seat, priority and determinant",
        description="KPIs of the local days FROM..TO (both included) from the event log; formulas in docs/kpi.md. "
        "Calls count on the day they were offered, incidents on the day they were created; their outcomes "
        "are followed for 24 h after the period.",
    )
    k.add_argument("--db", required=True, metavar="URL_OR_PATH",
                   help="the server's database: a SQLite file or postgresql://USER@HOST/DB")
    k.add_argument("--from", dest="first", required=True, metavar="YYYY-MM-DD", help="the first day")
    k.add_argument("--to", dest="last", required=True, metavar="YYYY-MM-DD", help="the last day (included)")
    k.add_argument("--tz", default=kpi.DEFAULT_TZ, metavar="ZONE",
                   help="the time zone of day and shift boundaries (default: %(default)s)")
    k.add_argument("--shifts", type=_shifts, default=kpi.DEFAULT_SHIFTS, metavar="HH:MM,HH:MM",
                   help="local start times of the shifts (default: 08:00,20:00)")
    k.add_argument("--format", dest="fmt", default="json", choices=(*FORMATS, "pdf"),
                   help="json (default), csv or html (pdf: not in this build yet)")
    k.add_argument("--out", type=Path, metavar="FILE", help="write here instead of standard output")
    k.set_defaults(func=run_kpi)
    return report


def _fail(message: str, code: int) -> int:
    print(f"dispatch120 report: {message}", file=sys.stderr)
    return code


def run_kpi(args: argparse.Namespace) -> int:
    if args.fmt == "pdf":
        return _fail("PDF output is not available in this build; use --format html and print it", 2)
    try:
        report = kpi.kpi_report(args.db, args.first, args.last, tz=args.tz, shifts=args.shifts)
    except kpi.KpiError as exc:
        return _fail(str(exc), exc.exit_code)
    data = render(report, args.fmt)
    if args.out is not None:
        try:
            args.out.write_bytes(data)
        except OSError as exc:
            return _fail(f"cannot write {args.out}: {exc.strerror or exc}", 1)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    if report["empty"]:
        print(f"dispatch120 report: empty report: no call was offered and no incident was created from "
              f"{report['from']} to {report['to']} ({report['tz']})", file=sys.stderr)
    return 0
