"""Fetch a stored ECG strip from the server: ``GET /strips/<strip_id>`` with the seat's token.

A strip's samples never travel in events (``telemetry.strip_stored`` holds only its id, start,
length and channel); the server keeps them in its ``strips`` table (``server_stub/strips.py``).
The seat asks for one over plain HTTP(S) on the server's own port with
``Authorization: Bearer <seat token>``, like a caller's photo (:mod:`app.seat.media`, whose
authenticated GET this shares).

Blocking (urllib): call it from a worker thread, never the GUI thread or the sync client's loop.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import Any

import orjson

from app.seat.media import MediaError, authenticated_get, server_http_url

# 10 min at 1 kHz as JSON integers is well under this; a larger answer is not a strip.
STRIP_MAX_BYTES = 8 * 1024 * 1024


class StripError(MediaError):
    """The strip could not be fetched (network, refused (``status`` 401), unknown (404), or not a strip)."""


@dataclass(frozen=True)
class FetchedStrip:
    """A strip's samples as the server stored them: ``value = (sample - origin) * factor`` in ``unit``."""

    strip_id: str
    unit_id: str
    incident_id: str
    channel: str
    start: str  # device time of the first sample (ISO 8601)
    period_ms: float
    factor: float
    origin: int
    unit: str
    samples: list[int]

    @property
    def seconds(self) -> float:
        return len(self.samples) * self.period_ms / 1000.0

    @property
    def rate_hz(self) -> float:
        return 1000.0 / self.period_ms

    def values(self) -> list[float]:
        """The samples in ``unit`` (mV for an ECG lead)."""
        return [(s - self.origin) * self.factor for s in self.samples]

    @classmethod
    def from_json(cls, data: Any) -> FetchedStrip:
        """Raises StripError if ``data`` is not a strip as ``GET /strips/<id>`` returns it."""
        try:
            strip = cls(
                strip_id=str(data["strip_id"]), unit_id=str(data["unit_id"]), incident_id=str(data["incident_id"]),
                channel=str(data["channel"]), start=str(data["start"]), period_ms=float(data["period_ms"]),
                factor=float(data["factor"]), origin=int(data["origin"]), unit=str(data["unit"]),
                samples=[int(s) for s in data["samples"]],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise StripError(f"not an ECG strip: {exc!r}") from None
        if not strip.period_ms > 0 or not strip.samples:
            raise StripError(f"strip {strip.strip_id}: empty or without a sampling period")
        return strip


def strip_url(server_url: str, strip_id: str) -> str:
    """``ws://host:port/ws`` → ``http://host:port/strips/<id>`` (``wss`` → ``https``). Raises ValueError."""
    return server_http_url(server_url, f"/strips/{strip_id}")


def fetch_strip(
    server_url: str,
    token: str,
    strip_id: str,
    *,
    timeout: float = 10.0,
    context: ssl.SSLContext | None = None,
) -> FetchedStrip:
    """The stored strip ``strip_id`` with its samples. Blocking; worker thread.

    Raises:
        StripError: refused (``status`` 401), unknown (404), network failure, too large, or the
            answer is not a strip.
        ValueError: ``server_url`` is not a ws:// or wss:// URL.
    """
    try:
        _type, body = authenticated_get(strip_url(server_url, strip_id), token, what=f"ECG strip {strip_id}",
                                        max_bytes=STRIP_MAX_BYTES, timeout=timeout, context=context)
    except StripError:
        raise
    except MediaError as exc:
        raise StripError(str(exc), status=exc.status) from None
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise StripError(f"ECG strip {strip_id}: the answer is not JSON") from None
    strip = FetchedStrip.from_json(data)
    if strip.strip_id != strip_id:
        raise StripError(f"ECG strip {strip_id}: the server answered with strip {strip.strip_id}")
    return strip
