"""The live map dock: caller location candidates, incidents, ambulances, stations, hospitals.

Renders the store (it keeps no copy of the truth) onto :class:`maps.view.MapView`:

* the caller's location candidates of the calls at this seat (``call["locations"]``), each a
  marker named by its source and accuracy plus its accuracy circle; a candidate with no
  accuracy is drawn without a circle and says "accuracy unknown";
* incidents with a position (``incident["location"]``), the current one highlighted;
* ambulances with a position (``store.telemetry.positions``; ``store.positions`` also read),
  coloured by status (``widgets.labels``), with call sign and heading pointer; older than
  :data:`STALE_AFTER_S` a fix is drawn greyed and dashed with its age ("40 s", "2 min");
  the selected, followed and current-incident units' labels are never decluttered away;
* stations and hospitals from the registry; a legend and layer toggles in the page.

"Follow this unit" from the marker's context menu or the Units menu. Clicks on the map and
drags of the incident marker are re-emitted as WGS-84 positions (:attr:`MapDock.position_picked`,
:attr:`MapDock.incident_moved`) for the call panel / incident form to use.

GUI thread only.
"""

from __future__ import annotations

import html
import logging
import math
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QAction, QCursor
from PySide6.QtWidgets import QDockWidget, QMenu, QWidget

from app.seat.store import SeatStore
from maps.sources import MapConfig, MapConfigError, make_config, map_config_from_settings, valid_position
from maps.view import MapView
from widgets.labels import INCIDENT_STATE_COLOURS, UNIT_STATUS_COLOURS, unit_status_colours, unit_status_text

log = logging.getLogger(__name__)

STALE_AFTER_S = 30.0
LAYERS = ("callers", "incidents", "units", "stations", "hospitals", "routes", "basemap")
# Location sources: distinct from the unit-status colours (ColorBrewer Dark2).
SOURCE_COLOURS = {"gps": "#E7298A", "caller_link": "#1B9E77", "wifi": "#66A61E", "cell": "#7570B3",
                  "landline_address": "#A6761D"}
STATION_COLOUR = "#4D4D4D"
HOSPITAL_COLOUR = "#C0392B"


def _field(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


class MapDock(QDockWidget):
    """The map as a dock of the main window.

    Args:
        store: the seat's store.
        clock: the window's clock (``now()`` → aware datetime), for ages of fixes given in epoch time.
        config: what to draw on; None: the imported basemap (``resources/maps``), no tiles.
    """

    position_picked = Signal(float, float)  # a click on the map, WGS-84
    incident_moved = Signal(str, float, float)  # incident id, WGS-84 (marker dragged)
    config_problem = Signal(str)

    def __init__(self, store: SeatStore, clock: Any, config: MapConfig | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("MapDock")
        self.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self._store = store
        self._clock = clock
        self.current_incident: str | None = None
        self.followed: str | None = None
        self._drawn: dict[str, set[str]] = {layer: set() for layer in LAYERS}
        self.view = MapView(config or make_config(), layers=self._layer_names_list(),
                            legend_html=self.legend_html(), parent=self)
        self.setWidget(self.view)
        self.follow_action = QAction(self)
        self.follow_action.triggered.connect(self._follow_selected)
        self.stop_follow_action = QAction(self)
        self.stop_follow_action.triggered.connect(lambda: self.follow_unit(None))
        self._selected_unit = lambda: None
        self.view.ready.connect(self.refresh)
        self.view.map_clicked.connect(self.position_picked)
        self.view.marker_dragged.connect(self._on_marker_dragged)
        self.view.marker_context_menu.connect(self._on_marker_context_menu)
        self.view.follow_stopped.connect(self._on_follow_stopped)
        events = store.events
        # Slots that take no argument: psygnal drops the entity id for them.
        events.call_changed.connect(self._render_callers)
        events.incident_changed.connect(self._render_incidents)
        events.unit_changed.connect(self._render_units)
        events.registry_changed.connect(self._render_registry)
        events.state_reset.connect(self.refresh)
        positions_changed = getattr(events, "positions_changed", None)
        if positions_changed is not None:
            positions_changed.connect(self._render_units)
        self.retranslate_ui()
        self.view.start()

    @classmethod
    def from_settings(cls, store: SeatStore, clock: Any, settings: Any, parent: QWidget | None = None) -> MapDock:
        """Build from the seat's settings; an unusable tile source falls back to the offline basemap
        and the reason is kept in :attr:`problem` (the window shows it)."""
        problem = None
        try:
            config = map_config_from_settings(settings) if settings is not None else make_config()
        except MapConfigError as exc:
            log.error("map settings: %s; using the offline basemap", exc)
            problem = str(exc)
            config = make_config(city=getattr(settings, "map_city", None))
        dock = cls(store, clock, config, parent)
        dock.problem = problem
        return dock

    problem: str | None = None

    # ------------------------------------------------------------ texts
    def _layer_names_list(self) -> list[tuple[str, str]]:
        names = {
            "callers": self.tr("Caller location"), "incidents": self.tr("Incidents"),
            "units": self.tr("Ambulances"), "stations": self.tr("Stations"),
            "hospitals": self.tr("Hospitals"), "routes": self.tr("Routes"), "basemap": self.tr("Streets"),
        }
        return [(layer, names[layer]) for layer in LAYERS]

    def source_text(self, source: str | None) -> str:
        texts = {"gps": self.tr("GPS"), "caller_link": self.tr("Caller's link"), "wifi": self.tr("Wi-Fi"),
                 "cell": self.tr("Cell"), "landline_address": self.tr("Landline address")}
        return texts.get(source or "", str(source or "?"))

    def legend_html(self) -> str:
        ambulances = html.escape(self.tr("Ambulances"))
        rows = [f'<div class="d120-legend-title">{ambulances}</div>']
        for status, colours in UNIT_STATUS_COLOURS.items():
            rows.append(f'<div><i style="background:{colours.background}"></i>'
                        f"{html.escape(unit_status_text(status))}</div>")
        no_fix = html.escape(self.tr("No fix for over 30 s"))
        rows.append(f'<div><i style="background:#e6e6e6;border-style:dashed"></i>{no_fix}</div>')
        caller = html.escape(self.tr("Caller location"))
        rows.append(f'<div class="d120-legend-title">{caller}</div>')
        for source in ("gps", "wifi", "cell"):
            rows.append(f'<div><i style="background:{SOURCE_COLOURS[source]};border-radius:6px"></i>'
                        f"{html.escape(self.source_text(source))}</div>")
        open_colour = INCIDENT_STATE_COLOURS["open"].background
        incident = html.escape(self.tr("Incident"))
        rows.append(f'<div><i style="background:{open_colour}"></i>{incident}</div>')
        # Collapsed to its title (it would hide units); hovering opens it.
        legend = html.escape(self.tr("Legend"))
        return (f'<div class="d120-legend-head">{legend} ▸</div>'
                f'<div class="d120-legend-body">{"".join(rows)}</div>')

    def retranslate_ui(self) -> None:
        self.setWindowTitle(self.tr("Map"))
        self.follow_action.setText(self.tr("Follow this unit on the map"))
        self.stop_follow_action.setText(self.tr("Stop following"))
        self.view.set_layer_names(dict(self._layer_names_list()))
        self.view.set_legend(self.legend_html())
        self.refresh()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate_ui()
        super().changeEvent(event)

    # ------------------------------------------------------------ rendering
    def refresh(self) -> None:
        """Redraw everything from the store (page ready, snapshot, language change)."""
        self._render_registry()
        self._render_callers()
        self._render_incidents()
        self._render_units()

    def tick(self, _now: Any = None) -> None:
        """Once a second (the window's timer): ages of fixes move on, stale units grey out."""
        self._render_units()

    def _sync(self, layer: str, drawn: set[str]) -> None:
        for item_id in self._drawn[layer] - drawn:
            self.view.remove(layer, item_id)
        self._drawn[layer] = drawn

    def _render_registry(self) -> None:
        state = self._store.state
        for layer, table, icon, colour in (("stations", state.stations, "station", STATION_COLOUR),
                                           ("hospitals", state.hospitals, "hospital", HOSPITAL_COLOUR)):
            drawn = set()
            for entity_id, entity in table.items():
                if self.view.upsert_marker(layer, entity_id, entity.get("lat"), entity.get("lon"), icon=icon,
                                           color=colour, title=str(entity.get("name") or entity_id), z=-100):
                    drawn.add(entity_id)
            self._sync(layer, drawn)

    def _calls_shown(self) -> list[dict[str, Any]]:
        return self._store.my_calls()

    def _render_callers(self) -> None:
        drawn: set[str] = set()
        best = None
        try:
            from app.domain.location import rank_candidates
        except ImportError:  # pragma: no cover - the location feature is part of the same issue
            rank_candidates = None
        for call in self._calls_shown():
            candidates = [c for c in (call.get("locations") or []) if isinstance(c, dict)]
            if rank_candidates is not None and candidates:
                ranked = rank_candidates(candidates, self._clock.now())
                best = ranked[0] if ranked else None
            for index, candidate in enumerate(candidates):
                item_id = f"{call['call_id']}/{index}"
                source = candidate.get("source")
                colour = SOURCE_COLOURS.get(source or "", "#E7298A")
                accuracy = candidate.get("accuracy_m")
                has_accuracy = (isinstance(accuracy, int | float) and not isinstance(accuracy, bool)
                                and math.isfinite(accuracy) and accuracy > 0)
                sub = (f"±{accuracy:.0f} m" if has_accuracy else self.tr("accuracy unknown"))
                is_best = best is not None and _same(best, candidate)
                if not self.view.upsert_marker("callers", item_id, candidate.get("lat"), candidate.get("lon"),
                                               icon="caller", color=colour, text_color="#FFFFFF",
                                               label=self.source_text(source), sublabel=sub,
                                               title=str(candidate.get("address") or ""),
                                               # Above the ambulances (600): the caller's
                                               # position is what a call is about.
                                               z=700 if is_best else 650):
                    continue
                drawn.add(item_id)
                if has_accuracy and self.view.upsert_circle(
                        "callers", item_id + "/acc", candidate["lat"], candidate["lon"], accuracy, color=colour,
                        weight=3 if is_best else 2, fill_opacity=0.10, dash=None if is_best else "6 4"):
                    drawn.add(item_id + "/acc")
        self._sync("callers", drawn)

    def _render_incidents(self) -> None:
        drawn: set[str] = set()
        for incident in self._store.state.open_incidents():
            location = incident.get("location") or {}
            colours = INCIDENT_STATE_COLOURS.get(incident.get("state"), INCIDENT_STATE_COLOURS["open"])
            label = str(incident.get("address") or "")[:24] or None
            if self.view.upsert_marker("incidents", incident["incident_id"], location.get("lat"),
                                       location.get("lon"), icon="incident", color=colours.background,
                                       text_color=colours.foreground, label=label, draggable=True, z=800):
                drawn.add(incident["incident_id"])
        self._sync("incidents", drawn)
        self.view.highlight("incidents", self.current_incident if self.current_incident in drawn else None)

    def positions(self) -> dict[str, Any]:
        """unit id → last fix (``store.telemetry.positions`` or ``store.positions``)."""
        telemetry = getattr(self._store, "telemetry", None)
        found = getattr(telemetry, "positions", None)
        if found is None:
            found = getattr(self._store, "positions", None)
        return found if isinstance(found, dict) else {}

    def fix_age_s(self, fix: Any) -> float | None:
        """Seconds since the fix was taken: device time ``at``/``t`` (epoch s or ISO) against the seat's
        server-aligned clock; else since it was received (``received_at``, monotonic); None if unknown."""
        at = _field(fix, "at", _field(fix, "t"))
        now = self._clock.now()
        if isinstance(at, int | float) and not isinstance(at, bool) and math.isfinite(at):
            return max(0.0, now.timestamp() - at)
        if isinstance(at, str):
            try:
                return max(0.0, (now - datetime.fromisoformat(at.replace("Z", "+00:00"))).total_seconds())
            except (TypeError, ValueError):
                pass
        received = _field(fix, "received_at")
        if isinstance(received, int | float) and not isinstance(received, bool):
            return max(0.0, time.monotonic() - received)
        return None

    def _render_units(self) -> None:
        units = self._store.state.units
        drawn: set[str] = set()
        selected = self._selected_unit_id()
        current = self.current_incident
        for unit_id, fix in self.positions().items():
            unit = units.get(unit_id)
            if unit is None:
                continue
            if unit_id in (selected, self.followed) or (current and unit.get("incident_id") == current):
                priority = 2  # the dispatcher's units: their labels always show
            elif unit.get("incident_id"):
                priority = 1
            else:
                priority = 0
            if self.view.upsert_marker(
                    "units", unit_id, _field(fix, "lat"), _field(fix, "lon"),
                    **unit_marker_style(unit_status_colours(unit.get("status")), str(unit.get("call_sign") or unit_id),
                                        unit_status_text(unit.get("status")), age_s=self.fix_age_s(fix),
                                        heading_deg=_field(fix, "heading_deg"), priority=priority)):
                drawn.add(unit_id)
        self._sync("units", drawn)

    def _selected_unit_id(self) -> str | None:
        try:
            unit = self._selected_unit()
        except Exception:  # the board may be rebuilding; the label priority can wait a second
            return None
        return unit.get("unit_id") if isinstance(unit, dict) else None

    # ------------------------------------------------------------ routes: a unit's road route as a polyline
    def show_route(self, unit_id: str, points: Iterable[tuple[float, float]]) -> bool:
        colours = unit_status_colours((self._store.state.units.get(unit_id) or {}).get("status"))
        return self.view.upsert_polyline("routes", unit_id, points, color=colours.background, weight=5,
                                          opacity=0.8)

    def clear_route(self, unit_id: str) -> None:
        self.view.remove("routes", unit_id)

    # ------------------------------------------------------------ interaction
    def set_current_incident(self, incident_id: str | None) -> None:
        self.current_incident = incident_id
        self._render_incidents()
        self._render_units()  # its units' labels become "always shown"
        incident = self._store.state.incidents.get(incident_id or "")
        location = (incident or {}).get("location") or {}
        if valid_position(location.get("lat"), location.get("lon")):
            self.view.fit_bounds([(location["lat"], location["lon"])], max_zoom=16)

    def show_call(self, call: dict[str, Any]) -> None:
        """Zoom to a call's location candidates (all of them)."""
        points = [(c.get("lat"), c.get("lon")) for c in (call.get("locations") or []) if isinstance(c, dict)]
        self.view.fit_bounds(points, max_zoom=17)

    def follow_unit(self, unit_id: str | None) -> None:
        """Keep the map centred on ``unit_id`` (None: stop). Dragging the map stops it too."""
        self.followed = unit_id
        self.view.follow("units", unit_id)
        self.view.highlight("units", unit_id) if unit_id else None
        self._render_units()

    def set_selected_unit_provider(self, provider) -> None:
        """Where the Units-menu action finds "the selected unit" (the unit board)."""
        self._selected_unit = provider

    def _follow_selected(self) -> None:
        unit = self._selected_unit()
        if unit is not None:
            self.follow_unit(unit["unit_id"])

    def _on_follow_stopped(self) -> None:
        self.followed = None

    def _on_marker_dragged(self, layer: str, item_id: str, lat: float, lon: float) -> None:
        if layer == "incidents":
            self.incident_moved.emit(item_id, lat, lon)

    def _on_marker_context_menu(self, layer: str, item_id: str) -> None:
        if layer != "units":
            return
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if self.followed == item_id:
            menu.addAction(self.stop_follow_action)
        else:
            action = menu.addAction(self.follow_action.text())
            action.triggered.connect(lambda: self.follow_unit(item_id))
        menu.popup(QCursor.pos())
        self.context_menu = menu


def unit_marker_style(colours: Any, call_sign: str, status_text: str, *, age_s: float | None,
                      heading_deg: Any = None, priority: int = 0) -> dict[str, Any]:
    """The marker fields of one ambulance (what :meth:`MapView.upsert_marker` gets after the position).

    The fix age is shown only once the fix is stale (older than :data:`STALE_AFTER_S`), in steps
    that change at most every 10 s (:func:`stale_age_text`): a label whose text changed every
    second on every unit made the page rebuild 500 labels a second.
    """
    stale = age_s is None or age_s > STALE_AFTER_S
    return {"icon": "unit", "color": colours.background, "text_color": colours.foreground, "label": call_sign,
            "sublabel": stale_age_text(age_s) if stale else None, "heading_deg": heading_deg, "stale": stale,
            "title": status_text, "z": 600, "priority": priority}


def stale_age_text(age: float | None) -> str:
    """"?", "30 s", "40 s", …, "2 min", "3 h": the age of a stale fix, coarse enough to change rarely."""
    if age is None:
        return "?"
    if age < 60:
        return f"{int(age // 10) * 10} s"
    if age < 3600:
        return f"{age // 60:.0f} min"
    return f"{age // 3600:.0f} h"


def _same(a: Any, b: dict[str, Any]) -> bool:
    a = getattr(a, "candidate", a)
    if isinstance(a, dict):
        return a is b or (a.get("source"), a.get("lat"), a.get("lon")) == (b.get("source"), b.get("lat"), b.get("lon"))
    return False
