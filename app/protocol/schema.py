"""The building blocks of the wire types: constrained field types and strict conversion.

Every message, command, event and telemetry frame of the protocol is a
``msgspec.Struct`` built from the types here (``app/protocol/messages.py`` and
the feature modules). A Struct refuses unknown fields, wrong JSON types
(``true`` is not an integer, a string is not a number), strings that are too
long and numbers out of range. :func:`conform` checks a parsed JSON value
against a type once, at the edge, and turns msgspec's refusal into a
:class:`ProtocolError` that names the offending field (``args.incident_id``);
nothing is coerced silently. The same types give the JSON Schema
(``dispatch120 protocol schema``) and the tables of ``docs/protocol.md``.

No I/O here.
"""

import math
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any, Literal, NoReturn, Union

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from app.protocol.errors import ErrorCode, ProtocolError

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# Ids chosen by people (unit "A12", seat "seat-3"): short, printable, no spaces.
NAME_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
# JavaScript clients (device vendors, the caller page) lose precision beyond 2**53: every
# number of the protocol stays within +-MAX_SAFE_INTEGER.
MAX_SAFE_INTEGER = 2**53 - 1
PHONE_RE = re.compile(r"^\+?[0-9*#-]{1,32}$")
# Free text holds no control characters (C0, DEL, C1): a NUL or an escape sequence in the
# event log breaks exports, terminals and other systems that read it. Multi-line text
# (descriptions, notes, chat) may also hold line feeds and tabs. Written for both Python
# (msgspec, re.search) and JSON Schema (ECMA 262): ``(?!\n)`` stops Python's ``$`` from
# matching before a final line feed.
TEXT_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$(?!\n)"
MULTILINE_TEXT_PATTERN = r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f]*$"
# A string or a list with no tighter bound of its own.
DEFAULT_MAX_STR = 4096
DEFAULT_MAX_ITEMS = 1000

__all__ = [
    "UNSET",
    "Envelope",
    "Field",
    "Int",
    "List",
    "NameId",
    "Num",
    "Obj",
    "Opt",
    "Phone",
    "Str",
    "Text",
    "Uuid",
    "Wire",
    "check_object",
    "check_value",
    "choice",
    "conform",
    "fail",
    "iso_timestamp_problem",
]


class _WireMeta(msgspec.StructMeta):
    """Makes every subclass keyword-only too (msgspec applies ``kw_only`` per class), so a
    required field may follow an inherited optional one."""

    def __new__(mcls, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **options: Any) -> Any:
        options.setdefault("kw_only", True)
        return super().__new__(mcls, name, bases, namespace, **options)


class Wire(Struct, metaclass=_WireMeta, forbid_unknown_fields=True):
    """Base of every wire object: strict (unknown fields refused), fields by keyword.

    An optional field is typed ``Opt[T]`` with the default ``UNSET``: absent on
    the wire stays absent, ``null`` stays ``None``, so a decoded frame encodes
    back to the same JSON.
    """


class Envelope(Wire, tag_field="type"):
    """Every frame: the protocol version ``v`` (always 1) and its ``type``."""

    v: Literal[1]


# ---------------------------------------------------------------- constrained types


def Str(max_len: int = DEFAULT_MAX_STR, *, pattern: str | None = None, description: str | None = None,
        multiline: bool = False) -> Any:
    """A string of at most ``max_len`` characters matching ``pattern``.

    Without a ``pattern``: text with no control character (:data:`TEXT_PATTERN`), or with
    ``multiline`` also line feeds and tabs (:data:`MULTILINE_TEXT_PATTERN`).
    """
    if pattern is None:
        pattern = MULTILINE_TEXT_PATTERN if multiline else TEXT_PATTERN
    meta = Meta(max_length=max_len, pattern=pattern, description=description) if description else Meta(
        max_length=max_len, pattern=pattern
    )
    return Annotated[str, meta]


def Text(max_len: int) -> Any:
    """Multi-line free text (a description, a note, a chat message): line feeds and tabs allowed."""
    return Str(max_len, multiline=True)


Uuid = Annotated[str, Meta(max_length=DEFAULT_MAX_STR, pattern=UUID_RE.pattern, description="a UUID")]
NameId = Annotated[
    str,
    Meta(max_length=DEFAULT_MAX_STR, pattern=NAME_ID_RE.pattern, description="an id: letters, digits, _.:- up to 64"),
]
Phone = Annotated[str, Meta(max_length=DEFAULT_MAX_STR, pattern=PHONE_RE.pattern, description="a phone number")]
Obj = dict[str, Any]


def Int(lo: int = -MAX_SAFE_INTEGER, hi: int = MAX_SAFE_INTEGER) -> Any:
    """An integer in ``[lo, hi]`` (``true``/``false`` and ``1.0`` refused)."""
    return Annotated[int, Meta(ge=lo, le=hi)]


def Num(lo: float = -MAX_SAFE_INTEGER, hi: float = MAX_SAFE_INTEGER) -> Any:
    """A number in ``[lo, hi]``; an integer stays an integer (so ``30`` encodes back as ``30``)."""
    whole = Annotated[int, Meta(ge=math.ceil(lo), le=math.floor(hi))]
    return Union[whole, Annotated[float, Meta(ge=float(lo), le=float(hi))]]  # noqa: UP007


def List(item: Any, max_len: int = DEFAULT_MAX_ITEMS, *, min_len: int = 0) -> Any:
    """A JSON array of ``min_len`` to ``max_len`` items of type ``item``."""
    if min_len:
        return Annotated[list[item], Meta(min_length=min_len, max_length=max_len)]
    return Annotated[list[item], Meta(max_length=max_len)]


def choice(values: Iterable[str]) -> Any:
    """One of these strings (a ``Literal``; sorted, so the schema is stable)."""
    return Literal[tuple(sorted(str(getattr(v, "value", v)) for v in values))]


def Opt(tp: Any) -> Any:
    """An optional, nullable field: give it the default ``UNSET``."""
    return Union[tp, None, UnsetType]  # noqa: UP007


def Field(kind: str) -> Any:
    """The type of a simple field kind ("id", "uuid", "phone"): kept for callers of the old tables."""
    return {"id": NameId, "uuid": Uuid, "phone": Phone}[kind]


# ---------------------------------------------------------------- checks beyond one field

_CHECK_MARK = "\x00"


def fail(field: str, problem: str) -> NoReturn:
    """Refuse a Struct from its ``__post_init__``: ``field`` ("" for the whole object) and why.

    msgspec turns the ValueError into a ValidationError with the object's path;
    :func:`conform` puts the field back on that path.
    """
    raise ValueError(f"{_CHECK_MARK}{field}{_CHECK_MARK}{problem}")


def iso_timestamp_problem(value: Any) -> str | None:
    """What is wrong with an ISO 8601 timestamp with a time zone (None when fine)."""
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return "not an ISO 8601 timestamp"
    if moment.tzinfo is None:
        return "timestamp without a time zone"
    return None


def check_timestamps(obj: Struct, *names: str) -> None:
    """In a ``__post_init__``: refuse the first of ``names`` that is set and not an ISO timestamp."""
    for name in names:
        value = getattr(obj, name)
        if value is not None and value is not UNSET:
            problem = iso_timestamp_problem(value)
            if problem:
                fail(name, problem)


# ---------------------------------------------------------------- conversion and errors

_AT_RE = re.compile(r"^(?P<text>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.S)
_FIELD_RE = re.compile(r"^Object (?P<what>missing required|contains unknown) field `(?P<name>[^`]*)`$")
_BOUND_RE = re.compile(r"^Expected `[^`]+` (?P<op>[<>]=?) (?P<n>\S+)$")
_LENGTH_RE = re.compile(r"^Expected `(?P<kind>str|array|object)` of length (?P<op>[<>]=) (?P<n>\d+)$")
_REGEX_RE = re.compile(r"^Expected `str` matching regex '(?P<pattern>.*)'$", re.S)
_TYPE_RE = re.compile(r"^Expected `(?P<want>[^`]+)`, got `(?P<got>[^`]+)`$")
_TYPE_NAMES = {"str": "string", "int": "integer", "int | float": "number", "float": "number", "bool": "boolean",
               "object": "object", "array": "array"}
_PATTERN_NAMES = {UUID_RE.pattern: "not a UUID", NAME_ID_RE.pattern: "not a valid id (letters, digits, _.:- up to 64)",
                  PHONE_RE.pattern: "not a phone number",
                  TEXT_PATTERN: "contains a control character (U+0000-U+001F, U+007F-U+009F)",
                  MULTILINE_TEXT_PATTERN: "contains a control character other than a line feed or a tab"}


def describe(exc: msgspec.ValidationError, root: str) -> tuple[str, str]:
    """The field path (``root`` + msgspec's path) and a short reason for a refusal."""
    match = _AT_RE.match(str(exc))
    assert match is not None  # the pattern matches any text
    text, path = match["text"], root + (match["path"] or "")
    if text.startswith(_CHECK_MARK):
        _, field, problem = text.split(_CHECK_MARK, 2)
        return (f"{path}.{field}" if field else path), problem
    if m := _FIELD_RE.match(text):
        return f"{path}.{m['name']}", "missing" if m["what"] == "missing required" else "unknown field"
    if m := _LENGTH_RE.match(text):
        if m["kind"] == "str":
            return path, f"longer than {m['n']} characters"
        return path, f"more than {m['n']} items"
    if m := _BOUND_RE.match(text):
        return path, f"{'below' if m['op'].startswith('>') else 'above'} {m['n']}"
    if m := _REGEX_RE.match(text):
        # msgspec doubles the backslashes of the pattern in its message.
        pattern = m["pattern"].replace("\\\\", "\\")
        return path, _PATTERN_NAMES.get(m["pattern"]) or _PATTERN_NAMES.get(pattern, "not in the expected format")
    if m := _TYPE_RE.match(text):
        nullable = m["want"].endswith(" | null")
        want = _TYPE_NAMES.get(m["want"].removesuffix(" | null"), m["want"])
        if want == "integer" and m["got"] == "float":
            return path, "not an integer (got a float)"
        return path, f"expected {want}{' or null' if nullable else ''}, got {m['got']}"
    if text.startswith("Invalid enum value"):
        return path, f"must be one of the allowed values (not {text.removeprefix('Invalid enum value ')})"
    return path, text


def conform(value: Any, tp: Any, *, root: str, code: ErrorCode = ErrorCode.INVALID_ARGS,
            ref: str | None = None) -> Any:
    """Check a parsed JSON value against a wire type; return it as that type.

    Args:
        value: what ``json.loads`` gave (dicts, lists, str, int, float, bool, None).
        tp: a :class:`Wire` Struct or any constrained type of this module.
        root: the path to name in errors (``"args"``, ``"data"``, ``"hello"``).
        code: the error code of a refusal.
        ref: the command id to put on the error.

    Raises:
        ProtocolError: ``code``, naming the first offending field (``args.unit_id``).
    """
    try:
        return msgspec.convert(value, tp, strict=True)
    except msgspec.ValidationError as exc:
        field, problem = describe(exc, root)
        raise ProtocolError(code, f"{field}: {problem}", ref=ref, field=field) from None


def check_object(tp: Any, obj: Any, path: str) -> None:
    """Validate ``obj`` (an envelope's body, a command's args, …) against ``tp``.

    For an envelope type the ``v`` and ``type`` keys may be left out. Raises
    ProtocolError(INVALID_ARGS) naming the field.
    """
    if isinstance(obj, dict) and isinstance(tp, type) and issubclass(tp, Struct) and "v" in tp.__struct_fields__:
        config = tp.__struct_config__
        obj = {"v": 1, **obj}
        if config.tag_field is not None:
            obj = {config.tag_field: config.tag, **obj}
    conform(obj, tp, root=path)


def check_value(tp: Any, value: Any, path: str) -> None:
    """Validate one value against a wire type; raise ProtocolError(INVALID_ARGS) naming ``path``."""
    conform(value, tp, root=path)
