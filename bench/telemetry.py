"""Telemetry benchmark: device → server → seat latency under load, server CPU and memory.

N ambulances (50; ``--quick``: 10) each stream lead-II ECG at 500 Hz in 200-ms
chunks (5 frames/s, the simulated monitors' format) plus vitals at 1 Hz over
their own device connection to a real server child; one seat subscribes to 4 of
them. Latency is the time from the device's ``send`` to the seat's receipt of the
relayed frame (same process, same monotonic clock; loopback network). The
server's CPU (from ``/proc/PID/stat``) and resident memory (``VmRSS``, sampled
every second) are recorded over the run — 2 minutes (quick: 15 s) — and memory
growth is reported as the difference between the last and the first third of
the run after a warm-up (65 s in a full run: the server's 60-s ECG history per
unit fills first, by design; 20 % of a quick run), and as a least-squares slope.

Runs on one asyncio loop in the caller's thread (all devices and the seat), so
the client side shares the machine's cores with the server: the figures are an
upper bound for the server's share. Linux only for CPU/RSS (None elsewhere).
Raises :class:`bench.server.ServerError` if the server cannot start.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from websockets.asyncio.client import connect

from app.ecg.rhythms import Rhythm, generate
from app.protocol import encode
from app.protocol.session import ClientSession, HelloRefused, MemoryOutbox, SendFrame
from app.protocol.telemetry import CHANNELS
from app.sim.monitor import ECG_FACTOR, iso
from bench.server import BenchServer, ServerError
from bench.stats import summary_ms
from server_stub.telemetry import ECG_HISTORY_S

WATCHED = 4
CHUNK = 100  # samples: 200 ms at 500 Hz
FS = 500.0


def registry(units: int) -> dict[str, Any]:
    return {
        "stations": [{"id": "st-1", "name": "南岸急救站", "lat": 29.52, "lon": 106.57}],
        "hospitals": [{"id": "h-1", "name": "重庆医科大学附属第一医院", "lat": 29.53, "lon": 106.51}],
        "units": [{"id": f"T{i}", "call_sign": f"渝T{i}", "station": "st-1", "capability": "als"}
                  for i in range(1, units + 1)],
        "seats": [{"id": "watch-1", "name": "监护席"}],
        "devices": [{"id": f"dev-T{i}", "unit": f"T{i}"} for i in range(1, units + 1)],
    }


class TelemetryServer(BenchServer):
    """A bench server whose registry has ``units`` ambulances with a device each and one seat."""

    def __init__(self, units: int) -> None:
        super().__init__(seats=1, log_level="WARNING")
        self.units = units

    def _registry(self) -> dict:
        return registry(self.units)

    def rss_mb(self) -> float | None:
        if self.proc is None:
            return None
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text(encoding="ascii").splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
        except (OSError, ValueError):
            return None
        return None


async def _hello(ws: Any, token: str, name: str) -> None:
    """The protocol's handshake (the session's), frames parsed with orjson only."""
    session = ClientSession(token=token, client=name, outbox=MemoryOutbox())
    for action in session.connection_made(last_seq=None):
        if isinstance(action, SendFrame):
            await ws.send(action.frame)
    while not session.synced:
        for action in session.receive_message(orjson.loads(await ws.recv())):
            if isinstance(action, HelloRefused):
                raise ServerError(f"{name}: {action.message}")


async def _device(url: str, token: str, unit: str, ecg: np.ndarray, stop: float, offset: float,
                  sent: dict[tuple[str, int], float], counts: dict[str, int]) -> None:
    mdc, unit_name = CHANNELS["ECG_II"]
    async with connect(url, compression=None, max_size=None) as ws:
        await _hello(ws, token, f"bench-monitor {unit}")

        async def drain() -> None:
            async for frame in ws:
                if b'"error"' in (frame if isinstance(frame, bytes) else frame.encode()):
                    counts["refused"] += 1

        reader = asyncio.ensure_future(drain())
        await asyncio.sleep(offset)
        start = time.time()
        k, seq = 0, 0
        try:
            while time.monotonic() < stop:
                due = start + (k + CHUNK) / FS
                await asyncio.sleep(max(0.0, due - time.time()))
                t0 = start + k / FS
                idx = np.arange(k, k + CHUNK) % len(ecg)
                seq += 1
                frame = {"v": 1, "type": "telemetry", "unit_id": unit, "kind": "waveform", "t": iso(due),
                         "seq": seq, "data": {"channel": "ECG_II", "mdc_code": mdc, "start": iso(t0),
                                              "period_ms": 2.0, "factor": ECG_FACTOR, "origin": 0,
                                              "unit": unit_name, "samples": ecg[idx].tolist(), "lead_off": False}}
                text = orjson.dumps(frame).decode()
                sent[(unit, seq)] = time.monotonic()
                await ws.send(text)
                counts["sent"] += 1
                k += CHUNK
                if k % 500 == 0:
                    seq += 1
                    await ws.send(orjson.dumps({
                        "v": 1, "type": "telemetry", "unit_id": unit, "kind": "vitals", "t": iso(due), "seq": seq,
                        "data": {"hr": 75.0, "spo2": 97.0}}).decode())
                    counts["sent"] += 1
        finally:
            reader.cancel()


async def _seat(url: str, token: str, units: list[str], stop: float, sent: dict[tuple[str, int], float],
                latencies: list[float], ready: asyncio.Event) -> None:
    async with connect(url, compression=None, max_size=None) as ws:
        await _hello(ws, token, "bench-seat")
        await ws.send(encode({"v": 1, "type": "subscribe", "unit_ids": units, "kinds": ["vitals", "waveform"]}))
        ready.set()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(0.1, stop - time.monotonic() + 1.0)):
                async for frame in ws:
                    now = time.monotonic()
                    msg = orjson.loads(frame)
                    if msg.get("type") == "unit_telemetry" and msg.get("kind") == "waveform":
                        at = sent.pop((msg["unit_id"], msg["seq"]), None)
                        if at is not None:
                            latencies.append(now - at)


async def _run(server: TelemetryServer, units: int, seconds: float) -> dict[str, Any]:
    ecg = np.round(generate(Rhythm.SINUS, FS) / ECG_FACTOR).astype(int)
    ids = [f"T{i}" for i in range(1, units + 1)]
    sent: dict[tuple[str, int], float] = {}
    latencies: list[float] = []
    counts = {"sent": 0, "refused": 0}
    ready = asyncio.Event()
    stop = time.monotonic() + seconds + 2.0
    seat = asyncio.create_task(_seat(server.url, server.tokens["watch-1"], ids[:WATCHED], stop, sent, latencies, ready))
    await ready.wait()
    devices = [asyncio.create_task(_device(server.url, server.tokens[f"dev-{u}"], u, ecg, stop,
                                           i * 0.2 / units, sent, counts)) for i, u in enumerate(ids)]
    samples: list[tuple[float, float]] = []
    cpu0, t0 = server.cpu_seconds(), time.monotonic()
    await asyncio.sleep(2.0)  # everyone connected and streaming
    cpu0, t0 = server.cpu_seconds(), time.monotonic()
    while time.monotonic() < stop:
        rss = server.rss_mb()
        if rss is not None:
            samples.append((time.monotonic() - t0, rss))
        await asyncio.sleep(1.0)
    cpu1, t1 = server.cpu_seconds(), time.monotonic()
    await asyncio.gather(*devices, seat, return_exceptions=True)
    result: dict[str, Any] = {
        "units": units, "watched": WATCHED, "seconds": seconds, "frames_sent": counts["sent"],
        "frames_refused": counts["refused"], "latency": summary_ms(latencies),
        "server_cpu_percent": (cpu1 - cpu0) / (t1 - t0) * 100 if cpu0 is not None and cpu1 is not None else None,
        "rss_mb": [round(r, 2) for _t, r in samples],
    }
    # The server keeps each unit's last 60 s of ECG (strips): memory fills for the first minute by
    # design. Judge growth after that when the run is long enough, else after 20 % of it.
    warmup = ECG_HISTORY_S + 5.0 if seconds >= 2 * ECG_HISTORY_S - 10 else 0.2 * seconds
    result["rss_warmup_s"] = warmup
    result.update(_growth(samples, warmup))
    return result


def _growth(samples: list[tuple[float, float]], warmup_s: float) -> dict[str, Any]:
    """Memory growth after the warm-up: last third minus first third (MB), and the slope (MB/min)."""
    kept = [s for s in samples if s[0] >= warmup_s]
    if len(kept) < 6:
        return {"rss_growth_mb": None, "rss_slope_mb_per_min": None}
    third = len(kept) // 3
    first = float(np.mean([r for _t, r in kept[:third]]))
    last = float(np.mean([r for _t, r in kept[-third:]]))
    t = np.array([s[0] for s in kept])
    r = np.array([s[1] for s in kept])
    slope = float(np.polyfit(t, r, 1)[0]) * 60.0
    return {"rss_start_mb": first, "rss_end_mb": last, "rss_growth_mb": last - first, "rss_slope_mb_per_min": slope}


def run(units: int = 50, seconds: float = 120.0) -> dict[str, Any]:
    """Run the benchmark against a fresh server child. Caller's thread (starts its own loop)."""
    with TelemetryServer(units) as server:
        return asyncio.run(_run(server, units, seconds))


def render(r: dict[str, Any]) -> str:
    lat = r["latency"]
    cpu = r["server_cpu_percent"]
    growth = r.get("rss_growth_mb")
    grows = "n/a" if growth is None else ("GROWS" if growth > 5.0 else "flat")
    lines = [
        f"telemetry: {r['units']} ambulances × 500 Hz ECG (200-ms chunks) + 1 Hz vitals, 1 seat watching "
        f"{r['watched']}, {r['seconds']:g} s",
        f"  device → server → seat latency: p50 {lat.get('p50_ms', float('nan')):.1f} ms, "
        f"p99 {lat.get('p99_ms', float('nan')):.1f} ms, max {lat.get('max_ms', float('nan')):.1f} ms "
        f"(n={lat.get('n', 0)})",
        f"  frames sent {r['frames_sent']}, refused {r['frames_refused']}; "
        f"server CPU {'n/a' if cpu is None else f'{cpu:.0f} %'} of one core",
    ]
    if growth is not None:
        lines.append(
            f"  server RSS {r['rss_start_mb']:.1f} → {r['rss_end_mb']:.1f} MB ({growth:+.2f} MB, "
            f"{r['rss_slope_mb_per_min']:+.2f} MB/min): {grows}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    print(render(run(10 if quick else 50, 15.0 if quick else 120.0)))
