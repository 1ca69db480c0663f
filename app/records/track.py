"""An incident's track for playback: where its ambulances were, their statuses, the caller's locations.

* :func:`read_track` reads the incident's record (:func:`app.records.incident.read_incident`:
  the units' status changes and the locations, from the event log) and the positions the
  server kept in ``unit_positions`` (``server_stub/track.py``), and returns a :class:`Track`
  (JSON-able; ``dispatch120 records track --json`` prints it, ``GET /records/track/<id>``
  answers it, ``widgets/track_playback.py`` plays it).
* :func:`position_at` and :func:`status_at` say where a unit was and what it was doing at a
  moment of the playback: the pure part, tested alone.

**One time axis.** Events carry the server's time; positions carry the device's time of the
fix and the server's time of receipt. A device clock may be off (the server accepts up to
its ``--max-device-clock-skew``), and a device that was out of coverage sends its backlog
late, so neither time alone is right for the map. Each position is placed at its device time
plus the unit's *median* offset (receipt − device) over the incident: a constant skew is
removed, a late backlog keeps its spacing. Every ``t`` in a track is POSIX seconds on the
server's clock.

No Qt, no server package, no clock.
"""

from __future__ import annotations

import bisect
import math
import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TypedDict, cast

from app.records.incident import Record, read_incident
from app.records.kpi import DEFAULT_TZ, LogUnreadableError, open_log, parse_ts


class TrackPoint(TypedDict):
    t: float  # POSIX s, server clock (module docstring)
    lat: float
    lon: float
    speed_mps: float | None
    heading_deg: float | None
    device_ts: str
    server_ts: str


class StatusPoint(TypedDict):
    t: float
    status: str
    at: str  # the event's server timestamp


class UnitTrack(TypedDict):
    unit_id: str
    call_sign: str | None
    assigned_t: float | None
    statuses: list[StatusPoint]
    clock_offset_s: float | None  # median receipt − device time of its positions
    positions: list[TrackPoint]


class CallerLocation(TypedDict):
    t: float
    lat: float
    lon: float
    accuracy_m: float | None
    source: str | None
    kind: str  # "candidate" (switch, caller link) or "located" (where the dispatcher put the incident)


class Track(TypedDict):
    incident_id: str
    tz: str
    address: str | None
    priority: int | None
    start_t: float  # the first moment of the playback (the first call or the incident's creation)
    end_t: float  # the last (the last event or position)
    units: list[UnitTrack]
    caller_locations: list[CallerLocation]


def _epoch(ts: str) -> float:
    return parse_ts(ts).timestamp()


class PositionRow(TypedDict):
    """One stored ``unit_positions`` row as :func:`read_positions` gives it."""

    unit_id: str
    device_ts: str
    server_ts: str
    lat: float
    lon: float
    speed_mps: float | None
    heading_deg: float | None


def place_positions(rows: Sequence[PositionRow]) -> tuple[list[TrackPoint], float | None]:
    """One unit's stored positions on the server's time axis, in time order, and the offset used.

    ``rows``: ``unit_positions`` rows (device_ts, server_ts, lat, lon, speed_mps, heading_deg).
    """
    if not rows:
        return [], None
    offsets = [_epoch(str(r["server_ts"])) - _epoch(str(r["device_ts"])) for r in rows]
    offset = statistics.median(offsets)
    points: list[TrackPoint] = [{
        "t": round(_epoch(str(r["device_ts"])) + offset, 3), "lat": float(r["lat"]), "lon": float(r["lon"]),
        "speed_mps": r.get("speed_mps"), "heading_deg": r.get("heading_deg"),
        "device_ts": str(r["device_ts"]), "server_ts": str(r["server_ts"]),
    } for r in rows]
    points.sort(key=lambda p: p["t"])
    return points, round(offset, 3)


def _bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial great-circle bearing from point 1 to point 2, degrees clockwise from north."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dlon = math.radians(lon2 - lon1)
    y = math.sin(dlon) * math.cos(phi2)
    x = math.cos(phi1) * math.sin(phi2) - math.sin(phi1) * math.cos(phi2) * math.cos(dlon)
    return (math.degrees(math.atan2(y, x)) + 360.0) % 360.0


def position_at(points: Sequence[TrackPoint], t: float,
                times: Sequence[float] | None = None) -> tuple[float, float, float | None] | None:
    """Where a unit was at ``t``: ``(lat, lon, heading_deg)``, linearly interpolated between the two
    kept positions around ``t``; the last position after the last one; None before the first
    (the unit's whereabouts were not recorded yet). ``times`` (``[p["t"] for p in points]``) may be
    passed to avoid rebuilding it on every frame. The heading is the device's, or the bearing of
    the segment when the device gave none.
    """
    if not points:
        return None
    ts = times if times is not None else [p["t"] for p in points]
    i = bisect.bisect_right(ts, t)
    if i == 0:
        return None
    a = points[i - 1]
    if i == len(points) or ts[i - 1] == t:
        lat, lon = a["lat"], a["lon"]
    else:
        f = (t - ts[i - 1]) / (ts[i] - ts[i - 1])
        lat = a["lat"] + (points[i]["lat"] - a["lat"]) * f
        lon = a["lon"] + (points[i]["lon"] - a["lon"]) * f
    heading = a["heading_deg"]
    if heading is None and len(points) >= 2:
        # The segment the unit is on (or, after its last fix, the one it arrived by).
        start, end = (points[i - 1], points[i]) if i < len(points) else (points[i - 2], points[i - 1])
        if (start["lat"], start["lon"]) != (end["lat"], end["lon"]):
            heading = round(_bearing_deg(start["lat"], start["lon"], end["lat"], end["lon"]), 1)
    return lat, lon, heading


def status_at(statuses: Sequence[StatusPoint], t: float) -> str | None:
    """The unit's status at ``t`` (the last change at or before it); None before the first."""
    current = None
    for s in statuses:
        if s["t"] > t:
            break
        current = s["status"]
    return current


def build_track(record: Record, rows_by_unit: Mapping[str, Sequence[PositionRow]]) -> Track:
    """The track of an incident from its record (``read_incident``) and its stored positions per unit."""
    incident = record["incident"]
    units: list[UnitTrack] = []
    moments: list[float] = []
    for u in record["units"]:
        points, offset = place_positions(rows_by_unit.get(u["unit_id"], ()))
        statuses: list[StatusPoint] = []
        if u.get("assigned_at"):
            statuses.append({"t": _epoch(u["assigned_at"]), "status": "dispatched", "at": u["assigned_at"]})
        statuses += [{"t": _epoch(s["at"]), "status": s["status"], "at": s["at"]} for s in u["statuses"]]
        statuses.sort(key=lambda s: s["t"])
        moments += [s["t"] for s in statuses] + [p["t"] for p in points[:1] + points[-1:]]
        units.append({"unit_id": u["unit_id"], "call_sign": u.get("call_sign"),
                      "assigned_t": _epoch(u["assigned_at"]) if u.get("assigned_at") else None,
                      "statuses": statuses, "clock_offset_s": offset, "positions": points})
    callers: list[CallerLocation] = []
    for loc in record["locations"]:
        if loc.get("lat") is None or loc.get("lon") is None or not loc.get("at"):
            continue
        try:
            t = _epoch(str(loc["at"]))
        except ValueError:
            continue
        callers.append({"t": t, "lat": float(loc["lat"]), "lon": float(loc["lon"]),
                        "accuracy_m": loc.get("accuracy_m"), "source": loc.get("source"), "kind": str(loc["kind"])})
    callers.sort(key=lambda c: c["t"])
    moments += [c["t"] for c in callers]
    calls = [_epoch(c["received_at"]) for c in record["calls"] if c.get("received_at")]
    start = min([*calls, _epoch(incident["created_at"])])
    end = max([start, _epoch(record["last_ts"]), *moments])
    return {"incident_id": record["incident_id"], "tz": record["tz"], "address": incident.get("address"),
            "priority": incident.get("priority"), "start_t": start, "end_t": end, "units": units,
            "caller_locations": callers}


_COLUMNS = ("unit_id", "device_ts", "server_ts", "lat", "lon", "speed_mps", "heading_deg")


def read_positions(db: str | Path, incident_id: str) -> dict[str, list[PositionRow]]:
    """The stored positions of an incident by unit, in device-time order; {} when the database has
    no ``unit_positions`` table (a server before track recording).

    Raises:
        LogUnreadableError, LogNewerError.
    """
    from sqlalchemy import column, inspect, select, table
    from sqlalchemy.exc import SQLAlchemyError

    positions = table("unit_positions", column("incident_id"), *(column(c) for c in _COLUMNS))
    engine = open_log(db)
    try:
        with engine.connect() as conn:
            if "unit_positions" not in inspect(conn).get_table_names():
                return {}
            query = (select(*(positions.c[c] for c in _COLUMNS)).where(positions.c.incident_id == incident_id)
                     .order_by(positions.c.unit_id, positions.c.device_ts))
            out: dict[str, list[PositionRow]] = {}
            for row in conn.execute(query).mappings():
                out.setdefault(str(row["unit_id"]), []).append(cast(PositionRow, dict(row)))
            return out
    except SQLAlchemyError as exc:
        raise LogUnreadableError(f"cannot read the positions: {exc.__class__.__name__}: {exc}") from None
    finally:
        engine.dispose()


def read_track(db: str | Path, incident_id: str, *, tz: str = DEFAULT_TZ) -> Track:
    """The track of one incident (``incident_id``: its id or an id prefix, as ``records show``).

    Raises:
        IncidentNotFoundError, AmbiguousIncidentError, PeriodError, LogUnreadableError,
        LogNewerError (all :class:`app.records.kpi.KpiError`).
    """
    record = read_incident(db, incident_id, tz=tz)
    return build_track(record, read_positions(db, str(record["incident_id"])))
