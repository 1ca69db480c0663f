"""The incident record and the incident search, from the centre's event log (read-only).

* :func:`read_incident` finds every event of one incident (its own, its calls' and the
  registry's), decodes each into its typed protocol Struct, replays them through the shared
  projection (:class:`app.domain.state.State`, the same code the server and the seats run)
  and returns the :class:`Record`: the timeline (who did what, when, from which seat) and the
  sections built from the projection (triage path, units, locations, caller link,
  pre-notifications, ECG strips, vitals, notes).
* :func:`search` folds the log (or the period asked) into one :class:`Hit` per incident and
  keeps those that match phone, address, unit, priority and determinant.

The server's side tables are read when present: ``strips`` (the samples of an ECG strip)
and ``prenotifications`` (the package a hospital got: patient summary and vitals).
Errors are :class:`app.records.kpi.KpiError` subclasses with their exit codes.
No Qt, no server package, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, TypedDict, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson
from sqlalchemy import Text, and_, column, inspect, or_, select, table
from sqlalchemy import cast as sql_cast
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from app.domain.state import State
from app.protocol import ProtocolError, format_ts
from app.protocol.codec import event_data
from app.records import texts
from app.records.kpi import (
    DEFAULT_TZ,
    FOLLOW_UP,
    LOOK_BACK,
    KpiError,
    LogUnreadableError,
    PeriodError,
    open_log,
    parse_ts,
)

REGISTRY_EVENTS = ("station.registered", "hospital.registered", "unit.registered", "principal.registered")
# The events search reads (everything that names a phone, an address, a unit, a priority or a determinant).
SEARCH_EVENTS = (
    "call.received", "call.location_added", "call.attached", "incident.created", "incident.updated",
    "incident.located", "unit.assigned", "triage.completed", "triage.arrest_recognised", "incident.closed",
)
PRIORITY_NAMES = {"I": 1, "II": 2, "III": 3, "IV": 4}
MIN_ID_PREFIX = 6  # an incident may be opened by the first characters of its id, as lists show them

_events = table("events", column("seq"), column("ts"), column("name"), column("actor_id"), column("actor_role"),
                column("data"))
_strips_table = table("strips", column("strip_id"), column("period_ms"), column("factor"), column("origin"),
                column("unit"), column("samples"))
_prenotify_table = table("prenotifications", column("prenotify_id"), column("package"))


class IncidentNotFoundError(KpiError):
    """No incident with this id (or id prefix) is in the log."""

    exit_code = 4


class AmbiguousIncidentError(KpiError):
    """An id prefix that names more than one incident."""


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """One stored event: ``typed`` is its protocol Struct (None if this version cannot read it)."""

    seq: int
    ts: str
    name: str
    actor_id: str
    actor_role: str
    data: Mapping[str, Any]
    typed: object | None

    def message(self) -> dict[str, object]:
        """The event as the wire/projection sees it."""
        return {"type": "event", "seq": self.seq, "ts": self.ts, "name": self.name,
                "actor": {"id": self.actor_id, "role": self.actor_role}, "ref": None, "data": dict(self.data)}


# ---------------------------------------------------------------- reading


def _decode(data: object) -> Mapping[str, Any]:
    # SQLite hands back the JSON text; psycopg decodes a PostgreSQL json column itself.
    return cast("Mapping[str, Any]", orjson.loads(data) if isinstance(data, str | bytes) else data)


def _typed(name: str, data: Mapping[str, Any]) -> object | None:
    try:
        return event_data(name, dict(data))
    except ProtocolError:
        return None  # written by a newer server, or an event this version does not know


def _rows(engine: Engine, *where: Any) -> Iterator[LoggedEvent]:
    query = select(_events.c.seq, _events.c.ts, _events.c.name, _events.c.actor_id, _events.c.actor_role,
                   _events.c.data).where(*where).order_by(_events.c.seq)
    with engine.connect().execution_options(stream_results=True, yield_per=5000) as conn:
        for seq, ts, name, actor_id, actor_role, data in conn.execute(query):
            decoded = _decode(data)
            yield LoggedEvent(cast("int", seq), str(ts), str(name), str(actor_id), str(actor_role), decoded,
                              _typed(str(name), decoded))


def _mentions(value: str) -> Any:
    """Rows whose data's text contains ``value`` (checked exactly afterwards, in Python)."""
    return sql_cast(_events.c.data, Text).contains(value, autoescape=True)


def _incident_events(engine: Engine, wanted: str) -> tuple[str, list[LoggedEvent]]:
    """The full id and the events of the incident ``wanted`` (an id or an id prefix), with the registry."""
    first = list(_rows(engine, or_(_events.c.name.in_(REGISTRY_EVENTS), _mentions(wanted))))
    created = {e.data["incident_id"] for e in first
               if e.name == "incident.created" and str(e.data.get("incident_id", "")).startswith(wanted)}
    if not created:
        raise IncidentNotFoundError(f"no incident {wanted!r} in this event log")
    if len(created) > 1:
        raise AmbiguousIncidentError(f"{wanted!r} names {len(created)} incidents ({', '.join(sorted(created))}); "
                                     "give more of the id")
    incident_id = created.pop()
    mine = [e for e in first if e.name in REGISTRY_EVENTS or e.data.get("incident_id") == incident_id]
    call_ids = {e.data["call_id"] for e in mine if e.name in ("incident.created", "call.attached")
                and e.data.get("incident_id") == incident_id and e.data.get("call_id")}
    if call_ids:
        seen = {e.seq for e in mine}
        calls = _rows(engine, and_(_events.c.name.like("call.%"), or_(*(_mentions(c) for c in sorted(call_ids)))))
        mine.extend(e for e in calls if e.data.get("call_id") in call_ids and e.seq not in seen)
        mine.sort(key=lambda e: e.seq)
    return incident_id, mine


def _side_rows(engine: Engine, tbl: Any, key: str, ids: Sequence[str]) -> dict[str, Mapping[str, Any]]:
    """Rows of a server side table (``strips``, ``prenotifications``) by id; {} when the table is absent."""
    if not ids:
        return {}
    with engine.connect() as conn:
        if tbl.name not in inspect(conn).get_table_names():
            return {}
        rows = conn.execute(select(tbl).where(tbl.c[key].in_(ids))).mappings()
        return {str(r[key]): dict(r) for r in rows}


# ---------------------------------------------------------------- protocol text


@lru_cache(maxsize=1)
def _protocol_set() -> Any:
    """The protocol set shipped with this build (``resources/protocols``), or None if it does not load."""
    from app.triage import DEFAULT_PROTOCOL_DIR, ProtocolSetError, load_protocol_set

    try:
        return load_protocol_set(DEFAULT_PROTOCOL_DIR)
    except (ProtocolSetError, OSError):
        return None


def _question(protocol_id: str, question_id: str) -> tuple[Any, Any]:
    """(protocol, question) from the shipped protocols, either None when unknown."""
    protocols = _protocol_set()
    if protocols is None:
        return None, None
    protocol = protocols.case_entry if protocol_id == protocols.case_entry.id else protocols.protocols.get(protocol_id)
    if protocol is None:
        return None, None
    return protocol, protocol.questions.get(question_id)


def _triage_step(step: Mapping[str, Any], lang: str) -> dict[str, object]:
    """One answered question with its text and the answer's label in ``lang``, from the protocol files."""
    protocol, question = _question(step["protocol"], step["question"])
    answer = question.answer_for(step["answer"]) if question is not None else None
    return {
        **step,
        "protocol_title": protocol.title.get(lang) if protocol is not None else step["protocol"],
        "question_text": question.text.get(lang) if question is not None else step["question"],
        "answer_label": answer.label.get(lang) if answer is not None else step["answer"],
        "current_version": protocol.version if protocol is not None else None,
    }


# ---------------------------------------------------------------- one line per event


class _Fields(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "–"


def describe(event: LoggedEvent, state_names: Mapping[str, Mapping[str, str]], lang: str) -> str:
    """The timeline line of ``event`` in ``lang`` (``state_names``: call signs and hospital names by id)."""
    d = event.data
    fields = _Fields({k: ("–" if v is None else v) for k, v in d.items()})
    fields["call_sign"] = state_names["units"].get(d.get("unit_id", ""), d.get("unit_id", "–"))
    fields["hospital_name"] = state_names["hospitals"].get(d.get("hospital_id", ""), d.get("hospital_id", "–"))
    fields["status_label"] = texts.label("unit_status", d.get("status"), lang)
    fields["priority_label"] = texts.label("priority", d.get("priority"), lang)
    fields["response_label"] = texts.label("ack", d.get("response"), lang)
    fields["source_label"] = texts.label("location_source", d.get("candidate_source") or d.get("source"), lang)
    fields["reason_label"] = texts.label("strip_reason" if event.name.startswith("telemetry.") else "close_reason",
                                         d.get("reason"), lang)
    if event.name == "triage.answered":
        step = _triage_step(d, lang)
        fields["question_text"], fields["answer_label"] = step["question_text"], step["answer_label"]
    if event.name == "incident.updated":
        changes = d.get("changes") or {}
        fields["changes_text"] = "; ".join(
            f"{texts.word(k if k in texts.WORDS else 'description', lang)}="
            f"{texts.label('priority', v, lang) if k == 'priority' else v}" for k, v in changes.items())
    if event.name in ("call.location_added", "call.link_located"):
        fields["location_label"] = location_text(d.get("location") or {}, lang)
    template = texts.EVENT_LINES.get(event.name)
    if template is None:
        return f"{event.name} {orjson.dumps(dict(d)).decode()}"
    try:
        return template[texts.LANGUAGES.index(lang)].format_map(fields)
    except (ValueError, TypeError):  # a field of an unexpected type (a newer server's data)
        return f"{event.name} {orjson.dumps(dict(d)).decode()}"


def location_text(candidate: Mapping[str, object], lang: str) -> str:
    parts = [texts.label("location_source", candidate.get("source"), lang)]
    if candidate.get("lat") is not None and candidate.get("lon") is not None:
        parts.append(f"{candidate['lat']:.5f}, {candidate['lon']:.5f}")
    if candidate.get("accuracy_m") is not None:
        parts.append(f"±{candidate['accuracy_m']:.0f} m")
    if candidate.get("address"):
        parts.append(str(candidate["address"]))
    return " ".join(parts)


# ---------------------------------------------------------------- the record


Record = dict[str, Any]


def local_time(ts: str | None, tz: ZoneInfo) -> str:
    """A protocol timestamp as local ``YYYY-MM-DD HH:MM:SS`` in ``tz`` (``–`` for none)."""
    if not ts:
        return "–"
    return parse_ts(ts).astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")


def zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise PeriodError(f"unknown time zone {tz!r} (an IANA name such as Asia/Shanghai)") from None


Events = Sequence[LoggedEvent]
_LINK_EVENTS = frozenset({
    "call.link_created", "call.link_opened", "call.link_consented", "call.link_located", "call.link_location_refused",
    "call.link_revoked", "call.chat_sent", "call.chat_received", "call.guidance_pushed", "call.photo_received",
    "call.photo_refused", "call.media_purged"})


def _units(incident: Mapping[str, Any], state: State, own: Events) -> list[dict[str, Any]]:
    """Each unit sent: its registry entry, who sent it and when, every status with its time."""
    out = []
    for unit_id in incident["units"]:
        unit = state.units.get(unit_id, {})
        runs = [e for e in own if e.data.get("unit_id") == unit_id
                and e.name in ("unit.assigned", "unit.status_changed", "unit.recommendation_decided")]
        assigned = next((e for e in runs if e.name == "unit.assigned"), None)
        decided = next((e for e in runs if e.name == "unit.recommendation_decided"), None)
        out.append({
            "unit_id": unit_id, "call_sign": unit.get("call_sign"), "station_id": unit.get("station_id"),
            "capability": unit.get("capability"),
            "assigned_at": assigned.ts if assigned else None,
            "assigned_by": assigned.actor_id if assigned else None,
            "statuses": [{"status": e.data["status"], "at": e.ts, "by": e.actor_id, "manual": e.data.get("manual")}
                         for e in runs if e.name == "unit.status_changed"],
            "recommendation": dict(decided.data) if decided else None,
        })
    return out


def _locations(own: Events) -> list[dict[str, Any]]:
    """The calls' location candidates (switch, caller link) and where the dispatcher put the incident."""
    out: list[dict[str, Any]] = []
    for e in own:
        if e.name == "call.received":
            out += [{"at": e.ts, "call_id": e.data["call_id"], "kind": "candidate", **c}
                    for c in e.data.get("locations") or ()]
            if e.data.get("location_text"):
                out.append({"at": e.ts, "call_id": e.data["call_id"], "kind": "switch_text", "source": None,
                            "address": e.data["location_text"]})
        elif e.name in ("call.location_added", "call.link_located"):
            out.append({"at": e.ts, "call_id": e.data["call_id"], "kind": "candidate", **e.data["location"]})
        elif e.name == "incident.located":
            out.append({"at": e.ts, "kind": "located", "by": e.data["seat_id"], **e.data})
    return out


def _caller_link(own: Events) -> dict[str, list[dict[str, Any]]]:
    """Links sent, photos (by id, and when deleted under retention), photos refused, chat, guidance cards."""
    events = [e for e in own if e.name in _LINK_EVENTS]
    purged = {m: e.ts for e in events if e.name == "call.media_purged" for m in e.data["media_ids"]}
    return {
        "links": [{"link_id": e.data["link_id"], "via": e.data["via"], "seat_id": e.data["seat_id"], "at": e.ts,
                   "expires_at": e.data["expires_at"]} for e in events if e.name == "call.link_created"],
        "media": [{"media_id": e.data["media_id"], "content_type": e.data["content_type"],
                   "bytes": e.data["bytes"], "sha256": e.data["sha256"], "at": e.ts,
                   "purged_at": purged.get(e.data["media_id"])} for e in events if e.name == "call.photo_received"],
        "refused": [{"at": e.ts, "reason": e.data["reason"], "bytes": e.data["bytes"]} for e in events
                    if e.name == "call.photo_refused"],
        "chat": [{"at": e.ts, "from": "caller" if e.name == "call.chat_received" else e.data["seat_id"],
                  "text": e.data["text"]} for e in events if e.name in ("call.chat_sent", "call.chat_received")],
        "guidance": [{"at": e.ts, "card_id": e.data["card_id"], "seat_id": e.data["seat_id"]} for e in events
                     if e.name == "call.guidance_pushed"],
    }


def _prenotifications(own: Events, hospitals: Mapping[str, str],
                      packages: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each pre-notification with every answer of the hospital, and its package's summary and vitals."""
    out = []
    for e in own:
        if e.name != "prenotify.sent":
            continue
        pid = e.data["prenotify_id"]
        package = packages.get(pid) or {}
        out.append({
            **e.data, "hospital_name": hospitals.get(e.data["hospital_id"], e.data["hospital_id"]),
            "sent_at": e.ts, "sent_by": e.actor_id, "summary": package.get("summary"), "vitals": package.get("vitals"),
            "answers": [{"response": a.data["response"], "note": a.data.get("note"), "at": a.ts, "by": a.actor_id}
                        for a in own if a.name == "prenotify.acknowledged" and a.data["prenotify_id"] == pid],
        })
    return out


def _strips(own: Events, rows: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each stored ECG strip with its samples (None when the ``strips`` row is missing) and heart rate."""
    out = []
    for e in own:
        if e.name != "telemetry.strip_stored":
            continue
        row = rows.get(e.data["strip_id"])
        samples = None
        if row is not None:
            raw = row["samples"]
            samples = orjson.loads(raw) if isinstance(raw, bytes | str) else list(raw)
        out.append({
            **e.data, "at": e.ts, "requested_by": e.actor_id if e.data["reason"] == "request" else None,
            "period_ms": row["period_ms"] if row else None, "factor": row["factor"] if row else None,
            "origin": row["origin"] if row else None, "unit": row["unit"] if row else None, "samples": samples,
            "heart_rate": _heart_rate(samples, row) if row is not None and samples else None,
        })
    return out


def _notes(incident: Mapping[str, Any], own: Events, prenotifications: Sequence[Mapping[str, Any]]) -> list[dict]:
    """Free text, oldest first: description, close note, override notes, patient notes, hospital notes."""
    notes = []
    if incident.get("description"):
        notes.append({"at": incident["created_at"], "by": incident["seat_id"], "kind": "description",
                      "text": incident["description"]})
    for e in own:
        if e.name == "incident.updated" and (e.data.get("changes") or {}).get("description"):
            notes.append({"at": e.ts, "by": e.actor_id, "kind": "description", "text": e.data["changes"]["description"]})
        elif e.name == "incident.closed" and e.data.get("note"):
            notes.append({"at": e.ts, "by": e.actor_id, "kind": "close", "text": e.data["note"]})
        elif e.name == "unit.recommendation_decided" and e.data.get("override_note"):
            notes.append({"at": e.ts, "by": e.actor_id, "kind": "override", "text": e.data["override_note"]})
    for p in prenotifications:
        if (p.get("summary") or {}).get("note"):
            notes.append({"at": p["sent_at"], "by": p["sent_by"], "kind": "prenotify", "text": p["summary"]["note"]})
        notes += [{"at": a["at"], "by": a["by"], "kind": "hospital", "text": a["note"]} for a in p["answers"] if a["note"]]
    notes.sort(key=lambda n: n["at"])
    return notes


def _triage(incident: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """The projection's triage (path, result, arrest, CPR) with the protocol's words in ``lang``."""
    triage = incident.get("triage") or {}
    result = triage.get("result")
    if result:
        protocols = _protocol_set()
        plan = protocols.plans.get(result["plan"]) if protocols is not None else None
        result = {**result, "plan_label": plan.label.get(lang) if plan is not None else None}
    return {"path": [_triage_step(step, lang) for step in triage.get("path", [])], "result": result,
            "arrest": triage.get("arrest"), "cpr": triage.get("cpr")}


def build_record(incident_id: str, events: Events, *, lang: str = "zh", tz: str = DEFAULT_TZ,
                 strips: Mapping[str, Mapping[str, object]] | None = None,
                 packages: Mapping[str, Mapping[str, object]] | None = None) -> Record:
    """The record of ``incident_id`` from its events (seq order, the registry included).

    ``strips`` and ``packages`` are the server's side-table rows by strip / pre-notification id.
    The dictionary is JSON-able; every time in it is the server's UTC timestamp (``local`` in the
    timeline is in ``tz``).

    Raises:
        IncidentNotFoundError: the events do not create ``incident_id``.
        PeriodError: an unknown language or zone.
    """
    if lang not in texts.LANGUAGES:
        raise PeriodError(f"unknown language {lang!r}; use zh or en")
    zone_info = zone(tz)
    state = State()  # the projection the server and every seat run: the record shows what they showed
    for e in events:
        state.apply(e.message())
    incident = state.incidents.get(incident_id)
    if incident is None:
        raise IncidentNotFoundError(f"no incident {incident_id!r} in this event log")
    names = {"units": {k: u.get("call_sign") or k for k, u in state.units.items()},
             "hospitals": {k: h.get("name") or k for k, h in state.hospitals.items()}}
    own = [e for e in events if e.name not in REGISTRY_EVENTS]
    call_ids = [c for c in dict.fromkeys([incident.get("call_id"), *(
        e.data["call_id"] for e in own if e.name == "call.attached")]) if c]
    timeline = [{"seq": e.seq, "ts": e.ts, "local": local_time(e.ts, zone_info), "name": e.name,
                 "actor": {"id": e.actor_id, "role": e.actor_role},
                 "seat_id": e.data.get("seat_id") or (e.actor_id if e.actor_role == "seat" else None),
                 "text": describe(e, names, lang), "readable": e.typed is not None} for e in own]
    triage = _triage(incident, lang)
    prenotifications = _prenotifications(own, names["hospitals"], packages or {})
    return {
        "incident_id": incident_id,
        "language": lang,
        "tz": zone_info.key,
        "last_seq": max((e.seq for e in own), default=0),
        "last_ts": own[-1].ts if own else incident["created_at"],
        "incident": {k: incident.get(k) for k in (
            "incident_id", "call_id", "seat_id", "address", "callback_number", "description", "patients",
            "priority", "state", "close_reason", "close_note", "created_at", "updated_at", "milestones",
            "units", "destination")},
        "determinant": triage["result"]["determinant"] if triage["result"] else None,
        "calls": [{k: state.calls[c].get(k) for k in ("call_id", "caller_number", "caller_name", "received_at",
                                                      "answered_at", "ended_at", "seat_id", "state")}
                  for c in call_ids if c in state.calls],
        "timeline": timeline,
        "triage": triage,
        "units": _units(incident, state, own),
        "locations": _locations(own),
        "caller_link": _caller_link(own),
        "prenotifications": prenotifications,
        "strips": _strips(own, strips or {}),
        "vitals": [{"prenotify_id": p["prenotify_id"], "unit_id": p.get("unit_id"), **p["vitals"]}
                   for p in prenotifications if p.get("vitals")],
        "notes": _notes(incident, own, prenotifications),
    }


def _heart_rate(samples: list[int], row: Mapping[str, Any]) -> float | None:
    """Beats per minute over the strip (app.ecg.qrs, as the seat's monitor shows it); None if unsure."""
    import numpy as np

    from app.ecg.qrs import detect_qrs, robust_rate

    fs = 1000.0 / float(row["period_ms"])
    signal = (np.asarray(samples, dtype=np.float64) - float(row["origin"])) * float(row["factor"])
    if str(row["unit"]).lower() in ("uv", "µv"):
        signal /= 1000.0
    rate = robust_rate(detect_qrs(signal, fs), fs)
    return round(rate, 1) if rate is not None else None


def read_incident(db: str | Path, incident_id: str, *, lang: str = "zh", tz: str = DEFAULT_TZ) -> Record:
    """The record of one incident (``incident_id``: its id, or at least :data:`MIN_ID_PREFIX` first characters).

    Raises:
        IncidentNotFoundError, AmbiguousIncidentError, PeriodError (zone, language),
        LogUnreadableError, LogNewerError (all :class:`KpiError`).
    """
    wanted = incident_id.strip().lower()
    if len(wanted) < MIN_ID_PREFIX or not re.fullmatch(r"[0-9a-f-]+", wanted):
        raise PeriodError(f"an incident id is a UUID (or at least its first {MIN_ID_PREFIX} characters), "
                          f"not {incident_id!r}")
    zone(tz)
    engine = open_log(db)
    try:
        full_id, events = _incident_events(engine, wanted)
        strip_ids = [e.data["strip_id"] for e in events if e.name == "telemetry.strip_stored"]
        prenotify_ids = [e.data["prenotify_id"] for e in events if e.name == "prenotify.sent"]
        strips = _side_rows(engine, _strips_table, "strip_id", strip_ids)
        packages = {k: _decode(v["package"]) for k, v in
                    _side_rows(engine, _prenotify_table, "prenotify_id", prenotify_ids).items()}
    except SQLAlchemyError as exc:
        raise LogUnreadableError(f"cannot read the events: {exc.__class__.__name__}: {exc}") from None
    finally:
        engine.dispose()
    return build_record(full_id, events, lang=lang, tz=tz, strips=strips, packages=packages)


# ---------------------------------------------------------------- search


class HitLine(TypedDict):
    """One incident as search lists it (``--json``)."""

    incident_id: str
    created: str  # server UTC timestamp
    local: str  # in the search's zone
    address: str
    priority: int | None
    determinant: str | None
    units: list[str]
    phones: list[str]
    close_reason: str | None


@dataclass(slots=True)
class Hit:
    """One incident as search lists it."""

    incident_id: str
    created: str  # server UTC timestamp
    seat_id: str
    address: str = ""
    priority: int | None = None
    determinant: str | None = None
    units: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)  # every address seen (call, incident, located)
    call_ids: list[str] = field(default_factory=list)
    close_reason: str | None = None

    def as_dict(self, tz: ZoneInfo) -> HitLine:
        return {"incident_id": self.incident_id, "created": self.created, "local": local_time(self.created, tz),
                "address": self.address, "priority": self.priority, "determinant": self.determinant,
                "units": self.units, "phones": list(dict.fromkeys(self.phones)), "close_reason": self.close_reason}


@dataclass(frozen=True, slots=True)
class Criteria:
    """What to look for; every given criterion must match (None: any)."""

    phone: str | None = None  # digits the caller's or callback number contains
    address: str | None = None  # text any address of the incident contains (case-insensitive)
    first: date | None = None  # created on or after this local day
    last: date | None = None  # created on or before this local day
    unit: str | None = None  # a unit id or call sign sent to it
    priority: int | None = None  # 1..4 (the incident's last)
    determinant: str | None = None  # a code or its start (``10-D``)
    tz: str = DEFAULT_TZ


def parse_priority(text: str) -> int:
    """``I``..``IV`` or ``1``..``4``. Raises PeriodError."""
    value = text.strip().upper()
    if value in PRIORITY_NAMES:
        return PRIORITY_NAMES[value]
    if value in ("1", "2", "3", "4"):
        return int(value)
    raise PeriodError(f"priority is I, II, III or IV, not {text!r}")


def parse_day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PeriodError(f"{option} must be YYYY-MM-DD, not {text!r}") from None


def _digits(text: str | None) -> str:
    return re.sub(r"\D", "", text or "")


def _fold_hits(events: Iterable[tuple[str, str, Mapping[str, Any]]]) -> tuple[dict[str, Hit], dict[str, str]]:
    """Fold ``(name, ts, data)`` in seq order into hits by incident id; also unit call signs."""
    hits: dict[str, Hit] = {}
    calls: dict[str, tuple[str, list[str]]] = {}  # call id -> (phone, addresses)
    signs: dict[str, str] = {}
    for name, ts, d in events:
        if name == "unit.registered":
            signs[d["unit_id"]] = d.get("call_sign") or d["unit_id"]
            continue
        if name == "call.received":
            addresses = [d["location_text"]] if d.get("location_text") else []
            addresses += [c["address"] for c in d.get("locations") or () if c.get("address")]
            calls[d["call_id"]] = (d.get("caller_number") or "", addresses)
            continue
        if name == "call.location_added":
            if d["call_id"] in calls and d["location"].get("address"):
                calls[d["call_id"]][1].append(d["location"]["address"])
            continue
        if name == "incident.created":
            created = hits[d["incident_id"]] = Hit(d["incident_id"], ts, d["seat_id"], d.get("address") or "",
                                                   d.get("priority"))
            created.addresses.append(created.address)
            if d.get("callback_number"):
                created.phones.append(d["callback_number"])
            if d.get("call_id"):
                _join_call(created, d["call_id"], calls)
            continue
        hit = hits.get(d.get("incident_id", ""))
        if hit is None:
            continue
        if name == "call.attached":
            _join_call(hit, d["call_id"], calls)
        elif name == "incident.updated":
            changes = d.get("changes") or {}
            if changes.get("address"):
                hit.address = changes["address"]
                hit.addresses.append(changes["address"])
            if changes.get("callback_number"):
                hit.phones.append(changes["callback_number"])
            if changes.get("priority") is not None:
                hit.priority = changes["priority"]
        elif name == "incident.located":
            if d.get("address"):
                hit.addresses.append(d["address"])
                hit.address = hit.address or d["address"]
        elif name == "unit.assigned":
            if d["unit_id"] not in hit.units:
                hit.units.append(d["unit_id"])
        elif name == "triage.completed":
            hit.priority, hit.determinant = d["priority"], d["determinant"]
        elif name == "triage.arrest_recognised":
            if d.get("priority") is not None:
                hit.priority = d["priority"]
        elif name == "incident.closed":
            hit.close_reason = d["reason"]
    return hits, signs


def _join_call(hit: Hit, call_id: str, calls: Mapping[str, tuple[str, list[str]]]) -> None:
    hit.call_ids.append(call_id)
    phone, addresses = calls.get(call_id, ("", []))
    if phone:
        hit.phones.append(phone)
    hit.addresses.extend(addresses)


def matches(hit: Hit, c: Criteria, signs: Mapping[str, str]) -> bool:
    if c.phone and not any(_digits(c.phone) in _digits(p) for p in hit.phones):
        return False
    if c.address and not any(c.address.casefold() in a.casefold() for a in hit.addresses if a):
        return False
    if c.unit and not any(c.unit.casefold() in (u.casefold(), signs.get(u, "").casefold()) for u in hit.units):
        return False
    if c.priority is not None and hit.priority != c.priority:
        return False
    return not (c.determinant and not (hit.determinant or "").upper().startswith(c.determinant.upper()))


def search(db: str | Path, criteria: Criteria) -> list[HitLine]:
    """The incidents matching ``criteria``, oldest first, as :meth:`Hit.as_dict` dictionaries.

    With a period, only events from a day before it until a day after it are read (an incident's
    call comes before it, its units and triage after); without one, the whole log.

    Raises:
        PeriodError (``first`` after ``last``, zone), LogUnreadableError, LogNewerError.
    """
    tz = zone(criteria.tz)
    if criteria.first and criteria.last and criteria.first > criteria.last:
        raise PeriodError(f"--from {criteria.first} is after --to {criteria.last}: the period would be empty")
    start = datetime.combine(criteria.first, time(0), tz).astimezone(UTC) if criteria.first else None
    end = (datetime.combine(criteria.last + timedelta(days=1), time(0), tz).astimezone(UTC)
           if criteria.last else None)
    where: list[Any] = [_events.c.name.in_((*SEARCH_EVENTS, "unit.registered"))]
    if start is not None:
        where.append(or_(_events.c.name == "unit.registered", _events.c.ts >= format_ts(start - LOOK_BACK)))
    if end is not None:
        where.append(_events.c.ts < format_ts(end + FOLLOW_UP))
    engine = open_log(db)
    try:
        query = select(_events.c.name, _events.c.ts, _events.c.data).where(*where).order_by(_events.c.seq)
        with engine.connect().execution_options(stream_results=True, yield_per=20_000) as conn:
            # By partition, not row by row: SQLAlchemy's per-row fetch was a third of the time (profiled).
            rows = (row for part in conn.execute(query).partitions() for row in part)
            hits, signs = _fold_hits((cast("str", n), cast("str", ts), _decode(d)) for n, ts, d in rows)
    except SQLAlchemyError as exc:
        raise LogUnreadableError(f"cannot read the events: {exc.__class__.__name__}: {exc}") from None
    finally:
        engine.dispose()
    start_text = format_ts(start) if start else None
    end_text = format_ts(end) if end else None
    found = [h for h in hits.values()
             if (start_text is None or h.created >= start_text) and (end_text is None or h.created < end_text)
             and matches(h, criteria, signs)]
    found.sort(key=lambda h: (h.created, h.incident_id))
    return [h.as_dict(tz) for h in found]
