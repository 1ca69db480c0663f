"""app.geo: datum shifts against published reference pairs, round trips, distances, validation."""

from __future__ import annotations

import math

import pytest

from app.geo import (
    CoordinateSystem,
    bd09_to_gcj02,
    bd09_to_wgs84,
    bearing_deg,
    check_position,
    destination,
    distance_m,
    from_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    point_segment_distance_m,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

# Published WGS-84 → GCJ-02 pairs (lat, lon): googollee/eviltransform's test suite
# (Shanghai, Shenzhen, Beijing) and wandergis/coordtransform's example (Tiananmen area).
WGS_TO_GCJ = [
    ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),
    ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),
    ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),
    ((39.915, 116.404), (39.91640428150164, 116.41024449916938)),
]
# Published GCJ-02 → BD-09 pairs: wandergis/coordtransform (Beijing), hujiulong/gcoord (123°E 45°N).
GCJ_TO_BD = [
    ((39.915, 116.404), (39.92133699351021, 116.41036949371029)),
    ((45.0, 123.0), (45.00636899, 123.00636499)),
]


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return distance_m(a[0], a[1], b[0], b[1])


@pytest.mark.parametrize(("wgs", "gcj"), WGS_TO_GCJ)
def test_wgs84_to_gcj02_matches_published_pairs(wgs, gcj):
    assert _metres(wgs84_to_gcj02(*wgs), gcj) < 0.001


@pytest.mark.parametrize(("gcj", "bd"), GCJ_TO_BD)
def test_gcj02_to_bd09_matches_published_pairs(gcj, bd):
    assert _metres(gcj02_to_bd09(*gcj), bd) < 0.01


def test_gcj02_to_wgs84_matches_gcoord_reference_to_five_decimals():
    lat, lon = gcj02_to_wgs84(45.0, 123.0)
    assert lat == pytest.approx(44.99804071, abs=5e-6)
    assert lon == pytest.approx(122.99395597, abs=5e-6)


def _grid_over_china():
    for lat in [18.3 + i * 2.5 for i in range(15)]:
        for lon in [74.0 + j * 4.1 for j in range(16)]:
            yield lat + 0.0137 * (lon % 1), lon + 0.0291 * (lat % 1)


def test_round_trips_are_under_ten_centimetres_across_china():
    worst = 0.0
    for point in _grid_over_china():
        worst = max(worst, _metres(gcj02_to_wgs84(*wgs84_to_gcj02(*point)), point))
        worst = max(worst, _metres(bd09_to_wgs84(*wgs84_to_bd09(*point)), point))
        worst = max(worst, _metres(bd09_to_gcj02(*gcj02_to_bd09(*point)), point))
    assert worst < 0.1


def test_the_shift_is_hundreds_of_metres_in_china_and_none_outside():
    beijing = (39.9087, 116.3975)
    assert 100 < _metres(wgs84_to_gcj02(*beijing), beijing) < 1000
    assert 100 < _metres(wgs84_to_bd09(*beijing), beijing) < 2000
    monaco = (43.7384, 7.4246)
    assert wgs84_to_gcj02(*monaco) == monaco
    assert gcj02_to_wgs84(*monaco) == monaco


def test_a_click_on_a_gcj02_basemap_comes_back_as_the_stored_wgs84_position():
    stored = (31.2304, 121.4737)  # Shanghai
    for system in CoordinateSystem:
        drawn = from_wgs84(*stored, system)
        assert _metres(to_wgs84(*drawn, system), stored) < 0.1
    with pytest.raises(ValueError):
        from_wgs84(*stored, "mercator")


def test_distance_and_bearing_between_known_places():
    # Beijing Tiananmen → Shanghai People's Square: about 1,067 km, roughly south-east.
    d = distance_m(39.9087, 116.3975, 31.2304, 121.4737)
    assert 1_060_000 < d < 1_075_000
    assert 140 < bearing_deg(39.9087, 116.3975, 31.2304, 121.4737) < 155
    assert bearing_deg(0, 0, 1, 0) == pytest.approx(0.0)
    assert bearing_deg(0, 0, 0, 1) == pytest.approx(90.0)
    lat, lon = destination(43.7384, 7.4246, 90.0, 1000.0)
    assert distance_m(43.7384, 7.4246, lat, lon) == pytest.approx(1000.0, rel=1e-6)


def test_point_to_segment_distance_projects_onto_the_segment_not_its_ends():
    # A segment 200 m long, west-east; a point 30 m north of its middle.
    a = (43.7300, 7.4200)
    b = destination(*a, 90.0, 200.0)
    mid = destination(*a, 90.0, 100.0)
    p = destination(*mid, 0.0, 30.0)
    d, lat, lon = point_segment_distance_m(*p, *a, *b)
    assert d == pytest.approx(30.0, abs=0.05)
    assert distance_m(lat, lon, *mid) < 0.1


@pytest.mark.parametrize(
    ("lat", "lon", "word"),
    [(math.nan, 7.0, "latitude"), (43.0, math.inf, "longitude"), (91.0, 7.0, "latitude"),
     (43.0, -180.5, "longitude"), ("43", 7.0, "latitude"), (None, 7.0, "latitude"), (True, 7.0, "latitude")],
)
def test_invalid_positions_are_refused_with_a_clear_message(lat, lon, word):
    with pytest.raises(ValueError, match=word):
        check_position(lat, lon)


def test_valid_positions_pass_through_as_floats():
    assert check_position(43, 7) == (43.0, 7.0)
    assert check_position(-90, 180) == (-90.0, 180.0)
