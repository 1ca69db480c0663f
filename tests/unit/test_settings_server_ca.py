"""The centre's CA for the seat: set by IT in the machine file, or on the command line."""

from __future__ import annotations

import argparse

from app.settings import (
    ENV_MACHINE_CONFIG,
    ENV_USER_CONFIG,
    add_arguments,
    load_settings,
    overrides_from_args,
)


def test_the_machine_file_pins_the_centres_ca_relative_to_itself_and_the_flag_overrides_it(tmp_path):
    machine = tmp_path / "etc" / "dispatch120.toml"
    machine.parent.mkdir()
    machine.write_text('server_url = "wss://dispatch.example:8765/ws"\nserver_ca_file = "centre-ca.pem"\n',
                       encoding="utf-8")
    env = {ENV_MACHINE_CONFIG: str(machine), ENV_USER_CONFIG: str(tmp_path / "none.toml")}
    assert load_settings(env=env).server_ca_file == machine.parent / "centre-ca.pem"

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    flagged = load_settings(overrides_from_args(parser.parse_args(["--server-ca", str(tmp_path / "other.pem")])),
                            env=env)
    assert flagged.server_ca_file == tmp_path / "other.pem"
    assert flagged.sources["server_ca_file"] == "command line"


def test_without_a_ca_file_the_system_store_is_used(tmp_path):
    env = {ENV_MACHINE_CONFIG: str(tmp_path / "a.toml"), ENV_USER_CONFIG: str(tmp_path / "b.toml")}
    assert load_settings(env=env).server_ca_file is None
