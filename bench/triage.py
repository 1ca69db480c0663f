"""Triage benchmark: protocol-set load time, and how many answers (keystrokes in the
engine: one per question actually asked) take a vignette from the first question to its
determinant. The widget engineer adds the GUI keystroke counts and simulated seconds.

Pure Python in this process (no server). ``run()`` returns the figures; ``render()`` the table.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

from app.triage import DEFAULT_PROTOCOL_DIR, TriageSession, load_protocol_set

# Each vignette answers the questions the engine actually asks, in order (carried answers
# are not asked, so not counted).
VIGNETTES: dict[str, tuple[str, ...]] = {
    # address, callback, "collapsed" → conscious? no → breathing normally? no (arrest) → age
    "cardiac_arrest": ("confirmed", "confirmed", "collapsed", "no", "no", "adult"),
    # full case entry, awake, no breathing difficulty → stroke → face, arm, speech each abnormal →
    # no diabetes → last seen well within 4.5 h (seizure and blood thinner are follow-ups, asked
    # after the determinant for the hospital)
    "stroke": ("confirmed", "confirmed", "described", "older", "male", "yes", "no", "stroke", "yes", "yes", "yes",
               "no", "within_4_5h"),
    # full case entry → traffic collision → one or two hurt → someone trapped
    "traffic_collision": ("confirmed", "confirmed", "described", "adult", "male", "yes", "no",
                          "traffic_collision", "one_or_two", "yes"),
    # arrests by cause: what happened → scene safe (hazards only) → not awake → not breathing → age
    "arrest_drowning": ("confirmed", "confirmed", "drowning", "safe", "no", "no", "adult"),
    "arrest_hanging": ("confirmed", "confirmed", "hanging", "no", "no", "adult"),
    "arrest_child": ("confirmed", "confirmed", "collapsed", "no", "no", "child"),
    "arrest_electric": ("confirmed", "confirmed", "electrocution", "safe", "no", "no", "adult"),
    "arrest_collision": ("confirmed", "confirmed", "traffic_collision", "safe", "no", "unsure", "adult"),
}


def _play(protocol_set: Any, keys: tuple[str, ...]) -> dict[str, Any]:
    session = TriageSession(protocol_set)
    arrest_at = None
    for count, key in enumerate(keys, start=1):
        session.answer(key)
        if arrest_at is None and session.arrest_recognised:
            arrest_at = count
    if session.result is None:
        raise RuntimeError(f"vignette stops short at {session.protocol.id}/{session.current.id if session.current else '-'}")
    return {
        "answers_to_determinant": len(keys),
        "answers_to_arrest_recognition": arrest_at,
        "carried_answers": sum(1 for step in session.steps if step.carried),
        "determinant": session.result.code,
        "priority": session.result.priority,
        "cpr": session.result.cpr,
    }


def run(loads: int = 20, directory: Path = DEFAULT_PROTOCOL_DIR) -> dict[str, Any]:
    """Load the protocol set ``loads`` times (ms figures) and play the vignettes.

    Raises:
        ProtocolSetError: the protocol directory is not valid.
    """
    times_ms = []
    protocol_set = None
    for _ in range(max(1, loads)):
        t0 = time.perf_counter()
        protocol_set = load_protocol_set(directory)
        times_ms.append((time.perf_counter() - t0) * 1000)
    assert protocol_set is not None
    files = sum(1 for p in Path(directory).iterdir() if p.suffix == ".yaml")
    return {
        "directory": str(directory),
        "files": files,
        "protocol_set_version": protocol_set.version,
        "load_ms": {"p50_ms": statistics.median(times_ms), "min_ms": min(times_ms), "max_ms": max(times_ms),
                    "runs": len(times_ms)},
        "vignettes": {name: _play(protocol_set, keys) for name, keys in VIGNETTES.items()},
    }


def render(result: dict[str, Any]) -> str:
    load = result["load_ms"]
    lines = [
        f"Triage: protocol set ({result['files']} files, version {result['protocol_set_version']})",
        f"  load + validate: p50 {load['p50_ms']:.1f} ms, min {load['min_ms']:.1f}, max {load['max_ms']:.1f} "
        f"({load['runs']} loads)",
        f"  {'vignette':<20}{'answers':>8}{'arrest at':>10}{'carried':>9}  determinant",
    ]
    for name, v in result["vignettes"].items():
        arrest = v["answers_to_arrest_recognition"]
        lines.append(f"  {name:<20}{v['answers_to_determinant']:>8}{arrest if arrest else '-':>10}"
                     f"{v['carried_answers']:>9}  {v['determinant']} (priority {v['priority']}"
                     f"{', CPR' if v['cpr'] else ''})")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(run()))
