"""Stored ECG strips of an ambulance's incident: the list, the paper, "Record strip".

* :class:`StripViewer` — one fetched strip on ECG paper (25 mm/s, 10 mm/mV; the paper is
  :class:`widgets.hospital_console.EcgPaper`, shared with the hospital console).
* :class:`StripsWindow` — the strips attached to the unit's current incident
  (``incident["strips"]``, from ``telemetry.strip_stored``), newest first; choosing one fetches
  its samples from the server (``GET /strips/<id>``, :func:`app.seat.strips.fetch_strip`) on a
  worker thread and shows it. "Record strip" asks the server to keep the unit's last
  :data:`RECORD_SECONDS` s of lead II (``telemetry.strip_request``).

GUI thread only; the fetch runs on a daemon thread and comes back through a queued signal.
A failed fetch is shown in the viewer, never raised.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.seat.strips import FetchedStrip
from widgets.hospital_console import EcgPaper

RECORD_SECONDS = 10
# strip id -> the strip with its samples; blocking, run on a worker thread. Raises on failure.
StripFetcher = Callable[[str], FetchedStrip]


class _Fetched(QObject):
    """Carries a fetched strip from the worker thread to the GUI thread (queued signal)."""

    done = Signal(str, object, str)  # strip id, FetchedStrip or None, error text


class StripViewer(QWidget):
    """One strip on ECG paper with a heading (channel, start, length, speed and gain)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.strip: FetchedStrip | None = None
        self._problem = ""
        self.heading = QLabel(self)
        self.heading.setObjectName("StripHeading")
        self.paper = EcgPaper(self)
        self.paper.setMinimumSize(520, 180)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.paper, 1)
        self.retranslate_ui()

    def show_strip(self, strip: FetchedStrip | None, problem: str = "") -> None:
        """Draw ``strip``; None (with ``problem``, e.g. the fetch failed) clears the paper and says why."""
        self.strip, self._problem = strip, problem
        self.retranslate_ui()

    def retranslate_ui(self) -> None:
        strip = self.strip
        if strip is None:
            self.heading.setText(self._problem or self.tr("Choose a strip"))
            self.paper.show_strip(None, self.tr("No ECG"))
            return
        self.heading.setText(self.tr("%1 · %2 · %3 s · 25 mm/s · 10 mm/mV").replace("%1", strip.channel)
                             .replace("%2", strip.start).replace("%3", f"{strip.seconds:g}"))
        self.paper.show_strip({"samples": strip.samples, "origin": strip.origin, "factor": strip.factor,
                               "period_ms": strip.period_ms}, self.tr("No ECG"))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate_ui()
        super().changeEvent(event)


class StripsWindow(QWidget):
    """The stored strips of ``unit_id``'s current incident, a viewer, and "Record strip".

    Args:
        store: the seat store (``store.state`` units/incidents, ``store.events`` to follow changes).
        fetcher: fetches a strip's samples (worker thread); None shows "not connected".
        record: sends ``telemetry.strip_request`` for (unit id, seconds); None hides the button.
    """

    def __init__(self, store: Any, unit_id: str, *, call_sign: str | None = None,
                 fetcher: StripFetcher | None = None, record: Callable[[str, int], Any] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("StripsWindow")
        self.store = store
        self.unit_id = unit_id
        self.call_sign = call_sign or unit_id
        self.fetcher = fetcher
        self._record = record
        self._fetched = _Fetched(self)
        self._fetched.done.connect(self._on_fetched, Qt.ConnectionType.QueuedConnection)
        self._cache: dict[str, FetchedStrip] = {}
        self._fetching: set[str] = set()

        self.title = QLabel(self)
        self.title.setObjectName("StripsTitle")
        self.record_button = QPushButton(self)
        self.record_button.clicked.connect(self.record)
        self.record_button.setVisible(record is not None)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.record_button)
        self.strips = QListWidget(self)
        self.strips.setMaximumWidth(260)
        self.strips.currentItemChanged.connect(self._on_current)
        self.viewer = StripViewer(self)
        body = QHBoxLayout()
        body.addWidget(self.strips)
        body.addWidget(self.viewer, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(body, 1)

        events = getattr(store, "events", None)
        for name in ("incident_changed", "unit_changed", "state_reset"):
            signal = getattr(events, name, None)
            if signal is not None:
                signal.connect(self._on_store_changed)
        self.retranslate_ui()

    # ------------------------------------------------------------ the list
    def incident_id(self) -> str | None:
        unit = self.store.state.units.get(self.unit_id) or {}
        return unit.get("incident_id")

    def stored_strips(self) -> list[dict[str, Any]]:
        """The unit's current incident's strips of this unit, newest first."""
        incident = self.store.state.incidents.get(self.incident_id() or "") or {}
        mine = [s for s in incident.get("strips") or () if s.get("unit_id", self.unit_id) == self.unit_id]
        return list(reversed(mine))

    def refresh(self) -> None:
        """Re-read the list from the store, keeping the chosen strip chosen."""
        chosen = self.chosen_strip_id()
        self.strips.blockSignals(True)
        self.strips.clear()
        for strip in self.stored_strips():
            text = self.tr("%1 · %2 s").replace("%1", str(strip.get("start", ""))[11:19]).replace(
                "%2", f"{strip.get('seconds', 0):g}")
            if strip.get("reason") == "alarm":
                text += " · " + self.tr("alarm %1").replace("%1", str(strip.get("alarm_code") or ""))
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, strip["strip_id"])
            self.strips.addItem(item)
            if strip["strip_id"] == chosen:
                self.strips.setCurrentItem(item)
        self.strips.blockSignals(False)
        if self.strips.count() and self.strips.currentItem() is None:
            self.strips.setCurrentRow(0)  # the newest
        elif not self.strips.count():
            self.viewer.show_strip(None, self.tr("No strip stored for this incident yet"))

    def chosen_strip_id(self) -> str | None:
        item = self.strips.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def _on_store_changed(self, *_args: Any) -> None:
        self.refresh()

    def _on_current(self, item: QListWidgetItem | None, _previous: Any) -> None:
        if item is not None:
            self.show_strip(item.data(Qt.ItemDataRole.UserRole))

    # ------------------------------------------------------------ fetching
    def show_strip(self, strip_id: str) -> None:
        """Show ``strip_id`` (fetched once on a worker thread, then kept)."""
        if strip_id in self._cache:
            self.viewer.show_strip(self._cache[strip_id])
            return
        fetcher = self.fetcher
        if fetcher is None:
            self.viewer.show_strip(None, self.tr("Not connected to the server"))
            return
        self.viewer.show_strip(None, self.tr("Loading strip…"))
        if strip_id in self._fetching:
            return
        self._fetching.add(strip_id)
        done = self._fetched.done

        def work() -> None:
            try:
                done.emit(strip_id, fetcher(strip_id), "")
            except Exception as exc:  # noqa: BLE001 - any failure is shown in the viewer, never raised
                done.emit(strip_id, None, str(exc) or type(exc).__name__)

        threading.Thread(target=work, name=f"strip-{strip_id[:8]}", daemon=True).start()

    def _on_fetched(self, strip_id: str, strip: FetchedStrip | None, problem: str) -> None:
        self._fetching.discard(strip_id)
        if strip is not None:
            self._cache[strip_id] = strip
        if self.chosen_strip_id() == strip_id:
            self.viewer.show_strip(strip, self.tr("Could not load the strip: %1").replace("%1", problem))

    # ------------------------------------------------------------ recording
    def record(self) -> None:
        """Ask the server to keep the unit's last :data:`RECORD_SECONDS` s (it appears in the list when stored)."""
        if self._record is not None:
            self._record(self.unit_id, RECORD_SECONDS)

    # ------------------------------------------------------------ language
    def retranslate_ui(self) -> None:
        self.setWindowTitle(self.tr("ECG strips – %1").replace("%1", self.call_sign))
        self.title.setText(self.tr("ECG strips of %1's incident").replace("%1", self.call_sign))
        self.record_button.setText(self.tr("Record strip (last %1 s)").replace("%1", str(RECORD_SECONDS)))
        self.refresh()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate_ui()
        super().changeEvent(event)
