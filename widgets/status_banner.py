"""The banner across the top of the seat: link, pending commands, training, seat, clock.

The link state is the largest text on the screen. Offline (or a refused login)
turns the whole banner red with the number of commands waiting to be sent, so
it cannot be missed; connecting/syncing is amber; online is green. In training
(``--simulate``) a purple "TRAINING" block sits in the banner (and the window
title says so too), so a trainee never mistakes simulated calls for live ones.

On a narrow desk (1366x768 at 150 % is 911 logical px wide) the banner gives way in a fixed
order so the link state, the ready/busy state with the F5 button and the clock stay whole:
first tighter margins, then the short training marker ("TRAINING"), then the seat name
(the seat id alone, then elided). Whatever is shortened keeps its whole text in its
tooltip. The count of commands waiting to be sent is never shortened: offline, it is what
the red banner is for (and the seat's state, hidden offline, leaves it room).

GUI thread only. The clock is refreshed by the window's tick.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction, QResizeEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

from app.domain.model import SeatState
from app.seat.store import ConnectionStatus, Link, SeatStore
from widgets.keys import set_style_property
from widgets.labels import link_colours, link_text, seat_reason_text, seat_state_colours, seat_state_text


class StatusBanner(QFrame):
    """Shows the store's link and this seat's state; the ready toggle is the window's F5 action."""

    MARGINS = (12, 6, 12, 6)
    SPACING = 16
    # A narrow desk: what a 911 px wide banner can spare (measured at 1366x768, 150 %).
    TIGHT_MARGINS = (4, 4, 4, 4)
    TIGHT_SPACING = 6

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

        self._full_seat_text = ""
        self._short_seat_text = ""
        self._full_pending_text = ""
        self._training_text = self._training_short_text = self._training_tooltip = ""
        layout = QHBoxLayout(self)
        layout.setContentsMargins(*self.MARGINS)
        layout.setSpacing(self.SPACING)
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
        self._full_pending_text = self._pending_text(status)
        seat_id = self.seat_id or "—"
        name = (self._store.me or {}).get("name") if self._store.me else None
        self._full_seat_text = self.tr("Seat %1").replace("%1", f"{seat_id} · {name}" if name and name != seat_id
                                                          else seat_id)
        self._short_seat_text = self.tr("Seat %1").replace("%1", seat_id)
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
        self.fit()

    # ------------------------------------------------------------ narrow desks
    def needed_width(self) -> int:
        """The width the banner's visible parts ask for, at their current texts and margins."""
        layout = self.layout()
        margins = layout.contentsMargins()
        shown = [layout.itemAt(i).widget() for i in range(layout.count())]
        widths = [w.sizeHint().width() for w in shown if w is not None and not w.isHidden()]
        return margins.left() + margins.right() + sum(widths) + layout.spacing() * max(len(widths) - 1, 0)

    def fit(self) -> None:
        """Give way, in order, until the banner fits its width (see the module's docstring)."""
        layout = self.layout()
        # The layout's share: the style sheet's border sits outside it.
        width = self.contentsRect().width() if self.testAttribute(Qt.WidgetAttribute.WA_Resized) else 1 << 20
        layout.setContentsMargins(*self.MARGINS)
        layout.setSpacing(self.SPACING)
        self.training_label.setText(self._training_text)
        self.training_label.setToolTip(self._training_tooltip)
        self.seat_label.setText(self._full_seat_text)
        self.seat_label.setToolTip(self._full_seat_text)
        self.pending_label.setText(self._full_pending_text)
        steps = [
            lambda: (layout.setContentsMargins(*self.TIGHT_MARGINS), layout.setSpacing(self.TIGHT_SPACING)),
            lambda: self.training_label.setText(self._training_short_text),
            lambda: self.seat_label.setText(self._short_seat_text),
            lambda: self._elide(self.seat_label, self._short_seat_text, width),
        ]
        for step in steps:
            if self.needed_width() <= width:
                break
            step()

    def _elide(self, label: QLabel, text: str, width: int) -> None:
        """Shorten ``label`` by what the banner lacks, down to "…" (its tooltip keeps the whole text)."""
        label.setText(text)
        overflow = self.needed_width() - width
        if overflow <= 0 or not text:
            return
        metrics = label.fontMetrics()
        room = max(metrics.horizontalAdvance(text) - overflow, metrics.horizontalAdvance("…"))
        label.setText(metrics.elidedText(text, Qt.TextElideMode.ElideRight, room))

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.fit()

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
        self._training_text = self.tr("TRAINING — simulated calls, not live")
        self._training_short_text = self.tr("TRAINING")
        self._training_tooltip = self._training_text + "\n" + self.tr(
            "This seat is connected to a training server with simulated calls and ambulances.")
        self.clock_label.setToolTip(self.tr("Local time"))
        self.render()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate_ui()
        super().changeEvent(event)
