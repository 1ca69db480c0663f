"""The demo city ships as the current importer writes it: with the address index beside index.sqlite.

A city imported before the address index existed still loads, but every address search and
nearest-address lookup then scans SQLite; the shipped one must not be such a city.
"""

from __future__ import annotations

import pytest

from app.mapdata import load_city
from app.mapdata.address_index import AddressIndex
from app.mapdata.city import DEFAULT_CITY_DIR
from app.mapdata.importer import ADDRESS_DIR, BUILDERS

# The address index of Monaco's 62 addresses is ~16 kB; a city of a million addresses ~100 MB
# (bench/address_search.py). Far more for the demo city would mean something else got in.
DEMO_ADDRESS_INDEX_MAX_BYTES = 256 * 1024


@pytest.fixture(scope="module")
def shipped():
    city = load_city()
    yield city
    city.close()


def test_the_shipped_city_was_written_by_every_builder_of_the_current_importer(shipped):
    assert shipped.directory == DEFAULT_CITY_DIR
    missing = [builder.name for builder in BUILDERS if builder.name not in shipped.meta]
    assert missing == [], f"re-import the demo city: dispatch120 map import monaco.osm.pbf --out {DEFAULT_CITY_DIR}"


def test_the_shipped_city_has_its_address_index_and_it_agrees_with_the_street_index(shipped):
    assert shipped.addresses is not None
    assert len(shipped.addresses) == shipped.gazetteer.address_count == shipped.meta["address_index"]["addresses"]
    assert shipped.gazetteer.address_count > 0
    files = [p for p in (DEFAULT_CITY_DIR / ADDRESS_DIR).iterdir() if p.is_file()]
    assert 0 < sum(p.stat().st_size for p in files) <= DEMO_ADDRESS_INDEX_MAX_BYTES


def test_the_nearest_address_in_the_shipped_city_comes_from_the_index(shipped, monkeypatch):
    asked = []
    grid_lookup = AddressIndex.nearest

    def recording(self, lat, lon, max_distance_m=100.0):
        asked.append((lat, lon))
        return grid_lookup(self, lat, lon, max_distance_m)

    monkeypatch.setattr(AddressIndex, "nearest", recording)
    found = shipped.nearest_address(43.7375185, 7.4175475)  # 8 m north of 12 Chemin de la Turbie

    assert found is not None and found.name == "12 Chemin de la Turbie" and round(found.distance_m) == 8
    assert asked == [(43.7375185, 7.4175475)]


def test_the_shipped_index_finds_a_house_by_what_the_caller_says(shipped):
    [first, *_] = shipped.search("12 chemin de la turbie")
    assert first.name == "12 Chemin de la Turbie"
