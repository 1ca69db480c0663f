"""``dispatch120 protocol schema|doc``: write what is generated from the wire types.

* ``schema [--out DIR]`` writes the bundled JSON Schema (``docs/schema/`` by default) for
  device vendors.
* ``doc [--check] [--file PATH]`` rewrites the generated message tables of
  ``docs/protocol.md``; ``--check`` only says whether they are stale (exit 1).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from app.protocol.export import SCHEMA_FILE, json_schema_text, update_doc

_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SCHEMA_DIR = _ROOT / "docs" / "schema"
DEFAULT_DOC = _ROOT / "docs" / "protocol.md"


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``protocol`` command group to a parser's subparsers (from ``add_subparsers()``)."""
    protocol = subparsers.add_parser(
        "protocol",
        help="export the wire protocol's JSON Schema, or regenerate the tables of docs/protocol.md",
        description="The wire protocol's types (app/protocol) are the one schema; these commands write "
        "what is generated from them.",
    )
    commands = protocol.add_subparsers(dest="protocol_command", metavar="{schema,doc}", required=True)
    schema = commands.add_parser("schema", help=f"write {SCHEMA_FILE}, the bundled JSON Schema",
                                 description=f"Write {SCHEMA_FILE} (JSON Schema 2020-12) into DIR.")
    schema.add_argument("--out", type=Path, default=DEFAULT_SCHEMA_DIR, metavar="DIR",
                        help="the directory to write to (default: %(default)s)")
    schema.set_defaults(func=run_schema)
    doc = commands.add_parser("doc", help="regenerate the message tables of docs/protocol.md",
                              description="Replace every <!-- generated:NAME --> section of the protocol doc.")
    doc.add_argument("--file", type=Path, default=DEFAULT_DOC, metavar="PATH",
                     help="the protocol doc (default: %(default)s)")
    doc.add_argument("--check", action="store_true", help="write nothing; exit 1 if the tables are stale")
    doc.set_defaults(func=run_doc)
    return protocol


def run_schema(args: argparse.Namespace) -> int:
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / SCHEMA_FILE
    target.write_text(json_schema_text(), encoding="utf-8")
    print(target)
    return 0


def run_doc(args: argparse.Namespace) -> int:
    text = args.file.read_text(encoding="utf-8")
    try:
        fresh = update_doc(text)
    except ValueError as exc:
        print(f"dispatch120 protocol doc: {exc}", file=sys.stderr)
        return 2
    if args.check:
        if fresh != text:
            print(f"{args.file}: the generated tables are stale; run `dispatch120 protocol doc`", file=sys.stderr)
            return 1
        return 0
    if fresh != text:
        args.file.write_text(fresh, encoding="utf-8")
    print(args.file)
    return 0
