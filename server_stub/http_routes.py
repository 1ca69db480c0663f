"""Plain HTTP on the websocket port: which path goes where, and closing after the answer.

websockets' ``process_request`` hook answers a GET before the upgrade (websockets ≥ 13
docs, "process_request": return a ``Response`` to send it instead of upgrading). The
server answers three kinds of plain GET on its one port: the caller's page
(``/c/<token>``, :mod:`server_stub.caller_page`) and photos (``/media/<id>``,
:mod:`server_stub.caller_media`), both through :mod:`server_stub.caller_link`, ,
ECG strips (``/strips/<id>``, :mod:`server_stub.strips`) and the KPI report (``/kpi``,
:mod:`server_stub.kpi_route`). Anything else but ``/ws``
and the caller page socket is 404.

**Closing after an HTTP answer.** After a non-101 response websockets half-closes
the TCP connection (FIN) and then waits, up to its ``close_timeout`` (10 s), for the
client to hang up; its connection handler does not return until then, and
``Server.close()`` waits for every handler. A client that keeps the socket open —
``urllib`` keeps it while an ``HTTPError`` is alive, a browser keeps it alive for
reuse — therefore held every stop of the server for 10 s (the stop gave up after
5 s). :class:`AnsweringConnection` closes the transport itself right after the
answer is written (``transport.close()`` flushes what is buffered first, as websockets
already does over TLS), and every answer says ``Connection: close``.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from urllib.parse import urlsplit

from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response
from websockets.protocol import CONNECTING

WS_PATH = "/ws"
CALLER_PATHS = ("/c/", "/ws/caller/", "/media/")
STRIPS_PATH = "/strips/"
KPI_PATH = "/kpi"
KPI_ROWS_PATH = "/kpi/rows"  # a wall's KPI events since midnight (server_stub.kpi_route.KpiRowsRoute)
RECORD_PATH = "/records/"  # /records/incident/<id>, /records/track/<id> (server_stub.kpi_route.RecordRoute)

Answer = Response | None | Awaitable[Response | None]
Route = Callable[[ServerConnection, Request], Answer]


class AnsweringConnection(ServerConnection):
    """A server connection that hangs up itself once it has answered a plain HTTP request."""

    def send_data(self) -> None:
        super().send_data()
        # A non-101 response is the last thing sent (the protocol queued an EOF after it):
        # close now instead of waiting for the client. An upgrade leaves the state OPEN.
        if self.protocol.state is CONNECTING and self.protocol.eof_sent and not self.transport.is_closing():
            self.transport.close()


class HttpRoutes:
    """The ``process_request`` hook of the server. Loop.

    Args:
        caller: the caller link's hook (page, page socket gate, photos).
        strips: the ECG strip fetch (a coroutine function of the request).
        kpi: the KPI report (a coroutine function of the request); None: ``/kpi`` is 404.
        record: an incident's record for a supervisor; None: ``/records/incident/`` is 404.
        kpi_rows: a wall's missing KPI events; None: ``/kpi/rows`` is 404.
    """

    def __init__(self, caller: Route, strips: Callable[[Request], Awaitable[Response]],
                 kpi: Callable[[Request], Awaitable[Response]] | None = None,
                 record: Callable[[Request], Awaitable[Response]] | None = None,
                 kpi_rows: Callable[[Request], Awaitable[Response]] | None = None) -> None:
        self.caller = caller
        self.strips = strips
        self.kpi = kpi
        self.record = record
        self.kpi_rows = kpi_rows

    def process_request(self, connection: ServerConnection, request: Request) -> Answer:
        path = urlsplit(request.path).path
        if path.startswith(CALLER_PATHS):  # caller link: page, socket, photos
            return _closing(self.caller(connection, request))
        if path.startswith(STRIPS_PATH):  # a seat fetches an ECG strip's samples
            return _closing(self.strips(request))
        if path == KPI_PATH and self.kpi is not None:  # a supervisor's dashboard, a seat's own figures
            return _closing(self.kpi(request))
        if path == KPI_ROWS_PATH and self.kpi_rows is not None:  # a wall's KPI events since midnight
            return _closing(self.kpi_rows(request))
        if path.startswith(RECORD_PATH) and self.record is not None:  # a supervisor opens an incident's record
            return _closing(self.record(request))
        if path != WS_PATH:
            return _closing(connection.respond(HTTPStatus.NOT_FOUND, f"not found: the websocket endpoint is {WS_PATH}\n"))
        return None


def _closing(answer: Answer) -> Answer:
    """``answer`` with ``Connection: close`` (the server hangs up after it: module docstring)."""
    if inspect.isawaitable(answer):

        async def later() -> Response | None:
            return _closing(await answer)  # type: ignore[return-value]

        return later()
    if isinstance(answer, Response) and "Connection" not in answer.headers:
        answer.headers["Connection"] = "close"
    return answer
