"""``python -m bench [--quick] [roundtrip|durable|startup ...]``: run the benchmarks, print a table.

``python -m bench load …`` is the load and fault harness, with its own options (``bench/load.py``).

Also writes every figure to ``bench/results/latest.json`` (``--out`` to change).
Exit code 0 when every benchmark ran, 1 when one failed (its error is printed
and recorded; the others still run), 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import (
    address_search,
    caller_link,
    caller_voice,
    durable,
    ecg_hr,
    kpi,
    load,
    machine,
    map_import,
    map_page,
    prenotify,
    protocol_decode,
    records,
    report,
    roundtrip,
    routing,
    startup,
    telemetry,
    track_playback,
    training_gui,
    triage,
    triage_gui,
    triage_vignettes,
    verify,
    vitals_gui,
)

BENCHMARKS = ("roundtrip", "durable", "startup", "map_import", "vitals_gui", "triage", "triage_gui", "map_page",
              "telemetry", "routing", "caller_link", "prenotify", "ecg_hr", "triage_vignettes", "protocol_decode", "kpi",
              "records", "verify", "caller_voice", "track_playback", "address_search",
              "training_gui")
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "latest.json"

FULL = {"n": 500, "seconds": 5.0, "runs": 5, "simulate_runs": 3}
QUICK = {"n": 100, "seconds": 1.5, "runs": 2, "simulate_runs": 1}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="dispatch120 benchmarks against a real server subprocess on 127.0.0.1. "
        "See bench/README.md for what each figure means.",
    )
    parser.add_argument("which", nargs="*", metavar="{roundtrip,durable,startup,map_import,vitals_gui,triage,triage_gui,map_page,telemetry,routing,caller_link,prenotify,ecg_hr,triage_vignettes,protocol_decode,kpi,records,verify,caller_voice,track_playback,address_search,training_gui}",
                        help="benchmarks to run (default: all)")
    parser.add_argument("--quick", action="store_true",
                        help=f"smaller runs ({QUICK['n']} commands, {QUICK['seconds']:g} s, "
                        f"{QUICK['runs']}+{QUICK['simulate_runs']} start-ups)")
    parser.add_argument("-n", type=int, metavar="N", help=f"commands per round-trip series (default {FULL['n']})")
    parser.add_argument("--seconds", type=float, metavar="S",
                        help=f"length of each durable-rate run (default {FULL['seconds']:g})")
    parser.add_argument("--runs", type=int, metavar="R", help=f"seat start-ups to time (default {FULL['runs']})")
    parser.add_argument("--simulate-runs", type=int, metavar="R",
                        help=f"start-ups of dispatch120 --simulate to time, 0 to skip (default {FULL['simulate_runs']})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON results file (default: %(default)s)")
    return parser


def _options(args: argparse.Namespace) -> dict[str, Any]:
    opts = dict(QUICK if args.quick else FULL)
    for key in ("n", "seconds", "runs", "simulate_runs"):
        value = getattr(args, key)
        if value is not None:
            opts[key] = value
    return opts


def _check(parser: argparse.ArgumentParser, opts: dict[str, Any]) -> None:
    if opts["n"] < 1 or opts["runs"] < 1 or opts["simulate_runs"] < 0:
        parser.error("-n and --runs must be at least 1, --simulate-runs at least 0")
    if not 0 < opts["seconds"] <= 600:
        parser.error("--seconds must be more than 0 and at most 600")


def main(argv: Sequence[str] | None = None) -> int:
    if list(sys.argv[1:] if argv is None else argv)[:1] == ["load"]:  # its own options (bench/load.py)
        return load.main(list(sys.argv[2:] if argv is None else argv[1:]))
    parser = build_parser()
    args = parser.parse_args(argv)
    opts = _options(args)
    _check(parser, opts)
    unknown = [name for name in args.which if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    which = list(dict.fromkeys(args.which)) or list(BENCHMARKS)

    info = machine.describe()
    print(report.machine(info), flush=True)
    started = time.monotonic()
    results: dict[str, Any] = {}
    errors: dict[str, str] = {}
    runners: dict[str, tuple[Callable[[], dict[str, Any]], Callable[[dict[str, Any]], str]]] = {
        "roundtrip": (lambda: roundtrip.run(opts["n"]), report.roundtrip),
        "durable": (lambda: durable.run(opts["seconds"]), durable.render),
        "startup": (lambda: startup.run(opts["runs"], opts["simulate_runs"]), report.startup),
        "vitals_gui": (lambda: vitals_gui.run(4.0 if args.quick else 10.0), vitals_gui.render),
        "map_import": (lambda: map_import.run(rounds=5 if args.quick else 20), map_import.render),
        "triage": (lambda: triage.run(loads=5 if args.quick else 20), triage.render),
        "triage_gui": (triage_gui.run, triage_gui.render),
        # Three pages x rounds x seconds, then the address index: ~2.5 min in full, ~40 s quick.
        "map_page": (lambda: map_page.run(500, 10.0, rounds=1, addresses=100_000) if args.quick
                     else map_page.run(500, 20.0, rounds=2), map_page.render),
        "protocol_decode": (lambda: protocol_decode.run(2 if args.quick else 5), protocol_decode.render),
        "telemetry": (lambda: telemetry.run(10 if args.quick else 50, 15.0 if args.quick else 120.0),
                      telemetry.render),
        "routing": (lambda: routing.run(queries=10 if args.quick else 50), routing.render),
        "caller_link": (lambda: caller_link.run(rounds=2 if args.quick else 5), caller_link.render),
        "prenotify": (lambda: prenotify.run(sends=20 if args.quick else 50), prenotify.render),
        "ecg_hr": (lambda: ecg_hr.run(rounds=1 if args.quick else 3), ecg_hr.render),
        "triage_vignettes": (triage_vignettes.run, triage_vignettes.render),
        "kpi": (lambda: kpi.run(days=7 if args.quick else 30), kpi.render),
        "records": (lambda: records.run(days=7 if args.quick else 30, rounds=3), records.render),
        "verify": (lambda: verify.run(days=7 if args.quick else 30), verify.render),
        "caller_voice": (lambda: caller_voice.run(rounds=1 if args.quick else 3), caller_voice.render),
        "track_playback": (lambda: track_playback.run((20, 100), 3.0 if args.quick else 6.0), track_playback.render),
        # Import of a generated city, then seat vs SQLite-only vs bare queries: ~3 min in full, ~15 s quick.
        "address_search": (lambda: address_search.run(100_000 if args.quick else 1_000_000,
                                                      100 if args.quick else 300), address_search.render),
        # Bare windows and a seat with its training centre (lateness), two more seats (question → reply): ~3 min
        # in full, ~2 min quick.
        "training_gui": (lambda: training_gui.run(5.0 if args.quick else 20.0, questions=3 if args.quick else 5),
                         training_gui.render),
    }
    for name in which:
        run, render = runners[name]
        print(flush=True)
        t0 = time.monotonic()
        try:
            results[name] = run()
        except Exception as exc:  # a broken part must not hide the other figures
            errors[name] = f"{type(exc).__name__}: {exc}"
            print(f"{name}: FAILED — {errors[name]}", file=sys.stderr)
            traceback.print_exc(file=sys.stderr)
            continue
        results[name]["took_s"] = time.monotonic() - t0
        print(render(results[name]), flush=True)

    total = time.monotonic() - started
    document = {
        "written": datetime.now(UTC).isoformat(timespec="seconds"),
        "argv": list(sys.argv[1:] if argv is None else argv),
        "options": opts,
        "machine": info,
        "load_average_at_end": machine.load_average(),
        "took_s": total,
        "results": results,
        "errors": errors,
    }
    try:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        where = f"results written to {args.out}"
    except OSError as exc:
        where = f"could not write {args.out}: {exc}"
        errors["output"] = where
    print(f"\ntook {total:.0f} s; {where}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
