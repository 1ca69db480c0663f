"""Message types, commands and events of protocol version 1.

The tables here are the protocol: ``docs/protocol.md`` documents them and the
golden files in ``tests/golden/`` exercise every one of them.
"""

from __future__ import annotations

from collections.abc import Mapping

from app.domain.model import CloseReason, Role, SeatState, UnitStatus
from app.protocol import features
from app.protocol.location import LOCATIONS
from app.protocol.schema import Field, opt

PROTOCOL_VERSION = 1
# A frame larger than this is refused (close 1009); ECG chunks come in later
# issues as many small frames, never as one large one.
MAX_FRAME_BYTES = 256 * 1024

_ROLES = frozenset(r.value for r in Role)
_UNIT_STATUSES = frozenset(s.value for s in UnitStatus)
_SEAT_STATES = frozenset(s.value for s in SeatState)
_CLOSE_REASONS = frozenset(r.value for r in CloseReason)

ID = Field("id")
UUID = Field("uuid")
SEQ = Field("int", min=0)

# ---------------------------------------------------------------- envelopes
# Each table lists the fields besides "v" and "type".
ENVELOPES: dict[str, Mapping[str, Field]] = {
    # client -> server: first frame of every connection.
    "hello": {
        "token": Field("str", max_len=256),
        "client": Field("str", max_len=64),
        "last_seq": opt("int", min=0),
    },
    # server -> client: answer to a valid hello.
    "welcome": {
        "principal": Field(
            "object",
            fields={
                "id": ID,
                "role": Field("str", choices=_ROLES),
                "name": Field("str", max_len=100),
                "unit_id": opt("id"),
            },
        ),
        "server_time": Field("str", max_len=40),
        "server_seq": SEQ,
        "resume": Field("str", choices=frozenset({"replay", "snapshot"})),
    },
    # client -> server: a command, with a client-made UUID (idempotency key).
    "cmd": {
        "id": UUID,
        "name": Field("str", max_len=64),
        "args": Field("object"),
    },
    # server -> client: the command was applied and is durable.
    "ack": {
        "ref": UUID,
        "seq": SEQ,
        "events": Field("int", min=0),
        "duplicate": Field("bool"),
    },
    # server -> client: a frame or command was refused; nothing was stored.
    "error": {
        "ref": opt("str", max_len=64),
        "code": Field("str", max_len=40),
        "message": Field("str", max_len=1000),
        "field": opt("str", max_len=200),
    },
    # server -> client: one event of the log.
    "event": {
        "seq": Field("int", min=1),
        "ts": Field("str", max_len=40),
        "name": Field("str", max_len=64),
        "actor": Field(
            "object", fields={"id": Field("str", max_len=64), "role": Field("str", max_len=16)}
        ),
        "ref": opt("str", max_len=64),
        "data": Field("object"),
    },
    # server -> client: the whole current state, when replay is too long.
    "snapshot": {
        "seq": SEQ,
        "state": Field("object"),
    },
    # server -> client: replay/snapshot done; live events follow.
    "synced": {
        "seq": SEQ,
    },
}

CLIENT_TYPES = frozenset({"hello", "cmd"})
SERVER_TYPES = frozenset({"welcome", "ack", "error", "event", "snapshot", "synced"})

# ---------------------------------------------------------------- commands
CALL_ID = Field("id")
_INCIDENT_FIELDS: dict[str, Field] = {
    "address": opt("str", max_len=200),
    "callback_number": opt("phone"),
    "description": opt("str", max_len=2000),
    "patients": opt("int", min=1, max=999),
    "priority": opt("int", min=1, max=4),
}

COMMANDS: dict[str, Mapping[str, Field]] = {
    "call.offered": {
        "call_id": CALL_ID,
        "caller_number": Field("phone"),
        "caller_name": opt("str", max_len=64),
        "location_text": opt("str", max_len=200),
        "line": opt("id"),
        "locations": LOCATIONS,  # candidates, app/protocol/location.py
    },
    "call.abandoned": {"call_id": CALL_ID},
    "call.ended": {"call_id": CALL_ID},
    "call.answer": {"call_id": CALL_ID},
    "seat.set_ready": {"ready": Field("bool")},
    "incident.create": {
        "incident_id": UUID,
        "call_id": opt("id"),
        **_INCIDENT_FIELDS,
    },
    "incident.update": {"incident_id": UUID, **_INCIDENT_FIELDS},
    "unit.assign": {
        "incident_id": UUID,
        "unit_id": ID,
        "unit_version": opt("int", min=0),
    },
    "unit.status": {
        "unit_id": ID,
        "status": Field("str", choices=_UNIT_STATUSES),
        "unit_version": opt("int", min=0),
    },
    "incident.close": {
        "incident_id": UUID,
        "reason": Field("str", choices=_CLOSE_REASONS),
        "note": opt("str", max_len=500),
    },
}

# Which roles may send which command. The server also checks ownership
# (a device may only report its own unit) in the command handlers.
COMMAND_ROLES: dict[str, frozenset[Role]] = {
    "call.offered": frozenset({Role.SWITCH, Role.TRAINER}),
    "call.abandoned": frozenset({Role.SWITCH, Role.TRAINER}),
    "call.ended": frozenset({Role.SWITCH, Role.TRAINER, Role.SEAT}),
    "call.answer": frozenset({Role.SEAT}),
    "seat.set_ready": frozenset({Role.SEAT}),
    "incident.create": frozenset({Role.SEAT}),
    "incident.update": frozenset({Role.SEAT}),
    "unit.assign": frozenset({Role.SEAT}),
    "unit.status": frozenset({Role.DEVICE, Role.SEAT}),
    "incident.close": frozenset({Role.SEAT}),
}

# ---------------------------------------------------------------- events
EVENTS: dict[str, Mapping[str, Field]] = {
    "call.received": {
        "call_id": CALL_ID,
        "caller_number": Field("phone"),
        "caller_name": opt("str", max_len=64),
        "location_text": opt("str", max_len=200),
        "line": opt("id"),
        "locations": LOCATIONS,  # candidates, app/protocol/location.py
    },
    "call.queued": {"call_id": CALL_ID},
    "call.ringing": {"call_id": CALL_ID, "seat_id": ID},
    "call.ring_timeout": {"call_id": CALL_ID, "seat_id": ID},
    "call.answered": {"call_id": CALL_ID, "seat_id": ID},
    "call.abandoned": {"call_id": CALL_ID},
    "call.ended": {"call_id": CALL_ID},
    "seat.state_changed": {
        "seat_id": ID,
        "state": Field("str", choices=_SEAT_STATES),
        "reason": opt("str", max_len=40),
    },
    "incident.created": {
        "incident_id": UUID,
        "call_id": opt("id"),
        "seat_id": ID,
        **_INCIDENT_FIELDS,
    },
    "incident.updated": {"incident_id": UUID, "changes": Field("object", fields=_INCIDENT_FIELDS)},
    "unit.assigned": {"incident_id": UUID, "unit_id": ID, "version": Field("int", min=0)},
    "unit.status_changed": {
        "unit_id": ID,
        "status": Field("str", choices=_UNIT_STATUSES),
        "previous": Field("str", choices=_UNIT_STATUSES),
        "incident_id": opt("uuid"),
        "version": Field("int", min=0),
        "manual": Field("bool"),
    },
    "incident.closed": {
        "incident_id": UUID,
        "reason": Field("str", choices=_CLOSE_REASONS),
        "note": opt("str", max_len=500),
    },
    # Registry: written by ``dispatch120-server admin``; never carries secrets.
    "station.registered": {
        "station_id": ID,
        "name": Field("str", max_len=100),
        "lat": Field("float", min=-90, max=90),
        "lon": Field("float", min=-180, max=180),
    },
    "hospital.registered": {
        "hospital_id": ID,
        "name": Field("str", max_len=100),
        "lat": Field("float", min=-90, max=90),
        "lon": Field("float", min=-180, max=180),
    },
    "unit.registered": {
        "unit_id": ID,
        "call_sign": Field("str", max_len=32),
        "station_id": opt("id"),
        "capability": Field("str", choices=frozenset({"als", "bls", "negative_pressure"})),
    },
    "principal.registered": {
        "principal_id": ID,
        "role": Field("str", choices=_ROLES),
        "name": Field("str", max_len=100),
        "unit_id": opt("id"),
    },
    "principal.revoked": {"principal_id": ID},
}


def _merge_features() -> None:
    """Add the feature modules' tables (app.protocol.features); a clash is a bug."""
    global CLIENT_TYPES, SERVER_TYPES
    for module in features.FEATURES:
        for table_name, table in (
            ("ENVELOPES", ENVELOPES),
            ("COMMANDS", COMMANDS),
            ("EVENTS", EVENTS),
            ("COMMAND_ROLES", COMMAND_ROLES),
        ):
            extra = getattr(module, table_name, {})
            clash = set(extra) & set(table)
            if clash:
                raise RuntimeError(f"{module.__name__}.{table_name} redefines {sorted(clash)}")
            table.update(extra)
        CLIENT_TYPES = CLIENT_TYPES | frozenset(getattr(module, "CLIENT_TYPES", ()))
        SERVER_TYPES = SERVER_TYPES | frozenset(getattr(module, "SERVER_TYPES", ()))


_merge_features()
