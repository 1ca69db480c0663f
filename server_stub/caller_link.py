"""The caller link on the server: links and their tokens, sending a link, and the video relay.

A seat's ``call.link_send`` makes a link (``call.link_created``) and a token, tells the
seat the page's URL and, when asked, texts it to the caller. The caller's phone then
opens the page (:mod:`server_stub.caller_page`: the HTML, its websocket, chat, location)
and may send photos (:mod:`server_stub.caller_media`: upload, ``/media/<id>``, retention).
:class:`CallerLinkService` builds those two parts and is the one object the server knows.

Runs on the server's asyncio loop; database and SMS work go to worker threads
(``asyncio.to_thread``). Nothing here raises into the server.

Tokens: ``secrets.token_urlsafe(32)`` (256 bits), shown once to the sending seat
(direct ``caller_link`` message) and put in the SMS; the server keeps only its
SHA-256 (table ``caller_link_tokens``, beside the log — never in an event).

Live video: the server only relays the WebRTC signalling between the page (``rtc``)
and the link's seat (``rtc_from_caller`` / ``rtc_to_caller``); the media go phone → seat
directly (or through the configured TURN server) and are never recorded here.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import secrets
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any

import orjson
import sqlalchemy as sa
from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request

from app.domain.caller_link import LinkRefusal, decide_link_created, decide_revoke_call, link_refusal
from app.domain.common import Principal
from app.domain.model import Role
from app.protocol import ErrorCode, error
from app.protocol.caller_link import RTC_DATA_MAX, RevokeReason, caller_link_message, rtc_message
from app.sms import SimulatedSmsGateway, SmsError, SmsGateway
from server_stub.auth import token_hash
from server_stub.caller_media import MEDIA_PREFIX, CallerMedia
from server_stub.caller_page import (
    CALLER,
    PAGE_PREFIX,
    SOCKET_PREFIX,
    CallerPage,
    RateLimiter,
    calls_of,
    reply,
)
from server_stub.clients import Client
from server_stub.ports import DeskPort
from server_stub.schema import caller_link_tokens_table
from server_stub.store import EventStore

__all__ = ["CallerLinkService", "link_id_for_command", "token_hash"]

log = logging.getLogger("server_stub.caller_link")

DEFAULT_TTL_S = 2 * 3600.0
# Seconds between links of one call (a double key press sends one link).
LINK_SEND_GAP_S = 5.0
# Video signalling frames per link and minute from the page (an offer and a few dozen ICE candidates).
RTC_PER_MINUTE = 200
LINK_NAMESPACE = uuid.UUID("8d3b6f2e-4c1a-4e9b-a7d5-2f6c0e8b1a93")

# Table ``caller_link_tokens``, defined in server_stub/schema.py and made by the database migrations.
TOKENS = caller_link_tokens_table


def link_id_for_command(command_id: str) -> str:
    """The link's id, derived from the ``call.link_send`` command id (uuid5, like ECG strips and
    pre-notifications): a resent command names the same link, and the golden story is reproducible.
    The id is not secret (it is in the events); the token is."""
    return "L" + uuid.uuid5(LINK_NAMESPACE, command_id).hex[:16]


class CallerLinkService:
    """The caller link desk of one server: links, tokens, the relay; it owns the page and the photos.

    All methods on the server loop unless they say otherwise.
    """

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
        self.base_url = base_url.rstrip("/") if base_url else None
        self.ttl_s = ttl_s
        self.ice_servers = [dict(s) for s in ice_servers]
        self.sms: SmsGateway = sms if sms is not None else SimulatedSmsGateway()
        self._hash_to_link: dict[str, str] = {}
        self._rtc = RateLimiter(RTC_PER_MINUTE, 60.0)
        self._last_send: dict[str, float] = {}
        self.media = CallerMedia(port, store, keep_photos=keep_photos, media_days=media_days)
        self.page = CallerPage(port, refusal=self.refusal, photos=self.media, rtc=self.rtc_from_page,
                               ice_servers=self.ice_servers)

    # ------------------------------------------------------------ tokens
    def load(self) -> None:
        """Worker thread: read the token table."""
        with self.store.engine.connect() as conn:
            self._hash_to_link = {row.token_hash: row.link_id for row in conn.execute(sa.select(TOKENS))}

    def _save(self, digest: str, link_id: str) -> None:
        with self.store.engine.begin() as conn:
            conn.execute(sa.insert(TOKENS).values(token_hash=digest, link_id=link_id))

    def _url(self, token: str) -> str:
        base = self.base_url or self.default_base_url()
        return f"{base}{PAGE_PREFIX}{token}"

    def refusal(self, token: str) -> tuple[str | None, LinkRefusal | None]:
        """The link a page token opens (None if unknown), and why it cannot be used now (None: it can)."""
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
        if args["via"] == "sms" and call is not None:  # (a call the log does not know was refused above)
            text = f"【120急救中心】请点击链接发送您的位置并与调度员文字沟通：{url} （仅限本次呼救使用）"
            try:
                await asyncio.to_thread(self.sms.send, str(call["caller_number"]), text)
            except SmsError as exc:
                log.warning("SMS for link %s not sent: %s", link_id, exc)
                self.port.push(client, error(ErrorCode.INTERNAL, f"SMS not sent: {exc}", ref=command_id))

    # ------------------------------------------------------------ HTTP and the page socket
    def process_request(self, connection: ServerConnection, request: Request) -> Any:
        """The page (GET /c/<token>), the gate of the page socket, and the seat's photo fetch
        (GET /media/<id>: a coroutine websockets awaits)."""
        path = request.path.split("?", 1)[0]
        if path.startswith(MEDIA_PREFIX):
            return self.media.process_request(connection, request)
        if path.startswith(PAGE_PREFIX) or path.startswith(SOCKET_PREFIX):
            return self.page.process_request(connection, path)
        return connection.respond(HTTPStatus.NOT_FOUND, "not found\n")

    async def serve_page(self, ws: ServerConnection) -> None:
        """One caller page connection (``/ws/caller/<token>``), until it closes. Never raises."""
        await self.page.serve(ws)

    async def purge_forever(self) -> None:
        """The photos' retention purge, at start and every hour (:meth:`CallerMedia.purge_forever`)."""
        await self.media.purge_forever()

    # ------------------------------------------------------------ live video signalling
    async def rtc_from_page(self, ws: ServerConnection, link_id: str, msg: dict[str, Any]) -> None:
        """``rtc`` {kind, data} from the page → ``rtc_from_caller`` to the link's seat (every connection of it)."""
        kind, data = msg.get("kind"), msg.get("data")
        if kind not in ("offer", "candidate", "bye") or not isinstance(data, str) or len(data) > RTC_DATA_MAX:
            await reply(ws, "invalid_args", "rtc needs kind offer|candidate|bye and data (JSON text)")
            return
        if not self._rtc.allow(link_id):
            await reply(ws, "rate_limited", "too many video messages")
            return
        link = self.port.state.caller_links[link_id]
        if kind == "offer":
            try:
                offer = orjson.loads(data)
            except orjson.JSONDecodeError:
                await reply(ws, "invalid_args", "offer data must be JSON")
                return
            data = orjson.dumps({"sdp": offer.get("sdp") if isinstance(offer, dict) else None,
                                 "ice_servers": self.ice_servers}).decode()
        frame = rtc_message("rtc_from_caller", call_id=link["call_id"], link_id=link_id, kind=kind, data=data)
        seats = self.port.clients_where(lambda c: c.principal.id == link["seat_id"])
        if not seats:
            await reply(ws, "no_seat", "the dispatcher's seat is not connected")
            return
        for client in seats:
            self.port.push(client, frame)

    def rtc_from_seat(self, client: Client, msg: dict[str, Any]) -> dict[str, Any] | None:
        """``rtc_to_caller`` from a seat → ``rtc`` {kind, data} to the link's open pages. Returns an error
        message for the seat, or None."""
        if client.principal.role != Role.SEAT:
            return error(ErrorCode.FORBIDDEN, "only a seat talks to a caller's page")
        link = self.port.state.caller_links.get(msg["link_id"])
        if link is None or link["call_id"] != msg["call_id"]:
            return error(ErrorCode.NOT_FOUND, f"no caller link {msg['link_id']} on call {msg['call_id']}")
        if link_refusal(self.port.state, msg["link_id"], datetime.now(UTC)) is not None:
            return error(ErrorCode.ILLEGAL_TRANSITION, f"caller link {msg['link_id']} is no longer live")
        pages = self.page.open_pages(msg["link_id"])
        if not pages:
            return error(ErrorCode.CONFLICT, "the caller's page is not open")
        self.page.to_pages(pages, {"type": "rtc", "kind": msg["kind"], "data": msg["data"]})
        return None

    # ------------------------------------------------------------ events → pages, links
    def on_events(self, events: list[dict[str, Any]]) -> None:
        """After events are applied: deliver to the pages, revoke links of closed incidents."""
        for msg in events:
            self.page.on_event(msg)
            if msg["name"] == "incident.closed":
                incident = self.port.state.incidents.get(msg["data"]["incident_id"]) or {}
                for call_id in calls_of(incident):
                    self.port.spawn(
                        self.port.system(
                            CALLER,
                            functools.partial(decide_revoke_call, call_id=call_id,
                                              reason=RevokeReason.INCIDENT_CLOSED.value),
                            "revoke caller links",
                        ),
                        "revoke caller links",
                    )
