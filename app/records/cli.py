"""``dispatch120 report kpi`` and ``dispatch120 records search|show``, from the event log (read-only).

Exit codes: 0 written (also an empty report or an empty search, which say so), 2 bad arguments
(dates, zone, format, priority, an id prefix naming several incidents), 1 the database cannot be
read (or no Chinese font for a PDF), 3 the database was written by a newer server, 4 no such incident.
"""

from __future__ import annotations

import argparse
import sys
from datetime import time
from pathlib import Path

from app.records import texts

# The parsers are registered on every ``dispatch120`` start, the seat's included: the
# implementation (SQLAlchemy, ~0.4 s to import) is imported by the commands when they run.
# These defaults and choices are the implementation's (tests/unit/test_startup_imports.py
# checks that they stay equal): kpi.DEFAULT_TZ, kpi.DEFAULT_SHIFTS, report.FORMATS,
# record_render.FORMATS, incident.MIN_ID_PREFIX.
DEFAULT_TZ = "Asia/Shanghai"
DEFAULT_SHIFTS = (time(8, 0), time(20, 0))
REPORT_FORMATS = ("json", "csv", "html")
RECORD_FORMATS = ("text", "json", "html", "pdf")
MIN_ID_PREFIX = 6


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
    k.add_argument("--tz", default=DEFAULT_TZ, metavar="ZONE",
                   help="the time zone of day and shift boundaries (default: %(default)s)")
    k.add_argument("--shifts", type=_shifts, default=DEFAULT_SHIFTS, metavar="HH:MM,HH:MM",
                   help="local start times of the shifts (default: 08:00,20:00)")
    k.add_argument("--format", dest="fmt", default="json", choices=(*REPORT_FORMATS, "pdf"),
                   help="json (default), csv, html or pdf (A4, Chinese font embedded)")
    k.add_argument("--out", type=Path, metavar="FILE", help="write here instead of standard output")
    k.set_defaults(func=run_kpi)
    return report


def _fail(message: str, code: int, command: str = "report") -> int:
    print(f"dispatch120 {command}: {message}", file=sys.stderr)
    return code


def _write(data: bytes, out: Path | None, command: str) -> int:
    if out is None and data.startswith(b"%PDF") and sys.stdout.isatty():
        return _fail("a PDF is not for the terminal: give --out FILE (or redirect the output)", 2, command)
    if out is not None:
        try:
            out.write_bytes(data)
        except OSError as exc:
            return _fail(f"cannot write {out}: {exc.strerror or exc}", 1, command)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0


def run_kpi(args: argparse.Namespace) -> int:
    from app.records import kpi
    from app.records.report import render

    try:
        report = kpi.kpi_report(args.db, args.first, args.last, tz=args.tz, shifts=args.shifts)
        if args.fmt == "pdf":
            from app.records.pdf import kpi_pdf

            data = kpi_pdf(report)
        else:
            data = render(report, args.fmt)
    except kpi.KpiError as exc:
        return _fail(str(exc), exc.exit_code)
    if code := _write(data, args.out, "report"):
        return code
    if report["empty"]:
        print(f"dispatch120 report: empty report: no call was offered and no incident was created from "
              f"{report['from']} to {report['to']} ({report['tz']})", file=sys.stderr)
    return 0


# ---------------------------------------------------------------- dispatch120 records


def register_records(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Add the ``records`` command group (search, show) to a parser's subparsers."""
    records = subparsers.add_parser(
        "records",
        help="find and print incident records from the event log (supervisors)",
        description="Incident records read from the server's event log, which is only read. See docs/records.md.",
    )
    commands = records.add_subparsers(dest="records_command", metavar="{search,show,track}", required=True)
    db_help = "the server's database: a SQLite file or postgresql://USER@HOST/DB"
    s = commands.add_parser(
        "search", help="list the incidents that match",
        description="Incidents matching every criterion given, oldest first: id, local time, address, priority, "
        "determinant, units. Without --from/--to the whole log is read.",
    )
    s.add_argument("--db", required=True, metavar="URL_OR_PATH", help=db_help)
    s.add_argument("--phone", metavar="DIGITS", help="the caller's or callback number contains these digits")
    s.add_argument("--address", metavar="TEXT", help="an address of the incident contains this text")
    s.add_argument("--from", dest="first", metavar="YYYY-MM-DD", help="created on or after this local day")
    s.add_argument("--to", dest="last", metavar="YYYY-MM-DD", help="created on or before this local day")
    s.add_argument("--unit", metavar="UNIT", help="a unit id or call sign sent to it")
    s.add_argument("--priority", metavar="I|II|III|IV", help="the incident's priority")
    s.add_argument("--determinant", metavar="CODE", help="a determinant code or its start (10-D)")
    s.add_argument("--tz", default=DEFAULT_TZ, metavar="ZONE", help="local days and times (default: %(default)s)")
    s.add_argument("--language", choices=texts.LANGUAGES, default="zh", help="zh (default) or en")
    s.add_argument("--json", action="store_true", help="a JSON list instead of a table")
    s.set_defaults(func=run_search)
    show = commands.add_parser(
        "show", help="print or write one incident's record",
        description="The full record of one incident: timeline, triage path, units, locations, caller link, "
        "pre-notifications, vitals, ECG strips and notes.",
    )
    show.add_argument("--db", required=True, metavar="URL_OR_PATH", help=db_help)
    show.add_argument("--incident", required=True, metavar="ID",
                      help=f"the incident's id (or its first {MIN_ID_PREFIX}+ characters)")
    show.add_argument("--format", dest="fmt", default="text", choices=RECORD_FORMATS,
                      help="text (default), json, html or pdf")
    show.add_argument("--out", type=Path, metavar="FILE", help="write here instead of standard output")
    show.add_argument("--language", choices=texts.LANGUAGES, default="zh", help="zh (default) or en")
    show.add_argument("--tz", default=DEFAULT_TZ, metavar="ZONE", help="local times (default: %(default)s)")
    show.add_argument("--city", type=Path, metavar="DIR",
                      help="offline city whose roads the PDF's map draws (default: the demo city)")
    show.set_defaults(func=run_show)
    track = commands.add_parser(
        "track", help="an incident's ambulance tracks, unit statuses and caller locations (for playback)",
        description="The positions the server kept of each unit while it was on the incident (see "
        "--track-interval-s of dispatch120-server serve), its status changes and the caller's locations.",
    )
    track.add_argument("--db", required=True, metavar="URL_OR_PATH", help=db_help)
    track.add_argument("--incident", required=True, metavar="ID",
                       help=f"the incident's id (or its first {MIN_ID_PREFIX}+ characters)")
    track.add_argument("--tz", default=DEFAULT_TZ, metavar="ZONE", help="local times (default: %(default)s)")
    track.add_argument("--json", action="store_true",
                       help="the track as JSON (what the playback window opens) instead of a summary")
    track.set_defaults(func=run_track)
    return records


def run_search(args: argparse.Namespace) -> int:
    import orjson

    from app.records import incident, kpi

    try:
        criteria = incident.Criteria(
            phone=args.phone, address=args.address,
            first=incident.parse_day(args.first, "--from") if args.first else None,
            last=incident.parse_day(args.last, "--to") if args.last else None,
            unit=args.unit, priority=incident.parse_priority(args.priority) if args.priority else None,
            determinant=args.determinant, tz=args.tz,
        )
        hits = incident.search(args.db, criteria)
    except kpi.KpiError as exc:
        return _fail(str(exc), exc.exit_code, "records")
    lang = args.language
    if args.json:
        out = orjson.dumps(hits, option=orjson.OPT_INDENT_2) + b"\n"
    else:
        lines = [f"{h['incident_id']}  {h['local']}  {texts.label('priority', h['priority'], lang):6}  "
                 f"{h['determinant'] or '–':8}  {','.join(h['units']) or '–':12}  {h['address']}" for h in hits]
        lines.append(texts.word("search_found", lang, n=len(hits)) if hits else texts.word("search_empty", lang))
        out = ("\n".join(lines) + "\n").encode("utf-8")
    sys.stdout.buffer.write(out)
    sys.stdout.flush()
    if not hits:
        print(f"dispatch120 records: {texts.word('search_empty', lang)}", file=sys.stderr)
    return 0


def run_show(args: argparse.Namespace) -> int:
    from app.records import incident, kpi
    from app.records.record_render import render_record

    try:
        record = incident.read_incident(args.db, args.incident, lang=args.language, tz=args.tz)
        track = None
        if args.fmt == "pdf":  # the report's map: the positions kept beside the log
            from app.records.track import build_track, read_positions

            track = build_track(record, read_positions(args.db, str(record["incident_id"])))
        data = render_record(record, args.fmt, track=track, city_dir=args.city)
    except kpi.KpiError as exc:
        return _fail(str(exc), exc.exit_code, "records")
    return _write(data, args.out, "records")


def run_track(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    import orjson

    from app.records import kpi
    from app.records.incident import local_time, zone
    from app.records.track import read_track

    try:
        track = read_track(args.db, args.incident, tz=args.tz)
    except kpi.KpiError as exc:
        return _fail(str(exc), exc.exit_code, "records")
    if args.json:
        return _write(orjson.dumps(track, option=orjson.OPT_INDENT_2) + b"\n", None, "records")
    tz = zone(args.tz)

    def when(t: float) -> str:
        return local_time(datetime.fromtimestamp(t, UTC).isoformat(), tz)

    lines = [f"{track['incident_id']}  {when(track['start_t'])} – {when(track['end_t'])}  {track['address'] or ''}"]
    for u in track["units"]:
        statuses = ", ".join(f"{s['status']} {when(s['t'])}" for s in u["statuses"]) or "–"
        lines.append(f"  {u['call_sign'] or u['unit_id']}: {len(u['positions'])} positions; {statuses}")
    lines.append(f"  caller locations: {len(track['caller_locations'])}")
    return _write(("\n".join(lines) + "\n").encode("utf-8"), None, "records")
