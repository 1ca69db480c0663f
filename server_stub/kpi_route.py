"""``GET /kpi``: the KPI report (``app.records.kpi``) over the server's own event store.

On the websocket port, like ``GET /strips/<id>`` (:mod:`server_stub.http_routes`):

``GET /kpi?from=YYYY-MM-DD&to=YYYY-MM-DD[&tz=Asia/Shanghai]`` — the report of those local days;
``GET /kpi?shift=YYYY-MM-DDTHH:MM[&tz=…]`` — the report of one shift (named by its local start,
one of the centre's shift starts, ``app.records.kpi.DEFAULT_SHIFTS``): only ``overall`` and
``by_seat``. Both with ``Authorization: Bearer <token>``; either may add ``seq=N``: the answer then
includes at least the events up to ``N`` (a seat whose call just ended passes the ``seq`` it has
seen, so the cache cannot hand it figures without that call).

Who gets what (``docs/protocol.md`` §11):

* a **supervisor** — the whole report;
* a **seat** — the centre's ``overall`` line and its own ``by_seat`` line only (``by_seat`` holds
  at most that one line; the other groupings are left out);
* no token, an unknown or revoked one — 401; any other role (wall, device, …) — 403.

Bad input (a malformed date, ``from`` after ``to``, an unknown zone, more than
:data:`MAX_PERIOD_DAYS` days, a time that starts no shift) — 400; a database failure — 500 and
a log line. Every error answer is ``{"error": code, "message": text}``.

``GET /kpi/rows?from=<ISO time>&through_seq=N`` (a wall or a supervisor) answers the KPI events
(:data:`app.records.kpi.KPI_EVENTS`) with ``seq <= N`` and server ``ts >= from``, in ``seq`` order,
each reduced to the fields :func:`app.records.kpi.fold` reads (:data:`ROW_FIELDS`: ids, seats,
statuses, priorities, never a caller's number, name, address or free text): what a wall whose feed
began from a snapshot folds in to count from midnight again (:mod:`app.wall`). At most
:data:`ROWS_LIMIT` rows; more is a 400 ``too_many_rows``.

``GET /records/incident/<id>[?lang=zh|en&tz=…]`` (supervisors only) answers one incident's full
record (``app.records.incident.read_incident``: the JSON of ``dispatch120 records show --format
json``); an unknown id is 404, an id prefix naming several incidents or a bad id 400.
``GET /records/track/<id>[?tz=…]`` (supervisors only, the same answers) gives its track for playback
(``app.records.track.read_track``: the JSON of ``dispatch120 records track --json``).

The report is computed in a worker thread (the loop never waits on the database), one report at
a time (a year of a busy centre holds a few hundred MB while folding: ``bench/kpi.py``), and each
answer is kept :data:`CACHE_S` seconds (unless ``seq`` asks for newer events), so a room of seats
refreshing together costs one read.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from itertools import chain
from typing import Protocol, cast
from urllib.parse import parse_qs, urlsplit

import orjson
from sqlalchemy.engine import Engine
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from app.domain.model import Role
from app.protocol import format_ts, parse_ts
from app.records.incident import AmbiguousIncidentError, IncidentNotFoundError, read_incident
from app.records.kpi import (
    DEFAULT_SHIFTS,
    DEFAULT_TZ,
    FOLLOW_UP,
    LOOK_BACK,
    Call,
    Folded,
    Incident,
    KpiError,
    Period,
    PeriodError,
    build_report,
    compute,
    fold,
    read_events,
)
from app.records.track import read_track
from server_stub.auth import token_hash
from server_stub.store import EventStore, PrincipalRow

log = logging.getLogger(__name__)

KPI_PATH = "/kpi"
MAX_PERIOD_DAYS = 366  # a year, leap day included
CACHE_S = 5.0
CACHE_ENTRIES = 16
# Keys a seat receives of a report (with its own by_seat line).
SEAT_KEYS = ("from", "to", "tz", "shift", "empty", "overall")

# The cache key: (from, to, tz, shift or None).
Query = tuple[str, str, str, str | None]
# A ``GET /kpi`` answer: the report's JSON (app.records.kpi.Report and the keys below), as sent.
Answer = dict[str, object]



async def authorise(store: KpiStore, request: Request, roles: tuple[Role, ...], route: str,
                    what: str) -> PrincipalRow | Response:
    """The principal of the request's bearer token if its role is one of ``roles``, else the answer:
    401 no or an unknown/revoked token, 403 another role, 500 the credentials could not be read."""
    auth = request.headers.get("Authorization", "")
    token = auth[len("Bearer "):] if auth.startswith("Bearer ") else ""
    names = " or ".join(role.value for role in roles)
    if not 10 <= len(token) <= 200:
        return _error(HTTPStatus.UNAUTHORIZED, "unauthorized", f"a {names} token is needed")
    try:
        row = await asyncio.to_thread(store.principal_by_token_hash, token_hash(token))
    except Exception:
        log.exception("%s: could not read the credentials", route)
        return _error(HTTPStatus.INTERNAL_SERVER_ERROR, "internal", "could not check the token")
    if row is None or row.revoked:
        return _error(HTTPStatus.UNAUTHORIZED, "unauthorized", "unknown or revoked token")
    if row.role not in {role.value for role in roles}:
        return _error(HTTPStatus.FORBIDDEN, "forbidden", f"role {row.role} may not {what}")
    return row

class KpiStore(Protocol):
    """What the route needs of the server's :class:`server_stub.store.EventStore`."""

    engine: Engine

    def principal_by_token_hash(self, digest: str) -> PrincipalRow | None: ...


class BadQueryError(Exception):
    """The query string cannot be answered; the message says why (HTTP 400)."""


def _json(status: HTTPStatus, body: object) -> Response:
    data = orjson.dumps(body)
    headers = Headers({"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store",
                       "X-Content-Type-Options": "nosniff", "Content-Length": str(len(data))})
    return Response(status.value, status.phrase, headers, data)


def _error(status: HTTPStatus, code: str, message: str) -> Response:
    return _json(status, {"error": code, "message": message})


def parse_seq(raw: str) -> int:
    """The ``seq`` parameter of a ``GET /kpi`` query string (0 when absent). Pure.

    Raises:
        BadQueryError: not a non-negative integer.
    """
    values = parse_qs(raw, keep_blank_values=True).get("seq", ["0"])
    if len(values) != 1 or not values[0].isdigit() or len(values[0]) > 18:
        raise BadQueryError("seq must be a non-negative integer")
    return int(values[0])


def parse_query(raw: str) -> tuple[Period, str | None]:
    """The period (and the shift, if one was asked for) of a ``GET /kpi`` query string. Pure.

    Raises:
        BadQueryError: a parameter missing, repeated or malformed; the period too long.
    """
    params = parse_qs(raw, keep_blank_values=True)
    for key, values in params.items():
        if key not in ("from", "to", "tz", "shift", "seq"):
            raise BadQueryError(f"unknown parameter {key!r} (from, to, tz, shift, seq)")
        if len(values) != 1:
            raise BadQueryError(f"parameter {key!r} given {len(values)} times")
    one = {key: values[0] for key, values in params.items()}
    tz = one.get("tz", DEFAULT_TZ)
    try:
        if "shift" in one:
            if "from" in one or "to" in one:
                raise BadQueryError("give either shift or from and to, not both")
            try:
                start = datetime.strptime(one["shift"], "%Y-%m-%dT%H:%M")
            except ValueError:
                raise BadQueryError(f"shift must be YYYY-MM-DDTHH:MM, got {one['shift']!r}") from None
            if start.time() not in DEFAULT_SHIFTS:
                starts = ", ".join(f"{s:%H:%M}" for s in DEFAULT_SHIFTS)
                raise BadQueryError(f"no shift starts at {start:%H:%M} (the shifts start at {starts})")
            # A night shift ends on the next day: the period holds both days, the shift filters.
            period = Period.make(start.date(), start.date() + timedelta(days=1), tz)
            return period, f"{start:%Y-%m-%d %H:%M}"
        if "from" not in one or "to" not in one:
            raise BadQueryError("from and to (YYYY-MM-DD) are needed, or shift (YYYY-MM-DDTHH:MM)")
        period = Period.make(one["from"], one["to"], tz)
    except PeriodError as exc:
        raise BadQueryError(str(exc)) from None
    days = (period.last - period.first).days + 1
    if days > MAX_PERIOD_DAYS:
        raise BadQueryError(f"the period has {days} days; at most {MAX_PERIOD_DAYS} may be asked at once")
    return period, None


def read_folded(engine: Engine, period: Period) -> Folded:
    """The log around ``period`` folded, as ``app.records.kpi.kpi_report`` reads it. Blocking."""
    until = period.end + FOLLOW_UP
    registry = read_events(engine, datetime(1970, 1, 1, tzinfo=UTC), until, names=("unit.registered",))
    return fold(chain(registry, read_events(engine, period.start - LOOK_BACK, until)))


def shift_report(folded: Folded, period: Period, shift: str) -> Answer:
    """The KPIs of the calls offered and incidents created in ``shift`` (``Period.shift``'s name):
    ``overall`` and ``by_seat``, with the same formulas as :func:`app.records.kpi.build_report`."""
    calls = sorted((c for c in folded.calls.values() if period.contains(c.offered) and period.shift(c.offered) == shift),
                   key=lambda c: c.offered)
    incidents = sorted((i for i in folded.incidents.values()
                        if period.contains(i.created) and period.shift(i.created) == shift), key=lambda i: i.created)
    by_calls: dict[str | None, list[Call]] = defaultdict(list)
    by_incidents: dict[str | None, list[Incident]] = defaultdict(list)
    for c in calls:
        by_calls[c.seat_id].append(c)
    for i in incidents:
        by_incidents[i.seat_id].append(i)
    seats = sorted(set(by_calls) | set(by_incidents), key=lambda s: (s is None, s or ""))

    def kpis(cs: list[Call], incs: list[Incident]) -> Answer:
        return dict(compute(cs, incs, all_calls=folded.calls, now=folded.last_ts))

    return {
        "from": period.first.isoformat(), "to": period.last.isoformat(), "tz": period.tz.key, "shift": shift,
        "empty": not calls and not incidents, "overall": kpis(calls, incidents),
        "by_seat": [{"seat": s, **kpis(by_calls.get(s, []), by_incidents.get(s, []))} for s in seats],
    }


# Histogram bins (seconds) of the supervisor's distributions: the last bin holds everything longer.
ANSWER_BIN_S, ANSWER_BINS = 2.0, 30  # 0–60 s
PROCESSING_BIN_S, PROCESSING_BINS = 15.0, 24  # 0–6 min


def histogram(values: list[float], width_s: float, bins: int) -> Answer:
    """``{"bin_s", "counts"}``: ``counts[i]`` values in ``[i*bin_s, (i+1)*bin_s)``, the last bin
    open-ended; negative values (a clock that stepped back) are left out, as in the means."""
    counts = [0] * bins
    for v in values:
        if v >= 0:
            counts[min(bins - 1, int(v // width_s))] += 1
    return {"bin_s": width_s, "counts": counts}


def distributions(folded: Folded, period: Period) -> Answer:
    """Answer times of the period's answered calls and call processing times (answered → first
    unit assigned) of its incidents, as histograms: what the means and p90s summarise."""
    answer, processing = [], []
    for c in folded.calls.values():
        if c.answered is not None and period.contains(c.offered):
            answer.append((c.answered - c.offered).total_seconds())
    for i in folded.incidents.values():
        call = folded.calls.get(i.call_id) if i.call_id else None
        if period.contains(i.created) and i.runs and call is not None and call.answered is not None:
            processing.append((min(r.assigned for r in i.runs) - call.answered).total_seconds())
    return {"answer_time_s": histogram(answer, ANSWER_BIN_S, ANSWER_BINS),
            "call_processing_s": histogram(processing, PROCESSING_BIN_S, PROCESSING_BINS)}


def compute_report(engine: Engine, period: Period, shift: str | None) -> Answer:
    """The report ``GET /kpi`` answers a supervisor (with ``distributions``). Blocking (a worker thread).

    Raises:
        sqlalchemy.exc.SQLAlchemyError: the database failed.
    """
    folded = read_folded(engine, period)
    if shift is not None:
        return shift_report(folded, period, shift)
    return {**build_report(folded, period), "distributions": distributions(folded, period)}


def part_for(role: str, principal_id: str, report: Answer) -> Answer:
    """What ``role`` may read of ``report``: a supervisor all; a seat the overall line and its own."""
    if role == Role.SUPERVISOR.value:
        return report
    part = {k: report[k] for k in SEAT_KEYS if k in report}
    lines = cast("list[dict[str, object]]", report["by_seat"])
    part["by_seat"] = [line for line in lines if line.get("seat") == principal_id]
    return part


class KpiRoute:
    """``GET /kpi`` of one server. Loop; the database work goes to worker threads.

    Args:
        store: the server's :class:`server_stub.store.EventStore` (:class:`KpiStore`).
        seq: the last ``seq`` this server has applied (its state's), read on the loop.
        clock: monotonic seconds, for the cache.
    """

    def __init__(self, store: KpiStore, *, seq: Callable[[], int] = lambda: 0,
                 clock: Callable[[], float] = time.monotonic, cache_s: float = CACHE_S) -> None:
        self.store = store
        self.seq = seq
        self.clock = clock
        self.cache_s = cache_s
        # query -> (expires at, the seq the log had reached before it was read, the report)
        self._cache: dict[Query, tuple[float, int, Answer]] = {}
        self._lock = asyncio.Lock()  # one report at a time (module docstring)
        self.computed = 0  # reports computed (not answered from the cache)

    async def serve(self, request: Request) -> Response:
        """Answer one ``GET /kpi`` request. Never raises (see the module docstring for the codes)."""
        row = await authorise(self.store, request, (Role.SEAT, Role.SUPERVISOR), "GET /kpi", "read the KPIs")
        if isinstance(row, Response):
            return row
        try:
            query = urlsplit(request.path).query
            period, shift = parse_query(query)
            seen_seq = parse_seq(query)
        except BadQueryError as exc:
            return _error(HTTPStatus.BAD_REQUEST, "bad_request", str(exc))
        try:
            report = await self.report(period, shift, seen_seq=seen_seq)
        except KpiError as exc:  # not expected from the server's own store; said plainly if it happens
            log.error("GET /kpi: %s", exc)
            return _error(HTTPStatus.INTERNAL_SERVER_ERROR, "internal", str(exc))
        except Exception:
            log.exception("GET /kpi %s..%s (%s): could not compute the report", period.first, period.last, period.tz.key)
            return _error(HTTPStatus.INTERNAL_SERVER_ERROR, "internal", "could not read the event log")
        return _json(HTTPStatus.OK, part_for(row.role, row.id, report))

    async def report(self, period: Period, shift: str | None, *, seen_seq: int = 0) -> Answer:
        """The report of ``period`` (and ``shift``), from the cache if it is younger than ``cache_s``
        and was read after the log reached ``seen_seq``.

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the database failed.
        """
        key: Query = (period.first.isoformat(), period.last.isoformat(), period.tz.key, shift)
        async with self._lock:
            now = self.clock()
            cached = self._cache.get(key)
            if cached is not None and cached[0] > now and cached[1] >= seen_seq:
                return cached[2]
            # The state's seq before the read: the read sees at least the events up to it.
            read_after = self.seq()
            report = await asyncio.to_thread(compute_report, self.store.engine, period, shift)
            self.computed += 1
            now = self.clock()
            self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
            if len(self._cache) >= CACHE_ENTRIES:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = (now + self.cache_s, read_after, report)
            return report


# ------------------------------------------------------------------ GET /kpi/rows
# What fold() reads of each KPI event (app.records.kpi.fold, _fold_incident_event); nothing else
# of an event leaves the server on this route. ``incident.updated`` keeps only ``changes.priority``.
ROW_FIELDS: dict[str, tuple[str, ...]] = {
    "call.received": ("call_id",),
    "call.answered": ("call_id", "seat_id"),
    "call.abandoned": ("call_id",),
    "incident.created": ("incident_id", "seat_id", "call_id", "priority"),
    "incident.updated": ("incident_id",),
    "incident.closed": ("incident_id", "reason"),
    "unit.assigned": ("unit_id", "incident_id"),
    "unit.status_changed": ("unit_id", "incident_id", "status"),
    "triage.completed": ("incident_id", "priority", "determinant", "cpr"),
    "triage.arrest_recognised": ("incident_id", "priority"),
    "cpr.started": ("incident_id",),
    "prenotify.sent": ("incident_id",),
}
# A busy centre writes ~20,000 KPI events a day (widgets/wall_display.py) and a wall asks for two
# days (the report's LOOK_BACK, then today): five times that is a sane bound (~10 MB of JSON).
ROWS_LIMIT = 200_000
# A KPI row as sent: [seq, name, server ts, reduced data].
Row = tuple[int, str, str, dict[str, object]]


def reduce_row(name: str, data: Mapping[str, object]) -> dict[str, object]:
    """The fields of ``data`` that :func:`app.records.kpi.fold` reads for event ``name``. Pure."""
    out = {key: data[key] for key in ROW_FIELDS.get(name, ()) if key in data}
    if name == "incident.updated":
        changes = data.get("changes")
        if isinstance(changes, Mapping) and changes.get("priority") is not None:
            out["changes"] = {"priority": changes["priority"]}
    return out


def parse_rows_query(raw: str) -> tuple[datetime, int]:
    """``from`` (an ISO time with its offset, ``Z`` for UTC) and ``through_seq`` of a
    ``GET /kpi/rows`` query string. Pure.

    Raises:
        BadQueryError: a parameter missing, repeated, unknown or malformed.
    """
    params = parse_qs(raw, keep_blank_values=True)
    for key, values in params.items():
        if key not in ("from", "through_seq"):
            raise BadQueryError(f"unknown parameter {key!r} (from, through_seq)")
        if len(values) != 1:
            raise BadQueryError(f"parameter {key!r} given {len(values)} times")
    if "from" not in params or "through_seq" not in params:
        raise BadQueryError("from (an ISO time such as 2026-12-04T16:00:00Z) and through_seq are needed")
    text, seq = params["from"][0], params["through_seq"][0]
    try:
        since = parse_ts(text) if len(text) <= 40 else None
    except ValueError:
        since = None
    if since is None or since.tzinfo is None:
        raise BadQueryError(f"from must be an ISO time with its offset (2026-12-04T16:00:00Z), got {text[:40]!r}")
    if not seq.isdigit() or len(seq) > 18:
        raise BadQueryError("through_seq must be a non-negative integer")
    return since.astimezone(UTC), int(seq)


def read_rows(engine: Engine, since: datetime, through_seq: int, limit: int = ROWS_LIMIT) -> list[Row] | None:
    """The KPI events with ``ts >= since`` and ``seq <= through_seq``, reduced (:func:`reduce_row`),
    in ``seq`` order; None if there are more than ``limit``. Blocking (a worker thread).

    Raises:
        sqlalchemy.exc.SQLAlchemyError: the database failed.
    """
    from sqlalchemy import select

    from server_stub.schema import events_table as events

    query = (
        select(events.c.seq, events.c.name, events.c.ts, events.c.data)
        .where(events.c.seq <= through_seq, events.c.ts >= format_ts(since), events.c.name.in_(tuple(ROW_FIELDS)))
        .order_by(events.c.seq)
        .limit(limit + 1)
    )
    rows: list[Row] = []
    with engine.connect() as conn:
        for seq, name, ts, data in conn.execute(query):
            if len(rows) == limit:
                return None
            # SQLite may hand back the JSON text; the JSON column type usually decodes it.
            decoded = cast("Mapping[str, object]", orjson.loads(data) if isinstance(data, str | bytes) else data)
            rows.append((cast("int", seq), str(name), str(ts), reduce_row(str(name), decoded)))
    return rows


class KpiRowsRoute:
    """``GET /kpi/rows`` of one server (walls and supervisors). Loop; the reading goes to a worker
    thread, one read at a time (a wall restarts rarely; two at once need not read twice as fast)."""

    def __init__(self, store: KpiStore, *, limit: int = ROWS_LIMIT) -> None:
        self.store = store
        self.limit = limit
        self._lock = asyncio.Lock()

    async def serve(self, request: Request) -> Response:
        """Answer one request. Never raises: 401/403 as ``GET /kpi`` (only a wall or a supervisor),
        400 bad parameters or more than ``limit`` rows, 500 the database failed."""
        row = await authorise(self.store, request, (Role.WALL, Role.SUPERVISOR), "GET /kpi/rows",
                              "read the KPI events")
        if isinstance(row, Response):
            return row
        try:
            since, through_seq = parse_rows_query(urlsplit(request.path).query)
        except BadQueryError as exc:
            return _error(HTTPStatus.BAD_REQUEST, "bad_request", str(exc))
        try:
            async with self._lock:
                rows = await asyncio.to_thread(read_rows, self.store.engine, since, through_seq, self.limit)
        except Exception:
            log.exception("GET /kpi/rows from %s through %d: could not read the events", format_ts(since), through_seq)
            return _error(HTTPStatus.INTERNAL_SERVER_ERROR, "internal", "could not read the event log")
        if rows is None:
            return _error(HTTPStatus.BAD_REQUEST, "too_many_rows",
                          f"more than {self.limit} KPI events from {format_ts(since)} through seq {through_seq}; "
                          "ask for a later from")
        return _json(HTTPStatus.OK, {"from": format_ts(since), "through_seq": through_seq, "rows": rows})


# ------------------------------------------------------------------ GET /records/incident/<id>
RECORD_PREFIX = "/records/incident/"
TRACK_PREFIX = "/records/track/"


def log_name(store: EventStore) -> str:
    """What ``app.records.kpi.open_log`` opens for the server's store: its file, or its URL."""
    if store.dialect == "sqlite":
        return str(store.path)
    return str(store.url.render_as_string(hide_password=False))


class RecordRoute:
    """``GET /records/incident/<id>`` and ``GET /records/track/<id>`` of one server (supervisors). Loop;
    the reading goes to a worker thread."""

    def __init__(self, store: EventStore) -> None:
        self.store = store

    async def serve(self, request: Request) -> Response:
        """Answer one request. Never raises: 401/403 as ``GET /kpi`` (only a supervisor may read),
        400 a bad id, language or zone, or an id prefix naming several incidents, 404 no such incident,
        500 the database failed."""
        row = await authorise(self.store, request, (Role.SUPERVISOR,), "GET /records", "read incident records")
        if isinstance(row, Response):
            return row
        parts = urlsplit(request.path)
        params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        lang, tz = params.get("lang", "zh"), params.get("tz", DEFAULT_TZ)
        read: Callable[[], object]
        if parts.path.startswith(TRACK_PREFIX):
            incident_id = parts.path[len(TRACK_PREFIX):]
            read = functools.partial(read_track, log_name(self.store), incident_id, tz=tz)
        elif parts.path.startswith(RECORD_PREFIX):
            incident_id = parts.path[len(RECORD_PREFIX):]
            read = functools.partial(read_incident, log_name(self.store), incident_id, lang=lang, tz=tz)
        else:
            return _error(HTTPStatus.NOT_FOUND, "not_found", f"no such record: {parts.path[:80]}")
        try:
            record = cast("dict[str, object]", await asyncio.to_thread(read))
        except IncidentNotFoundError as exc:
            return _error(HTTPStatus.NOT_FOUND, "not_found", str(exc))
        except (AmbiguousIncidentError, PeriodError) as exc:
            return _error(HTTPStatus.BAD_REQUEST, "bad_request", str(exc))
        except Exception:
            log.exception("GET /records/incident/%s: could not read the record", incident_id[:40])
            return _error(HTTPStatus.INTERNAL_SERVER_ERROR, "internal", "could not read the event log")
        log.info("incident %s %s read by %s", "track" if parts.path.startswith(TRACK_PREFIX) else "record",
                 record["incident_id"], row.id)
        return _json(HTTPStatus.OK, record)
