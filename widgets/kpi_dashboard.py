"""The supervisor's KPI dashboard (``dispatch120 dashboard``): trends, distributions, seats, priorities.

Renders one ``GET /kpi`` report (``server_stub/kpi_route.py``; formulas in ``docs/kpi.md``) for the
period chosen at the top (today, the last 7 or 30 days, this or last month, or any days):

* a row of the period's headline figures, each with its target where there is one;
* **Trends** — per day: answered within 10 s and departure within 3 min (rates, with the 95 %
  targets drawn as dashed lines), and call processing (mean and p90, target line);
* **Distributions** — answer times and call processing times as histograms, the target marked;
* **By seat** and **By priority** — tables of the same figures;
* **Incident record** — an incident's full record (``GET /records/incident/<id>``) by its id.

The curves and bars are made once and fed with ``setData``/``setOpts`` (pyqtgraph). The fetch runs
on a worker thread (a year of a busy centre takes the server seconds) and comes back through a
queued signal; F5 fetches again. GUI thread only.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QDate, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QAction, QBrush, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.seat.kpi_fetch import TARGETS, meets
from widgets.keys import shortcut_hint
from widgets.seat_kpi import (
    MET,
    MISSED,
    detail_text,
    figure_text,
    kpi_name,
    kpi_number,
    target_text,
    verdict_text,
)

log = logging.getLogger(__name__)

# (first day, last day) -> the whole report; blocking, run on a worker thread. Raises on failure.
ReportFetcher = Callable[[date, date], dict[str, Any]]
# incident id -> its record as text; blocking, worker thread. Raises on failure.
RecordFetcher = Callable[[str], str]
# incident id -> its track (app.records.track.Track, GET /records/track/<id>); blocking, worker thread.
TrackFetcher = Callable[[str], dict[str, Any]]

PRESETS = ("today", "7d", "30d", "this_month", "last_month", "custom")
HEADLINE = ("calls_offered", "answered_within_10s_rate", "call_processing_s", "departure_within_3min_rate",
            "response_time_s", "time_to_first_compression_s")
SEAT_COLUMNS = ("calls_answered", "answered_within_10s_rate", "answer_time_s", "incidents", "call_processing_s",
                "departure_within_3min_rate", "time_to_first_compression_s")
PRIORITY_COLUMNS = ("incidents", "call_processing_s", "departure_within_3min_rate", "response_time_s",
                    "empty_run_rate", "prenotification_rate")
LINE_BLUE, LINE_ORANGE, TARGET_GREY = "#0072B2", "#E69F00", "#555555"  # Okabe-Ito


def period_of(preset: str, today: date) -> tuple[date, date] | None:
    """The days a preset names (None for ``custom``)."""
    if preset == "today":
        return today, today
    if preset == "7d":
        return today - timedelta(days=6), today
    if preset == "30d":
        return today - timedelta(days=29), today
    if preset == "this_month":
        return today.replace(day=1), today
    if preset == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    return None


class _Fetched(QObject):
    report = Signal(object, str, object)  # report or None, error text, (first, last)
    record = Signal(str, str)  # record text, error text
    track = Signal(object, str)  # track or None, error text


def _percent(line: dict[str, Any], key: str) -> float:
    value = (line.get(key) or {}).get("value")
    return float("nan") if value is None else value * 100.0


def _seconds(line: dict[str, Any], key: str, stat: str) -> float:
    value = (line.get(key) or {}).get(stat)
    return float("nan") if value is None else float(value)


class _DayAxis(pg.AxisItem):
    """Day indexes shown as ``MM-DD``."""

    def __init__(self) -> None:
        super().__init__("bottom")
        self.days: list[str] = []

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802 (pyqtgraph)
        out = []
        for v in values:
            i = int(round(v))
            out.append(self.days[i][5:] if 0 <= i < len(self.days) and abs(v - i) < 1e-6 else "")
        return out


class KpiDashboard(QMainWindow):
    """The dashboard window. Give it a report fetcher (and a record fetcher for the records tab).

    Args:
        fetcher: (first, last) → the report, blocking (run on a worker thread here).
        today: the centre's local date now.
        record_fetcher: incident id → its record as text; None hides nothing but says it is unavailable.
        track_fetcher: incident id → its track, for the playback window (widgets/track_playback.py).
    """

    def __init__(self, fetcher: ReportFetcher, *, today: Callable[[], date] | None = None,
                 record_fetcher: RecordFetcher | None = None, track_fetcher: TrackFetcher | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("KpiDashboard")
        self.fetcher = fetcher
        self.record_fetcher = record_fetcher
        self.track_fetcher = track_fetcher
        self.today = today or date.today
        self.report: dict[str, Any] | None = None
        self.problem = ""
        self.fetching = False
        self.fetches = 0
        self.fetched_at = datetime.now()
        self._fetched = _Fetched(self)
        self._fetched.report.connect(self._on_report, Qt.ConnectionType.QueuedConnection)
        self._fetched.record.connect(self._on_record, Qt.ConnectionType.QueuedConnection)
        self._fetched.track.connect(self._on_track, Qt.ConnectionType.QueuedConnection)
        pg.setConfigOptions(antialias=False)

        central = QWidget(self)
        self.setCentralWidget(central)
        root = QVBoxLayout(central)
        root.setContentsMargins(12, 10, 12, 10)
        root.setSpacing(10)

        # ---- the period chooser
        bar = QHBoxLayout()
        self.period_label = QLabel(central)
        self.preset = QComboBox(central)
        for key in PRESETS:
            self.preset.addItem("", key)
        self.first_edit, self.last_edit = QDateEdit(central), QDateEdit(central)
        for edit in (self.first_edit, self.last_edit):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.to_label = QLabel("–", central)
        self.refresh_action = QAction(self)
        self.refresh_action.setShortcut(QKeySequence(Qt.Key.Key_F5))
        self.refresh_action.triggered.connect(self.refresh)
        self.addAction(self.refresh_action)
        self.refresh_button = QPushButton(central)
        self.refresh_button.clicked.connect(self.refresh)
        self.status = QLabel(central)
        self.status.setObjectName("DashboardStatus")
        for widget in (self.period_label, self.preset, self.first_edit, self.to_label, self.last_edit,
                       self.refresh_button):
            bar.addWidget(widget)
        bar.addSpacing(16)
        bar.addWidget(self.status, 1)
        root.addLayout(bar)
        self.preset.currentIndexChanged.connect(self._on_preset_changed)
        self.first_edit.dateChanged.connect(self._on_date_edited)
        self.last_edit.dateChanged.connect(self._on_date_edited)

        # ---- headline figures
        tiles = QGridLayout()
        tiles.setHorizontalSpacing(10)
        self.tiles: dict[str, tuple[QLabel, QLabel, QLabel]] = {}
        for column, key in enumerate(HEADLINE):
            frame = QFrame(central)
            frame.setObjectName("KpiTile")
            frame.setStyleSheet("#KpiTile { border: 1px solid #c8c8c8; border-radius: 6px; background: #fafafa; }")
            inner = QVBoxLayout(frame)
            inner.setContentsMargins(10, 6, 10, 6)
            title, value, detail = QLabel(frame), QLabel(frame), QLabel(frame)
            title.setStyleSheet("color: #444; font-size: 13px;")
            value.setStyleSheet("font-size: 24px; font-weight: 600;")
            detail.setStyleSheet("color: #555; font-size: 12px;")
            for label in (title, value, detail):
                inner.addWidget(label)
            tiles.addWidget(frame, 0, column)
            self.tiles[key] = (title, value, detail)
        root.addLayout(tiles)

        # ---- tabs
        self.tabs = QTabWidget(central)
        root.addWidget(self.tabs, 1)
        self._build_trends()
        self._build_distributions()
        self.seat_table = self._table(len(SEAT_COLUMNS) + 1)
        self.priority_table = self._table(len(PRIORITY_COLUMNS) + 1)
        self.tabs.addTab(self.seat_table, "")
        self.tabs.addTab(self.priority_table, "")
        self._build_records()

        self.resize(1500, 900)
        self.preset.setCurrentIndex(PRESETS.index("30d"))
        self._on_preset_changed()
        self.retranslate_ui()

    # ------------------------------------------------------------ building
    def _table(self, columns: int) -> QTableWidget:
        table = QTableWidget(0, columns, self)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.verticalHeader().hide()
        table.setAlternatingRowColors(True)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        return table

    def _plot(self, layout: pg.GraphicsLayoutWidget, row: int, axis: _DayAxis | None,
              legend: bool = False) -> pg.PlotItem:
        plot = layout.addPlot(row=row, col=0, axisItems={"bottom": axis} if axis is not None else None)
        plot.showGrid(x=False, y=True, alpha=0.25)
        if legend:  # bottom left: above the target line, below the curves (processing is rarely under it)
            plot.addLegend(offset=(10, -10), labelTextSize="10pt", brush=pg.mkBrush(255, 255, 255, 220))
        plot.setMenuEnabled(False)
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        return plot

    def _build_trends(self) -> None:
        self.trends = pg.GraphicsLayoutWidget()
        self.trends.setBackground("w")
        self.day_axes = [_DayAxis() for _ in range(3)]
        self.rate_plot = self._plot(self.trends, 0, self.day_axes[0])
        self.departure_plot = self._plot(self.trends, 1, self.day_axes[1])
        self.processing_plot = self._plot(self.trends, 2, self.day_axes[2], legend=True)
        target = pg.mkPen(TARGET_GREY, width=1.5, style=Qt.PenStyle.DashLine)
        self.answer_curve = self.rate_plot.plot(pen=pg.mkPen(LINE_BLUE, width=2), symbol="o", symbolSize=5,
                                                symbolBrush=LINE_BLUE, name="")
        self.answer_target = pg.InfiniteLine(pos=TARGETS["answered_within_10s_rate"][0] * 100, angle=0, pen=target)
        self.rate_plot.addItem(self.answer_target)
        self.departure_curve = self.departure_plot.plot(pen=pg.mkPen(LINE_ORANGE, width=2), symbol="o",
                                                        symbolSize=5, symbolBrush=LINE_ORANGE, name="")
        self.departure_target = pg.InfiniteLine(pos=TARGETS["departure_within_3min_rate"][0] * 100, angle=0,
                                                pen=target)
        self.departure_plot.addItem(self.departure_target)
        self.processing_mean = self.processing_plot.plot(pen=pg.mkPen(LINE_BLUE, width=2), name="")
        self.processing_p90 = self.processing_plot.plot(pen=pg.mkPen(LINE_ORANGE, width=2), name="")
        self.processing_target = pg.InfiniteLine(pos=TARGETS["call_processing_s"][0], angle=0, pen=target)
        self.processing_plot.addItem(self.processing_target)
        for plot in (self.rate_plot, self.departure_plot):
            plot.setYRange(50, 100, padding=0.02)
        self.tabs.addTab(self.trends, "")

    def _build_distributions(self) -> None:
        self.distributions = pg.GraphicsLayoutWidget()
        self.distributions.setBackground("w")
        self.answer_hist_plot = self._plot(self.distributions, 0, None)
        self.processing_hist_plot = self._plot(self.distributions, 1, None)
        self.answer_bars = pg.BarGraphItem(x=[], height=[], width=1.0, brush=LINE_BLUE, pen=pg.mkPen("w"))
        self.processing_bars = pg.BarGraphItem(x=[], height=[], width=1.0, brush=LINE_ORANGE, pen=pg.mkPen("w"))
        self.answer_hist_plot.addItem(self.answer_bars)
        self.processing_hist_plot.addItem(self.processing_bars)
        target = pg.mkPen("#B71C1C", width=2, style=Qt.PenStyle.DashLine)
        self.answer_hist_target = pg.InfiniteLine(pos=10.0, angle=90, pen=target)
        self.processing_hist_target = pg.InfiniteLine(pos=TARGETS["call_processing_s"][0], angle=90, pen=target)
        self.answer_hist_plot.addItem(self.answer_hist_target)
        self.processing_hist_plot.addItem(self.processing_hist_target)
        self.tabs.addTab(self.distributions, "")

    def _build_records(self) -> None:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        row = QHBoxLayout()
        self.record_label = QLabel(page)
        self.record_id = QLineEdit(page)
        self.record_id.setObjectName("RecordIncidentId")
        self.record_id.returnPressed.connect(self.open_record)
        self.record_button = QPushButton(page)
        self.record_button.clicked.connect(self.open_record)
        row.addWidget(self.record_label)
        row.addWidget(self.record_id, 1)
        row.addWidget(self.record_button)
        self.track_button = QPushButton(page)
        self.track_button.setObjectName("PlayTrack")
        self.track_button.clicked.connect(self.open_track)
        row.addWidget(self.track_button)
        layout.addLayout(row)
        self.record_text = QPlainTextEdit(page)
        self.record_text.setReadOnly(True)
        layout.addWidget(self.record_text, 1)
        self.tabs.addTab(page, "")

    # ------------------------------------------------------------ the period
    def period(self) -> tuple[date, date]:
        return self.first_edit.date().toPython(), self.last_edit.date().toPython()  # type: ignore[return-value]

    def set_period(self, first: date, last: date) -> None:
        """Choose any days (the preset becomes "custom") and fetch."""
        self.preset.blockSignals(True)
        self.preset.setCurrentIndex(PRESETS.index("custom"))
        self.preset.blockSignals(False)
        self._set_dates(first, last)
        self.refresh()

    def _set_dates(self, first: date, last: date) -> None:
        for edit, day in ((self.first_edit, first), (self.last_edit, last)):
            edit.blockSignals(True)
            edit.setDate(QDate(day.year, day.month, day.day))
            edit.blockSignals(False)

    def _on_preset_changed(self) -> None:
        days = period_of(str(self.preset.currentData()), self.today())
        if days is not None:
            self._set_dates(*days)

    def _on_date_edited(self) -> None:
        self.preset.blockSignals(True)
        self.preset.setCurrentIndex(PRESETS.index("custom"))
        self.preset.blockSignals(False)

    # ------------------------------------------------------------ fetching
    def refresh(self) -> None:
        """Fetch the chosen period's report on a worker thread (ignored while one is on its way)."""
        if self.fetching:
            return
        first, last = self.period()
        self.fetching = True
        self.fetches += 1
        self.status.setText(self.tr("Computing %1 – %2 …").replace("%1", first.isoformat())
                            .replace("%2", last.isoformat()))
        fetcher, done = self.fetcher, self._fetched.report

        def work() -> None:
            try:
                report, problem = fetcher(first, last), ""
            except Exception as exc:  # noqa: BLE001 - shown in the window, logged
                log.warning("KPI dashboard: %s", exc)
                report, problem = None, str(exc)
            done.emit(report, problem, (first, last))

        threading.Thread(target=work, name="kpi-dashboard", daemon=True).start()

    def _on_report(self, report: dict[str, Any] | None, problem: str, _period: object) -> None:
        self.fetching = False
        self.problem = problem
        if report is not None:
            self.report = report
            self.fetched_at = datetime.now()
        self.render()

    def open_record(self) -> None:
        incident_id = self.record_id.text().strip()
        if not incident_id:
            return
        if self.record_fetcher is None:
            self.record_text.setPlainText(self.tr("Incident records are not available here."))
            return
        fetcher, done = self.record_fetcher, self._fetched.record
        self.record_text.setPlainText(self.tr("Loading…"))

        def work() -> None:
            try:
                text, problem = fetcher(incident_id), ""
            except Exception as exc:  # noqa: BLE001 - shown in the window, logged
                log.warning("incident record %s: %s", incident_id, exc)
                text, problem = "", str(exc)
            done.emit(text, problem)

        threading.Thread(target=work, name="kpi-record", daemon=True).start()

    def _on_record(self, text: str, problem: str) -> None:
        self.record_text.setPlainText(text or self.tr("Could not open the record: %1").replace("%1", problem))

    def open_track(self) -> None:
        """Fetch the incident's track (worker thread), then open its playback window."""
        incident_id = self.record_id.text().strip()
        if not incident_id:
            return
        if self.track_fetcher is None:
            self.record_text.setPlainText(self.tr("Track playback is not available here."))
            return
        fetcher, done = self.track_fetcher, self._fetched.track
        self.record_text.setPlainText(self.tr("Loading…"))

        def work() -> None:
            try:
                track, problem = fetcher(incident_id), ""
            except Exception as exc:  # noqa: BLE001 - shown in the window, logged
                log.warning("incident track %s: %s", incident_id, exc)
                track, problem = None, str(exc)
            done.emit(track, problem)

        threading.Thread(target=work, name="kpi-track", daemon=True).start()

    def _on_track(self, track: dict[str, Any] | None, problem: str) -> None:
        if track is None:
            self.record_text.setPlainText(self.tr("Could not open the track: %1").replace("%1", problem))
            return
        from widgets.track_playback import TrackPlayback  # QtWebEngine: only when a track is played

        self.record_text.setPlainText("")
        # A child of the dashboard (it dies with it) in its own top-level window, deleted when closed.
        window = TrackPlayback(track, parent=self)
        window.setWindowFlag(Qt.WindowType.Window)
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        window.resize(1100, 760)
        window.show()
        window.setFocus()

    # ------------------------------------------------------------ rendering
    def render(self) -> None:
        report = self.report
        if self.problem:
            self.status.setText(self.tr("Could not update: %1").replace("%1", self.problem))
        elif report is not None:
            text = self.tr("%1 – %2 (%3) · computed from the event log at %4").replace("%1", report["from"]) \
                .replace("%2", report["to"]).replace("%3", report.get("tz", "")) \
                .replace("%4", self.fetched_at.strftime("%H:%M:%S"))
            if report.get("empty"):
                text = self.tr("No call and no incident in this period.") + "  " + text
            self.status.setText(text)
        if report is None:
            return
        overall = report["overall"]
        for key, (_title, value, detail) in self.tiles.items():
            figure = overall.get(key)
            value.setText(figure_text(key, figure))
            met = meets(key, kpi_number(key, figure))
            value.setStyleSheet("font-size: 24px; font-weight: 600; color: %s;"
                                % ("#000" if met is None else (MET.name() if met else MISSED.name())))
            parts = [p for p in (target_text(key) and self.tr("target %1").replace("%1", target_text(key)),
                                 verdict_text(met), detail_text(figure)) if p]
            detail.setText(" · ".join(parts))
        self._render_trends(date.fromisoformat(report["from"]), date.fromisoformat(report["to"]),
                            report.get("by_day", []))
        self._render_distributions(report.get("distributions"))
        self._fill(self.seat_table, report.get("by_seat", []), "seat", SEAT_COLUMNS)
        self._fill(self.priority_table, report.get("by_priority", []), "priority", PRIORITY_COLUMNS)

    def _render_trends(self, first: date, last: date, days: list[dict[str, Any]]) -> None:
        """One point per day of the period that has the figure (x: days since ``first``)."""
        count = (last - first).days + 1
        xs = [(date.fromisoformat(d["date"]) - first).days for d in days]
        for axis in self.day_axes:
            axis.days = [(first + timedelta(days=i)).isoformat() for i in range(count)]
        for curve, ys in (
            (self.answer_curve, [_percent(d, "answered_within_10s_rate") for d in days]),
            (self.departure_curve, [_percent(d, "departure_within_3min_rate") for d in days]),
            (self.processing_mean, [_seconds(d, "call_processing_s", "mean") for d in days]),
            (self.processing_p90, [_seconds(d, "call_processing_s", "p90") for d in days]),
        ):
            # A day without the figure (no call, no run) is left out: the line joins its neighbours.
            kept = [(x, y) for x, y in zip(xs, ys, strict=True) if y == y]
            curve.setData([x for x, _ in kept], [y for _, y in kept])
        for plot in (self.rate_plot, self.departure_plot, self.processing_plot):
            plot.setXRange(-0.5, max(0.5, count - 0.5), padding=0)
        lows = [v for d in days for v in (_percent(d, "answered_within_10s_rate"),
                                          _percent(d, "departure_within_3min_rate")) if v == v]
        low = min([90.0, *lows])
        for plot in (self.rate_plot, self.departure_plot):
            plot.setYRange(max(0.0, low - 2), 101, padding=0.02)

    def _render_distributions(self, dist: dict[str, Any] | None) -> None:
        for key, bars in (("answer_time_s", self.answer_bars), ("call_processing_s", self.processing_bars)):
            hist = (dist or {}).get(key)
            if not hist:
                bars.setOpts(x=[], height=[])
                continue
            width = hist["bin_s"]
            bars.setOpts(x=[(i + 0.5) * width for i in range(len(hist["counts"]))], height=hist["counts"],
                         width=width * 0.9)

    def _fill(self, table: QTableWidget, lines: list[dict[str, Any]], key: str, columns: tuple[str, ...]) -> None:
        table.setRowCount(len(lines))
        for row, line in enumerate(lines):
            name = line.get(key)
            if key == "priority":
                head = self.tr("Priority %1").replace("%1", "I II III IV".split()[name - 1]) \
                    if isinstance(name, int) and 1 <= name <= 4 else self.tr("not set")
            else:
                head = str(name) if name is not None else self.tr("no seat")
            cells = [(head, None)]
            for column in columns:
                value = line.get(column)
                cells.append((figure_text(column, value), meets(column, kpi_number(column, value))))
            for column, (text, met) in enumerate(cells):
                item = QTableWidgetItem(text)
                if met is not None:
                    item.setForeground(QBrush(MET if met else MISSED))
                table.setItem(row, column, item)

    # ------------------------------------------------------------ language
    def retranslate_ui(self) -> None:
        self.setWindowTitle(self.tr("dispatch120 — KPI dashboard"))
        self.period_label.setText(self.tr("Period"))
        for i, text in enumerate((self.tr("Today"), self.tr("Last 7 days"), self.tr("Last 30 days"),
                                  self.tr("This month"), self.tr("Last month"), self.tr("Chosen days"))):
            self.preset.setItemText(i, text)
        self.refresh_action.setText(self.tr("Refresh"))
        shortcut_hint(self.refresh_action)
        self.refresh_button.setText(self.tr("Refresh (F5)"))
        for key, (title, _value, _detail) in self.tiles.items():
            title.setText(kpi_name(key))
        for i, text in enumerate((self.tr("Trends"), self.tr("Distributions"), self.tr("By seat"),
                                  self.tr("By priority"), self.tr("Incident record"))):
            self.tabs.setTabText(i, text)
        self.rate_plot.setTitle(self.tr("Answered within 10 s by day (%) — dashed: target 95 %"))
        self.departure_plot.setTitle(self.tr("Departure within 3 min by day (%) — dashed: target 95 %"))
        self.processing_plot.setTitle(self.tr("Call processing by day (s) — dashed: target 60 s"))
        self.answer_hist_plot.setTitle(self.tr("Answer time (s), calls — dashed: 10 s"))
        self.processing_hist_plot.setTitle(self.tr("Call processing (s), incidents — dashed: target 60 s"))
        self._legend(self.processing_plot, [(self.processing_mean, self.tr("mean")),
                                            (self.processing_p90, self.tr("p90"))])
        self.seat_table.setHorizontalHeaderLabels([self.tr("Seat"), *(kpi_name(k) for k in SEAT_COLUMNS)])
        self.priority_table.setHorizontalHeaderLabels([self.tr("Priority"), *(kpi_name(k) for k in PRIORITY_COLUMNS)])
        self.record_label.setText(self.tr("Incident id"))
        self.record_button.setText(self.tr("Open record"))
        self.track_button.setText(self.tr("Play track"))
        if self.report is not None or self.problem:
            self.render()

    @staticmethod
    def _legend(plot: pg.PlotItem, entries: list[tuple[Any, str]]) -> None:
        legend = plot.legend
        if legend is None:  # a plot without a legend: its title says what the curve is
            return
        legend.clear()
        for curve, text in entries:
            legend.addItem(curve, text)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate_ui()
        super().changeEvent(event)
