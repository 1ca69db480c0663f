"""The banner across the top of the seat: link, pending commands, training, seat, clock.

The link state is the largest text on the screen. Offline (or a refused login)
turns the whole banner red with the number of commands waiting to be sent, so
it cannot be missed; connecting/syncing is amber; online is green. In training
(``--simulate``) a purple "TRAINING" block sits in the banner (and the window
title says so too), so a trainee never mistakes simulated calls for live ones.

GUI thread only. The clock is refreshed by the window's tick.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

from app.domain.model import SeatState
from app.seat.store import ConnectionStatus, Link, SeatStore
from widgets.keys import set_style_property
from widgets.labels import link_colours, link_text, seat_reason_text, seat_state_colours, seat_state_text


class StatusBanner(QFrame):
    """Shows the store's link and this seat's state; the ready toggle is the window's F5 action."""

    def __init__(self, store: SeatStore, ready_action: QAction, *, training: bool = False,
                 seat_id: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("StatusBanner")
        self._store = store
        self._training = training
        self._configured_seat_id = seat_id

        self.link_label = QLabel(self)
        self.link_label.setObjectName("LinkLabel")
        self.pending_label = QLabel(self)
        self.pending_label.setObjectName("PendingLabel")
        self.training_label = QLabel(self)
        self.training_label.setObjectName("TrainingLabel")
        self.training_label.setVisible(training)
        self.seat_label = QLabel(self)
        self.seat_label.setObjectName("SeatLabel")
        self.seat_state_label = QLabel(self)
        self.seat_state_label.setObjectName("SeatStateLabel")
        self.ready_button = QToolButton(self)
        self.ready_button.setObjectName("ReadyButton")
        self.ready_button.setDefaultAction(ready_action)
        self.ready_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.ready_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.clock_label = QLabel(self)
        self.clock_label.setObjectName("ClockLabel")

        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 6)
        layout.setSpacing(16)
        layout.addWidget(self.link_label)
        layout.addWidget(self.pending_label)
        layout.addWidget(self.training_label)
        layout.addStretch(1)
        layout.addWidget(self.seat_label)
        layout.addWidget(self.seat_state_label)
        layout.addWidget(self.ready_button)
        layout.addWidget(self.clock_label)

        store.events.connection_changed.connect(self._on_connection_changed)
        store.events.seat_changed.connect(self._on_seat_changed)
        store.events.welcomed.connect(self.render)  # takes no argument: psygnal drops the principal
        store.events.state_reset.connect(self.render)
        self.retranslate_ui()

    # ------------------------------------------------------------ rendering
    @property
    def seat_id(self) -> str | None:
        return self._store.seat_id or self._configured_seat_id

    def seat_state(self) -> str:
        """This seat's state as the server last said (``offline`` until then)."""
        if self._store.connection.link != Link.ONLINE and self._store.connection.link != Link.SYNCING:
            return SeatState.OFFLINE.value
        seat = self._store.state.seats.get(self.seat_id or "")
        return seat["state"] if seat else SeatState.OFFLINE.value

    def render(self) -> None:
        status = self._store.connection
        link = status.link
        set_style_property(self, "link", link.value)
        colours = link_colours(link)
        self.setStyleSheet(
            f"#StatusBanner {{ background: {colours.background}; }}"
            f" #StatusBanner > QLabel#LinkLabel, #StatusBanner > QLabel#PendingLabel"
            f" {{ color: {colours.foreground}; }}"
        )
        self.link_label.setText(link_text(link))
        self.link_label.setToolTip(self._link_tooltip(status))
        self.pending_label.setText(self._pending_text(status))
        seat_id = self.seat_id or "—"
        name = (self._store.me or {}).get("name") if self._store.me else None
        self.seat_label.setText(self.tr("Seat %1").replace("%1", f"{seat_id} · {name}" if name and name != seat_id
                                                          else seat_id))
        state = self.seat_state()
        # Offline, the server cannot know this seat as ready: the red bar says it all.
        self.seat_state_label.setVisible(link in (Link.ONLINE, Link.SYNCING))
        seat = self._store.state.seats.get(self.seat_id or "")
        reason = seat_reason_text(seat.get("reason")) if seat and state != SeatState.OFFLINE else ""
        self.seat_state_label.setText(seat_state_text(state) + (f" ({reason})" if reason else ""))
        seat_colours = seat_state_colours(state)
        self.seat_state_label.setStyleSheet(
            f"background: {seat_colours.background}; color: {seat_colours.foreground};"
        )

    def _pending_text(self, status: ConnectionStatus) -> str:
        if status.link in (Link.OFFLINE, Link.AUTH_FAILED):
            text = self.tr("%n command(s) waiting to be sent", "", status.pending)
            if status.link == Link.AUTH_FAILED:
                return self.tr("the server refused this seat's credentials") + " — " + text
            if status.retry_in_s is not None:
                text += " — " + self.tr("retry in %1 s").replace("%1", str(max(0, round(status.retry_in_s))))
            return text
        if status.pending:
            return self.tr("%n command(s) being sent", "", status.pending)
        return ""

    def _link_tooltip(self, status: ConnectionStatus) -> str:
        lines = [link_text(status.link)]
        if status.detail:
            lines.append(status.detail)
        if status.link in (Link.OFFLINE, Link.AUTH_FAILED):
            lines.append(self.tr("Calls and incidents typed now are kept and sent when the link returns."))
        return "\n".join(lines)

    def tick(self, now: datetime) -> None:
        """Once a second: the clock."""
        self.clock_label.setText(now.astimezone().strftime("%H:%M:%S"))

    # ------------------------------------------------------------ store events
    def _on_connection_changed(self, _status: ConnectionStatus) -> None:
        self.render()

    def _on_seat_changed(self, seat_id: str) -> None:
        if seat_id == self.seat_id:
            self.render()

    # ------------------------------------------------------------ language
    def retranslate_ui(self) -> None:
        self.training_label.setText(self.tr("TRAINING — simulated calls, not live"))
        self.training_label.setToolTip(
            self.tr("This seat is connected to a training server with simulated calls and ambulances.")
        )
        self.clock_label.setToolTip(self.tr("Local time"))
        self.render()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate_ui()
        super().changeEvent(event)
