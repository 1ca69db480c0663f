"""The simulated caller's voice at the trainee's seat: each spoken reply is heard.

In a training centre the caller's words arrive as ``training.caller_said`` events; the
store appends them to ``call["caller_said"]`` and emits ``call_changed``. This player
listens to that signal and, for the call answered at this seat, speaks every new line
that came ``via`` the phone (``"voice"``); a deaf caller's typed lines (``"chat"``) are
only read, never heard.

Flow, one line at a time, in the order the caller said them:

1. a new line is queued and synthesised off the GUI thread (``app.sim.voice.Synthesiser``
   in this player's own ``QThreadPool``; the result comes back through a queued signal);
2. once the head of the queue has its WAV file (``line_queued``), it is played
   (``line_started``) and the next waits until it has finished — two replies never talk
   over each other;
3. when the call ends (or leaves this seat) what is playing stops and its queued lines
   are dropped.

Language: the seat's language when the line arrives — Chinese words with the Mandarin
voice, or, on a seat running in English, the English translation with the English voice.

Sound: ``QMediaPlayer`` + ``QAudioOutput`` (a WAV file per line, of any length;
``QSoundEffect``, which the metronome uses for its click, loads the whole file up front
and is meant for short effects). Without QtMultimedia or an audio output device
(offscreen, CI, a seat without speakers) each line is still synthesised and queued, then
marked silent; ``silenced`` says why once, and the call panel keeps showing the words.

Only a training seat has a player, and only when the setting ``caller_voice`` allows it:
:func:`caller_voice_for_seat`. GUI thread only; call :meth:`CallerVoicePlayer.shutdown`
before the store goes (it joins the synthesis thread).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QUrl, Signal

from app.protocol.vocabulary import CallState
from app.seat.store import SeatStore
from app.sim.voice import Speech, Synthesiser, Voice, default_cache_dir, voice_for

log = logging.getLogger(__name__)

# Lines kept in :attr:`CallerVoicePlayer.lines` for inspection (a class runs for hours).
MAX_LINES_KEPT = 200
SHUTDOWN_WAIT_MS = 5000  # espeak-ng's own timeout is 10 s; a stuck run is not worth a hung exit


class LineState(StrEnum):
    SYNTHESISING = "synthesising"
    QUEUED = "queued"  # the WAV file is ready; waiting its turn
    PLAYING = "playing"
    PLAYED = "played"
    SILENT = "silent"  # ready, but this seat cannot play sound
    FAILED = "failed"  # espeak-ng missing or failed: only the call panel shows it
    DROPPED = "dropped"  # the call ended first


@dataclass
class CallerLine:
    """One of the caller's spoken lines, as this seat handles it (GUI thread)."""

    call_id: str
    index: int  # position in ``call["caller_said"]``
    text: str
    voice: Voice
    state: LineState = LineState.SYNTHESISING
    wav: Path | None = None
    error: str | None = None


class Speaker(Protocol):
    """Plays one WAV file at a time; ``finished`` is emitted when it ends (or fails)."""

    @property
    def finished(self) -> Any: ...  # a signal without arguments

    problem: str | None

    def play(self, wav: Path) -> bool:
        """Start playing; False (and ``problem`` set) when this seat cannot play sound."""
        ...

    def stop(self) -> None:
        """Stop at once; ``finished`` is not emitted for the line stopped."""
        ...


class MediaSpeaker(QObject):
    """A :class:`Speaker` on QtMultimedia. The player is made on the first line, and only
    when an audio output exists (checked at every line: headphones plugged in later count)."""

    finished = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.problem: str | None = None
        self._player: Any = None
        self._output: Any = None
        self._playing = False

    def play(self, wav: Path) -> bool:
        try:
            from PySide6.QtMultimedia import QAudioOutput, QMediaDevices, QMediaPlayer
        except ImportError as exc:  # e.g. libpulse missing: see tools/setup_system.sh
            self.problem = f"QtMultimedia unavailable: {exc}"
            return False
        try:
            if not QMediaDevices.audioOutputs():
                self.problem = "no audio output device"
                return False
            if self._player is None:
                self._output = QAudioOutput(self)
                self._player = QMediaPlayer(self)
                self._player.setAudioOutput(self._output)
                self._player.mediaStatusChanged.connect(self._on_media_status)
                self._player.errorOccurred.connect(self._on_error)
            self._output.setDevice(QMediaDevices.defaultAudioOutput())
            self._player.setSource(QUrl.fromLocalFile(str(wav)))
            self._playing = True
            self._player.play()
        except Exception as exc:  # a broken audio stack must not take the seat down
            self.problem = f"audio error: {exc}"
            log.exception("the caller's line could not be played")
            self._playing = False
            return False
        self.problem = None
        return True

    def stop(self) -> None:
        self._playing = False
        if self._player is not None:
            self._player.stop()

    def _end(self) -> None:
        if self._playing:
            self._playing = False
            self.finished.emit()

    def _on_media_status(self, status: Any) -> None:
        from PySide6.QtMultimedia import QMediaPlayer

        if status == QMediaPlayer.MediaStatus.EndOfMedia:
            self._end()
        elif status == QMediaPlayer.MediaStatus.InvalidMedia:
            self.problem = "the audio file could not be played"
            self._end()

    def _on_error(self, _error: Any, message: str) -> None:
        self.problem = f"audio error: {message}"
        log.warning("the caller's line stopped: %s", self.problem)
        self._end()


class _Relay(QObject):
    """Carries a finished synthesis from the pool's thread to the GUI thread (queued signal:
    the relay lives in the GUI thread, the runnable emits from its own)."""

    synthesised = Signal(object, object)  # CallerLine, Speech


class _Synthesis(QRunnable):
    def __init__(self, synthesiser: Synthesiser, line: CallerLine, relay: _Relay) -> None:
        super().__init__()
        self._synthesiser = synthesiser
        self._text, self._voice = line.text, line.voice  # read here, never the line's later state
        self._line = line
        self._relay = relay

    def run(self) -> None:
        speech = self._synthesiser.synthesise(self._text, self._voice)
        try:
            self._relay.synthesised.emit(self._line, speech)
        except RuntimeError:  # the player was deleted meanwhile: nobody to hear it
            pass


class CallerVoicePlayer(QObject):
    """Speaks the simulated caller's replies on the call answered at this seat. GUI thread only.

    Args:
        store: the seat's store (its ``call_changed`` and ``state_reset``).
        synthesiser: makes the WAV files (its cache directory is the seat's).
        language: the seat's current language (``"zh_CN"`` or ``"en"``), asked per line.
        speaker: plays the files; default :class:`MediaSpeaker`.

    Signals:
        line_queued(str, str): call id and WAV file of a line ready to be played, in order.
        line_started(str, str): the same, when it starts playing.
        silenced(str): why the caller cannot be heard (emitted once per distinct reason).
    """

    line_queued = Signal(str, str)
    line_started = Signal(str, str)
    silenced = Signal(str)

    def __init__(self, store: SeatStore, synthesiser: Synthesiser, *, language: Callable[[], str],
                 speaker: Speaker | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._synthesiser = synthesiser
        self._language = language
        self._speaker: Speaker = speaker if speaker is not None else MediaSpeaker(self)
        self._speaker.finished.connect(self._on_line_finished)
        self._relay = _Relay(self)
        self._relay.synthesised.connect(self._on_synthesised)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)  # one espeak-ng at a time: lines finish in the order said
        self.lines: deque[CallerLine] = deque(maxlen=MAX_LINES_KEPT)
        self._queue: deque[CallerLine] = deque()
        self._current: CallerLine | None = None
        self._seen: dict[str, int] = {}  # call id -> lines of call["caller_said"] already handled
        self._problems_told: set[str] = set()
        self._closed = False
        self.synthesising = 0  # syntheses started whose result has not come back yet
        self._baseline()  # lines said before the seat started (journal replay) are not spoken
        store.events.call_changed.connect(self._on_call_changed)
        store.events.state_reset.connect(self._on_state_reset)

    # ------------------------------------------------------------ queries
    @property
    def playing(self) -> CallerLine | None:
        return self._current

    def waiting(self) -> list[CallerLine]:
        """Lines waiting their turn (being synthesised or ready), in the order they will play."""
        return list(self._queue)

    # ------------------------------------------------------------ store
    def _baseline(self) -> None:
        self._seen = {cid: len(c.get("caller_said") or ()) for cid, c in self._store.state.calls.items()}

    def _on_state_reset(self) -> None:
        # A snapshot replaces everything: what was said meanwhile is in the call panel; only
        # lines said from now on are spoken.
        self._drop(lambda _line: True)
        self._baseline()

    def _on_call_changed(self, call_id: str) -> None:
        if self._closed:
            return
        call = self._store.state.calls.get(call_id)
        said = (call or {}).get("caller_said") or []
        start = self._seen.get(call_id, 0)
        self._seen[call_id] = len(said)
        on_this_seat = (call is not None and call.get("state") == CallState.ANSWERED
                        and call.get("seat_id") == self._store.seat_id)
        if not on_this_seat:
            self._drop(lambda line: line.call_id == call_id)
            return
        for index in range(start, len(said)):
            entry = said[index]
            if entry.get("via") != "voice":
                continue  # typed by a deaf caller: read in the panel, never heard
            english = self._language() == "en"
            self._enqueue(CallerLine(call_id, index, entry["en"] if english else entry["zh"],
                                     voice_for("en" if english else "zh_CN")))

    # ------------------------------------------------------------ queue
    def _enqueue(self, line: CallerLine) -> None:
        self.lines.append(line)
        self._queue.append(line)
        self.synthesising += 1
        self._pool.start(_Synthesis(self._synthesiser, line, self._relay))

    def _on_synthesised(self, line: CallerLine, speech: Speech) -> None:
        self.synthesising -= 1
        if line.state is not LineState.SYNTHESISING:  # dropped meanwhile
            return
        if speech.wav is None:
            line.state, line.error = LineState.FAILED, speech.error
            self._queue.remove(line)
            self._tell(speech.error or "speech failed")
        else:
            line.state, line.wav = LineState.QUEUED, speech.wav
            self.line_queued.emit(line.call_id, str(speech.wav))
        self._play_next()

    def _play_next(self) -> None:
        while self._current is None and self._queue and self._queue[0].state is LineState.QUEUED:
            line = self._queue.popleft()
            assert line.wav is not None
            if self._speaker.play(line.wav):
                line.state = LineState.PLAYING
                self._current = line
                self.line_started.emit(line.call_id, str(line.wav))
            else:
                line.state = LineState.SILENT
                self._tell(self._speaker.problem or "audio unavailable")

    def _on_line_finished(self) -> None:
        if self._current is not None:
            self._current.state = LineState.PLAYED
            self._current = None
        self._play_next()

    def _drop(self, which: Callable[[CallerLine], bool]) -> None:
        for line in [line for line in self._queue if which(line)]:
            line.state = LineState.DROPPED
            self._queue.remove(line)
        current = self._current
        if current is not None and which(current):
            self._speaker.stop()
            current.state = LineState.DROPPED
            self._current = None
        self._play_next()

    def _tell(self, problem: str) -> None:
        if problem not in self._problems_told:
            self._problems_told.add(problem)
            log.warning("the caller's voice is silent: %s", problem)
            self.silenced.emit(problem)

    # ------------------------------------------------------------ lifetime
    def shutdown(self) -> None:
        """Stop speaking, stop listening, and wait for the synthesis thread (GUI thread)."""
        if self._closed:
            return
        self._closed = True
        self._store.events.call_changed.disconnect(self._on_call_changed)
        self._store.events.state_reset.disconnect(self._on_state_reset)
        self._drop(lambda _line: True)
        self._pool.clear()
        if not self._pool.waitForDone(SHUTDOWN_WAIT_MS):
            log.warning("caller voice: a synthesis still runs after %d ms", SHUTDOWN_WAIT_MS)


def caller_voice_for_seat(store: SeatStore, *, training: bool, enabled: bool, language: Callable[[], str],
                          cache_dir: Path | None = None, speaker: Speaker | None = None,
                          parent: QObject | None = None) -> CallerVoicePlayer | None:
    """The caller's voice for a seat: only a training seat (the one with the TRAINING banner,
    ``--simulate``) whose setting ``caller_voice`` is on gets one; otherwise None."""
    if not training:
        return None
    if not enabled:
        log.info("the caller's voice is off (setting caller_voice = false): replies are only shown")
        return None
    return CallerVoicePlayer(store, Synthesiser(cache_dir or default_cache_dir()), language=language,
                             speaker=speaker, parent=parent)
