"""Sending the caller link by SMS: the :class:`SmsGateway` interface and its two gateways.

* :class:`HttpSmsGateway` — the centre's SMS platform (the edge of the machine):
  ``POST <url>`` with JSON ``{"to": "<number>", "text": "<message>"}`` and the header
  ``Authorization: Bearer <token>``; any 2xx is success. The token is read from
  the OS keyring (service ``dispatch120``, user ``sms-gateway``) by the caller of
  :meth:`HttpSmsGateway.from_keyring`, never from a file or the command line.
* :class:`SimulatedSmsGateway` — training and tests: records each message.

Both are blocking; the server calls :meth:`send` in a worker thread
(``asyncio.to_thread``). :meth:`send` raises :class:`SmsError` when the message was
not accepted. Qt-free.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Protocol

KEYRING_USER = "sms-gateway"


class SmsError(RuntimeError):
    """The gateway did not accept the message (network, HTTP status, refused)."""


class SmsGateway(Protocol):
    def send(self, to: str, text: str) -> None:
        """Send one SMS. Blocking. Raises SmsError."""


@dataclass
class SentSms:
    to: str
    text: str


class SimulatedSmsGateway:
    """Records messages instead of sending them (training, tests). Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.sent: list[SentSms] = []

    def send(self, to: str, text: str) -> None:
        if not to.strip():
            raise SmsError("no number to send to")
        with self._lock:
            self.sent.append(SentSms(to, text))


class HttpSmsGateway:
    """POST JSON to the centre's SMS platform (see the module docstring)."""

    def __init__(self, url: str, token: str, *, timeout_s: float = 10.0) -> None:
        if not url.startswith(("https://", "http://")):
            raise ValueError(f"SMS gateway URL must be http(s): {url!r}")
        self.url, self._token, self.timeout_s = url, token, timeout_s

    @classmethod
    def from_keyring(cls, url: str, *, timeout_s: float = 10.0) -> HttpSmsGateway:
        """Token from the OS keyring. Raises SmsError if none is stored, SecretsUnavailable if no keyring."""
        import keyring

        from app import logs, secrets

        secrets.backend()  # refuses plaintext backends, like the seat's token
        token = keyring.get_password("dispatch120", KEYRING_USER)
        if not token:
            raise SmsError(f"no SMS gateway token in the keyring (service dispatch120, user {KEYRING_USER})")
        logs.register_secret(token)
        return cls(url, token, timeout_s=timeout_s)

    def send(self, to: str, text: str) -> None:
        body = json.dumps({"to": to, "text": text}, ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json; charset=utf-8", "Authorization": f"Bearer {self._token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310 - configured URL
                status = response.status
        except urllib.error.HTTPError as exc:
            raise SmsError(f"SMS gateway answered HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise SmsError(f"SMS gateway unreachable: {exc}") from None
        if not 200 <= status < 300:
            raise SmsError(f"SMS gateway answered HTTP {status}")
