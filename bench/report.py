"""Plain-text tables of the benchmark results (pure: dicts in, text out)."""

from __future__ import annotations

from typing import Any


def _ms(summary: dict[str, Any], key: str) -> str:
    value = summary.get(key)
    return f"{value:8.2f}" if isinstance(value, int | float) else f"{'-':>8}"


def _num(value: Any, fmt: str = ".0f", width: int = 9) -> str:
    return f"{value:{width}{fmt}}" if isinstance(value, int | float) else f"{'-':>{width}}"


def _errors(errors: dict[str, int] | None) -> str:
    return ", ".join(f"{code}×{count}" for code, count in sorted((errors or {}).items())) or "none"


def machine(info: dict[str, Any]) -> str:
    pkgs = ", ".join(f"{name} {version}" for name, version in info["packages"].items())
    load = info.get("load_average")
    lines = [
        "dispatch120 benchmarks",
        f"machine : {info['cpu']}, {info['cores']} cores ({info['cores_usable']} usable), "
        f"{info.get('memory_gb')} GB RAM",
        f"os      : {info['os']}",
        f"python  : {info['python']} ({info['python_executable']}), SQLite {info['sqlite']}",
        f"packages: {pkgs}",
        f"temp dir: {info['tmpdir']} {info.get('tmpdir_fs', '')}".rstrip(),
    ]
    if load is not None:
        busy = "  (busy machine: figures will be worse than on an idle one)" if load[0] > 0.5 else ""
        lines.append(f"load    : {load[0]} {load[1]} {load[2]} (1/5/15 min) at start{busy}")
    return "\n".join(lines)


def roundtrip(result: dict[str, Any]) -> str:
    raw, seat = result["raw"], result["seat"]
    head = f"{'':44}{'p50':>8}{'p90':>8}{'p99':>8}{'max':>8}{'mean':>8}  ms"

    def row(label: str, summary: dict[str, Any]) -> str:
        return f"  {label:42}" + "".join(_ms(summary, k) for k in ("p50_ms", "p90_ms", "p99_ms", "max_ms", "mean_ms"))

    return "\n".join([
        f"1. Command round trip seat -> server -> ack, loopback, {result['n']} sequential commands",
        head,
        row("(a) raw websocket client: send -> ack", raw),
        row("(b) seat SyncClient + journal: send -> ack", seat),
        row("    of which send_command() blocks caller", seat["send_command_blocks"]),
        row("    send -> the command's event delivered", seat["to_event"]),
        f"  errors: raw {_errors(raw.get('errors'))}; seat {_errors(seat.get('errors'))}; "
        f"events stored: raw {raw['events']}, seat {seat['events']}; "
        f"seat outbox left: {seat.get('outbox_left')}",
    ])


def startup(result: dict[str, Any]) -> str:
    cols = (("main", "python up"), ("imported", "imported"), ("shown", "shown"),
            ("first_paint", "1st paint"), ("online", "online"), ("online_painted", "online+paint"),
            ("map_ready", "map ready"))
    head = f"{'':34}" + "".join(f"{title:>13}" for _, title in cols) + "  s"
    lines = [
        f"3. Seat start-up, process start -> window painted (QT_QPA_PLATFORM={result['platform']}, median)",
        head,
    ]
    for key, label in (("bare", "bare QMainWindow + QWebEngineView"), ("live", "dispatch120 (bench server)"),
                       ("simulate", "dispatch120 --simulate")):
        block = result.get(key)
        if not block:
            continue
        med = block["median_s"]
        name = f"{label} x{block['runs']}"
        lines.append(f"  {name:32}" + "".join(_num(med.get(k), ".3f", 13) for k, _ in cols))
    live = result.get("live")
    if live:
        firsts = ", ".join(f"{r['first_paint']:.3f}" for r in live["each"])
        lines.append(f"  first paint of each live run: {firsts} s (after one unmeasured start of each, which fills the bytecode cache)")
    if "simulate" in result:
        lines.append("  --simulate includes starting the training centre (runner, server, simulators) "
                     "before the window")
    ratio = result.get("ratio")
    if ratio:
        sim = ratio.get("simulate_first_paint")
        lines.append(f"  first paint / bare window's (same run): seat {ratio['live_first_paint']:.2f}x"
                     + (f", --simulate {sim:.2f}x" if sim is not None else "") + "  (target <= 3x)")
        if "live_first_paint_cpu" in ratio:
            cpu = {key: result[key]["median_first_paint_cpu_s"] for key in ("bare", "live", "simulate") if key in result}
            lines.append("  CPU s of the process to its first paint (median): "
                         + ", ".join(f"{key} {value:.3f}" for key, value in cpu.items())
                         + f"; seat / bare {ratio['live_first_paint_cpu']:.2f}x")
    return "\n".join(lines)
