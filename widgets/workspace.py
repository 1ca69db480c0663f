"""Workspaces: the seat's panels as docks spread over one, two or three screens.

Every panel of the seat is a ``QDockWidget`` with a stable object name (:data:`DOCKS`).
The call screen is the seat's :class:`~widgets.main_window.MainWindow`; with more
screens, :class:`DeskWindow` top-level windows (owned by the main window) hold the
panels of the other screens. Presets (:func:`preset_for`)::

    1 screen   by its logical size (one_screen_preset), e.g.
               1920x1080 at 100 %:      calls | form / triage (queue) | map / units (suggestions)
               1366x768 at 100 %, 1920x1080 at 150 %:
                                        calls | form / map | units (queue, triage, suggestions)
               1920x1080 at 125 %:      calls | form / units | triage (queue, suggestions) / map
               laptop at 125-150 %, 1920x1080 at 200 %:
                                        calls | map, queue, triage, form, units, suggestions (tabs)
               the vitals wall floats until a unit is watched
    2 screens  call screen: calls | form / triage / queue
               second:      map / vitals | units / suggestions
    3 screens  call screen: calls | form / triage / queue
               second:      map | suggestions
               third:       vitals | units

The screen count Qt reports at first start chooses the preset; View → Layout
changes it. The arrangement (each window's ``saveState``/``saveGeometry``, which
window holds which panel, on which screen) is saved per seat as JSON next to the
seat's journal and restored at the next start. A saved window whose screen is gone
brings its panels home to the call screen; a file that is corrupt or not ours is
ignored with a warning in the log and the preset is used.

The CPR coach "takes the floor" (:meth:`Workspace.coach_floor`): the call screen's
window keeps the calls list and the triage/CPR dock and hides the rest of its docks,
so the coach is the largest thing on it; F11 (:attr:`Workspace.floor_action`) shows the
whole desk and back; leaving the coach (Esc) restores the desk as it was.

GUI thread only.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QObject, QRect, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QGuiApplication, QKeySequence, QScreen
from PySide6.QtWidgets import QApplication, QDockWidget, QMainWindow, QMenu, QWidget

from widgets.keys import shortcut_hint

log = logging.getLogger(__name__)

LAYOUT_FORMAT = "dispatch120-layout"
LAYOUT_VERSION = 1
MAX_SCREENS = 3

# Panel key -> dock object name (the names saveState records; never rename one).
DOCKS: dict[str, str] = {
    "calls": "CallsDock",
    "form": "IncidentFormDock",
    "triage": "TriageDock",
    "queue": "IncidentQueueDock",
    "units": "UnitsDock",
    "suggestions": "HospitalTabsDock",  # suggested units, destination, first responders
    "map": "MapDock",
    "vitals": "VitalsDock",
    "caller_link": "CallerLinkDock",
}
# Docks hidden until something needs them (a link sent, a unit watched), unless their
# preset gives them a screen of their own.
ON_DEMAND = frozenset({"caller_link", "vitals"})
MAIN = "main"
# In front during a call, in this order (the last wins where two share a tab group).
CALL_PANELS = ("units", "triage")

Column = list[list[str]]  # a window: columns left to right, each a list of tab groups' docks top to bottom


# One screen, in logical pixels (a 1366x768 laptop at 150 % scaling is a 911x512 desk).
# Measured at the desk (tests/gui/test_layout_dpi.py): the menu, status banner and message
# strip take ~125 px of height; the incident form with its location strip needs 599x366 px
# (+ its title); the questionnaire ~420-500 px of height for a question, its answers and the
# route so far (more when narrow, it wraps); the calls panel 280 px of width.
STACKED_MIN_HEIGHT = 1000  # form over triage: 366 + ~480 + titles under the banner
SIDE_BY_SIDE_MIN_WIDTH = 1200  # calls | form | triage: 280 + 599 + ~320 at least
MAP_UNDER_TRIAGE_MIN_HEIGHT = 800  # triage's column keeps ~470 px and the map gets ~250 px


def one_screen_preset(width: int, height: int) -> list[tuple[float, list[tuple[float, list[str]]]]]:
    """The call screen's columns when it is the only screen, for its logical size ``width`` x ``height``.

    During a call the dispatcher reads the question and its numbered answers aloud: the
    questionnaire is never squeezed under the form. Where the two do not fit one over the
    other they stand side by side, and where they do not fit side by side either (a laptop
    at 125-200 %) the questionnaire is in front of a tab group holding the form (Ctrl+2 brings
    it, Enter goes back to the question) and the panels a first minute does not need.
    """
    if height >= STACKED_MIN_HEIGHT and width >= SIDE_BY_SIDE_MIN_WIDTH:
        return [
            (0.19, [(1.0, ["calls"])]),
            # The form needs ~390 px of height; the questionnaire the rest (~500 px at 1080), in
            # front of the open incidents while a call is on (a call brings it forward).
            (0.43, [(0.44, ["form"]), (0.56, ["queue", "triage"])]),
            # Map over the units; the suggestions a tab beside the unit board.
            (0.38, [(0.45, ["map"]), (0.55, ["units", "suggestions", "caller_link"])]),
        ]
    if width >= SIDE_BY_SIDE_MIN_WIDTH:
        # The form (>= 599 px wide) beside the questionnaire, which has a column of its own, full
        # height, the suggestions a tab behind it (their ~270 px under the form pushed the unit
        # board over the location strip: screenshot). Under the form the unit board and the map
        # under the questionnaire when the screen is tall enough; else the map under the form
        # and the unit board a tab behind the questions (the form of a live seat, ~440 px, and
        # the board's ~220 px overlapped on 594 px: screenshot). A call brings the board forward
        # first, then the questions (bring_forward_for_call); Ctrl+4 shows the board.
        form_share = max(0.42, 615 / width)
        calls_share = max(0.19, 285 / width)
        form_rows = round(395 / max(height - 125, 1), 2)  # the form and its title, ~390 px
        if height >= MAP_UNDER_TRIAGE_MIN_HEIGHT:
            triage_rows = [(0.64, ["queue", "triage", "suggestions", "caller_link"]), (0.36, ["map"])]
            under_form = ["units"]
        else:
            # The unit board in front until a call brings the questions.
            triage_rows = [(1.0, ["units", "queue", "triage", "suggestions", "caller_link"])]
            under_form = ["map"]
        return [
            (calls_share, [(1.0, ["calls"])]),
            (form_share, [(form_rows, ["form"]), (1.0 - form_rows, under_form)]),
            (1.0 - calls_share - form_share, triage_rows),
        ]
    # A laptop at 125-200 % (911x512 to 1093x614): the calls and one column of tabs, the
    # questionnaire in front during a call. Stacked, the form left the questions ~140 px
    # (two lines: screenshot); side by side neither fits the width.
    return [
        (max(0.26, 285 / width), [(1.0, ["calls"])]),
        # The map in front until a call brings the questions: a map page loaded hidden stays
        # zoomed out to the whole world.
        (1.0 - max(0.26, 285 / width), [(1.0, ["map", "queue", "triage", "form", "units", "suggestions",
                                                "caller_link"])]),
    ]


def preset_for(screens: int, size: tuple[int, int] = (1920, 1080),
               ) -> dict[str, list[tuple[float, list[tuple[float, list[str]]]]]]:
    """The preset for ``screens`` screens: window name -> columns (width share, rows (height share, tabs)).

    ``size``: the call screen's available size in logical pixels (the one-screen preset
    depends on it). The window names are ``main``, ``desk2``, ``desk3``; a row is a tab group
    (first tab in front; a call brings the questionnaire forward).
    """
    call_screen = [
        (0.20, [(1.0, ["calls"])]),
        (0.80, [(0.34, ["form"]), (0.50, ["triage"]), (0.16, ["queue"])]),
    ]
    if screens <= 1:
        return {MAIN: one_screen_preset(*size)}
    if screens == 2:
        return {
            MAIN: call_screen + [(0.0, [(1.0, ["caller_link"])])],
            "desk2": [
                # The vitals monitor needs ~480 px of height for its ECG, pleth and CO2 rows with the
                # numerics unsqueezed (at 38 % of 1080 the CO2 label ran into its scale: screenshot).
                (0.62, [(0.55, ["map"]), (0.45, ["vitals"])]),
                (0.38, [(0.55, ["units"]), (0.45, ["suggestions"])]),
            ],
        }
    return {
        MAIN: call_screen + [(0.0, [(1.0, ["caller_link"])])],
        "desk2": [(0.66, [(1.0, ["map"])]), (0.34, [(1.0, ["suggestions"])])],
        "desk3": [(0.62, [(1.0, ["vitals"])]), (0.38, [(1.0, ["units"])])],
    }


def ordered_screens() -> list[QScreen]:
    """The screens, the primary (call screen) first, then the others left to right."""
    primary = QGuiApplication.primaryScreen()
    others = sorted((s for s in QGuiApplication.screens() if s is not primary),
                    key=lambda s: (s.geometry().x(), s.geometry().y()))
    return ([primary] if primary is not None else []) + others


class DeskWindow(QMainWindow):
    """A top-level window on another screen holding some of the seat's docks.

    Owned by the main window (deleted with it). Closing it brings its panels home.
    """

    closed = Signal()

    def __init__(self, name: str, owner: QMainWindow) -> None:
        super().__init__(owner, Qt.WindowType.Window)
        self.setObjectName(name)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowNestedDocks
                            | QMainWindow.DockOption.AllowTabbedDocks)
        # The main window's shortcuts (F2 answer, F8 assign, …) work here too.
        self.addActions(owner.actions())

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        event.accept()
        self.closed.emit()


class Workspace(QObject):
    """Arranges, saves and restores the seat's docks over its windows.

    Args:
        main: the call screen's window (it holds every dock at first).
        docks: panel key (a key of :data:`DOCKS`) -> its dock, already added to ``main``.
        path: the seat's saved layout (JSON); None: nothing is saved or restored.
    """

    preset_changed = Signal(int)
    floor_changed = Signal(bool)  # True: the coach has the floor (give it the keyboard focus)

    def __init__(self, main: QMainWindow, docks: dict[str, QDockWidget], path: Path | None) -> None:
        super().__init__(main)
        self.main = main
        self.docks = docks
        self.path = path
        self.preset = 1
        self.desks: dict[str, DeskWindow] = {}
        self.window_screens: dict[str, str] = {}  # window name -> screen name it is shown on
        self._floor_state: QByteArray | None = None  # the call screen's state before the coach took the floor
        self._on_floor = False
        self._floor_owners: dict[str, QMainWindow] = {}
        self._floor_desk_states: dict[str, QByteArray] = {}
        self._resume_state: QByteArray | None = None  # F11 goes back to the coach's floor from the desk
        self._closing = False
        self._pending_sizes: dict[str, list[tuple[QDockWidget, int, int]]] = {}  # applied once shown
        self.layout_actions: list[QAction] = []
        group = QActionGroup(self)
        for count in range(1, MAX_SCREENS + 1):
            action = QAction(self)
            action.setCheckable(True)
            action.triggered.connect(lambda _checked=False, n=count: self.use_preset(n))
            group.addAction(action)
            self.layout_actions.append(action)
        # F11: from the CPR coach to the whole desk (map, suggestions) and back, one key.
        self.floor_action = QAction(self)
        self.floor_action.setShortcut(QKeySequence(Qt.Key.Key_F11))
        self.floor_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.floor_action.triggered.connect(self.toggle_floor)
        main.addAction(self.floor_action)

    # ------------------------------------------------------------ windows
    def windows(self) -> dict[str, QMainWindow]:
        return {MAIN: self.main, **self.desks}

    def window_of(self, key: str) -> QMainWindow:
        """The window holding the dock ``key``."""
        parent = self.docks[key].parentWidget()
        return parent if isinstance(parent, QMainWindow) else self.main

    def _desk(self, name: str) -> DeskWindow:
        desk = self.desks.get(name)
        if desk is None:
            desk = DeskWindow(name, self.main)
            desk.closed.connect(lambda n=name: self._desk_closed(n))
            self.desks[name] = desk
            self.retranslate_ui()
        return desk

    def _desk_closed(self, name: str) -> None:
        if self._closing:
            return
        self._bring_home([k for k in self.docks if self.window_of(k) is self.desks.get(name)])

    # ------------------------------------------------------------ start
    def start(self) -> None:
        """First show: the saved arrangement if it is usable, else the preset for the screens Qt reports."""
        if not self.restore():
            self.use_preset(min(len(ordered_screens()) or 1, MAX_SCREENS), save=False)

    def use_preset(self, screens: int, *, save: bool = True) -> None:
        """Arrange the docks for ``screens`` screens (clamped to the screens there are) and show the windows."""
        available = ordered_screens()
        screens = max(1, min(screens, MAX_SCREENS, len(available) or 1))
        self._on_floor = False
        self._floor_state = None
        home = available[0].availableGeometry()
        plan = preset_for(screens, (home.width(), home.height()))
        self._detach_all()
        for name, columns in plan.items():
            window = self.main if name == MAIN else self._desk(name)
            screen = available[list(plan).index(name)]
            # Arranged at the size it will have on its screen (and never larger than the screen).
            self._fit_to(window, screen)
            self._arrange(window, columns, screen)
        for name, desk in self.desks.items():
            if name not in plan:
                desk.hide()
        placed = {k for columns in plan.values() for _w, rows in columns for _h, tabs in rows for k in tabs}
        for key in self.docks.keys() - placed:
            self._float_over(key, available[0])
        self.preset = screens
        for name, screen in zip(plan, available, strict=False):
            self._show_on(self.windows()[name], screen)
        self._update_actions()
        self.preset_changed.emit(screens)
        if save:
            self.save()

    def _detach_all(self) -> None:
        for dock in self.docks.values():
            owner = dock.parentWidget()
            if isinstance(owner, QMainWindow):
                owner.removeDockWidget(dock)

    def _arrange(self, window: QMainWindow, columns: list[tuple[float, list[tuple[float, list[str]]]]],
                 screen: QScreen) -> None:
        """Columns first (each column's top dock split off to the right of the previous one), then
        the rows of each column under its top dock, then the tabs: a row never spans two columns."""
        area = screen.availableGeometry()
        groups: list[tuple[float, list[tuple[float, list[QDockWidget]]]]] = []
        for width_share, rows in columns:
            kept = [(h, [self.docks[k] for k in tabs if k in self.docks]) for h, tabs in rows]
            kept = [(h, docks) for h, docks in kept if docks]
            if kept:
                groups.append((width_share, kept))
        previous: QDockWidget | None = None
        for _width, rows in groups:
            top = rows[0][1][0]
            if previous is None:
                window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, top)
            else:
                window.splitDockWidget(previous, top, Qt.Orientation.Horizontal)
            previous = top
        sized: list[tuple[QDockWidget, int, int]] = []
        # Every row split off before any tabs are made: splitting a dock that is in a tab group
        # adds the new dock as one more tab (Qt's splitDockWidget), and a tab group above another
        # row lost its first dock off-screen (the queue, the map: screenshot).
        for _width, rows in groups:
            for (_h, above), (_h2, below) in zip(rows, rows[1:], strict=False):
                window.splitDockWidget(above[0], below[0], Qt.Orientation.Vertical)
        for width_share, rows in groups:
            for height_share, docks in rows:
                first = docks[0]
                for other in docks[1:]:
                    window.tabifyDockWidget(first, other)
                for dock in docks:
                    # On a screen of its own the vitals wall shows even before a unit is watched.
                    key = self._key(dock)
                    dock.setVisible(key not in ON_DEMAND or (key == "vitals" and window is not self.main))
                first.raise_()
                sized.append((first, int(area.width() * width_share), int(area.height() * height_share)))
        self._pending_sizes[window.objectName()] = sized

    def bring_forward_for_call(self) -> None:
        """A call was answered: the unit board, then the questionnaire, in front of their tab groups
        (where they share one, on a small screen, the questionnaire wins)."""
        for key in CALL_PANELS:
            self.bring_forward(key)

    def bring_forward(self, key: str) -> None:
        """Show panel ``key`` in front of its tab group (the call screen's triage when a call is answered)."""
        dock = self.docks.get(key)
        if dock is not None and not self._on_floor:
            dock.show()
            dock.raise_()

    def _float_over(self, key: str, screen: QScreen) -> None:
        """A panel without a place in the preset floats over the right half of the call screen, hidden
        until needed. On one 1366x768 screen the vitals wall (a monitor needs ~560x300 px) docked
        anywhere pushed the form or the map out of the window (measured: Qt moved them off-screen)."""
        dock = self.docks[key]
        dock.hide()
        self.main.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        dock.setFloating(True)
        area = screen.availableGeometry()
        dock.setGeometry(QRect(area.x() + int(area.width() * 0.45), area.y() + int(area.height() * 0.12),
                               int(area.width() * 0.54), int(area.height() * 0.84)))
        dock.hide()

    def _apply_sizes(self, window: QMainWindow) -> None:
        sized = self._pending_sizes.pop(window.objectName(), [])
        visible = [(d, w, h) for d, w, h in sized if d.isVisible() and w > 0]
        if visible:
            window.resizeDocks([d for d, _, _ in visible], [w for _, w, _ in visible], Qt.Orientation.Horizontal)
            window.resizeDocks([d for d, _, _ in visible], [h for _, _, h in visible], Qt.Orientation.Vertical)

    @staticmethod
    def _fit_to(window: QMainWindow, screen: QScreen) -> None:
        """The window on ``screen``, the size of its available area."""
        window.setScreen(screen)
        available: QRect = screen.availableGeometry()
        # A window's minimum (the seat's 1000x640) larger than a laptop at 150 % (911x512 logical
        # pixels) pushed its docks over each other and past the screen's edge (screenshot).
        window.setMinimumSize(window.minimumSize().boundedTo(available.size()))
        window.setGeometry(available)

    def _show_on(self, window: QMainWindow, screen: QScreen) -> None:
        """Maximised on ``screen``."""
        self._fit_to(window, screen)
        window.showMaximized()
        self.window_screens[window.objectName() if window is not self.main else MAIN] = screen.name()
        self._apply_sizes(window)

    def _key(self, dock: QDockWidget) -> str:
        return next(k for k, d in self.docks.items() if d is dock)

    def _bring_home(self, keys: Iterable[str]) -> None:
        """Docks whose window is gone or closed go to the call screen, tabbed on the right."""
        keys = list(keys)
        if not keys:
            return
        anchor: QDockWidget | None = None
        for key in keys:
            dock = self.docks[key]
            owner = dock.parentWidget()
            if isinstance(owner, QMainWindow) and owner is not self.main:
                owner.removeDockWidget(dock)
            if anchor is None:
                self.main.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
                anchor = dock
            else:
                self.main.tabifyDockWidget(anchor, dock)
            dock.setVisible(key not in ON_DEMAND)
        anchor.raise_()
        log.info("panels brought home to the call screen: %s", ", ".join(keys))

    # ------------------------------------------------------------ save / restore
    def save(self) -> bool:
        """Write the arrangement to :attr:`path` (if any). Returns False if it could not be written."""
        if self.path is None:
            return False
        state = self._floor_state if self._on_floor else None  # save the desk, not the coach's floor
        windows = {}
        for name, window in self.windows().items():
            if name != MAIN and not window.isVisible():
                continue
            windows[name] = {
                "screen": self.window_screens.get(name) or window.screen().name(),
                "geometry": _b64(window.saveGeometry()),
                "state": _b64(state if (state is not None and window is self.main) else window.saveState()),
            }
        data = {
            "format": LAYOUT_FORMAT,
            "version": LAYOUT_VERSION,
            "preset": self.preset,
            "windows": windows,
            "docks": {key: self._window_name(key) for key in self.docks},
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
            tmp.replace(self.path)
        except OSError as exc:
            log.warning("could not save the seat's layout to %s: %s", self.path, exc)
            return False
        return True

    def _window_name(self, key: str) -> str:
        window = self.window_of(key)
        return MAIN if window is self.main else window.objectName()

    def restore(self) -> bool:
        """Put back the saved arrangement. False (with a warning in the log) if there is none usable."""
        if self.path is None or not self.path.exists():
            return False
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            plan = _validated(data, set(self.docks))
        except (OSError, ValueError, KeyError, TypeError, binascii.Error) as exc:
            log.warning("saved layout %s ignored (%s); using the preset for %d screen(s)",
                        self.path, exc, min(len(ordered_screens()) or 1, MAX_SCREENS))
            return False
        screens = {s.name(): s for s in ordered_screens()}
        home_screen = ordered_screens()[0]
        gone = [name for name, w in plan["windows"].items() if name != MAIN and w["screen"] not in screens]
        if gone:
            log.warning("screen(s) %s of the saved layout are missing; their panels come home",
                        ", ".join(plan["windows"][n]["screen"] for n in gone))
        self._detach_all()
        homeless = [key for key, name in plan["docks"].items()
                    if name != MAIN and (name in gone or name not in plan["windows"])]
        owner = {key: MAIN if key in homeless else name for key, name in plan["docks"].items()}
        for name, desk in self.desks.items():
            if name not in plan["windows"] or name in gone:
                desk.hide()
        # The call screen first: its restoreState finds docks by name among all its descendants
        # (the other windows are its children) and may take theirs, so each window gets its docks
        # back right before its own state is restored.
        for name, saved in sorted(plan["windows"].items(), key=lambda item: item[0] != MAIN):
            if name in gone:
                continue
            window = self.main if name == MAIN else self._desk(name)
            for key, dock in self.docks.items():
                if owner[key] == name and self.window_of(key) is not window:
                    current = dock.parentWidget()
                    if isinstance(current, QMainWindow):
                        current.removeDockWidget(dock)
                    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
            screen = screens.get(saved["screen"], home_screen)
            if not window.restoreState(saved["state"]):
                log.warning("saved layout %s ignored (window %s: state not usable); using the preset",
                            self.path, name)
                return False
            window.setScreen(screen)
            window.restoreGeometry(saved["geometry"])
            if not screen.geometry().intersects(window.geometry()):
                window.setGeometry(screen.availableGeometry())
            window.show()
            self.window_screens[name] = screen.name()
        if homeless:
            self._bring_home(homeless)
        self.preset = max(1, min(int(plan["preset"]), MAX_SCREENS)) if not gone else max(
            1, len(plan["windows"]) - len(gone))
        self._update_actions()
        log.info("seat layout restored from %s", self.path)
        return True

    # ------------------------------------------------------------ the coach's floor
    def coach_floor(self) -> None:
        """The CPR coach becomes the largest thing on the call screen (calls stay, the rest hides)."""
        window = self.window_of("triage")
        if self._on_floor:
            return
        self._floor_state = window.saveState()
        self._floor_owners = {key: self.window_of(key) for key in self.docks}
        self._floor_desk_states = {name: desk.saveState() for name, desk in self.desks.items() if desk.isVisible()}
        self._on_floor = True
        for key, dock in self.docks.items():
            if self.window_of(key) is window and key not in ("triage", "calls"):
                dock.hide()
        triage = self.docks["triage"]
        triage.show()
        triage.raise_()
        calls = self.docks["calls"]
        if calls.isVisible() and self.window_of("calls") is window:
            width = window.width()
            window.resizeDocks([calls, triage], [int(width * 0.2), int(width * 0.8)], Qt.Orientation.Horizontal)
        self._update_actions()
        self.floor_changed.emit(True)

    def leave_floor(self) -> None:
        """The desk as it was before the coach took the floor."""
        if not self._on_floor:
            return
        state, self._floor_state, self._on_floor = self._floor_state, None, False
        if state is not None:
            # restoreState shows the hidden docks and Qt hands the focus to the first of them (the
            # form's address box): keep it where it was (the question the coach went back to).
            focused = QApplication.focusWidget()
            self.window_of("triage").restoreState(state)
            self._give_back(self._floor_owners, self._floor_desk_states)
            if focused is not None and focused.isVisible():
                focused.setFocus(Qt.FocusReason.OtherFocusReason)
        self._update_actions()
        self.floor_changed.emit(False)

    def _give_back(self, owners: dict[str, QMainWindow], states: dict[str, QByteArray]) -> None:
        """After the call screen's restoreState: docks it took from the other windows go back
        (restoreState finds docks by name among all its descendants, the other windows included)."""
        moved = set()
        for key, owner in owners.items():
            if self.window_of(key) is not owner:
                dock = self.docks[key]
                self.window_of(key).removeDockWidget(dock)
                owner.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
                moved.add(owner.objectName())
        for name in moved:
            if name in states:
                self.desks[name].restoreState(states[name])

    def toggle_floor(self) -> None:
        """F11: coach on the floor <-> the whole desk (only while a coach is running)."""
        if self._on_floor:
            state = self._floor_state
            self.leave_floor()
            self._resume_state = state
        elif self._resume_state is not None:
            self._resume_state = None
            self.coach_floor()

    def forget_floor(self) -> None:
        """The coach was left (Esc): the desk comes back and F11 has nothing to return to."""
        self._resume_state = None
        self.leave_floor()

    @property
    def on_floor(self) -> bool:
        return self._on_floor

    # ------------------------------------------------------------ menu
    def fill_menu(self, menu: QMenu) -> None:
        for action in self.layout_actions:
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.floor_action)

    def _update_actions(self) -> None:
        count = len(ordered_screens())
        for number, action in enumerate(self.layout_actions, start=1):
            action.setChecked(number == self.preset)
            action.setEnabled(number <= max(count, 1))

    def retranslate_ui(self) -> None:
        names = (self.tr("One screen"), self.tr("Two screens"), self.tr("Three screens"))
        for action, text in zip(self.layout_actions, names, strict=True):
            action.setText(text)
        self.floor_action.setText(self.tr("CPR coach ↔ whole desk"))
        shortcut_hint(self.floor_action)
        titles = {"desk2": self.tr("dispatch120 — map and units"),
                  "desk3": self.tr("dispatch120 — vitals and units")}
        for name, desk in self.desks.items():
            desk.setWindowTitle(titles.get(name, "dispatch120"))

    def close_all(self) -> None:
        """The main window is closing: save, then close the other windows (without bringing panels home)."""
        self.save()
        self._closing = True
        for desk in self.desks.values():
            desk.close()


def _b64(data: QByteArray) -> str:
    return base64.b64encode(bytes(data)).decode("ascii")


def _validated(data: Any, known_docks: set[str]) -> dict[str, Any]:
    """The saved layout, checked; raises ValueError/KeyError/TypeError on anything not ours."""
    if not isinstance(data, dict) or data.get("format") != LAYOUT_FORMAT:
        raise ValueError("not a dispatch120 layout")
    if data.get("version") != LAYOUT_VERSION:
        raise ValueError(f"layout version {data.get('version')!r}, expected {LAYOUT_VERSION}")
    windows = data["windows"]
    docks = data["docks"]
    if not isinstance(windows, dict) or MAIN not in windows or not isinstance(docks, dict):
        raise ValueError("no call-screen window in the layout")
    if set(docks) != known_docks:
        raise ValueError("the layout's panels are not this seat's panels")
    allowed = {MAIN, *(f"desk{n}" for n in range(2, MAX_SCREENS + 1))}
    checked = {}
    for name, saved in windows.items():
        if name not in allowed or not isinstance(saved, dict) or not isinstance(saved["screen"], str):
            raise ValueError(f"unknown window {name!r}")
        checked[name] = {
            "screen": saved["screen"],
            "geometry": QByteArray(base64.b64decode(saved["geometry"], validate=True)),
            "state": QByteArray(base64.b64decode(saved["state"], validate=True)),
        }
    if any(not isinstance(v, str) or v not in allowed for v in docks.values()):
        raise ValueError("a panel in an unknown window")
    return {"preset": int(data.get("preset", 1)), "windows": checked, "docks": dict(docks)}


def dock(title_owner: QWidget, widget: QWidget, key: str) -> QDockWidget:
    """A dock for ``widget`` with the object name of panel ``key`` (saveState needs it)."""
    result = QDockWidget(title_owner)
    result.setObjectName(DOCKS[key])
    result.setWidget(widget)
    result.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                       | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                       | QDockWidget.DockWidgetFeature.DockWidgetClosable)
    return result
