"""What is generated from the wire types: the JSON Schema for device vendors and the doc's tables.

* :func:`json_schema` — one bundled JSON Schema (draft 2020-12) of every frame, with the
  arguments of every command and the data of every event and telemetry kind; committed as
  ``docs/schema/dispatch120-protocol-v1.json`` (``dispatch120 protocol schema``).
* :func:`doc_sections` / :func:`update_doc` — the message tables of ``docs/protocol.md``,
  written between ``<!-- generated:NAME -->`` and ``<!-- /generated:NAME -->`` markers
  (``dispatch120 protocol doc``); the prose around them is kept.

Pure: strings in, strings out. The files are written by :mod:`app.protocol.cli`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

import msgspec
import msgspec.inspect as mi

from app.protocol import messages
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
from app.protocol.schema import (
    MAX_SAFE_INTEGER,
    MULTILINE_TEXT_PATTERN,
    NAME_ID_RE,
    PHONE_RE,
    TEXT_PATTERN,
    UUID_RE,
)
from app.protocol.telemetry import DATA_TYPES

SCHEMA_FILE = f"dispatch120-protocol-v{PROTOCOL_VERSION}.json"
REGENERATE = "dispatch120 protocol doc"


# ---------------------------------------------------------------- JSON Schema


def json_schema() -> dict[str, Any]:
    """The bundled JSON Schema of protocol version 1 (a dict; dump it with sorted keys)."""
    envelope_types = [ENVELOPES[name] for name in sorted(ENVELOPES)]
    command_types = [COMMANDS[name] for name in sorted(COMMANDS)]
    event_types = [EVENTS[name] for name in sorted(EVENTS)]
    data_types = [DATA_TYPES[kind] for kind in sorted(DATA_TYPES)]
    (refs, defs) = msgspec.json.schema_components(
        [*envelope_types, *command_types, *event_types, *data_types], ref_template="#/$defs/{name}"
    )
    by_type = dict(zip([*envelope_types, *command_types, *event_types, *data_types], refs, strict=True))

    def refs_of(table: dict[str, Any]) -> dict[str, Any]:
        return {name: by_type[table[name]] for name in sorted(table)}

    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:dispatch120:protocol:v{PROTOCOL_VERSION}",
        "title": f"dispatch120 wire protocol, version {PROTOCOL_VERSION}",
        "description": (
            "One websocket text frame: a JSON object with 'v' (the protocol version) and 'type'. "
            "A 'cmd' frame's 'args' follow x-commands[name]; an 'event' frame's 'data' follows "
            "x-events[name]; a 'telemetry' frame's 'data' follows x-telemetry-data[kind]. "
            f"Frames are at most {MAX_FRAME_BYTES} bytes; numbers stay within +-{MAX_SAFE_INTEGER}. "
            "Generated from app/protocol by 'dispatch120 protocol schema'; prose in docs/protocol.md."
        ),
        "oneOf": [by_type[ENVELOPES[name]] for name in sorted(ENVELOPES)],
        "discriminator": {"propertyName": "type"},
        "x-client-types": sorted(CLIENT_TYPES),
        "x-server-types": sorted(SERVER_TYPES),
        "x-commands": refs_of(COMMANDS),
        "x-command-roles": {name: sorted(r.value for r in COMMAND_ROLES[name]) for name in sorted(COMMAND_ROLES)},
        "x-events": refs_of(EVENTS),
        "x-telemetry-data": {str(kind): by_type[DATA_TYPES[kind]] for kind in sorted(DATA_TYPES)},
        "$defs": {name: defs[name] for name in sorted(defs)},
    }


def json_schema_text() -> str:
    """The schema as committed: 2-space indent, sorted keys, UTF-8, a final newline."""
    return json.dumps(json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------- doc tables

_PATTERN_WORDS = {UUID_RE.pattern: "UUID", NAME_ID_RE.pattern: "id", PHONE_RE.pattern: "phone"}


def _number(value: float) -> str:
    if abs(value) >= MAX_SAFE_INTEGER:
        return ""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _bounds(lo: float | None, hi: float | None) -> str:
    lo_text = "" if lo is None else _number(lo)
    hi_text = "" if hi is None else _number(hi)
    if lo_text and hi_text:
        return f"{lo_text}..{hi_text}"
    if lo_text:
        return f"≥ {lo_text}"
    if hi_text:
        return f"≤ {hi_text}"
    return ""


def describe_type(t: mi.Type) -> tuple[str, str, bool]:
    """(type text, bounds text, nullable) of one field type, for a doc table."""
    if isinstance(t, mi.Metadata):
        return describe_type(t.type)
    if isinstance(t, mi.UnionType):
        members = [m for m in t.types if not isinstance(m, mi.NoneType)]
        nullable = len(members) < len(t.types)
        if len(members) == 2 and {type(m) for m in members} == {mi.IntType, mi.FloatType}:
            number = next(m for m in members if isinstance(m, mi.FloatType))
            return "number", _bounds(number.ge, number.le), nullable
        parts = [describe_type(m) for m in members]
        return " or ".join(p[0] for p in parts), "; ".join(p[1] for p in parts if p[1]), nullable
    if isinstance(t, mi.StrType):
        if t.pattern in _PATTERN_WORDS:
            return _PATTERN_WORDS[t.pattern], "", False
        bound = f"≤ {t.max_length} chars" if t.max_length is not None else ""
        # Plain text: §2 says no string holds control characters; "text" also allows line feeds and tabs.
        if t.pattern == MULTILINE_TEXT_PATTERN:
            return "text", bound, False
        if t.pattern and t.pattern != TEXT_PATTERN:
            bound = f"{bound}, matches `{t.pattern}`".lstrip(", ")
        return "string", bound, False
    if isinstance(t, mi.IntType):
        return "integer", _bounds(t.ge, t.le), False
    if isinstance(t, mi.FloatType):
        return "number", _bounds(t.ge, t.le), False
    if isinstance(t, mi.BoolType):
        return "boolean", "", False
    if isinstance(t, mi.LiteralType):
        if len(t.values) == 1:
            return "constant", f"`{t.values[0]}`", False
        return "enum", " / ".join(f"`{v}`" for v in t.values), False
    if isinstance(t, mi.EnumType):
        return "enum", " / ".join(f"`{m.value}`" for m in t.cls), False
    if isinstance(t, mi.ListType):
        item, item_bounds, _ = describe_type(t.item_type)
        bound = f"≤ {t.max_length} items" if t.max_length is not None else ""
        if item_bounds:
            bound = f"{bound}; each {item_bounds}".lstrip("; ")
        return f"list of {item}", bound, False
    if isinstance(t, mi.StructType):
        return f"object `{t.cls.__name__}`", "", False
    if isinstance(t, mi.DictType):
        return "object", "any keys", False
    if isinstance(t, mi.AnyType):
        return "any", "", False
    return type(t).__name__, "", False  # pragma: no cover - a new kind of type: add it above


def _first_line(doc: str | None) -> str:
    if not doc:
        return ""
    text = " ".join(doc.strip().split("\n\n", 1)[0].split())
    return text


def _nested_structs(info: mi.StructType, seen: set[type]) -> list[mi.StructType]:
    """The objects a Struct's fields contain (each once), in field order."""
    found: list[mi.StructType] = []

    def walk(t: mi.Type) -> None:
        if isinstance(t, mi.StructType):
            if t.cls not in seen:
                seen.add(t.cls)
                found.append(t)
                for f in t.fields:
                    walk(f.type)
        elif isinstance(t, mi.UnionType):
            for m in t.types:
                walk(m)
        elif isinstance(t, mi.ListType):
            walk(t.item_type)

    for f in info.fields:
        walk(f.type)
    return found


def struct_table(cls: type[msgspec.Struct], *, skip: Iterable[str] = ()) -> list[str]:
    """A markdown table of a Struct's fields: field, type, required, bounds, description."""
    info = mi.type_info(cls)
    assert isinstance(info, mi.StructType)
    rows = ["| field | type | required | bounds / values | null |", "|---|---|---|---|---|"]
    skipped = set(skip)
    for f in info.fields:
        if f.encode_name in skipped:
            continue
        text, bounds, nullable = describe_type(f.type)
        rows.append(f"| `{f.encode_name}` | {text} | {'yes' if f.required else 'no'} | {bounds} | "
                    f"{'allowed' if nullable else ''} |")
    return rows


def _section(title: str, cls: type[msgspec.Struct], *, note: str = "", skip: Iterable[str] = (),
             seen: set[type]) -> list[str]:
    lines = [f"#### {title}", ""]
    text = " ".join(part for part in (_first_line(cls.__doc__), note) if part)
    if text:
        lines += [text, ""]
    lines += struct_table(cls, skip=skip)
    lines.append("")
    info = mi.type_info(cls)
    assert isinstance(info, mi.StructType)
    for nested in _nested_structs(info, seen):
        lines += [f"`{nested.cls.__name__}`: {_first_line(nested.cls.__doc__)}".rstrip(": "), ""]
        lines += struct_table(nested.cls)
        lines.append("")
    return lines


def _direction(mtype: str) -> str:
    return "client → server" if mtype in CLIENT_TYPES else "server → client"


def doc_sections() -> dict[str, str]:
    """The generated sections of docs/protocol.md, by marker name."""
    sections: dict[str, list[str]] = {}
    seen: set[type] = set()

    rows = ["| type | direction | defined in | fields |", "|---|---|---|---|"]
    for name in sorted(ENVELOPES, key=lambda n: (n not in CLIENT_TYPES, n)):
        info = mi.type_info(ENVELOPES[name])
        assert isinstance(info, mi.StructType)
        fields = ", ".join(f"`{f.encode_name}`" for f in info.fields if f.encode_name not in ("v", "type"))
        rows.append(f"| `{name}` | {_direction(name)} | `{messages.ORIGIN[('ENVELOPES', name)]}` | {fields} |")
    envelope_lines = rows + [""]
    for name in sorted(ENVELOPES, key=lambda n: (n not in CLIENT_TYPES, n)):
        envelope_lines += _section(f"`{name}` ({_direction(name)})", ENVELOPES[name], skip=("v", "type"), seen=seen)
    sections["envelopes"] = envelope_lines

    command_lines: list[str] = []
    for name in sorted(COMMANDS):
        roles = ", ".join(sorted(r.value for r in COMMAND_ROLES[name]))
        command_lines += _section(f"`{name}`", COMMANDS[name], note=f"Sent by: {roles}.", seen=seen)
    sections["commands"] = command_lines

    event_lines: list[str] = []
    for name in sorted(EVENTS):
        event_lines += _section(f"`{name}`", EVENTS[name], seen=seen)
    sections["events"] = event_lines

    data_lines: list[str] = []
    for kind in sorted(DATA_TYPES):
        data_lines += _section(f"`{kind}`", DATA_TYPES[kind], seen=seen)
    sections["telemetry-data"] = data_lines
    return {name: "\n".join(lines).rstrip("\n") for name, lines in sections.items()}


_MARKED = re.compile(r"(<!-- generated:(?P<name>[a-z-]+) -->\n)(?P<body>.*?)(<!-- /generated:(?P=name) -->)", re.S)


def update_doc(text: str, sections: dict[str, str] | None = None) -> str:
    """``text`` with every marked section replaced by its generated content.

    Raises:
        ValueError: a section is missing its markers, or a marker names no section.
    """
    wanted = doc_sections() if sections is None else sections
    found: set[str] = set()

    def replace(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in wanted:
            raise ValueError(f"docs/protocol.md: no generated section called {name!r}")
        found.add(name)
        note = f"<!-- Generated from app/protocol by `{REGENERATE}`; do not edit by hand. -->\n\n"
        return f"{match.group(1)}{note}{wanted[name]}\n\n{match.group(4)}"

    result = _MARKED.sub(replace, text)
    missing = set(wanted) - found
    if missing:
        raise ValueError(f"docs/protocol.md lacks the markers of {sorted(missing)}")
    return result
