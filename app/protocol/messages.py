"""Message types, commands and events of protocol version 1, as typed wire objects.

Each envelope (``hello``, ``cmd``, ``event`` …), command's arguments and
event's data is a :class:`~app.protocol.schema.Wire` Struct; the registries
below map the wire names to them. The feature modules (``app.protocol.features``)
add theirs. ``docs/protocol.md``'s message tables and ``docs/schema/`` are
generated from these types (``dispatch120 protocol doc|schema``); the golden
files in ``tests/golden/`` exercise every one of them.
"""

from typing import Any

from app.protocol import features
from app.protocol.location import LocationCandidates
from app.protocol.schema import (
    UNSET,
    Envelope,
    Int,
    NameId,
    Num,
    Obj,
    Opt,
    Phone,
    Str,
    Text,
    Uuid,
    Wire,
    choice,
)
from app.protocol.vocabulary import CloseReason, Role, SeatState, UnitStatus

PROTOCOL_VERSION = 1
# A frame larger than this is refused (close 1009); ECG chunks come as many
# small frames, never as one large one.
MAX_FRAME_BYTES = 256 * 1024

Seq = Int(0)


# ---------------------------------------------------------------- envelopes


class Hello(Envelope, tag="hello"):
    """Client → server, the first frame of every connection."""

    token: Str(256)
    client: Str(64)
    last_seq: Opt(Seq) = UNSET


class Principal(Wire):
    """Who the server recognised: the credential's id, role, name and bound unit (device) or hospital."""

    id: NameId
    role: Role
    name: Str(100)
    unit_id: Opt(NameId) = UNSET


class Welcome(Envelope, tag="welcome"):
    """Server → client, the answer to a valid hello; replay or a snapshot follows, then ``synced``."""

    principal: Principal
    server_time: Str(40)
    server_seq: Seq
    resume: choice({"replay", "snapshot"})


class Cmd(Envelope, tag="cmd"):
    """Client → server: a command, with a client-made UUID (the idempotency key)."""

    id: Uuid
    name: Str(64)
    args: Obj


class Ack(Envelope, tag="ack"):
    """Server → client: the command ``ref`` was applied and is durable up to ``seq``."""

    ref: Uuid
    seq: Seq
    events: Int(0)
    duplicate: bool


class Error(Envelope, tag="error"):
    """Server → client: a frame or command was refused; nothing was stored."""

    ref: Opt(Str(64)) = UNSET
    code: Str(40)
    message: Str(1000)
    field: Opt(Str(200)) = UNSET


class Actor(Wire):
    """Who caused an event: a principal id (or ``system``) and its role."""

    id: Str(64)
    role: Str(16)


class Event(Envelope, tag="event"):
    """Server → client: one event of the log, ``seq`` consecutive from 1."""

    seq: Int(1)
    ts: Str(40)
    name: Str(64)
    actor: Actor
    ref: Opt(Str(64)) = UNSET
    data: Obj


class Snapshot(Envelope, tag="snapshot"):
    """Server → client: the whole current state at ``seq``, when a replay would be too long."""

    seq: Seq
    state: Obj


class Synced(Envelope, tag="synced"):
    """Server → client: replay or snapshot done; live events follow."""

    seq: Seq


ENVELOPES: dict[str, type[Envelope]] = {
    cls.__struct_config__.tag: cls for cls in (Hello, Welcome, Cmd, Ack, Error, Event, Snapshot, Synced)
}
CLIENT_TYPES = frozenset({"hello", "cmd"})
SERVER_TYPES = frozenset({"welcome", "ack", "error", "event", "snapshot", "synced"})


# ---------------------------------------------------------------- commands


class IncidentFields(Wire):
    """The editable fields of an incident (all optional)."""

    address: Opt(Str(200)) = UNSET
    callback_number: Opt(Phone) = UNSET
    description: Opt(Text(2000)) = UNSET
    patients: Opt(Int(1, 999)) = UNSET
    priority: Opt(Int(1, 4)) = UNSET


class CallOffered(Wire):
    """The phone switch offers a new call (and its location candidates)."""

    call_id: NameId
    caller_number: Phone
    caller_name: Opt(Str(64)) = UNSET
    location_text: Opt(Str(200)) = UNSET
    line: Opt(NameId) = UNSET
    locations: Opt(LocationCandidates) = UNSET


class CallRef(Wire):
    """A call, by its id."""

    call_id: NameId


class SeatSetReady(Wire):
    ready: bool


class IncidentCreate(IncidentFields):
    incident_id: Uuid
    call_id: Opt(NameId) = UNSET


class IncidentUpdate(IncidentFields):
    incident_id: Uuid


class UnitAssign(Wire):
    incident_id: Uuid
    unit_id: NameId
    unit_version: Opt(Int(0)) = UNSET


class UnitStatusArgs(Wire):
    unit_id: NameId
    status: UnitStatus
    unit_version: Opt(Int(0)) = UNSET


class IncidentClose(Wire):
    incident_id: Uuid
    reason: CloseReason
    note: Opt(Text(500)) = UNSET


COMMANDS: dict[str, type[Wire]] = {
    "call.offered": CallOffered,
    "call.abandoned": CallRef,
    "call.ended": CallRef,
    "call.answer": CallRef,
    "seat.set_ready": SeatSetReady,
    "incident.create": IncidentCreate,
    "incident.update": IncidentUpdate,
    "unit.assign": UnitAssign,
    "unit.status": UnitStatusArgs,
    "incident.close": IncidentClose,
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


class CallAtSeat(Wire):
    """A call and the seat it rings at / rang out at / was answered at."""

    call_id: NameId
    seat_id: NameId


class SeatStateChanged(Wire):
    seat_id: NameId
    state: SeatState
    reason: Opt(Str(40)) = UNSET


class IncidentCreated(IncidentFields):
    incident_id: Uuid
    call_id: Opt(NameId) = UNSET
    seat_id: NameId


class IncidentUpdated(Wire):
    """Only the fields that changed, in ``changes``."""

    incident_id: Uuid
    changes: IncidentFields


class UnitAssigned(Wire):
    incident_id: Uuid
    unit_id: NameId
    version: Int(0)


class UnitStatusChanged(Wire):
    """``version`` is the unit's new version (a seat sends it back as ``unit_version``)."""

    unit_id: NameId
    status: UnitStatus
    previous: UnitStatus
    incident_id: Opt(Uuid) = UNSET
    version: Int(0)
    manual: bool


class IncidentClosed(Wire):
    incident_id: Uuid
    reason: CloseReason
    note: Opt(Text(500)) = UNSET


class StationRegistered(Wire):
    """Registry, written by ``dispatch120-server admin``; never carries secrets."""

    station_id: NameId
    name: Str(100)
    lat: Num(-90, 90)
    lon: Num(-180, 180)


class HospitalRegistered(Wire):
    hospital_id: NameId
    name: Str(100)
    lat: Num(-90, 90)
    lon: Num(-180, 180)


class UnitRegistered(Wire):
    unit_id: NameId
    call_sign: Str(32)
    station_id: Opt(NameId) = UNSET
    capability: choice({"als", "bls", "negative_pressure"})


class PrincipalRegistered(Wire):
    principal_id: NameId
    role: Role
    name: Str(100)
    unit_id: Opt(NameId) = UNSET


class PrincipalRevoked(Wire):
    principal_id: NameId


EVENTS: dict[str, type[Wire]] = {
    "call.received": CallOffered,
    "call.queued": CallRef,
    "call.ringing": CallAtSeat,
    "call.ring_timeout": CallAtSeat,
    "call.answered": CallAtSeat,
    "call.abandoned": CallRef,
    "call.ended": CallRef,
    "seat.state_changed": SeatStateChanged,
    "incident.created": IncidentCreated,
    "incident.updated": IncidentUpdated,
    "unit.assigned": UnitAssigned,
    "unit.status_changed": UnitStatusChanged,
    "incident.closed": IncidentClosed,
    "station.registered": StationRegistered,
    "hospital.registered": HospitalRegistered,
    "unit.registered": UnitRegistered,
    "principal.registered": PrincipalRegistered,
    "principal.revoked": PrincipalRevoked,
}

# Which feature module defined each name (for the generated doc); the core is "messages".
ORIGIN: dict[tuple[str, str], str] = {}


def _merge_features() -> None:
    """Add the feature modules' registries (app.protocol.features); a clash is a bug."""
    global CLIENT_TYPES, SERVER_TYPES
    tables: tuple[tuple[str, dict[str, Any]], ...] = (
        ("ENVELOPES", ENVELOPES), ("COMMANDS", COMMANDS), ("EVENTS", EVENTS), ("COMMAND_ROLES", COMMAND_ROLES)
    )
    for table_name, table in tables:
        for name in table:
            ORIGIN[(table_name, name)] = "messages"
    for module in features.FEATURES:
        short = module.__name__.rsplit(".", 1)[1]
        for table_name, table in tables:
            extra = getattr(module, table_name, {})
            clash = set(extra) & set(table)
            if clash:
                raise RuntimeError(f"{module.__name__}.{table_name} redefines {sorted(clash)}")
            table.update(extra)
            for name in extra:
                ORIGIN[(table_name, name)] = short
        CLIENT_TYPES = CLIENT_TYPES | frozenset(getattr(module, "CLIENT_TYPES", ()))
        SERVER_TYPES = SERVER_TYPES | frozenset(getattr(module, "SERVER_TYPES", ()))


_merge_features()
