"""Read an OpenStreetMap extract (``.osm.pbf``, ``.osm``, ``.osm.bz2``…) with pyosmium.

:func:`read_extract` makes one pass over the file (two for multipolygon relations,
done by pyosmium) and returns an :class:`Extract`: plain Python records of everything
the builders of :mod:`app.mapdata.importer` need — roads with their node ids (a road
graph needs them), turn restrictions (``type=restriction`` relations), waterways,
coastline, water and building polygons, addresses, points of interest and named places. Runs on the calling thread; CPU-bound (about
1 s for Monaco's 1.8 MB).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import osmium

from app.mapdata.errors import MapImportError

LatLon = tuple[float, float]

# Kept on road records: what a basemap labels and what a road graph needs.
ROAD_TAGS = ("ref", "oneway", "junction", "maxspeed", "access", "motor_vehicle", "service", "bridge",
             "tunnel", "layer", "lanes", "area", "foot")
NAME_KEYS = ("name", "name:zh", "name:en", "name:zh-Hans", "name:zh-Hant", "alt_name", "official_name",
             "short_name", "old_name", "loc_name")
WATERWAY_CLASSES = frozenset({"river", "stream", "canal", "drain", "ditch", "riverbank"})
POI_KEYS = ("amenity", "healthcare", "emergency", "shop", "tourism", "public_transport", "railway",
            "aeroway", "leisure", "office", "historic", "building")
POI_VALUES = {
    # Only these values of keys that are mostly not places people name in an emergency call.
    "railway": frozenset({"station", "halt", "tram_stop", "subway_entrance"}),
    "aeroway": frozenset({"helipad", "heliport", "aerodrome", "terminal"}),
    "emergency": frozenset({"ambulance_station", "defibrillator", "assembly_point"}),
    "leisure": frozenset({"stadium", "sports_centre", "park", "marina", "swimming_pool", "garden"}),
    "building": frozenset({"hospital", "school", "church", "hotel", "train_station", "stadium", "university"}),
    "public_transport": frozenset({"station", "platform", "stop_position"}),
}
SKIP_VALUES = frozenset({"no", "yes", "vacant", "disused"})  # "shop=yes" has no useful category


@dataclass
class RoadWay:
    """An OSM way with a ``highway`` tag; ``coords`` and ``node_ids`` are parallel."""

    osm_id: int
    highway: str
    names: dict[str, str]
    tags: dict[str, str]
    node_ids: list[int]
    coords: list[LatLon]


@dataclass
class TurnRestriction:
    """A ``type=restriction`` relation for cars: from a way, through a node (or ways), onto a way.

    ``kind`` is the ``restriction`` (or ``restriction:motorcar``) value, e.g. ``no_left_turn``,
    ``only_straight_on``. ``via_nodes`` holds the via node's id (one, normally); ``via_ways`` is
    non-empty for a via-way restriction. Relations for other vehicles only (``restriction:hgv``),
    conditional ones and those that ``except`` cars are not read.
    """

    osm_id: int
    kind: str
    from_ways: list[int]
    via_nodes: list[int]
    via_ways: list[int]
    to_ways: list[int]


# A restriction whose ``except`` names one of these does not bind an ambulance (a motor car).
RESTRICTION_EXCEPT_CARS = frozenset({"motorcar", "motor_vehicle", "vehicle", "emergency"})


@dataclass
class Line:
    osm_id: int
    kind: str  # "river", "stream", …, "coastline"
    names: dict[str, str]
    coords: list[LatLon]


@dataclass
class Polygon:
    osm_id: int  # pyosmium area id: 2*way_id or 2*relation_id+1
    kind: str  # "water", "building"
    names: dict[str, str]
    rings: list[list[LatLon]]  # outer ring first, then its holes; several outers → several Polygons


@dataclass
class Place:
    """A named point: an address, a point of interest or a named place (town, quarter)."""

    kind: str  # "address", "poi", "place"
    osm: str  # "n123", "w456"
    names: dict[str, str]
    category: str  # "amenity=hospital", "place=suburb", "" for addresses
    housenumber: str
    street: str
    lat: float
    lon: float


@dataclass
class Extract:
    source: Path
    roads: list[RoadWay] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    polygons: list[Polygon] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)
    restrictions: list[TurnRestriction] = field(default_factory=list)
    nodes_seen: int = 0
    ways_seen: int = 0
    relations_seen: int = 0
    missing_locations: int = 0

    def bounds(self) -> tuple[float, float, float, float] | None:
        """``(south, west, north, east)`` of the roads, lines and polygons read, or None."""
        lats: list[float] = []
        lons: list[float] = []
        for coords in self._all_coords():
            for lat, lon in coords:
                lats.append(lat)
                lons.append(lon)
        if not lats:
            return None
        return min(lats), min(lons), max(lats), max(lons)

    def _all_coords(self):
        for road in self.roads:
            yield road.coords
        for line in self.lines:
            yield line.coords
        for polygon in self.polygons:
            yield polygon.rings[0]


def _names(tags: osmium.osm.TagList) -> dict[str, str]:
    return {key: tags[key].strip() for key in NAME_KEYS if key in tags and tags[key].strip()}


def _category(tags: osmium.osm.TagList) -> str:
    for key in POI_KEYS:
        value = tags.get(key)
        if not value or value in SKIP_VALUES and key != "building":
            continue
        allowed = POI_VALUES.get(key)
        if allowed is not None and value not in allowed:
            continue
        return f"{key}={value}"
    if tags.get("highway") == "bus_stop":
        return "highway=bus_stop"
    return ""


class _Handler(osmium.SimpleHandler):
    def __init__(self, extract: Extract) -> None:
        super().__init__()
        self.x = extract

    def _place_from(self, osm: str, tags: osmium.osm.TagList, lat: float, lon: float) -> None:
        names = _names(tags)
        housenumber = (tags.get("addr:housenumber") or "").strip()
        street = (tags.get("addr:street") or tags.get("addr:place") or "").strip()
        category = _category(tags)
        place = tags.get("place")
        if names and place:
            self.x.places.append(Place("place", osm, names, f"place={place}", "", "", lat, lon))
        elif names and category:
            self.x.places.append(Place("poi", osm, names, category, housenumber, street, lat, lon))
        if housenumber and street:
            self.x.places.append(Place("address", osm, {}, "", housenumber, street, lat, lon))

    def node(self, n: osmium.osm.Node) -> None:
        self.x.nodes_seen += 1
        if len(n.tags) == 0 or not n.location.valid():
            return
        self._place_from(f"n{n.id}", n.tags, n.location.lat, n.location.lon)

    def _coords(self, nodes: osmium.osm.WayNodeList) -> tuple[list[int], list[LatLon]]:
        ids: list[int] = []
        coords: list[LatLon] = []
        for node in nodes:
            location = node.location
            if not location.valid():  # a node clipped away by the extract's boundary
                self.x.missing_locations += 1
                continue
            ids.append(node.ref)
            coords.append((location.lat, location.lon))
        return ids, coords

    def way(self, w: osmium.osm.Way) -> None:
        self.x.ways_seen += 1
        tags = w.tags
        highway = tags.get("highway")
        waterway = tags.get("waterway")
        coastline = tags.get("natural") == "coastline"
        wants_place = "addr:housenumber" in tags or (("name" in tags or "name:zh" in tags) and _category(tags))
        if not (highway or waterway in WATERWAY_CLASSES or coastline or wants_place):
            return
        ids, coords = self._coords(w.nodes)
        if not coords:
            return
        if highway and len(coords) >= 2:
            self.x.roads.append(RoadWay(w.id, highway, _names(tags),
                                        {k: tags[k] for k in ROAD_TAGS if k in tags}, ids, coords))
        elif waterway in WATERWAY_CLASSES and waterway != "riverbank" and len(coords) >= 2:
            self.x.lines.append(Line(w.id, waterway, _names(tags), coords))
        elif coastline and len(coords) >= 2:
            self.x.lines.append(Line(w.id, "coastline", {}, coords))
        if wants_place and not highway:
            lat = sum(c[0] for c in coords) / len(coords)
            lon = sum(c[1] for c in coords) / len(coords)
            self._place_from(f"w{w.id}", tags, lat, lon)

    def relation(self, r: osmium.osm.Relation) -> None:
        self.x.relations_seen += 1
        tags = r.tags
        if tags.get("type") != "restriction":
            return
        kind = (tags.get("restriction:motorcar") or tags.get("restriction") or "").strip()
        excepted = {v.strip() for v in (tags.get("except") or "").split(";")}
        if not kind or excepted & RESTRICTION_EXCEPT_CARS:
            return
        members: dict[tuple[str, str], list[int]] = {}
        for member in r.members:
            members.setdefault((member.role, member.type), []).append(member.ref)
        self.x.restrictions.append(TurnRestriction(
            r.id, kind, members.get(("from", "w"), []), members.get(("via", "n"), []),
            members.get(("via", "w"), []), members.get(("to", "w"), [])))

    def area(self, a: osmium.osm.Area) -> None:
        tags = a.tags
        if "building" in tags:
            kind = "building"
        elif (tags.get("natural") == "water" or "water" in tags or tags.get("waterway") == "riverbank"
              or tags.get("landuse") in ("reservoir", "basin")):
            kind = "water"
        else:
            return
        names = _names(tags) if kind == "water" else {}
        try:
            for outer in a.outer_rings():
                rings = [[(n.lat, n.lon) for n in outer]]
                rings.extend([(n.lat, n.lon) for n in inner] for inner in a.inner_rings(outer))
                if len(rings[0]) >= 4:
                    self.x.polygons.append(Polygon(a.id, kind, names, rings))
        except osmium.InvalidLocationError:
            self.x.missing_locations += 1


def read_extract(path: Path) -> Extract:
    """Read an OSM extract into an :class:`Extract` (calling thread; CPU-bound).

    Raises:
        MapImportError: the file is missing, unreadable, empty, corrupt, or holds
            no roads — with a message that says which.
    """
    path = Path(path)
    if not path.is_file():
        raise MapImportError(f"{path}: no such file")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise MapImportError(f"{path}: cannot read: {exc.strerror}") from exc
    if size == 0:
        raise MapImportError(f"{path}: the file is empty (0 bytes), not an OpenStreetMap extract")
    extract = Extract(source=path)
    handler = _Handler(extract)
    try:
        # locations=True keeps node positions (in memory; "flex_mem" suits city-sized
        # extracts) so ways and areas have coordinates; the area() callback makes
        # pyosmium assemble multipolygon relations in a second pass.
        handler.apply_file(str(path), locations=True, idx="flex_mem")
    except (RuntimeError, ValueError, OSError) as exc:
        raise MapImportError(f"{path}: not a readable OpenStreetMap file ({exc})") from exc
    if extract.nodes_seen == 0 and extract.ways_seen == 0:
        raise MapImportError(f"{path}: the file holds no OpenStreetMap data")
    if not extract.roads:
        raise MapImportError(f"{path}: the extract holds no roads (highway=*); nothing to draw or search")
    if any(math.isnan(c) for c in extract.bounds() or ()):
        raise MapImportError(f"{path}: coordinates are not numbers")
    return extract
