"""Pre-notification: the decisions (only the addressed hospital answers) and the FHIR R4 export."""

from __future__ import annotations

import json

import pytest

from app.domain.common import Principal
from app.domain.decide import decide
from app.domain.model import Role
from app.domain.prenotify import decide_send
from app.domain.state import State
from app.ecg.rhythms import Rhythm, generate
from app.fhir import MDC_CODES, bundle_from_package, physical_values, sampled_data
from app.protocol import ProtocolError
from app.protocol.prenotify import PACKAGE
from app.protocol.schema import check_object
from tests.golden_helpers import SERVER_TO_CLIENT, golden, story_events

PACKAGE_GOLDEN = golden(f"{SERVER_TO_CLIENT}/prenotify_package").message["package"]
SEAT = Principal("seat-2", Role.SEAT, "2号席位")


def story_state() -> State:
    state = State()
    for e in story_events():
        if not e["name"].startswith("prenotify."):
            state.apply(e)
    return state


def send_args(**over):
    return {"incident_id": PACKAGE_GOLDEN["incident_id"], "hospital_id": "H-CQMU1", "unit_id": "A01",
            "eta_s": 600, "summary": {"sex": "male", "complaint": "stemi"}, "include_ecg": True, **over}


def test_only_the_addressed_hospital_can_answer_a_pre_notification():
    state = story_state()
    [(name, data)] = decide_send(state, SEAT, send_args(), {"prenotify_id": PACKAGE_GOLDEN["prenotify_id"],
                                                            "unit_id": "A01", "has_vitals": True, "has_ecg": False})
    assert name == "prenotify.sent" and data["complaint"] == "stemi" and data["unit_id"] == "A01"
    state.apply({"type": "event", "seq": state.seq + 1, "ts": "2026-11-27T03:31:55.000Z", "name": name,
                 "actor": {"id": "seat-2", "role": "seat"}, "ref": None, "data": data})
    other = Principal("ed-X", Role.HOSPITAL, "其他医院", unit_id="H-OTHER")
    with pytest.raises(ProtocolError) as refused:
        decide(state, other, "prenotify.ack", {"prenotify_id": data["prenotify_id"], "response": "received"})
    assert refused.value.code == "not_found"
    mine = Principal("ed-CQMU1", Role.HOSPITAL, "急诊", unit_id="H-CQMU1")
    [(ack_name, ack)] = decide(state, mine, "prenotify.ack",
                               {"prenotify_id": data["prenotify_id"], "response": "cath_lab_activated"})
    assert ack_name == "prenotify.acknowledged" and ack["incident_id"] == data["incident_id"]


def test_a_send_to_an_unknown_hospital_or_without_the_server_is_refused():
    state = story_state()
    with pytest.raises(ProtocolError) as unknown:
        decide_send(state, SEAT, send_args(hospital_id="H-NONE"), None)
    assert unknown.value.code == "not_found"
    with pytest.raises(ProtocolError) as nothing:
        decide(state, SEAT, "prenotify.send", send_args())
    assert nothing.value.code == "conflict"


def resources(bundle, rtype):
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == rtype]


def test_the_fhir_bundle_has_the_r4_shape_and_the_vital_signs_loinc_codes():
    check_object(PACKAGE, PACKAGE_GOLDEN, "package")
    bundle = json.loads(json.dumps(bundle_from_package(PACKAGE_GOLDEN)))  # plain JSON, nothing exotic
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    urls = [e["fullUrl"] for e in bundle["entry"]]
    assert len(set(urls)) == len(urls) and all(u.startswith("urn:uuid:") for u in urls)
    [patient] = resources(bundle, "Patient")
    assert patient["gender"] == "male" and "name" not in patient
    [encounter] = resources(bundle, "Encounter")
    assert encounter["status"] == "planned" and encounter["class"]["code"] == "EMER"  # R4: class is a Coding
    assert encounter["reasonCode"][0]["coding"][0]["code"] == "401303003"
    observations = resources(bundle, "Observation")
    for obs in observations:  # R4 required: status, code; and every one points at the patient
        assert obs["status"] == "final" and obs["code"]["coding"]
        assert obs["subject"]["reference"] == f"urn:uuid:{patient['id']}"
        assert sum(k.startswith("value") for k in obs) <= 1
    by_code = {c["code"]: o for o in observations for c in o["code"]["coding"]}
    expected = {"8867-4": 112, "59408-5": 93, "2708-6": 93, "8478-0": 71, "9279-1": 22, "19891-1": 31, "8310-5": 36.4}
    for code, value in expected.items():
        assert by_code[code]["valueQuantity"]["value"] == value, code
        assert by_code[code]["category"][0]["coding"][0]["code"] == "vital-signs"
    assert by_code["8480-6" if "8480-6" in by_code else "85354-9"]["component"][0]["valueQuantity"]["value"] == 96
    assert {c["code"]["coding"][0]["code"]: c["valueQuantity"]["value"] for c in by_code["85354-9"]["component"]} == {
        "8480-6": 96, "8462-4": 58}
    assert by_code["8867-4"]["valueQuantity"]["code"] == "/min" and by_code["8478-0"]["valueQuantity"]["code"] == "mm[Hg]"
    assert by_code["30525-0"]["valueQuantity"] == {"value": 58, "unit": "years", "system": "http://unitsofmeasure.org",
                                                   "code": "a"}
    ecg = by_code[MDC_CODES["MDC_ECG_ELEC_POTL"]]
    [lead] = ecg["component"]
    assert lead["code"]["coding"][0] == {"system": "urn:oid:2.16.840.1.113883.6.24", "code": "131330",
                                         "display": "MDC_ECG_ELEC_POTL_II"}
    sd = lead["valueSampledData"]
    assert set(sd) >= {"origin", "period", "dimensions", "data"} and sd["period"] == 2.0 and sd["dimensions"] == 1
    assert sd["data"].split()[:5] == ["0", "2", "5", "12", "40"]


def test_an_ecg_with_st_elevation_survives_the_sampled_data_round_trip():
    signal_mv = generate(Rhythm.STEMI, fs=500.0, seconds=4.0)
    factor, origin = 0.005, 2048
    samples = [int(round(v / factor)) + origin for v in signal_mv]
    sd = sampled_data(samples, origin=origin, factor=factor, period_ms=2.0, unit="mV")
    back = physical_values(sd)
    assert len(back) == len(samples)
    assert back == pytest.approx([(s - origin) * factor for s in samples], abs=1e-9)
    assert max(back) == pytest.approx(max(signal_mv), abs=factor)
    assert physical_values({**sd, "data": "1 E 3"})[1] is None
