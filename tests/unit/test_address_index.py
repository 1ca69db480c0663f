"""The address index answers exactly what a brute-force search over the same data answers.

Random points and generated street addresses (Chinese and Latin); every answer of the
k-d tree (reverse lookup) and of the word-prefix index (search) is compared with a plain
scan of all entries. The road-segment k-d tree behind "nearest street" is checked the same
way against measuring every segment.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.mapdata.address_index import AddressIndex, generate_city
from app.mapdata.search import _segment_distances, snap_to_street
from app.mapdata.text import is_cjk, normalize, query_tokens


def brute_nearest(index: AddressIndex, lat: float, lon: float) -> tuple[int, float]:
    d = np.hypot((index.lon - lon) * index.kx, (index.lat - lat) * index.ky)
    best = int(np.argmin(d))
    return best, float(d[best])


def brute_matches(labels: list[str], text: str) -> set[int]:
    """Entries where every typed word starts a word of the label (or, Chinese, sits inside one)."""
    tokens = query_tokens(text)
    found = set()
    for entry, label in enumerate(labels):
        words = normalize(label).split()
        if all(any(w.startswith(t) or (is_cjk(w) and len(t) <= 8 and t in w) for w in words) for t in tokens):
            found.add(entry)
    return found


def test_reverse_lookup_finds_the_same_nearest_address_as_measuring_every_one():
    rng = np.random.default_rng(1)
    lat = rng.uniform(29.4, 29.7, 5000)
    lon = rng.uniform(106.4, 106.7, 5000)
    index = AddressIndex(lat, lon, [f"p{i}" for i in range(5000)])
    for qlat, qlon in zip(rng.uniform(29.35, 29.75, 300), rng.uniform(106.35, 106.75, 300), strict=True):
        entry, distance = index.nearest(float(qlat), float(qlon))
        expected_entry, expected_distance = brute_nearest(index, float(qlat), float(qlon))
        assert distance == pytest.approx(expected_distance, rel=1e-9)
        assert entry == expected_entry


def test_reverse_lookup_says_none_beyond_the_distance_asked_and_refuses_a_bad_position():
    index = AddressIndex([29.56], [106.55], ["人民路1号"])
    assert index.nearest(29.56, 106.551, max_distance_m=50.0) is None  # ~97 m east
    entry, distance = index.nearest(29.56, 106.551, max_distance_m=200.0)
    assert entry == 0 and distance == pytest.approx(96.8, abs=1.0)
    with pytest.raises(ValueError):
        index.nearest(math.nan, 106.55)
    assert AddressIndex([], [], []).nearest(29.56, 106.55) is None


@pytest.mark.parametrize("seed", [3, 4])
def test_search_returns_exactly_the_addresses_a_scan_finds(seed):
    city = generate_city(4000, seed=seed)
    index = AddressIndex(city.lat, city.lon, city.labels)
    rng = np.random.default_rng(seed)
    queries = ["12", "1", "人民", "路", "建设路", "rue", "Avenue Victor", "albert 3", "民建", "号", "zzz", "中山路 7"]
    for i in rng.integers(0, len(city.labels), 25):
        label = city.labels[int(i)]
        queries.append(label[: 2 + int(i) % 6])
        queries.append(label)
    for text in queries:
        expected = brute_matches(city.labels, text)
        got = index.search(text, limit=None)
        assert len(got) == len(set(got)), text
        assert set(got) == expected, text


def test_search_puts_whole_word_matches_first_then_shorter_labels():
    index = AddressIndex([0.0] * 4, [0.0] * 4, ["人民路123号", "人民路12号", "12 Rue Albert", "Rue Albert 120"])
    assert index.search("12", limit=None)[:2] == [1, 2]  # "12" whole, shortest first
    assert index.search("rue alb", limit=1) == [2]
    assert index.search("   ") == [] and index.search("12", limit=0) == []


def test_the_generated_city_is_the_same_for_the_same_seed():
    a, b = generate_city(500, seed=9), generate_city(500, seed=9)
    assert a.labels == b.labels and np.array_equal(a.lat, b.lat)
    assert len(a.labels) == 500 and any(is_cjk(x) for x in a.labels) and not all(is_cjk(x) for x in a.labels)


def test_nearest_street_through_the_segment_tree_equals_measuring_every_segment():
    from app.mapdata import load_city

    city = load_city()  # the shipped demo city (Monaco)
    index = city.gazetteer
    coords = index.segment_coords
    rng = np.random.default_rng(5)
    (s, w), (n, e) = city.bounds
    for lat, lon in zip(rng.uniform(s, n, 150), rng.uniform(w, e, 150), strict=True):
        snap = snap_to_street(index, float(lat), float(lon), max_distance_m=400.0)
        kx = math.radians(1.0) * 6_371_008.8 * math.cos(math.radians(lat))
        ky = math.radians(1.0) * 6_371_008.8
        d, _cx, _cy = _segment_distances(coords, float(lat), float(lon), kx, ky)
        score = d + index.segment_penalty_m
        best = int(np.argmin(np.where(d <= 400.0, score, np.inf)))
        if d[best] > 400.0:
            assert snap is None
            continue
        assert snap is not None
        assert snap.distance_m == pytest.approx(float(d[best]), abs=1e-6)
        assert snap.street_id == int(index.segment_street[best]) or \
            score[index.segment_street == snap.street_id].min() == pytest.approx(score[best])
    city.close()
