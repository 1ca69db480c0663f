"""The dispatch120 wire protocol, version 1: shared by seats, server, devices, simulators.

See ``docs/protocol.md`` for the prose and examples. Everything here is pure:
no sockets, no threads, no clocks except :func:`now_iso`.
"""

from app.protocol.codec import (
    Message,
    ack,
    command,
    decode,
    encode,
    error,
    error_from,
    event,
    format_ts,
    hello,
    new_id,
    now_iso,
    parse_ts,
    snapshot,
    synced,
    validate_command,
    validate_event,
    welcome,
)
from app.protocol.errors import CloseCode, ErrorCode, ProtocolError
from app.protocol.messages import (
    CLIENT_TYPES,
    COMMAND_ROLES,
    COMMANDS,
    ENVELOPES,
    EVENTS,
    MAX_FRAME_BYTES,
    PROTOCOL_VERSION,
    SERVER_TYPES,
)

__all__ = [
    "CLIENT_TYPES",
    "COMMANDS",
    "COMMAND_ROLES",
    "ENVELOPES",
    "EVENTS",
    "MAX_FRAME_BYTES",
    "PROTOCOL_VERSION",
    "SERVER_TYPES",
    "CloseCode",
    "ErrorCode",
    "Message",
    "ProtocolError",
    "ack",
    "command",
    "decode",
    "encode",
    "error",
    "error_from",
    "event",
    "format_ts",
    "hello",
    "new_id",
    "now_iso",
    "parse_ts",
    "snapshot",
    "synced",
    "validate_command",
    "validate_event",
    "welcome",
]
