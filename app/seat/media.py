"""Fetch a caller's photo from the server: ``GET /media/<media_id>`` with the seat's token.

The photos themselves never travel in events (``call.photo_received`` holds only the id, size and
SHA-256); the server keeps them beside its log (``server_stub/caller_media.py``). The seat asks
for one over plain HTTP(S) on the server's own port with ``Authorization: Bearer <seat token>``
and checks the bytes against the event's SHA-256.

Blocking (urllib): call it from a worker thread, never the GUI thread or the sync client's loop.
"""

from __future__ import annotations

import hashlib
import ssl
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import orjson

MEDIA_MAX_BYTES = 16 * 1024 * 1024  # twice the server's limit: a larger answer is not ours


class MediaError(Exception):
    """The photo could not be fetched (network, refused, missing, or not the bytes the event names).

    ``status`` is the HTTP status of a refusal (401, 404, ...), None for a network or content failure;
    ``detail`` the refusal's explanation: the ``message`` of the server's JSON error body, else the
    HTTP reason phrase.
    """

    def __init__(self, message: str, *, status: int | None = None, detail: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail


def server_http_url(server_url: str, path: str) -> str:
    """``ws://host:port/ws`` + ``/media/x`` → ``http://host:port/media/x`` (``wss`` → ``https``). Raises ValueError."""
    parts = urlsplit(server_url)
    if parts.scheme not in ("ws", "wss") or not parts.netloc:
        raise ValueError(f"not a websocket URL: {server_url!r}")
    scheme = "https" if parts.scheme == "wss" else "http"
    return f"{scheme}://{parts.netloc}{path}"


def media_url(server_url: str, media_id: str) -> str:
    """``ws://host:port/ws`` → ``http://host:port/media/<id>`` (``wss`` → ``https``). Raises ValueError."""
    return server_http_url(server_url, f"/media/{media_id}")


def authenticated_get(
    url: str,
    token: str,
    *,
    what: str,
    max_bytes: int,
    timeout: float = 10.0,
    context: ssl.SSLContext | None = None,
    accept: str | None = None,
) -> tuple[str, bytes]:
    """(content type, body) of ``GET url`` with ``Authorization: Bearer <token>``. Blocking; worker thread.

    Shared by the photo, ECG-strip, KPI and record fetchers; ``what`` names the thing in error
    messages, ``accept`` is sent as the ``Accept`` header.

    Raises:
        MediaError: an HTTP error status (401, 404, ...), a network failure, or a body larger than
            ``max_bytes``. ``MediaError.status`` is the HTTP status when there was one.
    """
    headers = {"Authorization": f"Bearer {token}"}
    if accept is not None:
        headers["Accept"] = accept
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:  # noqa: S310
            body = response.read(max_bytes + 1)
            content_type = response.headers.get_content_type()
    except urllib.error.HTTPError as exc:
        with exc:
            detail = _error_message(exc.read(64 * 1024)) or str(exc.reason)
        raise MediaError(f"{what}: HTTP {exc.code} {exc.reason}", status=exc.code, detail=detail) from None
    except (urllib.error.URLError, OSError) as exc:
        raise MediaError(f"{what}: {exc}") from None
    if len(body) > max_bytes:
        raise MediaError(f"{what}: larger than {max_bytes} bytes")
    return content_type, body


def _error_message(body: bytes) -> str:
    """The ``message`` of the server's JSON error body (``{"error", "message"}``), or ""."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return ""
    return str(data.get("message", "")) if isinstance(data, dict) else ""


def fetch_media(
    server_url: str,
    token: str,
    media_id: str,
    *,
    sha256: str | None = None,
    timeout: float = 10.0,
    context: ssl.SSLContext | None = None,
) -> tuple[str, bytes]:
    """(content type, bytes) of photo ``media_id``. Blocking; worker thread.

    Raises:
        MediaError: refused (401), unknown (404), network failure, too large, or the bytes do not
            match ``sha256`` when given.
        ValueError: ``server_url`` is not a ws:// or wss:// URL.
    """
    content_type, body = authenticated_get(media_url(server_url, media_id), token, what=f"photo {media_id}",
                                           max_bytes=MEDIA_MAX_BYTES, timeout=timeout, context=context)
    if sha256 is not None and hashlib.sha256(body).hexdigest() != sha256:
        raise MediaError(f"photo {media_id}: the bytes do not match the event's SHA-256")
    return content_type, body
