"""Fetch the KPI report from the server: ``GET /kpi`` with a seat's or a supervisor's token.

The server computes it from its event log (``server_stub/kpi_route.py``, formulas in
``docs/kpi.md``); a seat receives the centre's overall line and its own ``by_seat`` line, a
supervisor the whole report. Also the shift arithmetic a client needs to ask for "my shift".

Blocking (urllib): call :func:`fetch_kpi` from a worker thread, never the GUI thread.
"""

from __future__ import annotations

import ssl
import urllib.parse
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import orjson

from app.records.periods import DEFAULT_SHIFTS, DEFAULT_TZ, Period
from app.seat.media import MediaError, authenticated_get, server_http_url

KPI_MAX_BYTES = 64 * 1024 * 1024  # a year's report by day, seat and determinant is a few MB

# The national targets and the centre's own, by KPI key: (target, "min" or "max"). A rate is a
# fraction (0.95), a duration seconds. Call processing and first compression are the centre's
# own targets (AHA T-CPR: first compression within 60 s of answering; processing within 60 s).
TARGETS: dict[str, tuple[float, str]] = {
    "answered_within_10s_rate": (0.95, "min"),
    "departure_within_3min_rate": (0.95, "min"),
    "call_processing_s": (60.0, "max"),
    "time_to_first_compression_s": (60.0, "max"),
}


# A report or a record as the server answered it (JSON object); its keys are in docs/protocol.md §18.
Json = dict[str, object]


class KpiFetchError(Exception):
    """The report could not be fetched. ``status``: the HTTP status of a refusal (400, 401, 403,
    500), None for a network failure or an answer that is not a report; the message is the
    server's when it gave one."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Shift:
    """One shift: ``name`` as the server names it (``2026-12-05 20:00``), its local start and end."""

    name: str
    start: datetime
    end: datetime

    @property
    def query(self) -> str:
        """The ``shift`` parameter of ``GET /kpi`` (``2026-12-05T20:00``)."""
        return self.name.replace(" ", "T")


def current_shift(now: datetime, tz: str = DEFAULT_TZ) -> Shift:
    """The shift ``now`` (aware) falls in, by the centre's shift starts (``app.records.periods``)."""
    period = Period.make("2000-01-01", "2000-01-01", tz)
    name = period.shift(now)
    start = datetime.strptime(name, "%Y-%m-%d %H:%M").replace(tzinfo=period.tz)
    starts = list(DEFAULT_SHIFTS)
    index = starts.index(start.time())
    if index + 1 < len(starts):
        end = datetime.combine(start.date(), starts[index + 1], period.tz)
    else:
        end = datetime.combine(start.date() + timedelta(days=1), starts[0], period.tz)
    return Shift(name, start, end)


def kpi_url(server_url: str, *, first: date | None = None, last: date | None = None,
            tz: str = DEFAULT_TZ, shift: Shift | None = None, seq: int = 0) -> str:
    """``ws://host:port/ws`` → ``http://host:port/kpi?…`` (``wss`` → ``https``). Raises ValueError."""
    params: dict[str, str] = {"tz": tz}
    if seq:
        params["seq"] = str(seq)
    if shift is not None:
        params["shift"] = shift.query
    elif first is not None and last is not None:
        params["from"], params["to"] = first.isoformat(), last.isoformat()
    else:
        raise ValueError("a shift, or first and last days, are needed")
    return server_http_url(server_url, "/kpi?" + urllib.parse.urlencode(params))


def fetch_kpi(server_url: str, token: str, *, first: date | None = None, last: date | None = None,
              tz: str = DEFAULT_TZ, shift: Shift | None = None, seq: int = 0, timeout: float = 60.0,
              context: ssl.SSLContext | None = None) -> Json:
    """The report (or the caller's part of it) of ``first``..``last`` or of ``shift``. Blocking; worker thread.

    ``seq``: the last event seq the caller has seen; the answer includes at least the events up to it.

    Raises:
        KpiFetchError: refused (400 bad period, 401, 403), the server failed (500), the network
            failed, or the answer is not a report.
        ValueError: ``server_url`` is not a ws:// or wss:// URL.
    """
    url = kpi_url(server_url, first=first, last=last, tz=tz, shift=shift, seq=seq)
    report = _get_json(url, token, "KPI report", timeout, context)
    if not isinstance(report.get("overall"), dict) or not isinstance(report.get("by_seat"), list):
        raise KpiFetchError("KPI report: the answer is not a report")
    return report


def fetch_record(server_url: str, token: str, incident_id: str, *, lang: str = "zh", tz: str = DEFAULT_TZ,
                 timeout: float = 60.0, context: ssl.SSLContext | None = None) -> Json:
    """One incident's full record (``GET /records/incident/<id>``, supervisors). Blocking; worker thread.

    Raises:
        KpiFetchError: refused (400 bad or ambiguous id, 401, 403, 404 no such incident), the server
            failed, the network failed, or the answer is not a record.
        ValueError: ``server_url`` is not a ws:// or wss:// URL.
    """
    query = urllib.parse.urlencode({"lang": lang, "tz": tz})
    url = server_http_url(server_url, f"/records/incident/{urllib.parse.quote(incident_id.strip(), safe='')}?{query}")
    record = _get_json(url, token, "incident record", timeout, context)
    if not isinstance(record.get("timeline"), list):
        raise KpiFetchError("incident record: the answer is not a record")
    return record


def fetch_track(server_url: str, token: str, incident_id: str, *, tz: str = DEFAULT_TZ, timeout: float = 60.0,
                context: ssl.SSLContext | None = None) -> Json:
    """One incident's track for playback (``GET /records/track/<id>``, supervisors). Blocking; worker thread.

    Raises:
        KpiFetchError: as :func:`fetch_record`, or the answer is not a track.
        ValueError: ``server_url`` is not a ws:// or wss:// URL.
    """
    query = urllib.parse.urlencode({"tz": tz})
    url = server_http_url(server_url, f"/records/track/{urllib.parse.quote(incident_id.strip(), safe='')}?{query}")
    track = _get_json(url, token, "incident track", timeout, context)
    if not isinstance(track.get("units"), list) or not isinstance(track.get("start_t"), int | float):
        raise KpiFetchError("incident track: the answer is not a track")
    return track


def _get_json(url: str, token: str, what: str, timeout: float, context: ssl.SSLContext | None) -> Json:
    try:
        _type, body = authenticated_get(url, token, what=what, max_bytes=KPI_MAX_BYTES, timeout=timeout,
                                        context=context, accept="application/json")
    except MediaError as exc:
        if exc.status is not None:  # the server refused: its own explanation
            raise KpiFetchError(f"{what}: HTTP {exc.status}: {exc.detail}", status=exc.status) from None
        raise KpiFetchError(str(exc)) from None  # network failure, or larger than KPI_MAX_BYTES
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise KpiFetchError(f"{what}: the answer is not JSON") from None
    if not isinstance(data, dict):
        raise KpiFetchError(f"{what}: the answer is not a JSON object")
    return data


def meets(key: str, value: float | None) -> bool | None:
    """Whether ``value`` of KPI ``key`` meets its target in :data:`TARGETS`; None: no value or no target."""
    if value is None or key not in TARGETS:
        return None
    target, way = TARGETS[key]
    return value >= target if way == "min" else value <= target
