"""The feature modules that extend the core domain (one line each).

A feature module (e.g. ``app.domain.location``) may define:

* ``TABLES``: extra entity tables of :class:`~app.domain.state.State`
  (tuple of names; each becomes a ``dict`` attribute, in snapshots too);
* ``EVENT_HANDLERS``: ``{event name: fn(state, data, ts) -> None | False}``,
  merged into the projection (return False when the entity is missing);
* ``COMMAND_HANDLERS``: ``{command name: fn(state, principal, args) -> [drafts]}``,
  merged into :func:`app.domain.decide.decide`.

The seat's store needs nothing more: :meth:`~app.domain.state.State.apply_changes`
watches the tables a handler writes and reports the entities it touched, and
``app.seat.store.StoreEvents`` has one ``<entity>_changed`` signal per table
(a feature that adds a table adds its signal there; the store refuses to start
without it).

Feature modules import only ``app.domain.model``, ``app.domain.common`` and
``app.protocol`` pieces — never ``state`` or ``decide`` — so there is no cycle.
Their wire tables live in ``app.protocol.features``.
"""

from __future__ import annotations

from types import ModuleType

from app.domain import (
    caller_link,
    dispatch,
    hospitals,
    location,
    prenotify,
    responders,
    telemetry,
    training,
    triage,
)

FEATURES: tuple[ModuleType, ...] = (
    caller_link,
    location,
    triage,
    telemetry,
    dispatch,
    prenotify,
    hospitals,
    responders,
    training,
)


def merged(attribute: str) -> dict:
    """The union of one dict attribute over all feature modules."""
    result: dict = {}
    for module in FEATURES:
        table = getattr(module, attribute, {})
        clash = set(result) & set(table)
        if clash:
            raise RuntimeError(f"{module.__name__}.{attribute} redefines {sorted(clash)}")
        result.update(table)
    return result


def extra_tables() -> tuple[str, ...]:
    return tuple(name for module in FEATURES for name in getattr(module, "TABLES", ()))
