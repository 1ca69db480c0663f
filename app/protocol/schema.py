"""A small, strict validator for the JSON objects of the wire protocol.

Each message type and each command has a field table: name -> :class:`Field`.
Validation rejects unknown fields, wrong JSON types (``true`` is not an
integer), strings that are too long and numbers out of range, and names the
offending field. It does no I/O and never coerces a value silently.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.protocol.errors import ErrorCode, ProtocolError

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# Ids chosen by people (unit "A12", seat "seat-3"): short, printable, no spaces.
NAME_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
MAX_SAFE_INTEGER = 2**53 - 1
PHONE_RE = re.compile(r"^\+?[0-9*#-]{1,32}$")


@dataclass(frozen=True)
class Field:
    """One field of an object.

    Args:
        kind: "str", "int", "float" (accepts integers), "bool", "uuid", "id"
            (a short human-chosen id), "phone", "object", "list", "any".
        required: the field must be present (and not null unless ``nullable``).
        nullable: ``null`` is accepted.
        max_len: for str/phone/list, the maximum length.
        min/max: for numbers, the inclusive range.
        choices: the allowed values (e.g. an enum's values).
        fields: for "object", a nested field table (strict); None accepts any object.
        item: for "list", the field spec of every item.
    """

    kind: str
    required: bool = True
    nullable: bool = False
    max_len: int | None = None
    min: float | None = None
    max: float | None = None
    choices: frozenset[str] | None = None
    fields: Mapping[str, Field] | None = None
    item: Field | None = None
    check: Callable[[Any], str | None] | None = field(default=None, compare=False)


def opt(kind: str, **kw: Any) -> Field:
    """An optional, nullable field."""
    return Field(kind, required=False, nullable=True, **kw)


def iso_timestamp_problem(value: Any) -> str | None:
    """A ``Field.check`` for ISO 8601 timestamps with a time zone (None when fine)."""
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return "not an ISO 8601 timestamp"
    if moment.tzinfo is None:
        return "timestamp without a time zone"
    return None


def _type_error(path: str, expected: str, value: Any) -> ProtocolError:
    got = "null" if value is None else type(value).__name__
    return ProtocolError(ErrorCode.INVALID_ARGS, f"{path}: expected {expected}, got {got}", field=path)


def check_value(spec: Field, value: Any, path: str) -> None:
    """Validate one value against its spec; raise ProtocolError(INVALID_ARGS)."""
    if value is None:
        if spec.nullable:
            return
        raise _type_error(path, spec.kind, value)
    kind = spec.kind
    if kind in ("str", "uuid", "id", "phone"):
        if not isinstance(value, str):
            raise _type_error(path, "string", value)
        limit = spec.max_len if spec.max_len is not None else 4096
        if len(value) > limit:
            raise ProtocolError(ErrorCode.INVALID_ARGS, f"{path}: longer than {limit} characters", field=path)
        if kind == "uuid" and not UUID_RE.match(value):
            raise ProtocolError(ErrorCode.INVALID_ARGS, f"{path}: not a UUID", field=path)
        if kind == "id" and not NAME_ID_RE.match(value):
            raise ProtocolError(
                ErrorCode.INVALID_ARGS, f"{path}: not a valid id (letters, digits, _.:- up to 64)", field=path
            )
        if kind == "phone" and not PHONE_RE.match(value):
            raise ProtocolError(ErrorCode.INVALID_ARGS, f"{path}: not a phone number", field=path)
    elif kind == "bool":
        if not isinstance(value, bool):
            raise _type_error(path, "boolean", value)
    elif kind in ("int", "float"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _type_error(path, "number" if kind == "float" else "integer", value)
        if kind == "int" and not isinstance(value, int):
            raise _type_error(path, "integer", value)
        if abs(value) > MAX_SAFE_INTEGER:
            # JavaScript clients (device vendors, the caller page) lose precision beyond 2**53.
            raise ProtocolError(ErrorCode.INVALID_ARGS, f"{path}: out of range", field=path)
        if isinstance(value, float) and not math.isfinite(value):
            raise ProtocolError(ErrorCode.INVALID_ARGS, f"{path}: not a finite number", field=path)
        if spec.min is not None and value < spec.min:
            raise ProtocolError(ErrorCode.INVALID_ARGS, f"{path}: below {spec.min}", field=path)
        if spec.max is not None and value > spec.max:
            raise ProtocolError(ErrorCode.INVALID_ARGS, f"{path}: above {spec.max}", field=path)
    elif kind == "object":
        if not isinstance(value, dict):
            raise _type_error(path, "object", value)
        if spec.fields is not None:
            check_object(spec.fields, value, path)
    elif kind == "list":
        if not isinstance(value, list):
            raise _type_error(path, "array", value)
        limit = spec.max_len if spec.max_len is not None else 1000
        if len(value) > limit:
            raise ProtocolError(ErrorCode.INVALID_ARGS, f"{path}: more than {limit} items", field=path)
        if spec.item is not None:
            for i, item in enumerate(value):
                check_value(spec.item, item, f"{path}[{i}]")
    elif kind != "any":  # pragma: no cover - a table error, caught by tests
        raise AssertionError(f"unknown field kind {kind}")
    if spec.choices is not None and value not in spec.choices:
        allowed = ", ".join(sorted(spec.choices))
        raise ProtocolError(ErrorCode.INVALID_ARGS, f"{path}: must be one of {allowed}", field=path)
    if spec.check is not None:
        problem = spec.check(value)
        if problem:
            raise ProtocolError(ErrorCode.INVALID_ARGS, f"{path}: {problem}", field=path)


def check_object(fields: Mapping[str, Field], obj: Mapping[str, Any], path: str) -> None:
    """Validate an object strictly: no unknown keys, required keys present."""
    for key in obj:
        if key not in fields:
            raise ProtocolError(ErrorCode.INVALID_ARGS, f"{path}.{key}: unknown field", field=f"{path}.{key}")
    for key, spec in fields.items():
        if key not in obj:
            if spec.required:
                raise ProtocolError(ErrorCode.INVALID_ARGS, f"{path}.{key}: missing", field=f"{path}.{key}")
            continue
        check_value(spec, obj[key], f"{path}.{key}")
