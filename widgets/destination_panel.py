"""Destination suggestions for the incident in the form (:mod:`app.dispatch.destination`).

:class:`DestinationPanel` lists the hospitals ranked by capability against the triage result
(``resources/protocols/destinations.yaml``, whose rule's reason the status line shows),
emergency-department status and travel time
(by road when the seat has the city's road graph, else straight line × detour factor). **Enter** in the
list picks the highlighted row (the first unless the dispatcher moved) → ``incident.set_destination``;
picking another than the first asks for a reason (:class:`DestinationReasonDialog`).
Re-ranks when the incident, the registry or a hospital (``hospital_changed``: ED status,
capabilities) changes. GUI thread only; never raises into Qt (bad rules become a line of text).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.dispatch.destination import (
    Destination,
    Requirement,
    RulesError,
    age_answer,
    load_rules,
    required_for,
    road_travel,
    straight_travel,
    suggest,
)
from app.domain.triage import plan_of
from app.protocol.hospitals import DESTINATION_REASONS
from app.seat.store import SeatStore
from widgets.command_runner import CommandRunner
from widgets.labels import (
    destination_pick_reason_text,
    destination_reason_text,
    ed_status_text,
    format_distance,
    format_eta,
    hospital_capability_text,
    trauma_level_text,
)

_REASON_ORDER = ("patient_request", "crew_request", "already_treated_there", "hospital_advice", "other")


class DestinationReasonDialog(QDialog):
    """Why another hospital than the first suggestion. :meth:`reason` after ``accept()``."""

    def __init__(self, chosen: str, first: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Another hospital"))
        self.combo = QComboBox()
        for code in _REASON_ORDER:
            if code in DESTINATION_REASONS:
                self.combo.addItem(destination_pick_reason_text(code), code)
        form = QFormLayout(self)
        form.addRow(QLabel(self.tr("%1 instead of %2").replace("%1", chosen).replace("%2", first)))
        form.addRow(self.tr("Reason"), self.combo)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def reason(self) -> str:
        return str(self.combo.currentData())


class DestinationPanel(QWidget):
    """The ranked hospitals for the form's incident. GUI thread."""

    def __init__(self, store: SeatStore, runner: CommandRunner,
                 incident_for_dispatch: Callable[[], str | None], parent: QWidget | None = None,
                 router: Any = None, language: Callable[[], str] = lambda: "en") -> None:
        super().__init__(parent)
        self.setObjectName("DestinationPanel")
        # Road travel times when the seat has the city's road graph; else straight line × detour.
        self._travel = road_travel(router) if router is not None else straight_travel
        self.store, self.runner = store, runner
        self._incident_for_dispatch = incident_for_dispatch
        self._language = language  # zh_CN / en: which text of a rule's reason to show
        self.incident_id: str | None = None
        self.rows: list[Destination] = []
        self.requirement: Requirement | None = None  # what the incident's triage result needs
        # Tests replace this: (chosen name, first name) -> reason code or None (cancelled).
        self.reason_prompt: Callable[[str, str], str | None] = self._ask_reason
        try:
            self.rules, problem = load_rules(), ""
        except (RulesError, OSError) as exc:
            self.rules, problem = [], str(exc)
        self.status = QLabel(problem)
        self.status.setObjectName("DestinationStatus")
        self.status.setWordWrap(True)
        self.table = QTableWidget(0, 5)
        self.table.setObjectName("DestinationTable")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.installEventFilter(self)
        self.table.doubleClicked.connect(lambda index: self.pick_rank(index.row() + 1))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.status)
        layout.addWidget(self.table)
        self.retranslate_ui()
        store.events.incident_changed.connect(self._on_incident_changed)
        store.events.registry_changed.connect(self.refresh)
        store.events.state_reset.connect(self.refresh)
        store.events.hospital_changed.connect(self._on_hospital_changed)

    # ------------------------------------------------------------ data
    def follow_incident(self, incident_id: str | None) -> None:
        self.incident_id = incident_id
        self.refresh()

    def _on_incident_changed(self, incident_id: str) -> None:
        if incident_id == self.incident_id:
            self.refresh()

    def _on_hospital_changed(self, _hospital_id: str) -> None:
        if self.incident_id is not None:
            self.refresh()

    def refresh(self) -> None:
        state = self.store.state
        incident = state.incidents.get(self.incident_id or "") or {}
        location = incident.get("location") or {}
        where = (location["lat"], location["lon"]) if location.get("lat") is not None else None
        triage = incident.get("triage") or {}
        requirement = required_for(plan_of(incident), self.rules, age_answer(triage.get("path")))
        self.requirement = requirement
        self.rows = suggest(where, state.hospitals.values(), requirement, self._travel) if incident else []
        chosen = (incident.get("destination") or {}).get("hospital_id")
        self.table.setRowCount(len(self.rows))
        for i, d in enumerate(self.rows):
            h = state.hospitals.get(d.hospital_id) or {}
            name = str(h.get("name") or d.hospital_id) + ("  ✔" if d.hospital_id == chosen else "")
            travel = (f"{format_eta(d.travel.seconds)} · {format_distance(d.travel.distance_m)}"
                      if d.travel else "?")
            if d.missing:
                capability = self.tr("missing: %1").replace(
                    "%1", ", ".join(hospital_capability_text(m) for m in d.missing))
            elif d.missing_preferred:
                capability = self.tr("matches; no %1").replace(
                    "%1", ", ".join(hospital_capability_text(m) for m in d.missing_preferred))
            elif requirement is not None:
                capability = self.tr("matches")
            else:
                capability = "—"
            cells = (str(d.rank), name, travel, capability, ed_status_text(d.ed_status),
                     "; ".join(destination_reason_text(r) for r in d.reasons))
            for col, text in enumerate(cells[:4] + (f"{cells[4]} — {cells[5]}",)):
                self.table.setItem(i, col, QTableWidgetItem(text))
        if self.rows:
            self.table.selectRow(0)
        if not incident:
            self.status.setText(self.tr("No incident in the form."))
        elif where is None:
            self.status.setText(self.tr("Locate the incident to rank hospitals by travel time."))
        elif requirement is not None:
            self.status.setText(self.requirement_text(requirement))
        else:
            self.status.setText("")

    def requirement_text(self, requirement: Requirement) -> str:
        """"<the rule's reason> — needs: …[, level ≤ n][; preferred: …]" in the UI language."""
        needs = [hospital_capability_text(n) for n in sorted(requirement.needs)]
        if requirement.trauma_level_at_most is not None:
            needs.append(trauma_level_text(requirement.trauma_level_at_most))
        text = self.tr("Needs: %1").replace("%1", ", ".join(needs))
        if requirement.prefers:
            text += "; " + self.tr("preferred: %1").replace(
                "%1", ", ".join(hospital_capability_text(n) for n in sorted(requirement.prefers)))
        lang = "zh" if self._language().startswith("zh") else "en"
        reason = requirement.reason.get(lang) or requirement.reason.get("en")
        return f"{reason} — {text}" if reason else text

    # ------------------------------------------------------------ picking
    def _ask_reason(self, chosen: str, first: str) -> str | None:
        dialog = DestinationReasonDialog(chosen, first, self)
        return dialog.reason() if dialog.exec() == QDialog.DialogCode.Accepted else None

    def pick_rank(self, rank: int) -> bool:
        """Set the hospital at ``rank`` as the destination (asks why unless rank 1). False if nothing sent."""
        if not self.rows or not 1 <= rank <= len(self.rows):
            self.runner.notify(self.tr("No hospital to suggest."))
            return False
        d, first = self.rows[rank - 1], self.rows[0]
        names = self.store.state.hospitals
        reason = None
        if rank > 1:
            reason = self.reason_prompt(str((names.get(d.hospital_id) or {}).get("name") or d.hospital_id),
                                        str((names.get(first.hospital_id) or {}).get("name") or first.hospital_id))
            if reason is None:
                return False
        incident_id = self._incident_for_dispatch()
        if incident_id is None:
            return False
        return self.runner.run(self.runner.commands.set_destination, lambda: self.tr("Setting the destination"),
                               incident_id=incident_id, hospital_id=d.hospital_id, rank=rank,
                               reason=reason) is not None

    def eventFilter(self, watched: Any, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        keys = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if watched is self.table and event.type() == QEvent.Type.KeyPress and event.key() in keys:
            self.pick_rank(max(self.table.currentRow(), 0) + 1)
            return True
        return super().eventFilter(watched, event)

    def retranslate_ui(self) -> None:
        if self.incident_id is not None:
            self.refresh()  # the status line and the cells are in the UI language
        self.table.setHorizontalHeaderLabels([
            self.tr("#"), self.tr("Hospital"), self.tr("Travel"), self.tr("Capability"), self.tr("ED and why")])
