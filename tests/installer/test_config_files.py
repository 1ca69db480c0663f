"""The packaged server's settings file and the Windows installer's machine settings, without building anything."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from app.settings import SettingsError, load_settings, write_machine_config

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "installer"))

from server_toml import ConfigFileError, expand_config  # noqa: E402 - installer/server_toml.py


@pytest.fixture
def server_toml(tmp_path):
    path = tmp_path / "server.toml"
    path.write_text('db = "/var/lib/dispatch120/events.sqlite"\nhost = "0.0.0.0"\nport = 8765\n'
                    'tls_cert = "/etc/dispatch120/tls/server.crt"\ndevices_see_callback_number = true\n'
                    'ice_server = ["{\\"urls\\": \\"stun:a\\"}", "{\\"urls\\": \\"stun:b\\"}"]\n'
                    'caller_photos_kept = false\n')
    return path


def test_the_service_serves_with_the_files_settings_and_a_typed_flag_still_wins(server_toml):
    argv = expand_config(["--config", str(server_toml), "serve", "--port", "9000"])
    assert argv == ["serve", "--db", "/var/lib/dispatch120/events.sqlite", "--host", "0.0.0.0", "--port", "8765",
                    "--tls-cert", "/etc/dispatch120/tls/server.crt", "--devices-see-callback-number",
                    "--ice-server", '{"urls": "stun:a"}', "--ice-server", '{"urls": "stun:b"}', "--port", "9000"]


def test_admin_and_check_get_the_database_and_check_the_certificate_but_not_the_serving_options(server_toml):
    assert expand_config([f"--config={server_toml}", "admin", "add-seat", "seat-1", "--name", "一号席"]) == [
        "admin", "--db", "/var/lib/dispatch120/events.sqlite", "add-seat", "seat-1", "--name", "一号席"]
    assert expand_config(["--config", str(server_toml), "--check", "--language", "en"]) == [
        "check", "--db", "/var/lib/dispatch120/events.sqlite", "--tls-cert", "/etc/dispatch120/tls/server.crt",
        "--language", "en"]


def test_without_config_the_command_line_is_left_alone():
    assert expand_config(["serve", "--port", "0"]) == ["serve", "--port", "0"]


def test_a_broken_or_missing_server_config_stops_the_service_with_the_reason(tmp_path):
    broken = tmp_path / "server.toml"
    broken.write_text('db = "/x\nport = 1\n')
    with pytest.raises(ConfigFileError, match="is not valid TOML"):
        expand_config(["--config", str(broken)])
    with pytest.raises(ConfigFileError, match="cannot read the configuration"):
        expand_config(["--config", str(tmp_path / "missing.toml")])
    nested = tmp_path / "nested.toml"
    nested.write_text("[serve]\nport = 1\n")
    with pytest.raises(ConfigFileError, match="use a string, number"):
        expand_config(["--config", str(nested)])


def read(path: Path):
    return load_settings(env={"DISPATCH120_MACHINE_CONFIG": str(path), "DISPATCH120_USER_CONFIG": str(path.with_name("u.toml"))})


def test_the_windows_installer_sets_server_and_seat_and_keeps_what_it_was_not_given(tmp_path):
    path = tmp_path / "ProgramData" / "dispatch120" / "dispatch120.toml"
    write_machine_config(path, {"server_url": "wss://centre.example:8765/ws", "seat_id": ""})
    settings = read(path)
    assert (settings.server_url, settings.seat_id) == ("wss://centre.example:8765/ws", None)
    # IT added a setting by hand; a later upgrade passes only SEAT_ID.
    path.write_text(path.read_text() + 'language = "en"\n')
    write_machine_config(path, {"server_url": None, "seat_id": "seat-7"})
    settings = read(path)
    assert (settings.server_url, settings.seat_id, settings.language) == (
        "wss://centre.example:8765/ws", "seat-7", "en")
    assert not settings.problems
    # A new URL replaces the old line rather than adding a second one (which TOML would refuse).
    write_machine_config(path, {"server_url": 'wss://other.example/ws?x="1"'})
    assert read(path).server_url == 'wss://other.example/ws?x="1"'
    assert path.read_text().count("server_url") == 1


def test_the_windows_installer_refuses_a_bad_url_or_a_token_and_leaves_the_file_as_it_was(tmp_path):
    path = tmp_path / "dispatch120.toml"
    write_machine_config(path, {"seat_id": "seat-1"})
    before = path.read_text()
    with pytest.raises(SettingsError, match="not a ws:// or wss:// URL"):
        write_machine_config(path, {"server_url": "http://centre", "seat_id": "seat-2"})
    with pytest.raises(SettingsError, match="cannot be set in the machine file"):
        write_machine_config(path, {"token": "s3cret"})
    assert path.read_text() == before


def test_the_bundles_entry_runs_only_the_projects_own_modules_as_children(tmp_path):
    """In a bundle `sys.executable -m MODULE` reaches the entry script: only the training children may run."""
    import subprocess

    refused = subprocess.run([sys.executable, str(ROOT / "installer" / "entry_seat.py"), "-m", "http.server"],
                             capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert refused.returncode == 2 and "cannot run module 'http.server'" in refused.stderr
    served = subprocess.run([sys.executable, str(ROOT / "installer" / "entry_server.py"), "-m", "server_stub",
                             "admin", "--db", str(tmp_path / "events.sqlite"), "add-seat", "seat-1", "--name", "一号席"],
                            capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert served.returncode == 0 and "One-time token for seat-1" in served.stdout, served.stderr
