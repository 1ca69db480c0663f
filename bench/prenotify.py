"""Hospital pre-notification: ``prenotify.send`` → package at the hospital console; ack → event at the seat.

A real server subprocess (``bench.server.BenchServer``) with one hospital console
(``admin add-hospital-console``) and an ambulance device that has streamed 12 s of a
simulated STEMI first, so every package carries the unit's vitals and a 10-s, 500-Hz ECG
strip (~5000 samples), as a real one would. The seat, the console and the device are
websocket clients in this process; times are wall-clock on loopback.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import uuid
from typing import Any

import yaml

from bench.client import SyncClient
from bench.server import PROJECT_ROOT, BenchServer, ServerError, child_env, registry
from bench.stats import summary_ms

SUMMARY = {"age": 58, "age_estimated": True, "sex": "male", "complaint": "stemi", "note": "胸痛40分钟"}


class _Server(BenchServer):
    def _register(self) -> None:  # the bench registry, a device for B1, then a console for h-1
        reg = registry(self.seats) | {"devices": [{"id": "dev-B1", "unit": "B1"}]}
        (self.workdir / "registry.yaml").write_text(yaml.safe_dump(reg, allow_unicode=True), encoding="utf-8")
        tokens_file = self.workdir / "tokens.json"
        admin = [sys.executable, "-m", "server_stub", "admin", "--db", str(self.db_path)]
        result = subprocess.run([*admin, "import", str(self.workdir / "registry.yaml"), "--tokens-out",
                                 str(tokens_file)], cwd=PROJECT_ROOT, env=child_env(), capture_output=True,
                                text=True, timeout=120)
        if result.returncode != 0:
            raise ServerError(result.stderr)
        self.tokens = json.loads(tokens_file.read_text(encoding="utf-8"))
        result = subprocess.run([*admin, "add-hospital-console", "ed-1", "--hospital", "h-1"], cwd=PROJECT_ROOT,
                                env=child_env(), capture_output=True, text=True, timeout=120)
        found = re.search(r"^\s{4}(\S+)\s*$", result.stdout, re.M)
        if result.returncode != 0 or found is None:
            raise ServerError(f"add-hospital-console failed:\n{result.stdout}\n{result.stderr}")
        self.tokens["ed-1"] = found.group(1)


def run(sends: int = 50) -> dict[str, Any]:
    from app.sim.monitor import SimulatedMonitor

    to_console, to_seat, package_kb = [], [], []
    with _Server(seats=1) as server:
        seat, console = SyncClient(server.url, server.tokens["bench-1"]), SyncClient(server.url, server.tokens["ed-1"])
        device = SyncClient(server.url, server.tokens["dev-B1"])
        incident_id = str(uuid.uuid4())
        seat.command("incident.create", {"incident_id": incident_id, "address": "解放碑"})
        seat.command("unit.assign", {"incident_id": incident_id, "unit_id": "B1"})
        for frame in SimulatedMonitor("B1", "stemi", start_epoch_s=time.time() - 12.0).frames_until(time.time()):
            device.ws.send(json.dumps(frame))
        ref = device.send_command("seat.set_ready", {"ready": True})  # refused, but a round trip: every frame
        device.wait(lambda m: m.get("ref") == ref)  # sent before it has been handled
        for _ in range(sends):
            t0 = time.perf_counter()
            seat.send_command("prenotify.send", {"incident_id": incident_id, "hospital_id": "h-1", "unit_id": "B1",
                                                 "eta_s": 720, "summary": SUMMARY, "include_ecg": True})
            raw: list[int] = []

            def first_package(m: dict[str, Any]) -> bool:
                return m["type"] == "prenotify_package" and m["acknowledged"] is None

            package = console.wait(first_package)
            to_console.append(time.perf_counter() - t0)
            raw.append(len(json.dumps(package, ensure_ascii=False).encode()))
            if not package["package"]["ecg"] or not package["package"]["vitals"]:
                raise RuntimeError("the package has no ECG or no vitals: the benchmark would not be realistic")
            pid = package["package"]["prenotify_id"]
            t1 = time.perf_counter()
            console.send_command("prenotify.ack", {"prenotify_id": pid, "response": "cath_lab_activated"})
            seat.wait(lambda m, p=pid: m["type"] == "event" and m["name"] == "prenotify.acknowledged"
                      and m["data"]["prenotify_id"] == p)
            to_seat.append(time.perf_counter() - t1)
            package_kb.append(raw[0] / 1024)
        for client in (seat, console, device):
            client.ws.close()
    return {"send_to_console": summary_ms(to_console), "ack_to_seat": summary_ms(to_seat),
            "package_kb": round(sum(package_kb) / len(package_kb), 1), "sends": sends}


def render(result: dict[str, Any]) -> str:
    lines = [f"Hospital pre-notification ({result['sends']} sends, package ~{result['package_kb']} KiB with a "
             "10-s 500-Hz ECG strip)"]
    for key, label in (("send_to_console", "prenotify.send → package at the console"),
                       ("ack_to_seat", "prenotify.ack → prenotify.acknowledged at the seat")):
        v = result[key]
        lines.append(f"  {label}: p50 {v['p50_ms']:.1f} ms, p99 {v['p99_ms']:.1f} ms, max {v['max_ms']:.1f} ms")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(run()))
