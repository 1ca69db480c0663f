"""dispatch120-server: the central server of a dispatch centre.

One asyncio process: websockets endpoint ``ws://HOST:PORT/ws``, token
authentication, role checks, command handling through the pure core
(:mod:`app.domain.decide`), the append-only event log in SQLite
(:mod:`server_stub.store`), fan-out of events to every connection, and the
ACD ring timers. ``python -m server_stub --help`` (installed as
``dispatch120-server``) runs it; ``server_stub/README.md`` explains the
command line, the admin commands and the registry file.

Never imports Qt: the import-linter contracts in ``pyproject.toml`` say so.
"""
