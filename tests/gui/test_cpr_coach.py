"""The telephone-CPR coach: an accurate metronome, the compression count, time targets, a seat
without sound that keeps coaching visibly, and CPR taught for the cause of the arrest (rescue
breaths first for drowning, children and infants; scene safety before anything else)."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.triage.model import Capability, CprMethod, Determinant, Plan, Text, Urgency
from tests.gui.conftest import SEAT, new_uuid
from widgets.cpr_coach import BREATH_PAUSE_S, CprCoach, Phase
from widgets.metronome import ClickSound, Metronome

pytestmark = pytest.mark.gui


class VirtualTime:
    """The metronome's clock and one-shot timer, moved by the test instead of by real seconds.

    The timer fires when :meth:`run_until` moves the clock past its due time, each wake-up late
    by a seeded random 0.2–4 ms (a busy GUI thread's latency); :meth:`freeze` is the GUI thread
    blocked for a while (a due timer fires only afterwards).
    """

    def __init__(self, *, seed: int = 7) -> None:
        self.t = 5000.0
        self.due: float | None = None
        self._slots: list = []
        self._random = random.Random(seed)
        self.timeout = self  # the metronome connects to ``timer.timeout``

    def __call__(self) -> float:  # the clock
        return self.t

    def connect(self, slot) -> None:
        self._slots.append(slot)

    def start(self, msec: int) -> None:
        self.due = self.t + msec / 1000

    def stop(self) -> None:
        self.due = None

    def freeze(self, seconds: float) -> None:
        self.t += seconds

    def run_until(self, end: float) -> None:
        while self.due is not None and self.due <= end:
            self.t = max(self.t, self.due) + self._random.uniform(0.0002, 0.004)
            self.due = None
            for slot in self._slots:
                slot()
        self.t = max(self.t, end)


@pytest.fixture
def virtual_time() -> VirtualTime:
    return VirtualTime()


def silent_metronome(virtual_time: VirtualTime, rate_per_min: int = 110) -> Metronome:
    return Metronome(rate_per_min=rate_per_min, sound=ClickSound(path=Path("/nonexistent/click.wav")),
                     clock=virtual_time, timer=virtual_time)


def test_the_metronome_beats_on_its_grid_at_110_per_minute_however_late_each_wake_up_is(virtual_time):
    metronome = silent_metronome(virtual_time)
    ticks: list[float] = []
    metronome.ticked.connect(lambda _n, at: ticks.append(at))
    start = virtual_time.t

    metronome.start()
    virtual_time.run_until(start + 10.0)
    metronome.stop()

    period = 60 / 110
    assert len(ticks) == 19  # beats 0..18 fall within 10 s (18 · 0.545 s = 9.82 s)
    lateness = [at - (start + n * period) for n, at in enumerate(ticks)]
    # Never more than 0.5 ms early (an early wake-up within that is beaten, not re-armed), never
    # later than one wake-up's latency: late wake-ups do not add up.
    assert all(-0.0005 <= late < 0.005 for late in lateness), lateness
    rate = (len(ticks) - 1) * 60.0 / (ticks[-1] - ticks[0])
    assert abs(rate - 110) / 110 < 0.001, f"{rate:.3f}/min"


def test_a_gui_thread_blocked_past_some_beats_skips_them_and_never_bunches_the_next_one(virtual_time):
    metronome = silent_metronome(virtual_time, rate_per_min=120)  # a beat every 0.5 s
    ticks: list[float] = []
    metronome.ticked.connect(lambda _n, at: ticks.append(at))
    start = virtual_time.t
    metronome.start()
    virtual_time.run_until(start + 0.6)  # beats at 0 and 0.5 s; the next is due at 1.0 s

    virtual_time.freeze(1.39)  # the GUI thread hangs until just before the 2.0 s beat
    virtual_time.run_until(start + 4.0)
    metronome.stop()

    offsets = [round(at - start, 2) for at in ticks]
    assert offsets[:3] == [0.0, 0.5, 1.99]  # the missed beat comes once, late, when the thread is back
    gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    assert min(gaps) >= 0.25, gaps  # never two clicks in a row
    assert all(abs(at - start - round((at - start) * 2) / 2) < 0.005 for at in ticks[3:])  # back on the grid


def test_the_rate_stays_between_100_and_120_per_minute(virtual_time):
    metronome = silent_metronome(virtual_time)
    assert metronome.rate_per_min == 110
    for _ in range(10):
        metronome.faster()
    assert metronome.rate_per_min == 120
    for _ in range(10):
        metronome.slower()
    assert metronome.rate_per_min == 100


def test_a_seat_without_sound_keeps_the_visible_metronome_and_says_so(virtual_time):
    silent = ClickSound(path=Path("/nonexistent/click.wav"))
    assert not silent.available and "missing" in silent.problem
    metronome = Metronome(sound=silent, clock=virtual_time, timer=virtual_time)
    ticks = []
    metronome.ticked.connect(lambda n, _at: ticks.append(n))
    metronome.start()  # never raises, beats anyway
    virtual_time.run_until(virtual_time.t + 1.0)
    metronome.stop()
    assert ticks == [1, 2]
    assert metronome.audio_problem


def test_a_coach_given_a_metronome_owns_it(seat, qtbot):
    metronome = HandMetronome()
    coach = CprCoach(seat.store, seat.window.runner, seat.window.clock, metronome=metronome)
    qtbot.addWidget(coach)

    assert metronome.parent() is coach  # deleted with the coach, not whenever Python collects it


def test_compressions_are_counted_per_beat_and_the_timers_show_the_targets(seat, qtbot):
    coach = seat.window.triage.coach
    seat.server.ring("c1", "13800138000")
    qtbot.keyClick(seat.window, Qt.Key.Key_F2)
    seat.server.event("call.answered", call_id="c1", seat_id="seat-1", seconds_ago=30)
    call = seat.store.state.calls["c1"]
    coach.begin(None, answered_at=call["answered_at"], recognised_at=seat.server.ts(0))
    coach.show()
    assert "0:30" in coach.recognition_label.text() and coach.recognition_label.property("met") is True

    coach.metronome.set_rate(120)
    coach.start_compressions()
    qtbot.waitUntil(lambda: coach.compressions >= 3, timeout=5000)
    coach.stop_compressions(None)
    assert coach.compressions == coach.metronome.beats
    assert coach.compression_label.property("met") is True
    # No incident: nothing to record, nothing sent.
    assert seat.sync.named("cpr.started") == []


def test_the_script_has_adult_child_and_infant_variants_with_the_aed_step(seat, qtbot):
    coach = seat.window.triage.coach
    coach.begin(None, answered_at=None, recognised_at=None)
    texts = {}
    for variant in ("adult", "child", "infant"):
        coach.set_variant(variant)
        texts[variant] = [coach.steps.item(i).text() for i in range(coach.steps.count())]
    assert texts["adult"] != texts["child"] != texts["infant"]
    assert all(any("AED" in line for line in lines) for lines in texts.values())
    assert any("two fingers" in line for line in texts["infant"])


# ---------------------------------------------------------------- the cause decides how CPR is taught


class HandMetronome(Metronome):
    """The real metronome's signals and rate, beaten by the test: one :meth:`beat` = one compression.

    ``start`` beats at once, like the real one (its first beat is immediate); no timer runs.
    """

    def __init__(self) -> None:
        super().__init__(sound=ClickSound(path=Path("/nonexistent/click.wav")))
        self._hand_running = False
        self.starts = 0

    @property
    def running(self) -> bool:
        return self._hand_running

    def start(self) -> None:
        self.starts += 1
        self.beats = 0
        self._hand_running = True
        self.running_changed.emit(True)
        self.beat()

    def stop(self) -> None:
        if self._hand_running:
            self._hand_running = False
            self.running_changed.emit(False)

    def beat(self, times: int = 1) -> None:
        for _ in range(times):
            if self._hand_running:
                self.beats += 1
                self.last_tick_at = time.monotonic()
                self.ticked.emit(self.beats, self.last_tick_at)


def arrest(method: CprMethod, *safety: tuple[str, str], code: str = "99-D-1") -> Determinant:
    """A determinant with CPR, as a protocol file would give it."""
    plan = Plan("als_emergency", Capability.ALS, Urgency.EMERGENCY, True, (), Text("急救", "ALS"))
    return Determinant(code, 1, plan, True, Text("心脏骤停", "Arrest"), (), (), protocol_id="test",
                       cpr_method=method, safety=tuple(Text(zh, en) for zh, en in safety))


DROWNING = arrest(CprMethod.BREATHS_FIRST, ("不要自己下水。", "Do not go into the water yourself."), code="21-D-1")
LIVE_WIRE = ("电源没断开之前不要碰患者。", "Do not touch the patient until the power is off.")


@pytest.fixture
def coach(seat, qtbot):
    """A coach on its own (English protocol text), driven by a hand-beaten metronome."""
    widget = CprCoach(seat.store, seat.window.runner, seat.window.clock, metronome=HandMetronome(),
                      language=lambda: "en")
    qtbot.addWidget(widget)
    widget.resize(900, 600)
    widget.show()
    widget.setFocus()
    return widget


def started_variants(seat) -> list[str]:
    return [s.args["variant"] for s in seat.sync.named("cpr.started")]


def test_a_drowning_arrest_gets_5_rescue_breaths_first_then_2_breaths_after_every_30_compressions(
        seat, coach, qtbot):
    incident_id = new_uuid()
    coach.begin(incident_id, answered_at=seat.server.ts(40), recognised_at=seat.server.ts(0), determinant=DROWNING)
    coach.confirm_safety()

    assert coach.phase == Phase.RESCUE_BREATHS
    assert "5 rescue breaths" in coach.prompt.text()
    assert seat.sync.named("cpr.started") == []  # no compressions before the breaths
    qtbot.keyClick(coach, Qt.Key.Key_Space)  # the caller gave the 5 breaths
    assert coach.phase == Phase.COMPRESSIONS
    assert started_variants(seat) == ["adult_breaths"]
    assert coach.compressions == 1

    coach.metronome.beat(28)
    assert coach.phase == Phase.COMPRESSIONS and "29 of 30" in coach.prompt.text()
    with qtbot.waitSignal(coach.phase_changed, check_params_cb=lambda p: p == Phase.TWO_BREATHS):
        coach.metronome.beat()
    assert coach.compressions == 30
    assert "2 breaths" in coach.prompt.text()
    assert not coach.metronome.running  # the beat stops while the caller breathes
    coach.metronome.beat(5)  # a stray beat is no compression
    assert coach.compressions == 30

    qtbot.keyClick(coach, Qt.Key.Key_Space)  # pushing again
    assert coach.phase == Phase.COMPRESSIONS and coach.compressions == 31 and coach.since_breaths == 1
    coach.metronome.beat(29)
    assert coach.phase == Phase.TWO_BREATHS and coach.compressions == 60
    coach.stop_compressions("ems_arrived")
    assert seat.sync.named("cpr.stopped")[-1].args["compressions"] == 60


def test_after_the_2_breaths_the_beat_resumes_by_itself_within_the_longest_pause_allowed(seat, qtbot):
    coach = CprCoach(seat.store, seat.window.runner, seat.window.clock, metronome=HandMetronome(),
                     language=lambda: "en", breath_pause_s=0.05)
    qtbot.addWidget(coach)
    coach.begin(new_uuid(), answered_at=None, recognised_at=None, determinant=arrest(CprMethod.CHILD))
    coach.advance()  # breaths given
    coach.metronome.beat(29)
    assert coach.phase == Phase.TWO_BREATHS
    with qtbot.waitSignal(coach.phase_changed, timeout=3000,
                          check_params_cb=lambda p: p == Phase.COMPRESSIONS):
        pass
    assert coach.metronome.running and coach.since_breaths == 1
    assert BREATH_PAUSE_S == 10.0  # ERC 2021: interrupt compressions no longer than 10 s


def test_a_caller_who_cannot_give_breaths_pushes_only_and_the_record_says_so(seat, coach, qtbot):
    coach.begin(new_uuid(), answered_at=None, recognised_at=None, determinant=DROWNING)
    qtbot.keyClick(coach, Qt.Key.Key_Space)  # the scene is safe
    qtbot.keyClick(coach, Qt.Key.Key_H)  # the caller cannot give breaths: compressions start, only
    assert coach.phase == Phase.COMPRESSIONS
    assert started_variants(seat) == ["adult_no_breaths"]
    coach.metronome.beat(45)
    assert coach.phase == Phase.COMPRESSIONS and coach.compressions == 46  # continuous: no pause at 30

    qtbot.keyClick(coach, Qt.Key.Key_B)  # a second bystander can give breaths after all
    assert started_variants(seat) == ["adult_no_breaths", "adult_breaths"]
    coach.metronome.beat(30)
    assert coach.phase == Phase.TWO_BREATHS


def test_a_child_is_taught_child_depth_and_rescue_breaths_and_an_infant_two_fingers_and_4_cm(seat, coach):
    coach.begin(new_uuid(), answered_at=None, recognised_at=None, determinant=arrest(CprMethod.CHILD))
    script = "\n".join(coach.script())
    assert "about 5 cm (one third of the chest)" in script and "5 rescue breaths" in script
    assert "5 to 6 cm" not in script
    assert "5 cm" in coach.depth_label.text() and "child" in coach.depth_label.text()
    assert coach.phase == Phase.RESCUE_BREATHS
    coach.advance()
    assert started_variants(seat) == ["child_breaths"]
    coach.stop_compressions(None)

    coach.begin(new_uuid(), answered_at=None, recognised_at=None, determinant=arrest(CprMethod.INFANT))
    script = "\n".join(coach.script())
    assert "about 4 cm" in script and "mouth and nose" in script and "two fingers" in script
    assert "4 cm" in coach.depth_label.text()

    coach.begin(new_uuid(), answered_at=None, recognised_at=None, determinant=arrest(CprMethod.HANDS_ONLY))
    assert "5–6 cm" in coach.depth_label.text()
    assert not any("rescue breaths" in line for line in coach.script())


def test_an_electrocution_arrest_says_the_safety_step_before_any_compression(seat, coach, qtbot):
    coach.begin(new_uuid(), answered_at=None, recognised_at=None,
                determinant=arrest(CprMethod.HANDS_ONLY, LIVE_WIRE, code="15-D-1"))
    assert coach.phase == Phase.SAFETY
    assert coach.safety_box.isVisible()
    assert "power is off" in coach.safety_steps.text()
    coach.start_compressions()  # not even the API starts compressions on an unsafe scene
    qtbot.keyClick(coach, Qt.Key.Key_H)
    assert seat.sync.named("cpr.started") == [] and not coach.metronome.running

    qtbot.keyClick(coach, Qt.Key.Key_Space)  # the caller says the power is off
    assert coach.phase == Phase.READY
    assert coach.safety_box.isVisible() and coach.safety_box.property("confirmed") is True  # stays on screen
    qtbot.keyClick(coach, Qt.Key.Key_Space)
    assert started_variants(seat) == ["adult"]
    coach.stop_compressions(None)


def test_safety_the_caller_confirmed_in_triage_is_shown_but_not_asked_again(seat, coach, qtbot):
    coach.begin(new_uuid(), answered_at=None, recognised_at=None,
                determinant=arrest(CprMethod.HANDS_ONLY, LIVE_WIRE, code="15-D-1"), scene_confirmed=True)
    assert coach.phase == Phase.READY
    assert coach.safety_box.isVisible() and coach.safety_box.property("confirmed") is True
    assert "power is off" in coach.safety_steps.text()
    qtbot.keyClick(coach, Qt.Key.Key_Space)  # one key: compressions
    assert started_variants(seat) == ["adult"]
    coach.stop_compressions(None)


def test_a_presumed_cardiac_arrest_still_starts_compressions_with_one_key(seat, coach, qtbot):
    coach.begin(new_uuid(), answered_at=None, recognised_at=None, determinant=arrest(CprMethod.HANDS_ONLY))
    assert coach.phase == Phase.READY and not coach.safety_box.isVisible()
    qtbot.keyClick(coach, Qt.Key.Key_Space)
    assert started_variants(seat) == ["adult"]
    coach.metronome.beat(80)
    assert coach.phase == Phase.COMPRESSIONS and coach.compressions == 81  # continuous, no breaths
    coach.stop_compressions(None)


def test_the_determinant_reached_after_recognition_changes_the_method_and_adds_its_safety(seat, coach, qtbot):
    # Case entry recognised the arrest; the protocol reaches its determinant a question later.
    coach.begin(new_uuid(), answered_at=None, recognised_at=None)
    assert coach.method == CprMethod.HANDS_ONLY and coach.phase == Phase.READY
    coach.follow_determinant(DROWNING)
    assert coach.method == CprMethod.BREATHS_FIRST and coach.phase == Phase.SAFETY
    # A/C/I still say the age; the asphyxial cause keeps the breaths for an adult.
    qtbot.keyClick(coach, Qt.Key.Key_C)
    assert coach.method == CprMethod.CHILD
    qtbot.keyClick(coach, Qt.Key.Key_A)
    assert coach.method == CprMethod.BREATHS_FIRST


def test_the_card_for_the_callers_phone_follows_the_method_with_safety_first(seat, coach, qtbot):
    s = seat.server
    incident_id = new_uuid()
    s.ring("c9", "13800138000")
    s.event("incident.created", incident_id=incident_id, call_id="c9", seat_id=SEAT, address=None,
            callback_number=None, description=None, patients=1, priority=1)
    coach.begin(incident_id, answered_at=None, recognised_at=None, determinant=DROWNING)
    assert coach.guidance_cards() == ("scene_safety", "cpr_rescue_breaths")
    assert "no caller link" in coach.cards_label.text()
    qtbot.keyClick(coach, Qt.Key.Key_G)
    assert seat.sync.named("call.guidance_push") == []  # no link: nothing to push to

    s.event("call.link_created", call_id="c9", link_id="L0123456789abcdef", via="read_out",
            expires_at=s.ts(-3600), seat_id=SEAT)
    assert "G sends" in coach.cards_label.text()
    qtbot.keyClick(coach, Qt.Key.Key_G)
    assert [p.args["card_id"] for p in seat.sync.named("call.guidance_push")] == ["scene_safety", "cpr_rescue_breaths"]
    for card_id in ("scene_safety", "cpr_rescue_breaths"):
        s.event("call.guidance_pushed", call_id="c9", card_id=card_id, seat_id=SEAT)
    assert "✓" in coach.cards_label.text()
    qtbot.keyClick(coach, Qt.Key.Key_G)  # already on the phone: not pushed twice
    assert len(seat.sync.named("call.guidance_push")) == 2

    coach.set_variant("infant")
    qtbot.keyClick(coach, Qt.Key.Key_G)
    assert seat.sync.named("call.guidance_push")[-1].args["card_id"] == "cpr_infant"


def test_the_coach_grows_its_text_when_it_becomes_the_largest_panel(seat, coach, qtbot):
    coach.begin(new_uuid(), answered_at=None, recognised_at=None, determinant=DROWNING)
    coach.resize(600, 380)
    qtbot.waitUntil(lambda: coach.size().width() == 600)
    small = coach.prompt.fontInfo().pixelSize(), coach.steps.fontInfo().pixelSize()
    coach.resize(1900, 1000)
    qtbot.waitUntil(lambda: coach.size().width() == 1900)
    large = coach.prompt.fontInfo().pixelSize(), coach.steps.fontInfo().pixelSize()
    assert large[0] >= 2 * small[0] and large[1] >= 2 * small[1]
    assert small[1] >= 12  # still readable in a narrow dock


def _child_arrest_route(doc: dict) -> tuple[list[str], dict]:
    """Answer keys through cardiac_arrest.yaml to a child's determinant: the arrest answer, then at
    each question "child" when offered, else its first answer that stays in the protocol."""
    questions = {q["id"]: q for q in doc["questions"]}
    question, keys = questions[doc["start"]], []
    answer = next(a for a in question["answers"] if a.get("arrest"))
    while True:
        keys.append(answer["key"])
        if answer.get("determinant"):
            return keys, next(d for d in doc["determinants"] if d["code"] == answer["determinant"])
        question = questions[answer["next"]]
        answer = next((a for a in question["answers"] if a["key"] == "child"), None) or next(
            a for a in question["answers"] if a.get("next") or a.get("determinant"))


def _protocols_with_a_child_arrest_on_the_road(tmp_path: Path) -> tuple[Path, list[str]]:
    """resources/protocols copied; the child's cardiac-arrest determinant taught with the child method
    and a scene-safety step. Returns the directory and the answer keys that reach it."""
    import shutil

    import yaml

    from app.triage import DEFAULT_PROTOCOL_DIR

    target = tmp_path / "protocols"
    shutil.copytree(DEFAULT_PROTOCOL_DIR, target)
    path = target / "cardiac_arrest.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    keys, determinant = _child_arrest_route(doc)
    determinant["cpr_method"] = "child"
    determinant["safety"] = [{"zh": "先让孩子离开马路。", "en": "Get the child off the road first."}]
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target, keys


def test_the_coach_follows_the_determinant_the_questions_reach_after_the_arrest_is_recognised(
        qtbot, monkeypatch, tmp_path, request):
    import widgets.questionnaire
    from app.triage import ProtocolLibrary

    directory, keys = _protocols_with_a_child_arrest_on_the_road(tmp_path)
    library = ProtocolLibrary(directory)
    assert library.current is not None, library.problems
    monkeypatch.setattr(widgets.questionnaire, "shared_library", lambda: library)
    seat = request.getfixturevalue("seat")  # built after the patch: the seat loads this protocol set
    panel = seat.window.triage
    seat.server.ring("c1", "13800138000")
    qtbot.keyClick(seat.window, Qt.Key.Key_F2)
    seat.server.event("call.answered", call_id="c1", seat_id=SEAT)
    panel.start_or_show()
    assert panel.choose_complaint("cardiac_arrest")
    assert panel.answer(keys[0])  # not breathing normally: the coach opens before the cause and age are known
    assert panel.pages.currentWidget() is panel.coach
    assert panel.coach.method == CprMethod.HANDS_ONLY and panel.coach.determinant is None

    for key in keys[1:]:
        assert panel.answer(key)
    result = panel.session.result
    assert result is not None and result.cpr_method == CprMethod.CHILD
    assert panel.coach.determinant is result
    assert panel.coach.method == CprMethod.CHILD and panel.coach.phase == Phase.SAFETY
    assert "off the road" in panel.coach.safety_steps.text()
