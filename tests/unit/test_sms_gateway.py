"""The SMS gateway adapters: the HTTP one against a tiny local http.server, the simulated one."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from app.sms import HttpSmsGateway, SimulatedSmsGateway, SmsError


class Platform(BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Platform.received.append((self.headers["Authorization"], json.loads(body)))
        self.send_response(Platform.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def platform():
    server = HTTPServer(("127.0.0.1", 0), Platform)
    Platform.received, Platform.status = [], 200
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sms"
    server.shutdown()
    server.server_close()


def test_the_centres_platform_gets_the_number_and_text_with_its_token(platform):
    HttpSmsGateway(platform, "tok-123").send("13800138000", "【120】链接 https://x/c/abc")
    assert Platform.received == [("Bearer tok-123", {"to": "13800138000", "text": "【120】链接 https://x/c/abc"})]


def test_a_refusing_or_absent_platform_is_a_clear_error(platform):
    Platform.status = 503
    with pytest.raises(SmsError, match="HTTP 503"):
        HttpSmsGateway(platform, "t").send("13800138000", "x")
    with pytest.raises(SmsError, match="unreachable"):
        HttpSmsGateway("http://127.0.0.1:9/sms", "t", timeout_s=2).send("13800138000", "x")


def test_the_training_gateway_records_messages():
    gateway = SimulatedSmsGateway()
    gateway.send("13800138000", "hi")
    assert [(m.to, m.text) for m in gateway.sent] == [("13800138000", "hi")]
    with pytest.raises(SmsError):
        gateway.send(" ", "hi")
