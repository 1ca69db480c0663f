"""The call panel: calls ringing or answered at this seat, and the centre's queue.

Top: this seat's calls (ringing ones flash gently), with caller number, caller
name and location when the phone switch knows them, and the time since the
call came in. F2 (or Enter on the list) answers, F4 hangs up. In a training centre
the simulated caller's words show under the calls, and F3 goes to a one-line box where
the trainee types a free question to the caller (``training.ask``). Below: calls
waiting for a seat or ringing at another one, with their count and the longest
wait; Enter on one of them picks it up here.

On a small desk (1366x768 at 150 %: ~370 px of height for the panel) the call being
handled stays whole and the F2/F4 buttons and the queue's count stay on screen: the lists
are sized by their rows (:class:`CallList`), the queue's list shrinks first, and where the
whole panel still does not fit, its two titles go (:meth:`CallPanel.fit`).

Renders only from the store (``call_changed``, ``state_reset``, ``welcomed``);
answering sends ``call.answer`` and tells the window (``call_answered``) so the
incident form can open at once, before the server's event returns. Times are
refreshed by the window's one-second tick (:meth:`CallPanel.tick`).

GUI thread only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QAction, QBrush, QColor, QFont, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSizePolicy,
    QSpacerItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.model import CallState
from app.protocol.training import ASK_MAX
from app.seat.store import SeatStore
from widgets.clock import SeatClock
from widgets.command_runner import CommandRunner
from widgets.delegates import KeepColourDelegate
from widgets.keys import set_style_property, shortcut_hint
from widgets.labels import call_state_text, format_elapsed
from widgets.location_panel import CallLocationView
from widgets.repeat_banner import RepeatBanner

CALL_ID_ROLE = Qt.ItemDataRole.UserRole + 1
# The ringing call alternates between these two every second: noticeable, not aggressive.
RING_COLOURS = (QColor("#FFE9A8"), QColor("#FFD35C"))
ANSWERED_COLOUR = QColor("#D7ECFF")


class CallList(QListWidget):
    """A list of calls sized by its rows, so a small desk shrinks the panel without clipping a call.

    A plain QListWidget asks for 192 px whatever it holds and may be squeezed below one row;
    on a 1366x768 laptop at 150 % the call panel has ~370 px for everything, and a squeezed
    list cut the own call's status line ("on the line 0:42") in half. This list's minimum is
    its tallest row up to ``min_rows`` (the call being handled is always whole), its size
    hint the rows up to ``hint_rows`` (``0``: the minimum, so the layout gives it only space
    left over — the queue shrinks first). Rows wrap at the list's width, so a new width
    asks the layout again.
    """

    def __init__(self, parent: QWidget | None = None, *, min_rows: int, hint_rows: int,
                 empty_lines: float = 1.0) -> None:
        super().__init__(parent)
        self._min_rows = min_rows
        self._hint_rows = hint_rows
        self._empty_lines = empty_lines
        self._fitted_width = -1
        policy = self.sizePolicy()
        policy.setVerticalPolicy(QSizePolicy.Policy.Preferred)
        self.setSizePolicy(policy)
        self.model().rowsInserted.connect(self.updateGeometry)
        self.model().rowsRemoved.connect(self.updateGeometry)
        self.model().modelReset.connect(self.updateGeometry)

    def rows_height(self, rows: int) -> int:
        """The height the first ``rows`` rows take at the current width, frame included."""
        frame = 2 * self.frameWidth()
        shown = min(rows, self.count())
        if shown == 0:
            return frame + round(self.fontMetrics().lineSpacing() * self._empty_lines) + 4
        self.executeDelayedItemsLayout()
        heights = [self.visualItemRect(self.item(row)).height() or self.sizeHintForRow(row)
                   for row in range(self.count())]
        # The minimum keeps the tallest row whole (the selected call may be any of them).
        tallest = sorted(heights, reverse=True)[:shown] if rows == self._min_rows else heights[:shown]
        return frame + sum(tallest) + 2 * self.spacing() * shown

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(super().minimumSizeHint().width(), self.rows_height(self._min_rows))

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        rows = self._hint_rows or self._min_rows
        return QSize(super().sizeHint().width(), max(self.rows_height(rows), self.rows_height(self._min_rows)))

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        if event.size().width() != self._fitted_width:  # rows re-wrap: their heights change
            self._fitted_width = event.size().width()
            self.updateGeometry()


class CallPanel(QWidget):
    """This seat's calls and the waiting queue.

    Signals:
        call_answered(dict): the dispatcher answered this call here (the command is
            queued; the server's ``call.answered`` event follows).
        answer_refused(str): the server refused to give this call (its id) to this seat.
    """

    call_answered = Signal(dict)
    answer_refused = Signal(str)

    QUEUE_GAP = 8  # px between the own calls and the queue

    def __init__(self, store: SeatStore, runner: CommandRunner, clock: SeatClock,
                 parent: QWidget | None = None, *, training: bool = False) -> None:
        super().__init__(parent)
        self._training = training
        self.setObjectName("CallPanel")
        self._store = store
        self._runner = runner
        self._clock = clock
        self._flash = False
        self.compact = False  # titles hidden to fit a small desk (see fit)
        # call id -> command id of an answer/hang-up sent and not yet confirmed.
        self._answering: dict[str, str] = {}

        self.answer_action = QAction(self)
        self.answer_action.setShortcut(QKeySequence(Qt.Key.Key_F2))
        self.answer_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.answer_action.triggered.connect(self.answer)
        self.hangup_action = QAction(self)
        self.hangup_action.setShortcut(QKeySequence(Qt.Key.Key_F4))
        self.hangup_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.hangup_action.triggered.connect(self.hang_up)
        # Training only: F3 goes to the box where the trainee types a question to the caller.
        # (No key outside training: the seat's shortcut list, F1, shows only keys that work.)
        self.ask_action = QAction(self)
        if training:
            self.ask_action.setShortcut(QKeySequence(Qt.Key.Key_F3))
        self.ask_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.ask_action.triggered.connect(self.focus_ask)
        self.ask_action.setVisible(training)
        self.addActions([self.answer_action, self.hangup_action, self.ask_action])

        self._title = QLabel(self)
        self._title.setObjectName("PanelTitle")
        # The own calls: the tallest one always whole, room for two before the queue grows.
        self.my_calls = CallList(self, min_rows=1, hint_rows=2, empty_lines=0.5)
        self.my_calls.setObjectName("MyCalls")
        self.my_calls.setWordWrap(True)
        self.my_calls.itemActivated.connect(self._on_my_call_activated)
        self.my_calls.setItemDelegate(KeepColourDelegate(self.my_calls))
        self._empty = QLabel(self)
        self._empty.setObjectName("EmptyHint")
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty.setWordWrap(True)
        answer_button = QToolButton(self)
        answer_button.setObjectName("AnswerButton")
        answer_button.setDefaultAction(self.answer_action)
        answer_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        hangup_button = QToolButton(self)
        hangup_button.setObjectName("HangupButton")
        hangup_button.setDefaultAction(self.hangup_action)
        hangup_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for button in (answer_button, hangup_button):
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keys are F2/F4; Tab skips the buttons
        self._queue_title = QLabel(self)
        self._queue_title.setObjectName("PanelTitle")
        self._queue_summary = QLabel(self)
        self._queue_summary.setObjectName("QueueSummary")
        # The queue's list gets what is left, down to one line; its count and longest wait
        # stay in the summary line above it.
        self.waiting = CallList(self, min_rows=0, hint_rows=0, empty_lines=1.0)
        self.waiting.setObjectName("WaitingCalls")
        self.waiting.itemActivated.connect(self._on_waiting_activated)
        self.waiting.setWordWrap(True)
        for view in (self.my_calls, self.waiting):
            view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            view.setTextElideMode(Qt.TextElideMode.ElideRight)

        # What the caller said on the current call, newest last (in a training centre the
        # simulated caller's replies, ``call["caller_said"]``); hidden while there is none.
        self._caller_title = QLabel(self)
        self._caller_title.setObjectName("PanelTitle")
        self.caller_said = CallList(self, min_rows=1, hint_rows=3)
        self.caller_said.setObjectName("CallerSaid")
        self.caller_said.setWordWrap(True)
        self.caller_said.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # read while talking; Tab skips it
        self.caller_said.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._caller_title.setVisible(False)
        self.caller_said.setVisible(False)
        self.ask_box = QLineEdit(self)
        self.ask_box.setObjectName("AskCaller")
        self.ask_box.setMaxLength(ASK_MAX)
        self.ask_box.setClearButtonEnabled(True)
        self.ask_box.returnPressed.connect(self.ask)
        self.ask_box.setVisible(training)

        # Where the current call is from, and whether it repeats an open incident.
        self.location = CallLocationView(clock, self)
        self.repeat_banner = RepeatBanner(store, runner, clock, self)
        self.my_calls.currentItemChanged.connect(lambda *_args: self._show_current_call())

        buttons = QHBoxLayout()
        buttons.addWidget(answer_button)
        buttons.addWidget(hangup_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._title)
        layout.addWidget(self.my_calls, 1)
        layout.addWidget(self._empty)
        layout.addWidget(self._caller_title)
        layout.addWidget(self.caller_said, 2)
        layout.addWidget(self.ask_box)
        layout.addWidget(self.repeat_banner)
        layout.addWidget(self.location)
        layout.addLayout(buttons)
        self._queue_gap = QSpacerItem(0, self.QUEUE_GAP, QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
        layout.addItem(self._queue_gap)
        layout.addWidget(self._queue_title)
        layout.addWidget(self._queue_summary)
        layout.addWidget(self.waiting, 2)

        store.events.call_changed.connect(self._on_call_changed)
        store.events.state_reset.connect(self.refresh)
        store.events.welcomed.connect(self.refresh)  # takes no argument: psygnal drops the principal
        store.events.command_failed.connect(self._on_command_failed)
        store.events.command_acked.connect(self._on_command_acked)
        self.retranslate_ui()

    # ------------------------------------------------------------ actions
    def answer(self) -> bool:
        """Answer a call here (F2). Returns False if there was nothing to answer.

        Which call: the selected one in this seat's list if it rings, else the oldest
        ringing here, else the one selected in the queue (when the queue list has the
        focus), else the longest-waiting queued call (picked up from the queue).
        """
        call = self._selected_call(self.my_calls, CallState.RINGING)
        if call is None:
            ringing = [c for c in self._store.my_calls() if c["state"] == CallState.RINGING]
            call = ringing[0] if ringing else None
        if call is None and self.waiting.hasFocus():
            call = self._selected_call(self.waiting, None)
        if call is None:
            queued = [c for c in self._store.waiting_calls() if c["state"] == CallState.QUEUED]
            call = queued[0] if queued else None
        if call is None:
            self._runner.notify(self.tr("No call is ringing."))
            return False
        return self._answer(call)

    def _answer(self, call: dict[str, Any]) -> bool:
        if call["call_id"] in self._answering:
            return False  # already sent; the event is on its way
        number = call["caller_number"]
        command_id = self._runner.run(
            self._runner.commands.answer_call,
            lambda: self.tr("Answering the call from %1").replace("%1", number),
            call_id=call["call_id"],
        )
        if command_id is None:
            return False
        self._answering[call["call_id"]] = command_id
        self.refresh()
        self.call_answered.emit(dict(call))
        return True

    def hang_up(self) -> bool:
        """End the call answered here (F4): the selected one, else the oldest answered."""
        call = self._selected_call(self.my_calls, CallState.ANSWERED)
        if call is None:
            answered = [c for c in self._store.my_calls() if c["state"] == CallState.ANSWERED]
            call = answered[0] if answered else None
        if call is None:
            self._runner.notify(self.tr("No answered call to hang up."))
            return False
        number = call["caller_number"]
        command_id = self._runner.run(
            self._runner.commands.end_call,
            lambda: self.tr("Hanging up the call from %1").replace("%1", number),
            call_id=call["call_id"],
        )
        return command_id is not None

    def focus_ask(self) -> bool:
        """F3 (training): put the cursor in the "ask the caller" box. False without a call to ask about."""
        if not self._training or not self.ask_box.isEnabled():
            return False
        self.ask_box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        return True

    def ask(self) -> bool:
        """Enter in the box (training): send the typed question to the caller of the current call.

        The box is cleared once the question is queued; the server's ``training.asked``
        puts it in the conversation and the caller's reply follows.
        """
        call = self._askable_call()
        text = self.ask_box.text().strip()
        if call is None or not text:
            return False
        command_id = self._runner.run(
            self._runner.commands.ask_caller, lambda: self.tr("Asking the caller"), call_id=call["call_id"], text=text
        )
        if command_id is None:
            return False
        self.ask_box.clear()
        return True

    def _askable_call(self) -> dict[str, Any] | None:
        call = self.current_call()
        if not self._training or call is None or call["state"] != CallState.ANSWERED:
            return None
        return call

    def _selected_call(self, view: QListWidget, state: str | None) -> dict[str, Any] | None:
        item = view.currentItem()
        if item is None or not item.isSelected():
            return None
        call = self._store.state.calls.get(item.data(CALL_ID_ROLE))
        if call is None or (state is not None and call["state"] != state):
            return None
        return call

    def _on_my_call_activated(self, item: QListWidgetItem) -> None:
        call = self._store.state.calls.get(item.data(CALL_ID_ROLE))
        if call is not None and call["state"] == CallState.RINGING:
            self._answer(call)

    def _on_waiting_activated(self, item: QListWidgetItem) -> None:
        call = self._store.state.calls.get(item.data(CALL_ID_ROLE))
        if call is not None and call["state"] in (CallState.QUEUED, CallState.RINGING):
            self._answer(call)

    # ------------------------------------------------------------ store events
    def _on_call_changed(self, call_id: str) -> None:
        call = self._store.state.calls.get(call_id)
        if call is None or call["state"] not in (CallState.QUEUED, CallState.RINGING):
            self._answering.pop(call_id, None)
        self.refresh()

    def _on_command_failed(self, command_id: str | None, code: str, message: str) -> None:
        for call_id, pending in list(self._answering.items()):
            if pending == command_id:
                del self._answering[call_id]
                self.refresh()
                self.answer_refused.emit(call_id)

    def _on_command_acked(self, command_id: str, seq: int) -> None:
        # An answer acked with nothing to do (already answered here) ends the wait too.
        # The store emits the ack once it holds the command's events.
        for call_id, pending in list(self._answering.items()):
            if pending == command_id:
                call = self._store.state.calls.get(call_id)
                if call is None or call["state"] not in (CallState.QUEUED, CallState.RINGING):
                    del self._answering[call_id]
                    self.refresh()

    # ------------------------------------------------------------ rendering
    def refresh(self) -> None:
        """Rebuild both lists from the store, keeping the selection."""
        now = self._clock.now()
        mine = self._store.my_calls()
        # The "no call" hint goes before a call's row and location strip come in, and comes back
        # after they went: showing a widget lays the panel out at once (QWidget.setVisible activates
        # the layouts up to the window), and with the hint and a call both in it the panel asked
        # 40 px more than it ever needs (372 px under 911x512's 386 px calls column). Qt stretched
        # the calls dock past the window's bottom edge to that height and kept it there.
        if mine:
            self._empty.setVisible(False)
        self._fill(self.my_calls, mine, now, mine=True)
        my_ids = {c["call_id"] for c in mine}
        others = [c for c in self._store.waiting_calls() if c["call_id"] not in my_ids]
        self._fill(self.waiting, others, now, mine=False)
        self._update_queue_summary(others, now)
        self._show_current_call(now)
        self._empty.setVisible(not mine)
        self.fit()  # a call, the location strip or the conversation came or went

    def current_call(self) -> dict[str, Any] | None:
        """The call the dispatcher is looking at: selected in this seat's list, else the first."""
        item = self.my_calls.currentItem() or (self.my_calls.item(0) if self.my_calls.count() else None)
        return self._store.state.calls.get(item.data(CALL_ID_ROLE)) if item is not None else None

    def _show_current_call(self, now: datetime | None = None) -> None:
        call = self.current_call()
        self.location.set_call(call, now)
        self.repeat_banner.set_call(call)
        self._show_caller_said(call)
        self.ask_box.setEnabled(self._askable_call() is not None)
        self.ask_action.setEnabled(self.ask_box.isEnabled())

    def caller_lines(self) -> list[str]:
        """The conversation with the caller on the current call, as displayed, oldest first."""
        return [self.caller_said.item(row).text() for row in range(self.caller_said.count())]

    def _show_caller_said(self, call: dict[str, Any] | None) -> None:
        # The caller's words and, in training, the questions the trainee typed, in the order
        # the server recorded them (a question sorts before a reply stamped the same instant).
        said = [(line["at"], 1, line) for line in (call or {}).get("caller_said") or []]
        said += [(line["at"], 0, line) for line in (call or {}).get("asked") or []]
        said.sort(key=lambda entry: (entry[0], entry[1]))
        if len(said) != self.caller_said.count() or (said and self.caller_said.property("call_id") != call["call_id"]):
            self.caller_said.clear()
            for _at, from_caller, line in said:
                if from_caller:
                    # Spoken words and typed ones (a deaf caller's text) are told apart at a glance.
                    mark = "✉" if line.get("via") == "chat" else "🗣"
                    item = QListWidgetItem(f"{mark} {line['zh']}\n{line['en']}")
                else:
                    item = QListWidgetItem(self.tr("You asked: %1").replace("%1", line["text"]))
                    item.setForeground(QBrush(QColor("#455A64")))
                item.setToolTip(item.text())
                self.caller_said.addItem(item)
            self.caller_said.setProperty("call_id", call["call_id"] if call else None)
            self.caller_said.scrollToBottom()
        self._caller_title.setVisible(bool(said))
        self.caller_said.setVisible(bool(said))

    def _fill(self, view: QListWidget, calls: list[dict[str, Any]], now: datetime, *, mine: bool) -> None:
        selected = view.currentItem().data(CALL_ID_ROLE) if view.currentItem() else None
        view.setUpdatesEnabled(False)
        view.clear()
        for call in calls:
            item = QListWidgetItem()
            item.setData(CALL_ID_ROLE, call["call_id"])
            if mine:
                font = QFont(view.font())
                font.setPointSizeF(font.pointSizeF() * 1.15)
                font.setBold(call["state"] == CallState.RINGING)
                item.setFont(font)
            self._render_item(item, call, now, mine=mine)
            view.addItem(item)
            if call["call_id"] == selected:
                view.setCurrentItem(item)
        if mine and view.currentItem() is None and view.count():
            view.setCurrentRow(0)
        view.setUpdatesEnabled(True)

    def _render_item(self, item: QListWidgetItem, call: dict[str, Any], now: datetime, *, mine: bool) -> None:
        state = call["state"]
        # Answered: how long the dispatcher has been talking; otherwise how long the caller waits.
        since = call.get("answered_at") if state == CallState.ANSWERED else call.get("received_at")
        elapsed = format_elapsed(self._clock.elapsed_s(since, now))
        status = call_state_text(state)
        if call["call_id"] in self._answering and state in (CallState.QUEUED, CallState.RINGING):
            status = self.tr("Answering…")
        elif not mine and state == CallState.RINGING:
            status = self.tr("Ringing at %1").replace("%1", str(call.get("seat_id") or "?"))
        who = " · ".join(t for t in (call.get("caller_name"), call.get("location_text")) if t)
        lines = [f"☎ {call['caller_number']}", f"{status}  {elapsed}"]
        if who:
            lines.insert(1, who)
        item.setText("\n".join(lines))
        item.setToolTip("\n".join(lines))
        if mine and state == CallState.RINGING:
            item.setBackground(QBrush(RING_COLOURS[1 if self._flash else 0]))
        elif mine and state == CallState.ANSWERED:
            item.setBackground(QBrush(ANSWERED_COLOUR))

    def _update_queue_summary(self, others: list[dict[str, Any]], now: datetime) -> None:
        if not others:
            self._queue_summary.setText(self.tr("No calls waiting."))
            set_style_property(self._queue_summary, "alert", False)
        else:
            longest = max(self._clock.elapsed_s(c.get("received_at"), now) or 0 for c in others)
            self._queue_summary.setText(
                self.tr("%1 waiting · longest %2").replace("%1", str(len(others))).replace(
                    "%2", format_elapsed(longest)
                )
            )
            set_style_property(self._queue_summary, "alert", True)

    @property
    def waiting_count(self) -> int:
        return self.waiting.count()

    def tick(self, now: datetime) -> None:
        """Once a second (the window's timer): times count up, ringing calls flash."""
        self._flash = not self._flash
        for view, mine in ((self.my_calls, True), (self.waiting, False)):
            calls = []
            for row in range(view.count()):
                item = view.item(row)
                call = self._store.state.calls.get(item.data(CALL_ID_ROLE))
                if call is not None:
                    self._render_item(item, call, now, mine=mine)
                    calls.append(call)
            if not mine:
                self._update_queue_summary(calls, now)
        self.location.refresh(now)  # ages move on

    # ------------------------------------------------------------ small desks
    def needed_height(self) -> int:
        """The height everything shown asks for at the current width, titles included.

        Wrapped labels (the location strip) count at their height for this width: a layout's
        minimum counts them at one line and would let the strip push the own call off.
        """
        layout = self.layout()
        width = max(self.contentsRect().width(), 1)
        heights = []
        for i in range(layout.count()):
            item = layout.itemAt(i)
            widget = item.widget()
            if widget is not None and widget.isHidden() and widget not in (self._title, self._queue_title):
                continue
            if item.spacerItem() is not None:
                heights.append(self.QUEUE_GAP)
                continue
            if widget in (self._title, self._queue_title):  # counted hidden too (an item hidden asks 0)
                heights.append(widget.minimumSizeHint().height())
                continue
            height = item.minimumSize().height()
            if item.hasHeightForWidth():
                height = max(height, item.heightForWidth(width))
            heights.append(height)
        margins = layout.contentsMargins()
        return margins.top() + margins.bottom() + sum(heights) + layout.spacing() * max(len(heights) - 1, 0)

    def visible_height(self) -> int:
        """The panel's height down to its window's bottom edge.

        Where the docks beside it ask for more height than the screen has (the form's tab
        group on a 1366x768 laptop at 150 % asks ~30 px more), the main window lays this
        panel out past its bottom edge: what lies there is as good as cut.
        """
        window = self.window()
        if window is self:
            return self.height()
        bottom = self.mapTo(window, self.rect().bottomLeft()).y()
        return self.height() - max(0, bottom + 1 - window.height())

    def fit(self) -> None:
        """Compact where the full panel does not fit its height (1366x768 at 150 %: ~370 px).

        The panel's title (the dock's title says "Calls" already), the queue's title (its
        summary line says "3 waiting · longest 1:30") and the gap go; then the queue's list
        and the conversation shrink to a line before the own call is touched (their minimum).
        """
        compact = self.visible_height() < self.needed_height()
        changed = compact != self.compact
        self.compact = compact
        self._title.setHidden(compact)
        self._queue_title.setHidden(compact)
        self._queue_gap.changeSize(0, 0 if compact else self.QUEUE_GAP,
                                   QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
        self._queue_summary.setToolTip(self._queue_title.text() if compact else "")
        if changed:
            self.layout().invalidate()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self.fit()

    # ------------------------------------------------------------ language
    def retranslate_ui(self) -> None:
        self._title.setText(self.tr("Calls at this seat"))
        self._queue_title.setText(self.tr("Waiting calls (whole centre)"))
        self._caller_title.setText(self.tr("The caller says"))
        self._empty.setText(self.tr("No call at this seat. Press F5 to be ready for the next call."))
        self.answer_action.setText(self.tr("Answer"))
        self.hangup_action.setText(self.tr("Hang up"))
        self.ask_action.setText(self.tr("Ask the caller"))
        shortcut_hint(self.answer_action)
        shortcut_hint(self.hangup_action)
        shortcut_hint(self.ask_action)
        self.ask_box.setPlaceholderText(self.tr("Ask the caller… (F3, Enter sends)"))
        self.ask_box.setToolTip(self.tr("Training: type a question to the simulated caller and press Enter"))
        self.my_calls.setToolTip(self.tr("Enter or F2 answers the ringing call"))
        self.waiting.setToolTip(self.tr("Enter picks the selected call up at this seat"))
        self.refresh()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate_ui()
        super().changeEvent(event)
