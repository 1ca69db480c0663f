"""Caller photo retention: which photos the purge deletes, and what the log then says.

Pure domain code with a fake "now"; the real server's purge is tested in
tests/integration/test_caller_link.py and the golden story.
"""

from __future__ import annotations

from datetime import timedelta

from app.domain.caller_link import decide_media_purged, media_due_for_purge
from app.domain.state import State
from app.protocol.codec import parse_ts, validate_event
from tests.golden_helpers import story_events

PHOTO = "ecfe0fda-20c8-55cf-8cb5-9eec286c19b5"  # the golden story's scene photo, call 20261127-0003


def _story_state() -> tuple[State, str]:
    """The golden story up to (not including) the purge; and when the photo's incident closed."""
    state = State()
    for e in story_events():
        if e["name"] == "call.media_purged":
            break  # later events of the story (training) come after it
        state.apply(e)
    incident = state.incidents[state.calls["20261127-0003"]["incident_id"]]
    return state, incident["milestones"]["closed"]


def test_photos_of_a_closed_incident_are_due_only_after_the_centres_days():
    state, closed_at = _story_state()
    closed = parse_ts(closed_at)
    assert media_due_for_purge(state, closed + timedelta(days=29, hours=23), 30) == {}
    assert media_due_for_purge(state, closed + timedelta(days=30, seconds=1), 30) == {"20261127-0003": [PHOTO]}


def test_zero_days_keeps_photos_forever():
    state, closed_at = _story_state()
    assert media_due_for_purge(state, parse_ts(closed_at) + timedelta(days=3650), 0) == {}


def test_photos_of_an_open_incident_are_never_due():
    state, closed_at = _story_state()
    state.incidents[state.calls["20261127-0003"]["incident_id"]]["state"] = "on_scene"
    assert media_due_for_purge(state, parse_ts(closed_at) + timedelta(days=365), 1) == {}


def test_the_purge_is_logged_once_and_marks_the_photo_without_forgetting_it():
    state, closed_at = _story_state()
    [(name, data)] = decide_media_purged(state, "20261127-0003", [PHOTO, "00000000-0000-0000-0000-000000000000"],
                                         "retention")
    assert (name, data) == ("call.media_purged",
                            {"call_id": "20261127-0003", "media_ids": [PHOTO], "reason": "retention"})
    validate_event(name, data)
    [golden] = [e for e in story_events() if e["name"] == "call.media_purged"]
    assert golden["data"] == data
    assert state.apply(golden)
    [photo] = state.calls["20261127-0003"]["photos"]
    assert (photo["media_id"], photo["sha256"][:8], photo["purged_at"]) == (PHOTO, "b2fab932", golden["ts"])
    # Purged: nothing more is due and a second purge decides nothing.
    assert media_due_for_purge(state, parse_ts(golden["ts"]) + timedelta(days=99), 1) == {}
    assert decide_media_purged(state, "20261127-0003", [PHOTO], "retention") == []
