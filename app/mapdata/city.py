"""Loading an imported city at seat start-up: :func:`load_city` → :class:`MapData`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.mapdata.errors import MapDataError
from app.mapdata.importer import FORMAT_VERSION, INDEX_FILE, META_FILE
from app.mapdata.index import Gazetteer
from app.mapdata.search import NearestStreet, SearchResult, StreetSnap, nearest_street, search, snap_to_street
from app.resources import resource_path

SHIPPED_MAPS_DIR = resource_path("maps")
DEFAULT_CITY = "monaco"
DEFAULT_CITY_DIR = SHIPPED_MAPS_DIR / DEFAULT_CITY


def city_dir(map_city: str | None) -> Path:
    """The directory of the ``map_city`` setting (a name, see :mod:`app.settings`).

    A city imported with ``dispatch120 map import`` (user data dir ``maps/<name>``)
    wins over a shipped one (``resources/maps/<name>``); None means the demo city.
    """
    if not map_city:
        return DEFAULT_CITY_DIR
    from app.mapdata.cli import default_out_dir

    imported = default_out_dir(map_city)
    return imported if (imported / META_FILE).is_file() else SHIPPED_MAPS_DIR / map_city


@dataclass
class MapData:
    """An imported city: its meta.json, basemap layer files and street index.

    ``search`` and ``nearest_street`` may be called from any thread (the GUI thread
    is fine: tens of microseconds to a few milliseconds for a city).
    """

    directory: Path
    meta: dict[str, Any]
    gazetteer: Gazetteer

    @property
    def name(self) -> str:
        return str(self.meta.get("name", self.directory.name))

    @property
    def bounds(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """``((south, west), (north, east))`` in WGS-84."""
        (s, w), (n, e) = self.meta["bounds"]
        return (s, w), (n, e)

    @property
    def centre(self) -> tuple[float, float]:
        lat, lon = self.meta["centre"]
        return lat, lon

    @property
    def attribution(self) -> str:
        return str(self.meta["attribution"])

    @property
    def layer_files(self) -> dict[str, Path]:
        """Basemap GeoJSON per layer (``roads``, ``water``, ``buildings``) for the map page."""
        return {name: self.directory / info["file"] for name, info in self.meta["layers"].items()}

    def search(self, text: str, near: tuple[float, float] | None = None,
               limit: int = 10) -> list[SearchResult]:
        """See :func:`app.mapdata.search.search`."""
        return search(self.gazetteer, text, near=near, limit=limit)

    def nearest_street(self, lat: float, lon: float, max_distance_m: float = 1000.0,
                       lang: str | None = None) -> NearestStreet | None:
        """See :func:`app.mapdata.search.nearest_street`."""
        return nearest_street(self.gazetteer, lat, lon, max_distance_m, lang)

    def snap_to_street(self, lat: float, lon: float, max_distance_m: float = 1000.0) -> StreetSnap | None:
        """See :func:`app.mapdata.search.snap_to_street`."""
        return snap_to_street(self.gazetteer, lat, lon, max_distance_m)

    def close(self) -> None:
        self.gazetteer.close()


def load_city(directory: Path | str | None = None) -> MapData:
    """Open an imported city directory (default: the shipped demo city, Monaco). Calling thread.

    Raises:
        MapDataError: the directory, its meta.json, a layer file or the index is missing,
            unreadable or of another format version — the message says which and
            suggests ``dispatch120 map import``.
    """
    directory = Path(directory) if directory is not None else DEFAULT_CITY_DIR
    meta_path = directory / META_FILE
    hint = "import the city with: dispatch120 map import CITY.osm.pbf --out DIR"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MapDataError(f"{directory}: not an imported city (no {META_FILE}); {hint}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MapDataError(f"{meta_path}: unreadable ({exc}); {hint}") from exc
    if not isinstance(meta, dict) or meta.get("format_version") != FORMAT_VERSION:
        version = meta.get("format_version") if isinstance(meta, dict) else None
        raise MapDataError(f"{meta_path}: format {version!r}, this program reads {FORMAT_VERSION}; {hint}")
    try:
        layers = meta["layers"]
        missing = [info["file"] for info in layers.values() if not (directory / info["file"]).is_file()]
        meta["bounds"], meta["centre"], meta["attribution"]  # noqa: B018 — present?
    except (KeyError, TypeError, AttributeError) as exc:
        raise MapDataError(f"{meta_path}: incomplete ({exc}); {hint}") from exc
    if missing:
        raise MapDataError(f"{directory}: missing {', '.join(missing)}; {hint}")
    return MapData(directory, meta, Gazetteer(directory / INDEX_FILE))
