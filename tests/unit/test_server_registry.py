"""The registry file and the admin plans: validation with operator-facing messages."""

from __future__ import annotations

import pytest

from app.domain.model import Role
from app.domain.state import State
from server_stub.auth import token_hash
from server_stub.registry import (
    InputError,
    Registry,
    parse_registry,
    plan_new_token,
    plan_registry,
    plan_revoke,
    principal_spec,
    unit_spec,
)
from server_stub.store import PrincipalRow

GOOD = {
    "stations": [{"id": "st-1", "name": "南岸站", "lat": 29.5, "lon": 106.5}],
    "hospitals": [{"id": "h-1", "name": "一院", "lat": 29.53, "lon": 106.51}],
    "units": [{"id": "A1", "call_sign": "渝A1", "station": "st-1", "capability": "als"}, {"id": "A2", "call_sign": "渝A2"}],
    "seats": [{"id": "seat-1", "name": "一号席"}],
    "devices": [{"id": "dev-A1", "unit": "A1"}],
    "switches": [{"id": "pbx"}],
    "trainers": [{"id": "t-1", "name": "老师"}],
}


def state_after(plan) -> State:
    state = State()
    for seq, (name, data) in enumerate(plan.drafts, start=1):
        state.apply({"seq": seq, "ts": "2026-01-01T00:00:00.000Z", "name": name, "data": data})
    return state


def test_a_good_registry_plans_one_event_per_entry_and_a_token_per_credential():
    registry = parse_registry(GOOD)
    assert registry.units[1].capability == "bls"  # the default
    plan = plan_registry(State(), {}, registry, create_only=False)
    assert [name for name, _ in plan.drafts].count("principal.registered") == 4
    assert len(plan.drafts) == 2 + 2 + 4
    assert set(plan.tokens) == {"seat-1", "dev-A1", "pbx", "t-1"}
    for row in plan.principals:
        assert row.token_hash == token_hash(plan.tokens[row.id])
    device = next(data for name, data in plan.drafts if name == "principal.registered" and data["role"] == "device")
    assert device == {"principal_id": "dev-A1", "role": "device", "name": "dev-A1", "unit_id": "A1"}


def test_every_problem_of_a_bad_registry_is_reported_at_once():
    bad = {
        "stations": [{"id": "s 1", "name": "x", "lat": 0, "lon": 0}, {"id": "s2", "name": "", "lat": 0, "lon": 200}],
        "units": [{"id": "U1", "call_sign": "x", "capability": "helicopter"}],
        "seats": [{"id": "seat-1", "name": "a", "desk": 3}, "seat-2"],
        "ambulances": [],
    }
    with pytest.raises(InputError) as caught:
        parse_registry(bad)
    message = str(caught.value)
    for part in ("unknown section(s): ambulances", "not a valid id", "must be a non-empty text",
                 "capability", "unknown key(s) desk", "seats[1]: must be a mapping"):
        assert part in message
    assert len(message.splitlines()) == 6


@pytest.mark.parametrize("doc", [[], "text", {"stations": {"id": "x"}}])
def test_a_registry_of_the_wrong_shape_is_refused(doc):
    with pytest.raises(InputError):
        parse_registry(doc)


def test_an_empty_registry_file_is_an_empty_registry():
    assert parse_registry(None) == Registry()


def test_a_reimport_changes_only_what_changed_and_rotates_every_token():
    registry = parse_registry(GOOD)
    first = plan_registry(State(), {}, registry, create_only=False)
    state = state_after(first)
    existing = {row.id: row for row in first.principals}
    changed = parse_registry({**GOOD, "stations": [{"id": "st-1", "name": "南岸急救站", "lat": 29.5, "lon": 106.5}]})
    second = plan_registry(state, existing, changed, create_only=False)
    assert [name for name, _ in second.drafts] == ["station.registered"]
    assert set(second.tokens) == set(first.tokens)
    assert not set(second.tokens.values()) & set(first.tokens.values())


def test_single_adds_refuse_existing_ids_and_missing_references():
    first = plan_registry(State(), {}, parse_registry(GOOD), create_only=False)
    state = state_after(first)
    existing = {row.id: row for row in first.principals}
    cases = [
        (Registry(principals=[principal_spec("seat-1", Role.SEAT, "x", None, "seat")]), "already exists"),
        (Registry(units=[unit_spec("A1", "x", None, None, "unit")]), "unit A1 already exists"),
        (Registry(units=[unit_spec("B1", "x", "nowhere", None, "unit")]), "station nowhere does not exist"),
        (Registry(principals=[principal_spec("d", Role.DEVICE, None, "Z9", "device")]), "unit Z9 does not exist"),
    ]
    for registry, message in cases:
        with pytest.raises(InputError, match=message):
            plan_registry(state, existing, registry, create_only=True)


def test_a_credential_cannot_change_its_role():
    first = plan_registry(State(), {}, parse_registry(GOOD), create_only=False)
    existing = {row.id: row for row in first.principals}
    with pytest.raises(InputError, match="registered as a seat"):
        plan_registry(state_after(first), existing, parse_registry({"switches": [{"id": "seat-1"}]}), create_only=False)


def test_reserved_actor_ids_cannot_be_credentials():
    with pytest.raises(InputError, match="reserved"):
        principal_spec("admin-cli", Role.SEAT, "x", None, "seat")


def test_revoking_and_reinstating_a_credential():
    row = PrincipalRow("dev-1", "device", "车1", "A1", "a" * 64)
    revoke = plan_revoke(row, "dev-1")
    assert revoke.drafts == [("principal.revoked", {"principal_id": "dev-1"})]
    assert revoke.principals[0].revoked and revoke.principals[0].token_hash is None
    revoked = PrincipalRow("dev-1", "device", "车1", "A1", "a" * 64, revoked=True)
    assert plan_revoke(revoked, "dev-1").drafts == []
    reinstate = plan_new_token(State(), revoked, "dev-1")
    assert reinstate.drafts[0][0] == "principal.registered"
    assert reinstate.principals[0].token_hash == token_hash(reinstate.tokens["dev-1"])
    with pytest.raises(InputError, match="no credential ghost"):
        plan_new_token(State(), None, "ghost")


# ---------------------------------------------------------------- hospitals' capabilities, AEDs, volunteers
FIRST_RESPONSE = {
    **GOOD,
    "hospitals": [
        {"id": "h-1", "name": "一院", "lat": 29.53, "lon": 106.51,
         "capabilities": ["stroke_centre", "chest_pain_centre", "pci", "trauma_centre"], "trauma_level": 2},
        {"id": "h-2", "name": "妇幼", "lat": 29.54, "lon": 106.52, "capabilities": ["maternity"]},
        {"id": "h-3", "name": "社区医院", "lat": 29.55, "lon": 106.53},
    ],
    "aeds": [{"id": "aed-1", "name": "地铁站AED", "lat": 29.5, "lon": 106.5, "access": "05:00-01:00"},
             {"id": "aed-2", "name": "广场AED", "lat": 29.51, "lon": 106.5, "access": "24h"}],
    "volunteers": [{"id": "vol-1", "name": "王丽"}, {"id": "vol-2", "name": "Marco Rossi"}],
}


def test_a_registry_gives_hospitals_capabilities_aeds_and_volunteers_as_the_admin_commands_would():
    plan = plan_registry(State(), {}, parse_registry(FIRST_RESPONSE), create_only=False)
    caps = [data for name, data in plan.drafts if name == "hospital.capabilities_set"]
    assert caps == [
        {"hospital_id": "h-1", "capabilities": ["chest_pain_centre", "pci", "stroke_centre", "trauma_centre"],
         "trauma_level": 2},
        {"hospital_id": "h-2", "capabilities": ["maternity"], "trauma_level": None},
    ]  # h-3 lists none: its capabilities are left alone
    assert [data for name, data in plan.drafts if name == "aed.registered"][0] == {
        "aed_id": "aed-1", "name": "地铁站AED", "lat": 29.5, "lon": 106.5, "access": "05:00-01:00"}
    volunteers = [data for name, data in plan.drafts if name == "principal.registered" and data["role"] == "volunteer"]
    assert [v["principal_id"] for v in volunteers] == ["vol-1", "vol-2"]
    assert {"vol-1", "vol-2"} <= set(plan.tokens)  # into --tokens-out like every credential
    state = state_after(plan)
    assert state.hospitals["h-1"]["trauma_level"] == 2 and state.aeds["aed-2"]["access"] == "24h"


def test_a_reimport_of_the_same_capabilities_and_aeds_writes_nothing_new_for_them():
    first = plan_registry(State(), {}, parse_registry(FIRST_RESPONSE), create_only=False)
    existing = {row.id: row for row in first.principals}
    again = plan_registry(state_after(first), existing, parse_registry(FIRST_RESPONSE), create_only=False)
    assert again.drafts == []
    moved = {**FIRST_RESPONSE, "aeds": [{**FIRST_RESPONSE["aeds"][0], "access": "24h"}]}
    changed = plan_registry(state_after(first), existing, parse_registry(moved), create_only=False)
    assert changed.drafts == [("aed.registered", {"aed_id": "aed-1", "name": "地铁站AED", "lat": 29.5,
                                                  "lon": 106.5, "access": "24h"})]


@pytest.mark.parametrize(("hospital", "message"), [
    ({"capabilities": ["helipad"]}, "'helipad' not one of"),
    ({"capabilities": "pci"}, "must be a list"),
    ({"capabilities": ["pci"]}, "pci needs chest_pain_centre"),
    ({"capabilities": ["thrombolysis"]}, "need stroke_centre"),
    ({"capabilities": ["trauma_centre"]}, "trauma_centre and a trauma level go together"),
    ({"trauma_level": 1}, "trauma_centre and a trauma level go together"),
    ({"capabilities": ["trauma_centre"], "trauma_level": 4}, "trauma_level: 4 is not 1, 2 or 3"),
    ({"capabilities": ["trauma_centre"], "trauma_level": True}, "is not 1, 2 or 3"),
    ({"beds": 300}, "unknown key(s) beds"),
])
def test_bad_hospital_capabilities_are_refused_with_the_hospital_named(hospital, message):
    doc = {"hospitals": [{"id": "h-9", "name": "九院", "lat": 29.5, "lon": 106.5, **hospital}]}
    with pytest.raises(InputError) as caught:
        parse_registry(doc)
    assert "hospitals[0] (h-9)" in str(caught.value) and message in str(caught.value)


@pytest.mark.parametrize(("aed", "message"), [
    ({"access": "always"}, "'always' is not \"24h\""),
    ({"access": "25:00-08:00"}, "is not \"24h\""),
    ({"access": 24}, "24 is not \"24h\""),
    ({"lat": 91}, "lat: 91 is outside"),
    ({"access": None}, "is not \"24h\""),
])
def test_bad_aeds_are_refused(aed, message):
    entry = {"id": "aed-9", "name": "AED", "lat": 29.5, "lon": 106.5, "access": "24h", **aed}
    with pytest.raises(InputError) as caught:
        parse_registry({"aeds": [entry]})
    assert "aeds[0] (aed-9)" in str(caught.value) and message in str(caught.value)


def test_aeds_and_volunteers_need_their_keys_and_unique_ids():
    doc = {
        "aeds": [{"id": "aed-1", "name": "A", "lat": 1, "lon": 1},
                 {"id": "aed-2", "name": "B", "lat": 1, "lon": 1, "access": "24h"},
                 {"id": "aed-2", "name": "C", "lat": 1, "lon": 1, "access": "24h"}],
        "volunteers": [{"id": "vol-1"}, {"id": "seat-1", "name": "x"}],
        "seats": [{"id": "seat-1", "name": "一号席"}],
    }
    with pytest.raises(InputError) as caught:
        parse_registry(doc)
    message = str(caught.value)
    assert "aeds[0] (aed-1): missing access" in message
    assert "aeds[2] (aed-2): id 'aed-2' appears twice" in message
    assert "volunteers[0] (vol-1): missing name" in message
    assert "id 'seat-1' appears twice" in message  # a volunteer shares the principals' ids


def test_the_shipped_demo_registry_is_accepted_with_its_first_responders():
    import yaml

    registry = parse_registry(yaml.safe_load(_demo_path().read_text(encoding="utf-8")))
    assert len(registry.aeds) >= 4 and {a.access for a in registry.aeds} >= {"24h"}
    assert len([p for p in registry.principals if p.role == Role.VOLUNTEER]) == 6
    chpg = next(c for c in registry.hospital_capabilities if c["hospital_id"] == "chpg")
    assert {"chest_pain_centre", "pci", "stroke_centre", "trauma_centre"} <= set(chpg["capabilities"])
    assert chpg["trauma_level"] == 2


def _demo_path():
    from pathlib import Path

    return Path(__file__).resolve().parents[2] / "resources" / "scenarios" / "registry-demo.yaml"


def test_rotating_a_token_revokes_the_old_one_and_registers_the_credential_again():
    """Every server instance closes the old token's connections when it applies the revocation."""
    seat = {"principal_id": "seat-1", "role": "seat", "name": "一号席", "unit_id": None}
    state = State()
    state.apply({"v": 1, "type": "event", "seq": 1, "ts": "2026-11-27T10:00:00.000Z", "name": "principal.registered",
                 "actor": {"id": "admin-cli", "role": "admin"}, "ref": None, "data": seat})
    row = PrincipalRow("seat-1", "seat", "一号席", None, "a" * 64)
    rotation = plan_new_token(state, row, "seat-1")
    assert rotation.drafts == [("principal.revoked", {"principal_id": "seat-1"}), ("principal.registered", seat)]
    assert rotation.principals[0].token_hash == token_hash(rotation.tokens["seat-1"]) != "a" * 64
