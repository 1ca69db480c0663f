"""A training scenario made from a closed incident of a centre's event log.

``dispatch120 sim from-incident --db DB --incident ID --out SCENARIO.yaml [--seed N]`` reads
the incident read-only (:func:`app.records.incident.read_incident`, SQLite file or database
URL) and writes a scenario (``resources/scenarios/README.md``) that replays what happened to
the centre, without anything that identifies the people in it:

* **kept**: the incident's calls (the first one and the repeat calls attached to it) with
  their timing re-based (the first call rings :data:`FIRST_CALL_AT_S` after the start), the
  caller's answers to the protocol questions as the log recorded them (answer keys; the
  words are the protocol's own answer labels in Chinese and English), the location
  sources the network gave (shifted), and what the dispatcher reached — priority,
  capability of the first unit sent, receiving hospital — as the scenario's expected
  values for scoring (the determinant is written in the file's header comment; the
  scenario format has no field for it);
* **replaced**: the caller's number by one drawn from the seed (one per original number,
  so a repeat caller keeps "their" number); positions by the same positions moved by one
  seeded offset of :data:`SHIFT_M` metres (kept inside the map the scenario validator
  accepts); address texts by a neutral landmark label; what the caller says by the
  protocol's label of the chief complaint; seats by neutral ids and names;
* **dropped**: caller names, descriptions and notes, chat, caller-link media, volunteers,
  the incident and call ids, and every wall-clock time.

The registry (stations, hospitals with their capabilities, units) is the log's own, inline,
with one simulated crew per unit, a switch and a trainer.

Errors are :class:`FromIncidentError` with an ``exit_code``; nothing is written then.
No Qt, no server package.
"""

from __future__ import annotations

import math
import random
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.protocol.vocabulary import CloseReason

if TYPE_CHECKING:
    import argparse

    from app.records.incident import Record
    from app.records.kpi import EventRow

FIRST_CALL_AT_S = 3.0  # the first call rings this long after the scenario starts
SHIFT_M = (250.0, 600.0)  # every position moves by one random offset of this many metres
MIN_TALK_S = 10.0
NEUTRAL_LANDMARK = {"zh": "演练地点", "en": "training location"}
REGISTRY_EVENTS = ("station.registered", "hospital.registered", "hospital.capabilities_set", "unit.registered",
                   "principal.registered")
# A close reason that is not a crew's finding: what the simulated crew should find instead.
_OUTCOME_OF = {
    CloseReason.DECEASED: CloseReason.TREATED_ON_SCENE,  # the crew stays on scene, nobody is transported
    CloseReason.CANCELLED: CloseReason.NO_PATIENT_FOUND,
    CloseReason.DUPLICATE: CloseReason.NO_PATIENT_FOUND,
}


class FromIncidentError(Exception):
    """The incident cannot become a scenario; the message says why. ``exit_code`` for the command line."""

    exit_code = 2


class IncidentOpenError(FromIncidentError):
    """The incident is not closed yet: what happened to it is not known."""

    exit_code = 5


def _read(db: str | Path, incident_id: str) -> tuple[dict[str, Any], list[tuple[str, str, Mapping[str, Any]]]]:
    """The incident's record (English labels) and the registry events of the log."""
    from app.records.incident import read_incident
    from app.records.kpi import KpiError, open_log, read_events

    try:
        record = read_incident(db, incident_id, lang="en")
        engine = open_log(db)
        try:
            far = (datetime(1970, 1, 1, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC))
            registry = list(read_events(engine, *far, names=REGISTRY_EVENTS))
        finally:
            engine.dispose()
    except KpiError as exc:
        error = FromIncidentError(str(exc))
        error.exit_code = exc.exit_code
        raise error from None
    return dict(record), registry


def _seconds(later: str | None, earlier: str | None) -> float | None:
    from app.records.kpi import parse_ts

    if not later or not earlier:
        return None
    return (parse_ts(later) - parse_ts(earlier)).total_seconds()


class PositionShift:
    """One seeded offset for every position of the incident, kept inside the map's bounds."""

    def __init__(self, rng: random.Random, bounds: tuple[float, float, float, float] | None) -> None:
        self.rng = rng
        self.bounds = bounds
        distance = rng.uniform(*SHIFT_M)
        bearing = rng.uniform(0, 2 * math.pi)
        self.north_m, self.east_m = distance * math.cos(bearing), distance * math.sin(bearing)

    def __call__(self, lat: float, lon: float) -> tuple[float, float]:
        new_lat = lat + self.north_m / 111_320.0
        new_lon = lon + self.east_m / (111_320.0 * max(0.1, math.cos(math.radians(lat))))
        if self.bounds is not None:
            south, north, west, east = self.bounds
            # Mirror the offset where it would leave the map (a position at its edge), then clamp.
            if not south <= new_lat <= north:
                new_lat = lat - (new_lat - lat)
            if not west <= new_lon <= east:
                new_lon = lon - (new_lon - lon)
            new_lat, new_lon = min(max(new_lat, south), north), min(max(new_lon, west), east)
        return round(new_lat, 5), round(new_lon, 5)


def map_bounds(places: Sequence[Mapping[str, float]]) -> tuple[float, float, float, float] | None:
    """The area the scenario validator accepts (stations and hospitals plus its margin, less 1 km)."""
    from app.sim.scenario import MAP_MARGIN_KM

    if not places:
        return None
    margin_km = MAP_MARGIN_KM - 1.0
    mid_lat = sum(p["lat"] for p in places) / len(places)
    margin_lat = margin_km / 111.0
    margin_lon = margin_km / (111.0 * max(0.1, math.cos(math.radians(mid_lat))))
    return (min(p["lat"] for p in places) - margin_lat, max(p["lat"] for p in places) + margin_lat,
            min(p["lon"] for p in places) - margin_lon, max(p["lon"] for p in places) + margin_lon)


def _phone_numbers(rng: random.Random, originals: Sequence[str]) -> dict[str, str]:
    """A made-up mobile number for each original number (never one of them)."""
    out: dict[str, str] = {}
    for original in originals:
        while original not in out:
            number = "1" + rng.choice("3578") + "".join(rng.choice("0123456789") for _ in range(9))
            if number not in originals and number not in out.values():
                out[original] = number
    return out


def _registry(events: Sequence[tuple[str, str, Mapping[str, Any]]]) -> dict[str, Any]:
    """The log's centre as an inline registry: its stations, hospitals and units; neutral seat ids and names,
    a simulated crew per unit, one switch, one trainer (no volunteers: they are people)."""
    stations: dict[str, dict[str, Any]] = {}
    hospitals: dict[str, dict[str, Any]] = {}
    units: dict[str, dict[str, Any]] = {}
    seats: list[str] = []
    for name, _ts, d in events:
        if name == "station.registered":
            stations[d["station_id"]] = {"id": d["station_id"], "name": d["name"], "lat": d["lat"], "lon": d["lon"]}
        elif name == "hospital.registered":
            hospitals[d["hospital_id"]] = {"id": d["hospital_id"], "name": d["name"], "lat": d["lat"], "lon": d["lon"]}
        elif name == "hospital.capabilities_set" and d["hospital_id"] in hospitals:
            entry = hospitals[d["hospital_id"]]
            entry["capabilities"] = list(d["capabilities"])
            entry.pop("trauma_level", None)
            if d.get("trauma_level") is not None:
                entry["trauma_level"] = d["trauma_level"]
        elif name == "unit.registered":
            unit = {"id": d["unit_id"], "call_sign": d["call_sign"], "capability": d["capability"]}
            if d.get("station_id") in stations:
                unit["station"] = d["station_id"]
            units[d["unit_id"]] = unit
        elif name == "principal.registered" and d.get("role") == "seat" and d["principal_id"] not in seats:
            seats.append(d["principal_id"])
    # Seats renamed seat-1..N: the runner and the seat start as seat-1 (and the log's ids stay behind).
    seats = [f"seat-{i}" for i in range(1, max(1, len(seats)) + 1)]
    taken = set(seats)
    devices = []
    for unit_id in units:
        device_id = f"sim-dev-{unit_id}"
        while device_id in taken:
            device_id += "_"
        taken.add(device_id)
        devices.append({"id": device_id, "unit": unit_id})
    switch_id, trainer_id = "sim-switch", "sim-trainer"
    while switch_id in taken or trainer_id in taken:
        switch_id, trainer_id = switch_id + "_", trainer_id + "_"
    return {
        "stations": list(stations.values()),
        "hospitals": list(hospitals.values()),
        "units": list(units.values()),
        "seats": [{"id": s, "name": f"调度席{i}"} for i, s in enumerate(seats, 1)],
        "devices": devices,
        "switches": [{"id": switch_id}],
        "trainers": [{"id": trainer_id}],
    }


def _answers(path: Sequence[Mapping[str, Any]]) -> tuple[dict[str, dict[str, str]], str | None]:
    """The caller's answers by question id (the last answer to each), with the protocol's labels;
    and the chief complaint's answer key. Questions this build's protocols do not know are left out."""
    from app.sim.scenario import question_answers
    from app.triage import DEFAULT_PROTOCOL_DIR, load_protocol_set

    protocols = load_protocol_set(DEFAULT_PROTOCOL_DIR)
    known = question_answers()
    # By (protocol, question, key): one question id may be asked by several protocols in other words.
    labels: dict[tuple[str, str, str], Any] = {}
    for protocol in protocols.all_protocols():
        for qid, question in protocol.questions.items():
            for key in question.keys:
                answer = question.answer_for(key)
                if answer is not None:
                    labels[(protocol.id, qid, key)] = answer.label
                    labels.setdefault(("", qid, key), answer.label)
    out: dict[str, dict[str, str]] = {}
    for step in path:
        qid, key = str(step["question"]), str(step["answer"])
        label = labels.get((str(step.get("protocol")), qid, key)) or labels.get(("", qid, key))
        if key not in known.get(qid, ()) or label is None:
            continue
        out[qid] = {"answer": key, "zh": label.get("zh") or key, "en": label.get("en") or key}
    chief = out.get("chief_complaint")
    return out, chief["answer"] if chief else None


def _says(answers: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """What the caller says first: the chief complaint's protocol label, never the caller's words."""
    chief = answers.get("chief_complaint")
    if chief is None:
        return {"zh": "喂，120吗？这里需要救护车。", "en": "Hello, 120? We need an ambulance."}
    return {"zh": f"喂，120吗？这里需要救护车：{chief['zh']}。", "en": f"Hello, 120? We need an ambulance: {chief['en']}."}


def _outcome(incident: Mapping[str, Any]) -> str:
    reason = CloseReason(incident["close_reason"])
    if reason in (CloseReason.CANCELLED, CloseReason.DUPLICATE) and (incident.get("milestones") or {}).get("handover"):
        return CloseReason.TRANSPORTED.value
    return _OUTCOME_OF.get(reason, reason).value


def build_scenario(record: Record, registry_events: Sequence[EventRow],
                   *, seed: int = 1) -> tuple[dict[str, object], str | None]:
    """The scenario mapping of a closed incident's record (``read_incident``), and its determinant.

    Raises:
        IncidentOpenError: the incident is not closed.
        FromIncidentError: it has no call to replay.
    """
    incident = record["incident"]
    if incident.get("state") != "closed" or not incident.get("close_reason"):
        raise IncidentOpenError(
            f"incident {record['incident_id']} is still open ({incident.get('state')}): only a closed incident "
            "becomes a scenario (what happened to it must be known)")
    calls = sorted((c for c in record["calls"] if c.get("received_at")), key=lambda c: c["received_at"])
    if not calls:
        raise FromIncidentError(f"incident {record['incident_id']} has no call in this event log")
    rng = random.Random(f"from-incident:{seed}")
    registry = _registry(registry_events)
    shift = PositionShift(rng, map_bounds([*registry["stations"], *registry["hospitals"]]))
    numbers = _phone_numbers(rng, list(dict.fromkeys(str(c.get("caller_number") or "") for c in calls)))
    answers, _chief = _answers((record.get("triage") or {}).get("path") or ())
    units = {u["unit_id"]: u for u in record.get("units") or ()}
    first_unit = next(iter(units.values()), None)
    priority = incident.get("priority") or ((record.get("triage") or {}).get("result") or {}).get("priority") or 3
    destination = (incident.get("destination") or {}).get("hospital_id")
    hospital_ids = {h["id"] for h in registry["hospitals"]}

    first_at = calls[0]["received_at"]
    scripted: list[dict[str, Any]] = []
    for index, call in enumerate(calls):
        at = FIRST_CALL_AT_S + max(0.0, _seconds(call["received_at"], first_at) or 0.0)
        entry: dict[str, Any] = {"at": round(at, 1), "caller_number": numbers[str(call.get("caller_number") or "")]}
        located = [loc for loc in record.get("locations") or ()
                   if loc.get("call_id") == call["call_id"] and loc.get("kind") in ("candidate", "switch_text")]
        if any(loc["kind"] == "switch_text" for loc in located):
            entry["location_text"] = f"{NEUTRAL_LANDMARK['zh']} {index + 1}"
        candidates = []
        for loc in located:
            if loc["kind"] != "candidate" or not loc.get("source"):
                continue
            candidate: dict[str, Any] = {"source": loc["source"]}
            if loc.get("lat") is not None and loc.get("lon") is not None:
                candidate["lat"], candidate["lon"] = shift(float(loc["lat"]), float(loc["lon"]))
            if loc.get("accuracy_m") is not None:
                candidate["accuracy_m"] = loc["accuracy_m"]
            if loc.get("address"):
                candidate["address"] = f"{NEUTRAL_LANDMARK['en']} {index + 1}"
            if "lat" not in candidate and "address" not in candidate:
                continue
            age = _seconds(call["received_at"], loc.get("at"))
            if age is not None and age > 0:
                candidate["age_s"] = round(age, 1)
            candidates.append(candidate)
        if candidates:
            entry["locations"] = candidates[:8]
        entry["says"] = _says(answers) if index == 0 else {"zh": "我刚才打过电话，救护车到哪儿了？",
                                                           "en": "I called a moment ago. Where is the ambulance?"}
        if index == 0 and incident.get("patients"):
            entry["patients"] = incident["patients"]
        entry["expected_priority"] = int(priority)
        if index == 0 and first_unit is not None and first_unit.get("capability"):
            entry["expected_capability"] = first_unit["capability"]
        if call.get("answered_at") is None and call.get("ended_at"):
            wait = _seconds(call["ended_at"], call["received_at"])
            if wait is not None and wait > 0:
                entry["abandon_after_s"] = round(wait, 1)
        talk = _seconds(call.get("ended_at"), call.get("answered_at"))
        if talk is not None:
            entry["talk_s"] = round(max(MIN_TALK_S, talk), 1)
        entry["outcome"] = _outcome(incident)
        if index == 0 and destination in hospital_ids:
            entry["expected_hospital"] = destination
        if index > 0:
            entry["repeat_of"] = 0
        if index == 0 and answers:
            entry["caller"] = {"behaviour": "calm", "answers": answers}
        scripted.append(entry)
    determinant = ((record.get("triage") or {}).get("result") or {}).get("determinant")
    label = f"{determinant} " if determinant else ""
    scenario = {
        "version": 1,
        "name": f"真实事件演练 {label}/ From a real incident {label}".replace("  ", " ").strip(),
        "registry": registry,
        "start": "first_seat_ready",
        "calls": scripted,
    }
    return scenario, determinant


def scenario_yaml(scenario: Mapping[str, object], determinant: str | None) -> str:
    """The scenario as YAML with a header comment (what it is; the determinant reached)."""
    import yaml

    header = [
        "# A training scenario made from a closed incident of a centre's event log",
        "# (dispatch120 sim from-incident): caller number, names and free text removed,",
        "# positions shifted, times re-based. The expected values are what the dispatcher reached.",
        f"# Determinant reached: {determinant or 'none recorded'}",
    ]
    body = yaml.safe_dump(dict(scenario), allow_unicode=True, sort_keys=False, width=120)
    return "\n".join(header) + "\n" + body


def write_scenario(db: str | Path, incident_id: str, out: Path, *, seed: int = 1) -> Path:
    """Read the incident, build its scenario, check it as ``sim check`` does, and write ``out``.

    Nothing is written unless every step succeeded (the file appears whole: written beside
    ``out`` and renamed).

    Raises:
        FromIncidentError (``exit_code``): unknown incident, open incident, not a dispatch120
            log or a newer one, or a scenario the validator refuses; OSError: ``out`` cannot be written.
    """
    from app.sim.scenario import ScenarioError, load_scenario

    record, registry = _read(db, incident_id)
    scenario, determinant = build_scenario(record, registry, seed=seed)
    text = scenario_yaml(scenario, determinant)
    out = Path(out)
    partial = out.with_name(f".{out.name}.partial")
    partial.write_text(text, encoding="utf-8")
    try:
        load_scenario(partial)
    except ScenarioError as exc:
        partial.unlink(missing_ok=True)
        raise FromIncidentError("the scenario made from this incident does not pass the checks:\n  "
                                + "\n  ".join(exc.problems)) from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(out)
    return out


def run_from_incident(args: argparse.Namespace) -> int:
    """``dispatch120 sim from-incident``: returns the exit code (message on stderr)."""
    try:
        out = write_scenario(args.db, args.incident, args.out, seed=args.seed)
    except FromIncidentError as exc:
        print(f"dispatch120 sim from-incident: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:
        print(f"dispatch120 sim from-incident: cannot write {args.out}: {exc}", file=sys.stderr)
        return 1
    print(out)
    return 0
