"""Process plumbing of ``dispatch120-server serve``: logging, ready file, parent watch, DB lock.

Called from the main thread before and after the asyncio loop runs.
"""

from __future__ import annotations

import contextlib
import json
import logging
import logging.handlers
import os
import re
import signal
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO

import platformdirs

APP_NAME = "dispatch120-server"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def default_db_path() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "events.sqlite"


# A database URL: scheme://… (RFC 3986 scheme). A plain path never has "://".
_URL_RE = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<rest>.*)$", re.S)
SQLITE_SCHEMES = frozenset({"sqlite", "sqlite+pysqlite"})


class UnsupportedDatabase(ValueError):
    """``--db`` names a database this build cannot use (the message says why and what to give)."""


def database_location(text: str) -> tuple[Path, str]:
    """Where ``--db`` points: (the SQLite file, ``"url"`` or ``"path"``).

    ``sqlite:///relative/file.sqlite`` and ``sqlite:////absolute/file.sqlite`` are
    SQLAlchemy URLs (three slashes then a relative path, four for an absolute one);
    anything without ``://`` is a file path. ``~`` is expanded; the path is not resolved.

    Raises:
        UnsupportedDatabase: another scheme (``postgresql+psycopg://``: not in this build),
            an in-memory SQLite URL, or URL options.
    """
    match = _URL_RE.match(text)
    if match is None:
        return Path(text).expanduser(), "path"
    scheme = match["scheme"].lower()
    if scheme not in SQLITE_SCHEMES:
        raise UnsupportedDatabase(
            f"{scheme}:// databases are not supported in this build; give an SQLite file path "
            "or a sqlite:////absolute/path URL"
        )
    rest = match["rest"]
    if not rest.startswith("/") or rest == "/":
        raise UnsupportedDatabase(
            f"{text!r}: an SQLite URL needs a file (sqlite:////absolute/path or sqlite:///relative/path); "
            "an in-memory database cannot hold the event log"
        )
    if "?" in rest:
        raise UnsupportedDatabase(f"{text!r}: URL options are not supported; give the file only")
    return Path(rest[1:]).expanduser(), "url"


def default_log_path() -> Path:
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)) / "server.log"


def setup_logging(level: str, log_file: Path | None) -> None:
    """Plain lines to stderr and to a rotating file (10 MB × 5).

    Raises:
        OSError: the log file cannot be created.
    """
    root = logging.getLogger()
    root.setLevel(level.upper())
    formatter = logging.Formatter(LOG_FORMAT)
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setFormatter(formatter)
    root.addHandler(stderr)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(log_file, maxBytes=10 * 1024 * 1024, backupCount=5, encoding="utf-8")
        handler.setFormatter(formatter)
        root.addHandler(handler)
    # websockets logs every frame at DEBUG, the hello frame and its token
    # included: never let it go below INFO, whatever --log-level says.
    logging.getLogger("websockets").setLevel(max(logging.INFO, root.level))


def write_ready_file(path: Path, info: dict[str, object]) -> None:
    """Write ``info`` as JSON atomically (temp file + rename): a reader never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".ready-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(info, f)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def die_with_parent() -> None:
    """Linux: ask the kernel to send SIGTERM when the parent process dies (PR_SET_PDEATHSIG).

    A no-op elsewhere; ``--exit-with-stdin`` covers every platform.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0) != 0:
            logging.getLogger(__name__).warning("prctl(PR_SET_PDEATHSIG) failed: errno %d", ctypes.get_errno())
    except (OSError, AttributeError):
        logging.getLogger(__name__).warning("prctl not available; relying on stdin to notice the parent's exit")


def watch_stdin(on_eof: Callable[[], None]) -> threading.Thread:
    """Call ``on_eof`` (from a daemon thread) when stdin reaches end of file or fails."""

    def watch() -> None:
        # os.read on the descriptor, not sys.stdin.buffer: a daemon thread blocked
        # inside the buffered reader holds its lock, and CPython then aborts at exit
        # ("could not acquire lock for <_io.BufferedReader name='<stdin>'>").
        try:
            fd = sys.stdin.fileno() if sys.stdin is not None else None
            while fd is not None and os.read(fd, 65536):
                pass
        except (OSError, ValueError):
            pass
        on_eof()

    thread = threading.Thread(target=watch, name="stdin-watch", daemon=True)
    thread.start()
    return thread


class DatabaseInUse(Exception):
    """Another server process holds the database."""


class ServerLock:
    """An exclusive lock on ``<db>.lock`` so two servers never share one event log.

    Two servers on one log would both run ring timers and ACD decisions. The
    admin CLI does not take this lock: it may write while the server runs.
    The OS releases the lock when the process dies, even on kill -9.
    """

    def __init__(self, db_path: Path) -> None:
        self.path = db_path.with_name(db_path.name + ".lock")
        self._file: IO[bytes] | None = None

    def acquire(self) -> None:
        """Raises DatabaseInUse, or OSError if the lock file cannot be created."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        f = open(self.path, "a+b")  # noqa: SIM115 - held open for the process lifetime
        try:
            if sys.platform == "win32":
                import msvcrt

                f.seek(0)
                msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.close()
            raise DatabaseInUse(f"another dispatch120-server is using this database (lock {self.path})") from None
        f.seek(0)
        f.truncate()
        f.write(f"{os.getpid()}\n".encode())
        f.flush()
        self._file = f

    def release(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
