"""The caller's page on the server: its HTML, its websocket, and what the page says.

Runs on the server's asyncio loop. Nothing here raises into the server: a bad page frame
gets a JSON ``error`` reply, a dead link gets ``{"type": "gone"}`` and a close.

Why the same port as ``/ws``: websockets' ``process_request`` hook answers a plain
HTTP GET before the handshake (websockets ≥ 13 docs, "process_request": return a
``Response`` to send it instead of upgrading). The caller's page is one small
self-contained HTML document (``resources/caller_page/index.html``), so no second
listener, certificate or port is needed; TLS (``--tls-cert/--tls-key``) covers the page
and both websockets at once.

The page's protocol on ``/ws/caller/<token>`` (JSON text frames, see
docs/protocol.md § "Caller link"):

* page → server: ``consent``; ``location`` {lat, lon, accuracy_m, at?};
  ``location_refused``; ``chat`` {text}; ``photo`` {bytes, content_type} and then its
  bytes as binary frames (handed to :class:`PhotoUploads`, :mod:`server_stub.caller_media`);
  ``rtc`` {kind, data} (handed to the link's video relay, :mod:`server_stub.caller_link`).
* server → page: ``welcome`` {chat: [...], cpr: {...}|null, cards: [...]}, ``chat``
  {from, text, at}, ``card`` {card}, ``cpr`` {running, rate_per_min, variant},
  ``error`` {code, message}, ``gone`` {reason}.

Which link a token opens, and whether it is still live, is the link's business
(:mod:`server_stub.caller_link`): this module gets a ``refusal(token)`` function.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, Protocol, TypedDict

import orjson
from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Response

from app.domain.caller_link import LinkRefusal, decide_page_event
from app.domain.common import Principal
from app.domain.model import Role
from app.domain.state import Entity
from app.protocol import Message, now_iso
from app.protocol.caller_link import CHAT_MAX
from app.protocol.codec import parse_ts
from app.resources import resource_path
from server_stub.ports import DeskPort

log = logging.getLogger("server_stub.caller_page")

PAGE_PREFIX = "/c/"
SOCKET_PREFIX = "/ws/caller/"
# The author of every event the page causes (and of the link desk's system decisions).
CALLER = Principal(id="caller-link", role=Role.ADMIN, name="caller link")
# Page and page-socket opens per remote address: a forged-token hunt stops here.
OPENS_PER_ADDRESS = 30
OPENS_WINDOW_S = 60.0
# Caller chat: this many messages per window, then "slow down".
CHAT_PER_WINDOW = 5
CHAT_WINDOW_S = 10.0
# A phone fix is forwarded at most this often unless it is much better.
LOCATION_GAP_S = 5.0
GONE_CLOSE = 4404

HTML_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; "
        "connect-src 'self' ws: wss:; media-src 'self'; base-uri 'none'; form-action 'none'"
    ),
}

Refusal = Callable[[str], tuple[str | None, LinkRefusal | None]]
"""``refusal(token)`` → (the link id or None, why the link cannot be used or None)."""
PageFrameHandler = Callable[[ServerConnection, str, dict[str, Any]], Awaitable[None]]
"""A handler of one page message: (page socket, link id, the decoded message)."""


class PhotoUploads(Protocol):
    """Where a page's photo goes (:class:`server_stub.caller_media.CallerMedia`). Loop."""

    async def begin(self, ws: ServerConnection, link_id: str, msg: Message) -> None:
        """``photo`` {bytes, content_type}: refuse it or tell the page to send the bytes."""
        ...

    async def chunk(self, ws: ServerConnection, link_id: str, chunk: bytes) -> None:
        """One binary frame of the announced photo."""
        ...

    def forget(self, ws: ServerConnection) -> None:
        """The page socket closed: drop its unfinished photo."""
        ...


class RateLimiter:
    """At most ``limit`` hits per ``window_s`` per key (sliding window). Loop only."""

    def __init__(self, limit: int, window_s: float) -> None:
        self.limit, self.window_s = limit, window_s
        self._hits: dict[str, deque[float]] = {}

    def allow(self, key: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        hits = self._hits.setdefault(key, deque())
        while hits and now - hits[0] > self.window_s:
            hits.popleft()
        if len(hits) >= self.limit:
            return False
        hits.append(now)
        if len(self._hits) > 10_000:  # bound memory: forget idle keys
            for k in [k for k, v in self._hits.items() if not v][:5000]:
                del self._hits[k]
        return True


def load_cards() -> dict[str, dict[str, object]]:
    """``resources/guidance/cards.json``: card id → {zh: {title, steps}, en: {...}, svg, safety?} (``safety``: the
    page keeps the card above the others). The ids are ``app.protocol.caller_link.GUIDANCE_CARDS``."""
    return json.loads(resource_path("guidance", "cards.json").read_text(encoding="utf-8"))


class CallerPage:
    """The page (``GET /c/<token>``), the gate of its socket, and the open page sockets. Loop.

    Args:
        port: the server.
        refusal: the link desk's token check.
        photos: where ``photo`` messages and binary frames go.
        rtc: the handler of ``rtc`` messages (the link's video relay).
        ice_servers: STUN/TURN servers the page gets in its welcome.
    """

    def __init__(self, port: DeskPort, *, refusal: Refusal, photos: PhotoUploads, rtc: PageFrameHandler,
                 ice_servers: list[dict[str, object]]) -> None:
        self.port = port
        self.refusal = refusal
        self.photos = photos
        self.rtc = rtc
        self.ice_servers = ice_servers
        self.cards = load_cards()
        self._pages: dict[str, set[ServerConnection]] = {}  # link id -> open page sockets
        self._opens = RateLimiter(OPENS_PER_ADDRESS, OPENS_WINDOW_S)
        self._chat = RateLimiter(CHAT_PER_WINDOW, CHAT_WINDOW_S)
        self._last_fix: dict[str, tuple[float, float]] = {}  # link id -> (monotonic, accuracy)
        self._cpr: dict[str, dict[str, Any]] = {}  # incident id -> the coach as the page shows it
        self._page = resource_path("caller_page", "index.html").read_bytes()
        self._gone = resource_path("caller_page", "gone.html").read_bytes()

    # ------------------------------------------------------------ HTTP
    def process_request(self, connection: ServerConnection, path: str) -> Response | None:
        """``GET /c/<token>`` (the page or "gone"), or the gate of ``/ws/caller/<token>`` (None: upgrade)."""
        address = remote_address(connection)
        if not self._opens.allow(address):
            log.warning("caller link: too many opens from %s", address)
            return html_response(HTTPStatus.TOO_MANY_REQUESTS, self._gone)
        if path.startswith(SOCKET_PREFIX):
            return None  # the socket handler checks the token and says "gone" in JSON
        _link_id, refusal = self.refusal(path[len(PAGE_PREFIX):])
        if refusal is not None:
            log.info("caller page refused (%s) for %s", refusal.value, address)
            return html_response(HTTPStatus.GONE, self._gone)
        return html_response(HTTPStatus.OK, self._page)

    # ------------------------------------------------------------ the page socket
    async def serve(self, ws: ServerConnection) -> None:
        """One caller page connection, until it closes. Never raises."""
        path = ws.request.path if ws.request is not None else ""  # set once the handshake is done
        token = path.split("?", 1)[0][len(SOCKET_PREFIX):]
        link_id, refusal = self.refusal(token)
        try:
            if refusal is not None or link_id is None:
                await gone_close(ws, (refusal or LinkRefusal.UNKNOWN).value)
                return
            self._pages.setdefault(link_id, set()).add(ws)
            await page_event(self.port, "call.link_opened", link_id)
            await ws.send(orjson.dumps(self._welcome(link_id)).decode())
            async for frame in ws:
                if isinstance(frame, bytes):
                    await self.photos.chunk(ws, link_id, frame)
                    continue
                await self._frame(ws, link_id, frame)
        except ConnectionClosed:
            pass
        except Exception:
            log.exception("caller page socket of link %s failed", link_id)
        finally:
            self.photos.forget(ws)
            if link_id is not None:
                self._pages.get(link_id, set()).discard(ws)

    def _welcome(self, link_id: str) -> dict[str, Any]:
        state = self.port.state
        call = state.calls[state.caller_links[link_id]["call_id"]]
        incident = state.incidents.get(call.get("incident_id") or "") or {}
        return {
            "type": "welcome",
            "consented": state.caller_links[link_id]["state"] == "consented",
            "chat": [{"from": c["from"], "text": c["text"], "at": c["at"]} for c in call.get("chat") or ()],
            "cards": [self.cards[g["card_id"]] | {"id": g["card_id"]} for g in call.get("guidance") or ()
                      if g["card_id"] in self.cards],
            "cpr": self._cpr.get(incident.get("incident_id") or ""),
            "ice_servers": self.ice_servers,
        }

    async def _frame(self, ws: ServerConnection, link_id: str, frame: str) -> None:
        try:
            msg = orjson.loads(frame)
        except orjson.JSONDecodeError:
            await reply(ws, "bad_json", "not JSON")
            return
        kind = msg.get("type") if isinstance(msg, dict) else None
        if kind == "consent":
            await page_event(self.port, "call.link_consented", link_id)
        elif kind == "location":
            fix = location(msg)
            if fix is None:
                await reply(ws, "invalid_args", "lat, lon and accuracy_m must be numbers in range")
                return
            last = self._last_fix.get(link_id)
            now = time.monotonic()
            if last is not None and now - last[0] < LOCATION_GAP_S and fix["accuracy_m"] > 0.8 * last[1]:
                return  # neither new enough nor much better: the seat has it
            self._last_fix[link_id] = (now, fix["accuracy_m"])
            await page_event(self.port, "call.link_located", link_id, location=fix)
        elif kind == "location_refused":
            await page_event(self.port, "call.link_location_refused", link_id)
        elif kind == "photo":
            await self.photos.begin(ws, link_id, msg)
        elif kind == "rtc":
            await self.rtc(ws, link_id, msg)
        elif kind == "chat":
            text = msg.get("text")
            if not isinstance(text, str) or not text.strip():
                await reply(ws, "invalid_args", "empty message")
            elif len(text) > CHAT_MAX:
                await reply(ws, "too_long", f"at most {CHAT_MAX} characters")
            elif not self._chat.allow(link_id):
                await reply(ws, "rate_limited", "too many messages; wait a few seconds")
            else:
                await page_event(self.port, "call.chat_received", link_id, text=text.strip())
        else:
            await reply(ws, "unknown_type", f"unknown message type {kind!r}")

    # ------------------------------------------------------------ server → pages
    def open_pages(self, link_id: str) -> set[ServerConnection]:
        """The page sockets open on a link now (a copy)."""
        return set(self._pages.get(link_id, ()))

    def to_pages(self, pages: set[ServerConnection], message: Mapping[str, object]) -> None:
        """Send ``message`` to each page socket (background sends; a closed page is skipped)."""
        frame = orjson.dumps(message).decode()
        for ws in list(pages):
            self.port.spawn(send_quietly(ws, frame), "caller page send")

    def on_event(self, msg: Message) -> None:
        """After an event is applied: tell the pages of its call (chat, card, CPR), or close a revoked link's."""
        name, d = msg["name"], msg["data"]
        if name == "call.chat_sent":
            self._to_call(d["call_id"], {"type": "chat", "from": "seat", "text": d["text"], "at": msg["ts"]})
        elif name == "call.chat_received":
            self._to_call(d["call_id"], {"type": "chat", "from": "caller", "text": d["text"], "at": msg["ts"]})
        elif name == "call.guidance_pushed" and d["card_id"] in self.cards:
            self._to_call(d["call_id"], {"type": "card", "card": self.cards[d["card_id"]] | {"id": d["card_id"]}})
        elif name in ("cpr.started", "cpr.stopped"):
            incident = self.port.state.incidents.get(d["incident_id"])
            if incident is None:
                return
            cpr = {"running": name == "cpr.started", "rate_per_min": d.get("rate_per_min"),
                   "variant": d.get("variant")}
            self._cpr[d["incident_id"]] = cpr
            for call_id in calls_of(incident):
                self._to_call(call_id, {"type": "cpr", **cpr})
        elif name == "call.link_revoked":
            for ws in list(self._pages.pop(d["link_id"], ())):
                self.port.spawn(gone_close(ws, d["reason"]), "caller page gone")

    def _to_call(self, call_id: str, message: dict[str, Any]) -> None:
        frame = orjson.dumps(message).decode()
        for link in self.port.state.caller_links.values():
            if link["call_id"] == call_id:
                for ws in list(self._pages.get(link["link_id"], ())):
                    self.port.spawn(send_quietly(ws, frame), "caller page send")


# ---------------------------------------------------------------- the page's wire, shared by the caller desks
async def page_event(port: DeskPort, name: str, link_id: str, **extra: object) -> None:
    """Append an event the page caused (``call.link_opened``, ``call.photo_received``…) as :data:`CALLER`."""
    await port.system(
        CALLER,
        lambda state: decide_page_event(state, name, link_id, datetime.now(UTC), **extra),
        f"caller page {name}",
    )


async def reply(ws: ServerConnection, code: str, message: str) -> None:
    """An ``error`` {code, message} to the page."""
    await ws.send(orjson.dumps({"type": "error", "code": code, "message": message}).decode())


async def gone_close(ws: ServerConnection, reason: str) -> None:
    """``gone`` {reason} to the page, then close with 4404. Never raises for a closed socket."""
    try:
        await ws.send(orjson.dumps({"type": "gone", "reason": reason}).decode())
        await ws.close(GONE_CLOSE, "link expired")
    except ConnectionClosed:
        pass


async def send_quietly(ws: ServerConnection, frame: str) -> None:
    try:
        await ws.send(frame)
    except ConnectionClosed:
        pass


def calls_of(incident: Entity) -> list[str]:
    """The incident's calls: its first call, then the others attached to it."""
    ids = [incident["call_id"]] if incident.get("call_id") else []
    return ids + [c for c in incident.get("calls") or () if c not in ids]



class LocationFix(TypedDict):
    """The fix of ``call.link_located`` made from a page's ``location`` message."""

    source: str  # always "caller_link"
    lat: float
    lon: float
    accuracy_m: float
    at: str  # protocol timestamp (UTC, ms, Z)

def location(msg: Mapping[str, object]) -> LocationFix | None:
    """A page's ``location`` message as the fix of ``call.link_located``; None if out of range or not numbers."""

    def number(key: str) -> float | None:
        value = msg.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            return None
        return float(value)

    lat, lon, acc = number("lat"), number("lon"), number("accuracy_m")
    if lat is None or lon is None or acc is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    if not 0 < acc <= 100_000:
        return None
    # The fix's own time (the phone's clock: the Geolocation API's timestamp) when it is a valid UTC
    # timestamp; else the server's clock on arrival.
    at = utc_ts(msg.get("at")) or now_iso()
    return {"source": "caller_link", "lat": lat, "lon": lon, "accuracy_m": round(acc, 1), "at": at}


def utc_ts(text: object) -> str | None:
    """A page's timestamp as a protocol timestamp (UTC, ms, ``Z``); None if it is not one with a zone."""
    if not isinstance(text, str) or len(text) > 40:
        return None
    try:
        at = parse_ts(text)
    except ValueError:
        return None
    if at.tzinfo is None:
        return None
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def remote_address(connection: ServerConnection) -> str:
    try:
        return str(connection.remote_address[0])
    except (TypeError, IndexError):
        return "?"


def text_response(status: HTTPStatus, text: str) -> Response:
    body = text.encode()
    headers = Headers({"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store",
                       "Content-Length": str(len(body))})
    return Response(status.value, status.phrase, headers, body)


def html_response(status: HTTPStatus, body: bytes) -> Response:
    headers = Headers(HTML_HEADERS)
    headers["Content-Length"] = str(len(body))
    return Response(status.value, status.phrase, headers, body)
