"""``dispatch120-server --check`` (also ``check``): is this server's machine ready? One line per check.

=========== ===================================================================================
database    reachable, and at the newest schema revision — or one this server upgrades at start
            ("adoptable"); a revision a newer server wrote is a FAIL. Read-only (SQLite
            ``mode=ro``): a check never creates or migrates a database.
bus         with ``--bus redis://…``: a Redis ``PING`` answered ``PONG``; without: SKIP-like PASS
certificate with ``--tls-cert``: it parses, is not expired (expiring within ``--cert-warn-days``,
            default 30: WARN), the key matches it, and the key file is not readable by others
database    disk space where the database lives: below ``--disk-fail-gb`` (1) FAIL, below
  disk      ``--disk-warn-gb`` (5) WARN (SQLite only: PostgreSQL's disk is its own host's)
clock       ``timedatectl show -p NTPSynchronized``: ``yes`` PASS, ``no`` FAIL; without
            timedatectl (containers, Windows) WARN "cannot verify"
=========== ===================================================================================

Texts are in :data:`app.check.TEXTS` (both languages); exit codes as :func:`app.check.exit_code`
(0 all passed, 1 a failure, 3 only warnings — 0 with ``--allow-warn``). Each check is bounded in time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import ssl
import stat
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, TextIO
from urllib.parse import unquote, urlsplit, urlunsplit

from app.check import CheckResult, Status, exit_code, guarded, render

SERVER_CHECKS = ("database", "bus", "certificate", "disk", "clock")
BUS_TIMEOUT_S = 3.0
CLOCK_TIMEOUT_S = 3.0
GB = 1024**3


class Subcommands(Protocol):
    """Where ``register`` adds its command: the server's ``add_subparsers()`` object."""

    def add_parser(self, name: str, *, help: str | None = ..., description: str | None = ...) -> argparse.ArgumentParser:
        ...


def register(sub: Subcommands, add_db_argument: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add ``check`` to the server's subcommands."""
    p = sub.add_parser("check", help="check this server: database, bus, certificate, disk space, clock",
                       description="One line per check (PASS/WARN/FAIL/SKIP) with what to do. Exit code 0: all "
                                   "passed; 1: a check failed; 3: only warnings (0 with --allow-warn).")
    add_db_argument(p)
    p.add_argument("--bus", metavar="URL", help="the bus between instances (redis://HOST:PORT/N); default: none")
    p.add_argument("--tls-cert", type=Path, help="the PEM certificate the server serves")
    p.add_argument("--tls-key", type=Path, help="its private key (default: in --tls-cert)")
    p.add_argument("--cert-warn-days", type=float, default=30.0, metavar="DAYS",
                   help="warn when the certificate expires within DAYS (default: %(default)s)")
    p.add_argument("--disk-fail-gb", type=float, default=1.0, metavar="GB",
                   help="fail below this much free space for the database (default: %(default)s)")
    p.add_argument("--disk-warn-gb", type=float, default=5.0, metavar="GB",
                   help="warn below this much free space (default: %(default)s)")
    p.add_argument("--allow-warn", action="store_true", help="exit 0 when checks only warned")
    p.add_argument("--language", choices=("zh_CN", "en"), default="zh_CN", help="(default: %(default)s)")


# ---------------------------------------------------------------- database


def check_database(db: Path | str) -> CheckResult:
    from sqlalchemy import create_engine
    from sqlalchemy.exc import SQLAlchemyError

    from server_stub import migrations

    if isinstance(db, str):  # a PostgreSQL URL
        from server_stub.store import database_url, postgres_engine

        url = database_url(db)
        label = url.render_as_string(hide_password=True)
        engine = postgres_engine(url)
    else:
        path = Path(db).expanduser().resolve()
        label = str(path)
        if not path.exists():
            why = migrations_state_text("new", "")
            if not os.access(path.parent if path.parent.exists() else path.parent.parent, os.W_OK):
                return CheckResult("database", Status.FAIL, "database.failed",
                                   {"db": label, "error": f"{path.parent} is not writable"})
            return CheckResult("database", Status.PASS, "database.ok", {"db": label, "state": why})
        engine = create_engine(f"sqlite+pysqlite:///file:{path}?mode=ro&uri=true",
                               connect_args={"timeout": 3})
    try:
        with engine.connect() as conn:
            state = migrations.inspect_revision(conn)
    except SQLAlchemyError as exc:
        return CheckResult("database", Status.FAIL, "database.failed", {"db": label, "error": str(getattr(exc, "orig", None) or exc)})
    finally:
        engine.dispose()
    if state.unknown:
        return CheckResult("database", Status.FAIL, "database.newer", {"db": label, "revision": ", ".join(state.unknown)})
    if state.empty:
        return CheckResult("database", Status.PASS, "database.ok", {"db": label, "state": migrations_state_text(
            "empty", state.head)})
    if state.pre_migration:
        return CheckResult("database", Status.PASS, "database.ok", {"db": label, "state": migrations_state_text(
            "adopt", state.head)})
    if state.revisions == (state.head,):
        return CheckResult("database", Status.PASS, "database.ok", {"db": label, "state": migrations_state_text(
            "head", state.head)})
    return CheckResult("database", Status.PASS, "database.ok", {"db": label, "state": migrations_state_text(
        "upgrade", state.head, ", ".join(state.revisions))})


def migrations_state_text(kind: str, head: str, current: str = "") -> str:
    # Plain English detail inside the translated line: revision ids are not translated either.
    return {
        "new": "no file yet; created at the first start",
        "empty": f"empty; schema {head} is created at the first start",
        "adopt": f"made before schema migrations; adopted and upgraded to {head} at the next start",
        "head": f"schema {head} (newest)",
        "upgrade": f"schema {current}; upgraded to {head} at the next start",
    }[kind]


# ---------------------------------------------------------------- bus


def redis_ping(url: str, timeout_s: float = BUS_TIMEOUT_S) -> str:
    """Send ``AUTH`` (if the URL has a password) and ``PING`` in RESP; return the reply line. Raises OSError."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 6379
    commands: list[list[str]] = []
    if parts.password:
        user = unquote(parts.username) if parts.username else None
        commands.append(["AUTH", *([user] if user else []), unquote(parts.password)])
    commands.append(["PING"])
    raw = socket.create_connection((host, port), timeout=timeout_s)
    sock: socket.socket = raw
    try:
        if parts.scheme == "rediss":
            sock = ssl.create_default_context().wrap_socket(raw, server_hostname=host)
        reader = sock.makefile("rb")
        reply = ""
        for command in commands:
            frame = f"*{len(command)}\r\n" + "".join(f"${len(a.encode())}\r\n{a}\r\n" for a in command)
            sock.sendall(frame.encode())
            reply = reader.readline().decode("utf-8", "replace").strip()
            if reply.startswith("-"):
                return reply
        return reply
    finally:
        sock.close()


def check_bus(url: str | None) -> CheckResult:
    if not url:
        return CheckResult("bus", Status.PASS, "bus.none")
    parts = urlsplit(url)
    netloc = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    shown = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))  # never print a password
    if urlsplit(url).scheme not in ("redis", "rediss"):
        return CheckResult("bus", Status.FAIL, "bus.failed", {"url": shown, "error": "not a redis:// URL"})
    try:
        reply = redis_ping(url)
    except (OSError, ssl.SSLError) as exc:
        return CheckResult("bus", Status.FAIL, "bus.failed", {"url": shown, "error": exc.strerror or str(exc)})
    if reply != "+PONG":
        return CheckResult("bus", Status.FAIL, "bus.failed", {"url": shown, "error": reply or "no reply"})
    return CheckResult("bus", Status.PASS, "bus.ok", {"url": shown})


# ---------------------------------------------------------------- certificate


def check_certificate(cert: Path | None, key: Path | None, *, warn_days: float = 30.0,
                      now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> CheckResult:
    if cert is None:
        return CheckResult("certificate", Status.WARN, "certificate.none")
    key = key or cert
    for path in (cert, key):
        if not path.is_file():
            return CheckResult("certificate", Status.FAIL, "certificate.missing", {"path": str(path)})
    from cryptography import x509

    try:
        until = x509.load_pem_x509_certificate(cert.read_bytes()).not_valid_after_utc
    except (OSError, ValueError) as exc:
        return CheckResult("certificate", Status.FAIL, "certificate.bad", {"cert": str(cert), "error": str(exc)})
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(str(cert), str(key))  # raises when the key does not match
    except ssl.SSLError as exc:
        return CheckResult("certificate", Status.FAIL, "certificate.mismatch", {"error": exc.reason or str(exc)})
    except OSError as exc:
        return CheckResult("certificate", Status.FAIL, "certificate.bad", {"cert": str(key), "error": str(exc)})
    if os.name == "posix":
        mode = stat.S_IMODE(key.stat().st_mode)
        if mode & (stat.S_IROTH | stat.S_IWOTH):
            return CheckResult("certificate", Status.FAIL, "certificate.key_readable",
                               {"key": str(key), "mode": f"{mode:o}"})
    days = (until - now()).total_seconds() / 86400
    params = {"cert": str(cert), "until": until.strftime("%Y-%m-%d"), "days": f"{days:.0f}"}
    if days <= 0:
        return CheckResult("certificate", Status.FAIL, "certificate.expired", params)
    if days < warn_days:
        return CheckResult("certificate", Status.WARN, "certificate.expiring", params)
    return CheckResult("certificate", Status.PASS, "certificate.ok", params)


# ---------------------------------------------------------------- disk, clock


def check_disk(db: Path | str, *, fail_gb: float = 1.0, warn_gb: float = 5.0,
               free_bytes: Callable[[Path], int] | None = None) -> CheckResult:
    if isinstance(db, str):
        return CheckResult("disk", Status.SKIP, "skipped", {"why": "PostgreSQL"})
    directory = Path(db).expanduser().resolve().parent
    while not directory.exists() and directory.parent != directory:
        directory = directory.parent
    try:
        free = free_bytes(directory) if free_bytes else shutil.disk_usage(directory).free
    except OSError as exc:
        return CheckResult("disk", Status.FAIL, "disk.failed", {"path": str(directory), "error": str(exc)})
    params = {"path": str(directory), "free_gb": f"{free / GB:.1f}"}
    if free < fail_gb * GB:
        return CheckResult("disk", Status.FAIL, "disk.low", {**params, "limit_gb": f"{fail_gb:g}"})
    if free < warn_gb * GB:
        return CheckResult("disk", Status.WARN, "disk.low", {**params, "limit_gb": f"{warn_gb:g}"})
    return CheckResult("disk", Status.PASS, "disk.ok", params)


def check_clock(run: Callable[[list[str]], str | None] | None = None) -> CheckResult:
    """``timedatectl show -p NTPSynchronized --value``. ``run``: the machine edge (tests)."""
    def default_run(argv: list[str]) -> str | None:
        if shutil.which(argv[0]) is None:
            return None
        done = subprocess.run(argv, capture_output=True, text=True, timeout=CLOCK_TIMEOUT_S, check=False)
        return done.stdout.strip() if done.returncode == 0 else None

    try:
        answer = (run or default_run)(["timedatectl", "show", "-p", "NTPSynchronized", "--value"])
    except (OSError, subprocess.TimeoutExpired) as exc:
        return CheckResult("clock", Status.WARN, "clock.ntp_unknown", {"why": str(exc)})
    if answer is None:
        return CheckResult("clock", Status.WARN, "clock.ntp_unknown",
                           {"why": "timedatectl not available or no systemd"})
    if answer == "yes":
        return CheckResult("clock", Status.PASS, "clock.ntp_ok")
    if answer == "no":
        return CheckResult("clock", Status.FAIL, "clock.ntp_off")
    return CheckResult("clock", Status.WARN, "clock.ntp_unknown", {"why": f"timedatectl said {answer!r}"})


def run_checks(args: argparse.Namespace) -> list[CheckResult]:
    return [
        guarded("database", lambda: check_database(args.db)),
        guarded("bus", lambda: check_bus(getattr(args, "bus", None))),
        guarded("certificate", lambda: check_certificate(args.tls_cert, args.tls_key,
                                                         warn_days=args.cert_warn_days)),
        guarded("disk", lambda: check_disk(args.db, fail_gb=args.disk_fail_gb, warn_gb=args.disk_warn_gb)),
        guarded("clock", check_clock),
    ]


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """``dispatch120-server check``: print one line per check; return the exit code."""
    out = out or sys.stdout
    results = run_checks(args)
    for result in results:
        print(render(result, args.language), file=out, flush=True)
    return exit_code(results, allow_warn=args.allow_warn)
