"""IT's story: build the packages, install them on a machine without Python, check, start, upgrade, remove.

The bundles (PyInstaller, ~1–2 min on 2 cores) are built once and cached in
``build/dist-cache/<hash of sources + lock>`` (``DISPATCH120_DIST_CACHE`` moves it), shared with
``make dist``; every test here reuses them. The packages are installed into a scratch root
(``dpkg --root … --force-script-chrootless``: no systemd, no real /opt touched; the maintainer
scripts honour ``$DPKG_ROOT``), and the installed programs run with a ``PATH`` that holds no
Python at all. The build and install times go to ``build/dist-cache/last-test-run.json``.
"""

from __future__ import annotations

import faulthandler
import importlib.util
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from app.seat.journal import SCHEMA_VERSION, Journal
from app.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]


def _load(name: str, path: Path):
    # By path, under a name of its own: `build` is also the name of PyPA's build package.
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


build = _load("dispatch120_installer_build", ROOT / "installer" / "build.py")
build_msi = _load("dispatch120_installer_build_msi", ROOT / "installer" / "windows" / "build_msi.py")

pytestmark = [
    pytest.mark.installer,
    pytest.mark.timeout(1200),  # a first build on a cold cache; a cached run takes ~1 min
    pytest.mark.skipif(shutil.which("dpkg-deb") is None or not sys.platform.startswith("linux"),
                       reason="the .deb packages are built and installed on Debian/Ubuntu only"),
]

CACHE = Path(os.environ.get("DISPATCH120_DIST_CACHE", ROOT / "build" / "dist-cache"))
NO_PYTHON_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
TIMINGS: dict[str, float] = {}


@pytest.fixture(scope="module")
def packages(tmp_path_factory):
    """This build's packages and a "previous build" (a lower version, from the same bundles)."""
    pytest.importorskip("PyInstaller", reason="make deps installs the `dist` extra")
    # A cold build takes minutes on 2 cores: no thread dump at pyproject's faulthandler_timeout
    # (100 s) for it; pytest-timeout's limit above still ends a build that hangs.
    faulthandler.cancel_dump_traceback_later()
    out = tmp_path_factory.mktemp("debs")
    version = build.debian_version(build.project_version())
    started = time.monotonic()
    info = build.build_all(out, CACHE, version)
    TIMINGS["build_s"] = round(time.monotonic() - started, 1)
    TIMINGS["bundles_cached"] = info.bundles_cached
    TIMINGS.update({f"first build {k} s": v for k, v in info.seconds.items()})
    TIMINGS.update({f"{k} bundle MB": round(v / 2**20, 1) for k, v in info.bundle_bytes.items()})
    bundles = CACHE / info.source_hash
    previous = f"{version}~ci1"
    prev = {name: build.build_deb(name, bundles / name, previous, out, out) for name in build.SPECS}
    yield {"version": version, "previous": previous, "current": {k: Path(v) for k, v in info.debs.items()},
           "prev": prev, "bundles": bundles}
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / "last-test-run.json").write_text(json.dumps(TIMINGS, indent=2) + "\n")


class ScratchRoot:
    """A dpkg database and file tree under ``path``; installs run the maintainer scripts chrootless."""

    def __init__(self, path: Path) -> None:
        self.path = path
        admin = path / "var" / "lib" / "dpkg"
        for sub in ("info", "updates", "triggers"):
            (admin / sub).mkdir(parents=True, exist_ok=True)
        for name in ("status", "available"):
            (admin / name).touch()

    def dpkg(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        cmd = ["dpkg", f"--root={self.path}", "--force-script-chrootless", "--force-depends",
               "--force-unsafe-io", "--force-confold", "--log=/dev/null", *args]
        if os.geteuid() != 0:
            cmd.insert(1, "--force-not-root")
        return subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                              env={**os.environ, "PATH": NO_PYTHON_PATH, **(env or {})})

    def installed_version(self, package: str) -> str | None:
        run = subprocess.run(["dpkg-query", f"--admindir={self.path}/var/lib/dpkg", "-W", "-f=${Status} ${Version}",
                              package], capture_output=True, text=True)
        words = run.stdout.split()
        return words[-1] if run.returncode == 0 and "installed" in words[:3] else None

    def __truediv__(self, other: str) -> Path:
        return self.path / other.lstrip("/")


def seat_env(home: Path, machine_config: Path, **extra: str) -> dict[str, str]:
    """A seat user's environment with no Python anywhere: only the system's bin directories on PATH."""
    env = {"PATH": NO_PYTHON_PATH, "HOME": str(home), "LANG": "C.UTF-8", "QT_QPA_PLATFORM": "offscreen",
           "QTWEBENGINE_CHROMIUM_FLAGS": "--no-sandbox", "XDG_CONFIG_HOME": str(home / ".config"),
           "XDG_DATA_HOME": str(home / ".local/share"), "XDG_STATE_HOME": str(home / ".local/state"),
           "XDG_CACHE_HOME": str(home / ".cache"), "XDG_RUNTIME_DIR": str(home / "runtime"),
           "DISPATCH120_MACHINE_CONFIG": str(machine_config)}
    (home / "runtime").mkdir(parents=True, exist_ok=True, mode=0o700)
    return {**env, **extra}


def run(cmd: list[str], env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def test_the_packages_lay_out_the_seat_and_the_server_as_it_expects(packages):
    seat = subprocess.run(["dpkg-deb", "-c", str(packages["current"]["dispatch120"])],
                          capture_output=True, text=True, check=True).stdout
    server = subprocess.run(["dpkg-deb", "-c", str(packages["current"]["dispatch120-server"])],
                            capture_output=True, text=True, check=True).stdout
    for path in ("./opt/dispatch120/dispatch120", "./usr/bin/dispatch120 -> /opt/dispatch120/dispatch120",
                 "./usr/share/applications/dispatch120.desktop",
                 "./usr/share/icons/hicolor/scalable/apps/dispatch120.svg",
                 "./etc/xdg/dispatch120/dispatch120.toml"):
        assert path in seat
    # Trimmed: no QML tree, Chromium locales only for the seat's two languages.
    assert "/qml/" not in seat
    assert sorted(re.findall(r"qtwebengine_locales/([\w-]+\.pak)", seat)) == ["en-US.pak", "zh-CN.pak"]
    for path in ("./opt/dispatch120-server/dispatch120-server", "./lib/systemd/system/dispatch120-server.service",
                 "./etc/dispatch120/server.toml"):
        assert path in server
    assert "PySide6" not in server and "libQt6" not in server
    for name, conffile in (("dispatch120", "/etc/xdg/dispatch120/dispatch120.toml"),
                           ("dispatch120-server", "/etc/dispatch120/server.toml")):
        info = subprocess.run(["dpkg-deb", "-I", str(packages["current"][name]), "conffiles"],
                              capture_output=True, text=True, check=True).stdout
        assert info.split() == [conffile]


def test_installed_seat_and_server_check_themselves_and_the_seat_paints_its_map_without_python(packages, tmp_path):
    root = ScratchRoot(tmp_path / "root")
    started = time.monotonic()
    for deb in packages["current"].values():
        result = root.dpkg("-i", str(deb))
        assert result.returncode == 0, result.stderr
    TIMINGS["install_s"] = round(time.monotonic() - started, 1)
    seat_exe, server_exe = root / "usr/bin/dispatch120", root / "usr/bin/dispatch120-server"
    assert os.readlink(seat_exe) == "/opt/dispatch120/dispatch120"
    seat_exe = root / "opt/dispatch120/dispatch120"  # the link is absolute, for the real root
    server_exe = root / "opt/dispatch120-server/dispatch120-server"
    home = tmp_path / "home"
    env = seat_env(home, root / "etc/xdg/dispatch120/dispatch120.toml")

    # The server's --check, with the packaged config pointed into the scratch root.
    config = tmp_path / "server.toml"
    config.write_text(f'db = "{root / "var/lib/dispatch120/events.sqlite"}"\nport = 0\n'
                      f'log_file = "{tmp_path / "server.log"}"\n')
    admin = run([str(server_exe), "--config", str(config), "admin", "add-seat", "seat-1", "--name", "一号席"], env)
    assert admin.returncode == 0 and "One-time token for seat-1" in admin.stdout, admin.stderr  # migrations ran
    server_check = run([str(server_exe), "--config", str(config), "--check", "--language", "en"], env)
    assert "Traceback" not in server_check.stdout + server_check.stderr
    assert re.search(r"^PASS\s+database: .*\(newest\)", server_check.stdout, re.MULTILINE), server_check.stdout
    assert server_check.returncode in (0, 3), server_check.stdout  # 3: warnings only (no TLS, no timedatectl here)

    # The seat's --check, offscreen: QtWebEngine and the offline map must work from the bundle.
    # (No keyring and no server here: those lines fail, and say what to do.)
    seat_check = run([str(seat_exe), "--language", "en", "--check"], env)
    assert "Traceback" not in seat_check.stdout + seat_check.stderr
    for name in ("CJK fonts", "QtWebEngine", "offline map"):
        assert re.search(rf"^PASS\s+{name}:", seat_check.stdout, re.MULTILINE), seat_check.stdout
    assert re.search(r"^FAIL\s+keyring:", seat_check.stdout, re.MULTILINE), seat_check.stdout
    assert seat_check.returncode == 1

    # The seat in training mode (its own server as a child of the bundle) until its window and map paint.
    started = time.monotonic()
    shot = tmp_path / "first-window.png"
    seat = run([str(seat_exe), "--simulate", "--screenshot", str(shot)], env)
    TIMINGS["installed_seat_to_exit_after_first_paint_s"] = round(time.monotonic() - started, 1)
    assert seat.returncode == 0, seat.stdout + seat.stderr[-3000:]
    assert seat.stdout.splitlines()[:2] == ["dispatch120: first paint", "dispatch120: map ready"], seat.stdout
    assert shot.stat().st_size > 50_000  # a real window, not an empty grab


def make_previous_release_journal(path: Path) -> list[str]:
    """A journal as the previous release left it (schema version 1) with three unsent commands."""
    journal = Journal(path)
    journal.bind_server("wss://centre.example:8765/ws")
    journal.bind_principal("seat-3")
    ids = [journal.add_command("incident.create", {"incident_id": str(uuid.uuid4()), "address": f"解放碑 {n} 号"})
           for n in (1, 2, 3)]
    journal.close()
    db = sqlite3.connect(path)
    db.execute("ALTER TABLE rejected DROP COLUMN position")  # what migration step 1 → 2 adds
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    return ids


def test_an_upgrade_keeps_config_and_unsent_commands_a_downgrade_refuses_and_removal_leaves_user_data(
        packages, tmp_path):
    root = ScratchRoot(tmp_path / "root")
    for deb in packages["prev"].values():
        assert root.dpkg("-i", str(deb)).returncode == 0
    assert root.installed_version("dispatch120") == packages["previous"]
    # IT configured the machine; the dispatcher had typed three commands while the server was away.
    machine = root / "etc/xdg/dispatch120/dispatch120.toml"
    machine.write_text('server_url = "wss://centre.example:8765/ws"\nseat_id = "seat-3"\n')
    server_conf = root / "etc/dispatch120/server.toml"
    server_conf.write_text(server_conf.read_text().replace('host = "127.0.0.1"', 'host = "0.0.0.0"'))
    home = tmp_path / "home"
    journal_path = home / ".local/share/dispatch120/journal-seat-3.sqlite"
    journal_path.parent.mkdir(parents=True)
    ids = make_previous_release_journal(journal_path)
    before = journal_path.read_bytes()

    started = time.monotonic()
    for deb in packages["current"].values():
        result = root.dpkg("-i", str(deb))
        assert result.returncode == 0, result.stderr
    TIMINGS["upgrade_s"] = round(time.monotonic() - started, 1)
    assert root.installed_version("dispatch120") == packages["version"]
    assert machine.read_text() == 'server_url = "wss://centre.example:8765/ws"\nseat_id = "seat-3"\n'
    assert 'host = "0.0.0.0"' in server_conf.read_text()
    assert journal_path.read_bytes() == before  # the package never touches a user's data

    # The upgraded seat sees the machine config and the waiting commands.
    env = seat_env(home, machine)
    check = run([str(root / "opt/dispatch120/dispatch120"), "--language", "en", "--check"], env)
    assert re.search(r"^PASS\s+settings: .*wss://centre\.example:8765/ws", check.stdout, re.MULTILINE), check.stdout
    assert re.search(r"^PASS\s+journal: .*; 3 command\(s\) waiting", check.stdout, re.MULTILINE), check.stdout
    # …and the journal migrates when the new seat opens it, its outbox in order.
    journal = Journal(journal_path)
    assert [c.command_id for c in journal.pending()] == ids
    assert sqlite3.connect(journal_path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    journal.close()

    # Back to the previous build: refused, with the reason, and nothing changed.
    down = root.dpkg("-i", str(packages["prev"]["dispatch120"]))
    assert down.returncode != 0
    assert f"refusing to downgrade from {packages['version']} to {packages['previous']}" in down.stderr
    assert root.installed_version("dispatch120") == packages["version"]
    assert (root / "opt/dispatch120/dispatch120").is_file()

    # Remove: the programs go, the machine config stays (until purge), the user's data stays.
    assert root.dpkg("--remove", "dispatch120", "dispatch120-server").returncode == 0
    assert not (root / "opt/dispatch120").exists() and not (root / "opt/dispatch120-server").exists()
    assert machine.is_file() and server_conf.is_file()
    assert root.dpkg("--purge", "dispatch120", "dispatch120-server").returncode == 0
    assert not machine.exists() and not server_conf.exists()
    assert root.installed_version("dispatch120") is None
    assert journal_path.is_file()


def test_the_windows_installer_writes_server_and_seat_into_the_machine_config(packages, tmp_path):
    if shutil.which("wixl") is None:
        pytest.skip("wixl (Debian's wixl package) builds the MSI; tools/setup_system.sh installs it")
    msi = build_msi.build_msi(build_msi.STAND_IN, tmp_path, build.project_version())

    def table(name: str) -> list[list[str]]:
        out = subprocess.run(["msiinfo", "export", str(msi), name], capture_output=True, text=True, check=True).stdout
        return [line.split("\t") for line in out.splitlines()[3:]]

    [action] = [row for row in table("CustomAction") if row[0] == "WriteMachineConfig"]
    assert action[2] == "SeatExe"
    assert action[3] == '--write-machine-config --server-url "[SERVER_URL]" --seat-id "[SEAT_ID]"'
    assert int(action[1]) & 0x3F == 18 and int(action[1]) & 1024 and int(action[1]) & 2048  # exe, deferred, system
    [step] = [row for row in table("InstallExecuteSequence") if row[0] == "WriteMachineConfig"]
    assert step[1] == "(SERVER_URL OR SEAT_ID) AND NOT REMOVE"
    secure = dict(row[:2] for row in table("Property"))["SecureCustomProperties"].split(";")
    assert {"SERVER_URL", "SEAT_ID"} <= set(secure)
    [exe] = [row for row in table("File") if row[0] == "SeatExe"]
    assert exe[2].endswith("dispatch120.exe")

    # What the action runs, done by the installed Linux bundle: the seat then reads those settings.
    seat_exe = packages["bundles"] / "dispatch120" / "dispatch120"
    config = tmp_path / "ProgramData" / "dispatch120" / "dispatch120.toml"
    env = {"PATH": NO_PYTHON_PATH, "HOME": str(tmp_path)}
    first = run([str(seat_exe), "--write-machine-config", "--server-url", "wss://centre.example:8765/ws",
                 "--seat-id", "", "--file", str(config)], env)
    assert first.returncode == 0, first.stderr
    # An upgrade given only SEAT_ID keeps the server URL written before.
    second = run([str(seat_exe), "--write-machine-config", "--server-url", "", "--seat-id", "seat-7",
                  "--file", str(config)], env)
    assert second.returncode == 0, second.stderr
    settings = load_settings(env={"DISPATCH120_MACHINE_CONFIG": str(config),
                                  "DISPATCH120_USER_CONFIG": str(tmp_path / "none.toml")})
    assert (settings.server_url, settings.seat_id) == ("wss://centre.example:8765/ws", "seat-7")
    assert not settings.problems
    bad = run([str(seat_exe), "--write-machine-config", "--server-url", "http://centre", "--file", str(config)], env)
    assert bad.returncode == 1 and "not a ws:// or wss:// URL" in bad.stderr
