"""Item delegates: status colours that stay visible on the selected row.

Qt paints a selected item with the selection colour instead of its own
background, so the selected unit's status colour (or the ringing call's flash)
would vanish exactly where the dispatcher is looking. :class:`KeepColourDelegate`
paints an item that has its own background unselected, then draws a thick
selection frame around it.

GUI thread only.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QPainter, QPalette, QPen
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem


class KeepColourDelegate(QStyledItemDelegate):
    """Keeps an item's background colour when selected; marks the selection with a frame."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        if index.data(Qt.ItemDataRole.BackgroundRole) is None:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        opt.state &= ~QStyle.StateFlag.State_Selected
        opt.state &= ~QStyle.StateFlag.State_HasFocus
        # Fill the background here: a style sheet rule on ``::item`` (padding, borders) makes
        # the style sheet style ignore the item's own background brush.
        painter.fillRect(option.rect, opt.backgroundBrush)
        opt.backgroundBrush = QBrush()
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        if selected:
            painter.save()
            pen = QPen(option.palette.color(QPalette.ColorRole.Highlight), 3)
            pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
            painter.setPen(pen)
            painter.drawRect(option.rect.adjusted(1, 1, -2, -2))
            painter.restore()
