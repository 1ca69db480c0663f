"""Encode and decode protocol frames (orjson), with strict validation by the wire types.

Pure functions, no I/O: the server, the seat's sync client, the simulators and
device clients all go through here. Every failure is a :class:`ProtocolError`
with the code to send back; nothing here raises anything else on bad input.

A frame is validated once, here, at the edge: the envelope and (for ``cmd``)
the arguments against their :class:`~app.protocol.schema.Wire` types. What
comes out of :func:`decode` can be trusted by the code behind it.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson

from app.protocol.errors import ErrorCode, ProtocolError
from app.protocol.messages import (
    COMMANDS,
    ENVELOPES,
    EVENTS,
    MAX_FRAME_BYTES,
    PROTOCOL_VERSION,
)
from app.protocol.schema import TEXT_PATTERN, Wire, conform

Message = dict[str, Any]

_TEXT_RE = re.compile(TEXT_PATTERN)
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _printable(text: str) -> str:
    """``text`` with its control characters written as ``\\xNN`` (error replies echo client input)."""
    return _CONTROL_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def encode(msg: Message) -> str:
    """Serialise a message to a JSON text frame (str, for websocket text frames)."""
    return orjson.dumps(msg).decode()


def decode(
    frame: str | bytes, *, allowed: frozenset[str] | None = None, max_bytes: int | None = None
) -> Message:
    """Parse and validate one frame.

    Args:
        frame: the websocket frame as received.
        allowed: the message types this side accepts (e.g. ``CLIENT_TYPES`` on
            the server); others raise ``UNKNOWN_TYPE``.
        max_bytes: the size limit, ``MAX_FRAME_BYTES`` by default. A seat
            passes a larger one for ``snapshot`` frames, which grow with the
            centre's state.

    Returns:
        The message as a dict exactly as it was sent, its envelope and (for
        ``cmd``) its arguments validated. An ``event``'s ``data`` and a
        ``telemetry`` frame's ``data`` are objects here; :func:`validate_event`
        and :func:`~app.protocol.telemetry.validate_telemetry` check them
        against their name and kind.

    Raises:
        ProtocolError: with the code to reply with. ``ref`` is set to the
        command id when it could be read, so the sender can match the error.
    """
    msg = _parse(frame, MAX_FRAME_BYTES if max_bytes is None else max_bytes)
    raw_id = msg.get("id")
    # The id goes back in the error's ref: only when it is short, printable text.
    ref = raw_id if isinstance(raw_id, str) and len(raw_id) <= 64 and _TEXT_RE.search(raw_id) else None
    envelope_type = _envelope_type(msg, allowed, ref)
    conform(msg, envelope_type, root=msg["type"], code=ErrorCode.BAD_MESSAGE, ref=ref)
    if msg["type"] == "cmd":
        validate_command(msg["name"], msg["args"], ref=msg["id"])
    return msg


def _parse(frame: str | bytes, limit: int) -> dict[str, Any]:
    size = len(frame)
    # A str counts characters; UTF-8 takes up to 4 bytes each, so measure the
    # bytes only when the character count alone does not decide.
    if isinstance(frame, str) and limit // 4 < size <= limit:
        size = len(frame.encode("utf-8", "surrogatepass"))
    if size > limit:
        raise ProtocolError(ErrorCode.BAD_MESSAGE, f"frame larger than {limit} bytes")
    try:
        msg = orjson.loads(frame)
    except orjson.JSONDecodeError as exc:
        raise ProtocolError(ErrorCode.BAD_JSON, f"not valid JSON: {exc.msg}") from None
    if not isinstance(msg, dict):
        raise ProtocolError(ErrorCode.BAD_JSON, "a frame must be a JSON object")
    return msg


def _envelope_type(msg: dict[str, Any], allowed: frozenset[str] | None, ref: str | None) -> type[Wire]:
    """The version and type checks, in the order their error codes promise."""
    version = msg.get("v")
    if isinstance(version, bool) or not isinstance(version, int):
        raise ProtocolError(ErrorCode.BAD_MESSAGE, "missing or invalid protocol version 'v'", ref=ref)
    if version != PROTOCOL_VERSION:
        raise ProtocolError(
            ErrorCode.UNSUPPORTED_VERSION,
            f"protocol version {version} not supported (this side speaks {PROTOCOL_VERSION})",
            ref=ref,
        )
    mtype = msg.get("type")
    if not isinstance(mtype, str):
        raise ProtocolError(ErrorCode.BAD_MESSAGE, "missing 'type'", ref=ref)
    envelope_type = ENVELOPES.get(mtype)
    if envelope_type is None or (allowed is not None and mtype not in allowed):
        raise ProtocolError(ErrorCode.UNKNOWN_TYPE, f"unknown message type {mtype[:40]!r}", ref=ref)
    return envelope_type


def validate_command(name: str, args: dict[str, Any], *, ref: str | None = None) -> None:
    """Check a command's name and arguments. Raises ProtocolError (UNKNOWN_COMMAND, INVALID_ARGS)."""
    command_args(name, args, ref=ref)


def command_args(name: str, args: dict[str, Any], *, ref: str | None = None) -> Wire:
    """A command's arguments as their typed Struct (validated). Raises ProtocolError like :func:`validate_command`."""
    args_type = COMMANDS.get(name)
    if args_type is None:
        raise ProtocolError(ErrorCode.UNKNOWN_COMMAND, f"unknown command {name[:64]!r}", ref=ref)
    return conform(args, args_type, root="args", ref=ref)


def validate_event(name: str, data: dict[str, Any]) -> None:
    """Check an event's data against its type. Raises ProtocolError(BAD_MESSAGE)."""
    event_data(name, data)


def event_data(name: str, data: dict[str, Any]) -> Wire:
    """An event's data as its typed Struct (validated). Raises ProtocolError(BAD_MESSAGE)."""
    data_type = EVENTS.get(name)
    if data_type is None:
        raise ProtocolError(ErrorCode.BAD_MESSAGE, f"unknown event {name[:64]!r}")
    return conform(data, data_type, root="data", code=ErrorCode.BAD_MESSAGE)


# ---------------------------------------------------------------- builders


def now_iso() -> str:
    """Current UTC time as the protocol writes it: ISO 8601, milliseconds, 'Z'."""
    return format_ts(datetime.now(UTC))


def format_ts(moment: datetime) -> str:
    """``moment`` in UTC as the protocol writes it (``2026-12-06T05:44:55.123Z``); a naive one is local time.

    ``isoformat`` (C) ends an aware UTC time with ``+00:00``, replaced by ``Z``: half the time of
    ``strftime``, and this runs for every event the server decides.
    """
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def parse_ts(text: str) -> datetime:
    """Parse a protocol timestamp. Raises ValueError on a malformed one."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def new_id() -> str:
    return str(uuid.uuid4())


def hello(*, token: str, client: str, last_seq: int | None) -> Message:
    return {"v": PROTOCOL_VERSION, "type": "hello", "token": token, "client": client, "last_seq": last_seq}


def command(name: str, args: dict[str, Any], *, command_id: str | None = None) -> Message:
    """Build a validated command frame. Raises ProtocolError on bad args."""
    cid = command_id or new_id()
    validate_command(name, args, ref=cid)
    return {"v": PROTOCOL_VERSION, "type": "cmd", "id": cid, "name": name, "args": args}


def ack(*, ref: str, seq: int, events: int, duplicate: bool = False) -> Message:
    return {"v": PROTOCOL_VERSION, "type": "ack", "ref": ref, "seq": seq, "events": events, "duplicate": duplicate}


def error(code: ErrorCode, message: str, *, ref: str | None = None, field: str | None = None) -> Message:
    return {
        "v": PROTOCOL_VERSION,
        "type": "error",
        "ref": ref,
        "code": ErrorCode(code).value,
        "message": _printable(message)[:1000],
        "field": None if field is None else _printable(field)[:200],
    }


def error_from(exc: ProtocolError) -> Message:
    return error(exc.code, exc.message, ref=exc.ref, field=exc.field)


def event(*, seq: int, ts: str, name: str, actor: dict[str, str], ref: str | None, data: dict[str, Any]) -> Message:
    return {
        "v": PROTOCOL_VERSION,
        "type": "event",
        "seq": seq,
        "ts": ts,
        "name": name,
        "actor": actor,
        "ref": ref,
        "data": data,
    }


def welcome(*, principal: dict[str, Any], server_seq: int, resume: str) -> Message:
    return {
        "v": PROTOCOL_VERSION,
        "type": "welcome",
        "principal": principal,
        "server_time": now_iso(),
        "server_seq": server_seq,
        "resume": resume,
    }


def snapshot(*, seq: int, state: dict[str, Any]) -> Message:
    return {"v": PROTOCOL_VERSION, "type": "snapshot", "seq": seq, "state": state}


def synced(*, seq: int) -> Message:
    return {"v": PROTOCOL_VERSION, "type": "synced", "seq": seq}
