"""Incident search and record opening on a generated log (``python -m bench records``).

The log is ``bench/kpi.py``'s busy centre (4,100 calls and ~1,370 incidents a day, real event
types, a real migrated SQLite event store). Timed in this process, best of ``rounds``, each
against the bare library doing the same reading in the same run:

* **search one day** — ``app.records.incident.search`` with a phone number and one local day,
  against bare ``sqlite3`` reading the same rows (search's event names, the day ± 24 h) with
  ``orjson.loads`` of each;
* **search the whole log** — by unit, no dates: every search event of the log, against the bare
  read of the same rows;
* **open one incident** — ``read_incident`` (two scans: the incident's events and the registry,
  then its call's; decode, typed validation, projection, record), against one bare ``sqlite3``
  scan ``data LIKE '%<incident id>%'``.

The event table has no index on ``name``, ``ts`` or the data, so every figure is a table scan
and grows with the log; the ratios say what the records code adds to that scan.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from bench import kpi as generated


def _best(fn: Callable[[], Any], rounds: int) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(rounds):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _bare_rows(db: Path, names: tuple[str, ...], since: str | None = None, until: str | None = None) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        where = f"name IN ({','.join('?' * len(names))})"
        params: list[str] = list(names)
        if since is not None and until is not None:
            where += " AND ts >= ? AND ts < ?"
            params += [since, until]
        rows = 0
        for _name, _ts, data in conn.execute(f"SELECT name, ts, data FROM events WHERE {where} ORDER BY seq", params):
            orjson.loads(data)
            rows += 1
        return rows
    finally:
        conn.close()


def _bare_like(db: Path, text: str) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT seq, data FROM events WHERE data LIKE ? ORDER BY seq", (f"%{text}%",)).fetchall()
        for _seq, data in rows:
            orjson.loads(data)
        return len(rows)
    finally:
        conn.close()


def run(days: int = 30, rounds: int = 2) -> dict[str, Any]:
    from app.protocol import format_ts
    from app.records.incident import SEARCH_EVENTS, Criteria, parse_day, read_incident, search
    from app.records.kpi import FOLLOW_UP, LOOK_BACK

    with tempfile.TemporaryDirectory(prefix="bench-records-") as tmp:
        db = Path(tmp) / "events.sqlite"
        t0 = time.perf_counter()
        events = generated.write(db, days)
        written_s = time.perf_counter() - t0
        conn = sqlite3.connect(db)
        middle = conn.execute("SELECT data FROM events WHERE name = 'incident.created' AND seq > ? ORDER BY seq "
                              "LIMIT 1", (events // 2,)).fetchone()[0]
        conn.close()
        incident_id = orjson.loads(middle)["incident_id"]
        day = generated.FIRST_DAY + timedelta(days=days // 2)
        criteria_day = Criteria(phone="13800138000", first=parse_day(day.isoformat(), "--from"),
                                last=parse_day(day.isoformat(), "--to"))
        start = datetime.combine(day, dtime(0), ZoneInfo("Asia/Shanghai")).astimezone(UTC)
        since, until = format_ts(start - LOOK_BACK), format_ts(start + timedelta(days=1) + FOLLOW_UP)
        names = (*SEARCH_EVENTS, "unit.registered")

        search_day_s, hits_day = _best(lambda: search(db, criteria_day), rounds)
        bare_day_s, rows_day = _best(lambda: _bare_rows(db, names, since, until), rounds)
        search_all_s, hits_all = _best(lambda: search(db, Criteria(unit="A005")), rounds)
        bare_all_s, rows_all = _best(lambda: _bare_rows(db, names), rounds)
        open_s, record = _best(lambda: read_incident(db, incident_id), rounds)
        bare_like_s, like_rows = _best(lambda: _bare_like(db, incident_id), rounds)
        size_mb = db.stat().st_size / 1e6
    return {
        "days": days, "events": events, "db_mb": size_mb, "generate_and_write_s": written_s,
        "search_day_s": search_day_s, "search_day_hits": len(hits_day), "bare_day_s": bare_day_s,
        "bare_day_rows": rows_day, "search_day_ratio": search_day_s / bare_day_s,
        "search_all_s": search_all_s, "search_all_hits": len(hits_all), "bare_all_s": bare_all_s,
        "bare_all_rows": rows_all, "search_all_ratio": search_all_s / bare_all_s,
        "open_s": open_s, "open_timeline": len(record["timeline"]), "bare_like_s": bare_like_s,
        "bare_like_rows": like_rows, "open_ratio": open_s / bare_like_s,
    }


def render(r: dict[str, Any]) -> str:
    return "\n".join([
        f"Incident records on {r['days']} generated days: {r['events']:,} events ({r['db_mb']:.0f} MB SQLite); "
        f"generated and written in {r['generate_and_write_s']:.1f} s",
        f"  search one day (phone)        {r['search_day_s']:7.3f} s  ({r['search_day_hits']:,} hits)   "
        f"bare {r['bare_day_s']:7.3f} s ({r['bare_day_rows']:,} rows)   {r['search_day_ratio']:5.2f}×",
        f"  search whole log (unit)       {r['search_all_s']:7.3f} s  ({r['search_all_hits']:,} hits)   "
        f"bare {r['bare_all_s']:7.3f} s ({r['bare_all_rows']:,} rows)   {r['search_all_ratio']:5.2f}×",
        f"  open one incident (record)    {r['open_s']:7.3f} s  ({r['open_timeline']} events)   "
        f"bare LIKE scan {r['bare_like_s']:7.3f} s ({r['bare_like_rows']} rows)   {r['open_ratio']:5.2f}×",
    ])


if __name__ == "__main__":
    print(render(run(int(sys.argv[1]) if len(sys.argv) > 1 else 7)))
