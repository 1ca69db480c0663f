"""The map widget: a ``QWebEngineView`` showing the folium page, driven in batches from Python.

* Python calls :meth:`MapView.upsert_marker`, :meth:`upsert_circle`, :meth:`upsert_polyline`,
  :meth:`remove`, :meth:`fit_bounds`, :meth:`highlight`, :meth:`follow` with **WGS-84**
  positions. The calls are queued and coalesced (the last upsert of an item wins) and sent
  with at most one ``runJavaScript("d120.applyBatch(…)")`` per GUI frame (16 ms).
* Invalid positions (NaN, ±inf, out of range, not numbers) are refused: not drawn, logged,
  and ``upsert_*`` returns False — never a wrong marker.
* On a GCJ-02/BD-09 tile basemap, positions are converted for drawing only; clicks and
  drags come back converted to WGS-84 (:attr:`MapView.map_clicked`, :attr:`marker_dragged`).
* Page → Python goes through ONE ``QWebChannel`` object (:class:`MapBridge`).

GUI thread only. Build it after the QApplication, and after :func:`maps.scheme.register_scheme`
ran before the QApplication.

Ownership (Qt requires a page to die before its profile, and a scheme handler to outlive the
profile it is installed in): the view owns the page, the page owns the profile, the profile owns
the scheme handler — deleting the view deletes them in that order. Delete the view explicitly
(``deleteLater``, a parent, ``qtbot.addWidget``), never by dropping the last Python reference:
Python's collector may run in another thread while Chromium's threads still use the page.
"""

from __future__ import annotations

import json
import logging
import math
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, QUrl, Signal, Slot
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineProfile
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QWidget

from maps.page import BASE_URL, PAGE_NAME, write_page
from maps.scheme import SCHEME, SchemeHandler
from maps.sources import MapConfig, valid_position

log = logging.getLogger(__name__)

FRAME_MS = 16


class MapBridge(QObject):
    """The one object the page talks to (``channel.objects.bridge``). Slots run on the GUI thread."""

    page_ready = Signal()
    clicked = Signal(float, float)  # display coordinates
    dragged = Signal(str, str, float, float)  # layer, id, display coordinates
    marker_clicked = Signal(str, str)
    marker_context_menu = Signal(str, str)
    follow_stopped = Signal()

    @Slot()
    def pageReady(self) -> None:  # noqa: N802 (called from JS)
        self.page_ready.emit()

    @Slot(float, float)
    def mapClicked(self, lat: float, lon: float) -> None:  # noqa: N802
        self.clicked.emit(lat, lon)

    @Slot(str, str, float, float)
    def markerDragged(self, layer: str, item_id: str, lat: float, lon: float) -> None:  # noqa: N802
        self.dragged.emit(layer, item_id, lat, lon)

    @Slot(str, str)
    def markerClicked(self, layer: str, item_id: str) -> None:  # noqa: N802
        self.marker_clicked.emit(layer, item_id)

    @Slot(str, str)
    def markerContextMenu(self, layer: str, item_id: str) -> None:  # noqa: N802
        self.marker_context_menu.emit(layer, item_id)

    @Slot()
    def followStopped(self) -> None:  # noqa: N802
        self.follow_stopped.emit()


class _LoggingPage(QWebEnginePage):
    """Sends the page's console messages to the seat's log (JS errors must not be silent)."""

    def javaScriptConsoleMessage(self, level, message, line, source):  # noqa: N802 (Qt override)
        log.log(logging.WARNING if level != QWebEnginePage.JavaScriptConsoleMessageLevel.InfoMessageLevel
                else logging.DEBUG, "map page: %s (%s:%s)", message, source, line)


class MapView(QWebEngineView):
    """The live map. Signals carry WGS-84 positions.

    Args:
        config: what to draw on (basemap, tile source, MBTiles); see :mod:`maps.sources`.
        layers: ``(layer_id, translated label)`` for the layer toggles.
        legend_html: the legend (translated by the caller).
    """

    ready = Signal()  # the page is loaded, connected and has painted once
    map_clicked = Signal(float, float)  # WGS-84 lat, lon
    marker_dragged = Signal(str, str, float, float)  # layer, id, WGS-84 lat, lon
    marker_clicked = Signal(str, str)
    marker_context_menu = Signal(str, str)
    follow_stopped = Signal()
    load_failed = Signal()

    def __init__(self, config: MapConfig, *, layers: Sequence[tuple[str, str]] = (), legend_html: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.config = config
        self.is_ready = False
        self.refused = 0  # positions refused as invalid (for tests and the log)
        self.batches_sent = 0
        self._queue: dict[Any, dict[str, Any]] = {}
        # The last upsert queued per item, so that an unchanged one (the seat redraws every unit
        # once a second) costs neither JSON nor page work.
        self._last: dict[Any, dict[str, Any]] = {}
        self._serial = 0
        self._tmp = Path(tempfile.mkdtemp(prefix="dispatch120-map-"))
        # Its own off-the-record profile: its own scheme handler, no disk cache, no cookies.
        self.profile = QWebEngineProfile(self)
        self.handler = SchemeHandler(self.profile)
        self.handler.page_dir = self._tmp
        self.handler.basemap_dir = config.basemap.directory.parent if config.basemap else None
        self.handler.mbtiles = config.mbtiles
        self.profile.installUrlSchemeHandler(SCHEME, self.handler)
        self._page = _LoggingPage(self.profile, self)
        # The profile must outlive its page (Qt warns "Release of profile requested but WebEnginePage
        # still not deleted"): make it the page's child, so it goes after the page.
        self.profile.setParent(self._page)
        self.setPage(self._page)
        self.bridge = MapBridge(self)
        self.channel = QWebChannel(self._page)
        self.channel.registerObject("bridge", self.bridge)
        self._page.setWebChannel(self.channel)
        self.bridge.page_ready.connect(self._on_page_ready)
        self.bridge.clicked.connect(self._on_clicked)
        self.bridge.dragged.connect(self._on_dragged)
        self.bridge.marker_clicked.connect(self.marker_clicked)
        self.bridge.marker_context_menu.connect(self.marker_context_menu)
        self.bridge.follow_stopped.connect(self.follow_stopped)
        self.loadFinished.connect(self._on_load_finished)
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(FRAME_MS)
        self._flush_timer.timeout.connect(self.flush)
        self._layers = list(layers)
        self._legend_html = legend_html
        self.page_path = write_page(self._tmp, config, layers=self._layers, legend_html=legend_html)
        tmp = self._tmp  # not ``self``: the Python wrapper may be half gone when this runs
        self.destroyed.connect(lambda *_: shutil.rmtree(tmp, ignore_errors=True))

    # ------------------------------------------------------------ loading
    def start(self) -> None:
        """Load the page (asynchronous: :attr:`ready` follows)."""
        self.is_ready = False
        self._last.clear()
        self.load(QUrl(f"{BASE_URL}/page/{PAGE_NAME}"))

    def _on_load_finished(self, ok: bool) -> None:
        if not ok:
            log.error("map page did not load (%s)", self.page_path)
            self.load_failed.emit()

    def _on_page_ready(self) -> None:
        self.is_ready = True
        self._last.clear()  # a (re)loaded page has nothing: everything is drawn anew
        self.ready.emit()
        self._schedule()

    # ------------------------------------------------------------ page -> Python
    def _on_clicked(self, lat: float, lon: float) -> None:
        wlat, wlon = self.config.from_display(lat, lon)
        if valid_position(wlat, wlon):
            self.map_clicked.emit(wlat, wlon)

    def _on_dragged(self, layer: str, item_id: str, lat: float, lon: float) -> None:
        wlat, wlon = self.config.from_display(lat, lon)
        if valid_position(wlat, wlon):
            self.marker_dragged.emit(layer, item_id, wlat, wlon)

    # ------------------------------------------------------------ Python -> page
    def _display(self, lat: Any, lon: Any, what: str) -> tuple[float, float] | None:
        if not valid_position(lat, lon):
            self.refused += 1
            log.warning("map: refused %s at invalid position lat=%r lon=%r", what, lat, lon)
            return None
        return self.config.to_display(float(lat), float(lon))

    def _enqueue(self, op: dict[str, Any], key: Any = None) -> None:
        if key is None:
            self._serial += 1
            key = ("op", self._serial)
        if op["op"] == "upsert":
            if self._last.get(key) == op:
                return
            self._last[key] = op
        elif key[0] == "item":
            self._last.pop(key, None)
        self._queue.pop(key, None)  # re-insert at the end: order of changes is kept
        self._queue[key] = op
        self._schedule()

    def _schedule(self) -> None:
        if self.is_ready and self._queue and not self._flush_timer.isActive():
            self._flush_timer.start()

    def upsert_marker(self, layer: str, item_id: str, lat: Any, lon: Any, **style: Any) -> bool:
        """Draw or move a marker. ``style``: icon, color, text_color, heading_deg, stale, label,
        sublabel, title, draggable, z, priority (labels of priority >= 2 are never decluttered away).
        Returns False (and draws nothing) for an invalid position; an upsert equal to the last one
        of the same item is dropped."""
        pos = self._display(lat, lon, f"{layer}/{item_id}")
        if pos is None:
            self.remove(layer, item_id)
            return False
        heading = style.get("heading_deg")
        if heading is not None and not (isinstance(heading, int | float) and math.isfinite(heading)):
            style["heading_deg"] = None
        self._enqueue({"op": "upsert", "kind": "marker", "layer": layer, "id": str(item_id),
                       "lat": pos[0], "lon": pos[1], **style}, ("item", layer, str(item_id)))
        return True

    def upsert_circle(self, layer: str, item_id: str, lat: Any, lon: Any, radius_m: Any, **style: Any) -> bool:
        """Draw or move a circle of ``radius_m`` metres (accuracy). False for invalid input."""
        pos = self._display(lat, lon, f"{layer}/{item_id}")
        ok_radius = (isinstance(radius_m, int | float) and not isinstance(radius_m, bool)
                     and math.isfinite(radius_m) and 0 < radius_m <= 200_000)
        if pos is None or not ok_radius:
            if pos is not None:
                self.refused += 1
                log.warning("map: refused circle %s/%s with radius %r", layer, item_id, radius_m)
            self.remove(layer, item_id)
            return False
        self._enqueue({"op": "upsert", "kind": "circle", "layer": layer, "id": str(item_id),
                       "lat": pos[0], "lon": pos[1], "radius_m": float(radius_m), **style},
                      ("item", layer, str(item_id)))
        return True

    def upsert_polyline(self, layer: str, item_id: str, points: Iterable[tuple[Any, Any]], **style: Any) -> bool:
        """Draw a route (WGS-84 ``(lat, lon)`` points). Refused whole if any point is invalid."""
        converted = []
        for lat, lon in points:
            pos = self._display(lat, lon, f"{layer}/{item_id}")
            if pos is None:
                self.remove(layer, item_id)
                return False
            converted.append([pos[0], pos[1]])
        if len(converted) < 2:
            self.remove(layer, item_id)
            return False
        self._enqueue({"op": "upsert", "kind": "polyline", "layer": layer, "id": str(item_id),
                       "latlngs": converted, **style}, ("item", layer, str(item_id)))
        return True

    def remove(self, layer: str, item_id: str) -> None:
        self._enqueue({"op": "remove", "layer": layer, "id": str(item_id)}, ("item", layer, str(item_id)))

    def clear(self, layer: str) -> None:
        for key in [k for k in self._queue if k[0] == "item" and k[1] == layer]:
            del self._queue[key]
        for key in [k for k in self._last if k[1] == layer]:
            del self._last[key]
        self._enqueue({"op": "clear", "layer": layer})

    def fit_bounds(self, points: Iterable[tuple[Any, Any]], max_zoom: int = 17) -> bool:
        """Zoom to show every valid WGS-84 point. False if there is none."""
        shown = [self.config.to_display(float(a), float(b)) for a, b in points if valid_position(a, b)]
        if not shown:
            return False
        lats, lons = [p[0] for p in shown], [p[1] for p in shown]
        pad = 0.0005
        self._enqueue({"op": "fitBounds", "bounds": [[min(lats) - pad, min(lons) - pad],
                                                     [max(lats) + pad, max(lons) + pad]], "max_zoom": max_zoom})
        return True

    def highlight(self, layer: str, item_id: str | None) -> None:
        self._enqueue({"op": "highlight", "layer": layer, "id": item_id}, ("highlight",))

    def follow(self, layer: str, item_id: str | None) -> None:
        self._enqueue({"op": "follow", "layer": layer, "id": item_id}, ("follow",))

    def set_legend(self, html: str) -> None:
        self._legend_html = html
        self._enqueue({"op": "legend", "html": html}, ("legend",))

    def set_layer_names(self, names: dict[str, str]) -> None:
        self._enqueue({"op": "layerNames", "names": names}, ("layerNames",))

    def flush(self) -> None:
        """Send what is queued now, in one ``runJavaScript`` (normally the frame timer does this)."""
        if not self.is_ready or not self._queue:
            return
        ops = list(self._queue.values())
        self._queue.clear()
        payload = json.dumps(ops, ensure_ascii=False, allow_nan=False)
        self.page().runJavaScript(f"window.d120.applyBatch({payload});")
        self.batches_sent += 1

    def pending(self) -> int:
        return len(self._queue)

    def run_js(self, script: str, callback: Callable[[Any], None]) -> None:
        """Run ``script`` in the page, ``callback(result)`` on the GUI thread (objects come back as '')."""
        self.page().runJavaScript(script, 0, callback)
