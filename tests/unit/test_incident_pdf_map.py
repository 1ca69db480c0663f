"""A supervisor prints an incident report and finds the map with the ambulances' tracks on it.

The demonstration incident (``app.records.demo``) is placed on the shipped demo city's streets
(:data:`demo.MONACO`), its ambulance positions written into ``unit_positions`` as the server's
track recorder writes them, and the report made with ``dispatch120 records show --format pdf``.
The map page is read back with ``pdftotext`` and rendered with ``pdftoppm``: the tracks must be
drawn where the recorded positions project, inside the map's frame, whatever the extent.
"""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image

from app.__main__ import main
from app.protocol import format_ts
from app.records import demo
from app.records.incident import read_incident
from app.records.pdf import MIN_MAP_SPAN_M, UNIT_COLOURS, fit_view, map_extent, record_pdf, scale_bar_m
from app.records.record_render import sections
from app.records.track import build_track, read_track
from server_stub.schema import prenotify_table, strips_table, unit_positions_table
from server_stub.store import Batch, EventStore

ID = demo.INCIDENT_ID
DPI = 50
MAP_BACKGROUND = (242, 239, 233)


def write_log(path: Path, log: demo.DemoLog, *, positions: bool = True) -> Path:
    store = EventStore(path)
    try:
        store.commit(Batch(expected_seq=0, events=log.events))
        with store.engine.begin() as conn:
            conn.execute(strips_table.insert(), log.strips)
            conn.execute(prenotify_table.insert(), log.prenotifications)
            if positions:
                conn.execute(unit_positions_table.insert(), log.positions)
    finally:
        store.close()
    return path


def report(db: Path, out: Path, *extra: str) -> bytes:
    assert main(["records", "show", "--db", str(db), "--incident", ID, "--format", "pdf", "--out", str(out),
                 *extra]) == 0
    return out.read_bytes()


def pages_text(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    return text.split("\f")


def render(pdf: Path, page: int) -> Image.Image:
    stem = pdf.with_suffix("")
    subprocess.run(["pdftoppm", "-png", "-r", str(DPI), "-f", str(page), "-l", str(page), "-singlefile",
                    str(pdf), str(stem)], check=True)
    with Image.open(f"{stem}.png") as image:
        return image.convert("RGB")


def pixels(image: Image.Image) -> list[tuple[int, int, int]]:
    data = image.tobytes()
    return [(data[i], data[i + 1], data[i + 2]) for i in range(0, len(data), 3)]


def frame_mm(image: Image.Image) -> tuple[float, float, float, float]:
    """The map frame (x, y, w, h in mm), found as the box of the map's background colour."""
    mask = Image.new("1", image.size)
    mask.putdata([p == MAP_BACKGROUND for p in pixels(image)])
    box = mask.getbbox()
    assert box is not None, "no map frame on this page"
    px = 25.4 / DPI
    x0, y0, x1, y1 = box
    return x0 * px, y0 * px, (x1 - x0) * px, (y1 - y0) * px


def near_colour(image: Image.Image, x_mm: float, y_mm: float, colour: tuple[int, int, int],
                radius_px: int = 2, tolerance: int = 70) -> bool:
    cx, cy = round(x_mm * DPI / 25.4), round(y_mm * DPI / 25.4)
    for x in range(cx - radius_px, cx + radius_px + 1):
        for y in range(cy - radius_px, cy + radius_px + 1):
            if 0 <= x < image.width and 0 <= y < image.height:
                if sum(abs(a - b) for a, b in zip(image.getpixel((x, y)), colour, strict=True)) <= tolerance:
                    return True
    return False


def colour_pixels(image: Image.Image, colour: tuple[int, int, int], tolerance: int = 40) -> list[tuple[int, int]]:
    width = image.width
    return [(i % width, i // width) for i, p in enumerate(pixels(image))
            if sum(abs(a - b) for a, b in zip(p, colour, strict=True)) <= tolerance]


@pytest.fixture(scope="module")
def monaco(tmp_path_factory) -> dict:
    """The demo incident on Monaco's streets, with its tracks, and its report (zh)."""
    tmp = tmp_path_factory.mktemp("map")
    log = demo.build(demo.MONACO)
    db = write_log(tmp / "events.sqlite", log)
    pdf = tmp / "report.pdf"
    report(db, pdf)
    texts = pages_text(pdf)
    page = next(i for i, t in enumerate(texts) if "地图与轨迹" in t) + 1
    return {"db": db, "log": log, "pdf": pdf, "texts": texts, "page": page}


def test_the_report_has_a_map_page_with_a_legend_of_the_units_and_their_times(monaco):
    text = monaco["texts"][monaco["page"] - 1]
    for words in ("车辆", "派车", "到达现场", "到达医院", "定位点", "起点", "终点", "来电者位置", "事件位置",
                  "等距圆柱投影", "OpenStreetMap"):
        assert words in text
    a01 = next(line for line in text.splitlines() if "渝中1 (A01)" in line)
    # The story: 渝中1 was sent at 20:43:06, on scene at 20:52:06, at the hospital at 21:22:06.
    fixes = sum(1 for r in monaco["log"].positions if r["unit_id"] == "A01")
    assert a01.split()[2:] == ["20:43:06", "20:52:06", "21:22:06", str(fixes)]
    a02 = next(line for line in text.splitlines() if "渝中2 (A02)" in line)
    assert a02.split()[2:] == ["20:43:14", "–", "–", "18"]  # stood down before it got there
    assert "500 m" in text  # the scale bar
    assert "北" in text  # the north arrow


def test_each_track_is_drawn_where_its_recorded_positions_are(monaco):
    image = render(monaco["pdf"], monaco["page"])
    x, y, w, h = frame_mm(image)
    track = read_track(monaco["db"], ID)
    view = fit_view(map_extent(track), x, y, w, h)
    for unit, colour in zip(track["units"], UNIT_COLOURS, strict=False):
        points = unit["positions"]
        assert points
        for p in points[:: max(1, len(points) // 12)]:
            px, py = view.to_page(p["lat"], p["lon"])
            assert view.contains(px, py)
            assert near_colour(image, px, py, colour), (unit["unit_id"], p)
    # Nowhere on the map is there a blue line where 渝中1 never drove: the sea south-east of the port.
    corner = view.to_page(view.bounds()[0][0], view.bounds()[1][1])
    assert not near_colour(image, corner[0] - 4, corner[1] - 4, UNIT_COLOURS[0], radius_px=3)


def test_the_map_draws_the_demo_citys_roads_and_its_sea(monaco):
    image = render(monaco["pdf"], monaco["page"])
    major_road = (246, 200, 130)  # primary roads' fill
    assert len(colour_pixels(image, major_road, tolerance=30)) > 500
    coastline = (120, 170, 200)
    assert len(colour_pixels(image, coastline, tolerance=30)) > 20


def test_english_report_has_the_map_in_english(monaco, tmp_path):
    pdf = tmp_path / "en.pdf"
    report(monaco["db"], pdf, "--language", "en")
    text = next(t for t in pages_text(pdf) if "Map and tracks" in t)
    for words in ("Unit", "Dispatched", "On scene", "At hospital", "Fixes", "start", "caller's location",
                  "incident location", "渝中1 (A01)", "渝中2 (A02)", "Equirectangular"):
        assert words in text


def test_a_log_without_positions_says_so_in_one_line_and_keeps_the_rest(tmp_path):
    with_table = write_log(tmp_path / "off.sqlite", demo.build(), positions=False)  # recording off
    older = write_log(tmp_path / "older.sqlite", demo.build(), positions=False)
    import sqlite3

    with sqlite3.connect(older) as conn:  # a log from before track recording: no table at all
        conn.execute("DROP TABLE unit_positions")
    for db in (with_table, older):
        pdf = tmp_path / f"{db.stem}.pdf"
        report(db, pdf)
        text = "".join(pages_text(pdf))
        assert text.count("此事件没有记录车辆位置（未开启轨迹记录，或日志早于轨迹记录）。") == 1
        assert "定位点" not in text and "等距圆柱投影" not in text
        titles = [section.title for section in sections(read_incident(db, ID))]
        for title in titles:
            assert title in text
        after_locations = titles[titles.index("位置及来源") + 1]
        assert "此事件没有记录车辆位置" in text.split("位置及来源")[1].split(after_locations)[0]


def test_a_city_that_does_not_cover_the_incident_leaves_the_tracks_without_roads(tmp_path):
    db = write_log(tmp_path / "cq.sqlite", demo.build())  # Chongqing; the demo city is Monaco
    pdf = tmp_path / "cq.pdf"
    report(db, pdf)
    texts = pages_text(pdf)
    page = next(i for i, t in enumerate(texts) if "地图与轨迹" in t) + 1
    assert "离线地图数据不覆盖此区域" in texts[page - 1]
    assert "OpenStreetMap" not in texts[page - 1]
    image = render(pdf, page)
    assert colour_pixels(image, UNIT_COLOURS[0])  # the track is still drawn


def _track_of(record: dict, positions: list[tuple[float, float]]) -> dict:
    at = [demo.START + timedelta(minutes=10, seconds=10 * i) for i in range(len(positions))]
    rows = [{"device_ts": format_ts(t), "server_ts": format_ts(t + timedelta(seconds=0.5)), "lat": lat, "lon": lon,
             "speed_mps": None, "heading_deg": None} for t, (lat, lon) in zip(at, positions, strict=True)]
    return build_track(record, {"A01": rows})


@pytest.mark.parametrize("extent", ["tiny", "large"])
def test_the_map_fits_the_page_whatever_the_extent(monaco, tmp_path, extent):
    """A unit that barely moved (2 m) and one that drove 120 km: both maps fit their frame."""
    record = read_incident(monaco["db"], ID)
    lat, lon = demo.MONACO.caller_gps
    if extent == "tiny":
        positions = [(lat + 0.000002 * i, lon + 0.000002 * i) for i in range(10)]
    else:
        positions = [(lat + 0.5 * i / 9, lon - 1.0 * i / 9) for i in range(10)]
    track = _track_of(record, positions)
    frame = (15.0, 30.0, 180.0, 180.0)
    view = fit_view(map_extent(track), *frame)
    for p in map_extent(track):
        assert view.contains(*view.to_page(*p))
    (south, west), (north, east) = view.bounds()
    span_m = min((north - south) * 111_195, (east - west) * 111_195 * 0.72)
    assert span_m >= MIN_MAP_SPAN_M * 0.99
    bar = scale_bar_m(view, frame[2] / 4)
    assert frame[2] / 10 <= bar * view.mm_per_m <= frame[2] / 4

    pdf = tmp_path / f"{extent}.pdf"
    pdf.write_bytes(record_pdf(record, track=track))
    texts = pages_text(pdf)
    page = next(i for i, t in enumerate(texts) if "地图与轨迹" in t) + 1
    image = render(pdf, page)
    x, y, w, h = frame_mm(image)
    blue = colour_pixels(image, UNIT_COLOURS[0])
    legend_top_px = (y + h) * DPI / 25.4
    on_map = [(px, py) for px, py in blue if py < legend_top_px]
    assert on_map, "the track's markers are drawn"
    assert all(x * DPI / 25.4 - 1 <= px <= (x + w) * DPI / 25.4 + 1 and py >= y * DPI / 25.4 - 1
               for px, py in on_map)


def test_the_same_log_gives_the_same_report_bytes(monaco, tmp_path):
    assert report(monaco["db"], tmp_path / "again.pdf") == monaco["pdf"].read_bytes()


def test_the_projection_keeps_north_up_and_ground_distances_true():
    """Points 1 km north and 1 km east of the centre (great-circle) land 1 km × scale up and right."""
    from app.geo.sphere import destination

    centre = demo.CHONGQING.caller_gps
    north, east = destination(*centre, 0.0, 1000.0), destination(*centre, 90.0, 1000.0)
    view = fit_view([centre, north, east], 15.0, 30.0, 180.0, 180.0)
    cx, cy = view.to_page(*centre)
    nx, ny = view.to_page(*north)
    ex, ey = view.to_page(*east)
    assert abs(nx - cx) < 0.01 and ny < cy  # north is up
    assert abs(ey - cy) < 0.05 and ex > cx  # east is right
    for dx, dy in ((nx - cx, ny - cy), (ex - cx, ey - cy)):
        assert abs(((dx * dx + dy * dy) ** 0.5) / (1000.0 * view.mm_per_m) - 1) < 0.002
    assert view.scale == round(1000 / view.mm_per_m)
