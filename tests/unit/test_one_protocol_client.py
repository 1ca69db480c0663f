"""The client's handshake and close-code policy exist once: in app/protocol/session.py.

The seat, the simulators, the benches and the integration tests' client are
shells over :class:`app.protocol.session.ClientSession`. These checks read the
source (AST, no imports) so a fifth copy of the handshake cannot creep back in.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SESSION = "app/protocol/session.py"
# Code that acts as a protocol *client*. The server (server_stub) answers hellos and
# sends close codes; tests other than the shared client send broken hellos on purpose.
CLIENT_CODE = ["app", "bench", "widgets", "maps", "tests/integration/wsclient.py", "tests/gui/conftest.py"]
# Close codes whose meaning is a client policy (stop, or wait to be asked).
POLICY_CLOSE_NAMES = {"AUTH_FAILED", "UNSUPPORTED_VERSION", "REPLACED", "AUTH_TIMEOUT", "TOO_MANY_ERRORS"}
POLICY_CLOSE_NUMBERS = {4001, 4002, 4003, 4004, 4008}


@cache
def client_modules() -> dict[str, ast.Module]:
    files: list[Path] = []
    for entry in CLIENT_CODE:
        path = ROOT / entry
        files.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return {str(f.relative_to(ROOT)): ast.parse(f.read_text(encoding="utf-8"), str(f)) for f in files}


def builds_a_hello_frame(tree: ast.Module) -> list[int]:
    """Lines that import the hello builder or write a {"type": "hello"} literal."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("app.protocol"):
            if any(alias.name == "hello" for alias in node.names):
                lines.append(node.lineno)
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if (
                    isinstance(key, ast.Constant) and key.value == "type"
                    and isinstance(value, ast.Constant) and value.value == "hello"
                ):
                    lines.append(node.lineno)
    return lines


def decides_on_close_codes(tree: ast.Module) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "CloseCode"
            and node.attr in POLICY_CLOSE_NAMES
        ):
            lines.append(node.lineno)
        elif isinstance(node, ast.Constant) and type(node.value) is int and node.value in POLICY_CLOSE_NUMBERS:
            lines.append(node.lineno)
    return lines


def test_modules_checked_include_every_shell():
    modules = client_modules()
    for shell in ("app/seat/sync.py", "app/sim/link.py", "bench/client.py", "tests/integration/wsclient.py"):
        assert shell in modules


def test_only_the_session_builds_a_hello_frame():
    builders = {
        path: lines
        for path, tree in client_modules().items()
        if path != SESSION and not path.startswith("app/protocol/") and (lines := builds_a_hello_frame(tree))
    }
    assert builders == {}, "say hello through app.protocol.session.ClientSession.connection_made"
    assert builds_a_hello_frame(ast.parse((ROOT / SESSION).read_text(encoding="utf-8")))


def test_only_the_session_decides_what_a_close_code_means():
    deciders = {
        path: lines
        for path, tree in client_modules().items()
        if path != SESSION and path != "app/protocol/errors.py" and (lines := decides_on_close_codes(tree))
    }
    assert deciders == {}, "ask app.protocol.session (connection_lost / close_advice) instead"


def test_the_client_helpers_are_defined_once():
    wanted = {"decode_server_frame", "Backoff", "MAX_INBOUND_FRAME_BYTES", "RETRYABLE_CODES", "MAX_SERVER_RETRIES"}
    where: dict[str, list[str]] = {}
    for path, tree in client_modules().items():
        for node in tree.body:
            names = []
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                names = [node.name]
            elif isinstance(node, ast.Assign):
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names = [node.target.id]
            for name in names:
                if name in wanted:
                    where.setdefault(name, []).append(path)
    assert where == {name: [SESSION] for name in wanted}
