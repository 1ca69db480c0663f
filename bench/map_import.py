"""``python -m bench map_import``: import the demo city, then time address search and reverse lookup.

Figures: import wall time and output size per file for ``monaco.osm.pbf``; latency
p50/p99 of :func:`app.mapdata.search.search` over typical typed queries and of
:func:`app.mapdata.search.nearest_street` over random positions in the city.
Runs in this process on a temporary directory (the shipped city is not touched).
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.stats import summary_ms

SOURCE = Path("/work/shared/data/monaco.osm.pbf")
QUERIES = ("blvd albert", "albert 1er", "princesse grace", "摩纳哥", "casino", "hopital", "医院", "rue grim",
           "bd de suisse", "12 albert", "av de la costa", "eze", "x", "monte carlo", "place du")


def run(source: Path = SOURCE, rounds: int = 20, positions: int = 2000) -> dict[str, Any]:
    from app.mapdata import import_city, load_city

    with tempfile.TemporaryDirectory(prefix="bench-map-") as tmp:
        result = import_city(source, Path(tmp) / "city")
        sizes = {p.name: p.stat().st_size for p in sorted(result.out_dir.iterdir())}
        city = load_city(result.out_dir)
        try:
            search_s = []
            for _ in range(rounds):
                for query in QUERIES:
                    t0 = time.perf_counter()
                    city.search(query)
                    search_s.append(time.perf_counter() - t0)
            rng = random.Random(120)
            (s, w), (n, e) = city.bounds
            reverse_s = []
            for _ in range(positions):
                lat, lon = rng.uniform(s, n), rng.uniform(w, e)
                t0 = time.perf_counter()
                city.nearest_street(lat, lon)
                reverse_s.append(time.perf_counter() - t0)
        finally:
            city.close()
    return {"source": str(source), "source_bytes": source.stat().st_size, "import_s": result.seconds,
            "total_bytes": result.total_bytes, "files": sizes, "search": summary_ms(search_s),
            "reverse": summary_ms(reverse_s)}


def render(r: dict[str, Any]) -> str:
    lines = [f"map import of {Path(r['source']).name} ({r['source_bytes'] / 1e6:.1f} MB): "
             f"{r['import_s']:.1f} s, output {r['total_bytes'] / 1e6:.2f} MB"]
    lines += [f"  {name:<18} {size / 1e6:6.2f} MB" for name, size in r["files"].items()]
    for key in ("search", "reverse"):
        f = r[key]
        lines.append(f"  {key:<8} p50 {f['p50_ms']:.2f} ms  p99 {f['p99_ms']:.2f} ms  max {f['max_ms']:.2f} ms "
                     f"(n={f['n']})")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(run()))
