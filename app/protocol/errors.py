"""Error codes and websocket close codes of the dispatch120 wire protocol."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class ErrorCode(StrEnum):
    """The ``code`` of an ``error`` message. Stable: clients switch on these."""

    BAD_JSON = "bad_json"  # frame is not UTF-8 JSON, or not a JSON object
    BAD_MESSAGE = "bad_message"  # envelope invalid: missing/wrong fields
    UNSUPPORTED_VERSION = "unsupported_version"
    UNKNOWN_TYPE = "unknown_type"
    UNKNOWN_COMMAND = "unknown_command"
    INVALID_ARGS = "invalid_args"  # command arguments fail validation
    UNAUTHENTICATED = "unauthenticated"  # no hello yet, or bad token
    FORBIDDEN = "forbidden"  # role may not send this command / touch this unit
    NOT_FOUND = "not_found"  # call, incident or unit does not exist
    CONFLICT = "conflict"  # stale version, id already used for something else
    ILLEGAL_TRANSITION = "illegal_transition"  # state machine refuses the step
    UNIT_BUSY = "unit_busy"  # unit is committed elsewhere / not available
    RATE_LIMITED = "rate_limited"
    INTERNAL = "internal"  # server fault; the command was not applied


class CloseCode(IntEnum):
    """Websocket close codes the server uses (RFC 6455 + private 4000-4999)."""

    NORMAL = 1000
    GOING_AWAY = 1001  # server shutting down; reconnect with backoff
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003  # binary frame where text was expected
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009  # frame over the size limit
    INTERNAL_ERROR = 1011
    TRY_AGAIN_LATER = 1013  # too many failed logins from this address or with this token; the reason says how long
    AUTH_FAILED = 4001  # wrong/revoked token; do not retry with the same token
    AUTH_TIMEOUT = 4002  # no valid hello within the deadline
    UNSUPPORTED_VERSION = 4003  # protocol version not spoken by this server
    REPLACED = 4004  # reserved: version 1 allows several connections per credential and never sends it
    TOO_MANY_ERRORS = 4008  # client kept sending invalid frames


class ProtocolError(Exception):
    """A message that cannot be accepted. Carries the reply's code and detail.

    Raised by :func:`app.protocol.decode` and by validation; the server turns
    it into an ``error`` reply (never a crash), the seat logs and shows it.
    """

    def __init__(self, code: ErrorCode, message: str, *, ref: str | None = None, field: str | None = None):
        super().__init__(message)
        self.code = ErrorCode(code)
        self.message = message
        self.ref = ref
        self.field = field

    def __repr__(self) -> str:
        return f"ProtocolError({self.code.value!r}, {self.message!r})"
