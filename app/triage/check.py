"""Whole-set checks and figures behind ``dispatch120 triage check`` (pure, no I/O but the load).

The schema and graph rules are enforced by :func:`app.triage.loader.load_protocol_set`;
this module adds the path enumeration the tests and the summary use.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from app.triage.loader import ProtocolSetError, load_protocol_set
from app.triage.model import Problem, Protocol, ProtocolSet


@dataclass(frozen=True, slots=True)
class PathEnd:
    """Where a path through one protocol ends: a determinant code or another protocol's id."""

    kind: str  # "determinant" or "complaint"
    target: str


def enumerate_paths(protocol: Protocol) -> Iterator[tuple[tuple[tuple[str, str], ...], PathEnd]]:
    """Every path from ``protocol.start``: ``(((question_id, answer_key), ...), end)``.

    Depth-first, in file order. The loader guarantees there are no loops, so this ends.
    """
    stack: list[tuple[str, tuple[tuple[str, str], ...]]] = [(protocol.start, ())]
    while stack:
        question_id, prefix = stack.pop()
        question = protocol.questions[question_id]
        for answer in reversed(question.answers):
            path = (*prefix, (question_id, answer.key))
            if answer.next is not None:
                stack.append((answer.next, path))
            elif answer.determinant is not None:
                yield path, PathEnd("determinant", answer.determinant)
            else:
                yield path, PathEnd("complaint", str(answer.complaint))


def check_directory(directory: Path | str) -> tuple[ProtocolSet | None, list[Problem]]:
    """Load ``directory``; returns ``(set, [])`` or ``(None, problems)``. Never raises for bad files."""
    try:
        return load_protocol_set(directory), []
    except ProtocolSetError as exc:
        return None, exc.problems


def summarize(protocol_set: ProtocolSet) -> dict[str, object]:
    """Counts for the ``check`` report: per protocol questions, determinants, paths, longest path."""
    rows = []
    for protocol in protocol_set.all_protocols():
        paths = list(enumerate_paths(protocol))
        rows.append({
            "id": protocol.id,
            "code": protocol.code,
            "version": protocol.version,
            "questions": len(protocol.questions),
            "determinants": len(protocol.determinants),
            "paths": len(paths),
            "longest_path": max((len(path) for path, _end in paths), default=0),
            "priorities": sorted({d.priority for d in protocol.determinants.values()}),
        })
    return {
        "version": protocol_set.version,
        "complaints": len(protocol_set.protocols),
        "plans": len(protocol_set.plans),
        "questions": sum(int(r["questions"]) for r in rows),  # type: ignore[call-overload]
        "determinants": sum(int(r["determinants"]) for r in rows),  # type: ignore[call-overload]
        "paths": sum(int(r["paths"]) for r in rows),  # type: ignore[call-overload]
        "protocols": rows,
    }
