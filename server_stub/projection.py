"""Turn drafted events into numbered events and the query-table rows they change.

Pure, no I/O. The server (and the admin CLI) must know, *before* committing,
which rows of the ``calls``, ``incidents`` and ``units`` query tables a batch
of events changes, so that events and rows go into the same transaction. It
must not touch the live :class:`~app.domain.state.State` before the commit
succeeds, and a full copy of the state per command costs O(size of the
state) — tens of milliseconds once a day's incidents are in it.

So the batch is applied to a *scratch* state whose tables copy an entity from
the live state only when a handler reads it (copy-on-read). What a handler
read is what it may have changed; comparing with the live entity gives the
changed rows. The cost is O(entities the batch touches).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from app.domain.decide import EventDraft
from app.domain.state import State
from app.protocol import Message, event

# State tables that have a query table in the database (see store.py).
QUERY_TABLES = ("calls", "incidents", "units")
# Every entity table of State (all are overlaid so no handler can reach the live state).
STATE_TABLES = State.TABLES


class ScratchTable(dict):
    """A copy-on-read overlay of one live state table.

    Supports the dict operations the projection's handlers use (``get``,
    ``[]``, ``in``, ``setdefault``, assignment). Enumeration is refused with
    TypeError: an overlay cannot enumerate the live table faithfully, and a
    handler that starts doing so must fail loudly in the tests, not compute a
    wrong projection.
    """

    def __init__(self, base: dict[str, Any]) -> None:
        super().__init__()
        self._base = base

    def _pull(self, key: Any) -> bool:
        if dict.__contains__(self, key):
            return True
        if key in self._base:
            dict.__setitem__(self, key, copy.deepcopy(self._base[key]))
            return True
        return False

    def __contains__(self, key: object) -> bool:
        return self._pull(key)

    def __getitem__(self, key: Any) -> Any:
        if not self._pull(key):
            raise KeyError(key)
        return dict.__getitem__(self, key)

    def get(self, key: Any, default: Any = None) -> Any:
        return dict.__getitem__(self, key) if self._pull(key) else default

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if not self._pull(key):
            dict.__setitem__(self, key, default)
        return dict.__getitem__(self, key)

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("ScratchTable cannot enumerate or bulk-change the live table")

    __iter__ = keys = values = items = __len__ = pop = popitem = update = clear = copy = _refuse
    __delitem__ = _refuse

    def touched(self) -> dict[str, Any]:
        """The entities read or written through this overlay (their new values)."""
        return dict(dict.items(self))


@dataclass
class Projection:
    """The outcome of applying a batch of drafts to a scratch state."""

    events: list[Message]
    # table -> entity id -> entity after the batch; only entities that changed.
    changed: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Events the projection could not apply (missing entity): a bug in decide().
    skipped: int = 0

    @property
    def last_seq(self) -> int | None:
        return self.events[-1]["seq"] if self.events else None


def project(
    state: State,
    drafts: list[EventDraft],
    *,
    ts: str,
    actor: dict[str, str],
    ref: str | None,
) -> Projection:
    """Number the drafts after ``state.seq`` and find the query rows they change.

    ``state`` is not modified. Raises whatever a projection handler raises on
    malformed data (the caller validates drafts first and treats any
    exception here as an internal error).
    """
    scratch = State()
    scratch.seq = state.seq
    overlays = {name: ScratchTable(getattr(state, name)) for name in STATE_TABLES}
    for name, overlay in overlays.items():
        setattr(scratch, name, overlay)
    events: list[Message] = []
    for offset, (name, data) in enumerate(drafts, start=1):
        msg = event(seq=state.seq + offset, ts=ts, name=name, actor=dict(actor), ref=ref, data=data)
        scratch.apply(msg)
        events.append(msg)
    changed: dict[str, dict[str, Any]] = {}
    for table in QUERY_TABLES:
        live = getattr(state, table)
        rows = {key: value for key, value in overlays[table].touched().items() if live.get(key) != value}
        if rows:
            changed[table] = rows
    return Projection(events=events, changed=changed, skipped=scratch.skipped)
