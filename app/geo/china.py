"""WGS-84 ⇄ GCJ-02 ⇄ BD-09: the datum shifts of Chinese basemaps.

* **GCJ-02** ("Mars coordinates", 国测局坐标) is WGS-84 plus a deliberate, smooth,
  non-invertible-in-closed-form offset of a few hundred metres; every map published
  in mainland China (AutoNavi/Gaode, Tencent, most intranet tile servers) uses it.
* **BD-09** (Baidu) is GCJ-02 with a further polar-coordinate twist.

The forward formulas are the widely published ones (the same constants as the
``eviltransform`` and ``coordtransform`` open-source libraries: Krasovsky semi-major
axis 6378245 m, e² = 0.00669342162296594323). The inverses have no closed form: they
iterate the forward function (fixed point) until the correction is below
:data:`INVERSE_TOLERANCE_DEG` (1e-7°, about 1 cm) or :data:`INVERSE_MAX_STEPS` steps;
the round trip is well under 0.1 m everywhere in China.

**Outside China the shift is the identity** — the standard behaviour of every
implementation: a point outside the rough bounding box of China (:func:`out_of_china`)
is returned unchanged, so positions in Monaco (the demo city) are the same in all
three systems. The box is rectangular: border areas of neighbouring countries inside
the box are shifted too, as by the Chinese map providers themselves.

All functions take and return ``(lat, lon)`` in degrees — latitude first, like the
rest of dispatch120 (note: many published implementations take ``(lng, lat)``).
Pure functions; safe on any thread. They do not validate: call
:func:`app.geo.check_position` on untrusted input first.
"""

from __future__ import annotations

import enum
import math

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as used by GCJ-02
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = math.pi * 3000.0 / 180.0  # BD-09's twist constant

INVERSE_TOLERANCE_DEG = 1e-7
INVERSE_MAX_STEPS = 30


class CoordinateSystem(enum.StrEnum):
    """The datum a basemap or tile server is drawn in."""

    WGS84 = "wgs84"
    GCJ02 = "gcj02"
    BD09 = "bd09"


def out_of_china(lat: float, lon: float) -> bool:
    """True outside the rough bounding box of China, where GCJ-02 is the identity."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _delta_lat(x: float, y: float) -> float:
    r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    r += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return r


def _delta_lon(x: float, y: float) -> float:
    r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    r += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return r


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """WGS-84 → GCJ-02 (the published forward formula). Identity outside China."""
    if out_of_china(lat, lon):
        return lat, lon
    d_lat = _delta_lat(lon - 105.0, lat - 35.0)
    d_lon = _delta_lon(lon - 105.0, lat - 35.0)
    rad_lat = lat / 180.0 * math.pi
    magic = 1.0 - _EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return lat + d_lat, lon + d_lon


def gcj02_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    """GCJ-02 → WGS-84 by fixed-point iteration of the forward formula.

    Stops when the correction is below 1e-7° or after 30 steps (it converges in
    3–5 steps: the shift's gradient is about 1e-5). Identity outside China.
    """
    if out_of_china(lat, lon):
        return lat, lon
    w_lat, w_lon = lat, lon
    for _ in range(INVERSE_MAX_STEPS):
        g_lat, g_lon = wgs84_to_gcj02(w_lat, w_lon)
        e_lat, e_lon = g_lat - lat, g_lon - lon
        w_lat, w_lon = w_lat - e_lat, w_lon - e_lon
        if abs(e_lat) < INVERSE_TOLERANCE_DEG and abs(e_lon) < INVERSE_TOLERANCE_DEG:
            break
    return w_lat, w_lon


def gcj02_to_bd09(lat: float, lon: float) -> tuple[float, float]:
    """GCJ-02 → BD-09 (the published forward formula; applied everywhere, as Baidu does)."""
    z = math.hypot(lon, lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * _X_PI)
    return z * math.sin(theta) + 0.006, z * math.cos(theta) + 0.0065


def bd09_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """BD-09 → GCJ-02: the published closed-form approximation, refined by iteration.

    The closed form alone is off by up to ~1e-6° (0.1 m); a few fixed-point steps of the
    forward formula bring it under 1e-9°.
    """
    x, y = lon - 0.0065, lat - 0.006
    z = math.hypot(x, y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    g_lat, g_lon = z * math.sin(theta), z * math.cos(theta)
    for _ in range(INVERSE_MAX_STEPS):
        b_lat, b_lon = gcj02_to_bd09(g_lat, g_lon)
        e_lat, e_lon = b_lat - lat, b_lon - lon
        g_lat, g_lon = g_lat - e_lat, g_lon - e_lon
        if abs(e_lat) < 1e-10 and abs(e_lon) < 1e-10:
            break
    return g_lat, g_lon


def wgs84_to_bd09(lat: float, lon: float) -> tuple[float, float]:
    """WGS-84 → BD-09 via GCJ-02."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lat, lon))


def bd09_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    """BD-09 → WGS-84 via GCJ-02 (both steps iterative)."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lat, lon))


_FROM_WGS84 = {
    CoordinateSystem.WGS84: lambda lat, lon: (lat, lon),
    CoordinateSystem.GCJ02: wgs84_to_gcj02,
    CoordinateSystem.BD09: wgs84_to_bd09,
}
_TO_WGS84 = {
    CoordinateSystem.WGS84: lambda lat, lon: (lat, lon),
    CoordinateSystem.GCJ02: gcj02_to_wgs84,
    CoordinateSystem.BD09: bd09_to_wgs84,
}


def from_wgs84(lat: float, lon: float, system: CoordinateSystem | str) -> tuple[float, float]:
    """A stored WGS-84 position in the coordinates of a basemap drawn in ``system``.

    Raises:
        ValueError: ``system`` is not one of ``wgs84``, ``gcj02``, ``bd09``.
    """
    return _FROM_WGS84[CoordinateSystem(system)](lat, lon)


def to_wgs84(lat: float, lon: float, system: CoordinateSystem | str) -> tuple[float, float]:
    """A position read off a basemap drawn in ``system`` (e.g. a click), back in WGS-84.

    Raises:
        ValueError: ``system`` is not one of ``wgs84``, ``gcj02``, ``bd09``.
    """
    return _TO_WGS84[CoordinateSystem(system)](lat, lon)
