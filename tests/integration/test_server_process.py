"""The server as a child process: ready file, exit with the parent, one server per database."""

from __future__ import annotations

import json


def test_the_ready_file_says_where_the_server_listens(dispatch_server):
    info = json.loads((dispatch_server.workdir / "ready.json").read_text(encoding="utf-8"))
    assert info == {
        "host": "127.0.0.1",
        "port": dispatch_server.port,
        "pid": dispatch_server.proc.pid,
        "url": f"ws://127.0.0.1:{dispatch_server.port}/ws",
    }
    assert "listening on ws://127.0.0.1" in dispatch_server.log_path.read_text(encoding="utf-8")


def test_the_server_exits_when_its_parent_closes_stdin(dispatch_server):
    dispatch_server.proc.stdin.close()
    assert dispatch_server.proc.wait(timeout=10) == 0


def test_a_second_server_on_the_same_database_refuses_to_start(dispatch_server, server_cli):
    result = server_cli(
        "serve", "--port", "0", "--db", dispatch_server.db_path, "--log-file", dispatch_server.workdir / "second.log"
    )
    assert result.returncode == 1
    assert "another dispatch120-server is using this database" in result.stderr
    assert dispatch_server.proc.poll() is None  # the first one is unaffected


def test_tokens_never_reach_the_log(dispatch_server):
    dispatch_server.client("seat-1")
    raw = dispatch_server.raw_client()
    raw.hello("a-wrong-token-that-must-not-be-logged")
    raw.expect_close()
    dispatch_server.stop()
    log_text = dispatch_server.log_path.read_text(encoding="utf-8") + dispatch_server.stderr_text()
    assert dispatch_server.tokens["seat-1"] not in log_text
    assert "a-wrong-token-that-must-not-be-logged" not in log_text
    assert "connected seat:seat-1" in log_text
