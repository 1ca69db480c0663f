"""The feature modules that extend the wire protocol (one line each).

A feature module (e.g. ``app.protocol.location``) may define ``COMMANDS``,
``EVENTS``, ``COMMAND_ROLES`` (same shapes as in ``messages.py``), and
``ENVELOPES`` with ``CLIENT_TYPES`` / ``SERVER_TYPES`` for new message types
(e.g. telemetry frames). ``messages.py`` merges them; a name defined twice is
an error at import time. Feature modules import only ``app.protocol.schema``,
``app.protocol.errors`` and ``app.protocol.vocabulary`` — never ``messages``.
"""

from __future__ import annotations

from types import ModuleType

from app.protocol import (
    caller_link,
    crew,
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
    crew,
)
