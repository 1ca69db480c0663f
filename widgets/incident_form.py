"""The incident form: where the dispatcher records what the caller says.

Fields follow the call: address, callback number (pre-filled from the answered
call), what happened, number of patients, priority (I–IV, I most urgent; a
placeholder until triage arrives in a later issue). Ctrl+S or Ctrl+Enter saves:
a new incident is created (linked to the answered call), an existing one gets
only the fields the dispatcher changed. Ctrl+N starts a new incident without a
call; Ctrl+E closes the incident with a reason.

The form shows the store's incident; what the dispatcher types stays until it
is saved — an event from another seat never overwrites unsaved typing, and
switching incident (a new call, a click in the queue) saves unsaved typing
first instead of dropping it. A save the server refuses leaves the typing in
place, marked unsaved, with the reason in the message strip.

GUI thread only.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QEvent, QRegularExpression, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QScrollArea,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.location import location_address
from app.domain.model import CloseReason, IncidentState
from app.protocol.errors import ErrorCode
from app.protocol.schema import PHONE_RE
from app.seat.store import SeatStore
from widgets.clock import SeatClock
from widgets.command_runner import CommandRunner
from widgets.keys import set_style_property, shortcut_hint
from widgets.labels import (
    PRIORITIES,
    close_reason_text,
    incident_state_colours,
    incident_state_text,
    priority_choice_text,
    unit_status_text,
)
from widgets.message_area import Level

log = logging.getLogger(__name__)

FIELDS = ("address", "callback_number", "description", "patients", "priority")
EMPTY: dict[str, Any] = {"address": "", "callback_number": "", "description": "", "patients": 1, "priority": None}
ADDRESS_MAX = 200
# Errors on incident.create that concern the linked call (answered elsewhere, unknown,
# not answered): the draft is kept and unlinked from the call so that it can be saved.
_CALL_ERRORS = {ErrorCode.CONFLICT, ErrorCode.NOT_FOUND, ErrorCode.ILLEGAL_TRANSITION, ErrorCode.FORBIDDEN}
# Lines of text the "what happened" box shows at least (it grows up to DESCRIPTION_MAX_PX where
# there is room): two lines keep the form, its tabs and the banner inside a 911x512 desk
# (1366x768 at 150 %), where 70 px left the form's tab group 26 px taller than the window.
DESCRIPTION_MIN_LINES = 2
DESCRIPTION_MAX_PX = 170
ROW_SPACING_PX = 4


def short_id(incident_id: str | None) -> str:
    """What the dispatcher reads aloud: the first 8 characters of the UUID, upper case."""
    return (incident_id or "")[:8].upper()


def values_of(incident: dict[str, Any]) -> dict[str, Any]:
    return {
        "address": incident.get("address") or "",
        "callback_number": incident.get("callback_number") or "",
        "description": incident.get("description") or "",
        "patients": incident.get("patients") or 1,
        "priority": incident.get("priority"),
    }


class CloseIncidentDialog(QDialog):
    """Choose why the incident ends (arrow keys + Enter), with an optional note."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("CloseIncidentDialog")
        self._label = QLabel(self)
        self.reasons = QListWidget(self)
        for reason in CloseReason:
            item = QListWidgetItem()
            item.setData(Qt.ItemDataRole.UserRole, reason.value)
            self.reasons.addItem(item)
        self.reasons.setCurrentRow(0)
        self.reasons.itemActivated.connect(lambda _item: self.accept())
        self._note_label = QLabel(self)
        self.note = QLineEdit(self)
        self.note.setMaxLength(500)
        self._buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self._buttons.accepted.connect(self.accept)
        self._buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self._label)
        layout.addWidget(self.reasons)
        layout.addWidget(self._note_label)
        layout.addWidget(self.note)
        layout.addWidget(self._buttons)
        self.retranslate_ui()
        self.reasons.setFocus()

    @property
    def reason(self) -> str:
        item = self.reasons.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else CloseReason.CANCELLED.value

    def select_reason(self, reason: str) -> None:
        for row in range(self.reasons.count()):
            if self.reasons.item(row).data(Qt.ItemDataRole.UserRole) == reason:
                self.reasons.setCurrentRow(row)

    def retranslate_ui(self) -> None:
        self.setWindowTitle(self.tr("Close incident"))
        self._label.setText(self.tr("Why does this incident end?"))
        self._note_label.setText(self.tr("Note (optional):"))
        for row in range(self.reasons.count()):
            item = self.reasons.item(row)
            item.setText(close_reason_text(item.data(Qt.ItemDataRole.UserRole)))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate_ui()
        super().changeEvent(event)


class _FormBody(QWidget):
    """The scrolling part of the form. Its height is the room it is given, down to its minimum:
    the scroll area asks a layout with height-for-width (the wrapping call line) for its height
    and would get the preferred one (the "what happened" box at ~190 px), scrolling the priority
    out of sight where the fields fit (911x512: 118 px)."""

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt override)
        room = self.parentWidget().height() if self.parentWidget() is not None else 0
        return max(self.minimumSizeHint().height(), room)


class IncidentForm(QWidget):
    """Record a new incident or edit the one selected.

    Signals:
        current_incident_changed(object): the incident shown changed (its id, or None
            for a new, unsaved one).
    """

    current_incident_changed = Signal(object)

    def __init__(self, store: SeatStore, runner: CommandRunner, clock: SeatClock,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("IncidentForm")
        self._store = store
        self._runner = runner
        self._clock = clock
        self._incident_id: str | None = None  # None: a new incident not saved yet
        self._call: dict[str, Any] | None = None  # the call a new incident will be linked to
        self._baseline: dict[str, Any] = dict(EMPTY)  # values last loaded or saved
        self._creating: dict[str, str] = {}  # command id -> incident id, until the event arrives
        self._updating: dict[str, dict[str, Any]] = {}  # command id -> the changes sent
        self._closed_note = False
        self.close_dialog: CloseIncidentDialog | None = None

        self.save_action = QAction(self)
        self.save_action.setShortcuts(
            [
                QKeySequence(Qt.Modifier.CTRL | Qt.Key.Key_S),
                QKeySequence(Qt.Modifier.CTRL | Qt.Key.Key_Return),
                QKeySequence(Qt.Modifier.CTRL | Qt.Key.Key_Enter),
            ]
        )
        self.save_action.triggered.connect(self.save)
        self.new_action = QAction(self)
        self.new_action.setShortcut(QKeySequence(Qt.Modifier.CTRL | Qt.Key.Key_N))
        self.new_action.triggered.connect(self.new_incident)
        self.close_action = QAction(self)
        self.close_action.setShortcut(QKeySequence(Qt.Modifier.CTRL | Qt.Key.Key_E))
        self.close_action.triggered.connect(self.close_incident)
        for action in (self.save_action, self.new_action, self.close_action):
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.addActions([self.save_action, self.new_action, self.close_action])

        # Header: what this form is (new / incident 3F2A9C1B), its state, the call.
        self._title = QLabel(self)
        self._title.setObjectName("PanelTitle")
        self._state = QLabel(self)
        self._state.setObjectName("StateChip")
        self._call_info = QLabel(self)
        self._call_info.setObjectName("CallInfo")
        self._call_info.setWordWrap(True)

        self.address = QLineEdit(self)
        self.address.setObjectName("Address")
        self.address.setMaxLength(ADDRESS_MAX)
        self.callback = QLineEdit(self)
        self.callback.setObjectName("CallbackNumber")
        self.callback.setMaxLength(33)
        self.callback.setValidator(QRegularExpressionValidator(QRegularExpression(PHONE_RE.pattern), self))
        self.description = QPlainTextEdit(self)
        self.description.setObjectName("Description")
        self.description.setTabChangesFocus(True)  # Tab follows the call, it does not insert a tab
        self.description.document().setDocumentMargin(2)  # as close to its frame as a line edit's text (Qt: 4)
        self.description.setMaximumHeight(DESCRIPTION_MAX_PX)
        self._fit_description()
        self.patients = QSpinBox(self)
        self.patients.setRange(1, 999)
        self.priority = QComboBox(self)
        self.priority.addItem("", None)
        for level in PRIORITIES:
            self.priority.addItem("", level)
        self._labels = {name: QLabel(self) for name in ("address", "callback", "description", "patients", "priority")}
        for name, field in (("address", self.address), ("callback", self.callback),
                            ("description", self.description), ("patients", self.patients),
                            ("priority", self.priority)):
            self._labels[name].setBuddy(field)

        save_button = QToolButton(self)
        save_button.setObjectName("SaveButton")
        save_button.setDefaultAction(self.save_action)
        new_button = QToolButton(self)
        new_button.setDefaultAction(self.new_action)
        close_button = QToolButton(self)
        close_button.setDefaultAction(self.close_action)
        for button in (save_button, new_button, close_button):
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._dirty_note = QLabel(self)
        self._dirty_note.setObjectName("DirtyNote")
        # In the header beside the state chip, wrapping: beside the three buttons, unwrapped,
        # "Sent; waiting for the server…" made the English form 739 px wide (a 960x540 desk
        # leaves it 650), and wrapped there it took four lines under a 600 px form.
        self._dirty_note.setWordWrap(True)
        self._dirty_note.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        header = QHBoxLayout()
        header.addWidget(self._title)
        header.addWidget(self._dirty_note, 1)
        header.addWidget(self._state)
        form = QFormLayout()
        form.setVerticalSpacing(ROW_SPACING_PX)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(self._labels["address"], self.address)
        form.addRow(self._labels["callback"], self.callback)
        form.addRow(self._labels["description"], self.description)
        row = QHBoxLayout()
        row.addWidget(self.patients)
        row.addSpacing(24)
        row.addWidget(self._labels["priority"])
        row.addWidget(self.priority, 1)
        form.addRow(self._labels["patients"], row)
        buttons = QHBoxLayout()
        buttons.addWidget(save_button)
        buttons.addStretch(1)
        buttons.addWidget(new_button)
        buttons.addWidget(close_button)
        # The header and the fields scroll where the desk is lower than they need (a 911x512
        # desk once units are listed under the call); the Save row under them is always seen.
        body = _FormBody(self)
        body.setObjectName("IncidentFormBody")
        body_layout = QVBoxLayout(body)
        body_layout.setContentsMargins(0, 0, 0, 0)
        body_layout.setSpacing(ROW_SPACING_PX)
        body_layout.addLayout(header)
        body_layout.addWidget(self._call_info)
        body_layout.addLayout(form)
        body_layout.addStretch(1)
        self.body_scroll = QScrollArea(self)
        self.body_scroll.setObjectName("IncidentFormScroll")
        self.body_scroll.setWidgetResizable(True)
        self.body_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # wrap, never sideways
        self.body_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.body_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes from field to field
        self.body_scroll.setWidget(body)
        for field in (self.address, self.callback, self.description, self.patients, self.priority):
            field.installEventFilter(self)  # the field the cursor goes to scrolls into view
        # ... and stays in view when the form gets lower (the range follows the new height).
        # Deferred: the range changes while the scroll area is still placing the fields.
        self.body_scroll.verticalScrollBar().rangeChanged.connect(
            lambda *_range: QTimer.singleShot(0, self, self._keep_focus_in_view))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(ROW_SPACING_PX)
        layout.addWidget(self.body_scroll, 1)
        layout.addLayout(buttons)
        # The order of the call: address, callback number, what happened, patients, priority.
        QWidget.setTabOrder(self.address, self.callback)
        QWidget.setTabOrder(self.callback, self.description)
        QWidget.setTabOrder(self.description, self.patients)
        QWidget.setTabOrder(self.patients, self.priority)

        for line in (self.address, self.callback):
            line.textChanged.connect(self._render_dirty)
        self.description.textChanged.connect(self._render_dirty)
        self.patients.valueChanged.connect(self._render_dirty)
        self.priority.currentIndexChanged.connect(self._render_dirty)
        store.events.incident_changed.connect(self._on_incident_changed)
        store.events.unit_changed.connect(self._on_unit_changed)
        store.events.call_changed.connect(self._on_call_changed)
        store.events.state_reset.connect(self._on_state_reset)
        store.events.command_failed.connect(self._on_command_failed)
        store.events.command_acked.connect(self._on_command_acked)
        self.retranslate_ui()

    # ------------------------------------------------------------ queries
    @property
    def incident_id(self) -> str | None:
        """The incident shown: saved, or being created; None for a new, unsaved one."""
        return self._incident_id

    @property
    def call_id(self) -> str | None:
        """The call a new incident will be linked to."""
        return self._call["call_id"] if self._call else None

    def values(self) -> dict[str, Any]:
        return {
            "address": self.address.text().strip(),
            "callback_number": self.callback.text().strip(),
            "description": self.description.toPlainText().strip(),
            "patients": self.patients.value(),
            "priority": self.priority.currentData(),
        }

    def has_unsaved_changes(self) -> bool:
        return self.values() != self._baseline

    def _is_blank_draft(self) -> bool:
        return self._incident_id is None and self._call is None and self.values() == EMPTY

    def _needs_saving(self) -> bool:
        """Typing since the form was filled (a fresh draft with only the call's number is not)."""
        return self.has_unsaved_changes()

    # ------------------------------------------------------------ actions
    def save(self) -> bool:
        """Save (Ctrl+S / Ctrl+Enter). Returns False if nothing was sent because of an error."""
        values = self.values()
        if self._incident_id is None:
            if self._is_blank_draft():
                self._runner.notify(self.tr("Nothing to save yet."))
                return False
            args = {k: v for k, v in values.items() if v not in ("", None)}
            result = self._runner.run(
                self._runner.commands.create_incident,
                lambda: self.tr("Saving the new incident"),
                call_id=self.call_id,
                **args,
            )
            if result is None:
                return False
            command_id, incident_id = result
            self._creating[command_id] = incident_id
            self._baseline = values
            self._set_incident_id(incident_id)
            self._render_header()
            return True
        changes = {k: v for k, v in values.items() if v != self._baseline.get(k)}
        if not changes:
            return True
        if changes.get("callback_number") == "":
            changes["callback_number"] = None
        incident_id = self._incident_id
        command_id = self._runner.run(
            self._runner.commands.update_incident,
            lambda: self.tr("Saving incident %1").replace("%1", short_id(incident_id)),
            incident_id=incident_id,
            **changes,
        )
        if command_id is None:
            return False
        self._updating[command_id] = changes
        self._baseline = values
        self._render_dirty()
        return True

    def _leave_current(self) -> bool:
        """Before showing something else: save unsaved typing. False if it could not be sent."""
        if not self._needs_saving():
            return True
        if self.save():
            self._runner.notify(self.tr("Saved the changes to the previous incident first."))
            return True
        self._runner.notify(
            self.tr("The open form could not be saved; it is kept. Fix it or press Ctrl+S."), level=Level.WARNING
        )
        return False

    def begin_call(self, call: dict[str, Any]) -> bool:
        """A call was just answered: a new incident for it, callback number filled in, focus in the form."""
        if not self._leave_current():
            return False
        self._show_draft(call)
        self.focus_first_empty()
        return True

    def new_incident(self) -> bool:
        """A new incident not linked to a call (Ctrl+N)."""
        if not self._leave_current():
            return False
        self._show_draft(None)
        self.focus_first_empty()
        return True

    def load_incident(self, incident_id: str) -> bool:
        """Show an incident of the store (a click in the queue)."""
        if incident_id == self._incident_id:
            return True
        incident = self._store.state.incidents.get(incident_id)
        if incident is None or not self._leave_current():
            return False
        self._call = None
        self._set_values(values_of(incident))
        self._baseline = values_of(incident)
        self._set_incident_id(incident_id)
        self._render_header()
        return True

    def unlink_call(self, call_id: str) -> None:
        """The call of this new incident was not given to this seat: keep the typing, drop the link."""
        if self._incident_id is None and self._call is not None and self._call["call_id"] == call_id:
            self._call = None
            self._render_header()

    def incident_for_dispatch(self) -> str | None:
        """The incident a unit should be assigned to (F8): saves unsaved typing first.

        Returns None (and says why) when there is no incident to dispatch to.
        """
        if self._is_blank_draft():
            self._runner.notify(self.tr("No incident: answer a call or select an incident first."))
            return None
        if (self._incident_id is None or self._needs_saving()) and not self.save():
            return None
        return self._incident_id

    def apply_triage_priority(self, incident_id: str, priority: int) -> None:
        """Triage reached a determinant: show its priority (the server records it from
        ``triage.complete``, so it is not unsaved typing)."""
        if incident_id != self._incident_id:
            return
        index = self.priority.findData(priority)
        if index >= 0:
            self.priority.setCurrentIndex(index)
            self._baseline["priority"] = priority
            self._render_dirty()

    def close_incident(self) -> None:
        """Ask why the incident ends (Ctrl+E), then send ``incident.close``. Non-blocking."""
        incident_id = self._incident_id
        if incident_id is None:
            self._runner.notify(self.tr("Save the incident before closing it."))
            return
        dialog = CloseIncidentDialog(self)
        self.close_dialog = dialog

        def accepted() -> None:
            self._runner.run(
                self._runner.commands.close_incident,
                lambda: self.tr("Closing incident %1").replace("%1", short_id(incident_id)),
                incident_id=incident_id,
                reason=dialog.reason,
                note=dialog.note.text().strip() or None,
            )

        dialog.accepted.connect(accepted)
        dialog.finished.connect(lambda _result: self._forget_dialog(dialog))
        dialog.open()

    def _forget_dialog(self, dialog: CloseIncidentDialog) -> None:
        if self.close_dialog is dialog:
            self.close_dialog = None
        dialog.deleteLater()

    def focus_first_empty(self) -> None:
        """Put the cursor where the next keystroke goes: the first empty field of the call."""
        for field in (self.address, self.callback):
            if not field.text().strip():
                field.setFocus(Qt.FocusReason.OtherFocusReason)
                return
        self.description.setFocus(Qt.FocusReason.OtherFocusReason)
        self.description.moveCursor(self.description.textCursor().MoveOperation.End)

    # ------------------------------------------------------------ showing
    def _show_draft(self, call: dict[str, Any] | None) -> None:
        self._call = dict(call) if call else None
        values = dict(EMPTY)
        if call:
            values["callback_number"] = call.get("caller_number") or ""
        self._set_values(values)
        self._baseline = dict(values)
        self._set_incident_id(None)
        self._render_header()

    def _set_incident_id(self, incident_id: str | None) -> None:
        changed = incident_id != self._incident_id
        self._incident_id = incident_id
        self._closed_note = False
        if changed:
            self.current_incident_changed.emit(incident_id)

    def _set_values(self, values: dict[str, Any]) -> None:
        """Fill the fields, touching only those that differ (keeps the cursor where it is)."""
        if self.address.text() != values["address"]:
            self.address.setText(values["address"])
        if self.callback.text() != values["callback_number"]:
            self.callback.setText(values["callback_number"])
        if self.description.toPlainText().strip() != values["description"]:
            self.description.setPlainText(values["description"])
        if self.patients.value() != values["patients"]:
            self.patients.setValue(values["patients"])
        index = self.priority.findData(values["priority"]) if values["priority"] is not None else 0
        if self.priority.currentIndex() != max(index, 0):
            self.priority.setCurrentIndex(max(index, 0))

    def _render_header(self) -> None:
        incident = self._store.state.incidents.get(self._incident_id or "")
        if self._incident_id is None:
            self._title.setText(self.tr("New incident"))
            self._set_chip(self.tr("Not saved"), None)
        elif incident is None:
            self._title.setText(self.tr("Incident %1").replace("%1", short_id(self._incident_id)))
            self._set_chip(self.tr("Saving…"), None)
        else:
            self._title.setText(self.tr("Incident %1").replace("%1", short_id(self._incident_id)))
            self._set_chip(incident_state_text(incident["state"]), incident["state"])
        call = self._call
        if incident is not None and incident.get("call_id"):
            call = self._store.state.calls.get(incident["call_id"]) or call
        parts = []
        if call:
            caller = " · ".join(
                t for t in (call.get("caller_number"), call.get("caller_name"), call.get("location_text")) if t
            )
            parts.append(self.tr("Call: %1").replace("%1", caller))
        elif self._incident_id is None:
            parts.append(self.tr("No call linked: answer a call with F2, or type a new incident here"))
        if incident is not None and incident.get("units"):
            units = []
            for unit_id in incident["units"]:
                unit = self._store.state.units.get(unit_id)
                if unit is not None and unit.get("incident_id") == self._incident_id:
                    units.append(f"{unit.get('call_sign', unit_id)} ({unit_status_text(unit['status'])})")
                elif unit is not None:
                    cleared = self.tr("cleared")
                    units.append(f"{unit.get('call_sign', unit_id)} ({cleared})")
            parts.append(self.tr("Units: %1").replace("%1", ", ".join(units)))
        self._call_info.setText("\n".join(parts))
        location = call.get("location_text") if call else None
        located = location_address(incident) if incident is not None else None
        if located:
            # The confirmed location's (reverse-geocoded) address fills the field until the
            # dispatcher types one; both are kept (the typed one in the incident, this one in its location).
            self.address.setPlaceholderText(
                self.tr("%1 (from the confirmed location) — type to give another").replace("%1", located))
        else:
            self.address.setPlaceholderText(
                self.tr("Caller location: %1 — confirm the address").replace("%1", location)
                if location
                else self.tr("Street, number, landmark")
            )
        self._render_dirty()

    def _set_chip(self, text: str, state: str | None) -> None:
        self._state.setText(text)
        if state is None:
            self._state.setStyleSheet("")
        else:
            colours = incident_state_colours(state)
            self._state.setStyleSheet(f"background: {colours.background}; color: {colours.foreground};")

    def _render_dirty(self, *_args: object) -> None:
        dirty = self._needs_saving()
        if self._closed_note:
            text = self.tr("This incident is closed; your typing is kept but cannot be saved.")
        elif dirty:
            text = self.tr("Unsaved changes — Ctrl+S saves")
        elif self._creating:
            text = self.tr("Sent; waiting for the server…")
        elif self._updating:
            text = self.tr("Saved; waiting for the server…")
        else:
            text = ""
        self._dirty_note.setText(text)
        set_style_property(self._dirty_note, "dirty", bool(dirty or self._closed_note))

    # ------------------------------------------------------------ store events
    def _on_incident_changed(self, incident_id: str) -> None:
        incident = self._store.state.incidents.get(incident_id)
        if incident is None or incident_id != self._incident_id:
            return
        for command_id, incident_id in list(self._creating.items()):
            if incident_id == self._incident_id:
                del self._creating[command_id]
        if incident["state"] == IncidentState.CLOSED:
            if self.has_unsaved_changes():
                self._closed_note = True
                self._render_header()
            else:
                self._runner.notify(self.tr("Incident %1 is closed.").replace("%1", short_id(self._incident_id)))
                self._show_draft(None)
            return
        if not self.has_unsaved_changes():
            self._set_values(values_of(incident))
            self._baseline = values_of(incident)
        self._render_header()

    def _on_unit_changed(self, unit_id: str) -> None:
        incident = self._store.state.incidents.get(self._incident_id or "")
        if incident is not None and unit_id in incident.get("units", ()):
            self._render_header()

    def _on_call_changed(self, call_id: str) -> None:
        call = self._store.state.calls.get(call_id)
        if call is not None and self._call is not None and call_id == self._call["call_id"]:
            self._call = dict(call)
            self._render_header()

    def _on_state_reset(self) -> None:
        if self._incident_id is not None and self._incident_id not in self._store.state.incidents:
            if self._incident_id in self._creating.values():
                return  # still on its way
            # The incident is unknown to the server's snapshot: keep the typing as a new draft.
            self._set_incident_id(None)
            self._baseline = dict(EMPTY)
        self._render_header()

    def _on_command_failed(self, command_id: str | None, code: str, message: str) -> None:
        if command_id in self._creating:
            incident_id = self._creating.pop(command_id)
            if incident_id == self._incident_id and incident_id not in self._store.state.incidents:
                # Nothing was stored: back to an unsaved draft with everything typed.
                self._set_incident_id(None)
                self._baseline = dict(EMPTY)
                if self._call is not None and code in _CALL_ERRORS:
                    self._runner.notify(
                        self.tr("The incident is kept unsaved and no longer linked to the call; press Ctrl+S."),
                        level=Level.WARNING,
                    )
                    self._call = None
                self._render_header()
        elif command_id in self._updating:
            self._updating.pop(command_id)
            incident = self._store.state.incidents.get(self._incident_id or "")
            if incident is not None:
                self._baseline = values_of(incident)  # what the server has: the typing is unsaved again
            self._render_dirty()

    def _on_command_acked(self, command_id: str, seq: int) -> None:
        if self._updating.pop(command_id, None) is not None:
            self._render_dirty()

    # ------------------------------------------------------------ size
    def _fit_description(self) -> None:
        """The "what happened" box at least DESCRIPTION_MIN_LINES lines of the current font high."""
        frame = 2 * (self.description.frameWidth() + round(self.description.document().documentMargin()))
        lines = self.description.fontMetrics().lineSpacing() * DESCRIPTION_MIN_LINES
        self.description.setMinimumHeight(min(lines + frame, DESCRIPTION_MAX_PX))

    def eventFilter(self, watched: Any, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.FocusIn and isinstance(watched, QWidget):
            self._bring_into_view(watched)
        return super().eventFilter(watched, event)

    def _keep_focus_in_view(self) -> None:
        focused = self.focusWidget()
        if focused is not None and self.body_scroll.widget().isAncestorOf(focused):
            self._bring_into_view(focused)

    def _bring_into_view(self, field: QWidget) -> None:
        """Scroll the whole field into view (``ensureWidgetVisible`` only brings a line edit's
        text cursor, leaving the field's lower edge cut off)."""
        centre = field.mapTo(self.body_scroll.widget(), field.rect().center())
        self.body_scroll.ensureVisible(centre.x(), centre.y(), 0, field.height() // 2 + 2)

    # ------------------------------------------------------------ language
    def retranslate_ui(self) -> None:
        self._labels["address"].setText(self.tr("&Address"))
        self._labels["callback"].setText(self.tr("Call&back number"))
        self._labels["description"].setText(self.tr("&What happened"))
        self._labels["patients"].setText(self.tr("&Patients"))
        self._labels["priority"].setText(self.tr("P&riority"))
        self.callback.setPlaceholderText(self.tr("Digits only, e.g. 13800138000"))
        self.description.setPlaceholderText(self.tr("What the caller reports: complaint, age, conscious, breathing…"))
        for index in range(self.priority.count()):
            self.priority.setItemText(index, priority_choice_text(self.priority.itemData(index)))
        self.priority.setToolTip(self.tr("Placeholder until triage: I is the most urgent"))
        self.save_action.setText(self.tr("Save incident"))
        self.new_action.setText(self.tr("New incident"))
        self.close_action.setText(self.tr("Close incident…"))
        for action in (self.save_action, self.new_action, self.close_action):
            shortcut_hint(action)
        if self.close_dialog is not None:
            self.close_dialog.retranslate_ui()
        self._render_header()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate_ui()
        elif event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._fit_description()
        super().changeEvent(event)
