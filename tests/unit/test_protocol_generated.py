"""The one schema, generated outward: the committed JSON Schema and the doc's tables follow the types.

A vendor reads ``docs/schema/dispatch120-protocol-v1.json`` and ``docs/protocol.md`` §10; both are
produced from ``app/protocol``'s Structs, so a change of a type that is not regenerated fails here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.protocol import COMMANDS, ENVELOPES, EVENTS, decode, encode
from app.protocol.cli import DEFAULT_DOC, DEFAULT_SCHEMA_DIR
from app.protocol.export import (
    REGENERATE,
    SCHEMA_FILE,
    doc_sections,
    json_schema,
    json_schema_text,
    update_doc,
)
from tests.golden_helpers import Golden, valid_goldens


def test_committed_json_schema_is_the_one_the_types_generate():
    committed = (DEFAULT_SCHEMA_DIR / SCHEMA_FILE).read_text(encoding="utf-8")
    assert committed == json_schema_text(), "docs/schema is stale: run `dispatch120 protocol schema`"


def test_json_schema_names_every_message_command_and_event():
    schema = json_schema()
    assert set(schema["x-commands"]) == set(COMMANDS)
    assert set(schema["x-events"]) == set(EVENTS)
    tags = {schema["$defs"][ref["$ref"].rsplit("/", 1)[1]]["properties"]["type"]["enum"][0] for ref in schema["oneOf"]}
    assert tags == set(ENVELOPES)
    hello = schema["$defs"]["Hello"]
    assert set(hello["required"]) == {"type", "v", "token", "client"}  # last_seq may be left out
    assert hello["additionalProperties"] is False


def test_protocol_doc_tables_are_fresh():
    text = DEFAULT_DOC.read_text(encoding="utf-8")
    assert update_doc(text) == text, f"docs/protocol.md's tables are stale: run `{REGENERATE}`"


def test_a_changed_type_makes_the_doc_stale_and_regenerating_fixes_it():
    text = DEFAULT_DOC.read_text(encoding="utf-8")
    sections = doc_sections()
    edited = text.replace("| `token` | string | yes | ≤ 256 chars |", "| `token` | string | yes | ≤ 512 chars |")
    assert edited != text
    assert update_doc(edited, sections) == text


def test_doc_without_the_markers_is_refused():
    with pytest.raises(ValueError, match="lacks the markers"):
        update_doc("# no tables here\n")


def test_doc_tables_mark_required_fields_and_bounds():
    envelopes = doc_sections()["envelopes"]
    assert "| `last_seq` | integer | no | ≥ 0 | allowed |" in envelopes
    assert "| `token` | string | yes | ≤ 256 chars |  |" in envelopes
    assert "| `lead_off` | boolean | yes |" in doc_sections()["telemetry-data"]


@pytest.mark.parametrize("g", valid_goldens(), ids=str)
def test_every_valid_golden_decodes_and_encodes_back_to_the_same_json(g: Golden):
    decoded = decode(g.text, allowed=g.accepted_by)
    assert json.loads(encode(decoded)) == json.loads(g.text)
    assert encode(decode(encode(decoded), allowed=g.accepted_by)) == encode(decoded)


def test_schema_command_writes_the_file(tmp_path: Path):
    from app.__main__ import main

    assert main(["protocol", "schema", "--out", str(tmp_path)]) == 0
    assert (tmp_path / SCHEMA_FILE).read_text(encoding="utf-8") == json_schema_text()


def test_doc_check_command_says_stale(tmp_path: Path):
    from app.__main__ import main

    doc = tmp_path / "protocol.md"
    doc.write_text(DEFAULT_DOC.read_text(encoding="utf-8").replace("≤ 256 chars", "≤ 9 chars"), encoding="utf-8")
    assert main(["protocol", "doc", "--check", "--file", str(doc)]) == 1
    assert main(["protocol", "doc", "--file", str(doc)]) == 0
    assert main(["protocol", "doc", "--check", "--file", str(doc)]) == 0
