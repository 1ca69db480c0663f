"""Call distribution (ACD) as the dispatchers on the floor experience it.

The ring timers belong to the server; here they "fire" by calling
``ring_timeout`` (through ``Centre.ring_out``), exactly as the server's timer does.
"""

from __future__ import annotations

from app.domain.model import CallState, SeatState
from app.protocol import ErrorCode
from tests.unit.domain_harness import INCIDENT_1, SWITCH, Centre, names, refused, seat


def centre_with_seats(*seat_ids: str) -> Centre:
    c = Centre()
    for seat_id in seat_ids:
        c.register_seat(seat_id)
        c.connect(seat_id)
    return c


def ringing_at(c: Centre, call_id: str) -> str | None:
    call = c.call(call_id)
    return call["seat_id"] if call["state"] == CallState.RINGING else None


def test_acd_rings_the_seat_idle_longest():
    c = centre_with_seats("seat-1", "seat-2", "seat-3")
    c.ready("seat-3")
    c.advance(30)
    c.ready("seat-1")
    c.advance(30)
    c.ready("seat-2")
    events = c.offer_call("20261127-0001")
    assert names(events) == ["call.received", "call.ringing"]
    assert events[1]["data"] == {"call_id": "20261127-0001", "seat_id": "seat-3"}
    assert c.seat_state("seat-3") == SeatState.BUSY
    c.offer_call("20261127-0002")
    assert ringing_at(c, "20261127-0002") == "seat-1"


def test_call_waits_in_queue_until_a_seat_is_ready():
    c = centre_with_seats("seat-1")
    assert names(c.offer_call("20261127-0001")) == ["call.received"]
    assert c.call("20261127-0001")["state"] == CallState.QUEUED
    assert [call["call_id"] for call in c.state.queued_calls()] == ["20261127-0001"]
    events = c.ready("seat-1")
    assert names(events) == ["seat.state_changed", "call.ringing"]
    assert ringing_at(c, "20261127-0001") == "seat-1"
    assert c.state.queued_calls() == []


def test_queued_calls_are_offered_oldest_first():
    c = centre_with_seats("seat-1", "seat-2")
    for n in range(1, 4):
        c.offer_call(f"20261127-000{n}", number=f"1380013800{n}")
    c.ready("seat-2")
    assert ringing_at(c, "20261127-0001") == "seat-2"
    c.ready("seat-1")
    assert ringing_at(c, "20261127-0002") == "seat-1"
    assert [call["call_id"] for call in c.state.queued_calls()] == ["20261127-0003"]


def test_ring_timeout_moves_call_to_next_seat_and_sets_first_not_ready():
    c = centre_with_seats("seat-1", "seat-2")
    c.ready("seat-1")
    c.ready("seat-2")
    c.offer_call("20261127-0001")
    assert ringing_at(c, "20261127-0001") == "seat-1"
    events = c.ring_out("20261127-0001", "seat-1")
    assert names(events) == ["call.ring_timeout", "call.ringing"]
    assert ringing_at(c, "20261127-0001") == "seat-2"
    seat_1 = c.state.seats["seat-1"]
    assert seat_1["state"] == SeatState.NOT_READY and seat_1["reason"] == "no_answer"


def test_call_that_rang_out_everywhere_waits_in_the_queue():
    c = centre_with_seats("seat-1")
    c.ready("seat-1")
    c.offer_call("20261127-0001")
    assert names(c.ring_out("20261127-0001", "seat-1")) == ["call.ring_timeout"]
    assert c.call("20261127-0001")["state"] == CallState.QUEUED
    c.ready("seat-1")  # the dispatcher is back
    assert ringing_at(c, "20261127-0001") == "seat-1"


def test_late_ring_timer_is_harmless():
    c = centre_with_seats("seat-1", "seat-2")
    c.ready("seat-1")
    c.ready("seat-2")
    c.offer_call("20261127-0001")
    c.ring_out("20261127-0001", "seat-1")
    before = c.state.to_dict()
    assert c.ring_out("20261127-0001", "seat-1") == []  # the first seat's timer fires twice
    c.send(seat("seat-2"), "call.answer", {"call_id": "20261127-0001"})
    assert c.ring_out("20261127-0001", "seat-2") == []  # answered just before the timer
    assert c.ring_out("20261127-9999", "seat-2") == []  # a call the state never saw
    assert c.state.seats["seat-1"] == before["seats"]["seat-1"]


def test_disconnecting_seat_requeues_its_ringing_call():
    c = centre_with_seats("seat-1", "seat-2")
    c.ready("seat-1")
    c.ready("seat-2")
    c.offer_call("20261127-0001")
    events = c.disconnect("seat-1")
    assert names(events) == ["call.queued", "seat.state_changed", "call.ringing"]
    assert events[1]["data"] == {"seat_id": "seat-1", "state": "offline", "reason": "disconnected"}
    assert ringing_at(c, "20261127-0001") == "seat-2"
    assert c.disconnect("seat-1") == []  # a second close of the same seat changes nothing


def test_disconnecting_seat_keeps_its_answered_call_and_comes_back_not_ready():
    c = centre_with_seats("seat-1", "seat-2")
    c.ready("seat-1")
    c.ready("seat-2")
    c.offer_call("20261127-0001")
    c.send(seat("seat-1"), "call.answer", {"call_id": "20261127-0001"})
    assert names(c.disconnect("seat-1")) == ["seat.state_changed"]
    call = c.call("20261127-0001")
    assert (
        call["state"] == CallState.ANSWERED and call["seat_id"] == "seat-1"
    )  # the voice path is the switch's
    assert names(c.connect("seat-1")) == ["seat.state_changed"]
    assert c.seat_state("seat-1") == SeatState.NOT_READY
    assert c.connect("seat-1") == []  # a second connection of the same seat


def test_answer_is_idempotent_at_the_same_seat():
    c = centre_with_seats("seat-1")
    c.ready("seat-1")
    c.offer_call("20261127-0001")
    assert names(c.send(seat("seat-1"), "call.answer", {"call_id": "20261127-0001"})) == ["call.answered"]
    answered_at = c.call("20261127-0001")["answered_at"]
    assert c.send(seat("seat-1"), "call.answer", {"call_id": "20261127-0001"}) == []  # resent after reconnect
    assert c.call("20261127-0001")["answered_at"] == answered_at


def test_pickup_from_another_seat():
    c = centre_with_seats("seat-1", "seat-2")
    c.ready("seat-1")  # seat-2 stays not ready (wrapping up) and watches the queue display
    c.offer_call("20261127-0001")
    c.offer_call("20261127-0002")
    assert ringing_at(c, "20261127-0001") == "seat-1"
    events = c.send(seat("seat-2"), "call.answer", {"call_id": "20261127-0001"})
    assert names(events) == ["call.queued", "seat.state_changed", "call.answered", "call.ringing"]
    call = c.call("20261127-0001")
    assert call["state"] == CallState.ANSWERED and call["seat_id"] == "seat-2"
    # The seat it rang at is free again and gets the next waiting call at once.
    assert events[3]["data"] == {"call_id": "20261127-0002", "seat_id": "seat-1"}
    assert c.seat_state("seat-2") == SeatState.BUSY


def test_dispatcher_may_take_a_waiting_call_from_the_queue_display():
    c = centre_with_seats("seat-1")
    c.offer_call("20261127-0001")
    assert names(c.send(seat("seat-1"), "call.answer", {"call_id": "20261127-0001"})) == ["call.answered"]
    assert c.seat_state("seat-1") == SeatState.BUSY


def test_taking_a_call_from_the_queue_moves_the_call_ringing_here_to_another_seat():
    c = centre_with_seats("seat-1", "seat-2")
    c.ready("seat-1")
    c.offer_call("20261127-0001")  # rings at seat-1
    c.offer_call("20261127-0002", number="13912345678")  # waits: nobody else is ready
    c.send(seat("seat-1"), "call.answer", {"call_id": "20261127-0002"})  # the dispatcher takes the other one
    assert ringing_at(c, "20261127-0001") != "seat-1"
    c.ring_out("20261127-0001", "seat-1")
    assert c.seat_state("seat-1") == SeatState.BUSY


def test_call_answered_elsewhere_conflicts():
    c = centre_with_seats("seat-1", "seat-2")
    c.ready("seat-1")
    c.offer_call("20261127-0001")
    c.send(seat("seat-1"), "call.answer", {"call_id": "20261127-0001"})
    with refused(ErrorCode.CONFLICT) as exc:
        c.send(seat("seat-2"), "call.answer", {"call_id": "20261127-0001"})
    assert "seat-1" in exc.value.message


def test_answer_after_the_caller_hung_up_is_refused():
    c = centre_with_seats("seat-1")
    c.ready("seat-1")
    c.offer_call("20261127-0001")
    c.send(SWITCH, "call.abandoned", {"call_id": "20261127-0001"})
    with refused(ErrorCode.ILLEGAL_TRANSITION):
        c.send(seat("seat-1"), "call.answer", {"call_id": "20261127-0001"})
    with refused(ErrorCode.NOT_FOUND):
        c.send(seat("seat-1"), "call.answer", {"call_id": "20261127-0404"})


def test_caller_hanging_up_while_ringing_frees_the_seat_for_the_next_call():
    c = centre_with_seats("seat-1")
    c.ready("seat-1")
    c.offer_call("20261127-0001")
    c.offer_call("20261127-0002")
    events = c.send(SWITCH, "call.abandoned", {"call_id": "20261127-0001"})
    assert names(events) == ["call.abandoned", "call.ringing"]
    assert ringing_at(c, "20261127-0002") == "seat-1"
    assert c.call("20261127-0001")["state"] == CallState.ABANDONED


def test_caller_hanging_up_in_the_queue_leaves_the_queue():
    c = centre_with_seats("seat-1")
    c.offer_call("20261127-0001")
    c.send(SWITCH, "call.abandoned", {"call_id": "20261127-0001"})
    assert c.state.queued_calls() == []
    assert names(c.ready("seat-1")) == ["seat.state_changed"]  # nothing left to ring


def test_answered_call_cannot_be_abandoned_and_waiting_call_cannot_end():
    c = centre_with_seats("seat-1")
    c.offer_call("20261127-0001")
    with refused(ErrorCode.ILLEGAL_TRANSITION):
        c.send(SWITCH, "call.ended", {"call_id": "20261127-0001"})
    c.send(seat("seat-1"), "call.answer", {"call_id": "20261127-0001"})
    with refused(ErrorCode.ILLEGAL_TRANSITION):
        c.send(SWITCH, "call.abandoned", {"call_id": "20261127-0001"})


def test_after_the_call_ends_the_seat_wraps_up_until_the_dispatcher_is_ready():
    c = centre_with_seats("seat-1")
    c.ready("seat-1")
    c.offer_call("20261127-0001")
    c.send(seat("seat-1"), "call.answer", {"call_id": "20261127-0001"})
    c.offer_call("20261127-0002")  # waits: the only seat is on a call
    c.send(seat("seat-1"), "incident.create", {"incident_id": INCIDENT_1, "call_id": "20261127-0001"})
    assert names(c.send(seat("seat-1"), "call.ended", {"call_id": "20261127-0001"})) == ["call.ended"]
    seat_1 = c.state.seats["seat-1"]
    assert seat_1["state"] == SeatState.NOT_READY and seat_1["reason"] == "wrap_up"
    assert c.call("20261127-0002")["state"] == CallState.QUEUED
    c.ready("seat-1")
    assert ringing_at(c, "20261127-0002") == "seat-1"


def test_seat_cannot_end_a_call_answered_at_another_seat():
    c = centre_with_seats("seat-1", "seat-2")
    c.ready("seat-1")
    c.offer_call("20261127-0001")
    c.send(seat("seat-1"), "call.answer", {"call_id": "20261127-0001"})
    with refused(ErrorCode.FORBIDDEN):
        c.send(seat("seat-2"), "call.ended", {"call_id": "20261127-0001"})
    assert names(c.send(SWITCH, "call.ended", {"call_id": "20261127-0001"})) == ["call.ended"]


def test_seat_going_not_ready_while_a_call_rings_sends_the_call_elsewhere():
    c = centre_with_seats("seat-1", "seat-2")
    c.ready("seat-1")
    c.offer_call("20261127-0001")
    assert ringing_at(c, "20261127-0001") == "seat-1"
    c.ready("seat-2")
    c.ready("seat-1", False)
    assert c.seat_state("seat-1") == SeatState.NOT_READY
    assert ringing_at(c, "20261127-0001") == "seat-2"


def test_seat_on_a_call_cannot_change_its_readiness():
    c = centre_with_seats("seat-1")
    c.ready("seat-1")
    c.offer_call("20261127-0001")
    c.send(seat("seat-1"), "call.answer", {"call_id": "20261127-0001"})
    with refused(ErrorCode.ILLEGAL_TRANSITION):
        c.ready("seat-1", True)  # talking
    with refused(ErrorCode.ILLEGAL_TRANSITION):
        c.ready("seat-1", False)


def test_dispatcher_goes_on_break_and_comes_back():
    c = centre_with_seats("seat-1")
    c.ready("seat-1")
    [on_break] = c.ready("seat-1", False)
    assert on_break["data"] == {"seat_id": "seat-1", "state": "not_ready", "reason": "break"}
    assert c.ready("seat-1", False) == []  # saying it twice changes nothing
    c.offer_call("20261127-0001")
    assert c.call("20261127-0001")["state"] == CallState.QUEUED


def test_same_call_offered_twice_conflicts():
    c = centre_with_seats("seat-1")
    c.offer_call("20261127-0001")
    with refused(ErrorCode.CONFLICT):
        c.offer_call("20261127-0001")


def test_seat_cannot_offer_calls_and_switch_cannot_answer():
    c = centre_with_seats("seat-1")
    with refused(ErrorCode.FORBIDDEN):
        c.send(seat("seat-1"), "call.offered", {"call_id": "20261127-0001", "caller_number": "13800138000"})
    c.offer_call("20261127-0001")
    with refused(ErrorCode.FORBIDDEN):
        c.send(SWITCH, "call.answer", {"call_id": "20261127-0001"})
