"""The seat in a training run: GUI-thread lateness under a 10× scenario, and question → caller's reply on screen.

``python -m bench training_gui`` (or ``python -m bench.training_gui [--seconds S]``). Every seat
here is the real one: :func:`app.__main__.seat_session` with ``--simulate`` — what
``dispatch120 --simulate`` runs — so a real training centre (runner, server, simulated switch,
ambulances) starts as child processes and the real ``MainWindow`` (map, questionnaire, call
panel, caller voice) connects to it. Offscreen Qt (``QT_QPA_PLATFORM=offscreen``), a private
XDG tree, nothing of the user's read or written. Each measurement runs in its own process.

**(a) Lateness of the GUI thread.** A precise single-shot ``QTimer`` of :data:`TICK_MS` is
re-armed at every tick; a tick's lateness is how much later than asked it ran (the time any
queued work — a repaint, a key — waits for the GUI thread). ``--seconds`` of wall time each:

* **bare**: a bare ``QMainWindow`` and the timer, nothing else (a fresh process; run before
  and after the seat, the two pooled) — the floor of this machine right now;
* **seat idle**: the seat connected to its centre, the scenario not started (no seat ready);
* **seat, scenario ×N**: the library scenario (default the demo, :data:`SCENARIO`) at
  ``--time-scale`` (default 10): a scripted good dispatcher (``app.sim.headless``, in its own
  process) staffs the centre's *other* seat, so calls ring, are answered, triaged and
  dispatched, the ambulances drive and stream positions; this seat (not ready) sees it all
  on its call list, board and map.

Figures: lateness p50/p99/max (ms), CPU of the seat's process, the events the seat received;
the ratio p99(seat under the scenario) / p99(bare).

**(b) Question → caller's reply on screen.** The seat sets itself ready (F5), the demo's
first call (a calm caller) rings, F2 answers it. Then each questionnaire step is answered
with the digit key of the caller's scripted answer, and typed questions go through the ask
box (F3, Enter). The clock starts just before the key is sent and stops at the first paint
of the call panel's caller list after the reply's row was added. The **scripted delay** is
the caller's speaking pause (:class:`app.sim.caller.CallerVoice`: reaction + ~0.35 s per
character) divided by the time scale — the switch waits that long on purpose; **system** =
total − scripted is what the seat, server, switch and back cost. Also the reply's server
stamp → painted (the seat's side of the way back). At time scales 1 and 10.
Baselines, same run, same centre: a **bare websocket** client (:class:`bench.client.RawSeat`
with the centre's second seat, own process) sending ``incident.update`` and awaiting each
ack; and the **seat's own round trip** of the very question: the key to the store holding the
server's ack of the command it sent (``command_acked``, GUI thread; the first answer's is the
``incident.create`` the seat sends first). Ratio: system / bare websocket median.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.server import PROJECT_ROOT, child_env, seat_child_env
from bench.stats import percentile

TICK_MS = 10
SCENARIO = "demo.yaml"
TIME_SCALE = 10.0
CHILD_TIMEOUT_S = 240.0
# Typed questions (F3) for the demo's first call; what they mean is the centre's matcher's business.
TYPED_QUESTIONS = ("病人还有呼吸吗", "他现在清醒吗")
ROUND_TRIPS = 20


# ---------------------------------------------------------------- shared by the children


def lateness_summary(lateness_ms: list[float]) -> dict[str, float | int]:
    """p50/p99/max/mean of tick lateness (ms); ``n`` ticks. Raises ValueError on no ticks."""
    ordered = sorted(lateness_ms)
    return {"n": len(ordered), "p50_ms": percentile(ordered, 50), "p99_ms": percentile(ordered, 99),
            "max_ms": ordered[-1], "mean_ms": sum(ordered) / len(ordered)}


def _wait(app: Any, done: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Run the Qt event loop (no sleeping) until ``done()`` or ``timeout_s``; raises TimeoutError."""
    from PySide6.QtCore import QEventLoop, Qt, QTimer

    if done():
        return
    loop = QEventLoop()
    check = QTimer()
    check.setTimerType(Qt.TimerType.PreciseTimer)

    def check_done() -> None:
        if done():
            loop.quit()

    check.timeout.connect(check_done)
    check.start(2)
    give_up = QTimer()
    give_up.setSingleShot(True)
    give_up.timeout.connect(loop.quit)
    give_up.start(int(timeout_s * 1000))
    loop.exec()
    check.stop()
    give_up.stop()
    if not done():
        raise TimeoutError(f"{what}: not within {timeout_s:g} s")


def measure_lateness(app: Any, seconds: float) -> dict[str, Any]:
    """Run the event loop ``seconds`` with a :data:`TICK_MS` single-shot timer re-armed at each tick.

    Returns the lateness summary and the process's CPU use (100 % = one core). GUI thread.
    """
    from PySide6.QtCore import Qt, QTimer

    lateness: list[float] = []
    armed = [0.0]
    timer = QTimer()
    timer.setSingleShot(True)
    timer.setTimerType(Qt.TimerType.PreciseTimer)

    def tick() -> None:
        now = time.perf_counter()
        lateness.append(max(0.0, (now - armed[0]) * 1000 - TICK_MS))
        armed[0] = time.perf_counter()
        timer.start(TICK_MS)

    timer.timeout.connect(tick)
    cpu0, wall0 = time.process_time(), time.monotonic()
    armed[0] = time.perf_counter()
    timer.start(TICK_MS)
    end = wall0 + seconds
    _wait(app, lambda: time.monotonic() >= end, seconds + 5, "lateness run")
    timer.stop()
    took = time.monotonic() - wall0
    return {**lateness_summary(lateness), "seconds": took,
            "cpu_percent": 100 * (time.process_time() - cpu0) / took}


def _no_startup_dialog() -> None:
    """A seat that cannot start shows a modal dialog, which nobody closes offscreen: the bench
    child would hang until its timeout. The reason is logged (stderr) and StartupFailed raised
    anyway, so the dialog is left out here."""
    from widgets import seat_app

    seat_app.show_startup_problem = lambda *_args, **_kwargs: None


def _seat_argv(scenario: Path, time_scale: float) -> list[str]:
    return ["--simulate", "--scenario", str(scenario), "--time-scale", repr(time_scale),
            "--language", "zh_CN", "--log-level", "WARNING"]


def _wait_online(runtime: Any) -> None:
    from app.seat.store import Link

    _wait(runtime.qapp, lambda: runtime.store.connection.link == Link.ONLINE, 60, "seat online")
    settle_until = time.monotonic() + 3.0  # deferred panels (map, suggestions, vitals) are built now
    _wait(runtime.qapp, lambda: time.monotonic() >= settle_until, 10, "settle")


class _EventCounter:
    """Counts what the seat's store is told (change signals) while a phase runs."""

    def __init__(self, store: Any) -> None:
        self.counts: dict[str, int] = {}
        for name in ("call_changed", "incident_changed", "unit_changed", "positions_changed", "seat_changed"):
            getattr(store.events, name).connect(self._counter(name))

    def _counter(self, name: str) -> Callable[..., None]:
        def count(*_args: Any) -> None:
            self.counts[name] = self.counts.get(name, 0) + 1
        self._keep = [*getattr(self, "_keep", []), count]  # psygnal holds plain functions strongly; kept anyway
        return count

    def take(self) -> dict[str, int]:
        counts, self.counts = self.counts, {}
        return counts


class _DeliveryTimer:
    """Times the seat's handling of what the server sends, on the GUI thread: the store's
    ``handle_message`` / ``handle_telemetry`` with every widget slot they call (paints come later,
    from the event loop). Wraps the store instance's methods (the Qt bridge looks them up per call)."""

    def __init__(self, store: Any) -> None:
        self.took_ms: list[float] = []
        for name in ("handle_message", "handle_telemetry"):
            setattr(store, name, self._timed(getattr(store, name)))

    def _timed(self, handle: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return handle(*args, **kwargs)
            finally:
                self.took_ms.append((time.perf_counter() - start) * 1000)
        return timed

    def take(self, seconds: float) -> dict[str, float | int]:
        took, self.took_ms = sorted(self.took_ms), []
        if not took:
            return {"n": 0}
        return {"n": len(took), "p99_ms": percentile(took, 99), "max_ms": took[-1],
                "busy_percent": 100 * sum(took) / 1000 / seconds}


class _Helper:
    """A helper process (:func:`_helper`): a scripted dispatcher or a bare websocket client."""

    def __init__(self, mode: str, params: dict[str, Any]) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "bench.training_gui", "--helper", mode],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     cwd=PROJECT_ROOT, env=child_env(), text=True)
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(params) + "\n")  # tokens go through stdin, never argv or env
        self.proc.stdin.flush()

    def result(self, timeout_s: float = 60.0) -> dict[str, Any]:
        out, err = self.proc.communicate(timeout=timeout_s)
        if self.proc.returncode != 0:
            raise RuntimeError(f"helper failed ({self.proc.returncode}): {err[-2000:]}")
        return json.loads(out.strip().splitlines()[-1])

    def stop(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()  # the helper stops when its stdin closes
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _other_seat(training: Any) -> tuple[str, str]:
    others = sorted((seat, token) for seat, token in training.seats.items() if seat != training.seat_id)
    if not others:
        raise RuntimeError("the scenario's registry has one seat; the bench needs a second one")
    return others[0]


# ---------------------------------------------------------------- child: lateness


def child_bare(seconds: float) -> dict[str, Any]:
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication.instance() or QApplication([])
    window = QMainWindow()
    window.resize(1600, 900)
    window.show()
    settle_until = time.monotonic() + 0.5
    _wait(app, lambda: time.monotonic() >= settle_until, 5, "settle")
    figures = measure_lateness(app, seconds)
    window.close()
    return figures


def child_seat(seconds: float, scenario: Path, time_scale: float) -> dict[str, Any]:
    from app.__main__ import StartupFailed, build_parser, seat_session

    args = build_parser().parse_args(_seat_argv(scenario, time_scale))
    _no_startup_dialog()
    try:
        with seat_session(args) as runtime:
            _wait_online(runtime)
            counter = _EventCounter(runtime.store)
            deliveries = _DeliveryTimer(runtime.store)
            idle = measure_lateness(runtime.qapp, seconds)
            idle["events"] = counter.take()
            idle["deliveries"] = deliveries.take(idle["seconds"])
            seat_id, token = _other_seat(runtime.training)
            dispatcher = _Helper("dispatcher", {"url": runtime.training.url, "seat_id": seat_id, "token": token,
                                                "scenario": str(scenario), "time_scale": time_scale})
            try:
                _wait(runtime.qapp, lambda: bool(runtime.store.state.calls), 60, "the scenario's first call")
                counter.take()
                deliveries.take(1.0)
                busy = measure_lateness(runtime.qapp, seconds)
                busy["events"] = counter.take()
                busy["deliveries"] = deliveries.take(busy["seconds"])
            finally:
                dispatcher.stop()
            busy["calls_seen"] = len(runtime.store.state.calls)
            busy["units_moved"] = sum(1 for unit in runtime.store.state.units.values()
                                      if unit.get("status") not in (None, "available", "out_of_service"))
            return {"idle": idle, "busy": busy, "platform": runtime.qapp.platformName()}
    except StartupFailed as exc:
        raise RuntimeError(f"the seat did not start (exit code {exc.code}); the reason is logged above") from exc


# ---------------------------------------------------------------- child: question → reply


class _PaintWatch:
    """Marks when a row saying ``text`` is added to the caller list (one more than when armed),
    and the first paint of the list's viewport after that: the reply is on screen."""

    def __init__(self, panel: Any) -> None:
        from PySide6.QtCore import QEvent, QObject

        self.panel = panel
        self.text = ""
        self.baseline = 0
        self.inserted_at: float | None = None
        self.painted_at: float | None = None
        watch = self

        class Filter(QObject):
            def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
                if (event.type() == QEvent.Type.Paint and watch.inserted_at is not None
                        and watch.painted_at is None):
                    watch.painted_at = time.perf_counter()
                return False

        self.filter = Filter(panel)
        panel.caller_said.viewport().installEventFilter(self.filter)
        panel.caller_said.model().rowsInserted.connect(self._on_inserted)

    def count(self) -> int:
        return sum(self.text in line for line in self.panel.caller_lines())

    def _on_inserted(self, *_args: Any) -> None:
        if self.inserted_at is None and self.text and self.count() > self.baseline:
            self.inserted_at = time.perf_counter()

    def arm(self, text: str) -> None:
        self.text = text
        self.baseline = self.count()
        self.inserted_at = self.painted_at = None


def _press(app: Any, key: Any, widget: Any = None) -> None:
    from PySide6.QtTest import QTest

    QTest.keyClick(widget or app.focusWidget() or app.activeWindow(), key)


def child_reply(scenario: Path, time_scale: float, questions: int) -> dict[str, Any]:
    from PySide6.QtCore import Qt

    from app.__main__ import StartupFailed, build_parser, seat_session
    from app.domain.model import CallState
    from app.protocol import parse_ts
    from app.sim.ask import shipped_matcher
    from app.sim.caller import CallerVoice
    from app.sim.scenario import load_scenario
    from app.sim.switch import call_protocols, script_place

    script = load_scenario(scenario)
    args = build_parser().parse_args(_seat_argv(scenario, time_scale))
    _no_startup_dialog()
    try:
        with seat_session(args) as runtime:
            app, window, store = runtime.qapp, runtime.window, runtime.store
            me = runtime.training.seat_id
            _wait_online(runtime)
            window.activateWindow()
            panel = window.call_panel

            def seat_state() -> str | None:
                return (store.state.seats.get(me) or {}).get("state")

            _press(app, Qt.Key.Key_F5, window)  # ready: the scenario starts, its first call rings here
            _wait(app, lambda: seat_state() == "ready", 20, "F5 → the seat ready")

            def ringing_here() -> str | None:
                for call_id, call in store.state.calls.items():
                    if call.get("state") == CallState.RINGING and call.get("seat_id") == me:
                        return call_id
                return None

            _wait(app, lambda: ringing_here() is not None, 60, "a call ringing at the seat")
            call_id = ringing_here()
            assert call_id is not None
            place = script_place(call_id)
            if place is None:
                raise RuntimeError(f"call {call_id} is not the scenario's")
            scripted_call = script.calls_by_index[place[1]]
            voice = CallerVoice(scripted_call)  # the switch's caller, mirrored: what it will say, and when
            _press(app, Qt.Key.Key_F2, window)
            _wait(app, lambda: (store.state.calls.get(call_id) or {}).get("state") == CallState.ANSWERED, 20,
                  "the call answered")
            _wait(app, lambda: window.triage.session is not None and window.triage.session.current is not None, 20,
                  "the questionnaire")
            watch = _PaintWatch(panel)
            samples: list[dict[str, Any]] = []
            acked: list[float] = []  # when the store held the server's ack of a command (GUI thread)

            def on_acked(_command_id: str, _seq: int) -> None:
                acked.append(time.perf_counter())

            store.events.command_acked.connect(on_acked)

            def answered() -> dict[str, str]:
                session = window.triage.session
                return {q: k for given in (session.answers if session else {}).values() for q, k in given.items()}

            def wait_said(text: str, baseline: int, timeout_s: float, why: str) -> None:
                _wait(app, lambda: sum(text in line for line in panel.caller_lines()) > baseline, timeout_s, why)

            def timed(send: Callable[[], None], expected: Any, kind: str, question: str) -> None:
                """Send the question, wait for the expected reply painted; then let the caller finish
                what else the seat's answer made it say (a step the seat answered by itself)."""
                known = answered()
                watch.arm(expected.zh)
                acked.clear()
                start = time.perf_counter()
                send()
                handled = time.perf_counter() - start  # the GUI thread's own work for the key(s)
                _wait(app, lambda: watch.painted_at is not None, 30 + 2 * expected.after_s / time_scale,
                      f"the caller's reply to {question}")
                painted, inserted = watch.painted_at, watch.inserted_at
                assert painted is not None and inserted is not None
                said = store.state.calls[call_id].get("caller_said") or []
                stamped = parse_ts(next(e["at"] for e in reversed(said) if e["zh"] == expected.zh)).timestamp()
                total = painted - start
                scripted = expected.after_s / time_scale
                samples.append({"kind": kind, "question": question, "total_s": total, "scripted_s": scripted,
                                "system_s": total - scripted, "row_added_s": inserted - start,
                                "key_handled_s": handled,
                                # the question's command (the first one the key sent) acked at the seat
                                "command_ack_s": acked[0] - start if acked and acked[0] < painted else None,
                                # this process's wall clock at the paint vs the server's stamp (one machine)
                                "stamp_to_paint_s": time.time() - (time.perf_counter() - painted) - stamped})
                for other, key in answered().items():
                    if other in known or other == question:
                        continue
                    for line in voice.asked(other, key):  # the seat answered it (a carried step): the caller speaks
                        wait_said(line.zh, 0, 30 + 2 * line.after_s / time_scale, f"the caller's reply to {other}")

            asked = 0
            while asked < questions:
                session = window.triage.session
                question = session.current if session is not None else None
                if question is None:
                    break
                scripted = scripted_call.caller.answers.get(question.id)
                keys = [a.key for a in question.answers]
                key = scripted.answer if scripted is not None and scripted.answer in keys else keys[0]
                lines = voice.asked(question.id, key)
                if len(lines) != 1:  # a carried answer (nothing said) or an off-topic line: not one reply
                    raise RuntimeError(f"{question.id}: the caller would say {len(lines)} lines")
                digit = getattr(Qt.Key, f"Key_{keys.index(key) + 1}")
                timed(functools.partial(_press, app, digit, window.triage.answers), lines[0], "answer", question.id)
                asked += 1
            matcher = shipped_matcher()
            for text in TYPED_QUESTIONS:
                match = matcher.match(text, prefer_protocols=call_protocols(store.state, call_id))
                [line] = voice.asked_freely(match.question_id if match else None)

                def ask(text: str = text) -> None:
                    _press(app, Qt.Key.Key_F3, window)
                    panel.ask_box.insert(text)  # typed (an input method commits the words at once)
                    _press(app, Qt.Key.Key_Return, panel.ask_box)

                timed(ask, line, "typed", text)
            _other, other_token = _other_seat(runtime.training)
            bare = _Helper("roundtrip", {"url": runtime.training.url, "token": other_token, "n": ROUND_TRIPS})
            return {"time_scale": time_scale, "call": scripted_call.index, "samples": samples,
                    "bare_ws_ms": bare.result()}
    except StartupFailed as exc:
        raise RuntimeError(f"the seat did not start (exit code {exc.code}); the reason is logged above") from exc


# ---------------------------------------------------------------- helper processes (no Qt)


async def _dispatcher(params: dict[str, Any]) -> None:
    from app.sim.headless import STYLES, play
    from app.sim.scenario import load_scenario

    scenario = load_scenario(Path(params["scenario"]))
    play_task = asyncio.ensure_future(play(scenario, params["url"], {params["seat_id"]: params["token"]},
                                           STYLES["good"], time_scale=params["time_scale"], timeout_s=3600))
    stdin_closed = asyncio.ensure_future(asyncio.to_thread(sys.stdin.read))
    await asyncio.wait([play_task, stdin_closed], return_when=asyncio.FIRST_COMPLETED)
    play_task.cancel()
    await asyncio.gather(play_task, return_exceptions=True)


async def _roundtrip(params: dict[str, Any]) -> dict[str, Any]:
    from app.protocol import new_id
    from bench.client import RawSeat

    seat = await RawSeat.open(params["url"], params["token"])
    try:
        incident_id = new_id()
        await seat.must("incident.create", {"incident_id": incident_id, "address": "测试地址", "patients": 1})
        took = []
        for i in range(params["n"] + 3):
            reply, seconds = await seat.command("incident.update", {"incident_id": incident_id,
                                                                    "description": f"往返测试 {i}"})
            if reply.get("type") != "ack":
                raise RuntimeError(f"incident.update refused: {reply}")
            if i >= 3:  # the first ones warm the connection up
                took.append(seconds * 1000)
    finally:
        await seat.close()
    return {"n": len(took), "median_ms": statistics.median(took), "max_ms": max(took)}


def _helper(mode: str) -> int:
    params = json.loads(sys.stdin.readline())
    if mode == "dispatcher":
        asyncio.run(_dispatcher(params))
        print(json.dumps({"stopped": True}))
    else:
        print(json.dumps(asyncio.run(_roundtrip(params))))
    return 0


# ---------------------------------------------------------------- the parent


def _child(mode: str, options: list[str], timeout_s: float = CHILD_TIMEOUT_S) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="dispatch120-bench-training-gui-"))
    try:
        proc = subprocess.run([sys.executable, "-m", "bench.training_gui", "--child", mode, *options],
                              capture_output=True, text=True, timeout=timeout_s, cwd=PROJECT_ROOT,
                              env={**seat_child_env(workdir), "QT_QPA_PLATFORM": "offscreen"})  # always offscreen
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if proc.returncode != 0:
        raise RuntimeError(f"training_gui {mode} child failed ({proc.returncode}): {proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _reply_figures(result: dict[str, Any]) -> dict[str, Any]:
    samples = result["samples"]

    def med(key: str, kind: str | None = None) -> float:
        values = [s[key] * 1000 for s in samples if s[key] is not None and (kind is None or s["kind"] == kind)]
        return statistics.median(values) if values else float("nan")

    bare = result["bare_ws_ms"]["median_ms"]
    return {
        "time_scale": result["time_scale"],
        "replies": len(samples),
        "total_ms": med("total_s"),
        "scripted_ms": med("scripted_s"),
        "system_ms": med("system_s"),
        "system_max_ms": max(s["system_s"] for s in samples) * 1000,
        "system_answer_ms": med("system_s", "answer"),
        "system_typed_ms": med("system_s", "typed"),
        "stamp_to_paint_ms": med("stamp_to_paint_s"),
        "bare_ws_ms": bare,
        "seat_command_ack_ms": med("command_ack_s"),
        "key_handled_ms": med("key_handled_s"),
        "system_over_bare_ws": med("system_s") / bare,
        "samples": samples,
    }


def run(seconds: float = 20.0, *, scenario: str | Path | None = None, time_scale: float = TIME_SCALE,
        reply_scales: tuple[float, ...] = (1.0, 10.0), questions: int = 5) -> dict[str, Any]:
    """Both measurements, each in its own processes. Raises RuntimeError if a child fails."""
    from app.resources import resource_path

    path = Path(scenario) if scenario is not None else resource_path("scenarios", SCENARIO)
    bare_before = _child("bare", ["--seconds", str(seconds)])
    seat = _child("seat", ["--seconds", str(seconds), "--scenario", str(path), "--time-scale", repr(time_scale)])
    bare_after = _child("bare", ["--seconds", str(seconds)])
    bare_p99 = max(bare_before["p99_ms"], bare_after["p99_ms"])  # the noisier floor: the ratio errs low
    replies = [_reply_figures(_child("reply", ["--scenario", str(resource_path("scenarios", SCENARIO)),
                                               "--time-scale", repr(scale), "--questions", str(questions)]))
               for scale in reply_scales]
    return {
        "scenario": path.name,
        "time_scale": time_scale,
        "tick_ms": TICK_MS,
        "seconds": seconds,
        "platform": seat["platform"],
        "bare_before": bare_before,
        "bare_after": bare_after,
        "seat_idle": seat["idle"],
        "seat_busy": seat["busy"],
        "busy_p99_over_bare": seat["busy"]["p99_ms"] / bare_p99 if bare_p99 > 0 else float("inf"),
        "idle_p99_over_bare": seat["idle"]["p99_ms"] / bare_p99 if bare_p99 > 0 else float("inf"),
        "replies": replies,
        "load_average": os.getloadavg(),
    }


def _lateness_line(name: str, f: dict[str, Any]) -> str:
    return (f"  {name:<22} p50 {f['p50_ms']:6.2f}  p99 {f['p99_ms']:7.2f}  max {f['max_ms']:7.1f} ms  "
            f"({f['n']} ticks, CPU {f['cpu_percent']:.0f} %)")


def _deliveries(d: dict[str, Any]) -> str:
    if not d.get("n"):
        return "nothing delivered"
    return (f"{d['n']} deliveries, p99 {d['p99_ms']:.1f} ms, max {d['max_ms']:.1f} ms, "
            f"{d['busy_percent']:.1f} % of the time")


def render(result: dict[str, Any]) -> str:
    busy = result["seat_busy"]
    events = ", ".join(f"{k.removesuffix('_changed')} {v}" for k, v in sorted(busy["events"].items()))
    lines = [
        f"seat in a training run ({result['platform']}): GUI-thread lateness of a {result['tick_ms']} ms timer, "
        f"{result['seconds']:g} s each; load average {', '.join(f'{x:.2f}' for x in result['load_average'])}",
        _lateness_line("bare QMainWindow", result["bare_before"]),
        _lateness_line("bare (after the seat)", result["bare_after"]),
        _lateness_line("seat, no scenario", result["seat_idle"]),
        _lateness_line(f"seat, {result['scenario']} ×{result['time_scale']:g}", busy),
        f"    the seat saw: {events}; calls {busy['calls_seen']}, units out {busy['units_moved']}",
        f"    handling what the server sent (store + widget slots, GUI thread): {_deliveries(busy['deliveries'])}",
        f"  p99 seat under the scenario / bare {result['busy_p99_over_bare']:.2f}; "
        f"seat idle / bare {result['idle_p99_over_bare']:.2f}",
        "question → caller's reply painted in the call panel (medians; scripted = the caller's speaking pause)",
    ]
    for r in result["replies"]:
        lines.append(
            f"  ×{r['time_scale']:<4g} {r['replies']} replies, median of each: total {r['total_ms']:.0f} ms, scripted "
            f"{r['scripted_ms']:.0f} ms, system {r['system_ms']:.0f} ms (max {r['system_max_ms']:.0f}; answered "
            f"steps {r['system_answer_ms']:.0f}, typed {r['system_typed_ms']:.0f})")
        lines.append(
            f"         parts: the key handled on the GUI thread {r['key_handled_ms']:.0f} ms; key → the seat holds "
            f"the ack {r['seat_command_ack_ms']:.0f} ms; reply's server stamp → painted {r['stamp_to_paint_ms']:.0f} ms")
        lines.append(
            f"         baseline: bare websocket command→ack {r['bare_ws_ms']:.1f} ms; "
            f"system / bare websocket {r['system_over_bare_ws']:.1f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.training_gui", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each lateness run (default %(default)g)")
    parser.add_argument("--scenario", type=Path, help=f"the scenario of the lateness run (default {SCENARIO})")
    parser.add_argument("--time-scale", type=float, default=TIME_SCALE)
    parser.add_argument("--questions", type=int, default=5, help="questionnaire steps timed per time scale")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--child", choices=("bare", "seat", "reply"), help=argparse.SUPPRESS)
    parser.add_argument("--helper", choices=("dispatcher", "roundtrip"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.helper:
        return _helper(args.helper)
    if args.child == "bare":
        figures = child_bare(args.seconds)
    elif args.child == "seat":
        figures = child_seat(args.seconds, args.scenario, args.time_scale)
    elif args.child == "reply":
        figures = child_reply(args.scenario, args.time_scale, args.questions)
    else:
        result = run(args.seconds, scenario=args.scenario, time_scale=args.time_scale, questions=args.questions)
        print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else render(result))
        return 0
    print(json.dumps(figures, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
