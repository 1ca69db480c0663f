"""Which protocol question a trainee's typed question means, for the simulated caller.

Pure: no I/O after the protocol set is loaded. A trainee may type a free question to
the caller (``training.ask``) instead of answering the questionnaire; the simulated
caller answers it as the protocol question it resembles most, or says it does not know.

Matching is lexical, in the language the trainee typed, against every protocol
question's text and its answer labels:

* Chinese: character bigrams within runs of Han characters (no word segmenter is
  needed), plus single characters at a lower weight so a two-character query such as
  "醒吗" still finds its question; a few spoken words are mapped onto the protocols'
  own (病人 → 患者), and particles (吗, 呢, 了…) are ignored.
* English: words with a crude suffix strip (breathing, breathes, breathe → breath),
  without a short list of function words.

Each feature is weighted by its inverse document frequency over all questions, so
words every question shares (患者, patient) count little. A question's score is the
weight of the query's features it holds divided by the query's whole weight (how much
of what was typed it explains). Questions of the call's current protocol path are
tried first; the rest only when none of those reaches :data:`MATCH_THRESHOLD`.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from app.triage.model import ProtocolSet

# The share of the query's weight a question must explain to count as what was asked:
# below it the caller says "I don't know". Chosen on the paraphrases in
# tests/unit/test_sim_ask.py: paraphrases of protocol questions score >= 0.44, small
# talk <= 0.26 (one shared word of two, "favourite colour", reaches 0.35).
MATCH_THRESHOLD = 0.4
UNIGRAM_WEIGHT = 0.3  # a single Chinese character says less than a bigram
LABEL_WEIGHT = 0.5  # an answer label ("不呼吸") says what the question is about, less than its text
# Spoken words for a patient or a casualty, mapped onto the protocols' word for them.
ZH_SYNONYMS = {"病人": "患者", "病者": "患者", "伤者": "患者", "伤员": "患者"}
# Particles and pronouns that carry no meaning of their own in a question.
ZH_STOP = frozenset("吗呢吧啊呀嘛的了么是不没有他她它你我们请还在现")
EN_STOP = frozenset(
    "a an the is are was were be been do does did has have had he she it they them his her its their you your "
    "i we me my our of to in on at or and any anyone there this that now still can could will would please "
    "patient person".split()
)
_HAN = re.compile(r"[\u3400-\u9fff]+")
_WORD = re.compile(r"[a-z]+")
# Asides in brackets explain a question ("(occasional gasps do not count)"); they are not what it asks.
_ASIDE = re.compile(r"[(（][^)）]*[)）]")
_SENTENCE = re.compile(r"[。？！?!.；;]+")


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s", "e"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def features(text: str) -> dict[str, float]:
    """The weighted features of a text (Chinese bigrams and characters, English stems)."""
    out: defaultdict[str, float] = defaultdict(float)
    for run in _HAN.findall(text):
        for spoken, written in ZH_SYNONYMS.items():
            run = run.replace(spoken, written)
        for i in range(len(run) - 1):
            pair = run[i : i + 2]
            if pair[0] not in ZH_STOP and pair[1] not in ZH_STOP:
                out["zh2:" + pair] += 1
        for char in run:
            if char not in ZH_STOP:
                out["zh1:" + char] += UNIGRAM_WEIGHT
    for word in _WORD.findall(text.lower()):
        if word not in EN_STOP:
            out["en:" + _stem(word)] += 1
    return dict(out)


@dataclass(frozen=True)
class Match:
    """The protocol question a typed question means, and how much of it the question explains (0-1)."""

    question_id: str
    protocol_id: str
    score: float


@dataclass(frozen=True)
class _Entry:
    protocol_id: str
    question_id: str
    features: dict[str, float]  # feature -> weight in the question (count x idf)
    sentences: tuple[dict[str, float], ...]  # the same, per sentence of the text (no labels, no asides)


class QuestionMatcher:
    """Finds the protocol question a typed text means. Build once per protocol set; thread-safe (read-only)."""

    def __init__(self, protocol_set: ProtocolSet, *, threshold: float = MATCH_THRESHOLD) -> None:
        self.threshold = threshold
        self._entries: list[_Entry] = []
        seen: set[tuple[str, str]] = set()
        found_in: list[tuple[str, str, dict[str, float], list[dict[str, float]]]] = []
        document_frequency: Counter[str] = Counter()
        for protocol in protocol_set.all_protocols():
            for qid, question in protocol.questions.items():
                found = features(f"{question.text.zh} {question.text.en}")
                for answer in question.answers:
                    for key, weight in features(f"{answer.label.zh} {answer.label.en}").items():
                        found[key] = found.get(key, 0.0) + LABEL_WEIGHT * weight
                text_key = (question.text.zh, question.text.en)
                found_in.append((protocol.id, qid, found, _sentences(question.text.zh, question.text.en)))
                if text_key not in seen:  # a question repeated word for word counts once
                    seen.add(text_key)
                    document_frequency.update(found.keys())
        total = len(seen)
        self._idf = {f: math.log((1 + total) / (1 + n)) + 1.0 for f, n in document_frequency.items()}
        self._unknown_idf = math.log(1 + total) + 1.0  # a feature no question has: as rare as can be
        for protocol_id, qid, found, sentences in found_in:
            self._entries.append(_Entry(protocol_id, qid, self._weighted(found),
                                        tuple(self._weighted(s) for s in sentences)))

    def _weighted(self, found: dict[str, float]) -> dict[str, float]:
        return {f: n * self._idf.get(f, self._unknown_idf) for f, n in found.items()}

    def match(self, text: str, *, prefer_protocols: Iterable[str] = ()) -> Match | None:
        """The question ``text`` means, or None when no question explains enough of it.

        Args:
            text: what the trainee typed (Chinese or English).
            prefer_protocols: the protocols of the call's current path (case entry, the
                chief complaint); their questions win when one of them is a match.
        """
        query = features(text)
        weights = {f: n * self._idf.get(f, self._unknown_idf) for f, n in query.items()}
        whole = sum(weights.values())
        if whole <= 0:
            return None
        preferred = set(prefer_protocols)
        best: dict[bool, tuple[tuple[float, float], Match] | None] = {True: None, False: None}
        for entry in self._entries:
            shared = [f for f in weights if f in entry.features]
            score = sum(weights[f] for f in shared) / whole
            if score < self.threshold:
                continue
            # Between questions that explain the query as well, the one with a sentence the
            # query says most of wins: "他还有呼吸吗" is "患者呼吸正常吗？", not "患者说话、
            # 呼吸费力吗？" (struggling to breathe) nor the chief complaint's list of answers.
            rank = (round(score, 3), max((_share(sentence, weights) for sentence in entry.sentences), default=0.0))
            tier = entry.protocol_id in preferred
            current = best[tier]
            if current is None or rank > current[0]:
                best[tier] = (rank, Match(entry.question_id, entry.protocol_id, round(score, 3)))
        found = best[True] or best[False]
        return found[1] if found else None


def _sentences(zh: str, en: str) -> list[dict[str, float]]:
    """The features of each sentence of a question's text, asides in brackets left out."""
    out = []
    for text in (zh, en):
        for sentence in _SENTENCE.split(_ASIDE.sub(" ", text)):
            found = features(sentence)
            if found:
                out.append(found)
    return out


def _share(sentence: dict[str, float], query: dict[str, float]) -> float:
    """How much of a sentence's weight the query holds."""
    whole = sum(sentence.values())
    return sum(w for f, w in sentence.items() if f in query) / whole if whole else 0.0


@functools.cache
def shipped_matcher() -> QuestionMatcher:
    """The matcher over the shipped protocols (``resources/protocols``), built once (~75 ms with the protocols' loading; a match ~0.5 ms)."""
    from app.triage import DEFAULT_PROTOCOL_DIR, load_protocol_set

    return QuestionMatcher(load_protocol_set(DEFAULT_PROTOCOL_DIR))
