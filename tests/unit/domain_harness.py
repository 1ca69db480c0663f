"""A pocket dispatch centre for domain tests: ``decide`` -> events -> ``State.apply``.

It does what the server does around the pure core, and nothing more: the
codec's argument validation and the role table before :func:`decide`, then
every drafted event is validated against the protocol, given the next ``seq``
and a fake timestamp, and applied to the projection. No I/O, no real clock.

Plain helper module (not a conftest) so that tests import what they use by name.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from app.domain.caller_link import decide_link_created, decide_page_event, decide_revoke_call
from app.domain.decide import (
    SYSTEM,
    EventDraft,
    Principal,
    decide,
    ring_timeout,
    seat_connected,
    seat_disconnected,
)
from app.domain.model import Role
from app.domain.state import State
from app.protocol import (
    COMMAND_ROLES,
    ErrorCode,
    ProtocolError,
    event,
    format_ts,
    parse_ts,
    validate_command,
    validate_event,
)

START = datetime(2026, 11, 27, 2, 14, 5, tzinfo=UTC)  # 10:14:05 Beijing time
ADMIN = Principal(id="admin", role=Role.ADMIN, name="admin")
SWITCH = Principal(id="pbx-1", role=Role.SWITCH, name="程控交换机")


def fingerprint(state: State) -> bytes:
    """A cheap exact picture of a state (no deep copy), to check that something did not change it."""
    tables = {
        name: getattr(state, name)
        for name in ("calls", "seats", "incidents", "units", "stations", "hospitals", "principals")
    }
    return orjson.dumps([state.seq, state.skipped, tables], option=orjson.OPT_SORT_KEYS)


def seat(seat_id: str) -> Principal:
    return Principal(id=seat_id, role=Role.SEAT, name=f"{seat_id} 席位")


def device(unit_id: str) -> Principal:
    return Principal(id=f"dev-{unit_id}", role=Role.DEVICE, name=f"{unit_id} 车载终端", unit_id=unit_id)


class Centre:
    """The projection plus the event log, driven like the server drives it.

    Every method that appends events returns the appended event messages, so a
    test can assert on exactly what a command produced.
    """

    def __init__(self, *, start: datetime = START, step_s: float = 1.0) -> None:
        self.state = State()
        self.log: list[dict[str, Any]] = []
        # len(log) after each command or ACD decision: the states a server can be seen in.
        self.resting_points: list[int] = [0]
        self.now = start
        self.step = timedelta(seconds=step_s)

    @classmethod
    def replay(cls, events: list[dict[str, Any]]) -> Centre:
        """A centre that has seen ``events`` (e.g. a prefix of another centre's log)."""
        c = cls()
        for msg in events:
            c.state.apply(msg)
            c.log.append(msg)
        if events:
            c.now = parse_ts(events[-1]["ts"])
        return c

    # ------------------------------------------------------------ plumbing
    def advance(self, seconds: float) -> None:
        """Let time pass without any event (e.g. a seat idling)."""
        self.now += timedelta(seconds=seconds)

    def append(self, drafts: list[EventDraft], who: Principal = SYSTEM, ref: str | None = None) -> list[dict]:
        """Validate, number, stamp and apply drafts as the server would. Returns the events."""
        appended = []
        for name, data in drafts:
            validate_event(name, data)
            self.now += self.step
            msg = event(
                seq=self.state.seq + 1,
                ts=format_ts(self.now),
                name=name,
                actor={"id": who.id, "role": who.role.value},
                ref=ref,
                data=data,
            )
            changed = self.state.apply(msg)
            assert changed, f"a decided event changed nothing: {name} {data}"
            self.log.append(msg)
            appended.append(msg)
        self.resting_points.append(len(self.log))
        return appended

    def send(self, who: Principal, name: str, args: dict[str, Any], *, ref: str | None = None) -> list[dict]:
        """Send a command as ``who``: validate, check the role, decide, append.

        Raises:
            ProtocolError: from validation (INVALID_ARGS), the role check
                (FORBIDDEN) or :func:`decide`; nothing is appended then.
        """
        validate_command(name, args)
        if who.role not in COMMAND_ROLES[name]:
            raise ProtocolError(ErrorCode.FORBIDDEN, f"{who.role} may not send {name}")
        before = fingerprint(self.state)
        try:
            drafts = decide(self.state, who, name, args)
        except ProtocolError:
            assert fingerprint(self.state) == before, "a refused command changed the state"
            raise
        return self.append(drafts, who, ref)

    # ------------------------------------------------------------ registry
    def register_unit(self, unit_id: str, call_sign: str, *, capability: str = "als") -> list[dict]:
        data = {"unit_id": unit_id, "call_sign": call_sign, "station_id": "ST-YZ", "capability": capability}
        return self.append([("unit.registered", data)], ADMIN)

    def register_seat(self, seat_id: str) -> list[dict]:
        data = {"principal_id": seat_id, "role": "seat", "name": f"{seat_id} 席位", "unit_id": None}
        return self.append([("principal.registered", data)], ADMIN)

    # ------------------------------------------------------------ seats and ACD
    def connect(self, seat_id: str) -> list[dict]:
        return self.append(seat_connected(self.state, seat_id))

    def disconnect(self, seat_id: str) -> list[dict]:
        return self.append(seat_disconnected(self.state, seat_id))

    def ready(self, seat_id: str, ready: bool = True) -> list[dict]:
        return self.send(seat(seat_id), "seat.set_ready", {"ready": ready})

    def login_ready(self, *seat_ids: str) -> None:
        """Seats connect and say ready, in the order given (first = idle longest)."""
        for seat_id in seat_ids:
            self.connect(seat_id)
            self.ready(seat_id)

    def ring_out(self, call_id: str, seat_id: str) -> list[dict]:
        """The ring timer for ``call_id`` at ``seat_id`` fired."""
        return self.append(ring_timeout(self.state, call_id, seat_id))

    def offer_call(self, call_id: str, number: str = "13800138000", **extra: Any) -> list[dict]:
        return self.send(SWITCH, "call.offered", {"call_id": call_id, "caller_number": number, **extra})

    # ------------------------------------------------------------ views
    def call(self, call_id: str) -> dict:
        return self.state.calls[call_id]

    def seat_state(self, seat_id: str) -> str:
        return self.state.seats[seat_id]["state"]

    def unit(self, unit_id: str) -> dict:
        return self.state.units[unit_id]

    def incident(self, incident_id: str) -> dict:
        return self.state.incidents[incident_id]


def names(events: list[dict]) -> list[str]:
    return [e["name"] for e in events]


INCIDENT_1 = "3f6d1b2a-8c4e-4f7a-9b0c-5d2e1a3f4b6c"
INCIDENT_2 = "9a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


def staffed_centre() -> Centre:
    """Two ambulances (急救1 ALS, 急救2 BLS) at the station; seat-1 and seat-2 logged in and ready."""
    c = Centre()
    c.register_unit("A01", "急救1")
    c.register_unit("A02", "急救2", capability="bls")
    c.register_seat("seat-1")
    c.register_seat("seat-2")
    c.login_ready("seat-1", "seat-2")
    return c


def open_incident(
    c: Centre, incident_id: str = INCIDENT_1, call_id: str = "20261127-0001", **fields: Any
) -> str:
    """A call comes in, is answered where it rings, and the dispatcher records an incident.

    Returns the seat that took the call (where it rang, else seat-1 takes it from the queue).
    """
    c.offer_call(call_id, location_text="渝中区解放碑步行街88号附近")
    seat_id = c.call(call_id)["seat_id"] or "seat-1"
    c.send(seat(seat_id), "call.answer", {"call_id": call_id})
    args = {
        "incident_id": incident_id,
        "call_id": call_id,
        "address": "重庆市渝中区民族路166号",
        "callback_number": "13800138000",
        "description": "男性，约60岁，突发胸痛",
        **fields,
    }
    c.send(seat(seat_id), "incident.create", args)
    return seat_id


def busy_day() -> Centre:
    """A scripted shift (three seats, two ambulances) in which the core drafts every kind of event it can."""
    c = staffed_centre()
    c.register_seat("seat-3")
    c.connect("seat-3")
    # 1. Chest pain: rings out at seat-1, answered at seat-2, full transport cycle.
    c.offer_call("20261127-0001", caller_name="张先生", location_text="解放碑步行街88号", line="trunk-1")
    c.ring_out("20261127-0001", "seat-1")
    c.send(seat("seat-2"), "call.answer", {"call_id": "20261127-0001"})
    c.send(
        seat("seat-2"),
        "incident.create",
        {
            "incident_id": INCIDENT_1,
            "call_id": "20261127-0001",
            "address": "重庆市渝中区民族路166号",
            "priority": 2,
        },
    )
    c.send(seat("seat-2"), "incident.update", {"incident_id": INCIDENT_1, "patients": 2, "priority": 1})
    c.send(seat("seat-2"), "unit.assign", {"incident_id": INCIDENT_1, "unit_id": "A01", "unit_version": 0})
    # Triage on the phone: the patient collapses; telephone CPR until the crew arrives.
    for question, answer in (("conscious", "no"), ("breathing_normally", "no")):
        c.send(seat("seat-2"), "triage.answer", {"incident_id": INCIDENT_1, "protocol": "case_entry",
                                                 "protocol_version": "2026.11", "question": question,
                                                 "answer": answer})
    c.send(seat("seat-2"), "triage.arrest_recognised", {"incident_id": INCIDENT_1, "at": "2026-11-27T02:16:30.000Z"})
    c.send(seat("seat-2"), "triage.complete", {"incident_id": INCIDENT_1, "protocol": "cardiac_arrest",
                                               "protocol_version": "2026.11", "determinant": "09-E-1", "priority": 1,
                                               "plan": "als_emergency", "capability": "als", "cpr": True})
    c.send(seat("seat-2"), "cpr.started", {"incident_id": INCIDENT_1, "rate_per_min": 110, "variant": "adult"})
    c.send(seat("seat-2"), "cpr.stopped", {"incident_id": INCIDENT_1, "compressions": 440, "reason": "ems_arrived"})
    # The caller's phone sends its GPS fix late; the dispatcher confirms it.
    gps = {"source": "gps", "lat": 29.5586, "lon": 106.5772, "accuracy_m": 12.0, "at": None, "address": None}
    c.send(SWITCH, "call.add_location", {"call_id": "20261127-0001", "location": gps})
    c.send(
        seat("seat-2"),
        "incident.locate",
        {"incident_id": INCIDENT_1, "lat": 29.5586, "lon": 106.5772, "source": "candidate", "candidate_source": "gps"},
    )
    c.send(seat("seat-2"), "call.ended", {"call_id": "20261127-0001"})
    # The same caller calls again while the crew is on its way: attached to the incident.
    c.offer_call("20261127-0011")
    c.send(seat("seat-2"), "call.answer", {"call_id": "20261127-0011"})
    c.send(seat("seat-2"), "call.attach", {"call_id": "20261127-0011", "incident_id": INCIDENT_1})
    c.send(seat("seat-2"), "call.ended", {"call_id": "20261127-0011"})
    report(c, "A01", "en_route", "on_scene", "transporting", "at_hospital", "available")
    c.send(
        seat("seat-2"), "incident.close", {"incident_id": INCIDENT_1, "reason": "transported", "note": None}
    )
    # 2. A caller gives up in the queue; another is picked up from the queue display.
    c.offer_call("20261127-0002", number="13912345678")
    c.send(SWITCH, "call.abandoned", {"call_id": "20261127-0002"})
    c.ready("seat-1")
    c.offer_call("20261127-0003", number="02363451234")
    c.send(seat("seat-3"), "call.answer", {"call_id": "20261127-0003"})
    # 3. A fall at home; cancelled while the unit is on its way.
    c.send(seat("seat-3"), "incident.create", {"incident_id": INCIDENT_2, "call_id": "20261127-0003"})
    c.send(seat("seat-3"), "unit.assign", {"incident_id": INCIDENT_2, "unit_id": "A02"})
    report(c, "A02", "en_route")
    c.send(SWITCH, "call.ended", {"call_id": "20261127-0003"})
    c.send(seat("seat-3"), "incident.close", {"incident_id": INCIDENT_2, "reason": "cancelled"})
    # 4. Seat-1's network drops with a call ringing; the crew of 急救2 goes off duty.
    c.offer_call("20261127-0004")
    c.disconnect("seat-1")
    c.connect("seat-1")
    report(c, "A02", "out_of_service")
    # 5. Unit recommendation: a dispatcher sends the second suggestion and says why.
    c.send(seat("seat-3"), "incident.create", {"incident_id": "5d1e9b7a-3c2f-4e8d-9a6b-1f0e2d3c4b5a"})
    c.send(seat("seat-3"), "unit.assign_recommended", {
        "incident_id": "5d1e9b7a-3c2f-4e8d-9a6b-1f0e2d3c4b5a", "unit_id": "A01", "rank": 2, "first_unit_id": "A02",
        "override_reason": "road_conditions", "override_note": "桥梁封闭"})
    c.send(seat("seat-3"), "incident.close", {"incident_id": "5d1e9b7a-3c2f-4e8d-9a6b-1f0e2d3c4b5a",
                                              "reason": "duplicate"})
    # 6. The caller link: a deaf caller gets a link, shares GPS, then turns it off, texts; the
    #    dispatcher answers, pushes the CPR card; closing the incident revokes the link.
    caller_link(c)
    # 7. Hospitals: the ED reports busy; a dispatcher picks the second destination and says why.
    c.append([("hospital.registered", {"hospital_id": "H-CQMU1", "name": "重医附一院", "lat": 29.5347, "lon": 106.512})])
    c.send(seat("seat-1"), "hospital.set_status", {"hospital_id": "H-CQMU1", "status": "busy", "note": "抢救室满床"})
    c.send(seat("seat-1"), "incident.create", {"incident_id": "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"})
    c.send(seat("seat-1"), "incident.set_destination", {
        "incident_id": "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d", "hospital_id": "H-CQMU1", "rank": 2,
        "reason": "patient_request"})
    c.send(seat("seat-1"), "incident.close", {"incident_id": "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d",
                                              "reason": "cancelled"})
    return c


def caller_link(c: Centre) -> None:
    """Step 6 of :func:`busy_day`: what the server's caller-link service decides, in the order it does."""
    page = Principal(id="caller-link", role=Role.ADMIN, name="caller link")
    incident = "2c4e6a8b-0d1f-4a3b-8c5d-7e9f0a1b2c3d"
    c.offer_call("20261127-0021", number="13600136000")
    c.send(seat("seat-3"), "call.answer", {"call_id": "20261127-0021"})
    c.send(seat("seat-3"), "incident.create", {"incident_id": incident, "call_id": "20261127-0021"})
    args = {"call_id": "20261127-0021", "via": "sms"}
    c.append(decide_link_created(c.state, seat("seat-3"), args, "L0123456789abcdef", "2026-11-27T06:00:00.000Z"),
             seat("seat-3"))
    fix = {"source": "caller_link", "lat": 29.56, "lon": 106.55, "accuracy_m": 8.0, "at": "2026-11-27T03:00:00.000Z"}
    for name, extra in (("call.link_opened", {}), ("call.link_consented", {}), ("call.link_located", {"location": fix}),
                        ("call.link_location_refused", {}), ("call.chat_received", {"text": "我听不见，请打字"}),
                        ("call.photo_refused", {"bytes": 52428800, "reason": "too_large"}),
                        ("call.photo_received", {"media_id": "ecfe0fda-20c8-55cf-8cb5-9eec286c19b5", "bytes": 3797,
                                                 "sha256": "b2fab9325606fa4c5c6d45c8befce6d88125eba19d0dd8614cb29c06c53e43f4",
                                                 "content_type": "image/jpeg"})):
        c.append(decide_page_event(c.state, name, "L0123456789abcdef", c.now, **extra), page)
    c.send(seat("seat-3"), "call.chat_send", {"call_id": "20261127-0021", "text": "病人有呼吸吗？"})
    c.send(seat("seat-3"), "call.guidance_push", {"call_id": "20261127-0021", "card_id": "cpr_adult"})
    c.send(seat("seat-3"), "incident.close", {"incident_id": incident, "reason": "treated_on_scene"})
    c.append(decide_revoke_call(c.state, "20261127-0021", "incident_closed"), page)


def report(c: Centre, unit_id: str, *statuses: str) -> None:
    """The unit's own device reports each status in turn."""
    for status in statuses:
        c.send(device(unit_id), "unit.status", {"unit_id": unit_id, "status": status})


@contextmanager
def refused(code: ErrorCode) -> Iterator[pytest.ExceptionInfo[ProtocolError]]:
    """Expect a ProtocolError with ``code`` (and, through :meth:`Centre.send`, no state change)."""
    with pytest.raises(ProtocolError) as exc:
        yield exc
    assert exc.value.code == code, exc.value.message
