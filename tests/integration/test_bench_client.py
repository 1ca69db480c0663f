"""The benchmarks' raw seat (bench/client.py) against a scripted websocket server on loopback.

The seat cuts whole text frames from the stream itself and hands every other frame to
websockets' parser; these stories check that both paths deliver what a seat must see, in
order, and that the connection's rules (pong, closing handshake, bad frames) still hold.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import pytest
from websockets.asyncio.server import ServerConnection, serve

from app.protocol import ack, encode, event, snapshot, synced, welcome
from bench.client import ClientError, RawSeat

INCIDENT_ID = "0b6f6c1e-2a43-4d52-9a8e-3f4f4b1f7c10"
PRINCIPAL = {"id": "bench-1", "role": "seat", "name": "1号席", "unit_id": None}
EMPTY_STATE: dict[str, Any] = {}


async def _hello_and_sync(ws: ServerConnection, *, fragmented_synced: bool = False) -> None:
    hello = orjson.loads(await ws.recv())
    assert hello["type"] == "hello"
    await ws.send(encode(welcome(principal=PRINCIPAL, server_seq=0, resume="snapshot")))
    await ws.send(encode(snapshot(seq=0, state=EMPTY_STATE)))
    frame = encode(synced(seq=0))
    # A fragmented message takes websockets' own path through the seat.
    await ws.send([frame[:7], frame[7:15], frame[15:]] if fragmented_synced else frame)


def _event(seq: int, ref: str, description: str) -> str:
    return encode(event(seq=seq, ts="2026-12-06T02:00:00.000Z", name="incident.updated",
                        actor={"id": "bench-1", "role": "seat"}, ref=ref,
                        data={"incident_id": INCIDENT_ID, "changes": {"description": description}}))


async def _run(handler: Callable[[ServerConnection], Awaitable[None]],
               seat_story: Callable[[str], Awaitable[None]]) -> None:
    async with serve(handler, "127.0.0.1", 0, compression=None, ping_interval=None) as server:
        port = server.sockets[0].getsockname()[1]
        await asyncio.wait_for(seat_story(f"ws://127.0.0.1:{port}/ws"), 20)


def test_the_bench_seat_sees_every_event_before_its_ack_whatever_the_frame_sizes():
    """Small, 16-bit and 64-bit frame lengths, frames split over many reads, a ping and a
    fragmented message: the seat counts each event once and matches the ack to its command."""
    sizes = [10, 300, 70_000, 200_000]
    pings_answered: list[bool] = []

    async def server(ws: ServerConnection) -> None:
        await _hello_and_sync(ws, fragmented_synced=True)
        cmd = orjson.loads(await ws.recv())
        pong = await ws.ping()
        for seq, size in enumerate(sizes, start=1):
            await ws.send(_event(seq, cmd["id"], "胸" * size))
        await asyncio.wait_for(pong, 5)
        pings_answered.append(True)
        reply = encode(ack(ref=cmd["id"], seq=len(sizes), events=len(sizes)))
        await ws.send([reply[:5], reply[5:]])  # fragmented, after frames cut by the seat itself
        await ws.wait_closed()

    async def seat_story(url: str) -> None:
        seat = await RawSeat.open(url, "token")
        reply, _ = await seat.command("incident.update", {"incident_id": INCIDENT_ID, "description": "x"})
        assert reply["type"] == "ack" and reply["events"] == len(sizes)
        assert seat.events_seen == len(sizes)
        await seat.close()
        assert seat.closed is not None and "1000" in seat.closed

    asyncio.run(_run(server, seat_story))
    assert pings_answered == [True]


def test_the_bench_seat_refuses_a_frame_that_is_not_json():
    async def server(ws: ServerConnection) -> None:
        await _hello_and_sync(ws)
        await ws.recv()
        await ws.send("this is not JSON")
        await ws.wait_closed()

    async def seat_story(url: str) -> None:
        seat = await RawSeat.open(url, "token")
        with pytest.raises(ClientError, match="invalid frame from the server"):
            await seat.command("incident.update", {"incident_id": INCIDENT_ID, "description": "x"})

    asyncio.run(_run(server, seat_story))


def test_the_bench_seat_closes_on_a_binary_frame_as_a_websocket_client_would():
    close_codes: list[int | None] = []

    async def server(ws: ServerConnection) -> None:
        await _hello_and_sync(ws)
        await ws.recv()
        await ws.send(b"\x00\x01")
        await ws.wait_closed()
        close_codes.append(ws.close_code)

    async def seat_story(url: str) -> None:
        seat = await RawSeat.open(url, "token")
        with pytest.raises(ClientError, match="connection closed"):
            await seat.command("incident.update", {"incident_id": INCIDENT_ID, "description": "x"})

    asyncio.run(_run(server, seat_story))
    assert close_codes == [1003]


def test_a_refused_hello_is_reported_with_the_servers_reason():
    async def server(ws: ServerConnection) -> None:
        await ws.recv()
        await ws.send(encode({"v": 1, "type": "error", "ref": None, "code": "unauthenticated",
                              "message": "unknown or revoked token", "field": None}))
        await ws.close(4001, "unknown or revoked token")

    async def seat_story(url: str) -> None:
        with pytest.raises(ClientError, match="unknown or revoked token"):
            await RawSeat.open(url, "wrong token")

    asyncio.run(_run(server, seat_story))
