"""The simulated caller: what the caller says when the trainee asks a protocol question.

Pure: no I/O, no clock. :class:`CallerVoice` turns "the trainee asked question Q" into
the caller's lines (:class:`Utterance`), each with how long after the question it is
heard — the caller's speaking time, ~0.35 s per Chinese character (what ``espeak-ng -v
cmn`` takes to say it), capped — so a seat sees a realistic pause. The simulated switch
(:mod:`app.sim.switch`) schedules them on its scenario clock (``--time-scale`` makes them
faster) and sends them as ``training.caller_say``.

Behaviours (:class:`app.sim.scenario.CallerBehaviour`):

* calm: answers the question asked; an unscripted question gets "I don't know", and so
  does a typed question that means no protocol question (:mod:`app.sim.ask`);
* panicking: before answering, sometimes (seeded: every trainee gets the same run)
  blurts out the answer to another scripted question not asked yet, and speaks faster
  but starts later;
* deaf_texts_only: the same answers, typed (``via="chat"``) and slower;
* no_address: location questions get "I don't know where I am";
* landmark_only: location questions get the landmark;
* hangs_up_calls_back: answers like a calm caller (the hang-up is the script's
  ``abandon_after_s``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from app.sim.scenario import CallerAnswer, CallerBehaviour, ScriptedCall, question_reuses

SECONDS_PER_CHARACTER = 0.35  # espeak-ng cmn, measured: ~0.35 s of audio per character
MAX_SPEAKING_S = 8.0  # a long answer is cut into what the trainee hears first
REACTION_S = 1.0  # a calm caller's pause before answering
PANIC_REACTION_S = 2.5  # a panicking caller takes longer to take the question in
PANIC_OFF_TOPIC = 0.4  # how often a panicking caller answers another question first
TYPING_S_PER_CHARACTER = 0.8  # a deaf caller typing on a phone
MAX_TYPING_S = 30.0
# Questions about where the caller is (case_entry.yaml).
LOCATION_QUESTIONS = frozenset({"location_confirmed"})

DONT_KNOW = CallerAnswer(zh="我不知道……", en="I don't know…")
DONT_KNOW_WHERE = CallerAnswer(zh="我不知道这是哪里，我不认识这个地方……", en="I don't know where I am, I don't know this place…")


@dataclass(frozen=True)
class Utterance:
    """One line the caller says; ``after_s``: scenario seconds after the question was asked."""

    after_s: float
    zh: str
    en: str
    via: str  # "voice" or "chat" (the values of app.protocol.training.CALLER_SAY_VIA)
    question: str | None
    answer: str | None

    def as_args(self, call_id: str) -> dict[str, str]:
        """The ``training.caller_say`` arguments."""
        args = {"call_id": call_id, "zh": self.zh, "en": self.en, "via": self.via}
        if self.question is not None:
            args["question"] = self.question
        if self.answer is not None:
            args["answer"] = self.answer
        return args


def speaking_s(text: str) -> float:
    """How long the caller takes to say ``text`` (capped at :data:`MAX_SPEAKING_S`)."""
    return min(MAX_SPEAKING_S, SECONDS_PER_CHARACTER * len(text))


class CallerVoice:
    """One caller on one call. Not thread-safe.

    Args:
        call: the scripted call (its ``caller``).
        seed: the run's seed; with the call's index it fixes every random choice.
    """

    def __init__(self, call: ScriptedCall, *, seed: int = 0) -> None:
        self.call = call
        self.script = call.caller
        self._rng = random.Random(f"{seed}:{call.index}")
        self._said: set[str] = set()
        self._reuses = question_reuses()

    def asked(self, question_id: str, recorded: str | None = None) -> list[Utterance]:
        """The caller's lines for a question the trainee asks, in the order heard.

        Args:
            question_id: the protocol question.
            recorded: the answer key the trainee recorded, if known. A question the
                caller already answered (itself or the question it reuses) and that was
                recorded as the caller said is a carried answer, not a new question: the
                caller says nothing.
        """
        behaviour = self.script.behaviour
        same = self._reuses.get(question_id, question_id)
        if same in self._said and recorded is not None and recorded == self._scripted(question_id).answer:
            return []
        out: list[Utterance] = []
        start = PANIC_REACTION_S if behaviour == CallerBehaviour.PANICKING else REACTION_S
        if behaviour == CallerBehaviour.PANICKING and self._rng.random() < PANIC_OFF_TOPIC:
            others = [q for q in self.script.answers if q not in (question_id, same) and q not in self._said]
            if others:
                other = self._rng.choice(sorted(others))
                line = self._line(other, self.script.answers[other], start)
                out.append(line)
                start = line.after_s + REACTION_S
        out.append(self._line(question_id, self._answer_to(question_id), start))
        return out

    def asked_freely(self, question_id: str | None) -> list[Utterance]:
        """The caller's lines for a question the trainee typed (``training.ask``).

        Args:
            question_id: the protocol question the typed text means
                (:class:`app.sim.ask.QuestionMatcher`), or None when it means none: the
                caller does not understand and says "I don't know".

        A question already answered is answered again (the trainee asked it again).
        """
        if question_id is not None:
            return self.asked(question_id)
        start = PANIC_REACTION_S if self.script.behaviour == CallerBehaviour.PANICKING else REACTION_S
        return [self._line(None, DONT_KNOW, start)]

    def _scripted(self, question_id: str) -> CallerAnswer:
        """The scripted words for a question, or for the question it reuses; else "I don't know"."""
        same = self._reuses.get(question_id, question_id)
        return self.script.answers.get(question_id) or self.script.answers.get(same) or DONT_KNOW

    def _answer_to(self, question_id: str) -> CallerAnswer:
        behaviour = self.script.behaviour
        if question_id in LOCATION_QUESTIONS:
            if behaviour == CallerBehaviour.NO_ADDRESS:
                return DONT_KNOW_WHERE
            if behaviour == CallerBehaviour.LANDMARK_ONLY and self.script.landmark is not None:
                scripted = self.script.answers.get(question_id)
                return CallerAnswer(zh=self.script.landmark.zh, en=self.script.landmark.en,
                                    answer=scripted.answer if scripted else None)
        return self._scripted(question_id)

    def _line(self, question_id: str | None, said: CallerAnswer, start_s: float) -> Utterance:
        if question_id is not None:
            self._said.add(self._reuses.get(question_id, question_id))
        if self.script.behaviour == CallerBehaviour.DEAF_TEXTS_ONLY:
            took, via = min(MAX_TYPING_S, TYPING_S_PER_CHARACTER * len(said.zh)), "chat"
        else:
            took, via = speaking_s(said.zh), "voice"
        return Utterance(after_s=round(start_s + took, 3), zh=said.zh, en=said.en, via=via,
                         question=question_id, answer=said.answer)
