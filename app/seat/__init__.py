"""The seat's Qt-free core: state store, local journal, sync client, named commands.

* :mod:`app.seat.store` — the one copy of the truth the widgets render (GUI thread).
* :mod:`app.seat.journal` — the local SQLite journal: outbox, events seen, last seq.
* :mod:`app.seat.sync` — the websocket client, in its own thread and asyncio loop.
* :mod:`app.seat.commands` — the named commands widgets call (never block).
"""
