"""A city imported with its address index: the dispatcher finds addresses by what callers say.

A generated city (20 000 addresses on 200 streets, four in five Chinese) goes through the real
import; the seat's search and reverse lookup then answer from the address index mapped from
the city directory, and answer as SQLite answered for the demo city before the index existed.
"""

from __future__ import annotations

import json
import logging
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from app.geo import EARTH_RADIUS_M
from app.mapdata import PlaceKind, import_city, load_city
from app.mapdata.address_index import AddressIndex, generate_city
from app.mapdata.importer import AddressIndexBuilder, BasemapBuilder, IndexBuilder, import_extract
from app.mapdata.text import is_cjk

MONACO_PBF = Path("/work/shared/data/monaco.osm.pbf")


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    city = generate_city(20_000, seed=5)
    out = tmp_path_factory.mktemp("large") / "generated"
    import_extract(city.extract(), out, "generated", (BasemapBuilder(), IndexBuilder(), AddressIndexBuilder()))
    loaded = load_city(out)
    yield city, loaded
    loaded.close()


def _unique_street(names: list[str], chinese: bool, key) -> str:
    """A street whose ``key`` (a suffix or prefix of its name) no other street shares."""
    for name in names:
        if is_cjk(name) == chinese and sum(key(other) == key(name) for other in names) == 1:
            return name
    raise AssertionError("no such street in the generated city")


def test_the_import_writes_an_address_index_the_seat_maps_without_building(generated):
    city, loaded = generated
    assert loaded.meta["address_index"]["addresses"] == len(city.labels)
    assert isinstance(loaded.addresses, AddressIndex) and len(loaded.addresses) == len(city.labels)
    assert isinstance(loaded.addresses._postings, np.memmap)  # read from the file, not rebuilt


def test_a_caller_who_drops_the_first_character_of_a_chinese_street_is_found(generated):
    city, loaded = generated
    name = _unique_street(city.street_names, True, lambda n: n[1:])
    said = f"{name[1:]}12号"  # "民解放路12号" for "人民解放路12号"
    first = loaded.search(said)[0]
    assert (first.kind, first.name, first.housenumber) == (PlaceKind.ADDRESS, f"{name}12号", "12")


def test_a_dispatcher_typing_the_start_of_a_latin_address_finds_it(generated):
    city, loaded = generated
    name = _unique_street(city.street_names, False, lambda n: n[:-2])
    first = loaded.search(f"12 {name[:-2]}")[0]  # "12 Rue Victor Jaur"
    assert (first.kind, first.name) == (PlaceKind.ADDRESS, f"12 {name}")


def test_of_many_streets_ending_alike_the_one_near_the_caller_comes_first(generated):
    city, loaded = generated
    street = next(s for s, name in enumerate(city.street_names) if is_cjk(name))
    name = city.street_names[street]
    alike = [n for n in city.street_names if n.endswith(name[2:])]
    assert len(alike) > 10  # "建设路12号" is on each of them
    house = int(np.flatnonzero((city.street_of == street) & (np.array(city.housenumbers) == "12"))[0])
    caller = (float(city.lat[house]), float(city.lon[house]))
    first = loaded.search(f"{name[2:]}12号", near=caller)[0]
    assert first.name == f"{name}12号" and first.distance_m == pytest.approx(0.0, abs=0.01)
    # Only the street's end said, no number: thousands of houses match; those on the caller's street
    # come before those of the same name's end elsewhere (the last such street, not the first).
    street = max(s for s, n in enumerate(city.street_names) if n.endswith(name[2:]))
    name = city.street_names[street]
    caller = (float(city.lat[city.street_of == street][50]), float(city.lon[city.street_of == street][50]))
    houses = [r for r in loaded.search(name[2:], near=caller) if r.kind is PlaceKind.ADDRESS]
    assert houses and all(r.name.startswith(name) for r in houses[:3])


def test_the_address_index_and_sqlite_agree_on_a_whole_address(generated):
    city, loaded = generated
    sqlite_only = type(loaded)(loaded.directory, loaded.meta, loaded.gazetteer, addresses=None)
    for label in (city.labels[123], city.labels[7_777], city.labels[19_999]):
        fast = loaded.search(label, limit=3)
        slow = sqlite_only.search(label, limit=3)
        assert fast[0].name == slow[0].name == label
        assert fast[0].score == slow[0].score


def test_the_nearest_address_of_a_point_is_the_house_three_metres_away(generated):
    city, loaded = generated
    for house in (42, 10_001, 19_500):
        lat = float(city.lat[house]) + math.degrees(3.0 / EARTH_RADIUS_M)  # 3 m north of the house
        lon = float(city.lon[house])
        found = loaded.nearest_address(lat, lon)
        assert found.name == city.labels[house]
        assert found.distance_m == pytest.approx(3.0, abs=0.05)
        assert (found.lat, found.lon) == pytest.approx((city.lat[house], city.lon[house]))
    # Far outside the city (50 km south), no address within 100 m: None, and a bad position is refused.
    assert loaded.nearest_address(float(city.lat.min()) - 0.5, float(city.lon.mean())) is None
    with pytest.raises(ValueError):
        loaded.nearest_address(math.nan, 106.5)


def test_a_random_point_gets_the_address_measuring_every_house_would_give(generated):
    city, loaded = generated
    rng = np.random.default_rng(2)
    index = loaded.addresses
    for lat, lon in zip(rng.uniform(city.lat.min(), city.lat.max(), 50),
                        rng.uniform(city.lon.min(), city.lon.max(), 50), strict=True):
        d = np.hypot((city.lon - lon) * index.kx, (city.lat - lat) * index.ky)
        found = loaded.nearest_address(float(lat), float(lon), max_distance_m=5_000.0)
        assert found.distance_m == pytest.approx(float(d.min()), rel=1e-9)


def test_an_address_index_from_another_import_is_ignored_and_sqlite_answers(generated, tmp_path, caplog):
    city, loaded = generated
    copy = tmp_path / "copy"
    shutil.copytree(loaded.directory, copy)
    meta_file = copy / "addresses" / "address_index.json"
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    meta["count"] = 5
    meta_file.write_text(json.dumps(meta), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="app.mapdata.city"):
        reopened = load_city(copy)
    try:
        assert reopened.addresses is None
        assert "address index ignored" in caplog.text
        assert reopened.search(city.labels[123])[0].name == city.labels[123]
    finally:
        reopened.close()


@pytest.fixture(scope="module")
def monaco_pair(tmp_path_factory):
    if not MONACO_PBF.is_file():
        pytest.skip("the shared Monaco extract is not on this machine")
    out = import_city(MONACO_PBF, tmp_path_factory.mktemp("monaco") / "monaco").out_dir
    fresh = load_city(out)
    sqlite_only = load_city(out)
    sqlite_only.addresses = None  # as a city imported before the address index: SQLite answers everything
    yield fresh, sqlite_only
    fresh.close()
    sqlite_only.close()


@pytest.mark.parametrize("typed", ["blvd albert", "albert 1er", "princesse grace", "摩纳哥", "医院", "eze", "hopital",
                                   "rue grimaldi", "bd de suisse", "casino", "4 quai", "quai antoine 1er 4",
                                   "12 chemin de la turbie", "avenue des papalins", "grim", "x"])
def test_monaco_imported_with_the_address_index_answers_as_sqlite_alone(monaco_pair, typed):
    fresh, sqlite_only = monaco_pair
    assert fresh.addresses is not None and sqlite_only.addresses is None
    ours = [(r.kind, r.name, r.score) for r in fresh.search(typed)]
    before = [(r.kind, r.name, r.score) for r in sqlite_only.search(typed)]
    assert ours == before


def test_monaco_reverse_lookup_is_the_same_with_the_address_index(monaco_pair):
    fresh, sqlite_only = monaco_pair
    rng = np.random.default_rng(4)
    (south, west), (north, east) = sqlite_only.bounds
    for lat, lon in zip(rng.uniform(south, north, 100), rng.uniform(west, east, 100), strict=True):
        assert fresh.nearest_street(lat, lon) == sqlite_only.nearest_street(lat, lon)
        ours, before = fresh.nearest_address(lat, lon, 300.0), sqlite_only.nearest_address(lat, lon, 300.0)
        assert (ours is None) == (before is None)
        if ours is not None:
            assert ours.name == before.name and ours.distance_m == pytest.approx(before.distance_m, rel=2e-3)
