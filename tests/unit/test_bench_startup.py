"""The start-up bench measures the seat and the bare window running from compiled modules.

A development shell sets ``PYTHONDONTWRITEBYTECODE``: without the bench's own bytecode cache,
every project module edited since Python last wrote bytecode was compiled at each start of the
seat (and only of the seat: the bare window's PySide6 and standard library are compiled already).
"""

from __future__ import annotations

from bench.startup import bytecode_cache, run_once


def test_the_bare_window_compiles_its_modules_once_and_then_runs_from_the_bench_cache(monkeypatch):
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")  # as this project's shells have it
    monkeypatch.setenv("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")
    with bytecode_cache() as cache:
        first = run_once({"mode": "bare"}, cache)
        compiled = {path: path.stat().st_mtime_ns for path in cache.rglob("*.pyc")}
        again = run_once({"mode": "bare"}, cache)

        assert any(path.name.startswith("startup_child.") for path in compiled)  # the bench's own child
        assert any(path.name.startswith("resources.") and "app" in path.parts for path in compiled)
        assert {path: path.stat().st_mtime_ns for path in cache.rglob("*.pyc")} == compiled  # nothing recompiled
    assert not cache.exists()
    assert first["first_paint"] > 0 and again["first_paint"] > 0
