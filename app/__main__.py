"""``dispatch120``: the seat's entry point and composition root.

Modes are chosen here, once (STYLE §7):

* ``dispatch120`` — the seat, connected to the server named by the settings
  (machine file < user file < ``--server-url``/``--seat-id``/``--language``/``--journal``);
  the seat's token comes from the OS keyring (:mod:`app.secrets`).
* ``dispatch120 --simulate`` — the same seat, connected to a training centre that
  :func:`app.sim.launcher.start_training` starts as child processes (real server on
  127.0.0.1 with a training database, simulated phone switch and ambulances). The
  token goes through the normal keyring path (an in-memory keyring), the journal is a
  separate training file, the banner and the window title say TRAINING, and the
  training processes are stopped when the seat exits — also on an exception
  (``finally``) and at interpreter exit (``atexit``).
* ``dispatch120 sim serve|check`` — the simulation's own commands (:mod:`app.sim.cli`).
* ``dispatch120 map import|info|search|where`` — offline map data (:mod:`app.mapdata.cli`).
* ``dispatch120 triage check|run`` — validate triage protocols, play vignettes (:mod:`app.triage.cli`).
* ``dispatch120 protocol schema|doc`` — export the wire JSON Schema, regenerate the doc's tables (:mod:`app.protocol.cli`).
* ``dispatch120 report kpi`` — KPIs of a period from the server's event log, read-only (:mod:`app.records.cli`).
* ``dispatch120 credentials set|delete --seat-id ID`` — store or forget a seat's token.
* ``dispatch120 hospital --console-id ID`` — a receiving hospital's pre-notification console
  (:func:`run_hospital`; its token is stored like a seat's: ``credentials set --seat-id ID``).
* ``dispatch120 wall --wall-id ID`` — the centre's read-only wall display (:func:`run_wall`).
* ``dispatch120 trainer`` — the trainer's console: starts a training centre, runs and watches it
  (:func:`run_trainer`, ``widgets.trainer_console``).

This module is the one place in ``app`` allowed to import ``widgets`` (import-linter
contract); it never imports PySide6 itself (``widgets.seat_app`` does the Qt start-up)
nor ``server_stub`` (the training server is a child process).
"""

from __future__ import annotations

import argparse
import atexit
import logging
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app import logs, seat_tools, secrets
from app.mapdata import cli as map_cli
from app.mapdata import route_cli
from app.protocol import cli as protocol_cli
from app.records import cli as report_cli
from app.settings import (
    LOG_LEVELS,
    Settings,
    SettingsError,
    add_arguments,
    layout_path,
    load_settings,
    overrides_from_args,
)
from app.triage import cli as triage_cli

log = logging.getLogger("app.main")

CLIENT_NAME = "dispatch120-seat/0.1"


# ---------------------------------------------------------------- command line


def build_parser() -> argparse.ArgumentParser:
    """The ``dispatch120`` parser: seat flags, plus the ``sim`` and ``credentials`` commands."""
    parser = argparse.ArgumentParser(
        prog="dispatch120",
        description="120 EMS dispatcher seat. Without a command: start the seat's window.",
    )
    parser.add_argument(
        "--simulate",
        action="store_true",
        help="training mode: start a local training server with simulated calls and ambulances",
    )
    add_arguments(parser)  # --server-url, --seat-id, --language, --journal
    parser.add_argument("--log-level", type=str.upper, choices=LOG_LEVELS, help="log level (default: settings)")
    parser.add_argument("--scenario", type=Path, metavar="FILE", help="with --simulate: the scenario to play")
    parser.add_argument("--join", type=Path, metavar="FILE",
                        help="with --simulate: join the training run of a trainer's console (its join file)")
    parser.add_argument(
        "--time-scale", type=float, metavar="X", help="with --simulate: run the scenario X times faster"
    )
    parser.add_argument("--listen", metavar="HOST",
                        help="with --simulate: the training server's listen address (default 127.0.0.1); "
                        "0.0.0.0 lets seats on the LAN join (join files per seat in the run's directory)")
    # Installation checks and start-up timing (widgets/first_paint.py).
    parser.add_argument("--exit-after-first-paint", action="store_true",
                        help="start, wait until the window and its map have painted, then exit")
    parser.add_argument("--screenshot", type=Path, metavar="PNG",
                        help="like --exit-after-first-paint, and save the window to PNG first")
    parser.add_argument("--check", action="store_true",
                        help="check this seat and exit (same as the 'check' command; see 'check --help')")
    seat_tools.add_check_options(parser)
    commands = parser.add_subparsers(dest="command", metavar="{check,credentials,diagnostics,sim,map,triage,route,protocol,report,records,hospital,wall,dashboard,trainer}")
    _add_sim(commands)
    map_cli.register(commands)
    triage_cli.register(commands)
    protocol_cli.register(commands)
    report_cli.register(commands)
    report_cli.register_records(commands)
    route_cli.register(commands)
    seat_tools.register(commands)  # check, credentials, diagnostics
    hospital = commands.add_parser(
        "hospital",
        help="a receiving hospital's console: incoming pre-notifications, acknowledge them",
        description="Run a hospital's pre-notification console against the server (token from the OS keyring: "
                    "dispatch120 credentials set --seat-id <console id>).",
    )
    hospital.add_argument("--console-id", required=True, metavar="ID", help="the hospital console's principal id")
    hospital.add_argument("--server-url", dest="server_url", metavar="URL", default=argparse.SUPPRESS,
                          help="the server (default: server_url from the settings)")
    wall = commands.add_parser(
        "wall",
        help="the centre's wall display: units, incidents, calls waiting, today's figures (read-only)",
        description="Run the centre's wall display full screen (F11: window, Esc: close). Its token comes from "
                    "the OS keyring: dispatch120-server admin add-wall ID, then dispatch120 credentials set "
                    "--seat-id ID.",
    )
    wall.add_argument("--wall-id", required=True, metavar="ID", help="the wall display's principal id")
    wall.add_argument("--server-url", dest="server_url", metavar="URL", default=argparse.SUPPRESS,
                      help="the server (default: server_url from the settings)")
    wall.add_argument("--language", dest="language", choices=("zh_CN", "en"), default=argparse.SUPPRESS,
                      help="interface language (default: the settings', Chinese)")
    wall.add_argument("--windowed", action="store_true", help="start in a window instead of full screen")
    dashboard = commands.add_parser(
        "dashboard",
        help="the supervisor's KPI dashboard: trends, distributions, seats, priorities (GET /kpi)",
        description="Run the KPI dashboard of a supervisor (token from the OS keyring: dispatch120-server admin "
                    "add-supervisor ID --name NAME, then dispatch120 credentials set --seat-id ID).",
    )
    dashboard.add_argument("--supervisor-id", required=True, metavar="ID", help="the supervisor's principal id")
    dashboard.add_argument("--server-url", dest="server_url", metavar="URL", default=argparse.SUPPRESS,
                           help="the server (default: server_url from the settings)")
    dashboard.add_argument("--language", dest="language", choices=("zh_CN", "en"), default=argparse.SUPPRESS,
                           help="interface language (default: the settings', Chinese)")
    trainer = commands.add_parser(
        "trainer",
        help="the trainer's console: run a training scenario for trainee seats, watch them, score them",
        description="Choose a scenario and trainee seats, start the training centre (as --simulate does), "
                    "pause, change speed, inject events, speak as the caller, write the after-action report.",
    )
    trainer.add_argument("--scenarios", type=Path, metavar="DIR",
                         help="where the scenarios are (default: the shipped resources/scenarios)")
    trainer.add_argument("--seed", type=int, default=1, help="the run's seed: every class gets the same run")
    trainer.add_argument("--listen", metavar="HOST",
                         help="the training server's listen address (default 127.0.0.1: this computer only); "
                         "0.0.0.0 or one of this computer's addresses lets trainee seats on the centre's LAN "
                         "join with their seat tokens (the console shows each seat's token and command)")
    return parser


def _add_sim(commands: Any) -> None:
    try:
        from app.sim import cli as sim_cli
    except ImportError as exc:  # a build without the simulation package
        reason = str(exc)
        sim = commands.add_parser("sim", help="simulation mode (not installed in this build)")
        sim.set_defaults(func=lambda _args: _fail(f"the simulation module is not available: {reason}"))
        return
    sim_cli.register(commands)


def _fail(message: str, code: int = 2) -> int:
    print(f"dispatch120: {message}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``dispatch120``; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command in ("sim", "map", "triage", "route", "protocol", "report", "records"):
        return int(args.func(args) or 0)
    if args.check or args.command == "check":
        return seat_tools.run_check(args, _qt_checks)
    if args.command == "credentials":
        return seat_tools.run_credentials(args)
    if args.command == "diagnostics":
        return seat_tools.run_diagnostics(args, _qt_checks, _qt_versions)
    if args.command == "hospital":
        return run_hospital(args)
    if args.command == "wall":
        return run_wall(args)
    if args.command == "dashboard":
        return run_dashboard(args)
    if args.command == "trainer":
        return run_trainer(args)
    return run_seat(args)


# ---------------------------------------------------------------- check and diagnostics: the Qt parts


def _qt_checks(settings: Settings, names: set[str], language: str) -> dict[str, Any]:
    """The Qt checks (``widgets.check_qt``) in a QApplication made like the seat's (offscreen works)."""
    from widgets import check_qt, seat_app

    _qapp, languages = seat_app.create_application(sys.argv[:1], language)
    try:
        return check_qt.run_qt_checks(settings, names)
    finally:
        seat_app.dispose(languages)


def _qt_versions() -> dict[str, str]:
    from widgets.check_qt import qt_versions

    return qt_versions()


# ---------------------------------------------------------------- consoles: hospital, wall, dashboard


def _console_credentials(args: argparse.Namespace, principal_id: str, program: str) -> tuple[Settings, str] | int:
    """A console's settings (logging set up as ``program``) and its token from the OS keyring,
    or the exit code after saying what is wrong (2: settings, 1: no keyring or no token)."""
    try:
        settings = load_settings(overrides_from_args(args))
    except SettingsError as exc:
        return _fail(str(exc))
    logs.setup_logging(settings.log_dir, args.log_level or settings.log_level, program)
    secrets.configure(settings.keyring_backend)
    try:
        token = secrets.get_token(principal_id)
    except secrets.SecretsUnavailable as exc:
        return _fail(str(exc), 1)
    if not token:
        return _fail(f"no token stored for {principal_id}: dispatch120 credentials set --seat-id {principal_id}", 1)
    return settings, token


def _console_sync(settings: Any, token: str, journal: Any, client_name: str, bridge: Any) -> Any:
    """A console's :class:`SyncClient` to the centre: its server, the other instances to fall back
    on, and the centre's CA. Raises ``ValueError`` for a malformed URL."""
    from app.seat.sync import SyncClient

    return SyncClient(settings.server_url, token, journal, client_name=client_name,
                      on_message=bridge.on_message, on_status=bridge.on_status,
                      ca_file=settings.server_ca_file, fallback_urls=settings.server_fallback_urls)


def _run_console(qapp: Any, window: Any, show: Callable[[], None], sync: Any, bridge: Any, journal: Any,
                 languages: Any) -> int:
    """A console's event loop until its window is closed: signals handled, the window shown, the
    sync thread started; afterwards the thread stopped and everything disposed. Returns the exit code."""
    from widgets import seat_app

    remove_handlers = seat_app.install_signal_handlers(qapp)
    show()
    sync.start()
    try:
        return int(qapp.exec())
    finally:
        stopped = _stop_sync(sync)
        if not stopped:
            seat_app.silence(bridge)  # what the thread still reports reaches no deleted widget
        remove_handlers()
        seat_app.dispose(window, bridge if stopped else None, languages)
        if stopped:
            journal.close()


# ---------------------------------------------------------------- the hospital console


def run_hospital(args: argparse.Namespace) -> int:
    """``dispatch120 hospital``: the hospital console until its window is closed. Returns the exit code.

    Composed like the seat: settings, the token from the keyring, a :class:`SyncClient` (own
    thread; its journal keeps the console's unsent answers) feeding the window on the GUI thread.
    """
    console_id = args.console_id
    started = _console_credentials(args, console_id, "dispatch120-hospital")
    if isinstance(started, int):
        return started
    settings, token = started

    from app.seat.journal import Journal, JournalError
    from widgets import seat_app
    from widgets.hospital_window import HospitalBridge, HospitalWindow

    qapp, languages = seat_app.create_application(sys.argv[:1], settings.language)
    try:
        journal = Journal(settings.journal_path.with_name(f"journal-hospital-{console_id}.sqlite"))
    except JournalError as exc:
        seat_app.dispose(languages)
        return _fail(str(exc), 1)
    bridge = HospitalBridge()
    try:
        sync = _console_sync(settings, token, journal, "dispatch120-hospital/0.1", bridge)
    except ValueError as exc:
        journal.close()
        seat_app.dispose(bridge, languages)
        return _fail(str(exc))
    window = HospitalWindow(bridge, sync.send_command, console_id)
    return _run_console(qapp, window, window.show, sync, bridge, journal, languages)


# ---------------------------------------------------------------- the trainer's console


def run_trainer(args: argparse.Namespace) -> int:
    """``dispatch120 trainer``: the trainer's console until its window is closed. Returns the exit code.

    No server or token is configured: the console starts its own training centre (child
    processes, a fresh training database) and connects to it with the registry's trainer token.
    """
    settings = seat_tools.load_forgiving(args)
    logs.setup_logging(settings.log_dir, args.log_level or settings.log_level, "dispatch120-trainer")
    from widgets import seat_app
    from widgets.trainer_console import TrainerConsole, scenario_choices

    qapp, languages = seat_app.create_application(sys.argv[:1], settings.language)
    window = TrainerConsole(scenarios=scenario_choices(args.scenarios), seed=args.seed, listen=args.listen)
    remove_handlers = seat_app.install_signal_handlers(qapp)
    window.show()
    try:
        return int(qapp.exec())
    finally:
        window.shutdown()
        remove_handlers()
        seat_app.dispose(window, languages)


# ---------------------------------------------------------------- the wall display


def run_dashboard(args: argparse.Namespace) -> int:
    """``dispatch120 dashboard``: the supervisor's KPI dashboard until it is closed. Returns the exit code.

    Settings, the supervisor's token from the keyring, and the window; every figure comes from
    ``GET /kpi`` on the server (no websocket: the dashboard shows reports, not live state).
    """
    supervisor_id = args.supervisor_id
    started = _console_credentials(args, supervisor_id, "dispatch120-dashboard")
    if isinstance(started, int):
        return started
    settings, token = started
    from datetime import date, datetime

    from app.records.record_render import to_text
    from app.seat.kpi_fetch import fetch_kpi, fetch_record, fetch_track, kpi_url
    from app.tls import client_context
    from widgets import seat_app
    from widgets.kpi_dashboard import KpiDashboard

    url, tz = settings.server_url, settings.centre_timezone
    try:
        kpi_url(url, first=date.today(), last=date.today())
        context = client_context(url, settings.server_ca_file)
    except ValueError as exc:
        return _fail(str(exc))
    qapp, languages = seat_app.create_application(sys.argv[:1], settings.language)

    def today() -> date:
        from zoneinfo import ZoneInfo

        return datetime.now(ZoneInfo(tz)).date()

    lang = "zh" if settings.language.startswith("zh") else "en"
    window = KpiDashboard(lambda first, last: fetch_kpi(url, token, first=first, last=last, tz=tz, context=context),
                          today=today,
                          record_fetcher=lambda incident_id: to_text(fetch_record(
                              url, token, incident_id, lang=lang, tz=tz, context=context)).decode("utf-8"),
                          track_fetcher=lambda incident_id: fetch_track(url, token, incident_id, tz=tz,
                                                                        context=context))
    remove_handlers = seat_app.install_signal_handlers(qapp)
    window.show()
    window.refresh()
    try:
        return int(qapp.exec())
    finally:
        remove_handlers()
        seat_app.dispose(window, languages)


def run_wall(args: argparse.Namespace) -> int:
    """``dispatch120 wall``: the centre's wall display until it is closed. Returns the exit code.

    Composed like the hospital console: settings, the token from the keyring, a
    :class:`SyncClient` (own thread, its own journal) feeding the seat's store and today's
    figures (:class:`app.wall.WallFeed`) through the seat's Qt bridge, and the window. A new
    wall asks the server to replay the log from its start, so that today's figures count
    from midnight; a server too far ahead answers with a snapshot and the wall says from
    when it counts (:mod:`app.wall`).
    """
    wall_id = args.wall_id
    started = _console_credentials(args, wall_id, "dispatch120-wall")
    if isinstance(started, int):
        return started
    settings, token = started

    from app.seat.journal import Journal, JournalError
    from app.seat.store import SeatStore
    from app.wall import RowsRequest, SeqRow, TodayFigures, WallFeed, fetch_rows
    from widgets import seat_app
    from widgets.clock import SeatClock
    from widgets.qt_bridge import SyncBridge
    from widgets.wall_display import WallDisplay

    qapp, languages = seat_app.create_application(sys.argv[:1], settings.language)
    try:
        journal = Journal(settings.journal_path.with_name(f"journal-wall-{wall_id}.sqlite"))
    except JournalError as exc:
        seat_app.dispose(languages)
        return _fail(str(exc), 1)
    if journal.last_seq is None:
        journal.set_last_seq(0)  # a replay from the start if the server allows it: figures since 00:00
    store, clock = SeatStore(), SeatClock()
    figures = TodayFigures(settings.centre_timezone)
    feed = WallFeed(store, figures)
    bridge = SyncBridge(feed, clock)  # type: ignore[arg-type]  # the feed has the store's three methods
    try:
        sync = _console_sync(settings, token, journal, "dispatch120-wall/0.1", bridge)
    except ValueError as exc:
        journal.close()
        seat_app.dispose(bridge, languages)
        return _fail(str(exc))
    for message in sync.replay_journal():
        feed.handle_message(message)
    from maps.sources import MapConfigError, make_config, map_config_from_settings

    try:
        map_config = map_config_from_settings(settings)
    except MapConfigError as exc:
        log.error("map settings: %s; using the offline basemap", exc)
        map_config = make_config(city=settings.map_city)

    def fetch_missing_rows(request: RowsRequest) -> list[SeqRow]:
        # From the instance the wall is connected to (the one that sent the snapshot).
        return fetch_rows(sync.url, token, request, context=sync.tls_context)

    window = WallDisplay(store, figures, clock, map_config=map_config, rows_fetcher=fetch_missing_rows)
    return _run_console(qapp, window, window.show if args.windowed else window.showFullScreen, sync, bridge,
                        journal, languages)


# ---------------------------------------------------------------- the seat


@dataclass
class SeatRuntime:
    """Everything a running seat is made of (GUI thread). Built by :func:`seat_session`."""

    qapp: Any
    window: Any
    store: Any
    sync: Any
    journal: Any
    settings: Settings
    training: Any = None
    cleanups: list[Callable[[], Any]] = field(default_factory=list)


class StartupFailed(Exception):
    """The seat cannot start; the reason has been shown and logged. ``code`` is the exit code."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def _once(fn: Callable[[], Any]) -> Callable[[], None]:
    done = False

    def call() -> None:
        nonlocal done
        if done:
            return
        done = True
        try:
            fn()
        except Exception:
            log.exception("clean-up %r failed", fn)

    return call


def _stop_sync(sync: Any) -> bool:
    """Stop the sync client's thread; True if it ended. If it did not, say so in the log.

    A thread still running may still call the bridge and write the journal: the caller then
    keeps both (they go with the process) instead of deleting them under the thread, and
    silences the bridge so nothing it delivers reaches the deleted window.
    """
    if sync.stop():
        return True
    log.error("the sync thread did not end when asked to; its bridge and journal are kept until exit")
    return False


def _start_training(args: argparse.Namespace, settings: Settings) -> Any:
    """Start the training centre (child processes). Raises whatever the launcher raises."""
    if getattr(args, "join", None) is not None:  # a trainer's console runs the centre: join it
        from app.sim.control import read_join_file

        return read_join_file(args.join)
    from app.sim.launcher import start_training  # imported here: only --simulate needs it

    options: dict[str, Any] = {}
    if args.scenario is not None:
        options["scenario"] = args.scenario
    if args.time_scale is not None:
        options["time_scale"] = args.time_scale
    if getattr(args, "seat_id", None):
        options["seat_id"] = args.seat_id
    if getattr(args, "listen", None):
        options["listen"] = args.listen
    session = start_training(**options)
    if session.lan_urls:
        log.warning("seats on the LAN join this training centre at %s: join files per seat in %s",
                    ", ".join(session.lan_urls), session.workdir)
    return session


@contextmanager
def seat_session(args: argparse.Namespace, argv0: Sequence[str] = ("dispatch120",)) -> Iterator[SeatRuntime]:
    """Build and start the seat (window shown, sync running); on exit stop everything.

    The caller runs the event loop (``runtime.qapp.exec()``) inside the ``with``.
    Whatever happens inside, the sync thread is stopped, the journal closed and the
    training processes (``--simulate``) stopped.

    Raises:
        StartupFailed: the seat cannot start; the reason was shown in a dialog and logged.
    """
    # A refused value (a malformed --server-url, a broken file) does not stop the seat: it starts,
    # and the window says what is wrong and what to do (the same text as `dispatch120 --check`).
    settings = seat_tools.load_forgiving(args)
    level = args.log_level or settings.log_level
    log_path = logs.setup_logging(settings.log_dir, level, "dispatch120-training" if args.simulate else "dispatch120")
    log.info("dispatch120 seat starting (%s); log file %s", "TRAINING" if args.simulate else "live", log_path)

    from widgets import seat_app  # Qt only from here on (credentials and sim never load it)

    qapp, languages = seat_app.create_application(list(argv0), settings.language)
    # Run in order on the way out. The Qt objects made here have no parent: each is deleted
    # explicitly once nothing can call it (the bridge only after the sync thread ended).
    cleanups: list[Callable[[], Any]] = [_once(lambda: seat_app.dispose(languages))]
    sync_ended = [True]  # False if the sync thread would not stop: then its bridge and journal stay

    def problem(kind: Any, *, seat_id: str | None = None, detail: str = "", code: int = 2) -> StartupFailed:
        log.error("cannot start: %s", seat_app.problem_text(kind, seat_id=seat_id, detail=detail))
        seat_app.show_startup_problem(kind, seat_id=seat_id, detail=detail)
        return StartupFailed(code)

    try:
        training = None
        if args.simulate:
            try:
                training = _start_training(args, settings)
            except Exception as exc:
                log.exception("training centre did not start")
                raise problem(seat_app.StartupProblem.TRAINING_FAILED, detail=str(exc)) from exc
            stop_training = _once(training.stop)
            atexit.register(stop_training)
            cleanups.append(stop_training)
            secrets.use_memory_backend()
            secrets.set_token(training.seat_id, training.seat_token)
            seat_id, url = training.seat_id, training.url
            workdir = getattr(training, "workdir", None)
            journal_dir = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="dispatch120-training-"))
            journal_path = journal_dir / f"journal-training-{seat_id}.sqlite"
        else:
            secrets.configure(settings.keyring_backend)
            seat_id, url, journal_path = settings.seat_id, settings.server_url, settings.journal_path
            if not seat_id:
                raise problem(seat_app.StartupProblem.NO_SEAT_ID)
        try:
            token = secrets.get_token(seat_id)
        except secrets.SecretsUnavailable as exc:
            raise problem(seat_app.StartupProblem.KEYRING_UNAVAILABLE, seat_id=seat_id, detail=str(exc)) from exc
        if not token:
            raise problem(seat_app.StartupProblem.NO_TOKEN, seat_id=seat_id)

        from app.seat.commands import SeatCommands
        from app.seat.journal import Journal, JournalError
        from app.seat.store import SeatStore
        from app.seat.sync import SyncClient
        from widgets.clock import SeatClock
        from widgets.main_window import MainWindow
        from widgets.qt_bridge import SyncBridge

        startup_notices: list[str] = []  # shown in the window's message strip once it exists
        try:
            journal = Journal(journal_path)
        except JournalError as exc:
            # Still take calls: a journal in a temporary directory keeps this session's commands
            # until they are sent, but not across a restart of the PC. Say so, with what to do.
            fallback = Path(tempfile.mkdtemp(prefix="dispatch120-journal-")) / journal_path.name
            log.error("journal %s unusable (%s); using %s for this session", journal_path, exc, fallback)
            try:
                journal = Journal(fallback)
            except JournalError as again:
                raise problem(seat_app.StartupProblem.JOURNAL_UNUSABLE, detail=str(exc)) from again
            startup_notices.append(seat_tools.journal_notice(journal_path, str(exc), fallback, settings.language))
        offline_only = training is None and seat_tools.check.url_unusable(settings)
        if offline_only:
            # No usable server URL: work offline from the journal, bound to whatever it was bound to
            # (a placeholder URL would reset its saved state and set its unsent commands aside).
            url = journal.server_url() or url
            startup_notices.append(seat_tools.url_notice(settings, settings.language))
        cleanups.append(_once(lambda: sync_ended[0] and journal.close()))
        store = SeatStore()
        clock = SeatClock()
        bridge = SyncBridge(store, clock)
        cleanups.insert(0, _once(lambda: seat_app.dispose(bridge if sync_ended[0] else None)))
        try:
            sync = SyncClient(url, token, journal, client_name=CLIENT_NAME,
                              on_message=bridge.on_message, on_status=bridge.on_status,
                              ca_file=settings.server_ca_file,
                              # Training and offline-only starts talk to one server (or none).
                              fallback_urls=() if training is not None or offline_only
                              else settings.server_fallback_urls)
        except ValueError as exc:
            raise problem(seat_app.StartupProblem.BAD_SETTINGS, detail=str(exc)) from exc
        # Offline start: show what the journal saw last, as this seat saw it.
        principal_id = journal.principal_id()
        if principal_id and store.me is None:
            store.me = {"id": principal_id, "role": "seat", "name": principal_id, "unit_id": None}
        for message in sync.replay_journal():
            store.handle_message(message)
        commands = SeatCommands(sync)
        window = MainWindow(store, commands, clock=clock, languages=languages,
                            training=training is not None, seat_id=seat_id,
                            confirm_close=training is None, show_map=True, map_settings=settings,
                            layout_path=layout_path(settings),
                            # Map, suggestions, address index and vitals after the first paint:
                            # calls can be answered while they are built (bench/README.md §3).
                            defer_panels=True)
        cleanups.insert(0, _once(lambda: seat_app.dispose(window)))  # its map's web page before its profile
        bridge.command_retrying.connect(window.on_command_retrying)
        # Training: the simulated caller's replies are spoken at this seat (setting caller_voice); a
        # live seat has no caller's voice and does not load the speech synthesiser's modules.
        if training is not None:
            from widgets.caller_voice import caller_voice_for_seat

            caller_voice = caller_voice_for_seat(store, training=True, enabled=settings.caller_voice,
                                                 language=lambda: languages.language, parent=window)
            if caller_voice is not None:  # held here for the session; stopped before the window goes
                cleanups.insert(0, _once(caller_voice.shutdown))

        def wire_vitals(wall: Any) -> None:
            # Live telemetry of the units the vitals wall watches; re-sent after every reconnect.
            wall.set_subscriber(lambda ids: sync.subscribe(ids, ["vitals", "waveform", "alarm", "status"]))
            # Watch a unit's ECG once it is on scene at this seat's incident (setting vitals_auto_watch).
            wall.auto_watch = settings.vitals_auto_watch
            # Stored ECG strips: fetched with this seat's token, recorded with Ctrl+Shift+E.
            from app.seat.strips import fetch_strip

            wall.strip_fetcher = lambda strip_id: fetch_strip(url, token, strip_id, context=sync.tls_context)
            wall.seat_commands = commands

        window.on_panel("vitals", wire_vitals)
        def wire_caller_link(panel: Any) -> None:  # the caller's photos, with this seat's token
            from app.seat.media import fetch_media

            panel.media_fetcher = lambda media_id, sha: fetch_media(url, token, media_id, sha256=sha, context=sync.tls_context)
            panel.rtc_sender = sync.send_direct  # live video signalling, never journaled

        window.on_panel("caller_link", wire_caller_link)
        # "My shift": this seat's own KPIs from GET /kpi, with this seat's token (widgets/seat_kpi.py).
        from app.seat.kpi_fetch import fetch_kpi

        window.my_shift.fetcher = lambda shift, seq: fetch_kpi(url, token, shift=shift, seq=seq,
                                                           context=sync.tls_context)
        for config_problem in settings.problems:
            window.show_notice(str(config_problem))
        if journal.moved_aside is not None:
            window.show_notice(f"journal was unreadable and was kept as {journal.moved_aside}")
        window.show_rejected(journal.rejected(), journal.dismiss_rejected)
        from widgets.check_qt import check_fonts

        fonts = check_fonts()
        if fonts.status is not seat_tools.check.Status.PASS:
            startup_notices.append(seat_tools.check.message(fonts, settings.language))
        for text in startup_notices:
            log.error("start-up problem: %s", text)
            window.show_notice(text, "error")
        window.problem_texts = list(startup_notices)
        versions = _qt_versions()
        window.diagnostics_maker = lambda out, qt_results: seat_tools.write_seat_diagnostics(
            settings, out, language=settings.language, qt_results=qt_results, versions=versions)
        cleanups.append(seat_app.install_signal_handlers(qapp))
        window.show()
        if not offline_only:
            sync.start()

        def stop_sync() -> None:
            sync_ended[0] = _stop_sync(sync)
            if not sync_ended[0]:
                seat_app.silence(bridge)  # what the thread still reports reaches no deleted widget

        cleanups.insert(0, _once(stop_sync))
        yield SeatRuntime(qapp, window, store, sync, journal, settings, training, cleanups)
    finally:
        for cleanup in cleanups:
            cleanup()


def run_seat(args: argparse.Namespace) -> int:
    """Start the seat's window and run it until it is closed. Returns the exit code."""
    try:
        with seat_session(args, sys.argv[:1]) as runtime:
            if args.exit_after_first_paint or args.screenshot is not None:
                from widgets.first_paint import exit_after_first_paint

                watcher = exit_after_first_paint(runtime.window, screenshot=args.screenshot)  # noqa: F841 - kept alive
            code = runtime.qapp.exec()
            log.info("seat window closed (exit code %s)", code)
            return int(code)
    except StartupFailed as exc:
        return exc.code


if __name__ == "__main__":
    with suppress(KeyboardInterrupt):
        sys.exit(main())
