"""The unit board: every ambulance, its status (colour + words), time in status, station, incident.

F8 assigns the selected unit to the incident in the form. The board shows only
what the server says: after F8 the row gets an hourglass (the command is
pending) and keeps its old status until the server's ``unit.assigned`` event
reaches the store — never an optimistic change. A refusal clears the hourglass
and the reason goes to the message strip. The context menu (right click, the
Menu key or Shift+F10) changes a unit's status by hand, offering only the
transitions the state machine allows (``app.domain.model.UNIT_TRANSITIONS``).

GUI thread only. Times are refreshed by the window's tick (:meth:`UnitBoard.tick`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QBrush, QColor, QContextMenuEvent, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.model import UNIT_TRANSITIONS, UnitStatus
from app.seat.store import SeatStore
from widgets.clock import SeatClock
from widgets.command_runner import CommandRunner
from widgets.delegates import KeepColourDelegate
from widgets.icons import hourglass_icon
from widgets.incident_form import short_id
from widgets.keys import shortcut_hint
from widgets.labels import capability_text, format_elapsed, unit_status_colours, unit_status_text

UNIT_ID_ROLE = Qt.ItemDataRole.UserRole + 1

COL_PENDING, COL_CALL_SIGN, COL_STATUS, COL_TIME, COL_STATION, COL_INCIDENT = range(6)


class UnitBoard(QWidget):
    """Units and their status, from the store; F8 assigns the selected one.

    Args:
        incident_for_dispatch: returns the incident to assign to (the form's), or None
            after telling the dispatcher why there is none.
    """

    def __init__(self, store: SeatStore, runner: CommandRunner, clock: SeatClock,
                 incident_for_dispatch: Callable[[], str | None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("UnitBoard")
        self._store = store
        self._runner = runner
        self._clock = clock
        self._incident_for_dispatch = incident_for_dispatch
        # unit id -> command id of an assignment / status change not yet seen back.
        self.pending: dict[str, str] = {}
        self._rows: dict[str, int] = {}

        self.assign_action = QAction(self)
        self.assign_action.setShortcut(QKeySequence(Qt.Key.Key_F8))
        self.assign_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.assign_action.triggered.connect(self.assign_selected)
        self.addAction(self.assign_action)

        self._title = QLabel(self)
        self._title.setObjectName("PanelTitle")
        self._summary = QLabel(self)
        self._summary.setObjectName("UnitSummary")
        self.table = QTableWidget(0, 6, self)
        self.table.setObjectName("UnitTable")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(False)
        # Mouse (right click) and keyboard (Menu key, Shift+F10) context menus arrive as
        # ContextMenu events on the viewport or the table; the keyboard one must act on the
        # current row, not on the row under the viewport's centre.
        self.table.installEventFilter(self)
        self.table.viewport().installEventFilter(self)
        self.context_menu: QMenu | None = None
        self.context_menu_unit: str | None = None
        # Other panels add their entries to a unit's context menu: hook(unit, menu) (e.g. watch vitals).
        self.context_menu_hooks: list[Callable[[dict[str, Any], QMenu], None]] = []
        self.table.setItemDelegate(KeepColourDelegate(self.table))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_INCIDENT, QHeaderView.ResizeMode.Stretch)
        header.setHighlightSections(False)
        assign_button = QToolButton(self)
        assign_button.setObjectName("AssignButton")
        assign_button.setDefaultAction(self.assign_action)
        assign_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        assign_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        top = QHBoxLayout()
        top.addWidget(self._title, 1)
        top.addWidget(self._summary)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(assign_button)

        store.events.unit_changed.connect(self._on_unit_changed)
        store.events.incident_changed.connect(self._on_incident_changed)
        store.events.registry_changed.connect(self.refresh)
        store.events.state_reset.connect(self.refresh)
        store.events.command_acked.connect(self._on_command_acked)
        store.events.command_failed.connect(self._on_command_failed)
        self.retranslate_ui()

    # ------------------------------------------------------------ queries
    def selected_unit(self) -> dict[str, Any] | None:
        row = self.table.currentRow()
        if row < 0:
            return None
        item = self.table.item(row, COL_CALL_SIGN)
        return self._store.state.units.get(item.data(UNIT_ID_ROLE)) if item else None

    def select_unit(self, unit_id: str) -> None:
        row = self._rows.get(unit_id)
        if row is not None:
            self.table.setCurrentCell(row, COL_CALL_SIGN)

    def status_shown(self, unit_id: str) -> str | None:
        """The status text the board shows for a unit (what the dispatcher sees)."""
        row = self._rows.get(unit_id)
        item = self.table.item(row, COL_STATUS) if row is not None else None
        return item.text() if item else None

    def is_pending(self, unit_id: str) -> bool:
        return unit_id in self.pending

    # ------------------------------------------------------------ actions
    def assign_selected(self) -> bool:
        """F8: assign the selected unit to the form's incident. False if nothing was sent."""
        unit = self.selected_unit()
        if unit is None:
            self._runner.notify(self.tr("Select a unit on the unit board first (arrow keys)."))
            return False
        if unit["unit_id"] in self.pending:
            return False
        incident_id = self._incident_for_dispatch()
        if incident_id is None:
            return False
        call_sign = unit.get("call_sign", unit["unit_id"])
        command_id = self._runner.run(
            self._runner.commands.assign_unit,
            lambda: self.tr("Assigning %1 to incident %2").replace("%1", call_sign).replace(
                "%2", short_id(incident_id)
            ),
            incident_id=incident_id,
            unit_id=unit["unit_id"],
            unit_version=unit.get("version"),
        )
        if command_id is None:
            return False
        self._mark_pending(unit["unit_id"], command_id)
        return True

    def set_status(self, unit_id: str, status: str) -> bool:
        """Change a unit's status by hand (context menu), on the crew's behalf."""
        unit = self._store.state.units.get(unit_id)
        if unit is None or unit_id in self.pending:
            return False
        call_sign = unit.get("call_sign", unit_id)
        command_id = self._runner.run(
            self._runner.commands.set_unit_status,
            lambda: self.tr("Setting %1 to %2").replace("%1", call_sign).replace(
                "%2", unit_status_text(status)
            ),
            unit_id=unit_id,
            status=status,
        )
        if command_id is None:
            return False
        self._mark_pending(unit_id, command_id)
        return True

    def status_actions(self, unit: dict[str, Any], parent: QObject) -> list[QAction]:
        """The manual status changes the state machine allows for ``unit``, as actions owned by ``parent``."""
        try:
            allowed = UNIT_TRANSITIONS.get(UnitStatus(unit["status"]), frozenset())
        except ValueError:
            allowed = frozenset()
        actions = []
        for status in UnitStatus:
            if status in allowed:
                action = QAction(self.tr("Set status: %1").replace("%1", unit_status_text(status)), parent)
                action.triggered.connect(
                    lambda _checked=False, u=unit["unit_id"], s=status.value: self.set_status(u, s)
                )
                actions.append(action)
        if not actions:
            action = QAction(self.tr("No manual status change possible"), parent)
            action.setEnabled(False)
            actions.append(action)
        return actions

    def status_menu(self, unit: dict[str, Any]) -> QMenu:
        """The context menu of ``unit``: assign (F8), then its allowed status changes."""
        menu = QMenu(self)
        menu.addAction(self.assign_action)
        menu.addSeparator()
        menu.addActions(self.status_actions(unit, menu))
        for hook in self.context_menu_hooks:
            hook(unit, menu)
        return menu

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.ContextMenu and watched in (self.table, self.table.viewport()):
            assert isinstance(event, QContextMenuEvent)
            self._show_context_menu(event)
            return True
        return super().eventFilter(watched, event)

    def _show_context_menu(self, event: QContextMenuEvent) -> None:
        viewport = self.table.viewport()
        by_mouse = event.reason() == QContextMenuEvent.Reason.Mouse
        if by_mouse:
            row = self.table.rowAt(viewport.mapFromGlobal(event.globalPos()).y())
            if row >= 0:
                self.table.setCurrentCell(row, COL_CALL_SIGN)
        unit = self.selected_unit()
        if unit is None:
            return
        if self.context_menu is not None:
            self.context_menu.deleteLater()
        self.context_menu = self.status_menu(unit)
        self.context_menu_unit = unit["unit_id"]
        rect = self.table.visualRect(self.table.currentIndex())
        self.context_menu.popup(event.globalPos() if by_mouse else viewport.mapToGlobal(rect.bottomLeft()))

    # ------------------------------------------------------------ pending
    def _mark_pending(self, unit_id: str, command_id: str) -> None:
        self.pending[unit_id] = command_id
        self._render_row(unit_id)

    def _clear_pending(self, command_id: str) -> None:
        for unit_id, pending in list(self.pending.items()):
            if pending == command_id:
                del self.pending[unit_id]
                self._render_row(unit_id)

    def _on_command_acked(self, command_id: str, seq: int) -> None:
        # The store emits the ack once it holds the command's events: the rows already show them.
        self._clear_pending(command_id)

    def _on_command_failed(self, command_id: str | None, code: str, message: str) -> None:
        if command_id:
            self._clear_pending(command_id)

    # ------------------------------------------------------------ store events
    def _on_unit_changed(self, unit_id: str) -> None:
        if unit_id not in self._rows:
            self.refresh()
        else:
            self._render_row(unit_id)
        self._render_summary()

    def _on_incident_changed(self, incident_id: str) -> None:
        for unit_id in self._rows:
            unit = self._store.state.units.get(unit_id)
            if unit is not None and unit.get("incident_id") == incident_id:
                self._render_row(unit_id)

    # ------------------------------------------------------------ rendering
    def refresh(self) -> None:
        """Rebuild the table from the store (registry changes, snapshot), keeping the selection."""
        selected = self.selected_unit()
        units = sorted(self._store.state.units.values(), key=lambda u: (u.get("call_sign") or "", u["unit_id"]))
        self.table.setUpdatesEnabled(False)
        self.table.setRowCount(len(units))
        self._rows = {}
        for row, unit in enumerate(units):
            self._rows[unit["unit_id"]] = row
            for col in range(self.table.columnCount()):
                if self.table.item(row, col) is None:
                    self.table.setItem(row, col, QTableWidgetItem())
            self._render_row(unit["unit_id"])
        self.table.setUpdatesEnabled(True)
        if selected is not None:
            self.select_unit(selected["unit_id"])
        elif units and self.table.currentRow() < 0:
            self.table.setCurrentCell(0, COL_CALL_SIGN)
        self._render_summary()

    def _render_row(self, unit_id: str, now: datetime | None = None) -> None:
        row = self._rows.get(unit_id)
        unit = self._store.state.units.get(unit_id)
        if row is None or unit is None:
            return
        items = [self.table.item(row, col) for col in range(self.table.columnCount())]
        if any(item is None for item in items):
            return
        pending, call_sign, status, since, station, incident = items
        call_sign.setData(UNIT_ID_ROLE, unit_id)
        is_pending = unit_id in self.pending
        pending.setIcon(hourglass_icon() if is_pending else QIcon())
        pending.setToolTip(self.tr("Command sent; waiting for the server") if is_pending else "")
        call_sign.setText(unit.get("call_sign") or unit_id)
        call_sign.setToolTip(capability_text(unit.get("capability")))
        colours = unit_status_colours(unit.get("status"))
        status.setText(unit_status_text(unit.get("status")))
        status.setBackground(QBrush(QColor(colours.background)))
        status.setForeground(QBrush(QColor(colours.foreground)))
        since.setText(format_elapsed(self._clock.elapsed_s(unit.get("since"), now)))
        since.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        station_entity = self._store.state.stations.get(unit.get("station_id") or "")
        station.setText(station_entity.get("name", "") if station_entity else (unit.get("station_id") or ""))
        incident_entity = self._store.state.incidents.get(unit.get("incident_id") or "")
        if incident_entity is not None:
            text = incident_entity.get("address") or short_id(incident_entity["incident_id"])
        else:
            text = short_id(unit.get("incident_id")) if unit.get("incident_id") else ""
        incident.setText(text)
        incident.setToolTip(text)

    def _render_summary(self) -> None:
        units = self._store.state.units.values()
        available = sum(1 for u in units if u.get("status") == UnitStatus.AVAILABLE)
        self._summary.setText(self.tr("%1 of %2 available").replace("%1", str(available)).replace(
            "%2", str(len(self._store.state.units))
        ))

    def tick(self, now: datetime) -> None:
        """Once a second: time in status counts up."""
        for unit_id, row in self._rows.items():
            unit = self._store.state.units.get(unit_id)
            item = self.table.item(row, COL_TIME)
            if unit is not None and item is not None:
                item.setText(format_elapsed(self._clock.elapsed_s(unit.get("since"), now)))

    # ------------------------------------------------------------ language
    def retranslate_ui(self) -> None:
        self._title.setText(self.tr("Units"))
        self.table.setHorizontalHeaderLabels(
            ["", self.tr("Call sign"), self.tr("Status"), self.tr("For"), self.tr("Station"), self.tr("Incident")]
        )
        self.assign_action.setText(self.tr("Assign to incident"))
        shortcut_hint(self.assign_action)
        self.table.setToolTip(self.tr("F8 assigns the selected unit; right click or Menu key for status"))
        self.refresh()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate_ui()
        super().changeEvent(event)
