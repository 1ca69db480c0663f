"""TLS for the clients of the central server: seats, hospital consoles, simulators, devices.

A ``wss://`` server is verified against **the centre's CA** when one is configured
(``server_ca_file`` in the seat's settings, ``--server-ca`` for the tools): only that
file is trusted for this server, never the operating system's store, so a certificate
from any other CA — a public one included — is refused. Without a CA file a
``wss://`` server is verified against the system store (a centre whose certificate a
public CA signed). Host names are always checked.

Errors are turned into one line a dispatcher or IT can act on
(:func:`describe_connect_error`); the seat's banner and log show it.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from urllib.parse import urlsplit

from websockets.exceptions import InvalidHandshake, InvalidMessage


class TlsConfigError(ValueError):
    """The configured CA file cannot be used. The message names the file."""


def client_context(url: str, ca_file: Path | None) -> ssl.SSLContext | None:
    """The TLS context to open ``url`` with; None for a ``ws://`` URL.

    Args:
        ca_file: the centre's CA certificate(s), PEM. None: the system store.

    Raises:
        TlsConfigError: the CA file is missing, unreadable or holds no certificate.
    """
    if urlsplit(url).scheme != "wss":
        return None
    if ca_file is None:
        return ssl.create_default_context()
    # With cafile given, create_default_context loads that file only (no default certificates).
    try:
        context = ssl.create_default_context(cafile=str(ca_file))
    except FileNotFoundError:
        raise TlsConfigError(f"the centre's CA file {ca_file} does not exist") from None
    except ssl.SSLError as exc:
        raise TlsConfigError(f"the centre's CA file {ca_file} holds no usable PEM certificate ({exc.reason})") from None
    except OSError as exc:
        raise TlsConfigError(f"cannot read the centre's CA file {ca_file}: {exc.strerror or exc}") from None
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def describe_connect_error(exc: BaseException, url: str, ca_file: Path | None) -> str:
    """One line for the banner and the log: why opening ``url`` failed, and what to check."""
    secure = urlsplit(url).scheme == "wss"
    if isinstance(exc, ssl.SSLCertVerificationError):
        trusted = f"the centre's CA ({ca_file})" if ca_file is not None else "the system's CAs"
        why = exc.verify_message or exc.reason or str(exc)
        if exc.verify_code in (2, 19, 20, 21):  # unknown issuer, self-signed in chain, unable to verify
            return (f"server certificate refused: not signed by {trusted} ({why}); "
                    "this may not be the centre's server")
        return f"server certificate refused ({why}); trusted: {trusted}"
    if isinstance(exc, ssl.SSLError):
        if "WRONG_VERSION_NUMBER" in str(exc) or "record layer failure" in str(exc):
            return "the server does not speak TLS: use a ws:// URL, or serve TLS (--tls-cert)"
        return f"TLS failed: {exc.reason or exc}"
    if secure and isinstance(exc, ConnectionResetError | EOFError):
        # A plain websocket server answers a TLS ClientHello by dropping the connection.
        return (f"the connection was dropped during the TLS handshake ({_describe(exc)}): the server "
                "may not speak TLS; use a ws:// URL, or serve TLS (--tls-cert)")
    if not secure and isinstance(exc, InvalidMessage | InvalidHandshake | EOFError | ConnectionResetError):
        return (f"the server did not answer the websocket handshake ({_describe(exc)}); "
                "if it serves TLS, use a wss:// URL")
    return _describe(exc)


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
