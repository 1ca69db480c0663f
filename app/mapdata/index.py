"""The street/POI index: one SQLite file (``index.sqlite``) per imported city.

Written once by :func:`write_index` at import; opened read-only by :class:`Gazetteer`.

Tables:

* ``entries`` — one row per searchable thing: ``kind`` (``street``, ``address``,
  ``poi``, ``place``), display ``name`` (OSM ``name``, else ``name:zh``, else ``ref``),
  ``name_zh``, ``name_en``, ``category`` (``amenity=hospital``…), ``housenumber``,
  ``street``, the position (WGS-84), the OSM object (``w123``/``n456``) and
  ``search_text`` (every name variant, normalised by :func:`app.mapdata.text.normalize`).
* ``entry_fts`` — an FTS5 table with the ``trigram`` tokenizer over ``search_text``
  when this SQLite has it (3.34+): ``LIKE '%albert%'`` is then answered from the
  index. Without FTS5 the same ``LIKE`` scans ``entries`` (fine for a city).
* ``street_ways`` — the geometry of every named road (for the reverse lookup): one row
  per OSM way, ``coords`` a little-endian int32 blob of ``lat, lon`` pairs in 1e-7°
  (OSM's own resolution, ~1 cm); :class:`Gazetteer` turns them into segments.
* ``meta`` — ``schema_version``, ``fts``, ``first_address_id`` (addresses are written last: every
  entry from that id on is an address) and ``addresses`` (their count).

A street is all ways with the same name within :data:`STREET_GAP_M` of each other
(a long boulevard is several OSM ways; two "Rue Grimaldi" in different towns are
two streets).
"""

from __future__ import annotations

import math
import sqlite3
import threading
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from app.geo import EARTH_RADIUS_M, LocalProjection
from app.mapdata.basemap import road_class
from app.mapdata.errors import MapDataError
from app.mapdata.osm import Extract, Place, RoadWay
from app.mapdata.text import normalize

SCHEMA_VERSION = 1
# Road segments are indexed in pieces no longer than this (a k-d tree over piece midpoints), so a
# 2 km motorway segment does not make every reverse lookup near it measure it.
PIECE_M = 50.0
STREET_GAP_M = 300.0
# Road classes named by the reverse lookup: where an ambulance can go, or walk from.
# Footways, paths, steps and tracks are searchable but never "the nearest street".
REVERSE_CLASSES = frozenset({"motorway", "trunk", "primary", "secondary", "tertiary", "unclassified",
                             "residential", "living_street", "service", "pedestrian", "other"})
# Handicap (metres) when choosing the nearest street, so that "Boulevard Albert 1er, 12 m"
# beats "Sortie Parking de la Costa, 7 m".
CLASS_PENALTY_M = {"service": 20.0, "pedestrian": 5.0}

_SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE entries(
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    name_zh TEXT,
    name_en TEXT,
    category TEXT NOT NULL DEFAULT '',
    housenumber TEXT NOT NULL DEFAULT '',
    street TEXT NOT NULL DEFAULT '',
    road_class TEXT,
    lat REAL NOT NULL,
    lon REAL NOT NULL,
    osm TEXT NOT NULL,
    search_text TEXT NOT NULL
);
CREATE TABLE street_ways(
    street_id INTEGER NOT NULL REFERENCES entries(id),
    road_class TEXT NOT NULL,
    coords BLOB NOT NULL
);
"""


def fts5_trigram_available() -> bool:
    """True when this Python's SQLite can build an FTS5 table with the trigram tokenizer."""
    try:
        with sqlite3.connect(":memory:") as db:
            db.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='trigram')")
        return True
    except sqlite3.OperationalError:
        return False


def _display_name(names: dict[str, str], ref: str = "") -> str:
    return names.get("name") or names.get("name:zh") or names.get("name:en") or ref


def _search_text(*parts: str) -> str:
    seen = dict.fromkeys(normalize(p) for p in parts if p)
    return " | ".join(p for p in seen if p)


@dataclass
class _Street:
    name: str
    names: dict[str, str]
    ways: list[RoadWay]


def _finder(parent: list[int]):
    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    return find


def _group_streets(roads: list[RoadWay]) -> list[_Street]:
    by_name: dict[str, list[RoadWay]] = defaultdict(list)
    for road in roads:
        if road_class(road.highway) is None:
            continue
        name = _display_name(road.names, road.tags.get("ref", ""))
        if name:
            by_name[normalize(name) or name].append(road)
    streets: list[_Street] = []
    for ways in by_name.values():
        proj = LocalProjection(ways[0].coords[0][0])
        boxes = []
        for way in ways:
            xy = [proj.to_xy(lat, lon) for lat, lon in way.coords]
            xs, ys = [p[0] for p in xy], [p[1] for p in xy]
            boxes.append((min(xs), min(ys), max(xs), max(ys)))
        parent = list(range(len(ways)))
        find = _finder(parent)
        for i in range(len(ways)):
            for j in range(i + 1, len(ways)):
                a, b = boxes[i], boxes[j]
                gap_x = max(0.0, max(a[0], b[0]) - min(a[2], b[2]))
                gap_y = max(0.0, max(a[1], b[1]) - min(a[3], b[3]))
                if gap_x <= STREET_GAP_M and gap_y <= STREET_GAP_M:
                    parent[find(i)] = find(j)
        groups: dict[int, list[RoadWay]] = defaultdict(list)
        for i, way in enumerate(ways):
            groups[find(i)].append(way)
        for group in groups.values():
            names: dict[str, str] = {}
            for way in group:
                for key, value in way.names.items():
                    names.setdefault(key, value)
            streets.append(_Street(_display_name(names, group[0].tags.get("ref", "")), names, group))
    return streets


def _street_position(street: _Street) -> tuple[float, float]:
    points = [c for way in street.ways for c in way.coords]
    lat = sum(p[0] for p in points) / len(points)
    lon = sum(p[1] for p in points) / len(points)
    return min(points, key=lambda p: (p[0] - lat) ** 2 + (p[1] - lon) ** 2)


def _best_class(street: _Street) -> str:
    from app.mapdata.basemap import ROAD_CLASSES

    classes = [road_class(w.highway) or "other" for w in street.ways]
    return min(classes, key=ROAD_CLASSES.index)


def _address_name(place: Place) -> str:
    from app.mapdata.text import is_cjk

    if is_cjk(place.street):
        return f"{place.street}{place.housenumber}{'' if place.housenumber.endswith('号') else '号'}"
    return f"{place.housenumber} {place.street}"


def write_index(extract: Extract, path: Path) -> dict[str, int | str]:
    """Write ``index.sqlite`` at ``path`` (a new file). Returns counts for meta.json.

    Raises:
        sqlite3.Error, OSError: the file cannot be written.
    """
    fts = fts5_trigram_available()
    db = sqlite3.connect(path)
    try:
        db.executescript(_SCHEMA)
        if fts:
            db.execute("CREATE VIRTUAL TABLE entry_fts USING fts5(search_text, tokenize='trigram')")
        counts = {"streets": 0, "addresses": 0, "pois": 0, "places": 0, "segments": 0}
        rows: list[tuple] = []
        segments: list[tuple] = []
        street_variants: dict[str, list[str]] = {}
        for street in _group_streets(extract.roads):
            entry_id = len(rows) + 1
            lat, lon = _street_position(street)
            cls = _best_class(street)
            rows.append((entry_id, "street", street.name, street.names.get("name:zh"), street.names.get("name:en"),
                         "", "", "", cls, lat, lon, f"w{street.ways[0].osm_id}",
                         _search_text(street.name, *street.names.values())))
            street_variants.setdefault(normalize(street.name), list(street.names.values()))
            counts["streets"] += 1
            for way in street.ways:
                way_class = road_class(way.highway) or "other"
                if way_class not in REVERSE_CLASSES:
                    continue
                points = np.round(np.array(way.coords, dtype=np.float64) * 1e7).astype("<i4")
                segments.append((entry_id, way_class, points.tobytes()))
                counts["segments"] += len(way.coords) - 1
        # Addresses last, so that every other entry has a smaller id than the first address: the
        # search asks the address index (app.mapdata.address_index) for addresses and SQLite, below
        # ``first_address_id``, for the rest (a rowid range FTS5 and the table both honour).
        places = [p for p in extract.places if p.kind != "address"] + [p for p in extract.places
                                                                         if p.kind == "address"]
        first_address_id = len(rows) + 1 + sum(p.kind != "address" for p in extract.places)
        for place in places:
            entry_id = len(rows) + 1
            if place.kind == "address":
                variants = street_variants.get(normalize(place.street), [])
                rows.append((entry_id, "address", _address_name(place), None, None, "", place.housenumber,
                             place.street, None, place.lat, place.lon, place.osm,
                             _search_text(f"{place.housenumber} {place.street}", place.street,
                                          *(f"{place.housenumber} {v}" for v in variants))))
                counts["addresses"] += 1
            else:
                name = _display_name(place.names)
                rows.append((entry_id, place.kind, name, place.names.get("name:zh"), place.names.get("name:en"),
                             place.category, place.housenumber, place.street, None, place.lat, place.lon,
                             place.osm, _search_text(name, *place.names.values())))
                counts["pois" if place.kind == "poi" else "places"] += 1
        db.executemany("INSERT INTO entries VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
        if fts:
            db.execute("INSERT INTO entry_fts(rowid, search_text) SELECT id, search_text FROM entries")
        db.executemany("INSERT INTO street_ways VALUES (?,?,?)", segments)
        db.execute("CREATE INDEX entries_kind ON entries(kind)")
        db.executemany("INSERT INTO meta VALUES (?,?)",
                       [("schema_version", str(SCHEMA_VERSION)), ("fts", "fts5-trigram" if fts else "none"),
                        ("first_address_id", str(first_address_id)), ("addresses", str(counts["addresses"]))])
        db.commit()
        db.execute("VACUUM")
    finally:
        db.close()
    return {**counts, "fts": "fts5-trigram" if fts else "none"}


class Gazetteer:
    """An opened ``index.sqlite`` (read-only) plus its road segments in memory.

    Thread-safe: one connection guarded by a lock, so the GUI thread and a worker can
    both search. :mod:`app.mapdata.search` does the searching.

    Raises (constructor):
        MapDataError: the file is missing, not an index, or of another schema version.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise MapDataError(f"{self.path}: no street index here")
        try:
            self._db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
            meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
            ways = self._db.execute("SELECT street_id, road_class, coords FROM street_ways").fetchall()
        except sqlite3.Error as exc:
            raise MapDataError(f"{self.path}: not a dispatch120 street index ({exc})") from exc
        if meta.get("schema_version") != str(SCHEMA_VERSION):
            self._db.close()
            raise MapDataError(f"{self.path}: index schema {meta.get('schema_version')!r}, "
                               f"this program reads {SCHEMA_VERSION}; import the city again")
        self.fts = meta.get("fts") == "fts5-trigram"
        # Entries from this id on are addresses, and only addresses (None: an index written before
        # addresses were put last; the search then asks SQLite for everything).
        self.first_address_id: int | None = int(meta["first_address_id"]) if "first_address_id" in meta else None
        self.address_count: int | None = int(meta["addresses"]) if "addresses" in meta else None
        self.lock = threading.Lock()
        # One row per segment: lat1, lon1, lat2, lon2 (WGS-84 degrees); every way's points in one
        # array, a segment from each point to the next of the same way (vectorised: a loop per
        # way took ~0.15 s per 10 000 ways at seat start-up).
        counts = np.array([len(blob) // 8 for _, _, blob in ways], dtype=np.int64)
        points = np.frombuffer(b"".join(blob for _, _, blob in ways), dtype="<i4").reshape(-1, 2) / 1e7
        starts_next = np.ones(len(points), dtype=bool)
        starts_next[(np.cumsum(counts) - 1)[counts > 0]] = False  # a way's last point starts no segment
        first = np.flatnonzero(starts_next)
        way = np.repeat(np.arange(len(ways)), counts)[first]
        self.segment_coords = np.hstack([points[first], points[first + 1]]) if len(first) else np.zeros((0, 4))
        self.segment_street = np.array([w[0] for w in ways], dtype=np.int64)[way] if len(first) else np.zeros(
            0, dtype=np.int64)
        self.segment_penalty_m = np.array([CLASS_PENALTY_M.get(w[1], 0.0) for w in ways])[way] if len(first) \
            else np.zeros(0)
        self._names: dict[int, tuple[str, str | None, str | None, str]] = {}
        self._pieces: tuple[Any, np.ndarray, float, float] | None = None
        self._pieces_lock = threading.Lock()

    def _segment_pieces(self) -> tuple[Any, np.ndarray, float, float]:
        """A k-d tree over the midpoints of the road segments cut into pieces of at most
        :data:`PIECE_M` metres, and each piece's segment; built on first use (any thread)."""
        with self._pieces_lock:
            if self._pieces is None:
                from scipy.spatial import cKDTree

                coords = self.segment_coords
                lat0 = float(coords[:, [0, 2]].mean()) if len(coords) else 0.0
                ky = math.radians(1.0) * EARTH_RADIUS_M
                kx = ky * math.cos(math.radians(lat0))
                ax, ay, bx, by = coords[:, 1] * kx, coords[:, 0] * ky, coords[:, 3] * kx, coords[:, 2] * ky
                cuts = np.maximum(1, np.ceil(np.hypot(bx - ax, by - ay) / PIECE_M)).astype(np.int64)
                segment = np.repeat(np.arange(len(coords)), cuts)
                first = np.repeat(np.cumsum(cuts) - cuts, cuts)
                t = (np.arange(len(segment)) - first + 0.5) / cuts[segment]
                mid = np.column_stack([ax[segment] + t * (bx - ax)[segment], ay[segment] + t * (by - ay)[segment]])
                self._pieces = (cKDTree(mid) if len(mid) else None, segment, kx, ky)
            return self._pieces

    def segments_near(self, lat: float, lon: float, radius_m: float) -> np.ndarray:
        """Indices (into :attr:`segment_coords`) of every segment that may come within ``radius_m`` of
        the position, and maybe a few more: a superset for the caller to measure exactly.

        A segment within ``radius_m`` has a piece midpoint within ``radius_m + PIECE_M / 2``; 1 %
        more covers the projection's error across a city. Any thread.
        """
        tree, segment, kx, ky = self._segment_pieces()
        if tree is None:
            return np.zeros(0, dtype=np.int64)
        found = tree.query_ball_point((lon * kx, lat * ky), radius_m * 1.01 + PIECE_M / 2 + 1.0)
        return np.unique(segment[np.asarray(found, dtype=np.int64)])

    def segments_nearest(self, lat: float, lon: float, k: int = 8) -> np.ndarray:
        """Segments of the ``k`` piece midpoints nearest the position (a first guess). Any thread."""
        tree, segment, kx, ky = self._segment_pieces()
        if tree is None:
            return np.zeros(0, dtype=np.int64)
        _, found = tree.query((lon * kx, lat * ky), k=min(k, tree.n))
        return np.unique(segment[np.atleast_1d(found)])

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self.lock:
            return self._db.execute(sql, params).fetchall()

    def street_names(self, street_id: int) -> tuple[str, str | None, str | None, str]:
        """``(name, name_zh, name_en, road_class)`` of a street entry (cached)."""
        cached = self._names.get(street_id)
        if cached is None:
            row = self.query("SELECT name, name_zh, name_en, road_class FROM entries WHERE id=?", (street_id,))
            cached = row[0] if row else ("", None, None, "")
            self._names[street_id] = cached
        return cached

    def close(self) -> None:
        with self.lock:
            self._db.close()
