"""``dispatch120 --check`` against a real server: the credential is accepted, then refused once revoked;
the clock offset comes from the welcome."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import keyring
import pytest

from app import check, secrets

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _restore_keyring():
    before = keyring.get_keyring()
    yield
    secrets.configure(None)
    keyring.set_keyring(before)


def test_the_seat_check_logs_in_for_real_and_names_a_revoked_token(dispatch_server):
    token = dispatch_server.tokens["seat-1"]

    probe = check.probe_server(dispatch_server.url, token)

    assert probe.server.status is check.Status.PASS
    assert probe.credential.status is check.Status.PASS and "seat-1" in check.render(probe.credential, "en")
    assert probe.clock.status is check.Status.PASS  # same machine, same clock

    assert dispatch_server.admin("revoke", "seat-1").returncode == 0
    refused = check.probe_server(dispatch_server.url, token)

    assert refused.server.status is check.Status.PASS
    assert refused.credential.status is check.Status.FAIL
    assert check.render(refused.credential, "en").endswith("token revoked or wrong: run dispatch120 credentials set")
    assert "令牌已被吊销或错误" in check.render(refused.credential, "zh_CN")


def test_a_seat_clock_five_minutes_behind_the_server_fails_the_clock_check(dispatch_server):
    def late_pc_clock() -> datetime:  # this PC's clock, five minutes behind
        return datetime.now(UTC) - timedelta(minutes=5)

    probe = check.probe_server(dispatch_server.url, dispatch_server.tokens["seat-2"], now=late_pc_clock)

    assert probe.credential.status is check.Status.PASS
    assert probe.clock.status is check.Status.FAIL
    assert 295 <= float(probe.clock.params["offset"]) <= 305


def test_without_a_token_the_clock_still_comes_from_the_handshake_date(dispatch_server):
    probe = check.probe_server(dispatch_server.url, None, token_problem=check.CheckResult(
        "credential", check.Status.FAIL, "credential.no_token", {"seat": "seat-1"}))
    assert probe.server.status is check.Status.PASS
    assert probe.credential.key == "credential.no_token"
    assert probe.clock.status is check.Status.PASS
