"""The recommendation list: which unit to send to the incident in the form.

:class:`RecommendationPanel` shows the available units ranked by road travel time and
capability (:func:`app.dispatch.recommend.recommend`): rank, call sign and crew, ETA,
road distance, capability against the triage plan, why it is ranked there, and the
coverage cost (station areas left without a unit within the centre's target time).

* **Ctrl+F8** (anywhere) or **Enter/F8** in the list sends the highlighted suggestion
  — the first one unless the dispatcher moved — in one key.
* Sending any other than the first asks for a reason (:class:`OverrideDialog`: a short
  list plus free text); the reason travels in ``unit.assign_recommended`` and is
  recorded in the incident's history.
* When a unit becomes available and incidents wait without a unit
  (:mod:`app.dispatch.pending`), a line above the list suggests it for the most
  urgent waiting incident; "Show" opens that incident.

Recomputed on the GUI thread, debounced (:data:`DEBOUNCE_MS`) after the incident,
a unit or a position changes: Monaco takes ~20 ms with coverage. Never raises into
Qt: a routing problem becomes a line of text in the panel.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.dispatch import pending
from app.dispatch.recommend import Recommendation, Tier, recommend
from app.domain.triage import plan_of
from app.protocol.dispatch import OVERRIDE_REASONS
from app.routing.engine import Router
from app.routing.snap import SnapError
from app.seat.store import SeatStore
from widgets.clock import SeatClock
from widgets.command_runner import CommandRunner
from widgets.labels import (
    RECOMMEND_TIER_COLOURS,
    capability_text,
    format_distance,
    format_elapsed,
    format_eta,
    override_reason_text,
    priority_text,
    recommend_reason_text,
)

log = logging.getLogger(__name__)

DEBOUNCE_MS = 250
OVERRIDE_ORDER = ("closer_than_shown", "crew_skills", "road_conditions", "keep_coverage", "unit_status", "other")
assert set(OVERRIDE_ORDER) == OVERRIDE_REASONS


class OverrideDialog(QDialog):
    """Why another unit than the first suggestion: a reason from a short list, and a note.

    "Other" needs a note. :meth:`choice` gives ``(reason, note or None)`` after ``accept()``.
    """

    def __init__(self, chosen: str, first: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("OverrideDialog")
        self.setWindowTitle(self.tr("Why not the first suggestion?"))
        self.reason = QComboBox()
        for code in OVERRIDE_ORDER:
            self.reason.addItem(override_reason_text(code), code)
        self.note = QLineEdit()
        self.note.setMaxLength(200)
        self.note.setPlaceholderText(self.tr("What the dispatcher knows (optional, required for Other)"))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        text = QLabel(self.tr("You are sending %1 instead of the first suggestion %2.").replace("%1", chosen)
                      .replace("%2", first))
        text.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.tr("Reason"), self.reason)
        form.addRow(self.tr("Note"), self.note)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.reason.currentIndexChanged.connect(self._update_ok)
        self.note.textChanged.connect(self._update_ok)
        self._update_ok()

    def _update_ok(self) -> None:
        ok = self.reason.currentData() != "other" or bool(self.note.text().strip())
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)

    def choice(self) -> tuple[str, str | None]:
        return str(self.reason.currentData()), (self.note.text().strip() or None)


def ask_override(parent: QWidget, chosen: str, first: str) -> tuple[str, str | None] | None:
    """Show :class:`OverrideDialog` modally; None if the dispatcher cancelled."""
    dialog = OverrideDialog(chosen, first, parent)
    return dialog.choice() if dialog.exec() == QDialog.DialogCode.Accepted else None


class RecommendationPanel(QWidget):
    """The ranked unit list for the form's incident. GUI thread.

    Args:
        store: the seat's store (units, stations, incidents, GPS positions).
        runner: sends ``assign_recommended``.
        clock: the seat's clock (waiting times).
        router: the routing engine, or None when the city has no road graph (``problem`` says why).
        incident_for_dispatch: saves the form and returns its incident id (None: nothing to dispatch to).
        coverage_target_s: the centre's coverage target time.
        problem: shown instead of a list when there is no router.
    """

    incident_requested = Signal(str)  # "Show" on the pending suggestion
    route_shown = Signal(str, list)  # unit id, [(lat, lon), ...] of the highlighted suggestion
    route_cleared = Signal(str)  # unit id whose route is no longer highlighted

    def __init__(self, store: SeatStore, runner: CommandRunner, clock: SeatClock, router: Router | None,
                 incident_for_dispatch: Callable[[], str | None], *, coverage_target_s: float = 720.0,
                 problem: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("RecommendationPanel")
        self.store = store
        self.runner = runner
        self.clock = clock
        self.router = router
        self.problem = problem
        self.snap_problem = ""
        self._route_unit: str | None = None
        self.coverage_target_s = coverage_target_s
        self._incident_for_dispatch = incident_for_dispatch
        self.incident_id: str | None = None
        self.rows: list[Recommendation] = []
        self.status = ""  # why the list is empty, for tests and the header
        self.suggestion: tuple[str, str] | None = None  # (unit id, incident id) of the pending banner
        self.override_prompt: Callable[[str, str], tuple[str, str | None] | None] = (
            lambda chosen, first: ask_override(self, chosen, first))

        self.header = QLabel()
        self.header.setObjectName("RecommendationHeader")
        self.header.setWordWrap(True)
        self.pending_label = QLabel()
        self.pending_label.setObjectName("PendingSuggestion")
        self.pending_label.setWordWrap(True)
        self.pending_label.setStyleSheet("background:#FFF3D6; padding:4px; border:1px solid #E69F00;")
        self.show_pending = QPushButton()
        self.show_pending.clicked.connect(self._show_pending_incident)
        pending_row = QHBoxLayout()
        pending_row.addWidget(self.pending_label, 1)
        pending_row.addWidget(self.show_pending)
        self.title = QLabel()
        self.title.setObjectName("PanelTitle")
        self.table = QTableWidget(0, 5)
        self.table.setObjectName("RecommendationTable")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setWordWrap(True)
        self.table.installEventFilter(self)
        self.table.itemSelectionChanged.connect(self._on_highlight)
        self.send_first_action = QAction(self)
        self.send_first_action.setShortcut(QKeySequence(Qt.Modifier.CTRL | Qt.Key.Key_F8))
        self.send_first_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.send_first_action.triggered.connect(lambda: self.send_rank(1))
        self.addAction(self.send_first_action)
        self.send_first = QPushButton()
        self.send_first.clicked.connect(lambda: self.send_rank(1))
        self.send_selected = QPushButton()
        self.send_selected.clicked.connect(self.send_highlighted)
        buttons = QHBoxLayout()
        buttons.addWidget(self.send_first)
        buttons.addWidget(self.send_selected)
        buttons.addStretch(1)
        self.table.setMinimumHeight(120)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.header)
        layout.addLayout(pending_row)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self.refresh)
        store.events.unit_changed.connect(self._on_unit_changed)
        store.events.incident_changed.connect(self._on_incident_changed)
        store.events.positions_changed.connect(self._schedule)  # takes no argument: psygnal drops the ids
        store.events.state_reset.connect(self._schedule)
        store.events.registry_changed.connect(self._schedule)
        self._show_suggestion(None)
        self.retranslate_ui()

    # ------------------------------------------------------------ inputs
    def follow_incident(self, incident_id: str | None) -> None:
        """The form shows another incident (or none)."""
        if incident_id != self.incident_id:
            self.incident_id = incident_id
            self.refresh()

    def _schedule(self) -> None:
        self._debounce.start()

    def _on_incident_changed(self, incident_id: str) -> None:
        if incident_id == self.incident_id:
            self._schedule()

    def _on_unit_changed(self, unit_id: str) -> None:
        self._schedule()
        unit = self.store.state.units.get(unit_id)
        if unit is None:
            return
        if unit.get("status") == "available" and unit.get("previous") not in (None, "available"):
            waiting = pending.queue(self.store.state.incidents.values(), self.clock.now())
            found = pending.suggest_for(unit, waiting)
            self._show_suggestion((str(unit["unit_id"]), found) if found is not None else None)
        elif self.suggestion is not None and unit.get("unit_id") == self.suggestion[0]:
            self._show_suggestion(None)  # the suggested unit was sent somewhere: the hint is stale

    # ------------------------------------------------------------ computing
    def refresh(self) -> None:
        """Recompute the list for the current incident (GUI thread; a few ms to tens of ms)."""
        self.rows = []
        incident = self.store.state.incidents.get(self.incident_id or "")
        location = (incident or {}).get("location") or {}
        if incident is None:
            self.status = "no_incident"
        elif self.router is None:
            self.status = "no_router"
        elif location.get("lat") is None or location.get("lon") is None:
            self.status = "no_location"
        else:
            result = plan_of(incident) or {}
            gps = {uid: (p.lat, p.lon) for uid, p in self.store.positions.items()}
            try:
                self.rows = recommend(self.router, (float(location["lat"]), float(location["lon"])),
                                      self.store.state.units.values(), self.store.state.stations, gps,
                                      result.get("capability"), coverage_target_s=self.coverage_target_s)
                self.status = "ok" if self.rows else "no_units"
            except SnapError as exc:
                self.status = "incident_off_road"
                self.snap_problem = str(exc)
            except Exception:  # a routing bug must not take the seat down: say so, keep going
                log.exception("recommendation failed for incident %s", self.incident_id)
                self.status = "failed"
        self._render()

    # ------------------------------------------------------------ rendering
    def _header_text(self) -> str:
        incident = self.store.state.incidents.get(self.incident_id or "") or {}
        texts = {
            "no_incident": self.tr("Suggested units appear here for the incident in the form."),
            "no_router": self.tr("No road routing: %1").replace("%1", self.problem),
            "no_location": self.tr("Locate the incident on the map to get suggested units."),
            "incident_off_road": self.tr("The incident's position is too far from any road: %1").replace(
                "%1", self.snap_problem),
            "no_units": self.tr("No available unit. The incident waits in the pending queue."),
            "failed": self.tr("Suggestions could not be computed; see the log. Assign from the unit board."),
        }
        if self.status in texts:
            return texts[self.status]
        triage_plan = plan_of(incident) or {}
        capability = triage_plan.get("capability")
        plan = capability_text(capability) if capability else self.tr("no triage plan yet")
        if capability and triage_plan.get("priority"):
            plan = self.tr("%1, priority %2").replace("%1", plan).replace("%2", priority_text(triage_plan["priority"]))
        if triage_plan.get("provisional"):
            plan = self.tr("%1 (cardiac arrest recognised, determinant pending)").replace("%1", plan)
        return self.tr("Plan: %1. Ctrl+F8 sends the first, Enter the highlighted one.").replace(
            "%1", plan)

    def _render(self) -> None:
        self.header.setText(self._header_text())
        self.table.setRowCount(len(self.rows))
        for row, rec in enumerate(self.rows):
            colours = RECOMMEND_TIER_COLOURS.get(int(rec.tier), RECOMMEND_TIER_COLOURS[0])
            unit_text = f"{rec.call_sign} · {capability_text(rec.capability)}" + (f"\n{rec.crew}" if rec.crew else "")
            coverage = ""
            if rec.coverage_lost:
                names = [str((self.store.state.stations.get(s) or {}).get("name") or s) for s in rec.coverage_lost]
                coverage = "⚠ " + self.tr("leaves %1 without cover").replace("%1", ", ".join(names))
            eta = format_eta(rec.eta_s) if rec.eta_s is not None else "—"
            why = "; ".join(recommend_reason_text(r) + (f" (+{format_eta(rec.delay_s)})" if r == "slower" else "")
                            for r in rec.reasons if r != "coverage_cost")
            if coverage:
                why = coverage + "\n" + why
            cells = [str(rec.rank), unit_text, eta,
                     format_distance(rec.distance_m) if rec.distance_m is not None else "—", why]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, rec.unit_id)
                item.setBackground(QColor(colours.background))
                item.setForeground(QColor("#B00000" if col == 4 and coverage else colours.foreground))
                if col == 4:
                    item.setToolTip(text)
                if col == 0 and rec.rank == 1 and rec.tier == Tier.CAPABLE:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(row, col, item)
        if self.rows:
            self.table.selectRow(0)
        self.send_first.setEnabled(bool(self.rows))
        self.send_selected.setEnabled(bool(self.rows))

    def _show_suggestion(self, suggestion: tuple[str, pending.Waiting] | None) -> None:
        if suggestion is None:
            self.suggestion = None
            self.pending_label.hide()
            self.show_pending.hide()
            return
        unit_id, waiting = suggestion
        self.suggestion = (unit_id, waiting.incident_id)
        unit = self.store.state.units.get(unit_id) or {}
        incident = self.store.state.incidents.get(waiting.incident_id) or {}
        priority = f"P{waiting.priority}" if waiting.priority else self.tr("not triaged")
        self.pending_label.setText(
            self.tr("%1 is available: most urgent waiting incident %2 (%3, waiting %4)")
            .replace("%1", str(unit.get("call_sign") or unit_id))
            .replace("%2", str(incident.get("address") or waiting.incident_id[:8]))
            .replace("%3", priority).replace("%4", format_elapsed(waiting.waiting_s)))
        self.pending_label.show()
        self.show_pending.show()

    def _show_pending_incident(self) -> None:
        if self.suggestion is not None:
            self.incident_requested.emit(self.suggestion[1])

    def _on_highlight(self) -> None:
        rec = self.highlighted()
        if rec is None or self.router is None or rec.eta_s is None:
            return
        incident = self.store.state.incidents.get(self.incident_id or "") or {}
        location = incident.get("location") or {}
        unit_pos = self.store.positions.get(rec.unit_id)
        start = (unit_pos.lat, unit_pos.lon) if unit_pos is not None else None
        station = self.store.state.stations.get((self.store.state.units.get(rec.unit_id) or {}).get("station_id")
                                                or "")
        if start is None and station is not None:
            start = (float(station["lat"]), float(station["lon"]))
        if start is None or location.get("lat") is None:
            return
        try:
            route = self.router.route(start, (float(location["lat"]), float(location["lon"])))
        except SnapError:
            return
        if route is not None:
            if self._route_unit and self._route_unit != rec.unit_id:
                self.route_cleared.emit(self._route_unit)
            self._route_unit = rec.unit_id
            self.route_shown.emit(rec.unit_id, route.path)

    # ------------------------------------------------------------ sending
    def highlighted(self) -> Recommendation | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.rows):
            return None
        return self.rows[rows[0].row()]

    def send_highlighted(self) -> bool:
        rec = self.highlighted()
        return self.send_rank(rec.rank) if rec is not None else False

    def send_rank(self, rank: int) -> bool:
        """Send the suggestion at ``rank`` (asking for a reason unless it is the first). False if nothing sent."""
        if not self.rows or rank < 1 or rank > len(self.rows):
            self.runner.notify(self.tr("No suggested unit to send."))
            return False
        rec = self.rows[rank - 1]
        first = self.rows[0]
        if rec.tier == Tier.POSITION_UNKNOWN and rank == 1:
            self.runner.notify(self.tr("The first unit's position is unknown: pick it on the unit board."))
            return False
        reason: str | None = None
        note: str | None = None
        if rank > 1:
            answer = self.override_prompt(rec.call_sign, first.call_sign)
            if answer is None:
                return False
            reason, note = answer
        incident_id = self._incident_for_dispatch()
        if incident_id is None:
            return False
        unit = self.store.state.units.get(rec.unit_id) or {}
        command_id = self.runner.run(
            self.runner.commands.assign_recommended,
            lambda: self.tr("Sending %1").replace("%1", rec.call_sign),
            incident_id=incident_id, unit_id=rec.unit_id, rank=rank, first_unit_id=first.unit_id,
            override_reason=reason, override_note=note, unit_version=unit.get("version"))
        return command_id is not None

    # ------------------------------------------------------------ Qt
    def eventFilter(self, watched: Any, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        keys = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_F8)
        if watched is self.table and event.type() == QEvent.Type.ShortcutOverride and event.key() in keys:
            event.accept()  # F8 here sends the highlighted suggestion, not the board's selected unit
            return True
        if watched is self.table and event.type() == QEvent.Type.KeyPress and event.key() in keys:
            self.send_highlighted()
            return True
        return super().eventFilter(watched, event)

    def retranslate_ui(self) -> None:
        self.table.setHorizontalHeaderLabels([
            self.tr("#"), self.tr("Unit"), self.tr("ETA"), self.tr("Road"), self.tr("Why here")])
        self.title.setText(self.tr("Suggested units"))
        self.send_first.setText(self.tr("Send first  Ctrl+F8"))
        self.send_selected.setText(self.tr("Send highlighted  Enter"))
        self.send_first_action.setText(self.tr("Send first suggested unit"))
        self.show_pending.setText(self.tr("Show"))
        self._render()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate_ui()
        super().changeEvent(event)
