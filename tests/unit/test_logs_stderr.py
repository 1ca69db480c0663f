"""The seat's stderr log follows ``sys.stderr`` when it is replaced (a test runner's capture, a redirect)."""

from __future__ import annotations

import io
import logging

import pytest

from app import logs


@pytest.fixture
def root_logging():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield root
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)


def test_a_record_logged_after_stderr_was_replaced_and_closed_goes_to_the_new_stderr(root_logging, monkeypatch):
    first = io.StringIO()
    monkeypatch.setattr("sys.stderr", first)
    logs.setup_logging(None, "INFO")
    logging.getLogger("app.test").info("seat started")
    second = io.StringIO()
    monkeypatch.setattr("sys.stderr", second)
    first.close()  # what a capture does with its stream after the test that installed the handler

    logging.getLogger("app.test").warning("link lost token=abc123secret")

    assert "link lost token=[REDACTED]" in second.getvalue()
    assert "Logging error" not in second.getvalue()
