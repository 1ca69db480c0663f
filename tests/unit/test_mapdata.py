"""Offline map data: importing an OSM extract, searching addresses, naming the nearest street."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from app.__main__ import main as dispatch120
from app.geo import destination, distance_m
from app.mapdata import (
    DEFAULT_CITY_DIR,
    MapDataError,
    MapImportError,
    PlaceKind,
    import_city,
    load_city,
    nearest_street,
    search,
)

MONACO_PBF = Path("/work/shared/data/monaco.osm.pbf")
ZH_CITY = Path(__file__).resolve().parents[1] / "data" / "zh_city.osm"


@pytest.fixture(scope="module")
def monaco():
    city = load_city()  # the shipped import in resources/maps/monaco
    yield city
    city.close()


@pytest.fixture(scope="module")
def zh_city(tmp_path_factory):
    out = tmp_path_factory.mktemp("zh") / "hangzhou-test"
    import_city(ZH_CITY, out, "hangzhou-test")
    city = load_city(out)
    yield city
    city.close()


# ---------------------------------------------------------------- import


@pytest.mark.skipif(not MONACO_PBF.is_file(), reason="the shared Monaco extract is not on this machine")
def test_importing_monaco_writes_a_small_basemap_and_index_that_loads(tmp_path, capsys):
    out = tmp_path / "monaco"
    assert dispatch120(["map", "import", str(MONACO_PBF), "--out", str(out), "--name", "monaco"]) == 0
    printed = capsys.readouterr().out
    assert "streets" in printed and "MB" in printed
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    assert meta["attribution"] == "© OpenStreetMap contributors, ODbL 1.0"
    assert meta["layers"]["roads"]["classes"]["primary"] > 100
    assert meta["layers"]["water"]["classes"]["coastline"] > 0
    assert meta["layers"]["buildings"]["polygons"] > 10_000
    assert meta["index"]["streets"] > 400 and meta["index"]["pois"] > 300
    total = sum(p.stat().st_size for p in out.iterdir())
    assert total < 4_000_000
    (s, w), (n, e) = meta["bounds"]
    assert s < 43.7384 < n and w < 7.4246 < e
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp dir left
    city = load_city(out)
    assert city.search("casino")[0].name.lower().startswith("casino")
    roads = json.loads(city.layer_files["roads"].read_text(encoding="utf-8"))
    first = roads["features"][0]["geometry"]["coordinates"][0]
    assert all(len(repr(c).split(".")[1]) <= 6 for c in first)
    city.close()


def test_the_shipped_demo_city_is_monaco_with_its_attribution(monaco):
    assert monaco.directory == DEFAULT_CITY_DIR
    assert monaco.name == "monaco"
    assert "OpenStreetMap" in monaco.attribution
    assert set(monaco.layer_files) == {"roads", "water", "buildings"}
    assert all(p.is_file() for p in monaco.layer_files.values())
    assert sum(p.stat().st_size for p in DEFAULT_CITY_DIR.iterdir()) < 4_000_000


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "empty"), (b"\x00\x00\x00\x0eOSMHeader-not-really" + bytes(300), "not a readable"),
     (b"this is not osm\n", "not a readable")],
)
def test_a_corrupt_or_empty_extract_is_refused_and_leaves_nothing_behind(tmp_path, capsys, content, message):
    bad = tmp_path / "city.osm.pbf"
    bad.write_bytes(content)
    out = tmp_path / "maps" / "city"
    assert dispatch120(["map", "import", str(bad), "--out", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()
    assert not list((tmp_path / "maps").glob(".*")) if (tmp_path / "maps").exists() else True


def test_a_truncated_pbf_is_refused_and_the_existing_city_is_kept(tmp_path):
    out = tmp_path / "city"
    import_city(ZH_CITY, out)
    before = (out / "meta.json").read_bytes()
    truncated = tmp_path / "cut.osm.pbf"
    truncated.write_bytes(MONACO_PBF.read_bytes()[:40_000] if MONACO_PBF.is_file() else b"\x00\x00\x00\x0d")
    with pytest.raises(MapImportError, match="not a readable"):
        import_city(truncated, out)
    assert (out / "meta.json").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_missing_file_and_an_extract_without_roads_are_clear_errors(tmp_path):
    with pytest.raises(MapImportError, match="no such file"):
        import_city(tmp_path / "nope.osm.pbf", tmp_path / "out")
    no_roads = tmp_path / "points.osm"
    no_roads.write_text('<?xml version="1.0"?><osm version="0.6"><node id="1" version="1" lat="1" lon="2"/></osm>')
    with pytest.raises(MapImportError, match="no roads"):
        import_city(no_roads, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_loading_a_directory_that_is_not_a_city_says_how_to_import_one(tmp_path):
    with pytest.raises(MapDataError, match="map import"):
        load_city(tmp_path)
    broken = tmp_path / "broken"
    shutil.copytree(DEFAULT_CITY_DIR, broken)
    (broken / "roads.geojson").unlink()
    with pytest.raises(MapDataError, match="roads.geojson"):
        load_city(broken)


# ---------------------------------------------------------------- search


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("blvd albert", "Boulevard Albert 1er"), ("Boulevard Albert 1er", "Boulevard Albert 1er"),
     ("BOULEVARD ALBERT", "Boulevard Albert 1er"), ("princesse grace", "Avenue Princesse Grace"),
     ("bd de suisse", "Boulevard de Suisse"), ("av princesse gr", "Avenue Princesse Grace")],
)
def test_dispatcher_finds_a_street_from_partial_or_abbreviated_input(monaco, typed, expected):
    results = monaco.search(typed, limit=5)
    assert results[0].name == expected
    assert results[0].kind is PlaceKind.STREET
    assert 0 < results[0].score <= 1


def test_albert_1er_finds_both_streets_named_after_him(monaco):
    names = [r.name for r in monaco.search("albert 1er", limit=5)]
    assert "Boulevard Albert 1er" in names and "Quai Albert 1er" in names


def test_accents_do_not_matter(monaco):
    assert any(r.name == "Èze" for r in monaco.search("eze", limit=5))
    assert any("Hôpital" in r.name for r in monaco.search("hopital", limit=5))


def test_chinese_input_finds_monaco_by_its_chinese_name(monaco):
    # Monaco's data has name:zh only for the country (摩納哥, Traditional): the fold finds it.
    results = monaco.search("摩纳哥")
    assert results[0].name == "Monaco" and results[0].kind is PlaceKind.PLACE


def test_chinese_facility_word_finds_hospitals_by_category(monaco):
    results = monaco.search("医院", limit=20)
    assert results and all(r.category.endswith("=hospital") for r in results)


def test_a_search_near_the_caller_prefers_the_nearer_of_two_equal_names(monaco):
    twins = [r for r in monaco.search("rue grimaldi", limit=10) if r.name == "Rue Grimaldi"]
    assert len(twins) == 2  # two streets of that name, more than 300 m apart
    for twin in twins:
        assert monaco.search("rue grimaldi", near=(twin.lat, twin.lon))[0].id == twin.id


def test_blank_and_punctuation_only_input_gives_no_results(monaco):
    assert monaco.search("") == []
    assert monaco.search("  -- ,, ") == []
    with pytest.raises(ValueError, match="latitude"):
        monaco.search("casino", near=(float("nan"), 7.4))


def test_chinese_city_streets_addresses_and_pois_are_found_with_chinese_input(zh_city):
    assert zh_city.search("中山路")[0].name == "中山路"
    assert len([r for r in zh_city.search("中山路") if r.kind is PlaceKind.STREET]) == 1  # two ways, one street
    address = zh_city.search("中山路12号")[0]
    assert (address.kind, address.name, address.housenumber) == (PlaceKind.ADDRESS, "中山路12号", "12")
    assert zh_city.search("人民")[0].name == "人民路"  # two characters: partial input
    assert zh_city.search("renmin")[0].name == "人民路"  # name:en
    assert zh_city.search("医院")[0].name == "第一人民医院"
    assert zh_city.search("大药房")[0].name == "老百姓大药房"
    assert zh_city.search("上城")[0].kind is PlaceKind.PLACE
    assert zh_city.search("解放路")[0].name == "解放北路"  # a missing character: bigram fallback


# ---------------------------------------------------------------- reverse lookup


def test_a_point_beside_boulevard_albert_1er_is_named_with_its_distance(monaco):
    gaz = monaco.gazetteer
    street_id = monaco.search("boulevard albert 1er")[0].id
    segments = gaz.segment_coords[gaz.segment_street == street_id]
    lengths = [distance_m(*s[:2], *s[2:]) for s in segments]
    lat1, lon1, lat2, lon2 = segments[max(range(len(lengths)), key=lengths.__getitem__)]
    assert max(lengths) > 30
    mid = ((lat1 + lat2) / 2, (lon1 + lon2) / 2)
    from app.geo import bearing_deg

    beside = destination(*mid, bearing_deg(lat1, lon1, lat2, lon2) + 90, 4.0)
    name, metres = monaco.nearest_street(*beside)
    assert name == "Boulevard Albert 1er"
    assert metres == pytest.approx(4.0, abs=0.5)  # to the segment, not to its nodes (> 15 m away)
    snap = monaco.snap_to_street(*beside)
    assert distance_m(snap.lat, snap.lon, *mid) < 0.5


def test_far_from_any_street_there_is_no_name(monaco):
    assert nearest_street(monaco.gazetteer, 43.60, 7.40) is None  # in the sea, 15 km out
    with pytest.raises(ValueError, match="longitude"):
        monaco.nearest_street(43.7, float("inf"))


def test_reverse_lookup_speaks_english_or_chinese_when_the_road_has_those_names(zh_city):
    on_renmin = (30.2510, 120.1640)
    assert zh_city.nearest_street(*on_renmin).name == "人民路"
    assert zh_city.nearest_street(*on_renmin, lang="en").name == "Renmin Road"
    assert zh_city.nearest_street(*on_renmin, lang="zh").name == "人民路"  # no name:zh → name


def test_the_pure_search_function_and_the_city_object_agree(monaco):
    assert search(monaco.gazetteer, "princesse grace") == monaco.search("princesse grace")
