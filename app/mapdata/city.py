"""Loading an imported city at seat start-up: :func:`load_city` → :class:`MapData`."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.mapdata.address_index import AddressIndex
from app.mapdata.errors import MapDataError
from app.mapdata.importer import ADDRESS_DIR, FORMAT_VERSION, INDEX_FILE, META_FILE
from app.mapdata.index import Gazetteer
from app.mapdata.search import (
    NearestAddress,
    NearestStreet,
    SearchResult,
    StreetSnap,
    nearest_address,
    nearest_street,
    search,
    snap_to_street,
)
from app.resources import resource_path

log = logging.getLogger(__name__)

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

    ``search``, ``nearest_street`` and ``nearest_address`` may be called from any thread (the GUI
    thread is fine for a reverse lookup, ~0.1 ms; searches belong on a worker thread: up to tens of
    milliseconds for a short Latin prefix in a city of a million addresses, ``bench/address_search.py``).

    ``addresses`` is the address index written at import (``addresses/``), mapped read-only; None for
    a city imported before it existed — the search then asks SQLite for addresses too (fine for a
    city of thousands of addresses; import the city again for a large one).
    """

    directory: Path
    meta: dict[str, Any]
    gazetteer: Gazetteer
    addresses: AddressIndex | None = None

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
        return search(self.gazetteer, text, near=near, limit=limit, addresses=self.addresses)

    def nearest_street(self, lat: float, lon: float, max_distance_m: float = 1000.0,
                       lang: str | None = None) -> NearestStreet | None:
        """See :func:`app.mapdata.search.nearest_street`."""
        return nearest_street(self.gazetteer, lat, lon, max_distance_m, lang)

    def nearest_address(self, lat: float, lon: float, max_distance_m: float = 100.0) -> NearestAddress | None:
        """See :func:`app.mapdata.search.nearest_address`."""
        return nearest_address(self.gazetteer, lat, lon, max_distance_m, addresses=self.addresses)

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
    gazetteer = Gazetteer(directory / INDEX_FILE)
    return MapData(directory, meta, gazetteer, _address_index(directory, meta, gazetteer))


def _address_index(directory: Path, meta: dict[str, Any], gazetteer: Gazetteer) -> AddressIndex | None:
    """The city's address index when it was written with this index (same import), else None."""
    if "address_index" not in meta:
        return None
    try:
        index = AddressIndex.load(directory / ADDRESS_DIR)
    except MapDataError as exc:
        log.warning("address index ignored, searching SQLite instead: %s", exc)
        return None
    if gazetteer.first_address_id is None or len(index) != gazetteer.address_count:
        log.warning("address index ignored, searching SQLite instead: %s has %d addresses, %s %s; "
                    "import the city again", ADDRESS_DIR, len(index), INDEX_FILE, gazetteer.address_count)
        return None
    return index
