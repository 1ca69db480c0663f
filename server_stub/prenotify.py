"""Hospital pre-notification on the server: assemble, store, deliver to that hospital only.

``prenotify.send`` (a seat) → :meth:`PrenotifyDesk.send`:

1. the package is assembled from what only the server holds: the unit's last vitals
   (the telemetry router), an ECG strip (the incident's last stored strip of that unit,
   else the last :data:`LIVE_ECG_S` s of the router's lead II), the incident's triage
   result and priority, the hospital's name — plus the seat's summary and ETA;
2. its row goes to the ``prenotifications`` table (samples are big: not the log);
3. :func:`app.domain.prenotify.decide_send` appends ``prenotify.sent`` through the
   server's command path (a refusal leaves a row no event points to: never shown).

Delivery (:meth:`PrenotifyDesk.deliver`, after the command bus sent the events): hospital
consoles get no events at all, only ``prenotify_package`` frames of their own hospital —
when one is sent, when it is acknowledged, and the latest :data:`RECENT` on connect
(:meth:`PrenotifyDesk.frames_on_connect`, sent by server_stub/connection.py).

Everything runs on the server's loop; database calls go through ``asyncio.to_thread``.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import desc, select
from sqlalchemy.engine import Engine

from app.domain.common import Principal
from app.domain.prenotify import decide_send, resolve_unit
from app.protocol import ProtocolError, encode, now_iso
from app.protocol.prenotify import hospital_of, prenotify_package
from app.protocol.telemetry import CHANNELS, StripReason
from server_stub.clients import Client
from server_stub.ports import DeskPort
from server_stub.schema import prenotify_table
from server_stub.store import insert_ignoring_duplicates
from server_stub.strips import StripStore, cut_strip
from server_stub.telemetry import TelemetryRouter

log = logging.getLogger("server_stub.prenotify")

PRENOTIFY_NAMESPACE = uuid.UUID("2b7e4c1d-9a3f-4e6b-8d2c-5f1a0e9b7c64")
LIVE_ECG_S = 10.0
RECENT = 50  # packages a console gets when it connects
CACHE = 200  # packages kept in memory for delivery


def prenotify_id_for_command(command_id: str) -> str:
    """The same command id always names the same pre-notification (a re-sent outbox stores one)."""
    return str(uuid.uuid5(PRENOTIFY_NAMESPACE, command_id))


def vitals_from_frame(frame: str | None) -> dict[str, Any] | None:
    """The router's last ``unit_telemetry`` vitals frame as ``{"t", <vital>: value, ...}``."""
    if not frame:
        return None
    msg = orjson.loads(frame)
    values = {k: v for k, v in msg["data"].items() if v is not None}
    return {"t": msg["t"], **values} if values else None


def ecg_from_strip(strip: dict[str, Any]) -> dict[str, Any]:
    """A stored strip row (or a cut :class:`Strip`'s fields) as the package's ``ecg``."""
    return {
        "channel": strip["channel"],
        "mdc_code": CHANNELS[strip["channel"]][0],
        "start": strip["start"],
        "period_ms": strip["period_ms"],
        "factor": strip["factor"],
        "origin": strip["origin"],
        "unit": strip["unit"],
        "samples": list(strip["samples"]),
        "strip_id": strip.get("strip_id"),
    }


def assemble(
    state: Any,
    who: Principal,
    args: dict[str, Any],
    *,
    prenotify_id: str,
    unit_id: str | None,
    vitals: dict[str, Any] | None,
    ecg: dict[str, Any] | None,
    sent_at: str,
) -> dict[str, Any]:
    """The package (``app.protocol.prenotify.PACKAGE``). Pure; the caller checked the incident."""
    incident = state.incidents[args["incident_id"]]
    hospital = state.hospitals.get(args["hospital_id"]) or {}
    unit = state.units.get(unit_id or "") or {}
    result = (incident.get("triage") or {}).get("result")
    triage = None
    if result:
        triage = {k: result.get(k) for k in ("determinant", "priority", "plan", "capability", "protocol", "at")}
    return {
        "prenotify_id": prenotify_id,
        "incident_id": args["incident_id"],
        "hospital_id": args["hospital_id"],
        "hospital_name": hospital.get("name") or args["hospital_id"],
        "unit_id": unit_id,
        "call_sign": unit.get("call_sign"),
        "sent_at": sent_at,
        "sent_by": who.id,
        "eta_s": args.get("eta_s"),
        "summary": dict(args["summary"]),
        "priority": incident.get("priority"),
        "triage": triage,
        "vitals": vitals,
        "ecg": ecg if args["include_ecg"] else None,
    }


class PrenotifyDesk:
    """The ``prenotifications`` table and the delivery to hospital consoles. Loop thread."""

    def __init__(self, port: DeskPort, engine: Engine, telemetry: TelemetryRouter, strips: StripStore) -> None:
        self.port = port
        self.telemetry = telemetry
        self.strips = strips
        self.engine = engine  # its table ``prenotifications`` is made by the migrations (server_stub/schema.py)
        self._cache: OrderedDict[str, dict[str, Any]] = OrderedDict()

    # ------------------------------------------------------------ table (blocking)
    def save(self, package: dict[str, Any]) -> None:
        """Store a package (first write wins: a re-sent command keeps the first)."""
        row = {
            "prenotify_id": package["prenotify_id"], "hospital_id": package["hospital_id"],
            "incident_id": package["incident_id"], "package": orjson.dumps(package),
            "created_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
        }
        with self.engine.begin() as conn:
            conn.execute(insert_ignoring_duplicates(self.engine.dialect.name, prenotify_table).values(**row))

    def get(self, prenotify_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            blob = conn.execute(
                select(prenotify_table.c.package).where(prenotify_table.c.prenotify_id == prenotify_id)
            ).scalar()
        return None if blob is None else orjson.loads(blob)

    def recent_for(self, hospital_id: str, limit: int = RECENT) -> list[dict[str, Any]]:
        """The hospital's latest packages, oldest first (rows no event points to included: filter them)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(prenotify_table.c.package)
                .where(prenotify_table.c.hospital_id == hospital_id)
                .order_by(desc(prenotify_table.c.created_at))
                .limit(limit)
            ).scalars().all()
        return [orjson.loads(blob) for blob in reversed(rows)]

    def _remember(self, package: dict[str, Any]) -> None:
        self._cache[package["prenotify_id"]] = package
        self._cache.move_to_end(package["prenotify_id"])
        while len(self._cache) > CACHE:
            self._cache.popitem(last=False)

    # ------------------------------------------------------------ the command
    async def send(self, client: Client, who: Principal, command_id: str, args: dict[str, Any]) -> None:
        """Handle ``prenotify.send``: assemble, store the row, then decide ``prenotify.sent``."""
        prenotify_id = prenotify_id_for_command(command_id)
        assembled = None
        await self.port.catch_up()  # see hospitals/units the admin CLI just registered
        state = self.port.state
        try:
            unit_id = resolve_unit(state, args)
        except ProtocolError:
            unit_id = None  # decide_send below refuses with the same error
        else:
            ecg = await self._ecg(args, unit_id) if args["include_ecg"] and unit_id else None
            vitals = vitals_from_frame(self.telemetry.last_vitals.get(unit_id)) if unit_id else None
            package = assemble(self.port.state, who, args, prenotify_id=prenotify_id, unit_id=unit_id,
                               vitals=vitals, ecg=ecg, sent_at=now_iso())
            if args["hospital_id"] in self.port.state.hospitals:
                try:
                    await asyncio.to_thread(self.save, package)
                except Exception:
                    log.exception("could not store pre-notification %s", prenotify_id)
                else:
                    self._remember(package)
                    assembled = {"prenotify_id": prenotify_id, "unit_id": unit_id,
                                 "has_vitals": vitals is not None, "has_ecg": package["ecg"] is not None}
        await self.port.execute(
            who,
            lambda state: decide_send(state, who, args, assembled),
            command=(command_id, "prenotify.send"),
            client=client,
        )

    async def _ecg(self, args: dict[str, Any], unit_id: str) -> dict[str, Any] | None:
        incident = self.port.state.incidents.get(args["incident_id"]) or {}
        for meta in reversed(incident.get("strips") or []):
            if meta.get("unit_id") == unit_id:
                try:
                    row = await asyncio.to_thread(self.strips.get, meta["strip_id"])
                except Exception:
                    log.exception("could not read ECG strip %s", meta["strip_id"])
                    row = None
                if row is not None:
                    return ecg_from_strip(row)
        strip = cut_strip(self.telemetry.recent_ecg(unit_id, LIVE_ECG_S), LIVE_ECG_S,
                          strip_id=str(uuid.uuid4()), reason=StripReason.REQUEST)
        if strip is None:
            return None
        return ecg_from_strip({**strip.__dict__, "strip_id": None})

    # ------------------------------------------------------------ delivery
    def _frame(self, package: dict[str, Any], by: str | None = None) -> str:
        record = self.port.state.prenotifications.get(package["prenotify_id"]) or {}
        ack = record.get("ack")
        return encode(prenotify_package(package, None if ack is None else {**ack, "by": by or ack.get("by")}))

    def deliver(self, events: list[dict[str, Any]]) -> None:
        """After events were sent: push packages sent or acknowledged to their hospital's consoles."""
        for msg in events:
            if msg["name"] not in ("prenotify.sent", "prenotify.acknowledged"):
                continue
            package = self._cache.get(msg["data"]["prenotify_id"])
            hospital_id = msg["data"]["hospital_id"]
            targets = self.port.clients_where(lambda c, h=hospital_id: hospital_of(c.principal) == h)
            if not targets:
                continue
            if package is None:
                self.port.spawn(self._deliver_from_table(msg["data"]["prenotify_id"], targets), "prenotify")
                continue
            by = msg["actor"]["id"] if msg["name"] == "prenotify.acknowledged" else None
            self.port.push_all(targets, self._frame(package, by))

    async def _deliver_from_table(self, prenotify_id: str, targets: list[Client]) -> None:
        package = await asyncio.to_thread(self.get, prenotify_id)
        if package is not None:
            self._remember(package)
            self.port.push_all(targets, self._frame(package))

    async def frames_on_connect(self, client: Client) -> list[str]:
        """A hospital console connected: its hospital's recent packages, as frames (oldest first)."""
        hospital_id = hospital_of(client.principal)
        packages = await asyncio.to_thread(self.recent_for, hospital_id) if hospital_id else []
        # A refused send left a row no event points to: skip it.
        return [self._frame(p) for p in packages if p["prenotify_id"] in self.port.state.prenotifications]
