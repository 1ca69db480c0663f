"""A stop of the server is not held up by a client that keeps its socket after an HTTP answer.

After a plain HTTP answer (a photo, an ECG strip, the caller's page) websockets waits
for the client to hang up; ``urllib`` keeps the socket while its ``HTTPError`` lives
and browsers keep connections alive, so every such answer used to hold a connection
handler — and every stop of the server — for websockets' 10 s close timeout. The
server now hangs up itself once it has answered.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable

import pytest

from app.seat.strips import StripError, fetch_strip
from tests.integration.test_server_faults import in_process_server

pytestmark = pytest.mark.integration

# Far above the milliseconds the hang-up takes, far below websockets' 10 s close timeout.
GENEROUS_S = 5.0


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + GENEROUS_S
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.01)


def test_a_refused_strip_fetch_ends_its_connection_and_the_stop_needs_no_timeout(tmp_path, registry_template, caplog):
    db_path = tmp_path / "events.sqlite"
    shutil.copyfile(registry_template.db_path, db_path)
    caplog.set_level(logging.INFO, logger="server_stub")
    with in_process_server(db_path) as (url, server):
        with pytest.raises(StripError) as refused:  # ``refused`` keeps the HTTPError, and so the socket
            fetch_strip(url, "not-a-real-token-at-all", "a2a7c4d0-2b1e-4f0e-9a64-1f3c2d4e5f60")
        assert refused.value.status == 401

        wait_until(lambda: server.handlers_running == 0, "the answered connection's handler returned")
    # The stop (leaving the block) found nothing left to wait for: no safety net used.
    assert "server stopped" in caplog.text
    assert "still open" not in caplog.text
    assert refused.value.__context__ is not None  # the client really held its socket until now
