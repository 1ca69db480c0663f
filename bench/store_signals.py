"""The seat store's cost per event: watched apply + change signals, against the bare projection.

``python -m bench.store_signals [--repeat N]`` replays the golden story (every event type)
N times, best of 5, and prints microseconds per event for:

* ``State.apply`` — the bare projection (the server's path; the reference);
* ``State.apply_changes`` — the same handlers with the tables watched, reporting
  the entities touched (the seat's path);
* ``SeatStore.handle_message`` — watched apply plus one psygnal emission per
  touched entity, with 20 connected slots per entity signal (about the seat's
  widgets).

Ratios are against ``State.apply`` measured in the same run. No Qt, no I/O.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from app.domain.state import State
from app.seat.store import SeatStore, change_signal_name
from tests.golden_helpers import story_events

SLOTS_PER_SIGNAL = 20


class _Widget:
    """A slot owner like a widget: a bound method (held weakly by psygnal) that reads the store."""

    def __init__(self, store: SeatStore, table: str) -> None:
        self.store, self.table, self.seen = store, table, 0
        store.events[change_signal_name(table)].connect(self._on_changed)

    def _on_changed(self, entity_id: str) -> None:
        if getattr(self.store.state, self.table).get(entity_id) is not None:
            self.seen += 1


def _per_event_s(run: Any, events: list[dict[str, Any]], repeat: int) -> float:
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(repeat):
            run(events)
        best = min(best, (time.perf_counter() - started) / (repeat * len(events)))
    return best


def _bare(events: list[dict[str, Any]]) -> None:
    state = State()
    for event in events:
        state.apply(event)


def _watched(events: list[dict[str, Any]]) -> None:
    state = State()
    for event in events:
        state.apply_changes(event)


def measure(repeat: int = 200) -> dict[str, Any]:
    events = story_events()
    seat = SeatStore()
    widgets = [_Widget(seat, table) for table in State.TABLES for _ in range(SLOTS_PER_SIGNAL)]

    def _store(events: list[dict[str, Any]]) -> None:
        seat.state = State()  # the same store and slots, a fresh projection for each replay
        for event in events:
            seat.handle_message(event)

    bare = _per_event_s(_bare, events, repeat)
    watched = _per_event_s(_watched, events, repeat)
    store = _per_event_s(_store, events, repeat)
    assert all(w.seen for w in widgets if w.table in ("calls", "incidents", "units"))
    return {
        "events_per_replay": len(events),
        "slots_per_signal": SLOTS_PER_SIGNAL,
        "apply_us": bare * 1e6,
        "apply_changes_us": watched * 1e6,
        "store_handle_message_us": store * 1e6,
        "apply_changes_vs_apply": watched / bare,
        "store_vs_apply": store / bare,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    print(json.dumps(measure(parser.parse_args().repeat), indent=2))


if __name__ == "__main__":
    main()
