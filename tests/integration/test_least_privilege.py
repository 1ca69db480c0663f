"""Least privilege and abuse limits of the central server, through real server processes.

A device (an ambulance terminal) learns of an incident only when its unit is assigned to it,
and only while it is; toggling ready/not ready cannot grow the log without bound; and with a
Redis bus the failed-login counts are shared by every instance.

One server serves the device and seat tests of this module (each test starts from every unit
available and leaves them so); the login test starts two instances on PostgreSQL and Redis.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import shutil
import time
import uuid
from datetime import UTC, datetime

import pytest

from app.domain.crew import apply_incident_brief
from app.domain.model import UnitStatus
from app.domain.state import State
from app.protocol import CloseCode
from app.sim.ambulance import AmbulanceCrew, SimulatedAmbulance
from app.sim.clock import ScaledClock
from app.sim.link import SimLink
from app.sim.live import scene_of
from server_stub.auth import new_token
from tests.integration.conftest import ServerProcess
from tests.integration.test_fanout_redis import stop_redis
from tests.integration.wsclient import ProtocolClient

pytestmark = pytest.mark.integration

CALLER = "13800138000"
SCENE = (29.5586, 106.5773)  # 解放碑, WGS-84


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, registry_template) -> ServerProcess:
    workdir = tmp_path_factory.mktemp("least-privilege")
    db_path = workdir / "events.sqlite"
    shutil.copyfile(registry_template.db_path, db_path)
    wal = registry_template.db_path.with_name(registry_template.db_path.name + "-wal")
    if wal.exists():
        shutil.copyfile(wal, db_path.with_name(db_path.name + "-wal"))
    process = ServerProcess(workdir, db_path, dict(registry_template.tokens), 15.0, [])
    process.start()
    yield process
    process.close()


@pytest.fixture
def seat(server: ServerProcess):
    seat = server.client("seat-1")
    yield seat
    for unit in ("A1", "A2"):  # stand every unit down: the next test starts from available units
        reply = seat.command("unit.status", {"unit_id": unit, "status": "available"})
        assert reply["type"] == "ack", reply


def new_incident(seat: ProtocolClient, address: str, **fields) -> str:
    incident_id = str(uuid.uuid4())
    reply = seat.command("incident.create", {"incident_id": incident_id, "address": address,
                                             "callback_number": CALLER, "priority": 1, **fields})
    assert reply["type"] == "ack", reply
    return incident_id


def assign(seat: ProtocolClient, incident_id: str, unit_id: str) -> dict:
    reply = seat.command("unit.assign", {"incident_id": incident_id, "unit_id": unit_id})
    assert reply["type"] == "ack", reply
    return reply


_hospital_status = itertools.cycle(["busy", "open"])


def everything_sent_so_far_arrived(seat: ProtocolClient, *devices: ProtocolClient) -> None:
    """A change every device receives (a hospital's status); frames arrive in order, so once it
    is there nothing sent before it is still on its way."""
    reply = seat.command("hospital.set_status", {"hospital_id": "h-1", "status": next(_hospital_status)})
    assert reply["type"] == "ack" and reply["events"] == 1, reply
    for device in devices:
        device.wait_for(lambda m, seq=reply["seq"]: m["type"] == "event" and m["seq"] == seq)


# ---------------------------------------------------------------- devices


def test_a_device_gets_its_incident_at_assignment_then_its_updates_and_nothing_once_cleared(server, seat):
    crew, other_crew = server.client("dev-A1"), server.client("dev-A2")
    scene = new_incident(seat, "民族路166号", description="胸痛")
    assert seat.command("incident.locate", {"incident_id": scene, "lat": SCENE[0], "lon": SCENE[1],
                                            "source": "map_click"})["type"] == "ack"
    assert seat.command("incident.update", {"incident_id": scene, "description": "胸痛，大汗"})["type"] == "ack"
    elsewhere = new_incident(seat, "较场口地铁站2号出口")
    assign(seat, elsewhere, "A2")

    ack = assign(seat, scene, "A1")
    brief = crew.wait_for(lambda m: m["type"] == "incident_brief")
    assigned = crew.wait_event("unit.assigned", unit_id="A1")
    assert brief["seq"] == assigned["seq"] == ack["seq"]  # the brief comes just before its event
    incident = brief["incident"]
    assert (incident["address"], incident["description"], incident["priority"]) == ("民族路166号", "胸痛，大汗", 1)
    assert (incident["location"]["lat"], incident["location"]["lon"]) == SCENE
    assert incident["callback_number"] is None
    assert set(brief["units"]) == {"A1"} and brief["units"]["A1"]["status"] == "available"

    # A device's projection: its snapshot, the brief, then the event — the crew knows where to go.
    state = State.from_dict(crew.sync_messages[0]["state"])
    assert apply_incident_brief(state, brief) and state.apply(assigned)
    assert (state.units["A1"]["status"], state.units["A1"]["incident_id"]) == ("dispatched", scene)
    assert scene_of(state, state.incidents[scene], datetime.now(UTC)) == SCENE

    # While assigned: the incident's later changes.
    assert seat.command("incident.update", {"incident_id": scene, "patients": 2})["type"] == "ack"
    assert crew.wait_event("incident.updated", incident_id=scene)["data"]["changes"] == {"patients": 2}
    assert crew.command("unit.status", {"unit_id": "A1", "status": "en_route"})["type"] == "ack"

    # Stood down: its own status change, then nothing more of that incident.
    assert seat.command("unit.status", {"unit_id": "A1", "status": "available"})["type"] == "ack"
    crew.wait_event("unit.status_changed", unit_id="A1", status="available")
    assert seat.command("incident.update", {"incident_id": scene, "description": "已取消"})["type"] == "ack"
    everything_sent_so_far_arrived(seat, crew, other_crew)

    seen = repr(crew.received)
    assert "已取消" not in seen
    assert elsewhere not in seen and "较场口" not in seen  # another crew's incident
    assert "'A2'" not in seen  # another unit, not on its incident
    assert CALLER not in seen
    assert not {e["name"] for e in crew.events if e["name"].startswith(("call.", "seat.", "principal.",
                                                                           "incident.created"))}
    assert scene not in repr(other_crew.received)


def test_a_device_sees_the_crews_that_join_its_incident_but_not_their_other_work(server, seat):
    crew, other_crew = server.client("dev-A1"), server.client("dev-A2")
    scene = new_incident(seat, "民族路166号")
    elsewhere = new_incident(seat, "较场口地铁站2号出口")
    assign(seat, scene, "A1")
    assign(seat, elsewhere, "A2")
    assert other_crew.command("unit.status", {"unit_id": "A2", "status": "en_route"})["type"] == "ack"
    assert seat.command("unit.status", {"unit_id": "A2", "status": "available"})["type"] == "ack"

    ack = assign(seat, scene, "A2")  # a second crew joins
    joined = crew.wait_for(lambda m: m["type"] == "incident_brief" and m["seq"] == ack["seq"])
    assert set(joined["units"]) == {"A1", "A2"}
    crew.wait_event("unit.assigned", unit_id="A2", incident_id=scene)
    theirs = other_crew.wait_for(lambda m: m["type"] == "incident_brief" and m["seq"] == ack["seq"])
    assert theirs["incident"]["address"] == "民族路166号"
    assert other_crew.command("unit.status", {"unit_id": "A2", "status": "en_route"})["type"] == "ack"
    crew.wait_event("unit.status_changed", unit_id="A2", status="en_route", incident_id=scene)
    everything_sent_so_far_arrived(seat, crew)

    assert elsewhere not in repr(crew.received)  # A2's earlier run stayed A2's


def test_a_reconnecting_device_gets_a_snapshot_of_its_own_unit_and_incident_only(server, seat):
    scene = new_incident(seat, "民族路166号")
    elsewhere = new_incident(seat, "较场口地铁站2号出口")
    assign(seat, scene, "A1")
    ack = assign(seat, elsewhere, "A2")

    crew = server.client("dev-A1", last_seq=ack["seq"] - 3)  # asks for a replay
    assert crew.welcome["resume"] == "snapshot"
    (snapshot,) = crew.sync_messages
    state = snapshot["state"]
    assert set(state["units"]) == {"A1"} and set(state["incidents"]) == {scene}
    assert state["incidents"][scene]["callback_number"] is None
    assert state["calls"] == state["seats"] == state["principals"] == {}
    assert set(state["stations"]) == {"st-1"} and set(state["hospitals"]) == {"h-1"}


def test_the_simulated_ambulance_finds_its_assignment_and_the_scene_and_knows_no_other_incident(server, seat):
    elsewhere = new_incident(seat, "较场口地铁站2号出口")
    assign(seat, elsewhere, "A2")
    scene = new_incident(seat, "民族路166号")
    assert seat.command("incident.locate", {"incident_id": scene, "lat": SCENE[0], "lon": SCENE[1],
                                            "source": "map_click"})["type"] == "ack"

    async def drive() -> AmbulanceCrew:
        crew = AmbulanceCrew("A1", rng=random.Random(7))
        link = SimLink(server.url, server.tokens["dev-A1"], client_name="pytest-ambulance")
        ambulance = SimulatedAmbulance(crew, link, ScaledClock())
        task = asyncio.get_running_loop().create_task(ambulance.run())
        try:
            await asyncio.wait_for(link.ever_synced.wait(), 10)
            await asyncio.to_thread(assign, seat, scene, "A1")
            deadline = time.monotonic() + 10
            while crew.plan is None or crew.plan.incident_id != scene:
                assert time.monotonic() < deadline, "the crew never planned for its assignment"
                await asyncio.sleep(0.02)
            assert scene_of(link.state, link.state.incidents[scene], datetime.now(UTC)) == SCENE
            assert set(link.state.incidents) == {scene} and set(link.state.units) == {"A1"}
            return crew
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    crew = asyncio.run(drive())
    assert crew.plan is not None and crew.plan.status == UnitStatus.EN_ROUTE  # it will set off


# ---------------------------------------------------------------- seats


def test_toggling_ready_appends_only_real_changes_and_is_rate_limited_per_seat(server):
    seat = server.client("seat-2")
    before = [e for e in server.db_events() if e["name"] == "seat.state_changed" and e["data"]["seat_id"] == "seat-2"]
    assert seat.command("seat.set_ready", {"ready": False})["events"] == 0  # already not ready: nothing
    accepted, refused, ready = 0, None, False
    for _ in range(40):
        ready = not ready
        reply = seat.command("seat.set_ready", {"ready": ready})
        if reply["type"] == "error":
            refused = reply
            ready = not ready  # not applied
            break
        assert reply["events"] == 1
        accepted += 1
    assert refused is not None, "40 changes in a row were all accepted"
    assert refused["code"] == "rate_limited" and "retry after" in refused["message"]
    assert accepted == 20
    # Asking for the state the seat is in is still answered, and appends nothing.
    assert seat.command("seat.set_ready", {"ready": ready})["events"] == 0

    after = [e for e in server.db_events() if e["name"] == "seat.state_changed" and e["data"]["seat_id"] == "seat-2"]
    assert len(after) - len(before) == accepted
    # The centre's state says what the seat really is; other seats are not limited by it.
    watcher = server.client("seat-1")
    state = watcher.sync_messages[0]["state"]
    assert state["seats"]["seat-2"]["state"] == ("ready" if ready else "not_ready")
    assert watcher.command("seat.set_ready", {"ready": True})["type"] == "ack"
    assert watcher.command("seat.set_ready", {"ready": False})["type"] == "ack"


# ---------------------------------------------------------------- logins across instances


def hello(server: ServerProcess, token: str) -> tuple[dict, int | None]:
    conn = ProtocolClient.connect(server.url)
    server.clients.append(conn)
    reply = conn.hello(token)
    return reply, (conn.expect_close()[0] if reply["type"] == "error" else None)


def test_failed_logins_are_counted_across_instances_and_a_lost_redis_does_not_stop_logins(
    start_server, pg_url, redis_server
):
    limits = ["--bus", redis_server.url, "--login-failures", "50,3", "--login-window", "600"]
    a = start_server(db_url=pg_url, extra_args=limits)
    b = start_server(db_url=pg_url, extra_args=limits)
    guessed = new_token()
    for _ in range(2):
        reply, code = hello(a, guessed)
        assert (reply["code"], code) == ("unauthenticated", CloseCode.AUTH_FAILED)
    reply, code = hello(b, guessed)  # the third failure, on the other instance
    assert (reply["code"], code) == ("unauthenticated", CloseCode.AUTH_FAILED)

    reply, code = hello(b, guessed)  # B saw one failure itself, but the centre saw three
    assert (reply["code"], code) == ("rate_limited", CloseCode.TRY_AGAIN_LATER)
    assert "this credential" in reply["message"] and "retry after" in reply["message"]

    stop_redis(redis_server)  # Redis is lost: logins go on, limited per instance
    assert hello(a, a.tokens["seat-1"])[0]["type"] == "welcome"
    assert hello(a, guessed)[0]["code"] == "unauthenticated"  # A saw two failures itself: one more is allowed
    assert hello(a, guessed)[0]["code"] == "rate_limited"
    again = new_token()
    for _ in range(3):
        assert hello(b, again)[0]["code"] == "unauthenticated"
    assert hello(b, again)[0]["code"] == "rate_limited"
    log_text = b.log_path.read_text(encoding="utf-8")
    assert log_text.count("failed logins are counted on this instance only") == 1
    assert guessed not in log_text and again not in log_text
