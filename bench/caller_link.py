"""Caller link: link opened → first location at the seat; chat latency both ways; live video
time-to-first-frame (phone's fake camera → the seat's QtWebEngine page, WebRTC on loopback).

A real server subprocess (``bench.server.BenchServer`` plus a phone switch) and Debian's
headless Chromium as the phone, driven by Playwright. The seat is a websocket client
in this process; times are wall-clock on loopback.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from typing import Any

import yaml

from bench.client import SyncClient
from bench.server import PROJECT_ROOT, BenchServer, ServerError, child_env, registry

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


class _Server(BenchServer):
    def _register(self) -> None:  # the bench registry plus a phone switch to offer calls
        reg = registry(self.seats) | {"switches": [{"id": "switch-1", "name": "交换机"}]}
        (self.workdir / "registry.yaml").write_text(yaml.safe_dump(reg, allow_unicode=True), encoding="utf-8")
        tokens_file = self.workdir / "tokens.json"
        result = subprocess.run(
            [sys.executable, "-m", "server_stub", "admin", "--db", str(self.db_path), "import",
             str(self.workdir / "registry.yaml"), "--tokens-out", str(tokens_file)],
            cwd=PROJECT_ROOT, env=child_env(), capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise ServerError(result.stderr)
        self.tokens = json.loads(tokens_file.read_text(encoding="utf-8"))


def _event(client: SyncClient, name: str) -> dict[str, Any]:
    return client.wait(lambda m: m["type"] == "event" and m["name"] == name)


def run(rounds: int = 5) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    first_fix, to_phone, to_seat = [], [], []
    with _Server(seats=1) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        switch, seat = SyncClient(server.url, server.tokens["switch-1"]), SyncClient(server.url, server.tokens["bench-1"])
        seat.command("seat.set_ready", {"ready": True})
        for i in range(rounds):
            call_id = f"bench-{i}"
            switch.command("call.offered", {"call_id": call_id, "caller_number": "13800138000"})
            seat.command("call.answer", {"call_id": call_id})
            cid = seat.command("call.link_send", {"call_id": call_id, "via": "read_out"})
            url = seat.wait(lambda m, c=cid: m["type"] == "caller_link" and m["ref"] == c)["url"]
            context = browser.new_context(geolocation={"latitude": 29.56, "longitude": 106.55, "accuracy": 10})
            context.grant_permissions(["geolocation"], origin=f"http://127.0.0.1:{server.port}")
            page = context.new_page()
            page.goto(url)
            _event(seat, "call.link_opened")
            opened = time.perf_counter()
            page.click("#agree")
            _event(seat, "call.link_located")
            first_fix.append((time.perf_counter() - opened) * 1000)
            for _ in range(3):
                t0 = time.perf_counter()
                seat.command("call.chat_send", {"call_id": call_id, "text": "ping"})
                page.wait_for_function("document.querySelectorAll('.msg.seat').length > 0")
                to_phone.append((time.perf_counter() - t0) * 1000)
                page.evaluate("document.querySelectorAll('.msg.seat').forEach(function(e){e.remove()})")
                t0 = time.perf_counter()
                page.fill("#text", "pong")
                page.click("#t_send")
                _event(seat, "call.chat_received")
                to_seat.append((time.perf_counter() - t0) * 1000)
                time.sleep(2.1)  # stay under the caller's chat rate limit (5 per 10 s)
            context.close()
            seat.command("call.ended", {"call_id": call_id})
        browser.close()

    def summary(values: list[float]) -> dict[str, float]:
        return {"p50_ms": statistics.median(values), "max_ms": max(values), "n": len(values)}

    return {"opened_to_first_location": summary(first_fix), "chat_seat_to_phone": summary(to_phone),
            "chat_phone_to_seat": summary(to_seat), "video_first_frame": summary(video_first_frames(rounds=3))}


def _loopback(kind: str, data: str) -> bool:
    return kind != "candidate" or " 127.0.0.1 " in json.loads(data).get("candidate", "")


def video_first_frames(rounds: int = 3) -> list[float]:
    """ms from the caller's "start video" click to a decoded frame (videoWidth > 0) in the seat's
    QtWebEngine page; the server relays the signalling, ICE stays on 127.0.0.1."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = " ".join(dict.fromkeys(
        os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "").split()
        + ["--no-sandbox", "--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns"]))
    from playwright.sync_api import sync_playwright
    from PySide6 import QtWebEngineWidgets  # noqa: F401  (before the QApplication)
    from PySide6.QtWidgets import QApplication

    from widgets.caller_video import CallerVideo

    app = QApplication.instance() or QApplication([])
    times = []
    with _Server(seats=1) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS + [
            "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
            "--allow-loopback-in-peer-connection"])
        switch, seat = SyncClient(server.url, server.tokens["switch-1"]), SyncClient(server.url, server.tokens["bench-1"])
        seat.command("seat.set_ready", {"ready": True})
        for i in range(rounds):
            call_id = f"video-{i}"
            switch.command("call.offered", {"call_id": call_id, "caller_number": "13800138000"})
            seat.command("call.answer", {"call_id": call_id})
            cid = seat.command("call.link_send", {"call_id": call_id, "via": "read_out"})
            link = seat.wait(lambda m, c=cid: m["type"] == "caller_link" and m["ref"] == c)
            video = CallerVideo()
            video.resize(640, 480)
            video.show()

            def answer(kind: str, data: str, link=link) -> None:
                if _loopback(kind, data):
                    seat.ws.send(json.dumps({"v": 1, "type": "rtc_to_caller", "call_id": link["call_id"],
                                             "link_id": link["link_id"], "kind": kind, "data": data}))

            video.outgoing.connect(answer)
            while not video._ready:
                app.processEvents()
            context = browser.new_context()
            page = context.new_page()
            page.goto(link["url"])
            page.click("#agree")
            t0 = time.perf_counter()
            page.click("#video")
            size = [0]
            deadline = t0 + 20
            while size[0] == 0 and time.perf_counter() < deadline:
                try:
                    msg = json.loads(seat.ws.recv(timeout=0.002))
                    if msg["type"] == "rtc_from_caller" and _loopback(msg["kind"], msg["data"]):
                        video.deliver(msg["kind"], msg["data"])
                except TimeoutError:
                    pass
                video.video_size(lambda w, _h, size=size: size.__setitem__(0, w))
                app.processEvents()
            if size[0]:
                times.append((time.perf_counter() - t0) * 1000)
            context.close()
            video.close()
            video.deleteLater()
            app.processEvents()
            seat.command("call.ended", {"call_id": call_id})
        browser.close()
    return times


def render(result: dict[str, Any]) -> str:
    lines = ["Caller link (headless Chromium on loopback)"]
    for key, label in (("opened_to_first_location", "link opened → first location at the seat"),
                       ("chat_seat_to_phone", "chat seat → phone (command to DOM)"),
                       ("chat_phone_to_seat", "chat phone → seat (click to event)"),
                       ("video_first_frame", "video: caller's start click → first frame in the seat's page")):
        v = result[key]
        lines.append(f"  {label}: p50 {v['p50_ms']:.0f} ms, max {v['max_ms']:.0f} ms ({v['n']})")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(run()))
