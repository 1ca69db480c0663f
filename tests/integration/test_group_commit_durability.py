"""Many seats sending at once: every ack the server gave is in the log, even after ``kill -9``.

The server commits the commands that arrive together in one transaction (group
commit, server_stub/bus.py); an ack still goes out only after that commit, and a
command's events reach its sender before its ack.
"""

from __future__ import annotations

import threading
import uuid

from tests.integration.conftest import DEFAULT_REGISTRY

SEATS = 8
COMMANDS_PER_SEAT = 12
REGISTRY = {
    "stations": DEFAULT_REGISTRY["stations"],
    "hospitals": DEFAULT_REGISTRY["hospitals"],
    "units": [{"id": f"G{i}", "call_sign": f"渝G{i}", "station": "st-1", "capability": "bls"}
              for i in range(1, SEATS + 1)],
    "seats": [{"id": f"seat-{i}", "name": f"{i}号席"} for i in range(1, SEATS + 1)],
}


def test_every_ack_given_to_many_seats_at_once_survives_kill_9(start_server):
    server = start_server(registry=REGISTRY)
    clients = [server.client(f"seat-{i}") for i in range(1, SEATS + 1)]
    acks: dict[int, list[dict]] = {}
    failures: list[BaseException] = []
    start = threading.Barrier(SEATS)

    def dispatcher(index: int) -> None:
        client, unit_id = clients[index], f"G{index + 1}"
        mine: list[dict] = []
        try:
            start.wait()
            incident_id = str(uuid.uuid4())
            mine.append(client.command("incident.create", {"incident_id": incident_id, "address": "解放碑",
                                                           "patients": 1}))
            for n in range(COMMANDS_PER_SEAT - 1):
                if n % 2:
                    mine.append(client.command("incident.update", {"incident_id": incident_id, "patients": n + 2}))
                else:
                    status = "out_of_service" if n % 4 == 0 else "available"
                    mine.append(client.command("unit.status", {"unit_id": unit_id, "status": status}))
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)
        acks[index] = mine

    threads = [threading.Thread(target=dispatcher, args=(i,)) for i in range(SEATS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures, failures
    server.kill()  # SIGKILL right after the last ack: nothing gets a chance to flush later

    stored = {row["seq"]: row for row in server.db_events()}
    for index, replies in acks.items():
        assert [r["type"] for r in replies] == ["ack"] * COMMANDS_PER_SEAT, replies
        for reply in replies:
            assert reply["events"] == 1
            assert reply["seq"] in stored, f"acked seq {reply['seq']} is not in the log after kill -9"
            assert stored[reply["seq"]]["ref"] == reply["ref"]
        # Each command's own event reached its sender before the ack did.
        received = clients[index].received
        for reply in replies:
            at_ack = next(i for i, m in enumerate(received) if m.get("type") == "ack" and m.get("ref") == reply["ref"])
            assert any(m.get("type") == "event" and m.get("seq") == reply["seq"] for m in received[:at_ack])
    assert len({r["seq"] for replies in acks.values() for r in replies}) == SEATS * COMMANDS_PER_SEAT
    # A batch goes to each seat in one write: every seat still gets the events once, in the log's order,
    # and by its own last ack it has every event committed up to then.
    for index, client in enumerate(clients):
        seen = [m["seq"] for m in client.received if m.get("type") == "event"]
        assert seen == sorted(set(seen)), f"seat-{index + 1} got events twice or out of order"
        last_ack = max(r["seq"] for r in acks[index])
        others_before = {r["seq"] for replies in acks.values() for r in replies if r["seq"] <= last_ack}
        assert others_before <= set(seen), f"seat-{index + 1} missed {sorted(others_before - set(seen))[:5]}"
