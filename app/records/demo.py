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

No I/O: :func:`build` returns the events and the rows of the server's side tables
(``strips``, ``prenotifications``); writing them into a database is the caller's job.
"""

from __future__ import annotations

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


def build() -> DemoLog:
    """The demonstration incident's log (deterministic: fixed ids and times)."""
    from app.triage import DEFAULT_PROTOCOL_DIR, TriageSession, load_protocol_set

    c = _Centre()
    c.at(-86_400)
    c.append([("station.registered", {"station_id": "ST-YZ", "name": "渝中急救站", "lat": 29.557, "lon": 106.574}),
              ("hospital.registered", {"hospital_id": "H1", "name": "重医附一院", "lat": 29.5386, "lon": 106.5114}),
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
            {"source": "gps", "lat": 29.56371, "lon": 106.57702, "accuracy_m": 18.0,
             "at": format_ts(START - timedelta(seconds=5))},
            {"source": "cell", "lat": 29.5662, "lon": 106.5811, "accuracy_m": 800.0},
        ]})
    c.at(4)
    c.send(SEAT, "call.answer", {"call_id": CALL_ID})
    c.at(25)
    c.send(SEAT, "incident.create", {
        "incident_id": INCIDENT_ID, "call_id": CALL_ID, "address": "重庆市渝中区民族路166号 3单元502",
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
    c.send(SEAT, "incident.locate", {"incident_id": INCIDENT_ID, "lat": 29.56371, "lon": 106.57702,
                                     "source": "candidate", "candidate_source": "gps",
                                     "address": "重庆市渝中区民族路166号"})
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
        (44, "call.link_located", {"location": {"source": "caller_link", "lat": 29.56368, "lon": 106.57695,
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
    return c.log
