"""The command line of dispatch120-server, run in-process: parsing and the admin's refusals."""

from __future__ import annotations

import pytest

from server_stub.__main__ import _normalise_argv, build_parser, main
from server_stub.auth import token_hash


def test_serve_is_the_default_subcommand():
    assert _normalise_argv([]) == ["serve"]
    assert _normalise_argv(["--port", "0"]) == ["serve", "--port", "0"]
    assert _normalise_argv(["admin", "list"]) == ["admin", "list"]
    args = build_parser().parse_args(_normalise_argv(["--port", "0", "--ring-timeout", "1"]))
    assert (args.command, args.port, args.ring_timeout, args.host) == ("serve", 0, 1.0, "127.0.0.1")


@pytest.mark.parametrize("argv", [["--port", "70000"], ["--ring-timeout", "0"], ["--ring-timeout", "soon"]])
def test_bad_serve_options_are_refused_by_the_parser(argv, capsys):
    with pytest.raises(SystemExit) as caught:
        build_parser().parse_args(_normalise_argv(argv))
    assert caught.value.code == 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["add-device", "dev-1", "--unit", "NOPE"], "unit NOPE does not exist"),
        (["add-station", "bad id", "--name", "x", "--lat", "1", "--lon", "2"], "not a valid id"),
        (["add-unit", "U1", "--call-sign", "U1", "--station", "nowhere"], "station nowhere does not exist"),
        (["add-unit", "U1", "--call-sign", "x" * 33], "longer than 32"),
        (["add-seat", "server", "--name", "x"], "reserved"),
        (["add-seat", "seat-1", "--name", "   "], "non-empty"),
        (["revoke", "ghost"], "no credential ghost"),
        (["new-token", "ghost"], "no credential ghost"),
        (["import", "/nonexistent/registry.yaml", "--tokens-out", "/tmp/x.json"], "cannot read"),
    ],
)
def test_the_admin_refuses_bad_input_with_exit_code_2_and_stores_nothing(tmp_path, capsys, argv, message):
    db = tmp_path / "admin.sqlite"
    assert main(["admin", "--db", str(db), *argv]) == 2
    assert message in capsys.readouterr().err
    assert main(["admin", "--db", str(db), "list"]) == 0
    assert "event log at seq 0" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [
        ["add-hospital", "h-1", "--name", "x", "--lat", "91", "--lon", "2"],
        ["add-station", "s-1", "--name", "x", "--lat", "1", "--lon", "-181"],
        ["add-unit", "U1", "--call-sign", "x", "--capability", "helicopter"],
        ["add-seat", "seat-1"],  # --name is required
    ],
)
def test_the_admin_parser_refuses_out_of_range_and_missing_options(tmp_path, argv):
    with pytest.raises(SystemExit) as caught:
        main(["admin", "--db", str(tmp_path / "x.sqlite"), *argv])
    assert caught.value.code == 2


def test_an_existing_id_is_refused_and_points_to_new_token(tmp_path, capsys):
    db = str(tmp_path / "admin.sqlite")
    assert main(["admin", "--db", db, "add-seat", "seat-9", "--name", "九号席"]) == 0
    first = capsys.readouterr().out
    assert "One-time token for seat-9" in first
    assert main(["admin", "--db", db, "add-seat", "seat-9", "--name", "九号席"]) == 2
    assert "use new-token seat-9" in capsys.readouterr().err


def test_list_shows_credentials_but_never_a_token_or_hash(tmp_path, capsys):
    db = str(tmp_path / "admin.sqlite")
    main(["admin", "--db", db, "add-station", "st-1", "--name", "南岸站", "--lat", "29.5", "--lon", "106.5"])
    main(["admin", "--db", db, "add-unit", "A1", "--call-sign", "渝A1", "--station", "st-1"])
    main(["admin", "--db", db, "add-device", "dev-A1", "--unit", "A1"])
    token = [line.strip() for line in capsys.readouterr().out.splitlines() if line.startswith("    ")][0]
    assert main(["admin", "--db", db, "list"]) == 0
    listing = capsys.readouterr().out
    assert "dev-A1" in listing and "渝A1" in listing and "南岸站" in listing
    assert token not in listing and token_hash(token) not in listing


def test_the_commit_timeout_reaches_the_store(tmp_path):
    args = build_parser().parse_args(_normalise_argv(["--commit-timeout-s", "7.5"]))
    assert args.commit_timeout_s == 7.5
    assert build_parser().parse_args(_normalise_argv([])).commit_timeout_s == 30.0
    from server_stub.config import ServerConfig
    from server_stub.server import DispatchServer
    from server_stub.store import EventStore

    store = EventStore(tmp_path / "events.sqlite")
    try:
        DispatchServer(ServerConfig(db_path=store.path, commit_timeout_s=args.commit_timeout_s), store)
        assert store.commit_timeout_s == 7.5
    finally:
        store.close()


@pytest.mark.parametrize("value", ["0", "-1", "soon"])
def test_a_commit_timeout_that_is_not_a_positive_number_is_refused(value, capsys):
    with pytest.raises(SystemExit) as caught:
        build_parser().parse_args(_normalise_argv(["--commit-timeout-s", value]))
    assert caught.value.code == 2
