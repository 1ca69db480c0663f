"""The incident queue: every open incident of the centre, most urgent first.

Columns: priority (I–IV), state (colour + words), address, time since the call
came in (from the incident's ``call_received`` milestone, else its creation),
and the call signs of the units on it. Selecting a row (click, arrow keys,
Enter) loads the incident into the form (``incident_selected``).

GUI thread only. Elapsed times are refreshed by the window's tick.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.location import incident_address
from app.domain.model import IncidentState, Milestone
from app.seat.store import SeatStore
from widgets.clock import SeatClock
from widgets.delegates import KeepColourDelegate
from widgets.incident_form import short_id
from widgets.labels import format_elapsed, incident_state_colours, incident_state_text, priority_text

INCIDENT_ID_ROLE = Qt.ItemDataRole.UserRole + 1
COL_PRIORITY, COL_STATE, COL_ADDRESS, COL_ELAPSED, COL_UNITS = range(5)


def received_at(incident: dict[str, Any]) -> str | None:
    """When the incident's call came in (or, without a call, when it was recorded)."""
    milestones = incident.get("milestones") or {}
    return milestones.get(Milestone.CALL_RECEIVED.value) or incident.get("created_at")


def _sort_key(incident: dict[str, Any]) -> tuple:
    priority = incident.get("priority")
    return (priority if isinstance(priority, int) else 9, received_at(incident) or "", incident["incident_id"])


class IncidentQueue(QWidget):
    """Open incidents of the centre.

    Signals:
        incident_selected(str): the dispatcher selected this incident.
    """

    incident_selected = Signal(str)

    def __init__(self, store: SeatStore, clock: SeatClock, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("IncidentQueue")
        self._store = store
        self._clock = clock
        self._current: str | None = None  # the incident in the form
        self._filling = False
        self._title = QLabel(self)
        self._title.setObjectName("PanelTitle")
        self._summary = QLabel(self)
        self.table = QTableWidget(0, 5, self)
        self.table.setObjectName("IncidentTable")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_ADDRESS, QHeaderView.ResizeMode.Stretch)
        header.setHighlightSections(False)
        self.table.currentCellChanged.connect(self._on_current_cell_changed)
        self.table.setItemDelegate(KeepColourDelegate(self.table))
        self.table.cellActivated.connect(lambda row, _col: self._emit_row(row))
        top = QHBoxLayout()
        top.addWidget(self._title, 1)
        top.addWidget(self._summary)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)

        store.events.incident_changed.connect(self.refresh)  # takes no argument: psygnal drops the id
        store.events.unit_changed.connect(self._on_unit_changed)
        store.events.state_reset.connect(self.refresh)
        self.retranslate_ui()

    # ------------------------------------------------------------ API
    def set_current(self, incident_id: str | None) -> None:
        """Mark the incident shown in the form (bold row) and select it."""
        self._current = incident_id
        self.refresh()

    def incident_ids(self) -> list[str]:
        return [self.table.item(row, COL_PRIORITY).data(INCIDENT_ID_ROLE) for row in range(self.table.rowCount())]

    def select_incident(self, incident_id: str) -> None:
        for row, shown in enumerate(self.incident_ids()):
            if shown == incident_id:
                self.table.setCurrentCell(row, COL_ADDRESS)

    # ------------------------------------------------------------ events
    def _on_current_cell_changed(self, row: int, _col: int, previous_row: int, _previous_col: int) -> None:
        if not self._filling and row != previous_row:
            self._emit_row(row)

    def _emit_row(self, row: int) -> None:
        item = self.table.item(row, COL_PRIORITY) if row >= 0 else None
        if item is not None:
            self.incident_selected.emit(item.data(INCIDENT_ID_ROLE))

    def _on_unit_changed(self, unit_id: str) -> None:
        unit = self._store.state.units.get(unit_id) or {}
        if unit.get("incident_id") in self.incident_ids():
            self.refresh()

    # ------------------------------------------------------------ rendering
    def refresh(self) -> None:
        incidents = sorted(
            (i for i in self._store.state.incidents.values() if i.get("state") != IncidentState.CLOSED),
            key=_sort_key,
        )
        now = self._clock.now()
        self._filling = True
        self.table.setUpdatesEnabled(False)
        try:
            self.table.setRowCount(len(incidents))
            current_row = -1
            for row, incident in enumerate(incidents):
                for col in range(self.table.columnCount()):
                    if self.table.item(row, col) is None:
                        self.table.setItem(row, col, QTableWidgetItem())
                self._render_row(row, incident, now)
                if incident["incident_id"] == self._current:
                    current_row = row
            if current_row >= 0:
                self.table.setCurrentCell(current_row, COL_ADDRESS)
            else:
                self.table.clearSelection()
                self.table.setCurrentCell(-1, -1)
        finally:
            self.table.setUpdatesEnabled(True)
            self._filling = False
        self._summary.setText(self.tr("%1 open").replace("%1", str(len(incidents))))

    def _render_row(self, row: int, incident: dict[str, Any], now: datetime) -> None:
        priority, state, address, elapsed, units = (self.table.item(row, c) for c in range(5))
        priority.setData(INCIDENT_ID_ROLE, incident["incident_id"])
        priority.setText(priority_text(incident.get("priority")))
        priority.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
        colours = incident_state_colours(incident.get("state"))
        state.setText(incident_state_text(incident.get("state")))
        state.setBackground(QBrush(QColor(colours.background)))
        state.setForeground(QBrush(QColor(colours.foreground)))
        # The typed address, else the confirmed location's (reverse-geocoded) one.
        shown = incident_address(incident)
        address.setText(shown[0] if shown else self.tr("(no address yet) %1").replace(
            "%1", short_id(incident["incident_id"])
        ))
        address.setToolTip(incident.get("description") or "")
        elapsed.setData(Qt.ItemDataRole.UserRole, received_at(incident))
        elapsed.setText(format_elapsed(self._clock.elapsed_s(received_at(incident), now)))
        elapsed.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        signs = []
        for unit_id in incident.get("units") or ():
            unit = self._store.state.units.get(unit_id)
            if unit is not None and unit.get("incident_id") == incident["incident_id"]:
                signs.append(unit.get("call_sign") or unit_id)
        units.setText(", ".join(signs))
        bold = incident["incident_id"] == self._current
        for item in (priority, state, address, elapsed, units):
            font = QFont(self.table.font())
            font.setBold(bold)
            item.setFont(font)

    def tick(self, now: datetime) -> None:
        """Once a second: elapsed times count up."""
        for row in range(self.table.rowCount()):
            item = self.table.item(row, COL_ELAPSED)
            if item is not None:
                item.setText(format_elapsed(self._clock.elapsed_s(item.data(Qt.ItemDataRole.UserRole), now)))

    # ------------------------------------------------------------ language
    def retranslate_ui(self) -> None:
        self._title.setText(self.tr("Open incidents"))
        self.table.setHorizontalHeaderLabels(
            [self.tr("Prio."), self.tr("State"), self.tr("Address"), self.tr("Since call"), self.tr("Units")]
        )
        self.table.setToolTip(self.tr("Select an incident to load it into the form"))
        self.refresh()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate_ui()
        super().changeEvent(event)
