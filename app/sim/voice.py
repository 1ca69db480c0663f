"""The simulated caller's voice: a line of text turned into a WAV file with ``espeak-ng``.

Unlike the rest of :mod:`app.sim`, this runs in the trainee's seat process: the seat
receives the caller's words (``training.caller_said``) and speaks them
(``widgets.caller_voice`` plays the file). No Qt here.

How: ``espeak-ng -v VOICE -s RATE -w FILE -- TEXT`` as a subprocess with an argument
list (never a shell; ``--`` so a line that starts with ``-`` is read as words, not an
option) and a timeout. Files are cached by voice, rate and text (a SHA-256 name) in a
cache directory, so a line heard before costs one ``stat``; a file is written under a
temporary name and renamed into place, so two workers making the same line at once, or
a crash half-way, never leave a truncated file under the final name.

Speaking rate. ``espeak-ng``'s default, 175 "words" per minute, reads Mandarin at
~0.37 s per character (a 14-character line with two commas: 5.2 s) — about 2.3
syllables per second, a dictation pace. A caller on the phone talks at 4–5 syllables
per second (everyday Mandarin; a panicking caller faster). Measured on this voice
(espeak-ng 1.51, ``cmn``, same line): 220 → 4.0 s, 260 → 3.4 s, 300 → 2.9 s. 260 gives
~3.5 syllables per second including the pauses at commas (~4 between them): the slow
end of conversation, kept there because the synthetic voice loses clarity sooner than a
human one and the trainee must understand every word. English stays at espeak-ng's
175 words per minute, already an ordinary conversational pace (150–180).

Failures never raise: a missing ``espeak-ng``, a voice it does not have, a timeout or
a non-zero exit give a :class:`Speech` with ``error`` set (and one clear log line), so a
seat without speech keeps showing the caller's words in the call panel.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
import threading
import wave
from dataclasses import dataclass
from pathlib import Path

import platformdirs

log = logging.getLogger(__name__)

ESPEAK = "espeak-ng"
TIMEOUT_S = 10.0  # a 500-character line takes ~0.1 s here; 10 s means espeak-ng is stuck
# Longest line spoken (the wire allows 500 characters, app.protocol.training.CALLER_SAY_MAX).
MAX_CHARS = 500


@dataclass(frozen=True)
class Voice:
    """An ``espeak-ng`` voice (``-v``) and its speaking rate in words per minute (``-s``)."""

    name: str
    rate_wpm: int


# By the seat's language (app.settings.LANGUAGES): the caller's Chinese words with the
# Mandarin voice, the English translation with the English one. Rates: see the module doc.
VOICES: dict[str, Voice] = {
    "zh_CN": Voice("cmn", 260),
    "en": Voice("en", 175),
}


def voice_for(language: str) -> Voice:
    """The voice for a seat language (``"zh_CN"`` or ``"en"``); anything else is Chinese."""
    return VOICES.get(language, VOICES["zh_CN"])


@dataclass(frozen=True)
class Speech:
    """The result of :meth:`Synthesiser.synthesise`: a WAV file, or why there is none."""

    text: str
    voice: Voice
    wav: Path | None = None
    cached: bool = False  # the file was already there: espeak-ng did not run
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.wav is not None


def default_cache_dir() -> Path:
    """Where the seat keeps its synthesised lines: ``user_cache_dir("dispatch120")/caller-voice``."""
    return Path(platformdirs.user_cache_dir("dispatch120", appauthor=False)) / "caller-voice"


def wav_duration_s(path: Path) -> float:
    """Length of a PCM WAV file in seconds. Raises ``wave.Error``/``OSError`` on a bad file."""
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / float(wav.getframerate())


def _clean(text: str) -> str:
    # Control characters (a NUL would make the argument list invalid) become spaces.
    spoken = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(spoken.split())[:MAX_CHARS]


class Synthesiser:
    """Makes WAV files of lines with ``espeak-ng``. Thread-safe: call it from worker threads.

    Args:
        cache_dir: where the files go (created on first use); :func:`default_cache_dir` for a seat.
        executable: the ``espeak-ng`` program (a name looked up on ``PATH``, or a path).
        timeout_s: an ``espeak-ng`` run taking longer is killed and reported as an error.
    """

    def __init__(self, cache_dir: Path, *, executable: str = ESPEAK, timeout_s: float = TIMEOUT_S) -> None:
        self.cache_dir = Path(cache_dir)
        self.executable = executable
        self.timeout_s = timeout_s
        self.runs = 0  # espeak-ng processes started (a cached line starts none)
        self._lock = threading.Lock()
        self._missing_logged = False

    def cache_path(self, text: str, voice: Voice) -> Path:
        """The file a line is (or will be) cached in."""
        key = f"{voice.name}\0{voice.rate_wpm}\0{_clean(text)}".encode()
        return self.cache_dir / f"{voice.name}-{hashlib.sha256(key).hexdigest()[:32]}.wav"

    def synthesise(self, text: str, voice: Voice) -> Speech:
        """A WAV file of ``text`` spoken with ``voice``: from the cache, else made now.

        Blocks for the ``espeak-ng`` run (tens of milliseconds for a caller's line): call it
        off the GUI thread. Never raises; a failure is in ``Speech.error`` (and logged).
        """
        spoken = _clean(text)
        if not spoken:
            return Speech(text, voice, error="nothing to say")
        target = self.cache_path(spoken, voice)
        if target.is_file() and target.stat().st_size > 44:  # more than a bare WAV header
            return Speech(text, voice, wav=target, cached=True)
        program = shutil.which(self.executable)
        if program is None:
            missing = f"{self.executable} not found: install the espeak-ng package to hear the caller"
            with self._lock:
                if not self._missing_logged:
                    log.warning("the caller's voice is silent: %s", missing)
                    self._missing_logged = True
            return Speech(text, voice, error=missing)
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=".part-", suffix=".wav", dir=self.cache_dir)
            os.close(fd)
        except OSError as exc:
            log.warning("the caller's voice is silent: cache directory %s unusable: %s", self.cache_dir, exc)
            return Speech(text, voice, error=f"cache directory {self.cache_dir} unusable: {exc}")
        tmp = Path(tmp_name)
        argv = [program, "-v", voice.name, "-s", str(voice.rate_wpm), "-w", str(tmp), "--", spoken]
        with self._lock:
            self.runs += 1
        error: str | None = None
        try:
            done = subprocess.run(argv, capture_output=True, timeout=self.timeout_s, check=False)
            if done.returncode != 0:
                error = (f"{self.executable} -v {voice.name} failed (exit {done.returncode}): "
                         f"{done.stderr.decode(errors='replace').strip()[:300]}")
            elif tmp.stat().st_size <= 44:
                error = f"{self.executable} -v {voice.name} wrote no audio"
        except subprocess.TimeoutExpired:
            error = f"{self.executable} took longer than {self.timeout_s:g} s"
        except OSError as exc:
            error = f"{self.executable} could not run: {exc}"
        if error is not None:
            log.warning("the caller's line was not spoken: %s", error)
            tmp.unlink(missing_ok=True)
            return Speech(text, voice, error=error)
        os.replace(tmp, target)
        return Speech(text, voice, wav=target)
