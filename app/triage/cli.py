"""``dispatch120 triage check DIR``, ``dispatch120 triage run --case CASE.json [--protocols DIR]`` and
``dispatch120 triage vignettes [DIR] [--protocols DIR] [--json]``.

The seat's ``dispatch120`` parser adds the group with :func:`register`; every subcommand
sets ``func`` (``args.func(args)`` returns the exit code). Runs in the main thread;
blocking file I/O.

Exit codes: 0 fine; 1 the protocol directory has problems (each printed as
``file:line: problem`` on standard error) or a vignette fails; 2 a bad case or vignette
file, or bad arguments.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from app.triage.loader import DEFAULT_PROTOCOL_DIR

# The checker and the vignette player are imported by the commands that run them: every
# `dispatch120` start (the seat's too) builds this parser.


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``triage`` command group to a parser's subparsers (from ``add_subparsers()``)."""
    triage = subparsers.add_parser(
        "triage",
        help="check triage protocols, or play a vignette against them",
        description="Triage protocols: validate a protocol directory, or run a case (chief complaint "
        "and answers) and print the determinant, priority, plan and instructions as JSON.",
    )
    commands = triage.add_subparsers(dest="triage_command", metavar="{check,run,vignettes}", required=True)
    check = commands.add_parser(
        "check",
        help="validate a protocol directory; print every problem as file:line: problem",
        description="Validate every file of a protocol directory. Prints each problem as "
        "file:line: problem and exits 1 if there is any; otherwise prints a summary.",
    )
    check.add_argument("directory", type=Path, nargs="?", default=DEFAULT_PROTOCOL_DIR,
                       help="the protocol directory (default: %(default)s)")
    check.add_argument("--json", action="store_true", help="print the summary as JSON")
    check.set_defaults(func=run_check)
    run = commands.add_parser(
        "run",
        help="play a case file and print the outcome as JSON",
        description='Play a case: {"complaint": ID (optional), "answers": {question_id: key} or '
        "[[question_id, key], ...]}. Prints determinant, priority, plan, cpr, facts, instructions, "
        "exit advice (both languages), the path, the hospital destination it needs (rule, capabilities, "
        "trauma level), and the next question if the answers stop short. "
        "A file holding a JSON list plays every case in it.",
    )
    run.add_argument("--case", type=Path, required=True, metavar="CASE.json", help="the case file ('-' = stdin)")
    run.add_argument("--protocols", type=Path, default=DEFAULT_PROTOCOL_DIR, metavar="DIR",
                     help="the protocol directory (default: %(default)s)")
    run.set_defaults(func=run_run)
    vignettes = commands.add_parser(
        "vignettes",
        help="play the clinical vignette suite; print each failure and the pass count",
        description="Play every vignette of a directory (format: tests/data/vignettes/README.md) as "
        "'triage run' plays a case and compare the outcome with what the guidelines expect. Prints one "
        "line per failure (file:line: vignette: what: problem) and the pass count; exits 1 on any failure.",
    )
    vignettes.add_argument("directory", type=Path, nargs="?", default=None,
                           help="the vignette directory (default: the suite kept with the source, "
                           "tests/data/vignettes)")
    vignettes.add_argument("--protocols", type=Path, default=DEFAULT_PROTOCOL_DIR, metavar="DIR",
                           help="the protocol directory (default: %(default)s)")
    vignettes.add_argument("--json", action="store_true", help="print every result and the summary as JSON")
    vignettes.set_defaults(func=run_vignettes)
    return triage


def run_check(args: argparse.Namespace) -> int:
    from app.triage.check import check_directory, summarize

    protocol_set, problems = check_directory(args.directory)
    if protocol_set is None:
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"{len(problems)} problem(s) in {args.directory}", file=sys.stderr)
        return 1
    summary = summarize(protocol_set)
    if args.json:
        print(json.dumps(summary, indent=2, ensure_ascii=False))
        return 0
    print(f"{args.directory}: OK — {summary['complaints']} chief complaints + case entry, {summary['plans']} plans, "
          f"{summary['questions']} questions, {summary['determinants']} determinants, "
          f"{summary['paths']} paths; version {summary['version']}")
    for row in summary["protocols"]:  # type: ignore[attr-defined]
        print(f"  {row['code']:02d} {row['id']:<24} v{row['version']:<10} {row['questions']:>3} questions "
              f"{row['determinants']:>3} determinants {row['paths']:>4} paths (longest {row['longest_path']}) "
              f"priorities {','.join(str(p) for p in row['priorities']) or '-'}")
    return 0


def _fail(message: str, code: int = 2) -> int:
    print(f"dispatch120 triage: {message}", file=sys.stderr)
    return code


def run_run(args: argparse.Namespace) -> int:
    from app.triage.check import check_directory
    from app.triage.vignettes import destination_rules, triage_run

    try:
        text = sys.stdin.read() if str(args.case) == "-" else args.case.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return _fail(f"cannot read {args.case}: {exc}")
    try:
        case = json.loads(text)
    except json.JSONDecodeError as exc:
        return _fail(f"{args.case}:{exc.lineno}: not valid JSON: {exc.msg}")
    protocol_set, problems = check_directory(args.protocols, options=False)
    if protocol_set is None:
        for problem in problems:
            print(problem, file=sys.stderr)
        return _fail(f"the protocols in {args.protocols} are not valid ({len(problems)} problem(s))", 1)
    cases = case if isinstance(case, list) else [case]
    # The hospital the result needs (check_directory validated the rules; none = nearest hospital).
    # `triage vignettes` plays its cases through the same triage_run.
    rules = destination_rules(args.protocols)
    results = []
    for index, one in enumerate(cases):
        try:
            results.append(triage_run(protocol_set, one, rules))
        except ValueError as exc:
            where = f"{args.case} case {index}" if isinstance(case, list) else str(args.case)
            return _fail(f"{where}: {exc}")
    output = results if isinstance(case, list) else results[0]
    print(json.dumps(output, indent=2, ensure_ascii=False))
    return 0


def run_vignettes(args: argparse.Namespace) -> int:
    from app.triage.check import check_directory
    from app.triage.vignettes import (
        DEFAULT_VIGNETTE_DIR,
        destination_rules,
        load_vignettes,
        play_all,
        summarize_results,
    )

    directory = args.directory if args.directory is not None else DEFAULT_VIGNETTE_DIR
    vignettes, problems = load_vignettes(directory)
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        return _fail(f"{len(problems)} problem(s) in the vignettes of {directory}")
    protocol_set, problems = check_directory(args.protocols, options=False)  # as `triage run`
    if protocol_set is None:
        for problem in problems:
            print(problem, file=sys.stderr)
        return _fail(f"the protocols in {args.protocols} are not valid ({len(problems)} problem(s))", 1)
    results = play_all(protocol_set, vignettes, destination_rules(args.protocols))
    summary = summarize_results(results)
    if args.json:
        print(json.dumps({"summary": summary.as_dict(), "results": [r.as_dict() for r in results],
                          "protocol_set_version": protocol_set.version}, indent=2, ensure_ascii=False))
    else:
        for result in results:
            for failure in result.failures:
                outcome = result.outcome or {}
                print(f"{failure} [{outcome.get('determinant') or '-'}]")
        print(f"{summary.passed}/{summary.total} vignettes pass ({summary.pass_rate:.0%}); "
              f"protocols {protocol_set.version}")
    return 0 if summary.passed == summary.total else 1
