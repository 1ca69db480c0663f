"""Logging for the seat (and the simulation runner): a rotating file in the user's log
directory plus stderr, with every token redacted.

Redaction is a :class:`logging.Filter` attached to the *handlers* (a filter on a
logger would not see records propagated from child loggers such as
``websockets.client``). It rewrites each record's message, arguments and
traceback text, replacing

* every secret registered with :func:`register_secret` (``app.secrets`` registers
  each token it reads or stores), wherever it appears;
* the value after ``token``/``password``/``secret``/``authorization``/``bearer``
  in ``key=value``, ``key: value`` and JSON ``"key": "value"`` forms — so the
  ``hello`` frame's token never reaches a log even if a frame is logged;
* any long random-looking string (32+ characters of letters, digits, ``-``/``_``
  with upper case, lower case and digits mixed) that is not a UUID — the shape
  of the server's tokens. UUIDs (command ids) stay readable.

:func:`setup_logging` is called once at start-up by the composition root.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import sys
import threading
from pathlib import Path

REDACTED = "[REDACTED]"
LOG_FORMAT = "%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"

_KEYED = re.compile(
    r"""(?ix)
    (?P<key>["']?(?:token|password|secret|authorization|api[_-]?key)["']?\s*[:=]\s*
        (?:bearer\s+)?["']?)
    (?P<value>[^\s"',}]+)
    """
)
_BEARER = re.compile(r"(?i)(bearer\s+)([^\s\"',}]+)")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_LONG = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{32,}(?![A-Za-z0-9_-])")

_secrets_lock = threading.Lock()
_secrets: set[str] = set()


def register_secret(secret: str) -> None:
    """Redact this exact string from every log line from now on. Thread: any."""
    if secret and len(secret) >= 4:
        with _secrets_lock:
            _secrets.add(secret)


def _looks_random(text: str) -> bool:
    if _UUID.match(text):
        return False
    return (
        any(c.isupper() for c in text) and any(c.islower() for c in text) and any(c.isdigit() for c in text)
    )


def redact(text: str) -> str:
    """The text with anything secret-looking replaced by ``[REDACTED]``. Pure."""
    with _secrets_lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, REDACTED)
    text = _KEYED.sub(
        lambda m: m.group("key") + REDACTED if m.group("value") != REDACTED else m.group(0), text
    )
    text = _BEARER.sub(lambda m: m.group(1) + REDACTED, text)
    return _LONG.sub(lambda m: REDACTED if _looks_random(m.group(0)) else m.group(0), text)


class RedactingFilter(logging.Filter):
    """Rewrites a record so that its message and traceback carry no secret. Never drops a record."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record
            message = f"{record.msg!r} % {record.args!r}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a record is emitted.

    A plain ``StreamHandler(sys.stderr)`` keeps the stream it was given: when that is a
    replaced stream (a test runner's capture, closed after the test), every later record
    fails with "I/O operation on closed file" (like ``logging.lastResort`` does).
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass  # always the current sys.stderr


def setup_logging(
    log_dir: str | Path | None,
    level: str | int = "INFO",
    name: str = "dispatch120",
    *,
    max_bytes: int = 5_000_000,
    backups: int = 5,
    stderr: bool = True,
) -> Path | None:
    """Configure the root logger: ``<log_dir>/<name>.log`` (rotating) and stderr, both redacted.

    Replaces handlers installed by an earlier call (idempotent). If the log
    directory cannot be created the seat still runs, logging to stderr only,
    and says so there.

    Returns:
        The log file's path, or None if only stderr is used.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_dispatch120", False):
            root.removeHandler(handler)
            handler.close()
    formatter = logging.Formatter(LOG_FORMAT)
    redactor = RedactingFilter()
    handlers: list[logging.Handler] = []
    path: Path | None = None
    problem = None
    if log_dir is not None:
        path = Path(log_dir) / f"{name}.log"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handlers.append(
                logging.handlers.RotatingFileHandler(
                    path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8"
                )
            )
        except OSError as exc:
            problem = f"cannot write logs to {path}: {exc}; logging to stderr only"
            path = None
    if stderr or path is None:
        handlers.append(StderrHandler())
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(redactor)
        handler._dispatch120 = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level if isinstance(level, int) else level.upper())
    # websockets logs every frame at DEBUG (the hello frame holds the token);
    # the redaction covers it, but there is no reason to write frames by default.
    logging.getLogger("websockets").setLevel(max(root.level, logging.INFO))
    if problem:
        logging.getLogger(__name__).warning(problem)
    return path
