"""The simulated caller's voice: from a ``training.caller_said`` event to a WAV file ready to play.

The lines are the demo scenario's scripted caller answers (``resources/scenarios/demo.yaml``,
Chinese, at the seat's Mandarin voice and rate: ``app.sim.voice.VOICES``). Measured in the
same run, each line in turn, median and max over the lines:

* **bare**: ``espeak-ng -v cmn -s 260 -w FILE TEXT`` as a plain ``subprocess.run`` — the
  floor: what any way of making the file costs;
* **synthesise, new line**: :meth:`app.sim.voice.Synthesiser.synthesise` into an empty cache
  (``which``, a temporary file, the run, the rename);
* **synthesise, cached**: the same line again (a ``stat``);
* **event → file ready at the seat**: a :class:`~app.seat.store.SeatStore` with a
  :class:`widgets.caller_voice.CallerVoicePlayer` (its worker pool, a speaker that plays
  nothing) is handed the protocol event; the clock stops when ``line_queued`` reaches the
  GUI thread (the event loop runs; nothing else is busy) — new lines, then cached ones.

Ratios are against the bare run's median. Offscreen Qt (``QT_QPA_PLATFORM=offscreen``).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.protocol import event, format_ts, validate_event, welcome
from app.resources import resource_path
from app.seat.store import SeatStore
from app.sim.scenario import load_scenario
from app.sim.voice import VOICES, Synthesiser

SEAT = "seat-bench"


def demo_lines() -> list[str]:
    scenario = load_scenario(resource_path("scenarios", "demo.yaml"))
    lines = [answer.zh for call in scenario.calls for answer in call.caller.answers.values()]
    return list(dict.fromkeys(lines))


def _stats(samples_ms: list[float]) -> dict[str, float]:
    return {"median_ms": statistics.median(samples_ms), "max_ms": max(samples_ms), "n": len(samples_ms)}


def _bare(lines: list[str], out: Path) -> list[float]:
    voice = VOICES["zh_CN"]
    program = shutil.which("espeak-ng")
    if program is None:
        raise RuntimeError("espeak-ng is not installed (apt-get install espeak-ng)")
    samples = []
    for n, line in enumerate(lines):
        t0 = time.perf_counter()
        subprocess.run([program, "-v", voice.name, "-s", str(voice.rate_wpm), "-w", str(out / f"{n}.wav"), line],
                       check=True, capture_output=True)
        samples.append((time.perf_counter() - t0) * 1000)
    return samples


def _synthesise(lines: list[str], cache: Path) -> tuple[list[float], list[float]]:
    synth = Synthesiser(cache)
    new, cached = [], []
    for line in lines:
        t0 = time.perf_counter()
        assert synth.synthesise(line, VOICES["zh_CN"]).ok
        new.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        assert synth.synthesise(line, VOICES["zh_CN"]).cached
        cached.append((time.perf_counter() - t0) * 1000)
    return new, cached


def _event_to_ready(lines: list[str], cache: Path) -> tuple[list[float], list[float]]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, QObject, QTimer, Signal
    from PySide6.QtWidgets import QApplication

    from widgets.caller_voice import CallerVoicePlayer

    class _Mute(QObject):
        finished = Signal()
        problem = None

        def play(self, _wav: Path) -> bool:
            QTimer.singleShot(0, self.finished.emit)  # "played" at once: the next line is not held up
            return True

        def stop(self) -> None:
            pass

    app = QApplication.instance() or QApplication([])
    store = SeatStore()
    seq = [0]

    def server_event(name: str, **data: Any) -> None:
        validate_event(name, data)
        seq[0] += 1
        store.handle_message(event(seq=seq[0], ts=format_ts(datetime.now(UTC)), name=name,
                                   actor={"id": "switch", "role": "switch"}, ref=None, data=data))

    store.handle_message(welcome(principal={"id": SEAT, "role": "seat", "name": SEAT, "unit_id": None},
                                 server_seq=0, resume="replay"))
    player = CallerVoicePlayer(store, Synthesiser(cache), language=lambda: "zh_CN", speaker=_Mute())
    ready_at: list[float] = []
    player.line_queued.connect(lambda _call, _wav: ready_at.append(time.perf_counter()))
    loop = QEventLoop()
    player.line_queued.connect(lambda *_: loop.quit())

    def one_round(call_id: str) -> list[float]:
        server_event("call.received", call_id=call_id, caller_number="13800000000", caller_name=None,
                     location_text=None, line=None)
        server_event("call.ringing", call_id=call_id, seat_id=SEAT)
        server_event("call.answered", call_id=call_id, seat_id=SEAT)
        samples = []
        for line in lines:
            ready_at.clear()
            t0 = time.perf_counter()
            server_event("training.caller_said", call_id=call_id, zh=line, en="(bench)", via="voice")
            if not ready_at:
                QTimer.singleShot(10_000, loop.quit)  # a hung synthesis ends the wait, and shows as missing
                loop.exec()
            if not ready_at:
                raise RuntimeError(f"no file for {line!r} within 10 s")
            samples.append((ready_at[0] - t0) * 1000)
        server_event("call.ended", call_id=call_id)
        return samples

    try:
        new = one_round("bench-new")
        cached = one_round("bench-cached")  # the same lines again: the seat's cache has them
    finally:
        player.shutdown()
        player.deleteLater()
        app.processEvents()
    return new, cached


def run(rounds: int = 3) -> dict[str, Any]:
    """Best-of-``rounds`` medians of each way, new caches every round."""
    lines = demo_lines()
    best: dict[str, dict[str, float]] = {}
    for _ in range(max(1, rounds)):
        with tempfile.TemporaryDirectory(prefix="bench-caller-voice-") as tmp:
            root = Path(tmp)
            for sub in ("bare", "synth", "seat"):
                (root / sub).mkdir()
            bare = _bare(lines, root / "bare")
            new, cached = _synthesise(lines, root / "synth")
            seat_new, seat_cached = _event_to_ready(lines, root / "seat")
        for key, samples in (("bare", bare), ("synthesise_new", new), ("synthesise_cached", cached),
                             ("event_to_ready_new", seat_new), ("event_to_ready_cached", seat_cached)):
            stats = _stats(samples)
            if key not in best or stats["median_ms"] < best[key]["median_ms"]:
                best[key] = stats
    bare_ms = best["bare"]["median_ms"]
    return {
        "lines": len(lines),
        "mean_chars": statistics.mean(len(line) for line in lines),
        **best,
        "ratio_synthesise_new_to_bare": best["synthesise_new"]["median_ms"] / bare_ms,
        "ratio_event_to_ready_new_to_bare": best["event_to_ready_new"]["median_ms"] / bare_ms,
        "ratio_event_to_ready_cached_to_bare": best["event_to_ready_cached"]["median_ms"] / bare_ms,
    }


def render(result: dict[str, Any]) -> str:
    lines = [f"Caller's voice ({result['lines']} demo lines, {result['mean_chars']:.0f} characters on average)"]
    for key, label in (("bare", "bare espeak-ng subprocess"),
                       ("synthesise_new", "Synthesiser, new line"),
                       ("synthesise_cached", "Synthesiser, cached line"),
                       ("event_to_ready_new", "caller_said event → file ready at the seat, new line"),
                       ("event_to_ready_cached", "caller_said event → file ready at the seat, cached")):
        v = result[key]
        lines.append(f"  {label}: median {v['median_ms']:.2f} ms, max {v['max_ms']:.2f} ms")
    lines.append(f"  ratios to bare: synthesise new {result['ratio_synthesise_new_to_bare']:.2f}×, "
                 f"event→ready new {result['ratio_event_to_ready_new_to_bare']:.2f}×, "
                 f"cached {result['ratio_event_to_ready_cached_to_bare']:.3f}×")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(run()))
