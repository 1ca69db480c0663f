"""PostgreSQL (and Redis) from Debian packages, on 127.0.0.1, for tests and for a developer.

Used two ways:

* by the integration fixtures (``tests/integration/conftest.py``): one temporary
  PostgreSQL cluster per test session, a fresh database per test that asks for one;
* by ``make services`` / ``make services-stop`` (``python -m tests.services start DIR``):
  the same, kept running in ``.services/`` for a developer, with the URLs printed.

PostgreSQL refuses to run as root, so as root every PostgreSQL program runs as the
``postgres`` user (``runuser -u postgres --``), in a directory that user owns:
``initdb -D DIR/data -A trust`` (trust: only 127.0.0.1 and a socket in DIR, which
only that user can reach), then ``pg_ctl start`` with ``-p PORT -k DIR -c
listen_addresses=127.0.0.1`` on a free port. As any other user it runs as that user.

Nothing here installs packages: ``tools/setup_system.sh`` does (``make test`` runs it).
:class:`ServiceUnavailable` says what is missing and how to get it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

PG_ROOT = Path("/usr/lib/postgresql")
PG_USER = "postgres"
START_TIMEOUT_S = 60


class ServiceUnavailable(RuntimeError):
    """A service cannot be started here; the message says why and what to install or run."""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the kernel's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_bin() -> Path:
    """The newest installed PostgreSQL's bin directory. Raises ServiceUnavailable."""
    versions = sorted(
        (p for p in PG_ROOT.glob("*/bin") if (p / "initdb").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if not versions:
        raise ServiceUnavailable(
            f"PostgreSQL is not installed (no {PG_ROOT}/*/bin/initdb); install it with "
            "tools/setup_system.sh (make test does) or: apt-get install postgresql-15"
        )
    return versions[-1]


def _as_postgres() -> list[str]:
    if os.geteuid() != 0:
        return []
    if shutil.which("runuser") is None:
        raise ServiceUnavailable("running as root needs runuser (util-linux) to start PostgreSQL as its own user")
    try:
        import pwd

        pwd.getpwnam(PG_USER)
    except KeyError:
        raise ServiceUnavailable(f"no '{PG_USER}' user; the postgresql package creates it") from None
    return ["runuser", "-u", PG_USER, "--"]


@dataclass
class PostgresCluster:
    """A PostgreSQL cluster in ``directory`` (data in ``data/``, socket and log beside it)."""

    directory: Path
    port: int
    user: str = PG_USER

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def log_file(self) -> Path:
        return self.directory / "postgres.log"

    def url(self, database: str = "postgres") -> str:
        """The server's ``--db`` for ``database``."""
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def conninfo(self, database: str = "postgres") -> str:
        """The same for psycopg, psql, pg_dump."""
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    # ------------------------------------------------------------ life cycle
    @classmethod
    def start(cls, directory: Path | None = None, port: int | None = None) -> PostgresCluster:
        """initdb (if ``directory`` has no cluster yet) and start on 127.0.0.1.

        ``directory`` None: a new temporary one under the system temp dir (removed by
        :meth:`destroy`). ``port`` None: a free one. Raises ServiceUnavailable.
        """
        bindir = postgres_bin()
        prefix = _as_postgres()
        if directory is None:
            # Directly in /tmp when we switch to the postgres user: a TMPDIR of our own (the test
            # session makes a private one) is usually not traversable by that user.
            parent = "/tmp" if prefix and Path("/tmp").is_dir() else None
            directory = Path(tempfile.mkdtemp(prefix="dispatch120-pg-", dir=parent))
        directory.mkdir(parents=True, exist_ok=True)
        if prefix:
            shutil.chown(directory, PG_USER, PG_USER)
        cluster = cls(directory, port or free_port(), PG_USER if prefix else _current_user())
        if not (cluster.data / "PG_VERSION").exists():
            result = subprocess.run(
                [*prefix, str(bindir / "initdb"), "-D", str(cluster.data), "-A", "trust", "-U", cluster.user,
                 "-E", "UTF8", "--locale", "C", "--no-sync"],
                capture_output=True, text=True, timeout=START_TIMEOUT_S,
            )
            if result.returncode != 0:
                raise ServiceUnavailable(f"initdb failed in {cluster.data}:\n{result.stdout}{result.stderr}")
        options = f"-p {cluster.port} -k {directory} -c listen_addresses=127.0.0.1"
        for attempt in range(3):  # the free port may be taken between the pick and the start
            result = subprocess.run(
                [*prefix, str(bindir / "pg_ctl"), "-D", str(cluster.data), "-o", options,
                 "-l", str(cluster.log_file), "-w", "-t", str(START_TIMEOUT_S), "start"],
                capture_output=True, text=True, timeout=START_TIMEOUT_S + 10,
            )
            if result.returncode == 0:
                return cluster
            if attempt < 2 and port is None:
                cluster.port = free_port()
                options = f"-p {cluster.port} -k {directory} -c listen_addresses=127.0.0.1"
        log_tail = cluster.log_file.read_text(errors="replace")[-3000:] if cluster.log_file.exists() else ""
        raise ServiceUnavailable(f"pg_ctl start failed:\n{result.stdout}{result.stderr}\n{log_tail}")

    def stop(self) -> None:
        """``pg_ctl stop -m fast`` (waits until it is down). Never raises."""
        with contextlib.suppress(Exception):
            subprocess.run(
                [*_as_postgres(), str(postgres_bin() / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"],
                capture_output=True, timeout=60,
            )

    def destroy(self) -> None:
        """Stop and remove the directory."""
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    # ------------------------------------------------------------ databases
    def create_database(self, name: str | None = None) -> str:
        """``CREATE DATABASE`` (a fresh random name when None); returns its ``--db`` URL."""
        import psycopg

        name = name or f"t_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(self.conninfo(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _current_user() -> str:
    import getpass

    return getpass.getuser()


# ------------------------------------------------------------------ Redis (for the fan-out across instances)
@dataclass
class RedisServer:
    directory: Path
    port: int

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pid_file(self) -> Path:
        return self.directory / "redis.pid"

    @classmethod
    def start(cls, directory: Path, port: int | None = None) -> RedisServer:
        """``redis-server`` daemonised on 127.0.0.1, no persistence. Raises ServiceUnavailable."""
        binary = shutil.which("redis-server")
        if binary is None:
            raise ServiceUnavailable("redis-server is not installed; tools/setup_system.sh installs it")
        directory.mkdir(parents=True, exist_ok=True)
        server = cls(directory, port or free_port())
        result = subprocess.run(
            [binary, "--port", str(server.port), "--bind", "127.0.0.1", "--dir", str(directory),
             "--daemonize", "yes", "--pidfile", str(server.pid_file), "--save", "", "--appendonly", "no",
             "--logfile", str(directory / "redis.log")],
            capture_output=True, text=True, timeout=30,
        )
        if result.returncode != 0:
            raise ServiceUnavailable(f"redis-server failed to start:\n{result.stdout}{result.stderr}")
        deadline = time.monotonic() + 10
        while not _accepts(server.port):
            if time.monotonic() > deadline:
                raise ServiceUnavailable(f"redis-server not listening on {server.port} after 10 s")
            time.sleep(0.05)
        return server

    def stop(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(self.pid_file.read_text().strip()), signal.SIGTERM)


def _accepts(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False


# ------------------------------------------------------------------ make services / make services-stop
def _start(directory: Path) -> int:
    directory = directory.resolve()
    directory.mkdir(parents=True, exist_ok=True)
    state_file = directory / "services.json"
    state: dict[str, object] = json.loads(state_file.read_text()) if state_file.exists() else {}
    try:
        cluster = PostgresCluster.start(directory / "postgres", port=state.get("postgres_port"))  # type: ignore[arg-type]
    except ServiceUnavailable as exc:
        print(f"PostgreSQL: not started: {exc}", file=sys.stderr)
        return 1
    with contextlib.suppress(Exception):
        cluster.create_database("dispatch120")  # already there on a second start
    state["postgres_port"] = cluster.port
    print(f"PostgreSQL {postgres_bin().parent.name}: {cluster.url('dispatch120')}")
    print(f"  e.g. dispatch120-server --db {cluster.url('dispatch120')}")
    print(f"  psql {cluster.conninfo('dispatch120')}")
    try:
        redis = RedisServer.start(directory / "redis", port=state.get("redis_port"))  # type: ignore[arg-type]
        state["redis_port"] = redis.port
        print(f"Redis: {redis.url}")
    except ServiceUnavailable as exc:
        print(f"Redis: not started ({exc})")
    state_file.write_text(json.dumps(state))
    print(f"stop them with: make services-stop   (data kept in {directory})")
    return 0


def _stop(directory: Path) -> int:
    directory = directory.resolve()
    if (directory / "postgres" / "data" / "PG_VERSION").exists():
        state = json.loads((directory / "services.json").read_text()) if (directory / "services.json").exists() else {}
        PostgresCluster(directory / "postgres", int(state.get("postgres_port", 0))).stop()
        print("PostgreSQL stopped")
    if (directory / "redis" / "redis.pid").exists():
        RedisServer(directory / "redis", 0).stop()
        print("Redis stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.services", description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("directory", type=Path, nargs="?", default=Path(".services"))
    args = parser.parse_args(argv)
    return _start(args.directory) if args.action == "start" else _stop(args.directory)


if __name__ == "__main__":
    sys.exit(main())
