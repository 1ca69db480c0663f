"""Credentials: token generation and hashing. Pure, no I/O.

A token is ``secrets.token_urlsafe(32)``: 256 random bits. The database keeps
only its SHA-256 (hex). A slow password KDF (bcrypt, scrypt, argon2) exists to
make guessing *low-entropy* human passwords expensive; a 256-bit random token
cannot be guessed whatever the hash speed, so plain SHA-256 is enough and
keeps every ``hello`` cheap. Tokens are never logged nor written to the event log.
"""

from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 32


def new_token() -> str:
    """A fresh random token (43 URL-safe characters). Show it once, store only its hash."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """SHA-256 of the token's UTF-8 bytes, as 64 lowercase hex digits."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
