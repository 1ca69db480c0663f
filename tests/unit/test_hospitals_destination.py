"""Destination suggestions: the hospital that can treat this patient, not merely the nearest."""

from __future__ import annotations

import pytest

from app.dispatch.destination import (
    Reason,
    RulesError,
    Tier,
    TravelSource,
    load_rules,
    parse_rules,
    required_for,
    straight_travel,
    suggest,
)
from app.domain.common import Principal
from app.domain.hospitals import COMMAND_HANDLERS
from app.domain.model import Role
from app.domain.state import State
from app.protocol.errors import ProtocolError

SCENE = (43.7384, 7.4246)
NEAR_GENERAL = {"hospital_id": "near", "lat": 43.7400, "lon": 7.4250, "capabilities": ["paediatric"]}
FAR_PCI = {"hospital_id": "pci", "lat": 43.7300, "lon": 7.4114,
           "capabilities": ["chest_pain_centre", "pci", "stroke_centre", "thrombolysis"]}
MID_CPC_NO_PCI = {"hospital_id": "cpc", "lat": 43.7350, "lon": 7.4200, "capabilities": ["chest_pain_centre"]}
STEMI = {"protocol": "chest_pain", "determinant": "02-A-1", "cpr": False}


def ids(rows):
    return [r.hospital_id for r in rows]


def test_a_suspected_stemi_goes_to_the_pci_centre_over_nearer_hospitals_without_pci():
    need = required_for(STEMI, load_rules())
    assert need is not None and need.needs == {"chest_pain_centre", "pci"}
    rows = suggest(SCENE, [NEAR_GENERAL, MID_CPC_NO_PCI, FAR_PCI], need)
    assert ids(rows) == ["pci", "near", "cpc"]
    first = rows[0]
    assert first.tier == Tier.CAPABLE_OPEN and Reason.HAS_CAPABILITY in first.reasons
    assert Reason.NEAREST not in first.reasons
    nearer = rows[1]
    assert Reason.LACKS_CAPABILITY in nearer.reasons and Reason.NEAREST in nearer.reasons
    assert rows[2].missing == ("pci",)
    assert rows[0].travel.seconds > rows[1].travel.seconds, "the PCI centre really is farther"


def test_without_a_requirement_the_nearest_open_hospital_comes_first():
    rows = suggest(SCENE, [FAR_PCI, NEAR_GENERAL], required_for({"determinant": "26-C-1"}, load_rules()))
    assert ids(rows) == ["near", "pci"]
    assert rows[0].reasons == (Reason.NO_REQUIREMENT, Reason.NEAREST)


def test_a_diverting_hospital_ranks_last_with_the_reason_even_if_it_is_capable_and_nearest():
    diverting = {**FAR_PCI, "hospital_id": "div", "lat": 43.7390, "lon": 7.4247, "ed_status": "diverting"}
    rows = suggest(SCENE, [diverting, FAR_PCI, NEAR_GENERAL], required_for(STEMI, load_rules()))
    assert ids(rows) == ["pci", "near", "div"]
    assert rows[-1].tier == Tier.DIVERTING and Reason.DIVERTING in rows[-1].reasons


def test_a_busy_capable_hospital_comes_after_an_open_capable_one_and_before_incapable_ones():
    busy = {**FAR_PCI, "hospital_id": "busy", "lat": 43.7390, "lon": 7.4247, "ed_status": "busy"}
    rows = suggest(SCENE, [busy, FAR_PCI, NEAR_GENERAL], required_for(STEMI, load_rules()))
    assert ids(rows) == ["pci", "busy", "near"]
    assert Reason.ED_BUSY in rows[1].reasons


def test_a_hospital_without_a_position_is_listed_not_hidden():
    rows = suggest(SCENE, [{"hospital_id": "nowhere"}, NEAR_GENERAL], None)
    assert ids(rows) == ["near", "nowhere"] and Reason.NO_ROUTE in rows[1].reasons and rows[1].travel is None


def test_the_straight_line_fallback_says_what_it_is():
    t = straight_travel(SCENE, (43.7474, 7.4246))
    assert t.source == TravelSource.STRAIGHT_LINE and 1300 < t.distance_m < 1500


@pytest.mark.parametrize(("result", "rule"), [
    ({"protocol": "stroke", "determinant": "04-B-1"}, "acute_stroke"),
    ({"protocol": "cardiac_arrest", "determinant": "09-E-1"}, "cardiac_arrest"),
    ({"protocol": "burns", "determinant": "10-D-1"}, "serious_burns"),
    ({"protocol": "pregnancy_childbirth", "determinant": "14-A-1"}, "childbirth"),
])
def test_each_triage_result_maps_to_its_rule(result, rule):
    assert required_for(result, load_rules()).rule_id == rule


def test_a_trauma_level_too_low_counts_as_missing():
    need = required_for({"determinant": "07-D-1"}, load_rules())
    level3 = {"hospital_id": "t3", "capabilities": ["trauma_centre"], "trauma_level": 3}
    level1 = {"hospital_id": "t1", "capabilities": ["trauma_centre"], "trauma_level": 1}
    assert need.missing(level3) == ["trauma_level"] and need.missing(level1) == []


def test_malformed_rules_are_refused_with_the_rule_named():
    with pytest.raises(RulesError, match="rule x"):
        parse_rules({"rules": [{"id": "x", "needs": ["warp_drive"], "protocols": ["p"]}]})


def _state_with_hospital() -> State:
    state = State()
    state.hospitals["h1"] = {"hospital_id": "h1", "name": "h"}
    state.incidents["i1"] = {"incident_id": "i1", "state": "open"}
    return state


def test_a_destination_other_than_the_first_needs_a_reason():
    state = _state_with_hospital()
    seat = Principal("seat-1", Role.SEAT, "s")
    with pytest.raises(ProtocolError) as exc:
        COMMAND_HANDLERS["incident.set_destination"](state, seat, {"incident_id": "i1", "hospital_id": "h1", "rank": 2})
    assert exc.value.code == "invalid_args"
    [(name, data)] = COMMAND_HANDLERS["incident.set_destination"](
        state, seat, {"incident_id": "i1", "hospital_id": "h1", "rank": 2, "reason": "patient_request"})
    assert name == "incident.destination_set" and data["reason"] == "patient_request"


def test_a_hospital_console_sets_only_its_own_ed_status():
    state = _state_with_hospital()
    own = Principal("h1-ed", Role.HOSPITAL, "ed", unit_id="h1")
    other = Principal("h2-ed", Role.HOSPITAL, "ed", unit_id="h2")
    [(name, data)] = COMMAND_HANDLERS["hospital.set_status"](state, own, {"hospital_id": "h1", "status": "diverting"})
    assert (name, data["previous"], data["status"]) == ("hospital.status_changed", "open", "diverting")
    with pytest.raises(ProtocolError) as exc:
        COMMAND_HANDLERS["hospital.set_status"](state, other, {"hospital_id": "h1", "status": "busy"})
    assert exc.value.code == "forbidden"
