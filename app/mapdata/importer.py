"""``dispatch120 map import``: an OSM extract → a city directory the seat loads.

The pipeline: :func:`~app.mapdata.osm.read_extract` reads the file once into an
:class:`~app.mapdata.osm.Extract`; then each **builder** in :data:`BUILDERS` writes its
files into a fresh temporary directory next to the destination and returns its part
of ``meta.json``; at the end the directory is renamed into place (an existing city
directory is swapped out and removed only after the new one is in place). If
anything fails, the temporary directory is removed: no partial output is left.

A builder is anything with a ``name`` and ``build(extract, out_dir) -> dict``
(:class:`Builder`). The road graph for routing (issue 5) plugs in here: a
``RoadGraphBuilder`` that reads ``extract.roads`` (OSM node ids, coordinates,
``oneway``/``junction``/``maxspeed``/``access`` tags are kept for it) and writes
its graph file, appended to :data:`BUILDERS`.

Runs on the calling thread (a CLI process); CPU-bound, a few seconds for a city.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from app.mapdata import basemap
from app.mapdata.errors import MapImportError
from app.mapdata.index import write_index
from app.mapdata.osm import Extract, read_extract
from app.routing.graph import RoadGraphBuilder

FORMAT_VERSION = 1
META_FILE = "meta.json"
INDEX_FILE = "index.sqlite"
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


BUILDERS: tuple[Builder, ...] = (BasemapBuilder(), IndexBuilder(), RoadGraphBuilder(),
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
    out_dir = Path(out_dir)
    name = name or default_name(source)
    extract = read_extract(source)
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.import-", dir=out_dir.parent))
    except OSError as exc:
        raise MapImportError(f"{out_dir}: cannot write here ({exc})") from exc
    try:
        south, west, north, east = extract.bounds()  # read_extract guarantees roads
        meta: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "name": name,
            "bounds": [[south, west], [north, east]],
            "centre": [(south + north) / 2, (west + east) / 2],
            "coordinate_system": "wgs84",
            "attribution": ATTRIBUTION,
            "attribution_url": ATTRIBUTION_URL,
            "source": {"file": source.name, "bytes": source.stat().st_size, "sha256": _sha256(source)},
            "imported_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "road_classes": list(basemap.ROAD_CLASSES),
            "read": {"nodes": extract.nodes_seen, "ways": extract.ways_seen,
                     "relations": extract.relations_seen, "missing_locations": extract.missing_locations},
        }
        for builder in builders:
            meta[builder.name] = builder.build(extract, work)
        meta["import_seconds"] = round(time.monotonic() - started, 2)
        (work / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        total = sum(p.stat().st_size for p in work.iterdir() if p.is_file())
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
