"""The telephone-CPR coach: scene safety, the script for the cause, metronome, counter and time targets.

Opens by itself when the case entry recognises a cardiac arrest (the
questionnaire records ``triage.arrest_recognised`` at that moment) and follows
the determinant once the protocol reaches one (:meth:`CprCoach.follow_determinant`):
its ``cpr_method`` says how to teach (ERC 2021 / AHA) and its ``safety`` steps
come before anything else.

The call, as the dispatcher drives it with the keyboard (Space or Enter is
always "the next thing happened"):

1. **Scene safety** (only when the determinant has safety steps: electricity,
   gas, smoke, traffic, water): a framed block at the top the dispatcher reads
   out; Space when the caller says the scene is safe. Compressions cannot start
   before that. The block stays on screen, marked confirmed.
2. **5 rescue breaths** (methods ``breaths_first``, ``child``, ``infant``):
   Space when they are given — compressions start at once, 30 : 2; H when the
   caller cannot or will not — compressions only, recorded as such.
3. **Compressions**: Space (hands-only) starts them; ``cpr.started`` is sent and
   the metronome beats (100–120/min, default 110, + and - to change). Every beat
   is one compression. With breaths, after every 30th beat the metronome stops
   and the coach says "give 2 breaths"; Space (or 10 s, the longest pause ERC
   allows) resumes. H stops the breaths (continuous compressions), B brings them
   back; each change is a new ``cpr.started`` with its variant.

Down/N next script step, Up previous; A/C/I adult/child/infant; G pushes the
first-aid cards for this method (scene safety first) to the caller's phone when
the call has a live caller link; S stops (EMS arrived), R stops (ROSC), O stops
(other); Esc back to the questions.

The ``variant`` recorded in ``cpr.started`` (``app.protocol.triage.CPR_VARIANTS``)
is the patient (``adult``/``child``/``infant``) with ``_breaths`` when the caller
gives rescue breaths (30:2) or ``_no_breaths`` when breaths were coached but not
given; a bare patient means compression-only CPR without breaths being coached.

The two time targets (AHA telecommunicator CPR): answer → recognition within
60 s, answer → first compression within 90 s, shown green within target and
red over it; both run live until the milestone is reached, then freeze on
the server's milestone time once the event is back.

The layout scales with the space it gets (fonts follow the widget's size), so the
coach reads the same in a narrow dock and as the largest panel of a desk.

GUI thread only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.domain.caller_link import arrest_guidance_cards, incident_calls_with_live_link
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
from app.triage.model import CprMethod, Determinant, Text
from widgets.clock import SeatClock
from widgets.command_runner import CommandRunner
from widgets.labels import cpr_method_text, format_elapsed, guidance_card_label
from widgets.metronome import BeatDot, Metronome

log = logging.getLogger(__name__)

CYCLE_S = 120  # swap compressors every two minutes (AHA/ERC)
COMPRESSIONS_PER_BREATHS = 30  # 30 compressions : 2 breaths (ERC 2021 / AHA, lay rescuers, all ages)
RESCUE_BREATHS_FIRST = 5  # initial rescue breaths for drowning/asphyxia, children and infants (ERC 2021)
BREATH_PAUSE_S = 10.0  # ERC: interrupt compressions for breaths no longer than 10 s
VARIANTS = ("adult", "child", "infant")  # the patient; the A/C/I keys
OK_COLOUR = "#009E73"  # Okabe-Ito bluish green
LATE_COLOUR = "#D55E00"  # Okabe-Ito vermillion
SAFETY_COLOUR = "#D55E00"
BREATHS_COLOUR = "#0072B2"  # Okabe-Ito blue

# Depth of compressions per patient (ERC 2021 / AHA): adult 5–6 cm; child and infant one third of the
# chest, about 5 cm and 4 cm.
_PATIENT_OF_METHOD = {
    CprMethod.HANDS_ONLY: "adult",
    CprMethod.BREATHS_FIRST: "adult",
    CprMethod.CHILD: "child",
    CprMethod.INFANT: "infant",
}

# Font sizes (px) at the reference size below; the coach scales them with its own size.
_BASE_FONT_PX = {
    "CprTitle": 16, "CprVariant": 14, "CprPrompt": 22, "CprPromptHint": 13, "CprSteps": 15,
    "CprRate": 16, "CprCount": 16, "CprDepth": 15, "CprCycle": 14, "CprSafetyTitle": 16,
    "CprSafetySteps": 15, "CprRecognitionTime": 13, "CprCompressionTime": 13, "CprCards": 13, "CprAudioNote": 13, "HintLine": 12,
}
_REFERENCE_W, _REFERENCE_H = 720.0, 440.0
_MIN_SCALE, _MAX_SCALE = 0.85, 2.6


class Phase(StrEnum):
    """Where the coached resuscitation is (derived from the coach's state, never stored)."""

    SAFETY = "safety"  # scene-safety steps not confirmed yet: nothing else starts
    RESCUE_BREATHS = "rescue_breaths"  # the 5 initial breaths
    READY = "ready"  # waiting for the caller to start pushing
    COMPRESSIONS = "compressions"  # the metronome beats; every beat is a compression
    TWO_BREATHS = "two_breaths"  # the pause after 30 compressions


def method_for(patient: str, *, asphyxial: bool) -> CprMethod:
    """The method for a patient category (the A/C/I keys): children and infants always get breaths;
    an adult gets them when the cause is asphyxial (drowning, hanging, choking, smothering)."""
    if patient == "child":
        return CprMethod.CHILD
    if patient == "infant":
        return CprMethod.INFANT
    return CprMethod.BREATHS_FIRST if asphyxial else CprMethod.HANDS_ONLY


class CprCoach(QWidget):
    """The coach for one incident. Call :meth:`begin` when an arrest is recognised and
    :meth:`follow_determinant` when the protocol reaches a determinant with CPR.

    Signals:
        leave_requested(): the dispatcher wants the questionnaire back (Esc).
        phase_changed(str): the :class:`Phase` value now shown.
    """

    leave_requested = Signal()
    phase_changed = Signal(str)

    def __init__(self, store: SeatStore, runner: CommandRunner, clock: SeatClock,
                 parent: QWidget | None = None, *, metronome: Metronome | None = None,
                 language: Callable[[], str] | None = None, breath_pause_s: float = BREATH_PAUSE_S) -> None:
        super().__init__(parent)
        self.setObjectName("CprCoach")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._store = store
        self._runner = runner
        self._clock = clock
        self._language = language or (lambda: "zh")
        self.metronome = metronome or Metronome(self)
        if self.metronome.parent() is None:  # the coach owns the metronome it beats with: they die together
            self.metronome.setParent(self)
        self.incident_id: str | None = None
        self.determinant: Determinant | None = None
        self.method = CprMethod.HANDS_ONLY
        self._asphyxial = False  # the determinant's cause calls for breaths even in an adult
        self.compressions = 0
        self.since_breaths = 0  # compressions since the last breaths (30:2)
        self.breaths: bool | None = None  # None: not decided; True: caller gives breaths; False: cannot/will not
        self.safety: tuple[Text, ...] = ()
        self.safety_confirmed = False
        self._compressing = False
        self._pause = False  # the 2-breath pause of 30:2
        self._phase = Phase.READY
        self._started_at: float | None = None  # monotonic, for the cycle timer
        self._answered_at: str | None = None  # protocol ts, fallback when the incident has none yet
        self._recognised_at: str | None = None  # local estimate until the event is back
        self._first_compression_at: str | None = None
        self._audio_note = ""
        self._scale = 0.0
        self._pause_timer = QTimer(self)
        self._pause_timer.setSingleShot(True)
        self._pause_timer.setInterval(max(1, round(breath_pause_s * 1000)))
        self._pause_timer.timeout.connect(self.resume_compressions)

        self._title = QLabel(self)
        self._title.setObjectName("CprTitle")
        self._title.setWordWrap(True)
        self._variant_label = QLabel(self)
        self._variant_label.setObjectName("CprVariant")
        # Scene safety: framed, first, impossible to overlook; stays (marked confirmed) once done.
        self.safety_box = QFrame(self)
        self.safety_box.setObjectName("CprSafety")
        self.safety_title = QLabel(self.safety_box)
        self.safety_title.setObjectName("CprSafetyTitle")
        self.safety_title.setWordWrap(True)
        self.safety_steps = QLabel(self.safety_box)
        self.safety_steps.setObjectName("CprSafetySteps")
        self.safety_steps.setWordWrap(True)
        self.safety_steps.setTextFormat(Qt.TextFormat.PlainText)
        safety_layout = QVBoxLayout(self.safety_box)
        safety_layout.addWidget(self.safety_title)
        safety_layout.addWidget(self.safety_steps)
        # What to say now, big: 5 breaths, push n of 30, 2 breaths.
        self.prompt = QLabel(self)
        self.prompt.setObjectName("CprPrompt")
        self.prompt.setWordWrap(True)
        self.prompt_hint = QLabel(self)
        self.prompt_hint.setObjectName("CprPromptHint")
        self.prompt_hint.setWordWrap(True)
        self.steps = QListWidget(self)
        self.steps.setObjectName("CprSteps")
        self.steps.setWordWrap(True)
        self.steps.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.steps.setMinimumWidth(160)
        # Long steps wrap; a sideways scroll bar would hide the ends of sentences.
        self.steps.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.steps.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        self.dot = BeatDot(self.metronome, self)
        self.rate_label = QLabel(self)
        self.rate_label.setObjectName("CprRate")
        self.count_label = QLabel(self)
        self.count_label.setObjectName("CprCount")
        self.count_label.setWordWrap(True)
        self.depth_label = QLabel(self)
        self.depth_label.setObjectName("CprDepth")
        self.depth_label.setWordWrap(True)
        self.cycle_label = QLabel(self)
        self.cycle_label.setObjectName("CprCycle")
        self.cycle_label.setWordWrap(True)
        self.recognition_label = QLabel(self)
        self.recognition_label.setObjectName("CprRecognitionTime")
        self.recognition_label.setWordWrap(True)
        self.compression_label = QLabel(self)
        self.compression_label.setObjectName("CprCompressionTime")
        self.compression_label.setWordWrap(True)
        self.cards_label = QLabel(self)
        self.cards_label.setObjectName("CprCards")
        self.cards_label.setWordWrap(True)
        self.keys_label = QLabel(self)
        self.keys_label.setObjectName("HintLine")
        self.keys_label.setWordWrap(True)
        self.audio_label = QLabel(self)
        self.audio_label.setObjectName("CprAudioNote")
        self.audio_label.setWordWrap(True)
        for label in (self.recognition_label, self.compression_label, self.cycle_label, self.count_label,
                      self.depth_label, self.rate_label):
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        header = QHBoxLayout()
        header.addWidget(self._title, 1)
        header.addWidget(self._variant_label)
        numbers = QVBoxLayout()
        numbers.addStretch(1)
        for label in (self.rate_label, self.count_label, self.depth_label, self.cycle_label):
            numbers.addWidget(label)
        numbers.addStretch(1)
        side = QFrame(self)
        side.setObjectName("CprSide")
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self.dot, 3)
        side_layout.addLayout(numbers, 2)
        body = QHBoxLayout()
        body.addWidget(self.steps, 3)
        body.addWidget(side, 2)
        timers = QGridLayout()
        timers.addWidget(self.recognition_label, 0, 0)
        timers.addWidget(self.compression_label, 0, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addWidget(self.safety_box)
        layout.addWidget(self.prompt)
        layout.addWidget(self.prompt_hint)
        layout.addLayout(timers)
        layout.addLayout(body, 1)
        layout.addWidget(self.cards_label)
        layout.addWidget(self.audio_label)
        layout.addWidget(self.keys_label)

        self.metronome.ticked.connect(self._on_tick)
        self.metronome.rate_changed.connect(lambda _rate: self._render_numbers())
        self.metronome.audio_problem_found.connect(self._on_audio_problem)
        store.events.incident_changed.connect(self._on_incident_changed)
        store.events.call_changed.connect(self._on_call_changed)
        store.events.caller_link_changed.connect(self._on_caller_link_changed)
        self._apply_scale()
        self.retranslate_ui()

    # ------------------------------------------------------------ what is taught
    @property
    def variant(self) -> str:
        """The patient category: ``adult``, ``child`` or ``infant`` (the A/C/I keys)."""
        return _PATIENT_OF_METHOD[self.method]

    @property
    def breaths_coached(self) -> bool:
        return self.method != CprMethod.HANDS_ONLY

    @property
    def ventilating(self) -> bool:
        """Compressions run 30:2 (the caller gives breaths) rather than continuously."""
        return self.breaths_coached and self.breaths is True

    @property
    def recorded_variant(self) -> str:
        """The ``variant`` of ``cpr.started`` (see the module docstring)."""
        if not self.breaths_coached:
            return self.variant
        return f"{self.variant}_breaths" if self.breaths else f"{self.variant}_no_breaths"

    @property
    def safety_pending(self) -> bool:
        return bool(self.safety) and not self.safety_confirmed

    @property
    def phase(self) -> Phase:
        if self._compressing:
            return Phase.TWO_BREATHS if self._pause else Phase.COMPRESSIONS
        if self.safety_pending:
            return Phase.SAFETY
        if self.breaths_coached and self.breaths is None:
            return Phase.RESCUE_BREATHS
        return Phase.READY

    def guidance_cards(self) -> tuple[str, ...]:
        """The first-aid cards for the caller's phone: scene safety first when there is any."""
        return arrest_guidance_cards(self.method.value, safety=bool(self.safety))

    def depth_text(self) -> str:
        return {
            "adult": self.tr("Depth 5–6 cm (adult)"),
            "child": self.tr("Depth about 5 cm — one third of the chest (child)"),
            "infant": self.tr("Depth about 4 cm — one third of the chest (infant)"),
        }[self.variant]

    def script(self, method: CprMethod | str | None = None) -> list[str]:
        """The instructions for ``method`` (default: the current one), in order
        (AHA 2020 / ERC 2021 dispatcher-assisted CPR). A patient name (``adult``, ``child``,
        ``infant``) is accepted too and taught the way :func:`method_for` says."""
        return [text for _kind, text in self._script_rows(self._as_method(method))]

    def _as_method(self, method: CprMethod | str | None) -> CprMethod:
        if method is None:
            return self.method
        if isinstance(method, CprMethod):
            return method
        if method in VARIANTS:
            return method_for(method, asphyxial=self._asphyxial)
        return CprMethod(method)

    def _script_rows(self, method: CprMethod) -> list[tuple[str, str]]:
        """(kind, text): kind ``breaths`` marks the 5 rescue breaths, ``push`` the compression beat."""
        patient = _PATIENT_OF_METHOD[method]
        rows = [
            ("setup", self.tr("Put the phone on speaker and keep it next to the patient.")),
            ("setup", self.tr("Send someone for the nearest AED (automatic defibrillator) now — "
                              "then come back and tell me when it is here.")),
        ]
        if patient == "infant":
            lay = self.tr("Lay the baby on its back on a firm, flat surface.")
            breaths = self.tr("Keep the baby's head level. Cover the baby's mouth and nose with your mouth and "
                              "give 5 gentle breaths, each just enough to make the chest rise.")
            hands = self.tr("Put two fingers (or both thumbs, hands around the chest) in the centre of the chest, "
                            "just below the nipple line.")
            depth = self.tr("Push down about 4 cm (one third of the chest), then let the chest come all the way up.")
        elif patient == "child":
            lay = self.tr("Lay the child flat on their back on the floor.")
            breaths = self.tr("Tilt the head back and lift the chin. Pinch the nose, seal your mouth over the "
                              "child's mouth and give 5 rescue breaths, each just enough to make the chest rise.")
            hands = self.tr("Put the heel of one hand (or both hands for a big child) in the centre of the chest.")
            depth = self.tr("Push down about 5 cm (one third of the chest), then let the chest come all the way up.")
        else:
            lay = self.tr("Lay the patient flat on their back on the floor; kneel beside the chest.")
            breaths = self.tr("Tilt the head back and lift the chin. Pinch the nose, seal your mouth over theirs "
                              "and give 5 rescue breaths, each about one second, just enough to make the chest rise.")
            hands = self.tr("Put the heel of one hand in the centre of the chest, the other hand on top; "
                            "lock your elbows.")
            depth = self.tr("Push down hard, 5 to 6 cm, then let the chest come all the way up.")
        rows.append(("position", lay))
        if method == CprMethod.HANDS_ONLY:
            rows += [
                ("position", hands),
                ("position", depth),
                ("push", self.tr("Push with my beat and count out loud: one, two, three, four…")),
                ("after", self.tr("Do not stop. If someone else can take over, swap every two minutes "
                                  "without pausing.")),
            ]
        else:
            rows += [
                ("breaths", breaths),
                ("breaths", self.tr("If you cannot or will not give breaths, do not wait: just push, "
                                    "hard and fast, without stopping.")),
                ("position", hands),
                ("position", depth),
                ("push", self.tr("Push with my beat and count out loud up to 30; then give 2 breaths and "
                                 "push again at once.")),
                ("after", self.tr("Keep going: 30 pushes, 2 breaths. If someone else can take over, swap "
                                  "every two minutes.")),
            ]
        rows += [
            ("after", self.tr("When the AED arrives: switch it on and do what it says; keep pushing until it "
                              "tells you to stop.")),
            ("after", self.tr("Keep going until the ambulance crew takes over or the patient wakes up and "
                              "breathes normally.")),
        ]
        return rows

    # ------------------------------------------------------------ control
    def begin(self, incident_id: str | None, *, answered_at: str | None, recognised_at: str | None,
              variant: str = "adult", determinant: Determinant | None = None,
              scene_confirmed: bool = False) -> None:
        """Show the coach for an incident whose arrest was just recognised (at ``recognised_at``).

        ``determinant``: the protocol's result when it is already known (its method and safety
        steps); without one the coach teaches ``variant`` hands-only/for the age until
        :meth:`follow_determinant` is called. ``scene_confirmed``: the caller already said the scene
        is safe during triage, so the safety steps are shown as confirmed, not asked again.
        """
        if incident_id != self.incident_id:
            self.stop_compressions(None)
            self.compressions = 0
            self.since_breaths = 0
            self.breaths = None
            self.safety = ()
            self.safety_confirmed = False
            self.determinant = None
            self._asphyxial = False
            self._first_compression_at = None
        self.incident_id = incident_id
        self._answered_at = answered_at
        self._recognised_at = recognised_at
        if determinant is not None and determinant.cpr:
            self.follow_determinant(determinant, scene_confirmed=scene_confirmed)
        elif self.determinant is None:
            self.set_variant(variant)
        self.refresh()

    def follow_determinant(self, determinant: Determinant, *, scene_confirmed: bool = False) -> None:
        """Teach what ``determinant`` says: its ``cpr_method`` and, first, its ``safety`` steps.

        New safety steps must be confirmed (Space) unless ``scene_confirmed`` (the caller answered
        that the scene is safe during triage); a running coach keeps running and, when the method
        changes, records the new variant.
        """
        if not determinant.cpr:
            return
        if self.determinant is not None and self.determinant.code == determinant.code:
            return
        self.determinant = determinant
        method = determinant.cpr_method or CprMethod.HANDS_ONLY
        self._asphyxial = method == CprMethod.BREATHS_FIRST
        if tuple(determinant.safety) != self.safety:
            self.safety = tuple(determinant.safety)
            self.safety_confirmed = scene_confirmed
            if scene_confirmed and self.safety:
                log.info("CPR coach: scene safety already confirmed in triage for incident %s", self.incident_id)
        self._set_method(method)

    def set_variant(self, variant: str) -> None:
        """A/C/I: the patient is an adult, a child or an infant (the method follows, see :func:`method_for`)."""
        if variant not in VARIANTS:
            return
        self._set_method(method_for(variant, asphyxial=self._asphyxial))

    def _set_method(self, method: CprMethod) -> None:
        changed = method != self.method
        self.method = method
        if not self.breaths_coached:
            self.breaths = None
        elif self._compressing and self.breaths is None:
            self.breaths = False  # compressions already running: breaths only when the caller can (B)
        self._fill_steps()
        if changed and self._compressing:
            if not self.ventilating:
                self._end_pause(restart=True)
            self._send_started()
        self._render()

    def _fill_steps(self) -> None:
        current = max(self.steps.currentRow(), 0)
        self.steps.clear()
        for number, text in enumerate(self.script(), start=1):
            self.steps.addItem(QListWidgetItem(f"{number}. {text}"))
        self.steps.setCurrentRow(min(current, self.steps.count() - 1))

    def _row_of(self, kind: str) -> int:
        for row, (k, _text) in enumerate(self._script_rows(self.method)):
            if k == kind:
                return row
        return 0

    def _go_to_row(self, row: int) -> None:
        """Move the script forward to ``row`` (never back) and keep it in view."""
        self.steps.setCurrentRow(max(self.steps.currentRow(), min(row, self.steps.count() - 1)))
        self._scroll_to_current()
        # Again once the wrapped items have their heights (they may change with this very render).
        QTimer.singleShot(0, self, self._scroll_to_current)

    def _scroll_to_current(self) -> None:
        item = self.steps.currentItem()
        if item is not None:
            self.steps.scrollToItem(item, QListWidget.ScrollHint.PositionAtCenter)

    def next_step(self) -> None:
        self.steps.setCurrentRow(min(self.steps.currentRow() + 1, self.steps.count() - 1))

    def previous_step(self) -> None:
        self.steps.setCurrentRow(max(self.steps.currentRow() - 1, 0))

    @property
    def compressing(self) -> bool:
        """CPR is running (the 2-breath pauses included)."""
        return self._compressing

    def advance(self) -> None:
        """Space/Enter: the next thing happened — the scene is safe, the breaths are given, the caller
        pushes (again)."""
        if self.safety_pending:
            self.confirm_safety()
        elif self.phase == Phase.RESCUE_BREATHS:
            self.breaths = True
            self.start_compressions()
        elif self.phase == Phase.TWO_BREATHS:
            self.resume_compressions()
        elif self.phase == Phase.READY:
            self.start_compressions()

    def confirm_safety(self) -> None:
        """The caller says the scene is safe (power off, out of the gas or smoke, off the road…)."""
        if not self.safety_pending:
            return
        self.safety_confirmed = True
        log.info("CPR coach: scene safety confirmed for incident %s", self.incident_id)
        if self.breaths_coached and self.breaths is None:
            self._go_to_row(self._row_of("breaths"))
        self._render()

    def compressions_only(self) -> None:
        """H: the caller cannot or will not give breaths — continuous compressions (recorded)."""
        if not self.breaths_coached or self.safety_pending:
            return
        self.breaths = False
        if self._compressing:
            self._end_pause(restart=True)
            self._send_started()
            self._render()
        else:
            self.start_compressions()

    def breaths_again(self) -> None:
        """B: the caller can give breaths after all — 30:2 from the next set of 30."""
        if not self.breaths_coached or self.breaths is not False:
            return
        self.breaths = True
        self.since_breaths = 0
        if self._compressing:
            self._send_started()
        self._render()

    def start_compressions(self) -> None:
        """The caller starts pushing: record ``cpr.started`` and start the metronome.

        Refused while scene-safety steps wait for confirmation. For a method with breaths whose initial
        breaths were neither given nor refused, starting means compressions only.
        """
        if self._compressing or self.safety_pending:
            return
        if self.breaths_coached and self.breaths is None:
            self.breaths = False
        self._compressing = True
        self._pause = False
        self.since_breaths = 0
        self._started_at = time.monotonic()
        if self._first_compression_at is None:
            self._first_compression_at = format_ts(self._clock.now())
        self._send_started()
        # The script moves on to "push with my beat".
        self._go_to_row(self._row_of("push"))
        self._render()
        self.metronome.start()  # the first beat is immediate: compression 1

    def resume_compressions(self) -> None:
        """After the 2 breaths (Space, or by itself after :data:`BREATH_PAUSE_S`): push again."""
        if self._compressing and self._pause:
            self._end_pause(restart=True)
            self._render()

    def _end_pause(self, *, restart: bool) -> None:
        self._pause_timer.stop()
        if not self._pause:
            return
        self._pause = False
        self.since_breaths = 0
        if restart and self._compressing:
            self.metronome.start()

    def _send_started(self) -> None:
        if self.incident_id is None:
            return
        self._runner.run(
            self._runner.commands.start_cpr,
            lambda: self.tr("Recording the start of compressions"),
            incident_id=self.incident_id, rate_per_min=self.metronome.rate_per_min, variant=self.recorded_variant,
        )

    def stop_compressions(self, reason: str | None) -> None:
        """Stop the metronome; with a reason (ems_arrived, rosc, other) record ``cpr.stopped``."""
        was = self._compressing
        self._compressing = False
        self._pause = False
        self._pause_timer.stop()
        self.metronome.stop()
        if was and reason is not None and self.incident_id is not None:
            self._runner.run(
                self._runner.commands.stop_cpr,
                lambda: self.tr("Recording the end of compressions"),
                incident_id=self.incident_id, compressions=self.compressions, reason=reason,
            )
        self._render()

    def change_rate(self, step: int) -> None:
        if step > 0:
            self.metronome.faster()
        else:
            self.metronome.slower()
        if self._compressing:
            self._send_started()

    def push_cards(self) -> list[str]:
        """G: push this method's cards (scene safety first) to every call of the incident with a live
        caller link, skipping cards that call already has. Returns the call ids pushed to."""
        state = self._store.state
        pushed_to = []
        for call_id in incident_calls_with_live_link(state, self.incident_id):
            had = {g.get("card_id") for g in (state.calls.get(call_id) or {}).get("guidance") or ()}
            for card_id in self.guidance_cards():
                if card_id in had:
                    continue
                self._runner.run(self._runner.commands.push_guidance, lambda: self.tr("Push guidance card"),
                                 call_id=call_id, card_id=card_id)
            pushed_to.append(call_id)
        self._render_cards()
        return pushed_to

    # ------------------------------------------------------------ keys
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        key = event.key()
        text = event.text().lower()
        if key in (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.advance()
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
        elif text == "h":
            self.compressions_only()
        elif text == "b":
            self.breaths_again()
        elif text == "g":
            self.push_cards()
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

    # ------------------------------------------------------------ events
    def _on_tick(self, _n: int, _at: float) -> None:
        if not self._compressing or self._pause:
            return
        self.compressions += 1
        self.since_breaths += 1
        if self.ventilating and self.since_breaths >= COMPRESSIONS_PER_BREATHS:
            # 30 done: stop the beat so the pause is audible, and resume by key or after 10 s at most.
            self._pause = True
            self.metronome.stop()
            self._pause_timer.start()
            self._render()
            return
        if self.ventilating:
            self.prompt.setText(self._push_text())  # text only: no restyle on every beat
        self._render_numbers()

    def _push_text(self) -> str:
        return self.tr("Push: %1 of %2, then 2 breaths.").replace("%1", str(self.since_breaths)).replace(
            "%2", str(COMPRESSIONS_PER_BREATHS))

    def _on_audio_problem(self, problem: str) -> None:
        log.warning("CPR coach: metronome silent (%s)", problem)
        self._audio_note = problem
        self._render_audio()

    def _on_incident_changed(self, incident_id: str) -> None:
        if incident_id == self.incident_id:
            self.refresh()

    def _on_call_changed(self, call_id: str) -> None:
        call = self._store.state.calls.get(call_id) or {}
        if self.incident_id is not None and call.get("incident_id") == self.incident_id:
            self._render_cards()

    def _on_caller_link_changed(self, link_id: str) -> None:
        # A link opened or revoked changes which calls can be pushed a card.
        link = self._store.state.caller_links.get(link_id) or {}
        self._on_call_changed(link.get("call_id") or "")

    # ------------------------------------------------------------ rendering
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
        self._render_cards()

    def _render(self) -> None:
        self._render_header()
        self._render_safety()
        self._render_prompt()
        self._render_numbers()
        self._render_cards()
        self._render_keys()
        phase = self.phase
        if phase != self._phase:
            self._phase = phase
            self.phase_changed.emit(phase.value)

    def _render_header(self) -> None:
        self._title.setText(self.tr("Telephone CPR — %1").replace("%1", cpr_method_text(self.method.value)))
        self._variant_label.setText(self._variant_text(self.variant))

    def _render_safety(self) -> None:
        if not self.safety:
            self.safety_box.hide()
            return
        lang = self._language()
        self.safety_steps.setText("\n".join(f"• {text.get(lang)}" for text in self.safety))
        if self.safety_confirmed:
            self.safety_title.setText(self.tr("✓ Scene made safe (caller confirmed) — keep it safe:"))
            colour, background = OK_COLOUR, "transparent"
        else:
            self.safety_title.setText(self.tr("⚠ SCENE SAFETY FIRST — say this before the caller touches the "
                                              "patient, then Space when it is safe:"))
            colour, background = SAFETY_COLOUR, "#FFF1E6"
        self.safety_box.setProperty("confirmed", self.safety_confirmed)
        self.safety_box.setStyleSheet(
            f"#CprSafety {{ border: 3px solid {colour}; border-radius: 6px; background: {background}; }}"
            f" #CprSafetyTitle {{ color: {colour}; font-weight: bold; }}"
        )
        self.safety_box.show()

    def _render_prompt(self) -> None:
        phase = self.phase
        colour = ""
        if phase == Phase.SAFETY:
            text = self.tr("Make the scene safe first (above).")
            hint = self.tr("Space: the caller says it is safe. Compressions start only after that.")
            colour = SAFETY_COLOUR
        elif phase == Phase.RESCUE_BREATHS:
            text = self.tr("Give %1 rescue breaths first.").replace("%1", str(RESCUE_BREATHS_FIRST))
            hint = self.tr("Space: breaths given — start pushing (30 : 2) · H: the caller cannot or will not — "
                           "push only")
            colour = BREATHS_COLOUR
        elif phase == Phase.READY:
            text = self.tr("Tell the caller to push now.")
            hint = self.tr("Space when the caller starts pushing.")
        elif phase == Phase.TWO_BREATHS:
            text = self.tr("Give 2 breaths now.")
            hint = self.tr("Space when the caller pushes again (the beat resumes by itself after %1 s).").replace(
                "%1", f"{self._pause_timer.interval() / 1000:g}")
            colour = BREATHS_COLOUR
        elif self.ventilating:
            text = self._push_text()
            hint = self.tr("H: the caller stops giving breaths — push only.")
        else:
            text = self.tr("Push hard and fast — do not stop.")
            hint = (self.tr("B: the caller can give breaths after all — 30 : 2.")
                    if self.breaths_coached else "")
        self.prompt.setText(text)
        self.prompt.setProperty("phase", phase.value)
        self.prompt.setStyleSheet(
            f"#CprPrompt {{ background: {colour}; color: white; font-weight: bold; padding: 4px 8px;"
            " border-radius: 4px; }" if colour else "#CprPrompt { font-weight: bold; padding: 4px 0px; }"
        )
        self.prompt_hint.setText(hint)
        self.prompt_hint.setVisible(bool(hint))

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
        count = self.tr("Compressions: %1").replace("%1", str(self.compressions))
        if self.ventilating and self._compressing:
            count += "  " + self.tr("(%1 of 30)").replace("%1", str(self.since_breaths))
        self.count_label.setText(count)
        self.depth_label.setText(self.depth_text())
        if self._compressing and self._started_at is not None:
            elapsed = time.monotonic() - self._started_at
            cycle, within = divmod(int(elapsed), CYCLE_S)
            text = self.tr("Cycle %1: %2 of 2:00").replace("%1", str(cycle + 1)).replace(
                "%2", format_elapsed(within))
            if within >= CYCLE_S - 10:
                text += "  " + self.tr("— swap rescuers")
        else:
            text = self.tr("Not pushing yet")
        self.cycle_label.setText(text)

    def _render_cards(self) -> None:
        cards = self.guidance_cards()
        names = " + ".join(guidance_card_label(card) for card in cards)
        state = self._store.state
        calls = incident_calls_with_live_link(state, self.incident_id)
        if not calls:
            self.cards_label.setText(self.tr("Caller's phone: no caller link yet (Ctrl+Shift+K sends one); "
                                             "cards to send: %1").replace("%1", names))
            return
        sent = all(
            card in {g.get("card_id") for g in (state.calls.get(call_id) or {}).get("guidance") or ()}
            for call_id in calls for card in cards
        )
        if sent:
            self.cards_label.setText(self.tr("Caller's phone shows: %1 ✓").replace("%1", names))
        else:
            self.cards_label.setText(self.tr("Caller's phone: G sends %1").replace("%1", names))

    def _render_keys(self) -> None:
        keys = [self.tr("Space next (safe · breaths given · pushing)") if (self.safety or self.breaths_coached)
                else self.tr("Space start compressions"),
                self.tr("+/− rate"), self.tr("↓/N next step")]
        if self.breaths_coached:
            keys.append(self.tr("H push only · B breaths again"))
        keys += [self.tr("A/C/I adult/child/infant"), self.tr("G cards to the caller's phone"),
                 self.tr("S crew arrived · R patient breathes · O stop (other)"), self.tr("Esc questions")]
        self.keys_label.setText(" · ".join(keys))

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

    # ------------------------------------------------------------ scale
    def _apply_scale(self) -> None:
        """Fonts follow the coach's size: readable in a narrow dock, large when the coach fills a screen.

        The coach's own style sheet wins over its parents' (Qt uses the closest one), so these sizes
        replace the questionnaire's fixed ones.
        """
        width, height = max(self.width(), 1), max(self.height(), 1)
        scale = min(width / _REFERENCE_W, height / _REFERENCE_H)
        scale = round(max(_MIN_SCALE, min(_MAX_SCALE, scale)) * 20) / 20  # steps of 5 %: no restyle per pixel
        if scale == self._scale:
            return
        self._scale = scale
        rules = [f"#{name} {{ font-size: {round(px * scale)}px; }}" for name, px in _BASE_FONT_PX.items()]
        rules.append("#CprRate, #CprCount, #CprTitle { font-weight: bold; }")
        rules.append(f"#CprSteps::item {{ padding: {round(3 * scale)}px; }}")
        self.setStyleSheet(" ".join(rules))

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self._apply_scale()

    def retranslate_ui(self) -> None:
        self._fill_steps()
        self._render_audio()
        self._render()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate_ui()
        super().changeEvent(event)


def now_ts(clock: SeatClock) -> str:
    """The seat's clock as a protocol timestamp (the ``at`` of ``triage.arrest_recognised``)."""
    moment: datetime = clock.now()
    return format_ts(moment)
