"""The seat's settings, resolved from layers, later ones winning:

1. built-in defaults (:data:`DEFAULTS`);
2. the machine-wide file, written by the installer / IT:
   ``/etc/xdg/dispatch120/dispatch120.toml`` on Linux,
   ``%PROGRAMDATA%\\dispatch120\\dispatch120.toml`` on Windows,
   platformdirs' ``site_config_dir`` on macOS; env ``DISPATCH120_MACHINE_CONFIG`` overrides the path;
3. the user's file: ``platformdirs.user_config_dir("dispatch120")/dispatch120.toml``;
   env ``DISPATCH120_USER_CONFIG`` overrides the path;
4. command-line flags (``--server-url``, ``--server-ca``, ``--seat-id``, ``--language``, ``--journal``;
   see :func:`add_arguments`).

Why TOML files and not ``QSettings``: DESIGN §3 names ``QSettings`` for machine
config, but ``app/`` is Qt-free (an import-linter contract), and the settings
are needed before any Qt object exists (by the simulation runner and the
server-side tools too). So the same XDG / ProgramData locations hold a TOML
file, read with the standard library's ``tomllib`` (read-only: the seat never
writes settings; the installer and IT do). Example::

    server_url = "wss://dispatch.centre.example:8765/ws"
    # other instances of the same centre, tried in order when the first is lost:
    # server_fallback_urls = ["wss://dispatch2.centre.example:8765/ws"]
    server_ca_file = "/etc/dispatch120/centre-ca.pem"   # trust only the centre's CA for it
    seat_id = "seat-3"
    language = "zh_CN"          # or "en"
    # journal_path = "/var/lib/dispatch120/journal-seat-3.sqlite"
    # log_dir = "/var/log/dispatch120"
    # keyring_backend = "secretservice"
    # log_level = "INFO"
    # vitals_auto_watch = true    # watch a unit's ECG once it is on scene at this seat's incident
    # centre_timezone = "Asia/Shanghai"   # where the wall display's "today" starts
    # caller_voice = true         # training: speak the simulated caller's replies (espeak-ng)

Broken files — the decision: a seat must start, and the other layers are still
right. So a file that is not valid TOML is **skipped as a whole**, a value that
is invalid (wrong type, unknown language, not a ws:// URL) is **skipped alone**,
and an unknown key is ignored; each becomes a :class:`ConfigProblem` naming the
file and line, logged as a warning and kept in :attr:`Settings.problems` so the
GUI can show it. ``load_settings(strict=True)`` raises :class:`SettingsError`
instead (for ``dispatch120 config check`` and tests). Invalid command-line
values always raise: the user just typed them.

Never a secret in settings: a ``token`` (or ``password``/``secret``) key in a
file is refused with a problem telling how to store it in the OS keyring
(``dispatch120 credentials set``); see :mod:`app.secrets`.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs

from app.protocol.schema import NAME_ID_RE

log = logging.getLogger(__name__)

APP_NAME = "dispatch120"
CONFIG_FILE_NAME = "dispatch120.toml"
LANGUAGES = ("zh_CN", "en")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
ENV_MACHINE_CONFIG = "DISPATCH120_MACHINE_CONFIG"
ENV_USER_CONFIG = "DISPATCH120_USER_CONFIG"

DEFAULTS: dict[str, Any] = {
    "server_url": "ws://127.0.0.1:8765/ws",
    # Other servers of the same centre (one shared log), tried in order after server_url.
    "server_fallback_urls": (),
    # The centre's CA (PEM): a wss:// server must present a certificate it signed, and
    # only it is trusted (app/tls.py). None: the operating system's CAs.
    "server_ca_file": None,
    "seat_id": None,
    "language": "zh_CN",
    "journal_path": None,  # None: user_data_dir/journal-<seat_id>.sqlite
    "log_dir": None,  # None: platformdirs.user_log_dir
    "keyring_backend": None,  # None: the platform's default keyring (see app.secrets)
    "log_level": "INFO",
    # The map: a centre's raster tile server or MBTiles file, and the imported city.
    "map_tile_url": None,  # e.g. "https://tiles.centre.example/{z}/{x}/{y}.png"
    "map_tile_attribution": None,
    "map_tile_crs": "wgs84",  # wgs84 | gcj02 | bd09
    "map_tile_min_zoom": 0,
    "map_tile_max_zoom": 19,
    "map_mbtiles": None,  # a local .mbtiles file
    "map_city": None,  # None: the first city under resources/maps/
    # Repeat calls: a call within this distance of an open incident, or from the same
    # number, within this time, shows the repeat banner.
    "repeat_radius_m": 200.0,
    "repeat_window_s": 3600.0,
    # Routing and recommendation: travel times are divided by the emergency factor
    # (1.2 = ambulances drive 20 % faster than the free-flow speed table); coverage target in minutes.
    "emergency_speed_factor": 1.2,
    "coverage_target_min": 12.0,
    # The vitals wall starts watching a unit with an ECG (a registered monitor/terminal) once it is
    # on scene at an incident of this seat, and stops when it clears; the dispatcher's own choice wins.
    "vitals_auto_watch": True,
    # The centre's time zone: where "today" starts for the wall display's figures (IANA name).
    "centre_timezone": "Asia/Shanghai",
    # Training seats speak the simulated caller's replies (espeak-ng; widgets.caller_voice).
    # Unused outside training; off: the replies are only shown in the call panel.
    "caller_voice": True,
}
SECRET_KEYS = frozenset({"token", "password", "secret", "api_key"})
CREDENTIALS_HINT = "dispatch120 credentials set --seat-id <seat>"


@dataclass(frozen=True)
class ConfigProblem:
    """Something wrong in a settings layer; the value(s) concerned were not used."""

    source: str  # a file path or "command line"
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where}: {self.message}"


class SettingsError(ValueError):
    """Settings that cannot be used. ``problems`` lists each, with file and line."""

    def __init__(self, problems: list[ConfigProblem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = tuple(problems)


@dataclass(frozen=True)
class Settings:
    server_url: str
    seat_id: str | None
    language: str
    journal_path: Path
    log_dir: Path
    keyring_backend: str | None
    log_level: str
    # Where each value came from: "default", a file path, or "command line".
    sources: Mapping[str, str] = field(default_factory=dict)
    server_ca_file: Path | None = None
    server_fallback_urls: tuple[str, ...] = ()
    problems: tuple[ConfigProblem, ...] = ()
    map_tile_url: str | None = None
    map_tile_attribution: str | None = None
    map_tile_crs: str = "wgs84"
    map_tile_min_zoom: int = 0
    map_tile_max_zoom: int = 19
    map_mbtiles: Path | None = None
    map_city: str | None = None
    repeat_radius_m: float = 200.0
    repeat_window_s: float = 3600.0
    emergency_speed_factor: float = 1.2
    coverage_target_min: float = 12.0
    vitals_auto_watch: bool = True
    centre_timezone: str = "Asia/Shanghai"
    caller_voice: bool = True


# ---------------------------------------------------------------- locations


def machine_config_path(env: Mapping[str, str] | None = None, platform: str | None = None) -> Path:
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if env.get(ENV_MACHINE_CONFIG):
        return Path(env[ENV_MACHINE_CONFIG])
    if platform == "win32":
        return Path(env.get("PROGRAMDATA") or r"C:\ProgramData") / APP_NAME / CONFIG_FILE_NAME
    if platform == "darwin":
        return Path(platformdirs.site_config_dir(APP_NAME, appauthor=False)) / CONFIG_FILE_NAME
    # Fixed, not $XDG_CONFIG_DIRS: the installer writes here and IT documents this path.
    return Path("/etc/xdg") / APP_NAME / CONFIG_FILE_NAME


def user_config_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get(ENV_USER_CONFIG):
        return Path(env[ENV_USER_CONFIG])
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / CONFIG_FILE_NAME


def default_journal_path(seat_id: str | None) -> Path:
    return (
        Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / f"journal-{seat_id or 'default'}.sqlite"
    )


def layout_path(settings: Settings) -> Path:
    """Where this seat's arrangement of panels and windows is saved (JSON written by the GUI):
    next to its journal, one file per seat, so a shared workstation keeps each seat's desk."""
    seat = settings.seat_id or "seat"
    return settings.journal_path.parent / f"layout-{seat}.json"


def default_log_dir() -> Path:
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


# ---------------------------------------------------------------- validation


def _check_url(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a string like ws://host:port/ws")
    parts = urlsplit(value)
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise ValueError(f"{value!r} is not a ws:// or wss:// URL")
    return value


def _check_urls(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        raise ValueError('must be a list like ["ws://host2:port/ws"]')
    return tuple(_check_url(each) for each in value)


def _check_seat_id(value: Any) -> str:
    if not isinstance(value, str) or not NAME_ID_RE.match(value):
        raise ValueError(f"{value!r} is not a seat id (letters, digits, _.:- up to 64)")
    return value


def _check_language(value: Any) -> str:
    if isinstance(value, str) and value.replace("-", "_") in LANGUAGES:
        return value.replace("-", "_")
    raise ValueError(f"{value!r} is not a language; use one of {', '.join(LANGUAGES)}")


def _check_text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string")
    return value.strip()


def _check_tile_url(value: Any) -> str:
    text = _check_text(value)
    if urlsplit(text).scheme not in ("http", "https") or not all(p in text for p in ("{z}", "{x}", "{y}")):
        raise ValueError(f"{text!r} is not an http(s) tile URL template with {{z}}, {{x}} and {{y}}")
    return text


def _check_crs(value: Any) -> str:
    if isinstance(value, str) and value.strip().lower().replace("-", "") in ("wgs84", "gcj02", "bd09"):
        return value.strip().lower().replace("-", "")
    raise ValueError(f"{value!r} is not a coordinate system; use wgs84, gcj02 or bd09")


def _check_zoom(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 24:
        return value
    raise ValueError(f"{value!r} is not a zoom level 0..24")


def _check_positive(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 1e9:
        return float(value)
    raise ValueError(f"{value!r} is not a positive number")


def _check_city(value: Any) -> str:
    if not isinstance(value, str) or not NAME_ID_RE.match(value):
        raise ValueError(f"{value!r} is not a city directory name under resources/maps")
    return value


def _check_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise ValueError(f"{value!r} is not true or false")


def _check_timezone(value: Any) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(f"{value!r} is not a time zone (an IANA name such as Asia/Shanghai)") from None
    return str(value)


def _check_level(value: Any) -> str:
    if isinstance(value, str) and value.upper() in LOG_LEVELS:
        return value.upper()
    raise ValueError(f"{value!r} is not a log level; use one of {', '.join(LOG_LEVELS)}")


_CHECKS = {
    "server_url": _check_url,
    "server_fallback_urls": _check_urls,
    "seat_id": _check_seat_id,
    "language": _check_language,
    "journal_path": _check_text,
    "server_ca_file": _check_text,
    "log_dir": _check_text,
    "keyring_backend": _check_text,
    "log_level": _check_level,
    "map_tile_url": _check_tile_url,
    "map_tile_attribution": _check_text,
    "map_tile_crs": _check_crs,
    "map_tile_min_zoom": _check_zoom,
    "map_tile_max_zoom": _check_zoom,
    "map_mbtiles": _check_text,
    "map_city": _check_city,
    "repeat_radius_m": _check_positive,
    "repeat_window_s": _check_positive,
    "emergency_speed_factor": _check_positive,
    "coverage_target_min": _check_positive,
    "vitals_auto_watch": _check_bool,
    "centre_timezone": _check_timezone,
    "caller_voice": _check_bool,
}
_PATH_KEYS = ("journal_path", "log_dir", "map_mbtiles", "server_ca_file")


def _line_of(text: str, key: str) -> int | None:
    pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return None


def _read_file(path: Path, problems: list[ConfigProblem]) -> dict[str, Any]:
    """One file layer: the valid values it sets. Problems are appended, never raised."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        problems.append(
            ConfigProblem(str(path), None, f"cannot read the settings file: {exc.strerror or exc}")
        )
        return {}
    try:
        text = raw.decode("utf-8")
        data = tomllib.loads(text)
    except UnicodeDecodeError as exc:
        problems.append(ConfigProblem(str(path), None, f"not UTF-8 text ({exc.reason}); file ignored"))
        return {}
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"at line (\d+)", str(exc))
        line = int(match.group(1)) if match else None
        problems.append(ConfigProblem(str(path), line, f"not valid TOML: {exc}; file ignored"))
        return {}
    values: dict[str, Any] = {}
    for key, value in data.items():
        line = _line_of(text, key)
        if key.lower() in SECRET_KEYS:
            problems.append(
                ConfigProblem(
                    str(path),
                    line,
                    f"{key!r} refused: secrets never go in a settings file. Remove it and store the "
                    f"seat's token in the OS keyring with `{CREDENTIALS_HINT}`",
                )
            )
            continue
        check = _CHECKS.get(key)
        if check is None:
            problems.append(ConfigProblem(str(path), line, f"unknown setting {key!r} ignored"))
            continue
        try:
            checked = check(value)
        except ValueError as exc:
            problems.append(ConfigProblem(str(path), line, f"{key}: {exc}; value ignored"))
            continue
        if key in _PATH_KEYS:
            resolved = Path(checked).expanduser()
            checked = resolved if resolved.is_absolute() else path.parent / resolved
        values[key] = checked
    return values


# ---------------------------------------------------------------- command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the settings flags to the seat's argument parser."""
    parser.add_argument(
        "--server-url", dest="server_url", metavar="URL", help="ws://host:port/ws of the server"
    )
    parser.add_argument(
        "--server-ca", dest="server_ca_file", metavar="PEM",
        help="the centre's CA certificate: a wss:// server must have one it signed (only it is trusted)",
    )
    parser.add_argument("--seat-id", dest="seat_id", metavar="ID", help="this workstation's seat id")
    parser.add_argument("--language", dest="language", choices=LANGUAGES, help="interface language")
    parser.add_argument(
        "--journal", dest="journal_path", metavar="FILE", help="the seat's local journal file"
    )


def overrides_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The settings given on the command line (flags left out are not overrides)."""
    return {
        k: getattr(args, k)
        for k in ("server_url", "server_ca_file", "seat_id", "language", "journal_path")
        if getattr(args, k, None) is not None
    }


# ---------------------------------------------------------------- resolve


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    platform: str | None = None,
    strict: bool = False,
) -> Settings:
    """Resolve the settings: defaults < machine file < user file < ``overrides`` (command line).

    Args:
        overrides: values from the command line (see :func:`overrides_from_args`).
        env: environment for the file-location variables (default ``os.environ``).
        strict: raise on any problem in a file instead of skipping it.

    Raises:
        SettingsError: an invalid command-line value, or (``strict``) any file problem.
    """
    env = os.environ if env is None else env
    problems: list[ConfigProblem] = []
    merged: dict[str, Any] = dict(DEFAULTS)
    sources = dict.fromkeys(DEFAULTS, "default")
    for path in (machine_config_path(env, platform), user_config_path(env)):
        layer = _read_file(path, problems)
        merged.update(layer)
        sources.update(dict.fromkeys(layer, str(path)))
    file_problems = list(problems)
    cli_problems: list[ConfigProblem] = []
    for key, value in (overrides or {}).items():
        if value is None:
            continue
        check = _CHECKS.get(key)
        if check is None:
            cli_problems.append(ConfigProblem("command line", None, f"unknown setting {key!r}"))
            continue
        try:
            checked = check(value)
        except ValueError as exc:
            cli_problems.append(ConfigProblem("command line", None, f"--{key.replace('_', '-')}: {exc}"))
            continue
        merged[key] = Path(checked).expanduser().absolute() if key in _PATH_KEYS else checked
        sources[key] = "command line"
    if cli_problems or (strict and file_problems):
        raise SettingsError(cli_problems + (file_problems if strict else []))
    for problem in file_problems:
        log.warning("settings: %s", problem)
    seat_id = merged["seat_id"]
    return Settings(
        server_url=merged["server_url"],
        server_ca_file=Path(merged["server_ca_file"]) if merged["server_ca_file"] else None,
        server_fallback_urls=tuple(merged["server_fallback_urls"]),
        seat_id=seat_id,
        language=merged["language"],
        journal_path=Path(merged["journal_path"])
        if merged["journal_path"]
        else default_journal_path(seat_id),
        log_dir=Path(merged["log_dir"]) if merged["log_dir"] else default_log_dir(),
        keyring_backend=merged["keyring_backend"],
        log_level=merged["log_level"],
        sources=sources,
        problems=tuple(file_problems),
        **{k: merged[k] for k in DEFAULTS if k.startswith(("map_", "repeat_", "emergency_", "coverage_"))},
        vitals_auto_watch=merged["vitals_auto_watch"],
        centre_timezone=merged["centre_timezone"],
        caller_voice=merged["caller_voice"],
    )


# ---------------------------------------------------------------- the installer's writer


def write_machine_config(path: Path, values: Mapping[str, str | None]) -> Path:
    """Set ``values`` in the machine-wide file at ``path``, keeping every other line of it.

    Used by the Windows installer (``msiexec /qn SERVER_URL=… SEAT_ID=…`` runs the installed
    ``dispatch120.exe --write-machine-config …``, see ``installer/entry_seat.py``). Empty or
    ``None`` values are skipped, so an upgrade given no property leaves the file as it was; a
    key already in the file has its line replaced, a new key is appended. Values are checked
    like the file's own (a token is refused). The directory is created. Returns ``path``.

    Raises:
        SettingsError: a value is invalid, the key is unknown or a secret.
        OSError: the file cannot be written.
    """
    problems: list[ConfigProblem] = []
    given = {k: v for k, v in values.items() if v not in (None, "")}
    for key, value in given.items():
        if key in SECRET_KEYS or key not in _CHECKS:
            problems.append(ConfigProblem("installer", None, f"{key!r} cannot be set in the machine file"))
            continue
        try:
            _CHECKS[key](value)
        except ValueError as exc:
            problems.append(ConfigProblem("installer", None, f"{key}: {exc}"))
    if problems:
        raise SettingsError(problems)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        lines = ["# dispatch120 machine settings (written by the installer; IT may edit)"]
    for key, value in given.items():
        line = f"{key} = {_toml_string(str(value))}"
        number = _line_of("\n".join(lines), key)
        if number is None:
            lines.append(line)
        else:
            lines[number - 1] = line
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def _toml_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(c if c >= " " else f"\\u{ord(c):04x}" for c in escaped) + '"'
