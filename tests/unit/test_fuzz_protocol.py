"""Fuzzing the edge: whatever a client sends, the server's decoder and command handlers
refuse it cleanly or handle it, never crash, and never change the centre for a refusal.

Three layers, each fed by hypothesis:

1. Arbitrary bytes and arbitrary JSON into :func:`app.protocol.decode`: a message or a
   :class:`ProtocolError`, never any other exception.
2. The golden client commands (``tests/golden/client_to_server``) mutated — wrong JSON
   types, numbers out of range, missing and unknown fields, control characters, huge
   strings, and valid-typed nonsense (ids of other things, ids that do not exist) — sent
   through the codec and, when the codec lets them through, through the command's
   handler against a centre that has lived through a busy shift. A refusal leaves the
   state exactly as it was; an acceptance drafts events that validate and apply.
3. Device telemetry frames mutated the same way through the server's telemetry router
   (validation, clock bounds, per-unit order), which needs no server: a refused frame
   changes nothing the router keeps and does not stop the next good frame.

Bounded and deterministic: ``derandomize=True`` (the examples are a function of the test)
and a fixed ``max_examples``, no example database; the whole file takes a few seconds.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as outcome
from hypothesis import strategies as st

from app.domain.decide import Principal, decide
from app.domain.model import Role
from app.domain.responders import decide_alert, decide_response
from app.domain.state import State
from app.protocol import CLIENT_TYPES, COMMAND_ROLES, ProtocolError, decode, event, format_ts, validate_event
from app.protocol.telemetry import parse_epoch
from server_stub.telemetry import TelemetryRouter
from tests.unit.domain_harness import INCIDENT_1, INCIDENT_2, SWITCH, busy_day, device, seat

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "client_to_server"
FUZZ = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _golden(prefix: str) -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(GOLDEN.glob(f"{prefix}*.json"))]


COMMAND_FRAMES = _golden("cmd.")
TELEMETRY_FRAMES = _golden("telemetry__")

# One centre, after a shift in which every kind of event happened (closed and open
# incidents, busy and free units, calls in every state, a hospital, a caller link).
SHIFT = busy_day()
SHIFT_SNAPSHOT = SHIFT.state.to_dict()

PRINCIPALS = {
    Role.SEAT: seat("seat-2"),
    Role.DEVICE: device("A01"),
    Role.SWITCH: SWITCH,
    Role.TRAINER: Principal(id="trainer-1", role=Role.TRAINER, name="培训台"),
    Role.HOSPITAL: Principal(id="hosp-console", role=Role.HOSPITAL, name="重医附一院", unit_id="H-CQMU1"),
    Role.VOLUNTEER: Principal(id="vol-1", role=Role.VOLUNTEER, name="志愿者"),
}

# ---------------------------------------------------------------- values

CONTROL_CHARACTERS = st.sampled_from(["\x00", "\x07", "\x1b[2J", "\r", "\x0b", "\x7f", "\x85", "\x9b"])
CONTROL_TEXT = st.tuples(st.text(max_size=10), CONTROL_CHARACTERS, st.text(max_size=10)).map("".join)
HUGE_TEXT = st.sampled_from(["x" * 70_000, "渝" * 30_000, "a" * 5_000, "1" * 300])
# Valid JSON types, nonsense meaning: other things' ids, ids that do not exist, edge numbers.
HOSTILE_TEXT = st.one_of(
    st.sampled_from(["A01", "A02", "seat-1", "seat-3", "H-CQMU1", INCIDENT_1, INCIDENT_2, "20261127-0001",
                     "20261127-0004", "20261127-0021", "pbx-1", "ST-YZ", "available", "closed", "",
                     "2099-01-01T00:00:00.000Z", "1970-01-01T00:00:00Z", "2026-11-27T02:14:05+08:00"]),
    st.uuids().map(str),
    st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_.:-]{0,70}\Z"),
)
HOSTILE_BUT_TYPED = st.one_of(
    HOSTILE_TEXT, st.sampled_from([0, -1, 1, 2**31, 2**53 - 1, -(2**53) + 1, 0.5, -0.0, 1e300, True, False, None]))
JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=40),
)
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)), max_leaves=12)
ANY_VALUE = st.one_of(HOSTILE_BUT_TYPED, JSON_VALUES, CONTROL_TEXT, HUGE_TEXT)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every place inside ``value`` (dict keys and list indices), outermost first."""
    found: list[tuple] = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, inner in items:
        found.append((*prefix, key))
        found.extend(_paths(inner, (*prefix, key)))
    return found


def _at(root: Any, path: tuple) -> Any:
    for key in path:
        root = root[key]
    return root


def _container(root: Any, path: tuple) -> Any:
    """What holds the place ``path`` (so that ``_container(r, p)[p[-1]]`` is the value there)."""
    return _at(root, path[:-1])


@st.composite
def mutated(draw: st.DrawFn, value: dict[str, Any], max_mutations: int = 3) -> dict[str, Any]:
    """``value`` with 1..``max_mutations`` changes: a field deleted, replaced, or an extra one added."""
    out = copy.deepcopy(value)
    for _ in range(draw(st.integers(1, max_mutations))):
        paths = _paths(out)
        op = draw(st.sampled_from(["replace", "replace", "delete", "add"] if paths else ["add"]))
        if op == "add":
            holders = [()] + [p for p in paths if isinstance(_at(out, p), dict)]
            holder = _at(out, draw(st.sampled_from(holders)))
            holder[draw(st.text(min_size=1, max_size=12))] = draw(ANY_VALUE)
            continue
        path = draw(st.sampled_from(paths))
        parent = _container(out, path)
        if op == "delete":
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(ANY_VALUE)
    return out


def _wire(frame: Any) -> str:
    """A frame as a client could send it (stdlib JSON: big integers, lone surrogates escaped)."""
    return json.dumps(frame)


# ---------------------------------------------------------------- command handlers


def _handle(state: State, who: Principal, name: str, args: dict[str, Any]) -> list:
    """What the server runs for an accepted command (responders' two go through their service)."""
    if name == "responders.alert":
        # The server finds the volunteers near the scene; here, one, so the alert is drafted.
        return decide_alert(state, args["incident_id"], "alert-fuzz", int(args.get("radius_m") or 500),
                            [("vol-1", 120.0)])
    if name == "volunteer.respond":
        return decide_response(state, who, args, None)
    return decide(state, who, name, args)


def _principal(name: str, data: st.DataObject) -> Principal:
    return PRINCIPALS[data.draw(st.sampled_from(sorted(COMMAND_ROLES[name], key=str)))]


def _accepted_drafts_apply(drafts: list, who: Principal) -> None:
    """Drafted events validate against the protocol, encode, and apply to a copy of the centre."""
    projection = State.from_dict(SHIFT_SNAPSHOT)
    for name, data in drafts:
        validate_event(name, data)
        msg = event(seq=projection.seq + 1, ts="2026-11-27T09:00:00.000Z", name=name,
                    actor={"id": who.id, "role": who.role.value}, ref=None, data=data)
        orjson.dumps(msg)  # the server stores and broadcasts it
        projection.apply(msg)


def _send_to_centre(frame: dict[str, Any], data: st.DataObject) -> str:
    """Decode ``frame`` as the server does; run its handler when the codec accepts it.

    Returns ``"codec"``, ``"handler"`` (refused there) or ``"accepted"``. Asserts that
    nothing but ProtocolError escapes and that the state did not change.
    """
    try:
        msg = decode(_wire(frame), allowed=CLIENT_TYPES)
    except ProtocolError:
        outcome("refused by the codec")
        return "codec"
    state = SHIFT.state
    who = _principal(msg["name"], data)
    try:
        drafts = _handle(state, who, msg["name"], msg["args"])
    except ProtocolError:
        assert state.to_dict() == SHIFT_SNAPSHOT, f"a refused {msg['name']} changed the state"
        outcome("refused by the handler")
        return "handler"
    assert state.to_dict() == SHIFT_SNAPSHOT, f"deciding {msg['name']} changed the state before any append"
    _accepted_drafts_apply(drafts, who)
    outcome("accepted")
    return "accepted"


# ---------------------------------------------------------------- 1. the decoder


@FUZZ
@given(st.binary(max_size=2_000))
def test_decoder_refuses_arbitrary_bytes_with_a_protocol_error(frame: bytes) -> None:
    try:
        decode(frame, allowed=CLIENT_TYPES)
    except ProtocolError:
        pass


@FUZZ
@given(JSON_VALUES)
def test_decoder_refuses_arbitrary_json_with_a_protocol_error(value: Any) -> None:
    try:
        decode(_wire(value), allowed=CLIENT_TYPES)
    except ProtocolError:
        pass


@FUZZ
@given(st.sampled_from(sorted(COMMAND_ROLES)), JSON_VALUES, st.data())
def test_any_arguments_under_a_real_command_name_are_refused_or_handled(name: str, args: Any,
                                                                        data: st.DataObject) -> None:
    _send_to_centre({"v": 1, "type": "cmd", "id": "0b7e3c1a-5d2f-4e6a-9c8b-7a6f5e4d3c2b", "name": name,
                     "args": args}, data)


@FUZZ
@given(st.sampled_from(COMMAND_FRAMES), st.data())
def test_mutated_envelopes_are_refused_or_handled(golden: dict[str, Any], data: st.DataObject) -> None:
    envelope = {k: v for k, v in golden.items() if k != "args"}
    frame = {**data.draw(mutated(envelope, max_mutations=2)), "args": golden["args"]}
    _send_to_centre(frame, data)


# ---------------------------------------------------------------- 2. the command handlers


@pytest.mark.parametrize("golden", COMMAND_FRAMES, ids=lambda f: f["name"] + ":" + f["id"][:8])
def test_golden_commands_reach_their_handler(golden: dict[str, Any]) -> None:
    """The mutations below start from commands the codec accepts, so they test the handlers too."""
    assert decode(_wire(golden), allowed=CLIENT_TYPES)["name"] == golden["name"]


@settings(FUZZ, max_examples=800)
@given(st.sampled_from(COMMAND_FRAMES), st.data())
def test_mutated_commands_are_refused_or_handled_and_a_refusal_changes_nothing(
        golden: dict[str, Any], data: st.DataObject) -> None:
    frame = {**golden, "args": data.draw(mutated(golden["args"]))}
    _send_to_centre(frame, data)


def _field_type_breaks(value: Any) -> st.SearchStrategy[Any]:
    """Values of a JSON type the field's current value does not have (null excluded: optional fields take it)."""
    if isinstance(value, bool):
        return st.one_of(st.integers(0, 1), st.text(max_size=5), st.lists(st.booleans(), max_size=2))
    if isinstance(value, int | float):
        return st.one_of(st.text(max_size=5), st.booleans(), st.lists(st.integers(), max_size=2),
                         st.just({"n": value}))
    if isinstance(value, str):
        return st.one_of(st.integers(), st.booleans(), st.lists(st.text(max_size=3), max_size=2),
                         st.just({"s": value}))
    if isinstance(value, list):
        return st.one_of(st.text(max_size=5), st.integers(), st.just({"items": value}))
    return st.one_of(st.text(max_size=5), st.integers(), st.just([value]))


def _invalid_variant(data: st.DataObject, args: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """One change to ``args`` that no schema may accept, and what it was."""
    out = copy.deepcopy(args)
    present = [p for p in _paths(out) if _container(out, p)[p[-1]] is not None]
    strings = [p for p in present if isinstance(_container(out, p)[p[-1]], str)]
    numbers = [p for p in present if isinstance(_container(out, p)[p[-1]], int | float)
               and not isinstance(_container(out, p)[p[-1]], bool)]
    kinds = ["extra field"] + ["wrong type"] * bool(present) + ["control character", "huge string"] * bool(strings)
    kinds += ["number beyond 2**53"] * bool(numbers)
    kind = data.draw(st.sampled_from(kinds))
    if kind == "extra field":
        holders = [()] + [p for p in present if isinstance(_at(out, p), dict)]
        target = _at(out, data.draw(st.sampled_from(holders)))
        target[data.draw(st.text(min_size=1, max_size=8).filter(lambda k: k not in target)) + "_x"] = 1
        return kind, out
    pool = {"wrong type": present, "control character": strings, "huge string": strings,
            "number beyond 2**53": numbers}[kind]
    path = data.draw(st.sampled_from(pool))
    parent, old = _container(out, path), _container(out, path)[path[-1]]
    if kind == "wrong type":
        parent[path[-1]] = data.draw(_field_type_breaks(old))
    elif kind == "control character":
        bad = data.draw(CONTROL_CHARACTERS)
        at = data.draw(st.integers(0, len(old)))
        parent[path[-1]] = old[:at] + bad + old[at:]
    elif kind == "huge string":
        parent[path[-1]] = old + "渝" * 20_000
    else:
        parent[path[-1]] = data.draw(st.sampled_from([2**53, -(2**53), 2**63, 10**30]))
    return kind, out


@settings(FUZZ, max_examples=600)
@given(st.sampled_from(COMMAND_FRAMES), st.data())
def test_commands_with_a_field_no_schema_accepts_are_refused_by_the_codec(
        golden: dict[str, Any], data: st.DataObject) -> None:
    kind, args = _invalid_variant(data, golden["args"])
    before = SHIFT.state.to_dict()
    assert _send_to_centre({**golden, "args": args}, data) == "codec", f"{golden['name']}: {kind} got through"
    assert SHIFT.state.to_dict() == before


@settings(FUZZ, max_examples=600)
@given(st.sampled_from(COMMAND_FRAMES), st.data())
def test_commands_naming_things_that_do_not_exist_never_crash_a_handler(
        golden: dict[str, Any], data: st.DataObject) -> None:
    """Valid types, hostile meaning: every id-like string swapped for another thing's id or a fresh one."""
    args = copy.deepcopy(golden["args"])
    for path in _paths(args):
        parent = _container(args, path)
        if isinstance(parent[path[-1]], str) and data.draw(st.booleans()):
            parent[path[-1]] = data.draw(HOSTILE_TEXT)
    _send_to_centre({**golden, "args": args}, data)


# ---------------------------------------------------------------- 3. device telemetry


class _Connection:
    """Stands for the server's client object (the router keys per-connection state by it)."""


def _router_memory(router: TelemetryRouter) -> bytes:
    """What the router keeps from accepted frames (its public tables)."""
    return repr((router.last_position, router.last_vitals, router.active_alarms,
                 {u: [(c.start, c.end, c.data) for c in d] for u, d in router.ecg.items()},
                 sorted(router.last_seq.values()), router.clock_offset_s, router.frames_in)).encode()


def _shifted(frame: dict[str, Any], seconds: float, seq: int) -> dict[str, Any]:
    """The same frame ``seconds`` later with counter ``seq`` (times written as the device wrote them)."""
    out = copy.deepcopy(frame)
    out["seq"] = seq
    out["t"] = format_ts(datetime.fromtimestamp(parse_epoch(frame["t"]) + seconds, UTC))
    if out["kind"] == "waveform":
        out["data"]["start"] = format_ts(datetime.fromtimestamp(parse_epoch(frame["data"]["start"]) + seconds, UTC))
    return out


@settings(FUZZ, max_examples=600)
@given(st.sampled_from(TELEMETRY_FRAMES), st.data())
def test_a_refused_device_frame_changes_nothing_and_the_next_good_frame_is_relayed(
        golden: dict[str, Any], data: st.DataObject) -> None:
    clock = [parse_epoch(golden["t"]) + 5.0]
    router = TelemetryRouter(clock=lambda: clock[0], known_units=lambda: {"A01", "A02"})
    conn = _Connection()
    first = _shifted(golden, 0.0, 10)
    assert router.handle(conn, "dev-A01", None, Role.DEVICE, "A01", decode(_wire(first))) is None
    memory = _router_memory(router)
    fuzzed = data.draw(mutated(_shifted(golden, 1.0, 11), max_mutations=2))
    try:
        msg = decode(_wire(fuzzed), allowed=CLIENT_TYPES)
    except ProtocolError:
        outcome("refused by the codec")
        accepted = False
    else:
        if msg["type"] != "telemetry":
            return  # a mutated type (subscribe, cmd…) goes elsewhere in the server
        reply = router.handle(conn, "dev-A01", None, Role.DEVICE, "A01", msg)
        accepted = reply is None
        outcome("relayed" if accepted else "refused by the router")
        if not accepted:
            assert reply["type"] == "error"
            assert _router_memory(router) == memory, f"refused frame changed the router: {reply['message']}"
    if accepted:
        return  # a harmless mutation (another valid value); what follows it is another story
    # The device's next frame, on time, is relayed as if the bad one had never come.
    clock[0] += 2.0
    assert router.handle(conn, "dev-A01", None, Role.DEVICE, "A01", decode(_wire(_shifted(golden, 2.0, 12)))) is None
