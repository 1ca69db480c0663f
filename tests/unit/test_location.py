"""The caller's location: which candidate the dispatcher sees first, when sources disagree,
which open incident a new call may repeat, and what the wire refuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest

from app.domain.location import (
    best_candidate,
    disagreements,
    distance_m,
    find_repeats,
    match_repeats,
    rank_candidates,
)
from app.domain.model import Role
from app.protocol import ErrorCode, ProtocolError, command, decode, validate_command
from tests.unit.domain_harness import INCIDENT_1, SWITCH, open_incident, refused, seat, staffed_centre

NOW = datetime(2026, 11, 27, 2, 30, tzinfo=UTC)


def ts(seconds_ago: float) -> str:
    return (NOW - timedelta(seconds=seconds_ago)).isoformat().replace("+00:00", "Z")


def cand(source, lat=43.7384, lon=7.4246, accuracy_m=None, age_s=30.0, address=None):
    return {"source": source, "lat": lat, "lon": lon, "accuracy_m": accuracy_m,
            "at": ts(age_s) if age_s is not None else None, "address": address}


# ---------------------------------------------------------------- ranking


def test_the_most_accurate_fresh_fix_is_shown_first():
    cell = cand("cell", accuracy_m=800)
    gps = cand("gps", accuracy_m=35)
    wifi = cand("wifi", accuracy_m=60)
    assert [c["source"] for c in rank_candidates([cell, wifi, gps], NOW)] == ["gps", "wifi", "cell"]


def test_gps_wins_a_tie_of_accuracy():
    assert best_candidate([cand("wifi", accuracy_m=20), cand("gps", accuracy_m=20)], NOW)["source"] == "gps"


def test_a_stale_gps_fix_ranks_after_a_fresh_cell_fix():
    stale_gps = cand("gps", accuracy_m=10, age_s=11 * 60)
    fresh_cell = cand("cell", accuracy_m=900)
    assert [c["source"] for c in rank_candidates([stale_gps, fresh_cell], NOW)] == ["cell", "gps"]


def test_a_candidate_without_accuracy_is_never_ranked_above_one_with_accuracy():
    unknown = cand("gps", accuracy_m=None)
    stale_cell = cand("cell", accuracy_m=1500, age_s=3600)
    assert [c["source"] for c in rank_candidates([unknown, stale_cell], NOW)] == ["cell", "gps"]


def test_a_landline_address_without_position_is_listed_last_as_text():
    landline = {"source": "landline_address", "lat": None, "lon": None, "accuracy_m": None, "at": None,
                "address": "Boulevard Albert 1er 12"}
    ranked = rank_candidates([landline, cand("cell", accuracy_m=1200)], NOW)
    assert ranked[-1]["address"] == "Boulevard Albert 1er 12"
    assert best_candidate([landline], NOW)["source"] == "landline_address"


def test_odd_candidates_from_a_newer_server_do_not_break_ranking():
    odd = [None, "gps", {"source": "gps", "lat": 999, "lon": 7.4, "accuracy_m": 5}, cand("cell", accuracy_m=500)]
    ranked = rank_candidates(odd, NOW)
    assert [c["source"] for c in ranked] == ["cell", "gps"]  # the out-of-range one counts as unpositioned
    assert rank_candidates(None, NOW) == [] and best_candidate([], NOW) is None


# ---------------------------------------------------------------- disagreement


def test_gps_and_cell_one_kilometre_apart_disagree():
    gps = cand("gps", lat=43.7384, lon=7.4246, accuracy_m=20)
    cell = cand("cell", lat=43.7474, lon=7.4246, accuracy_m=300)  # 0.009° north: ~1 km
    [found] = disagreements([gps, cell])
    assert {found.a["source"], found.b["source"]} == {"gps", "cell"}
    assert found.distance_m == pytest.approx(1000, rel=0.01)


def test_sources_within_their_accuracy_agree():
    gps = cand("gps", accuracy_m=20)
    cell = cand("cell", lat=43.7434, accuracy_m=800)  # ~550 m apart, cell ±800 m covers it
    assert disagreements([gps, cell]) == []


def test_candidates_without_accuracy_or_position_are_not_judged():
    far = cand("wifi", lat=44.0, accuracy_m=None)
    text = {"source": "landline_address", "address": "somewhere"}
    assert disagreements([cand("gps", accuracy_m=10), far, text]) == []


def test_haversine_distance_matches_a_known_length():
    # One degree of latitude is 111.2 km on the mean sphere.
    assert distance_m(0, 0, 1, 0) == pytest.approx(111_195, rel=1e-3)


# ---------------------------------------------------------------- repeats


def _centre_with_open_incident(number="13800138000", location=None):
    c = staffed_centre()
    open_incident(c, INCIDENT_1, call_id="20261127-0001")
    if location is not None:
        c.send(seat("seat-1"), "incident.locate", {"incident_id": INCIDENT_1, "source": "map_click", **location})
    return c


def _now(c):
    return datetime.fromisoformat(c.log[-1]["ts"].replace("Z", "+00:00")) + timedelta(minutes=12)


def test_a_second_call_from_the_same_number_repeats_the_open_incident():
    c = _centre_with_open_incident()
    c.offer_call("20261127-0002")  # the harness's default number is the first caller's
    now = _now(c)
    assert find_repeats(c.state, c.call("20261127-0002"), now=now) == [(INCIDENT_1, "same_number")]
    [match] = match_repeats(c.state, c.call("20261127-0002"), now=now)
    assert match.since_s == pytest.approx(12 * 60, abs=5)


def test_the_same_number_after_the_window_or_after_closing_is_not_a_repeat():
    c = _centre_with_open_incident()
    c.offer_call("20261127-0002")
    call = c.call("20261127-0002")
    assert find_repeats(c.state, call, window_s=60, now=_now(c)) == []
    c.send(seat("seat-1"), "incident.close", {"incident_id": INCIDENT_1, "reason": "cancelled"})
    assert find_repeats(c.state, call, now=_now(c)) == []


def test_a_call_located_near_an_open_incident_is_a_repeat_from_another_number():
    c = _centre_with_open_incident(location={"lat": 43.7384, "lon": 7.4246})
    near = cand("gps", lat=43.7394, lon=7.4246, accuracy_m=15)  # ~110 m north
    c.offer_call("20261127-0002", number="13911112222", locations=[near])
    [match] = match_repeats(c.state, c.call("20261127-0002"), radius_m=200, now=_now(c))
    assert (match.incident_id, match.reason) == (INCIDENT_1, "nearby")
    assert match.distance_m == pytest.approx(111, abs=3)
    assert find_repeats(c.state, c.call("20261127-0002"), radius_m=100, now=_now(c)) == []


def test_the_call_of_the_incident_itself_is_not_its_repeat():
    c = _centre_with_open_incident()
    assert find_repeats(c.state, c.call("20261127-0001"), now=_now(c)) == []


# ---------------------------------------------------------------- commands and the wire


def test_location_set_by_the_dispatcher_records_who_how_and_when():
    c = _centre_with_open_incident()
    [located] = c.send(seat("seat-1"), "incident.locate", {
        "incident_id": INCIDENT_1, "lat": 43.7384, "lon": 7.4246, "source": "address_search",
        "address": "Boulevard Albert 1er"})
    assert located["data"]["seat_id"] == "seat-1"
    location = c.state.incidents[INCIDENT_1]["location"]
    assert location == {"lat": 43.7384, "lon": 7.4246, "source": "address_search", "candidate_source": None,
                        "address": "Boulevard Albert 1er", "set_by": "seat-1", "at": located["ts"]}


def test_a_late_fix_is_appended_to_the_call():
    c = _centre_with_open_incident()
    c.send(SWITCH, "call.add_location", {"call_id": "20261127-0001", "location": cand("gps", accuracy_m=9)})
    assert [x["source"] for x in c.call("20261127-0001")["locations"]] == ["gps"]


def test_attaching_a_repeat_call_links_both_ways_and_only_once():
    c = _centre_with_open_incident()
    c.offer_call("20261127-0002")
    c.send(seat("seat-2"), "call.answer", {"call_id": "20261127-0002"})
    c.send(seat("seat-2"), "call.attach", {"call_id": "20261127-0002", "incident_id": INCIDENT_1})
    assert c.call("20261127-0002")["incident_id"] == INCIDENT_1
    assert c.state.incidents[INCIDENT_1]["calls"] == ["20261127-0002"]
    with refused(ErrorCode.CONFLICT):
        c.send(seat("seat-2"), "call.attach", {"call_id": "20261127-0002", "incident_id": INCIDENT_1})


def test_attaching_to_a_closed_incident_is_refused():
    c = _centre_with_open_incident()
    c.send(seat("seat-1"), "incident.close", {"incident_id": INCIDENT_1, "reason": "cancelled"})
    c.offer_call("20261127-0002")
    c.send(seat("seat-2"), "call.answer", {"call_id": "20261127-0002"})
    with refused(ErrorCode.ILLEGAL_TRANSITION):
        c.send(seat("seat-2"), "call.attach", {"call_id": "20261127-0002", "incident_id": INCIDENT_1})


def test_confirming_a_candidate_must_say_which():
    c = _centre_with_open_incident()
    with refused(ErrorCode.INVALID_ARGS):
        c.send(seat("seat-1"), "incident.locate",
               {"incident_id": INCIDENT_1, "lat": 43.7, "lon": 7.4, "source": "candidate"})


@pytest.mark.parametrize(
    ("location", "why"),
    [
        ({"source": "gps", "lat": 91.0, "lon": 7.4, "accuracy_m": 10}, "above 90"),
        ({"source": "gps", "lat": 43.7, "lon": -181, "accuracy_m": 10}, "below -180"),
        ({"source": "gps", "lat": 43.7, "accuracy_m": 10}, "lat and lon go together"),
        ({"source": "gps", "lat": 43.7, "lon": 7.4, "accuracy_m": 0}, "more than 0"),
        ({"source": "gps", "lat": 43.7, "lon": 7.4, "accuracy_m": 200_000}, "above"),
        ({"source": "cell", "accuracy_m": 500}, "a position (lat, lon) or an address"),
        ({"source": "satellite", "lat": 43.7, "lon": 7.4}, "must be one of"),
        ({"source": "gps", "lat": 43.7, "lon": 7.4, "at": "yesterday"}, "ISO 8601"),
        ({"source": "gps", "lat": "43.7", "lon": 7.4}, "expected number"),
    ],
)
def test_bad_candidates_are_refused_with_invalid_args(location, why):
    with pytest.raises(ProtocolError) as exc:
        validate_command("call.add_location", {"call_id": "20261127-0001", "location": location})
    assert exc.value.code == ErrorCode.INVALID_ARGS
    assert why in exc.value.message


def test_more_than_eight_candidates_are_refused():
    many = [cand("cell", accuracy_m=500)] * 9
    with pytest.raises(ProtocolError) as exc:
        validate_command("call.offered", {"call_id": "c1", "caller_number": "120", "locations": many})
    assert exc.value.code == ErrorCode.INVALID_ARGS


def test_nan_position_never_reaches_the_domain():
    frame = b'{"v":1,"type":"cmd","id":"c3a8f1d2-7e4b-4a69-8d05-1f2e3b4c5d6e","name":"incident.locate",' \
            b'"args":{"incident_id":"3f6d1b2a-8c4e-4f7a-9b0c-5d2e1a3f4b6c","lat":NaN,"lon":7.4,"source":"map_click"}}'
    with pytest.raises(ProtocolError) as exc:
        decode(frame, allowed={"cmd"})
    assert exc.value.code == ErrorCode.BAD_JSON
    # orjson would write a NaN as null (checked here), so the builder must refuse it before encoding.
    assert orjson.dumps(float("nan")) == b"null"
    with pytest.raises(ProtocolError) as built:
        command("incident.locate", {"incident_id": INCIDENT_1, "lat": float("nan"), "lon": 7.4,
                                    "source": "map_click"})
    assert built.value.code == ErrorCode.INVALID_ARGS


def test_only_seats_locate_and_attach_and_only_the_switch_adds_candidates():
    from app.protocol import COMMAND_ROLES

    assert COMMAND_ROLES["incident.locate"] == {Role.SEAT}
    assert COMMAND_ROLES["call.attach"] == {Role.SEAT}
    assert Role.SEAT not in COMMAND_ROLES["call.add_location"]
