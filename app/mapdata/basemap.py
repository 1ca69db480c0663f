"""The offline basemap: compact GeoJSON layers the map page draws (pure; calling thread).

Files written into the city directory (all WGS-84, ``[lon, lat]`` as GeoJSON wants,
rounded to 6 decimals ≈ 0.1 m, no whitespace):

* ``roads.geojson`` — LineStrings; properties ``class`` (one of :data:`ROAD_CLASSES`),
  ``name``, ``name_zh``, ``name_en``, ``ref`` when present, ``oneway`` when true.
* ``water.geojson`` — Polygons (``class`` ``"water"``) and LineStrings (``class``
  ``"river"``, ``"stream"``, ``"canal"``, ``"drain"``, ``"ditch"`` or ``"coastline"``); ``name`` when present.
  The sea is not a polygon: coastline lines are drawn as lines (building a sea polygon
  from clipped coastline needs the extract's clip polygon, which a .pbf does not carry).
* ``buildings.geojson`` — MultiPolygons, one per 0.01° grid cell (about 1 km; one
  Leaflet path per cell instead of one per building), no properties. Buildings are
  rounded to 5 decimals (≈ 1 m, below a pixel at street zoom) and footprints under
  :data:`MIN_BUILDING_AREA_M2` (sheds, garages) are left out: this keeps Monaco's
  23,000 buildings near 2 MB instead of 5 MB.

Geometry is simplified with Douglas–Peucker in metres (:data:`TOLERANCE_M`).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from app.geo import LocalProjection
from app.mapdata.osm import Extract, LatLon

# Drawing order, most important first; "_link" roads take their parent's class.
ROAD_CLASSES = ("motorway", "trunk", "primary", "secondary", "tertiary", "unclassified", "residential",
                "living_street", "service", "pedestrian", "track", "footway", "path", "steps", "cycleway",
                "other")
_SKIPPED_HIGHWAYS = frozenset({"proposed", "construction", "abandoned", "razed", "platform", "rest_area",
                               "services", "elevator", "bus_stop", "corridor", "via_ferrata"})
TOLERANCE_M = {"roads": 1.0, "water": 2.0, "buildings": 1.0}
PRECISION = 6
BUILDING_PRECISION = 5
MIN_BUILDING_AREA_M2 = 15.0
BUILDING_CELL_DEG = 0.01
LAYER_FILES = {"roads": "roads.geojson", "water": "water.geojson", "buildings": "buildings.geojson"}


def road_class(highway: str) -> str | None:
    """The drawing class of an OSM ``highway`` value, or None for what is not drawn."""
    if highway in _SKIPPED_HIGHWAYS:
        return None
    base = highway.removesuffix("_link")
    if base in ROAD_CLASSES:
        return base
    if base in ("bridleway", "road", "raceway", "escape", "busway", "bus_guideway"):
        return "other"
    return None


def simplify(coords: list[LatLon], tolerance_m: float) -> list[LatLon]:
    """Douglas–Peucker in a local metric projection; keeps the first and last point."""
    if len(coords) <= 2 or tolerance_m <= 0:
        return list(coords)
    proj = LocalProjection(coords[0][0])
    xy = [proj.to_xy(lat, lon) for lat, lon in coords]
    keep = [False] * len(coords)
    keep[0] = keep[-1] = True
    stack = [(0, len(coords) - 1)]
    tol2 = tolerance_m * tolerance_m
    while stack:
        first, last = stack.pop()
        ax, ay = xy[first]
        bx, by = xy[last]
        dx, dy = bx - ax, by - ay
        length2 = dx * dx + dy * dy
        worst, worst_d2 = -1, tol2
        for i in range(first + 1, last):
            px, py = xy[i]
            if length2 == 0:
                d2 = (px - ax) ** 2 + (py - ay) ** 2
            else:
                t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length2))
                d2 = (px - ax - t * dx) ** 2 + (py - ay - t * dy) ** 2
            if d2 > worst_d2:
                worst, worst_d2 = i, d2
        if worst >= 0:
            keep[worst] = True
            stack.append((first, worst))
            stack.append((worst, last))
    return [c for c, k in zip(coords, keep, strict=True) if k]


def area_m2(ring: list[LatLon]) -> float:
    """Planar area of a ring (shoelace formula in a local metric projection)."""
    proj = LocalProjection(ring[0][0])
    xy = [proj.to_xy(lat, lon) for lat, lon in ring]
    return abs(sum(xy[i][0] * xy[i - 1][1] - xy[i - 1][0] * xy[i][1] for i in range(len(xy)))) / 2


def _line(coords: list[LatLon], precision: int = PRECISION) -> list[list[float]]:
    out: list[list[float]] = []
    for lat, lon in coords:
        point = [round(lon, precision), round(lat, precision)]
        if not out or out[-1] != point:
            out.append(point)
    return out


def _ring(coords: list[LatLon], tolerance_m: float, precision: int = PRECISION) -> list[list[float]] | None:
    ring = _line(simplify(coords, tolerance_m), precision)
    if len(ring) < 4:
        return None
    if ring[0] != ring[-1]:
        ring.append(ring[0])
    return ring


def _props(names: dict[str, str], **extra: Any) -> dict[str, Any]:
    props = {k: v for k, v in extra.items() if v}
    for key, out in (("name", "name"), ("name:zh", "name_zh"), ("name:en", "name_en")):
        if key in names:
            props[out] = names[key]
    return props


def _feature(geometry_type: str, coordinates: Any, props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": {"type": geometry_type, "coordinates": coordinates},
            "properties": props}


def build_layers(extract: Extract) -> dict[str, list[dict[str, Any]]]:
    """GeoJSON features per layer name (``roads``, ``water``, ``buildings``)."""
    roads: list[dict[str, Any]] = []
    order = {name: i for i, name in enumerate(ROAD_CLASSES)}
    for road in extract.roads:
        cls = road_class(road.highway)
        if cls is None:
            continue
        line = _line(simplify(road.coords, TOLERANCE_M["roads"]))
        if len(line) < 2:
            continue
        oneway = road.tags.get("oneway") in ("yes", "1", "true", "-1") or road.tags.get("junction") == "roundabout"
        roads.append(_feature("LineString", line, _props(road.names, **{"class": cls,
                                                                          "ref": road.tags.get("ref"),
                                                                          "oneway": oneway})))
    # Minor roads first so that major roads are drawn on top by a page that draws in order.
    roads.sort(key=lambda f: -order[f["properties"]["class"]])
    water: list[dict[str, Any]] = []
    cells: dict[tuple[int, int], list[list[list[list[float]]]]] = {}
    for polygon in extract.polygons:
        if polygon.kind == "water":
            rings = [r for r in (_ring(ring, TOLERANCE_M["water"]) for ring in polygon.rings) if r]
            if rings:
                water.append(_feature("Polygon", rings, _props(polygon.names, **{"class": "water"})))
            continue
        if area_m2(polygon.rings[0]) < MIN_BUILDING_AREA_M2:
            continue
        outline = [_ring(ring, TOLERANCE_M["buildings"], BUILDING_PRECISION) for ring in polygon.rings]
        if outline[0] is None:
            continue
        lat, lon = polygon.rings[0][0]
        cell = (int(lat // BUILDING_CELL_DEG), int(lon // BUILDING_CELL_DEG))
        cells.setdefault(cell, []).append([r for r in outline if r])
    buildings = [_feature("MultiPolygon", polygons, {}) for _, polygons in sorted(cells.items())]
    for waterway in extract.lines:
        coords = _line(simplify(waterway.coords, TOLERANCE_M["water"]))
        if len(coords) >= 2:
            water.append(_feature("LineString", coords, _props(waterway.names, **{"class": waterway.kind})))
    return {"roads": roads, "water": water, "buildings": buildings}


def write_layers(layers: dict[str, list[dict[str, Any]]], out_dir: Path) -> dict[str, Any]:
    """Write each layer as compact GeoJSON into ``out_dir``; return the meta.json ``layers`` entry.

    Raises:
        OSError: the directory cannot be written.
    """
    summary: dict[str, Any] = {}
    for name, features in layers.items():
        path = out_dir / LAYER_FILES[name]
        document = {"type": "FeatureCollection", "features": features}
        path.write_text(json.dumps(document, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        summary[name] = {"file": path.name, "features": len(features), "bytes": path.stat().st_size}
        if name == "buildings":
            summary[name]["polygons"] = sum(len(f["geometry"]["coordinates"]) for f in features)
        else:
            classes = Counter(f["properties"].get("class", name) for f in features)
            summary[name]["classes"] = dict(sorted(classes.items()))
    return summary
