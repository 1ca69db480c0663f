"""The telephone-CPR coach: script, metronome, compression counter and time targets.

Opens by itself when the case entry recognises a cardiac arrest (the
questionnaire records ``triage.arrest_recognised`` at that moment). The
dispatcher reads the script step by step (Down/N next step, Up previous),
chooses the variant (A adult, C child, I infant), and presses Space (or
Enter) when the caller starts pushing: that sends ``cpr.started`` and starts
the metronome (100–120/min, default 110, + and - to change). Every beat is
one compression: the counter counts beats while compressions run; the cycle
timer counts two-minute cycles (swap rescuers if someone can take over).
S stops (EMS arrived), R stops (ROSC: the patient breathes), O stops (other).

The two time targets (AHA telecommunicator CPR): answer → recognition within
60 s, answer → first compression within 90 s, shown green within target and
red over it; both run live until the milestone is reached, then freeze on
the server's milestone time once the event is back.

GUI thread only.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.model import Milestone
from app.domain.triage import (
    FIRST_COMPRESSION_TARGET_S,
    RECOGNITION_TARGET_S,
    TargetTime,
    TriageMilestone,
    seconds_between,
)
from app.protocol import format_ts
from app.seat.store import SeatStore
from widgets.clock import SeatClock
from widgets.command_runner import CommandRunner
from widgets.labels import format_elapsed
from widgets.metronome import BeatDot, Metronome

log = logging.getLogger(__name__)

CYCLE_S = 120  # swap compressors every two minutes (AHA/ERC)
VARIANTS = ("adult", "child", "infant")
OK_COLOUR = "#009E73"  # Okabe-Ito bluish green
LATE_COLOUR = "#D55E00"  # Okabe-Ito vermillion


class CprCoach(QWidget):
    """The coach for one incident. Call :meth:`begin` when an arrest is recognised.

    Signals:
        leave_requested(): the dispatcher wants the questionnaire back (Esc).
    """

    leave_requested = Signal()

    def __init__(self, store: SeatStore, runner: CommandRunner, clock: SeatClock,
                 parent: QWidget | None = None, *, metronome: Metronome | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("CprCoach")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._store = store
        self._runner = runner
        self._clock = clock
        self.metronome = metronome or Metronome(self)
        self.incident_id: str | None = None
        self.variant = "adult"
        self.compressions = 0
        self._compressing = False
        self._started_at: float | None = None  # monotonic, for the cycle timer
        self._answered_at: str | None = None  # protocol ts, fallback when the incident has none yet
        self._recognised_at: str | None = None  # local estimate until the event is back
        self._first_compression_at: str | None = None
        self._audio_note = ""

        self._title = QLabel(self)
        self._title.setObjectName("CprTitle")
        self._variant_label = QLabel(self)
        self._variant_label.setObjectName("CprVariant")
        self.steps = QListWidget(self)
        self.steps.setObjectName("CprSteps")
        self.steps.setWordWrap(True)
        self.steps.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.dot = BeatDot(self.metronome, self)
        self.rate_label = QLabel(self)
        self.rate_label.setObjectName("CprRate")
        self.count_label = QLabel(self)
        self.count_label.setObjectName("CprCount")
        self.cycle_label = QLabel(self)
        self.cycle_label.setObjectName("CprCycle")
        self.recognition_label = QLabel(self)
        self.recognition_label.setObjectName("CprRecognitionTime")
        self.compression_label = QLabel(self)
        self.compression_label.setObjectName("CprCompressionTime")
        self.keys_label = QLabel(self)
        self.keys_label.setObjectName("HintLine")
        self.keys_label.setWordWrap(True)
        self.audio_label = QLabel(self)
        self.audio_label.setObjectName("CprAudioNote")
        self.audio_label.setWordWrap(True)

        header = QHBoxLayout()
        header.addWidget(self._title, 1)
        header.addWidget(self._variant_label)
        beat = QHBoxLayout()
        beat.addWidget(self.dot)
        numbers = QVBoxLayout()
        numbers.addStretch(1)
        numbers.addWidget(self.rate_label)
        numbers.addWidget(self.count_label)
        numbers.addWidget(self.cycle_label)
        numbers.addStretch(1)
        beat.addLayout(numbers, 1)
        side = QFrame(self)
        side.setObjectName("CprSide")
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addLayout(beat, 1)
        body = QHBoxLayout()
        body.addWidget(self.steps, 3)
        body.addWidget(side, 2)
        timers = QGridLayout()
        timers.addWidget(self.recognition_label, 0, 0)
        timers.addWidget(self.compression_label, 0, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addLayout(timers)
        layout.addLayout(body, 1)
        layout.addWidget(self.audio_label)
        layout.addWidget(self.keys_label)

        self.metronome.ticked.connect(self._on_tick)
        self.metronome.rate_changed.connect(lambda _rate: self._render_numbers())
        self.metronome.audio_problem_found.connect(self._on_audio_problem)
        store.events.incident_changed.connect(self._on_incident_changed)
        self.retranslate_ui()

    # ------------------------------------------------------------ script
    def script(self, variant: str) -> list[str]:
        """Hands-only CPR instructions, in order (AHA 2020 / ERC 2021 dispatcher-assisted CPR)."""
        common_start = [
            self.tr("Put the phone on speaker and keep it next to the patient."),
            self.tr("Send someone for the nearest AED (automatic defibrillator) now — "
                    "then come back and tell me when it is here."),
        ]
        if variant == "infant":
            position = [
                self.tr("Lay the baby on its back on a firm, flat surface."),
                self.tr("Put two fingers in the centre of the chest, just below the nipple line."),
                self.tr("Push down about 4 cm (one third of the chest), then let the chest come all the way up."),
            ]
        elif variant == "child":
            position = [
                self.tr("Lay the child flat on their back on the floor."),
                self.tr("Put the heel of one hand (or both hands for a big child) in the centre of the chest."),
                self.tr("Push down about 5 cm (one third of the chest), then let the chest come all the way up."),
            ]
        else:
            position = [
                self.tr("Lay the patient flat on their back on the floor; kneel beside the chest."),
                self.tr("Put the heel of one hand in the centre of the chest, the other hand on top; lock your elbows."),
                self.tr("Push down hard, at least 5 cm, then let the chest come all the way up."),
            ]
        return common_start + position + [
            self.tr("Push with my beat and count out loud: one, two, three, four…"),
            self.tr("Do not stop. If someone else can take over, swap every two minutes without pausing."),
            self.tr("When the AED arrives: switch it on and do what it says; keep pushing until it tells you to stop."),
            self.tr("Keep going until the ambulance crew takes over or the patient wakes up and breathes normally."),
        ]

    # ------------------------------------------------------------ control
    def begin(self, incident_id: str | None, *, answered_at: str | None, recognised_at: str | None,
              variant: str = "adult") -> None:
        """Show the coach for an incident whose arrest was just recognised (at ``recognised_at``)."""
        if incident_id != self.incident_id:
            self.stop_compressions(None)
            self.compressions = 0
            self._first_compression_at = None
        self.incident_id = incident_id
        self._answered_at = answered_at
        self._recognised_at = recognised_at
        self.set_variant(variant)
        self.refresh()

    def set_variant(self, variant: str) -> None:
        if variant not in VARIANTS:
            return
        self.variant = variant
        current = max(self.steps.currentRow(), 0)
        self.steps.clear()
        for number, text in enumerate(self.script(variant), start=1):
            item = QListWidgetItem(f"{number}. {text}")
            self.steps.addItem(item)
        self.steps.setCurrentRow(min(current, self.steps.count() - 1))
        self._variant_label.setText(self._variant_text(variant))
        if self._compressing:
            self._send_started()

    def next_step(self) -> None:
        self.steps.setCurrentRow(min(self.steps.currentRow() + 1, self.steps.count() - 1))

    def previous_step(self) -> None:
        self.steps.setCurrentRow(max(self.steps.currentRow() - 1, 0))

    @property
    def compressing(self) -> bool:
        return self._compressing

    def start_compressions(self) -> None:
        """The caller starts pushing: record ``cpr.started`` and start the metronome."""
        if self._compressing:
            return
        self._compressing = True
        self._started_at = time.monotonic()
        if self._first_compression_at is None:
            self._first_compression_at = format_ts(self._clock.now())
        self.metronome.start()
        self._send_started()
        # The script moves on to "push with my beat".
        self.steps.setCurrentRow(max(self.steps.currentRow(), min(5, self.steps.count() - 1)))
        self.refresh()

    def _send_started(self) -> None:
        if self.incident_id is None:
            return
        self._runner.run(
            "start_cpr",
            purpose=lambda: self.tr("Recording the start of compressions"),
            incident_id=self.incident_id, rate_per_min=self.metronome.rate_per_min, variant=self.variant,
        )

    def stop_compressions(self, reason: str | None) -> None:
        """Stop the metronome; with a reason (ems_arrived, rosc, other) record ``cpr.stopped``."""
        was = self._compressing
        self._compressing = False
        self.metronome.stop()
        if was and reason is not None and self.incident_id is not None:
            self._runner.run(
                "stop_cpr",
                purpose=lambda: self.tr("Recording the end of compressions"),
                incident_id=self.incident_id, compressions=self.compressions, reason=reason,
            )
        self.refresh()

    def change_rate(self, step: int) -> None:
        if step > 0:
            self.metronome.faster()
        else:
            self.metronome.slower()
        if self._compressing:
            self._send_started()

    # ------------------------------------------------------------ keys
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        key = event.key()
        text = event.text().lower()
        if key in (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.start_compressions()
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.change_rate(+1)
        elif key in (Qt.Key.Key_Minus, Qt.Key.Key_Underscore):
            self.change_rate(-1)
        elif key in (Qt.Key.Key_Down, Qt.Key.Key_N):
            self.next_step()
        elif key == Qt.Key.Key_Up:
            self.previous_step()
        elif text == "a":
            self.set_variant("adult")
        elif text == "c":
            self.set_variant("child")
        elif text == "i":
            self.set_variant("infant")
        elif text == "s":
            self.stop_compressions("ems_arrived")
        elif text == "r":
            self.stop_compressions("rosc")
        elif text == "o":
            self.stop_compressions("other")
        elif key == Qt.Key.Key_Escape:
            self.leave_requested.emit()
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    # ------------------------------------------------------------ rendering
    def _on_tick(self, _n: int, _at: float) -> None:
        if self._compressing:
            self.compressions += 1
            self._render_numbers()

    def _on_audio_problem(self, problem: str) -> None:
        log.warning("CPR coach: metronome silent (%s)", problem)
        self._audio_note = problem
        self._render_audio()

    def _on_incident_changed(self, incident: dict[str, Any]) -> None:
        if incident.get("incident_id") == self.incident_id:
            self.refresh()

    def _milestones(self) -> dict[str, str]:
        incident = self._store.state.incidents.get(self.incident_id or "")
        return dict((incident or {}).get("milestones") or {})

    def _target(self, milestone: str, local: str | None, target_s: int, now: str) -> tuple[TargetTime, bool]:
        """The time to show and whether it is still running."""
        milestones = self._milestones()
        answered = milestones.get(Milestone.CALL_ANSWERED.value) or self._answered_at
        reached = milestones.get(milestone) or local
        if reached is not None:
            return TargetTime(seconds_between(answered, reached), target_s), False
        return TargetTime(seconds_between(answered, now), target_s), True

    def refresh(self) -> None:
        """Redraw the timers (the main window's one-second tick calls this too)."""
        self._render_numbers()

    def _render_numbers(self) -> None:
        now = format_ts(self._clock.now())
        for label, milestone, local, target_s, text in (
            (self.recognition_label, TriageMilestone.ARREST_RECOGNISED.value, self._recognised_at,
             RECOGNITION_TARGET_S, self.tr("Answer → arrest recognised")),
            (self.compression_label, TriageMilestone.FIRST_COMPRESSION_INSTRUCTION.value,
             self._first_compression_at, FIRST_COMPRESSION_TARGET_S, self.tr("Answer → first compression")),
        ):
            shown, running = self._target(milestone, local, target_s, now)
            value = format_elapsed(shown.seconds)
            state = self.tr("running") if running else ("✓" if shown.met else "✗")
            label.setText(
                self.tr("%1: %2 (target %3) %4").replace("%1", text).replace("%2", value)
                .replace("%3", format_elapsed(target_s)).replace("%4", state)
            )
            colour = "" if shown.met is None else (OK_COLOUR if shown.met else LATE_COLOUR)
            label.setProperty("met", shown.met)
            label.setStyleSheet(f"color: {colour}; font-weight: bold;" if colour else "")
        self.rate_label.setText(self.tr("%1 / min  (+ / −)").replace("%1", str(self.metronome.rate_per_min)))
        self.count_label.setText(self.tr("Compressions: %1").replace("%1", str(self.compressions)))
        if self._compressing and self._started_at is not None:
            elapsed = time.monotonic() - self._started_at
            cycle, within = divmod(int(elapsed), CYCLE_S)
            text = self.tr("Cycle %1: %2 of 2:00").replace("%1", str(cycle + 1)).replace(
                "%2", format_elapsed(within))
            if within >= CYCLE_S - 10:
                text += "  " + self.tr("— swap rescuers")
        else:
            text = self.tr("Not pushing yet — Space when the caller starts")
        self.cycle_label.setText(text)

    def _render_audio(self) -> None:
        if self._audio_note:
            self.audio_label.setText(
                self.tr("No sound on this seat (%1): count the beat aloud from the dot.").replace(
                    "%1", self._audio_note)
            )
            self.audio_label.show()
        else:
            self.audio_label.hide()

    def _variant_text(self, variant: str) -> str:
        return {
            "adult": self.tr("Adult (A)"),
            "child": self.tr("Child 1–puberty (C)"),
            "infant": self.tr("Infant under 1 (I)"),
        }.get(variant, variant)

    def retranslate_ui(self) -> None:
        self._title.setText(self.tr("Telephone CPR — hands only"))
        self.keys_label.setText(
            self.tr("Space start compressions · +/− rate · ↓/N next step · A/C/I adult/child/infant · "
                    "S crew arrived · R patient breathes · O stop (other) · Esc questions")
        )
        if self.steps.count():
            self.set_variant(self.variant)
        else:
            self._variant_label.setText(self._variant_text(self.variant))
        self._render_audio()
        self._render_numbers()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate_ui()
        super().changeEvent(event)


def now_ts(clock: SeatClock) -> str:
    """The seat's clock as a protocol timestamp (the ``at`` of ``triage.arrest_recognised``)."""
    moment: datetime = clock.now()
    return format_ts(moment)
