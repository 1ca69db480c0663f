"""First responders through a real server: who is alerted, what a volunteer sees, the AED fetcher."""

from __future__ import annotations

import re
import time

import pytest

from app.protocol import new_id, now_iso
from app.protocol.responders import volunteer_position

try:
    from tests.integration.wsclient import ProtocolClient
except ImportError:  # pragma: no cover
    from wsclient import ProtocolClient

pytestmark = pytest.mark.integration

SCENE = (43.7384, 7.4246)  # Monte-Carlo
NEAR = (43.7402, 7.4246)  # ~200 m north
FAR = (43.7474, 7.4246)  # ~1 km north


def add_volunteer(server, vid: str) -> str:
    result = server.admin("add-volunteer", vid, "--name", f"志愿者{vid}")
    assert result.returncode == 0, result.stderr
    return re.search(r"One-time token for .*?:\s+(\S+)", result.stdout, re.S).group(1)


def volunteer(server, vid: str, where: tuple[float, float]) -> ProtocolClient:
    conn = ProtocolClient.open(server.url, token=add_volunteer(server, vid))
    server.clients.append(conn)
    conn.send_json(volunteer_position(lat=where[0], lon=where[1], t=now_iso()))
    return conn


def located_incident(seat, where=SCENE, address="摩纳哥赌场广场") -> str:
    incident_id = new_id()
    assert seat.command("incident.create", {"incident_id": incident_id, "address": address})["type"] == "ack"
    reply = seat.command("incident.locate", {"incident_id": incident_id, "lat": where[0], "lon": where[1],
                                             "source": "map_click"})
    assert reply["type"] == "ack", reply
    return incident_id


def round_trip(conn: ProtocolClient) -> None:
    """Every frame the volunteer sent before this was handled (the error reply comes after them)."""
    reply = conn.command("volunteer.respond", {"alert_id": new_id(), "response": "accepted"})
    assert reply["type"] == "error" and reply["code"] == "not_found"


def test_only_volunteers_within_the_radius_are_alerted_and_they_see_nothing_else(dispatch_server):
    seat = dispatch_server.client("seat-1")
    near = volunteer(dispatch_server, "vol-near", NEAR)
    far = volunteer(dispatch_server, "vol-far", FAR)
    round_trip(near)
    round_trip(far)
    other_incident = located_incident(seat, (43.7300, 7.4200), "枫维耶港口")
    incident_id = located_incident(seat)

    reply = seat.command("responders.alert", {"incident_id": incident_id})
    assert reply["type"] == "ack", reply
    alerted = seat.wait_event("responders.alerted", incident_id=incident_id)["data"]
    assert [v["volunteer_id"] for v in alerted["volunteers"]] == ["vol-near"]
    assert alerted["radius_m"] == 500 and 150 < alerted["volunteers"][0]["distance_m"] < 250

    alert = near.wait_for(lambda m: m["type"] == "volunteer_alert")
    assert alert["alert_id"] == alerted["alert_id"] and (alert["lat"], alert["lon"]) == SCENE
    round_trip(far)  # the far volunteer has had time to receive anything it would have been sent
    for conn, expected in ((near, {"welcome", "synced", "volunteer_alert", "error"}), (far, {"welcome", "synced", "error"})):
        kinds = {m["type"] for m in conn.received}
        assert kinds == expected, kinds  # no event, no snapshot, no position of anyone
        text = repr(conn.received)
        assert other_incident not in text and "seat-1" not in text
        assert ("vol-far" in text) == (conn is far) and ("vol-near" in text) == (conn is near)
    assert far.welcome["principal"]["role"] == "volunteer"


def test_a_volunteer_cannot_answer_an_alert_it_was_not_sent(dispatch_server):
    seat = dispatch_server.client("seat-1")
    near = volunteer(dispatch_server, "vol-a", NEAR)
    far = volunteer(dispatch_server, "vol-b", FAR)
    round_trip(near)
    incident_id = located_incident(seat)
    assert seat.command("responders.alert", {"incident_id": incident_id})["type"] == "ack"
    alert_id = near.wait_for(lambda m: m["type"] == "volunteer_alert")["alert_id"]
    reply = far.command("volunteer.respond", {"alert_id": alert_id, "response": "accepted"})
    assert reply["type"] == "error" and reply["code"] == "not_found"
    denied = far.command("incident.create", {"incident_id": new_id()})
    assert denied["type"] == "error" and denied["code"] == "forbidden"


def test_responses_become_events_and_one_volunteer_fetches_the_open_aed(dispatch_server):
    assert dispatch_server.admin("add-aed", "aed-closed", "--name", "夜间关闭的AED", "--lat", "43.7392",
                                 "--lon", "7.4246", "--access", _closed_now()).returncode == 0
    assert dispatch_server.admin("add-aed", "aed-casino", "--name", "赌场AED", "--lat", "43.7396",
                                 "--lon", "7.4250", "--access", "24h").returncode == 0
    seat = dispatch_server.client("seat-1")
    first = volunteer(dispatch_server, "vol-1", NEAR)
    second = volunteer(dispatch_server, "vol-2", (43.7380, 7.4240))
    round_trip(first)
    round_trip(second)
    incident_id = located_incident(seat)
    assert seat.command("responders.alert", {"incident_id": incident_id, "radius_m": 800})["type"] == "ack"
    alert_id = first.wait_for(lambda m: m["type"] == "volunteer_alert")["alert_id"]
    second.wait_for(lambda m: m["type"] == "volunteer_alert")

    assert first.command("volunteer.respond", {"alert_id": alert_id, "response": "accepted"})["type"] == "ack"
    assigned = seat.wait_event("responders.aed_assigned", alert_id=alert_id)["data"]
    assert assigned["volunteer_id"] == "vol-1" and assigned["aed_id"] == "aed-casino"
    assert assigned["route"] == "straight_line"
    task = first.wait_for(lambda m: m["type"] == "volunteer_aed")
    assert task["aed_id"] == "aed-casino" and task["path"][-1] == list(SCENE)

    assert second.command("volunteer.respond", {"alert_id": alert_id, "response": "accepted"})["type"] == "ack"
    assert first.command("volunteer.respond", {"alert_id": alert_id, "response": "arrived"})["type"] == "ack"
    seat.wait_event("responders.responded", volunteer_id="vol-1", response="arrived")
    responses = [(e["data"]["volunteer_id"], e["data"]["response"]) for e in seat.events
                 if e["name"] == "responders.responded"]
    assert responses == [("vol-1", "accepted"), ("vol-2", "accepted"), ("vol-1", "arrived")]
    assert [e for e in seat.events if e["name"] == "responders.aed_assigned"] == [
        e for e in seat.events if e["name"] == "responders.aed_assigned" and e["data"]["volunteer_id"] == "vol-1"]
    assert not any(m["type"] == "volunteer_aed" for m in second.received), "only one volunteer fetches the AED"


def _closed_now() -> str:
    """Access hours that exclude the server's current local time (an hour-long window 2 h ago)."""
    hour = time.localtime().tm_hour
    start, end = (hour - 3) % 24, (hour - 2) % 24
    return f"{start:02d}:00-{end:02d}:00"


def test_with_a_city_the_aed_fetcher_walks_the_citys_footpaths(start_server):
    from app.geo.sphere import distance_m
    from app.mapdata.city import DEFAULT_CITY_DIR

    server = start_server(extra_args=["--city", str(DEFAULT_CITY_DIR)])
    aed = (43.7396, 7.4250)
    assert server.admin("add-aed", "aed-casino", "--name", "赌场AED", "--lat", str(aed[0]), "--lon", str(aed[1]),
                        "--access", "24h").returncode == 0
    seat = server.client("seat-1")
    walker = volunteer(server, "vol-1", NEAR)
    round_trip(walker)
    incident_id = located_incident(seat)
    assert seat.command("responders.alert", {"incident_id": incident_id})["type"] == "ack"
    alert_id = walker.wait_for(lambda m: m["type"] == "volunteer_alert")["alert_id"]
    assert walker.command("volunteer.respond", {"alert_id": alert_id, "response": "accepted"})["type"] == "ack"

    task = walker.wait_for(lambda m: m["type"] == "volunteer_aed")
    assert task["route"] == "walking_graph"
    straight = distance_m(*NEAR, *aed) + distance_m(*aed, *SCENE)
    assert task["walk_s"] >= straight / 1.4
    assert task["distance_m"] >= straight * 0.99
    assert len(task["path"]) > 3, "the walk follows the streets, not three straight legs"
    assigned = seat.wait_event("responders.aed_assigned", alert_id=alert_id)["data"]
    assert assigned["route"] == "walking_graph" and assigned["walk_s"] == task["walk_s"]


def test_a_city_without_a_walking_graph_is_refused_at_start(tmp_path):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "server_stub", "serve", "--port", "0", "--db",
                             str(tmp_path / "e.sqlite"), "--log-file", str(tmp_path / "s.log"), "--city", str(tmp_path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "walk.graph.npz" in (tmp_path / "s.log").read_text() + result.stderr
