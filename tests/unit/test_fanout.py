"""What crosses to other server instances, decided without Redis: a recording bus in its place."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from app.domain.model import Role
from app.protocol import decode, encode
from app.seat.journal import Journal
from app.seat.sync import SyncClient
from app.settings import ENV_MACHINE_CONFIG, ENV_USER_CONFIG, load_settings
from app.sim.monitor import iso
from server_stub.fanout import LocalBus, RedisBus, namespace_of, open_bus
from server_stub.telemetry import TelemetryRouter


class RecordingBus(LocalBus):
    """Keeps what the router asked the bus to do."""

    def __init__(self) -> None:
        self.watching: dict[str, int] = {}
        self.telemetry: list[tuple[str, str]] = []
        self.positions: list[list[dict[str, Any]]] = []

    def watch(self, unit_id: str) -> None:
        self.watching[unit_id] = self.watching.get(unit_id, 0) + 1

    def unwatch(self, unit_id: str) -> None:
        self.watching[unit_id] -= 1
        if not self.watching[unit_id]:
            del self.watching[unit_id]

    def publish_telemetry(self, unit_id: str, kind: str, frame: str) -> None:
        self.telemetry.append((unit_id, kind))

    def publish_positions(self, items: list[dict[str, Any]]) -> None:
        self.positions.append(items)


class FakeWs:
    def __init__(self) -> None:
        self.sent: list[dict] = []

    async def send(self, frame: str) -> None:
        self.sent.append(decode(frame))


def frame(unit: str, kind: str, seq: int, data: dict, at: float) -> dict:
    return {"v": 1, "type": "telemetry", "unit_id": unit, "kind": kind, "t": iso(at), "seq": seq, "data": data}


def run(coro) -> Any:
    return asyncio.run(coro)


def test_a_seat_watching_a_unit_is_announced_once_per_unit_and_withdrawn_when_it_leaves() -> None:
    async def story() -> dict[str, int]:
        bus = RecordingBus()
        router = TelemetryRouter(relay=bus)
        seat_1, seat_2 = object(), object()
        router.handle(seat_1, "seat-1", FakeWs(), Role.SEAT, None,
                      {"type": "subscribe", "unit_ids": ["A1", "A2"], "kinds": ["vitals"]})
        router.handle(seat_2, "seat-2", FakeWs(), Role.SEAT, None,
                      {"type": "subscribe", "unit_ids": ["A1"], "kinds": ["vitals", "alarm"]})
        both = dict(bus.watching)
        router.handle(seat_1, "seat-1", FakeWs(), Role.SEAT, None,
                      {"type": "subscribe", "unit_ids": ["A1"], "kinds": ["vitals"]})
        assert bus.watching == {"A1": 2}  # A2 withdrawn by the new subscription
        router.client_gone(seat_2)
        router.client_gone(seat_1)
        await router.close()
        return both | {"after": len(bus.watching)}

    assert run(story()) == {"A1": 2, "A2": 1, "after": 0}


def test_positions_only_subscriptions_ask_nothing_of_the_other_instances() -> None:
    async def story() -> dict[str, int]:
        bus = RecordingBus()
        router = TelemetryRouter(relay=bus)
        router.handle(object(), "seat-1", FakeWs(), Role.SEAT, None,
                      {"type": "subscribe", "unit_ids": ["A1"], "kinds": ["position"]})
        await router.close()
        return bus.watching

    assert run(story()) == {}


def test_local_frames_are_offered_to_the_bus_and_frames_from_another_instance_are_not_sent_back() -> None:
    async def story() -> tuple[list, list[dict]]:
        bus = RecordingBus()
        router = TelemetryRouter(relay=bus)
        ws = FakeWs()
        router.handle(object(), "seat-1", ws, Role.SEAT, None,
                      {"type": "subscribe", "unit_ids": ["A1", "A2"], "kinds": ["vitals"]})
        now = time.time()
        assert router.handle(object(), "dev-A1", None, Role.DEVICE, "A1",
                             frame("A1", "vitals", 1, {"hr": 80, "spo2": 97}, now - 1)) is None
        remote = {**frame("A2", "vitals", 7, {"hr": 120, "spo2": 91}, now - 1), "type": "unit_telemetry"}
        router.receive_remote("A2", "vitals", encode(remote))
        await asyncio.sleep(0)  # the seat's sink writes
        await router.close()
        return bus.telemetry, ws.sent

    published, seat_got = run(story())
    assert published == [("A1", "vitals")]
    assert [(m["unit_id"], m["data"]["hr"]) for m in seat_got] == [("A1", 80), ("A2", 120)]


def test_positions_from_another_instance_join_the_next_flush_once_per_unit_and_are_not_relayed_back() -> None:
    async def story() -> tuple[list, list[dict]]:
        bus = RecordingBus()
        router = TelemetryRouter(relay=bus)
        ws = FakeWs()
        seat = object()
        router.client_live(seat, "seat-1", ws, Role.SEAT)
        now = time.time()
        router.handle(object(), "dev-A1", None, Role.DEVICE, "A1",
                      frame("A1", "position", 1, {"lat": 29.5, "lon": 106.5}, now - 2))
        item = {"unit_id": "A2", "lat": 29.6, "lon": 106.6, "heading_deg": None, "speed_mps": None,
                "accuracy_m": None}
        router.merge_remote_positions([{**item, "t": iso(now - 1)}])
        router.merge_remote_positions([{**item, "lat": 1.0, "t": iso(now - 5)}])  # older: ignored
        router.merge_remote_positions([{**item, "lat": 29.7, "t": iso(now - 0.5)}])  # newer: replaces
        router.flush_positions()
        await asyncio.sleep(0)
        await router.close()
        return bus.positions, ws.sent

    relayed, seat_got = run(story())
    assert [[i["unit_id"] for i in items] for items in relayed] == [["A1"]]
    [positions] = [m for m in seat_got if m["type"] == "positions"]
    assert sorted((i["unit_id"], i["lat"]) for i in positions["items"]) == [("A1", 29.5), ("A2", 29.7)]


def test_instances_on_one_database_share_a_namespace_and_other_databases_do_not() -> None:
    one = namespace_of("postgresql+psycopg://dispatch@db:5432/centre")
    assert one == namespace_of("postgresql+psycopg://dispatch@db:5432/centre")
    assert one != namespace_of("postgresql+psycopg://dispatch@db:5432/training")
    assert isinstance(open_bus(None, "x"), LocalBus)
    assert isinstance(open_bus("redis://127.0.0.1:6379/0", "x"), RedisBus)
    with pytest.raises(ValueError, match="redis://"):
        open_bus("nats://127.0.0.1:4222", "x")


def test_the_seat_settings_list_other_servers_of_the_centre(tmp_path) -> None:
    machine, user = tmp_path / "machine.toml", tmp_path / "user.toml"
    machine.write_text('server_url = "ws://a:8765/ws"\nserver_fallback_urls = ["ws://b:8765/ws", "ws://c:8765/ws"]\n',
                       encoding="utf-8")
    settings = load_settings(env={ENV_MACHINE_CONFIG: str(machine), ENV_USER_CONFIG: str(user)})
    assert settings.server_url == "ws://a:8765/ws"
    assert settings.server_fallback_urls == ("ws://b:8765/ws", "ws://c:8765/ws")

    machine.write_text('server_fallback_urls = "ws://b:8765/ws"\n', encoding="utf-8")
    bad = load_settings(env={ENV_MACHINE_CONFIG: str(machine), ENV_USER_CONFIG: str(user)})
    assert bad.server_fallback_urls == ()
    assert any("server_fallback_urls" in str(p) for p in bad.problems)


def test_a_seat_refuses_a_server_list_that_mixes_ws_and_wss(tmp_path) -> None:
    journal = Journal(tmp_path / "journal.sqlite")
    try:
        with pytest.raises(ValueError, match="scheme"):
            SyncClient("wss://a:8765/ws", "token", journal, client_name="t", on_message=print, on_status=print,
                       fallback_urls=["ws://b:8765/ws"])
    finally:
        journal.close()
