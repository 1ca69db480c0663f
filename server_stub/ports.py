"""The port a desk gets from the server: the only way a desk reaches the server's core.

A desk (caller links, first responders, hospital pre-notification, ECG strips)
is built with a :class:`DeskPort` and uses nothing else of the server: no
private member, no lock, no set of connections. :class:`server_stub.server.DispatchServer`
implements it; a unit test of a desk can pass a fake that implements the same
Protocol. ``tests/unit/test_server_seams.py`` fails if any module of
``server_stub`` reads a ``_private`` attribute of an object other than ``self``/``cls``.

Every method runs on the server's asyncio loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterable
from typing import Protocol, TypeVar

from app.domain.common import EventDraft, Principal
from app.domain.state import State
from app.protocol import Message
from server_stub.clients import Client

# What a spawned coroutine returns; its task returns the same.
T = TypeVar("T")

Decide = Callable[[State], list[EventDraft]]


class DeskPort(Protocol):
    @property
    def state(self) -> State:
        """The server's current state (read only: it changes only through :meth:`execute`/:meth:`system`)."""
        ...

    def push(self, client: Client, msg: Message | str) -> None:
        """Queue one frame (a message, or one already encoded) for one connection; never waits."""
        ...

    def push_all(self, clients: Iterable[Client], frame: str) -> None:
        """Queue one encoded frame for several connections; never waits."""
        ...

    def clients_where(self, predicate: Callable[[Client], bool]) -> list[Client]:
        """The authenticated connections for which ``predicate`` is true."""
        ...

    async def execute(self, who: Principal, decide: Decide, *, command: tuple[str, str], client: Client) -> None:
        """Run a client's command (``command`` = (id, name)) through the command bus.

        The sender gets the command's events, then its ack — or one error reply.
        Never raises for a refused command or a failed commit (that is the reply).
        """
        ...

    async def system(self, who: Principal, decide: Decide, what: str) -> None:
        """Run a server-made decision through the command bus (no sender, no ack). Never raises."""
        ...

    async def catch_up(self) -> None:
        """Apply (and broadcast) events another process appended to the log since the last look."""
        ...

    def spawn(self, coro: Coroutine[object, None, T], what: str) -> asyncio.Task[T]:
        """Run ``coro`` as a background task that the server cancels when it stops; failures are logged."""
        ...
