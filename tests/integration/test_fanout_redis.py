"""Two server processes on one PostgreSQL log with Redis between them (``--bus redis://…``).

The log stays the only truth: Redis wakes the other instance after a commit and carries
live telemetry for the units a seat on another instance watches. These tests run real
processes: two servers, a temporary PostgreSQL cluster and a redis-server of their own.
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import orjson
import pytest

from app.sim.monitor import iso
from tests.integration.conftest import service_missing
from tests.services import RedisServer, ServiceUnavailable, free_port

pytestmark = pytest.mark.integration


# ------------------------------------------------------------------ Redis of this test
class RedisTap:
    """Listens to everything the servers publish on Redis (a pattern subscription) and counts it."""

    def __init__(self, url: str) -> None:
        import redis

        self._client = redis.Redis.from_url(url)
        self._pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        self._pubsub.psubscribe("dispatch120:*")
        self.messages: list[tuple[str, bytes]] = []  # (channel without the namespace, body)
        self._heard = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                msg = self._pubsub.get_message(timeout=0.1)
            except Exception:  # noqa: BLE001 - Redis restarted under the tap: it just stops counting
                return
            if msg is not None and msg["type"] == "pmessage":
                channel = msg["channel"].decode().split(":", 2)[2]
                with self._heard:
                    self.messages.append((channel, msg["data"]))
                    self._heard.notify_all()

    def wait_for(self, predicate, what: str, timeout: float = 10.0) -> None:
        with self._heard:
            assert self._heard.wait_for(lambda: predicate(list(self.messages)), timeout), f"Redis never carried {what}"

    def channels(self) -> Counter[str]:
        return Counter(channel for channel, _ in list(self.messages))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self._pubsub.close()
        self._client.close()


@pytest.fixture
def redis_server(tmp_path: Path):
    try:
        server = RedisServer.start(tmp_path / "redis")
    except (ServiceUnavailable, OSError) as exc:
        service_missing("Redis", exc)
    yield server
    stop_redis(server)


def stop_redis(server: RedisServer) -> None:
    """SIGTERM and wait until it no longer listens (so it can start again on the same port)."""
    server.stop()
    deadline = time.monotonic() + 10
    while _listening(server.port):
        assert time.monotonic() < deadline, "redis-server did not stop"
        time.sleep(0.05)


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def tap(redis_server):
    tap = RedisTap(redis_server.url)
    yield tap
    tap.close()


@pytest.fixture
def two_instances(start_server, pg_url, redis_server):
    bus = ["--bus", redis_server.url]
    return start_server(db_url=pg_url, extra_args=bus), start_server(db_url=pg_url, extra_args=bus)


# ------------------------------------------------------------------ helpers
def create_incident(seat, address: str) -> tuple[str, dict]:
    incident_id = str(uuid.uuid4())
    reply = seat.command("incident.create", {"incident_id": incident_id, "address": address, "patients": 1})
    assert reply["type"] == "ack", reply
    return incident_id, reply


class Device:
    """An ambulance terminal streaming frames with a growing counter, dated now."""

    def __init__(self, conn, unit_id: str) -> None:
        self.conn, self.unit_id = conn, unit_id
        self._seq = itertools.count(1)

    def vitals(self, hr: int) -> None:
        self._send("vitals", {"hr": hr, "spo2": 97})

    def position(self, lat: float, lon: float) -> None:
        self._send("position", {"lat": lat, "lon": lon})

    def _send(self, kind: str, data: dict) -> None:
        self.conn.send_json({"v": 1, "type": "telemetry", "unit_id": self.unit_id, "kind": kind,
                             "t": iso(time.time()), "seq": next(self._seq), "data": data})


def watch(seat, *units: str) -> None:
    seat.send_json({"v": 1, "type": "subscribe", "unit_ids": list(units), "kinds": ["vitals", "alarm"]})


def stream_until_seen(device: Device, seat, *, hr: int, attempts: int = 100) -> dict:
    """Send vitals until the seat receives one with this heart rate (the watch takes a moment to cross)."""
    for _ in range(attempts):
        device.vitals(hr)
        try:
            return seat.wait_for(lambda m: m["type"] == "unit_telemetry" and m["data"].get("hr") == hr, timeout=0.1)
        except TimeoutError:
            continue
    raise AssertionError(f"the seat never received the vitals of {device.unit_id}")


def assert_every_event_once_in_order(events: list[dict], log: list[dict]) -> None:
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(set(seqs)), "an event arrived twice or out of order"
    assert seqs == [e["seq"] for e in log if e["seq"] >= seqs[0]], "an event of the log is missing"


# ------------------------------------------------------------------ the stories
def test_a_seat_on_b_sees_the_unit_a_seat_on_a_assigned_and_a_told_b_through_redis(two_instances, tap):
    server_a, server_b = two_instances
    seat_a, seat_b = server_a.client("seat-1"), server_b.client("seat-2")
    incident_id, _ = create_incident(seat_a, "南坪西路 8 号")

    reply = seat_a.command("unit.assign", {"incident_id": incident_id, "unit_id": "A1", "unit_version": 0})
    assert reply["type"] == "ack", reply

    seen = seat_b.wait_event("unit.assigned", unit_id="A1", incident_id=incident_id)
    assert seen["seq"] == reply["seq"]

    def announced(messages: list[tuple[str, bytes]]) -> bool:
        ranges = [orjson.loads(body) for channel, body in messages if channel == "events"]
        return any(r["first"] <= reply["seq"] <= r["last"] for r in ranges)

    tap.wait_for(announced, f"the commit of seq {reply['seq']}")


def test_vitals_cross_to_the_instance_whose_seat_watches_the_unit_and_no_other_unit_is_published(
    two_instances, tap
):
    server_a, server_b = two_instances
    seat_b = server_b.client("seat-2")
    watch(seat_b, "A1")
    watched, unwatched = Device(server_a.client("dev-A1"), "A1"), Device(server_a.client("dev-A2"), "A2")

    for hr in range(60, 65):
        unwatched.vitals(hr)
    got = stream_until_seen(watched, seat_b, hr=88)

    assert got["unit_id"] == "A1" and got["t"].endswith("Z")
    channels = tap.channels()
    assert channels["telemetry:A1"] >= 1
    assert channels["telemetry:A2"] == 0, "telemetry of a unit no other instance watches went to Redis"
    assert not any(m["type"] == "unit_telemetry" and m["unit_id"] == "A2" for m in seat_b.received)

    # Positions go to every seat: one reported on A reaches the seat on B in a positions frame.
    unwatched.position(29.55, 106.55)
    frame = seat_b.wait_for(lambda m: m["type"] == "positions" and any(i["unit_id"] == "A2" for i in m["items"]))
    assert [i["unit_id"] for i in frame["items"]].count("A2") == 1

    # The seat stops watching: A stops publishing A1's vitals once it has heard.
    seat_b.send_json({"v": 1, "type": "subscribe", "unit_ids": [], "kinds": ["vitals"]})
    deadline = time.monotonic() + 10
    while True:
        before = tap.channels()["telemetry:A1"]
        watched.vitals(70)
        watched.vitals(71)
        time.sleep(0.3)
        if tap.channels()["telemetry:A1"] == before:
            break
        assert time.monotonic() < deadline, "A kept publishing a unit nobody watches any more"


def test_restarting_redis_loses_no_event_and_telemetry_crosses_again(two_instances, redis_server):
    server_a, server_b = two_instances
    seat_a, seat_b = server_a.client("seat-1"), server_b.client("seat-2")
    watch(seat_b, "A1")
    device = Device(server_a.client("dev-A1"), "A1")
    stream_until_seen(device, seat_b, hr=90)
    create_incident(seat_a, "before the restart")

    stop_redis(redis_server)
    made_while_down = [create_incident(seat_a, f"Redis down {i}")[0] for i in range(3)]
    RedisServer.start(redis_server.directory, port=redis_server.port)
    made_after = [create_incident(seat_a, f"Redis back {i}")[0] for i in range(3)]

    for incident_id in made_while_down + made_after:
        seat_b.wait_event("incident.created", incident_id=incident_id)
    assert_every_event_once_in_order(seat_b.events, server_a.db_events())
    # B resubscribed and announced its watch again: A1's vitals reach the seat on B once more.
    stream_until_seen(device, seat_b, hr=91)


def test_an_unreachable_bus_at_start_up_is_refused_with_exit_code_4(server_cli, tmp_path):
    port = free_port()  # nothing listens there
    result = server_cli("serve", "--db", str(tmp_path / "events.sqlite"), "--port", "0",
                        "--bus", f"redis://127.0.0.1:{port}/0", "--log-file", str(tmp_path / "server.log"))

    assert result.returncode == 4, result.stderr
    assert f"cannot reach the bus at redis://127.0.0.1:{port}/0" in result.stderr


def test_a_bus_that_is_not_redis_is_refused_as_bad_input(server_cli, tmp_path):
    result = server_cli("serve", "--db", str(tmp_path / "events.sqlite"), "--bus", "nats://127.0.0.1:4222")

    assert result.returncode == 2
    assert "--bus" in result.stderr and "redis://" in result.stderr


class ListSeat:
    """A seat without a GUI whose settings list both servers: journal + SyncClient, messages kept."""

    def __init__(self, journal_path: Path, urls: list[str], token: str) -> None:
        from app.seat.journal import Journal
        from app.seat.sync import SyncClient

        self.journal = Journal(journal_path)
        self.messages: list[dict] = []
        self.links: list[str] = []
        self.cond = threading.Condition()
        self.sync = SyncClient(urls[0], token, self.journal, client_name="dispatch120-seat/test",
                               on_message=self._on_message, on_status=self._on_status,
                               backoff_s=(0.1, 0.5), fallback_urls=urls[1:])

    def _on_message(self, msg: dict) -> None:
        with self.cond:
            self.messages.append(msg)
            self.cond.notify_all()

    def _on_status(self, status) -> None:
        with self.cond:
            self.links.append(status.link.value)
            self.cond.notify_all()

    def wait(self, predicate, what: str, timeout: float = 20.0) -> None:
        with self.cond:
            assert self.cond.wait_for(predicate, timeout), f"seat: timed out waiting for {what}; links {self.links[-5:]}"

    def events_after_snapshot(self) -> tuple[int, list[int]]:
        """(the snapshot's seq or 0, the seqs of every event delivered after it, in order)."""
        with self.cond:
            base, seqs = 0, []
            for msg in self.messages:
                if msg["type"] == "snapshot":
                    base, seqs = msg["seq"], []
                elif msg["type"] == "event":
                    seqs.append(msg["seq"])
            return base, seqs

    def acked(self, command_id: str) -> bool:
        return any(m["type"] == "ack" and m.get("ref") == command_id for m in self.messages)


def test_kill_9_of_a_moves_its_seat_to_b_with_no_event_lost_or_repeated(two_instances, tmp_path):
    server_a, server_b = two_instances
    seat = ListSeat(tmp_path / "journal-seat-1.sqlite", [server_a.url, server_b.url], server_a.tokens["seat-1"])
    seat.sync.start()
    try:
        before = seat.sync.send_command("incident.create", {"incident_id": str(uuid.uuid4()), "address": "A 在线",
                                                            "patients": 1})
        seat.wait(lambda: seat.acked(before), "the ack from A")
        other = server_b.client("seat-2")

        server_a.kill()
        made_on_b = [create_incident(other, f"A 已宕机 {i}")[0] for i in range(3)]
        queued = seat.sync.send_command("incident.create", {"incident_id": str(uuid.uuid4()),
                                                            "address": "离线时下的单", "patients": 1})
        seat.wait(lambda: seat.acked(queued), "the queued command's ack from B")
        last = server_b.db_events()[-1]["seq"]
        seat.wait(lambda: (seat.events_after_snapshot()[1] or [0])[-1] >= last, "every event of the log")

        assert seat.sync.url == server_b.url
        base, seqs = seat.events_after_snapshot()
        log = [e["seq"] for e in server_b.db_events() if e["seq"] > base]
        assert seqs == log, "an event was lost or delivered twice across the move"
        created = {m["data"]["incident_id"] for m in seat.messages
                   if m["type"] == "event" and m["name"] == "incident.created"}
        assert set(made_on_b) <= created
    finally:
        assert seat.sync.stop(10)
        seat.journal.close()
