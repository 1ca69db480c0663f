"""PDF documents: the incident report and the KPI report (fpdf2, the Chinese font embedded).

The font is WenQuanYi Micro Hei (``fonts-wqy-microhei``), embedded as a subset so a PDF opens
with its Chinese text on any machine and its text can be searched and copied (``pdftotext``).
Output is deterministic: the creation date is the newest event the document shows, never the
clock, so the same log gives the same bytes.

ECG strips are drawn with lines on the usual paper: 25 mm/s, 10 mm/mV, a 1 mm grid with a
heavier line every 5 mm (no plotting library).

The map with the track (:func:`draw_track_map`) is vector drawing too: the roads of the offline
city data (``roads.geojson`` of :mod:`app.mapdata`, no tiles) inside the box around the tracks,
the caller's locations and the incident, projected equirectangularly around the box's centre
latitude (:class:`MapView`: under 0.1 % error across a city), each unit's track as a coloured
line with its start, on-scene and end points, a scale bar, a north arrow and a legend.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.fonts import FontFace

from app.records import texts
from app.records.incident import Record, local_time, parse_ts
from app.records.kpi import KPI_KEYS, KpiError, Report
from app.records.record_render import header_lines, sections

if TYPE_CHECKING:
    from app.records.track import Track, UnitTrack

FONT_FAMILY = "wqy"
# Where Debian/Ubuntu put the font (fonts-wqy-microhei, fonts-wqy-zenhei); DISPATCH120_PDF_FONT overrides.
FONT_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)
MM_PER_S = 25.0
MM_PER_MV = 10.0
STRIP_ROW_S = 7.0  # seconds of ECG per drawn row (175 mm at 25 mm/s: the width of A4 inside the margins)
STRIP_ROW_MM = 30.0  # height of a row: ±1.5 mV
HEADING = (31, 78, 121)
RULE = (190, 190, 190)


class FontMissingError(KpiError):
    """No Chinese font to embed."""

    exit_code = 1


def font_path() -> Path:
    """The TrueType collection to embed. Raises FontMissingError."""
    candidates = [os.environ.get("DISPATCH120_PDF_FONT", ""), *FONT_PATHS]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise FontMissingError("no Chinese font for the PDF: install fonts-wqy-microhei "
                           "(or set DISPATCH120_PDF_FONT to a .ttf/.ttc file)")


class _Document(FPDF):
    def __init__(self, *, title: str, footer_text: str, page_words: tuple[str, str],
                 orientation: str = "P", created: datetime | None = None) -> None:
        super().__init__(orientation=orientation, unit="mm", format="A4")
        self.add_font(FONT_FAMILY, "", str(font_path()))
        self.set_font(FONT_FAMILY, size=10)
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(True, margin=16)
        self.set_title(title)
        self.set_creator("dispatch120")
        self.set_producer("dispatch120")
        if created is not None:
            self.set_creation_date(created)
        self.footer_text = footer_text
        self.page_words = page_words  # page-number template with {page}/{pages}
        self.alias_nb_pages("{nb}")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT_FAMILY, size=7.5)
        self.set_text_color(110, 110, 110)
        page = self.page_words[0].format(page=self.page_no(), pages="{nb}")
        self.cell(0, 5, self.footer_text, align="L")
        self.set_x(self.l_margin)
        self.cell(0, 5, page, align="R")
        self.set_text_color(0, 0, 0)

    def heading(self, text: str, size: float = 12) -> None:
        if self.get_y() > self.h - 40:
            self.add_page()
        self.ln(3)
        self.set_font(FONT_FAMILY, size=size)
        self.set_text_color(*HEADING)
        self.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(*HEADING)
        self.line(self.l_margin, self.get_y() + 0.5, self.w - self.r_margin, self.get_y() + 0.5)
        self.set_text_color(0, 0, 0)
        self.ln(2)

    def grid_table(self, headers: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float],
                   size: float = 8.5, width: float | None = None) -> None:
        self.set_font(FONT_FAMILY, size=size)
        self.set_draw_color(*RULE)
        heading_style = FontFace(emphasis="", fill_color=(232, 238, 245))
        show_headers = any(headers)
        with self.table(col_widths=tuple(widths), text_align="LEFT", line_height=size * 0.5,
                        first_row_as_headings=show_headers, headings_style=heading_style,
                        padding=(0.8, 1.2), borders_layout="HORIZONTAL_LINES", width=width,
                        align="LEFT") as table:
            if show_headers:
                header = table.row()
                for h in headers:
                    header.cell(h)
            for values in rows:
                row = table.row()
                for value in values:
                    row.cell(value)


# ---------------------------------------------------------------- incident report


def _strip_signal(strip: dict[str, Any]) -> list[float]:
    """The strip's samples in mV."""
    factor, origin = float(strip["factor"]), float(strip["origin"])
    scale = 0.001 if str(strip.get("unit", "mV")).lower() in ("uv", "µv") else 1.0
    return [(s - origin) * factor * scale for s in strip["samples"]]


def _draw_strip(pdf: FPDF, strip: dict[str, Any], caption: str) -> None:
    """One strip on ECG paper, in rows of :data:`STRIP_ROW_S` seconds, after a caption line."""
    mv = _strip_signal(strip)
    period_s = float(strip["period_ms"]) / 1000.0
    # Rows of equal length, none longer than STRIP_ROW_S (10 s: two rows of 5 s, not 7 + 3).
    longest = max(1, int(round(STRIP_ROW_S / period_s)))
    rows = max(1, math.ceil(len(mv) / longest))
    per_row = math.ceil(len(mv) / rows) if mv else longest
    pdf.set_font(FONT_FAMILY, size=8.5)
    pdf.multi_cell(0, 4.5, caption, new_x="LMARGIN", new_y="NEXT")
    for first in range(0, len(mv), per_row):
        chunk = mv[first:first + per_row]
        width = len(chunk) * period_s * MM_PER_S
        if pdf.get_y() + STRIP_ROW_MM + 3 > pdf.h - pdf.b_margin:
            pdf.add_page()
        x0, y0 = pdf.l_margin, pdf.get_y() + 1
        mid = y0 + STRIP_ROW_MM / 2
        pdf.set_line_width(0.05)
        for i in range(int(width) + 1):
            pdf.set_draw_color(*((236, 150, 150) if i % 5 == 0 else (250, 215, 215)))
            pdf.line(x0 + i, y0, x0 + i, y0 + STRIP_ROW_MM)
        for j in range(int(STRIP_ROW_MM) + 1):
            pdf.set_draw_color(*((236, 150, 150) if j % 5 == 0 else (250, 215, 215)))
            pdf.line(x0, y0 + j, x0 + width, y0 + j)
        top, bottom = y0, y0 + STRIP_ROW_MM
        points = [(x0 + k * period_s * MM_PER_S, min(bottom, max(top, mid - value * MM_PER_MV)))
                  for k, value in enumerate(chunk)]
        pdf.set_draw_color(0, 0, 0)
        pdf.set_line_width(0.25)
        if len(points) > 1:
            pdf.polyline(points)
        pdf.set_y(y0 + STRIP_ROW_MM + 2)
    pdf.set_line_width(0.2)


def record_pdf(record: Record, *, track: Track | None = None, city_dir: Path | None = None) -> bytes:
    """The incident report: head, timeline, triage path, units, locations, the map with the
    track, caller link, pre-notifications, vitals, ECG strips (drawn) and notes, in the record's
    language.

    Args:
        track: the incident's track (:func:`app.records.track.build_track`); None or a track
            without positions: the map section says that no positions were recorded.
        city_dir: the offline city whose roads the map draws (None: the demo city); a city that
            does not cover the incident leaves the map without roads (it says so).
    """
    lang = record["language"]
    title = f"{texts.word('title', lang)} {record['incident_id']}"
    footer = f"{record['incident_id']} · {texts.word('generated', lang, seq=record['last_seq'])}"
    pdf = _Document(title=title, footer_text=footer, page_words=(texts.WORDS["page"][texts.LANGUAGES.index(lang)], ""),
                    created=parse_ts(record["last_ts"]))
    pdf.add_page()
    pdf.set_font(FONT_FAMILY, size=17)
    pdf.set_text_color(*HEADING)
    pdf.cell(0, 9, texts.word("title", lang), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(1)
    head = header_lines(record)
    half = (len(head) + 1) // 2
    pairs = [(k1, v1, *(head[i + half] if i + half < len(head) else ("", "")))
             for i, (k1, v1) in enumerate(head[:half])]
    pdf.grid_table(("", "", "", ""), pairs, (14, 40, 14, 32), size=9)
    for section in sections(record):
        pdf.heading(section.title)
        pdf.grid_table(section.headers, section.rows, section.widths)
        if section.key == "strips":
            tz_name = record["tz"]
            from zoneinfo import ZoneInfo

            for strip in record["strips"]:
                if strip["samples"] is None or not strip["samples"]:
                    continue
                caption = texts.word("strip_caption", lang, unit=strip["unit_id"], channel=strip["channel"],
                                     start=local_time(strip["start"], ZoneInfo(tz_name)),
                                     seconds=f"{strip['seconds']:g}",
                                     reason=texts.label("strip_reason", strip["reason"], lang))
                pdf.ln(2)
                _draw_strip(pdf, strip, caption)
        if section.key == "locations":
            draw_track_map(pdf, record, track, city_dir)
    return bytes(pdf.output())


# ---------------------------------------------------------------- the map with the track

EARTH_RADIUS_M = 6_371_008.8
MAP_WORDS: dict[str, tuple[str, str]] = {
    "map": ("地图与轨迹", "Map and tracks"),
    "no_positions": ("此事件没有记录车辆位置（未开启轨迹记录，或日志早于轨迹记录）。",
                     "No ambulance positions were recorded for this incident (track recording off, or an older log)."),
    "no_roads": ("离线地图数据不覆盖此区域，只画出轨迹和位置。",
                 "The offline map data does not cover this area: tracks and locations only."),
    "unit": ("车辆", "Unit"), "dispatched": ("派车", "Dispatched"), "on_scene": ("到达现场", "On scene"),
    "at_hospital": ("到达医院", "At hospital"), "fixes": ("定位点", "Fixes"),
    "start": ("起点", "start"), "scene": ("到达现场", "on scene"), "end": ("终点", "end"), "caller": ("来电者位置", "caller's location"),
    "incident": ("事件位置", "incident location"), "north": ("北", "N"),
    "note": ("等距圆柱投影，中心纬度 {lat:.4f}°，比例约 1:{scale:,}。时间为服务器时钟（已校正设备时钟偏差）。道路：{source}",
             "Equirectangular projection at latitude {lat:.4f}°, scale about 1:{scale:,}. Times on the server's "
             "clock (device clock skew removed). Roads: {source}"),
}
# Okabe–Ito colours: told apart with the common colour-vision deficiencies, and in grey print by order.
UNIT_COLOURS = ((0, 114, 178), (213, 94, 0), (0, 158, 115), (204, 121, 167), (86, 180, 233), (230, 159, 0),
                (120, 80, 160), (0, 0, 0))
CALLER_COLOUR = (0, 140, 70)
INCIDENT_COLOUR = (200, 0, 0)
# Road classes by drawing weight: (line width mm, colour, casing colour or None); unlisted classes are skipped.
_MAJOR = ("motorway", "trunk", "primary", "secondary")
_ROAD_STYLE: dict[str, tuple[float, tuple[int, int, int], tuple[int, int, int] | None]] = {
    "motorway": (1.3, (236, 150, 100), (170, 100, 60)), "trunk": (1.2, (240, 170, 110), (175, 115, 70)),
    "primary": (1.05, (246, 200, 130), (185, 140, 80)), "secondary": (0.9, (250, 225, 150), (190, 160, 95)),
    "tertiary": (0.65, (255, 255, 255), (165, 165, 165)), "unclassified": (0.45, (255, 255, 255), (175, 175, 175)),
    "residential": (0.45, (255, 255, 255), (175, 175, 175)),
    "living_street": (0.4, (255, 255, 255), (180, 180, 180)), "service": (0.25, (200, 200, 200), None),
    "pedestrian": (0.25, (215, 215, 215), None), "track": (0.2, (200, 190, 170), None),
    "other": (0.2, (200, 200, 200), None),
}
_MINOR_BELOW_MM_PER_KM = 12.0  # coarser than 1:83 000 the small streets are only grey noise: major roads alone
_MAP_MARGIN = 0.08  # of the extent, on each side
MAP_INSET_MM = (4.0, 16.0)  # the north arrow (top right) and the scale bar (bottom left) are 15 mm high
MIN_MAP_SPAN_M = 400.0
FINE_FIX_M = 200.0  # a caller fix at most this uncertain stretches the map and shows its circle  # a map never shows less than this (a tiny extent still shows its streets)
LatLon = tuple[float, float]


@dataclass(frozen=True)
class MapView:
    """A frame on the page (mm, y down) showing the ground around (lat0, lon0) at ``mm_per_m``.

    Equirectangular: x = Δlon·cos(lat0)·R, y = Δlat·R (radians), then scaled and flipped.
    """

    x_mm: float
    y_mm: float
    w_mm: float
    h_mm: float
    lat0: float
    lon0: float
    mm_per_m: float

    @property
    def _k(self) -> tuple[float, float]:
        ky = math.radians(1.0) * EARTH_RADIUS_M
        return ky * math.cos(math.radians(self.lat0)), ky

    def to_page(self, lat: float, lon: float) -> tuple[float, float]:
        kx, ky = self._k
        return (self.x_mm + self.w_mm / 2 + (lon - self.lon0) * kx * self.mm_per_m,
                self.y_mm + self.h_mm / 2 - (lat - self.lat0) * ky * self.mm_per_m)

    def bounds(self) -> tuple[LatLon, LatLon]:
        """((south, west), (north, east)) of the frame."""
        kx, ky = self._k
        half_w, half_h = self.w_mm / 2 / self.mm_per_m, self.h_mm / 2 / self.mm_per_m
        return ((self.lat0 - half_h / ky, self.lon0 - half_w / kx), (self.lat0 + half_h / ky, self.lon0 + half_w / kx))

    def contains(self, x: float, y: float) -> bool:
        return self.x_mm <= x <= self.x_mm + self.w_mm and self.y_mm <= y <= self.y_mm + self.h_mm

    @property
    def scale(self) -> int:
        """The map's scale denominator (1 : n)."""
        return int(round(1000.0 / self.mm_per_m))


def map_extent(track: Track) -> list[LatLon]:
    """What the map must show: every recorded position, the incident's location and the caller's
    locations but the coarse ones (a cell fix ±800 m would shrink the tracks to a corner)."""
    extent: list[LatLon] = [(p["lat"], p["lon"]) for u in track["units"] for p in u["positions"]]
    extent += [(c["lat"], c["lon"]) for c in track["caller_locations"]
               if c["kind"] == "located" or c["accuracy_m"] is None or c["accuracy_m"] <= FINE_FIX_M]
    return extent


def fit_view(points: Sequence[LatLon], x_mm: float, y_mm: float, w_mm: float, h_mm: float,
             *, margin: float = _MAP_MARGIN, min_span_m: float = MIN_MAP_SPAN_M,
             inset_mm: tuple[float, float] = MAP_INSET_MM) -> MapView:
    """The view that shows every point inside the frame, centred on their bounding box, with
    ``margin`` of the extent on each side and at least ``min_span_m`` across, and the points kept
    ``inset_mm`` (sides, top and bottom) from the frame's edges, where the north arrow and the
    scale bar are. ``points`` must not be empty."""
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    lat0, lon0 = (min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2
    ky = math.radians(1.0) * EARTH_RADIUS_M
    kx = ky * math.cos(math.radians(lat0))
    span_x = max((max(lons) - min(lons)) * kx * (1 + 2 * margin), min_span_m)
    span_y = max((max(lats) - min(lats)) * ky * (1 + 2 * margin), min_span_m)
    inner_w, inner_h = w_mm - 2 * inset_mm[0], h_mm - 2 * inset_mm[1]
    return MapView(x_mm, y_mm, w_mm, h_mm, lat0, lon0, min(inner_w / span_x, inner_h / span_y))


def scale_bar_m(view: MapView, target_mm: float) -> float:
    """The round length (1, 2 or 5 × 10ⁿ m) whose bar is closest below ``target_mm`` on the page."""
    want = target_mm / view.mm_per_m
    best = 1.0
    for exp in range(0, 8):
        for lead in (1, 2, 5):
            length = lead * 10.0 ** exp
            if length <= want:
                best = length
    return best


def _metres_text(metres: float) -> str:
    return f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"


@dataclass(frozen=True)
class _Road:
    cls: str
    name: str
    points: list[tuple[float, float]]  # page mm


def roads_in_view(roads_geojson: Path, view: MapView, lang: str) -> list[_Road]:
    """The road lines of ``roads_geojson`` (``app.mapdata.basemap``) that cross the view, projected
    to the page, in the file's order (deterministic). Small streets are left out at small scales."""
    import orjson

    (south, west), (north, east) = view.bounds()
    minor = view.mm_per_m * 1000 >= _MINOR_BELOW_MM_PER_KM
    out: list[_Road] = []
    for feature in orjson.loads(roads_geojson.read_bytes()).get("features", ()):
        props, geometry = feature.get("properties") or {}, feature.get("geometry") or {}
        cls = props.get("class")
        if cls not in _ROAD_STYLE or (not minor and cls not in _MAJOR):
            continue
        lines = ([geometry["coordinates"]] if geometry.get("type") == "LineString"
                 else geometry.get("coordinates", []) if geometry.get("type") == "MultiLineString" else [])
        name = (props.get("name_zh") if lang == "zh" else props.get("name_en")) or props.get("name") or ""
        for line in lines:
            lons, lats = [c[0] for c in line], [c[1] for c in line]
            if not line or max(lons) < west or min(lons) > east or max(lats) < south or min(lats) > north:
                continue
            out.append(_Road(cls, name, [view.to_page(lat, lon) for lon, lat in line]))
    return out


def water_in_view(water_geojson: Path, view: MapView) -> tuple[list[list[tuple[float, float]]],
                                                              list[list[tuple[float, float]]]]:
    """The water areas (outer rings) and water lines (coastline, rivers) of ``water_geojson`` that
    cross the view, projected to the page."""
    import orjson

    (south, west), (north, east) = view.bounds()
    areas: list[list[tuple[float, float]]] = []
    lines: list[list[tuple[float, float]]] = []
    for feature in orjson.loads(water_geojson.read_bytes()).get("features", ()):
        geometry = feature.get("geometry") or {}
        kind, coords = geometry.get("type"), geometry.get("coordinates") or []
        rings = ([coords[0]] if kind == "Polygon" and coords else [poly[0] for poly in coords if poly]
                 if kind == "MultiPolygon" else [])
        for target, parts in ((areas, rings), (lines, [coords] if kind == "LineString" else
                                               coords if kind == "MultiLineString" else [])):
            for part in parts:
                if not part:
                    continue
                lons, lats = [c[0] for c in part], [c[1] for c in part]
                if max(lons) < west or min(lons) > east or max(lats) < south or min(lats) > north:
                    continue
                target.append([view.to_page(lat, lon) for lon, lat in part])
    return areas, lines


def _dedupe(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Consecutive points closer than 0.05 mm merged (a unit waiting on scene is one point on paper)."""
    out: list[tuple[float, float]] = []
    for p in points:
        if not out or abs(p[0] - out[-1][0]) + abs(p[1] - out[-1][1]) > 0.05:
            out.append(p)
    return out


def _straight_runs(points: Sequence[tuple[float, float]],
                   tolerance_mm: float) -> Iterator[tuple[tuple[float, float], tuple[float, float]]]:
    """The chords of a line that stay within ``tolerance_mm`` of it, longest from each start
    (where a name can be written straight along a gently curving street)."""
    n = len(points)
    for i in range(n - 1):
        end = i + 1
        for j in range(i + 2, n):
            (ax, ay), (bx, by) = points[i], points[j]
            length = math.hypot(bx - ax, by - ay)
            if length == 0 or any(abs((bx - ax) * (ay - py) - (ax - px) * (by - ay)) / length > tolerance_mm
                                  for px, py in points[i + 1:j]):
                break
            end = j
        yield points[i], points[end]


def _street_labels(pdf: FPDF, roads: Sequence[_Road], view: MapView, avoid: Sequence[tuple[float, float]],
                   most: int = 8) -> None:
    """A few street names, each written straight along the longest nearly straight piece of its
    road inside the frame: major roads first, then longer pieces, none within 14 mm of another."""
    pdf.set_font(FONT_FAMILY, size=6.5)
    size_mm = 6.5 * 25.4 / 72
    ranks = (*_MAJOR, "tertiary")
    candidates: list[tuple[int, float, str, float, float, float]] = []
    widths: dict[str, float] = {}
    for road in roads:
        if not road.name or road.cls not in ranks:
            continue
        width = widths.setdefault(road.name, pdf.get_string_width(road.name))
        for (ax, ay), (bx, by) in _straight_runs(road.points, tolerance_mm=1.5):
            length = math.hypot(bx - ax, by - ay)
            mx, my = (ax + bx) / 2, (ay + by) / 2
            if length >= width + 2 and view.contains(mx - width / 2 - 2, my - 3) \
                    and view.contains(mx + width / 2 + 2, my + 3):
                candidates.append((ranks.index(road.cls), -length, road.name, mx, my,
                                   math.degrees(math.atan2(-(by - ay), bx - ax))))
    candidates.sort()
    placed: list[tuple[float, float]] = list(avoid)
    done: set[str] = set()
    pdf.set_text_color(70, 70, 70)
    for _rank, _length, name, mx, my, angle in candidates:
        if len(done) >= most or name in done or any(math.hypot(mx - px, my - py) < 14 for px, py in placed):
            continue
        angle = angle - 180 if angle > 90 else angle + 180 if angle <= -90 else angle
        with pdf.rotation(angle, mx, my):
            pdf.text(mx - widths[name] / 2, my + size_mm / 3, name)
        placed.append((mx, my))
        done.add(name)
    pdf.set_text_color(0, 0, 0)


def _marker(pdf: FPDF, kind: str, x: float, y: float, colour: tuple[int, int, int]) -> None:
    """start: open circle; on_scene: filled square; end: filled circle; caller: ring with a dot;
    incident: a red cross in a circle."""
    pdf.set_line_width(0.3)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_fill_color(*colour)
    if kind == "start":
        pdf.set_draw_color(*colour)
        pdf.set_line_width(0.5)
        pdf.set_fill_color(255, 255, 255)
        pdf.circle(x, y, 1.4, style="FD")
    elif kind == "on_scene":
        pdf.rect(x - 1.4, y - 1.4, 2.8, 2.8, style="FD")
    elif kind == "end":
        pdf.circle(x, y, 1.4, style="FD")
    elif kind == "caller":
        pdf.set_draw_color(*colour)
        pdf.set_line_width(0.45)
        pdf.set_fill_color(255, 255, 255)
        pdf.circle(x, y, 1.6, style="FD")
        pdf.set_fill_color(*colour)
        pdf.circle(x, y, 0.6, style="F")
    else:
        pdf.set_draw_color(*colour)
        pdf.set_line_width(0.5)
        pdf.set_fill_color(255, 255, 255)
        pdf.circle(x, y, 2.0, style="FD")
        pdf.line(x - 2.8, y, x + 2.8, y)
        pdf.line(x, y - 2.8, x, y + 2.8)
    pdf.set_line_width(0.2)


def _first_status_t(unit: UnitTrack, status: str) -> float | None:
    return next((s["t"] for s in unit["statuses"] if s["status"] == status), None)


@contextlib.contextmanager
def _clipped(pdf: FPDF, view: MapView) -> Iterator[None]:
    with pdf.rect_clip(view.x_mm, view.y_mm, view.w_mm, view.h_mm):
        yield


def draw_track_map(pdf: _Document, record: Record, track: Track | None, city_dir: Path | None) -> MapView | None:
    """The map section: a heading, then the map and its legend on a page of their own, or one line
    when no position of any unit was recorded (None). ``city_dir``: the offline city (None: the demo city)."""
    from app.records.track import position_at

    lang = record["language"]
    li = texts.LANGUAGES.index(lang)

    def w(key: str, **fields: object) -> str:
        return MAP_WORDS[key][li].format(**fields)

    units = [u for u in (track["units"] if track else []) if u["positions"]]
    if track is None or not units:
        pdf.heading(w("map"))
        pdf.set_font(FONT_FAMILY, size=9)
        pdf.multi_cell(0, 5, w("no_positions"), new_x="LMARGIN", new_y="NEXT")
        return None
    pdf.add_page()
    pdf.heading(w("map"))
    callers = [c for c in track["caller_locations"] if c["kind"] != "located"]
    located = [c for c in track["caller_locations"] if c["kind"] == "located"][-1:]
    extent = map_extent(track)
    legend_mm = 9 + 5.2 * len(units) + 16
    top = pdf.get_y() + 1
    side = min(pdf.w - pdf.l_margin - pdf.r_margin, pdf.h - pdf.b_margin - legend_mm - top)
    view = fit_view(extent, pdf.l_margin, top, pdf.w - pdf.l_margin - pdf.r_margin, side)

    roads: list[_Road] = []
    water: tuple[list[list[tuple[float, float]]], list[list[tuple[float, float]]]] = ([], [])
    source = "–"
    try:
        from app.mapdata import MapDataError, load_city

        city = load_city(city_dir)
        try:
            roads = roads_in_view(city.layer_files["roads"], view, lang)
            if "water" in city.layer_files:
                water = water_in_view(city.layer_files["water"], view)
            source = f"{city.name}, {city.attribution}" if roads else "–"
        finally:
            city.close()
    except (MapDataError, OSError, ValueError, KeyError):
        roads = []
    pdf.set_fill_color(242, 239, 233)
    pdf.set_draw_color(120, 120, 120)
    pdf.set_line_width(0.3)
    pdf.rect(view.x_mm, view.y_mm, view.w_mm, view.h_mm, style="FD")
    zone_ = ZoneInfo(track["tz"])

    def hms(t: float | None) -> str:
        return "–" if t is None else datetime.fromtimestamp(t, UTC).astimezone(zone_).strftime("%H:%M:%S")

    starts: list[tuple[float, float]] = []
    with _clipped(pdf, view):
        pdf.set_fill_color(170, 211, 223)
        for area in water[0]:
            if len(area) > 2:
                pdf.polygon(area, style="F")
        pdf.set_draw_color(120, 170, 200)
        pdf.set_line_width(0.35)
        for line in water[1]:
            if len(line) > 1:
                pdf.polyline(line)
        for casing in (True, False):  # all casings first, so crossings do not show their ends
            for cls in reversed(tuple(_ROAD_STYLE)):
                width, colour, edge = _ROAD_STYLE[cls]
                if casing and edge is None:
                    continue
                pdf.set_line_width(width + 0.3 if casing else width)
                pdf.set_draw_color(*(edge if casing and edge else colour))
                for road in roads:
                    if road.cls == cls and len(road.points) > 1:
                        pdf.polyline(road.points)
        for c in callers:
            # The circle of a fine fix only: a cell's ±800 m would cover the map (its marker stays).
            if c["accuracy_m"] and c["accuracy_m"] <= FINE_FIX_M and 1.5 < c["accuracy_m"] * view.mm_per_m < view.w_mm:
                x, y = view.to_page(c["lat"], c["lon"])
                pdf.set_draw_color(*CALLER_COLOUR)
                pdf.set_line_width(0.2)
                with pdf.local_context(dash_pattern={"dash": 1, "gap": 1}):
                    pdf.circle(x, y, c["accuracy_m"] * view.mm_per_m, style="D")
        for i, unit in enumerate(units):
            colour = UNIT_COLOURS[i % len(UNIT_COLOURS)]
            line = _dedupe([view.to_page(p["lat"], p["lon"]) for p in unit["positions"]])
            if len(line) > 1:
                pdf.set_line_width(1.5)
                pdf.set_draw_color(255, 255, 255)
                pdf.polyline(line)
                pdf.set_line_width(0.8)
                pdf.set_draw_color(*colour)
                pdf.polyline(line)
        for c in callers:
            _marker(pdf, "caller", *view.to_page(c["lat"], c["lon"]), CALLER_COLOUR)
        for c in located:
            _marker(pdf, "incident", *view.to_page(c["lat"], c["lon"]), INCIDENT_COLOUR)
        for i, unit in enumerate(units):
            colour = UNIT_COLOURS[i % len(UNIT_COLOURS)]
            points = unit["positions"]
            start = view.to_page(points[0]["lat"], points[0]["lon"])
            _marker(pdf, "start", *start, colour)
            scene_t = _first_status_t(unit, "on_scene")
            at = position_at(points, scene_t) if scene_t is not None else None
            if at is not None:
                _marker(pdf, "on_scene", *view.to_page(at[0], at[1]), colour)
            _marker(pdf, "end", *view.to_page(points[-1]["lat"], points[-1]["lon"]), colour)
            pdf.set_font(FONT_FAMILY, size=7.5)
            pdf.set_text_color(*colour)
            pdf.text(start[0] + 2.2, start[1] - 1.6, unit["call_sign"] or unit["unit_id"])
            pdf.set_text_color(0, 0, 0)
            starts.append(start)
        _street_labels(pdf, roads, view, starts)
    _north_arrow(pdf, view, w("north"))
    _scale_bar(pdf, view)
    pdf.set_draw_color(120, 120, 120)
    pdf.set_line_width(0.3)
    pdf.rect(view.x_mm, view.y_mm, view.w_mm, view.h_mm, style="D")
    pdf.set_line_width(0.2)
    if not roads:
        pdf.set_xy(view.x_mm + 2, view.y_mm + 2)
        pdf.set_font(FONT_FAMILY, size=8)
        pdf.cell(0, 4, w("no_roads"))

    # The legend: one line per unit, then the symbols, then how the map was made.
    pdf.set_xy(pdf.l_margin, view.y_mm + view.h_mm + 3)
    columns = ((w("unit"), 44), (w("dispatched"), 26), (w("on_scene"), 26), (w("at_hospital"), 26), (w("fixes"), 20))
    pdf.set_font(FONT_FAMILY, size=8.5)
    pdf.set_text_color(*HEADING)
    pdf.set_x(pdf.l_margin + 10)
    for text, width in columns:
        pdf.cell(width, 5, text)
    pdf.ln(5.2)
    pdf.set_text_color(0, 0, 0)
    for i, unit in enumerate(units):
        colour = UNIT_COLOURS[i % len(UNIT_COLOURS)]
        y = pdf.get_y() + 2.6
        pdf.set_draw_color(*colour)
        pdf.set_line_width(0.8)
        pdf.line(pdf.l_margin, y, pdf.l_margin + 8, y)
        pdf.set_line_width(0.2)
        pdf.set_x(pdf.l_margin + 10)
        values = (f"{unit['call_sign'] or unit['unit_id']} ({unit['unit_id']})", hms(unit["assigned_t"]),
                  hms(_first_status_t(unit, "on_scene")), hms(_first_status_t(unit, "at_hospital")),
                  str(len(unit["positions"])))
        for (_h, width), text in zip(columns, values, strict=True):
            pdf.cell(width, 5.2, text)
        pdf.ln(5.2)
    pdf.ln(1)
    x, y = pdf.l_margin + 1.5, pdf.get_y() + 2.5
    pdf.set_font(FONT_FAMILY, size=8)
    for kind, key, colour in (("start", "start", (60, 60, 60)), ("on_scene", "scene", (60, 60, 60)),
                              ("end", "end", (60, 60, 60)), ("caller", "caller", CALLER_COLOUR),
                              ("incident", "incident", INCIDENT_COLOUR)):
        _marker(pdf, kind, x, y, colour)
        label = w(key)
        pdf.text(x + 3.5, y + 1.1, label)
        x += 3.5 + pdf.get_string_width(label) + 7
    pdf.set_xy(pdf.l_margin, y + 3.5)
    pdf.set_font(FONT_FAMILY, size=7)
    pdf.set_text_color(90, 90, 90)
    pdf.multi_cell(0, 3.6, w("note", lat=view.lat0, scale=view.scale, source=source), align="L",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    return view


def _north_arrow(pdf: FPDF, view: MapView, letter: str) -> None:
    """An arrow pointing up (north: the projection keeps meridians vertical), top right."""
    cx, top = view.x_mm + view.w_mm - 8, view.y_mm + 4
    pdf.set_fill_color(255, 255, 255)
    pdf.set_draw_color(150, 150, 150)
    pdf.set_line_width(0.2)
    pdf.rect(cx - 5, top, 10, 15, style="FD")
    pdf.set_fill_color(0, 0, 0)
    pdf.set_draw_color(0, 0, 0)
    pdf.polygon([(cx, top + 5.5), (cx + 2.5, top + 13.5), (cx, top + 11.5), (cx - 2.5, top + 13.5)], style="FD")
    pdf.set_font(FONT_FAMILY, size=8)
    pdf.text(cx - pdf.get_string_width(letter) / 2, top + 4.3, letter)


def _scale_bar(pdf: FPDF, view: MapView) -> None:
    """A bar of a round length (about a quarter of the frame), bottom left, black and white halves."""
    metres = scale_bar_m(view, view.w_mm / 4)
    length = metres * view.mm_per_m
    x, y = view.x_mm + 5, view.y_mm + view.h_mm - 6
    pdf.set_fill_color(255, 255, 255)
    pdf.set_draw_color(150, 150, 150)
    pdf.set_line_width(0.2)
    pdf.rect(x - 3, y - 6.5, length + 18, 10, style="FD")
    pdf.set_draw_color(0, 0, 0)
    pdf.set_fill_color(0, 0, 0)
    pdf.rect(x, y, length / 2, 1.6, style="FD")
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(x + length / 2, y, length / 2, 1.6, style="FD")
    pdf.set_font(FONT_FAMILY, size=7.5)
    pdf.text(x - 0.8, y - 1.2, "0")
    label = _metres_text(metres)
    pdf.text(x + length - pdf.get_string_width(label) / 2, y - 1.2, label)


# ---------------------------------------------------------------- KPI report

_KPI_COLUMNS = (
    ("calls_offered", "offered"), ("calls_answered", "answered"), ("incidents", "incidents"),
    ("answered_within_10s_rate", "≤10 s"), ("answer_time_s", "answer s"), ("call_processing_s", "processing s"),
    ("departure_within_3min_rate", "≤3 min"), ("response_time_s", "response s"), ("empty_run_rate", "empty runs"),
    ("prenotification_rate", "pre-notif."), ("tcpr_recognition_rate", "T-CPR"),
)


def _kpi_cell(value: Any, key: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, dict) and "mean" in value:
        return "–" if value["mean"] is None else f"{value['mean']:.1f} / {value['p90']:.1f}"
    if isinstance(value, dict):
        if value["value"] is None:
            return "–"
        if key == "dispatch_to_call_ratio":  # runs per call: a ratio, not a share
            return f"{value['value']:.2f} ({value['numerator']}/{value['denominator']})"
        return f"{value['value'] * 100:.1f} % ({value['numerator']}/{value['denominator']})"
    return str(value)


def kpi_pdf(report: Report) -> bytes:
    """The KPI report (landscape A4): the overall KPIs, then one table per grouping.

    Dated by the report's last day (deterministic); durations are mean / p90 seconds.
    """
    from app.records.report import rows  # the same lines as CSV and HTML

    title = f"KPI 报告 / KPI report {report['from']} – {report['to']} ({report['tz']})"
    created = datetime.fromisoformat(f"{report['to']}T23:59:59+00:00")
    pdf = _Document(title=title, footer_text=f"dispatch120 · {title} · docs/kpi.md",
                    page_words=("{page} / {pages}", ""), orientation="L", created=created)
    pdf.add_page()
    pdf.set_font(FONT_FAMILY, size=16)
    pdf.set_text_color(*HEADING)
    pdf.cell(0, 9, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(FONT_FAMILY, size=9)
    pdf.multi_cell(0, 5, "时长：平均 / 第90百分位（秒）；比率：百分比（分子/分母）。公式见 docs/kpi.md。\n"
                         "Durations: mean / p90 seconds. Rates: percent (numerator/denominator).",
                   new_x="LMARGIN", new_y="NEXT")
    if report["empty"]:
        pdf.ln(2)
        pdf.set_font(FONT_FAMILY, size=12)
        pdf.multi_cell(0, 6, "空报告：此期间没有来电，也没有建立事件。\n"
                             "Empty report: no call was offered and no incident was created in this period.",
                       new_x="LMARGIN", new_y="NEXT")
    pdf.heading("总体 / Overall")
    overall = report["overall"]
    pdf.grid_table(("KPI", "value"), [(k, _kpi_cell(overall[k], k)) for k in KPI_KEYS], (40, 60), size=9,  # type: ignore[literal-required]
                   width=140)
    current = None
    lines: list[tuple[str, ...]] = []
    headers: tuple[str, ...] = ()

    def flush() -> None:
        if current is not None and lines:
            pdf.heading(current)
            pdf.grid_table(headers, lines, (16,) + (9,) * len(_KPI_COLUMNS), size=7.5)

    for group, key, kpis in rows(report):
        if group == "overall":
            continue
        if group != current:
            flush()
            current, lines = group, []
            columns = _KPI_COLUMNS if group != "station" else (
                ("runs", "runs"), ("departure_within_3min_rate", "≤3 min"), ("empty_run_rate", "empty runs"))
            headers = (group, *(name for _k, name in columns))
        columns = _KPI_COLUMNS if group != "station" else (
            ("runs", "runs"), ("departure_within_3min_rate", "≤3 min"), ("empty_run_rate", "empty runs"))
        line = ("(none)" if key is None else str(key), *(_kpi_cell(kpis.get(k)) for k, _n in columns))
        lines.append(line + ("",) * (len(_KPI_COLUMNS) + 1 - len(line)))
        headers = headers + ("",) * (len(_KPI_COLUMNS) + 1 - len(headers))
    flush()
    return bytes(pdf.output())
