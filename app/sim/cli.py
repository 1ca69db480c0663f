"""Command line of simulation mode: ``dispatch120 sim serve|check|run|report`` (also ``python -m app.sim``).

The seat's ``dispatch120`` parser adds the group with :func:`register`; every
subcommand sets ``func`` (``args.func(args)`` returns the exit code).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from app.cliargs import number_in, positive_seconds

_time_scale = number_in(0, 10000, hint="10 = ten times faster")
_seconds = positive_seconds


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``sim`` command group to a parser's subparsers (from ``add_subparsers()``).

    Returns:
        The ``sim`` parser. Its subcommands set ``func``: call ``args.func(args)``
        and exit with what it returns.
    """
    sim = subparsers.add_parser(
        "sim",
        help="simulation mode: a training server with scripted calls and simulated ambulances",
        description="Simulation mode: a training server on a fresh training database, a simulated "
        "phone switch playing a scenario's calls and simulated ambulances.",
    )
    add_commands(sim.add_subparsers(dest="sim_command", metavar="{serve,check,run,report,from-incident}", required=True))
    return sim


def add_commands(subparsers: Any) -> None:
    """Add ``serve`` and ``check`` to ``subparsers``."""
    serve = subparsers.add_parser(
        "serve",
        help="run a training centre: server + simulated switch and ambulances",
        description="Run a training centre until stopped (SIGTERM, Ctrl-C, or stdin closing with "
        "--exit-with-stdin). The server listens on 127.0.0.1, a free port, unless --listen says otherwise.",
    )
    serve.add_argument("--scenario", required=True, type=Path, metavar="FILE", help="scenario YAML")
    serve.add_argument(
        "--time-scale",
        type=_time_scale,
        default=1.0,
        metavar="X",
        help="run scenario time X times faster than real time (default: %(default)s)",
    )
    serve.add_argument(
        "--workdir",
        type=Path,
        metavar="DIR",
        help="where the training database and logs go (default: a new directory under "
        "the user data directory, dispatch120/training/<time>)",
    )
    serve.add_argument(
        "--ready-file",
        type=Path,
        metavar="FILE",
        help='when ready, write {"url","seat_id","seat_token","seats","trainers","workdir","pid","server_pid"} '
        "as JSON to FILE (mode 0600: it holds tokens; removed at exit)",
    )
    serve.add_argument(
        "--exit-with-stdin", action="store_true", help="exit when stdin closes (for a parent process)"
    )
    serve.add_argument(
        "--no-parent-death-signal",
        action="store_true",
        help="with --exit-with-stdin: do not also ask Linux for SIGTERM when the parent thread exits "
        "(for parents that start this from a short-lived thread)",
    )
    serve.add_argument("--seed", type=int, help="seed the simulated crews' delays (repeatable runs)")
    serve.add_argument(
        "--ring-timeout",
        type=_seconds,
        metavar="SECONDS",
        help="passed to the server: re-offer an unanswered call",
    )
    serve.add_argument(
        "--seat-id", help="the seat whose token goes in the ready file as seat_token (default: the first)"
    )
    serve.add_argument(
        "--listen", metavar="HOST", default="127.0.0.1",
        help="the training server's listen address (default: %(default)s, this machine only); 0.0.0.0 or "
        "one of this machine's addresses lets trainee seats on the centre's LAN join with their seat "
        "tokens (a join file per seat is written in the work directory)",
    )
    serve.add_argument(
        "--log-level",
        default="info",
        choices=["debug", "info", "warning", "error"],
        help="stderr (default: %(default)s)",
    )
    serve.set_defaults(func=run_serve)

    check = subparsers.add_parser(
        "check",
        help="check a scenario file (or every scenario in a directory) and print a summary",
        description="Check a scenario file, or every scenario of a directory (its *.yaml files with "
        "calls:; the registries they name are checked with them). Problems are printed as "
        "FILE:LINE: PLACE: REASON (the line where known); exit code 2 if any.",
    )
    check.add_argument("scenario", type=Path, metavar="SCENARIO|DIR")
    check.set_defaults(func=run_check)

    run = subparsers.add_parser(
        "run",
        help="play a scenario headless with a scripted dispatcher and print its score",
        description="Play a scenario's first round through a real training centre (server, switch, "
        "ambulances) with a scripted dispatcher on every seat, then score the run from the event log "
        "(targets and weights: docs/training.md).",
    )
    run.add_argument("scenario", type=Path, metavar="SCENARIO")
    run.add_argument("--dispatcher", choices=["good", "slow"], default="good",
                     help="the scripted dispatcher's style (default: %(default)s)")
    run.add_argument("--json", action="store_true", help='print {"scenario", "score", "items": [...]} as JSON')
    run.add_argument("--time-scale", type=_time_scale, default=None, metavar="X",
                     help="scenario time runs X times faster (default: 50)")
    run.add_argument("--seed", type=int, default=1, help="the simulation's seed (default: %(default)s)")
    run.set_defaults(func=run_run)

    report = subparsers.add_parser(
        "report",
        help="the after-action report of a training run: per trainee and call, the timeline against the targets",
        description="Score a training run from its event log (the run's --workdir) per trainee and call, and "
        "write the timeline against the targets (docs/training.md) as HTML or PDF (Chinese font embedded). "
        "Each trainee's scores are added to the history file of the training data directory.",
    )
    report.add_argument("--workdir", required=True, type=Path, metavar="DIR", help="the training run's directory")
    report.add_argument("--format", choices=["html", "pdf"], default="html", help="(default: %(default)s)")
    report.add_argument("--out", type=Path, metavar="FILE", help="default: DIR/after-action.<format>")
    report.add_argument("--language", choices=["zh", "en"], default="zh", help="(default: %(default)s)")
    report.add_argument("--history", type=Path, metavar="FILE",
                        help="the trainees' history file (default: training-history.json beside DIR)")
    report.set_defaults(func=run_report)

    from_incident = subparsers.add_parser(
        "from-incident",
        help="make a training scenario from a closed incident of an event log (anonymised)",
        description="Turn a closed incident of a centre's event log (read-only) into a training scenario: its "
        "calls re-timed, the caller's recorded answers, the location sources (shifted) and what the dispatcher "
        "reached as the expected values; caller number, names and free text removed (docs/training.md).",
    )
    from_incident.add_argument("--db", required=True, metavar="DB",
                               help="the event log: a SQLite file or a sqlite:/// or postgresql:// URL")
    from_incident.add_argument("--incident", required=True, metavar="ID", help="the incident id (or its first 6+ characters)")
    from_incident.add_argument("--out", required=True, type=Path, metavar="SCENARIO.yaml", help="the scenario to write")
    from_incident.add_argument("--seed", type=int, default=1,
                               help="seeds the caller's new number and the positions' offset (default: %(default)s)")
    from_incident.set_defaults(func=run_from_incident)


def run_serve(args: argparse.Namespace) -> int:
    from app.sim import runner

    runner.configure_logging(args.log_level)
    try:
        return runner.serve(runner.options_from_args(args))
    except KeyboardInterrupt:
        return 130


def run_check(args: argparse.Namespace) -> int:
    from app.sim.scenario import ScenarioError, load_scenario

    paths = scenario_files(args.scenario) if args.scenario.is_dir() else [args.scenario]
    if not paths:
        print(f"{args.scenario}: no scenario (*.yaml with calls:) in this directory", file=sys.stderr)
        return 2
    failed = 0
    for path in paths:
        try:
            scenario = load_scenario(path)
        except ScenarioError as exc:
            failed += 1
            print(f"{len(exc.problems)} problem(s):", file=sys.stderr)
            for problem in exc.problems:
                print(f"  {problem}", file=sys.stderr)
            continue
        print(summary(scenario))
    return 2 if failed else 0


def run_run(args: argparse.Namespace) -> int:
    import json

    from app.sim.headless import DEFAULT_TIME_SCALE, STYLES, run_scenario
    from app.sim.launcher import TrainingStartError
    from app.sim.scenario import ScenarioError

    try:
        score = run_scenario(args.scenario, STYLES[args.dispatcher],
                             time_scale=args.time_scale or DEFAULT_TIME_SCALE, seed=args.seed)
    except ScenarioError as exc:
        print(f"{len(exc.problems)} problem(s):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    except (TrainingStartError, TimeoutError) as exc:
        print(f"the run did not complete: {exc or 'timed out'}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(score.as_dict(), ensure_ascii=False))
    else:
        print(f"{score.scenario}: {score.score:g} / 100")
        for item in score.items:
            print(f"  {'✓' if item.ok else '✗'} {item.id:<28} target {item.target!s:<6} actual {item.actual}")
    return 0


def run_report(args: argparse.Namespace) -> int:
    from app.sim.after_action import ReportError, write_report

    try:
        out = write_report(args.workdir, args.out, fmt=args.format, language=args.language, history=args.history)
    except ReportError as exc:
        print(f"dispatch120 sim report: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"dispatch120 sim report: cannot write the report: {exc}", file=sys.stderr)
        return 1
    print(out)
    return 0


def run_from_incident(args: argparse.Namespace) -> int:
    from app.sim.from_incident import run_from_incident as run

    return run(args)


def scenario_files(directory: Path) -> list[Path]:
    """The scenarios of a directory: its ``*.yaml`` files with a top-level ``calls:`` (not registries)."""
    import yaml

    found = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            for event in yaml.parse(path.read_text(encoding="utf-8")):
                # A scenario has "calls" as a top-level key (column 0); a registry has none.
                mark = event.start_mark
                if isinstance(event, yaml.ScalarEvent) and event.value == "calls" and mark is not None and mark.column == 0:
                    found.append(path)
                    break
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            found.append(path)  # unreadable: load_scenario says why
    return found


def summary(scenario: Any) -> str:
    """A plain-text summary of a loaded scenario (for the trainer, in English and Chinese)."""
    r = scenario.registry
    caps: dict[str, int] = {}
    for unit in r.units:
        caps[unit.capability] = caps.get(unit.capability, 0) + 1
    no_device = [u.call_sign for u in r.units if r.device_for(u.id) is None]
    lines = [
        f"scenario: {scenario.name} ({scenario.path})",
        f"registry: {r.source}",
        f"  {len(r.stations)} stations, {len(r.hospitals)} hospitals, {len(r.units)} units "
        f"({', '.join(f'{n} {c.upper()}' for c, n in sorted(caps.items())) or 'none'}), {len(r.seats)} seats "
        f"({', '.join(s.id for s in r.seats)}), {len(r.devices)} devices, {len(r.switches)} switch(es), "
        f"{len(r.trainers)} trainer(s)",
        f"  units without a device (no simulated crew): {', '.join(no_device) or 'none'}",
        f"start: {scenario.start.value}; "
        + (f"loop: every {scenario.period_s:g} s" if scenario.loop else "loop: no"),
        f"{len(scenario.calls)} calls over {scenario.calls[-1].at_s:g} s:",
        "      at  number           pri  patients  outcome           abandon  talk  says",
    ]
    for call in scenario.calls:
        abandon = f"{call.abandon_after_s:g}s" if call.abandon_after_s is not None else "-"
        says = call.says.zh if len(call.says.zh) <= 24 else call.says.zh[:23] + "…"
        lines.append(
            f"  {call.at_s:5g}s  {call.caller_number:<15}  P{call.expected_priority}   {call.patients:>8}  "
            f"{call.outcome.value:<16}  {abandon:>7}  {call.talk_s:3g}s  {says}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m app.sim serve|check ...``. Returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m app.sim", description="dispatch120 simulation mode")
    add_commands(parser.add_subparsers(dest="command", metavar="{serve,check,run,report,from-incident}", required=True))
    args = parser.parse_args(argv)
    return args.func(args)
