"""``dispatch120 route --from LAT,LON --to LAT,LON [--city DIR]``: check imported road data.

It lives with the map data commands because it needs a city directory (the default is the
demo city, :data:`app.mapdata.city.DEFAULT_CITY_DIR`); :mod:`app.routing` knows no cities.

Prints one JSON object: travel time (s), road distance (m), how far each end was
snapped to the road (m) and the route as ``[[lat, lon], ...]``. IT runs it before a
city goes live. Exit codes: 0 a route, 1 no road route within the limit, 2 bad input
(not a city, no road graph, a position too far from any road).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

# Registered on every ``dispatch120`` start, the seat's included: the road graph code (scipy)
# and the city are imported by the command when it runs. The snapping limit is
# app.routing.snap.MAX_SNAP_M (tests/unit/test_startup_imports.py checks that they stay equal).
MAX_SNAP_M = 500.0


def _position(text: str) -> tuple[float, float]:
    from app.geo import check_position

    try:
        lat_text, lon_text = text.split(",")
        return check_position(float(lat_text), float(lon_text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected LAT,LON in degrees: {exc}") from None


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``route`` to a parser's subparsers (sets ``func``)."""
    cmd = subparsers.add_parser(
        "route", help="road travel time, distance and route between two positions (JSON)",
        description="Route between two positions on an imported city's road graph and print JSON: "
        "travel time, road distance, snapping distances and the route's points.")
    cmd.add_argument("--from", dest="origin", type=_position, required=True, metavar="LAT,LON")
    cmd.add_argument("--to", dest="destination", type=_position, required=True, metavar="LAT,LON")
    cmd.add_argument("--city", type=Path, metavar="DIR", help="city directory (default: the demo city)")
    cmd.add_argument("--emergency-factor", type=float, default=None, metavar="X",
                     help="divide travel times by X (default: the setting emergency_speed_factor)")
    cmd.add_argument("--max-snap", type=float, default=MAX_SNAP_M, metavar="M",
                     help=f"refuse positions farther than M metres from a road (default {MAX_SNAP_M:.0f})")
    cmd.set_defaults(func=run_route)
    return cmd


def _fail(message: str) -> int:
    print(f"dispatch120 route: {message}", file=sys.stderr)
    return 2


def run_route(args: argparse.Namespace) -> int:
    from app.mapdata.city import DEFAULT_CITY_DIR
    from app.routing.engine import GraphRouter
    from app.routing.graph import GraphFileError
    from app.routing.snap import SnapError

    city = args.city or DEFAULT_CITY_DIR
    factor = args.emergency_factor
    if factor is None:
        from app.settings import load_settings

        factor = load_settings().emergency_speed_factor  # a broken settings file is skipped, not fatal
    try:
        router = GraphRouter.for_city(city, factor, args.max_snap)
    except (GraphFileError, ValueError) as exc:
        return _fail(str(exc))
    try:
        route = router.route(args.origin, args.destination)
    except SnapError as exc:
        return _fail(str(exc))
    if route is None:
        print(json.dumps({"found": False, "reason": "no road route within 60 min"}))
        return 1
    print(json.dumps({
        "found": True,
        "travel_time_s": round(route.seconds, 1),
        "road_distance_m": round(route.distance_m, 1),
        "from_snap_m": round(route.from_snap_m, 1),
        "to_snap_m": round(route.to_snap_m, 1),
        "route": [[round(lat, 7), round(lon, 7)] for lat, lon in route.path],
    }))
    return 0
