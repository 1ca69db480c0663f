"""Command line of simulation mode: ``dispatch120 sim serve|check`` and ``python -m app.sim serve|check``.

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
from app.sim.scenario import ScenarioError, load_scenario

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
    add_commands(sim.add_subparsers(dest="sim_command", metavar="{serve,check}", required=True))
    return sim


def add_commands(subparsers: Any) -> None:
    """Add ``serve`` and ``check`` to ``subparsers``."""
    serve = subparsers.add_parser(
        "serve",
        help="run a training centre: server + simulated switch and ambulances",
        description="Run a training centre until stopped (SIGTERM, Ctrl-C, or stdin closing with "
        "--exit-with-stdin). The server listens on 127.0.0.1, a free port.",
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
        help='when ready, write {"url","seat_id","seat_token","seats","workdir","pid","server_pid"} '
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
        "--log-level",
        default="info",
        choices=["debug", "info", "warning", "error"],
        help="stderr (default: %(default)s)",
    )
    serve.set_defaults(func=run_serve)

    check = subparsers.add_parser(
        "check", help="check a scenario file and print a summary", description="Check a scenario file."
    )
    check.add_argument("scenario", type=Path, metavar="SCENARIO")
    check.set_defaults(func=run_check)


def run_serve(args: argparse.Namespace) -> int:
    from app.sim import runner

    runner.configure_logging(args.log_level)
    try:
        return runner.serve(runner.options_from_args(args))
    except KeyboardInterrupt:
        return 130


def run_check(args: argparse.Namespace) -> int:
    try:
        scenario = load_scenario(args.scenario)
    except ScenarioError as exc:
        print(f"{len(exc.problems)} problem(s):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    print(summary(scenario))
    return 0


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
    add_commands(parser.add_subparsers(dest="command", metavar="{serve,check}", required=True))
    args = parser.parse_args(argv)
    return args.func(args)
