"""The codec as a device vendor meets it: builders, timestamps, and frames mangled on the way.

The fuzz tests mutate the golden frames thousands of times with a fixed seed:
whatever arrives, ``decode`` answers with a message or a ProtocolError, never
with another exception, and what it accepts survives a round trip.
"""

from __future__ import annotations

import copy
import json
import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from app.domain.model import Role
from app.protocol import (
    CLIENT_TYPES,
    COMMAND_ROLES,
    COMMANDS,
    EVENTS,
    SERVER_TYPES,
    ErrorCode,
    ProtocolError,
    command,
    decode,
    encode,
    error,
    format_ts,
    new_id,
    now_iso,
    parse_ts,
    validate_command,
    validate_event,
)
from app.protocol.schema import UUID_RE
from tests.golden_helpers import valid_goldens

SEED = 20261127
ODD_VALUES: list[Any] = [
    None, True, False, 0, -1, 1, 2.5, -0.0, 1e308, 18446744073709551615, "", "x" * 5000, "急救1",
    "NaN", "13800138000", [], [1, 2], {}, {"v": 1}, "\u0000", "3f6d1b2a-8c4e-4f7a-9b0c-5d2e1a3f4b6c",
]  # fmt: skip


# ---------------------------------------------------------------- builders and helpers


def test_command_builder_refuses_bad_arguments_before_anything_is_sent():
    with pytest.raises(ProtocolError) as refused:
        command("unit.assign", {"incident_id": "not-a-uuid", "unit_id": "A01"})
    assert refused.value.code == ErrorCode.INVALID_ARGS
    assert refused.value.field == "args.incident_id"
    assert UUID_RE.match(refused.value.ref)


def test_command_builder_makes_a_fresh_uuid_per_command():
    first = command("call.answer", {"call_id": "20261127-0001"})
    second = command("call.answer", {"call_id": "20261127-0001"})
    assert first["id"] != second["id"]
    assert UUID_RE.match(first["id"]) and UUID_RE.match(new_id())
    assert decode(encode(first), allowed=CLIENT_TYPES) == first


def test_unknown_command_and_unknown_event_are_refused_by_name():
    with pytest.raises(ProtocolError) as refused:
        validate_command("unit.teleport", {})
    assert refused.value.code == ErrorCode.UNKNOWN_COMMAND
    with pytest.raises(ProtocolError) as refused:
        validate_event("unit.teleported", {})
    assert refused.value.code == ErrorCode.BAD_MESSAGE


def test_event_with_wrong_data_is_refused():
    with pytest.raises(ProtocolError) as refused:
        validate_event(
            "unit.assigned", {"incident_id": "3f6d1b2a-8c4e-4f7a-9b0c-5d2e1a3f4b6c", "unit_id": "A01"}
        )
    assert refused.value.code == ErrorCode.BAD_MESSAGE
    assert refused.value.field == "data.version"


def test_long_error_message_is_cut_to_fit_the_error_frame():
    reply = error(ErrorCode.INTERNAL, "数据库" * 1000, ref="0c7e5a3b-1d9f-4b2e-8a6c-4e2d0b8f6a1c")
    assert len(reply["message"]) == 1000
    assert decode(encode(reply), allowed=SERVER_TYPES) == reply


def test_timestamps_are_utc_with_milliseconds_and_round_trip():
    beijing = timezone(timedelta(hours=8))
    moment = datetime(2026, 11, 27, 10, 14, 5, 123456, tzinfo=beijing)
    text = format_ts(moment)
    assert text == "2026-11-27T02:14:05.123Z"
    assert parse_ts(text) == datetime(2026, 11, 27, 2, 14, 5, 123000, tzinfo=UTC)
    assert now_iso().endswith("Z") and parse_ts(now_iso()).tzinfo is not None


def test_every_command_says_which_roles_may_send_it():
    assert set(COMMAND_ROLES) == set(COMMANDS)
    assert all(roles and roles <= set(Role) for roles in COMMAND_ROLES.values())


def test_a_device_may_report_status_but_never_dispatch():
    assert Role.DEVICE in COMMAND_ROLES["unit.status"]
    dispatcher_only = ("unit.assign", "incident.create", "incident.update", "incident.close", "call.answer")
    assert all(Role.DEVICE not in COMMAND_ROLES[name] for name in dispatcher_only)
    assert Role.SEAT not in COMMAND_ROLES["call.offered"]  # a seat cannot invent calls


def test_every_event_table_names_an_id_so_the_seat_knows_what_changed():
    for name, data_type in EVENTS.items():
        assert any(key.endswith("_id") for key in data_type.__struct_fields__), name


# ---------------------------------------------------------------- fuzz


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key path inside a parsed frame (dict keys and list indexes)."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            found.append(prefix + (key,))
            found.extend(_paths(value, prefix + (key,)))
    elif isinstance(node, list):
        for i, value in enumerate(node[:5]):
            found.append(prefix + (i,))
            found.extend(_paths(value, prefix + (i,)))
    return found


def _mutate_structure(rng: random.Random, msg: dict) -> dict:
    msg = copy.deepcopy(msg)
    path = rng.choice(_paths(msg))
    parent = msg
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    action = rng.random()
    if action < 0.6:
        parent[last] = copy.deepcopy(rng.choice(ODD_VALUES))
    elif action < 0.8 and isinstance(parent, dict):
        del parent[last]
    elif isinstance(parent, dict):
        parent[rng.choice(["extra", "Id", "v2", "token", "args"])] = rng.choice(ODD_VALUES)
    return msg


def _mutate_bytes(rng: random.Random, frame: bytes) -> bytes:
    data = bytearray(frame)
    for _ in range(rng.randint(1, 4)):
        if not data:
            break
        action = rng.random()
        i = rng.randrange(len(data))
        if action < 0.3:
            data[i] = rng.randrange(256)
        elif action < 0.55:
            del data[i : i + rng.randint(1, 20)]
        elif action < 0.8:
            data[i:i] = rng.choice([b"{", b"}", b'"', b",", b"\\u", b"\xe6\x80", b"NaN", b"[" * 50, b"\x00"])
        else:
            del data[i:]
    return bytes(data)


def _check_decode_outcome(frame: bytes | str, allowed: frozenset[str]) -> str:
    try:
        msg = decode(frame, allowed=allowed)
    except ProtocolError as exc:
        assert isinstance(exc.code, ErrorCode)
        decode(encode(error(exc.code, exc.message, ref=exc.ref, field=exc.field)), allowed=SERVER_TYPES)
        return exc.code.value
    # Accepted: it must be a message of the allowed kinds that survives a round trip.
    assert msg["type"] in allowed
    assert decode(encode(msg), allowed=allowed) == msg
    if msg["type"] == "cmd":
        validate_command(msg["name"], msg["args"])
    return "accepted"


def test_decode_of_mangled_structures_gives_a_message_or_a_protocol_error():
    rng = random.Random(SEED)
    goldens = valid_goldens()
    outcomes: dict[str, int] = {}
    for _ in range(3000):
        g = rng.choice(goldens)
        mutated = _mutate_structure(rng, g.message)
        frame = json.dumps(mutated, ensure_ascii=rng.random() < 0.5)
        outcome = _check_decode_outcome(frame, g.accepted_by)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    # The fuzzing reached the validators, not just the JSON parser.
    assert {"accepted", "bad_message", "invalid_args"} <= set(outcomes), outcomes


def test_decode_of_mangled_bytes_gives_a_message_or_a_protocol_error():
    rng = random.Random(SEED + 1)
    goldens = valid_goldens()
    outcomes: dict[str, int] = {}
    for _ in range(3000):
        g = rng.choice(goldens)
        frame = _mutate_bytes(rng, g.text.encode("utf-8"))
        outcome = _check_decode_outcome(frame, g.accepted_by)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        try:
            text = frame.decode("utf-8")
        except UnicodeDecodeError:
            continue
        assert _check_decode_outcome(text, g.accepted_by) == outcome
    assert outcomes.get("bad_json", 0) > 100, outcomes


def test_times_are_written_in_utc_with_milliseconds_and_z_whatever_zone_they_come_in():
    from app.protocol.codec import format_ts, parse_ts

    beijing = timezone(timedelta(hours=8))
    assert format_ts(datetime(2026, 12, 6, 13, 44, 55, 123456, tzinfo=beijing)) == "2026-12-06T05:44:55.123Z"
    assert format_ts(datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)) == "2026-12-31T23:59:59.999Z"
    assert format_ts(datetime(2026, 1, 1, 0, 0, 0, 0, tzinfo=UTC)) == "2026-01-01T00:00:00.000Z"
    moment = datetime(2026, 6, 1, 2, 3, 4, 5000, tzinfo=timezone(timedelta(hours=-5)))
    assert parse_ts(format_ts(moment)) == moment
