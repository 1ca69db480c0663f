"""A demonstration incident, made through the real domain: commands decided by
:func:`app.domain.decide.decide` (and the server's own deciders for what only it does:
caller-link tokens, ECG strips, pre-notification packages), every event checked by
``app.protocol.validate_event`` and applied to the shared projection, as the server does.

Used for the documentation's report screenshot (``tools/render_pdf_page.py``) and by the
record tests. The story (Beijing time, 27 Nov 2026, evening): a 62-year-old man with chest
pain at 解放碑; the dispatcher triages him (chest pain → 02-A-3, priority I), sends the
recommended ALS unit and a second unit that is stood down on the way (a cancelled run); the
caller shares his phone's position and a photo through the caller link; the crew's ECG is
stored; the chest-pain centre is pre-notified and answers that its cath lab is ready.

The ambulances' positions (``unit_positions`` rows, as ``server_stub/track.py`` keeps them: one
every :data:`TRACK_INTERVAL_S` of device time while a unit is on the incident, the device's clock
:data:`DEVICE_CLOCK_BEHIND_S` behind the server's) follow a path between the story's places:
straight lines unless a ``route`` function is given (``tools/render_pdf_page.py`` passes the
demo city's road router). :data:`MONACO` puts the same story on the shipped demo city's streets,
for the report's map.

No I/O: :func:`build` returns the events and the rows of the server's side tables
(``strips``, ``prenotifications``, ``positions``); writing them into a database is the caller's job.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from app.domain.caller_link import decide_link_created, decide_page_event
from app.domain.decide import SYSTEM, Principal, decide, seat_connected
from app.domain.model import Role
from app.domain.prenotify import decide_send
from app.domain.state import State
from app.domain.telemetry import decide_strip
from app.protocol import event, format_ts, validate_command, validate_event

INCIDENT_ID = "5b7e2c1a-9d34-4f6e-8a21-3c4d5e6f7a8b"
CALL_ID = "C20261127-0042"
STRIP_ID = "0c1d2e3f-4a5b-4c6d-8e7f-901a2b3c4d5e"
PRENOTIFY_ID = "7a8b9c0d-1e2f-4a3b-9c4d-5e6f7a8b9c0d"
MEDIA_ID = "2f3e4d5c-6b7a-4981-a0b1-c2d3e4f5a6b7"
START = datetime(2026, 11, 27, 12, 41, 7, tzinfo=UTC)  # 20:41:07 in Beijing

ADMIN = Principal(id="admin", role=Role.ADMIN, name="admin")
SWITCH = Principal(id="pbx-1", role=Role.SWITCH, name="程控交换机")
SEAT = Principal(id="seat-3", role=Role.SEAT, name="3号席 王敏")
HOSPITAL = Principal(id="h-cqmu1", role=Role.HOSPITAL, name="重医附一院胸痛中心", unit_id="H1")

TRACK_INTERVAL_S = 10.0  # the server's --track-interval-s for the demo
DEVICE_CLOCK_BEHIND_S = 2.4  # the ambulances' clocks run this far behind the server's (receipt delay included)

LatLon = tuple[float, float]
Route = Callable[[LatLon, LatLon], Sequence[LatLon]]


@dataclass(frozen=True)
class Site:
    """Where the story happens: the places and the addresses the dispatcher types."""

    station: LatLon
    station_name: str
    hospital: LatLon
    caller_gps: LatLon
    caller_cell: LatLon
    caller_link: LatLon
    address: str
    located_address: str
    second_unit_from: LatLon  # where 渝中2 was when it was sent (returning from another job)


CHONGQING = Site(station=(29.557, 106.574), station_name="渝中急救站", hospital=(29.5386, 106.5114),
                 caller_gps=(29.56371, 106.57702), caller_cell=(29.5662, 106.5811), caller_link=(29.56368, 106.57695),
                 address="重庆市渝中区民族路166号 3单元502", located_address="重庆市渝中区民族路166号",
                 second_unit_from=(29.5551, 106.5689))
MONACO = Site(station=(43.7445, 7.4305), station_name="蒙特卡洛急救站", hospital=(43.7285, 7.4147),
              caller_gps=(43.7352, 7.4226), caller_cell=(43.7371, 7.4262), caller_link=(43.73518, 7.42255),
              address="Boulevard Albert 1er 12号 3楼", located_address="Boulevard Albert 1er 12号",
              second_unit_from=(43.7300, 7.4195))


# Answers the caller gives, by question id (case entry, then chest pain).
ANSWERS = {
    "location_confirmed": "confirmed", "callback_number": "confirmed", "what_happened": "described",
    "scene_safe": "safe", "age": "older", "sex": "male", "conscious": "yes", "breathing_normally": "yes",
    "breathing_awake": "no", "chief_complaint": "chest_pain", "q_awake": "yes", "q_breathing": "no",
    "q_clammy": "yes",
}


def _device(unit_id: str) -> Principal:
    return Principal(id=f"dev-{unit_id}", role=Role.DEVICE, name=f"{unit_id} 车载终端", unit_id=unit_id)


@dataclass
class DemoLog:
    """The events (wire messages, seq from 1) and the side-table rows a server would have written."""

    events: list[dict[str, Any]] = field(default_factory=list)
    strips: list[dict[str, Any]] = field(default_factory=list)
    prenotifications: list[dict[str, Any]] = field(default_factory=list)
    positions: list[dict[str, Any]] = field(default_factory=list)  # unit_positions rows


class _Centre:
    def __init__(self) -> None:
        self.state = State()
        self.now = START
        self.log = DemoLog()

    def at(self, seconds: float) -> None:
        self.now = START + timedelta(seconds=seconds)

    def append(self, drafts: list[tuple[str, dict[str, Any]]], who: Principal = SYSTEM) -> None:
        for name, data in drafts:
            validate_event(name, data)
            msg = event(seq=self.state.seq + 1, ts=format_ts(self.now), name=name,
                        actor={"id": who.id, "role": who.role.value}, ref=None, data=data)
            self.state.apply(msg)
            self.log.events.append(msg)
            self.now += timedelta(milliseconds=120)

    def send(self, who: Principal, name: str, args: dict[str, Any]) -> None:
        validate_command(name, args)
        self.append(decide(self.state, who, name, args), who)


def _ecg_samples(seconds: float, fs: float) -> list[int]:
    """``seconds`` of the shipped real ECG (MIT-BIH 208, lead MLII) at ``fs``, in units of 5 µV."""
    from app.ecg.records import MITDB_FS, mitdb_208, resample

    mv = resample(mitdb_208()[: int(seconds * MITDB_FS)], MITDB_FS, fs)
    return [int(round(v / 0.005)) for v in mv]


def _straight(a: LatLon, b: LatLon) -> Sequence[LatLon]:
    return [a, b]


def _metres(a: LatLon, b: LatLon) -> float:
    kx = 111_195.0 * math.cos(math.radians((a[0] + b[0]) / 2))
    return math.hypot((b[1] - a[1]) * kx, (b[0] - a[0]) * 111_195.0)


def _drive(path: Sequence[LatLon], start_s: float, end_s: float, every_s: float) -> list[tuple[float, LatLon]]:
    """Fixes every ``every_s`` from ``start_s`` to ``end_s`` (both kept) along ``path`` at an even speed."""
    legs = [_metres(a, b) for a, b in zip(path, path[1:], strict=False)]
    total = sum(legs)
    steps = max(1, math.ceil((end_s - start_s) / every_s))
    out: list[tuple[float, LatLon]] = []
    for k in range(steps + 1):
        t = min(end_s, start_s + k * every_s)
        want = total * (t - start_s) / (end_s - start_s) if end_s > start_s else total
        i, done = 0, 0.0
        while i < len(legs) - 1 and done + legs[i] < want:
            done += legs[i]
            i += 1
        f = 0.0 if not legs or legs[i] == 0 else min(1.0, (want - done) / legs[i])
        a, b = path[i], path[min(i + 1, len(path) - 1)]
        out.append((t, (round(a[0] + (b[0] - a[0]) * f, 6), round(a[1] + (b[1] - a[1]) * f, 6))))
    return out


def _position_rows(unit_id: str, fixes: list[tuple[float, LatLon]]) -> list[dict[str, Any]]:
    rows = []
    for k, (t, (lat, lon)) in enumerate(fixes):
        speed = 0.0 if k == 0 else _metres(fixes[k - 1][1], (lat, lon)) / max(1e-9, t - fixes[k - 1][0])
        rows.append({"incident_id": INCIDENT_ID, "unit_id": unit_id,
                     "device_ts": format_ts(START + timedelta(seconds=t - DEVICE_CLOCK_BEHIND_S)),
                     "server_ts": format_ts(START + timedelta(seconds=t)), "lat": lat, "lon": lon,
                     "speed_mps": round(speed, 1), "heading_deg": None, "accuracy_m": 6.0})
    return rows


def build(site: Site = CHONGQING, route: Route | None = None) -> DemoLog:
    """The demonstration incident's log (deterministic: fixed ids and times) at ``site``;
    the ambulances drive along ``route(from, to)`` (default: straight lines)."""
    from app.triage import DEFAULT_PROTOCOL_DIR, TriageSession, load_protocol_set

    c = _Centre()
    c.at(-86_400)
    c.append([("station.registered", {"station_id": "ST-YZ", "name": site.station_name, "lat": site.station[0],
                                       "lon": site.station[1]}),
              ("hospital.registered", {"hospital_id": "H1", "name": "重医附一院", "lat": site.hospital[0],
                                       "lon": site.hospital[1]}),
              ("unit.registered", {"unit_id": "A01", "call_sign": "渝中1", "station_id": "ST-YZ", "capability": "als"}),
              ("unit.registered", {"unit_id": "A02", "call_sign": "渝中2", "station_id": "ST-YZ", "capability": "bls"}),
              ("principal.registered", {"principal_id": SEAT.id, "role": "seat", "name": SEAT.name,
                                        "unit_id": None})], ADMIN)
    c.at(-600)
    c.append(seat_connected(c.state, SEAT.id))
    c.send(SEAT, "seat.set_ready", {"ready": True})

    c.at(0)
    c.send(SWITCH, "call.offered", {
        "call_id": CALL_ID, "caller_number": "13912345678", "caller_name": "李", "line": "120-01",
        "locations": [
            {"source": "gps", "lat": site.caller_gps[0], "lon": site.caller_gps[1], "accuracy_m": 18.0,
             "at": format_ts(START - timedelta(seconds=5))},
            {"source": "cell", "lat": site.caller_cell[0], "lon": site.caller_cell[1], "accuracy_m": 800.0},
        ]})
    c.at(4)
    c.send(SEAT, "call.answer", {"call_id": CALL_ID})
    c.at(25)
    c.send(SEAT, "incident.create", {
        "incident_id": INCIDENT_ID, "call_id": CALL_ID, "address": site.address,
        "callback_number": "13912345678", "patients": 1, "priority": 2,
        "description": "男，62岁，胸痛约30分钟，大汗，既往高血压"})

    protocols = load_protocol_set(DEFAULT_PROTOCOL_DIR)
    session = TriageSession(protocols)
    t = 30.0
    while session.result is None and session.current is not None:
        question = session.current
        session.answer(ANSWERS.get(question.id, question.keys[0]))
    for protocol_id, question_id, answer in session.path:
        protocol = protocols.case_entry if protocol_id == protocols.case_entry.id else protocols.protocols[protocol_id]
        c.at(t)
        c.send(SEAT, "triage.answer", {"incident_id": INCIDENT_ID, "protocol": protocol_id,
                                       "protocol_version": protocol.version, "question": question_id,
                                       "answer": answer})
        t += 7
    result = session.result
    assert result is not None
    c.at(t)
    c.send(SEAT, "triage.complete", {
        "incident_id": INCIDENT_ID, "protocol": result.protocol_id,
        "protocol_version": protocols.protocols[result.protocol_id].version, "determinant": result.code,
        "priority": result.priority, "plan": result.plan.id, "capability": result.plan.capability.value,
        "cpr": result.cpr})
    c.at(t + 4)
    c.send(SEAT, "incident.locate", {"incident_id": INCIDENT_ID, "lat": site.caller_gps[0],
                                     "lon": site.caller_gps[1], "source": "candidate", "candidate_source": "gps",
                                     "address": site.located_address})
    c.at(t + 12)
    c.send(SEAT, "unit.assign_recommended", {"incident_id": INCIDENT_ID, "unit_id": "A01", "rank": 1,
                                             "first_unit_id": "A01"})
    c.at(t + 20)
    c.send(SEAT, "unit.assign", {"incident_id": INCIDENT_ID, "unit_id": "A02"})
    assigned = t + 12
    c.at(assigned + 48)
    c.send(_device("A01"), "unit.status", {"unit_id": "A01", "status": "en_route"})
    c.at(assigned + 70)
    c.send(_device("A02"), "unit.status", {"unit_id": "A02", "status": "en_route"})

    c.at(assigned + 80)
    c.append(decide_link_created(c.state, SEAT, {"call_id": CALL_ID, "via": "sms"}, "L-0042-1",
                                 format_ts(c.now + timedelta(hours=2))), SEAT)
    for offset, name, extra in (
        (35, "call.link_opened", {}), (41, "call.link_consented", {}),
        (44, "call.link_located", {"location": {"source": "caller_link", "lat": site.caller_link[0], "lon": site.caller_link[1],
                                                "accuracy_m": 9.0, "at": format_ts(START + timedelta(seconds=assigned + 123))}}),
        (95, "call.photo_received", {"media_id": MEDIA_ID, "bytes": 412_338, "content_type": "image/jpeg",
                                     "sha256": "9f2c1e7ab04d5c3e8f6a7b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e"}),
    ):
        c.at(assigned + 80 + offset)
        c.append(decide_page_event(c.state, name, "L-0042-1", c.now, **extra), SYSTEM)
    c.at(assigned + 190)
    c.send(SEAT, "call.chat_send", {"call_id": CALL_ID, "text": "救护车已出发，请让人到楼下单元门口接车。"})
    c.at(assigned + 230)
    c.append(decide_page_event(c.state, "call.chat_received", "L-0042-1", c.now,
                               text="好的，我儿子下楼去接。"), SYSTEM)
    c.at(assigned + 240)
    c.send(SEAT, "unit.status", {"unit_id": "A02", "status": "available"})  # stood down: A01 is enough
    c.at(assigned + 300)
    c.send(SEAT, "call.ended", {"call_id": CALL_ID})

    on_scene = assigned + 540
    c.at(on_scene)
    c.send(_device("A01"), "unit.status", {"unit_id": "A01", "status": "on_scene"})
    fs = 250.0
    samples = _ecg_samples(10.0, fs)
    strip_start = START + timedelta(seconds=on_scene + 420)
    c.at(on_scene + 430)
    cut = {"strip_id": STRIP_ID, "start": format_ts(strip_start), "seconds": round(len(samples) / fs, 3),
           "channel": "ECG_II", "reason": "request", "alarm_code": None}
    c.append(decide_strip(c.state, SEAT, {"unit_id": "A01", "seconds": 10}, cut), SEAT)
    c.log.strips.append({"strip_id": STRIP_ID, "unit_id": "A01", "incident_id": INCIDENT_ID, "channel": "ECG_II",
                         "start": cut["start"], "seconds": cut["seconds"], "period_ms": 1000.0 / fs, "factor": 0.005,
                         "origin": 0, "unit": "mV", "samples": orjson.dumps(samples), "reason": "request",
                         "alarm_code": None, "created_at": format_ts(c.now)})
    transporting = on_scene + 900
    c.at(transporting)
    c.send(_device("A01"), "unit.status", {"unit_id": "A01", "status": "transporting"})
    c.at(transporting + 60)
    c.send(SEAT, "incident.set_destination", {"incident_id": INCIDENT_ID, "hospital_id": "H1", "rank": 1})
    c.at(transporting + 90)
    args = {"incident_id": INCIDENT_ID, "hospital_id": "H1", "unit_id": "A01", "eta_s": 840,
            "summary": {"age": 62, "sex": "male", "complaint": "stemi",
                        "note": "II、III、aVF 导联 ST 段抬高，已嚼服阿司匹林 300 mg"},
            "include_ecg": True}
    vitals = {"t": format_ts(c.now - timedelta(seconds=20)), "hr": 96, "spo2": 94, "nibp_sys": 152,
              "nibp_dia": 91, "rr": 22}
    c.append(decide_send(c.state, SEAT, args, {"prenotify_id": PRENOTIFY_ID, "unit_id": "A01",
                                               "has_vitals": True, "has_ecg": True}), SEAT)
    package = {"prenotify_id": PRENOTIFY_ID, "incident_id": INCIDENT_ID, "hospital_id": "H1",
               "hospital_name": "重医附一院", "unit_id": "A01", "call_sign": "渝中1", "sent_at": format_ts(c.now),
               "sent_by": SEAT.id, "eta_s": 840, "summary": args["summary"], "priority": 1, "triage": None,
               "vitals": vitals, "ecg": None}
    c.log.prenotifications.append({"prenotify_id": PRENOTIFY_ID, "hospital_id": "H1", "incident_id": INCIDENT_ID,
                                   "package": orjson.dumps(package), "created_at": format_ts(c.now)})
    c.at(transporting + 150)
    c.send(HOSPITAL, "prenotify.ack", {"prenotify_id": PRENOTIFY_ID, "response": "cath_lab_activated",
                                       "note": "导管室已准备，绕行急诊直送导管室"})
    c.at(transporting + 900)
    c.send(_device("A01"), "unit.status", {"unit_id": "A01", "status": "at_hospital"})
    c.at(transporting + 1500)
    c.send(_device("A01"), "unit.status", {"unit_id": "A01", "status": "available"})
    c.at(transporting + 1530)
    c.send(SEAT, "incident.close", {"incident_id": INCIDENT_ID, "reason": "transported",
                                    "note": "患者已交接导管室团队"})

    # The tracks: A01 from its station to the scene, waits there, drives to the hospital and waits
    # until it is available again; A02 drives towards the scene until it is stood down.
    go = route or _straight
    every = TRACK_INTERVAL_S
    a01 = (_drive(go(site.station, site.caller_gps), assigned + 48, on_scene, every)
           + _drive([site.caller_gps], on_scene + every, transporting - every, every)
           + _drive(go(site.caller_gps, site.hospital), transporting, transporting + 900, every)
           + _drive([site.hospital], transporting + 900 + every, transporting + 1500, every * 6))
    to_scene = go(site.second_unit_from, site.caller_gps)
    a02 = _drive(to_scene, assigned + 70, assigned + 240, every)
    # It covered about a third of the way before it was stood down: the fixes above are spread over
    # the whole path, so keep the times and take the positions from the path's first part.
    part = _drive(to_scene, assigned + 70, assigned + 70 + 3 * 170, every)[: len(a02)]
    c.log.positions = _position_rows("A01", a01) + _position_rows("A02", [(t, p) for (t, _), (_, p) in
                                                                         zip(a02, part, strict=True)])
    return c.log
