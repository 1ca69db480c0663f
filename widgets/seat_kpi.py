""""My shift": the dispatcher's own KPIs for the current shift, against the targets.

* :class:`SeatKpiView` — a table: for each KPI the dispatcher's figure, the target, the centre's
  figure and whether the target is met (said in words and colour, never colour alone).
* :class:`MyShift` — the seat's "My shift" action (Ctrl+Shift+M, in the Seat menu and the F1 list)
  and its non-modal dialog. While the dialog is open it fetches ``GET /kpi?shift=…`` (the server
  answers the centre's line and this seat's own, ``server_stub/kpi_route.py``) every
  :data:`REFRESH_MS` and after each call of this seat ends, on a worker thread; the answer comes
  back through a queued signal.

Shifts are the centre's (``app.records.periods.DEFAULT_SHIFTS``); the targets are
``app.seat.kpi_fetch.TARGETS``. GUI thread only.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QBrush, QColor, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.model import CallState
from app.records.periods import DEFAULT_TZ
from app.seat.kpi_fetch import TARGETS, Shift, current_shift, meets
from app.seat.store import SeatStore
from widgets.keys import shortcut_hint

log = logging.getLogger(__name__)

REFRESH_MS = 60_000
MY_SHIFT_KEYS = QKeySequence("Ctrl+Shift+M")
MET, MISSED = QColor("#1B5E20"), QColor("#B71C1C")  # dark green / dark red: readable on white

# (shift, the last event seq this seat has seen) -> the report (the centre's line and this seat's);
# blocking, run on a worker thread. Raises on failure.
ShiftFetcher = Callable[[Shift, int], dict[str, Any]]

_CTX = "Kpi"
KPI_NAMES: dict[str, str] = {
    "calls_offered": QT_TRANSLATE_NOOP("Kpi", "Calls offered"),
    "calls_answered": QT_TRANSLATE_NOOP("Kpi", "Calls answered"),
    "incidents": QT_TRANSLATE_NOOP("Kpi", "Incidents"),
    "answered_within_10s_rate": QT_TRANSLATE_NOOP("Kpi", "Answered within 10 s"),
    "answer_time_s": QT_TRANSLATE_NOOP("Kpi", "Answer time"),
    "call_processing_s": QT_TRANSLATE_NOOP("Kpi", "Call processing"),
    "departure_within_3min_rate": QT_TRANSLATE_NOOP("Kpi", "Departure within 3 min"),
    "response_time_s": QT_TRANSLATE_NOOP("Kpi", "Response time"),
    "empty_run_rate": QT_TRANSLATE_NOOP("Kpi", "Empty runs"),
    "dispatch_to_call_ratio": QT_TRANSLATE_NOOP("Kpi", "Dispatches per call"),
    "prenotification_rate": QT_TRANSLATE_NOOP("Kpi", "Pre-notified (priority I)"),
    "tcpr_recognition_rate": QT_TRANSLATE_NOOP("Kpi", "Arrests recognised on the phone"),
    "time_to_first_compression_s": QT_TRANSLATE_NOOP("Kpi", "T-CPR: first compression"),
}
# The rows of "My shift", in the order of a call.
MY_SHIFT_ROWS = ("calls_answered", "answered_within_10s_rate", "answer_time_s", "incidents", "call_processing_s",
                 "departure_within_3min_rate", "time_to_first_compression_s")


def kpi_name(key: str) -> str:
    return QCoreApplication.translate(_CTX, KPI_NAMES.get(key, key))


def figure_text(key: str, value: Any) -> str:
    """A KPI value as shown: a rate ``96.2 %``, a duration ``8.4 s (p90 14.0 s)``, a count; ``–`` if none."""
    if isinstance(value, int):
        return str(value)
    if not isinstance(value, dict):
        return "–"
    if "numerator" in value:
        if value["value"] is None:
            return "–"
        return f"{value['value'] * 100:.1f} %"
    if value.get("mean") is None:
        return "–"
    return QCoreApplication.translate("Kpi", "%1 s (p90 %2 s)").replace("%1", f"{value['mean']:.1f}").replace(
        "%2", f"{value['p90']:.1f}")


def kpi_number(key: str, value: Any) -> float | None:
    """The number a target is judged on: a rate's value, a duration's mean."""
    if not isinstance(value, dict):
        return None
    return value.get("value") if "numerator" in value else value.get("mean")


def target_text(key: str) -> str:
    if key not in TARGETS:
        return ""
    target, way = TARGETS[key]
    shown = f"{target * 100:.0f} %" if key.endswith("_rate") else f"{target:.0f} s"
    return ("≥ " if way == "min" else "≤ ") + shown


def verdict_text(met: bool | None) -> str:
    if met is None:
        return ""
    return QCoreApplication.translate("Kpi", "met") if met else QCoreApplication.translate("Kpi", "missed")


def detail_text(value: Any) -> str:
    """How many a figure rests on: ``48/50`` for a rate, ``n = 12`` for a duration."""
    if isinstance(value, dict) and "numerator" in value:
        return f"{value['numerator']}/{value['denominator']}"
    if isinstance(value, dict) and "n" in value:
        return f"n = {value['n']}"
    return ""


class SeatKpiView(QWidget):
    """The dispatcher's figures for one shift beside the targets and the centre's figures."""

    COLUMNS = 5  # KPI, mine, target, met, centre

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("SeatKpiView")
        self.report: dict[str, Any] | None = None
        self.problem = ""
        self.updated: datetime | None = None
        self.heading = QLabel(self)
        self.heading.setObjectName("SeatKpiHeading")
        self.heading.setStyleSheet("font-size: 16px; font-weight: 600;")
        self.table = QTableWidget(len(MY_SHIFT_ROWS), self.COLUMNS, self)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, self.COLUMNS):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.status = QLabel(self)
        self.status.setObjectName("SeatKpiStatus")
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        self.retranslate_ui()

    def show_report(self, report: dict[str, Any] | None, problem: str = "", *, at: datetime | None = None) -> None:
        """Show ``report`` (a ``GET /kpi?shift=`` answer); ``problem``: why it could not be fetched
        (the last figures stay, marked as old)."""
        if report is not None:
            self.report, self.updated = report, at
        self.problem = problem
        self.retranslate_ui()

    def mine(self) -> dict[str, Any] | None:
        if self.report is None or not self.report.get("by_seat"):
            return None
        line: dict[str, Any] = self.report["by_seat"][0]
        return line

    def retranslate_ui(self) -> None:
        self.table.setHorizontalHeaderLabels([self.tr("Indicator"), self.tr("Mine"), self.tr("Target"),
                                              self.tr("Result"), self.tr("Centre")])
        report, mine = self.report, self.mine()
        shift = report.get("shift") if report is not None else None
        if not shift:
            self.heading.setText(self.tr("My shift"))
        else:
            start = datetime.strptime(shift, "%Y-%m-%d %H:%M").replace(tzinfo=ZoneInfo(report.get("tz", DEFAULT_TZ)))
            end = current_shift(start, start.tzinfo.key).end  # type: ignore[union-attr]
            heading = self.tr("My shift %1–%2").replace("%1", f"{start:%m-%d %H:%M}").replace("%2", f"{end:%H:%M}")
            if mine is not None and mine.get("seat"):
                heading += f" · {mine['seat']}"
            self.heading.setText(heading)
        overall = report["overall"] if report is not None else {}
        for row, key in enumerate(MY_SHIFT_ROWS):
            value = mine.get(key) if mine is not None else None
            met = meets(key, kpi_number(key, value))
            mine_text = figure_text(key, value) if mine is not None else ("0" if key in ("calls_answered", "incidents")
                                                                          and report is not None else "–")
            detail = detail_text(value)
            cells = (kpi_name(key), f"{mine_text}  ({detail})" if detail and mine_text != "–" else mine_text,
                     target_text(key), verdict_text(met), figure_text(key, overall.get(key)))
            for column, text in enumerate(cells):
                item = self.table.item(row, column)
                if item is None:
                    item = QTableWidgetItem()
                    self.table.setItem(row, column, item)
                item.setText(text)
                if column in (1, 3):
                    item.setForeground(QBrush(MET if met else MISSED) if met is not None else QBrush())
                    font = item.font()
                    font.setBold(met is not None)
                    item.setFont(font)
        if self.problem:
            self.status.setText(self.tr("Could not update: %1").replace("%1", self.problem))
        elif report is None:
            self.status.setText(self.tr("Loading…"))
        elif report.get("empty") or mine is None:
            self.status.setText(self.tr("No call answered at this seat in this shift yet."))
        else:
            self.status.setText(self.tr("Updated %1 · from the centre's event log, every minute and after each call")
                                .replace("%1", self.updated.strftime("%H:%M:%S") if self.updated else ""))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate_ui()
        super().changeEvent(event)


class _Fetched(QObject):
    """Carries a fetch's outcome from the worker thread to the GUI thread (queued signal)."""

    done = Signal(object, str)  # report or None, error text


class MyShift(QObject):
    """The "My shift" action and dialog of a seat window. Give it a :attr:`fetcher` to make it live.

    Args:
        store: the seat's store (its own calls ending trigger a refresh).
        window: the seat's main window (owns the action and the dialog).
        now: the wall clock (aware), for the current shift.
    """

    def __init__(self, store: SeatStore, window: QWidget, *, tz: str = DEFAULT_TZ,
                 now: Callable[[], datetime] | None = None) -> None:
        super().__init__(window)
        self.store = store
        self.window = window
        self.tz = tz
        self.now = now or (lambda: datetime.now().astimezone())
        self.fetcher: ShiftFetcher | None = None
        self.fetches = 0  # fetches started (tests, diagnostics)
        self._busy = False
        self._again = False
        self._ended: set[str] = set()
        self.action = QAction(window)
        self.action.setShortcut(MY_SHIFT_KEYS)
        self.action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.action.triggered.connect(self.open)
        self.dialog: QDialog | None = None
        self.view: SeatKpiView | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self._fetched = _Fetched(self)
        self._fetched.done.connect(self._on_fetched, Qt.ConnectionType.QueuedConnection)
        store.events.call_changed.connect(self._on_call_changed)
        self.retranslate_ui()

    def retranslate_ui(self) -> None:
        self.action.setText(QCoreApplication.translate("Kpi", "My shift…"))
        shortcut_hint(self.action)
        if self.dialog is not None:
            self.dialog.setWindowTitle(QCoreApplication.translate("Kpi", "My shift"))

    def open(self) -> None:
        """Show the dialog (built on first use) and fetch now; then every minute while it is open."""
        if self.dialog is None:
            self.dialog = QDialog(self.window)
            self.dialog.setObjectName("MyShiftDialog")
            self.dialog.setModal(False)
            self.view = SeatKpiView(self.dialog)
            layout = QVBoxLayout(self.dialog)
            layout.setContentsMargins(8, 8, 8, 8)
            layout.addWidget(self.view)
            self.dialog.resize(720, 360)
            self.dialog.finished.connect(lambda _code: self.timer.stop())
            self.retranslate_ui()
        self.dialog.show()
        self.dialog.raise_()
        self.timer.start()
        self.refresh()

    def refresh(self) -> None:
        """Fetch the current shift's figures on a worker thread (one at a time; a request meanwhile
        fetches again after it)."""
        if self.fetcher is None or self.view is None:
            if self.view is not None:
                self.view.show_report(None, QCoreApplication.translate("Kpi", "not connected to a server"))
            return
        if self._busy:
            self._again = True
            return
        self._busy = True
        self.fetches += 1
        fetcher, shift, done = self.fetcher, current_shift(self.now(), self.tz), self._fetched.done
        seen_seq = self.store.state.seq

        def work() -> None:
            try:
                report, problem = fetcher(shift, seen_seq), ""
            except Exception as exc:  # noqa: BLE001 - shown to the dispatcher, logged
                log.warning("My shift: %s", exc)
                report, problem = None, str(exc)
            done.emit(report, problem)

        threading.Thread(target=work, name="my-shift-kpi", daemon=True).start()

    def _on_fetched(self, report: dict[str, Any] | None, problem: str) -> None:
        self._busy = False
        if self.view is not None:
            self.view.show_report(report, problem, at=self.now())
        if self._again:
            self._again = False
            self.refresh()

    def _on_call_changed(self, call_id: str) -> None:
        """A call of this seat ended: its figures changed (while the dialog is open)."""
        call = self.store.state.calls.get(call_id)
        me = (self.store.me or {}).get("id")
        if call is None or call.get("seat_id") != me or call.get("state") != CallState.ENDED:
            return
        if call_id in self._ended:
            return
        self._ended.add(call_id)
        if self.dialog is not None and self.dialog.isVisible():
            self.refresh()
