"""``admin verify`` over a long log: time and peak memory (``python -m bench verify``).

The log is the KPI benchmark's busy centre (``bench.kpi.write``: real event names and
data, written through ``server_stub.store.EventStore.commit``, which chains every event).
Then, each in a fresh child process (so its peak RSS is its own):

* **verify** — what ``dispatch120-server admin verify`` does after opening the database:
  ``server_stub.verify.open_log`` + ``server_stub.chain.verify`` over every event;
* **bare** — ``sqlite3`` reading the same rows in seq order and one ``hashlib.sha256`` per
  row over the previous digest and the stored columns as they are (no JSON decoding): the
  floor of any chain check. The ratio verify/bare is the figure to watch.

Peak memory is the child's ``VmHWM`` after the work minus after the imports (Linux): flat
in the log's length when verify streams.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import kpi

ROOT = Path(__file__).resolve().parents[1]

_CHILD = r"""
import json, sys, time

def hwm_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])

mode, db = sys.argv[1:3]
if mode == "verify":
    from server_stub import chain, verify
else:
    import hashlib, sqlite3
base = hwm_kb()
t0 = time.perf_counter()
if mode == "verify":
    source = verify.open_log(db)
    verdict = chain.verify(source.rows, sequence_end=source.sequence_end)
    source.close()
    summary = {"events": verdict.checked, "intact": verdict.intact}
else:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    digest, rows = b"0" * 64, 0
    for seq, ts, name, actor_id, actor_role, ref, data, _stored in conn.execute(
            "SELECT seq, ts, name, actor_id, actor_role, ref, data, chain_hash FROM events ORDER BY seq"):
        text = "\x1f".join((str(seq), ts, name, actor_id, actor_role, ref or "", data))
        digest = hashlib.sha256(digest + text.encode()).hexdigest().encode()
        rows += 1
    summary = {"events": rows}
took = time.perf_counter() - t0
print(json.dumps({"seconds": took, "peak_mb": (hwm_kb() - base) / 1024, **summary}))
"""


def _child(mode: str, db: Path) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-c", _CHILD, mode, str(db)], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def run(days: int = 30, rounds: int = 3) -> dict[str, Any]:
    """Write ``days`` of the busy centre, then time verify and the bare loop, best of ``rounds`` each."""
    results: dict[str, Any] = {"days": days}
    for label, span in (("short", max(1, days // 4)), ("long", days)):
        with tempfile.TemporaryDirectory(prefix="bench-verify-") as tmp:
            db = Path(tmp) / "events.sqlite"
            t0 = time.perf_counter()
            events = kpi.write(db, span)
            written_s = time.perf_counter() - t0
            verifies, bares = [], []
            for _ in range(rounds):  # alternated, so a change in the machine's load hits both alike
                verifies.append(_child("verify", db))
                bares.append(_child("bare", db))
            size_mb = db.stat().st_size / 1e6
        if not all(v["intact"] and v["events"] == events for v in verifies):
            raise RuntimeError(f"verify did not check all {events} events of a clean log: {verifies}")
        best = min(v["seconds"] for v in verifies)
        bare = min(b["seconds"] for b in bares)
        results[label] = {"days": span, "events": events, "db_mb": size_mb, "write_s": written_s,
                          "verify_s": best, "verify_peak_mb": max(v["peak_mb"] for v in verifies),
                          "bare_s": bare, "bare_peak_mb": max(b["peak_mb"] for b in bares),
                          "verify_events_per_s": events / best, "ratio": best / bare}
    return results


def render(r: dict[str, Any]) -> str:
    lines = [f"admin verify (hash chain) on the KPI benchmark's busy centre, {r['days']} days at most"]
    lines.append("                          events     MB   verify s  events/s  peak MB   bare s  peak MB  verify/bare")
    for label in ("short", "long"):
        x = r[label]
        lines.append(
            f"  {x['days']:3d} days {'':9s}{x['events']:10,d} {x['db_mb']:6.0f} {x['verify_s']:10.2f} "
            f"{x['verify_events_per_s']:9,.0f} {x['verify_peak_mb']:8.1f} {x['bare_s']:8.2f} "
            f"{x['bare_peak_mb']:8.1f} {x['ratio']:11.2f}×")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(run(int(sys.argv[1]) if len(sys.argv) > 1 else 7)))
