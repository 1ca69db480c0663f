"""The golden frames, seen from the seat's side of the wire: the pure codec in ``app.protocol``.

Every valid golden decodes on the side that receives it and comes back from
``encode`` unchanged; every message, command and event of the protocol has a
golden (add one and this file tells you to write its golden); every invalid
frame is refused with the code the vendor documentation promises. The server's
side of the same files is ``tests/integration/test_server_golden.py``.
"""

from __future__ import annotations

import json

import pytest

from app.domain.state import State
from app.protocol import (
    CLIENT_TYPES,
    COMMANDS,
    ENVELOPES,
    EVENTS,
    MAX_FRAME_BYTES,
    SERVER_TYPES,
    ErrorCode,
    ProtocolError,
    ack,
    command,
    crew,
    decode,
    encode,
    error,
    error_from,
    event,
    hello,
    parse_ts,
    snapshot,
    synced,
    validate_event,
    welcome,
)
from app.protocol import caller_link as cl
from app.protocol import prenotify as pn
from app.protocol import responders as rs
from app.protocol import telemetry as tm
from tests.golden_helpers import (
    CLIENT_TO_SERVER,
    SERVER_TO_CLIENT,
    Golden,
    InvalidCase,
    canonical,
    deeply_nested_frame,
    golden,
    goldens_of_kind,
    invalid_case_files,
    invalid_cases,
    oversize_frame,
    rebuilt_snapshot_goldens,
    story_events,
    valid_goldens,
)

VALID = valid_goldens()
INVALID = invalid_cases()


# ---------------------------------------------------------------- every message has a golden


@pytest.mark.parametrize("mtype", sorted(CLIENT_TYPES))
def test_every_client_message_type_has_a_golden(mtype):
    found = [g for g in valid_goldens(CLIENT_TO_SERVER) if g.message["type"] == mtype]
    assert found, f"write tests/golden/{CLIENT_TO_SERVER}/{mtype}.json"


@pytest.mark.parametrize("mtype", sorted(SERVER_TYPES))
def test_every_server_message_type_has_a_golden(mtype):
    found = [g for g in valid_goldens(SERVER_TO_CLIENT) if g.message["type"] == mtype]
    assert found, f"write tests/golden/{SERVER_TO_CLIENT}/{mtype}.json"


def test_every_envelope_is_either_a_client_or_a_server_message():
    assert CLIENT_TYPES | SERVER_TYPES == set(ENVELOPES)
    assert not CLIENT_TYPES & SERVER_TYPES


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_a_golden(name):
    assert goldens_of_kind(f"cmd.{name}"), f"write tests/golden/{CLIENT_TO_SERVER}/cmd.{name}.json"


@pytest.mark.parametrize("name", sorted(EVENTS))
def test_every_event_has_a_golden(name):
    assert goldens_of_kind(f"event.{name}"), f"write tests/golden/{SERVER_TO_CLIENT}/event.{name}.json"


@pytest.mark.parametrize("g", VALID, ids=str)
def test_golden_file_name_says_what_it_holds(g: Golden):
    msg = g.message
    expected = msg["type"] if msg["type"] not in ("cmd", "event") else f"{msg['type']}.{msg['name']}"
    assert g.kind == expected
    assert msg["type"] in g.accepted_by, f"{g.id} is in the wrong direction's folder"


# ---------------------------------------------------------------- valid goldens round-trip


@pytest.mark.parametrize("g", VALID, ids=str)
def test_golden_decodes_on_the_receiving_side(g: Golden):
    assert decode(g.text, allowed=g.accepted_by) == g.message
    assert decode(g.text.encode("utf-8"), allowed=g.accepted_by) == g.message


@pytest.mark.parametrize("g", VALID, ids=str)
def test_golden_survives_encode_decode_unchanged(g: Golden):
    frame = encode(decode(g.text, allowed=g.accepted_by))
    assert json.loads(frame) == g.message
    # The codec's own output is stable: encoding what it decoded gives the same bytes again.
    assert encode(decode(frame, allowed=g.accepted_by)) == frame


@pytest.mark.parametrize("g", VALID, ids=str)
def test_golden_is_refused_by_the_sending_side(g: Golden):
    other = SERVER_TYPES if g.direction == CLIENT_TO_SERVER else CLIENT_TYPES
    with pytest.raises(ProtocolError) as refused:
        decode(g.text, allowed=other)
    assert refused.value.code == ErrorCode.UNKNOWN_TYPE


@pytest.mark.parametrize("g", [g for g in VALID if g.message["type"] == "event"], ids=str)
def test_event_golden_data_validates_against_its_table(g: Golden):
    msg = g.message
    validate_event(msg["name"], msg["data"])
    parse_ts(msg["ts"])


@pytest.mark.parametrize("g", VALID, ids=str)
def test_builders_produce_exactly_the_golden(g: Golden):
    """The golden is what our own code puts on the wire, null fields included."""
    m = g.message
    built = {
        "hello": lambda: hello(token=m["token"], client=m["client"], last_seq=m["last_seq"]),
        "cmd": lambda: command(m["name"], m["args"], command_id=m["id"]),
        "ack": lambda: ack(ref=m["ref"], seq=m["seq"], events=m["events"], duplicate=m["duplicate"]),
        "error": lambda: error(ErrorCode(m["code"]), m["message"], ref=m["ref"], field=m["field"]),
        "event": lambda: event(
            seq=m["seq"], ts=m["ts"], name=m["name"], actor=m["actor"], ref=m["ref"], data=m["data"]
        ),
        "snapshot": lambda: snapshot(seq=m["seq"], state=m["state"]),
        "synced": lambda: synced(seq=m["seq"]),
        # Telemetry (app/protocol/telemetry.py)
        "telemetry": lambda: tm.telemetry(unit_id=m["unit_id"], kind=m["kind"], t=m["t"], seq=m["seq"], data=m["data"]),
        "unit_telemetry": lambda: tm.unit_telemetry({**m, "type": "telemetry"}),
        "subscribe": lambda: tm.subscribe(unit_ids=m["unit_ids"], kinds=m["kinds"]),
        "positions": lambda: tm.positions(m["items"]),
        "prenotify_package": lambda: pn.prenotify_package(m["package"], m["acknowledged"]),  # app/protocol/prenotify.py
        "incident_brief": lambda: crew.incident_brief(seq=m["seq"], incident=m["incident"], units=m["units"]),
        "caller_link": lambda: cl.caller_link_message(**{k: m[k] for k in m if k not in ("v", "type")}),
        "rtc_from_caller": lambda: cl.rtc_message(m["type"], **{k: m[k] for k in m if k not in ("v", "type")}),
        "rtc_to_caller": lambda: cl.rtc_message(m["type"], **{k: m[k] for k in m if k not in ("v", "type")}),
        # First responders (app/protocol/responders.py)
        "volunteer.position": lambda: rs.volunteer_position(lat=m["lat"], lon=m["lon"], t=m["t"],
                                                            accuracy_m=m.get("accuracy_m")),
        "volunteer_alert": lambda: rs.volunteer_alert(**{k: m[k] for k in m if k not in ("v", "type")}),
        "volunteer_aed": lambda: rs.volunteer_aed(
            alert_id=m["alert_id"], aed={k: m[k] for k in ("aed_id", "name", "lat", "lon", "access")},
            walk_s=m["walk_s"], distance_m=m["distance_m"], route=m["route"], path=m["path"]),
        "welcome": lambda: {
            **welcome(principal=m["principal"], server_seq=m["server_seq"], resume=m["resume"]),
            "server_time": m["server_time"],  # the builder stamps "now"; checked just below
        },
    }[m["type"]]()
    assert canonical(built) == m
    if m["type"] == "welcome":
        parse_ts(welcome(principal=m["principal"], server_seq=0, resume="replay")["server_time"])


# ---------------------------------------------------------------- the story the event goldens tell


def test_event_goldens_tell_one_story_with_consecutive_seqs():
    seqs = [e["seq"] for e in story_events()]
    assert seqs == list(range(1, len(seqs) + 1))
    stamps = [parse_ts(e["ts"]) for e in story_events()]
    assert stamps == sorted(stamps)


def test_every_event_golden_changes_the_projection():
    state = State()
    for msg in story_events():
        assert state.apply(msg), f"event {msg['seq']} {msg['name']} was not applied"
    assert state.skipped == 0


def test_snapshot_golden_is_the_projection_of_the_event_goldens():
    """If this fails after a deliberate change of the projection, the snapshot format changed:
    rebuild with ``python -m tests.golden_helpers regen-snapshot`` and say so in docs/protocol.md."""
    for relative, rebuilt in rebuilt_snapshot_goldens().items():
        committed = golden(f"{SERVER_TO_CLIENT}/{relative.rsplit('/', 1)[1].removesuffix('.json')}")
        assert canonical(rebuilt) == committed.message


def test_snapshot_golden_restores_into_a_state_that_carries_on():
    snap = golden(f"{SERVER_TO_CLIENT}/snapshot").message
    restored = State.from_dict(snap["state"])
    assert restored.to_dict() == snap["state"]
    assert restored.seq == snap["seq"]
    # Replaying what it already contains changes nothing.
    assert not any(restored.apply(e) for e in story_events())
    assert restored.to_dict() == snap["state"]


def test_ack_goldens_refer_to_commands_and_events_of_the_story():
    commands = {
        g.message["id"]: g.message for g in valid_goldens(CLIENT_TO_SERVER) if g.message["type"] == "cmd"
    }
    events = story_events()
    for g in goldens_of_kind("ack"):
        a = g.message
        assert a["ref"] in commands, g.id
        produced = [e for e in events if e["ref"] == a["ref"]]
        assert len(produced) == a["events"], g.id
        assert produced[-1]["seq"] == a["seq"], g.id


# ---------------------------------------------------------------- invalid frames are refused


def test_every_invalid_file_has_a_case_and_every_case_a_file():
    assert invalid_case_files() == sorted(c.name for c in INVALID)


def test_invalid_cases_cover_every_way_a_frame_can_be_refused_by_the_codec():
    decode_codes = {
        ErrorCode.BAD_JSON,
        ErrorCode.BAD_MESSAGE,
        ErrorCode.UNSUPPORTED_VERSION,
        ErrorCode.UNKNOWN_TYPE,
        ErrorCode.UNKNOWN_COMMAND,
        ErrorCode.INVALID_ARGS,
    }
    assert {c.code for c in INVALID} == decode_codes


@pytest.mark.parametrize("case", INVALID, ids=str)
def test_invalid_golden_is_refused_with_its_code(case: InvalidCase):
    with pytest.raises(ProtocolError) as refused:
        decode(case.frame, allowed=case.accepted_by)
    assert refused.value.code == case.code, f"{case.name}: {case.why}: {refused.value.message}"
    if case.text is not None:
        with pytest.raises(ProtocolError) as refused_text:
            decode(case.text, allowed=case.accepted_by)
        assert refused_text.value.code == case.code


@pytest.mark.parametrize("case", INVALID, ids=str)
def test_error_reply_to_an_invalid_frame_is_itself_a_valid_frame(case: InvalidCase):
    """What the server sends back for the refusal passes the seat's own decoder."""
    with pytest.raises(ProtocolError) as refused:
        decode(case.frame, allowed=case.accepted_by)
    reply = decode(encode(error_from(refused.value)), allowed=SERVER_TYPES)
    assert reply["code"] == case.code.value
    assert reply["message"]


@pytest.mark.parametrize(
    "case", [c for c in INVALID if c.code in (ErrorCode.UNKNOWN_COMMAND, ErrorCode.INVALID_ARGS)], ids=str
)
def test_refused_command_names_its_id_so_the_seat_can_match_the_error(case: InvalidCase):
    with pytest.raises(ProtocolError) as refused:
        decode(case.frame, allowed=case.accepted_by)
    assert refused.value.ref == json.loads(case.frame)["id"]
    if case.code == ErrorCode.INVALID_ARGS:
        assert refused.value.field and refused.value.field.startswith("args.")


def test_frame_one_byte_over_the_limit_is_refused_for_its_size():
    frame = oversize_frame(MAX_FRAME_BYTES + 1)
    for as_sent in (frame, frame.decode("utf-8")):
        with pytest.raises(ProtocolError) as refused:
            decode(as_sent, allowed=CLIENT_TYPES)
        assert refused.value.code == ErrorCode.BAD_MESSAGE
        assert "larger than" in refused.value.message


def test_frame_exactly_at_the_limit_is_judged_on_its_content():
    with pytest.raises(ProtocolError) as refused:
        decode(oversize_frame(MAX_FRAME_BYTES), allowed=CLIENT_TYPES)
    assert refused.value.code == ErrorCode.INVALID_ARGS  # the description is too long, not the frame
    assert refused.value.field == "args.description"


def test_ten_megabyte_frame_is_refused():
    with pytest.raises(ProtocolError) as refused:
        decode(oversize_frame(10 * 1024 * 1024), allowed=CLIENT_TYPES)
    assert refused.value.code == ErrorCode.BAD_MESSAGE


def test_frame_over_the_limit_is_refused_the_same_as_text_or_as_bytes():
    msg = golden(f"{SERVER_TO_CLIENT}/snapshot").message
    msg["state"]["incidents"]["3f6d1b2a-8c4e-4f7a-9b0c-5d2e1a3f4b6c"]["close_note"] = "移交" * 50_000
    text = encode(msg)
    assert len(text) < MAX_FRAME_BYTES < len(text.encode("utf-8"))
    with pytest.raises(ProtocolError) as as_bytes:
        decode(text.encode("utf-8"), allowed=SERVER_TYPES)
    assert "larger than" in as_bytes.value.message
    with pytest.raises(ProtocolError) as as_text:
        decode(text, allowed=SERVER_TYPES)
    assert "larger than" in as_text.value.message


def test_deeply_nested_frame_is_refused_without_crashing():
    with pytest.raises(ProtocolError) as refused:
        decode(deeply_nested_frame(), allowed=CLIENT_TYPES)
    assert refused.value.code in (ErrorCode.BAD_JSON, ErrorCode.BAD_MESSAGE)
