"""The one place secrets are read and written (STYLE §9): the seat's token, in the OS keyring.

Backend order, explicit:

1. the backend named in the settings (``keyring_backend``: a short name from
   :data:`BACKEND_ALIASES` or a dotted class path such as
   ``keyring.backends.SecretService.Keyring``) — if it cannot be used, that is
   an error naming it, not a silent switch to another store;
2. otherwise the platform's default keyring as the ``keyring`` library resolves
   it (Windows Credential Locker, macOS Keychain, Secret Service / KWallet on a
   Linux desktop, or whatever ``keyringrc.cfg`` / ``PYTHON_KEYRING_BACKEND``
   select) — if it is usable;
3. otherwise :class:`SecretsUnavailable`, saying that no keyring backend is
   available and how to fix it.

There is **never** a plaintext fallback: a plaintext-file backend
(``keyrings.alt``) picked by default resolution is refused; an administrator
who really wants one must name it in the settings.

Simulation and tests call :func:`use_memory_backend` (an in-memory keyring
installed with ``keyring.set_keyring()``) and then :func:`set_token`: no secret
ever goes through the environment or a config file.

Service name ``"dispatch120"``, user name = the seat id. Every function may
raise :class:`SecretsUnavailable`; tokens read or written here are registered
with :mod:`app.logs` so they are redacted from every log line.
"""

from __future__ import annotations

import logging
import threading

import keyring
import keyring.core
import keyring.errors
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null
from keyring.compat import properties

from app import logs

log = logging.getLogger(__name__)

SERVICE = "dispatch120"
BACKEND_ALIASES = {
    "secretservice": "keyring.backends.SecretService.Keyring",
    "libsecret": "keyring.backends.libsecret.Keyring",
    "kwallet": "keyring.backends.kwallet.DBusKeyring",
    "windows": "keyring.backends.Windows.WinVaultKeyring",
    "macos": "keyring.backends.macOS.Keyring",
}
HOW_TO_FIX = (
    "Install and unlock an OS keyring (Windows Credential Locker, macOS Keychain, or on Linux a "
    "Secret Service such as gnome-keyring or KWallet in the desktop session), or name one with "
    "keyring_backend in dispatch120.toml; then store the token with `dispatch120 credentials set "
    "--seat-id <seat>`."
)

_lock = threading.Lock()
_configured: str | None = None


class SecretsUnavailable(RuntimeError):
    """No usable keyring backend, or the keyring refused the operation (locked, denied)."""


class MemoryKeyring(KeyringBackend):
    """An in-memory keyring for simulation and tests. Forgets everything at exit.

    Its ``priority`` raises, so ``keyring``'s automatic detection never picks it:
    it is only ever installed on purpose, by :func:`use_memory_backend`.
    """

    @properties.classproperty
    def priority(cls) -> float:
        # Raising here makes the class "not viable" for keyring's detection and
        # for load_keyring(): it cannot be chosen by name in a settings file.
        raise RuntimeError("the memory keyring is only installed explicitly")

    def __init__(self) -> None:
        super().__init__()
        self._items: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def get_password(self, service: str, username: str) -> str | None:
        with self._lock:
            return self._items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        with self._lock:
            self._items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        with self._lock:
            if self._items.pop((service, username), None) is None:
                raise keyring.errors.PasswordDeleteError("no such password")

    def __str__(self) -> str:
        return "app.secrets.MemoryKeyring (in memory)"


def configure(backend_name: str | None) -> None:
    """Use the backend named in the settings (None: the platform default). Call once at start-up."""
    global _configured
    with _lock:
        _configured = backend_name.strip() if backend_name and backend_name.strip() else None


def use_memory_backend() -> MemoryKeyring:
    """Install a fresh in-memory keyring (simulation, tests) and return it."""
    global _configured
    backend = MemoryKeyring()
    with _lock:
        _configured = None
        keyring.set_keyring(backend)
    return backend


def _is_plaintext(backend: KeyringBackend) -> bool:
    # keyrings.alt's PlaintextKeyring (and any look-alike) keeps secrets readable on disk.
    return "plaintext" in type(backend).__name__.lower()


def _usable(backend: KeyringBackend) -> str | None:
    """Why a default-resolved backend cannot be used, or None if it can."""
    if isinstance(backend, fail.Keyring | null.Keyring):
        return "no keyring backend is available on this machine"
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return "no keyring backend is available on this machine"
    if _is_plaintext(backend):
        return f"the default keyring {type(backend).__name__} stores secrets in plain text; refused"
    return None


def backend() -> KeyringBackend:
    """The keyring backend to use, following the explicit order above.

    Raises:
        SecretsUnavailable: the configured backend cannot be loaded, or no usable default exists.
    """
    with _lock:
        name = _configured
    if name:
        path = BACKEND_ALIASES.get(name.lower(), name)
        try:
            return keyring.core.load_keyring(path)
        except Exception as exc:  # ImportError, AttributeError, RuntimeError (not viable here)
            raise SecretsUnavailable(
                f"the configured keyring backend {name!r} cannot be used here: {exc}. {HOW_TO_FIX}"
            ) from exc
    current = keyring.get_keyring()
    problem = _usable(current)
    if problem:
        raise SecretsUnavailable(f"{problem}. {HOW_TO_FIX}")
    return current


def backend_name() -> str:
    """A readable name of the backend in use (for logs and `credentials` output). Raises SecretsUnavailable."""
    kr = backend()
    return f"{type(kr).__module__}.{type(kr).__name__}"


def _check_seat(seat_id: str) -> None:
    if not seat_id or not isinstance(seat_id, str):
        raise ValueError("a seat id is needed to find its token")


def get_token(seat_id: str) -> str | None:
    """The seat's token, or None if none is stored.

    Raises:
        SecretsUnavailable: no usable keyring, or the keyring refused (e.g. locked).
    """
    _check_seat(seat_id)
    kr = backend()
    try:
        token = kr.get_password(SERVICE, seat_id)
    except keyring.errors.KeyringError as exc:
        raise SecretsUnavailable(f"the keyring refused to read the token of {seat_id}: {exc}") from exc
    if token:
        logs.register_secret(token)
    return token


def set_token(seat_id: str, token: str) -> None:
    """Store (or replace) the seat's token. Raises SecretsUnavailable, ValueError (empty token)."""
    _check_seat(seat_id)
    if not token or not token.strip():
        raise ValueError("the token is empty")
    kr = backend()
    logs.register_secret(token)
    try:
        kr.set_password(SERVICE, seat_id, token)
    except keyring.errors.KeyringError as exc:
        raise SecretsUnavailable(f"the keyring refused to store the token of {seat_id}: {exc}") from exc
    log.info("token of %s stored in %s", seat_id, type(kr).__name__)


def delete_token(seat_id: str) -> bool:
    """Forget the seat's token. Returns False if none was stored. Raises SecretsUnavailable."""
    _check_seat(seat_id)
    kr = backend()
    try:
        if kr.get_password(SERVICE, seat_id) is None:
            return False
        kr.delete_password(SERVICE, seat_id)
    except keyring.errors.PasswordDeleteError:
        return False
    except keyring.errors.KeyringError as exc:
        raise SecretsUnavailable(f"the keyring refused to delete the token of {seat_id}: {exc}") from exc
    return True
