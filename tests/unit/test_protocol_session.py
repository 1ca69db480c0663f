"""The client session, fed frames and checked for what it says to do (no sockets, no clock).

Each story is what a client of the server lives through: the handshake, a
snapshot or a replay, the outbox going out after ``synced``, acks and errors,
and what each close code means.
"""

from __future__ import annotations

import orjson
import pytest

from app.protocol import (
    CloseCode,
    ErrorCode,
    ProtocolError,
    ack,
    encode,
    error,
    event,
    now_iso,
    snapshot,
    synced,
    welcome,
)
from app.protocol.session import (
    CLOSE_ADVICE,
    MAX_SERVER_RETRIES,
    Acked,
    BadFrame,
    ClientSession,
    CloseAdvice,
    Deliver,
    GiveUp,
    HelloRefused,
    MemoryOutbox,
    Phase,
    Reconnect,
    Rejected,
    Resync,
    ResyncReason,
    Retrying,
    SendFrame,
    Synced,
    Welcomed,
)

SEAT = {"id": "seat-1", "role": "seat", "name": "调度席 1", "unit_id": None}


def session(outbox: MemoryOutbox | None = None, **kwargs) -> ClientSession:
    kwargs.setdefault("rng", lambda: 0.0)  # no jitter: delays are exact
    return ClientSession(token="tok-1", client="test-client/1.0", outbox=MemoryOutbox() if outbox is None else outbox, **kwargs)


def sent(actions) -> list[dict]:
    return [orjson.loads(a.frame) for a in actions if isinstance(a, SendFrame)]


def a_event(seq: int, state: str = "ready") -> dict:
    return event(
        seq=seq,
        ts=now_iso(),
        name="seat.state_changed",
        actor={"id": "seat-2", "role": "seat"},
        ref=None,
        data={"seat_id": "seat-2", "state": state},
    )


def online(s: ClientSession, *, last_seq: int | None = None, server_seq: int = 0) -> list:
    """Connect, be welcomed, get synced; return the actions of the synced frame."""
    s.connection_made(last_seq)
    resume = "snapshot" if last_seq is None else "replay"
    s.receive_frame(encode(welcome(principal=SEAT, server_seq=server_seq, resume=resume)))
    if last_seq is None:
        s.receive_frame(encode(snapshot(seq=server_seq, state={"seq": server_seq})))
    return s.receive_frame(encode(synced(seq=server_seq)))


# ---------------------------------------------------------------- handshake


def test_a_new_connection_starts_with_hello_carrying_the_token_and_last_seq():
    s = session()
    [hello] = sent(s.connection_made(last_seq=1842))
    assert hello == {"v": 1, "type": "hello", "token": "tok-1", "client": "test-client/1.0", "last_seq": 1842}
    assert s.phase is Phase.HELLO_SENT


def test_a_long_client_name_is_cut_to_what_the_hello_allows():
    s = ClientSession(token="t", client="x" * 100, outbox=MemoryOutbox())
    [hello] = sent(s.connection_made(None))
    assert hello["client"] == "x" * 64


def test_fresh_client_gets_welcome_then_snapshot_then_synced():
    s = session()
    s.connection_made(None)
    [welcomed] = s.receive_frame(encode(welcome(principal=SEAT, server_seq=7, resume="snapshot")))
    assert isinstance(welcomed, Welcomed) and welcomed.principal["id"] == "seat-1"
    assert s.phase is Phase.SYNCING and not s.synced
    [snap] = s.receive_frame(encode(snapshot(seq=7, state={"seq": 7})))
    assert isinstance(snap, Deliver) and snap.message["type"] == "snapshot"
    [done] = s.receive_frame(encode(synced(seq=7)))
    assert isinstance(done, Synced) and done.first and s.synced


def test_a_returning_client_gets_the_events_it_missed_then_synced():
    s = session()
    s.connection_made(last_seq=3)
    s.receive_frame(encode(welcome(principal=SEAT, server_seq=5, resume="replay")))
    replayed = s.receive_frame(encode(a_event(4))) + s.receive_frame(encode(a_event(5, "not_ready")))
    assert [(type(a), a.message["seq"]) for a in replayed] == [(Deliver, 4), (Deliver, 5)]
    assert not s.synced, "nothing is live before synced"
    assert isinstance(s.receive_frame(encode(synced(seq=5)))[-1], Synced)


def test_a_wrong_token_is_refused_and_the_client_stops_until_it_has_a_new_one():
    s = session()
    s.connection_made(None)
    [refused] = s.receive_frame(encode(error(ErrorCode.UNAUTHENTICATED, "unknown token")))
    assert isinstance(refused, HelloRefused)
    [outcome] = s.connection_lost(CloseCode.AUTH_FAILED, "authentication failed")
    assert outcome == GiveUp(CloseAdvice.AUTH_FAILED, 4001, "authentication failed")
    s.set_token("tok-2")
    assert sent(s.connection_made(None))[0]["token"] == "tok-2"


def test_a_server_whose_log_is_shorter_makes_the_client_forget_and_ask_for_a_snapshot():
    s = session()
    s.connection_made(last_seq=500)
    actions = s.receive_frame(encode(welcome(principal=SEAT, server_seq=12, resume="snapshot")))
    assert isinstance(actions[0], Welcomed)
    assert actions[1] == Resync(ResyncReason.SERVER_BEHIND, forget_events=True)
    assert s.resync_pending
    assert s.connection_lost(None) == [Reconnect(0.0, CloseAdvice.RECONNECT)], "at once, not after a backoff"


def test_an_application_that_finds_its_state_belongs_to_another_principal_resyncs_at_once():
    s = session()
    s.connection_made(last_seq=9)
    s.receive_frame(encode(welcome(principal=SEAT, server_seq=9, resume="replay")))
    assert s.require_snapshot() == [Resync(ResyncReason.IDENTITY_CHANGED, forget_events=False)]
    assert s.connection_lost(CloseCode.NORMAL)[0].after_s == 0.0


# ---------------------------------------------------------------- the outbox


def test_commands_made_offline_wait_and_go_out_in_order_after_synced():
    outbox = MemoryOutbox()
    s = session(outbox)
    first, nothing = s.send_command("seat.set_ready", {"ready": True})
    assert nothing == [], "offline: the command waits in the outbox"
    s.connection_made(None)
    s.receive_frame(encode(welcome(principal=SEAT, server_seq=0, resume="snapshot")))
    second, still_nothing = s.send_command("seat.set_ready", {"ready": False})
    assert still_nothing == [], "welcomed but not synced: still waiting"
    actions = s.receive_frame(encode(synced(seq=0)))
    assert [m["id"] for m in sent(actions)] == [first, second]
    assert isinstance(actions[-1], Synced), "the application hears synced after the outbox is queued"
    assert [c.attempts for c in outbox] == [1, 1]


def test_a_command_made_while_synced_goes_out_at_once_and_only_once():
    s = session()
    online(s)
    cid, actions = s.send_command("seat.set_ready", {"ready": True})
    assert [m["id"] for m in sent(actions)] == [cid]
    assert s.flush() == [], "already sent on this connection"


def test_unacked_commands_are_sent_again_with_the_same_ids_after_a_reconnect():
    outbox = MemoryOutbox()
    s = session(outbox)
    online(s)
    cid, _ = s.send_command("seat.set_ready", {"ready": True})
    s.connection_lost(None)
    actions = online(s, last_seq=0)
    assert [m["id"] for m in sent(actions)] == [cid]
    assert [c.attempts for c in outbox] == [2]


def test_the_subscription_is_sent_again_after_every_synced_before_the_outbox():
    s = session()
    assert s.subscribe(["A1"], ["vitals"]) == [], "offline: kept for later"
    cid, _ = s.send_command("seat.set_ready", {"ready": True})
    frames = sent(online(s))
    assert [f["type"] for f in frames] == ["subscribe", "cmd"]
    assert frames[0]["unit_ids"] == ["A1"] and frames[1]["id"] == cid
    with pytest.raises(ProtocolError):
        s.subscribe(["A1"], ["not-a-kind"])


def test_an_ack_takes_the_command_out_of_the_outbox_and_a_duplicate_ack_changes_nothing():
    outbox = MemoryOutbox()
    s = session(outbox)
    online(s)
    cid, _ = s.send_command("seat.set_ready", {"ready": True})
    [acked] = s.receive_frame(encode(ack(ref=cid, seq=1, events=1)))
    assert acked == Acked(cid, acked.message, known=True) and len(outbox) == 0
    [again] = s.receive_frame(encode(ack(ref=cid, seq=1, events=1, duplicate=True)))
    assert isinstance(again, Acked) and not again.known and len(outbox) == 0


@pytest.mark.parametrize("events_first", [True, False], ids=["events-then-ack", "ack-then-events"])
def test_the_command_is_settled_whichever_order_its_events_and_ack_arrive_in(events_first):
    outbox = MemoryOutbox()
    s = session(outbox)
    online(s)
    cid, _ = s.send_command("seat.set_ready", {"ready": True})
    ev = {**a_event(1), "ref": cid}
    frames = [encode(ev), encode(ack(ref=cid, seq=1, events=1))]
    actions = [a for f in (frames if events_first else frames[::-1]) for a in s.receive_frame(f)]
    assert {type(a) for a in actions} == {Deliver, Acked}
    assert len(outbox) == 0 and s.synced


def test_a_refused_command_leaves_the_outbox_with_its_name_and_args():
    outbox = MemoryOutbox()
    s = session(outbox)
    online(s)
    cid, _ = s.send_command("seat.set_ready", {"ready": True})
    [refused] = s.receive_frame(encode(error(ErrorCode.FORBIDDEN, "not yours", ref=cid)))
    assert isinstance(refused, Rejected)
    assert (refused.command_id, refused.name, refused.args) == (cid, "seat.set_ready", {"ready": True})
    assert len(outbox) == 0 and outbox.rejected[0][1] == "forbidden"


def test_a_server_fault_is_retried_after_a_doubling_delay_then_given_up():
    outbox = MemoryOutbox()
    s = session(outbox, server_retry_s=(1.0, 3.0))
    online(s)
    cid, _ = s.send_command("seat.set_ready", {"ready": True})
    delays = []
    for _ in range(MAX_SERVER_RETRIES - 1):
        [retrying] = s.receive_frame(encode(error(ErrorCode.INTERNAL, "db locked", ref=cid)))
        assert isinstance(retrying, Retrying) and len(outbox) == 1
        delays.append(retrying.after_s)
        assert [m["id"] for m in sent(s.resend(cid))] == [cid]
    assert delays == [1.0, 2.0, 3.0, 3.0]
    [final] = s.receive_frame(encode(error(ErrorCode.INTERNAL, "db locked", ref=cid)))
    assert isinstance(final, Rejected) and len(outbox) == 0


def test_a_retry_timer_from_a_lost_connection_sends_nothing_twice():
    s = session()
    online(s)
    cid, _ = s.send_command("seat.set_ready", {"ready": True})
    s.receive_frame(encode(error(ErrorCode.RATE_LIMITED, "slow down", ref=cid)))
    s.connection_lost(CloseCode.GOING_AWAY)
    assert [m["id"] for m in sent(online(s, last_seq=0))] == [cid], "re-sent after the reconnect"
    assert s.resend(cid) == [], "the old timer does not send it a second time"


def test_an_error_about_someone_elses_frame_is_delivered_not_matched():
    outbox = MemoryOutbox()
    s = session(outbox)
    online(s)
    s.send_command("seat.set_ready", {"ready": True})
    [other] = s.receive_frame(encode(error(ErrorCode.BAD_MESSAGE, "bad telemetry", ref="seq:4")))
    assert isinstance(other, Deliver) and len(outbox) == 1


def test_a_stored_command_that_todays_rules_refuse_is_rejected_visibly_not_sent():
    outbox = MemoryOutbox()
    outbox.add_command("seat.set_ready", {"ready": True})
    stale = outbox.pending()[0]
    outbox._commands[stale.command_id] = type(stale)(stale.command_id, "seat.set_ready", {"ready": "yes"})
    s = session(outbox)
    actions = online(s)
    [rejected] = [a for a in actions if isinstance(a, Rejected)]
    assert rejected.message["code"] == "invalid_args" and sent(actions) == []


def test_live_frames_are_sent_only_while_synced():
    s = session()
    position = {"v": 1, "type": "subscribe", "unit_ids": ["A1"], "kinds": ["vitals"]}
    assert s.send_live(position) == []
    online(s)
    assert sent(s.send_live(position)) == [position]
    with pytest.raises(ProtocolError):
        s.send_live({"v": 1, "type": "subscribe", "unit_ids": "A1"})


# ---------------------------------------------------------------- what the server sends


def test_a_malformed_frame_is_skipped_and_changes_nothing():
    s = session()
    online(s)
    for frame in ("not json", '{"v": 1, "type": "launch_missiles"}', '{"v": 99, "type": "synced", "seq": 0}'):
        [bad] = s.receive_frame(frame)
        assert isinstance(bad, BadFrame)
    invalid_event = encode(a_event(1, state="dancing"))
    [bad] = s.receive_frame(invalid_event)
    assert isinstance(bad, BadFrame) and s.synced


def test_a_repeated_synced_changes_nothing():
    s = session()
    s.send_command("seat.set_ready", {"ready": True})
    online(s)
    assert s.receive_frame(encode(synced(seq=0))) == [Synced(synced(seq=0), first=False)]


# ---------------------------------------------------------------- close codes


@pytest.mark.parametrize(
    ("code", "advice"),
    [
        (None, CloseAdvice.RECONNECT),  # the network dropped: no close frame
        (1000, CloseAdvice.RECONNECT),
        (1001, CloseAdvice.RECONNECT),
        (1003, CloseAdvice.CLIENT_FAULT),
        (1008, CloseAdvice.RECONNECT),
        (1009, CloseAdvice.CLIENT_FAULT),
        (1011, CloseAdvice.RECONNECT),
        (4002, CloseAdvice.CLIENT_FAULT),
        (4008, CloseAdvice.CLIENT_FAULT),
        (4999, CloseAdvice.RECONNECT),  # a code this client does not know
    ],
)
def test_close_codes_that_allow_a_retry_reconnect_with_backoff(code, advice):
    s = session(backoff_s=(0.5, 10.0))
    s.connection_made(None)
    [outcome] = s.connection_lost(code, "bye")
    assert outcome == Reconnect(0.5, advice, code, "bye")


@pytest.mark.parametrize(
    ("code", "advice"),
    [(4001, CloseAdvice.AUTH_FAILED), (4003, CloseAdvice.UPGRADE), (4004, CloseAdvice.REPLACED)],
)
def test_close_codes_after_which_retrying_cannot_help_stop_the_client(code, advice):
    s = session()
    online(s)
    assert s.connection_lost(code) == [GiveUp(advice, code, "")]


def test_every_close_code_the_protocol_defines_has_a_policy():
    assert set(CLOSE_ADVICE) == {int(c) for c in CloseCode}


def test_reconnect_delays_double_to_the_cap_and_start_afresh_after_a_good_connection():
    s = session(backoff_s=(0.5, 2.0))
    delays = []
    for _ in range(4):
        s.connection_made(None)
        delays.append(s.connection_lost(None)[0].after_s)
    assert delays == [0.5, 1.0, 2.0, 2.0]
    online(s)
    assert s.connection_lost(CloseCode.GOING_AWAY)[0].after_s == 0.5


def test_reconnect_delays_are_jittered_within_half_of_the_base():
    s = ClientSession(token="t", client="c", outbox=MemoryOutbox(), backoff_s=(1.0, 10.0), rng=lambda: 1.0)
    assert s.connection_lost(None)[0].after_s == 0.5
