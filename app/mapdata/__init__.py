"""Offline map data: import an OSM extract, load the result, search addresses.

* :func:`import_city` (``dispatch120 map import``) — :mod:`app.mapdata.importer`.
* :func:`load_city` → :class:`MapData` — what the seat uses at start-up.
* :func:`search`, :func:`nearest_street` — :mod:`app.mapdata.search`.

Qt-free; see each module for threads and errors.
"""

from app.mapdata.city import DEFAULT_CITY_DIR, MapData, city_dir, load_city
from app.mapdata.errors import MapDataError, MapImportError
from app.mapdata.importer import import_city
from app.mapdata.index import Gazetteer
from app.mapdata.search import (
    NearestStreet,
    PlaceKind,
    SearchResult,
    StreetSnap,
    nearest_street,
    search,
    snap_to_street,
)

__all__ = [
    "DEFAULT_CITY_DIR",
    "Gazetteer",
    "city_dir",
    "MapData",
    "MapDataError",
    "MapImportError",
    "NearestStreet",
    "PlaceKind",
    "SearchResult",
    "StreetSnap",
    "import_city",
    "load_city",
    "nearest_street",
    "search",
    "snap_to_street",
]
