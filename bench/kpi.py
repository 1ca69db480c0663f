"""KPI report time and peak memory on a generated log (``python -m bench kpi``).

A busy centre (default 4,100 calls and ~1,370 incidents a day: 1.5 million calls and 500,000
incidents a year) is generated day by day with the real event names and data, every event
checked by ``app.protocol.validate_event``, stamped in time order and written into a real
SQLite event store (``server_stub.store.EventStore``, migrated schema, ``commit`` in batches).
Then, each in a fresh child process (so its peak RSS is its own):

* **report** — ``app.records.kpi.kpi_report`` over the whole log (fold + every grouping, station included);
* **bare** — ``sqlite3`` reading the same rows (``name IN (…)``, in seq order) and ``orjson.loads``
  of each ``data``: the floor any reader pays. The ratio report/bare is the figure to watch.

Peak memory is the child's ``VmHWM`` after the work minus ``VmHWM`` after the imports (Linux).
"""

from __future__ import annotations

import json
import math
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIRST_DAY = date(2026, 1, 1)
CALLS_PER_DAY = 4100
INCIDENT_SHARE = 1 / 3
UNITS = 120
SEATS = 16


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _day_events(rng: random.Random, day: date, unit_free: list[datetime], unit_version: list[int],
                counter: list[int]) -> list[tuple]:
    """(ts, order, name, actor, data) of one day's calls and incidents (unsorted)."""
    out: list[tuple] = []
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=8)  # Beijing midnight

    def add(moment: datetime, name: str, data: dict[str, Any], actor: str = "seat-1", role: str = "seat") -> None:
        counter[0] += 1
        out.append((moment, counter[0], name, actor, role, data))

    # In time order, so that a unit is only sent when it is free at that moment.
    for offered in sorted(midnight + timedelta(seconds=rng.uniform(0, 86_400)) for _ in range(CALLS_PER_DAY)):
        counter[1] += 1
        call_id = f"C{counter[1]:09d}"
        seat_id = f"seat-{rng.randrange(SEATS) + 1}"
        add(offered, "call.received", {"call_id": call_id, "caller_number": "13800138000", "caller_name": None,
                                       "location_text": None, "line": None, "locations": None}, "pbx-1", "switch")
        ring = offered + timedelta(seconds=0.2)
        add(ring, "call.ringing", {"call_id": call_id, "seat_id": seat_id}, "system", "system")
        if rng.random() < 0.03:
            add(offered + timedelta(seconds=rng.uniform(2, 30)), "call.abandoned", {"call_id": call_id},
                "pbx-1", "switch")
            continue
        answered = offered + timedelta(seconds=rng.expovariate(1 / 5))
        add(answered, "call.answered", {"call_id": call_id, "seat_id": seat_id}, seat_id)
        add(answered + timedelta(seconds=rng.uniform(60, 240)), "call.ended", {"call_id": call_id}, seat_id)
        if rng.random() >= INCIDENT_SHARE * 1.03:
            continue
        incident_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        created = answered + timedelta(seconds=rng.uniform(10, 60))
        add(created, "incident.created", {"incident_id": incident_id, "call_id": call_id, "seat_id": seat_id,
                                          "address": "重庆市渝中区民族路166号", "priority": rng.choice((1, 2, 3))},
            seat_id)
        t = created
        for question in ("conscious", "breathing_normally", "chief_complaint"):
            t += timedelta(seconds=rng.uniform(5, 15))
            add(t, "triage.answered", {"incident_id": incident_id, "protocol": "case_entry",
                                       "protocol_version": "2026.11", "question": question, "answer": "yes"}, seat_id)
        arrest = rng.random() < 0.01
        if arrest:
            add(t, "triage.arrest_recognised", {"incident_id": incident_id, "at": _ts(t), "priority": None,
                                                "plan": None, "capability": None}, seat_id)
            add(t + timedelta(seconds=20), "cpr.started", {"incident_id": incident_id, "rate_per_min": 110,
                                                           "variant": "adult"}, seat_id)
        t += timedelta(seconds=5)
        priority = 1 if arrest else rng.choice((1, 2, 3, 4))
        add(t, "triage.completed", {"incident_id": incident_id, "protocol": "chest_pain",
                                    "protocol_version": "2026.11", "determinant": f"10-{'EDCBA'[priority]}-1",
                                    "priority": priority, "plan": "als_emergency", "capability": "als",
                                    "cpr": arrest}, seat_id)
        assigned = created + timedelta(seconds=rng.uniform(20, 120))
        start = rng.randrange(UNITS)
        unit = next((u % UNITS for u in range(start, start + UNITS) if unit_free[u % UNITS] <= assigned), None)
        if unit is None:
            add(assigned + timedelta(hours=1), "incident.closed", {"incident_id": incident_id, "reason": "duplicate",
                                                                 "note": None}, seat_id)
            continue
        unit_id = f"A{unit:03d}"
        version = unit_version[unit]
        add(assigned, "unit.assigned", {"incident_id": incident_id, "unit_id": unit_id, "version": version + 1},
            seat_id)
        steps = ["en_route", "on_scene"]
        outcome = rng.random()
        if outcome < 0.08:
            steps, reason = ["en_route"], "cancelled"
        elif outcome < 0.15:
            reason = "no_patient_found"
        elif outcome < 0.25:
            reason = "treated_on_scene"
        else:
            steps += ["transporting", "at_hospital"]
            reason = "transported"
        steps.append("available")
        previous, t = "dispatched", assigned
        for step in steps:
            t += timedelta(seconds=rng.uniform(30, 150) if step == "en_route" else rng.uniform(300, 1200))
            version += 1
            add(t, "unit.status_changed", {"unit_id": unit_id, "status": step, "previous": previous,
                                           "incident_id": incident_id, "version": version, "manual": False},
                f"dev-{unit_id}", "device")
            if step == "transporting" and priority == 1 and rng.random() < 0.6:
                add(t + timedelta(seconds=60), "prenotify.sent", {
                    "prenotify_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "incident_id": incident_id,
                    "hospital_id": "H1", "unit_id": unit_id, "eta_s": 600, "complaint": "chest_pain",
                    "has_vitals": True, "has_ecg": False}, seat_id)
            previous = step
        unit_free[unit], unit_version[unit] = t, version
        add(t + timedelta(seconds=30), "incident.closed", {"incident_id": incident_id, "reason": reason,
                                                           "note": None}, seat_id)
    return out


def generate(days: int, seed: int = 120) -> Iterator[dict[str, Any]]:
    """Event messages of ``days`` busy days from :data:`FIRST_DAY`, in time order, validated."""
    import heapq

    from app.protocol import event, validate_event

    rng = random.Random(seed)
    unit_free = [datetime(2000, 1, 1, tzinfo=UTC)] * UNITS
    unit_version = [0] * UNITS
    counter = [0, 0]
    pending: list[tuple] = []
    seq = 0
    registered = datetime.combine(FIRST_DAY, datetime.min.time(), UTC) - timedelta(days=1)
    for unit in range(UNITS):  # the registry: 120 ambulances at 12 stations
        data = {"unit_id": f"A{unit:03d}", "call_sign": f"急救{unit}", "station_id": f"ST-{unit % 12:02d}",
                "capability": "als"}
        validate_event("unit.registered", data)
        seq += 1
        yield event(seq=seq, ts=_ts(registered), name="unit.registered", actor={"id": "admin", "role": "admin"},
                    ref=None, data=data)
    for i in range(days + 1):
        if i < days:
            for item in _day_events(rng, FIRST_DAY + timedelta(days=i), unit_free, unit_version, counter):
                heapq.heappush(pending, item)
            horizon = datetime.combine(FIRST_DAY + timedelta(days=i + 1), datetime.min.time(), UTC) - timedelta(hours=8)
        else:
            horizon = datetime.max.replace(tzinfo=UTC)
        while pending and pending[0][0] < horizon:
            moment, _order, name, actor, role, data = heapq.heappop(pending)
            validate_event(name, data)
            seq += 1
            yield event(seq=seq, ts=_ts(moment), name=name, actor={"id": actor, "role": role}, ref=None, data=data)


def write(path: Path | str, days: int) -> int:
    """Generate ``days`` days into a new event store at ``path`` (SQLite) or a database URL; returns the event count."""
    from server_stub.store import Batch, EventStore

    store = EventStore(path)
    written = 0
    batch: list[dict[str, Any]] = []
    try:
        for msg in generate(days):
            batch.append(msg)
            if len(batch) == 50_000:
                store.commit(Batch(expected_seq=written, events=batch))
                written += len(batch)
                batch = []
        if batch:
            store.commit(Batch(expected_seq=written, events=batch))
            written += len(batch)
    finally:
        store.close()
    return written


_CHILD = r"""
import json, sys, time

def hwm_kb():
    # VmHWM, not ru_maxrss: a child's ru_maxrss starts at its parent's peak (fork), VmHWM at exec.
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])

mode, db, first, last = sys.argv[1:5]
if mode == "report":
    from app.records.kpi import kpi_report
else:
    import sqlite3, orjson
    from app.records.kpi import KPI_EVENTS
base = hwm_kb()
t0 = time.perf_counter()
if mode == "report":
    r = kpi_report(db, first, last)
    summary = {"calls": r["overall"]["calls_offered"], "incidents": r["overall"]["incidents"]}
elif "://" in db:  # PostgreSQL: psycopg, a server-side cursor, the JSON as text decoded by orjson
    import psycopg
    conn = psycopg.connect(db.replace("postgresql+psycopg://", "postgresql://"))
    rows = 0
    with conn.cursor(name="bare") as cur:
        cur.itersize = 20000
        cur.execute("SELECT name, ts, data::text FROM events WHERE name = ANY(%s) ORDER BY seq", (list(KPI_EVENTS),))
        for name, ts, data in cur:
            orjson.loads(data)
            rows += 1
    conn.close()
    summary = {"rows": rows}
else:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    marks = ",".join("?" * len(KPI_EVENTS))
    rows = 0
    for name, ts, data in conn.execute(
            f"SELECT name, ts, data FROM events WHERE name IN ({marks}) ORDER BY seq", KPI_EVENTS):
        orjson.loads(data)
        rows += 1
    summary = {"rows": rows}
took = time.perf_counter() - t0
peak = hwm_kb()
print(json.dumps({"seconds": took, "peak_mb": (peak - base) / 1024, **summary}))
"""


def _child(mode: str, db: Path | str, first: str, last: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-c", _CHILD, mode, str(db), first, last], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def run(days: int = 7, rounds: int = 2, *, postgres: bool = False) -> dict[str, Any]:
    """The report and the bare read on SQLite; with ``postgres`` the same log written to a throw-away
    PostgreSQL cluster too (``result["postgresql"]``; skipped with the reason when none is installed)."""
    with tempfile.TemporaryDirectory(prefix="bench-kpi-") as tmp:
        db = Path(tmp) / "events.sqlite"
        result = _measure(db, days, rounds, lambda: db.stat().st_size / 1e6)
    if postgres:
        from bench.durable import _postgres

        try:
            with _postgres() as cluster:
                url = cluster.create_database()
                result["postgresql"] = _measure(url, days, rounds, lambda: math.nan)
        except Exception as exc:  # no PostgreSQL here: say so, keep the SQLite figures
            result["postgresql"] = {"skipped": f"{exc.__class__.__name__}: {exc}"}
    return result


def _measure(db: Path | str, days: int, rounds: int, size_mb: Callable[[], float]) -> dict[str, Any]:
    t0 = time.perf_counter()
    events = write(db, days)
    written_s = time.perf_counter() - t0
    first, last = FIRST_DAY.isoformat(), (FIRST_DAY + timedelta(days=days - 1)).isoformat()
    reports = [_child("report", db, first, last) for _ in range(rounds)]
    bares = [_child("bare", db, first, last) for _ in range(rounds)]
    summary = _summary(days, events, size_mb(), written_s, reports, bares)
    # The tamper-evident chain over the same log: dispatch120-server admin verify, as IT runs it.
    t1 = time.perf_counter()
    verified = subprocess.run([sys.executable, "-m", "server_stub", "admin", "--db", str(db), "verify"], cwd=ROOT,
                              capture_output=True, text=True)
    summary["verify_s"] = time.perf_counter() - t1
    summary["verify_ok"] = verified.returncode == 0
    return summary


def _summary(days: int, events: int, size_mb: float, written_s: float, reports: list[dict[str, Any]],
             bares: list[dict[str, Any]]) -> dict[str, Any]:
    best = min(reports, key=lambda r: r["seconds"])
    bare = min(bares, key=lambda r: r["seconds"])
    return {"days": days, "events": events, "db_mb": size_mb, "generate_and_write_s": written_s,
            "calls": best["calls"], "incidents": best["incidents"], "report_s": best["seconds"],
            "report_peak_mb": max(r["peak_mb"] for r in reports), "bare_s": bare["seconds"],
            "bare_rows": bare["rows"], "bare_peak_mb": max(b["peak_mb"] for b in bares),
            "ratio": best["seconds"] / bare["seconds"]}


def render(r: dict[str, Any]) -> str:
    return "\n".join([
        f"KPI report on {r['days']} generated days: {r['events']:,} events ({r['db_mb']:.0f} MB SQLite), "
        f"{r['calls']:,} calls, {r['incidents']:,} incidents; generated and written in {r['generate_and_write_s']:.1f} s",
        f"  report (fold + 7 groupings)  {r['report_s']:7.2f} s   peak +{r['report_peak_mb']:.0f} MB",
        f"  bare sqlite3 + orjson        {r['bare_s']:7.2f} s   peak +{r['bare_peak_mb']:.0f} MB"
        f"   ({r['bare_rows']:,} rows)",
        f"  report / bare                {r['ratio']:7.2f}×",
        f"  admin verify (whole chain)   {r['verify_s']:7.2f} s   {'intact' if r['verify_ok'] else 'FAILED'}",
        *_render_postgres(r.get("postgresql")),
    ])


def _render_postgres(pg: dict[str, Any] | None) -> list[str]:
    if pg is None:
        return []
    if "skipped" in pg:
        return [f"  PostgreSQL: skipped ({pg['skipped']})"]
    return [
        f"  PostgreSQL: {pg['events']:,} events written in {pg['generate_and_write_s']:.1f} s",
        f"  report (fold + 7 groupings)  {pg['report_s']:7.2f} s   peak +{pg['report_peak_mb']:.0f} MB",
        f"  bare psycopg + orjson        {pg['bare_s']:7.2f} s   peak +{pg['bare_peak_mb']:.0f} MB"
        f"   ({pg['bare_rows']:,} rows)",
        f"  report / bare                {pg['ratio']:7.2f}×",
        f"  admin verify (whole chain)   {pg['verify_s']:7.2f} s   {'intact' if pg['verify_ok'] else 'FAILED'}",
    ]


if __name__ == "__main__":
    # python -m bench.kpi [DAYS] [--postgres] [--rounds N] [--out FILE.json]
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench.kpi")
    parser.add_argument("days", nargs="?", type=int, default=7, help="generated days (365: a year)")
    parser.add_argument("--postgres", action="store_true", help="also on a throw-away PostgreSQL cluster")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", type=Path, help="write the figures as JSON too")
    options = parser.parse_args()
    figures = run(options.days, options.rounds, postgres=options.postgres)
    print(render(figures))
    if options.out:
        options.out.write_text(json.dumps(figures, indent=2), encoding="utf-8")
