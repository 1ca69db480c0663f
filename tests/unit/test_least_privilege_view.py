"""What a device is sent of a committed batch, the ready-toggle rule and the login counts' fall-back (no I/O)."""

from __future__ import annotations

import asyncio
import logging
import uuid

import orjson

from app.domain.crew import apply_incident_brief
from app.domain.state import State
from app.protocol import decode
from app.protocol.session import decode_server_frame
from server_stub.auth import LoginLimiter
from server_stub.fanout import LocalBus, LocalLoginLimits, RedisBus, SharedLoginLimits, login_limits
from server_stub.presence import would_change_ready
from server_stub.visibility import DeviceView

TS = "2026-11-27T02:16:02.000Z"
SCENE, ELSEWHERE = str(uuid.uuid4()), str(uuid.uuid4())


class Centre:
    """The server's side of the bus: observe each event before applying it, then send the batch."""

    def __init__(self, view: DeviceView) -> None:
        self.state = State()
        self.view = view

    def commit(self, *drafts: tuple[str, dict]) -> dict[str | None, list[dict]]:
        batch = []
        for name, data in drafts:
            msg = {"v": 1, "type": "event", "seq": self.state.seq + 1, "ts": TS, "name": name,
                   "actor": {"id": "seat-1", "role": "seat"}, "ref": None, "data": data}
            self.view.observe(self.state, msg)
            self.state.apply(msg)
            batch.append(msg)
        frames = self.view.frames(batch, ["A1", "A2"])
        return {unit: [decode_server_frame(f) for f in sent] for unit, sent in frames.items()}


def registered() -> Centre:
    centre = Centre(DeviceView())
    centre.commit(
        ("station.registered", {"station_id": "st-1", "name": "南岸急救站", "lat": 29.52, "lon": 106.57}),
        ("unit.registered", {"unit_id": "A1", "call_sign": "渝A1", "station_id": "st-1", "capability": "als"}),
        ("unit.registered", {"unit_id": "A2", "call_sign": "渝A2", "station_id": "st-1", "capability": "bls"}),
    )
    return centre


def device_state(centre: Centre, unit_id: str) -> State:
    """A device that connects now: its snapshot as it travels."""
    snapshot = centre.view.snapshot(centre.state, unit_id)
    return State.from_dict(orjson.loads(orjson.dumps(snapshot)))


def receive(state: State, messages: list[dict]) -> None:
    for msg in messages:
        if msg["type"] == "incident_brief":
            apply_incident_brief(state, msg)
        else:
            state.apply(msg)


def test_an_assignment_and_a_change_committed_in_one_batch_reach_the_crew_once_each_in_order():
    centre = registered()
    centre.commit(("incident.created", {"incident_id": SCENE, "seat_id": "seat-1", "address": "民族路166号",
                                        "callback_number": "13800138000", "priority": 2}))
    crew = device_state(centre, "A1")

    sent = centre.commit(  # group commit: the three are applied before anything is sent
        ("unit.assigned", {"incident_id": SCENE, "unit_id": "A1", "version": 1}),
        ("incident.updated", {"incident_id": SCENE, "changes": {"priority": 1}}),
        ("unit.status_changed", {"unit_id": "A1", "status": "en_route", "previous": "dispatched",
                                 "incident_id": SCENE, "version": 2, "manual": False}),
    )
    kinds = [m["type"] if m["type"] != "event" else m["name"] for m in sent["A1"]]
    assert kinds == ["incident_brief", "unit.assigned", "incident.updated", "unit.status_changed"]
    brief = sent["A1"][0]
    assert brief["incident"]["priority"] == 2  # as it was just before the assignment
    receive(crew, sent["A1"])
    # The crew's projection of its incident is the centre's, without the caller's number.
    assert crew.incidents[SCENE] == {**centre.state.incidents[SCENE], "callback_number": None}
    assert crew.units["A1"] == centre.state.units["A1"]
    assert "A2" not in sent  # another crew: nothing


def test_a_crew_cleared_in_a_batch_gets_nothing_of_its_incident_after_the_clearing():
    centre = registered()
    centre.commit(("incident.created", {"incident_id": SCENE, "seat_id": "seat-1", "address": "民族路166号"}),
                  ("unit.assigned", {"incident_id": SCENE, "unit_id": "A1", "version": 1}))
    sent = centre.commit(
        ("incident.updated", {"incident_id": SCENE, "changes": {"description": "胸痛"}}),
        ("unit.status_changed", {"unit_id": "A1", "status": "available", "previous": "dispatched",
                                 "incident_id": SCENE, "version": 2, "manual": True}),
        ("incident.closed", {"incident_id": SCENE, "reason": "cancelled"}),
    )
    assert [m["name"] for m in sent["A1"]] == ["incident.updated", "unit.status_changed"]


def test_a_device_snapshot_holds_its_unit_its_incident_and_the_places_only():
    centre = registered()
    centre.commit(("incident.created", {"incident_id": SCENE, "seat_id": "seat-1", "callback_number": "110"}),
                  ("incident.created", {"incident_id": ELSEWHERE, "seat_id": "seat-1"}),
                  ("unit.assigned", {"incident_id": SCENE, "unit_id": "A1", "version": 1}),
                  ("unit.assigned", {"incident_id": ELSEWHERE, "unit_id": "A2", "version": 1}))
    snapshot = centre.view.snapshot(centre.state, "A1")
    assert set(snapshot["units"]) == {"A1"} and set(snapshot["incidents"]) == {SCENE}
    assert snapshot["incidents"][SCENE]["callback_number"] is None
    assert set(snapshot["stations"]) == {"st-1"} and snapshot["calls"] == snapshot["principals"] == {}
    assert snapshot["seq"] == centre.state.seq
    decode(orjson.dumps({"v": 1, "type": "snapshot", "seq": snapshot["seq"], "state": snapshot}),
           allowed=frozenset({"snapshot"}))


def test_only_a_request_that_changes_a_seats_state_counts_as_a_ready_change():
    state = State()
    assert would_change_ready(state, "seat-1", True)  # unknown seat: offline
    state.seats["seat-1"] = {"seat_id": "seat-1", "state": "not_ready"}
    assert not would_change_ready(state, "seat-1", False)
    assert would_change_ready(state, "seat-1", True)
    state.seats["seat-1"]["state"] = "busy"
    assert not would_change_ready(state, "seat-1", True)  # ringing there already
    assert would_change_ready(state, "seat-1", False)


def test_login_counts_fall_back_to_this_instance_when_redis_is_away_and_say_so_once(caplog):
    local = LoginLimiter(per_address=10, per_credential=2, window_s=60.0)
    assert isinstance(login_limits(LocalBus(), local), LocalLoginLimits)
    away = RedisBus("redis://127.0.0.1:1/0", "dispatch120:test")  # never started: not healthy
    limits = login_limits(away, local)
    assert isinstance(limits, SharedLoginLimits)

    async def story() -> list[tuple[str, float] | None]:
        seen = [await limits.retry_after(0.0, address="10.0.0.1", credential="c")]
        for t in (1.0, 2.0):
            await limits.failed(t, address="10.0.0.1", credential="c")
        seen.append(await limits.retry_after(3.0, address="10.0.0.2", credential="c"))
        return seen

    with caplog.at_level(logging.WARNING, logger="server_stub.fanout"):
        first, limited = asyncio.run(story())
    assert first is None
    assert limited is not None and limited[0] == "credential" and limited[1] > 0
    assert sum("counted on this instance only" in r.getMessage() for r in caplog.records) == 1
