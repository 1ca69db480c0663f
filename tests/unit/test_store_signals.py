"""Every event that changes the seat's state tells the widgets: a change signal follows it.

The list of events comes from the protocol's own tables, so a new event without a signal
fails here; each is applied, in the golden story's order, to a real store. The signals
come from what ``State.apply_changes`` saw the handler touch, so the test also checks
that what it reports is exactly what changed, and that a closed widget is let go.
"""

from __future__ import annotations

import copy
import gc
import weakref
from collections import defaultdict

import pytest

from app.domain.state import State, Touched
from app.protocol.messages import EVENTS
from app.seat.store import REGISTRY_TABLES, SeatStore, change_signal_name
from tests.golden_helpers import story_events

# Signals that say nothing about the centre's state (link, acks, live telemetry, media).
_NOT_STATE = {"connection_changed", "command_acked", "command_failed", "welcomed", "vitals_changed",
              "waveform_appended", "alarm_changed", "positions_changed", "caller_link_url", "caller_rtc"}
STATE_SIGNALS = sorted(name for name in SeatStore().events.signals if name not in _NOT_STATE)


def _replay_story() -> dict[str, list[list[tuple[str, tuple]]]]:
    """Event name -> [the (signal, arguments) each of its examples emitted] over the story."""
    store = SeatStore()
    heard: list[tuple[str, tuple]] = []
    for name in STATE_SIGNALS:
        store.events[name].connect(lambda *args, _name=name: heard.append((_name, args)))
    seen: dict[str, list[list[tuple[str, tuple]]]] = defaultdict(list)
    for event in story_events():
        heard.clear()
        store.handle_message(event)
        seen[event["name"]].append(list(heard))
    return seen


STORY = _replay_story()


@pytest.mark.parametrize("event_name", sorted(EVENTS))
def test_every_event_type_is_followed_by_a_widget_visible_signal(event_name):
    examples = STORY.get(event_name)
    assert examples, f"no golden example of {event_name} in tests/golden/server_to_client/"
    assert any(examples), f"{event_name} changes the state but emits no store signal"


def _diff(before: State, after: State) -> set[Touched]:
    """What differs between two states, entity by entity (the slow, obvious way)."""
    old, new = before.to_dict(), after.to_dict()
    return {Touched(table, key) for table in State.TABLES
            for key in set(old[table]) | set(new[table]) if old[table].get(key) != new[table].get(key)}


def test_the_touched_entities_are_exactly_what_each_story_event_changed():
    state = State()
    for event in story_events():
        before = copy.deepcopy(state)
        touched = state.apply_changes(event)
        assert touched is not None, f"event {event['seq']} {event['name']} was not applied"
        assert touched == _diff(before, state), event["name"]


def test_watching_the_tables_changes_nothing_in_the_projection():
    watched, plain = State(), State()
    for event in story_events():
        assert (watched.apply_changes(event) is not None) == plain.apply(event)
    assert watched.to_dict() == plain.to_dict()


def test_each_entity_change_emits_its_tables_signal_with_the_entity_id():
    for name, examples in STORY.items():
        for emitted in examples:
            ids = {args[0] for signal, args in emitted if signal.endswith("_changed") and args}
            assert all(isinstance(i, str) for i in ids), name


def test_every_entity_table_has_a_change_signal():
    for table in State.TABLES:
        assert change_signal_name(table) in SeatStore().events.signals, table


def test_a_hospital_going_on_diversion_emits_hospital_changed_with_its_id():
    store = SeatStore()
    changed: list[str] = []
    store.events.hospital_changed.connect(changed.append)
    for event in story_events():
        if event["name"] == "hospital.status_changed":
            diverting = {**event, "data": {**event["data"], "status": "diverting"}}
            store.handle_message(diverting)
            break
        store.handle_message(event)
    hospital_id = diverting["data"]["hospital_id"]
    assert changed and changed[-1] == hospital_id
    assert store.state.hospitals[hospital_id]["ed_status"] == "diverting"


def test_a_caller_opening_the_link_tells_the_caller_link_panel():
    store = SeatStore()
    opened: list[str] = []
    store.events.caller_link_changed.connect(opened.append)
    for event in story_events():
        store.handle_message(event)
        if event["name"] == "call.link_opened":
            break
    assert opened[-1] == event["data"]["link_id"]


def test_registering_a_station_redraws_the_registry_lists_but_a_call_does_not():
    store = SeatStore()
    redraws: list[str] = []
    store.events.registry_changed.connect(lambda: redraws.append("registry"))
    for event in story_events():
        redraws.clear()
        touched = copy.deepcopy(store.state).apply_changes(event) or frozenset()
        store.handle_message(event)
        assert bool(redraws) == any(t.table in REGISTRY_TABLES for t in touched), event["name"]


class _Monitor:
    """Stands for a vitals monitor window: it follows one unit's vitals."""

    def __init__(self, store: SeatStore, unit_id: str) -> None:
        self.unit_id = unit_id
        self.updates = 0
        store.events.vitals_changed.connect(self._on_vitals_changed)

    def _on_vitals_changed(self, unit_id: str) -> None:
        if unit_id == self.unit_id:
            self.updates += 1


def test_a_closed_monitor_is_let_go_and_hears_nothing_more():
    store = SeatStore()
    monitor = _Monitor(store, "A1")
    store.events.vitals_changed.emit("A1")
    assert monitor.updates == 1
    gone = weakref.ref(monitor)
    del monitor  # the dispatcher closed it: nothing else holds it
    gc.collect()
    assert gone() is None, "the store's signal kept the closed monitor alive"
    assert len(store.events.vitals_changed) == 0
    store.events.vitals_changed.emit("A1")  # nothing left to call


def test_a_failing_widget_does_not_stop_the_others_hearing_the_change():
    store = SeatStore()
    heard: list[str] = []

    def broken(_unit_id: str) -> None:
        raise RuntimeError("internal C++ object already deleted")

    store.events.unit_changed.connect(broken)
    store.events.unit_changed.connect(heard.append)
    store.events.unit_changed.emit("A1")
    assert heard == ["A1"]


def _assign_story(store: SeatStore) -> tuple[dict, dict]:
    """Feed the story up to the first unit.assigned; return that event and an ack for it."""
    for event in story_events():
        if event["name"] == "unit.assigned":
            return event, {"v": 1, "type": "ack", "ref": "cmd-1", "seq": event["seq"], "events": 1}
        store.handle_message(event)
    raise AssertionError("no unit.assigned in the story")


@pytest.mark.parametrize("ack_first", [True, False], ids=["ack_before_events", "events_before_ack"])
def test_an_ack_reaches_the_widgets_only_once_the_store_holds_the_commands_events(ack_first):
    store = SeatStore()
    assigned, ack = _assign_story(store)
    unit_id = assigned["data"]["unit_id"]
    statuses_at_ack: list[str] = []
    store.events.command_acked.connect(
        lambda ref, seq: statuses_at_ack.append(store.state.units[unit_id]["status"]))
    for msg in ([ack, assigned] if ack_first else [assigned, ack]):
        store.handle_message(msg)
    assert statuses_at_ack == ["dispatched"]

