"""Small helpers shared by the panels: shortcut hints on actions, re-styling on a property change.

GUI thread only.
"""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget


def shortcut_text(action: QAction) -> str:
    """The action's shortcuts as the user types them ("F2", "Ctrl+S")."""
    return ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts())


def shortcut_hint(action: QAction) -> None:
    """Show the action's shortcut in its tooltip and on its buttons ("Answer call  F2").

    Call after ``setText`` (from ``retranslate_ui``): the hint is built from the text.
    """
    keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
    every = shortcut_text(action)
    text = action.text().replace("&", "")
    action.setToolTip(f"{text} ({every})" if every else text)
    action.setIconText(f"{text}  {keys}" if keys else text)


def set_style_property(widget: QWidget, name: str, value: object) -> None:
    """Set a dynamic property the style sheet selects on, and re-apply the style if it changed."""
    if widget.property(name) == value:
        return
    widget.setProperty(name, value)
    widget.style().unpolish(widget)
    widget.style().polish(widget)
    widget.update()
