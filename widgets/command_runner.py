"""Runs the dispatcher's named commands for the widgets and reports refusals.

Widgets never talk to the sync client: they call ``runner.run(command, purpose,
**arguments)`` with one of the typed :class:`~app.seat.commands.SeatCommands`
methods (``runner.commands.assign_unit``), never a command name. The command is queued
(journal outbox first, then sent); the UI follows the events that come back.
Input the core refuses (``ProtocolError`` from the command builder) and errors
the server replies with (``command_failed``) both go to the message strip, in
the dispatcher's language where the code is known, with the detail text.

GUI thread only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from PySide6.QtCore import QCoreApplication, QObject

from app.protocol.errors import ProtocolError
from app.seat.commands import SeatCommands
from app.seat.store import SeatStore
from widgets.labels import error_text
from widgets.message_area import Level, MessageArea

log = logging.getLogger(__name__)


P = ParamSpec("P")
R = TypeVar("R")
Purpose = Callable[[], str]


class CommandRunner(QObject):
    """Calls commands, shows what went wrong, and remembers what each command was for."""

    def __init__(self, store: SeatStore, commands: SeatCommands, messages: MessageArea,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.commands = commands
        self.messages = messages
        # command id -> what the dispatcher did, for the error message ("Assign 120-03").
        self._purpose: dict[str, Purpose] = {}
        store.events.command_failed.connect(self._on_command_failed)
        store.events.command_acked.connect(self._on_command_acked)

    def run(self, command: Callable[P, R], purpose: Purpose | None, /, *args: P.args, **kwargs: P.kwargs) -> R | None:
        """Call ``command(*args, **kwargs)``, a method of :attr:`commands`.

        Example: ``runner.run(runner.commands.assign_unit, purpose, incident_id=…, unit_id=…)``;
        a type checker checks the arguments against the method.

        Args:
            command: the :class:`~app.seat.commands.SeatCommands` method.
            purpose: returns the (translated) words for what this was, used if it fails.

        Returns:
            What the command method returned (a command id, or for ``create_incident``
            a :class:`~app.seat.commands.NewIncident`), or None when it was refused before
            sending; the refusal is already shown in the message strip.
        """
        try:
            result = command(*args, **kwargs)
        except ProtocolError as exc:
            self._show(purpose, exc.code, exc.message)
            return None
        except Exception as exc:  # journal full, disk error: never lose silently, never crash
            log.exception("command %s could not be queued", getattr(command, "__name__", command))
            self._show(purpose, None, str(exc) or type(exc).__name__)
            return None
        command_id = result[0] if isinstance(result, tuple) else result
        if purpose is not None and isinstance(command_id, str):
            self._purpose[command_id] = purpose
        return result

    def notify(self, text: str, level: Level = Level.INFO) -> None:
        self.messages.show_message(text, level)

    def _show(self, purpose: Purpose | None, code: str | None, detail: str) -> None:
        summary = error_text(code)
        text = (
            QCoreApplication.translate("CommandRunner", "%1: %2").replace("%1", summary).replace("%2", detail)
            if detail
            else summary
        )
        if purpose is not None:
            what = purpose()
            text = QCoreApplication.translate("CommandRunner", "%1 failed — %2").replace("%1", what).replace(
                "%2", text
            )
        self.messages.show_message(text, Level.ERROR)

    def _on_command_failed(self, command_id: str | None, code: str, message: str) -> None:
        purpose = self._purpose.pop(command_id, None) if command_id else None
        log.warning("server refused command %s: %s %s", command_id, code, message)
        self._show(purpose, code, message)

    def _on_command_acked(self, command_id: str, seq: int) -> None:
        self._purpose.pop(command_id, None)
