"""What the benchmarks ran on: cores, CPU, Python, library versions, the disk of the temp dir."""

from __future__ import annotations

import os
import platform
import sqlite3
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES = ("PySide6", "websockets", "SQLAlchemy", "orjson", "keyring")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _filesystem(path: str) -> str:
    """The mount (device, type) holding ``path``, from /proc/mounts (Linux); '' elsewhere."""
    try:
        mounts = Path("/proc/mounts").read_text(encoding="utf-8").splitlines()
    except OSError:
        return ""
    best = ("", "", "")
    real = os.path.realpath(path)
    for line in mounts:
        parts = line.split()
        if len(parts) >= 3 and (real == parts[1] or real.startswith(parts[1].rstrip("/") + "/")):
            if len(parts[1]) >= len(best[1]):
                best = (parts[0], parts[1], parts[2])
    return f"{best[0]} on {best[1]} ({best[2]})" if best[1] else ""


def describe() -> dict[str, Any]:
    """A dict for the JSON results and the header of the printed report."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        usable = os.cpu_count() or 0
    tmp = tempfile.gettempdir()
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "cores_usable": usable,
        "memory_gb": _memory_gb(),
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "python_executable": sys.executable,
        "sqlite": sqlite3.sqlite_version,
        "packages": {name: _version(name) for name in PACKAGES},
        "tmpdir": tmp,
        "tmpdir_fs": _filesystem(tmp),
        "load_average": load_average(),
    }


def load_average() -> list[float] | None:
    """1, 5 and 15 minute load averages (None where the OS has none). Other work skews the figures."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except (OSError, ValueError):
        pass
    return None
