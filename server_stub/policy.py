"""Small pure decisions of the server: resume mode, error budget, slow clients.

No I/O and no clock of their own (the caller passes ``now``), so they are
unit-tested directly.
"""

from __future__ import annotations

from collections import deque
from typing import Literal

# At most this many events are replayed after a reconnect; a seat further
# behind gets a snapshot instead (one frame, and no risk of replaying a day).
MAX_REPLAY_EVENTS = 5000

Resume = Literal["replay", "snapshot"]


def choose_resume(last_seq: int | None, server_seq: int, *, max_replay: int = MAX_REPLAY_EVENTS) -> Resume:
    """How a (re)connecting client catches up.

    ``replay`` (the events after ``last_seq``) when the client knows where it
    stopped and that point is within ``max_replay`` events of the server;
    otherwise ``snapshot``. A ``last_seq`` *ahead* of the server means the
    client saw a different log (e.g. the training database was reset): it must
    drop what it has, so it gets a snapshot too.
    """
    if last_seq is None or last_seq < 0 or last_seq > server_seq:
        return "snapshot"
    if server_seq - last_seq > max_replay:
        return "snapshot"
    return "replay"


class ErrorBudget:
    """Counts invalid frames of one connection in a sliding time window.

    ``record(now)`` returns True once more than ``limit`` invalid frames fell
    within the last ``window_s`` seconds: the caller then closes the
    connection (close code 4008). Owned by one connection handler.
    """

    def __init__(self, limit: int = 20, window_s: float = 10.0) -> None:
        self.limit = limit
        self.window_s = window_s
        self._times: deque[float] = deque()

    def record(self, now: float) -> bool:
        self._times.append(now)
        while self._times and now - self._times[0] > self.window_s:
            self._times.popleft()
        return len(self._times) > self.limit


def is_slow(buffered_bytes: int, limit_bytes: int) -> bool:
    """True when a connection's unsent output exceeds the limit.

    ``websockets.broadcast`` has no backpressure (websockets 17 docs: "messages
    will pile up in its write buffer until the connection times out"), so
    the server checks the transport's write buffer before every push and
    closes a connection that is this far behind. Events are never dropped
    from a live connection: the client reconnects and catches up by replay.
    """
    return buffered_bytes > limit_bytes
