"""A pre-notification package as a FHIR R4 Bundle, for hospital information systems.

:func:`bundle_from_package` turns the package a hospital console receives
(``app/protocol/prenotify.py`` ``PACKAGE``) into a Bundle of type ``collection``:

* ``Patient`` — anonymous: gender only (the crew does not know the name yet);
* ``Encounter`` — incoming emergency (class ``EMER``, status ``planned``), reason = the
  complaint (SNOMED CT), the expected arrival time as an extension;
* vital-sign ``Observation``\\ s (category ``vital-signs``, LOINC codes of the FHIR vital
  signs profiles; blood pressure as the 85354-9 panel with systolic/diastolic components),
  valueQuantity in UCUM;
* the estimated age (LOINC 30525-0) and the dispatch triage result (determinant, priority);
* the ECG strip: one ``Observation`` coded MDC_ECG_ELEC_POTL with one component per lead,
  ``valueSampledData`` with the integer samples as FHIR wants them (space-separated
  ``data``; physical value = ``origin.value + factor * sample``).

Our wire's ``origin`` is the integer baseline (physical = ``(s - origin) * factor``), so
the FHIR origin is ``-origin * factor`` in the same unit: the samples go out unchanged
(:func:`sampled_data` / :func:`physical_values` round-trip exactly).

Pure functions: no I/O, no clock. Raise ``KeyError``/``ValueError`` only for a package
that did not pass ``PACKAGE`` validation.
"""

from __future__ import annotations

import uuid
from typing import Any

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
MDC = "urn:oid:2.16.840.1.113883.6.24"  # ISO/IEEE 11073-10101 nomenclature (as in the FHIR ECG example)
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ACT_PRIORITY = "http://terminology.hl7.org/CodeSystem/v3-ActPriority"
# Identifiers of our own (URNs, not addresses: nothing is fetched).
DETERMINANT_SYSTEM = "urn:dispatch120:determinant"
ETA_EXTENSION = "urn:dispatch120:fhir:expected-arrival"
ID_NAMESPACE = uuid.UUID("8d6f3c2a-4b1e-4f7a-9c5d-2e8b7a6f1d30")

# vital name -> (LOINC code, display, UCUM unit code, unit text)
VITAL_LOINC: dict[str, tuple[str, str, str, str]] = {
    "hr": ("8867-4", "Heart rate", "/min", "beats/minute"),
    "spo2": ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", "%", "%"),
    "nibp_map": ("8478-0", "Mean blood pressure", "mm[Hg]", "mmHg"),
    "rr": ("9279-1", "Respiratory rate", "/min", "breaths/minute"),
    "etco2": ("19891-1", "Carbon dioxide [Partial pressure] in Exhaled gas --at end expiration", "mm[Hg]", "mmHg"),
    "temp_c": ("8310-5", "Body temperature", "Cel", "C"),
}
SPO2_CORE_LOINC = ("2708-6", "Oxygen saturation in Arterial blood")  # the vital-signs profile's code, beside 59408-5
BP_PANEL = ("85354-9", "Blood pressure panel with all children optional")
BP_SYSTOLIC = ("8480-6", "Systolic blood pressure")
BP_DIASTOLIC = ("8462-4", "Diastolic blood pressure")
AGE_LOINC = ("30525-0", "Age")

# MDC reference id -> numeric code (ISO/IEEE 11073-10101, partition 2).
MDC_CODES: dict[str, str] = {
    "MDC_ECG_ELEC_POTL": "131328",
    "MDC_ECG_ELEC_POTL_I": "131329",
    "MDC_ECG_ELEC_POTL_II": "131330",
    "MDC_ECG_ELEC_POTL_V1": "131331",
    "MDC_ECG_ELEC_POTL_V2": "131332",
    "MDC_ECG_ELEC_POTL_V3": "131333",
    "MDC_ECG_ELEC_POTL_V4": "131334",
    "MDC_ECG_ELEC_POTL_V5": "131335",
    "MDC_ECG_ELEC_POTL_V6": "131336",
    "MDC_ECG_ELEC_POTL_III": "131389",
    "MDC_ECG_ELEC_POTL_AVR": "131390",
    "MDC_ECG_ELEC_POTL_AVL": "131391",
    "MDC_ECG_ELEC_POTL_AVF": "131392",
}

# complaint -> SNOMED CT (code, display)
COMPLAINT_SNOMED: dict[str, tuple[str, str]] = {
    "stemi": ("401303003", "Acute ST segment elevation myocardial infarction"),
    "chest_pain": ("29857009", "Chest pain"),
    "stroke": ("230690007", "Cerebrovascular accident"),
    "trauma": ("417746004", "Traumatic injury"),
    "cardiac_arrest": ("410429000", "Cardiac arrest"),
}


def _urn(prenotify_id: str, part: str) -> tuple[str, str]:
    rid = str(uuid.uuid5(ID_NAMESPACE, f"{prenotify_id}/{part}"))
    return rid, f"urn:uuid:{rid}"


def _coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    c = {"system": system, "code": code}
    if display:
        c["display"] = display
    return c


def _quantity(value: float, code: str, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": code}


def sampled_data(samples: list[int], *, origin: int, factor: float, period_ms: float, unit: str) -> dict[str, Any]:
    """A FHIR R4 SampledData of integer samples whose physical value is ``(s - origin) * factor``."""
    ucum = "mm[Hg]" if unit == "mmHg" else unit
    return {
        "origin": {"value": -origin * factor + 0.0, "unit": unit, "system": UCUM, "code": ucum},
        "period": period_ms,
        "factor": factor,
        "dimensions": 1,
        "data": " ".join(str(int(s)) for s in samples),
    }


def physical_values(sd: dict[str, Any]) -> list[float | None]:
    """Decode a SampledData (one dimension): ``origin + factor * x``; ``E``/``L``/``U`` → None."""
    origin = float(sd["origin"]["value"])
    factor = float(sd.get("factor", 1))
    out: list[float | None] = []
    for token in (sd.get("data") or "").split():
        out.append(None if token in ("E", "L", "U") else origin + factor * float(token))
    return out


def bundle_from_package(package: dict[str, Any], acknowledged: dict[str, Any] | None = None) -> dict[str, Any]:
    """The FHIR R4 Bundle (type ``collection``) of one pre-notification package."""
    pid = package["prenotify_id"]
    patient_id, patient_ref = _urn(pid, "patient")
    encounter_id, encounter_ref = _urn(pid, "encounter")
    summary = package["summary"]
    entries: list[tuple[str, dict[str, Any]]] = []

    patient: dict[str, Any] = {"resourceType": "Patient", "id": patient_id, "gender": summary["sex"]}
    entries.append((patient_ref, patient))

    encounter: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": encounter_id,
        "identifier": [{"system": "urn:dispatch120:incident", "value": package["incident_id"]}],
        "status": "planned",
        "class": _coding(ACT_CODE, "EMER", "emergency"),
        "priority": {"coding": [_coding(ACT_PRIORITY, "EM", "emergency")]},
        "subject": {"reference": patient_ref},
        "serviceProvider": {"display": package["hospital_name"]},
    }
    complaint = summary["complaint"]
    reason: dict[str, Any] = {"text": complaint}
    if complaint in COMPLAINT_SNOMED:
        code, display = COMPLAINT_SNOMED[complaint]
        reason["coding"] = [_coding(SNOMED, code, display)]
    encounter["reasonCode"] = [reason]
    if package.get("eta_s") is not None:
        encounter["extension"] = [{"url": ETA_EXTENSION, "valueDuration": _quantity(package["eta_s"], "s", "s")}]
    entries.append((encounter_ref, encounter))

    def observation(part: str, code: list[dict[str, Any]], category: str, effective: str, **value: Any) -> None:
        oid, ref = _urn(pid, part)
        obs = {
            "resourceType": "Observation",
            "id": oid,
            "status": "final",
            "category": [{"coding": [_coding(OBS_CATEGORY, category)]}],
            "code": {"coding": code},
            "subject": {"reference": patient_ref},
            "encounter": {"reference": encounter_ref},
            "effectiveDateTime": effective,
            **value,
        }
        entries.append((ref, obs))

    sent_at = package["sent_at"]
    if summary.get("age") is not None:
        observation("age", [_coding(LOINC, *AGE_LOINC)], "social-history", sent_at,
                    valueQuantity=_quantity(summary["age"], "a", "years"),
                    **({"note": [{"text": "estimated"}]} if summary.get("age_estimated") else {}))

    vitals = package.get("vitals") or {}
    t = vitals.get("t") or sent_at
    for name, (code, display, ucum, unit) in VITAL_LOINC.items():
        if vitals.get(name) is None:
            continue
        codes = [_coding(LOINC, code, display)]
        if name == "spo2":
            codes.append(_coding(LOINC, *SPO2_CORE_LOINC))
        observation(f"vital/{name}", codes, "vital-signs", t, valueQuantity=_quantity(vitals[name], ucum, unit))
    components = [
        {"code": {"coding": [_coding(LOINC, *which)]}, "valueQuantity": _quantity(vitals[name], "mm[Hg]", "mmHg")}
        for name, which in (("nibp_sys", BP_SYSTOLIC), ("nibp_dia", BP_DIASTOLIC))
        if vitals.get(name) is not None
    ]
    if components:
        observation("vital/bp", [_coding(LOINC, *BP_PANEL)], "vital-signs", t, component=components)

    triage = package.get("triage")
    if triage and triage.get("determinant"):
        observation(
            "triage", [_coding("urn:dispatch120:observation", "dispatch-triage", "Dispatch triage determinant")],
            "survey", triage.get("at") or sent_at,
            valueCodeableConcept={"coding": [_coding(DETERMINANT_SYSTEM, triage["determinant"])]},
            component=[{"code": {"coding": [_coding("urn:dispatch120:observation", "dispatch-priority")]},
                        "valueInteger": int(triage["priority"])}] if triage.get("priority") is not None else [],
        )

    ecg = package.get("ecg")
    if ecg:
        lead_code = MDC_CODES.get(ecg["mdc_code"])
        lead_coding = [_coding(MDC, lead_code, ecg["mdc_code"])] if lead_code else [{"display": ecg["mdc_code"]}]
        observation(
            "ecg", [_coding(MDC, MDC_CODES["MDC_ECG_ELEC_POTL"], "MDC_ECG_ELEC_POTL")], "procedure", ecg["start"],
            component=[{"code": {"coding": lead_coding},
                        "valueSampledData": sampled_data(ecg["samples"], origin=ecg["origin"], factor=ecg["factor"],
                                                         period_ms=ecg["period_ms"], unit=ecg["unit"])}],
        )

    bundle_id, _ = _urn(pid, "bundle")
    return {
        "resourceType": "Bundle",
        "id": bundle_id,
        "type": "collection",
        "timestamp": sent_at,
        "entry": [{"fullUrl": ref, "resource": res} for ref, res in entries],
    }
