"""Geodesy for the seat and the server: datum shifts, distances, position checks.

Positions are stored in WGS-84 everywhere (DESIGN); :mod:`app.geo.china` converts
them only for drawing on a GCJ-02 or BD-09 basemap. Pure functions, no I/O, safe on
any thread.
"""

from app.geo.china import (
    CoordinateSystem,
    bd09_to_gcj02,
    bd09_to_wgs84,
    from_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    out_of_china,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from app.geo.sphere import (
    EARTH_RADIUS_M,
    LocalProjection,
    bearing_deg,
    check_position,
    destination,
    distance_m,
    point_segment_distance_m,
)

__all__ = [
    "EARTH_RADIUS_M",
    "CoordinateSystem",
    "LocalProjection",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "bearing_deg",
    "check_position",
    "destination",
    "distance_m",
    "from_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "out_of_china",
    "point_segment_distance_m",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]
