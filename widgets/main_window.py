"""The dispatcher seat's main window: banner and messages on top, every panel a dock.

Under the menu bar, the status banner and the message strip span the window; the
panels (calls, incident form, triage/CPR coach, open incidents, units, suggestions,
map, vitals, caller link) are ``QDockWidget``s that :mod:`widgets.workspace` arranges
over one to three screens, saves per seat and restores; it shows the window
maximised on its screen. Typical one-screen arrangement (1366×768 up to 1920×1080)::

    ┌───────────── menu · status banner: link · pending · TRAINING · seat · ready F5 · clock ┐
    ├───────────── message strip (errors, notices; never a modal dialog) ────────────────────┤
    │ calls at this seat │ incident form (Ctrl+S)          │ map                              │
    │ (F2 answer, F4     ├─────────────────────────────────┼──────────────────────────────────┤
    │ hang up) + waiting │ [open incidents | triage/CPR]   │ [unit board | suggestions] (F8)  │
    └────────────────────┴─────────────────────────────────┴──────────────────────────────────┘

Keyboard first: every action has a shortcut, shown in menus and tooltips. One
``QTimer`` for the whole window ticks once a second and refreshes every time
shown (ring times, elapsed times, time in status, the clock) — not one timer
per row. The window changes nothing by itself: the panels send named commands
through :class:`~widgets.command_runner.CommandRunner` and render the store.

GUI thread only.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFrame,
    QLabel,
    QMainWindow,
    QMenu,
    QMenuBar,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from app.domain.model import CallState, SeatState
from app.seat.commands import SeatCommands
from app.seat.store import Link, SeatStore
from widgets.call_panel import CallPanel
from widgets.clock import SeatClock
from widgets.command_runner import CommandRunner
from widgets.i18n_runtime import ENGLISH, LANGUAGES, NATIVE_NAMES, LanguageSwitcher
from widgets.incident_form import IncidentForm
from widgets.incident_queue import IncidentQueue
from widgets.keys import shortcut_hint
from widgets.labels import command_text, error_text
from widgets.message_area import Level, MessageArea
from widgets.seat_kpi import MyShift
from widgets.status_banner import StatusBanner
from widgets.unit_board import UnitBoard
from widgets.workspace import Workspace
from widgets.workspace import dock as make_dock

log = logging.getLogger(__name__)

TICK_MS = 1000
# With ``defer_panels``: the order the heavy panels are built in after the first paint, and
# how long after show() they are built anyway if no paint comes (a window started minimised).
DEFERRED_ORDER = ("triage", "protocols", "location", "caller_link", "suggestions", "vitals", "map")
DEFERRED_FALLBACK_MS = 2000
# The deferred panels that have a dock of their own; the last two stay hidden until used.
PLACEHOLDER_DOCKS = ("triage", "map", "suggestions", "vitals", "caller_link")
HIDDEN_AT_START = ("vitals", "caller_link")


class _OnExposed(QObject):
    """Calls ``callback()`` once, when ``window`` (a native window) is first exposed; then goes."""

    def __init__(self, window: QObject, callback: Callable[[], None]) -> None:
        super().__init__(window)
        self._callback = callback
        window.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.Expose:
            obj.removeEventFilter(self)
            self.deleteLater()
            self._callback()
        return False


def _card(widget: QWidget, name: str) -> QFrame:
    """Wrap a panel in a framed card (styled by seat.qss)."""
    frame = QFrame()
    frame.setObjectName(name)
    frame.setProperty("card", True)
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(10, 8, 10, 10)
    layout.addWidget(widget)
    return frame


class MainWindow(QMainWindow):
    """The seat. Build it on the GUI thread after the QApplication.

    Args:
        store: the seat's store (fed by ``widgets.qt_bridge.SyncBridge``).
        commands: the named commands (``app.seat.commands.SeatCommands``).
        clock: elapsed-time clock (shared with the bridge so it learns the server's time).
        languages: the language switcher; None hides the language menu's effect (tests).
        training: show the TRAINING marker (``--simulate``).
        seat_id: the configured seat id, shown until the server's welcome.
        confirm_close: ask before closing with calls on the line or commands unsent.
        show_map: add the live map (QtWebEngine) above the unit board; ``map_settings`` (the seat's
            ``app.settings.Settings``) says what it is drawn on.
        layout_path: where the seat's arrangement of panels and windows is saved and restored
            (``app.settings.layout_path``); None: the preset for the screens, nothing saved.
        defer_panels: build the panels that the first paint does not need — the triage
            questionnaire and CPR coach, the caller's location box (the address index), the caller
            link (hidden until a link is sent), the suggestions (the road graph), the vitals
            monitors (pyqtgraph), the map (QtWebEngine, folium) — and load the triage protocols
            after the window's first paint, one per turn of the event loop, so that the calls, the
            form and F2 work while they are built and the map page loads. A call answered before the
            triage panel's turn builds it at once (its questions show with the call). Their docks
            exist from the start (holding "Loading…"), so the saved arrangement is restored as
            usual. Use :meth:`on_panel` to reach them. False: all built here (tests).
    """

    _diagnostics_done = Signal(str, str)  # path, error (from the worker thread; queued to the GUI thread)

    def __init__(self, store: SeatStore, commands: SeatCommands, *, clock: SeatClock | None = None,
                 languages: LanguageSwitcher | None = None, training: bool = False,
                 seat_id: str | None = None, confirm_close: bool = True, show_map: bool = False,
                 map_settings: Any = None, layout_path: Path | None = None,
                 defer_panels: bool = False) -> None:
        super().__init__()
        self.setObjectName("MainWindow")
        self.store = store
        self.clock = clock or SeatClock()
        self.languages = languages
        self.training = training
        self.confirm_close = confirm_close
        self._seat_id = seat_id
        self._dismiss_rejected: Callable[[str], Any] | None = None
        self._rejected_shown: list[str] = []

        self.messages = MessageArea()
        self.runner = CommandRunner(store, commands, self.messages, self)

        # ---- actions owned by the window
        self.ready_action = QAction(self)
        self.ready_action.setShortcut(QKeySequence(Qt.Key.Key_F5))
        self.ready_action.triggered.connect(self.toggle_ready)
        self.quit_action = QAction(self)
        self.quit_action.setShortcut(QKeySequence(Qt.Modifier.CTRL | Qt.Key.Key_Q))
        self.quit_action.triggered.connect(self.close)
        self.language_toggle_action = QAction("切换语言 / Switch language", self)
        self.language_toggle_action.setShortcut(QKeySequence(Qt.Modifier.CTRL | Qt.Key.Key_L))
        self.language_toggle_action.triggered.connect(self.toggle_language)
        self.language_actions: dict[str, QAction] = {}
        group = QActionGroup(self)
        for language in LANGUAGES:
            action = QAction(NATIVE_NAMES[language], self)
            action.setCheckable(True)
            action.triggered.connect(lambda _checked=False, lang=language: self.set_language(lang))
            group.addAction(action)
            self.language_actions[language] = action
        self.focus_actions: list[tuple[QAction, Callable[[], None]]] = []
        # Help → Copy diagnostics: the composition root sets diagnostics_maker(out, qt_results) -> Path
        # (app.seat_tools.write_seat_diagnostics); it runs off the GUI thread.
        self.diagnostics_maker: Callable[[Path, list[Any]], Path] | None = None
        self.diagnostics_dir: Path | None = None  # None: Documents (or home)
        self.problem_texts: list[str] = []  # start-up problems the composition root showed
        self.copy_diagnostics_action = QAction(self)
        self.copy_diagnostics_action.triggered.connect(self.copy_diagnostics)
        self._diagnostics_thread: threading.Thread | None = None
        self._diagnostics_done.connect(self._on_diagnostics_done)
        self._auth_notice_shown = False

        # ---- panels
        self.banner = StatusBanner(store, self.ready_action, training=training, seat_id=seat_id)
        self.call_panel = CallPanel(store, self.runner, self.clock, training=training)
        self.form = IncidentForm(store, self.runner, self.clock)
        self.queue = IncidentQueue(store, self.clock)
        self.board = UnitBoard(store, self.runner, self.clock, self.form.incident_for_dispatch)
        for key, target in (
            (Qt.Key.Key_1, self.call_panel.my_calls.setFocus),
            (Qt.Key.Key_2, self._focus_form),
            (Qt.Key.Key_3, self._focus_queue),
            (Qt.Key.Key_4, self._focus_units),
        ):
            action = QAction(self)
            action.setShortcut(QKeySequence(Qt.Modifier.CTRL | key))
            action.triggered.connect(lambda _checked=False, t=target: t())
            self.focus_actions.append((action, target))
        for action in (self.ready_action, self.quit_action, self.language_toggle_action,
                       *(a for a, _ in self.focus_actions)):
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            self.addAction(action)

        # Every panel is a dock (widgets.workspace arranges them over one to three screens);
        # the banner and the message strip stay on top of the call screen, under the menu bar.
        self.docks: dict[str, QDockWidget] = {}
        self._form_card = _card(self.form, "FormCard")
        calls_card = _card(self.call_panel, "CallsCard")
        calls_card.setMinimumWidth(280)  # "Answer F2" and "Hang up F4" side by side, unelided
        units_card = _card(self.board, "UnitsCard")
        units_card.setMinimumWidth(300)
        for key, card in (("calls", calls_card), ("form", self._form_card),
                          ("queue", _card(self.queue, "QueueCard")), ("units", units_card)):
            self._add_dock(key, card)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowNestedDocks
                            | QMainWindow.DockOption.AllowTabbedDocks)
        self.setDockNestingEnabled(True)
        self._sized = False

        top = QWidget()
        top.setObjectName("SeatTop")
        layout = QVBoxLayout(top)
        layout.setContentsMargins(0, 0, 0, 4)
        layout.setSpacing(4)
        self._menu_bar = QMenuBar(top)
        layout.addWidget(self._menu_bar)
        self.banner.setParent(top)
        for widget in (self.banner, self.messages):
            widget.setContentsMargins(8, 0, 8, 0)
            layout.addWidget(widget)
        self.setMenuWidget(top)
        # Tab follows the call: calls -> form (its own order) -> incident queue -> units.
        QWidget.setTabOrder(self.call_panel.my_calls, self.form.address)
        QWidget.setTabOrder(self.form.priority, self.queue.table)
        QWidget.setTabOrder(self.queue.table, self.board.table)
        QWidget.setTabOrder(self.board.table, self.call_panel.waiting)

        # "My shift" (Ctrl+Shift+M): this dispatcher's own KPIs; live once the composition root
        # gives it a fetcher (``my_shift.fetcher``, widgets/seat_kpi.py).
        self.my_shift = MyShift(store, self)
        self.addAction(self.my_shift.action)
        self._build_menus()

        # ---- wiring between panels (each renders the store by itself)
        self.call_panel.call_answered.connect(self._on_call_answered)
        self.call_panel.answer_refused.connect(self.form.unlink_call)
        self.queue.incident_selected.connect(self._on_incident_selected)
        self.form.current_incident_changed.connect(self.queue.set_current)
        self.messages.dismissed.connect(self._on_messages_dismissed)
        # Slots that take no argument: psygnal drops the signal's arguments for them.
        store.events.seat_changed.connect(self._update_ready_action)
        store.events.connection_changed.connect(self._update_ready_action)
        store.events.welcomed.connect(self._update_title)
        store.events.connection_changed.connect(self._on_connection_changed)
        if languages is not None:
            languages.language_changed.connect(self._on_language_changed)

        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.tick)
        self.timer.start()
        self.map_dock = None
        self._defer_panels = defer_panels
        self._pending_panels: list[tuple[str, Callable[[], None]]] = []
        self._panels_started = False
        self._built_panels: set[str] = set()
        self._panel_waiters: dict[str, list[Callable[[Any], None]]] = {}
        # The window's own timers: they die with it, so nothing is built for a deleted window.
        self._panel_timer = QTimer(self)
        self._panel_timer.setSingleShot(True)
        self._panel_timer.setInterval(0)  # the next turn of the event loop
        self._panel_timer.timeout.connect(self._build_next_panel)
        self._panel_fallback = QTimer(self)
        self._panel_fallback.setSingleShot(True)
        self._panel_fallback.setInterval(DEFERRED_FALLBACK_MS)
        self._panel_fallback.timeout.connect(self._start_building_panels)
        if show_map:
            self._install_later("map", lambda: self._install_map(map_settings))
        self.triage: Any = None  # widgets.questionnaire.TriagePanel once built (_ensure_triage)
        self._install_later("triage", self._install_triage)
        # Connected here, before the caller link and the workspace, as begin_call was: the
        # questionnaire takes the call before the keyboard goes to it (_on_call_answered_triage).
        self.call_panel.call_answered.connect(self._triage_begin_call)
        self._install_later("protocols", self._load_protocols)
        self._install_later("location", lambda: self._install_location(map_settings))
        self._install_later("vitals", self._install_vitals)
        self._install_later("caller_link", self._install_caller_link)
        self._install_prenotify()
        self._install_later("suggestions", lambda: self._install_suggestions(map_settings))
        # Deferred, the panels a call needs first are built first; the map page loads last.
        self._pending_panels.sort(key=lambda item: DEFERRED_ORDER.index(item[0]))
        self._install_shortcut_help()

        self._install_workspace(layout_path)
        # No fixed size: the workspace shows the window maximised on its screen (a 1366x768
        # laptop up to three 1920x1080 screens); this is only the smallest it may be made.
        self.setMinimumSize(1000, 640)
        self.retranslate_ui()
        self.tick()
        self.call_panel.my_calls.setFocus()

    def _install_map(self, settings: Any) -> None:
        """The live map (``widgets.map_dock``) in the right column, above the unit board."""
        from widgets.map_dock import MapDock

        self.map_dock = MapDock.from_settings(self.store, self.clock, settings, self)
        # Its own title bar would repeat the outer dock's "Map" with a float button that tears the
        # map out of its card: the outer dock is the one that moves.
        self.map_dock.setTitleBarWidget(QWidget(self.map_dock))
        self._add_dock("map", _card(self.map_dock, "MapCard"))
        self.timer.timeout.connect(self.map_dock.tick)
        self.map_dock.set_selected_unit_provider(self.board.selected_unit)
        self.units_menu.addSeparator()
        self.units_menu.addAction(self.map_dock.follow_action)
        self.units_menu.addAction(self.map_dock.stop_follow_action)
        # Following a unit shows the map, also where it is a tab (a laptop at 125-200 %).
        self.map_dock.follow_action.triggered.connect(
            lambda _checked=False: getattr(self, "workspace", None) and self.workspace.bring_forward("map"))
        self.form.current_incident_changed.connect(self.map_dock.set_current_incident)
        self.call_panel.call_answered.connect(self.map_dock.show_call)
        if self.map_dock.problem:
            self.messages.show_message(self.map_dock.problem, Level.WARNING)
        if getattr(self, "location_box", None) is not None:  # built before the map (defer_panels)
            self._wire_location_to_map()
        if getattr(self, "recommendation", None) is not None:
            self._wire_recommendation_to_map()
        built: Any = self.map_dock
        call = self._form_call()  # a call answered while the map was being built
        if call is not None:
            built.show_call(call)
        if self.form.incident_id:
            built.set_current_incident(self.form.incident_id)

    def _install_prenotify(self) -> None:
        """Hospital pre-notification (``widgets.prenotify_dialog``): Incident menu, Ctrl+Shift+H;
        hospital answers go to the message strip."""
        from widgets.prenotify_dialog import PrenotifyAnswers, PrenotifyDialog

        self.prenotify_answers = PrenotifyAnswers(self.store, self.messages.show_message, self)
        self.prenotify_action = QAction(self)
        self.prenotify_action.setShortcut(QKeySequence("Ctrl+Shift+H"))
        self.prenotify_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.addAction(self.prenotify_action)
        self.incident_menu.addAction(self.prenotify_action)
        self.prenotify_dialog: PrenotifyDialog | None = None

        def open_dialog() -> None:
            incident_id = self.form.incident_id
            if not incident_id or incident_id not in self.store.state.incidents:
                self.messages.show_message(self.tr("Save or select an incident first"), Level.WARNING)
                return
            router = getattr(getattr(self, "recommendation", None), "router", None)
            self.prenotify_dialog = PrenotifyDialog(self.store, self.runner, incident_id, router, self)
            self.prenotify_dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self.prenotify_dialog.open()

        self.prenotify_action.triggered.connect(open_dialog)

    def _install_caller_link(self) -> None:
        """The caller link (``widgets.caller_link_panel``) in a right dock; Ctrl+Shift+K sends a link."""
        from widgets.caller_link_panel import CallerLinkPanel

        self.caller_link = CallerLinkPanel(self.store, self.runner, self)
        fresh = "caller_link" not in self.docks  # else a placeholder's dock, already hidden or restored shown
        self.caller_link_dock = self._add_dock("caller_link", self.caller_link)
        if fresh:
            # Hidden until the dispatcher sends a link: an empty panel took a quarter of the
            # window's width from the unit board.
            self.caller_link_dock.hide()
        self.caller_link.send_action.triggered.connect(self._show_caller_link)
        self.addAction(self.caller_link.send_action)
        self.incident_menu.addAction(self.caller_link.send_action)
        self.view_menu.addAction(self.caller_link_dock.toggleViewAction())
        self.call_panel.call_answered.connect(self.caller_link.set_call)
        if self.triage is not None:
            self.caller_link.question_provider = self.triage.question.text
        call = self._form_call()  # a call answered while the panel waited for its turn
        if call is not None:
            self.caller_link.set_call(call)
        self.caller_link_dock.setWindowTitle(self.tr("Caller link"))

    def _show_caller_link(self) -> None:
        self._show_dock(self.caller_link_dock)

    def _add_dock(self, key: str, widget: QWidget) -> QDockWidget:
        """Put ``widget`` in the dock of panel ``key`` (``widgets.workspace.DOCKS``), on this window;
        if the dock exists (a deferred panel's placeholder), it takes ``widget`` where it is."""
        if key in self.docks:
            dock = self.docks[key]
            placeholder = dock.widget()
            dock.setWidget(widget)
            if placeholder is not None:
                placeholder.deleteLater()
            return dock
        dock = make_dock(self, widget, key)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        self.docks[key] = dock
        return dock

    # ------------------------------------------------------------ panels built after the first paint
    def _install_later(self, key: str, build: Callable[[], Any]) -> None:
        """Build panel ``key`` now, or (``defer_panels``) after the first paint; its dock, if it has
        one, is made now with a placeholder so that the workspace arranges and restores it."""
        if not self._defer_panels:
            build()
            self._panel_built(key)
            return
        if key in PLACEHOLDER_DOCKS:
            placeholder = QLabel(self.tr("Loading…"))
            placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
            dock = self._add_dock(key, placeholder)
            if key in HIDDEN_AT_START:  # shown when a unit is watched / a link sent, as when built at once
                dock.hide()
        self._pending_panels.append((key, build))

    def _start_building_panels(self) -> None:
        if self._pending_panels and not self._panels_started:
            self._panels_started = True
            self._panel_fallback.stop()
            self._panel_timer.start()

    def _build_next_panel(self) -> None:
        """Build one deferred panel, then give the event loop a turn (F2, paints) before the next."""
        if not self._pending_panels:
            return
        key, build = self._pending_panels.pop(0)
        self._build_panel(key, build)
        if self._pending_panels:
            self._panel_timer.start()
        else:
            self.retranslate_ui()

    def _build_panel(self, key: str, build: Callable[[], None]) -> None:
        try:
            build()
        except Exception:  # the seat goes on without that panel; the dispatcher is told
            log.exception("the %s panel could not be built", key)
            self.messages.show_message(self.tr("A panel could not be built (%1); see the log").replace("%1", key),
                                       Level.ERROR)
        else:
            self._panel_built(key)

    def _build_now(self, key: str) -> None:
        """Build deferred panel ``key`` now, out of its turn (the others keep theirs)."""
        for index, (pending, build) in enumerate(self._pending_panels):
            if pending == key:
                del self._pending_panels[index]
                self._build_panel(key, build)
                return

    def _panel_built(self, key: str) -> None:
        self._built_panels.add(key)
        for callback in self._panel_waiters.pop(key, []):
            callback(self._panel(key))

    def _panel(self, key: str) -> Any:
        if key == "protocols":
            from widgets.questionnaire import shared_library

            return shared_library()
        return {"map": self.map_dock, "location": getattr(self, "location_box", None),
                "triage": self.triage, "caller_link": getattr(self, "caller_link", None),
                "vitals": getattr(self, "vitals_wall", None),
                "suggestions": getattr(self, "recommendation", None)}[key]

    def on_panel(self, key: str, callback: Callable[[Any], None]) -> None:
        """Call ``callback(panel)`` once panel ``key`` is built — now if it is.

        Keys and what ``panel`` is: ``"protocols"`` the triage protocol library
        (``widgets.questionnaire.shared_library``), ``"triage"`` the
        :class:`~widgets.questionnaire.TriagePanel`, ``"caller_link"`` the
        :class:`~widgets.caller_link_panel.CallerLinkPanel`, ``"map"`` the :class:`~widgets.map_dock.MapDock`,
        ``"location"`` the :class:`~widgets.location_panel.IncidentLocationBox`, ``"vitals"``
        the :class:`~widgets.vitals_wall.VitalsWall`, ``"suggestions"`` the
        :class:`~widgets.recommendation.RecommendationPanel`. A panel that is never built (no
        map) never calls. GUI thread.
        """
        if key in self._built_panels:
            callback(self._panel(key))
        else:
            self._panel_waiters.setdefault(key, []).append(callback)

    @property
    def panels_pending(self) -> list[str]:
        """The deferred panels not built yet, in the order they will be."""
        return [key for key, _build in self._pending_panels]

    def _focus_form(self) -> None:
        """Ctrl+2: the form's first empty field, the form in front of its tab group first (a laptop at 150 %)."""
        if getattr(self, "workspace", None) is not None:
            self.workspace.bring_forward("form")
        self.form.focus_first_empty()

    def _focus_queue(self) -> None:
        """Ctrl+3: the open incidents, brought in front of their tab group first (one screen)."""
        if getattr(self, "workspace", None) is not None:
            self.workspace.bring_forward("queue")
        self.queue.table.setFocus()

    def _focus_units(self) -> None:
        """Ctrl+4: the unit board, brought in front of its tab group first (one screen)."""
        if getattr(self, "workspace", None) is not None:
            self.workspace.bring_forward("units")
        self.board.table.setFocus()

    def _show_dock(self, dock: QDockWidget) -> None:
        """Show a dock in front of its tab group, wherever its window is."""
        dock.show()
        dock.raise_()

    def _install_workspace(self, layout_path: Path | None) -> None:
        """The arrangement of the docks over the screens (``widgets.workspace``); View → Layout."""
        self.workspace = Workspace(self, self.docks, layout_path)
        self.layout_menu = QMenu(self)
        self.workspace.fill_menu(self.layout_menu)
        self.desk_menu.addMenu(self.layout_menu)
        self.desk_menu.addSeparator()
        for key in ("calls", "form", "triage", "queue", "units", "suggestions", "map"):
            if key in self.docks:
                self.desk_menu.addAction(self.docks[key].toggleViewAction())
        # A call brings triage in front of the open incidents where they share a place (one screen).
        self.call_panel.call_answered.connect(self._on_call_answered_triage)
        # Typing the address or another number in the form: Enter hands the keyboard back to
        # the question the caller is answering (the case entry's first question asks the address).
        for line in (self.form.address, self.form.callback):
            line.returnPressed.connect(self._back_to_question)
        if self.triage is not None:
            self._wire_triage_to_workspace()

    def _wire_triage_to_workspace(self) -> None:
        """Ctrl+T brings triage forward; the CPR coach takes the floor when an arrest is recognised,
        until the dispatcher leaves it (Esc)."""
        if self.triage is not None:
            self.triage.start_action.triggered.connect(lambda: self.workspace.bring_forward("triage"))
            self.triage.arrest_recognised.connect(lambda _incident_id: self.workspace.coach_floor())
            self.triage.coach.leave_requested.connect(self.workspace.forget_floor)
            # Choking, a birth under way, life-threatening bleeding: their instructions take the floor too.
            self.triage.instructions_floor.connect(lambda _incident_id: self.workspace.coach_floor())
            self.triage.leave_floor_requested.connect(self.workspace.forget_floor)
            self.workspace.floor_changed.connect(lambda on_floor: on_floor and self.triage.show_floor())

    def _on_call_answered_triage(self, _call: dict[str, Any]) -> None:
        """After F2 the next keystroke answers the case entry's first question, not the address box.

        Runs after the form and the questionnaire took the call (connected last). The caller
        is asked the address first, but most calls arrive with the switch's location (the
        placeholder of the address box) and the dispatcher confirms it with 1; typing an address
        is Ctrl+2 and Enter comes back. Without protocols the focus stays in the form.
        """
        if self.triage is None:  # the panel could not be built: the form keeps the keyboard
            return
        self.workspace.bring_forward_for_call()  # the unit board, then the questionnaire
        self.triage.focus_answers()

    def _triage_begin_call(self, call: dict[str, Any]) -> None:
        """A call was answered: the questionnaire starts afresh — built now if it waits for its turn
        after the first paint, so that the call's first question shows with the call."""
        if self._ensure_triage() is not None:
            self.triage.begin_call(call)

    def _ensure_triage(self) -> Any:
        """The triage panel, built now if it is still waiting; None if it could not be built."""
        if self.triage is None:
            self._build_now("triage")
        return self.triage

    def _back_to_question(self) -> None:
        if self.triage is not None and self.triage.waiting_for_answer():
            self.workspace.bring_forward("triage")
            self.triage.focus_answers()

    def _install_shortcut_help(self) -> None:
        """F1 (Help menu): every shortcut of the seat, read from its actions, searchable."""
        from widgets.shortcuts_dialog import ShortcutHelp

        self.shortcut_help = ShortcutHelp(self)
        self.help_menu.insertAction(self.help_menu.actions()[0] if self.help_menu.actions() else None,
                                    self.shortcut_help.action)

    def _install_vitals(self) -> None:
        """The vitals monitors (``widgets.vitals_wall``) in a dock, shown when a unit is watched.

        The composition root connects the telemetry subscription:
        ``window.vitals_wall.set_subscriber(lambda ids: sync.subscribe(ids, kinds))``.
        """
        from widgets.vitals_wall import VitalsWall

        self.vitals_wall = VitalsWall(self.store, parent=self)
        fresh = "vitals" not in self.docks  # else a placeholder's dock, already hidden or restored shown
        self.vitals_dock = self._add_dock("vitals", self.vitals_wall)
        if fresh:
            self.vitals_dock.hide()
        toggle = self.vitals_dock.toggleViewAction()
        toggle.setShortcut(QKeySequence(Qt.Modifier.CTRL | Qt.Key.Key_M))
        toggle.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.addAction(toggle)
        self.view_menu.addSeparator()
        self.view_menu.addAction(toggle)
        for action in (self.vitals_wall.ack_action, self.vitals_wall.silence_action, self.vitals_wall.freeze_action):
            self.view_menu.addAction(action)
        self.vitals_wall.watched_changed.connect(lambda ids: ids and self._show_dock(self.vitals_dock))
        self.vitals_wall.retranslate_ui()  # names the dock

        def watch_entry(unit: dict[str, Any], menu: QMenu) -> None:
            menu.addSeparator()
            action = menu.addAction(self.tr("Watch vitals"))
            action.triggered.connect(lambda _c=False, u=unit["unit_id"]: self.vitals_wall.watch(u))

        self.board.context_menu_hooks.append(watch_entry)

    def _install_triage(self) -> None:
        """The triage questionnaire + CPR coach (``widgets.questionnaire``), under the form."""
        from widgets.questionnaire import TriagePanel, shared_library

        # The protocols (~0.3 s of YAML) load after the first paint with defer_panels; a call
        # answered before that loads them when the questionnaire first asks (shared_library is cached).
        triage = TriagePanel(
            self.store, self.runner, self.clock, protocols=lambda: shared_library().current,
            ensure_incident=self.form.incident_for_dispatch,
            language=lambda: self.languages.language if self.languages is not None else ENGLISH,
        )
        # In a scroll area: on a 1366x768 seat the card is lower than the question, answers and
        # CPR timers need, and a squeezed card clipped the question itself (screenshot).
        from PySide6.QtWidgets import QScrollArea

        scroll = QScrollArea()
        scroll.setObjectName("TriageScroll")
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # wrap, never sideways
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(triage)
        self._add_dock("triage", _card(scroll, "TriageCard"))
        self.triage = triage
        # Built after the first paint or not, its actions follow the form's in the Incident menu.
        actions = self.incident_menu.actions()
        after_form = actions.index(self.form.close_action) + 1 if self.form.close_action in actions else len(actions)
        before = actions[after_form] if after_form < len(actions) else None
        for action in (triage.start_action, triage.complaint_action):
            self.addAction(action)
            self.incident_menu.insertAction(before, action)
        self.form.current_incident_changed.connect(triage.follow_incident)
        triage.priority_reached.connect(self.form.apply_triage_priority)
        self.timer.timeout.connect(triage.tick)
        if getattr(self, "caller_link", None) is not None:
            self.caller_link.question_provider = triage.question.text
        if getattr(self, "workspace", None) is not None:
            self._wire_triage_to_workspace()

    def _load_protocols(self) -> None:
        """Load the triage protocols; say so in the message strip if they cannot be loaded."""
        from widgets.questionnaire import shared_library

        library = shared_library()
        if library.current is None:
            self.messages.show_message(
                self.tr("Triage protocols could not be loaded: %1").replace(
                    "%1", "; ".join(str(p) for p in library.problems[:3])), Level.ERROR)

    def _install_location(self, settings: Any = None) -> None:
        """The caller's location box under the form, map picks → ``incident.locate``, and the
        repeat-call banner's actions (``widgets.location_panel``, ``widgets.repeat_banner``).
        ``settings``: the seat's ``app.settings.Settings`` (city, repeat rule) or None (defaults)."""
        from app.mapdata.city import city_dir
        from widgets.location_panel import CityLookup, IncidentLocationBox

        city = CityLookup(city_dir(getattr(settings, "map_city", None)))
        lookup = city if city.available() else None
        if settings is not None:
            self.call_panel.repeat_banner.configure(
                radius_m=settings.repeat_radius_m, window_s=settings.repeat_window_s)
        self.location_box = IncidentLocationBox(
            self.store, self.runner, self.clock, self.form.incident_for_dispatch,
            lambda: self.form.incident_id, self._form_call, lookup,
        )
        self._form_card.layout().addWidget(self.location_box)
        for action in (self.location_box.confirm_action, self.location_box.search_action):
            self.addAction(action)
            self.incident_menu.addAction(action)
        banner = self.call_panel.repeat_banner
        for action in (banner.open_action, banner.attach_action):
            self.addAction(action)
            self.incident_menu.addAction(action)
        banner.open_requested.connect(self._on_incident_selected)
        banner.attach_requested.connect(self._on_call_attached)
        self.form.current_incident_changed.connect(lambda _id: self.location_box.refresh())
        if self.map_dock is not None:
            self._wire_location_to_map()

    def _wire_location_to_map(self) -> None:
        assert self.map_dock is not None
        self.map_dock.position_picked.connect(lambda lat, lon: self.location_box.locate_at(lat, lon, "map_click"))
        self.map_dock.incident_moved.connect(
            lambda incident_id, lat, lon: incident_id == self.form.incident_id
            and self.location_box.locate_at(lat, lon, "map_drag"))

    def _install_recommendation(self, settings: Any = None) -> None:
        """The ranked unit suggestions for the form's incident (``widgets.recommendation``),
        under the unit board; Ctrl+F8 sends the first suggestion."""
        from app.mapdata.city import city_dir
        from app.routing.engine import GraphRouter
        from app.routing.graph import GraphFileError
        from widgets.recommendation import RecommendationPanel

        router, problem = None, ""
        try:
            router = GraphRouter.for_city(city_dir(getattr(settings, "map_city", None)),
                                          getattr(settings, "emergency_speed_factor", 1.2))
        except (GraphFileError, ValueError) as exc:
            problem = str(exc)
        self.recommendation = RecommendationPanel(
            self.store, self.runner, self.clock, router, self.form.incident_for_dispatch,
            coverage_target_s=60.0 * getattr(settings, "coverage_target_min", 12.0), problem=problem)
        self.addAction(self.recommendation.send_first_action)
        self.units_menu.addSeparator()
        self.units_menu.addAction(self.recommendation.send_first_action)
        self.form.current_incident_changed.connect(self.recommendation.follow_incident)
        self.recommendation.incident_requested.connect(self._on_incident_selected)
        if self.map_dock is not None:
            self._wire_recommendation_to_map()

    def _wire_recommendation_to_map(self) -> None:
        assert self.map_dock is not None
        self.recommendation.route_shown.connect(self.map_dock.show_route)
        self.recommendation.route_cleared.connect(self.map_dock.clear_route)

    def _install_suggestions(self, settings: Any = None) -> None:
        """The suggestions dock: ranked units (the road graph), destination, first responders."""
        self._install_recommendation(settings)
        self._install_hospitals()

    def _install_hospitals(self) -> None:
        """Destination and first-responder tabs for the form's incident
        (``widgets.destination_panel``, ``widgets.responders_panel``), under the unit suggestions."""
        from PySide6.QtWidgets import QTabWidget

        from widgets.destination_panel import DestinationPanel
        from widgets.responders_panel import RespondersPanel

        router = getattr(getattr(self, "recommendation", None), "router", None)
        self.destination = DestinationPanel(
            self.store, self.runner, self.form.incident_for_dispatch, router=router,
            language=lambda: self.languages.language if self.languages is not None else ENGLISH)
        self.responders = RespondersPanel(self.store, self.runner, self.form.incident_for_dispatch)
        self.hospital_tabs = QTabWidget()
        self.hospital_tabs.setObjectName("HospitalTabs")
        # One tab row under the unit board: suggested units, destination, first responders. Stacked
        # as three panes they left the unit board one row high at 1920x1080 (screenshot).
        if getattr(self, "recommendation", None) is not None:
            self.hospital_tabs.addTab(self.recommendation, "")
        self.hospital_tabs.addTab(self.destination, "")
        self.hospital_tabs.addTab(self.responders, "")
        self._retranslate_hospital_tabs()
        self._add_dock("suggestions", _card(self.hospital_tabs, "HospitalCard"))
        for panel in (self.destination, self.responders):
            self.form.current_incident_changed.connect(panel.follow_incident)
        if self.form.incident_id:  # an incident opened while the panels were being built
            for follower in (self.recommendation, self.destination, self.responders):
                follower.follow_incident(self.form.incident_id)

    def _retranslate_hospital_tabs(self) -> None:
        tabs = getattr(self, "hospital_tabs", None)
        if tabs is None:
            return
        titles = {
            getattr(self, "recommendation", None): self.tr("Suggested units"),
            self.destination: self.tr("Destination"),
            self.responders: self.tr("First responders"),
        }
        for index in range(tabs.count()):
            title = titles.get(tabs.widget(index))
            if title:
                tabs.setTabText(index, title)

    def _form_call(self) -> dict[str, Any] | None:
        """The call of the incident in the form (or of its new draft)."""
        incident = self.store.state.incidents.get(self.form.incident_id or "")
        call_id = (incident or {}).get("call_id") or self.form.call_id
        return self.store.state.calls.get(call_id or "")

    def _on_call_attached(self, call_id: str, incident_id: str) -> None:
        self.form.unlink_call(call_id)
        self._on_incident_selected(incident_id)

    # ------------------------------------------------------------ menus
    def menuBar(self) -> QMenuBar:  # noqa: N802 (Qt override: the bar sits above the banner)
        return self._menu_bar

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self.seat_menu = bar.addMenu("")
        self.seat_menu.addAction(self.ready_action)
        self.seat_menu.addAction(self.call_panel.answer_action)
        self.seat_menu.addAction(self.call_panel.hangup_action)
        if self.training:
            self.seat_menu.addAction(self.call_panel.ask_action)
        self.seat_menu.addAction(self.my_shift.action)
        self.seat_menu.addSeparator()
        self.seat_menu.addAction(self.quit_action)
        self.incident_menu = bar.addMenu("")
        self.incident_menu.addAction(self.form.new_action)
        self.incident_menu.addAction(self.form.save_action)
        self.incident_menu.addAction(self.form.close_action)
        self.units_menu = bar.addMenu("")
        self.units_menu.addAction(self.board.assign_action)
        self.status_submenu = QMenu(self)
        self.status_submenu.aboutToShow.connect(self._fill_status_submenu)
        self.units_menu.addMenu(self.status_submenu)
        self.view_menu = bar.addMenu("")
        for action, _target in self.focus_actions:
            self.view_menu.addAction(action)
        self.desk_menu = bar.addMenu("")  # View: layouts for 1-3 screens, the panels
        # The language menu is named in both languages, so anyone can find the way back.
        self.language_menu = bar.addMenu("语言 / Language")
        for action in self.language_actions.values():
            self.language_menu.addAction(action)
        self.language_menu.addSeparator()
        self.language_menu.addAction(self.language_toggle_action)
        self.help_menu = bar.addMenu("")
        self.help_menu.addAction(self.copy_diagnostics_action)

    def _fill_status_submenu(self) -> None:
        self.status_submenu.clear()
        unit = self.board.selected_unit()
        if unit is None:
            self.status_submenu.addAction(self.tr("Select a unit first")).setEnabled(False)
            return
        self.status_submenu.addActions(self.board.status_actions(unit, self.status_submenu))

    # ------------------------------------------------------------ actions
    def toggle_ready(self) -> bool:
        """F5: ready for the next call <-> not ready. The banner follows the server's event."""
        ready = self._seat_state() != SeatState.READY
        purpose = (lambda: self.tr("Setting the seat ready")) if ready else (
            lambda: self.tr("Setting the seat not ready"))
        return self.runner.run(self.runner.commands.set_ready, purpose, ready=ready) is not None

    def set_language(self, language: str) -> None:
        if self.languages is None:
            return
        if not self.languages.set_language(language):
            self.messages.show_message(
                "没有中文翻译文件，界面显示英文。/ The Chinese translation is missing; showing English.",
                Level.WARNING,
            )
        self._update_language_actions()

    def toggle_language(self) -> None:
        if self.languages is not None:
            self.set_language(ENGLISH if self.languages.language != ENGLISH else LANGUAGES[0])

    def show_notice(self, text: str, level: Level = Level.INFO) -> None:
        self.messages.show_message(text, level)

    def _on_connection_changed(self, status: Any) -> None:
        """The server refused the token: say what IT does about it (the banner says that it happened)."""
        if getattr(status, "link", None) != Link.AUTH_FAILED:
            self._auth_notice_shown = False
            return
        if not self._auth_notice_shown:
            self._auth_notice_shown = True
            from app.check import CheckResult, Status, message

            refused = CheckResult("credential", Status.FAIL, "credential.refused")
            self.messages.show_message(message(refused, self._language()), Level.ERROR)

    def _language(self) -> str:
        return self.languages.language if self.languages is not None else ENGLISH

    # ------------------------------------------------------------ help
    def copy_diagnostics(self) -> bool:
        """Help → Copy diagnostics: write the zip (off the GUI thread), then put its path on the clipboard.

        Returns False if it cannot start (no maker, or one already running)."""
        if self.diagnostics_maker is None or (self._diagnostics_thread and self._diagnostics_thread.is_alive()):
            return False
        from widgets.check_qt import check_audio, check_fonts

        qt_results = [check_fonts(), check_audio()]  # Qt's own state: read here, on the GUI thread
        directory = self.diagnostics_dir or Path(
            QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation) or Path.home())
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        out = Path(directory) / f"dispatch120-diagnostics-{stamp}.zip"
        maker = self.diagnostics_maker
        self.messages.show_message(self.tr("Writing diagnostics to %1 …").replace("%1", str(out)), Level.INFO)

        def work() -> None:
            try:
                result = (str(maker(out, qt_results)), "")
            except Exception as exc:  # reported in the window; the seat goes on
                log.exception("diagnostics failed")
                result = ("", str(exc))
            try:
                self._diagnostics_done.emit(*result)
            except RuntimeError:  # the window was closed meanwhile: the zip is written, nobody to tell
                log.info("diagnostics finished after the window closed: %s", result[0] or result[1])

        self._diagnostics_thread = threading.Thread(target=work, name="diagnostics", daemon=True)
        self._diagnostics_thread.start()
        return True

    def _on_diagnostics_done(self, path: str, error: str) -> None:
        if error:
            self.messages.show_message(self.tr("Diagnostics could not be written: %1").replace("%1", error),
                                       Level.ERROR)
            return
        QGuiApplication.clipboard().setText(path)
        self.messages.show_message(
            self.tr("Diagnostics written to %1 (path copied: paste it into the message to support)").replace(
                "%1", path), Level.INFO)

    def on_command_retrying(self, command_id: str | None, code: str, message: str) -> None:
        """The server had a transient fault; the sync client re-sends the command by itself."""
        self.messages.show_message(
            self.tr("%1: %2 — the seat keeps retrying").replace("%1", error_text(code)).replace("%2", message),
            Level.WARNING,
        )

    def show_rejected(self, rejected: Sequence[Any], dismiss: Callable[[str], Any] | None = None) -> None:
        """Commands the server refused while the dispatcher was away (from the journal).

        Each one is shown (the newest in the strip, all in its history); when the dispatcher
        dismisses the strip, ``dismiss(command_id)`` is called for each.
        """
        self._dismiss_rejected = dismiss
        for command in rejected:
            self.messages.show_message(
                self.tr("Refused earlier: %1 (%2) — %3").replace("%1", command_text(command.name)).replace(
                    "%2", error_text(command.code)).replace("%3", command.message),
                Level.ERROR,
            )
            self._rejected_shown.append(command.command_id)

    def _on_messages_dismissed(self) -> None:
        if self._dismiss_rejected is not None:
            for command_id in self._rejected_shown:
                try:
                    self._dismiss_rejected(command_id)
                except Exception:
                    log.exception("could not dismiss rejected command %s", command_id)
        self._rejected_shown.clear()

    # ------------------------------------------------------------ panel wiring
    def _on_call_answered(self, call: dict[str, Any]) -> None:
        self.form.begin_call(call)

    def _on_incident_selected(self, incident_id: str) -> None:
        if not self.form.load_incident(incident_id):
            self.queue.set_current(self.form.incident_id)

    # ------------------------------------------------------------ rendering
    def tick(self) -> None:
        """The one timer of the window: every second, every time shown moves on."""
        now = self.clock.now()
        self.banner.tick(now)
        self.call_panel.tick(now)
        self.queue.tick(now)
        self.board.tick(now)
        self.messages.tick(now)

    def _seat_state(self) -> str:
        seat = self.store.state.seats.get(self.store.seat_id or self._seat_id or "")
        return seat["state"] if seat else SeatState.OFFLINE.value

    def _update_ready_action(self) -> None:
        if self._seat_state() == SeatState.READY:
            self.ready_action.setText(self.tr("Set not ready"))
        else:
            self.ready_action.setText(self.tr("Set ready"))
        shortcut_hint(self.ready_action)

    def _update_title(self) -> None:
        seat = self.store.seat_id or self._seat_id or "—"
        title = self.tr("dispatch120 — 120 dispatch seat %1").replace("%1", seat)
        if self.training:
            title = self.tr("[TRAINING]") + " " + title
        self.setWindowTitle(title)

    def _update_language_actions(self) -> None:
        current = self.languages.language if self.languages is not None else ENGLISH
        for language, action in self.language_actions.items():
            action.setChecked(language == current)

    def _on_language_changed(self, _language: str) -> None:
        self._update_language_actions()

    def retranslate_ui(self) -> None:
        self.seat_menu.setTitle(self.tr("&Seat"))
        self.incident_menu.setTitle(self.tr("&Incident"))
        self.units_menu.setTitle(self.tr("&Units"))
        self.view_menu.setTitle(self.tr("&Go to"))
        self.help_menu.setTitle(self.tr("&Help"))
        self.desk_menu.setTitle(self.tr("&View"))
        self.layout_menu.setTitle(self.tr("&Layout"))
        self.workspace.retranslate_ui()
        for key, title in (("calls", self.tr("Calls")), ("form", self.tr("Incident form")),
                           ("triage", self.tr("Triage and CPR coach")), ("queue", self.tr("Open incidents")),
                           ("units", self.tr("Unit board")), ("suggestions", self.tr("Suggestions")),
                           ("map", self.tr("Map"))):
            if key in self.docks:
                self.docks[key].setWindowTitle(title)
        self.copy_diagnostics_action.setText(self.tr("Copy diagnostics"))
        self.shortcut_help.retranslate_ui()
        self.status_submenu.setTitle(self.tr("Set status of selected unit"))
        self.quit_action.setText(self.tr("Quit"))
        for (action, _target), text in zip(
            self.focus_actions,
            (self.tr("Calls"), self.tr("Incident form"), self.tr("Open incidents"), self.tr("Unit board")),
            strict=True,
        ):
            action.setText(text)
        for action in (self.quit_action, self.language_toggle_action, *(a for a, _ in self.focus_actions)):
            shortcut_hint(action)
        self.prenotify_action.setText(self.tr("Pre-notify hospital…"))
        shortcut_hint(self.prenotify_action)
        self.my_shift.retranslate_ui()
        self._retranslate_hospital_tabs()
        if getattr(self, "caller_link_dock", None) is not None:
            self.caller_link_dock.setWindowTitle(self.tr("Caller link"))
        self._update_ready_action()
        self._update_title()
        self._update_language_actions()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate_ui()
        super().changeEvent(event)

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        if not self._sized:
            self._sized = True
            if self._pending_panels:
                # Built once the window is on the screen: Qt paints the whole window when its native
                # window is first exposed; the timer's turn comes after that paint. A window that is
                # never exposed (started minimised) builds them after DEFERRED_FALLBACK_MS anyway.
                handle = self.windowHandle()
                if handle is not None:
                    self._first_frame = _OnExposed(handle, self._start_building_panels)
                self._panel_fallback.start()
            # The saved arrangement, or the preset for the screens there are; every window maximised.
            self.workspace.start()

    # ------------------------------------------------------------ closing
    def _busy_reasons(self) -> list[str]:
        reasons = []
        if any(c["state"] == CallState.ANSWERED for c in self.store.my_calls()):
            reasons.append(self.tr("a call is on the line"))
        if self.store.connection.pending:
            reasons.append(self.tr("%n command(s) not yet sent", "", self.store.connection.pending))
        if self.form.has_unsaved_changes():
            reasons.append(self.tr("the incident form has unsaved changes"))
        return reasons

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        reasons = self._busy_reasons() if self.confirm_close else []
        if reasons:
            answer = QMessageBox.question(
                self,
                self.tr("Quit the seat?"),
                self.tr("Really quit? %1.").replace("%1", "; ".join(reasons))
                + ("\n" + self.tr("Unsent commands are kept and sent at the next start.")
                   if self.store.connection.link != Link.ONLINE else ""),
            )
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        self.timer.stop()
        self.workspace.close_all()  # saves the arrangement, closes the windows on the other screens
        event.accept()
