"""Distances and bearings on a spherical Earth, and position validation.

The spherical model (mean radius 6,371,008.8 m) is within 0.5 % of the ellipsoid,
plenty for "which ambulance is nearest" and "30 m from Boulevard Albert 1er".
Pure functions; safe on any thread.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean radius


def check_position(lat: float, lon: float) -> tuple[float, float]:
    """Validate a WGS-84 position and return it as ``(lat, lon)`` floats.

    Raises:
        ValueError: a coordinate that is not a number, NaN, infinite, or outside
            -90..90 (latitude) / -180..180 (longitude). The message names the value.
    """
    out = []
    for label, value, limit in (("latitude", lat, 90.0), ("longitude", lon, 180.0)):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{label} must be a number, got {value!r}")
        number = float(value)
        if math.isnan(number) or math.isinf(number):
            raise ValueError(f"{label} is not a finite number: {value!r}")
        if not -limit <= number <= limit:
            raise ValueError(f"{label} {number!r} is outside -{limit:g}..{limit:g} degrees")
        out.append(number)
    return out[0], out[1]


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in metres between two WGS-84 positions."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial great-circle bearing from point 1 to point 2, degrees clockwise from north, 0..360."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(y, x)) % 360.0


def destination(lat: float, lon: float, bearing: float, distance: float) -> tuple[float, float]:
    """The position ``distance`` metres from ``(lat, lon)`` along initial ``bearing`` (degrees)."""
    d = distance / EARTH_RADIUS_M
    b = math.radians(bearing)
    p1, l1 = math.radians(lat), math.radians(lon)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2))
    return math.degrees(p2), (math.degrees(l2) + 540.0) % 360.0 - 180.0


@dataclass(frozen=True)
class LocalProjection:
    """Equirectangular projection to metres around a reference latitude.

    Accurate to well under 0.1 % within a city (tens of km); used to project a
    point onto a road segment and to simplify lines in metres.
    """

    lat0: float

    @property
    def _kx(self) -> float:
        return math.radians(1.0) * EARTH_RADIUS_M * math.cos(math.radians(self.lat0))

    @property
    def _ky(self) -> float:
        return math.radians(1.0) * EARTH_RADIUS_M

    def to_xy(self, lat: float, lon: float) -> tuple[float, float]:
        return lon * self._kx, lat * self._ky

    def to_latlon(self, x: float, y: float) -> tuple[float, float]:
        return y / self._ky, x / self._kx


def point_segment_distance_m(
    lat: float, lon: float, lat1: float, lon1: float, lat2: float, lon2: float
) -> tuple[float, float, float]:
    """Distance from a point to the segment 1-2, projected (not just to its ends).

    Returns:
        ``(distance_m, lat, lon)`` of the closest point on the segment.
    """
    proj = LocalProjection(lat)
    px, py = proj.to_xy(lat, lon)
    ax, ay = proj.to_xy(lat1, lon1)
    bx, by = proj.to_xy(lat2, lon2)
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length2))
    cx, cy = ax + t * dx, ay + t * dy
    clat, clon = proj.to_latlon(cx, cy)
    return math.hypot(px - cx, py - cy), clat, clon
