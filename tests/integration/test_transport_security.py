"""wss:// with the centre's certificate, seats pinning the centre's CA, and a key that must stay private.

Each test makes a throwaway CA and a server certificate in its temporary directory
(tests/tlsfiles.py), as docs/operations.md tells IT to make the centre's own.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable

import pytest

from app.seat.journal import Journal
from app.seat.store import ConnectionStatus, Link
from app.seat.sync import SyncClient
from app.sim.link import SimLink
from app.tls import client_context
from tests.integration.conftest import PROJECT_ROOT, server_env
from tests.integration.wsclient import ProtocolClient
from tests.tlsfiles import make_authority, make_server_cert

pytestmark = pytest.mark.integration
TIMEOUT_S = 15.0


@pytest.fixture
def centre(tmp_path):
    """The centre's CA, a server certificate it signed, and another CA nobody should trust."""
    ca = make_authority(tmp_path / "pki", "centre")
    server = make_server_cert(tmp_path / "pki" / "server", ca)
    stranger = make_authority(tmp_path / "pki", "stranger")
    return ca, server, stranger


@pytest.fixture
def tls_server(start_server, centre):
    _ca, files, _stranger = centre
    server = start_server(extra_args=["--tls-cert", str(files.cert_path), "--tls-key", str(files.key_path)])
    return server


def wss_url(server) -> str:
    return f"wss://127.0.0.1:{server.port}/ws"


class Seat:
    """A seat's sync client with its statuses collected (the banner shows the last one)."""

    def __init__(self, tmp_path, url: str, token: str, ca_file) -> None:
        self.statuses: list[ConnectionStatus] = []
        self.cond = threading.Condition()
        self.journal = Journal(tmp_path / f"journal-{len(list(tmp_path.glob('journal-*')))}.sqlite")
        self.sync = SyncClient(url, token, self.journal, client_name="pytest-seat", on_message=lambda m: None,
                               on_status=self._on_status, backoff_s=(0.2, 1.0), ca_file=ca_file)

    def _on_status(self, status: ConnectionStatus) -> None:
        with self.cond:
            self.statuses.append(status)
            self.cond.notify_all()

    def wait_for(self, predicate: Callable[[ConnectionStatus], bool], what: str) -> ConnectionStatus:
        with self.cond:
            if not self.cond.wait_for(lambda: any(predicate(s) for s in self.statuses), TIMEOUT_S):
                raise AssertionError(f"seat: no status {what}; saw {self.statuses[-4:]}")
            return next(s for s in self.statuses if predicate(s))

    def close(self) -> None:
        self.sync.stop()
        self.journal.close()


@pytest.fixture
def seats(tmp_path):
    made: list[Seat] = []

    def make(url: str, token: str, ca_file=None) -> Seat:
        seat = Seat(tmp_path, url, token, ca_file)
        made.append(seat)
        seat.sync.start()
        return seat

    yield make
    for seat in made:
        seat.close()


def test_a_seat_trusting_the_centre_ca_syncs_over_wss(tls_server, centre, seats):
    ca, _files, _stranger = centre
    seat = seats(wss_url(tls_server), tls_server.tokens["seat-1"], ca.cert_path)
    seat.wait_for(lambda s: s.link == Link.ONLINE, "online")
    log = tls_server.log_path.read_text(encoding="utf-8")
    assert f"listening on wss://127.0.0.1:{tls_server.port}/ws" in log


def test_a_seat_pinning_the_centre_ca_refuses_a_server_certificate_from_another_ca_and_says_why(
    tls_server, centre, seats, caplog
):
    _ca, _files, stranger = centre
    caplog.set_level(logging.ERROR, logger="app.seat.sync")
    seat = seats(wss_url(tls_server), tls_server.tokens["seat-1"], stranger.cert_path)
    refused = seat.wait_for(lambda s: s.link == Link.OFFLINE and "certificate" in s.detail, "refused certificate")
    assert "not signed by the centre's CA" in refused.detail
    assert str(stranger.cert_path) in refused.detail
    assert not any(s.link == Link.ONLINE for s in seat.statuses)
    assert any("not signed by the centre's CA" in r.getMessage() for r in caplog.records)


def test_plain_ws_to_a_wss_server_fails_clearly(tls_server, seats):
    seat = seats(f"ws://127.0.0.1:{tls_server.port}/ws", tls_server.tokens["seat-1"])
    refused = seat.wait_for(lambda s: s.link == Link.OFFLINE and s.detail != "", "offline with a reason")
    assert "if it serves TLS, use a wss:// URL" in refused.detail


def test_wss_to_a_plain_server_fails_clearly(dispatch_server, centre, seats):
    ca, _files, _stranger = centre
    seat = seats(f"wss://127.0.0.1:{dispatch_server.port}/ws", dispatch_server.tokens["seat-1"], ca.cert_path)
    refused = seat.wait_for(lambda s: s.link == Link.OFFLINE and s.detail != "", "offline with a reason")
    assert "not speak TLS; use a ws:// URL" in refused.detail


def test_a_device_and_the_simulator_link_connect_over_wss_with_the_centre_ca(tls_server, centre):
    ca, _files, stranger = centre
    device = ProtocolClient.connect(wss_url(tls_server), ssl=client_context(wss_url(tls_server), ca.cert_path))
    tls_server.clients.append(device)
    assert device.hello(tls_server.tokens["dev-A1"])["principal"]["id"] == "dev-A1"
    device.sync()
    with pytest.raises(ssl.SSLCertVerificationError):  # a device given another CA does not talk to this server
        ProtocolClient.connect(wss_url(tls_server), ssl=client_context(wss_url(tls_server), stranger.cert_path))

    async def sim_link_syncs() -> str:
        link = SimLink(wss_url(tls_server), tls_server.tokens["switch-1"], client_name="pytest-sim",
                       ca_file=ca.cert_path)
        task = asyncio.ensure_future(link.run())
        try:
            await asyncio.wait_for(link.ever_synced.wait(), TIMEOUT_S)
            assert link.principal is not None
            return link.principal["id"]
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    assert asyncio.run(sim_link_syncs()) == "switch-1"


def test_a_server_refuses_to_start_with_a_private_key_every_user_can_read(tmp_path, centre):
    ca, _files, _stranger = centre
    loose = make_server_cert(tmp_path / "loose", ca, key_mode=0o644)
    result = subprocess.run(
        [sys.executable, "-m", "server_stub", "serve", "--host", "127.0.0.1", "--port", "0",
         "--db", str(tmp_path / "events.sqlite"), "--exit-with-stdin",
         "--tls-cert", str(loose.cert_path), "--tls-key", str(loose.key_path)],
        cwd=PROJECT_ROOT, env=server_env(), input="", capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert f"TLS private key {loose.key_path} is readable or writable by every user" in result.stderr
    assert f"chmod 600 {loose.key_path}" in result.stderr

