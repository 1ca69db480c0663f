"""Offline map data: import an OSM extract, load the result, search addresses.

* :func:`import_city` (``dispatch120 map import``) — :mod:`app.mapdata.importer`.
* :func:`load_city` → :class:`MapData` — what the seat uses at start-up.
* :func:`search`, :func:`nearest_street` — :mod:`app.mapdata.search`.

Qt-free; see each module for threads and errors.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.mapdata.city import DEFAULT_CITY_DIR, MapData, city_dir, load_city
    from app.mapdata.errors import MapDataError, MapImportError
    from app.mapdata.importer import import_city
    from app.mapdata.index import Gazetteer
    from app.mapdata.search import (
        NearestAddress,
        NearestStreet,
        PlaceKind,
        SearchResult,
        StreetSnap,
        nearest_address,
        nearest_street,
        search,
        snap_to_street,
    )

# Each name is imported from its module on first use (PEP 562), not with the package: the
# ``dispatch120`` command line imports ``app.mapdata.cli`` on every start, and the importer and
# the search pull in scipy and the road graph (~0.4 s) that only the map commands and the
# seat's panels built after its first paint need.
_WHERE = {
    "DEFAULT_CITY_DIR": "city", "MapData": "city", "city_dir": "city", "load_city": "city",
    "MapDataError": "errors", "MapImportError": "errors",
    "import_city": "importer",
    "Gazetteer": "index",
    "NearestAddress": "search", "NearestStreet": "search", "PlaceKind": "search", "SearchResult": "search", "StreetSnap": "search",
    "nearest_address": "search", "nearest_street": "search", "search": "search", "snap_to_street": "search",
}


class _Package(types.ModuleType):
    """This package's module type: ``search`` stays the function.

    Importing the submodule ``app.mapdata.search`` binds it as this package's attribute
    ``search`` (the import system does that for every submodule); the name this package
    exports is the function of that module, as it was when ``__init__`` imported it eagerly.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "search" and isinstance(value, types.ModuleType):
            value = value.search
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> object:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "DEFAULT_CITY_DIR",
    "Gazetteer",
    "city_dir",
    "MapData",
    "MapDataError",
    "MapImportError",
    "NearestAddress",
    "NearestStreet",
    "PlaceKind",
    "SearchResult",
    "StreetSnap",
    "import_city",
    "load_city",
    "nearest_address",
    "nearest_street",
    "search",
    "snap_to_street",
]
