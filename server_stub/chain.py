"""The hash chain of the event log: its canonical encoding, and checking a stored log.

Every event row carries ``chain_hash``, the SHA-256 (lower-case hex) of the event's
canonical encoding, which starts with the previous event's ``chain_hash`` (for seq 1:
:data:`GENESIS`, 64 zeros). :meth:`server_stub.store.EventStore.commit` computes it in
the transaction that assigns the seq, under the append lock, so one chain runs through
every instance's and every group commit's events. Changing, removing or moving a
stored event therefore changes a hash that the rest of the log depends on, and
:func:`verify` finds the first event that does not check.

The canonical encoding (version 1; documented in docs/operations.md § "Tamper-evident
log") is the UTF-8 JSON text, with no whitespace, of the array::

    [prev_hash, seq, ts, name, actor_id, actor_role, ref, data]

— the stored columns of the row in that order (``ref`` is ``null`` for events the server
or the admin CLI made on its own), ``data`` with the keys of every object sorted by code
point, strings with non-ASCII characters written as themselves (only ``"``, ``\\`` and
control characters escaped), integers in decimal and floats in the shortest form that
reads back to the same double (orjson's output, e.g. ``0.1``, ``1e16``). It is made
from the values the row holds, so it can be computed again from the database alone.

Nothing here does I/O: :func:`verify` takes the rows from the caller (see
:mod:`server_stub.admin` for the reading), so it streams a log of any length in
constant memory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple

import orjson

from app.protocol import Message

GENESIS = "0" * 64

_SORTED = orjson.OPT_SORT_KEYS


class ChainRow(NamedTuple):
    """One stored event as :func:`verify` reads it (``data`` decoded from JSON)."""

    seq: int
    ts: str
    name: str
    actor_id: str
    actor_role: str
    ref: str | None
    data: object
    chain_hash: str | None


def canonical(prev_hash: str, seq: int, ts: str, name: str, actor_id: str, actor_role: str,
              ref: str | None, data: object) -> bytes:
    """The canonical encoding of one event (see the module docstring)."""
    return orjson.dumps([prev_hash, seq, ts, name, actor_id, actor_role, ref, data], option=_SORTED)


def event_hash(prev_hash: str, seq: int, ts: str, name: str, actor_id: str, actor_role: str,
               ref: str | None, data: object) -> str:
    """SHA-256 hex of :func:`canonical`: the ``chain_hash`` of an event that follows ``prev_hash``."""
    return hashlib.sha256(canonical(prev_hash, seq, ts, name, actor_id, actor_role, ref, data)).hexdigest()


def chain_messages(prev_hash: str, events: Iterable[Message]) -> list[str]:
    """The ``chain_hash`` of each protocol event message (``server_stub.store`` writes these), in order."""
    hashes = []
    for msg in events:
        actor = msg["actor"]
        prev_hash = event_hash(prev_hash, msg["seq"], msg["ts"], msg["name"], actor["id"], actor["role"],
                               msg["ref"], msg["data"])
        hashes.append(prev_hash)
    return hashes


# What is wrong with the first event that does not check.
ALTERED = "altered"  # its fields do not hash to the value committed with it
DELETED = "deleted"  # events are missing (a gap in seq, or the end of the log is gone)
REORDERED = "reordered"  # it was committed at another seq
UNHASHED = "unhashed"  # it has no chain_hash (written around the server)
ANCHOR = "anchor"  # the hash recorded earlier for this seq (--anchor) is not the stored one


@dataclass(frozen=True)
class Break:
    """The first place where the chain does not check.

    ``seq`` is the seq of the event named (for a gap: the first missing seq), ``row`` the
    stored event at that place (for a gap: the first one after it; None when the log ends).
    """

    kind: str
    seq: int
    detail: str
    row: ChainRow | None


@dataclass(frozen=True)
class Verdict:
    """What :func:`verify` found: how far the chain checks, and the first break if any."""

    checked: int  # events that check, from seq 1
    last_seq: int  # the last event that checks (0: none)
    head_hash: str  # its chain_hash (GENESIS when none)
    broken: Break | None

    @property
    def intact(self) -> bool:
        return self.broken is None


def verify(rows: Callable[[], Iterable[ChainRow]], *, sequence_end: int | None = None,
           anchor: tuple[int, str] | None = None) -> Verdict:
    """Check the chain from seq 1; stop at the first event that does not check.

    Args:
        rows: returns the stored events in seq order (an iterator: read once, in constant
            memory; called a second time, only after a break, to tell a moved event from
            an altered one).
        sequence_end: the highest seq the database ever assigned, when it keeps one
            (SQLite's ``sqlite_sequence``): events removed from the end show as a gap there.
        anchor: ``(seq, chain_hash)`` recorded earlier (e.g. printed by an earlier
            verify); the stored chain must still hold it. This catches a log rewritten
            with hashes computed again, which the chain alone cannot.

    Returns:
        The verdict; ``broken`` names the first event that does not check.
    """
    prev_hash, prev_seq, checked = GENESIS, 0, 0
    anchor_seen = anchor is None
    for row in rows():
        if row.seq != prev_seq + 1:
            missing = f"seq {prev_seq + 1}" if row.seq == prev_seq + 2 else f"seq {prev_seq + 1}–{row.seq - 1}"
            return Verdict(checked, prev_seq, prev_hash,
                           Break(DELETED, prev_seq + 1, f"{missing} missing: removed from the log", row))
        if row.chain_hash is None:
            return Verdict(checked, prev_seq, prev_hash,
                           Break(UNHASHED, row.seq, "it has no hash: written around the server", row))
        expected = event_hash(prev_hash, row.seq, row.ts, row.name, row.actor_id, row.actor_role, row.ref, row.data)
        if expected != row.chain_hash:
            return Verdict(checked, prev_seq, prev_hash, _diagnose(row, rows))
        if anchor is not None and row.seq == anchor[0]:
            anchor_seen = True
            if row.chain_hash != anchor[1]:
                return Verdict(checked, prev_seq, prev_hash, Break(
                    ANCHOR, row.seq, f"its hash is {row.chain_hash}, recorded earlier as {anchor[1]}: "
                    "the log was rewritten with new hashes", row))
        prev_hash, prev_seq = row.chain_hash, row.seq
        checked += 1
    if sequence_end is not None and sequence_end > prev_seq:
        missing = f"seq {prev_seq + 1}" if sequence_end == prev_seq + 1 else f"seq {prev_seq + 1}–{sequence_end}"
        return Verdict(checked, prev_seq, prev_hash, Break(
            DELETED, prev_seq + 1, f"{missing} missing: removed from the end of the log "
            f"(the database had assigned seq up to {sequence_end})", None))
    if not anchor_seen:
        assert anchor is not None
        return Verdict(checked, prev_seq, prev_hash, Break(
            DELETED, prev_seq + 1, f"the log ends at seq {prev_seq}, but seq {anchor[0]} was recorded earlier: "
            "events removed from the end", None))
    return Verdict(checked, prev_seq, prev_hash, None)


def _diagnose(bad: ChainRow, rows: Callable[[], Iterable[ChainRow]]) -> Break:
    """A row that does not hash to its stored value: was it moved here from another seq, or altered?

    A second pass over the log tries the row's fields at every other seq M (one to three
    hashes per row, only after a break). The row was moved from M when, with the hashes
    stored around M, it gives the hash stored at M (the fields moved, the hashes stayed)
    or its own stored hash (the row moved with its hash; for neighbours that swapped, its
    predecessor's hash now sits at M itself).
    """
    fields = (bad.ts, bad.name, bad.actor_id, bad.actor_role, bad.ref, bad.data)
    before = GENESIS
    for row in rows():
        if row.seq != bad.seq and row.chain_hash is not None:
            if event_hash(before, row.seq, *fields) in (row.chain_hash, bad.chain_hash) or \
                    event_hash(row.chain_hash, row.seq, *fields) == bad.chain_hash:
                return Break(REORDERED, bad.seq, f"it was committed as seq {row.seq}: events moved", bad)
        before = row.chain_hash or GENESIS
    return Break(ALTERED, bad.seq, "its stored fields do not hash to the value committed with it "
                 "(its type, time, actor, command id or payload was changed, or its hash)", bad)
