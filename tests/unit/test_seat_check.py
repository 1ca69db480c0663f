"""IT checks a seat in one command, stores its token once, and sends support a clean diagnostics zip.

Everything here is real (settings files, the keyring wrapper, a journal on disk, logging to files,
a closed TCP port); fakes stand only at the machine's edge (a fail keyring, a clock, free disk space,
timedatectl's answer).
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import re
import socket
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from app import check, diagnostics, logs, seat_tools, secrets
from app.protocol import event, new_id
from app.seat.journal import Journal
from app.settings import load_settings
from server_stub import check as server_check

PATIENT = "张三丰"
CALLER_NUMBER = "13800138000"


@pytest.fixture(autouse=True)
def _restore_keyring():
    before = keyring.get_keyring()
    yield
    secrets.configure(None)
    keyring.set_keyring(before)


@pytest.fixture
def seat_files(tmp_path, monkeypatch):
    """A seat's settings in a user file of this test only; returns a function writing that file."""
    user = tmp_path / "dispatch120.toml"
    monkeypatch.setenv("DISPATCH120_MACHINE_CONFIG", str(tmp_path / "no-machine.toml"))
    monkeypatch.setenv("DISPATCH120_USER_CONFIG", str(user))

    def write(**values: str) -> Path:
        base = {"seat_id": "seat-1", "journal_path": str(tmp_path / "journal.sqlite"),
                "log_dir": str(tmp_path / "logs"), **values}
        user.write_text("".join(f'{k} = "{v}"\n' for k, v in base.items()), encoding="utf-8")
        return user

    write()
    return write


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"ws://127.0.0.1:{probe.getsockname()[1]}/ws"


def by_name(results):
    return {r.name: r for r in results}


def every_line(results) -> str:
    """Render each result in both languages; a missing text or parameter would show as the raw key."""
    lines = []
    for result in results:
        for language in ("zh_CN", "en"):
            line = check.render(result, language)
            assert not ("." in result.key and result.key in line) and "{" not in line, line
            lines.append(line)
    return "\n".join(lines)


# ---------------------------------------------------------------- the texts


def test_every_check_text_exists_in_chinese_and_english():
    for key, texts in check.TEXTS.items():
        assert set(texts) == {"zh_CN", "en"}, key
        assert set(re.findall(r"{(\w+)}", texts["zh_CN"])) == set(re.findall(r"{(\w+)}", texts["en"])), key
    for name in (*check.SEAT_CHECKS, *server_check.SERVER_CHECKS):
        assert set(check.NAMES[name]) == {"zh_CN", "en"}
    used = set()
    for source in ("app/check.py", "widgets/check_qt.py", "server_stub/check.py", "app/seat_tools.py"):
        text = (Path(__file__).resolve().parents[2] / source).read_text(encoding="utf-8")
        used |= set(re.findall(r'"([a-z]+\.[a-z_]+)"', text)) & {k for k in re.findall(r"[a-z]+\.[a-z_]+", text)
                                                                if k.split(".")[0] in check.NAMES
                                                                or k.split(".")[0] in ("settings", "check")}
    missing = {k for k in used if k not in check.TEXTS and not k.startswith(("app.", "check.py"))}
    assert not {k for k in missing if k.split(".")[0] in {*check.NAMES, "settings", "check"}}, missing


def test_exit_code_is_zero_only_when_every_check_passed_and_warnings_need_allow_warn():
    passed = check.CheckResult("fonts", check.Status.PASS, "fonts.ok", {"families": "x"})
    warned = check.CheckResult("audio", check.Status.WARN, "audio.missing")
    failed = check.CheckResult("server", check.Status.FAIL, "server.refused", {"host": "h", "port": 1})
    skipped = check.skipped("map")
    assert check.exit_code([passed, skipped]) == 0
    assert check.exit_code([passed, warned]) == 3
    assert check.exit_code([passed, warned], allow_warn=True) == 0
    assert check.exit_code([passed, warned, failed], allow_warn=True) == 1


# ---------------------------------------------------------------- bad input, each named with what to do


def test_a_malformed_server_url_in_the_settings_file_is_named_with_its_file_and_line(seat_files):
    user = seat_files(server_url="http//centre:8765")

    results = by_name(check.run_seat_checks(load_settings(), skip=("fonts", "webengine", "map", "audio")))

    assert results["settings"].status is check.Status.FAIL
    line = check.render(results["settings"], "en")
    assert "malformed server URL" in line and f"{user}:" in line and "server_url" in line
    # No connection attempt to a server nobody configured: the network checks say why.
    assert results["server"].status is check.Status.FAIL and results["server"].key == "server.bad_url"
    assert results["credential"].status is check.Status.SKIP
    assert "服务器地址格式错误" in check.render(results["settings"], "zh_CN")
    every_line(results.values())


def test_an_unreachable_server_fails_fast_and_says_what_to_check(seat_files):
    seat_files(server_url=closed_port_url())
    secrets.use_memory_backend()
    secrets.set_token("seat-1", "tok-Abc123-seat-one-XYZ")

    results = by_name(check.run_seat_checks(load_settings(), skip=("fonts", "webengine", "map", "audio")))

    assert results["server"].status is check.Status.FAIL
    assert "refused the connection: the server is not running" in check.render(results["server"], "en")
    assert results["credential"].status is check.Status.SKIP and results["clock"].status is check.Status.SKIP
    assert results["keyring"].status is check.Status.PASS


def test_a_server_that_never_answers_is_cut_off_at_the_deadline():
    started = []

    def hangs():
        started.append(True)
        socket.getaddrinfo  # noqa: B018 - stands for a name lookup that hangs
        import threading

        threading.Event().wait(30)

    done, result = check.run_bounded(hangs, 0.2)

    assert started and done is False and result is None


def test_without_a_keyring_the_check_fails_and_says_how_to_get_one(seat_files):
    keyring.set_keyring(fail.Keyring())  # a machine without a desktop session

    result = check.check_keyring()
    token, credential = check.token_for("seat-1", result)

    assert result.status is check.Status.FAIL
    assert "no keyring backend is available" in check.render(result, "en")
    assert "dispatch120 credentials set" in check.render(result, "en")
    assert token is None and credential.status is check.Status.SKIP


def test_a_seat_without_a_stored_token_is_told_to_run_credentials_set():
    secrets.use_memory_backend()
    token, credential = check.token_for("seat-1", check.check_keyring())
    assert token is None and credential.status is check.Status.FAIL
    assert check.render(credential, "en").endswith("no token stored for seat seat-1: run dispatch120 credentials set")


def test_an_unwritable_journal_is_named_with_what_to_do(tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the journal's directory should be", encoding="utf-8")

    result = check.check_journal(blocker / "journal-seat-1.sqlite")

    assert result.status is check.Status.FAIL
    line = check.render(result, "en")
    assert "the journal cannot be written" in line and "journal_path" in line


def test_the_journal_check_counts_unsent_commands_without_touching_the_file(tmp_path):
    path = tmp_path / "journal.sqlite"
    journal = Journal(path)
    for _ in range(2):
        journal.add_command("seat.set_ready", {"ready": True})
    journal.close()
    before = path.read_bytes()

    result = check.check_journal(path)

    assert result.status is check.Status.PASS and result.params["outbox"] == 2
    assert "2 command(s) waiting to be sent" in check.render(result, "en")
    assert path.read_bytes() == before  # opened read-only: no migration, no move


def test_clock_offset_passes_within_two_seconds_warns_within_a_minute_then_fails():
    now = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert check.clock_result(now + timedelta(seconds=1.5), now).status is check.Status.PASS
    assert check.clock_result(now + timedelta(seconds=-20), now).status is check.Status.WARN
    assert check.clock_result(now + timedelta(minutes=5), now).status is check.Status.FAIL
    assert "+300.0 s" in check.render(check.clock_result(now + timedelta(minutes=5), now), "en")
    # An HTTP Date header has whole seconds: one second more is tolerated.
    assert check.clock_result(now + timedelta(seconds=2.9), now, resolution_s=1.0).status is check.Status.PASS


# ---------------------------------------------------------------- credentials


def credentials(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    from app.__main__ import build_parser

    args = build_parser().parse_args(["credentials", *argv])
    out, err = io.StringIO(), io.StringIO()
    code = seat_tools.run_credentials(args, stdin=io.StringIO(stdin), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_it_stores_the_token_from_a_file_shows_only_its_fingerprint_and_clears_it(seat_files, tmp_path):
    secrets.use_memory_backend()
    token = "Zq3-token-Of-Seat-One-0123456789abcdefABCDEF"
    token_file = tmp_path / "seat-1.token"
    token_file.write_text(token + "\n", encoding="utf-8")

    code, out, _ = credentials("set", "--from-file", str(token_file))
    assert code == 0 and token not in out
    assert secrets.get_token("seat-1") == token

    code, out, _ = credentials("show")
    assert code == 0 and token not in out
    assert seat_tools.fingerprint(token) in out and len(seat_tools.fingerprint(token)) == 12

    assert credentials("clear")[0] == 0
    code, out, _ = credentials("show")
    assert code == 1 and "no token stored" in out


def test_credentials_set_reads_stdin_and_refuses_an_empty_or_spaced_token(seat_files):
    secrets.use_memory_backend()
    assert credentials("set", "--stdin", stdin="\n")[0] == 2
    code, _, err = credentials("set", "--stdin", stdin="two words\n")
    assert code == 2 and "spaces" in err
    assert secrets.get_token("seat-1") is None
    assert credentials("set", "--stdin", "--seat-id", "seat-7", stdin="Tok-Seven-1234567\n")[0] == 0
    assert secrets.get_token("seat-7") == "Tok-Seven-1234567"


def test_the_stored_token_and_token_query_parameters_never_reach_a_log_file(seat_files, tmp_path):
    secrets.use_memory_backend()
    token = "short-Tok-9"  # short and not random-looking: only knowing the stored token redacts it
    assert credentials("set", "--stdin", stdin=token + "\n")[0] == 0
    log_path = logs.setup_logging(tmp_path / "logs", "DEBUG", "redaction", stderr=False)
    try:
        logging.getLogger("app.test").warning("hello failed for %s", token)
        logging.getLogger("app.test").warning("GET /media/1?seat=seat-1&token=abcDEF123xyz&x=1 refused")
        try:
            raise RuntimeError(f"bad token {token}")
        except RuntimeError:
            logging.getLogger("app.test").exception("crash report")
    finally:
        for handler in logging.getLogger().handlers:
            handler.flush()
    text = log_path.read_text(encoding="utf-8")
    assert token not in text and "abcDEF123xyz" not in text
    assert text.count(logs.REDACTED) >= 3 and "crash report" in text


# ---------------------------------------------------------------- diagnostics


def test_diagnostics_hold_logs_versions_settings_and_checks_but_no_token_or_patient_data(seat_files, tmp_path):
    secrets.use_memory_backend()
    token = "plain-token-of-seat-1"
    secrets.set_token("seat-1", token)
    journal = Journal(tmp_path / "journal.sqlite")
    incident = new_id()
    journal.add_command("incident.create", {"incident_id": incident, "address": "南岸区南坪西路 8 号",
                                            "description": f"{PATIENT} 胸痛", "callback_number": CALLER_NUMBER})
    journal.record_events([event(seq=1, ts="2026-12-01T08:00:00.000Z", name="call.received",
                                 actor={"id": "server", "role": "admin"}, ref=None,
                                 data={"call_id": "c1", "caller_number": CALLER_NUMBER, "caller_name": PATIENT})])
    journal.close()
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    # Logs written by an earlier run (this process never read the token): a leak diagnostics must catch.
    (log_dir / "dispatch120.log").write_text(
        f"08:00 INFO app: hello with {token}\n08:01 INFO app: incident for {PATIENT} at 南岸区南坪西路 8 号\n"
        f"08:02 INFO app: callback {CALLER_NUMBER}\n", encoding="utf-8")
    (log_dir / "dispatch120.log.1").write_text(f"older {json.dumps(PATIENT)}\n", encoding="utf-8")
    from app.__main__ import build_parser

    args = build_parser().parse_args(["diagnostics", "--out", str(tmp_path / "out" / "diag.zip"),
                                      "--skip", "server,credential,clock"])
    out = io.StringIO()

    assert seat_tools.run_diagnostics(args, None, lambda: {"qt": "6.x"}, out=out) == 0

    with zipfile.ZipFile(tmp_path / "out" / "diag.zip") as bundle:
        names = set(bundle.namelist())
        contents = {name: bundle.read(name).decode("utf-8") for name in names}
    assert {"check.txt", "check.json", "versions.json", "settings.json", "logs/dispatch120.log",
            "logs/dispatch120.log.1"} <= names
    everything = "\n".join(contents.values())
    assert token not in everything
    assert PATIENT not in everything and CALLER_NUMBER not in everything and "南坪西路" not in everything
    assert json.dumps(PATIENT)[1:-1] not in everything
    versions = json.loads(contents["versions.json"])
    assert {"dispatch120", "python", "protocol", "triage_protocol_set", "qt"} <= set(versions)
    assert json.loads(contents["settings.json"])["seat_id"] == "seat-1"
    assert "journal" in contents["check.txt"] and "08:00 INFO app: hello with" in contents["logs/dispatch120.log"]


def test_diagnostics_name_the_triage_protocol_set_the_seat_loads():
    from app.triage import DEFAULT_PROTOCOL_DIR, load_protocol_set

    assert diagnostics.versions()["triage_protocol_set"] == load_protocol_set(DEFAULT_PROTOCOL_DIR).version


def test_personal_values_are_read_from_the_journal_without_changing_it(tmp_path):
    journal = Journal(tmp_path / "j.sqlite")
    journal.add_command("incident.create", {"incident_id": new_id(), "description": PATIENT, "priority": 2})
    journal.close()
    assert PATIENT in diagnostics.personal_values(tmp_path / "j.sqlite")
    assert diagnostics.scrub(f"x {PATIENT} y 13912345678", {PATIENT}) == "x [PERSONAL] y [PERSONAL]"


# ---------------------------------------------------------------- the server


def server_args(tmp_path, *extra: str) -> argparse.Namespace:
    from server_stub.__main__ import _normalise_argv, build_parser

    return build_parser().parse_args(_normalise_argv(["--check", "--db", str(tmp_path / "ev.sqlite"), *extra]))


def test_server_check_reports_a_new_database_a_missing_certificate_and_an_unverifiable_clock(tmp_path):
    args = server_args(tmp_path, "--language", "en")
    results = by_name(server_check.run_checks(args))
    assert results["database"].status is check.Status.PASS
    assert results["bus"].status is check.Status.PASS
    assert results["certificate"].status is check.Status.WARN
    every_line(results.values())


def test_server_check_disk_thresholds_fail_below_one_gb_and_warn_below_five(tmp_path):
    def free(gb):
        return lambda _path: int(gb * server_check.GB)

    db = tmp_path / "ev.sqlite"
    assert server_check.check_disk(db, free_bytes=free(0.5)).status is check.Status.FAIL
    assert server_check.check_disk(db, free_bytes=free(3)).status is check.Status.WARN
    assert server_check.check_disk(db, free_bytes=free(50)).status is check.Status.PASS
    assert server_check.check_disk(db, warn_gb=100, free_bytes=free(50)).status is check.Status.WARN


def test_server_check_clock_follows_timedatectl_and_says_when_it_cannot_know():
    assert server_check.check_clock(lambda argv: "yes").status is check.Status.PASS
    off = server_check.check_clock(lambda argv: "no")
    assert off.status is check.Status.FAIL and "timedatectl set-ntp true" in check.render(off, "en")
    assert server_check.check_clock(lambda argv: None).status is check.Status.WARN


def test_server_check_names_an_unreachable_bus():
    url = closed_port_url().replace("ws://", "redis://").replace("/ws", "/0")
    result = server_check.check_bus(url)
    assert result.status is check.Status.FAIL and "check the Redis service" in check.render(result, "en")
    assert server_check.check_bus("redis://:s3cretpw@127.0.0.1:1/0").params["url"].find("s3cretpw") == -1


def test_server_check_refuses_a_database_written_by_a_newer_server(tmp_path):
    import sqlite3

    db = tmp_path / "ev.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        conn.execute("INSERT INTO alembic_version VALUES ('ffffffffffff')")
        conn.execute("CREATE TABLE events (seq INTEGER)")
    result = server_check.check_database(db)
    assert result.status is check.Status.FAIL and "newer server" in check.render(result, "en")
