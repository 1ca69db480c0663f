"""Apply events to the live state on trial, and take them back: the command bus's batch decisions.

Group commit decides several commands in a row, each on the state the previous
ones left, before anything is committed (:mod:`server_stub.bus`). Copying the
whole state per batch costs O(size of the state); instead :class:`Trial` applies
each event to the live :class:`~app.domain.state.State` through tables that keep a
pickled copy of every entity before an event handler first reaches it (by key, by
``get``/``setdefault``/``in``, or by iterating), so the cost is O(entities touched).

Everything between :class:`Trial` creation and :meth:`Trial.undo_all` must run in
one step of the loop (no ``await``): readers of the live state (a connection's
snapshot, the desks) never see a state that is not committed.

Pure, no I/O.
"""

from __future__ import annotations

import functools
import pickle
from typing import Any

from app.domain.state import Entity, RecordingTable, State
from app.protocol import Message

# The tables that have a query table in the database (server_stub.schema).
QUERY_TABLES = ("calls", "incidents", "units")

_MISSING = object()
_PICKLE = pickle.HIGHEST_PROTOCOL


class Trial:
    """Events applied to ``state`` on trial, in marked steps that can be taken back.

    Use: ``mark = trial.mark()``, :meth:`apply` the events of one command, then
    :meth:`undo_to` (``mark``) if that command must not count; at the end
    :meth:`changed_rows` (what the query tables get) and :meth:`undo_all`.
    """

    def __init__(self, state: State) -> None:
        self.state = state
        self.start_seq = state.seq
        self.start_skipped = state.skipped
        # (table name, entity id, pickled entity or _MISSING), in the order first reached per step.
        self._saved: list[tuple[str, str, Any]] = []
        self._seen: set[tuple[str, str]] = set()  # reached in the current step
        self._view = State.__new__(State)
        for name in State.TABLES:
            table = getattr(state, name)
            setattr(self._view, name, RecordingTable(table, functools.partial(self.remember, name, table)))

    def remember(self, name: str, table: dict[str, Entity], key: str) -> None:
        """Keep a copy of ``table[key]`` (or that it is absent) unless this step has one already."""
        if (name, key) in self._seen:
            return
        self._seen.add((name, key))
        entity = table.get(key, _MISSING)
        self._saved.append((name, key, _MISSING if entity is _MISSING else pickle.dumps(entity, _PICKLE)))

    def mark(self) -> tuple[int, int, int]:
        """The point to come back to with :meth:`undo_to` (starts a new step)."""
        self._seen = set()
        return len(self._saved), self.state.seq, self.state.skipped

    def apply(self, msg: Message) -> bool:
        """Apply one event to the live state on trial. False when a handler skipped it (a missing entity).

        An event with no handler applies (it changes no entity), as in :meth:`State.apply`.
        """
        view = self._view
        view.seq, view.skipped = self.state.seq, self.state.skipped
        view.apply(msg)
        for name in State.TABLES:
            if not isinstance(getattr(view, name), RecordingTable):
                raise RuntimeError(f"an event handler replaced the whole {name} table; it cannot be tried")
        skipped = view.skipped != self.state.skipped
        self.state.seq, self.state.skipped = view.seq, view.skipped
        return not skipped

    def changed_rows(self) -> dict[str, dict[str, Entity]]:
        """Query-table rows the steps since the start changed: table -> id -> entity now (removed ones left out)."""
        first: dict[tuple[str, str], Any] = {}
        for name, key, before in self._saved:
            if name in QUERY_TABLES:
                first.setdefault((name, key), before)
        changed: dict[str, dict[str, Entity]] = {}
        for (name, key), before in first.items():
            after = getattr(self.state, name).get(key, _MISSING)
            if after is _MISSING:
                continue
            if before is _MISSING or pickle.dumps(after, _PICKLE) != before:
                changed.setdefault(name, {})[key] = after
        return changed

    def undo_to(self, mark: tuple[int, int, int]) -> None:
        """Take back every step after ``mark``: entities as they were (fresh copies), seq and skipped too."""
        length, seq, skipped = mark
        for name, key, before in reversed(self._saved[length:]):
            table = getattr(self.state, name)
            if before is _MISSING:
                table.pop(key, None)
            else:
                table[key] = pickle.loads(before)
        del self._saved[length:]
        self._seen = set()
        self.state.seq, self.state.skipped = seq, skipped

    def undo_all(self) -> None:
        """Back to the state at creation. Entities the trial changed are replaced, not mutated back:
        an object :meth:`changed_rows` returned is no longer part of the state afterwards."""
        self.undo_to((0, self.start_seq, self.start_skipped))
