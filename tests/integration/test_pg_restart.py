"""PostgreSQL restarts under a running server (an update, a failover that keeps the address).

The server keeps one writer connection open; after the restart that connection is dead. The next
command must still be acked — the writer is opened again and the batch retried, which the log-end
check makes safe — and nothing acked before is lost. This test starts a cluster of its own, since it
stops and starts it.
"""

from __future__ import annotations

import uuid

import pytest

from tests.integration.conftest import own_postgres
from tests.services import PostgresCluster


@pytest.fixture
def own_cluster():
    with own_postgres() as cluster:  # its own: this test stops and starts it
        yield cluster


def create_incident(seat) -> dict:
    reply = seat.command("incident.create", {"incident_id": str(uuid.uuid4()), "address": "南坪西路 8 号"})
    assert reply["type"] == "ack", reply
    return reply


def test_a_database_restart_costs_the_seats_no_command_and_loses_no_event(start_server, own_cluster):
    server = start_server(db_url=own_cluster.create_database())
    seat = server.client("seat-1")
    before = [create_incident(seat) for _ in range(3)]

    own_cluster.stop()
    PostgresCluster.start(own_cluster.directory, own_cluster.port)  # the same cluster, the same address

    after = create_incident(seat)  # no `internal` error: the writer connection was opened again
    assert after["seq"] == before[-1]["seq"] + 1
    assert "was lost" in server.log_path.read_text(encoding="utf-8")  # and the server said so
    events = server.db_events()
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert {r["seq"] for r in [*before, after]} <= {e["seq"] for e in events}
