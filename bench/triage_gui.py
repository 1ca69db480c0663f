"""Triage at the seat: keystrokes and simulated seconds from answering a call to dispatch.

Drives the real seat window offscreen (``MainWindow`` with the questionnaire, the CPR
coach and the unit board) with key events, for vignettes: a cardiac arrest dispatched at
recognition, a stroke, a traffic collision, and arrests by cause (sudden collapse, drowning,
hanging, a child, electric shock, a collision with breathing "not sure") played until the
caller starts compressions or rescue breaths. Commands go through the real domain in-process
(:class:`Loopback`: ``decide`` → events → the seat's store), so the incident, the
answers and the unit assignment are what a server would record.

What is counted: every key event the dispatcher sends from the moment the call is
answered (F2 not counted) until ``unit.assign`` is sent (F8 counted). For the arrests by
cause, ``to_compressions_s`` is the simulated time from answering to the key that starts the
coach's compressions (Space, after the cause-specific determinant: the coach then knows
whether to teach breaths first); the AHA telecommunicator-CPR goal is 90 s, ours 60 s.
``questions_to_priority`` counts the answer keys pressed before the determinant (the priority)
is known. The stroke's follow-up questions for the hospital (blood thinner, seizure at onset)
are answered *after* F8 (``after_dispatch`` keys, not counted in ``keystrokes``): dispatch never
waits for them; ``follow_up_answers_sent`` says they were recorded. Free text (the
address) is not typed. **Simulated seconds** follow a stated model, not a measurement of
people: each answer key costs ``SECONDS_PER_ANSWER`` (asking the question and hearing the
answer, ~4–8 s in published call-audio studies of telephone CPR), every other key
``SECONDS_PER_KEY``. Also timed: protocol load (the ``resources/protocols`` set, cold).

Every call carries the caller's number from the switch, so the callback question is answered
from it, not asked. The arrest, chest-pain, stroke and collision calls also carry a precise
handset fix (GPS ±15 m, 5 s old: ``app.triage.call_facts.precise_fix``), so "awake?" and
"breathing normally?" come before the address; ``cardiac_arrest_no_fix`` and the arrests by
cause have only the switch's location text (address first, as without a handset fix).

Run: ``python -m bench triage_gui`` (or ``python -m bench.triage_gui``; ``DISPATCH120_PROTOCOLS=DIR``
measures a candidate protocol directory). GUI thread only.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

SECONDS_PER_ANSWER = 6.0  # the flat model of earlier runs (kept in the output for comparison)
SECONDS_PER_KEY = 1.0
# The speaking-pace model: the dispatcher reads the question shown aloud at a calm Mandarin
# pace (~4.5 characters/s; conversational Mandarin runs 4-5 syllables/s, one per character),
# the simulated caller (app.sim.caller: reaction 1 s, ~0.35 s per character as espeak-ng cmn
# says it, capped at 8 s) answers with the answer's words, then the dispatcher presses the key.
DISPATCHER_S_PER_CHARACTER = 0.22
KEY_S = 0.5
# Targets for the arrest (AHA telecommunicator CPR, tightened for this seat): seconds from answer.
TARGETS = {"recognised_s": 30.0, "first_compression_s": 60.0, "dispatched_s": 45.0, "keys": 10}
SEAT = "seat-1"


@dataclass
class Loopback:
    """A command sink that is its own server: the real ``decide`` and projection, in-process.

    Every command is validated and decided against a private :class:`State`; its events are
    stamped with the simulated clock and handed to the seat's store as server messages.
    Refusals come back as ``error`` messages, as from a server.
    """

    store: Any
    now: datetime = field(default_factory=lambda: datetime(2026, 11, 27, 3, 20, tzinfo=UTC))
    sent: list[tuple[str, dict]] = field(default_factory=list)

    def __post_init__(self) -> None:
        from app.domain.state import State

        self.state = State()

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def emit(self, name: str, data: dict[str, Any], ref: str | None = None,
             actor: dict[str, str] | None = None, *, deliver: bool = True) -> dict[str, Any]:
        from app.protocol import event, format_ts

        msg = event(seq=self.state.seq + 1, ts=format_ts(self.now), name=name,
                    actor=actor or {"id": "server", "role": "admin"}, ref=ref, data=data)
        self.state.apply(msg)
        if deliver:
            self.store.handle_message(msg)
        return msg

    def _reply(self, messages: list[dict[str, Any]]) -> None:
        """Hand a command's events and ack to the seat on the next turn of the event loop, as a
        server's reply arrives: after ``send_command`` has returned, never inside it. (Delivered
        inside it, the ack came before the unit board marked the unit pending, and the unit
        stayed pending for good: every later F8 on it did nothing.)"""
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, lambda: [self.store.handle_message(m) for m in messages])

    def send_command(self, name: str, args: dict[str, Any], command_id: str | None = None) -> str:
        from app.domain.common import Principal
        from app.domain.decide import decide
        from app.domain.model import Role
        from app.protocol import ProtocolError, ack, command, error

        frame = command(name, args, command_id=command_id)  # raises ProtocolError like the real client
        self.sent.append((name, dict(args)))
        try:
            drafts = decide(self.state, Principal(SEAT, Role.SEAT, "Seat one"), name, frame["args"])
        except ProtocolError as exc:
            self._reply([error(exc.code, exc.message, ref=frame["id"])])
            return frame["id"]
        replies = [self.emit(event_name, data, ref=frame["id"], actor={"id": SEAT, "role": "seat"}, deliver=False)
                   for event_name, data in drafts]
        self._reply([*replies, ack(ref=frame["id"], seq=self.state.seq, events=len(drafts))])
        return frame["id"]

    def registry(self) -> None:
        self.emit("station.registered", {"station_id": "st-1", "name": "南岸急救站", "lat": 29.52, "lon": 106.57})
        for unit_id, call_sign, capability in (("A1", "渝A1", "als"), ("A2", "渝A2", "bls")):
            self.emit("unit.registered", {"unit_id": unit_id, "call_sign": call_sign, "station_id": "st-1",
                                          "capability": capability})
        self.emit("principal.registered", {"principal_id": SEAT, "role": "seat", "name": "Seat one",
                                           "unit_id": None})

    def ring(self, call_id: str, number: str, location_text: str | None = None,
             locations: list[dict[str, Any]] | None = None) -> None:
        from app.protocol import format_ts

        data: dict[str, Any] = {"call_id": call_id, "caller_number": number, "caller_name": None,
                                "location_text": location_text, "line": None}
        if locations:  # fixes taken a few seconds before the call reached the centre
            data["locations"] = [{**fix, "at": format_ts(self.now - timedelta(seconds=5))} for fix in locations]
        self.emit("call.received", data)
        self.emit("call.ringing", {"call_id": call_id, "seat_id": SEAT})


def build_seat(protocol_dir: Path | None = None, language: str | None = None, size=(1600, 900)):
    """A seat window wired to a :class:`Loopback`, shown, logged in, ready. Needs a QApplication."""
    from PySide6.QtWidgets import QApplication

    from app.protocol import welcome
    from app.seat.commands import SeatCommands
    from app.seat.store import ConnectionStatus, Link, SeatStore
    from widgets.clock import SeatClock
    from widgets.main_window import MainWindow

    if protocol_dir is not None:
        import widgets.questionnaire as questionnaire
        from app.triage import ProtocolLibrary

        library = ProtocolLibrary(protocol_dir)
        questionnaire.shared_library = lambda: library  # type: ignore[assignment]
    store = SeatStore()
    loop = Loopback(store)
    loop.registry()
    store.handle_message(welcome(principal={"id": SEAT, "role": "seat", "name": "Seat one", "unit_id": None},
                                 server_seq=loop.state.seq, resume="replay"))
    store.set_connection(ConnectionStatus(Link.ONLINE))
    loop.emit("seat.state_changed", {"seat_id": SEAT, "state": "ready", "reason": None})
    languages = None
    if language:
        from widgets.i18n_runtime import LanguageSwitcher

        languages = LanguageSwitcher()
        languages.set_language(language)
    window = MainWindow(store, SeatCommands(loop), clock=SeatClock(now=lambda: loop.now), languages=languages,
                        confirm_close=False, seat_id=SEAT)
    window.show()  # the first show lays the seat out maximised on its screen (widgets.workspace presets)
    # The bench and the screenshots ask for a size the screen may not have: un-maximise, then take it.
    window.showNormal()
    window.resize(*size)
    QApplication.processEvents()
    return window, store, loop


@dataclass
class Vignette:
    name: str
    keys: list[tuple[str, bool]]  # (key name, is an answer) before F8
    answer_first_until_result: bool = False  # then "1" until the determinant
    compressions: bool = False  # then open the coach (P) if needed and start it (Space) before F8
    after_dispatch: list[tuple[str, bool]] = field(default_factory=list)  # keys after F8 (follow-ups)
    expect: str | None = None  # the determinant the keys must reach (the bench fails otherwise)
    dispatch_first: bool = False  # F8 at recognition, before the coach's compressions
    handset_fix: bool = False  # the call carries a precise handset location (GPS ±15 m)


# The caller's handset fix (AML-like): precise, so the arrest questions come before the address.
HANDSET_FIX = {"source": "gps", "lat": 29.5569, "lon": 106.5772, "accuracy_m": 15.0}


def _key(name: str):
    from PySide6.QtCore import Qt

    if name.startswith("Ctrl+"):
        return getattr(Qt.Key, f"Key_{name[5:]}"), Qt.KeyboardModifier.ControlModifier
    return getattr(Qt.Key, f"Key_{name}"), Qt.KeyboardModifier.NoModifier


VIGNETTES = (
    # Handset fix: awake? no 2, breathing normally? no 2 → arrest; dispatch at recognition, CPR
    # coach running (the address, what happened and the age follow while the caller pushes).
    Vignette("cardiac_arrest", [("2", True), ("2", True)], dispatch_first=True, compressions=True,
             handset_fix=True),
    # No handset fix: address 1, (callback from the switch), sudden collapse 2, awake? no 2,
    # breathing? no 2.
    Vignette("cardiac_arrest_no_fix", [("1", True), ("2", True), ("2", True), ("2", True)],
             dispatch_first=True, compressions=True),
    # Handset fix: awake 1, then the address 1, (callback from the switch), something else 1,
    # adult 3, male 1, not struggling 1 → complaint 2 (chest pain), then "1" until the determinant.
    Vignette("chest_pain", [("1", True), ("1", True), ("1", True), ("3", True), ("1", True),
                            ("1", True), ("2", True)], answer_first_until_result=True, handset_fix=True),
    # Handset fix: awake 1, address 1, "something else" 1, older 4, male 1, not struggling 1 →
    # complaint 4 (stroke): face droops 1, arm weak 1, speech abnormal 1, diabetes no 2, last
    # seen well within 4.5 h 1 → 04-A-3 (priority I). After F8 the follow-ups for the hospital:
    # blood thinner yes 1, seizure at onset no 2.
    Vignette("stroke", [("1", True), ("1", True), ("1", True), ("4", True), ("1", True),
                        ("1", True), ("4", True),
                        ("1", True), ("1", True), ("1", True), ("2", True), ("1", True)],
             after_dispatch=[("1", True), ("2", True)], expect="04-A-3", handset_fix=True),
    Vignette("traffic_collision", [("1", True), ("1", True), ("1", True), ("3", True),
                                   ("1", True), ("1", True), ("7", True)],
             answer_first_until_result=True, handset_fix=True),
)

# Arrests by cause. what_happened: 1 other, 2 sudden collapse, 3 unknown, 4 fitting, 5 choking,
# 6 drowning, 7 hanging, 8 traffic, 9 electric shock, 0 fire/gas. The coach takes over at
# recognition; Escape returns to the last question (the age, which picks the CPR method).
_OPEN = [("1", True)]  # the address (the callback number comes from the switch)
_ARREST = [("2", True), ("2", True), ("Escape", False)]  # conscious: no, breathing: no, back to the age
_SAFE = [("1", True)]  # scene_safe: safe to go near
CAUSE_VIGNETTES = (
    Vignette("arrest_collapse", [*_OPEN, ("2", True), *_ARREST, ("3", True)], compressions=True),
    Vignette("arrest_drowning", [*_OPEN, ("6", True), *_SAFE, *_ARREST, ("1", True)], compressions=True),
    Vignette("arrest_hanging", [*_OPEN, ("7", True), *_ARREST, ("1", True)], compressions=True),
    Vignette("arrest_child", [*_OPEN, ("2", True), *_ARREST, ("4", True)], compressions=True),
    Vignette("arrest_electric", [*_OPEN, ("9", True), *_SAFE, *_ARREST, ("1", True)], compressions=True),
    Vignette("arrest_collision", [*_OPEN, ("8", True), *_SAFE, ("2", True), ("3", True), ("Escape", False),
                                  ("1", True)], compressions=True),
)


def play(vignette: Vignette, window, store, loop, app) -> dict[str, Any]:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    call_id = f"c-{vignette.name}"
    loop.ring(call_id, "13800138000", "渝中区较场口", [HANDSET_FIX] if vignette.handset_fix else None)
    app.processEvents()
    QTest.keyClick(window, Qt.Key.Key_F2)
    app.processEvents()
    start = loop.now
    keys = 0
    to_priority = 0
    panel = window.triage

    flat_s = 0.0  # the same keys under the flat model (SECONDS_PER_ANSWER per answer)
    sent_before = len(loop.sent)  # this call's commands only
    milestones: dict[str, float] = {}

    def spoken_s(name: str) -> float:
        """Seconds of talk before this key under the speaking-pace model."""
        from app.sim.caller import REACTION_S, speaking_s

        session = panel.session
        if panel.pages.currentWidget() is panel.coach and name == "Space":
            # The dispatcher reads the coach's current instruction; the caller does it.
            item = panel.coach.steps.currentItem()
            return DISPATCHER_S_PER_CHARACTER * len(item.text() if item else "") + REACTION_S
        if session is None or session.current is None or not name.isdigit():
            return 0.0
        question = session.current
        number = int(name) or 10
        said = question.answers[number - 1].label.zh if number <= len(question.answers) else ""
        return DISPATCHER_S_PER_CHARACTER * len(question.text.zh) + REACTION_S + speaking_s(said)

    def press(name: str, answer: bool) -> None:
        nonlocal keys, to_priority, flat_s
        if answer and panel.session is not None and panel.session.result is None:
            to_priority += 1
        loop.advance(spoken_s(name) + KEY_S)
        flat_s += SECONDS_PER_ANSWER if answer else SECONDS_PER_KEY
        key, modifier = _key(name)
        target = QApplication.focusWidget() or window
        QTest.keyClick(target, key, modifier)
        app.processEvents()
        keys += 1
        sent = {n for n, _ in loop.sent[sent_before:]}
        for milestone, command_name in (("recognised_s", "triage.arrest_recognised"),
                                        ("first_compression_s", "cpr.started"), ("dispatched_s", "unit.assign")):
            if command_name in sent and milestone not in milestones:
                milestones[milestone] = (loop.now - start).total_seconds()

    for name, answer in vignette.keys:
        press(name, answer)
    guard = 0
    while vignette.answer_first_until_result and panel.session is not None and panel.session.result is None:
        press("1", True)
        guard += 1
        if guard > 30:
            raise RuntimeError(f"{vignette.name}: no determinant after 30 answers")
    result = panel.session.result if panel.session else None
    if vignette.expect is not None and (result is None or result.code != vignette.expect):
        raise RuntimeError(f"{vignette.name}: reached {result.code if result else None}, expected {vignette.expect}")
    to_compressions = None
    if vignette.dispatch_first:
        press("F8", False)
    if vignette.compressions:
        on_coach = panel.pages.currentWidget() is panel.coach  # recognised at case entry: hands-only for now
        if (result is None or not result.cpr) and not on_coach:
            raise RuntimeError(f"{vignette.name}: no CPR determinant ({result.code if result else None})")
        if panel.pages.currentWidget() is not panel.coach:
            press("P", False)
        started_before = sum(1 for name, _ in loop.sent if name == "cpr.started")
        # Space confirms each thing the coach waits for (the scene made safe, the rescue breaths
        # given), then starts the compressions; every press is counted.
        for _ in range(1 + len(panel.coach.safety) + 1):
            press("Space", False)
            if sum(1 for name, _ in loop.sent if name == "cpr.started") > started_before:
                break
        else:
            raise RuntimeError(f"{vignette.name}: Space did not start the coach's compressions")
        to_compressions = (loop.now - start).total_seconds()
    if not vignette.dispatch_first:
        press("F8", False)
    assigned = [args for name, args in loop.sent[sent_before:] if name == "unit.assign"]
    if not assigned:
        raise RuntimeError(f"{vignette.name}: F8 sent no unit.assign (sent: {[n for n, _ in loop.sent][-5:]})")
    seconds = (loop.now - start).total_seconds()
    answers_at_dispatch = sum(1 for name, _ in loop.sent if name == "triage.answer")
    for name, answer in vignette.after_dispatch:
        press(name, answer)
    if panel.session is not None and result is not None and panel.session.result is not result:
        raise RuntimeError(f"{vignette.name}: a follow-up changed the determinant")
    out = {"keystrokes": keys - len(vignette.after_dispatch), "simulated_s": seconds,
           "questions_to_priority": to_priority,
           "follow_up_answers_sent": sum(1 for name, _ in loop.sent if name == "triage.answer") - answers_at_dispatch, "coach": panel.pages.currentWidget() is panel.coach,
           "determinant": result.code if result else None, "priority": result.priority if result else None,
           "answers_sent": answers_at_dispatch,
           "to_compressions_s": to_compressions, "milestones": dict(milestones), "flat_model_s": flat_s,
           "cpr_method": result.cpr_method.value if result and result.cpr_method else None,
           "extra": list(result.plan.extra) if result else [], "safety_steps": len(result.safety) if result else 0}
    # Leave the seat clean for the next vignette.
    panel.coach.stop_compressions(None)
    if window.workspace.on_floor:  # the dispatcher leaves the coach (F11) before the next call
        window.workspace.leave_floor()
    loop.send_command("call.ended", {"call_id": call_id})
    loop.emit("seat.state_changed", {"seat_id": SEAT, "state": "ready", "reason": None})
    for unit_id in ("A1", "A2"):
        unit = loop.state.units[unit_id]
        if unit["status"] != "available":
            loop.emit("unit.status_changed", {"unit_id": unit_id, "status": "available",
                                              "previous": unit["status"], "incident_id": unit["incident_id"],
                                              "version": unit["version"] + 1, "manual": True})
    app.processEvents()
    return out


def run(protocol_dir: Path | None = None) -> dict[str, Any]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from app.triage import DEFAULT_PROTOCOL_DIR, load_protocol_set

    directory = protocol_dir or Path(os.environ.get("DISPATCH120_PROTOCOLS", DEFAULT_PROTOCOL_DIR))
    t0 = time.perf_counter()
    load_protocol_set(directory)
    load_s = time.perf_counter() - t0
    app = QApplication.instance() or QApplication([])
    window, store, loop = build_seat(directory)
    try:
        results = {v.name: play(v, window, store, loop, app) for v in (*VIGNETTES, *CAUSE_VIGNETTES)}
    finally:
        window.close()
    return {"protocol_load_s": load_s, "vignettes": results,
            "targets": dict(TARGETS),
            "model": {"seconds_per_answer": SECONDS_PER_ANSWER, "seconds_per_other_key": SECONDS_PER_KEY,
                      "dispatcher_s_per_character": DISPATCHER_S_PER_CHARACTER, "key_s": KEY_S}}


def render(r: dict[str, Any]) -> str:
    lines = [f"triage at the seat (protocol load {r['protocol_load_s'] * 1000:.0f} ms; model: "
             f"{r['model']['seconds_per_answer']:g} s per answer, {r['model']['seconds_per_other_key']:g} s per key)"]
    arrest = r["vignettes"].get("cardiac_arrest")
    if arrest is not None:
        got = {**arrest["milestones"], "keys": arrest["keystrokes"]}
        lines.append("  arrest targets (speaking pace): " + "; ".join(
            f"{k} {got.get(k, float('nan')):.0f} ≤ {t:g} {'met' if got.get(k, 1e9) <= t else 'NOT met'}"
            for k, t in r["targets"].items()))
    for name, v in r["vignettes"].items():
        m = v.get("milestones") or {}
        lines.append(f"  {name:<18} answer → " + ", ".join(f"{k[:-2]} {m[k]:.0f} s" for k in m)
                     + f" (flat model {v.get('flat_model_s', 0):.0f} s)")
        after = f" after {v['questions_to_priority']} answers" if v["determinant"] else ""
        lines.append(f"  {name:<18} {v['keystrokes']:>3} keys  {v['simulated_s']:>5.0f} s simulated  "
                     f"determinant {v['determinant'] or '—'} priority {v['priority'] or '—'}"
                     f"{after}"
                     f"{'  CPR coach' if v['coach'] else ''}")
        if v.get("follow_up_answers_sent"):
            lines.append(f"  {'':<18} {v['follow_up_answers_sent']} follow-up answer(s) recorded after dispatch")
        if v.get("to_compressions_s") is not None:
            lines.append(f"  {'':<18} compressions start at {v['to_compressions_s']:.0f} s, {v['cpr_method']}, "
                         f"extra [{', '.join(v['extra'])}], {v['safety_steps']} safety step(s)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    print(render(run()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


