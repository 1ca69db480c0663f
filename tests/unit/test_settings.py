"""Settings: defaults < machine file < user file < command line; broken files never stop the seat."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from app.settings import (
    ENV_MACHINE_CONFIG,
    ENV_USER_CONFIG,
    SettingsError,
    add_arguments,
    load_settings,
    machine_config_path,
    overrides_from_args,
)


@pytest.fixture
def files(tmp_path):
    machine = tmp_path / "etc" / "dispatch120.toml"
    user = tmp_path / "home" / "dispatch120.toml"
    machine.parent.mkdir()
    user.parent.mkdir()
    env = {ENV_MACHINE_CONFIG: str(machine), ENV_USER_CONFIG: str(user)}
    return machine, user, env


def test_without_any_file_the_seat_speaks_chinese_to_a_local_server(files):
    _, _, env = files
    settings = load_settings(env=env)
    assert settings.language == "zh_CN"
    assert settings.server_url.startswith("ws://")
    assert settings.seat_id is None
    assert settings.journal_path.name == "journal-default.sqlite"
    assert settings.problems == ()
    assert settings.sources["language"] == "default"


def test_user_file_overrides_machine_file_and_flags_override_both(files):
    machine, user, env = files
    machine.write_text(
        'server_url = "wss://centre.example:8765/ws"\nseat_id = "seat-7"\nlanguage = "zh_CN"\n',
        encoding="utf-8",
    )
    user.write_text('language = "en"\n', encoding="utf-8")

    from_files = load_settings(env=env)
    assert from_files.server_url == "wss://centre.example:8765/ws"
    assert from_files.seat_id == "seat-7"
    assert from_files.language == "en"
    assert from_files.sources["server_url"] == str(machine)
    assert from_files.sources["language"] == str(user)
    assert from_files.journal_path.name == "journal-seat-7.sqlite"

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--seat-id", "seat-2", "--server-url", "ws://10.0.0.5:9000/ws"])
    flagged = load_settings(overrides_from_args(args), env=env)
    assert (flagged.seat_id, flagged.server_url, flagged.language) == (
        "seat-2",
        "ws://10.0.0.5:9000/ws",
        "en",
    )
    assert flagged.journal_path.name == "journal-seat-2.sqlite"
    assert flagged.sources["seat_id"] == "command line"


def test_journal_flag_and_relative_paths_in_files(files, tmp_path):
    machine, _, env = files
    machine.write_text('journal_path = "state/j.sqlite"\nlog_dir = "~/logs"\n', encoding="utf-8")
    settings = load_settings(env=env)
    assert settings.journal_path == machine.parent / "state" / "j.sqlite"  # relative to the file
    assert settings.log_dir == Path("~/logs").expanduser()

    flagged = load_settings({"journal_path": str(tmp_path / "x.sqlite")}, env=env)
    assert flagged.journal_path == tmp_path / "x.sqlite"


def test_malformed_user_file_is_skipped_with_its_name_and_line_and_machine_settings_still_apply(
    files, caplog
):
    machine, user, env = files
    machine.write_text('server_url = "wss://centre.example/ws"\n', encoding="utf-8")
    user.write_text('language = "en"\nseat_id = "seat-1\n', encoding="utf-8")  # unterminated string

    settings = load_settings(env=env)

    assert settings.server_url == "wss://centre.example/ws"
    assert settings.language == "zh_CN"  # the whole broken file is ignored
    [problem] = settings.problems
    assert problem.source == str(user) and problem.line == 2
    assert f"{user}:2" in str(problem) and "not valid TOML" in str(problem)
    assert str(user) in caplog.text

    with pytest.raises(SettingsError) as strict:
        load_settings(env=env, strict=True)
    assert f"{user}:2" in str(strict.value)


def test_one_bad_value_is_skipped_alone(files):
    machine, _, env = files
    machine.write_text(
        'seat_id = "seat-4"\nlanguage = "fr"\nserver_url = "http://centre/ws"\nfavourite_colour = "red"\n',
        encoding="utf-8",
    )
    settings = load_settings(env=env)
    assert settings.seat_id == "seat-4"
    assert settings.language == "zh_CN"
    assert settings.server_url == "ws://127.0.0.1:8765/ws"
    assert sorted(p.line for p in settings.problems) == [2, 3, 4]


def test_a_token_in_a_settings_file_is_refused_and_points_to_the_keyring(files):
    _, user, env = files
    user.write_text('seat_id = "seat-1"\ntoken = "s3cr3t-t0ken"\n', encoding="utf-8")
    settings = load_settings(env=env)
    assert settings.seat_id == "seat-1"
    assert not hasattr(settings, "token")
    [problem] = settings.problems
    assert problem.line == 2
    assert "dispatch120 credentials set" in problem.message
    assert "s3cr3t-t0ken" not in str(problem)


def test_an_invalid_command_line_value_is_an_error_even_when_files_are_fine(files):
    _, _, env = files
    with pytest.raises(SettingsError) as bad:
        load_settings({"server_url": "centre:8765"}, env=env)
    assert "--server-url" in str(bad.value)


def test_machine_file_locations_follow_the_platform(monkeypatch):
    assert machine_config_path({}, "linux") == Path("/etc/xdg/dispatch120/dispatch120.toml")
    windows = machine_config_path({"PROGRAMDATA": r"D:\ProgramData"}, "win32")
    assert windows.parts[-2:] == ("dispatch120", "dispatch120.toml")
    assert str(windows).startswith(r"D:\ProgramData")
    assert machine_config_path({ENV_MACHINE_CONFIG: "/tmp/x.toml"}, "linux") == Path("/tmp/x.toml")
