"""The pure side of the holes an independent client found: free text, device time, --db, command ids."""

from __future__ import annotations

from pathlib import Path

import msgspec.inspect as mi
import pytest

from app.protocol import ErrorCode, ProtocolError, decode, encode
from app.protocol.messages import CLIENT_TYPES, COMMANDS, ENVELOPES, EVENTS
from app.protocol.schema import MULTILINE_TEXT_PATTERN, TEXT_PATTERN
from app.protocol.telemetry import DATA_TYPES, StreamGuard, normalised, utc_z, validate_telemetry
from server_stub.bus import command_fingerprint
from server_stub.runtime import UnsupportedDatabase, database_location
from server_stub.visibility import DeviceView

NOW = 1_795_000_000.0  # 2026-11-18T11:06:40Z


def _string_fields(tp: mi.Type, path: str, seen: set) -> list[tuple[str, mi.StrType]]:
    """Every string type reachable from ``tp``, with its path."""
    if isinstance(tp, mi.Metadata):
        return _string_fields(tp.type, path, seen)
    if isinstance(tp, mi.StrType):
        return [(path, tp)]
    if isinstance(tp, mi.UnionType):
        return [f for m in tp.types for f in _string_fields(m, path, seen)]
    if isinstance(tp, mi.ListType):
        return _string_fields(tp.item_type, path + "[]", seen)
    if isinstance(tp, mi.DictType):
        return _string_fields(tp.value_type, path + "{}", seen)
    if isinstance(tp, mi.StructType):
        if tp.cls in seen:
            return []
        seen.add(tp.cls)
        return [f for field in tp.fields for f in _string_fields(field.type, f"{path}.{field.name}", seen)]
    return []


def test_every_string_of_every_message_command_and_event_refuses_control_characters():
    types = {**{f"envelope {k}": v for k, v in ENVELOPES.items()}, **{f"cmd {k}": v for k, v in COMMANDS.items()},
             **{f"event {k}": v for k, v in EVENTS.items()}, **{f"telemetry {k}": v for k, v in DATA_TYPES.items()}}
    unguarded = []
    for name, tp in types.items():
        for path, st in _string_fields(mi.type_info(tp), name, set()):
            if st.pattern is None:
                unguarded.append(path)
    assert unguarded == []


@pytest.mark.parametrize("text", ["张\x00先生", "胸痛\x1b[2J", "a\rb", "x\x7f", "\x85next line", "trailing\n"])
def test_a_caller_name_with_a_control_character_is_refused(text):
    frame = {"v": 1, "type": "cmd", "id": "c0ffee00-1b3d-4f5a-8c7e-9f1b3d5e7a01", "name": "call.offered",
             "args": {"call_id": "c-1", "caller_number": "110", "caller_name": text}}
    with pytest.raises(ProtocolError) as exc:
        decode(encode(frame), allowed=CLIENT_TYPES)
    assert (exc.value.code, exc.value.field) == (ErrorCode.INVALID_ARGS, "args.caller_name")
    assert "control character" in exc.value.message


def test_a_description_may_span_lines_and_hold_tabs_but_no_other_control_character():
    def create(description: str) -> dict:
        return {"v": 1, "type": "cmd", "id": "c0ffee00-1b3d-4f5a-8c7e-9f1b3d5e7a01", "name": "incident.create",
                "args": {"incident_id": "3f6d1b2a-8c4e-4f7a-9b0c-5d2e1a3f4b6c", "description": description}}

    decode(encode(create("胸痛\n\t出汗\n")), allowed=CLIENT_TYPES)
    with pytest.raises(ProtocolError, match="control character other than"):
        decode(encode(create("胸痛\x00")), allowed=CLIENT_TYPES)


def test_the_error_echoing_a_bad_field_name_holds_no_control_character():
    frame = {"v": 1, "type": "cmd", "id": "c0ffee00-1b3d-4f5a-8c7e-9f1b3d5e7a01", "name": "call.ended",
             "args": {"call_id": "c-1", "\x00evil\x1b": 1}}
    with pytest.raises(ProtocolError) as exc:
        decode(encode(frame), allowed=CLIENT_TYPES)
    from app.protocol import error_from

    reply = error_from(exc.value)
    assert "\\x00evil\\x1b" in reply["field"]
    import re

    assert re.search(TEXT_PATTERN, reply["message"]) and re.search(TEXT_PATTERN, reply["field"])
    assert re.search(MULTILINE_TEXT_PATTERN, "a\nb")


def _vitals(t: str, seq: int = 1) -> dict:
    return {"v": 1, "type": "telemetry", "unit_id": "A1", "kind": "vitals", "t": t, "seq": seq, "data": {"hr": 70}}


def test_a_device_time_far_in_the_future_is_refused_and_does_not_become_the_last_time():
    guard = StreamGuard()
    assert guard.check(_vitals(utc_z("2026-11-18T11:06:30Z")), now=NOW) == pytest.approx(-10, abs=1)
    with pytest.raises(ProtocolError) as exc:
        guard.check(_vitals("2099-01-01T00:00:00.000Z"), now=NOW)
    assert exc.value.field == "t" and "in the future" in exc.value.message
    guard.check(_vitals("2026-11-18T11:06:35.000Z"), now=NOW)  # accepted: the glitch left no trace
    with pytest.raises(ProtocolError):
        guard.check(_vitals("2026-11-18T11:07:41.000Z"), now=NOW, max_future_s=60)
    guard.check(_vitals("2026-11-18T11:07:39.000Z"), now=NOW, max_future_s=60)


def test_a_waveform_chunk_with_no_samples_is_refused():
    frame = {"v": 1, "type": "telemetry", "unit_id": "A1", "kind": "waveform", "t": "2026-11-19T05:46:30.000Z",
             "seq": 1, "data": {"channel": "ECG_II", "mdc_code": "MDC_ECG_ELEC_POTL_II",
                                "start": "2026-11-19T05:46:30.000Z", "period_ms": 2.0, "factor": 0.005,
                                "origin": 0, "unit": "mV", "samples": [], "lead_off": False}}
    with pytest.raises(ProtocolError) as exc:
        validate_telemetry(frame)
    assert exc.value.field == "data.samples"


def test_relayed_times_are_normalised_to_utc_with_z_and_milliseconds():
    assert utc_z("2026-11-27T10:18:03+08:00") == "2026-11-27T02:18:03.000Z"
    assert utc_z("2026-11-27T02:18:03.123456Z") == "2026-11-27T02:18:03.123Z"
    assert normalised(_vitals("2026-11-27T10:18:03+08:00"))["t"] == "2026-11-27T02:18:03.000Z"


def test_db_is_a_sqlite_url_or_a_path_and_other_schemes_are_refused():
    assert database_location("sqlite:////srv/120/events.sqlite") == (Path("/srv/120/events.sqlite"), "url")
    assert database_location("sqlite:///data/events.sqlite") == (Path("data/events.sqlite"), "url")
    assert database_location("sqlite+pysqlite:////srv/e.sqlite") == (Path("/srv/e.sqlite"), "url")
    assert database_location("/srv/120/events.sqlite") == (Path("/srv/120/events.sqlite"), "path")
    assert database_location("events.sqlite") == (Path("events.sqlite"), "path")
    for refused in ("mysql://u@h/db", "sqlite://", "sqlite:///", "sqlite:////x.sqlite?mode=ro"):
        with pytest.raises(UnsupportedDatabase):
            database_location(refused)


def test_a_command_fingerprint_ignores_key_order_but_not_content():
    a = command_fingerprint("incident.create", {"incident_id": "i", "priority": 2, "address": "x"})
    assert a == command_fingerprint("incident.create", {"address": "x", "priority": 2, "incident_id": "i"})
    assert a != command_fingerprint("incident.create", {"address": "x", "priority": 1, "incident_id": "i"})
    assert a != command_fingerprint("incident.update", {"address": "x", "priority": 2, "incident_id": "i"})


def test_a_device_sees_no_call_event_and_no_callback_number():
    view = DeviceView()

    def ev(name: str, data: dict) -> dict:
        return {"v": 1, "type": "event", "seq": 5, "ts": "t", "name": name, "actor": {}, "ref": None, "data": data}

    assert view.event(ev("call.received", {"call_id": "c", "caller_number": "110"})) is None
    assert view.event(ev("seat.state_changed", {"seat_id": "s"})) is None
    created = view.event(ev("incident.created", {"incident_id": "i", "address": "a", "callback_number": "110"}))
    assert created["data"] == {"incident_id": "i", "address": "a"}
    assert view.event(ev("incident.updated", {"incident_id": "i", "changes": {"callback_number": "1"}})) is None
    assert DeviceView(callback_number=True).event(ev("incident.created", {"callback_number": "110"}))
