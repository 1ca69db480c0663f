"""The seat's Qt checks for real, a seat that starts despite bad settings and says why, and
Help → Copy diagnostics."""

from __future__ import annotations

import zipfile
from pathlib import Path

import keyring
import pytest
from PySide6.QtGui import QGuiApplication

from app import check, secrets
from app.__main__ import build_parser, seat_session
from widgets import check_qt

pytestmark = pytest.mark.gui


@pytest.fixture
def seat_settings(tmp_path, monkeypatch):
    before = keyring.get_keyring()
    user = tmp_path / "user.toml"
    monkeypatch.setenv("DISPATCH120_MACHINE_CONFIG", str(tmp_path / "no-machine.toml"))
    monkeypatch.setenv("DISPATCH120_USER_CONFIG", str(user))
    secrets.use_memory_backend()
    secrets.set_token("seat-9", "Seat-nine-Token-1234567890")

    def write(**values: str) -> Path:
        base = {"log_dir": str(tmp_path / "logs"), "journal_path": str(tmp_path / "journal.sqlite"), **values}
        user.write_text("".join(f'{k} = "{v}"\n' for k, v in base.items()), encoding="utf-8")
        return user

    write()
    yield write
    secrets.configure(None)
    keyring.set_keyring(before)


def test_the_qt_checks_find_fonts_web_engine_and_the_offline_map(qapp):
    from app.settings import load_settings

    results = check_qt.run_qt_checks(load_settings({"seat_id": "seat-9"}), {"fonts", "webengine", "map", "audio"})

    assert results["fonts"].status is check.Status.PASS
    assert results["webengine"].status is check.Status.PASS
    assert results["map"].status is check.Status.PASS, check.render(results["map"], "en")
    assert results["audio"].status in (check.Status.PASS, check.Status.WARN)  # a machine without sound warns


def test_a_missing_chinese_font_and_audio_device_are_named_with_what_to_do():
    fonts = check_qt.check_fonts(lambda: [])
    audio = check_qt.check_audio(lambda: [])
    assert fonts.status is check.Status.FAIL and "fonts-wqy-microhei" in check.render(fonts, "en")
    assert audio.status is check.Status.WARN and "visible beat" in check.render(audio, "en")


def test_a_seat_with_a_malformed_server_url_starts_offline_and_shows_what_to_fix(seat_settings, qtbot):
    user = seat_settings(server_url="http//centre:8765", seat_id="seat-9")
    args = build_parser().parse_args(["--language", "en"])

    with seat_session(args) as runtime:
        window = runtime.window
        qtbot.waitExposed(window)
        texts = [m.text for m in window.messages.history]
        assert any("malformed server URL" in t and f"{user}:" in t and "works offline" in t for t in texts), texts
        assert runtime.sync._thread is None  # no connection to a server nobody configured
        window.confirm_close = False
        window.close()


def test_a_seat_with_an_unwritable_journal_starts_and_says_it_uses_a_temporary_one(seat_settings, tmp_path, qtbot):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a directory", encoding="utf-8")
    seat_settings(seat_id="seat-9", journal_path=str(blocker / "journal.sqlite"),
                  server_url="ws://127.0.0.1:9/ws")
    args = build_parser().parse_args(["--language", "en"])

    with seat_session(args) as runtime:
        texts = [m.text for m in runtime.window.messages.history]
        assert any("the journal cannot be written" in t and "temporary journal" in t for t in texts), texts
        assert runtime.journal.path != blocker / "journal.sqlite"
        runtime.window.confirm_close = False
        runtime.window.close()


def test_copy_diagnostics_writes_a_zip_and_puts_its_path_on_the_clipboard(seat_settings, tmp_path, qtbot):
    seat_settings(seat_id="seat-9", server_url="ws://127.0.0.1:9/ws")
    args = build_parser().parse_args(["--language", "en"])

    with seat_session(args) as runtime:
        window = runtime.window
        window.diagnostics_dir = tmp_path / "support"
        assert window.copy_diagnostics_action in window.help_menu.actions()

        window.copy_diagnostics_action.trigger()
        qtbot.waitUntil(lambda: QGuiApplication.clipboard().text().endswith(".zip"), timeout=20_000)

        path = Path(QGuiApplication.clipboard().text())
        assert path.parent == tmp_path / "support"
        with zipfile.ZipFile(path) as bundle:
            names = bundle.namelist()
            text = "".join(bundle.read(n).decode("utf-8") for n in names)
        assert "check.txt" in names and "versions.json" in names
        assert "Seat-nine-Token-1234567890" not in text
        assert "pyside6" in text
        window.confirm_close = False
        window.close()
