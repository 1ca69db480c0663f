"""The map page in a real QtWebEngine (offscreen): offline, markers where Python put them, clicks back.

Every test loads the real folium page with vendored Leaflet through the ``d120://`` scheme;
an interceptor records every URL the page requests, and the network is unreachable
(a proxy on a closed 127.0.0.1 port), so a remote URL would show up here.
"""

from __future__ import annotations

import json
import logging
import math
import sqlite3
from pathlib import Path

import pytest
from PySide6.QtNetwork import QNetworkProxy
from PySide6.QtWebEngineCore import QWebEngineUrlRequestInterceptor

from maps.page import remote_urls
from maps.sources import MapConfigError, make_config, tile_source
from maps.view import MapView

MONACO = (43.7384, 7.4246)
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a0d5a3bd0000000049454e44ae426082"
)


class Recorder(QWebEngineUrlRequestInterceptor):
    """Records every URL the page asks for (the edge of the machine: what would leave it)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.urls: list[str] = []

    def interceptRequest(self, info) -> None:  # noqa: N802 (Qt override)
        self.urls.append(info.requestUrl().toString())


@pytest.fixture(autouse=True)
def no_network():
    """Point Qt's proxy at a closed local port: nothing can reach the network."""
    QNetworkProxy.setApplicationProxy(QNetworkProxy(QNetworkProxy.ProxyType.HttpProxy, "127.0.0.1", 9))
    yield
    QNetworkProxy.setApplicationProxy(QNetworkProxy(QNetworkProxy.ProxyType.NoProxy))


def open_map(qtbot, config=None, **kwargs) -> tuple[MapView, Recorder]:
    view = MapView(config or make_config(centre=MONACO), layers=[("units", "Ambulances"), ("callers", "Caller")],
                   **kwargs)
    recorder = Recorder(view.profile)  # dies with the profile that calls it
    view.profile.setUrlRequestInterceptor(recorder)
    qtbot.addWidget(view)
    view.resize(800, 600)
    view.show()
    with qtbot.waitSignal(view.ready, timeout=20000):
        view.start()
    return view, recorder


def js(qtbot, view: MapView, script: str):
    box: list = []
    view.run_js(script, box.append)
    qtbot.waitUntil(lambda: bool(box), timeout=5000)
    return box[0]


def page_state(qtbot, view: MapView) -> dict:
    view.flush()
    return json.loads(js(qtbot, view, "window.d120.state()"))


def wait_items(qtbot, view: MapView, predicate) -> dict:
    box: dict = {}

    def check() -> bool:
        box["state"] = page_state(qtbot, view)
        return predicate(box["state"])

    qtbot.waitUntil(check, timeout=5000)
    return box["state"]


def test_page_loads_with_no_network_and_asks_for_nothing_remote(qtbot):
    view, recorder = open_map(qtbot)
    html = js(qtbot, view, "document.documentElement.outerHTML")
    assert "leaflet-container" in html  # Leaflet (vendored) really ran
    assert remote_urls(html) == []
    assert recorder.urls, "the interceptor saw the page's own requests"
    assert all(url.startswith("d120://app/") for url in recorder.urls), recorder.urls
    assert page_state(qtbot, view)["tile_url"] is None


def test_markers_appear_where_python_put_them(qtbot):
    view, _ = open_map(qtbot)
    assert view.upsert_marker("units", "u1", 43.7402, 7.4270, icon="unit", color="#009E73", label="120-01",
                              heading_deg=90)
    assert view.upsert_circle("callers", "gps", 43.7371, 7.4219, 35, color="#D55E00")
    view.upsert_marker("units", "u1", 43.7410, 7.4280, icon="unit", color="#0072B2", label="120-01")  # moves
    state = wait_items(qtbot, view, lambda s: len(s["items"]) == 2)
    by_id = {item["id"]: item for item in state["items"]}
    assert (by_id["u1"]["lat"], by_id["u1"]["lon"], by_id["u1"]["color"]) == (43.7410, 7.4280, "#0072B2")
    assert (by_id["gps"]["kind"], by_id["gps"]["radius_m"]) == ("circle", 35)
    view.remove("units", "u1")
    state = wait_items(qtbot, view, lambda s: len(s["items"]) == 1)
    assert state["items"][0]["id"] == "gps"


def test_many_updates_in_one_frame_go_in_one_batch(qtbot):
    view, _ = open_map(qtbot)
    sent = view.batches_sent
    for second in range(20):
        for n in range(50):
            view.upsert_marker("units", f"u{n}", 43.73 + n * 1e-4, 7.42 + second * 1e-5, icon="unit")
    assert view.pending() == 50  # coalesced: the last position of each unit
    state = wait_items(qtbot, view, lambda s: len(s["items"]) == 50)
    assert view.batches_sent == sent + 1
    assert {item["lon"] for item in state["items"]} == {7.42 + 19 * 1e-5}


def test_a_click_on_the_map_arrives_in_python_as_wgs84(qtbot):
    view, _ = open_map(qtbot)
    with qtbot.waitSignal(view.map_clicked, timeout=5000) as clicked:
        js(qtbot, view, "d120.map.fire('click', {latlng: L.latLng(43.7312, 7.4199)}); 1")
    assert clicked.args == pytest.approx([43.7312, 7.4199])


def test_invalid_positions_are_refused_not_drawn(qtbot, caplog):
    view, _ = open_map(qtbot)
    caplog.set_level(logging.WARNING, logger="maps.view")
    assert not view.upsert_marker("units", "nan", math.nan, 7.42, icon="unit")
    assert not view.upsert_marker("units", "north", 91.0, 7.42, icon="unit")
    assert not view.upsert_marker("units", "text", "43.7", None, icon="unit")
    assert not view.upsert_circle("callers", "inf", 43.7, math.inf, 30)
    assert not view.upsert_circle("callers", "no-accuracy", 43.7, 7.42, None)
    assert view.upsert_marker("units", "ok", 43.7, 7.42, icon="unit")
    state = wait_items(qtbot, view, lambda s: len(s["items"]) >= 1)
    assert [item["id"] for item in state["items"]] == ["ok"]
    assert view.refused == 5
    assert "refused" in caplog.text


def test_a_gcj02_basemap_draws_shifted_and_clicks_come_back_in_wgs84(qtbot):
    geo = pytest.importorskip("app.geo")
    tiles = tile_source("https://tiles.centre.example/{z}/{x}/{y}.png", attribution="Centre tiles", crs="gcj02")
    view, _ = open_map(qtbot, make_config(tiles=tiles, centre=(29.56, 106.55)))
    wgs = (29.5630, 106.5516)  # Chongqing: GCJ-02 is hundreds of metres off here
    shown = geo.wgs84_to_gcj02(*wgs)
    view.upsert_marker("units", "u1", *wgs, icon="unit")
    state = wait_items(qtbot, view, lambda s: len(s["items"]) == 1)
    assert (state["items"][0]["lat"], state["items"][0]["lon"]) == pytest.approx(shown, abs=1e-9)
    assert state["tile_url"] == "https://tiles.centre.example/{z}/{x}/{y}.png"
    with qtbot.waitSignal(view.map_clicked, timeout=5000) as clicked:
        js(qtbot, view, f"d120.map.fire('click', {{latlng: L.latLng({shown[0]}, {shown[1]})}}); 1")
    assert clicked.args == pytest.approx(list(wgs), abs=1e-6)


def test_a_closed_map_deletes_its_page_then_its_profile_then_the_scheme_handler(qtbot):
    from PySide6.QtCore import QCoreApplication, QEvent

    view, _ = open_map(qtbot)
    deleted: list[str] = []
    view.page().destroyed.connect(lambda *_: deleted.append("page"))
    view.profile.destroyed.connect(lambda *_: deleted.append("profile"))
    view.handler.destroyed.connect(lambda *_: deleted.append("scheme handler"))

    view.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)

    # Qt: a page must go before its profile; the profile calls its scheme handler until it goes.
    assert deleted == ["page", "profile", "scheme handler"]


@pytest.mark.parametrize("url", ["https://tiles.centre.example/tiles.png", "https://t.example/{z}/{x}.png",
                                 "ftp://t.example/{z}/{x}/{y}.png", ""])
def test_a_tile_url_without_z_x_y_is_a_clear_error(url):
    with pytest.raises(MapConfigError, match="map_tile_url"):
        tile_source(url)


def test_an_mbtiles_file_is_served_through_the_seat_and_nothing_else(qtbot, tmp_path: Path):
    path = tmp_path / "city.mbtiles"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
    db.execute("CREATE TABLE tiles (zoom_level INT, tile_column INT, tile_row INT, tile_data BLOB)")
    db.executemany("INSERT INTO metadata VALUES (?, ?)", [("format", "png"), ("minzoom", "0"), ("maxzoom", "3"),
                                                         ("attribution", "Centre MBTiles")])
    db.execute("INSERT INTO tiles VALUES (1, 1, 0, ?)", (PNG_1PX,))  # TMS row 0 at z=1 is XYZ row 1
    db.commit()
    db.close()
    config = make_config(mbtiles_path=path, centre=(-40.0, 90.0))
    assert config.mbtiles.tile(1, 1, 1) == PNG_1PX and config.mbtiles.tile(1, 1, 0) is None
    view, recorder = open_map(qtbot, config)
    qtbot.waitUntil(lambda: any("/tiles/" in url for url in recorder.urls), timeout=5000)
    assert all(url.startswith("d120://app/") for url in recorder.urls)
    assert "Centre MBTiles" in js(qtbot, view, "document.body.innerText")


def test_a_broken_mbtiles_file_is_a_clear_error(tmp_path: Path):
    bad = tmp_path / "broken.mbtiles"
    bad.write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(MapConfigError, match="not an MBTiles file"):
        make_config(mbtiles_path=bad)
    with pytest.raises(MapConfigError, match="no such file"):
        make_config(mbtiles_path=tmp_path / "missing.mbtiles")
