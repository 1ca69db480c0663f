"""PDF documents: the incident report and the KPI report (fpdf2, the Chinese font embedded).

The font is WenQuanYi Micro Hei (``fonts-wqy-microhei``), embedded as a subset so a PDF opens
with its Chinese text on any machine and its text can be searched and copied (``pdftotext``).
Output is deterministic: the creation date is the newest event the document shows, never the
clock, so the same log gives the same bytes.

ECG strips are drawn with lines on the usual paper: 25 mm/s, 10 mm/mV, a 1 mm grid with a
heavier line every 5 mm (no plotting library).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.fonts import FontFace

from app.records import texts
from app.records.incident import Record, local_time, parse_ts
from app.records.kpi import KPI_KEYS, KpiError, Report
from app.records.record_render import header_lines, sections

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


def record_pdf(record: Record) -> bytes:
    """The incident report: head, timeline, triage path, units, locations, caller link,
    pre-notifications, vitals, ECG strips (drawn) and notes, in the record's language."""
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
    return bytes(pdf.output())


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
