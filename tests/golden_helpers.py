"""Load the golden protocol frames in ``tests/golden/``; shared by seat-side and server-side tests.

The files, and what each test does with them, are described in
``tests/golden/README.md``. In short:

* ``client_to_server/*.json`` and ``server_to_client/*.json`` hold one valid
  frame each, named ``<type>[.<command or event name>][__<variant>].json``;
* ``invalid/*.json`` hold frames that must be refused, and
  ``invalid/cases.json`` says with which :class:`~app.protocol.ErrorCode`;
* :func:`oversize_frame` and :func:`deeply_nested_frame` make the frames that
  are too big to commit.

Pure file reading: no I/O besides the golden directory, no Qt, no server.
Usable from any test (``from tests.golden_helpers import valid_goldens``) and,
to rebuild the snapshot golden after a deliberate change of the projection,
as ``python -m tests.golden_helpers regen-snapshot`` (then review the diff).
"""

from __future__ import annotations

import copy
import json
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from app.protocol import (
    CLIENT_TYPES,
    MAX_FRAME_BYTES,
    SERVER_TYPES,
    ErrorCode,
    encode,
    snapshot,
    synced,
)

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
INVALID_DIR = GOLDEN_DIR / "invalid"
CASES_FILE = INVALID_DIR / "cases.json"

CLIENT_TO_SERVER = "client_to_server"
SERVER_TO_CLIENT = "server_to_client"
# The message types the *receiving* side of each direction accepts (``decode(..., allowed=...)``).
RECEIVER_ACCEPTS: dict[str, frozenset[str]] = {
    CLIENT_TO_SERVER: CLIENT_TYPES,  # the server decodes these
    SERVER_TO_CLIENT: SERVER_TYPES,  # seats, devices and simulators decode these
}
VARIANT_SEPARATOR = "__"
# Placeholder tokens in the hello goldens; integration tests put real ones in with ``with_token``.
PLACEHOLDER_TOKEN_PREFIX = "d120."


@dataclass(frozen=True)
class Golden:
    """One valid golden frame.

    Attributes:
        path: the file.
        direction: ``client_to_server`` or ``server_to_client``.
        text: the file's text, exactly as a websocket text frame would carry it.
    """

    path: Path
    direction: str
    text: str

    @property
    def id(self) -> str:
        """``direction/stem``, e.g. ``client_to_server/cmd.unit.assign`` (pytest ids, lookups)."""
        return f"{self.direction}/{self.path.stem}"

    @property
    def message(self) -> dict[str, Any]:
        """The frame parsed with the standard library (independent of the codec under test)."""
        return json.loads(self.text)

    @property
    def kind(self) -> str:
        """What the file name says it holds: ``hello``, ``cmd.unit.assign``, ``event.call.queued``…"""
        return self.path.stem.split(VARIANT_SEPARATOR, 1)[0]

    @property
    def variant(self) -> str | None:
        parts = self.path.stem.split(VARIANT_SEPARATOR, 1)
        return parts[1] if len(parts) == 2 else None

    @property
    def accepted_by(self) -> frozenset[str]:
        """The ``allowed`` set of the side that receives this frame."""
        return RECEIVER_ACCEPTS[self.direction]

    def __str__(self) -> str:  # readable pytest ids
        return self.id


@dataclass(frozen=True)
class InvalidCase:
    """A frame that must be refused, and the error code of the refusal.

    Attributes:
        name: file name in ``invalid/`` (or a made-up name for generated frames).
        frame: the raw bytes (some cases are not UTF-8 on purpose).
        code: the expected :class:`ErrorCode`.
        direction: which side receives it; gives the ``allowed`` set.
        why: one line for humans.
    """

    name: str
    frame: bytes
    code: ErrorCode
    direction: str
    why: str

    @property
    def accepted_by(self) -> frozenset[str]:
        return RECEIVER_ACCEPTS[self.direction]

    @property
    def text(self) -> str | None:
        """The frame as text, or None when it is not UTF-8 (it can only go as a binary frame)."""
        try:
            return self.frame.decode("utf-8")
        except UnicodeDecodeError:
            return None

    def __str__(self) -> str:
        return self.name


# ---------------------------------------------------------------- valid goldens


@cache
def _load_valid() -> tuple[Golden, ...]:
    found = []
    for direction in (CLIENT_TO_SERVER, SERVER_TO_CLIENT):
        for path in sorted((GOLDEN_DIR / direction).glob("*.json")):
            found.append(Golden(path=path, direction=direction, text=path.read_text(encoding="utf-8")))
    return tuple(found)


def valid_goldens(direction: str | None = None) -> list[Golden]:
    """Every valid golden, or those of one direction, in a stable order."""
    return [g for g in _load_valid() if direction is None or g.direction == direction]


def golden(golden_id: str) -> Golden:
    """One golden by id, e.g. ``golden("client_to_server/cmd.unit.assign")``. Raises KeyError."""
    for g in _load_valid():
        if g.id == golden_id:
            return g
    raise KeyError(golden_id)


def golden_message(golden_id: str) -> dict[str, Any]:
    """A fresh, mutable copy of one golden's message."""
    return golden(golden_id).message


def goldens_of_kind(kind: str) -> list[Golden]:
    """All goldens whose name says ``kind`` (e.g. ``cmd.unit.status``), variants included."""
    return [g for g in _load_valid() if g.kind == kind]


def story_events() -> list[dict[str, Any]]:
    """The event goldens, which together tell one story, in ``seq`` order."""
    events = [g.message for g in valid_goldens(SERVER_TO_CLIENT) if g.message.get("type") == "event"]
    return sorted(events, key=lambda e: e["seq"])


def with_token(msg: dict[str, Any], token: str) -> dict[str, Any]:
    """A copy of a ``hello`` golden carrying a real token instead of the placeholder."""
    if msg.get("type") != "hello":
        raise ValueError("only hello frames carry a token")
    return {**copy.deepcopy(msg), "token": token}


def canonical(msg: dict[str, Any]) -> Any:
    """The canonical form used for comparisons: the message as plain parsed JSON."""
    return json.loads(encode(msg))


def envelope_shape(msg: dict[str, Any]) -> dict[str, Any]:
    """Keys of a message and, for nested objects of the envelope, their keys; values ignored.

    Used to check that a real server's reply has the shape of the golden of
    the same kind (an ``ack`` like ``ack.json``, an ``event`` like the event
    golden of that name). ``null`` and a value are the same shape.
    """
    shape: dict[str, Any] = {}
    for key, value in msg.items():
        shape[key] = sorted(value) if isinstance(value, dict) else None
    return shape


# ---------------------------------------------------------------- invalid frames


@cache
def _load_cases() -> dict[str, dict[str, str]]:
    return json.loads(CASES_FILE.read_text(encoding="utf-8"))


def invalid_case_files() -> list[str]:
    """The frame files in ``invalid/`` (cases.json excluded)."""
    return sorted(p.name for p in INVALID_DIR.iterdir() if p.is_file() and p.name != CASES_FILE.name)


def invalid_cases(direction: str | None = None) -> list[InvalidCase]:
    """The committed invalid frames with their expected codes (from ``invalid/cases.json``).

    Raises:
        FileNotFoundError: a case names a file that is not there.
        ValueError: a case names an unknown error code or direction.
    """
    cases = []
    for name, spec in sorted(_load_cases().items()):
        if spec["direction"] not in RECEIVER_ACCEPTS:
            raise ValueError(f"{name}: unknown direction {spec['direction']!r}")
        case = InvalidCase(
            name=name,
            frame=(INVALID_DIR / name).read_bytes(),
            code=ErrorCode(spec["code"]),
            direction=spec["direction"],
            why=spec["why"],
        )
        if direction is None or case.direction == direction:
            cases.append(case)
    return cases


def oversize_frame(size_bytes: int = MAX_FRAME_BYTES + 1) -> bytes:
    """A well-formed ``cmd`` frame (incident.update) of exactly ``size_bytes`` bytes of UTF-8.

    Over ``MAX_FRAME_BYTES`` it must be refused for its size alone: everything
    else about it is valid JSON of the right shape (only the description is
    absurdly long). ``size_bytes`` must be at least a few hundred bytes.
    """
    msg = golden_message("client_to_server/cmd.incident.update")
    msg["args"]["description"] = ""
    base = len(encode(msg).encode("utf-8"))
    if size_bytes < base:
        raise ValueError(f"size_bytes must be at least {base}")
    msg["args"]["description"] = "x" * (size_bytes - base)
    frame = encode(msg).encode("utf-8")
    assert len(frame) == size_bytes
    return frame


def deeply_nested_frame(depth: int = 5000) -> bytes:
    """A small frame of ``depth`` nested arrays: refused without blowing the parser's stack."""
    return b'{"v": 1, "type": "cmd", "args": ' + b"[" * depth + b"]" * depth + b"}"


# ---------------------------------------------------------------- maintenance


def rebuilt_snapshot_goldens() -> dict[str, dict[str, Any]]:
    """The snapshot and synced goldens as the current projection makes them from the event goldens."""
    from app.domain.state import State  # only here: the helpers stay protocol-only otherwise

    state = State()
    for event in story_events():
        state.apply(event)
    return {
        "server_to_client/snapshot.json": snapshot(seq=state.seq, state=state.to_dict()),
        "server_to_client/synced.json": synced(seq=state.seq),
    }


def write_golden(relative: str, msg: dict[str, Any]) -> None:
    """Write a golden the way they are committed: UTF-8, Chinese unescaped, 2-space indent."""
    (GOLDEN_DIR / relative).write_text(json.dumps(msg, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _main(argv: list[str]) -> int:
    if argv != ["regen-snapshot"]:
        print("usage: python -m tests.golden_helpers regen-snapshot", file=sys.stderr)
        return 2
    for relative, msg in rebuilt_snapshot_goldens().items():
        write_golden(relative, msg)
        print(f"wrote {relative}; review it with git diff before committing")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
