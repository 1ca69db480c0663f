"""The caller's photos on the server: the upload over the page socket, ``GET /media/<id>``, retention.

Runs on the server's asyncio loop; database work goes to worker threads
(``asyncio.to_thread``). Nothing here raises into the server.

* **Upload.** The page announces ``photo`` {bytes, content_type}; the server refuses it
  (``call.photo_refused`` and an error to the page) or answers ``photo_go`` {chunk}; the
  page then sends the bytes as binary frames. A complete photo whose first bytes match its
  type is stored (table ``caller_media``, beside the log, never in an event) under a
  uuid5 of its link and SHA-256, and recorded as ``call.photo_received``.
* **Fetch.** A seat (or admin) fetches the bytes with ``GET /media/<media_id>`` and
  ``Authorization: Bearer <its token>``; fetches are rate-limited per address.
* **Retention.** With ``--caller-media-days`` > 0 the photos of incidents closed longer
  ago are deleted (at start and every hour) and the deletion recorded as
  ``call.media_purged``.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import uuid
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

import orjson
import sqlalchemy as sa
from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from app.domain.caller_link import MAX_PHOTOS_PER_CALL, decide_media_purged, media_due_for_purge, photos_full
from app.domain.model import Role
from app.protocol import now_iso
from app.protocol.caller_link import PHOTO_MAX_BYTES, PHOTO_TYPES, MediaPurgeReason, PhotoRefusal
from server_stub.auth import token_hash
from server_stub.caller_page import (
    CALLER,
    RateLimiter,
    page_event,
    remote_address,
    reply,
    text_response,
)
from server_stub.ports import DeskPort
from server_stub.schema import caller_media_table
from server_stub.store import EventStore

log = logging.getLogger("server_stub.caller_media")

MEDIA_PREFIX = "/media/"
MEDIA_NAMESPACE = uuid.UUID("4a7c2e9b-1f3d-4b6a-9e8c-0d2f5a7b3c61")
# The page sends a photo as binary frames of at most this size (the server's frame limit is 256 KiB).
PHOTO_CHUNK = 192 * 1024
# Photo fetches per address and minute (seats showing thumbnails; a token hunt stops here).
MEDIA_GETS_PER_MINUTE = 300
# How often the retention purge looks for photos past --caller-media-days (it also runs at start).
PURGE_INTERVAL_S = 3600.0
IMAGE_MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))

# Table ``caller_media`` (retention rules beside its definition in server_stub/schema.py; made by the
# database migrations).
MEDIA = caller_media_table


def sniff(body: bytes) -> str | None:
    """The image type by its first bytes (JPEG, PNG, WebP), or None."""
    for magic, content_type in IMAGE_MAGIC:
        if body.startswith(magic):
            return content_type
    if body[:4] == b"RIFF" and body[8:12] == b"WEBP":
        return "image/webp"
    return None


class CallerMedia:
    """Photos of one server: uploads (a :class:`server_stub.caller_page.PhotoUploads`), fetch, purge. Loop.

    Args:
        port: the server.
        store: the event store (its engine holds ``caller_media``; its principals check a fetch).
        keep_photos: False: every photo is refused (``not_accepted``).
        media_days: days after its incident closed that a photo is kept; 0: forever.
    """

    def __init__(self, port: DeskPort, store: EventStore, *, keep_photos: bool = True,
                 media_days: float = 0.0) -> None:
        self.port = port
        self.store = store
        self.keep_photos = keep_photos
        self.media_days = media_days
        self._uploads: dict[ServerConnection, dict[str, Any]] = {}  # page socket -> the photo it is sending
        self._gets = RateLimiter(MEDIA_GETS_PER_MINUTE, 60.0)

    # ------------------------------------------------------------ upload (PhotoUploads)
    async def begin(self, ws: ServerConnection, link_id: str, msg: dict[str, Any]) -> None:
        """``photo`` {bytes, content_type}: refuse it (event + page error) or say ``photo_go``."""
        self._uploads.pop(ws, None)
        size, content_type = msg.get("bytes"), msg.get("content_type")
        if isinstance(size, bool) or not isinstance(size, int) or size < 1 or content_type not in PHOTO_TYPES:
            await reply(ws, "invalid_args", "bytes (a positive integer) and content_type (JPEG/PNG/WebP)")
            return
        call_id = self.port.state.caller_links[link_id]["call_id"]
        refusal = (PhotoRefusal.NOT_ACCEPTED if not self.keep_photos
                   else PhotoRefusal.TOO_LARGE if size > PHOTO_MAX_BYTES
                   else PhotoRefusal.TOO_MANY if photos_full(self.port.state, call_id) else None)
        if refusal is not None:
            await self._refused(ws, link_id, size, refusal)
            return
        self._uploads[ws] = {"bytes": size, "content_type": content_type, "data": bytearray()}
        await ws.send(orjson.dumps({"type": "photo_go", "chunk": PHOTO_CHUNK}).decode())

    async def chunk(self, ws: ServerConnection, link_id: str, chunk: bytes) -> None:
        upload = self._uploads.get(ws)
        if upload is None:
            await reply(ws, "bad_message", "announce a photo first, then send its bytes")
            return
        data: bytearray = upload["data"]
        data += chunk
        if len(data) < upload["bytes"]:
            return
        del self._uploads[ws]
        body = bytes(data)
        if len(body) > upload["bytes"] or sniff(body) != upload["content_type"]:
            await self._refused(ws, link_id, len(body), PhotoRefusal.NOT_AN_IMAGE)
            return
        digest = hashlib.sha256(body).hexdigest()
        media_id = str(uuid.uuid5(MEDIA_NAMESPACE, f"{link_id}:{digest}"))
        call_id = self.port.state.caller_links[link_id]["call_id"]
        known = {p["media_id"] for p in self.port.state.calls[call_id].get("photos") or ()}
        if media_id not in known:
            await asyncio.to_thread(self._save, media_id, call_id, link_id, upload["content_type"], digest, body)
            await page_event(self.port, "call.photo_received", link_id, media_id=media_id, bytes=len(body),
                             sha256=digest, content_type=upload["content_type"])
            known = {p["media_id"] for p in self.port.state.calls[call_id].get("photos") or ()}
            if media_id not in known:  # refused (the link died meanwhile): keep nothing
                await asyncio.to_thread(self._delete, [media_id])
                await reply(ws, "refused", "the photo was not accepted")
                return
        await ws.send(orjson.dumps({"type": "photo_ok", "media_id": media_id}).decode())

    def forget(self, ws: ServerConnection) -> None:
        self._uploads.pop(ws, None)

    async def _refused(self, ws: ServerConnection, link_id: str, size: int, reason: PhotoRefusal) -> None:
        log.info("caller photo refused (%s, %d bytes) on link %s", reason.value, size, link_id)
        await page_event(self.port, "call.photo_refused", link_id, bytes=size, reason=reason.value)
        why = ("this centre does not accept photos" if reason == PhotoRefusal.NOT_ACCEPTED
               else f"at most {PHOTO_MAX_BYTES // (1024 * 1024)} MB, {MAX_PHOTOS_PER_CALL} per call")
        await reply(ws, f"photo_{reason.value}", f"photo refused: {reason.value} ({why})")

    # ------------------------------------------------------------ the table (worker threads)
    def _save(self, media_id: str, call_id: str, link_id: str, content_type: str, digest: str,
              body: bytes) -> None:
        """Worker thread. Raises SQLAlchemyError."""
        with self.store.engine.begin() as conn:
            if conn.execute(sa.select(MEDIA.c.media_id).where(MEDIA.c.media_id == media_id)).first() is None:
                conn.execute(sa.insert(MEDIA).values(
                    media_id=media_id, call_id=call_id, link_id=link_id, content_type=content_type,
                    bytes=len(body), sha256=digest, data=body, created_at=now_iso()))

    def _delete(self, media_ids: list[str]) -> None:
        """Worker thread. Raises SQLAlchemyError."""
        with self.store.engine.begin() as conn:
            conn.execute(sa.delete(MEDIA).where(MEDIA.c.media_id.in_(media_ids)))

    def stored_media_ids(self) -> set[str]:
        """Worker thread: ids of every photo whose bytes are stored."""
        with self.store.engine.connect() as conn:
            return {row.media_id for row in conn.execute(sa.select(MEDIA.c.media_id))}

    def media(self, media_id: str) -> tuple[str, bytes] | None:
        """Worker thread: (content type, bytes) of a stored photo, or None."""
        with self.store.engine.connect() as conn:
            row = conn.execute(sa.select(MEDIA.c.content_type, MEDIA.c.data)
                               .where(MEDIA.c.media_id == media_id)).first()
        return None if row is None else (row.content_type, bytes(row.data))

    # ------------------------------------------------------------ retention
    async def purge_media(self, now: datetime | None = None) -> list[str]:
        """Delete the photos of incidents closed more than ``media_days`` before ``now`` (default: the
        clock), then record each call's deletion as ``call.media_purged``. Loop; returns the ids purged.

        Bytes go first, the event second: if the event cannot be appended, the photo is still unpurged in
        the state and the next pass deletes (idempotently) and records it. Raises SQLAlchemyError."""
        due = media_due_for_purge(self.port.state, now or datetime.now(UTC), self.media_days)
        purged: list[str] = []
        for call_id, media_ids in due.items():
            await asyncio.to_thread(self._delete, media_ids)
            await self.port.system(
                CALLER,
                functools.partial(decide_media_purged, call_id=call_id, media_ids=media_ids,
                                  reason=MediaPurgeReason.RETENTION.value),
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

    # ------------------------------------------------------------ HTTP
    def process_request(self, connection: ServerConnection, request: Request) -> Any:
        """``GET /media/<id>``: 429 past the per-address rate, else a coroutine websockets awaits."""
        if not self._gets.allow(remote_address(connection)):
            return text_response(HTTPStatus.TOO_MANY_REQUESTS, "too many requests\n")
        return self.serve_media(request)

    async def serve_media(self, request: Request) -> Response:
        """``GET /media/<media_id>`` with ``Authorization: Bearer <seat token>``. Loop; never raises."""
        media_id = request.path.split("?", 1)[0][len(MEDIA_PREFIX):]
        auth = request.headers.get("Authorization", "")
        token = auth[len("Bearer "):] if auth.startswith("Bearer ") else ""
        try:
            uuid.UUID(media_id)
        except ValueError:
            return text_response(HTTPStatus.NOT_FOUND, "no such photo\n")
        if not 10 <= len(token) <= 200:
            return text_response(HTTPStatus.UNAUTHORIZED, "a seat token is needed\n")
        try:
            row = await asyncio.to_thread(self.store.principal_by_token_hash, token_hash(token))
            if row is None or row.revoked or row.role not in (Role.SEAT.value, Role.ADMIN.value):
                return text_response(HTTPStatus.UNAUTHORIZED, "unknown or revoked seat token\n")
            found = await asyncio.to_thread(self.media, media_id)
        except Exception:
            log.exception("could not read photo %s", media_id)
            return text_response(HTTPStatus.INTERNAL_SERVER_ERROR, "could not read the photo\n")
        if found is None:
            return text_response(HTTPStatus.NOT_FOUND, "no such photo\n")
        content_type, body = found
        headers = Headers({"Content-Type": content_type, "Cache-Control": "no-store",
                           "X-Content-Type-Options": "nosniff", "Content-Length": str(len(body))})
        return Response(HTTPStatus.OK.value, HTTPStatus.OK.phrase, headers, body)
