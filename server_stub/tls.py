"""The server's TLS: https/wss with the centre's certificate and private key.

Seats, devices, hospital consoles and the simulators connect with ``wss://`` and
verify this certificate against the centre's CA (``docs/operations.md``,
"Certificates and credentials"); callers' phones need https for geolocation.

The private key must be readable by the server's account only: a key file that
any user of the machine can read is refused at start-up, with the command that
fixes it, rather than served.
"""

from __future__ import annotations

import os
import ssl
import stat
from pathlib import Path


class TlsSetupError(Exception):
    """The certificate or key cannot be used. The message says which file and what to do."""


def check_key_file(path: Path) -> None:
    """Refuse a private key that is missing, not a file, or readable/writable by every user.

    Raises:
        TlsSetupError: with the path and the fix.
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise TlsSetupError(f"TLS private key {path} does not exist") from None
    except OSError as exc:
        raise TlsSetupError(f"cannot read TLS private key {path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        raise TlsSetupError(f"TLS private key {path} is not a regular file")
    if os.name == "posix" and mode & (stat.S_IROTH | stat.S_IWOTH):
        raise TlsSetupError(
            f"TLS private key {path} is readable or writable by every user (mode {stat.S_IMODE(mode):04o}); "
            f"refusing to use it. Restrict it to the server's account: chmod 600 {path}"
        )


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    """A TLS server context (TLS 1.2 or later) with ``cert`` (PEM, the chain after the leaf) and ``key``.

    Raises:
        TlsSetupError: a file is missing or unreadable, the key is world-readable,
            or the key does not belong to the certificate.
    """
    if not cert.is_file():
        raise TlsSetupError(f"TLS certificate {cert} does not exist or is not a file")
    check_key_file(key)  # a combined PEM (key == cert) holds the key: the same rule
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert, key)
    except ssl.SSLError as exc:
        raise TlsSetupError(
            f"cannot use TLS certificate {cert} with key {key}: {exc.reason or exc} "
            "(is the key the certificate's, both in PEM, the key unencrypted?)"
        ) from None
    except OSError as exc:
        raise TlsSetupError(f"cannot read TLS certificate {cert} or key {key}: {exc.strerror or exc}") from None
    return context
