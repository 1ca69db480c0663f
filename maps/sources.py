"""What the map is drawn on: the offline vector basemap, a configured raster tile server, or MBTiles.

Qt-free (plain Python + sqlite3), so it can be checked at start-up and in unit tests.

* :class:`TileSource` — a raster tile server the centre configured: a URL template with
  ``{z}``, ``{x}`` and ``{y}``, its attribution, zoom range and coordinate system
  (``wgs84``, ``gcj02`` or ``bd09``). :func:`tile_source_from_settings` validates it and
  raises :class:`MapConfigError` with a clear message (a template without ``{z}/{x}/{y}``
  is refused, never drawn as a broken map).
* :class:`MBTiles` — a local ``.mbtiles`` file (SQLite, TMS row order) served through the
  page's ``d120://`` scheme (see :mod:`maps.scheme`).
* :class:`Basemap` — an imported city under ``resources/maps/<city>/`` (``dispatch120 map
  import``): GeoJSON layers drawn as vectors with a canvas renderer.
* :class:`MapConfig` — all of the above for one seat, built from the settings.

Positions are WGS-84 everywhere; only for drawing on a GCJ-02/BD-09 basemap are they
converted (:meth:`MapConfig.to_display` / :meth:`MapConfig.from_display`, using
:mod:`app.geo`).
"""

from __future__ import annotations

import json
import logging
import math
import re
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from app.resources import resources_root

log = logging.getLogger(__name__)

RESOURCES = resources_root()
MAPS_DIR = RESOURCES / "maps"
CRS_CHOICES = ("wgs84", "gcj02", "bd09")
OSM_ATTRIBUTION = "© OpenStreetMap contributors"
_PLACEHOLDER_RE = re.compile(r"\{([a-z]+)\}")
_ALLOWED_PLACEHOLDERS = {"z", "x", "y", "s", "r"}


class MapConfigError(ValueError):
    """A map setting that cannot be used; the message says which and why (for the dispatcher/IT)."""


def valid_position(lat: Any, lon: Any) -> bool:
    """True for a finite WGS-84 position (lat in [-90, 90], lon in [-180, 180]); never raises."""
    if isinstance(lat, bool) or isinstance(lon, bool):
        return False
    try:
        lat_f, lon_f = float(lat), float(lon)
    except (TypeError, ValueError):
        return False
    return math.isfinite(lat_f) and math.isfinite(lon_f) and -90 <= lat_f <= 90 and -180 <= lon_f <= 180


@dataclass(frozen=True)
class TileSource:
    """A raster tile server (``http(s)://…/{z}/{x}/{y}.png``) or the seat's own MBTiles URL."""

    url: str
    attribution: str
    min_zoom: int = 0
    max_zoom: int = 19
    crs: str = "wgs84"


def check_tile_template(url: Any) -> str:
    """Return ``url`` if it is a usable tile URL template.

    Raises:
        MapConfigError: not a string, not http(s)/d120, or missing one of ``{z}``, ``{x}``, ``{y}``,
            or an unknown placeholder.
    """
    if not isinstance(url, str) or not url.strip():
        raise MapConfigError("map_tile_url must be a URL template like https://tiles.centre/{z}/{x}/{y}.png")
    url = url.strip()
    scheme = urlsplit(url).scheme
    if scheme not in ("http", "https", "d120"):
        raise MapConfigError(f"map_tile_url {url!r}: only http://, https:// tile servers are supported")
    found = set(_PLACEHOLDER_RE.findall(url))
    missing = [p for p in ("z", "x", "y") if p not in found]
    if missing:
        raise MapConfigError(
            f"map_tile_url {url!r} has no {', '.join('{' + p + '}' for p in missing)}: a tile URL template "
            "needs {z}, {x} and {y} (e.g. https://tiles.centre/{z}/{x}/{y}.png)"
        )
    unknown = found - _ALLOWED_PLACEHOLDERS
    if unknown:
        raise MapConfigError(f"map_tile_url {url!r}: unknown placeholder(s) {sorted(unknown)}")
    return url


def _check_zoom(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 24:
        raise MapConfigError(f"{name} must be a whole number 0..24, not {value!r}")
    return value


def check_crs(value: Any) -> str:
    """Return the coordinate system name in lower case, or raise :class:`MapConfigError`."""
    if isinstance(value, str) and value.strip().lower().replace("-", "") in CRS_CHOICES:
        return value.strip().lower().replace("-", "")
    raise MapConfigError(f"map_tile_crs {value!r} is not one of {', '.join(CRS_CHOICES)}")


def tile_source(url: Any, *, attribution: str | None = None, min_zoom: Any = 0, max_zoom: Any = 19,
                crs: Any = "wgs84") -> TileSource:
    """Validate a configured tile server.

    Raises:
        MapConfigError: the template, zoom range or coordinate system is unusable.
    """
    url = check_tile_template(url)
    lo, hi = _check_zoom("map_tile_min_zoom", min_zoom), _check_zoom("map_tile_max_zoom", max_zoom)
    if lo > hi:
        raise MapConfigError(f"map_tile_min_zoom {lo} is above map_tile_max_zoom {hi}")
    return TileSource(url, (attribution or "").strip() or urlsplit(url).hostname or "", lo, hi, check_crs(crs))


# ---------------------------------------------------------------- MBTiles


class MBTiles:
    """A read-only ``.mbtiles`` file. Thread-safe (one connection per thread, read-only URI).

    Raises:
        MapConfigError: (constructor) the file is missing or not an MBTiles database.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise MapConfigError(f"map_mbtiles {self.path}: no such file")
        self._local = threading.local()
        try:
            self.metadata = {str(k): str(v) for k, v in self._db().execute("SELECT name, value FROM metadata")}
            self._db().execute("SELECT 1 FROM tiles LIMIT 1").fetchall()
        except sqlite3.DatabaseError as exc:
            raise MapConfigError(f"map_mbtiles {self.path}: not an MBTiles file ({exc})") from exc
        self.format = self.metadata.get("format", "png").lower()

    def _db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
            self._local.conn = conn
        return conn

    @property
    def mime_type(self) -> str:
        return {"jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}.get(self.format, "image/png")

    def zoom_range(self) -> tuple[int, int]:
        lo = int(self.metadata.get("minzoom", 0) or 0)
        hi = int(self.metadata.get("maxzoom", 19) or 19)
        return lo, hi

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        """The tile at XYZ (``y`` counted from the top, as Leaflet asks); None if absent."""
        if not (0 <= z <= 30 and 0 <= x < 2**z and 0 <= y < 2**z):
            return None
        tms_y = (1 << z) - 1 - y  # MBTiles stores TMS rows (origin bottom-left)
        row = self._db().execute(
            "SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?", (z, x, tms_y)
        ).fetchone()
        return bytes(row[0]) if row else None


# ---------------------------------------------------------------- basemap


@dataclass(frozen=True)
class Basemap:
    """An imported city: GeoJSON layer files (``*.geojson``) under ``resources/maps/<city>/``.

    Optional ``meta.json`` (or ``manifest.json``) gives ``bounds`` ``[[south, west], [north, east]]``
    and ``attribution``. The files are served to the page as ``d120://app/basemap/<city>/<file>``.
    """

    city: str
    directory: Path
    layers: tuple[str, ...]
    bounds: tuple[tuple[float, float], tuple[float, float]] | None
    attribution: str


def find_basemap(city: str | None, maps_dir: Path = MAPS_DIR) -> Basemap | None:
    """The imported basemap for ``city`` (or the only/first one when ``city`` is None); None if none.

    Never raises on odd files: an unreadable ``meta.json`` is logged and ignored.
    """
    if not maps_dir.is_dir():
        return None
    if city:
        directory = maps_dir / city
        if not directory.is_dir() or "/" in city or ".." in city:
            log.warning("map_city %r: no imported basemap in %s", city, maps_dir)
            return None
    else:
        candidates = sorted(d for d in maps_dir.iterdir() if d.is_dir() and any(d.glob("*.geojson")))
        if not candidates:
            return None
        directory = candidates[0]
    layers = tuple(sorted(p.name for p in directory.glob("*.geojson")))
    if not layers:
        return None
    meta: dict[str, Any] = {}
    for name in ("meta.json", "manifest.json", "basemap.json"):
        path = directory / name
        if path.is_file():
            try:
                meta = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                log.warning("basemap %s: %s unreadable, ignored", directory.name, name, exc_info=True)
            break
    bounds = _bounds(meta.get("bounds") if isinstance(meta, dict) else None)
    attribution = str(meta.get("attribution") or OSM_ATTRIBUTION) if isinstance(meta, dict) else OSM_ATTRIBUTION
    return Basemap(directory.name, directory, layers, bounds, attribution)


def _bounds(raw: Any) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """Accept ``[[s, w], [n, e]]``, ``{south, west, north, east}`` or ``[s, w, n, e]`` (the order of
    ``app.mapdata.osm.Extract.bounds``); None if unusable."""
    try:
        if isinstance(raw, dict):
            raw = [raw["south"], raw["west"], raw["north"], raw["east"]]
            s, w, n, e = (float(v) for v in raw)
        elif len(raw) == 2:
            (s, w), (n, e) = ((float(a), float(b)) for a, b in raw)
        else:
            s, w, n, e = (float(v) for v in raw)
    except (TypeError, ValueError, KeyError):
        return None
    if not (valid_position(s, w) and valid_position(n, e)) or s > n or w > e:
        return None
    return (s, w), (n, e)


# ---------------------------------------------------------------- the whole


@dataclass(frozen=True)
class MapConfig:
    """What one seat's map is drawn on. Build with :func:`map_config_from_settings`."""

    basemap: Basemap | None = None
    tiles: TileSource | None = None
    mbtiles: MBTiles | None = None
    centre: tuple[float, float] = (43.7384, 7.4246)  # Monaco, the demo city
    zoom: int = 14
    _to_display: Callable[[float, float], tuple[float, float]] | None = field(default=None, repr=False)
    _from_display: Callable[[float, float], tuple[float, float]] | None = field(default=None, repr=False)

    @property
    def crs(self) -> str:
        return self.tiles.crs if self.tiles else "wgs84"

    def to_display(self, lat: float, lon: float) -> tuple[float, float]:
        """WGS-84 → the basemap's coordinates (identity unless the tiles are GCJ-02/BD-09)."""
        return self._to_display(lat, lon) if self._to_display else (lat, lon)

    def from_display(self, lat: float, lon: float) -> tuple[float, float]:
        """The basemap's coordinates (a click) → WGS-84."""
        return self._from_display(lat, lon) if self._from_display else (lat, lon)


def _converters(crs: str) -> tuple[Callable | None, Callable | None]:
    if crs == "wgs84":
        return None, None
    try:
        from app import geo  # part of the map feature: WGS-84 ⇄ GCJ-02 ⇄ BD-09
    except ImportError as exc:
        raise MapConfigError(f"map_tile_crs {crs}: coordinate conversion (app.geo) is not available") from exc
    forward = getattr(geo, f"wgs84_to_{crs}")
    inverse = getattr(geo, f"{crs}_to_wgs84")

    def to_display(lat: float, lon: float) -> tuple[float, float]:
        return _latlon(forward, lat, lon)

    def from_display(lat: float, lon: float) -> tuple[float, float]:
        return _latlon(inverse, lat, lon)

    return to_display, from_display


def _latlon(fn: Callable, lat: float, lon: float) -> tuple[float, float]:
    """Call an ``app.geo`` converter, which takes and returns ``(lat, lon)``."""
    out = fn(lat, lon)
    return float(out[0]), float(out[1])


def make_config(*, tiles: TileSource | None = None, mbtiles_path: Path | str | None = None,
                city: str | None = None, maps_dir: Path = MAPS_DIR,
                centre: tuple[float, float] | None = None) -> MapConfig:
    """Assemble a :class:`MapConfig`. The offline basemap is always drawn when one is imported.

    Raises:
        MapConfigError: the MBTiles file is unusable, or the CRS cannot be converted.
    """
    basemap = find_basemap(city, maps_dir)
    mbtiles = MBTiles(Path(mbtiles_path)) if mbtiles_path else None
    if mbtiles is not None and tiles is None:
        lo, hi = mbtiles.zoom_range()
        tiles = TileSource("d120://app/tiles/{z}/{x}/{y}", mbtiles.metadata.get("attribution", ""),
                           min(lo, hi), max(lo, hi), "wgs84")
    to_display, from_display = _converters(tiles.crs if tiles else "wgs84")
    if centre is None:
        if basemap is not None and basemap.bounds is not None:
            (s, w), (n, e) = basemap.bounds
            centre = ((s + n) / 2, (w + e) / 2)
        else:
            centre = MapConfig.centre
    return MapConfig(basemap, tiles, mbtiles, centre, 15 if basemap else 14, to_display, from_display)


def map_config_from_settings(settings: Any) -> MapConfig:
    """The map of a seat from its :class:`app.settings.Settings` (``map_*`` fields).

    Raises:
        MapConfigError: a configured tile source or MBTiles file is unusable (say it; the caller
            falls back to the offline basemap and shows the message).
    """
    url = getattr(settings, "map_tile_url", None)
    tiles = None
    if url:
        tiles = tile_source(url, attribution=getattr(settings, "map_tile_attribution", None),
                            min_zoom=getattr(settings, "map_tile_min_zoom", 0) or 0,
                            max_zoom=getattr(settings, "map_tile_max_zoom", 19) or 19,
                            crs=getattr(settings, "map_tile_crs", "wgs84") or "wgs84")
    return make_config(tiles=tiles, mbtiles_path=getattr(settings, "map_mbtiles", None),
                       city=getattr(settings, "map_city", None))
