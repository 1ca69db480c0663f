"""Call distribution like a centre's ACD, through a real server process."""

from __future__ import annotations

CALLER = "13900001111"


def snapshot_of(server) -> dict:
    """The server's current state, as a fresh trainer connection receives it."""
    trainer = server.client("trainer-1")
    (snap,) = trainer.sync_messages
    trainer.close()
    return snap["state"]


def test_a_call_rings_at_the_seat_that_has_been_ready_longest(dispatch_server):
    seat_1 = dispatch_server.client("seat-1")
    seat_2 = dispatch_server.client("seat-2")
    switch = dispatch_server.client("switch-1")
    seat_2.command("seat.set_ready", {"ready": True})  # seat 2 has waited longest
    seat_1.command("seat.set_ready", {"ready": True})

    switch.command("call.offered", {"call_id": "first", "caller_number": CALLER})
    seat_1.wait_event("call.ringing", call_id="first", seat_id="seat-2")
    switch.command("call.offered", {"call_id": "second", "caller_number": CALLER})
    seat_1.wait_event("call.ringing", call_id="second", seat_id="seat-1")


def test_a_call_with_no_ready_seat_waits_and_rings_when_a_seat_becomes_ready(dispatch_server):
    seat = dispatch_server.client("seat-1")
    switch = dispatch_server.client("switch-1")
    reply = switch.command("call.offered", {"call_id": "waiting", "caller_number": CALLER})
    assert reply["events"] == 1  # received, nothing to ring
    assert snapshot_of(dispatch_server)["calls"]["waiting"]["state"] == "queued"

    ready = seat.command("seat.set_ready", {"ready": True})
    assert ready["events"] == 2  # ready, and at once the waiting call rings here
    seat.wait_event("call.ringing", call_id="waiting", seat_id="seat-1")


def test_an_unanswered_call_moves_to_the_next_seat_and_the_first_becomes_not_ready(start_server):
    server = start_server(ring_timeout=1)
    seat_1 = server.client("seat-1")
    seat_2 = server.client("seat-2")
    switch = server.client("switch-1")
    seat_1.command("seat.set_ready", {"ready": True})
    seat_2.command("seat.set_ready", {"ready": True})
    switch.command("call.offered", {"call_id": "c-rt", "caller_number": CALLER})
    seat_1.wait_event("call.ringing", call_id="c-rt", seat_id="seat-1")

    timeout = seat_2.wait_event("call.ring_timeout", call_id="c-rt", seat_id="seat-1", timeout=5)
    assert timeout["actor"] == {"id": "server", "role": "admin"}
    seat_2.wait_event("call.ringing", call_id="c-rt", seat_id="seat-2")
    seats = snapshot_of(server)["seats"]
    assert (seats["seat-1"]["state"], seats["seat-1"]["reason"]) == ("not_ready", "no_answer")
    # Seat 2 answers in time: the call is its own.
    assert seat_2.command("call.answer", {"call_id": "c-rt"})["type"] == "ack"


def test_a_call_ringing_at_a_seat_that_disconnects_rings_at_another(dispatch_server):
    seat_1 = dispatch_server.client("seat-1")
    seat_2 = dispatch_server.client("seat-2")
    switch = dispatch_server.client("switch-1")
    seat_1.command("seat.set_ready", {"ready": True})
    seat_2.command("seat.set_ready", {"ready": True})
    switch.command("call.offered", {"call_id": "c-dc", "caller_number": CALLER})
    seat_2.wait_event("call.ringing", call_id="c-dc", seat_id="seat-1")

    seat_1.close()
    seat_2.wait_event("seat.state_changed", seat_id="seat-1", state="offline")
    seat_2.wait_event("call.ringing", call_id="c-dc", seat_id="seat-2")


def test_a_seat_with_two_connections_stays_online_until_the_last_one_closes(dispatch_server):
    first = dispatch_server.client("seat-1")
    second = dispatch_server.client("seat-1")
    watcher = dispatch_server.client("seat-2")
    first.command("seat.set_ready", {"ready": True})
    first.close()
    # Still ready: the second connection is there. A call rings at seat-1 and both of
    # its connections see it.
    dispatch_server.client("switch-1").command("call.offered", {"call_id": "c-2c", "caller_number": CALLER})
    second.wait_event("call.ringing", call_id="c-2c", seat_id="seat-1")
    second.close()
    watcher.wait_event("seat.state_changed", seat_id="seat-1", state="offline")


def test_a_call_still_ringing_when_the_server_died_is_timed_out_after_restart(start_server):
    server = start_server(ring_timeout=1, extra_args=["--seat-grace", "30"])
    seat_1 = server.client("seat-1")
    seat_2 = server.client("seat-2")
    seat_1.command("seat.set_ready", {"ready": True})
    seat_2.command("seat.set_ready", {"ready": True})
    server.client("switch-1").command("call.offered", {"call_id": "c-rs", "caller_number": CALLER})
    server.kill()

    server.restart()
    watcher = server.client("seat-2", last_seq=0)
    watcher.wait_event("call.ring_timeout", call_id="c-rs", seat_id="seat-1", timeout=5)
    watcher.wait_event("call.ringing", call_id="c-rs", seat_id="seat-2")
