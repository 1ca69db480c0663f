"""Integration fixtures: a real ``dispatch120-server`` process on 127.0.0.1, random port.

For any component's integration tests (seat sync client, simulators, devices).

Fixtures
--------
``dispatch_server``
    A running server on a fresh copy of the default registry (below), ring
    timeout 15 s. Stopped (SIGTERM, then SIGKILL) at teardown.
``start_server(**options)``
    A factory for more: ``start_server(ring_timeout=1)``,
    ``start_server(extra_args=["--seat-grace", "1"])``, ``start_server(registry=my_dict)``.
    Every server it started is stopped at teardown.

Both give a :class:`ServerProcess`:

* ``url`` (``ws://127.0.0.1:PORT/ws``), ``port``, ``db_path``, ``log_path``,
  ``tokens`` (principal id → token, from ``admin import --tokens-out``);
* ``client("seat-1", last_seq=None)`` → a :class:`~wsclient.ProtocolClient`
  that said hello and is synced (closed at teardown);
  ``raw_client()`` → connected, no hello;
* ``kill()`` (SIGKILL), ``stop()`` (SIGTERM, clean), ``restart()`` (same db, same port);
* ``db_events()`` → every event row, read from the SQLite file opened
  read-only; ``db_count("events")``;
* ``admin(*args)`` → runs ``python -m server_stub admin --db <db> *args``.

PostgreSQL (``tests/services.py``)
----------------------------------
``postgres_cluster``
    One temporary PostgreSQL cluster for the session (Debian's ``postgresql-15``, as the
    ``postgres`` user, 127.0.0.1, a free port), stopped and removed at the end. If it
    cannot be started the tests that need it FAIL when ``CI=true`` and are skipped with
    the reason otherwise — never silently passed.
``pg_url``
    A fresh, empty database in that cluster for one test: its ``--db`` URL.
``start_server(db_url=pg_url)``
    A server on that database: the default registry is imported into it through the
    admin CLI first (once per URL), so two servers started with one ``db_url`` share it.

``server_cli(*args)`` runs ``python -m server_stub *args`` without a server
(e.g. ``server_cli("admin", "--db", path, "list")``) and returns the
``subprocess.CompletedProcess`` with text output.

The default registry (``DEFAULT_REGISTRY``): station ``st-1``, hospital
``h-1``, units ``A1`` (als) and ``A2`` (bls), seats ``seat-1`` and
``seat-2``, devices ``dev-A1`` (unit A1) and ``dev-A2`` (unit A2), switch
``switch-1``, trainer ``trainer-1``. It is imported once per session into a
template database that each server copies, so a server starts in ~0.5 s.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

try:  # `python -m pytest` from the project root (the Makefile's way)
    from tests.integration.wsclient import ProtocolClient
    from tests.services import PostgresCluster, RedisServer, ServiceUnavailable
except ImportError:  # pragma: no cover - plain `pytest`, rootdir not on sys.path
    from wsclient import ProtocolClient

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.services import PostgresCluster, RedisServer, ServiceUnavailable

PROJECT_ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT_S = 20.0

DEFAULT_REGISTRY: dict[str, Any] = {
    "stations": [{"id": "st-1", "name": "南岸急救站", "lat": 29.52, "lon": 106.57}],
    "hospitals": [{"id": "h-1", "name": "重庆医科大学附属第一医院", "lat": 29.53, "lon": 106.51}],
    "units": [
        {"id": "A1", "call_sign": "渝A1", "station": "st-1", "capability": "als"},
        {"id": "A2", "call_sign": "渝A2", "station": "st-1", "capability": "bls"},
    ],
    "seats": [{"id": "seat-1", "name": "一号席"}, {"id": "seat-2", "name": "二号席"}],
    "devices": [{"id": "dev-A1", "unit": "A1"}, {"id": "dev-A2", "unit": "A2"}],
    "switches": [{"id": "switch-1", "name": "交换机"}],
    "trainers": [{"id": "trainer-1", "name": "培训老师"}],
}


def server_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    return env


def run_server_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``python -m server_stub ARGS`` in a subprocess (this interpreter); output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "server_stub", *map(str, args)],
        cwd=PROJECT_ROOT,
        env=server_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_admin(db_path: Path | str, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m server_stub admin --db DB ARGS`` (DB: a file or a database URL)."""
    return run_server_cli("admin", "--db", str(db_path), *args)


@pytest.fixture
def server_cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``server_cli("admin", "--db", path, "list")`` runs the server's command line, output captured."""
    return run_server_cli


@dataclass
class Template:
    db_path: Path
    tokens: dict[str, str]


def make_registry_db(directory: Path, registry: dict[str, Any], db_url: str | None = None) -> Template:
    """A database with ``registry`` imported through the real admin CLI (into ``db_url`` if given)."""
    directory.mkdir(parents=True, exist_ok=True)
    registry_file = directory / "registry.yaml"
    registry_file.write_text(yaml.safe_dump(registry, allow_unicode=True), encoding="utf-8")
    tokens_file = directory / "tokens.json"
    db_path = directory / "events.sqlite"
    result = run_admin(db_url or db_path, "import", str(registry_file), "--tokens-out", str(tokens_file))
    assert result.returncode == 0, f"admin import failed:\n{result.stdout}\n{result.stderr}"
    return Template(db_path, json.loads(tokens_file.read_text(encoding="utf-8")))


def new_server(workdir: Path, registry: dict[str, Any], extra_args: list[str] | None = None) -> ServerProcess:
    """A server on a fresh SQLite log holding ``registry`` (not started), for a module's own server:
    ``server = new_server(tmp_path_factory.mktemp("x"), REGISTRY).start()``, closed by the module."""
    template = make_registry_db(workdir / "registry", registry)
    db_path = workdir / "events.sqlite"
    shutil.copyfile(template.db_path, db_path)
    return ServerProcess(workdir, db_path, dict(template.tokens), 15.0, list(extra_args or []))


@pytest.fixture(scope="session")
def registry_template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return make_registry_db(tmp_path_factory.mktemp("registry"), DEFAULT_REGISTRY)


# ------------------------------------------------------------------ PostgreSQL
def service_missing(what: str, exc: Exception) -> None:
    """CI must have the service: fail there; a developer's machine may skip, saying why."""
    message = f"{what} is needed by this test and could not be started: {exc}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@contextlib.contextmanager
def own_postgres() -> Iterator[PostgresCluster]:
    """A temporary PostgreSQL cluster, destroyed after (missing: as :func:`service_missing` says)."""
    try:
        cluster = PostgresCluster.start()
    except (ServiceUnavailable, OSError, subprocess.SubprocessError) as exc:
        service_missing("PostgreSQL", exc)
    try:
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    with own_postgres() as cluster:
        yield cluster


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis server of this test's own on 127.0.0.1 (stopped after; stopping twice is harmless)."""
    try:
        server = RedisServer.start(tmp_path / "redis")
    except (ServiceUnavailable, OSError) as exc:
        service_missing("Redis", exc)
    yield server
    server.stop()


@pytest.fixture
def pg_url(postgres_cluster: PostgresCluster) -> str:
    """A fresh empty database: ``postgresql+psycopg://postgres@127.0.0.1:PORT/t_…``."""
    return postgres_cluster.create_database()


def pg_events(url: str) -> list[dict[str, Any]]:
    """Every event row of a PostgreSQL log, as :meth:`ServerProcess.db_events` gives them."""
    import psycopg

    conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute("SELECT seq, ts, name, actor_id, actor_role, ref, data::text FROM events ORDER BY seq")
        keys = ("seq", "ts", "name", "actor_id", "actor_role", "ref", "data")
        return [{**dict(zip(keys, row, strict=True)), "data": json.loads(row[6])} for row in rows]


@dataclass
class ServerProcess:
    """A ``dispatch120-server serve`` child process and what a test needs to talk to it.

    ``db_url`` set: the server runs on that PostgreSQL database and ``db_path`` is unused.
    """

    workdir: Path
    db_path: Path
    tokens: dict[str, str]
    ring_timeout: float
    extra_args: list[str]
    port: int = 0
    db_url: str | None = None
    proc: subprocess.Popen[bytes] | None = None
    clients: list[ProtocolClient] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    @property
    def log_path(self) -> Path:
        return self.workdir / "server.log"

    # ------------------------------------------------------------ process
    def start(self) -> ServerProcess:
        ready = self.workdir / "ready.json"
        ready.unlink(missing_ok=True)
        args = [
            sys.executable,
            "-m",
            "server_stub",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--db",
            self.db_url or str(self.db_path),
            "--ready-file",
            str(ready),
            "--exit-with-stdin",
            "--ring-timeout",
            str(self.ring_timeout),
            "--log-file",
            str(self.log_path),
            *self.extra_args,
        ]
        stderr = open(self.workdir / "stderr.txt", "ab")  # noqa: SIM115 - the child writes it
        self.proc = subprocess.Popen(
            args, cwd=PROJECT_ROOT, env=server_env(), stdin=subprocess.PIPE, stdout=stderr, stderr=stderr
        )
        stderr.close()
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not ready.exists():
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited with {self.proc.returncode} before it was ready:\n{self.stderr_text()}")
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"server not ready within {READY_TIMEOUT_S} s:\n{self.stderr_text()}")
            time.sleep(0.02)
        info = json.loads(ready.read_text(encoding="utf-8"))
        self.port = info["port"]
        assert info["pid"] == self.proc.pid
        return self

    def stderr_text(self) -> str:
        path = self.workdir / "stderr.txt"
        return path.read_text(encoding="utf-8", errors="replace")[-5000:] if path.exists() else ""

    def kill(self) -> None:
        """SIGKILL: no clean-up at all, like a power cut of the process (not of the disk)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM and wait; returns the exit code."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("server did not stop within the timeout after SIGTERM") from None
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        return self.proc.returncode

    def restart(self) -> ServerProcess:
        """Start again on the same database and port (after kill() or stop())."""
        if self.proc is not None and self.proc.stdin is not None:
            self.proc.stdin.close()
        return self.start()

    def close(self) -> None:
        for client in self.clients:
            try:
                client.close()
            except Exception:  # noqa: BLE001 - teardown of a possibly dead connection
                pass
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.stop(timeout=5)
            except AssertionError:
                pass

    # ------------------------------------------------------------ clients
    def get_json(self, path: str, token: str | None) -> tuple[int, dict]:
        """``GET path`` on the server's HTTP side, with ``token`` as the bearer (None: no header):
        the status and the JSON body, also for an error status."""
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, json.loads(exc.read())

    def client(self, principal_id: str, *, last_seq: int | None = None, timeout: float = 5.0) -> ProtocolClient:
        """A connection that said hello as ``principal_id`` and is synced."""
        conn = ProtocolClient.open(self.url, token=self.tokens[principal_id], last_seq=last_seq, timeout=timeout)
        self.clients.append(conn)
        return conn

    def raw_client(self, timeout: float = 5.0) -> ProtocolClient:
        """A connection with no hello yet."""
        conn = ProtocolClient.connect(self.url, timeout=timeout)
        self.clients.append(conn)
        return conn

    # ------------------------------------------------------------ database (read-only)
    def _ro(self) -> sqlite3.Connection:
        return sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=5)

    def db_events(self) -> list[dict[str, Any]]:
        if self.db_url is not None:
            return pg_events(self.db_url)
        conn = self._ro()
        try:
            rows = conn.execute("SELECT seq, ts, name, actor_id, actor_role, ref, data FROM events ORDER BY seq")
            keys = ("seq", "ts", "name", "actor_id", "actor_role", "ref", "data")
            return [{**dict(zip(keys, row, strict=True)), "data": json.loads(row[6])} for row in rows]
        finally:
            conn.close()

    def db_count(self, table: str) -> int:
        assert table.isidentifier()
        conn = self._ro()
        try:
            return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        finally:
            conn.close()

    def admin(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_admin(self.db_url or self.db_path, *args)


@pytest.fixture
def start_server(tmp_path: Path, registry_template: Template) -> Iterator[Callable[..., ServerProcess]]:
    servers: list[ServerProcess] = []
    shared: dict[str, Template] = {}  # PostgreSQL URL -> its imported registry

    def start(
        *,
        ring_timeout: float = 15.0,
        extra_args: list[str] | None = None,
        registry: dict[str, Any] | None = None,
        db_url: str | None = None,
    ) -> ServerProcess:
        workdir = tmp_path / f"server{len(servers)}"
        workdir.mkdir()
        if db_url is not None:
            if db_url not in shared:
                shared[db_url] = make_registry_db(workdir / "registry", registry or DEFAULT_REGISTRY, db_url)
            template = shared[db_url]
            server = ServerProcess(workdir, workdir / "unused.sqlite", dict(template.tokens), ring_timeout,
                                   list(extra_args or []), db_url=db_url)
            servers.append(server)
            return server.start()
        if registry is None:
            template = registry_template
        else:
            template = make_registry_db(workdir / "registry", registry)
        db_path = workdir / "events.sqlite"
        shutil.copyfile(template.db_path, db_path)
        wal = template.db_path.with_name(template.db_path.name + "-wal")
        if wal.exists():  # normally checkpointed away when the admin process closed it
            shutil.copyfile(wal, db_path.with_name(db_path.name + "-wal"))
        server = ServerProcess(workdir, db_path, dict(template.tokens), ring_timeout, list(extra_args or []))
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def dispatch_server(start_server: Callable[..., ServerProcess]) -> ServerProcess:
    return start_server()
