"""The seat's IT commands: ``check`` (also ``--check``), ``credentials set|show|clear``, ``diagnostics``.

Qt-free: the Qt checks and Qt's versions come in as functions from the composition root
(``app/__main__.py``), which alone may import ``widgets``.

Exit codes: ``check`` — see :func:`app.check.exit_code` (0 all passed, 1 a failure, 3 only
warnings; ``--allow-warn`` makes warnings 0). ``credentials`` — 0 done, 1 the keyring refused
or nothing was stored (``show``/``clear``), 2 bad input (no seat id, empty token).
``diagnostics`` — 0 written, 1 cannot write it.
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from app import check, diagnostics, logs, secrets
from app.settings import ConfigProblem, Settings, SettingsError, load_settings, overrides_from_args

# (settings, names, language) -> {name: CheckResult}: the Qt checks, run by the composition root.
QtChecks = Callable[[Settings, set[str], str], dict[str, check.CheckResult]]


def add_check_options(parser: argparse.ArgumentParser, *, suppress: bool = False) -> None:
    """``--allow-warn`` and ``--skip`` (on the main parser, and again on ``check``). The server's CA is the
    seat's own setting (``server_ca_file``, ``--server-ca``): the check verifies what the seat will."""
    default: dict[str, Any] = {"default": argparse.SUPPRESS} if suppress else {}
    parser.add_argument("--allow-warn", action="store_true", help="exit 0 when checks only warned",
                        **default)
    parser.add_argument("--skip", metavar="NAMES", type=_check_names, **default,
                        help="comma-separated checks not to run: " + ",".join(check.SEAT_CHECKS))


def _check_names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in check.SEAT_CHECKS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown check(s) {', '.join(unknown)}; known: {', '.join(check.SEAT_CHECKS)}")
    return names


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``check``, ``credentials`` and ``diagnostics`` to the ``dispatch120`` subcommands."""
    checker = commands.add_parser(
        "check", help="check this seat: fonts, web engine, map, keyring, server, credential, journal, clock, audio",
        description="One line per check (PASS/WARN/FAIL/SKIP) with what to do. Exit code 0: all passed; "
                    "1: a check failed; 3: only warnings (0 with --allow-warn).")
    add_check_options(checker, suppress=True)

    credentials = commands.add_parser(
        "credentials",
        help="store, show or clear this seat's login token in the OS keyring",
        description="The seat's token lives in the OS keyring only (never in a file or a log).",
    )
    actions = credentials.add_subparsers(dest="credentials_command", metavar="{set,show,clear}", required=True)
    setter = actions.add_parser("set", help="store the token (typed without echo, or --stdin, or --from-file)",
                                description="Store the token. Default: typed at a prompt without echo.")
    source = setter.add_mutually_exclusive_group()
    source.add_argument("--from-file", type=Path, metavar="FILE",
                        help="read the token from FILE (its first line); delete the file afterwards")
    source.add_argument("--stdin", action="store_true", help="read the token from standard input")
    actions.add_parser("show", help="say whether a token is stored, and its fingerprint (never the token)")
    actions.add_parser("clear", help="forget the token")
    actions.add_parser("delete", help="same as clear")
    for action in actions.choices.values():
        # SUPPRESS: a value given before the command (dispatch120 --seat-id X credentials set) survives.
        action.add_argument("--seat-id", dest="seat_id", metavar="ID", default=argparse.SUPPRESS,
                            help="the seat (default: seat_id from the settings)")

    diag = commands.add_parser(
        "diagnostics", help="write a zip for support: logs, versions, settings, check results (no secrets, "
                            "no patient data)")
    diag.add_argument("--out", type=Path, required=True, metavar="FILE", help="the zip to write")
    add_check_options(diag, suppress=True)


def fingerprint(token: str) -> str:
    """The first 12 hex digits of the token's SHA-256 — the start of the hash the server stores."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:12]


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(overrides_from_args(args))


def _fail(message: str, code: int, err: TextIO) -> int:
    print(f"dispatch120: {message}", file=err)
    return code


# ---------------------------------------------------------------- credentials


def run_credentials(args: argparse.Namespace, *, stdin: TextIO | None = None, out: TextIO | None = None,
                    err: TextIO | None = None) -> int:
    """``credentials set|show|clear``. The token goes to the OS keyring only; it is never printed."""
    stdin, out, err = stdin or sys.stdin, out or sys.stdout, err or sys.stderr
    try:
        settings = _settings(args)
    except SettingsError as exc:
        return _fail(str(exc), 2, err)
    logs.setup_logging(None, getattr(args, "log_level", None) or settings.log_level)
    seat_id = getattr(args, "seat_id", None) or settings.seat_id
    if not seat_id:
        return _fail("which seat? give --seat-id ID (or set seat_id in dispatch120.toml)", 2, err)
    secrets.configure(settings.keyring_backend)
    action = args.credentials_command
    try:
        if action == "set":
            from_file = getattr(args, "from_file", None)
            if from_file is not None:
                try:
                    lines = from_file.read_text(encoding="utf-8").splitlines()
                except (OSError, UnicodeDecodeError) as exc:
                    return _fail(f"cannot read {from_file}: {exc}", 2, err)
                token = lines[0] if lines else ""
            elif getattr(args, "stdin", False) or not stdin.isatty():
                token = stdin.readline()
            else:
                token = getpass.getpass(f"Token for seat {seat_id} (not shown): ")
            token = token.strip()
            if not token:
                return _fail("no token given (empty input); nothing stored", 2, err)
            if any(c.isspace() for c in token):
                return _fail("the token has spaces in it: give the token alone, on one line; nothing stored", 2, err)
            secrets.set_token(seat_id, token)
            print(f"token of seat {seat_id} stored in {secrets.backend_name()} (fingerprint {fingerprint(token)})",
                  file=out)
            return 0
        if action == "show":
            token = secrets.get_token(seat_id)
            if not token:
                print(f"no token stored for seat {seat_id} (keyring {secrets.backend_name()})", file=out)
                return 1
            print(f"a token is stored for seat {seat_id} in {secrets.backend_name()}; fingerprint "
                  f"{fingerprint(token)} (the first 12 hex digits of its SHA-256)", file=out)
            return 0
        if secrets.delete_token(seat_id):
            print(f"token of seat {seat_id} deleted", file=out)
            return 0
        print(f"no token was stored for seat {seat_id}", file=out)
        return 1
    except secrets.SecretsUnavailable as exc:
        return _fail(str(exc), 1, err)
    except ValueError as exc:
        return _fail(str(exc), 2, err)


# ---------------------------------------------------------------- check


def _language(args: argparse.Namespace, settings: Settings | None) -> str:
    return getattr(args, "language", None) or (settings.language if settings else "zh_CN")


def load_forgiving(args: argparse.Namespace) -> Settings:
    """Settings for the checks and the seat. A bad command-line value becomes a settings problem
    (a FAIL line; a notice in the seat's window), not an exit: the other checks still run. An unusable ``--server-url`` is not replaced by the
    configured one: the network checks say the URL is unusable instead of checking another server."""
    overrides = overrides_from_args(args)
    try:
        return load_settings(overrides)
    except SettingsError as exc:
        good = {}
        for key, value in overrides.items():
            try:
                load_settings({key: value})
                good[key] = value
            except SettingsError:
                pass
        settings = load_settings(good)
        cli = tuple(ConfigProblem(p.source, p.line, p.message.replace("--server-url: ", "server_url: ", 1))
                    for p in exc.problems)
        sources = dict(settings.sources)
        if "server_url" in overrides and "server_url" not in good:
            sources["server_url"] = "default"
        return replace(settings, problems=(*settings.problems, *cli), sources=sources)


def collect(args: argparse.Namespace, qt_checks: QtChecks | None) -> tuple[Settings, str, list[check.CheckResult]]:
    """Run the seat checks for ``args``. Returns the settings, the language and the results."""
    settings = load_forgiving(args)
    language = _language(args, settings)
    secrets.configure(settings.keyring_backend)
    qt = (lambda names: qt_checks(settings, names, language)) if qt_checks is not None else None
    results = check.run_seat_checks(settings, skip=getattr(args, "skip", None) or (), qt_checks=qt)
    return settings, language, results


def run_check(args: argparse.Namespace, qt_checks: QtChecks | None, *, out: TextIO | None = None) -> int:
    """``dispatch120 --check``: print one line per check; return :func:`app.check.exit_code`."""
    out = out or sys.stdout
    logs.setup_logging(None, getattr(args, "log_level", None) or "WARNING")
    _settings_, language, results = collect(args, qt_checks)
    for result in results:
        print(check.render(result, language), file=out, flush=True)
    return check.exit_code(results, allow_warn=getattr(args, "allow_warn", False))


def as_json(results: list[check.CheckResult]) -> list[dict[str, object]]:
    return [{"name": r.name, "status": r.status.value, "key": r.key,
             "en": check.message(r, "en")} for r in results]


def run_diagnostics(args: argparse.Namespace, qt_checks: QtChecks | None,
                    qt_versions: Callable[[], Mapping[str, str]] | None = None, *, out: TextIO | None = None,
                    err: TextIO | None = None) -> int:
    """``dispatch120 diagnostics --out FILE``: runs the checks, then writes the zip."""
    out, err = out or sys.stdout, err or sys.stderr
    logs.setup_logging(None, getattr(args, "log_level", None) or "WARNING")
    settings, language, results = collect(args, qt_checks)
    text = "\n".join(check.render(r, language) for r in results) + "\n"
    try:
        token = secrets.get_token(settings.seat_id) if settings.seat_id else None
    except secrets.SecretsUnavailable:
        token = None  # nothing stored can be leaked from a keyring that cannot be read
    try:
        path = diagnostics.write_bundle(args.out, settings=settings, check_text=text, check_json=as_json(results),
                                        extra_versions=dict(qt_versions()) if qt_versions else None, token=token)
    except OSError as exc:
        return _fail(f"cannot write {args.out}: {exc}", 1, err)
    print(f"diagnostics written to {path}", file=out)
    print(json.dumps({"checks": {r.name: r.status.value for r in results}}), file=out)
    return 0


# Checks the running seat leaves out of its "Copy diagnostics": the seat's own connection already
# shows the credential and the clock (a second login would only disturb it), and the Qt checks
# run on the GUI thread before (fonts, audio) or are visible on screen (web engine, map).
SEAT_DIAGNOSTICS_SKIP = ("credential", "clock", "fonts", "webengine", "map", "audio")


def write_seat_diagnostics(settings: Settings, out: Path, *, language: str,
                           qt_results: Sequence[check.CheckResult] = (),
                           versions: Mapping[str, str] | None = None) -> Path:
    """The running seat's diagnostics zip (Help → Copy diagnostics). Any thread but the GUI's: the
    server check may take up to :data:`app.check.SERVER_DEADLINE_S`. Raises OSError."""
    given = {r.name for r in qt_results}
    results = [*qt_results, *(r for r in check.run_seat_checks(settings, skip=SEAT_DIAGNOSTICS_SKIP)
                              if r.name not in given)]
    order = {name: i for i, name in enumerate(check.SEAT_CHECKS)}
    results.sort(key=lambda r: order.get(r.name, len(order)))
    text = "\n".join(check.render(r, language) for r in results) + "\n"
    try:
        token = secrets.get_token(settings.seat_id) if settings.seat_id else None
    except secrets.SecretsUnavailable:
        token = None
    return diagnostics.write_bundle(out, settings=settings, check_text=text, check_json=as_json(results),
                                    extra_versions=versions, token=token)


def url_notice(settings: Settings, language: str) -> str:
    """The window's text for an unusable server URL: the check's text, and that the seat works offline."""
    text = check.message(check.check_settings(settings), language)
    return f"{text} {check.TEXTS['settings.offline'][_lang(language)]}"


def journal_notice(path: Path, error: str, fallback: Path, language: str) -> str:
    """The window's text for a journal that could not be opened where configured."""
    unwritable = check.CheckResult("journal", check.Status.FAIL, "journal.unwritable",
                                   {"path": str(path), "error": error})
    return f"{check.message(unwritable, language)} " + check.TEXTS["journal.fallback"][_lang(language)].format(
        path=str(fallback))


def _lang(language: str) -> str:
    return "en" if language.startswith("en") else "zh_CN"
