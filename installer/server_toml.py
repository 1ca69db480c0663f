"""``dispatch120-server --config FILE``: the packaged server's settings file as command-line options.

The service unit runs ``dispatch120-server --config /etc/dispatch120/server.toml serve``. Each
``key = value`` of the file becomes ``--key value`` (underscores as dashes): ``true`` a bare flag,
``false`` nothing, a list the option repeated. ``db`` goes right after the command (``serve``,
``admin``, ``db`` and ``check`` each take ``--db``); ``check`` (also ``--check``) gets the settings
it checks too (``bus``, ``tls_cert``, ``tls_key``); the others belong to ``serve`` only. The file's
options come before those typed on the command line, so a typed flag wins (argparse keeps the
last value). A file that cannot be read or is not TOML stops the server with the reason:
unlike a seat, a service should not start on half a configuration.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

COMMANDS = ("serve", "admin", "db", "check")
GLOBAL_KEYS = ("db",)
CHECK_KEYS = ("bus", "tls_cert", "tls_key")


class ConfigFileError(ValueError):
    """The ``--config`` file cannot be used; the message names the file and why."""


def _options(key: str, value: Any, path: Path) -> list[str]:
    flag = "--" + key.replace("_", "-")
    if isinstance(value, bool):
        return [flag] if value else []
    if isinstance(value, list):
        return [item for v in value for item in _options(key, v, path)]
    if isinstance(value, str | int | float):
        return [flag, str(value)]
    raise ConfigFileError(f"{path}: {key} = {value!r}: use a string, number, true/false or a list")


def read_config(path: Path) -> tuple[list[str], list[str], list[str]]:
    """The file as (options of every command, ``serve`` options, ``check`` options)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigFileError(f"cannot read the configuration {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigFileError(f"{path} is not valid TOML: {exc}") from None
    first: list[str] = []
    serve: list[str] = []
    check: list[str] = []
    for key, value in data.items():
        options = _options(key, value, path)
        (first if key in GLOBAL_KEYS else serve).extend(options)
        if key in CHECK_KEYS:
            check.extend(options)
    return first, serve, check


def expand_config(argv: Sequence[str]) -> list[str]:
    """``argv`` with ``--config FILE`` (or ``--config=FILE``) replaced by the file's options."""
    args = list(argv)
    path: Path | None = None
    for i, arg in enumerate(args):
        if arg == "--config":
            if i + 1 >= len(args):
                raise ConfigFileError("--config needs a file")
            path = Path(args[i + 1])
            del args[i : i + 2]
            break
        if arg.startswith("--config="):
            path = Path(arg.split("=", 1)[1])
            del args[i]
            break
    if path is None:
        return args
    first, serve, check = read_config(path)
    command_at = next((i for i, a in enumerate(args) if a in COMMANDS), None)
    if command_at is None:
        if "--check" in args:  # the server's CLI: --check is the check command
            args.remove("--check")
            return ["check", *first, *check, *args]
        return ["serve", *first, *serve, *args]  # no command means serve
    before, command, after = args[:command_at], args[command_at], args[command_at + 1 :]
    extra = {"serve": serve, "check": check}.get(command, [])
    return [*before, command, *first, *extra, *after]
