"""Several ambulance monitors side by side, and the dispatcher's "watch this unit" list.

The wall owns:

* the monitors (:class:`~widgets.vitals_monitor.VitalsMonitor`), two per row;
* the one :class:`~widgets.vitals_monitor.RenderClock` that redraws all of them
  (≤ 30 frames/s, however fast telemetry arrives);
* the keys, window-wide: **F6** acknowledge, **F7** silence 2 min, **F9** freeze /
  live. They act on the monitor that has the keyboard focus or was clicked last;
  F6 without one acknowledges the monitor with the highest unacknowledged alarm;
* the subscription: whenever the watched list changes, ``subscriber(unit_ids)``
  is called (the composition root connects it to ``SyncClient.subscribe``) so the
  server routes those units' telemetry to this seat only while they are watched;
* the 12-lead windows opened on demand;
* **automatic watching** (:attr:`VitalsWall.auto_watch`, the setting ``vitals_auto_watch``, on by
  default; the composition root sets it): a unit with an ECG — a monitor or terminal registered
  for it (a ``device`` principal bound to the unit) — starts being watched when it is on scene at
  an incident this seat created, and stops when it clears (available or out of service). The
  dispatcher's choice wins: a monitor they close is not reopened for that incident, and a unit
  they watch themselves is never stopped automatically;
* the ECG strips of a watched unit's incident (:mod:`widgets.strip_viewer`): "Strips" opens
  them, **Ctrl+Shift+E** records one (``seat_commands.request_strip``). The composition root
  sets ``seat_commands`` (``app.seat.commands.SeatCommands``) and ``strip_fetcher``
  (``lambda sid: app.seat.strips.fetch_strip(url, token, sid)``).

GUI thread only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.seat.commands import SeatCommands
from widgets.keys import shortcut_hint
from widgets.strip_viewer import StripFetcher, StripsWindow
from widgets.twelve_lead import TwelveLeadView
from widgets.vitals_monitor import RenderClock, VitalsMonitor

log = logging.getLogger(__name__)

MAX_WATCHED = 8
COLUMNS = 2


class VitalsWall(QWidget):
    """The vitals monitors of the watched ambulances.

    Args:
        store: the seat store (``store.state.units`` for call signs, ``store.telemetry`` for the data).
        subscriber: called with the watched unit ids whenever they change; None until
            :meth:`set_subscriber` (then the wall shows what arrives without asking for it).
        clock: monotonic seconds (tests may pass their own).
    """

    watched_changed = Signal(list)

    def __init__(self, store: Any, *, subscriber: Callable[[list[str]], Any] | None = None,
                 clock: Callable[[], float] = time.monotonic, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("VitalsWall")
        self.store = store
        self.clock = clock
        self._subscriber = subscriber
        self.monitors: dict[str, VitalsMonitor] = {}
        self.twelve_leads: dict[str, TwelveLeadView] = {}
        self.strip_windows: dict[str, StripsWindow] = {}
        self.seat_commands: SeatCommands | None = None  # set by the composition root
        self.strip_fetcher: StripFetcher | None = None
        self.render_clock = RenderClock(self)
        self._current: str | None = None
        self.auto_watch = False  # the seat's setting vitals_auto_watch (the composition root sets it)
        self._auto: dict[str, str] = {}  # unit id -> the incident it is watched for automatically
        self._declined: set[tuple[str, str]] = set()  # (unit, incident) the dispatcher stopped watching

        self.unit_box = QComboBox(self)
        self.unit_box.setMinimumWidth(140)
        self.watch_button = QPushButton(self)
        self.watch_button.clicked.connect(self._watch_chosen)
        self.hint = QLabel(self)
        self.hint.setObjectName("VitalsHint")
        top = QHBoxLayout()
        top.setContentsMargins(4, 2, 4, 2)
        top.addWidget(self.unit_box)
        top.addWidget(self.watch_button)
        self.strips_button = QPushButton(self)
        self.strips_button.clicked.connect(lambda: self._on_current_unit(self.open_strips))
        top.addWidget(self.strips_button)
        top.addWidget(self.hint, 1)

        self._grid_host = QWidget(self)
        self._grid_host.setStyleSheet("background: #101010;")
        self.grid = QGridLayout(self._grid_host)
        self.grid.setContentsMargins(2, 2, 2, 2)
        self.grid.setSpacing(4)
        self.empty_label = QLabel(self._grid_host)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setStyleSheet("color: #aaaaaa; font-size: 15px;")
        self.grid.addWidget(self.empty_label, 0, 0)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self._grid_host)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(scroll, 1)

        self.ack_action = QAction(self)
        self.ack_action.setShortcut(QKeySequence(Qt.Key.Key_F6))
        self.ack_action.triggered.connect(self.acknowledge)
        self.silence_action = QAction(self)
        self.silence_action.setShortcut(QKeySequence(Qt.Key.Key_F7))
        self.silence_action.triggered.connect(self.silence)
        self.freeze_action = QAction(self)
        self.freeze_action.setShortcut(QKeySequence(Qt.Key.Key_F9))
        self.freeze_action.triggered.connect(self.toggle_freeze)
        self.record_strip_action = QAction(self)
        self.record_strip_action.setShortcut(QKeySequence("Ctrl+Shift+E"))
        self.record_strip_action.triggered.connect(lambda: self._on_current_unit(self.record_strip))
        for action in (self.ack_action, self.silence_action, self.freeze_action, self.record_strip_action):
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            self.addAction(action)

        events = getattr(store, "events", None)
        for name in ("registry_changed", "state_reset", "unit_changed"):
            signal = getattr(events, name, None)
            if signal is not None:
                signal.connect(self._fill_units)  # takes no argument: psygnal drops the unit id
        unit_changed = getattr(events, "unit_changed", None)
        if unit_changed is not None:
            unit_changed.connect(self._on_unit_changed)
        for name in ("state_reset", "registry_changed"):  # a snapshot; a monitor registered later
            signal = getattr(events, name, None)
            if signal is not None:
                signal.connect(self._check_all_units)
        self._fill_units()
        self.retranslate_ui()

    # ------------------------------------------------------------ watching
    def set_subscriber(self, subscriber: Callable[[list[str]], Any] | None) -> None:
        """Connect the telemetry subscription (the composition root does this) and subscribe now."""
        self._subscriber = subscriber
        self._subscribe()

    def watched(self) -> list[str]:
        return list(self.monitors)

    def call_sign(self, unit_id: str) -> str:
        state = getattr(self.store, "state", None)
        unit = state.units.get(unit_id) if state is not None else None
        return str(unit.get("call_sign") or unit_id) if unit else unit_id

    def watch(self, unit_id: str) -> VitalsMonitor | None:
        """Add a monitor for ``unit_id`` (or bring its monitor forward). None when the wall is full.

        The dispatcher's own watch: a unit watched automatically becomes theirs (not stopped when
        it clears)."""
        self._auto.pop(unit_id, None)
        return self._add_monitor(unit_id)

    def _add_monitor(self, unit_id: str) -> VitalsMonitor | None:
        if unit_id in self.monitors:
            self._current = unit_id
            self.monitors[unit_id].setFocus()
            return self.monitors[unit_id]
        if len(self.monitors) >= MAX_WATCHED:
            self.hint.setText(self.tr("At most %1 monitors; stop watching one first").replace(
                "%1", str(MAX_WATCHED)))
            return None
        monitor = VitalsMonitor(self.store, unit_id, call_sign=self.call_sign(unit_id), clock=self.clock,
                                parent=self._grid_host)
        monitor.close_requested.connect(self.unwatch)
        monitor.twelve_lead_requested.connect(self.open_twelve_lead)
        monitor.installEventFilter(self)
        monitor.graphics.installEventFilter(self)
        self.monitors[unit_id] = monitor
        self.render_clock.add(monitor.render)
        self._current = unit_id
        self._relayout()
        self._subscribe()
        self.watched_changed.emit(self.watched())
        return monitor

    def unwatch(self, unit_id: str) -> None:
        """The dispatcher stops watching ``unit_id``; if it was watched automatically, it is not
        watched again automatically for the same incident."""
        incident_id = self._auto.pop(unit_id, None)
        if incident_id is not None:
            self._declined.add((unit_id, incident_id))
        self._remove_monitor(unit_id)

    # ------------------------------------------------------------ automatic watching
    def has_ecg(self, unit_id: str) -> bool:
        """Whether a monitor or terminal (a ``device`` credential, not revoked) is registered for the unit."""
        state = getattr(self.store, "state", None)
        principals = getattr(state, "principals", None) or {}
        return any(p.get("role") == "device" and p.get("unit_id") == unit_id and not p.get("revoked")
                   for p in principals.values())

    def _on_unit_changed(self, unit_id: str) -> None:
        if not self.auto_watch:
            return
        state = getattr(self.store, "state", None)
        unit = state.units.get(unit_id) if state is not None else None
        incident_id = (unit or {}).get("incident_id")
        if unit_id in self._auto and (unit is None or not incident_id or incident_id != self._auto[unit_id]):
            self._auto.pop(unit_id)  # cleared (or sent elsewhere): the automatic watch ends
            self._remove_monitor(unit_id)
        if unit is None or unit.get("status") != "on_scene" or not incident_id:
            return
        incident = state.incidents.get(incident_id) if state is not None else None
        seat_id = getattr(self.store, "seat_id", None)
        if incident is None or seat_id is None or incident.get("seat_id") != seat_id:
            return
        if unit_id in self.monitors or (unit_id, incident_id) in self._declined or not self.has_ecg(unit_id):
            return
        if self._add_monitor(unit_id) is not None:
            self._auto[unit_id] = incident_id
            log.info("watching %s automatically: on scene at incident %s", unit_id, incident_id)

    def _check_all_units(self) -> None:
        state = getattr(self.store, "state", None)
        for unit_id in list(state.units if state is not None else ()):
            self._on_unit_changed(unit_id)
        for unit_id in [u for u in self._auto if state is None or u not in state.units]:
            self._auto.pop(unit_id)
            self._remove_monitor(unit_id)

    def automatic(self) -> list[str]:
        """The units watched automatically (not chosen by the dispatcher)."""
        return list(self._auto)

    def _remove_monitor(self, unit_id: str) -> None:
        monitor = self.monitors.pop(unit_id, None)
        if monitor is None:
            return
        self.render_clock.remove(monitor.render)
        monitor.blink_timer.stop()
        self.grid.removeWidget(monitor)
        monitor.deleteLater()
        view = self.twelve_leads.pop(unit_id, None)
        if view is not None:
            view.close()
            view.deleteLater()
        if self._current == unit_id:
            self._current = next(iter(self.monitors), None)
        self._relayout()
        self._subscribe()
        telemetry = getattr(self.store, "telemetry", None)
        if telemetry is not None and hasattr(telemetry, "forget"):
            telemetry.forget(unit_id)  # no longer routed to us: do not show old data later
        self.watched_changed.emit(self.watched())

    def _subscribe(self) -> None:
        if self._subscriber is None:
            return
        try:
            self._subscriber(self.watched())
        except Exception:  # the link may be down: the sync client re-subscribes on reconnect
            log.exception("telemetry subscription failed")

    def _watch_chosen(self) -> None:
        unit_id = self.unit_box.currentData()
        if unit_id:
            self.watch(unit_id)

    def _fill_units(self) -> None:
        state = getattr(self.store, "state", None)
        units = state.units if state is not None else {}
        current = self.unit_box.currentData()
        self.unit_box.blockSignals(True)
        self.unit_box.clear()
        for unit_id, unit in sorted(units.items(), key=lambda kv: str(kv[1].get("call_sign") or kv[0])):
            self.unit_box.addItem(str(unit.get("call_sign") or unit_id), unit_id)
        index = self.unit_box.findData(current)
        if index >= 0:
            self.unit_box.setCurrentIndex(index)
        self.unit_box.blockSignals(False)
        for unit_id, monitor in self.monitors.items():
            monitor.call_sign = self.call_sign(unit_id)
            monitor.title.setText(monitor.call_sign)

    def _relayout(self) -> None:
        for monitor in self.monitors.values():
            self.grid.removeWidget(monitor)
        self.grid.removeWidget(self.empty_label)
        self.empty_label.setVisible(not self.monitors)
        if not self.monitors:
            self.grid.addWidget(self.empty_label, 0, 0)
        for i, monitor in enumerate(self.monitors.values()):
            self.grid.addWidget(monitor, i // COLUMNS, i % COLUMNS)
            monitor.show()

    # ------------------------------------------------------------ keys
    def current_monitor(self) -> VitalsMonitor | None:
        """The monitor the keys act on: the one with the focus, else the one clicked or added last."""
        focus = self.focusWidget()
        for monitor in self.monitors.values():
            if focus is not None and (focus is monitor or monitor.isAncestorOf(focus)):
                return monitor
        return self.monitors.get(self._current or "")

    def acknowledge(self) -> bool:
        """F6: acknowledge the current monitor's alarms, or the most urgent unacknowledged ones."""
        monitor = self.current_monitor()
        if monitor is None or not any(not e.acknowledged for e in monitor.alarms.entries.values()):
            waiting = [(m.alarms.top(), m) for m in self.monitors.values()
                       if any(not e.acknowledged for e in m.alarms.entries.values())]
            if not waiting:
                return False
            monitor = max(waiting, key=lambda tm: max(e.priority for e in tm[1].alarms.entries.values()
                                                      if not e.acknowledged))[1]
        return monitor.acknowledge()

    def silence(self) -> None:
        """F7: pause the sound of every monitor for 2 minutes (one dispatcher, one key)."""
        for monitor in self.monitors.values():
            monitor.silence()

    def toggle_freeze(self) -> None:
        """F9: freeze the current monitor (or go live again)."""
        monitor = self.current_monitor()
        if monitor is not None:
            monitor.set_frozen(not monitor.frozen)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.MouseButtonPress:
            for unit_id, monitor in self.monitors.items():
                if watched is monitor or monitor.isAncestorOf(watched):  # type: ignore[arg-type]
                    self._current = unit_id
        return super().eventFilter(watched, event)

    # ------------------------------------------------------------ 12-lead
    def open_twelve_lead(self, unit_id: str) -> TwelveLeadView:
        """Show the unit's 12-lead printout in its own window (re-taken if already open)."""
        view = self.twelve_leads.get(unit_id)
        if view is None:
            view = TwelveLeadView(self.store, unit_id, call_sign=self.call_sign(unit_id))
            view.setWindowFlag(Qt.WindowType.Window, True)
            view.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
            self.twelve_leads[unit_id] = view
        else:
            view.refresh()
        view.show()
        view.raise_()
        return view

    # ------------------------------------------------------------ ECG strips
    def _on_current_unit(self, act: Callable[[str], Any]) -> None:
        monitor = self.current_monitor()
        if monitor is None:
            self.hint.setText(self.tr("Watch a unit first"))
            return
        act(monitor.unit_id)

    def open_strips(self, unit_id: str) -> StripsWindow:
        """Show the stored strips of the unit's current incident in their own window."""
        view = self.strip_windows.get(unit_id)
        if view is None:
            view = StripsWindow(self.store, unit_id, call_sign=self.call_sign(unit_id), fetcher=self.strip_fetcher,
                                record=self._request_strip)
            view.setWindowFlag(Qt.WindowType.Window, True)
            self.strip_windows[unit_id] = view
        view.fetcher = self.strip_fetcher
        view.refresh()
        view.show()
        view.raise_()
        return view

    def record_strip(self, unit_id: str) -> StripsWindow:
        """Ctrl+Shift+E: keep the unit's last seconds of ECG on its incident, and show the strips."""
        view = self.open_strips(unit_id)
        view.record()
        return view

    def _request_strip(self, unit_id: str, seconds: int) -> None:
        if self.seat_commands is None:
            self.hint.setText(self.tr("Not connected to the server"))
            return
        self.seat_commands.request_strip(unit_id=unit_id, seconds=seconds)

    # ------------------------------------------------------------ language
    def retranslate_ui(self) -> None:
        dock = self.parentWidget()
        if isinstance(dock, QDockWidget):
            dock.setWindowTitle(self.tr("Vitals monitors"))
        self.watch_button.setText(self.tr("Watch vitals"))
        self.watch_button.setToolTip(self.tr("Show the chosen unit's monitor here"))
        self.hint.setText(self.tr("F6 acknowledge · F7 silence 2 min · F9 freeze / live"))
        self.empty_label.setText(self.tr("No unit watched. Choose one above, or right-click a unit "
                                         "on the unit board: Watch vitals."))
        self.ack_action.setText(self.tr("Acknowledge alarms"))
        self.silence_action.setText(self.tr("Silence alarms for 2 min"))
        self.freeze_action.setText(self.tr("Freeze / live"))
        self.record_strip_action.setText(self.tr("Record ECG strip"))
        self.strips_button.setText(self.tr("Strips"))
        self.strips_button.setToolTip(self.tr("The stored ECG strips of the current monitor's incident"))
        for action in (self.ack_action, self.silence_action, self.freeze_action, self.record_strip_action):
            shortcut_hint(action)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate_ui()
        super().changeEvent(event)

    def shutdown(self) -> None:
        """Stop the drawing timer and close the 12-lead windows (the seat is closing)."""
        self.render_clock.timer.stop()
        for monitor in self.monitors.values():
            monitor.blink_timer.stop()
        for view in (*self.twelve_leads.values(), *self.strip_windows.values()):
            view.close()
