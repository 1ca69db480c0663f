"""What a process read from a file, kept while the file stays as it was.

A seat reads the same files each time it builds a window (the destination rules, the
city's road graph); a second window, or a test suite building hundreds, would parse them
again. :class:`FileCache` keeps the result of ``read(path)`` under the file's resolved
path and reuses it while the file's modification time, size, inode and change time are
unchanged; any of them changing means the file is read again.

A file changed (modification or change time) within :data:`RACY_S` seconds is read every time and not kept: a file
system stamps times in ticks, so a file rewritten twice within one tick at the same size
would look unchanged (git's "racily clean" entries, handled the same way).

What ``read`` returns is shared by every caller: the owner of a cache hands out copies or
immutable data, never the kept object itself. Thread-safe; ``read`` runs outside the lock
(two threads may both read a file the first time; one result is kept).
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Generic, TypeVar

T = TypeVar("T")

RACY_S = 2.0
"""A file modified less than this many seconds ago is not kept (see the module docstring)."""


def _stamp(st: os.stat_result) -> tuple[int, int, int, int]:
    return st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns


class FileCache(Generic[T]):
    """``get(path, *args)``: ``read(path, *args)``, from memory while the file is unchanged.

    Args:
        read: reads one file (``args``: hashable options of what is made of it, each
            combination kept apart); what it raises reaches the caller and nothing is kept.
        max_files: the most results kept; the least recently used goes first.
    """

    def __init__(self, read: Callable[..., T], max_files: int = 8) -> None:
        self._read = read
        self._max_files = max_files
        self._kept: OrderedDict[tuple[str, tuple[Hashable, ...]], tuple[tuple[int, int, int, int], T]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, path: Path, *args: Hashable) -> T:
        """The file's contents as ``read`` returns them (blocking read on a miss).

        A file that cannot be stat'ed is handed to ``read`` as it is (which reports the problem).
        """
        try:
            name = str(Path(path).resolve())
            before = os.stat(name)
        except OSError:
            return self._read(Path(path), *args)
        key = (name, args)
        stamp = _stamp(before)
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None and kept[0] == stamp:
                self._kept.move_to_end(key)
                return kept[1]
        value = self._read(Path(path), *args)
        try:
            after = os.stat(name)
        except OSError:
            return value
        changed_ns = max(after.st_mtime_ns, after.st_ctime_ns)  # ctime: a write with mtime set back
        if _stamp(after) == stamp and time.time() - changed_ns / 1e9 >= RACY_S:
            with self._lock:
                self._kept[key] = (stamp, value)
                self._kept.move_to_end(key)
                while len(self._kept) > self._max_files:
                    self._kept.popitem(last=False)
        return value

    def clear(self) -> None:
        """Forget every file (the next ``get`` of each reads it)."""
        with self._lock:
            self._kept.clear()
