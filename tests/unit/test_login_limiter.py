"""Failed logins in a sliding window, per address and per token; and no log line carries a token."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from server_stub.auth import LoginLimiter

ROOT = Path(__file__).resolve().parents[2]


def limiter(**kw) -> LoginLimiter:
    return LoginLimiter(**{"per_address": 3, "per_credential": 2, "window_s": 60.0, **kw})


def test_a_token_refused_twice_waits_until_its_first_failure_leaves_the_window():
    limits = limiter()
    limits.failed(0.0, address="10.0.0.1", credential="t1")
    limits.failed(10.0, address="10.0.0.2", credential="t1")
    assert limits.retry_after(15.0, address="10.0.0.3", credential="t1") == ("credential", 45.0)
    assert limits.retry_after(15.0, address="10.0.0.3", credential="t2") is None
    assert limits.retry_after(60.0, address="10.0.0.3", credential="t1") is None  # the first failure left


def test_an_address_is_limited_after_its_failures_with_any_tokens():
    limits = limiter()
    for second, token in enumerate(("a", "b", "c")):
        limits.failed(float(second), address="10.0.0.1", credential=token)
    assert limits.retry_after(5.0, address="10.0.0.1", credential="good") == ("address", 55.0)
    assert limits.retry_after(5.0, address="10.0.0.9", credential="good") is None


def test_memory_stays_bounded_under_a_flood_of_new_tokens():
    limits = limiter(max_keys=100)
    for i in range(10_000):
        limits.failed(float(i), address=f"10.0.{i // 250}.{i % 250}", credential=f"t{i}")
    assert all(0 < count <= 100 for count in limits.remembered())
    # The newest failures are still counted: the last token, refused once more, is limited.
    limits.failed(10_000.0, address="10.9.9.9", credential="t9999")
    assert limits.retry_after(10_001.0, address="10.9.9.8", credential="t9999") == ("credential", 58.0)


def test_limits_must_allow_at_least_one_failure():
    with pytest.raises(ValueError):
        limiter(per_address=0)


def _names(node: ast.AST) -> set[str]:
    """The variables, attributes and string subscripts (``msg["token"]``) an expression uses."""
    found = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            found.add(sub.id)
        elif isinstance(sub, ast.Attribute):
            found.add(sub.attr)
        elif isinstance(sub, ast.Subscript) and isinstance(sub.slice, ast.Constant) and isinstance(sub.slice.value, str):
            found.add(sub.slice.value)
    return found


def _is_token(name: str) -> bool:
    return name.lower().endswith("token")


LOG_METHODS = {"debug", "info", "warning", "error", "exception", "critical", "log"}


def log_calls_formatting_a_token(source: str) -> list[int]:
    """Line numbers of ``log.<level>(...)`` calls whose arguments (the f-string too) use a token."""
    lines = []
    for call in ast.walk(ast.parse(source)):
        if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr in LOG_METHODS
                and isinstance(call.func.value, ast.Name) and call.func.value.id in {"log", "logger", "logging"}
                and any(_is_token(name) for arg in [*call.args, *(k.value for k in call.keywords)]
                        for name in _names(arg))):
            lines.append(call.lineno)
    return lines


def test_the_log_check_finds_a_token_however_it_is_formatted():
    source = 'log.info("a %s", token)\nlog.warning(f"b {self.token}")\nlog.error("c %s", msg["token"])\n'
    assert log_calls_formatting_a_token(source) == [1, 2, 3]
    assert log_calls_formatting_a_token('log.info("unknown token from %s", peer)') == []


def test_no_log_call_formats_a_token():
    offenders = []
    for path in [*ROOT.glob("server_stub/**/*.py"), *ROOT.glob("app/**/*.py"), *ROOT.glob("bench/**/*.py")]:
        for line in log_calls_formatting_a_token(path.read_text(encoding="utf-8")):
            offenders.append(f"{path.relative_to(ROOT)}:{line}")
    assert offenders == []
