"""Every event that changes the seat's state tells the widgets: a change signal follows it.

The list of events comes from the protocol's own tables, so a new event without a signal
fails here; each is applied, in the golden story's order, to a real store.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import fields

import pytest

from app.protocol.messages import EVENTS
from app.seat.store import SeatStore, StoreEvents
from tests.golden_helpers import story_events

# Signals that say nothing about the centre's state (link, acks, live telemetry, media).
_NOT_STATE = {"connection_changed", "command_acked", "command_failed", "welcomed", "vitals_changed",
              "waveform_appended", "alarm_changed", "positions_changed", "caller_link_url", "caller_rtc"}
STATE_SIGNALS = sorted(f.name for f in fields(StoreEvents) if f.name not in _NOT_STATE)


def _replay_story() -> dict[str, list[set[str]]]:
    """Event name -> [the signals each of its examples emitted] over the story."""
    store = SeatStore()
    heard: list[str] = []
    for name in STATE_SIGNALS:
        getattr(store.events, name).connect(lambda *_args, _name=name: heard.append(_name))
    seen: dict[str, list[set[str]]] = defaultdict(list)
    for event in story_events():
        heard.clear()
        store.handle_message(event)
        seen[event["name"]].append(set(heard))
    return seen


STORY = _replay_story()


@pytest.mark.parametrize("event_name", sorted(EVENTS))
def test_every_event_type_is_followed_by_a_widget_visible_signal(event_name):
    examples = STORY.get(event_name)
    assert examples, f"no golden example of {event_name} in tests/golden/server_to_client/"
    assert any(examples), (
        f"{event_name} changes the state but emits no store signal: add it to STORE_TOUCHES "
        f"(app/domain/<feature>.py) or the store's tables")


def test_a_hospital_going_on_diversion_emits_hospital_changed_with_the_new_status():
    store = SeatStore()
    changed: list[dict] = []
    store.events.hospital_changed.connect(changed.append)
    for event in story_events():
        if event["name"] == "hospital.status_changed":
            diverting = {**event, "data": {**event["data"], "status": "diverting"}}
            store.handle_message(diverting)
            break
        store.handle_message(event)
    assert changed and changed[-1]["hospital_id"] == diverting["data"]["hospital_id"]
    assert changed[-1]["ed_status"] == "diverting"
