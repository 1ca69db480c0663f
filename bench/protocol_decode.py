"""Decode + validate time per frame: the typed wire schema (msgspec) against the old hand-written validator.

Both run in the same process on the same frames: every valid golden frame (the mix a server and
a seat see: hellos, commands, events, telemetry, snapshot) and a 2500-sample ECG chunk. The old
validator (``app/protocol`` at commit ``OLD_COMMIT``, before the Structs) is read from git into a
temporary package ``old_protocol`` (its ``app.protocol`` imports rewritten), so nothing of it stays
in the source tree. The bare ``orjson.loads`` of the same frames is measured too: what is left
above it is the cost of validation.

Event ``data`` and telemetry ``data`` are validated too (``validate_event`` / ``validate_telemetry``),
as the seat and the server do on receipt.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

OLD_COMMIT = "9756bdd"  # the last commit with the field-table validator (app/protocol/schema.py check_value)
ROOT = Path(__file__).resolve().parents[1]
OLD_MODULES = ("__init__", "caller_link", "codec", "dispatch", "errors", "features", "hospitals", "location",
               "messages", "prenotify", "responders", "schema", "telemetry", "triage")


def _load_old(tmp: Path) -> Any:
    package = tmp / "old_protocol"
    package.mkdir()
    for name in OLD_MODULES:
        text = subprocess.run(["git", "show", f"{OLD_COMMIT}:app/protocol/{name}.py"], cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout
        text = text.replace("from app.protocol.", "from old_protocol.").replace("from app.protocol import",
                                                                                "from old_protocol import")
        (package / f"{name}.py").write_text(text, encoding="utf-8")
    sys.path.insert(0, str(tmp))
    try:
        return importlib.import_module("old_protocol"), importlib.import_module("old_protocol.telemetry")
    finally:
        sys.path.remove(str(tmp))


def _frames() -> list[tuple[str, frozenset[str]]]:
    from tests.golden_helpers import valid_goldens

    frames = [(g.text, g.accepted_by) for g in valid_goldens()]
    from app.protocol import CLIENT_TYPES

    samples = [(i * 37) % 400 - 200 for i in range(2500)]
    ecg = {"v": 1, "type": "telemetry", "unit_id": "A01", "kind": "waveform", "t": "2026-11-27T02:14:45.000Z",
           "seq": 7, "data": {"channel": "ECG_II", "mdc_code": "MDC_ECG_ELEC_POTL_II", "start": "2026-11-27T02:14:40.000Z",
                              "period_ms": 2.0, "factor": 0.005, "origin": 0, "unit": "mV", "samples": samples,
                              "lead_off": False}}
    frames.append((orjson.dumps(ecg).decode(), CLIENT_TYPES))
    return frames


def _decode_all(protocol: Any, telemetry: Any, frames: list[tuple[str, frozenset[str]]]) -> None:
    for text, allowed in frames:
        msg = protocol.decode(text, allowed=allowed)
        if msg["type"] == "event":
            protocol.validate_event(msg["name"], msg["data"])
        elif msg["type"] == "telemetry":
            telemetry.validate_telemetry(msg)


def _time_per_frame(fn: Any, frames: list, rounds: int) -> float:
    fn()  # warm up (msgspec builds its type info on first use)
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(20):
            fn()
        best = min(best, (time.perf_counter() - t0) / (20 * len(frames)))
    return best * 1e6


def run(rounds: int = 5) -> dict[str, Any]:
    """Measure; returns µs per frame for bare orjson, the old validator and the typed schema."""
    import app.protocol as new_protocol
    import app.protocol.telemetry as new_telemetry

    frames = _frames()
    with tempfile.TemporaryDirectory() as tmp:
        old_protocol, old_telemetry = _load_old(Path(tmp))
        bare = _time_per_frame(lambda: [orjson.loads(t) for t, _ in frames], frames, rounds)
        old = _time_per_frame(lambda: _decode_all(old_protocol, old_telemetry, frames), frames, rounds)
        new = _time_per_frame(lambda: _decode_all(new_protocol, new_telemetry, frames), frames, rounds)
    return {"frames": len(frames), "old_commit": OLD_COMMIT, "bare_orjson_us": bare, "old_validator_us": old,
            "typed_schema_us": new, "old_over_new": old / new,
            "validation_old_us": old - bare, "validation_new_us": new - bare}


def render(r: dict[str, Any]) -> str:
    return (f"protocol_decode: {r['frames']} frames (every valid golden + a 2500-sample ECG chunk), best of runs\n"
            f"  bare orjson.loads        {r['bare_orjson_us']:8.2f} µs/frame\n"
            f"  old validator ({r['old_commit']}) {r['old_validator_us']:8.2f} µs/frame "
            f"(validation {r['validation_old_us']:.2f})\n"
            f"  typed schema (msgspec)   {r['typed_schema_us']:8.2f} µs/frame "
            f"(validation {r['validation_new_us']:.2f})\n"
            f"  old / new: {r['old_over_new']:.1f}×")


if __name__ == "__main__":
    print(render(run()))
