"""``dispatch120 map import|info|search|where``: the offline map data commands.

Registered on the ``dispatch120`` parser by :func:`register` (like ``app.sim.cli``).
Exit codes: 0 done, 1 nothing found, 2 bad input (unreadable extract, not a city).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import platformdirs

from app.mapdata.errors import MapDataError, MapImportError


def default_out_dir(name: str) -> Path:
    """Where ``map import`` writes without ``--out``: the user data dir, ``maps/<name>``."""
    return Path(platformdirs.user_data_dir("dispatch120")) / "maps" / name


def _latitude_longitude(text: str) -> tuple[float, float]:
    from app.geo import check_position

    try:
        lat_text, lon_text = text.split(",")
        return check_position(float(lat_text), float(lon_text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected LAT,LON in degrees: {exc}") from None


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``map`` command group to a parser's subparsers; subcommands set ``func``."""
    group = subparsers.add_parser(
        "map",
        help="offline map data: import an OpenStreetMap extract, search it",
        description="Offline map data for the seat: import a city's OpenStreetMap extract into a "
        "basemap and a street/POI index, inspect and search an imported city.",
    )
    commands = group.add_subparsers(dest="map_command", metavar="{import,info,search,where}", required=True)
    imp = commands.add_parser("import", help="import CITY.osm.pbf into an offline city directory",
                              description="Import an OpenStreetMap extract (.osm.pbf) into a city directory "
                              "(basemap GeoJSON layers, street/POI index, meta.json). An existing directory "
                              "is replaced only when the import succeeded.")
    imp.add_argument("source", type=Path, metavar="CITY.osm.pbf")
    imp.add_argument("--out", type=Path, metavar="DIR",
                     help="city directory to write (default: the user data dir, maps/NAME)")
    imp.add_argument("--name", help="the city's name (default: the file name without .osm.pbf)")
    imp.set_defaults(func=run_import)
    for name, text in (("info", "print an imported city's summary"),):
        cmd = commands.add_parser(name, help=text, description=text)
        cmd.add_argument("city", type=Path, nargs="?", metavar="DIR", help="city directory (default: demo city)")
        cmd.set_defaults(func=run_info)
    find = commands.add_parser("search", help="search an imported city for an address, street or place")
    find.add_argument("text")
    find.add_argument("--city", type=Path, metavar="DIR", help="city directory (default: demo city)")
    find.add_argument("--near", type=_latitude_longitude, metavar="LAT,LON")
    find.add_argument("--limit", type=int, default=10)
    find.set_defaults(func=run_search)
    where = commands.add_parser("where", help="name the nearest street to a position")
    where.add_argument("position", type=_latitude_longitude, metavar="LAT,LON")
    where.add_argument("--city", type=Path, metavar="DIR", help="city directory (default: demo city)")
    where.set_defaults(func=run_where)
    return group


def _fail(message: str) -> int:
    print(f"dispatch120 map: {message}", file=sys.stderr)
    return 2


def summary(result: Any) -> str:
    """The text printed after an import (counts, sizes, time)."""
    meta = result.meta
    layers, index = meta["layers"], meta["index"]
    (s, w), (n, e) = meta["bounds"]
    lines = [
        f"imported {meta['source']['file']} as {meta['name']!r} into {result.out_dir}",
        f"  bounds {s:.5f},{w:.5f} .. {n:.5f},{e:.5f}",
        f"  roads      {layers['roads']['features']:6d} lines     {layers['roads']['bytes'] / 1e6:6.2f} MB",
        f"  water      {layers['water']['features']:6d} features  {layers['water']['bytes'] / 1e6:6.2f} MB",
        f"  buildings  {layers['buildings'].get('polygons', 0):6d} polygons  "
        f"{layers['buildings']['bytes'] / 1e6:6.2f} MB",
        f"  index      {index['streets']} streets, {index['addresses']} addresses, {index['pois']} POIs, "
        f"{index['places']} places, {index['segments']} road segments ({index['fts']})  "
        f"{index['bytes'] / 1e6:.2f} MB",
        *([f"  addresses  {meta['address_index']['addresses']} in the address index  "
           f"{meta['address_index']['bytes'] / 1e6:.2f} MB"] if "address_index" in meta else []),
        f"  total {result.total_bytes / 1e6:.2f} MB in {result.seconds:.1f} s",
        f"  attribution: {meta['attribution']}",
    ]
    return "\n".join(lines)


def run_import(args: argparse.Namespace) -> int:
    from app.mapdata.importer import default_name, import_city

    name = args.name or default_name(args.source)
    out = args.out or default_out_dir(name)
    try:
        result = import_city(args.source, out, name)
    except MapImportError as exc:
        return _fail(str(exc))
    print(summary(result))
    return 0


def _city(path: Path | None) -> Any:
    from app.mapdata.city import load_city

    return load_city(path)


def run_info(args: argparse.Namespace) -> int:
    try:
        city = _city(args.city)
    except MapDataError as exc:
        return _fail(str(exc))
    meta = city.meta
    print(f"{city.name}: {city.directory}\n  imported {meta['imported_at']} from {meta['source']['file']} "
          f"(sha256 {meta['source']['sha256'][:12]}…)\n  centre {city.centre[0]:.5f},{city.centre[1]:.5f}; "
          f"{meta['index']['streets']} streets, {meta['index']['pois']} POIs\n  {city.attribution}")
    return 0


def run_search(args: argparse.Namespace) -> int:
    try:
        city = _city(args.city)
    except MapDataError as exc:
        return _fail(str(exc))
    results = city.search(args.text, near=args.near, limit=args.limit)
    for r in results:
        extra = f" {r.category}" if r.category else ""
        print(f"{r.score:5.3f}  {r.kind.value:<7}  {r.name}{extra}  {r.lat:.6f},{r.lon:.6f}")
    return 0 if results else 1


def run_where(args: argparse.Namespace) -> int:
    try:
        city = _city(args.city)
    except MapDataError as exc:
        return _fail(str(exc))
    found = city.nearest_street(*args.position)
    if found is None:
        print("no named street within 1000 m")
        return 1
    print(f"{found.name}, {found.distance_m:.0f} m")
    return 0
