"""Training: the trainee hears the simulated caller. Each spoken reply is synthesised with
espeak-ng off the GUI thread and played in turn; a deaf caller's texts are only read; the
voice stops when the call ends; only a training seat with the setting on speaks."""

from __future__ import annotations

import shutil

import pytest
from PySide6.QtCore import QObject, Signal

from app.sim.voice import wav_duration_s
from tests.gui.conftest import OTHER_SEAT, SEAT
from widgets.caller_voice import CallerVoicePlayer, LineState, MediaSpeaker, caller_voice_for_seat

pytestmark = [pytest.mark.gui,
              pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")]

NOT_BREATHING = ("没有，胸口不动", "No, his chest isn't moving")
AT_THE_GATE = ("我在小区北门", "I'm at the north gate of the estate")
DEAF_TEXT = ("我听不见，请发短信", "I can't hear, please text")


class FakeSpeaker(QObject):
    """A speaker the test ends by hand: what a trainee's headset would do, line by line."""

    finished = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.problem: str | None = None
        self.played: list[str] = []
        self.stopped = 0

    def play(self, wav) -> bool:
        self.played.append(str(wav))
        return True

    def stop(self) -> None:
        self.stopped += 1

    def end_of_line(self) -> None:
        self.finished.emit()


def answer_call(seat, call_id: str = "c1", seat_id: str = SEAT) -> None:
    seat.server.ring(call_id, "13800000001", seat_id=seat_id)
    seat.server.event("call.answered", call_id=call_id, seat_id=seat_id)


def caller_says(seat, words: tuple[str, str], *, via: str = "voice", call_id: str = "c1") -> None:
    zh, en = words
    seat.server.event("training.caller_said", call_id=call_id, zh=zh, en=en, via=via)


@pytest.fixture
def voice_of(seat, tmp_path):
    """Makes the seat's caller voice (as the composition root does in training) and shuts it down."""
    made: list[CallerVoicePlayer] = []

    def make(*, speaker=None, language="zh_CN") -> CallerVoicePlayer:
        player = caller_voice_for_seat(seat.store, training=True, enabled=True, language=lambda: language,
                                       cache_dir=tmp_path / "voice-cache", speaker=speaker)
        assert player is not None
        made.append(player)
        return player

    yield make
    for player in made:
        player.shutdown()


def test_the_callers_reply_is_synthesised_and_queued_but_a_deaf_callers_text_is_not(seat, voice_of, qtbot):
    player = voice_of()  # the real QtMultimedia speaker: offscreen there may be no audio device
    answer_call(seat)

    with qtbot.waitSignal(player.line_queued) as queued:
        caller_says(seat, NOT_BREATHING)
    call_id, wav = queued.args
    assert call_id == "c1"
    assert 1.0 < wav_duration_s(wav) < 4.0  # seven syllables said at a caller's pace

    caller_says(seat, DEAF_TEXT, via="chat")  # typed: shown, never spoken
    with qtbot.waitSignal(player.line_queued):
        caller_says(seat, AT_THE_GATE)

    assert [line.text for line in player.lines] == [NOT_BREATHING[0], AT_THE_GATE[0]]
    assert all(line.wav is not None and line.voice.name == "cmn" for line in player.lines)
    assert any(DEAF_TEXT[0] in text for text in seat.window.call_panel.caller_lines())
    speaker = player.findChild(MediaSpeaker)
    if speaker.problem == "no audio output device":  # this machine cannot play: said once, shown silent
        assert {line.state for line in player.lines} == {LineState.SILENT}
    else:
        assert player.lines[0].state in (LineState.PLAYING, LineState.PLAYED)


def test_two_replies_never_talk_over_each_other_and_hanging_up_silences_the_caller(seat, voice_of, qtbot):
    speaker = FakeSpeaker()
    player = voice_of(speaker=speaker)
    answer_call(seat)

    caller_says(seat, NOT_BREATHING)
    caller_says(seat, AT_THE_GATE)
    qtbot.waitUntil(lambda: len(speaker.played) == 1 and player.waiting()
                    and player.waiting()[0].state is LineState.QUEUED)
    assert player.playing.text == NOT_BREATHING[0]
    assert [line.text for line in player.waiting()] == [AT_THE_GATE[0]]  # ready, waiting its turn

    speaker.end_of_line()
    assert len(speaker.played) == 2 and player.playing.text == AT_THE_GATE[0]
    assert player.lines[0].state is LineState.PLAYED

    caller_says(seat, ("快点来", "Please hurry"))
    seat.server.event("call.ended", call_id="c1")  # the trainee hangs up mid-sentence
    assert speaker.stopped == 1
    assert player.playing is None and player.waiting() == []
    assert [line.state for line in player.lines] == [LineState.PLAYED, LineState.DROPPED, LineState.DROPPED]
    # Whatever synthesis was still running, its line stays dropped.
    qtbot.waitUntil(lambda: player.synthesising == 0)
    assert len(speaker.played) == 2


def test_an_english_seat_hears_the_english_words_in_the_english_voice(seat, voice_of, qtbot):
    player = voice_of(speaker=FakeSpeaker(), language="en")
    answer_call(seat)
    with qtbot.waitSignal(player.line_started):
        caller_says(seat, NOT_BREATHING)
    [line] = player.lines
    assert (line.text, line.voice.name) == (NOT_BREATHING[1], "en")


def test_only_the_call_answered_at_this_seat_is_heard_and_old_lines_are_not_repeated(seat, voice_of, qtbot):
    answer_call(seat, "c-other", seat_id=OTHER_SEAT)
    answer_call(seat, "c1")
    caller_says(seat, DEAF_TEXT, via="voice")  # said before the seat's voice started
    speaker = FakeSpeaker()
    player = voice_of(speaker=speaker)

    caller_says(seat, AT_THE_GATE, call_id="c-other")  # another trainee's caller
    with qtbot.waitSignal(player.line_started):
        caller_says(seat, NOT_BREATHING)
    assert [(line.call_id, line.text) for line in player.lines] == [("c1", NOT_BREATHING[0])]


def test_only_a_training_seat_with_the_setting_on_speaks_for_the_caller(seat, tmp_path):
    def make(training: bool, enabled: bool):
        return caller_voice_for_seat(seat.store, training=training, enabled=enabled, language=lambda: "zh_CN",
                                     cache_dir=tmp_path, speaker=FakeSpeaker())

    assert make(training=False, enabled=True) is None  # a live centre: no scripted caller to hear
    assert make(training=True, enabled=False) is None  # the trainer turned it off
    player = make(training=True, enabled=True)
    assert isinstance(player, CallerVoicePlayer)
    player.shutdown()
