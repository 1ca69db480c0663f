"""The seat's look: Fusion style, a CJK-capable font, and ``resources/styles/seat.qss``.

Colours that carry meaning (unit status, incident state, link) live in
``widgets/labels.py``, the one palette; the style sheet holds layout, sizes and
neutral colours. GUI thread only; call :func:`apply_style` once after creating
the QApplication.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QWidget

from app.resources import resource_path

log = logging.getLogger(__name__)

STYLE_SHEET = resource_path("styles", "seat.qss")
# Chinese first: the seat is used in Chinese; the first family installed wins.
FONT_FAMILIES = [
    "Microsoft YaHei UI",
    "Microsoft YaHei",
    "PingFang SC",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "DejaVu Sans",
    "sans-serif",
]
BASE_POINT_SIZE = 11
# The smallest text anywhere on the seat, for a dispatcher reading at arm's length (~650 mm,
# side screens further). ISO 9241-303 asks for characters of at least 16 arcmin (20-22
# preferred): 3.0 mm at 650 mm. A CJK glyph fills ~90 % of the em, so 10 pt (3.5 mm em on a
# ~96 ppi desk monitor at 100 %, the same physical size at 125-200 % on a denser one) gives
# ~3.2 mm glyphs, just above the minimum; body text (11 pt) and the panels' headings sit above.
MIN_POINT_SIZE = 10.0


def min_pixel_size(widget: QWidget | None = None) -> int:
    """The floor in device-independent pixels (what a style sheet's ``px`` means) at the widget's DPI."""
    dpi = widget.logicalDpiY() if widget is not None else 96
    return round(MIN_POINT_SIZE * dpi / 72.0)


def font_below_floor(font: QFont, widget: QWidget | None = None) -> bool:
    """Whether ``font`` is smaller than :data:`MIN_POINT_SIZE` (point or pixel sized)."""
    if font.pixelSize() > 0:
        return font.pixelSize() < min_pixel_size(widget)
    return 0 < font.pointSizeF() < MIN_POINT_SIZE


_FONT_SIZE = re.compile(r"font-size:\s*(\d+(?:\.\d+)?)\s*(px|pt)")


def floor_style_sheet(sheet: str, widget: QWidget | None = None) -> str:
    """``sheet`` with every ``font-size`` under the floor raised to it (px and pt)."""

    def raise_size(match: re.Match[str]) -> str:
        value, unit = float(match.group(1)), match.group(2)
        floor = float(min_pixel_size(widget)) if unit == "px" else MIN_POINT_SIZE
        return f"font-size: {floor:g}{unit}" if value < floor else match.group(0)

    return _FONT_SIZE.sub(raise_size, sheet)


def apply_style(app: QApplication, style_sheet: Path = STYLE_SHEET) -> None:
    """Fusion (same look on every OS), the seat's font and style sheet (no size under the floor).

    A missing sheet is logged. The floor is checked, not imposed, for the panels' own sizes:
    an application-wide event filter that raised fonts as they changed cost a Python call per
    Qt event and crashed the interpreter when it saw widgets being deleted; the GUI test
    ``tests/gui/test_dpi.py`` fails on any visible widget under the floor at 100-200 %."""
    app.setStyle("Fusion")
    font = QFont()
    font.setFamilies(FONT_FAMILIES)
    font.setPointSize(BASE_POINT_SIZE)
    app.setFont(font)
    try:
        app.setStyleSheet(floor_style_sheet(style_sheet.read_text(encoding="utf-8")))
    except OSError as exc:
        log.warning("style sheet %s not loaded (%s); using the plain Fusion look", style_sheet, exc)
