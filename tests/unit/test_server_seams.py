"""The server's modules talk through ports, never through each other's private members.

A desk gets the server's :class:`server_stub.ports.DeskPort`; nothing in ``server_stub``
reads or calls a ``_name`` of another object (only of ``self``/``cls``), nor imports a
``_name`` from another module. A reach into another module's insides fails here, with
the file and line.
"""

from __future__ import annotations

import ast
from pathlib import Path

import server_stub

PACKAGE = Path(server_stub.__file__).resolve().parent


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_reaches(source: str, filename: str) -> list[str]:
    """``file:line  expression`` for every private name used across an object or module boundary."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            owner = node.value
            if not (isinstance(owner, ast.Name) and owner.id in ("self", "cls")):
                found.append(f"{filename}:{node.lineno}  {ast.unparse(node)}")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("server_stub"):
            found += [f"{filename}:{node.lineno}  from {node.module} import {a.name}" for a in node.names
                      if _private(a.name)]
    return found


def test_no_module_of_the_server_uses_another_objects_private_members():
    reaches = []
    for path in sorted(PACKAGE.rglob("*.py")):
        reaches += private_reaches(path.read_text(encoding="utf-8"), str(path.relative_to(PACKAGE.parent)))
    assert reaches == [], "use the port (server_stub/ports.py) instead:\n" + "\n".join(reaches)


def test_the_check_finds_a_desk_that_reaches_into_the_server():
    desk = (
        "from server_stub.clients import _secret\n"
        "class Desk:\n"
        "    def send(self, client):\n"
        "        self._count += 1\n"
        "        self.server._push(client, {})\n"
    )
    assert private_reaches(desk, "desk.py") == [
        "desk.py:1  from server_stub.clients import _secret",
        "desk.py:5  self.server._push",
    ]
