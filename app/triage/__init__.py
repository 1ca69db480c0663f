"""Triage: protocols as data, the questionnaire engine and the ``dispatch120 triage`` commands.

Qt-free and I/O-free except :func:`load_protocol_set` / :class:`ProtocolLibrary`, which
read the protocol directory (``resources/protocols`` by default, format in
``resources/protocols/README.md``).

Typical use (any single thread; a :class:`TriageSession` is not thread-safe, a loaded
:class:`ProtocolSet` is immutable and may be shared)::

    library = ProtocolLibrary(DEFAULT_PROTOCOL_DIR)     # keeps the last valid set
    session = TriageSession(library.current)            # starts in the case entry
    while session.result is None and session.current is not None:
        question = session.current                      # show question.text.get("zh"), its answers
        session.answer(key)                             # ValueError for a key the question lacks
        if session.arrest_recognised: ...               # unconscious + not breathing: record the time
    session.result                                      # Determinant: code, priority, plan, cpr, ...
    session.path                                        # [(protocol_id, question_id, answer_key), ...]

:class:`TriageSession` also has :meth:`~TriageSession.back` (undo, across the
case-entry/complaint boundary), :meth:`~TriageSession.choose_complaint` (change the chief
complaint keeping the answers that still apply) and :attr:`~TriageSession.position`.
:func:`run_case` plays a reviewer's vignette (``dispatch120 triage run --case``).
"""

from __future__ import annotations

from app.triage.call_facts import call_facts
from app.triage.engine import CallFacts, FollowUp, Step, TriageSession, run_case
from app.triage.loader import (
    DEFAULT_PROTOCOL_DIR,
    ProtocolLibrary,
    ProtocolSetError,
    load_protocol_set,
)
from app.triage.model import (
    CASE_ENTRY_ID,
    LANGUAGES,
    Answer,
    Capability,
    Determinant,
    Plan,
    Problem,
    Protocol,
    ProtocolSet,
    Question,
    Text,
    Urgency,
)

__all__ = [
    "CASE_ENTRY_ID",
    "DEFAULT_PROTOCOL_DIR",
    "LANGUAGES",
    "Answer",
    "CallFacts",
    "Capability",
    "Determinant",
    "FollowUp",
    "Plan",
    "Problem",
    "Protocol",
    "ProtocolLibrary",
    "ProtocolSet",
    "ProtocolSetError",
    "Question",
    "Step",
    "Text",
    "TriageSession",
    "Urgency",
    "call_facts",
    "load_protocol_set",
    "run_case",
]
