"""The repeat-call banner: "same number called 12 min ago → incident 3F6D1B2A", "open incident 150 m away".

Shown in the call panel above the current call when :func:`app.domain.location.match_repeats`
finds an open incident this call may be about. Two actions: open the existing
incident in the form (Ctrl+Shift+O) and attach this call to it (Ctrl+Shift+A,
``call.attach``; the call must have been answered). Renders only from the store
and the call it is given; never keeps its own copy of the truth.

GUI thread only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QResizeEvent
from PySide6.QtWidgets import QBoxLayout, QFrame, QLabel, QToolButton, QVBoxLayout, QWidget

from app.domain.location import DEFAULT_REPEAT_RADIUS_M, DEFAULT_REPEAT_WINDOW_S, RepeatMatch, match_repeats
from app.domain.model import CallState
from app.seat.store import SeatStore
from widgets.clock import SeatClock
from widgets.command_runner import CommandRunner
from widgets.keys import shortcut_hint
from widgets.labels import format_distance, format_elapsed


def short_id(incident_id: str | None) -> str:
    return (incident_id or "")[:8].upper()


class RepeatBanner(QFrame):
    """Says that the current call may repeat an open incident; opens it or attaches the call.

    Signals:
        open_requested(str): show this incident in the form (the window wires it).
        attach_requested(str, str): ``(call_id, incident_id)`` — the call is being
            attached (the command is queued); the form should unlink its draft.
    """

    open_requested = Signal(str)
    attach_requested = Signal(str, str)

    def __init__(self, store: SeatStore, runner: CommandRunner, clock: SeatClock,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("RepeatBanner")
        self._store = store
        self._runner = runner
        self._clock = clock
        self.radius_m = DEFAULT_REPEAT_RADIUS_M
        self.window_s = DEFAULT_REPEAT_WINDOW_S
        self._call: dict[str, Any] | None = None
        self.matches: list[RepeatMatch] = []
        self.setStyleSheet(
            "#RepeatBanner { background: #FFF1D6; border: 2px solid #E69F00; border-radius: 4px; }"
            " #RepeatBanner QLabel { color: #000000; }"
        )

        self.open_action = QAction(self)
        self.open_action.setShortcut(QKeySequence(Qt.Modifier.CTRL | Qt.Modifier.SHIFT | Qt.Key.Key_O))
        self.open_action.triggered.connect(self.open_incident)
        self.attach_action = QAction(self)
        self.attach_action.setShortcut(QKeySequence(Qt.Modifier.CTRL | Qt.Modifier.SHIFT | Qt.Key.Key_A))
        self.attach_action.triggered.connect(self.attach)
        for action in (self.open_action, self.attach_action):
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.addActions([self.open_action, self.attach_action])

        self.text = QLabel(self)
        self.text.setObjectName("RepeatText")
        self.text.setWordWrap(True)
        font = self.text.font()
        font.setBold(True)
        self.text.setFont(font)
        self.open_button = QToolButton(self)
        self.open_button.setDefaultAction(self.open_action)
        self.attach_button = QToolButton(self)
        self.attach_button.setObjectName("AttachButton")
        self.attach_button.setDefaultAction(self.attach_action)
        for button in (self.open_button, self.attach_button):
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        # Side by side when they fit, else one above the other (English at 150 % in the calls
        # column: the two labelled buttons need ~400 px, the column has ~280).
        self._buttons = buttons = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.attach_button)
        buttons.addStretch(1)
        self._layout = layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(self.text)
        layout.addLayout(buttons)
        store.events.incident_changed.connect(self._on_incident_changed)
        self.retranslate_ui()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self._fit_buttons()

    def _fit_buttons(self) -> None:
        margins = self._layout.contentsMargins()
        needed = (self.open_button.sizeHint().width() + self.attach_button.sizeHint().width()
                  + self._buttons.spacing() + margins.left() + margins.right())
        direction = (QBoxLayout.Direction.LeftToRight if self.width() >= needed
                     else QBoxLayout.Direction.TopToBottom)
        if self._buttons.direction() != direction:
            self._buttons.setDirection(direction)

    def configure(self, *, radius_m: float, window_s: float) -> None:
        """The centre's repeat rule (settings ``repeat_radius_m``, ``repeat_window_s``)."""
        self.radius_m = radius_m
        self.window_s = window_s
        self.refresh()

    # ------------------------------------------------------------ showing
    def set_call(self, call: dict[str, Any] | None) -> None:
        self._call = call
        self.refresh()

    @property
    def incident_id(self) -> str | None:
        return self.matches[0].incident_id if self.matches else None

    def _on_incident_changed(self, _incident_id: str) -> None:
        self.refresh()

    def refresh(self, now: datetime | None = None) -> None:
        call = self._store.state.calls.get(self._call["call_id"]) if self._call else None
        if call is None or call.get("incident_id"):
            self.matches = []
        else:
            self.matches = match_repeats(
                self._store.state, call, radius_m=self.radius_m, window_s=self.window_s,
                now=now or self._clock.now(),
            )
        self.setVisible(bool(self.matches))
        if not self.matches:
            self.open_action.setEnabled(False)
            self.attach_action.setEnabled(False)
            return
        lines = [self._describe(m) for m in self.matches[:3]]
        self.text.setText("\n".join(lines))
        self.open_action.setEnabled(True)
        answered = call is not None and call["state"] in (CallState.ANSWERED, CallState.ENDED)
        self.attach_action.setEnabled(answered)
        self.attach_button.setToolTip(
            self.attach_action.toolTip() if answered else self.tr("Answer the call first (F2)")
        )

    def _describe(self, match: RepeatMatch) -> str:
        incident = short_id(match.incident_id)
        if match.reason == "same_number":
            return self.tr("Same number called %1 ago → incident %2").replace(
                "%1", format_elapsed(match.since_s)).replace("%2", incident)
        return self.tr("Open incident %1 away → incident %2").replace(
            "%1", format_distance(match.distance_m)).replace("%2", incident)

    # ------------------------------------------------------------ actions
    def open_incident(self) -> bool:
        if self.incident_id is None:
            return False
        self.open_requested.emit(self.incident_id)
        return True

    def attach(self) -> bool:
        """Attach the current call to the (first) matching incident: ``call.attach``."""
        if self._call is None or self.incident_id is None or not self.attach_action.isEnabled():
            if self._call is not None and self.incident_id is not None:
                self._runner.notify(self.tr("Answer the call first (F2)"))
            return False
        call_id, incident_id = self._call["call_id"], self.incident_id
        command_id = self._runner.run(
            self._runner.commands.attach_call,
            lambda: self.tr("Attaching the call to incident %1").replace("%1", short_id(incident_id)),
            call_id=call_id,
            incident_id=incident_id,
        )
        if command_id is None:
            return False
        self.attach_requested.emit(call_id, incident_id)
        return True

    # ------------------------------------------------------------ language
    def retranslate_ui(self) -> None:
        self.open_action.setText(self.tr("Open incident"))
        self.attach_action.setText(self.tr("Attach call to it"))
        for action in (self.open_action, self.attach_action):
            shortcut_hint(action)
        self._fit_buttons()  # the other language's labels have other widths
        self.refresh()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate_ui()
        super().changeEvent(event)
