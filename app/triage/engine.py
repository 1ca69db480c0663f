"""The questionnaire engine: one call's walk through the case entry and a chief complaint.

Pure logic, no I/O, no clock (the widget records the times). A :class:`TriageSession`
belongs to one thread (the GUI thread in the seat); it only reads its immutable
:class:`~app.triage.model.ProtocolSet`.

How the walk works: the session remembers every answer the dispatcher *gave*, per
protocol, and recomputes the route from the start after each action:

1. the case entry is walked from its ``start`` following the given answers; an answer
   with ``complaint`` continues in that chief complaint (the arrest rule is such an
   answer, marked ``arrest``);
2. a complaint chosen with :meth:`TriageSession.choose_complaint` wins over the case
   entry's own choice, and may be chosen before the case entry is finished (its
   remaining questions are then skipped);
3. in the chief complaint, a question the dispatcher has not answered there takes a
   *carried* answer when one applies: the answer to the question named by its ``reuses``,
   or the answer given to a question with the same id in another protocol (the most
   recent one), provided the key is one of this question's keys. Carried answers are
   followed without asking and appear in :attr:`TriageSession.steps` with ``carried=True``.
   A complaint chosen with :meth:`TriageSession.choose_complaint` counts, for carrying, as
   the answer to the case-entry question that would have chosen it (``chief_complaint``):
   the cardiac-arrest protocol's cause question reuses it, so an arrest reached from the
   drowning or electrocution protocol gets the drowning or electrocution determinant
   however the complaint was chosen.

**What the call already tells.** A session may know two facts of the call
(:class:`CallFacts`, from the phone switch and the location candidates):

* the caller's number (ANI): a case-entry answer marked ``caller_id`` (the callback number
  confirmed) is then taken without asking — a :class:`Step` with ``from_call=True`` — until the
  dispatcher re-asks the question (:meth:`TriageSession.reask`);
* a precise location: the case entry's ``located_first`` questions (awake? breathing
  normally?) are asked before everything else, then the rest in file order, skipping the
  questions already answered. The route (:attr:`TriageSession.steps`) lists them in the order
  asked, and an answer among them marked ``arrest`` recognises the arrest at once. The answers
  are the same answers, so a call reaches the same determinant in either order.

So changing the chief complaint keeps every answer that still applies, and changing it
back restores the answers given there. Every action can be undone with
:meth:`TriageSession.back`.

**Follow-up questions.** A determinant may list ``follow_up`` questions (facts the receiving
hospital needs, asked once the priority is known). When the walk reaches such a determinant,
:attr:`TriageSession.result` is set at once — the dispatcher can send the unit — and
:attr:`TriageSession.follow_up` is the first follow-up still open. The dispatcher answers it
(:meth:`TriageSession.answer_follow_up`) or skips all that remain
(:meth:`TriageSession.skip_follow_ups`); neither ever changes the result. Follow-up answers
are remembered like other answers (and carried the same way); they are not in
:attr:`TriageSession.path` (the route to the determinant) but in
:attr:`TriageSession.follow_ups` and :attr:`TriageSession.follow_up_path`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from app.triage.model import Answer, Determinant, Protocol, ProtocolSet, Question

_MAX_PROTOCOL_HOPS = 8  # complaint → complaint redirects in one walk (real protocols use 1–2)


@dataclass(frozen=True, slots=True)
class Step:
    """One answered question on the current route (for the audit log and the widget).

    ``carried`` is true when the answer was not asked in this protocol but carried over
    (``reuses`` link or the same question id answered elsewhere).
    """

    protocol_id: str
    question_id: str
    answer_key: str
    carried: bool = False
    from_call: bool = False  # taken from the call (the switch's caller number), not asked


@dataclass(frozen=True, slots=True)
class CallFacts:
    """What the call itself tells the questionnaire before anyone speaks.

    ``caller_number``: the number the phone switch delivered (ANI), ``None`` when withheld or
    absent (see :func:`app.triage.call_facts.callback_number`). ``location_precise``: the
    caller's location is precise enough to send a unit (see
    :func:`app.triage.call_facts.precise_fix`).
    """

    caller_number: str | None = None
    location_precise: bool = False


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A follow-up question of the determinant reached, and what became of it.

    ``answer_key`` is ``None`` while it is open or when it was skipped (``skipped``);
    ``carried`` as in :class:`Step`.
    """

    protocol_id: str
    question: Question
    answer_key: str | None = None
    skipped: bool = False
    carried: bool = False

    @property
    def open(self) -> bool:
        return self.answer_key is None and not self.skipped


@dataclass
class _Memory:
    given: dict[str, dict[str, tuple[str, int]]]  # protocol id → question id → (key, sequence)
    chosen: str | None
    refused: set[tuple[str, str]]  # (protocol, question) whose carried answer is not taken
    sequence: int
    chosen_sequence: int = 0  # when ``chosen`` was set (orders it among the given answers)
    skipped: set[tuple[str, str]] = field(default_factory=set)  # (protocol, follow-up) skipped
    deferred: bool = False  # the located_first questions handed back to the file's order


class TriageSession:
    """The questionnaire of one call (single thread; not thread-safe).

    Starts at the first case-entry question. Read :attr:`current` (the question to ask,
    ``None`` when a determinant is reached), :attr:`protocol`, :attr:`result`,
    :attr:`arrest_recognised`, :attr:`path`, :attr:`position`, and after the determinant
    :attr:`follow_up` / :attr:`follow_ups`; act with :meth:`answer`, :meth:`back`,
    :meth:`choose_complaint`, :meth:`reask`, :meth:`answer_follow_up`, :meth:`skip_follow_ups`.
    """

    # Set by _recompute (called from __init__ and after every answer).
    _protocol: Protocol
    _arrest: bool
    _scene_safe: bool

    def __init__(self, protocol_set: ProtocolSet, call: CallFacts | None = None) -> None:
        self._set = protocol_set
        self._call = call or CallFacts()
        self._memory = _Memory(given={}, chosen=None, refused=set(), sequence=0)
        self._undo: list[_Memory] = []
        self._recompute()

    # ------------------------------------------------------------ reading

    @property
    def protocol_set(self) -> ProtocolSet:
        return self._set

    @property
    def call(self) -> CallFacts:
        return self._call

    def set_call(self, call: CallFacts) -> None:
        """The call's facts changed (a location fix arrived): recompute the route. Not an action
        of the dispatcher, so not undone by :meth:`back`. Answers given are all kept."""
        if call != self._call:
            self._call = call
            self._recompute()

    @property
    def current(self) -> Question | None:
        """The question to ask now, or ``None`` when :attr:`result` is set."""
        return self._current

    @property
    def protocol(self) -> Protocol:
        """The protocol of the current question: the case entry or the chief complaint."""
        return self._protocol

    @property
    def complaint(self) -> Protocol | None:
        """The chief complaint the call is in, or ``None`` while still in the case entry."""
        return None if self._protocol.is_case_entry else self._protocol

    @property
    def result(self) -> Determinant | None:
        """The determinant reached, or ``None`` while questions remain."""
        return self._result

    @property
    def arrest_recognised(self) -> bool:
        """True while an answer marked ``arrest`` (unconscious and not breathing normally)
        is on the route. The caller records the moment it first becomes true."""
        return self._arrest

    @property
    def scene_confirmed_safe(self) -> bool:
        """True while an answer marked ``scene_safe`` is on the route: the caller has already
        said the scene is safe to approach, so the CPR coach need not ask again."""
        return self._scene_safe

    @property
    def steps(self) -> list[Step]:
        """The answered questions on the current route, in order (copies)."""
        return list(self._steps)

    @property
    def path(self) -> list[tuple[str, str, str]]:
        """``[(protocol_id, question_id, answer_key), ...]`` along the route, for the audit log."""
        return [(s.protocol_id, s.question_id, s.answer_key) for s in self._steps]

    @property
    def answers(self) -> dict[str, dict[str, str]]:
        """The answers on the current route: ``{protocol_id: {question_id: answer_key}}``."""
        out: dict[str, dict[str, str]] = {}
        for step in self._steps:
            out.setdefault(step.protocol_id, {})[step.question_id] = step.answer_key
        return out

    @property
    def follow_ups(self) -> list[FollowUp]:
        """The follow-up questions of :attr:`result`, in order, with their answers (empty
        while no determinant is reached or when it lists none)."""
        return list(self._follow_ups)

    @property
    def follow_up(self) -> Question | None:
        """The follow-up question to ask now: the first one neither answered nor skipped.
        ``None`` before the determinant and once every follow-up is answered or skipped."""
        for item in self._follow_ups:
            if item.open:
                return item.question
        return None

    @property
    def follow_up_path(self) -> list[tuple[str, str, str]]:
        """``[(protocol_id, question_id, answer_key), ...]`` of the answered follow-ups (carried
        ones included), for the audit log after :attr:`path`."""
        return [(f.protocol_id, f.question.id, f.answer_key) for f in self._follow_ups if f.answer_key is not None]

    @property
    def position(self) -> tuple[int, int]:
        """``(index, estimated_total)`` within the current protocol.

        ``index`` is the number of questions answered in it so far (so the current
        question is number ``index + 1``); ``estimated_total`` is ``index`` plus the
        longest remaining chain of questions from the current one to a determinant (or to
        the chief-complaint choice in the case entry). At a determinant both are equal.
        """
        done = sum(1 for step in self._steps if step.protocol_id == self._protocol.id)
        if self._current is None:
            return done, done
        return done, done + _remaining(self._protocol, self._current.id)

    @property
    def can_go_back(self) -> bool:
        return bool(self._undo)

    # ------------------------------------------------------------ acting

    def answer(self, key: str) -> None:
        """Answer the current question with ``key``.

        Raises:
            ValueError: no question is open (a determinant was reached), or the current
                question has no answer with this key.
        """
        question = self._current
        if question is None:
            raise ValueError("no question is open: the call has reached a determinant")
        if question.answer_for(key) is None:
            raise ValueError(
                f"question {question.id!r} has no answer {key!r} (answers: {', '.join(question.keys)})"
            )
        self._push()
        memory = self._memory
        memory.sequence += 1
        memory.given.setdefault(self._protocol.id, {})[question.id] = (key, memory.sequence)
        memory.refused.discard((self._protocol.id, question.id))
        self._recompute()

    def answer_follow_up(self, key: str, question_id: str | None = None) -> None:
        """Answer a follow-up question of the determinant reached: ``question_id`` (any of
        :attr:`follow_ups`, answered before or not), default the open one (:attr:`follow_up`).
        The determinant never changes.

        Raises:
            ValueError: no determinant with this follow-up is reached (or none is open when
                ``question_id`` is not given), or the question has no answer with this key.
        """
        if question_id is None:
            question = self.follow_up
            if question is None:
                raise ValueError("no follow-up question is open")
        else:
            found = [f.question for f in self._follow_ups if f.question.id == question_id]
            if not found:
                raise ValueError(f"{question_id!r} is not a follow-up of the determinant reached")
            question = found[0]
        if question.answer_for(key) is None:
            raise ValueError(
                f"question {question.id!r} has no answer {key!r} (answers: {', '.join(question.keys)})"
            )
        self._push()
        memory = self._memory
        memory.sequence += 1
        memory.given.setdefault(self._protocol.id, {})[question.id] = (key, memory.sequence)
        memory.refused.discard((self._protocol.id, question.id))
        memory.skipped.discard((self._protocol.id, question.id))
        self._recompute()

    def skip_follow_ups(self) -> bool:
        """Skip every follow-up still open (the caller cannot say, the crew is there).

        Undo with :meth:`back`. Returns ``False`` (and does nothing) when none is open.
        """
        open_ids = [f.question.id for f in self._follow_ups if f.open]
        if not open_ids:
            return False
        self._push()
        self._memory.skipped.update((self._protocol.id, qid) for qid in open_ids)
        self._recompute()
        return True

    def back(self) -> bool:
        """Undo the last action (an answer, a complaint change or a re-ask).

        Works across the case-entry/complaint boundary: undoing the answer that chose the
        chief complaint returns to that case-entry question. Returns ``False`` (and does
        nothing) when there is nothing to undo.
        """
        if not self._undo:
            return False
        self._memory = self._undo.pop()
        self._recompute()
        return True

    def choose_complaint(self, protocol_id: str) -> None:
        """Continue in chief complaint ``protocol_id``, now, keeping the answers that still
        apply (case-entry answers, ``reuses`` links, identical question ids, and the
        answers given earlier in that complaint).

        Raises:
            ValueError: no chief complaint has this id.
        """
        if protocol_id not in self._set.protocols:
            raise ValueError(f"no chief complaint {protocol_id!r}")
        self._push()
        self._memory.sequence += 1
        self._memory.chosen = protocol_id
        self._memory.chosen_sequence = self._memory.sequence
        self._recompute()

    @property
    def asking_located_first(self) -> bool:
        """True while the current question is asked early because the location is precise."""
        current = self._current
        return (current is not None and self._protocol.is_case_entry and self._call.location_precise
                and not self._memory.deferred and current.id in dict(self._protocol.located_first)
                and current.id not in self._memory.given.get(self._protocol.id, {}))

    def defer_located_first(self) -> bool:
        """Ask in the file's order from now on (the address first), as without a precise location:
        the caller cannot answer the early questions yet. Undo with :meth:`back`. Returns
        ``False`` (and does nothing) when no early question is being asked."""
        if not self.asking_located_first:
            return False
        self._push()
        self._memory.deferred = True
        self._recompute()
        return True

    def reask(self, question_id: str, protocol_id: str | None = None) -> None:
        """Ask a question on the route again (e.g. a carried answer that is wrong here).

        The question (in ``protocol_id``, default: the route's step with this question id,
        latest first) loses its answer and becomes current; answers after it stay
        remembered and are followed again if the new answer leads the same way.

        A follow-up of the determinant reached can be re-asked too: it loses its answer (or
        its skip) and becomes :attr:`follow_up` again.

        Raises:
            ValueError: the question is not on the current route.
        """
        for item in self._follow_ups:
            if item.question.id == question_id and protocol_id in (None, item.protocol_id) and not item.open:
                self._push()
                self._memory.given.get(item.protocol_id, {}).pop(question_id, None)
                self._memory.refused.add((item.protocol_id, question_id))
                self._memory.skipped.discard((item.protocol_id, question_id))
                self._recompute()
                return
        for step in reversed(self._steps):
            if step.question_id == question_id and protocol_id in (None, step.protocol_id):
                self._push()
                self._memory.given.get(step.protocol_id, {}).pop(question_id, None)
                self._memory.refused.add((step.protocol_id, question_id))
                self._recompute()
                return
        raise ValueError(f"question {question_id!r} is not on the current route")

    # ------------------------------------------------------------ internals

    def _push(self) -> None:
        self._undo.append(copy.deepcopy(self._memory))

    def _carried(self, protocol: Protocol, question: Question) -> str | None:
        if (protocol.id, question.id) in self._memory.refused:
            return None
        best: tuple[int, str] | None = None
        sources = {question.id} | ({question.reuses} if question.reuses else set())
        for other_id, answers in self._memory.given.items():
            if other_id == protocol.id:
                continue
            for source in sources:
                entry = answers.get(source)
                if entry is None or question.answer_for(entry[0]) is None:
                    continue
                if best is None or entry[1] > best[0]:
                    best = (entry[1], entry[0])
        chosen = self._memory.chosen
        if chosen is not None and not protocol.is_case_entry and question.answer_for(chosen) is not None:
            case_entry = self._set.case_entry
            for source in sources:
                source_question = case_entry.questions.get(source)
                answer = source_question.answer_for(chosen) if source_question is not None else None
                if answer is not None and answer.complaint == chosen and (
                        best is None or self._memory.chosen_sequence > best[0]):
                    best = (self._memory.chosen_sequence, chosen)
        return best[1] if best else None

    def _from_call(self, protocol: Protocol, question: Question) -> str | None:
        """The key of the question's ``caller_id`` answer when the switch gave the caller's
        number and the dispatcher has not re-asked the question; else ``None``."""
        if not self._call.caller_number or (protocol.id, question.id) in self._memory.refused:
            return None
        return next((answer.key for answer in question.answers if answer.caller_id), None)

    def _located_first(self, protocol: Protocol) -> tuple[Question | None, set[str]]:
        """Walk the ``located_first`` questions (precise location only): append their answered
        steps; return the one to ask now (``None`` when none is open) and the ids answered."""
        chain = dict(protocol.located_first)
        done: set[str] = set()
        if not chain or not self._call.location_precise or self._memory.deferred:
            return None, done
        given = self._memory.given.get(protocol.id, {})
        question_id: str | None = protocol.located_first[0][0]
        while question_id in chain:
            question = protocol.questions[question_id]
            entry = given.get(question_id)
            answer = question.answer_for(entry[0]) if entry else None
            if answer is None:
                return question, done
            done.add(question_id)
            self._steps.append(Step(protocol.id, question_id, answer.key))
            self._arrest = self._arrest or answer.arrest
            self._scene_safe = self._scene_safe or answer.scene_safe
            if answer.key not in chain[question_id]:
                break  # e.g. "cannot tell": the file's order (what happened, scene safety) goes on
            question_id = answer.next
        return None, done

    def _walk(self, protocol: Protocol) -> tuple[str, Any]:
        """Walk one protocol from its start. Returns ("ask", question), ("result",
        determinant) or ("complaint", protocol id); appends to ``self._steps``."""
        given = self._memory.given.get(protocol.id, {})
        first, done = self._located_first(protocol) if protocol.is_case_entry else (None, set())
        question = protocol.questions[protocol.start]
        for _ in range(len(protocol.questions) + 1):  # the loader refuses cycles; belt and braces
            carried = from_call = False
            entry = given.get(question.id)
            key = entry[0] if entry and question.answer_for(entry[0]) else None
            if key is None:
                key = self._carried(protocol, question)
                carried = key is not None
            if key is None:
                key = self._from_call(protocol, question)
                from_call = key is not None
            if key is None:
                return "ask", first or question
            answer = question.answer_for(key)
            assert answer is not None
            if question.id not in done:  # asked first (precise location): already on the route
                self._steps.append(Step(protocol.id, question.id, key, carried, from_call))
            self._arrest = self._arrest or answer.arrest
            self._scene_safe = self._scene_safe or answer.scene_safe
            if answer.next is not None:
                question = protocol.questions[answer.next]
            elif answer.determinant is not None:
                return "result", protocol.determinants[answer.determinant]
            else:
                return "complaint", answer.complaint
        return "ask", question

    def _recompute(self) -> None:
        self._steps: list[Step] = []
        self._arrest = False
        self._scene_safe = False
        self._result: Determinant | None = None
        self._current: Question | None = None
        protocol = self._set.case_entry
        outcome, value = self._walk(protocol)
        chosen = self._memory.chosen
        if chosen is not None:
            outcome, value = "complaint", chosen
        visited = {protocol.id}
        while outcome == "complaint" and len(visited) <= _MAX_PROTOCOL_HOPS:
            target = self._set.protocols.get(value)
            if target is None or target.id in visited:
                # A redirect back into a protocol already on the route: stop at the
                # question that redirected, as if it were not answered yet.
                last = self._steps.pop()
                outcome, value = "ask", protocol.questions[last.question_id]
                break
            protocol = target
            visited.add(protocol.id)
            outcome, value = self._walk(protocol)
        self._protocol = protocol
        self._follow_ups: list[FollowUp] = []
        if outcome == "ask":
            self._current = value
        elif outcome == "result":
            self._result = value
            self._follow_ups = self._walk_follow_ups(protocol, value)

    def _walk_follow_ups(self, protocol: Protocol, result: Determinant) -> list[FollowUp]:
        given = self._memory.given.get(protocol.id, {})
        out = []
        for question_id in result.follow_up:
            question = protocol.questions[question_id]
            entry = given.get(question_id)
            key = entry[0] if entry and question.answer_for(entry[0]) else None
            carried = False
            if key is None and (protocol.id, question_id) not in self._memory.skipped:
                key = self._carried(protocol, question)
                carried = key is not None
            skipped = key is None and (protocol.id, question_id) in self._memory.skipped
            out.append(FollowUp(protocol.id, question, key, skipped, carried))
        return out


@lru_cache(maxsize=4096)
def _remaining(protocol: Protocol, question_id: str) -> int:
    """Longest number of questions from ``question_id`` (included) to an end of the protocol."""
    question = protocol.questions[question_id]
    longest = 0
    for answer in question.answers:
        if answer.next is not None:
            longest = max(longest, _remaining(protocol, answer.next))
    return 1 + longest


def follow_up_answers(protocol_set: ProtocolSet, path: Iterable[Mapping[str, Any]]) -> list[tuple[Question, Answer]]:
    """The follow-up answers on an incident's audited triage path (``incident["triage"]["path"]``:
    dicts with ``protocol``, ``question``, ``answer``), for the crew and the pre-notification.

    A step counts when its question is a follow-up of some determinant of its protocol in
    ``protocol_set``; the last answer to a question wins, in the order first answered. Steps the
    set does not know (another protocol version) are left out. Pure.
    """
    found: dict[tuple[str, str], tuple[Question, Answer]] = {}
    for step in path:
        protocol_id, question_id, key = step.get("protocol"), step.get("question"), step.get("answer")
        try:
            protocol = protocol_set.protocol(str(protocol_id))
        except KeyError:
            continue
        question = protocol.questions.get(str(question_id))
        answer = question.answer_for(str(key)) if question is not None else None
        if question is None or answer is None or question.id not in protocol.follow_up_ids:
            continue
        found[(protocol.id, question.id)] = (question, answer)
    return list(found.values())


# ---------------------------------------------------------------- vignettes


def _answer_pool(answers: Any) -> dict[str, str]:
    """{question_id: key} from a mapping or a list of [question_id, key] pairs.

    Raises:
        ValueError: any other shape.
    """
    if answers is None:
        return {}
    pairs: Iterable[Any]
    if isinstance(answers, Mapping):
        pairs = answers.items()
    elif isinstance(answers, list):
        pairs = answers
    else:
        raise ValueError('"answers" must be an object {question_id: key} or a list of [question_id, key]')
    pool: dict[str, str] = {}
    for pair in pairs:
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2):
            raise ValueError(f'each answer must be [question_id, key], not {pair!r}')
        question_id, key = pair
        if not isinstance(question_id, str) or not isinstance(key, (str, bool, int)):
            raise ValueError(f"answer {pair!r}: the question id and the key must be strings")
        if isinstance(key, bool):  # JSON true/false for "yes"/"no"
            key = "yes" if key else "no"
        pool[question_id] = str(key)
    return pool


def run_case(protocol_set: ProtocolSet, case: Mapping[str, Any], *, call: CallFacts | None = None) -> dict[str, Any]:
    """Play a reviewer's vignette and return the outcome as a JSON-ready dict.

    ``case`` is ``{"complaint": id (optional), "answers": {question_id: key} or
    [[question_id, key], ...]}``. The case entry is answered from ``answers`` as far as
    they go; if it has not chosen a chief complaint by then, ``complaint`` is chosen.
    Each question on the route takes the answer given for its id (questions not listed
    take carried answers, as in the seat).

    Returns:
        ``determinant`` (code or ``None``), ``protocol``, ``priority``, ``plan``, ``cpr``,
        ``facts``, ``instructions``, ``exit`` (both languages), ``path``,
        ``arrest_recognised``, ``unanswered`` (``None``, or the question the answers did not
        reach a determinant at: protocol, question, text, answer keys), ``follow_up`` (the
        determinant's follow-up questions, asked after it: protocol, question, text, answer
        keys, ``answer`` — the case's answer or a carried one, else ``None`` — and
        ``carried``; they never change the determinant and are not in ``path``), ``unused``
        (answers never asked), ``protocol_set_version``.

        ``call``: what the call tells (caller number, precise location) — the order the case
        entry asks in, as at the seat; default nothing (the address and callback asked first).

    Raises:
        ValueError: the case is malformed, names an unknown complaint, or gives a key
            the question does not have.
    """
    if not isinstance(case, Mapping):
        raise ValueError("a case must be a JSON object with \"complaint\" and \"answers\"")
    unknown = set(case) - {"complaint", "answers", "name", "comment", "expect"}
    if unknown:
        raise ValueError(f"unknown field(s) in the case: {', '.join(sorted(unknown))}")
    complaint = case.get("complaint")
    if complaint is not None and (not isinstance(complaint, str) or complaint not in protocol_set.protocols):
        raise ValueError(f"no chief complaint {complaint!r} (known: {', '.join(sorted(protocol_set.protocols))})")
    pool = _answer_pool(case.get("answers"))
    used: set[str] = set()
    session = TriageSession(protocol_set, call)

    def play() -> None:
        while session.current is not None:
            if session.current.id not in pool and session.defer_located_first():
                continue  # the story does not say: ask in the file's order, as the dispatcher would
            if complaint is not None and session.protocol.is_case_entry and session.current.id not in pool:
                return
            question = session.current
            if question.id not in pool:
                return
            key = pool[question.id]
            try:
                session.answer(key)
            except ValueError as exc:
                raise ValueError(f"{session.protocol.id}: {exc}") from None
            used.add(question.id)

    play()
    if complaint is not None and session.protocol.is_case_entry and session.result is None:
        session.choose_complaint(complaint)
        play()
    # Follow-ups come after the determinant, as at the seat; the case answers those it lists.
    for item in session.follow_ups:
        if item.open and item.question.id in pool:
            try:
                session.answer_follow_up(pool[item.question.id], item.question.id)
            except ValueError as exc:
                raise ValueError(f"{session.protocol.id}: {exc}") from None
            used.add(item.question.id)

    out: dict[str, Any] = {
        "determinant": None,
        "protocol": session.protocol.id,
        "priority": None,
        "plan": None,
        "cpr": False,
        "facts": None,
        "instructions": [],
        "exit": [],
    }
    if session.result is not None:
        out.update(session.result.as_dict())
        out["protocol"] = session.protocol.id
    out["path"] = [list(step) for step in session.path]
    out["arrest_recognised"] = session.arrest_recognised
    current = session.current
    out["unanswered"] = None if current is None else {
        "protocol": session.protocol.id,
        "question": current.id,
        "text": current.text.as_dict(),
        "answers": list(current.keys),
    }
    out["follow_up"] = [{
        "protocol": item.protocol_id,
        "question": item.question.id,
        "text": item.question.text.as_dict(),
        "answers": list(item.question.keys),
        "answer": item.answer_key,
        "carried": item.carried,
    } for item in session.follow_ups]
    out["unused"] = sorted(set(pool) - used)
    out["protocol_set_version"] = protocol_set.version
    return out
