"""The seat's address lookup on a large imported city, asked through its worker thread.

A generated city of 20 000 addresses (four in five Chinese) goes through the real import with its
address index; the seat's :class:`CityLookup` then answers on the :class:`AddressWorker`'s thread —
a caller's Chinese street said without its first character, a dispatcher's typed start of a Latin
address, and the nearest house to a point.
"""

from __future__ import annotations

import math
import threading

import pytest

from app.geo import EARTH_RADIUS_M
from app.mapdata.address_index import generate_city
from app.mapdata.importer import AddressIndexBuilder, BasemapBuilder, IndexBuilder, import_extract
from app.mapdata.text import is_cjk
from widgets.address_worker import AddressWorker
from widgets.location_panel import CityLookup


@pytest.fixture(scope="module")
def city_dir(tmp_path_factory):
    city = generate_city(20_000, seed=11)
    out = tmp_path_factory.mktemp("seat-city") / "generated"
    import_extract(city.extract(), out, "generated", (BasemapBuilder(), IndexBuilder(), AddressIndexBuilder()))
    return city, out


class ThreadNoting(CityLookup):
    """The seat's lookup, noting which thread asked it."""

    def __init__(self, directory) -> None:
        super().__init__(directory)
        self.threads: set[int] = set()

    def search(self, text, near=None):
        self.threads.add(threading.get_ident())
        return super().search(text, near)

    def warm_up(self) -> None:
        super().warm_up()
        self.warmed_on = threading.get_ident()


def _street(names: list[str], chinese: bool, key) -> str:
    return next(n for n in names if is_cjk(n) == chinese and sum(key(o) == key(n) for o in names) == 1)


def test_the_seat_finds_addresses_of_a_large_city_on_its_worker_thread(qtbot, city_dir):
    city, out = city_dir
    lookup = ThreadNoting(out)
    worker = AddressWorker(lookup)
    try:
        zh = _street(city.street_names, True, lambda n: n[1:])
        with qtbot.waitSignal(worker.search_done, timeout=15000) as done:
            worker.search(f"{zh[1:]}7号")  # the caller says "民解放路7号" for "人民解放路7号"
        assert done.args[1][0].name == f"{zh}7号"
        latin = _street(city.street_names, False, lambda n: n[:-3])
        with qtbot.waitSignal(worker.search_done, timeout=15000) as done:
            worker.search(f"9 {latin[:-3]}")  # "9 Rue Victor Ja"
        assert done.args[1][0].name == f"9 {latin}"
        assert lookup.threads and threading.get_ident() not in lookup.threads
        assert lookup.city.addresses is not None  # answered by the address index, not a scan
    finally:
        worker.stop()
        worker.deleteLater()


def test_the_worker_opens_the_city_off_the_gui_thread_before_the_first_lookup(qtbot, city_dir, monkeypatch):
    import widgets.address_worker

    monkeypatch.setattr(widgets.address_worker, "WARM_UP_AFTER_MS", 0)
    _, out = city_dir
    lookup = ThreadNoting(out)
    worker = AddressWorker(lookup)
    try:
        qtbot.waitUntil(lambda: hasattr(lookup, "warmed_on"), timeout=15000)
        assert lookup.warmed_on != threading.get_ident() and lookup.problem is None
    finally:
        worker.stop()
        worker.deleteLater()


def test_the_seat_names_the_nearest_house_and_street_of_a_point(city_dir):
    city, out = city_dir
    lookup = CityLookup(out)
    house = 4_321
    lat = float(city.lat[house]) - math.degrees(2.0 / EARTH_RADIUS_M)  # 2 m south of the house
    name, metres = lookup.nearest_address(lat, float(city.lon[house]))
    assert name == city.labels[house] and metres == pytest.approx(2.0, abs=0.05)
    street, _ = lookup.nearest(lat, float(city.lon[house]))
    assert street == city.street_names[int(city.street_of[house])]
