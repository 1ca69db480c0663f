"""Key performance indicators computed from the event log, never from counters.

Every formula is written out in ``docs/kpi.md``; this module is that text in code.

* :func:`fold` turns events ``(name, ts, data)`` (in ``seq`` order) into calls, incidents
  and runs (one run = one unit assigned to one incident), keeping only server timestamps.
* :func:`compute` gives the KPI dictionary of any set of calls and incidents.
* :func:`build_report` cuts a period into the report's groups (overall, by day, shift,
  seat, priority, determinant).
* :func:`open_log` / :func:`read_events` read the server's ``events`` table read-only,
  on SQLite or PostgreSQL; :func:`kpi_report` is all of it for one period.

Pure apart from the reading functions: no Qt, no server package, no clock (the report's
"now" is the last event read).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict, cast

import orjson

# The centre's days and shifts, and the errors of a report, live in a module of their own that
# the seat imports for its "My shift" view: they are re-exported here as part of this API.
from app.records.periods import DEFAULT_SHIFTS, DEFAULT_TZ, KpiError, Period, PeriodError  # noqa: F401

if TYPE_CHECKING:  # SQLAlchemy is imported by the reading functions only (~0.15 s): importing this
    from sqlalchemy import TableClause  # module for the folding and the formulas does not need it
    from sqlalchemy.engine import URL, Engine

ANSWER_TARGET_S = 10.0  # national target: 95 % of 120 calls answered within 10 s
DEPARTURE_TARGET_S = 180.0  # national target: 95 % of ambulances leave within 3 minutes
# Outcomes of an incident are followed this long after the period's end (an incident created at
# 23:58 is dispatched after midnight); a report is final once this much time has passed.
FOLLOW_UP = timedelta(hours=24)
# Events are also read this long before the period, so that an incident created just after the
# first midnight finds its call (offered just before it) and the runs of earlier incidents are known.
LOOK_BACK = timedelta(hours=24)
# Close reasons that make every run of the incident an empty run (``docs/kpi.md``).
EMPTY_RUN_REASONS = ("no_patient_found", "cancelled", "refused")

KPI_KEYS = (
    "calls_offered",
    "calls_answered",
    "incidents",
    "answered_within_10s_rate",
    "answer_time_s",
    "call_processing_s",
    "departure_within_3min_rate",
    "response_time_s",
    "empty_run_rate",
    "dispatch_to_call_ratio",
    "prenotification_rate",
    "tcpr_recognition_rate",
    "time_to_first_compression_s",
)
GROUPINGS = ("day", "shift", "seat", "priority", "determinant")
# A station is judged on its runs only: calls and incidents are not a station's.
STATION_KEYS = ("runs", "departure_within_3min_rate", "empty_run_rate")

# The events the KPIs read; everything else in the log is skipped in the query.
KPI_EVENTS = (
    "call.received",
    "call.answered",
    "call.abandoned",
    "incident.created",
    "incident.updated",
    "incident.closed",
    "unit.assigned",
    "unit.status_changed",
    "triage.completed",
    "triage.arrest_recognised",
    "cpr.started",
    "prenotify.sent",
)

# The server's schema revisions this reader understands (server_stub/migrations/versions). A
# database at another revision was written by a newer server: refused with a clear message.
KNOWN_SCHEMA_REVISIONS = frozenset({"0001_baseline", "0002_command_fingerprint", "0003_event_hash_chain",
                                    "0004_unit_positions"})


# One event as the KPIs read it: name, server ts, data (a JSON object the server validated
# with ``app.protocol.validate_event`` before storing it).
EventRow = tuple[str, str, Mapping[str, object]]


class Rate(TypedDict):
    value: float | None  # numerator / denominator, 4 decimals; None when the denominator is 0
    numerator: int
    denominator: int


class EmptyRunRate(Rate):
    by_reason: dict[str, int]


class Duration(TypedDict):
    mean: float | None  # seconds, 3 decimals
    p90: float | None
    n: int
    excluded: int  # negative durations left out (the server's clock stepped back)


class Kpis(TypedDict):
    calls_offered: int
    calls_answered: int
    incidents: int
    answered_within_10s_rate: Rate
    answer_time_s: Duration
    call_processing_s: Duration
    departure_within_3min_rate: Rate
    response_time_s: Duration
    empty_run_rate: EmptyRunRate
    dispatch_to_call_ratio: Rate
    prenotification_rate: Rate
    tcpr_recognition_rate: Rate
    time_to_first_compression_s: Duration


class StationLine(TypedDict):
    station: str | None
    runs: int
    departure_within_3min_rate: Rate
    empty_run_rate: EmptyRunRate


# A group's line: its key (``date``, ``shift``, ``seat``, ``priority`` or ``determinant``) and its Kpis.
GroupLine = dict[str, object]

Report = TypedDict("Report", {
    "from": str, "to": str, "tz": str, "empty": bool, "overall": Kpis,
    "by_day": list[GroupLine], "by_shift": list[GroupLine], "by_seat": list[GroupLine],
    "by_priority": list[GroupLine], "by_determinant": list[GroupLine], "by_station": list[StationLine],
})


class LogUnreadableError(KpiError):
    """The database cannot be opened, or is not a dispatch120 event log."""

    exit_code = 1


class LogNewerError(KpiError):
    """The database was written by a newer server (a schema revision this reader does not know)."""

    exit_code = 3


# ---------------------------------------------------------------- records folded from the log


@dataclass(slots=True)
class Call:
    call_id: str
    offered: datetime
    answered: datetime | None = None
    seat_id: str | None = None  # the seat that answered it
    abandoned: datetime | None = None
    incident_id: str | None = None  # the incident it created


@dataclass(slots=True)
class Run:
    """One unit sent to one incident: from ``unit.assigned`` until the unit is available again."""

    unit_id: str
    incident_id: str
    assigned: datetime
    en_route: datetime | None = None
    on_scene: datetime | None = None
    ended: datetime | None = None  # back to available (cleared or stood down)


@dataclass(slots=True)
class Incident:
    incident_id: str
    created: datetime
    seat_id: str
    call_id: str | None
    priority: int | None = None
    determinant: str | None = None
    runs: list[Run] = field(default_factory=list)
    closed: datetime | None = None
    close_reason: str | None = None
    arrest_recognised: datetime | None = None
    arrest_by_triage: bool = False  # triage.completed with cpr (an arrest, however it was recognised)
    first_compression: datetime | None = None
    transported: bool = False
    prenotified: bool = False


@dataclass(slots=True)
class Folded:
    """The log folded into records; ``last_ts`` is the newest server time seen (the report's "now")."""

    calls: dict[str, Call] = field(default_factory=dict)
    incidents: dict[str, Incident] = field(default_factory=dict)
    unit_station: dict[str, str | None] = field(default_factory=dict)  # from the last unit.registered
    last_ts: datetime | None = None


def parse_ts(ts: str) -> datetime:
    """A protocol timestamp (``2026-11-27T02:14:05.000Z``) as an aware UTC datetime."""
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def fold(events: Iterable[EventRow]) -> Folded:
    """Fold events, oldest (lowest ``seq``) first, into calls, incidents and runs.

    Only the server's ``ts`` of each event is used: the times a seat or a device put in the
    data (``triage.arrest_recognised.at``, telemetry ``t``) come from clocks that may be off.
    Events about calls or incidents whose first event was not read (they began before the
    period read) are skipped.
    """
    out = Folded()
    calls, incidents = out.calls, out.incidents
    open_runs: dict[str, Run] = {}  # unit id -> its current run
    last: datetime | None = None
    for name, ts_text, data in events:
        d = cast("dict[str, Any]", data)  # validated by the server before it was stored
        ts = parse_ts(ts_text)
        last = ts if last is None or ts > last else last
        if name == "unit.registered":
            out.unit_station[d["unit_id"]] = d.get("station_id")
            continue
        if name == "call.received":
            calls.setdefault(d["call_id"], Call(d["call_id"], ts))
        elif name == "call.answered":
            call = calls.get(d["call_id"])
            if call is not None and call.answered is None:
                call.answered, call.seat_id = ts, d["seat_id"]
        elif name == "call.abandoned":
            call = calls.get(d["call_id"])
            if call is not None and call.abandoned is None:
                call.abandoned = ts
        elif name == "incident.created":
            inc = Incident(d["incident_id"], ts, d["seat_id"], d.get("call_id"), d.get("priority"))
            incidents[inc.incident_id] = inc
            if inc.call_id in calls:
                calls[inc.call_id].incident_id = inc.incident_id
        else:
            _fold_incident_event(name, ts, d, incidents, open_runs)
    out.last_ts = last
    return out


def _fold_incident_event(name: str, ts: datetime, d: dict[str, Any], incidents: dict[str, Incident],
                         open_runs: dict[str, Run]) -> None:
    if name == "unit.status_changed":
        run = open_runs.get(d["unit_id"])
        if run is None or (d.get("incident_id") not in (None, run.incident_id)):
            return
        status = d["status"]
        if status == "en_route" and run.en_route is None:
            run.en_route = ts
        elif status == "on_scene" and run.on_scene is None:
            run.on_scene = ts
        elif status == "transporting":
            incidents[run.incident_id].transported = True
        elif status in ("available", "out_of_service"):
            run.ended = ts
            del open_runs[d["unit_id"]]
        return
    inc = incidents.get(d.get("incident_id", ""))
    if inc is None:
        return
    if name == "unit.assigned":
        run = Run(d["unit_id"], inc.incident_id, ts)
        inc.runs.append(run)
        open_runs[run.unit_id] = run
    elif name == "incident.updated":
        priority = (d.get("changes") or {}).get("priority")
        if priority is not None:
            inc.priority = priority
    elif name == "triage.completed":
        inc.priority, inc.determinant = d["priority"], d["determinant"]
        inc.arrest_by_triage = inc.arrest_by_triage or bool(d.get("cpr"))
    elif name == "triage.arrest_recognised":
        if inc.arrest_recognised is None:
            inc.arrest_recognised = ts
        if d.get("priority") is not None:
            inc.priority = d["priority"]
    elif name == "cpr.started":
        if inc.first_compression is None:
            inc.first_compression = ts
    elif name == "prenotify.sent":
        inc.prenotified = True
    elif name == "incident.closed" and inc.closed is None:
        inc.closed, inc.close_reason = ts, d["reason"]


# ---------------------------------------------------------------- the formulas


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds()


def percentile_nearest_rank(values: Sequence[float], p: float) -> float | None:
    """The nearest-rank percentile: the smallest value with at least ``p`` % of values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def _duration(values: list[float | None]) -> Duration:
    """Mean and p90 of the durations that exist; negative ones (the server's clock stepped back
    between the two events) are left out and counted in ``excluded``."""
    present = [v for v in values if v is not None]
    good = [v for v in present if v >= 0]
    return {
        "mean": round(sum(good) / len(good), 3) if good else None,
        "p90": round(p, 3) if (p := percentile_nearest_rank(good, 90)) is not None else None,
        "n": len(good),
        "excluded": len(present) - len(good),
    }


def _rate(numerator: int, denominator: int) -> Rate:
    return {
        "value": round(numerator / denominator, 4) if denominator else None,
        "numerator": numerator,
        "denominator": denominator,
    }


def departure_rate(runs: Iterable[Run], now: datetime | None) -> Rate:
    """Runs that left (``en_route``) within 180 s of dispatch, over the runs that had to leave.

    A run that never left counts against the target once 180 s passed without it leaving (stood
    down later, or still waiting at ``now``, the newest event read); stood down sooner, it never
    had to leave and is not counted.
    """
    in_time = due = 0
    for run in runs:
        if run.en_route is not None:
            due += 1
            in_time += (run.en_route - run.assigned).total_seconds() <= DEPARTURE_TARGET_S
        else:
            until = run.ended or now
            if until is not None and (until - run.assigned).total_seconds() > DEPARTURE_TARGET_S:
                due += 1
    return _rate(in_time, due)


def empty_run_rate(outcomes: Iterable[tuple[str | None, Run]]) -> EmptyRunRate:
    """``(close reason or None while open, run)``: empty runs over the runs of closed incidents."""
    closed = [reason for reason, _run in outcomes if reason is not None]
    empty = Counter(reason for reason in closed if reason in EMPTY_RUN_REASONS)
    rate = _rate(sum(empty.values()), len(closed))
    return {**rate, "by_reason": dict(sorted(empty.items()))}


def compute(calls: Sequence[Call], incidents: Sequence[Incident], *, all_calls: dict[str, Call],
            now: datetime | None) -> Kpis:
    """The KPIs of one group: ``calls`` offered and ``incidents`` created in it.

    ``all_calls`` finds an incident's call even when that call belongs to another group
    (offered before midnight, the incident created after). ``now`` is the newest event time
    read: a unit still dispatched then counts against departure once 180 s have passed.
    """
    answered = [c for c in calls if c.answered is not None]
    answer_times = [_seconds(c.offered, c.answered) for c in answered]
    runs = [r for inc in incidents for r in inc.runs]

    def call_of(inc: Incident) -> Call | None:
        return all_calls.get(inc.call_id) if inc.call_id else None

    processing, response, compression = [], [], []
    for inc in incidents:
        call = call_of(inc)
        if call is None:
            continue
        if inc.runs:
            processing.append(_seconds(call.answered, min(r.assigned for r in inc.runs)))
        on_scene = [r.on_scene for r in inc.runs if r.on_scene is not None]
        if on_scene:
            response.append(_seconds(call.offered, min(on_scene)))
        if inc.first_compression is not None:
            compression.append(_seconds(call.answered, inc.first_compression))

    priority_one_transported = [inc for inc in incidents if inc.priority == 1 and inc.transported]
    arrests = [inc for inc in incidents
               if inc.arrest_recognised is not None or inc.arrest_by_triage or inc.first_compression is not None]
    # A negative answer time (the server's clock stepped back) cannot show the target was met.
    within = sum(1 for t in answer_times if t is not None and 0 <= t <= ANSWER_TARGET_S)
    return {
        "calls_offered": len(calls),
        "calls_answered": len(answered),
        "incidents": len(incidents),
        "answered_within_10s_rate": _rate(within, len(calls)),
        "answer_time_s": _duration(answer_times),
        "call_processing_s": _duration(processing),
        "departure_within_3min_rate": departure_rate(runs, now),
        "response_time_s": _duration(response),
        "empty_run_rate": empty_run_rate([(inc.close_reason if inc.closed else None, r)
                                          for inc in incidents for r in inc.runs]),
        "dispatch_to_call_ratio": _rate(len(runs), len(calls)),
        "prenotification_rate": _rate(sum(inc.prenotified for inc in priority_one_transported),
                                      len(priority_one_transported)),
        "tcpr_recognition_rate": _rate(sum(inc.arrest_recognised is not None for inc in arrests), len(arrests)),
        "time_to_first_compression_s": _duration(compression),
    }


# ---------------------------------------------------------------- periods and groups


def _group_keys(period: Period, folded: Folded) -> dict[str, tuple[Callable[[Call], Any], Callable[[Incident], Any]]]:
    """For each grouping, the key of a call and the key of an incident."""
    incidents = folded.incidents
    # Each record's local day and shift, worked out once (zone conversion is most of the cost).
    call_when = {c.call_id: period.day_and_shift(c.offered) for c in folded.calls.values()}
    incident_when = {i.incident_id: period.day_and_shift(i.created) for i in incidents.values()}

    def call_incident(c: Call) -> Incident | None:
        return incidents.get(c.incident_id) if c.incident_id else None

    def via_incident(attr: str) -> Callable[[Call], Any]:
        return lambda c: getattr(inc, attr) if (inc := call_incident(c)) is not None else None

    return {
        "day": (lambda c: call_when[c.call_id][0], lambda i: incident_when[i.incident_id][0]),
        "shift": (lambda c: call_when[c.call_id][1], lambda i: incident_when[i.incident_id][1]),
        "seat": (lambda c: c.seat_id, lambda i: i.seat_id),
        "priority": (via_incident("priority"), lambda i: i.priority),
        "determinant": (via_incident("determinant"), lambda i: i.determinant),
    }


def _sort_key(value: object) -> tuple[int, str]:
    # Keys of one grouping are all str or all int (priority); None sorts last.
    return (1, "") if value is None else (0, f"{value:>12}" if isinstance(value, int) else str(value))


def build_report(folded: Folded, period: Period) -> Report:
    """The report of ``period``: calls offered and incidents created in it, followed to the end of
    what was read. A report with no call and no incident says ``"empty": true``."""
    calls = [c for c in folded.calls.values() if period.contains(c.offered)]
    incidents = [i for i in folded.incidents.values() if period.contains(i.created)]
    calls.sort(key=lambda c: c.offered)
    incidents.sort(key=lambda i: i.created)

    def kpis(cs: Sequence[Call], incs: Sequence[Incident]) -> Kpis:
        return compute(cs, incs, all_calls=folded.calls, now=folded.last_ts)

    groups: dict[str, list[GroupLine]] = {}
    for grouping, (call_key, incident_key) in _group_keys(period, folded).items():
        by_calls: dict[object, list[Call]] = defaultdict(list)
        by_incidents: dict[object, list[Incident]] = defaultdict(list)
        for c in calls:
            by_calls[call_key(c)].append(c)
        for i in incidents:
            by_incidents[incident_key(i)].append(i)
        keys = sorted(set(by_calls) | set(by_incidents), key=_sort_key)
        name = "date" if grouping == "day" else grouping
        groups[grouping] = [{name: k, **kpis(by_calls.get(k, []), by_incidents.get(k, []))} for k in keys]
    return {
        "from": period.first.isoformat(),
        "to": period.last.isoformat(),
        "tz": period.tz.key,
        "empty": not calls and not incidents,
        "overall": kpis(calls, incidents),
        "by_day": groups["day"],
        "by_shift": groups["shift"],
        "by_seat": groups["seat"],
        "by_priority": groups["priority"],
        "by_determinant": groups["determinant"],
        "by_station": _by_station(folded, incidents),
    }


def _by_station(folded: Folded, incidents: Sequence[Incident]) -> list[StationLine]:
    """The runs of the period's incidents, by the station of their unit (null: unknown)."""
    by_station: dict[str | None, list[tuple[str | None, Run]]] = defaultdict(list)
    for inc in incidents:
        for run in inc.runs:
            outcome = inc.close_reason if inc.closed else None
            by_station[folded.unit_station.get(run.unit_id)].append((outcome, run))
    lines: list[StationLine] = []
    for station in sorted(by_station, key=_sort_key):
        outcomes = by_station[station]
        lines.append({
            "station": station,
            "runs": len(outcomes),
            "departure_within_3min_rate": departure_rate((run for _o, run in outcomes), folded.last_ts),
            "empty_run_rate": empty_run_rate(outcomes),
        })
    return lines


# ---------------------------------------------------------------- reading the server's event store

@lru_cache(maxsize=1)
def _events() -> TableClause:
    from sqlalchemy import column, table

    return table("events", column("seq"), column("ts"), column("name"), column("data"))


def database_url(db: str | Path) -> URL:
    """``--db``: a file path (SQLite) or a ``sqlite:///`` / ``postgresql://`` URL.

    Raises:
        LogUnreadableError: another scheme, or a URL without a database.
    """
    from sqlalchemy.engine import URL, make_url
    from sqlalchemy.exc import ArgumentError

    if isinstance(db, Path) or "://" not in db:
        path = Path(db).expanduser().resolve()
        if not path.is_file():
            raise LogUnreadableError(f"{path}: no such database file")
        return URL.create("sqlite+pysqlite", database=str(path))
    try:
        url = make_url(db)
    except ArgumentError as exc:
        raise LogUnreadableError(f"not a database URL: {exc}") from None
    backend, _, driver = url.drivername.partition("+")
    if backend == "sqlite" and driver in ("", "pysqlite") and url.database and url.database != ":memory:":
        return database_url(Path(url.database))
    if backend in ("postgresql", "postgres") and driver in ("", "psycopg") and url.database:
        return url.set(drivername="postgresql+psycopg")
    raise LogUnreadableError(
        f"unsupported database {url.drivername!r}: give a file path, sqlite:///PATH or postgresql://USER@HOST/DB"
    )


def open_log(db: str | Path) -> Engine:
    """An engine that can only read the event log named by ``db``; its schema is checked.

    SQLite is opened with ``mode=ro`` (a report never writes, nor creates a missing file);
    PostgreSQL sessions are ``default_transaction_read_only``.

    Raises:
        LogUnreadableError: cannot connect, or not a dispatch120 event log.
        LogNewerError: a newer server's schema.
    """
    from sqlalchemy import create_engine, inspect, text
    from sqlalchemy.exc import SQLAlchemyError

    url = database_url(db)
    if url.get_backend_name() == "sqlite":
        engine = create_engine(f"sqlite+pysqlite:///file:{url.database}?mode=ro&uri=true")
    else:
        engine = create_engine(url, connect_args={"options": "-c default_transaction_read_only=on",
                                                  "connect_timeout": 10})
    label = url.render_as_string(hide_password=True)
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            if "events" not in tables:
                raise LogUnreadableError(f"{label}: not a dispatch120 event log (no 'events' table)")
            if "alembic_version" in tables:
                revisions = {r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))}
                unknown = revisions - KNOWN_SCHEMA_REVISIONS
                if unknown:
                    raise LogNewerError(
                        f"{label}: the database is at schema revision {', '.join(sorted(unknown))}, newer than "
                        f"this dispatch120 knows ({', '.join(sorted(KNOWN_SCHEMA_REVISIONS))}); "
                        "use the dispatch120 release that matches the server"
                    )
    except SQLAlchemyError as exc:
        engine.dispose()
        raise LogUnreadableError(f"{label}: cannot read the database: {exc.__class__.__name__}: {exc}") from None
    except KpiError:
        engine.dispose()
        raise
    return engine


def _ts_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def read_events(engine: Engine, since: datetime, until: datetime,
                names: Sequence[str] = KPI_EVENTS, chunk: int = 20_000) -> Iterator[EventRow]:
    """The events ``since <= ts < until`` named in ``names``, in ``seq`` order, streamed in chunks.

    ``ts`` is the fixed-width UTC text the server writes, so it compares as text on both databases.
    """
    from sqlalchemy import select

    events = _events()
    query = (
        select(events.c.name, events.c.ts, events.c.data)
        .where(events.c.ts >= _ts_text(since), events.c.ts < _ts_text(until), events.c.name.in_(names))
        .order_by(events.c.seq)
    )
    with engine.connect().execution_options(stream_results=True, yield_per=chunk) as conn:
        for name, ts, data in conn.execute(query):
            # SQLite hands back the JSON text; psycopg decodes a PostgreSQL json column itself.
            decoded = cast("Mapping[str, object]", orjson.loads(data) if isinstance(data, str | bytes) else data)
            yield str(name), str(ts), decoded


def kpi_report(db: str | Path, first: str | date, last: str | date, *, tz: str = DEFAULT_TZ,
               shifts: Sequence[time] = DEFAULT_SHIFTS) -> Report:
    """The KPI report of the local days ``first``..``last`` from the event log ``db``.

    Reads the events from :data:`LOOK_BACK` before the period until :data:`FOLLOW_UP` after it.

    Raises:
        PeriodError, LogUnreadableError, LogNewerError (all :class:`KpiError`).
    """
    from sqlalchemy.exc import SQLAlchemyError

    period = Period.make(first, last, tz, shifts)
    engine = open_log(db)
    try:
        until = period.end + FOLLOW_UP
        # The registry (which station a unit belongs to) is read from the log's start.
        registry = read_events(engine, datetime(1970, 1, 1, tzinfo=UTC), until, names=("unit.registered",))
        folded = fold(chain(registry, read_events(engine, period.start - LOOK_BACK, until)))
    except SQLAlchemyError as exc:
        raise LogUnreadableError(f"cannot read the events: {exc.__class__.__name__}: {exc}") from None
    finally:
        engine.dispose()
    return build_report(folded, period)
