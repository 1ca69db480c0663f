"""Pure server decisions: how a client resumes, the error budget, slow clients, token hashes."""

from __future__ import annotations

import pytest

from server_stub.auth import new_token, token_hash
from server_stub.policy import MAX_REPLAY_EVENTS, ErrorBudget, choose_resume, is_slow


@pytest.mark.parametrize(
    ("last_seq", "server_seq", "expected"),
    [
        (None, 100, "snapshot"),  # a client that knows nothing
        (0, 100, "replay"),  # a fresh client on a young log gets every event
        (100, 100, "replay"),  # up to date: an empty replay
        (90, 100, "replay"),
        (101, 100, "snapshot"),  # ahead of the server: another (reset) log
        (-1, 100, "snapshot"),
        (0, MAX_REPLAY_EVENTS, "replay"),
        (0, MAX_REPLAY_EVENTS + 1, "snapshot"),  # too far behind
    ],
)
def test_a_client_resumes_by_replay_only_when_it_is_near_and_not_ahead(last_seq, server_seq, expected):
    assert choose_resume(last_seq, server_seq) == expected


def test_the_error_budget_allows_twenty_bad_frames_in_ten_seconds_not_twenty_one():
    budget = ErrorBudget(limit=20, window_s=10.0)
    assert not any(budget.record(now=i * 0.1) for i in range(20))
    assert budget.record(now=2.0)


def test_the_error_budget_forgets_frames_older_than_the_window():
    budget = ErrorBudget(limit=20, window_s=10.0)
    for i in range(20):
        budget.record(now=float(i) * 0.4)  # 20 frames within 8 s
    assert not budget.record(now=18.5)  # the early ones have aged out


def test_a_client_is_slow_only_past_the_limit():
    assert not is_slow(1024, 1024)
    assert is_slow(1025, 1024)


def test_tokens_are_random_and_only_their_sha256_is_kept():
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100
    assert all(len(t) >= 43 for t in tokens)
    digest = token_hash("abc")
    assert digest == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
