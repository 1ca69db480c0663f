"""Credentials: token generation and hashing, and the limit on failed logins. Pure, no I/O.

A token is ``secrets.token_urlsafe(32)``: 256 random bits. The database keeps
only its SHA-256 (hex). A slow password KDF (bcrypt, scrypt, argon2) exists to
make guessing *low-entropy* human passwords expensive; a 256-bit random token
cannot be guessed whatever the hash speed, so plain SHA-256 is enough and
keeps every ``hello`` cheap. Tokens are never logged nor written to the event log.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import deque

TOKEN_BYTES = 32


def new_token() -> str:
    """A fresh random token (43 URL-safe characters). Show it once, store only its hash."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """SHA-256 of the token's UTF-8 bytes, as 64 lowercase hex digits."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def credential_label(digest: str) -> str:
    """How a log line names a presented token: the first 8 hex digits of its SHA-256.

    Enough to tell one token retried in a loop from many tokens guessed, and
    useless for logging in (the token itself is never logged).
    """
    return f"sha256:{digest[:8]}"


class LoginLimiter:
    """Failed logins per source address and per presented credential, in a sliding window.

    A hello whose token is refused counts one failure against its address and one
    against the credential (the token's hash). Once either has ``limit`` failures
    within the last ``window_s`` seconds, further hellos from that address or with
    that credential are refused *before* the token is looked up, until the oldest
    failure leaves the window. A successful hello is never slowed and counts
    nothing. Pure: the caller passes the time (``time.monotonic()``).

    Memory is bounded: at most ``max_keys`` addresses and credentials each are
    remembered; past that, keys whose failures all left the window are dropped,
    then the oldest ones.

    Args:
        per_address: failures allowed per source address in the window.
        per_credential: failures allowed per credential in the window.
        window_s: the window's length in seconds.
    """

    def __init__(self, *, per_address: int, per_credential: int, window_s: float, max_keys: int = 100_000) -> None:
        if per_address < 1 or per_credential < 1 or window_s <= 0:
            raise ValueError("login limits must be at least 1 failure in a positive window")
        self.window_s = window_s
        self.max_keys = max_keys
        self._limits = {"address": per_address, "credential": per_credential}
        self._failures: dict[str, dict[str, deque[float]]] = {"address": {}, "credential": {}}

    def limit(self, kind: str) -> int:
        """Failures allowed in the window per ``"address"`` or per ``"credential"``."""
        return self._limits[kind]

    def retry_after(self, now: float, *, address: str, credential: str) -> tuple[str, float] | None:
        """None if a hello may be checked now; else (``"address"`` or ``"credential"``, seconds to wait)."""
        for kind, key in (("address", address), ("credential", credential)):
            times = self._failures[kind].get(key)
            if times is None:
                continue
            _expire(times, now - self.window_s)
            if len(times) >= self._limits[kind]:
                return kind, max(0.0, times[len(times) - self._limits[kind]] + self.window_s - now)
        return None

    def failed(self, now: float, *, address: str, credential: str) -> None:
        """Count one refused hello."""
        for kind, key in (("address", address), ("credential", credential)):
            table = self._failures[kind]
            times = table.get(key)
            if times is None:
                if len(table) >= self.max_keys:
                    self._prune(table, now)
                times = table[key] = deque(maxlen=self._limits[kind])
            times.append(now)

    def remembered(self) -> tuple[int, int]:
        """How many addresses and credentials are remembered (bounded by ``max_keys`` each)."""
        return len(self._failures["address"]), len(self._failures["credential"])

    def _prune(self, table: dict[str, deque[float]], now: float) -> None:
        for key in [k for k, times in table.items() if not times or times[-1] <= now - self.window_s]:
            del table[key]
        while len(table) >= self.max_keys:
            del table[next(iter(table))]  # the oldest remembered key


def _expire(times: deque[float], horizon: float) -> None:
    while times and times[0] <= horizon:
        times.popleft()
