"""``dispatch120 map import``: an OSM extract → a city directory the seat loads.

The pipeline: :func:`~app.mapdata.osm.read_extract` reads the file once into an
:class:`~app.mapdata.osm.Extract`; then each **builder** in :data:`BUILDERS` writes its
files into a fresh temporary directory next to the destination and returns its part
of ``meta.json``; at the end the directory is renamed into place (an existing city
directory is swapped out and removed only after the new one is in place). If
anything fails, the temporary directory is removed: no partial output is left.

A builder is anything with a ``name`` and ``build(extract, out_dir) -> dict``
(:class:`Builder`). The road graphs for routing plug in here: :class:`RoadGraphBuilder`
reads ``extract.roads`` (OSM node ids, coordinates, ``oneway``/``junction``/``maxspeed``/
``access`` tags are kept for it) and writes a graph file with :mod:`app.routing.graph`
(``app.mapdata`` sits above ``app.routing``: routing never imports map data).

:class:`AddressIndexBuilder` writes the address index (``addresses/``, numpy arrays the seat maps
read-only) from the street index just written, so a city of a million addresses is searched in
milliseconds without building anything at seat start-up.

Runs on the calling thread (a CLI process); CPU-bound, a few seconds for a city (a minute or two
for a million addresses, ``bench/address_search.py``).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from app.mapdata import basemap
from app.mapdata.errors import MapImportError
from app.mapdata.index import write_index
from app.mapdata.osm import Extract, read_extract
from app.routing.graph import GRAPH_FILE, PROFILES, WALK_GRAPH_FILE, GraphFileError, build_arrays, save

FORMAT_VERSION = 1
META_FILE = "meta.json"
INDEX_FILE = "index.sqlite"
ADDRESS_DIR = "addresses"
ATTRIBUTION = "© OpenStreetMap contributors, ODbL 1.0"
ATTRIBUTION_URL = "https://www.openstreetmap.org/copyright"


class Builder(Protocol):
    """One product of an import. ``build`` writes into ``out_dir`` and returns its meta part."""

    name: str

    def build(self, extract: Extract, out_dir: Path) -> dict[str, Any]: ...


class BasemapBuilder:
    name = "layers"

    def build(self, extract: Extract, out_dir: Path) -> dict[str, Any]:
        return basemap.write_layers(basemap.build_layers(extract), out_dir)


class IndexBuilder:
    name = "index"

    def build(self, extract: Extract, out_dir: Path) -> dict[str, Any]:
        path = out_dir / INDEX_FILE
        counts = write_index(extract, path)
        return {"file": INDEX_FILE, "bytes": path.stat().st_size, **counts}


class AddressIndexBuilder:
    """Writes ``addresses/``: the :class:`~app.mapdata.address_index.AddressIndex` of the index's
    addresses (their words and a grid), which the seat maps read-only for search and the nearest
    address. Runs after :class:`IndexBuilder` (reads the ``index.sqlite`` it wrote in ``out_dir``, so
    the entry ids agree); ~20 s for a million addresses, none of it at seat start-up."""

    name = "address_index"

    def build(self, extract: Extract, out_dir: Path) -> dict[str, object]:
        from app.mapdata.address_index import AddressIndex

        db = sqlite3.connect(out_dir / INDEX_FILE)
        try:
            rows = db.execute("SELECT id, lat, lon, search_text FROM entries WHERE kind='address' ORDER BY id").fetchall()
        finally:
            db.close()
        ids, lat, lon, text = (list(column) for column in zip(*rows, strict=True)) if rows else ([], [], [], [])
        index = AddressIndex(lat, lon, text, entry_ids=ids)
        size = index.save(out_dir / ADDRESS_DIR)
        return {"dir": ADDRESS_DIR, "addresses": len(index), "bytes": size}


class RoadGraphBuilder:
    """Writes the road graph: ``roads.graph.npz`` (``profile="drive"``) or ``walk.graph.npz`` (``profile="walk"``).

    Args:
        speeds_kmh: the speed table by highway class (default :data:`app.routing.graph.SPEEDS_KMH` /
            :data:`app.routing.graph.WALK_SPEEDS_KMH`).
        profile: ``"drive"`` (ambulances) or ``"walk"`` (volunteers).

    Raises:
        ValueError: unknown profile.
    """

    def __init__(self, speeds_kmh: Mapping[str, float] | None = None, profile: str = "drive") -> None:
        if profile not in PROFILES:
            raise ValueError(f"unknown routing profile {profile!r}; expected one of {PROFILES}")
        self.speeds_kmh = speeds_kmh
        self.profile = profile
        self.name = "road_graph" if profile == "drive" else "walk_graph"
        self.file = GRAPH_FILE if profile == "drive" else WALK_GRAPH_FILE

    def build(self, extract: Extract, out_dir: Path) -> dict[str, Any]:
        """Build and write the graph.

        Raises:
            MapImportError: the extract has no drivable (walkable) way (the import is abandoned, nothing left).
            OSError: cannot write.
        """
        try:
            arrays = build_arrays(extract.roads, self.speeds_kmh, self.profile, getattr(extract, "restrictions", ()))
        except GraphFileError as exc:
            raise MapImportError(f"{extract.source}: {exc}") from exc
        size = save(arrays, Path(out_dir) / self.file)
        return {"file": self.file, "bytes": size, "nodes": arrays.meta["nodes"], "edges": arrays.meta["edges"],
                "ways": arrays.meta["ways"], "turn_restrictions": arrays.meta["turn_restrictions"]}


BUILDERS: tuple[Builder, ...] = (BasemapBuilder(), IndexBuilder(), AddressIndexBuilder(), RoadGraphBuilder(),
                                 RoadGraphBuilder(profile="walk"))


@dataclass(frozen=True)
class ImportResult:
    out_dir: Path
    meta: dict[str, Any]
    seconds: float
    total_bytes: int


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def default_name(source: Path) -> str:
    """``monaco`` for ``monaco.osm.pbf`` / ``monaco-latest.osm.pbf`` → ``monaco-latest``."""
    name = source.name
    for suffix in (".pbf", ".bz2", ".gz", ".osm", ".o5m"):
        name = name.removesuffix(suffix)
    return name or "city"


def import_city(source: Path, out_dir: Path, name: str | None = None,
                builders: tuple[Builder, ...] = BUILDERS) -> ImportResult:
    """Import ``source`` into ``out_dir`` (replaced if it exists). Calling thread.

    Returns:
        What was written: the meta.json content, time taken and total size.

    Raises:
        MapImportError: the extract cannot be read or the output cannot be written;
            nothing is left behind (an existing ``out_dir`` is kept unchanged).
    """
    started = time.monotonic()
    source = Path(source)
    name = name or default_name(source)
    extract = read_extract(source)
    try:
        info = {"file": source.name, "bytes": source.stat().st_size, "sha256": _sha256(source)}
    except OSError as exc:
        raise MapImportError(f"{source}: unreadable ({exc})") from exc
    return import_extract(extract, out_dir, name, builders, info, started)


def import_extract(extract: Extract, out_dir: Path, name: str, builders: tuple[Builder, ...] = BUILDERS,
                   source_info: dict[str, object] | None = None, started: float | None = None) -> ImportResult:
    """The import of an extract already read (:func:`import_city` after reading; benchmarks and tests
    feed generated data). ``source_info`` is meta.json's ``source``. Calling thread.

    Raises:
        MapImportError: as :func:`import_city`.
    """
    started = time.monotonic() if started is None else started
    out_dir = Path(out_dir)
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.import-", dir=out_dir.parent))
    except OSError as exc:
        raise MapImportError(f"{out_dir}: cannot write here ({exc})") from exc
    try:
        bounds = extract.bounds()
        if bounds is None:  # read_extract refuses an extract without roads; kept for a hand-made Extract
            raise MapImportError(f"{extract.source}: nothing to import (no roads, lines or polygons)")
        south, west, north, east = bounds
        meta: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "name": name,
            "bounds": [[south, west], [north, east]],
            "centre": [(south + north) / 2, (west + east) / 2],
            "coordinate_system": "wgs84",
            "attribution": ATTRIBUTION,
            "attribution_url": ATTRIBUTION_URL,
            "source": source_info or {"file": str(extract.source), "bytes": 0, "sha256": ""},
            "imported_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "road_classes": list(basemap.ROAD_CLASSES),
            "read": {"nodes": extract.nodes_seen, "ways": extract.ways_seen,
                     "relations": extract.relations_seen, "missing_locations": extract.missing_locations},
        }
        for builder in builders:
            meta[builder.name] = builder.build(extract, work)
        meta["import_seconds"] = round(time.monotonic() - started, 2)
        (work / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        total = sum(p.stat().st_size for p in work.rglob("*") if p.is_file())
        _swap_into_place(work, out_dir)
    except (OSError, sqlite3.Error) as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise MapImportError(f"{out_dir}: cannot write the city ({exc})") from exc
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return ImportResult(out_dir, meta, time.monotonic() - started, total)


def _swap_into_place(work: Path, out_dir: Path) -> None:
    work.chmod(0o755)  # mkdtemp makes it 0700; the city is shared data
    if not out_dir.exists():
        work.rename(out_dir)
        return
    old = out_dir.with_name(f".{out_dir.name}.old-{int(time.time())}")
    out_dir.rename(old)
    try:
        work.rename(out_dir)
    except OSError:
        old.rename(out_dir)
        raise
    shutil.rmtree(old, ignore_errors=True)
