"""Icons drawn in code, so they look the same on every machine (no icon theme, no emoji font).

The pending mark is an hourglass: the fonts a seat can count on (WenQuanYi, DejaVu)
have no U+23F3, so a text glyph would show as an empty box. GUI thread only.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap, QPolygonF


@cache
def hourglass_icon(size: int = 18, colour: str = "#1F2933") -> QIcon:
    """An hourglass: top sand nearly run out, bottom filling — "waiting for the server"."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = float(size)
    left, right, top, bottom, mid = s * 0.22, s * 0.78, s * 0.10, s * 0.90, s * 0.5
    ink = QColor(colour)
    pen = QPen(ink, max(1.0, s / 12))
    painter.setPen(pen)
    painter.drawLine(QPointF(left - s * 0.06, top), QPointF(right + s * 0.06, top))
    painter.drawLine(QPointF(left - s * 0.06, bottom), QPointF(right + s * 0.06, bottom))
    glass = QPainterPath()
    glass.moveTo(left, top)
    glass.lineTo(right, top)
    glass.lineTo(mid + s * 0.04, mid)
    glass.lineTo(right, bottom)
    glass.lineTo(left, bottom)
    glass.lineTo(mid - s * 0.04, mid)
    glass.closeSubpath()
    painter.drawPath(glass)
    sand = QColor("#E69F00")
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(sand)
    painter.drawPolygon(QPolygonF([QPointF(mid - s * 0.12, top + s * 0.22), QPointF(mid + s * 0.12, top + s * 0.22),
                                   QPointF(mid, mid - s * 0.04)]))
    painter.drawPolygon(QPolygonF([QPointF(mid, bottom - s * 0.22), QPointF(right - s * 0.06, bottom - s * 0.03),
                                   QPointF(left + s * 0.06, bottom - s * 0.03)]))
    painter.end()
    return QIcon(pixmap)
