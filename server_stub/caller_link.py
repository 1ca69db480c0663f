"""The caller link on the server (issue 7): tokens, the caller's page and its websocket.

Runs on the server's asyncio loop; database and SMS work go to worker threads
(``asyncio.to_thread``). Nothing here raises into the server: a bad page frame
gets a JSON ``error`` reply, a dead link gets ``{"type": "gone"}`` and a close.

Why the same port as ``/ws``: websockets' ``process_request`` hook answers a plain
HTTP GET before the handshake (websockets ≥ 13 docs, "process_request": return a
``Response`` to send it instead of upgrading). The caller's page is one small
self-contained HTML document, so no second listener, certificate or port is
needed; TLS (``--tls-cert/--tls-key``) covers the page and both websockets at once.

Tokens: ``secrets.token_urlsafe(32)`` (256 bits), shown once to the sending seat
(direct ``caller_link`` message) and put in the SMS; the server keeps only its
SHA-256 (table ``caller_link_tokens``, beside the log — never in an event).

The page's protocol on ``/ws/caller/<token>`` (JSON text frames, see
docs/protocol.md § "Caller link"):

* page → server: ``consent``; ``location`` {lat, lon, accuracy_m, at?};
  ``location_refused``; ``chat`` {text}.
* server → page: ``welcome`` {chat: [...], cpr: {...}|null, cards: [...]}, ``chat``
  {from, text, at}, ``card`` {card}, ``cpr`` {running, rate_per_min, variant},
  ``error`` {code, message}, ``gone`` {reason}.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
import secrets
import time
import uuid
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from app.domain.caller_link import (
    MAX_PHOTOS_PER_CALL,
    LinkRefusal,
    decide_link_created,
    decide_media_purged,
    decide_page_event,
    decide_revoke_call,
    link_refusal,
    media_due_for_purge,
    photos_full,
)
from app.domain.common import Principal
from app.domain.model import Role
from app.protocol import ErrorCode, error, now_iso
from app.protocol.caller_link import (
    CHAT_MAX,
    PHOTO_MAX_BYTES,
    PHOTO_TYPES,
    RTC_DATA_MAX,
    MediaPurgeReason,
    PhotoRefusal,
    RevokeReason,
    caller_link_message,
    rtc_message,
)
from app.protocol.codec import parse_ts
from app.sms import SimulatedSmsGateway, SmsError, SmsGateway
from server_stub.auth import token_hash as auth_token_hash
from server_stub.clients import Client
from server_stub.ports import DeskPort
from server_stub.schema import caller_link_tokens_table, caller_media_table
from server_stub.store import EventStore

log = logging.getLogger("server_stub.caller_link")

RESOURCES = Path(__file__).resolve().parents[1] / "resources"
PAGE_PREFIX = "/c/"
SOCKET_PREFIX = "/ws/caller/"
DEFAULT_TTL_S = 2 * 3600.0
CALLER = Principal(id="caller-link", role=Role.ADMIN, name="caller link")
# Page and page-socket opens per remote address: a forged-token hunt stops here.
OPENS_PER_ADDRESS = 30
OPENS_WINDOW_S = 60.0
# Caller chat: this many messages per window, then "slow down".
CHAT_PER_WINDOW = 5
CHAT_WINDOW_S = 10.0
# Seconds between links of one call (a double key press sends one link).
LINK_SEND_GAP_S = 5.0
# A phone fix is forwarded at most this often unless it is much better.
LOCATION_GAP_S = 5.0
GONE_CLOSE = 4404
# Photo fetches per address and minute (seats showing thumbnails; a token hunt stops here).
MEDIA_GETS_PER_MINUTE = 300
# Video signalling frames per link and minute from the page (an offer and a few dozen ICE candidates).
RTC_PER_MINUTE = 200
# How often the retention purge looks for photos past --caller-media-days (it also runs at start).
PURGE_INTERVAL_S = 3600.0
LINK_NAMESPACE = uuid.UUID("8d3b6f2e-4c1a-4e9b-a7d5-2f6c0e8b1a93")

# Tables ``caller_link_tokens`` and ``caller_media`` (photos; retention rules beside their definition)
# are defined in server_stub/schema.py and made by the database migrations.
_TOKENS = caller_link_tokens_table
_MEDIA = caller_media_table
MEDIA_PREFIX = "/media/"
MEDIA_NAMESPACE = uuid.UUID("4a7c2e9b-1f3d-4b6a-9e8c-0d2f5a7b3c61")
# The page sends a photo as binary frames of at most this size (the server's frame limit is 256 KiB).
PHOTO_CHUNK = 192 * 1024
_MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))

_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; "
        "connect-src 'self' ws: wss:; media-src 'self'; base-uri 'none'; form-action 'none'"
    ),
}


def link_id_for_command(command_id: str) -> str:
    """The link's id, derived from the ``call.link_send`` command id (uuid5, like ECG strips and
    pre-notifications): a resent command names the same link, and the golden story is reproducible.
    The id is not secret (it is in the events); the token is."""
    return "L" + uuid.uuid5(LINK_NAMESPACE, command_id).hex[:16]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


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


def load_cards() -> dict[str, Any]:
    """``resources/guidance/cards.json``: card id → {zh: {title, steps}, en: {...}, svg, safety?} (``safety``: the
    page keeps the card above the others). The ids are ``app.protocol.caller_link.GUIDANCE_CARDS``."""
    return json.loads((RESOURCES / "guidance" / "cards.json").read_text(encoding="utf-8"))


class CallerLinkService:
    """Links, the page and the page sockets of one server. All methods on the server loop."""

    def __init__(
        self,
        port: DeskPort,
        store: EventStore,
        *,
        base_url: str | None,
        default_base_url: Callable[[], str],
        ttl_s: float = DEFAULT_TTL_S,
        sms: SmsGateway | None = None,
        ice_servers: tuple[dict[str, Any], ...] = (),
        keep_photos: bool = True,
        media_days: float = 0.0,
    ) -> None:
        self.port = port
        self.store = store
        self.default_base_url = default_base_url  # http://host:port once listening
        self.keep_photos = keep_photos
        self.media_days = media_days
        self.base_url = base_url.rstrip("/") if base_url else None
        self.ttl_s = ttl_s
        self.ice_servers = [dict(s) for s in ice_servers]
        self.sms: SmsGateway = sms if sms is not None else SimulatedSmsGateway()
        self._hash_to_link: dict[str, str] = {}
        self._pages: dict[str, set[ServerConnection]] = {}  # link id -> open page sockets
        self._uploads: dict[ServerConnection, dict[str, Any]] = {}  # page socket -> the photo it is sending
        self._opens = RateLimiter(OPENS_PER_ADDRESS, OPENS_WINDOW_S)
        self._chat = RateLimiter(CHAT_PER_WINDOW, CHAT_WINDOW_S)
        self._media_gets = RateLimiter(MEDIA_GETS_PER_MINUTE, 60.0)
        self._rtc = RateLimiter(RTC_PER_MINUTE, 60.0)
        self._last_send: dict[str, float] = {}
        self._last_fix: dict[str, tuple[float, float]] = {}  # link id -> (monotonic, accuracy)
        self._cpr: dict[str, dict[str, Any]] = {}  # incident id -> the coach as the page shows it
        self._page = (RESOURCES / "caller_page" / "index.html").read_bytes()
        self._gone = (RESOURCES / "caller_page" / "gone.html").read_bytes()
        self.cards = load_cards()

    # ------------------------------------------------------------ tokens
    def load(self) -> None:
        """Worker thread: read the token table."""
        engine = self.store.engine
        with engine.connect() as conn:
            self._hash_to_link = {row.token_hash: row.link_id for row in conn.execute(sa.select(_TOKENS))}

    def _save(self, digest: str, link_id: str) -> None:
        with self.store.engine.begin() as conn:
            conn.execute(sa.insert(_TOKENS).values(token_hash=digest, link_id=link_id))

    def _url(self, token: str) -> str:
        base = self.base_url or self.default_base_url()
        return f"{base}{PAGE_PREFIX}{token}"

    def refusal(self, token: str) -> tuple[str | None, LinkRefusal | None]:
        link_id = self._hash_to_link.get(token_hash(token)) if 20 <= len(token) <= 100 else None
        return link_id, link_refusal(self.port.state, link_id, datetime.now(UTC))

    # ------------------------------------------------------------ the seat's command
    async def link_send(self, client: Client, who: Principal, command_id: str, args: dict[str, Any]) -> None:
        """``call.link_send``: make a token, append ``call.link_created``, tell the seat the URL, SMS it."""
        call_id = args["call_id"]
        now = time.monotonic()
        if now - self._last_send.get(call_id, -math.inf) < LINK_SEND_GAP_S:
            self.port.push(client, error(ErrorCode.RATE_LIMITED, "a link was just sent for this call",
                                            ref=command_id))
            return
        token = secrets.token_urlsafe(32)
        link_id = link_id_for_command(command_id)
        expires_at = (datetime.now(UTC) + timedelta(seconds=self.ttl_s)).isoformat(timespec="milliseconds")
        expires_at = expires_at.replace("+00:00", "Z")
        call = self.port.state.calls.get(call_id)
        if args["via"] == "sms" and call is not None and not call.get("caller_number"):
            self.port.push(client, error(ErrorCode.INVALID_ARGS, "the call has no caller number to text",
                                            ref=command_id))
            return
        digest = token_hash(token)
        await asyncio.to_thread(self._save, digest, link_id)
        await self.port.execute(
            who,
            lambda state: decide_link_created(state, who, args, link_id, expires_at),
            command=(command_id, "call.link_send"),
            client=client,
        )
        if link_id not in self.port.state.caller_links:
            return  # refused (the seat got the error) or a duplicate command id
        self._hash_to_link[digest] = link_id
        self._last_send[call_id] = now
        url = self._url(token)
        self.port.push(client, caller_link_message(call_id=call_id, link_id=link_id, url=url,
                                                      expires_at=expires_at, ref=command_id))
        log.info("caller link %s for call %s via %s (expires %s)", link_id, call_id, args["via"], expires_at)
        if args["via"] == "sms":
            text = f"【120急救中心】请点击链接发送您的位置并与调度员文字沟通：{url} （仅限本次呼救使用）"
            try:
                await asyncio.to_thread(self.sms.send, str(call["caller_number"]), text)
            except SmsError as exc:
                log.warning("SMS for link %s not sent: %s", link_id, exc)
                self.port.push(client, error(ErrorCode.INTERNAL, f"SMS not sent: {exc}", ref=command_id))

    # ------------------------------------------------------------ HTTP
    def process_request(self, connection: ServerConnection, request: Request) -> Any:
        """The page (GET /c/<token>), the gate of the page socket, and the seat's photo fetch
        (GET /media/<id>: a coroutine websockets awaits). Loop."""
        path = request.path.split("?", 1)[0]
        address = _address(connection)
        if path.startswith(MEDIA_PREFIX):
            if not self._media_gets.allow(address):
                return _text(HTTPStatus.TOO_MANY_REQUESTS, "too many requests\n")
            return self.serve_media(request)
        if path.startswith(PAGE_PREFIX) or path.startswith(SOCKET_PREFIX):
            if not self._opens.allow(address):
                log.warning("caller link: too many opens from %s", address)
                return _html(HTTPStatus.TOO_MANY_REQUESTS, self._gone)
            if path.startswith(SOCKET_PREFIX):
                return None  # the socket handler checks the token and says "gone" in JSON
            _link_id, refusal = self.refusal(path[len(PAGE_PREFIX):])
            if refusal is not None:
                log.info("caller page refused (%s) for %s", refusal.value, address)
                return _html(HTTPStatus.GONE, self._gone)
            return _html(HTTPStatus.OK, self._page)
        return connection.respond(HTTPStatus.NOT_FOUND, "not found\n")

    # ------------------------------------------------------------ the page socket
    async def serve_page(self, ws: ServerConnection) -> None:
        """One caller page connection, until it closes. Never raises."""
        token = ws.request.path.split("?", 1)[0][len(SOCKET_PREFIX):]
        link_id, refusal = self.refusal(token)
        try:
            if refusal is not None or link_id is None:
                await self._gone_close(ws, (refusal or LinkRefusal.UNKNOWN).value)
                return
            self._pages.setdefault(link_id, set()).add(ws)
            await self._page_event("call.link_opened", link_id)
            await ws.send(orjson.dumps(self._welcome(link_id)).decode())
            async for frame in ws:
                if isinstance(frame, bytes):
                    await self._photo_chunk(ws, link_id, frame)
                    continue
                await self._page_frame(ws, link_id, frame)
        except ConnectionClosed:
            pass
        except Exception:
            log.exception("caller page socket of link %s failed", link_id)
        finally:
            self._uploads.pop(ws, None)
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

    async def _page_frame(self, ws: ServerConnection, link_id: str, frame: str) -> None:
        try:
            msg = orjson.loads(frame)
        except orjson.JSONDecodeError:
            await self._reply(ws, "bad_json", "not JSON")
            return
        kind = msg.get("type") if isinstance(msg, dict) else None
        if kind == "consent":
            await self._page_event("call.link_consented", link_id)
        elif kind == "location":
            location = _location(msg)
            if location is None:
                await self._reply(ws, "invalid_args", "lat, lon and accuracy_m must be numbers in range")
                return
            last = self._last_fix.get(link_id)
            now = time.monotonic()
            if last is not None and now - last[0] < LOCATION_GAP_S and location["accuracy_m"] > 0.8 * last[1]:
                return  # neither new enough nor much better: the seat has it
            self._last_fix[link_id] = (now, location["accuracy_m"])
            await self._page_event("call.link_located", link_id, location=location)
        elif kind == "location_refused":
            await self._page_event("call.link_location_refused", link_id)
        elif kind == "photo":
            await self._photo_begin(ws, link_id, msg)
        elif kind == "rtc":
            await self._rtc_from_page(ws, link_id, msg)
        elif kind == "chat":
            text = msg.get("text")
            if not isinstance(text, str) or not text.strip():
                await self._reply(ws, "invalid_args", "empty message")
            elif len(text) > CHAT_MAX:
                await self._reply(ws, "too_long", f"at most {CHAT_MAX} characters")
            elif not self._chat.allow(link_id):
                await self._reply(ws, "rate_limited", "too many messages; wait a few seconds")
            else:
                await self._page_event("call.chat_received", link_id, text=text.strip())
        else:
            await self._reply(ws, "unknown_type", f"unknown message type {kind!r}")

    # ------------------------------------------------------------ live video signalling
    async def _rtc_from_page(self, ws: ServerConnection, link_id: str, msg: dict[str, Any]) -> None:
        """``rtc`` {kind, data} from the page → ``rtc_from_caller`` to the link's seat (every connection of it).

        The server only relays: the media go phone → seat directly (or through the configured TURN
        server) and are never recorded here."""
        kind, data = msg.get("kind"), msg.get("data")
        if kind not in ("offer", "candidate", "bye") or not isinstance(data, str) or len(data) > RTC_DATA_MAX:
            await self._reply(ws, "invalid_args", "rtc needs kind offer|candidate|bye and data (JSON text)")
            return
        if not self._rtc.allow(link_id):
            await self._reply(ws, "rate_limited", "too many video messages")
            return
        link = self.port.state.caller_links[link_id]
        if kind == "offer":
            try:
                offer = orjson.loads(data)
            except orjson.JSONDecodeError:
                await self._reply(ws, "invalid_args", "offer data must be JSON")
                return
            data = orjson.dumps({"sdp": offer.get("sdp") if isinstance(offer, dict) else None,
                                 "ice_servers": self.ice_servers}).decode()
        frame = rtc_message("rtc_from_caller", call_id=link["call_id"], link_id=link_id, kind=kind, data=data)
        seats = self.port.clients_where(lambda c: c.principal.id == link["seat_id"])
        if not seats:
            await self._reply(ws, "no_seat", "the dispatcher's seat is not connected")
            return
        for client in seats:
            self.port.push(client, frame)

    def rtc_from_seat(self, client: Client, msg: dict[str, Any]) -> dict[str, Any] | None:
        """``rtc_to_caller`` from a seat → ``rtc`` {kind, data} to the link's open pages. Returns an error
        message for the seat, or None. Loop."""
        if client.principal.role != Role.SEAT:
            return error(ErrorCode.FORBIDDEN, "only a seat talks to a caller's page")
        link = self.port.state.caller_links.get(msg["link_id"])
        if link is None or link["call_id"] != msg["call_id"]:
            return error(ErrorCode.NOT_FOUND, f"no caller link {msg['link_id']} on call {msg['call_id']}")
        if link_refusal(self.port.state, msg["link_id"], datetime.now(UTC)) is not None:
            return error(ErrorCode.ILLEGAL_TRANSITION, f"caller link {msg['link_id']} is no longer live")
        pages = self._pages.get(msg["link_id"])
        if not pages:
            return error(ErrorCode.CONFLICT, "the caller's page is not open")
        self._to_pages(pages, {"type": "rtc", "kind": msg["kind"], "data": msg["data"]})
        return None

    def _to_pages(self, pages: set[ServerConnection], message: dict[str, Any]) -> None:
        frame = orjson.dumps(message).decode()
        for ws in list(pages):
            self.port.spawn(_send_quietly(ws, frame), "caller page send")

    # ------------------------------------------------------------ photos
    async def _photo_begin(self, ws: ServerConnection, link_id: str, msg: dict[str, Any]) -> None:
        """``photo`` {bytes, content_type}: refuse it (event + page error) or say ``photo_go``."""
        self._uploads.pop(ws, None)
        size, content_type = msg.get("bytes"), msg.get("content_type")
        if isinstance(size, bool) or not isinstance(size, int) or size < 1 or content_type not in PHOTO_TYPES:
            await self._reply(ws, "invalid_args", "bytes (a positive integer) and content_type (JPEG/PNG/WebP)")
            return
        call_id = self.port.state.caller_links[link_id]["call_id"]
        refusal = (PhotoRefusal.NOT_ACCEPTED if not self.keep_photos
                   else PhotoRefusal.TOO_LARGE if size > PHOTO_MAX_BYTES
                   else PhotoRefusal.TOO_MANY if photos_full(self.port.state, call_id) else None)
        if refusal is not None:
            await self._photo_refused(ws, link_id, size, refusal)
            return
        self._uploads[ws] = {"bytes": size, "content_type": content_type, "data": bytearray()}
        await ws.send(orjson.dumps({"type": "photo_go", "chunk": PHOTO_CHUNK}).decode())

    async def _photo_chunk(self, ws: ServerConnection, link_id: str, chunk: bytes) -> None:
        upload = self._uploads.get(ws)
        if upload is None:
            await self._reply(ws, "bad_message", "announce a photo first, then send its bytes")
            return
        data: bytearray = upload["data"]
        data += chunk
        if len(data) < upload["bytes"]:
            return
        del self._uploads[ws]
        body = bytes(data)
        if len(body) > upload["bytes"] or _sniff(body) != upload["content_type"]:
            await self._photo_refused(ws, link_id, len(body), PhotoRefusal.NOT_AN_IMAGE)
            return
        digest = hashlib.sha256(body).hexdigest()
        media_id = str(uuid.uuid5(MEDIA_NAMESPACE, f"{link_id}:{digest}"))
        call_id = self.port.state.caller_links[link_id]["call_id"]
        known = {p["media_id"] for p in self.port.state.calls[call_id].get("photos") or ()}
        if media_id not in known:
            await asyncio.to_thread(self._save_media, media_id, call_id, link_id, upload["content_type"], digest, body)
            await self._page_event("call.photo_received", link_id, media_id=media_id, bytes=len(body),
                                   sha256=digest, content_type=upload["content_type"])
            known = {p["media_id"] for p in self.port.state.calls[call_id].get("photos") or ()}
            if media_id not in known:  # refused (the link died meanwhile): keep nothing
                await asyncio.to_thread(self._delete_media, media_id)
                await self._reply(ws, "refused", "the photo was not accepted")
                return
        await ws.send(orjson.dumps({"type": "photo_ok", "media_id": media_id}).decode())

    async def _photo_refused(self, ws: ServerConnection, link_id: str, size: int, reason: PhotoRefusal) -> None:
        log.info("caller photo refused (%s, %d bytes) on link %s", reason.value, size, link_id)
        await self._page_event("call.photo_refused", link_id, bytes=size, reason=reason.value)
        why = ("this centre does not accept photos" if reason == PhotoRefusal.NOT_ACCEPTED
               else f"at most {PHOTO_MAX_BYTES // (1024 * 1024)} MB, {MAX_PHOTOS_PER_CALL} per call")
        await self._reply(ws, f"photo_{reason.value}", f"photo refused: {reason.value} ({why})")

    def _save_media(self, media_id: str, call_id: str, link_id: str, content_type: str, digest: str,
                    body: bytes) -> None:
        """Worker thread. Raises SQLAlchemyError."""
        with self.store.engine.begin() as conn:
            if conn.execute(sa.select(_MEDIA.c.media_id).where(_MEDIA.c.media_id == media_id)).first() is None:
                conn.execute(sa.insert(_MEDIA).values(
                    media_id=media_id, call_id=call_id, link_id=link_id, content_type=content_type,
                    bytes=len(body), sha256=digest, data=body, created_at=now_iso()))

    def _delete_media(self, media_id: str) -> None:
        with self.store.engine.begin() as conn:
            conn.execute(sa.delete(_MEDIA).where(_MEDIA.c.media_id == media_id))

    def _delete_many(self, media_ids: list[str]) -> None:
        """Worker thread. Raises SQLAlchemyError."""
        with self.store.engine.begin() as conn:
            conn.execute(sa.delete(_MEDIA).where(_MEDIA.c.media_id.in_(media_ids)))

    def stored_media_ids(self) -> set[str]:
        """Worker thread: ids of every photo whose bytes are stored."""
        with self.store.engine.connect() as conn:
            return {row.media_id for row in conn.execute(sa.select(_MEDIA.c.media_id))}

    async def purge_media(self, now: datetime | None = None) -> list[str]:
        """Delete the photos of incidents closed more than ``media_days`` before ``now`` (default: the
        clock), then record each call's deletion as ``call.media_purged``. Loop; returns the ids purged.

        Bytes go first, the event second: if the event cannot be appended, the photo is still unpurged in
        the state and the next pass deletes (idempotently) and records it. Raises SQLAlchemyError."""
        due = media_due_for_purge(self.port.state, now or datetime.now(UTC), self.media_days)
        purged: list[str] = []
        for call_id, media_ids in due.items():
            await asyncio.to_thread(self._delete_many, media_ids)
            await self.port.system(
                CALLER,
                lambda s, c=call_id, ids=media_ids: decide_media_purged(s, c, ids, MediaPurgeReason.RETENTION.value),
                "purge caller media",
            )
            log.info("caller photos of call %s purged after %g days: %s", call_id, self.media_days, media_ids)
            purged += media_ids
        return purged

    async def purge_forever(self, interval_s: float = PURGE_INTERVAL_S) -> None:
        """At start and every ``interval_s``: :meth:`purge_media`. Loop; logs failures and carries on."""
        while True:
            try:
                await self.purge_media()
            except Exception:
                log.exception("caller media purge failed; retrying in %g s", interval_s)
            await asyncio.sleep(interval_s)

    def media(self, media_id: str) -> tuple[str, bytes] | None:
        """Worker thread: (content type, bytes) of a stored photo, or None."""
        with self.store.engine.connect() as conn:
            row = conn.execute(sa.select(_MEDIA.c.content_type, _MEDIA.c.data)
                               .where(_MEDIA.c.media_id == media_id)).first()
        return None if row is None else (row.content_type, bytes(row.data))

    async def serve_media(self, request: Request) -> Response:
        """``GET /media/<media_id>`` with ``Authorization: Bearer <seat token>``. Loop; never raises."""
        media_id = request.path.split("?", 1)[0][len(MEDIA_PREFIX):]
        auth = request.headers.get("Authorization", "")
        token = auth[len("Bearer "):] if auth.startswith("Bearer ") else ""
        try:
            uuid.UUID(media_id)
        except ValueError:
            return _text(HTTPStatus.NOT_FOUND, "no such photo\n")
        if not 10 <= len(token) <= 200:
            return _text(HTTPStatus.UNAUTHORIZED, "a seat token is needed\n")
        try:
            row = await asyncio.to_thread(self.store.principal_by_token_hash, auth_token_hash(token))
            if row is None or row.revoked or row.role not in (Role.SEAT.value, Role.ADMIN.value):
                return _text(HTTPStatus.UNAUTHORIZED, "unknown or revoked seat token\n")
            found = await asyncio.to_thread(self.media, media_id)
        except Exception:
            log.exception("could not read photo %s", media_id)
            return _text(HTTPStatus.INTERNAL_SERVER_ERROR, "could not read the photo\n")
        if found is None:
            return _text(HTTPStatus.NOT_FOUND, "no such photo\n")
        content_type, body = found
        headers = Headers({"Content-Type": content_type, "Cache-Control": "no-store",
                           "X-Content-Type-Options": "nosniff", "Content-Length": str(len(body))})
        return Response(HTTPStatus.OK.value, HTTPStatus.OK.phrase, headers, body)

    async def _page_event(self, name: str, link_id: str, **extra: Any) -> None:
        await self.port.system(
            CALLER,
            lambda state: decide_page_event(state, name, link_id, datetime.now(UTC), **extra),
            f"caller page {name}",
        )

    @staticmethod
    async def _reply(ws: ServerConnection, code: str, message: str) -> None:
        await ws.send(orjson.dumps({"type": "error", "code": code, "message": message}).decode())

    @staticmethod
    async def _gone_close(ws: ServerConnection, reason: str) -> None:
        try:
            await ws.send(orjson.dumps({"type": "gone", "reason": reason}).decode())
            await ws.close(GONE_CLOSE, "link expired")
        except ConnectionClosed:
            pass

    # ------------------------------------------------------------ events → pages
    def on_events(self, events: list[dict[str, Any]]) -> None:
        """After events are applied: deliver to the pages, revoke links of closed incidents. Loop."""
        state = self.port.state
        for msg in events:
            name, d = msg["name"], msg["data"]
            if name == "call.chat_sent":
                self._to_call(d["call_id"], {"type": "chat", "from": "seat", "text": d["text"], "at": msg["ts"]})
            elif name == "call.chat_received":
                self._to_call(d["call_id"], {"type": "chat", "from": "caller", "text": d["text"], "at": msg["ts"]})
            elif name == "call.guidance_pushed" and d["card_id"] in self.cards:
                self._to_call(d["call_id"], {"type": "card", "card": self.cards[d["card_id"]] | {"id": d["card_id"]}})
            elif name in ("cpr.started", "cpr.stopped"):
                incident = state.incidents.get(d["incident_id"])
                if incident is None:
                    continue
                cpr = {"running": name == "cpr.started", "rate_per_min": d.get("rate_per_min"),
                       "variant": d.get("variant")}
                self._cpr[d["incident_id"]] = cpr
                for call_id in _calls_of(incident):
                    self._to_call(call_id, {"type": "cpr", **cpr})
            elif name == "call.link_revoked":
                for ws in list(self._pages.pop(d["link_id"], ())):
                    self.port.spawn(self._gone_close(ws, d["reason"]), "caller page gone")
            elif name == "incident.closed":
                incident = state.incidents.get(d["incident_id"]) or {}
                for call_id in _calls_of(incident):
                    self.port.spawn(
                        self.port.system(
                            CALLER,
                            lambda s, c=call_id: decide_revoke_call(s, c, RevokeReason.INCIDENT_CLOSED.value),
                            "revoke caller links",
                        ),
                        "revoke caller links",
                    )

    def _to_call(self, call_id: str, message: dict[str, Any]) -> None:
        frame = orjson.dumps(message).decode()
        for link in self.port.state.caller_links.values():
            if link["call_id"] == call_id:
                for ws in list(self._pages.get(link["link_id"], ())):
                    self.port.spawn(_send_quietly(ws, frame), "caller page send")


async def _send_quietly(ws: ServerConnection, frame: str) -> None:
    try:
        await ws.send(frame)
    except ConnectionClosed:
        pass


def _calls_of(incident: dict[str, Any]) -> list[str]:
    ids = [incident["call_id"]] if incident.get("call_id") else []
    return ids + [c for c in incident.get("calls") or () if c not in ids]


def _location(msg: dict[str, Any]) -> dict[str, Any] | None:
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
    at = _utc_ts(msg.get("at")) or now_iso()
    return {"source": "caller_link", "lat": lat, "lon": lon, "accuracy_m": round(acc, 1), "at": at}


def _utc_ts(text: Any) -> str | None:
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


def _address(connection: ServerConnection) -> str:
    try:
        return str(connection.remote_address[0])
    except (TypeError, IndexError):
        return "?"


def _sniff(body: bytes) -> str | None:
    """The image type by its first bytes (JPEG, PNG, WebP), or None."""
    for magic, content_type in _MAGIC:
        if body.startswith(magic):
            return content_type
    if body[:4] == b"RIFF" and body[8:12] == b"WEBP":
        return "image/webp"
    return None


def _text(status: HTTPStatus, text: str) -> Response:
    body = text.encode()
    headers = Headers({"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store",
                       "Content-Length": str(len(body))})
    return Response(status.value, status.phrase, headers, body)


def _html(status: HTTPStatus, body: bytes) -> Response:
    headers = Headers(_HEADERS)
    headers["Content-Length"] = str(len(body))
    return Response(status.value, status.phrase, headers, body)

