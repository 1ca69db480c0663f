"""Command line of ``dispatch120-server`` (also ``python -m server_stub``).

``serve`` (the default) runs the server; ``admin`` manages the registry and
credentials; ``db`` shows or upgrades the database schema. See ``server_stub/README.md``.

Exit codes: 0 done, 1 failed, 2 bad input (admin; also a ``--db`` this build cannot use,
e.g. ``postgresql+psycopg://``), 3 the database was written by a newer server
(:data:`EXIT_DATABASE_NEWER`; nothing was changed), 4 the ``--bus`` cannot be reached at start-up
(:data:`EXIT_BUS_UNAVAILABLE`; a bus lost later is not fatal: the server reads the log meanwhile).

``--db`` takes an SQLite file path or an SQLite URL (``sqlite:////abs/file.sqlite``);
the start-up log line says which it was and the file it resolved to.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from app.cliargs import positive_seconds
from server_stub.runtime import UnsupportedDatabase, database_location, default_db_path, default_log_path

log = logging.getLogger("server_stub")

SUBCOMMANDS = ("serve", "admin", "db", "check")
# The database is at a schema revision this server does not know (a newer server wrote it).
EXIT_DATABASE_NEWER = 3
# The --bus (Redis) cannot be reached at start-up.
EXIT_BUS_UNAVAILABLE = 4


_positive_seconds = positive_seconds

DB_HELP = ("event log database: an SQLite file path, an SQLite URL (sqlite:////absolute/path, "
           "sqlite:///relative/path), or a PostgreSQL URL (postgresql+psycopg://USER@HOST:PORT/DATABASE; "
           "several servers may share it) (default: %(default)s)")
POSTGRES_PREFIXES = ("postgresql://", "postgresql+", "postgres://")


class _DbArgument(argparse.Action):
    """``--db PATH|URL``: sets ``db`` (the SQLite file) and ``db_given_as`` ("url" or "path")."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:  # noqa: ANN001
        if values.lower().startswith(POSTGRES_PREFIXES):
            # A shared PostgreSQL log: ``db`` stays the URL text (server_stub.store.database_url checks it).
            from server_stub.store import UnsupportedDatabaseError, database_url

            try:
                database_url(values)
            except UnsupportedDatabaseError as exc:
                parser.error(f"argument --db: {exc}")  # exits 2
            setattr(namespace, self.dest, values)
            namespace.db_given_as = "a PostgreSQL URL"
            return
        try:
            path, given_as = database_location(values)
        except UnsupportedDatabase as exc:
            parser.error(f"argument --db: {exc}")  # exits 2
        setattr(namespace, self.dest, path)
        namespace.db_given_as = "a URL" if given_as == "url" else "a path"


def _add_db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", action=_DbArgument, default=default_db_path(), metavar="PATH|URL", help=DB_HELP)
    parser.set_defaults(db_given_as="the default path")


def _ice_server(text: str) -> dict:
    """An RTCIceServer as JSON: {"urls": str|[str], "username"?, "credential"?}. Raises ArgumentTypeError."""
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not JSON: {exc}") from None
    urls = value.get("urls") if isinstance(value, dict) else None
    urls = [urls] if isinstance(urls, str) else urls
    if not urls or not all(isinstance(u, str) and u.split(":", 1)[0] in ("stun", "stuns", "turn", "turns")
                            for u in urls):
        raise argparse.ArgumentTypeError('needs "urls": stun:/turn: URL(s)')
    if any(not isinstance(value.get(k, ""), str) for k in ("username", "credential")):
        raise argparse.ArgumentTypeError("username and credential must be strings")
    return {k: v for k, v in value.items() if k in ("urls", "username", "credential")}


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("must be 0..65535 (0 picks a free port)")
    return value


def _login_limit(text: str) -> tuple[int, int]:
    """``ADDRESS,CREDENTIAL``: two positive counts of failed hellos. Raises ArgumentTypeError."""
    try:
        per_address, per_credential = (int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not two counts ADDRESS,CREDENTIAL: {text!r}") from None
    if not (1 <= per_address <= 1_000_000 and 1 <= per_credential <= 1_000_000):
        raise argparse.ArgumentTypeError("each count must be 1..1000000")
    return per_address, per_credential


def _bus_url(text: str) -> str:
    """``--bus``: a redis:// or rediss:// URL. Raises ArgumentTypeError."""
    if not text.startswith(("redis://", "rediss://")):
        raise argparse.ArgumentTypeError("use redis://HOST:PORT/DB (or rediss:// for TLS)")
    return text


def _days(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of days: {text!r}") from None
    if not 0 <= value <= 36_500:  # also refuses nan and inf
        raise argparse.ArgumentTypeError("must be 0..36500 days (0 keeps photos forever)")
    return value


def _track_interval(text: str) -> float:
    """``--track-interval-s``: 0 (off) or 0.5..3600 s. Raises ArgumentTypeError."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not (value == 0 or 0.5 <= value <= 3600):  # also refuses nan and inf
        raise argparse.ArgumentTypeError("must be 0 (keep no positions) or 0.5..3600 s")
    return value


def _latitude(text: str) -> float:
    return _degrees(text, 90)


def _longitude(text: str) -> float:
    return _degrees(text, 180)


def _anchor(text: str) -> tuple[int, str]:
    from server_stub.verify import parse_anchor

    try:
        return parse_anchor(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _degrees(text: str, limit: int) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not -limit <= value <= limit:
        raise argparse.ArgumentTypeError(f"must be within -{limit}..{limit} degrees (WGS-84)")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dispatch120-server",
        description="Central server of a 120 dispatch centre: event log, commands, call distribution (ACD).",
        epilog="Without a subcommand, 'serve' is run. See server_stub/README.md for the registry file format.",
    )
    sub = parser.add_subparsers(dest="command", metavar="{serve,admin,db,check}")

    serve = sub.add_parser(
        "serve",
        help="run the server (default)",
        description="Run the server: websocket endpoint ws://HOST:PORT/ws, event log in an SQLite file.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    serve.add_argument("--port", type=_port, default=8120, help="TCP port; 0 picks a free one (default: %(default)s)")
    _add_db_argument(serve)
    serve.add_argument(
        "--bus",
        type=_bus_url,
        metavar="URL",
        help="fan-out between several servers on one PostgreSQL --db: redis://HOST:PORT/DB. Each commit "
        "wakes the other instances, watched units' telemetry and positions cross between them "
        "(docs/operations.md, Several instances). Default: none (one process); unreachable at start-up: "
        f"exit code {EXIT_BUS_UNAVAILABLE}",
    )
    serve.add_argument(
        "--commit-timeout-s",
        type=_positive_seconds,
        default=30.0,
        metavar="SECONDS",
        help="PostgreSQL --db: a commit with no answer in this long fails its batch (the seats retry) and "
        "its connection is dropped, so a database that stops answering cannot hold every command "
        "(default: %(default)s)",
    )
    serve.add_argument(
        "--max-device-clock-skew-s",
        type=_positive_seconds,
        default=60.0,
        metavar="SECONDS",
        help="refuse a telemetry frame whose device time is further than this ahead of the server's "
        "clock (default: %(default)s)",
    )
    serve.add_argument(
        "--devices-see-callback-number",
        action="store_true",
        help="ambulance terminals also receive the caller's callback number with the incident "
        "(default: they get the address, location and clinical facts, never caller data)",
    )
    serve.add_argument(
        "--ring-timeout",
        type=_positive_seconds,
        default=15.0,
        metavar="SECONDS",
        help="a call not answered within this time rings at the next ready seat, and the seat that "
        "let it ring becomes not ready (default: %(default)s)",
    )
    serve.add_argument(
        "--hello-timeout",
        type=_positive_seconds,
        default=10.0,
        metavar="SECONDS",
        help="close a connection that has not authenticated within this time (default: %(default)s)",
    )
    serve.add_argument(
        "--seat-grace",
        type=_positive_seconds,
        default=10.0,
        metavar="SECONDS",
        help="after a restart, how long seats that were online have to reconnect before they are "
        "taken offline (default: %(default)s)",
    )
    serve.add_argument(
        "--ready-file",
        type=Path,
        metavar="FILE",
        help='once listening, write {"host","port","pid","url"} as JSON to FILE (atomically)',
    )
    serve.add_argument(
        "--exit-with-stdin",
        action="store_true",
        help="exit when standard input closes (for a parent process that starts the server as a child); "
        "on Linux also exit when the parent dies",
    )
    serve.add_argument(
        "--log-level",
        default="INFO",
        type=str.upper,
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="(default: %(default)s)",
    )
    serve.add_argument("--responder-radius", type=int, default=500, metavar="M",
                       help="alert first responders within M metres (default: %(default)s)")
    serve.add_argument("--city", type=Path, metavar="DIR",
                       help="an imported city (dispatch120 map import): volunteers' AED walks follow its "
                            "walking graph (walk.graph.npz); without it they are straight lines")
    serve.add_argument("--log-file", type=Path, default=default_log_path(), help="(default: %(default)s)")
    # The caller link: the page and its websocket share this port.
    serve.add_argument("--link-base-url", help="public base URL of caller links, e.g. https://120.example.cn")
    serve.add_argument("--ice-server", type=_ice_server, action="append", metavar="JSON",
                       help='STUN/TURN server for caller video, repeatable, e.g. \'{"urls": "turn:turn.example.cn:3478", '
                            '"username": "120", "credential": "…"}\' (coturn); default: none (LAN/loopback only)')
    serve.add_argument("--link-ttl", type=_positive_seconds, default=7200.0, help="link lifetime, s (default: 7200)")
    serve.add_argument("--caller-photos", choices=["keep", "discard"], default="keep",
                       help="photos from the caller's page: keep them with the incident, or refuse them "
                            "(the page says this centre does not accept photos; nothing is stored) "
                            "(default: %(default)s)")
    serve.add_argument("--caller-media-days", type=_days, default=0.0, metavar="N",
                       help="delete kept caller photos N days after their incident closed (checked hourly "
                            "and at start; recorded as call.media_purged); 0 keeps them (default: 0). "
                            "Chat stays in the event log; live video is never recorded")
    serve.add_argument("--track-interval-s", type=_track_interval, default=5.0, metavar="S",
                       help="keep the position of each unit assigned to an incident every S s of device time, "
                            "for track playback (dispatch120 records track); beside the event log, not in it; "
                            "0 keeps none (default: 5)")
    serve.add_argument("--tls-cert", type=Path, help="PEM certificate (then its chain) signed by the centre's CA: "
                       "serve https/wss (docs/operations.md, Certificates and credentials)")
    serve.add_argument("--tls-key", type=Path, help="PEM private key of --tls-cert, readable by the server's account "
                       "only (a key every user can read is refused)")
    serve.add_argument("--login-failures", type=_login_limit, default=(20, 5), metavar="ADDRESS,CREDENTIAL",
                       help="failed hellos allowed per source address and per presented token within "
                            "--login-window before further hellos are refused with close 1013 (default: 20,5)")
    serve.add_argument("--login-window", type=_positive_seconds, default=60.0, metavar="S",
                       help="the sliding window of --login-failures, s (default: 60)")
    serve.add_argument("--sms-gateway-url", help="the SMS platform's HTTP endpoint (token in the keyring); "
                       "default: the simulated gateway")
    # For tests of the slow-client rule; not for operators.
    serve.add_argument("--slow-client-bytes", type=int, default=None, help=argparse.SUPPRESS)

    admin = sub.add_parser(
        "admin",
        help="manage stations, hospitals, units and credentials",
        description="Manage the registry and credentials. Changes are written as events; tokens are "
        "shown once and only their hashes are stored. Exit code 2 means the input was refused.",
    )
    _add_db_argument(admin)
    asub = admin.add_subparsers(dest="admin_command", metavar="ACTION", required=True)

    asub.add_parser("init", help="create the database and its schema (every action does this when needed)")

    p = asub.add_parser("add-seat", help="a dispatcher workstation; prints its one-time token")
    p.add_argument("id", help="seat id, e.g. seat-1")
    p.add_argument("--name", required=True, help="shown to dispatchers, e.g. 一号席")

    p = asub.add_parser("add-device", help="an ambulance terminal bound to one unit; prints its one-time token")
    p.add_argument("id", help="device id, e.g. dev-A12")
    p.add_argument("--unit", required=True, help="the unit it reports for (must exist)")
    p.add_argument("--name", help="default: the id")

    p = asub.add_parser("add-switch", help="the phone switch (CTI) that offers calls; prints its token")
    p.add_argument("id")
    p.add_argument("--name", help="default: the id")

    p = asub.add_parser("add-trainer", help="a trainer's console (training databases); prints its token")
    p.add_argument("id")
    p.add_argument("--name", help="default: the id")

    p = asub.add_parser("add-wall", help="the centre's wall display (read-only: no commands, no callers); prints its token")
    p.add_argument("id", help="wall id, e.g. wall-1")
    p.add_argument("--name", help="default: the id")

    p = asub.add_parser("add-supervisor",
                        help="a shift supervisor (the wall's view, every KPI through GET /kpi); prints its token")
    p.add_argument("id", help="supervisor id, e.g. sup-1")
    p.add_argument("--name", required=True, help="the supervisor's name")

    p = asub.add_parser("add-hospital-console", help="a receiving hospital's console (pre-notifications); prints its token")
    p.add_argument("id", help="console id, e.g. H-CQMU1-ed")
    p.add_argument("--hospital", required=True, help="the hospital it speaks for (must exist)")
    p.add_argument("--name", help="default: the id")

    for kind in ("station", "hospital"):
        p = asub.add_parser(f"add-{kind}", help=f"a {kind} with its position (WGS-84)")
        p.add_argument("id")
        p.add_argument("--name", required=True)
        p.add_argument("--lat", type=_latitude, required=True, help="latitude, decimal degrees")
        p.add_argument("--lon", type=_longitude, required=True, help="longitude, decimal degrees")

    p = asub.add_parser("add-unit", help="an ambulance")
    p.add_argument("id", help="unit id, e.g. A12")
    p.add_argument("--call-sign", required=True, help="radio call sign, e.g. 渝A12")
    p.add_argument("--station", help="home station id (must exist)")
    p.add_argument("--capability", choices=["als", "bls", "negative_pressure"], default=None, help="default: bls")

    # First responders, AEDs and hospital capabilities (server_stub/responders.py).
    p = asub.add_parser("add-volunteer", help="a first responder's phone (volunteer role); prints its token")
    p.add_argument("id", help="volunteer id, e.g. vol-007")
    p.add_argument("--name", help="default: the id")
    p = asub.add_parser("add-aed", help="an AED with its position and access hours")
    p.add_argument("id")
    p.add_argument("--name", required=True)
    p.add_argument("--lat", type=_latitude, required=True)
    p.add_argument("--lon", type=_longitude, required=True)
    p.add_argument("--access", default="24h", help='"24h" or "HH:MM-HH:MM", local time (default: 24h)')
    p = asub.add_parser("set-hospital", help="a hospital's capabilities (replaces them)")
    p.add_argument("id")
    p.add_argument("--capabilities", default="", help="comma-separated: chest_pain_centre,pci,stroke_centre,"
                   "thrombolysis,thrombectomy,trauma_centre,paediatric,maternity,burns")
    p.add_argument("--trauma-level", type=int, choices=[1, 2, 3], help="with trauma_centre; 1 is the highest")

    for name in ("rotate-token", "new-token"):
        p = asub.add_parser(name, help="replace a credential's token: the old one stops working at once and its "
                            "open connections on every instance are closed; reinstates a revoked one")
        p.add_argument("principal_id")

    p = asub.add_parser("revoke", help="revoke a credential; its open connections are closed")
    p.add_argument("principal_id")

    asub.add_parser("list", help="list credentials (never their tokens), units, stations and hospitals")

    p = asub.add_parser("verify", help="check the event log's hash chain (reads only); exit 1 names the first "
                        "event altered, deleted or moved, exit 2 when the log cannot be verified")
    p.add_argument("--anchor", type=_anchor, metavar="SEQ:HASH",
                   help="a head printed by an earlier verify: the log must still hold it (catches a rewritten chain)")

    p = asub.add_parser("import", help="register a whole registry from a YAML file and write fresh tokens")
    p.add_argument("registry", metavar="REGISTRY.yaml")
    p.add_argument("--tokens-out", required=True, metavar="FILE", help="JSON {principal_id: token}, written with mode 0600")

    db = sub.add_parser(
        "db",
        help="the database schema: upgrade it, show its revision, list the revisions",
        description="The schema is versioned with Alembic revisions shipped in the server. 'serve' and "
        "'admin' upgrade it themselves; these actions are for checking before and after an update. "
        f"Exit code {EXIT_DATABASE_NEWER} means a newer server wrote the database (nothing is changed).",
    )
    _add_db_argument(db)
    dsub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    dsub.add_parser("upgrade", help="bring the schema to the newest revision (refused while a server runs on it)")
    dsub.add_parser("current", help="show the database's schema revision (reads only; never creates the file)")
    dsub.add_parser("history", help="list the schema revisions this server knows, oldest first")
    p = dsub.add_parser("backup", help="SQLite: copy the log to FILE with SQLite's online backup (safe while "
                        "a server runs); PostgreSQL: use pg_dump (docs/operations.md)")
    p.add_argument("file", type=Path, metavar="FILE", help="the backup file to create (never overwritten)")
    p = dsub.add_parser("restore", help="SQLite: replace --db by the backup FILE after checking it (refused "
                        "while a server runs on --db); PostgreSQL: use pg_restore (docs/operations.md)")
    p.add_argument("file", type=Path, metavar="FILE", help="a file made by 'db backup'")
    p.add_argument("--replace", action="store_true", help="allow replacing a --db that already holds events")
    from server_stub import check

    check.register(sub, _add_db_argument)
    return parser


def _normalise_argv(argv: Sequence[str]) -> list[str]:
    """``dispatch120-server --port 0`` means ``dispatch120-server serve --port 0``."""
    args = list(argv)
    if "--check" in args and not (args and args[0] in SUBCOMMANDS):  # --check is the `check` command
        args.remove("--check")
        return ["check", *args]
    if not args or (args[0] not in SUBCOMMANDS and args[0] not in ("-h", "--help")):
        return ["serve", *args]
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``dispatch120-server``. Returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(_normalise_argv(sys.argv[1:] if argv is None else argv))
    if args.command == "admin":
        from server_stub import admin

        return admin.run(args)
    if args.command == "db":
        return run_db(args)
    if args.command == "check":
        from server_stub import check

        return check.run(args)
    return run_serve(args)


def run_db(args: argparse.Namespace, out=None, err=None) -> int:
    """``db upgrade|current|history``. Output to ``out``/``err`` (default stdout/stderr). Returns the exit code."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import SQLAlchemyError

    from server_stub import migrations
    from server_stub.runtime import DatabaseInUse, ServerLock

    out = out or sys.stdout
    err = err or sys.stderr
    if isinstance(args.db, str):  # a PostgreSQL URL
        return run_db_postgres(args, out, err)
    db_path = args.db.expanduser().resolve()
    if args.db_command in ("backup", "restore"):
        return run_db_file(args.db_command, db_path, args.file.expanduser().resolve(),
                           replace=getattr(args, "replace", False), out=out, err=err)
    if args.db_command == "history":
        current: tuple[str, ...] = ()
        if db_path.exists():
            engine = create_engine(f"sqlite+pysqlite:///file:{db_path}?mode=ro&uri=true")
            try:
                with engine.connect() as conn:
                    current = migrations.inspect_revision(conn).revisions
            except SQLAlchemyError:
                current = ()  # history does not depend on the database; `current` reports its problems
            finally:
                engine.dispose()
        head = migrations.head_revision()
        for revision, doc in migrations.history():
            marks = [m for m, on in (("head", revision == head), ("current", revision in current)) if on]
            print(f"{revision}  {doc}" + (f"  ({', '.join(marks)})" if marks else ""), file=out)
        return 0
    if args.db_command == "current":
        if not db_path.exists():
            print(f"error: no database at {db_path}", file=err)
            return 1
        # Read-only (SQLite URI mode=ro): checking a revision must never change the file.
        engine = create_engine(f"sqlite+pysqlite:///file:{db_path}?mode=ro&uri=true")
        try:
            with engine.connect() as conn:
                state = migrations.inspect_revision(conn)
        except SQLAlchemyError as exc:
            print(f"error: cannot read the database {db_path}: {exc}", file=err)
            return 1
        finally:
            engine.dispose()
        if state.unknown:
            print(f"{db_path}: revision {', '.join(state.revisions)}: unknown to this server (newest it knows: "
                  f"{state.head}); a newer dispatch120-server wrote it", file=out)
            return EXIT_DATABASE_NEWER
        if state.empty:
            print(f"{db_path}: empty; the schema ({state.head}) is created on the first start", file=out)
        elif state.pre_migration:
            print(f"{db_path}: no revision (made before schema migrations); the next start or "
                  f"'db upgrade' adopts it at {migrations.BASELINE} and upgrades it to {state.head}", file=out)
        elif state.at_head:
            print(f"{db_path}: revision {state.head} (newest)", file=out)
        else:
            print(f"{db_path}: revision {', '.join(state.revisions)}; newest is {state.head} "
                  "(the next start or 'db upgrade' upgrades it)", file=out)
        return 0
    # upgrade: not under a running server, which would keep using the old schema.
    lock = ServerLock(db_path)
    try:
        lock.acquire()
    except (DatabaseInUse, OSError) as exc:
        print(f"error: {exc}; stop it first (it upgrades the schema itself when it starts)", file=err)
        return 1
    try:
        from server_stub.store import EventStore

        store = EventStore(db_path)
    except migrations.DatabaseNewerError as exc:
        print(f"error: {exc}", file=err)
        return EXIT_DATABASE_NEWER
    except (SQLAlchemyError, migrations.SchemaVersionError, OSError) as exc:
        print(f"error: cannot upgrade the database {db_path}: {exc}", file=err)
        return 1
    finally:
        lock.release()
    store.close()
    done = store.schema
    before = done.from_revision or ("(new database)" if done.created else "(made before schema migrations)")
    print(f"{db_path}: schema revision {before} → {done.to_revision}", file=out)
    return 0


def run_db_file(action: str, db_path: Path, file: Path, *, replace: bool, out, err) -> int:
    """``db backup FILE`` / ``db restore FILE`` of an SQLite log. Returns the exit code."""
    from sqlalchemy.exc import SQLAlchemyError

    from server_stub import migrations
    from server_stub.runtime import DatabaseInUse, ServerLock
    from server_stub.store import BackupError, backup_sqlite, restore_sqlite

    try:
        if action == "backup":
            seq = backup_sqlite(db_path, file)
            print(f"{db_path} → {file}: backup complete, event log at seq {seq}", file=out)
            return 0
        lock = ServerLock(db_path)  # a running server keeps its own copy of the state: stop it first
        try:
            lock.acquire()
        except (DatabaseInUse, OSError) as exc:
            print(f"error: {exc}; stop it first, then restore", file=err)
            return 1
        try:
            seq = restore_sqlite(file, db_path, replace=replace)
        finally:
            lock.release()
    except migrations.DatabaseNewerError as exc:
        print(f"error: {exc}", file=err)
        return EXIT_DATABASE_NEWER
    except BackupError as exc:
        print(f"error: {exc}", file=err)
        return 2
    except (SQLAlchemyError, migrations.SchemaVersionError, OSError) as exc:
        print(f"error: {action} failed: {exc}", file=err)
        return 1
    print(f"{file} → {db_path}: restored, event log at seq {seq}; start the server to replay it", file=out)
    return 0


def run_db_postgres(args: argparse.Namespace, out, err) -> int:
    """``db current|upgrade|history`` on a PostgreSQL log (backup/restore: pg_dump/pg_restore)."""
    from sqlalchemy.exc import SQLAlchemyError

    from server_stub import migrations
    from server_stub.store import EventStore, database_url, postgres_engine

    url = database_url(args.db)
    label = url.render_as_string(hide_password=True)
    if args.db_command in ("backup", "restore"):
        tool = "pg_dump -Fc" if args.db_command == "backup" else "pg_restore"
        print(f"error: a PostgreSQL log is backed up and restored with {tool} (see docs/operations.md)", file=err)
        return 2
    if args.db_command == "upgrade":
        # Instances starting together migrate one at a time (an advisory lock), so no server lock here.
        try:
            store = EventStore(url)
        except migrations.DatabaseNewerError as exc:
            print(f"error: {exc}", file=err)
            return EXIT_DATABASE_NEWER
        except (SQLAlchemyError, migrations.SchemaVersionError) as exc:
            print(f"error: cannot upgrade the database {label}: {exc}", file=err)
            return 1
        store.close()
        done = store.schema
        before = done.from_revision or ("(new database)" if done.created else "(made before schema migrations)")
        print(f"{label}: schema revision {before} → {done.to_revision}", file=out)
        return 0
    engine = postgres_engine(url)
    try:
        with engine.connect() as conn:
            state = migrations.inspect_revision(conn)
    except SQLAlchemyError as exc:
        print(f"error: cannot read the database {label}: {exc}", file=err)
        return 1
    finally:
        engine.dispose()
    if args.db_command == "history":
        for revision, doc in migrations.history():
            marks = [m for m, on in (("head", revision == state.head), ("current", revision in state.revisions)) if on]
            print(f"{revision}  {doc}" + (f"  ({', '.join(marks)})" if marks else ""), file=out)
        return 0
    if state.unknown:
        print(f"{label}: revision {', '.join(state.revisions)}: unknown to this server (newest it knows: "
              f"{state.head}); a newer dispatch120-server wrote it", file=out)
        return EXIT_DATABASE_NEWER
    if state.empty:
        print(f"{label}: empty; the schema ({state.head}) is created on the first start", file=out)
    elif state.at_head:
        print(f"{label}: revision {state.head} (newest)", file=out)
    else:
        print(f"{label}: revision {', '.join(state.revisions) or '(none)'}; newest is {state.head}", file=out)
    return 0


def run_serve(args: argparse.Namespace) -> int:
    from server_stub.runtime import DatabaseInUse, ServerLock, die_with_parent, setup_logging
    from server_stub.server import ServerConfig

    if args.exit_with_stdin:
        die_with_parent()
    try:
        setup_logging(args.log_level, args.log_file)
    except OSError as exc:
        print(f"error: cannot open the log file {args.log_file}: {exc}", file=sys.stderr)
        return 1
    walk_router = None
    if args.city is not None:
        from app.routing.engine import GraphRouter
        from app.routing.graph import GraphFileError

        try:
            walk_router = GraphRouter.for_city(args.city.expanduser(), profile="walk")
        except GraphFileError as exc:
            log.error("--city: %s", exc)
            return 1
    if isinstance(args.db, str):
        # PostgreSQL: several instances share the log on purpose; the store serialises appends.
        from server_stub.store import database_url

        db_path: Path | str = args.db
        lock = None
        db_line = ("database: PostgreSQL %s, shared with any other instance on it (--db given as %s)",
                   database_url(args.db).render_as_string(hide_password=True), args.db_given_as)
    else:
        db_path = args.db.expanduser().resolve()
        lock = ServerLock(db_path)
        try:
            lock.acquire()
        except (DatabaseInUse, OSError) as exc:
            log.error("%s", exc)
            return 1
        db_line = ("database: SQLite file %s (--db given as %s)", db_path, args.db_given_as)
    config = ServerConfig(
        db_path=db_path,
        host=args.host,
        port=args.port,
        ring_timeout_s=args.ring_timeout,
        hello_timeout_s=args.hello_timeout,
        seat_grace_s=args.seat_grace,
        responder_radius_m=args.responder_radius,
        link_base_url=args.link_base_url,
        link_ttl_s=args.link_ttl,
        ice_servers=tuple(args.ice_server or ()),
        tls_cert=args.tls_cert,
        tls_key=args.tls_key or args.tls_cert,
        login_failures_per_address=args.login_failures[0],
        login_failures_per_credential=args.login_failures[1],
        login_window_s=args.login_window,
        caller_photos_kept=args.caller_photos == "keep",
        caller_media_days=args.caller_media_days,
        walk_router=walk_router,
        max_device_clock_skew_s=args.max_device_clock_skew_s,
        commit_timeout_s=args.commit_timeout_s,
        devices_see_callback_number=args.devices_see_callback_number,
        bus_url=args.bus,
        track_interval_s=args.track_interval_s,
    )
    log.info(*db_line)
    if args.bus and lock is not None:
        log.warning("--bus with an SQLite --db: one server per file, so no other instance will be on the bus")
    if args.sms_gateway_url:
        from app.sms import HttpSmsGateway

        config.sms_gateway = HttpSmsGateway.from_keyring(args.sms_gateway_url)
    if args.slow_client_bytes is not None:
        config.slow_client_bytes = args.slow_client_bytes
    try:
        return asyncio.run(_serve(config, args.ready_file, args.exit_with_stdin))
    except KeyboardInterrupt:
        return 0
    finally:
        if lock is not None:
            lock.release()


def db_label_of(db: Path | str) -> str:
    """How a database is named in the log: its file, or its URL without the password."""
    if isinstance(db, Path):
        return str(db)
    from server_stub.store import database_url

    return database_url(db).render_as_string(hide_password=True)


async def _serve(config, ready_file: Path | None, exit_with_stdin: bool) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from server_stub.fanout import BusUnavailableError, open_bus
    from server_stub.runtime import watch_stdin, write_ready_file
    from server_stub.server import DispatchServer
    from server_stub.store import DatabaseNewerError, EventStore, SchemaVersionError
    from server_stub.tls import TlsSetupError

    db_label = db_label_of(config.db_path)
    log.info("starting pid=%d db=%s ring_timeout_s=%g", os.getpid(), db_label, config.ring_timeout_s)
    try:
        store = await asyncio.to_thread(EventStore, config.db_path)  # upgrades the schema, logs from → to
    except DatabaseNewerError as exc:
        log.error("refusing to start: %s", exc)
        return EXIT_DATABASE_NEWER
    except (SQLAlchemyError, SchemaVersionError, OSError) as exc:
        log.error("cannot open the database %s: %s", db_label, exc)
        return 1
    server = DispatchServer(config, store, open_bus(config.bus_url, db_label))
    try:
        await server.start()
    except BusUnavailableError as exc:
        log.error("refusing to start: %s (is Redis running there? --bus names it)", exc)
        await server.fanout.close()
        store.close()
        return EXIT_BUS_UNAVAILABLE
    except TlsSetupError as exc:
        log.error("refusing to start: %s", exc)
        store.close()
        return 2
    except OSError as exc:
        log.error("cannot listen on %s:%s: %s", config.host, config.port, exc)
        store.close()
        return 1
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    reason = {"why": ""}

    def request_stop(why: str) -> None:
        if not stop.is_set():
            reason["why"] = why
            stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(signum, request_stop, signal.Signals(signum).name)
        except (NotImplementedError, RuntimeError):  # Windows: no add_signal_handler
            signal.signal(signum, lambda n, _f: loop.call_soon_threadsafe(request_stop, signal.Signals(n).name))
    if exit_with_stdin:
        watch_stdin(lambda: loop.call_soon_threadsafe(request_stop, "stdin closed"))
    url = f"{'wss' if config.tls_cert else 'ws'}://{config.host}:{server.port}/ws"
    if ready_file is not None:
        write_ready_file(ready_file, {"host": config.host, "port": server.port, "pid": os.getpid(), "url": url})
    await stop.wait()
    log.info("stopping: %s", reason["why"])
    await server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
