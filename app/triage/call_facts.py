"""What a call tells the questionnaire before anyone speaks: the caller's number and a precise location.

* :func:`callback_number` — the number the phone switch delivered (ANI) when it is one a
  dispatcher can call back; ``None`` when withheld or absent (the question is asked aloud).
* :func:`precise_fix` — the call's best location candidate when it is precise enough to send a
  unit on (a handset fix, ≤ :data:`PRECISE_ACCURACY_M`, at most :data:`PRECISE_MAX_AGE_S` old,
  not contradicted by another candidate); ``None`` otherwise (cell only, a landline's registered
  address, a typed landmark, an old or contradicted fix): the address is asked first.
* :func:`call_facts` — both, as the :class:`~app.triage.engine.CallFacts` a session takes.

Pure: no I/O, no clock (``now`` is passed in). Reads a call as the seat's store keeps it
(``caller_number``, ``locations``; shapes in :mod:`app.protocol.location`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from app.domain.location import accuracy_m, age_s, best_candidate, disagreements, position
from app.triage.engine import CallFacts

# A handset's GNSS fix (AML, the caller's shared position) is typically 5-30 m; EENA's AML
# guidance and the AHA/NENA location work treat ≤ 50 m as dispatchable without reading the
# address back first. A cell fix is hundreds of metres and never counts.
PRECISE_ACCURACY_M = 50.0
# A caller with a collapsed patient stays put, but a fix older than two minutes may predate a
# move (walking 1.4 m/s for 120 s ≈ 170 m, beyond the accuracy radius): the address comes first.
PRECISE_MAX_AGE_S = 120.0
# Sources that are never precise whatever accuracy they claim: the operator's cell fix and a
# landline's registered address (the subscriber's address, not where the patient is).
_IMPRECISE_SOURCES = frozenset({"cell", "landline_address"})
# A callable number has at least this many digits; switches send withheld numbers as empty,
# "anonymous" (refused by the wire schema, so normalised upstream) or a short code ("0", "*").
_MIN_CALLBACK_DIGITS = 5


def callback_number(caller_number: object) -> str | None:
    """The caller's number when the switch delivered a callable one (ANI), else ``None``."""
    if not isinstance(caller_number, str):
        return None
    number = caller_number.strip()
    return number if sum(ch.isdigit() for ch in number) >= _MIN_CALLBACK_DIGITS else None


def precise_fix(locations: Iterable[object] | None, now: datetime) -> Mapping[str, object] | None:
    """The best candidate (``app.domain.location.rank_candidates``) if it is precise, else ``None``.

    Precise: it has a position, its source is a handset fix (not ``cell``, not
    ``landline_address``), its accuracy is known and ≤ :data:`PRECISE_ACCURACY_M`, its time is
    known and ≤ :data:`PRECISE_MAX_AGE_S` before ``now``, and no other candidate contradicts it
    (further away than both accuracies allow).
    """
    candidates = list(locations or ())
    best = best_candidate(candidates, now)
    if best is None or position(best) is None or str(best.get("source")) in _IMPRECISE_SOURCES:
        return None
    accuracy, age = accuracy_m(best), age_s(best, now)
    if accuracy is None or accuracy > PRECISE_ACCURACY_M or age is None or age > PRECISE_MAX_AGE_S:
        return None
    if any(best in (pair.a, pair.b) for pair in disagreements(candidates)):
        return None
    return best


def call_facts(call: Mapping[str, object] | None, now: datetime) -> CallFacts:
    """The :class:`CallFacts` of a call as the store keeps it (``None``: nothing known)."""
    if not call:
        return CallFacts()
    locations = call.get("locations")
    return CallFacts(caller_number=callback_number(call.get("caller_number")),
                     location_precise=precise_fix(locations if isinstance(locations, list) else None, now) is not None)
