"""``python -m bench address_search``: the seat's address search and reverse lookup on a city of a million addresses.

A generated city (:func:`app.mapdata.address_index.generate_city`: ``--addresses`` houses on
1 % as many straight streets, four in five Chinese) goes through the real import
(:func:`app.mapdata.importer.import_extract` with the basemap, street index and address index
builders), is opened with :func:`app.mapdata.load_city` and asked through the seat's own
:class:`widgets.location_panel.CityLookup` — what the seat's address worker thread calls. Next to it,
in the same run and on the same files:

* the seat before the address index: the same ``CityLookup`` with its city's ``addresses`` set to
  None (every address found by SQLite's trigram FTS and ``LIKE``, as ``app.mapdata.search`` did);
* the bare libraries: one FTS5 trigram ``MATCH`` of the typed text, ``LIMIT 10``, no ranking (the
  SQLite floor); one ``cKDTree.query`` over the address points (the spatial floor).

Queries: what a dispatcher types — the first 2-8 characters of a Chinese address ("人民建设路1"),
a Chinese street without its first characters ("建设路12号", the suffix a caller says), and the first
4-11 characters of a Latin address ("12 Rue V"); reverse lookups at random points of the city.
Runs in this process on a temporary directory.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any


def _quantile_ms(values: list[float], quantile: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * quantile))] * 1e3


def _timed(call: Callable[[Any], Any], args: Sequence[Any]) -> list[float]:
    out = []
    for arg in args:
        t0 = time.perf_counter()
        call(arg)
        out.append(time.perf_counter() - t0)
    return out


def _figures(times: list[float]) -> dict[str, float]:
    return {"p50_ms": _quantile_ms(times, 0.5), "p99_ms": _quantile_ms(times, 0.99), "max_ms": max(times) * 1e3,
            "median_s": statistics.median(times)}


def typed_queries(city: Any, queries: int, seed: int) -> dict[str, list[str]]:
    """Typed text by kind: Chinese prefixes, Chinese suffixes, Latin prefixes (``queries`` each)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    zh = [i for i in rng.integers(0, len(city.labels), queries * 4).tolist()
          if "\u4e00" <= city.labels[i][0] <= "\u9fff"][:queries]
    latin = [i for i in rng.integers(0, len(city.labels), queries * 12).tolist()
             if not "\u4e00" <= city.labels[i][0] <= "\u9fff"][:queries]
    return {
        "zh_prefix": [city.labels[i][: 2 + i % 7] for i in zh],
        "zh_suffix": [city.labels[i][2 + i % 2:] for i in zh],
        "latin_prefix": [city.labels[i][: 4 + i % 8] for i in latin],
    }


def run(count: int = 1_000_000, queries: int = 300, positions: int = 2000, seed: int = 7) -> dict[str, Any]:
    import numpy as np
    from scipy.spatial import cKDTree

    from app.mapdata.address_index import generate_city
    from app.mapdata.importer import AddressIndexBuilder, BasemapBuilder, IndexBuilder, import_extract
    from app.mapdata.text import normalize
    from widgets.location_panel import CityLookup

    city = generate_city(count, seed=seed)
    extract = city.extract()
    seconds: dict[str, float] = {}

    class _Timed:
        def __init__(self, builder: Any) -> None:
            self.builder, self.name = builder, builder.name

        def build(self, ex: Any, out_dir: Path) -> dict[str, Any]:
            t0 = time.perf_counter()
            part = self.builder.build(ex, out_dir)
            seconds[self.name] = time.perf_counter() - t0
            return part

    result: dict[str, Any] = {"addresses": count, "streets": len(city.street_names)}
    with tempfile.TemporaryDirectory(prefix="bench-addresses-") as tmp:
        out = Path(tmp) / "city"
        imported = import_extract(extract, out, "generated", tuple(_Timed(b) for b in (
            BasemapBuilder(), IndexBuilder(), AddressIndexBuilder())))
        result["import_s"] = imported.seconds
        result["index_build_s"] = seconds["index"]
        result["address_index_build_s"] = seconds["address_index"]
        result["address_index_mb"] = imported.meta["address_index"]["bytes"] / 1e6
        t0 = time.perf_counter()
        seat = CityLookup(out)
        assert seat.available() and seat.city.addresses is not None
        result["open_ms"] = (time.perf_counter() - t0) * 1e3
        before = CityLookup(out)
        assert before.available()
        before.city.addresses = None  # the seat as it was: SQLite answers for the addresses too
        bare_db = sqlite3.connect(f"file:{out / 'index.sqlite'}?mode=ro", uri=True)

        def bare_fts(text: str) -> None:
            typed = normalize(text)
            if len(typed) >= 3:  # the trigram tokenizer cannot match fewer characters
                bare_db.execute("SELECT rowid FROM entry_fts WHERE entry_fts MATCH ? LIMIT 10",
                                ('"' + typed.replace('"', '""') + '"',)).fetchall()

        searches: dict[str, Any] = {}
        for kind, typed in typed_queries(city, queries, seed).items():
            for text in typed[:20]:  # warm the page cache the same for each
                seat.search(text)
                before.search(text)
                bare_fts(text)
            found = sum(any(text.replace("号", "") in r.name for r in seat.search(text)) for text in typed)
            searches[kind] = {"examples": typed[:3], "found_share": found / len(typed),
                              "seat": _figures(_timed(seat.search, typed)),
                              "before": _figures(_timed(before.search, typed)),
                              "bare_fts": _figures(_timed(bare_fts, typed))}
        result["search"] = searches
        bare_db.close()

        rng = np.random.default_rng(seed + 1)
        points = list(zip(rng.uniform(city.lat.min(), city.lat.max(), positions).tolist(),
                          rng.uniform(city.lon.min(), city.lon.max(), positions).tolist(), strict=True))
        t0 = time.perf_counter()
        seat.nearest(*points[0])
        result["first_nearest_street_ms"] = (time.perf_counter() - t0) * 1e3
        index = seat.city.addresses
        tree = cKDTree(np.column_stack([city.lon * index.kx, city.lat * index.ky]))
        result["reverse"] = {
            "nearest_street": _figures(_timed(lambda p: seat.nearest(*p), points)),
            "nearest_address": _figures(_timed(lambda p: seat.nearest_address(*p, 100.0), points)),
            "nearest_address_before": _figures(_timed(lambda p: before.nearest_address(*p, 100.0),
                                                      points[: max(1, positions // 20)])),
            "bare_kdtree": _figures(_timed(lambda p: tree.query((p[1] * index.kx, p[0] * index.ky)), points)),
        }
        seat.city.close()
        before.city.close()
    return result


def render(result: dict[str, Any]) -> str:
    lines = [f"address search, {result['addresses']:,} generated addresses on {result['streets']:,} streets: import "
             f"{result['import_s']:.1f} s (street index {result['index_build_s']:.1f} s, address index "
             f"{result['address_index_build_s']:.1f} s, {result['address_index_mb']:.0f} MB); seat opens the city "
             f"in {result['open_ms']:.0f} ms", "  search p50 / p99 ms: seat | seat before | bare FTS5 MATCH"]
    for kind, s in result["search"].items():
        seat, before, bare = s["seat"], s["before"], s["bare_fts"]
        lines.append(f"    {kind:13s} {seat['p50_ms']:6.2f} / {seat['p99_ms']:6.1f} | {before['p50_ms']:6.2f} / "
                     f"{before['p99_ms']:6.1f} | {bare['p50_ms']:6.2f} / {bare['p99_ms']:6.1f}   "
                     f"found {100 * s['found_share']:.0f} %  e.g. {', '.join(s['examples'])}")
    r = result["reverse"]
    lines.append(f"  reverse p50 / p99 ms (first nearest street {result['first_nearest_street_ms']:.0f} ms):")
    for key in ("nearest_street", "nearest_address", "nearest_address_before", "bare_kdtree"):
        lines.append(f"    {key:23s} {r[key]['p50_ms']:7.3f} / {r[key]['p99_ms']:7.3f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--addresses", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300, help="typed texts of each kind")
    args = parser.parse_args(argv)
    print(render(run(args.addresses, args.queries)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
