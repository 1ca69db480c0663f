"""F1: every keyboard shortcut of the seat, searchable.

The list is read from the actions and shortcuts the seat's windows really have
(:func:`collect_shortcuts`: every ``QAction`` and ``QShortcut`` under the main window
and the desk windows on other screens that has a key), so it cannot drift from the
keys that work. Each row says the key, what it does (the action's own, translated
text) and where it lives (the menu or the panel). Typing filters: every word must
appear in the key, the text or the place ("f8", "派车", "ctrl+shift").

Keys that panels handle themselves while they have the keyboard (1–9, 0 and - on a question,
Space in the CPR coach) are not actions; each panel shows them on its hint line.

GUI thread only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QDockWidget,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from widgets.keys import shortcut_hint

NATIVE = QKeySequence.SequenceFormat.NativeText
PORTABLE = QKeySequence.SequenceFormat.PortableText


@dataclass(frozen=True)
class ShortcutEntry:
    """One key of the seat: ``keys`` as shown ("Ctrl+S, F10"), ``text`` what it does, ``where`` its menu or panel."""

    keys: str
    text: str
    where: str
    source: QObject

    def search_text(self) -> str:
        portable = ""  # "Ctrl+S" whatever the platform shows ("⌘S" on a Mac)
        if isinstance(self.source, QShortcut):
            portable = self.source.key().toString(PORTABLE)
        elif isinstance(self.source, QAction):
            portable = ", ".join(k.toString(PORTABLE) for k in self.source.shortcuts())
        return f"{self.keys} {portable} {self.text} {self.where}".casefold()


def _clean(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").strip()


def _where(obj: QObject, holder: QWidget | None) -> str:
    """The menu the action is in, else the dock (panel) it belongs to, else the window's title."""
    if isinstance(obj, QAction):
        for associated in obj.associatedObjects():
            if isinstance(associated, QMenu) and _clean(associated.title()):
                return _clean(associated.title())
    widget = holder
    parent: QObject | None = obj.parent() if holder is None else holder
    while parent is not None:
        if isinstance(parent, QDockWidget) and parent.windowTitle():
            return _clean(parent.windowTitle())
        if widget is None and isinstance(parent, QWidget):
            widget = parent
        parent = parent.parent()
    return _clean(widget.window().windowTitle()) if widget is not None else ""


def _roots(window: QWidget) -> list[QWidget]:
    """The main window and the desk windows of its workspace (panels moved to other screens)."""
    roots: list[QWidget] = [window]
    workspace = getattr(window, "workspace", None)
    for desk in getattr(workspace, "desks", {}).values():
        if desk not in roots:
            roots.append(desk)
    return roots


def collect_shortcuts(window: QWidget) -> list[ShortcutEntry]:
    """Every action and shortcut with a key under ``window`` and its desk windows, sorted by place and key."""
    seen: set[int] = set()
    entries: list[ShortcutEntry] = []

    def actions_of(root: QWidget) -> Iterable[tuple[QObject, QWidget | None]]:
        for action in root.actions():
            yield action, root
        for widget in root.findChildren(QWidget):
            for action in widget.actions():
                yield action, widget
        for action in root.findChildren(QAction):
            yield action, None
        for shortcut in root.findChildren(QShortcut):
            yield shortcut, None

    for root in _roots(window):
        for obj, holder in actions_of(root):
            if id(obj) in seen:
                continue
            if isinstance(obj, QAction):
                keys = ", ".join(k.toString(NATIVE) for k in obj.shortcuts() if not k.isEmpty())
                text = _clean(obj.text()) or _clean(obj.toolTip())
            else:
                assert isinstance(obj, QShortcut)
                keys = obj.key().toString(NATIVE)
                text = _clean(obj.whatsThis()) or obj.objectName()
            if not keys:
                continue
            seen.add(id(obj))
            entries.append(ShortcutEntry(keys, text or "—", _where(obj, holder), obj))
    entries.sort(key=lambda e: (e.where.casefold(), e.keys.casefold(), e.text.casefold()))
    return entries


class ShortcutsDialog(QDialog):
    """The searchable list of the seat's shortcuts. Non-modal; Esc closes it.

    Args:
        window: the seat's main window; its actions are read each time the list is shown,
            so a panel added or a language switched since is there.
    """

    def __init__(self, window: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent or window)
        self.setObjectName("ShortcutsDialog")
        self._window = window
        self.entries: list[ShortcutEntry] = []
        self.filter = QLineEdit(self)
        self.filter.setObjectName("ShortcutFilter")
        self.filter.setClearButtonEnabled(True)
        self.table = QTableWidget(0, 3, self)
        self.table.setObjectName("ShortcutTable")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.count = QLabel(self)
        self.count.setObjectName("HintLine")
        self.filter.textChanged.connect(self._apply_filter)
        self.filter.installEventFilter(self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.count)
        self.resize(760, 620)
        self.retranslate_ui()

    def reload(self) -> None:
        """Read the window's shortcuts again and show them, filtered by what is typed."""
        self.entries = collect_shortcuts(self._window)
        self.table.setRowCount(len(self.entries))
        for row, entry in enumerate(self.entries):
            key = QTableWidgetItem(entry.keys)
            bold = key.font()
            bold.setBold(True)
            key.setFont(bold)
            self.table.setItem(row, 0, key)
            self.table.setItem(row, 1, QTableWidgetItem(entry.text))
            self.table.setItem(row, 2, QTableWidgetItem(entry.where))
        self._apply_filter(self.filter.text())

    def visible_entries(self) -> list[ShortcutEntry]:
        """The rows the filter leaves, in their order."""
        return [e for row, e in enumerate(self.entries) if not self.table.isRowHidden(row)]

    def _apply_filter(self, text: str) -> None:
        words = text.casefold().split()
        first = None
        for row, entry in enumerate(self.entries):
            haystack = entry.search_text()
            hidden = not all(word in haystack for word in words)
            self.table.setRowHidden(row, hidden)
            if not hidden and first is None:
                first = row
        if first is not None:
            self.table.selectRow(first)
        shown = len(self.visible_entries())
        self.count.setText(self.tr("%1 of %2 shortcuts · type to filter · Esc closes").replace(
            "%1", str(shown)).replace("%2", str(len(self.entries))))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        # Up/Down in the search box move through the list.
        if watched is self.filter and event.type() == QEvent.Type.KeyPress and event.key() in (
                Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown):
            self.table.keyPressEvent(event)
            return True
        return super().eventFilter(watched, event)

    def showEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        self.reload()
        super().showEvent(event)
        self.filter.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter.selectAll()

    def retranslate_ui(self) -> None:
        self.setWindowTitle(self.tr("Keyboard shortcuts"))
        self.filter.setPlaceholderText(self.tr("Type to search: answer, F8, 派车, ctrl+shift …"))
        self.table.setHorizontalHeaderLabels([self.tr("Key"), self.tr("Action"), self.tr("Where")])
        if self.isVisible():
            self.reload()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate_ui()
        super().changeEvent(event)


class ShortcutHelp(QObject):
    """The F1 action of a seat window and its dialog (made on first use)."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window
        self.dialog: ShortcutsDialog | None = None
        self._return_to: QWidget | None = None
        self.action = QAction(window)
        self.action.setObjectName("ShowShortcutsAction")
        self.action.setShortcut(QKeySequence(Qt.Key.Key_F1))
        self.action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.action.triggered.connect(self.show_dialog)
        window.addAction(self.action)
        self.retranslate_ui()

    def show_dialog(self) -> ShortcutsDialog:
        """Show the list; when it closes, the keyboard goes back where the dispatcher was typing."""
        self._return_to = QApplication.focusWidget()
        if self.dialog is None:
            self.dialog = ShortcutsDialog(self._window)
            self.dialog.finished.connect(self._give_focus_back)
        self.dialog.filter.clear()
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
        return self.dialog

    def _give_focus_back(self, _result: int) -> None:
        widget, self._return_to = self._return_to, None
        if widget is not None and widget.isVisible():
            widget.window().activateWindow()
            widget.setFocus(Qt.FocusReason.PopupFocusReason)

    def retranslate_ui(self) -> None:
        self.action.setText(self.tr("Keyboard shortcuts"))
        shortcut_hint(self.action)
