"""The seat's look: Fusion style, a CJK-capable font, and ``resources/styles/seat.qss``.

Colours that carry meaning (unit status, incident state, link) live in
``widgets/labels.py``, the one palette; the style sheet holds layout, sizes and
neutral colours. GUI thread only; call :func:`apply_style` once after creating
the QApplication.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

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


def apply_style(app: QApplication, style_sheet: Path = STYLE_SHEET) -> None:
    """Fusion (same look on every OS), the seat's font and style sheet. A missing sheet is logged."""
    app.setStyle("Fusion")
    font = QFont()
    font.setFamilies(FONT_FAMILIES)
    font.setPointSize(BASE_POINT_SIZE)
    app.setFont(font)
    try:
        app.setStyleSheet(style_sheet.read_text(encoding="utf-8"))
    except OSError as exc:
        log.warning("style sheet %s not loaded (%s); using the plain Fusion look", style_sheet, exc)
