"""The centre's wall display (``dispatch120 wall``): read-only, full screen, readable across a room.

Renders the store it is given (role ``wall``: no caller names or numbers ever reach it) and
:class:`app.wall.TodayFigures`:

* the map (:class:`maps.view.MapView`): every unit with a position, coloured by status
  (``widgets.labels`` palette), open incidents coloured by priority, stations and hospitals;
* today's answered-within-10-s and departed-within-3-min rates (``docs/kpi.md``), "since 00:00"
  (or since the wall's events are complete, see :mod:`app.wall`; after a snapshot the wall fetches
  the KPI events it missed, :class:`app.wall.Backfill`, on a worker thread, and counts from
  00:00 again);
* the calls waiting (queued or ringing) and the longest wait;
* the units by status, and the open incidents by priority, then age.

Nothing here takes input: no buttons, no editable or selectable field, no menu. The keys are
F11 (full screen / window) and Esc (close, after a confirmation). Large type: the smallest text
is 20 px, the figures 72 px, for a screen read from across the room.

GUI thread only.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QCloseEvent, QColor, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.model import UnitStatus
from app.wall import Backfill, RowsRequest, SeqRow, TodayFigures, WallFigures
from widgets.labels import (
    UNIT_STATUS_COLOURS,
    format_elapsed,
    incident_state_text,
    link_colours,
    link_text,
    priority_colours,
    priority_text,
    unit_status_colours,
    unit_status_text,
)
from widgets.style import FONT_FAMILIES

log = logging.getLogger(__name__)

TICK_MS = 1000
REFRESH_MS = 200
# Today's figures are recomputed when new events arrived, at most every FIGURES_MIN_TICKS
# seconds (a busy day's 20,000 KPI events take ~70 ms to fold on this machine), and at least
# every FIGURES_EVERY_TICKS (midnight passes; a run waiting to leave turns late).
FIGURES_MIN_TICKS = 5
FIGURES_EVERY_TICKS = 30
INCIDENT_ROWS = 14  # rows the incident list shows; more are counted in its title
TARGET_RATE = 0.95  # the national target for both figures
STATION_COLOUR = "#6B7785"
HOSPITAL_COLOUR = "#C0392B"
# Dark, like the vitals monitors; text colours keep a contrast ratio of at least 7:1 on it.
STYLE = """
#WallDisplay { background: #0E1217; }
#WallDisplay QLabel { color: #E8ECF0; font-size: 22px; }
#WallDisplay QLabel#WallTitle { font-size: 34px; font-weight: bold; }
#WallDisplay QLabel#WallClock { font-size: 40px; font-weight: bold; font-family: "DejaVu Sans Mono", monospace; }
#WallDisplay QLabel#WallLink { font-size: 22px; font-weight: bold; padding: 4px 14px; border-radius: 6px; }
#WallDisplay QLabel#WallReadOnly { font-size: 20px; color: #B8C2CC; }
#WallDisplay QFrame[tile="true"] { background: #1A2029; border: 1px solid #2E3845; border-radius: 10px; }
#WallDisplay QLabel#TileTitle { font-size: 24px; color: #B8C2CC; }
#WallDisplay QLabel#TileValue { font-size: 72px; font-weight: bold; }
#WallDisplay QLabel#TileDetail { font-size: 21px; color: #B8C2CC; }
#WallDisplay QLabel#SectionTitle { font-size: 26px; font-weight: bold; padding-top: 6px; }
#WallDisplay QLabel#StatusChip { font-size: 22px; font-weight: bold; padding: 6px 10px; border-radius: 6px; }
#WallDisplay QTableWidget { background: #1A2029; color: #E8ECF0; font-size: 24px; border: 1px solid #2E3845;
                            gridline-color: #2E3845; }
#WallDisplay QHeaderView::section { background: #232B36; color: #B8C2CC; font-size: 21px; padding: 4px;
                                    border: none; }
"""
GOOD, BAD, NEUTRAL = "#4CD4A0", "#FF8A65", "#E8ECF0"


# How much larger the wall draws its map page than a seat (a big screen seen from several metres).
WALL_MAP_ZOOM = 1.75

class _RowsFetched(QObject):
    """Carries a fetch of the missing rows from the worker thread to the GUI thread (queued signal)."""

    done = Signal(object, object, str)  # the request, its rows or None, why not


def _tile(parent: QWidget) -> tuple[QFrame, QLabel, QLabel, QLabel]:
    frame = QFrame(parent)
    frame.setProperty("tile", True)
    title, value, detail = QLabel(frame), QLabel(frame), QLabel(frame)
    title.setObjectName("TileTitle")
    value.setObjectName("TileValue")
    detail.setObjectName("TileDetail")
    detail.setWordWrap(True)
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(18, 10, 18, 12)
    layout.setSpacing(0)
    for label in (title, value, detail):
        layout.addWidget(label)
    return frame, title, value, detail


class WallDisplay(QWidget):
    """The wall's one window.

    Args:
        store: the store the wall's link feeds (``state``, ``telemetry.positions``, ``events``,
            ``connection``).
        figures: today's figures, fed by the same link (:class:`app.wall.WallFeed`).
        clock: the server-aligned clock (``now()`` → aware UTC) for ages and waits.
        map_config: the map (``maps.sources``); None: no map (tests of the lists, a box without
            QtWebEngine).
        confirm_close: ask before Esc or the window manager closes the wall (off in tests).
        rows_fetcher: fetches the KPI events the figures miss after a snapshot (blocking, raises on
            failure: :func:`app.wall.fetch_rows` bound to the server and token); run on a worker
            thread. None: the figures count from the snapshot until midnight.
    """

    def __init__(self, store: Any, figures: TodayFigures, clock: Any, *, map_config: Any = None,
                 confirm_close: bool = True,
                 rows_fetcher: Callable[[RowsRequest], Sequence[SeqRow]] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("WallDisplay")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(STYLE)
        font = self.font()
        font.setFamilies(FONT_FAMILIES)
        self.setFont(font)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # for F11/Esc; nothing else takes focus
        self.store = store
        self.figures = figures
        self.clock = clock
        self.confirm_close = confirm_close
        self.ask_close: Callable[[], bool] = self._ask_close
        self.last_figures: WallFigures | None = None
        self._figures_version = -1
        self._ticks = 0
        self._figures_tick = 0
        self.backfill = Backfill(figures, rows_fetcher)
        self.fetch_thread: threading.Thread | None = None  # the last fetch of missing rows (tests join it)
        self._rows_fetched = _RowsFetched(self)
        self._rows_fetched.done.connect(self._on_rows_fetched, Qt.ConnectionType.QueuedConnection)
        self._drawn: dict[str, set[str]] = {"units": set(), "incidents": set(), "stations": set(), "hospitals": set()}
        self._fitted = False
        self._fitted_units = False  # fitted again once the first positions are in

        # ---- header
        self.title = QLabel(self)
        self.title.setObjectName("WallTitle")
        self.read_only = QLabel(self)
        self.read_only.setObjectName("WallReadOnly")
        self.link = QLabel(self)
        self.link.setObjectName("WallLink")
        self.clock_label = QLabel(self)
        self.clock_label.setObjectName("WallClock")
        header = QHBoxLayout()
        header.addWidget(self.title)
        header.addSpacing(24)
        header.addWidget(self.read_only)
        header.addStretch(1)
        header.addWidget(self.link)
        header.addSpacing(24)
        header.addWidget(self.clock_label)

        # ---- the map
        self.map_view: Any = None
        if map_config is not None:
            from maps.view import MapView

            self.map_view = MapView(map_config, layers=[("incidents", ""), ("units", ""), ("stations", ""),
                                                        ("hospitals", "")], parent=self)
            self.map_view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            # Read from across the room: the page's markers, labels and map text drawn larger
            # (the page lays itself out for the smaller CSS viewport; Leaflet follows the resize).
            self.map_view.setZoomFactor(WALL_MAP_ZOOM)
            self.map_view.loadFinished.connect(self._zoom_map)  # a load may reset the page's zoom
            self.map_view.ready.connect(self.render_map)
        # ---- the figures
        right = QVBoxLayout()
        right.setSpacing(12)
        tiles = QGridLayout()
        tiles.setSpacing(12)
        self.answer_tile, self.answer_title, self.answer_value, self.answer_detail = _tile(self)
        self.depart_tile, self.depart_title, self.depart_value, self.depart_detail = _tile(self)
        self.waiting_tile, self.waiting_title, self.waiting_value, self.waiting_detail = _tile(self)
        self.open_tile, self.open_title, self.open_value, self.open_detail = _tile(self)
        tiles.addWidget(self.answer_tile, 0, 0)
        tiles.addWidget(self.depart_tile, 0, 1)
        tiles.addWidget(self.waiting_tile, 1, 0)
        tiles.addWidget(self.open_tile, 1, 1)
        right.addLayout(tiles)
        self.units_title = QLabel(self)
        self.units_title.setObjectName("SectionTitle")
        right.addWidget(self.units_title)
        chips = QGridLayout()
        chips.setSpacing(8)
        self.status_chips: dict[str, QLabel] = {}
        for i, status in enumerate(UNIT_STATUS_COLOURS):
            chip = QLabel(self)
            chip.setObjectName("StatusChip")
            colours = unit_status_colours(status)
            chip.setStyleSheet(f"background: {colours.background}; color: {colours.foreground};")
            chip.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.status_chips[status] = chip
            chips.addWidget(chip, i // 4, i % 4)
        right.addLayout(chips)
        self.incidents_title = QLabel(self)
        self.incidents_title.setObjectName("SectionTitle")
        right.addWidget(self.incidents_title)
        self.incidents = QTableWidget(0, 5, self)
        self.incidents.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.incidents.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.incidents.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.incidents.setCornerButtonEnabled(False)
        self.incidents.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.incidents.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.incidents.verticalHeader().setVisible(False)
        self.incidents.verticalHeader().setDefaultSectionSize(44)
        head = self.incidents.horizontalHeader()
        head.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        head.setHighlightSections(False)
        self.incidents.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        right.addWidget(self.incidents, 1)

        body = QHBoxLayout()
        body.setSpacing(16)
        if self.map_view is not None:
            body.addWidget(self.map_view, 11)
        right_host = QWidget(self)
        right_host.setLayout(right)
        right.setContentsMargins(0, 0, 0, 0)
        body.addWidget(right_host, 9)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 12, 20, 16)
        layout.setSpacing(10)
        layout.addLayout(header)
        layout.addLayout(body, 1)

        # Changes are drawn at most every REFRESH_MS: a replay of thousands of events after a
        # reconnect redraws (and recomputes today's figures) once, not once per event.
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(REFRESH_MS)
        self._refresh_timer.timeout.connect(self.refresh)
        events = store.events
        # Slots without arguments: psygnal drops the entity id for them.
        for name in ("incident_changed", "unit_changed", "call_changed", "state_reset", "registry_changed"):
            getattr(events, name).connect(self._schedule_refresh)
        events.positions_changed.connect(self._render_units)
        events.connection_changed.connect(self._on_connection_changed)
        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.tick)
        self.retranslate_ui()
        self.timer.start()
        if self.map_view is not None:
            self.map_view.start()

    # ------------------------------------------------------------ texts
    def retranslate_ui(self) -> None:
        self.setWindowTitle(self.tr("120 dispatch — wall display"))
        self.title.setText(self.tr("120 Emergency Dispatch — live"))
        self.read_only.setText(self.tr("Display only · F11 full screen · Esc close"))
        target = self.tr("target ≥ 95 %")
        answered = self.tr("Calls answered within 10 s")
        departed = self.tr("Ambulances out within 3 min")
        self.answer_title.setText(f"{answered} · {target}")
        self.depart_title.setText(f"{departed} · {target}")
        self.waiting_title.setText(self.tr("Calls waiting"))
        self.open_title.setText(self.tr("Open incidents"))
        self.units_title.setText(self.tr("Ambulances by status"))
        self.incidents.setHorizontalHeaderLabels([self.tr("Priority"), self.tr("Address"), self.tr("State"),
                                                  self.tr("Units"), self.tr("Age")])
        self._on_connection_changed(self.store.connection)
        self.refresh()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate_ui()
        super().changeEvent(event)

    # ------------------------------------------------------------ rendering
    def tick(self) -> None:
        """Once a second: the clock, waits and ages; the figures when events came in."""
        self._ticks += 1
        now = self.clock.now()
        local = now.astimezone(self.figures.tz)
        self.clock_label.setText(local.strftime("%H:%M:%S"))
        self._render_waiting(now)
        self._render_incidents(now)
        self.fetch_missing_rows()
        if self._figures_due():
            self.render_figures()

    def fetch_missing_rows(self) -> None:
        """After a snapshot, fetch the KPI events the figures miss on a worker thread (one at a
        time; after a failure not before :data:`app.wall.RETRY_S`). The timer calls this."""
        request = self.backfill.due()
        fetch = self.backfill.fetch
        if request is None or fetch is None:
            return
        done = self._rows_fetched.done

        def work() -> None:
            try:
                rows, problem = list(fetch(request)), ""
            except Exception as exc:  # noqa: BLE001 - logged by Backfill.done, retried later
                rows, problem = None, str(exc) or exc.__class__.__name__
            try:
                done.emit(request, rows, problem)
            except RuntimeError:  # the wall was closed and deleted meanwhile: nobody to tell
                pass

        self.fetch_thread = threading.Thread(target=work, name="wall-kpi-rows", daemon=True)
        self.fetch_thread.start()

    def _on_rows_fetched(self, request: RowsRequest, rows: list[SeqRow] | None, problem: str) -> None:
        if self.backfill.done(request, rows, problem):
            self.render_figures()

    def _figures_due(self) -> bool:
        since = self._ticks - self._figures_tick
        if self.last_figures is None or since >= FIGURES_EVERY_TICKS:
            return True
        return self.figures.version != self._figures_version and since >= FIGURES_MIN_TICKS

    def _schedule_refresh(self) -> None:
        if not self._refresh_timer.isActive():
            self._refresh_timer.start()

    def refresh(self) -> None:
        """Redraw everything from the store and the figures (at once; changes schedule it)."""
        now = self.clock.now()
        self._render_waiting(now)
        self._render_incidents(now)
        self._render_units_count()
        if self._figures_due():
            self.render_figures()
        self.render_map()

    def render_figures(self) -> None:
        """Recompute and show today's figures now (the timer calls this when they are due)."""
        self._figures_tick = self._ticks
        self.figures.prune()
        self._figures_version = self.figures.version
        try:
            figures = self.figures.figures()
        except Exception:  # a figure that cannot be computed must not blank the wall
            log.exception("today's figures could not be computed")
            return
        self.last_figures = figures
        since = self.tr("since 00:00") if figures.complete else self.tr("since %1").replace(
            "%1", figures.since.strftime("%H:%M"))
        for value_label, detail, rate, unit_text in (
            (self.answer_value, self.answer_detail, figures.answered_within_10s, self.tr("%1 of %2 calls")),
            (self.depart_value, self.depart_detail, figures.departed_within_3min, self.tr("%1 of %2 departures")),
        ):
            value = rate["value"]
            value_label.setText("—" if value is None else f"{value * 100:.1f} %")
            colour = NEUTRAL if value is None else GOOD if value >= TARGET_RATE else BAD
            value_label.setStyleSheet(f"color: {colour};")
            counts = unit_text.replace("%1", str(rate["numerator"])).replace("%2", str(rate["denominator"]))
            detail.setText(f"{counts} · {since}")

    def _render_waiting(self, now: datetime) -> None:
        waiting = self.store.waiting_calls()
        self.waiting_value.setText(str(len(waiting)))
        longest = self.clock.elapsed_s(waiting[0]["received_at"], now) if waiting else None
        self.waiting_value.setStyleSheet(f"color: {BAD if longest is not None and longest > 10 else NEUTRAL};")
        self.waiting_detail.setText(self.tr("longest wait %1").replace("%1", format_elapsed(longest))
                                    if waiting else self.tr("no call waiting"))

    def open_incidents(self) -> list[dict[str, Any]]:
        """Open incidents, most urgent first (priority I..IV, unset last), then oldest first."""
        return sorted(self.store.state.open_incidents(),
                      key=lambda i: (i.get("priority") or 9, i.get("created_at") or "", i["incident_id"]))

    def _render_incidents(self, now: datetime) -> None:
        incidents = self.open_incidents()
        self.open_value.setText(str(len(incidents)))
        first = sum(1 for i in incidents if i.get("priority") == 1)
        self.open_detail.setText(self.tr("%1 priority I").replace("%1", str(first)))
        shown = incidents[:INCIDENT_ROWS]
        title = self.tr("Open incidents by priority")
        if len(incidents) > len(shown):
            title += " " + self.tr("(%1 more not shown)").replace("%1", str(len(incidents) - len(shown)))
        self.incidents_title.setText(title)
        units = self.store.state.units
        self.incidents.setRowCount(len(shown))
        for row, incident in enumerate(shown):
            colours = priority_colours(incident.get("priority"))
            signs = [str((units.get(u) or {}).get("call_sign") or u) for u in incident.get("units") or ()]
            age = self.clock.elapsed_s(incident.get("created_at"), now)
            cells = (priority_text(incident.get("priority")), str(incident.get("address") or "—"),
                     incident_state_text(incident.get("state")), " ".join(signs) or "—", format_elapsed(age))
            for column, text in enumerate(cells):
                item = self.incidents.item(row, column)
                if item is None:
                    item = QTableWidgetItem()
                    item.setFlags(Qt.ItemFlag.ItemIsEnabled)
                    self.incidents.setItem(row, column, item)
                if item.text() != text:
                    item.setText(text)
                if column == 0:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                    item.setBackground(QBrush(QColor(colours.background)))
                    item.setForeground(QBrush(QColor(colours.foreground)))

    def _render_units_count(self) -> None:
        counts: dict[str, int] = dict.fromkeys(UNIT_STATUS_COLOURS, 0)
        for unit in self.store.state.units.values():
            status = unit.get("status") or UnitStatus.OUT_OF_SERVICE.value
            counts[status] = counts.get(status, 0) + 1
        for status, chip in self.status_chips.items():
            chip.setText(f"{unit_status_text(status)}  {counts.get(status, 0)}")

    def status_counts(self) -> dict[str, int]:
        """Units per status as the chips show them (for tests and the log)."""
        return {status: int(chip.text().rsplit(" ", 1)[-1]) for status, chip in self.status_chips.items()}

    def _on_connection_changed(self, status: Any) -> None:
        link = getattr(getattr(status, "link", None), "value", None)
        colours = link_colours(link)
        self.link.setText(link_text(link))
        self.link.setStyleSheet(f"background: {colours.background}; color: {colours.foreground};")

    # ------------------------------------------------------------ the map
    def _zoom_map(self, _ok: bool = True) -> None:
        if self.map_view is not None:
            self.map_view.setZoomFactor(WALL_MAP_ZOOM)

    def render_map(self) -> None:
        if self.map_view is None or not self.map_view.is_ready:
            return
        state = self.store.state
        for layer, table, icon, colour in (("stations", state.stations, "station", STATION_COLOUR),
                                           ("hospitals", state.hospitals, "hospital", HOSPITAL_COLOUR)):
            drawn = set()
            for entity_id, entity in table.items():
                if self.map_view.upsert_marker(layer, entity_id, entity.get("lat"), entity.get("lon"), icon=icon,
                                               color=colour, title=str(entity.get("name") or entity_id), z=-100):
                    drawn.add(entity_id)
            self._sync(layer, drawn)
        drawn = set()
        for incident in self.open_incidents():
            location = incident.get("location") or {}
            if location.get("lat") is None:
                continue  # not located yet: listed, not drawn
            colours = priority_colours(incident.get("priority"))
            if self.map_view.upsert_marker("incidents", incident["incident_id"], location.get("lat"),
                                           location.get("lon"), icon="incident", color=colours.background,
                                           text_color=colours.foreground,
                                           label=priority_text(incident.get("priority")), z=800):
                drawn.add(incident["incident_id"])
        self._sync("incidents", drawn)
        self._render_units()
        self._fit()

    def _fit(self) -> None:
        """Show every station, hospital and unit: once at start, once more when positions arrive."""
        if self._fitted and (self._fitted_units or not self.store.positions):
            return
        state = self.store.state
        points = [(e.get("lat"), e.get("lon")) for e in (*state.stations.values(), *state.hospitals.values())]
        points += [(getattr(p, "lat", None), getattr(p, "lon", None)) for p in self.store.positions.values()]
        if self.map_view.fit_bounds(points, max_zoom=15):
            self._fitted = True
            self._fitted_units = bool(self.store.positions)

    def _render_units(self, _changed: Any = None) -> None:
        """Every unit with a position, coloured by status; no per-second age label (a wall is
        watched for where units are, and an age that changes every second rebuilds every marker)."""
        if self.map_view is None or not self.map_view.is_ready:
            return
        units = self.store.state.units
        drawn = set()
        for unit_id, fix in self.store.positions.items():
            unit = units.get(unit_id)
            if unit is None:
                continue
            colours = unit_status_colours(unit.get("status"))
            if self.map_view.upsert_marker("units", unit_id, getattr(fix, "lat", None), getattr(fix, "lon", None),
                                           icon="unit", color=colours.background, text_color=colours.foreground,
                                           label=str(unit.get("call_sign") or unit_id),
                                           heading_deg=getattr(fix, "heading_deg", None),
                                           title=unit_status_text(unit.get("status")), z=600):
                drawn.add(unit_id)
        self._sync("units", drawn)
        self._fit()

    def _sync(self, layer: str, drawn: set[str]) -> None:
        for item_id in self._drawn[layer] - drawn:
            self.map_view.remove(layer, item_id)
        self._drawn[layer] = drawn

    def drawn(self, layer: str) -> set[str]:
        """What the map shows on ``layer`` (ids), as last sent to the page."""
        return set(self._drawn[layer])

    # ------------------------------------------------------------ keys: F11 and Esc only
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        if event.key() == Qt.Key.Key_F11:
            self.toggle_full_screen()
        elif event.key() == Qt.Key.Key_Escape:
            self.close()
        else:
            event.ignore()  # nothing else does anything on a wall

    def toggle_full_screen(self) -> None:
        if self.isFullScreen():
            self.showMaximized()
        else:
            self.showFullScreen()

    def _ask_close(self) -> bool:
        answer = QMessageBox.question(self, self.tr("Close the wall display"),
                                      self.tr("Close the wall display? The big screen will be empty."),
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        if self.confirm_close and not self.ask_close():
            event.ignore()
            return
        self.timer.stop()
        event.accept()

