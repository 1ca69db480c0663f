"""What a seat window pays to read its files, the first time and from the per-process cache.

``python -m bench.file_cache [--repeat N]`` measures, best of N, in milliseconds:

* the destination rules: ``yaml.load`` of the file with PyYAML's pure-Python ``SafeLoader``
  (the bare library: the reference), :func:`app.dispatch.destination.load_rules` on a file
  first seen (parse + check, the cache bypassed) and from the cache (new rules built from
  the kept document);
* the city's router: ``numpy.load`` of every array in ``roads.graph.npz`` (the reference),
  :meth:`GraphRouter.for_city` on a file first seen (decode, turn graph, snapping index) and
  from the cache.

Ratios are against the bare library's read of the same file in the same run. No Qt.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import yaml

from app.dispatch import destination
from app.mapdata.city import DEFAULT_CITY_DIR
from app.routing.engine import GraphRouter
from app.routing.graph import GRAPH_FILE


def _best_ms(work: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best * 1000


def _touched(path: Path, load: Callable[[Path], object]) -> object:
    os.utime(path)
    return load(path)


def measure(repeat: int = 20) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench-file-cache-") as tmp:
        # Copies touched before each load are "first seen" every time: the caches never keep a
        # file changed less than filecache.RACY_S ago (a touch also changes its change time).
        fresh_rules = Path(tmp) / destination.DESTINATIONS_FILE
        shutil.copyfile(destination.RULES_FILE, fresh_rules)
        fresh_city = Path(tmp) / "city"
        fresh_city.mkdir()
        shutil.copyfile(DEFAULT_CITY_DIR / GRAPH_FILE, fresh_city / GRAPH_FILE)
        return _measure(repeat, fresh_rules, fresh_city)


def _measure(repeat: int, fresh_rules: Path, fresh_city: Path) -> dict[str, float]:
    rules_file = destination.RULES_FILE
    graph_file = DEFAULT_CITY_DIR / GRAPH_FILE
    text = rules_file.read_text(encoding="utf-8")

    def bare_npz() -> None:
        with np.load(graph_file, allow_pickle=False) as data:
            for key in data.files:
                data[key]

    # The shipped files are older than filecache.RACY_S: the first loads here keep them.
    destination.load_rules(rules_file)
    GraphRouter.for_city(DEFAULT_CITY_DIR, 1.2)
    figures = {
        "rules_yaml_safe_load_ms": _best_ms(lambda: yaml.load(text, Loader=yaml.SafeLoader), repeat),  # noqa: S506
        "rules_first_load_ms": _best_ms(lambda: _touched(fresh_rules, destination.load_rules), repeat),
        "rules_cached_load_ms": _best_ms(lambda: destination.load_rules(rules_file), repeat),
        "graph_np_load_ms": _best_ms(bare_npz, repeat),
        "router_first_load_ms": _best_ms(
            lambda: _touched(fresh_city / GRAPH_FILE, lambda _: GraphRouter.for_city(fresh_city, 1.2)), repeat),
        "router_cached_load_ms": _best_ms(lambda: GraphRouter.for_city(DEFAULT_CITY_DIR, 1.2), repeat),
    }
    figures["rules_cached_vs_yaml"] = figures["rules_cached_load_ms"] / figures["rules_yaml_safe_load_ms"]
    figures["rules_first_vs_yaml"] = figures["rules_first_load_ms"] / figures["rules_yaml_safe_load_ms"]
    figures["router_cached_vs_np_load"] = figures["router_cached_load_ms"] / figures["graph_np_load_ms"]
    figures["router_first_vs_np_load"] = figures["router_first_load_ms"] / figures["graph_np_load_ms"]
    return {k: round(v, 3) for k, v in figures.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.file_cache", description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="best of this many runs (default 20)")
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.repeat), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
