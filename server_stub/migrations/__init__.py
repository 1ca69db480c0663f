"""Schema migrations of the centre's database (Alembic, configured in code).

The revisions live in ``versions/`` beside this file and are found through
``Path(__file__)``, so they work the same from the source tree, an installed
wheel (they are package data, see ``pyproject.toml``) and a PyInstaller bundle
(which must collect this folder's ``.py`` files as data). No ``alembic.ini``.

What callers use:

* :func:`upgrade_to_head` — the server and the admin CLI call it (through
  :class:`server_stub.store.EventStore`) on every start, inside one write
  transaction: an empty database gets the whole schema, a database made before
  migrations existed (tables but no ``alembic_version``) is adopted at
  :data:`BASELINE`, an older one is upgraded, and one whose revision this code
  does not know (written by a newer server) raises :class:`DatabaseNewerError`
  before anything is written.
* :func:`inspect_revision` — what ``dispatch120-server db current`` shows; reads only.
* :func:`history` — the revisions this code knows, oldest first.

See ``README.md`` in this folder for how to add a revision.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, inspect, text

# Alembic 1.20 logs at INFO, when it is first imported, which autogenerate plugins it sets up: not
# news to an operator reading the server's start-up lines. Set before the import below.
logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from alembic.script import ScriptDirectory  # noqa: E402

log = logging.getLogger(__name__)

SCRIPT_DIR = Path(__file__).resolve().parent
BASELINE = "0001_baseline"
# Tables SQLite makes by itself; they do not make a database "not empty".
_INTERNAL_TABLES = frozenset({"sqlite_sequence", "sqlite_stat1", "sqlite_stat4"})


class SchemaVersionError(Exception):
    """The database's schema cannot be used by this server (see the subclasses and the message)."""


class DatabaseNewerError(SchemaVersionError):
    """The database is at a revision this server does not know: a newer server wrote it.

    Nothing was changed. Run the newer server, or restore a backup made for this version.
    """

    def __init__(self, label: str, revisions: tuple[str, ...], head: str) -> None:
        self.revisions, self.head = revisions, head
        super().__init__(
            f"{label}: the database is at schema revision {', '.join(revisions)}, which this server does "
            f"not know (its newest is {head}); it was written by a newer dispatch120-server. "
            "Nothing was changed: run that newer server, or restore a backup made for this version"
        )


@dataclass(frozen=True)
class RevisionState:
    """What a database says about its schema (from :func:`inspect_revision`)."""

    revisions: tuple[str, ...]  # from alembic_version; () if none
    empty: bool  # no tables at all
    head: str  # the newest revision this code knows
    unknown: tuple[str, ...]  # revisions this code does not know (a newer server's)

    @property
    def pre_migration(self) -> bool:
        """Tables but no alembic_version: made by a server released before migrations."""
        return not self.revisions and not self.empty

    @property
    def at_head(self) -> bool:
        return self.revisions == (self.head,)


@dataclass(frozen=True)
class Upgrade:
    """What :func:`upgrade_to_head` did."""

    from_revision: str | None  # None: empty or pre-migration database
    to_revision: str
    adopted: bool  # a pre-migration database was adopted at the baseline
    created: bool  # the database was empty


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """An Alembic :class:`Config` for this package's scripts, with no ini file.

    ``connection`` (in an open transaction) is what ``env.py`` migrates; ``url`` is
    for offline SQL generation or a developer's ad-hoc ``command`` call.
    """
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_DIR))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    head = script_directory().get_current_head()
    assert head is not None, "server_stub/migrations/versions has no revision"
    return head


def history() -> list[tuple[str, str]]:
    """(revision, first line of its docstring), oldest first."""
    revisions = list(script_directory().walk_revisions())
    revisions.reverse()
    return [(r.revision, (r.doc or "").strip().splitlines()[0] if r.doc else "") for r in revisions]


def inspect_revision(connection: Connection) -> RevisionState:
    """Read the database's revision (and whether it has tables). Reads only; never writes."""
    script = script_directory()
    head = script.get_current_head() or ""
    tables = set(inspect(connection).get_table_names()) - _INTERNAL_TABLES
    revisions: tuple[str, ...] = ()
    if "alembic_version" in tables:
        rows = connection.execute(text("SELECT version_num FROM alembic_version ORDER BY version_num"))
        revisions = tuple(row[0] for row in rows)
    unknown = tuple(rev for rev in revisions if not _known(script, rev))
    return RevisionState(revisions, not tables, head, unknown)


def _known(script: ScriptDirectory, revision: str) -> bool:
    try:
        return script.get_revision(revision) is not None
    except Exception:  # alembic's ResolutionError / CommandError for an id it has never seen
        return False


def upgrade_to_head(connection: Connection, *, label: str) -> Upgrade:
    """Bring the database to the newest revision, inside the caller's open transaction.

    Runs on the calling thread (blocking). The caller commits; on any exception it
    must roll back, which leaves the database exactly as it was.

    Args:
        connection: a connection with a transaction begun (for SQLite a
            ``BEGIN IMMEDIATE`` one, so two processes starting at once migrate
            one after the other).
        label: how the database is named in messages (its path).

    Raises:
        DatabaseNewerError: its revision is unknown here (checked before any write).
        SchemaVersionError: a pre-migration database whose tables or
            ``meta.schema_version`` are not the baseline's.
        sqlalchemy.exc.SQLAlchemyError: database failure.
    """
    state = inspect_revision(connection)
    if state.unknown:
        raise DatabaseNewerError(label, state.revisions, state.head)
    if state.pre_migration and "events" not in set(inspect(connection).get_table_names()):
        raise SchemaVersionError(f"{label}: not a dispatch120 event log (it has tables but no 'events' table)")
    before = state.revisions[0] if len(state.revisions) == 1 else None
    if not state.at_head:
        command.upgrade(alembic_config(connection), "head")
    after = inspect_revision(connection).revisions
    result = Upgrade(before, after[0] if after else "", state.pre_migration, state.empty)
    if result.created:
        log.info("database %s: new database, schema created at revision %s", label, result.to_revision)
    elif result.adopted:
        log.info("database %s: made before schema migrations; adopted at %s, schema revision (none) → %s",
                 label, BASELINE, result.to_revision)
    elif before != result.to_revision:
        log.info("database %s: schema upgraded, revision %s → %s", label, before, result.to_revision)
    else:
        log.info("database %s: schema at revision %s (newest), nothing to upgrade", label, result.to_revision)
    return result
