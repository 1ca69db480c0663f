"""A non-blocking message strip: server errors and notices, never a modal dialog.

A dispatcher on a call must not have the focus stolen by a dialog, so errors
(``command_failed`` from the server, input refused locally) appear here, in a
fixed-height strip under the banner (fixed, so the layout never jumps while
someone types). The newest message is shown; earlier ones are in the tooltip and
in :attr:`MessageArea.history`. Notices fade after :data:`NOTICE_LIFETIME_S`;
errors stay until dismissed (the × button) or replaced.

GUI thread only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

NOTICE_LIFETIME_S = 15
HISTORY_LENGTH = 50


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Message:
    level: Level
    text: str
    at: datetime


class MessageArea(QFrame):
    """Shows the newest message; :meth:`show_message` never blocks or takes the focus.

    Signals:
        dismissed(): the dispatcher closed the message (the × button).
    """

    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("MessageArea")
        self.setProperty("level", "none")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.history: list[Message] = []
        self._current: Message | None = None
        self._time = QLabel(self)
        self._time.setObjectName("MessageTime")
        self._text = QLabel(self)
        self._text.setObjectName("MessageText")
        self._text.setTextFormat(Qt.TextFormat.PlainText)
        self._text.setWordWrap(False)
        self._dismiss = QToolButton(self)
        self._dismiss.setText("×")
        self._dismiss.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._dismiss.clicked.connect(self._on_dismiss_clicked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 2, 4, 2)
        layout.addWidget(self._time)
        layout.addWidget(self._text, 1)
        layout.addWidget(self._dismiss)
        self.setFixedHeight(34)
        self.retranslate_ui()

    # ------------------------------------------------------------ API
    def show_message(self, text: str, level: Level = Level.ERROR, *, at: datetime | None = None) -> None:
        """Show ``text`` now (GUI thread). Earlier messages go to the history."""
        message = Message(Level(level), text, at or datetime.now().astimezone())
        self.history.append(message)
        del self.history[:-HISTORY_LENGTH]
        self._current = message
        self._render()

    def dismiss(self) -> None:
        self._current = None
        self._render()

    def _on_dismiss_clicked(self) -> None:
        self.dismiss()
        self.dismissed.emit()

    @property
    def current_text(self) -> str:
        return self._current.text if self._current else ""

    def tick(self, now: datetime) -> None:
        """Called once a second by the window: notices fade, errors stay."""
        current = self._current
        if current is None or current.level == Level.ERROR:
            return
        if (now - current.at).total_seconds() > NOTICE_LIFETIME_S:
            self.dismiss()

    # ------------------------------------------------------------ rendering
    def _render(self) -> None:
        current = self._current
        level = current.level.value if current else "none"
        if self.property("level") != level:
            self.setProperty("level", level)
            # The children's rules depend on this frame's property: re-polish them too.
            for widget in (self, self._time, self._text, self._dismiss):
                widget.style().unpolish(widget)
                widget.style().polish(widget)
        self._time.setText(current.at.strftime("%H:%M:%S") if current else "")
        self._text.setText(current.text if current else self.tr("No messages"))
        self._dismiss.setVisible(current is not None)
        earlier = [f"{m.at:%H:%M:%S}  {m.text}" for m in reversed(self.history[-10:])]
        self.setToolTip("\n".join(earlier))

    def retranslate_ui(self) -> None:
        self._dismiss.setToolTip(self.tr("Dismiss this message"))
        self._render()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate_ui()
        super().changeEvent(event)
