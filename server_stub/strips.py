"""ECG strips: cut from a unit's recent lead II, stored in the ``strips`` table beside the log.

A strip's samples are big (60 s at 500 Hz = 30,000 integers), so they are not events:
the table ``strips`` in the centre's database holds them, and the event
``telemetry.strip_stored`` (``app/domain/telemetry.py``) says that a strip exists and
attaches it to the unit's current incident. The row is written first, then the event:
a crash in between leaves a row no event points to (harmless), never an event
pointing to nothing.

* :func:`cut_strip` — pure: the last ``seconds`` of contiguous chunks as one strip.
* :class:`StripStore` — the table; blocking SQLite calls (run them with
  ``asyncio.to_thread`` from the loop). Raises ``sqlalchemy.exc.SQLAlchemyError``.
* :func:`serve_strip` — ``GET /strips/<strip_id>`` on the server's websocket port (websockets'
  ``process_request``, like the caller link's ``/media/``): a seat fetches a strip's samples.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import orjson
from sqlalchemy import select
from sqlalchemy.engine import Engine
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from app.domain.model import Role
from app.protocol.telemetry import chunk_tolerance_ms, parse_epoch
from server_stub.auth import token_hash
from server_stub.schema import strips_table
from server_stub.store import insert_ignoring_duplicates

log = logging.getLogger(__name__)

# uuid5 namespace of strips cut for a command: the same command id always names the same strip,
# so a command sent twice (a seat's outbox after a reconnect) stores one strip.
STRIP_NAMESPACE = uuid.UUID("5f0c9b1e-7a2d-4e3f-9c6b-1d2e3f4a5b6c")

@dataclass(frozen=True)
class Strip:
    strip_id: str
    channel: str
    start: str
    period_ms: float
    factor: float
    origin: int
    unit: str
    samples: list[int]
    reason: str
    alarm_code: str | None = None

    @property
    def seconds(self) -> float:
        return round(len(self.samples) * self.period_ms / 1000.0, 3)

    def meta(self) -> dict[str, Any]:
        """What the event says about it (see ``app.domain.telemetry.decide_strip``)."""
        return {"strip_id": self.strip_id, "start": self.start, "seconds": self.seconds, "channel": self.channel,
                "reason": self.reason, "alarm_code": self.alarm_code}


def _iso(epoch_s: float) -> str:
    moment = datetime.fromtimestamp(epoch_s, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def cut_strip(chunks: list[Any], seconds: float, *, strip_id: str, reason: str,
              alarm_code: str | None = None) -> Strip | None:
    """The last ``seconds`` of the newest run of contiguous, alike chunks (oldest first); None if none.

    ``chunks`` are :class:`server_stub.telemetry.EcgChunk` (``start``, ``end``, ``data``). A gap
    or a change of rate/scale ends the run: a strip is never spliced across a gap.
    """
    if not chunks:
        return None
    last = chunks[-1].data
    run = [chunks[-1]]
    for chunk in reversed(chunks[:-1]):
        d = chunk.data
        alike = (d["period_ms"], d["factor"], d["origin"], d["channel"]) == (
            last["period_ms"], last["factor"], last["origin"], last["channel"])
        if not alike or abs(run[0].start - chunk.end) * 1000 > chunk_tolerance_ms(d["period_ms"]):
            break
        run.insert(0, chunk)
    samples = [s for c in run for s in c.data["samples"]]
    keep = max(1, int(round(seconds * 1000.0 / last["period_ms"])))
    dropped = max(0, len(samples) - keep)
    samples = samples[dropped:]
    if not samples:
        return None
    start = parse_epoch(run[0].data["start"]) + dropped * last["period_ms"] / 1000.0
    return Strip(strip_id, last["channel"], _iso(start), last["period_ms"], last["factor"], last["origin"],
                 last["unit"], samples, reason, alarm_code)


def strip_id_for_command(command_id: str) -> str:
    return str(uuid.uuid5(STRIP_NAMESPACE, command_id))


class StripStore:
    """The ``strips`` table in the centre's database (made by its migrations, see
    :mod:`server_stub.schema`). Blocking calls."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def save(self, strip: Strip, *, unit_id: str, incident_id: str) -> None:
        """Store ``strip`` (a strip id already stored is kept as it was: first write wins)."""
        row = {
            "strip_id": strip.strip_id, "unit_id": unit_id, "incident_id": incident_id, "channel": strip.channel,
            "start": strip.start, "seconds": strip.seconds, "period_ms": strip.period_ms, "factor": strip.factor,
            "origin": strip.origin, "unit": strip.unit, "samples": orjson.dumps(strip.samples),
            "reason": strip.reason, "alarm_code": strip.alarm_code,
            "created_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
        }
        with self.engine.begin() as conn:
            conn.execute(insert_ignoring_duplicates(self.engine.dialect.name, strips_table).values(**row))

    def get(self, strip_id: str) -> dict[str, Any] | None:
        """The stored strip with its samples (a list of int), or None."""
        with self.engine.connect() as conn:
            row = conn.execute(select(strips_table).where(strips_table.c.strip_id == strip_id)).mappings().first()
        if row is None:
            return None
        return {**row, "samples": orjson.loads(row["samples"])}


# ------------------------------------------------------------------ HTTP: GET /strips/<strip_id>
STRIPS_PREFIX = "/strips/"
# The fields a seat gets (the row minus the bookkeeping: reason, alarm code and creation time are in the event).
STRIP_FIELDS = ("strip_id", "unit_id", "incident_id", "channel", "start", "period_ms", "factor", "origin", "unit",
                "samples")


def _json(status: HTTPStatus, body: dict[str, Any]) -> Response:
    data = orjson.dumps(body)
    headers = Headers({"Content-Type": "application/json", "Cache-Control": "no-store",
                       "X-Content-Type-Options": "nosniff", "Content-Length": str(len(data))})
    return Response(status.value, status.phrase, headers, data)


def _may_read(role: str, hospital_id: str | None, incident: dict[str, Any] | None) -> bool:
    """A seat (or admin) reads every strip; a hospital only those of incidents sent or pre-notified to it."""
    if role in (Role.SEAT.value, Role.ADMIN.value):
        return True
    if role != Role.HOSPITAL.value or not hospital_id or incident is None:
        return False
    if (incident.get("destination") or {}).get("hospital_id") == hospital_id:
        return True
    return any(p.get("hospital_id") == hospital_id for p in incident.get("prenotifications") or ())


async def serve_strip(store: Any, strip_store: StripStore, incidents: dict[str, Any], request: Request) -> Response:
    """``GET /strips/<strip_id>`` with ``Authorization: Bearer <seat or hospital token>`` → the strip as JSON.

    ``store`` is the server's :class:`server_stub.store.Store` (principals), ``incidents`` the
    projection's incidents (read on the loop). Loop; the database reads go to worker threads.
    Never raises: 401 without a valid seat/hospital token, 404 for an unknown id, 500 if the
    database fails.
    """
    strip_id = urlsplit(request.path).path[len(STRIPS_PREFIX):]
    auth = request.headers.get("Authorization", "")
    token = auth[len("Bearer "):] if auth.startswith("Bearer ") else ""
    if not 10 <= len(token) <= 200:
        return _json(HTTPStatus.UNAUTHORIZED, {"error": "unauthorized", "message": "a seat token is needed"})
    try:
        row = await asyncio.to_thread(store.principal_by_token_hash, token_hash(token))
        if row is None or row.revoked or row.role not in (Role.SEAT.value, Role.ADMIN.value, Role.HOSPITAL.value):
            return _json(HTTPStatus.UNAUTHORIZED, {"error": "unauthorized", "message": "unknown or revoked token"})
        try:
            uuid.UUID(strip_id)
        except ValueError:
            return _json(HTTPStatus.NOT_FOUND, {"error": "not_found", "message": "no such strip"})
        found = await asyncio.to_thread(strip_store.get, strip_id)
    except Exception:
        log.exception("could not read ECG strip %s", strip_id)
        return _json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": "internal", "message": "could not read the strip"})
    if found is None or not _may_read(row.role, row.unit_id, incidents.get(found["incident_id"])):
        return _json(HTTPStatus.NOT_FOUND, {"error": "not_found", "message": "no such strip"})
    return _json(HTTPStatus.OK, {k: found[k] for k in STRIP_FIELDS})
