"""``dispatch120-server admin``: registry and credentials, also while the server runs."""

from __future__ import annotations

import json
import stat

import pytest
import yaml


@pytest.fixture
def run_admin(server_cli):
    return lambda db, *args: server_cli("admin", "--db", db, *args)


def token_from(output: str) -> str:
    """The token line printed by an add-*/new-token command (indented, alone on its line)."""
    lines = [line.strip() for line in output.splitlines() if line.startswith("    ") and line.strip()]
    assert len(lines) == 1, output
    return lines[0]


def test_a_device_added_while_the_server_runs_can_log_in_and_seats_hear_of_it(dispatch_server):
    seat = dispatch_server.client("seat-1")
    result = dispatch_server.admin("add-unit", "B7", "--call-sign", "渝B7", "--station", "st-1")
    assert result.returncode == 0, result.stderr
    result = dispatch_server.admin("add-device", "dev-B7", "--unit", "B7")
    assert result.returncode == 0, result.stderr
    token = token_from(result.stdout)

    seat.wait_event("unit.registered", unit_id="B7")
    registered = seat.wait_event("principal.registered", principal_id="dev-B7")
    assert registered["actor"] == {"id": "admin-cli", "role": "admin"}
    assert token not in json.dumps(registered)

    dispatch_server.tokens["dev-B7"] = token
    device = dispatch_server.client("dev-B7")
    assert device.welcome["principal"] == {"id": "dev-B7", "role": "device", "name": "dev-B7", "unit_id": "B7"}
    assert device.command("unit.status", {"unit_id": "B7", "status": "out_of_service"})["type"] == "ack"


def test_a_revoked_credential_is_disconnected_and_cannot_log_in_again(dispatch_server):
    device = dispatch_server.client("dev-A2")
    result = dispatch_server.admin("revoke", "dev-A2")
    assert result.returncode == 0, result.stderr
    assert device.expect_close()[0] == 4001

    raw = dispatch_server.raw_client()
    assert raw.hello(dispatch_server.tokens["dev-A2"])["code"] == "unauthenticated"
    assert raw.expect_close()[0] == 4001

    # A new token reinstates it; the old token stays dead.
    result = dispatch_server.admin("new-token", "dev-A2")
    assert result.returncode == 0, result.stderr
    old_token, dispatch_server.tokens["dev-A2"] = dispatch_server.tokens["dev-A2"], token_from(result.stdout)
    assert dispatch_server.client("dev-A2").welcome["principal"]["id"] == "dev-A2"
    raw = dispatch_server.raw_client()
    assert raw.hello(old_token)["code"] == "unauthenticated"


def test_a_refused_admin_command_exits_with_code_2_and_says_why(tmp_path, run_admin):
    """The full list of refusals is in tests/unit/test_server_cli.py; this is the real process."""
    result = run_admin(tmp_path / "admin.sqlite", "add-device", "dev-1", "--unit", "NOPE")
    assert result.returncode == 2
    assert result.stderr.strip() == "error: device dev-1: unit NOPE does not exist (add it with add-unit first)"


def test_import_writes_private_tokens_and_a_second_import_rotates_them(tmp_path, run_admin):
    db = tmp_path / "training.sqlite"
    registry = {
        "stations": [{"id": "st-9", "name": "江北站", "lat": 29.6, "lon": 106.5}],
        "units": [{"id": "J1", "call_sign": "渝J1", "station": "st-9", "capability": "negative_pressure"}],
        "seats": [{"id": "seat-a", "name": "甲席"}],
        "devices": [{"id": "dev-J1", "unit": "J1"}],
    }
    registry_file = tmp_path / "registry.yaml"
    registry_file.write_text(yaml.safe_dump(registry, allow_unicode=True), encoding="utf-8")
    tokens_file = tmp_path / "out" / "tokens.json"

    first = run_admin(db, "import", str(registry_file), "--tokens-out", str(tokens_file))
    assert first.returncode == 0, first.stderr
    assert stat.S_IMODE(tokens_file.stat().st_mode) == 0o600
    tokens = json.loads(tokens_file.read_text(encoding="utf-8"))
    assert set(tokens) == {"seat-a", "dev-J1"}

    listing = run_admin(db, "list").stdout
    for token in tokens.values():
        assert token not in listing
    assert "negative_pressure" in listing and "江北站" in listing

    second = run_admin(db, "import", str(registry_file), "--tokens-out", str(tokens_file))
    assert second.returncode == 0, second.stderr
    assert "station st-9: unchanged" in second.stdout
    rotated = json.loads(tokens_file.read_text(encoding="utf-8"))
    assert rotated.keys() == tokens.keys() and not set(rotated.values()) & set(tokens.values())
    assert "event log at seq 4" in run_admin(db, "list").stdout  # the re-import added no event


def test_an_invalid_registry_file_lists_every_problem_and_stores_nothing(tmp_path, run_admin):
    db = tmp_path / "bad.sqlite"
    registry_file = tmp_path / "registry.yaml"
    registry_file.write_text(
        "stations:\n"
        "  - {id: s1, name: A, lat: 95, lon: 0}\n"
        "units:\n"
        "  - {id: U1, callsign: X}\n"
        "seats:\n"
        "  - {id: seat-1, name: A}\n"
        "  - {id: seat-1, name: B}\n"
        "ambulances: []\n",
        encoding="utf-8",
    )
    tokens_file = tmp_path / "tokens.json"
    result = run_admin(db, "import", str(registry_file), "--tokens-out", str(tokens_file))
    assert result.returncode == 2
    for problem in ("unknown section(s): ambulances", "stations[0] (s1)", "units[0] (U1): missing call_sign", "appears twice"):
        assert problem in result.stderr, result.stderr
    assert not tokens_file.exists()
    assert "event log at seq 0" in run_admin(db, "list").stdout


def test_the_help_text_names_every_admin_action(server_cli):
    result = server_cli("admin", "--help")
    assert result.returncode == 0
    for action in ("init", "add-seat", "add-device", "add-switch", "add-trainer", "add-station", "add-hospital",
                   "add-unit", "new-token", "revoke", "list", "import"):
        assert action in result.stdout
