"""Failed logins are limited per address and per token, refusals are logged without the secret,
and a revoked or rotated credential is closed on every instance sharing the log."""

from __future__ import annotations

import uuid

import pytest

from app.protocol import CloseCode
from server_stub.auth import new_token
from tests.integration.test_server_admin import token_from
from tests.integration.wsclient import ProtocolClient

pytestmark = pytest.mark.integration

# Three refused tokens per address, two per token, within ten minutes (far longer than a test).
LIMITS = ["--login-failures", "3,2", "--login-window", "600"]


def hello_from(server, token: str, source: str = "127.0.0.1") -> tuple[dict, tuple[int | None, str]]:
    """Say hello from ``source`` (a loopback address); the reply and, if refused, the close."""
    conn = ProtocolClient.connect(server.url, source_address=(source, 0))
    server.clients.append(conn)
    reply = conn.hello(token)
    return reply, (conn.expect_close() if reply["type"] == "error" else (None, ""))


def test_one_token_refused_again_and_again_is_rate_limited_with_a_retry_after(start_server):
    server = start_server(extra_args=LIMITS)
    stale = new_token()
    for _ in range(2):
        reply, (code, _reason) = hello_from(server, stale)
        assert (reply["code"], code) == ("unauthenticated", CloseCode.AUTH_FAILED)

    reply, (code, reason) = hello_from(server, stale, source="127.0.0.2")  # another address: the token counts
    assert reply["code"] == "rate_limited" and "this credential" in reply["message"]
    assert code == CloseCode.TRY_AGAIN_LATER and reason.startswith("rate limited, retry after ")
    # The limit is on the token, not the seats: a good token from the same address still logs in.
    assert hello_from(server, server.tokens["seat-1"])[0]["type"] == "welcome"


def test_many_bad_tokens_from_one_address_are_limited_and_another_address_still_logs_in(start_server):
    server = start_server(extra_args=LIMITS)
    for _ in range(3):
        assert hello_from(server, new_token())[0]["code"] == "unauthenticated"

    reply, (code, _reason) = hello_from(server, server.tokens["seat-1"])  # unchecked while the address is limited
    assert (reply["code"], code) == ("rate_limited", CloseCode.TRY_AGAIN_LATER)
    assert "this address" in reply["message"]
    welcome, _ = hello_from(server, server.tokens["seat-1"], source="127.0.0.3")
    assert welcome["type"] == "welcome" and welcome["principal"]["id"] == "seat-1"


def test_successful_logins_count_nothing_against_the_limit(start_server):
    server = start_server(extra_args=LIMITS)
    for _ in range(6):  # twice the address limit
        assert hello_from(server, server.tokens["seat-2"])[0]["type"] == "welcome"
    assert hello_from(server, new_token())[0]["code"] == "unauthenticated"  # not limited


def test_refusals_are_logged_with_address_principal_and_reason_but_never_the_token(start_server):
    server = start_server(extra_args=LIMITS)
    unknown = new_token()
    revoked = server.tokens["dev-A2"]
    # Connected (and synced) before the revoke, so the revoke reaches it as an event, never
    # folded into its snapshot.
    watcher = server.client("seat-1")
    assert server.admin("revoke", "dev-A2").returncode == 0
    watcher.wait_event("principal.revoked", principal_id="dev-A2")
    hello_from(server, unknown)
    hello_from(server, revoked, source="127.0.0.2")
    hello_from(server, unknown, source="127.0.0.4")  # second failure of this token
    hello_from(server, unknown, source="127.0.0.5")  # rate limited

    log = server.log_path.read_text(encoding="utf-8")
    refusals = [line for line in log.splitlines() if "refused peer=" in line]
    assert any("peer=127.0.0.1:" in line and "principal=?" in line and "unknown token" in line for line in refusals)
    assert any("peer=127.0.0.2:" in line and "principal=dev-A2" in line and "revoked token" in line
               for line in refusals)
    assert any("peer=127.0.0.5:" in line and "rate limited by credential" in line for line in refusals)
    for token in (unknown, revoked, *server.tokens.values()):
        assert token not in log


# ---------------------------------------------------------------- across instances (PostgreSQL)
@pytest.fixture
def two_instances(start_server, pg_url):
    return start_server(db_url=pg_url), start_server(db_url=pg_url)


def test_revoking_a_credential_closes_its_connections_on_every_instance(two_instances):
    server_a, server_b = two_instances
    on_a, on_b = server_a.client("dev-A1"), server_b.client("dev-A1")

    assert server_a.admin("revoke", "dev-A1").returncode == 0

    assert on_a.expect_close(timeout=10) == (CloseCode.AUTH_FAILED, "credential revoked")
    assert on_b.expect_close(timeout=10) == (CloseCode.AUTH_FAILED, "credential revoked")
    assert hello_from(server_b, server_b.tokens["dev-A1"])[0]["code"] == "unauthenticated"


def test_rotating_a_token_closes_the_old_tokens_connections_everywhere_and_the_new_token_works(two_instances):
    server_a, server_b = two_instances
    old = server_a.tokens["seat-2"]
    old_on_a, old_on_b = server_a.client("seat-2"), server_b.client("seat-2")
    watcher = server_b.client("seat-1")

    result = server_a.admin("rotate-token", "seat-2")
    assert result.returncode == 0, result.stderr
    new = token_from(result.stdout)
    assert new not in result.stderr

    replaced = (CloseCode.AUTH_FAILED, "token replaced: log in with the new token")
    assert old_on_a.expect_close(timeout=10) == replaced
    assert old_on_b.expect_close(timeout=10) == replaced
    # The log says who rotated it: the credential revoked, then registered again.
    watcher.wait_event("principal.registered", principal_id="seat-2")
    names = [e["name"] for e in server_a.db_events() if e["data"].get("principal_id") == "seat-2"]
    assert names[-2:] == ["principal.revoked", "principal.registered"]

    for server in (server_a, server_b):
        server.tokens["seat-2"] = new
        seat = server.client("seat-2")
        reply = seat.command("incident.create", {"incident_id": str(uuid.uuid4()), "address": "南坪", "patients": 1})
        assert reply["type"] == "ack", reply
    assert hello_from(server_b, old)[0]["code"] == "unauthenticated"
