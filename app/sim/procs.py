"""Child-process plumbing for the training runner and its launcher: no orphans, no leaked tokens.

A child must never outlive its parent. Three mechanisms, each covering the others' gaps:

* the parent keeps the child's stdin open (a pipe) and the child exits when it reads EOF
  (``--exit-with-stdin``): the kernel closes the pipe however the parent dies, ``kill -9``
  included, on every OS;
* on Linux the child also asks for ``SIGTERM`` when its parent dies
  (``prctl(PR_SET_PDEATHSIG)``): this fires when the *thread* that started the child exits,
  so it is set only for children started from a thread that lives as long as the process;
* on a normal exit the parent stops its children itself (:func:`stop_child`).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import app

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


def _find_prctl() -> Any:
    # Looked up once, in the parent: a preexec_fn runs between fork and exec, where
    # loading a library (dlopen) could deadlock on a lock another thread held at fork time.
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_prctl = _find_prctl()


def project_root() -> Path:
    """The directory that holds the ``app`` package (and ``server_stub``, ``resources``)."""
    return Path(app.__file__).resolve().parents[1]


def child_env() -> dict[str, str]:
    """The environment for a ``python -m ...`` child: ours, with the project importable."""
    env = dict(os.environ)
    root = str(project_root())
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    if root not in paths:
        env["PYTHONPATH"] = os.pathsep.join([root, *paths])
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def set_parent_death_signal(sig: int = signal.SIGTERM) -> bool:
    """Linux: deliver ``sig`` to this process when the thread that started it exits.

    Returns False (and does nothing) on other systems or if prctl is unavailable.
    Safe to call in a ``preexec_fn`` (no allocation beyond ctypes' call).
    """
    if _prctl is None:
        return False
    return _prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0


def watch_stdin_eof(on_eof: Callable[[], None]) -> threading.Thread:
    """Call ``on_eof()`` (from a daemon thread) when stdin reaches end of file.

    The parent holds our stdin pipe open; EOF means it closed it or died.
    """

    def watch() -> None:
        # The raw file descriptor, not sys.stdin.buffer: a daemon thread blocked inside a
        # buffered reader holds its lock, and CPython 3.11 then aborts at interpreter
        # shutdown ("Fatal Python error: _enter_buffered_busy"), turning a clean exit into -6.
        try:
            while os.read(0, 4096):
                pass  # the parent writes nothing; anything it does write is ignored
        except OSError:
            pass
        on_eof()

    thread = threading.Thread(target=watch, name="stdin-eof-watch", daemon=True)
    thread.start()
    return thread


def write_private_json(path: Path, data: dict[str, Any]) -> None:
    """Write JSON atomically, readable by the owner only (0600): it holds tokens.

    Raises:
        OSError: if the directory cannot be written.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mkstemp creates 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, ensure_ascii=False)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def stop_child(proc: subprocess.Popen[Any], *, grace_s: float = 5.0, close_stdin: bool = True) -> int | None:
    """Stop a child: close its stdin, SIGTERM, wait ``grace_s``, SIGKILL. Idempotent.

    Returns:
        The exit code (negative: killed by that signal), or None if it could not be reaped.
    """
    if close_stdin and proc.stdin is not None:
        with contextlib.suppress(OSError, ValueError):
            proc.stdin.close()
    if proc.poll() is not None:
        return proc.returncode
    with contextlib.suppress(ProcessLookupError):
        proc.terminate()
    try:
        return proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        log.warning("pid %d did not stop within %.0f s of SIGTERM; killing it", proc.pid, grace_s)
    with contextlib.suppress(ProcessLookupError):
        proc.kill()
    try:
        return proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        log.error("pid %d survived SIGKILL", proc.pid)
        return None


def pid_alive(pid: int) -> bool:
    """True if ``pid`` is a running process (a zombie, dead but not reaped, counts as gone).

    POSIX only (``/proc`` where there is one, else signal 0).

    Raises:
        NotImplementedError: on Windows, where ``os.kill(pid, 0)`` would send CTRL_C_EVENT.
    """
    if os.name == "nt":
        raise NotImplementedError("pid_alive is POSIX only")
    stat = Path(f"/proc/{pid}/stat")
    if stat.parent.parent.is_dir() and Path("/proc/self").exists():
        try:
            text = stat.read_text()
        except (FileNotFoundError, ProcessLookupError):
            return False
        except OSError:
            return True
        # "pid (comm) S ...": comm may hold spaces and parentheses; the state follows the last ')'.
        state = text.rsplit(")", 1)[-1].split()[0]
        return state not in ("Z", "X", "x")
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def tail(path: Path, *, max_bytes: int = 4000) -> str:
    """The end of a (log) file, for error messages; '' if unreadable."""
    try:
        with open(path, "rb") as src:
            src.seek(0, os.SEEK_END)
            size = src.tell()
            src.seek(max(0, size - max_bytes))
            return src.read().decode("utf-8", errors="replace").strip()
    except OSError:
        return ""
