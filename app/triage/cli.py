"""``dispatch120 triage check DIR`` and ``dispatch120 triage run --case CASE.json [--protocols DIR]``.

The seat's ``dispatch120`` parser adds the group with :func:`register`; every subcommand
sets ``func`` (``args.func(args)`` returns the exit code). Runs in the main thread;
blocking file I/O.

Exit codes: 0 fine; 1 the protocol directory has problems (each printed as
``file:line: problem`` on standard error); 2 a bad case file or bad arguments.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from app.triage.check import check_directory, summarize
from app.triage.engine import run_case
from app.triage.loader import DEFAULT_PROTOCOL_DIR


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``triage`` command group to a parser's subparsers (from ``add_subparsers()``)."""
    triage = subparsers.add_parser(
        "triage",
        help="check triage protocols, or play a vignette against them",
        description="Triage protocols: validate a protocol directory, or run a case (chief complaint "
        "and answers) and print the determinant, priority, plan and instructions as JSON.",
    )
    commands = triage.add_subparsers(dest="triage_command", metavar="{check,run}", required=True)
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
        "exit advice (both languages), the path, and the next question if the answers stop short. "
        "A file holding a JSON list plays every case in it.",
    )
    run.add_argument("--case", type=Path, required=True, metavar="CASE.json", help="the case file ('-' = stdin)")
    run.add_argument("--protocols", type=Path, default=DEFAULT_PROTOCOL_DIR, metavar="DIR",
                     help="the protocol directory (default: %(default)s)")
    run.set_defaults(func=run_run)
    return triage


def run_check(args: argparse.Namespace) -> int:
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
    try:
        text = sys.stdin.read() if str(args.case) == "-" else args.case.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return _fail(f"cannot read {args.case}: {exc}")
    try:
        case = json.loads(text)
    except json.JSONDecodeError as exc:
        return _fail(f"{args.case}:{exc.lineno}: not valid JSON: {exc.msg}")
    protocol_set, problems = check_directory(args.protocols)
    if protocol_set is None:
        for problem in problems:
            print(problem, file=sys.stderr)
        return _fail(f"the protocols in {args.protocols} are not valid ({len(problems)} problem(s))", 1)
    cases = case if isinstance(case, list) else [case]
    results = []
    for index, one in enumerate(cases):
        try:
            results.append(run_case(protocol_set, one))
        except ValueError as exc:
            where = f"{args.case} case {index}" if isinstance(case, list) else str(args.case)
            return _fail(f"{where}: {exc}")
    output = results if isinstance(case, list) else results[0]
    print(json.dumps(output, indent=2, ensure_ascii=False))
    return 0
