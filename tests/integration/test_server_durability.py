"""What an ack promises survives the server process: kill -9, restart, resend."""

from __future__ import annotations

import socket
import uuid

from tests.integration.wsclient import ProtocolClient


def test_an_acked_incident_survives_kill_9_and_is_replayed_after_restart(dispatch_server):
    server = dispatch_server
    seat = server.client("seat-1")
    incident_id = str(uuid.uuid4())
    reply = seat.command("incident.create", {"incident_id": incident_id, "address": "解放碑", "patients": 2})
    assert reply["type"] == "ack"

    server.kill()  # right after the ack: no clean shutdown, no checkpoint

    rows = [r for r in server.db_events() if r["seq"] == reply["seq"]]
    assert rows and rows[0]["name"] == "incident.created"
    assert rows[0]["data"]["incident_id"] == incident_id

    server.restart()
    again = server.client("seat-2", last_seq=0)
    assert again.welcome["resume"] == "replay"
    replayed = {m["seq"]: m for m in again.sync_messages}
    assert replayed[reply["seq"]]["name"] == "incident.created"
    assert replayed[reply["seq"]]["data"]["incident_id"] == incident_id


def test_a_command_resent_after_a_restart_is_acked_as_duplicate_and_stored_once(dispatch_server):
    server = dispatch_server
    seat = server.client("seat-1")
    command_id = str(uuid.uuid4())
    args = {"incident_id": str(uuid.uuid4()), "address": "观音桥"}
    first = seat.command("incident.create", args, command_id=command_id)
    assert first["type"] == "ack" and first["duplicate"] is False

    server.kill()
    server.restart()
    events_before = server.db_count("events")

    # The seat did not see the ack (say) and sends the same command again.
    seat = server.client("seat-1")
    events_after_login = server.db_count("events")  # the seat's login may add a state change
    second = seat.command("incident.create", args, command_id=command_id)
    assert second["type"] == "ack"
    assert second["duplicate"] is True
    assert (second["seq"], second["events"]) == (first["seq"], first["events"])
    assert server.db_count("events") == events_after_login >= events_before
    assert [r["data"]["incident_id"] for r in server.db_events() if r["name"] == "incident.created"] == [
        args["incident_id"]
    ]


def test_the_same_command_id_from_another_sender_is_a_conflict(dispatch_server):
    seat_a = dispatch_server.client("seat-1")
    seat_b = dispatch_server.client("seat-2")
    command_id = str(uuid.uuid4())
    assert seat_a.command("seat.set_ready", {"ready": True}, command_id=command_id)["type"] == "ack"
    count = dispatch_server.db_count("events")
    reply = seat_b.command("seat.set_ready", {"ready": True}, command_id=command_id)
    assert (reply["type"], reply["code"], reply["ref"]) == ("error", "conflict", command_id)
    assert dispatch_server.db_count("events") == count


def test_sigterm_closes_connections_with_going_away_and_exits_cleanly(dispatch_server):
    seat = dispatch_server.client("seat-1")
    assert dispatch_server.stop() == 0
    code, _reason = seat.expect_close()
    assert code == 1001


def test_a_restarted_server_keeps_a_reconnecting_seat_ready(start_server):
    """A restart is invisible to a dispatcher who comes back within the grace period."""
    server = start_server(extra_args=["--seat-grace", "30"])
    seat = server.client("seat-1")
    seat.command("seat.set_ready", {"ready": True})
    server.kill()
    assert seat.expect_close() == (None, "")  # no close frame from a killed process
    server.restart()
    seat = server.client("seat-1", last_seq=0)
    switch = server.client("switch-1")
    switch.command("call.offered", {"call_id": "c-9", "caller_number": "120"})
    seat.wait_event("call.ringing", call_id="c-9", seat_id="seat-1")


def test_seats_that_do_not_come_back_after_a_restart_go_offline(start_server):
    server = start_server(extra_args=["--seat-grace", "0.5"])
    seat = server.client("seat-1")
    seat.command("seat.set_ready", {"ready": True})
    server.kill()
    server.restart()
    watcher = server.client("seat-2")
    watcher.wait_event("seat.state_changed", seat_id="seat-1", state="offline")
    switch = server.client("switch-1")
    switch.command("call.offered", {"call_id": "c-10", "caller_number": "120"})
    snapshot = server.client("trainer-1").sync_messages[0]["state"]
    assert snapshot["calls"]["c-10"]["state"] == "queued"


def test_a_seat_that_stops_reading_is_cut_off_and_catches_up_by_replay(start_server):
    """The server's memory for a stalled client is bounded, and no event is lost to it.

    The stalled seat's socket has a tiny receive buffer; once the kernel
    buffers are full, the server's own write buffer for it passes
    --slow-client-bytes and the server closes it (1008). Reading what was
    delivered gives a gap-free prefix; a reconnect with last_seq gets the rest.
    """
    server = start_server(extra_args=["--slow-client-bytes", "65536"])
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", server.port))
    stalled = ProtocolClient.connect(server.url, sock=sock)
    assert stalled.hello(server.tokens["seat-2"], last_seq=None)["type"] == "welcome"
    stalled.sync()

    seat = server.client("seat-1")
    incident_id = str(uuid.uuid4())
    seat.command("incident.create", {"incident_id": incident_id})
    for i in range(3000):
        # ~6 KB per event (Chinese text is 3 bytes a character in UTF-8).
        reply = seat.command("incident.update", {"incident_id": incident_id, "description": f"{i:05d}" + "描" * 1990})
        assert reply["type"] == "ack"
        if i % 50 == 0 and "too slow" in server.log_path.read_text(encoding="utf-8"):
            break
    else:
        raise AssertionError("the stalled seat was never cut off")
    last_seq = reply["seq"]

    code, reason = stalled.expect_close(timeout=30)
    assert (code, reason) == (1008, "too slow: reconnect and resync")
    seqs = [e["seq"] for e in stalled.events]
    assert seqs == list(range(seqs[0], seqs[-1] + 1)), "what was delivered has no gap"

    again = server.client("seat-2", last_seq=seqs[-1])
    assert again.welcome["resume"] == "replay"
    assert [m["seq"] for m in again.sync_messages] == list(range(seqs[-1] + 1, again.welcome["server_seq"] + 1))
    assert again.welcome["server_seq"] >= last_seq
