"""The registry of a centre — stations, hospitals, units, credentials — as input.

Pure: parses and validates what the admin CLI is given (flags or a registry
YAML document, already loaded), and plans the events and credential rows that
register it against the current state. No I/O; :mod:`server_stub.admin`
does the reading, the committing and the printing.

Every problem is an :class:`InputError` whose message names the entry and the
field, so that an operator can fix the file without reading code.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.domain.decide import EventDraft
from app.domain.model import Role
from app.domain.state import State
from app.protocol import ProtocolError
from app.protocol.hospitals import HospitalCapability
from app.protocol.responders import ACCESS_RE
from app.protocol.schema import Field, check_value
from server_stub.auth import new_token, token_hash
from server_stub.store import PrincipalRow

CAPABILITIES = ("als", "bls", "negative_pressure")
DEFAULT_CAPABILITY = "bls"  # the conservative default: never claim a capability a unit may not have
# Actor ids the server and the admin CLI write events as; no credential may take them.
RESERVED_IDS = frozenset({"server", "admin-cli"})
NAME_MAX = 100
CALL_SIGN_MAX = 32

# Which YAML section registers which role, and the keys an entry may have.
PRINCIPAL_SECTIONS: dict[str, Role] = {
    "seats": Role.SEAT,
    "devices": Role.DEVICE,
    "switches": Role.SWITCH,
    "trainers": Role.TRAINER,
    "volunteers": Role.VOLUNTEER,
    "walls": Role.WALL,  # the centre's wall display (read-only)
    "supervisors": Role.SUPERVISOR,  # shift supervisors (read-only; every KPI)
}
SECTION_KEYS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    # section: (required keys, optional keys)
    "stations": (frozenset({"id", "name", "lat", "lon"}), frozenset()),
    "hospitals": (frozenset({"id", "name", "lat", "lon"}), frozenset({"capabilities", "trauma_level"})),
    "units": (frozenset({"id", "call_sign"}), frozenset({"station", "capability"})),
    "seats": (frozenset({"id", "name"}), frozenset()),
    "devices": (frozenset({"id", "unit"}), frozenset({"name"})),
    "switches": (frozenset({"id"}), frozenset({"name"})),
    "trainers": (frozenset({"id"}), frozenset({"name"})),
    "volunteers": (frozenset({"id", "name"}), frozenset()),
    "walls": (frozenset({"id"}), frozenset({"name"})),
    "supervisors": (frozenset({"id", "name"}), frozenset()),
    "aeds": (frozenset({"id", "name", "lat", "lon", "access"}), frozenset()),
}


class InputError(Exception):
    """Admin input that cannot be accepted. The message is for the operator."""


# ---------------------------------------------------------------- field checks
_ID = Field("id")


def check_id(value: Any, what: str) -> str:
    try:
        check_value(_ID, value, what)
    except ProtocolError:
        raise InputError(
            f"{what}: {value!r} is not a valid id (1-64 characters: letters, digits and _ . : -, "
            "starting with a letter or digit)"
        ) from None
    return value


def check_name(value: object, what: str, *, max_len: int = NAME_MAX) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{what}: must be a non-empty text")
    if len(value) > max_len:
        raise InputError(f"{what}: longer than {max_len} characters")
    return value


def check_coordinate(value: object, what: str, limit: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(f"{what}: must be a number (decimal degrees, WGS-84)")
    if not -limit <= value <= limit:
        raise InputError(f"{what}: {value} is outside -{limit:g}..{limit:g}")
    return float(value)


def check_capability(value: Any, what: str) -> str:
    if value not in CAPABILITIES:
        raise InputError(f"{what}: {value!r} is not one of {', '.join(CAPABILITIES)}")
    return value


HOSPITAL_CAPABILITIES = tuple(c.value for c in HospitalCapability)
TRAUMA_LEVELS = (1, 2, 3)


def check_access(value: object, what: str) -> str:
    if not isinstance(value, str) or not ACCESS_RE.match(value):
        raise InputError(f'{what}: {value!r} is not "24h" or "HH:MM-HH:MM" (local time, may span midnight)')
    return value


def hospital_capabilities(hospital_id: object, capabilities: object, trauma_level: object, what: str) -> dict[str, Any]:
    """The ``hospital.capabilities_set`` data for one hospital (``admin set-hospital`` and the YAML).

    Args:
        capabilities: an iterable of flag names (:class:`HospitalCapability` values).
        trauma_level: 1..3 (1 is the highest) with ``trauma_centre``, else None.

    Raises:
        InputError: an unknown flag, a trauma level that is not 1..3, pci without
            chest_pain_centre, thrombolysis/thrombectomy without stroke_centre, or
            trauma_centre and trauma_level not given together.
    """
    hospital = check_id(hospital_id, f"{what} id")
    if isinstance(capabilities, str | bytes) or not isinstance(capabilities, Iterable):
        raise InputError(f"{what} capabilities: must be a list of {', '.join(HOSPITAL_CAPABILITIES)}")
    flags = sorted({c.strip() if isinstance(c, str) else c for c in capabilities} - {""}, key=str)
    unknown = [repr(c) for c in flags if c not in HOSPITAL_CAPABILITIES]
    if unknown:
        raise InputError(f"{what} capabilities: {', '.join(unknown)} not one of {', '.join(HOSPITAL_CAPABILITIES)}")
    if trauma_level is not None and (isinstance(trauma_level, bool) or trauma_level not in TRAUMA_LEVELS):
        raise InputError(f"{what} trauma_level: {trauma_level!r} is not 1, 2 or 3 (1 is the highest)")
    if "pci" in flags and "chest_pain_centre" not in flags:
        raise InputError(f"{what}: pci needs chest_pain_centre (a chest-pain centre with a cath lab)")
    if {"thrombolysis", "thrombectomy"} & set(flags) and "stroke_centre" not in flags:
        raise InputError(f"{what}: thrombolysis/thrombectomy need stroke_centre")
    if (trauma_level is not None) != ("trauma_centre" in flags):
        raise InputError(f"{what}: trauma_centre and a trauma level go together (1 is the highest level)")
    return {"hospital_id": hospital, "capabilities": flags, "trauma_level": trauma_level}


# ---------------------------------------------------------------- the registry
@dataclass(frozen=True)
class Place:
    id: str
    name: str
    lat: float
    lon: float


@dataclass(frozen=True)
class UnitSpec:
    id: str
    call_sign: str
    station: str | None
    capability: str


@dataclass(frozen=True)
class PrincipalSpec:
    id: str
    role: Role
    name: str
    unit_id: str | None = None


@dataclass(frozen=True)
class AedSpec:
    id: str
    name: str
    lat: float
    lon: float
    access: str


@dataclass
class Registry:
    stations: list[Place] = field(default_factory=list)
    hospitals: list[Place] = field(default_factory=list)
    units: list[UnitSpec] = field(default_factory=list)
    principals: list[PrincipalSpec] = field(default_factory=list)
    # hospital.capabilities_set data, for hospitals whose entry gives capabilities/trauma_level
    hospital_capabilities: list[dict[str, Any]] = field(default_factory=list)
    aeds: list[AedSpec] = field(default_factory=list)


def place(entity_id: object, name: object, lat: object, lon: object, what: str) -> Place:
    return Place(
        check_id(entity_id, f"{what} id"),
        check_name(name, f"{what} name"),
        check_coordinate(lat, f"{what} lat", 90),
        check_coordinate(lon, f"{what} lon", 180),
    )


def unit_spec(unit_id: object, call_sign: object, station: object, capability: object, what: str) -> UnitSpec:
    return UnitSpec(
        check_id(unit_id, f"{what} id"),
        check_name(call_sign, f"{what} call_sign", max_len=CALL_SIGN_MAX),
        None if station is None else check_id(station, f"{what} station"),
        check_capability(DEFAULT_CAPABILITY if capability is None else capability, f"{what} capability"),
    )


def principal_spec(principal_id: object, role: Role, name: object, unit_id: object, what: str) -> PrincipalSpec:
    pid = check_id(principal_id, f"{what} id")
    if pid in RESERVED_IDS:
        raise InputError(f"{what} id: {pid!r} is reserved for the server's own events")
    return PrincipalSpec(
        pid,
        role,
        check_name(pid if name is None else name, f"{what} name"),
        None if unit_id is None else check_id(unit_id, f"{what} unit"),
    )


def parse_registry(doc: Any) -> Registry:
    """Validate a loaded registry document (see server_stub/README.md).

    Raises:
        InputError: listing every problem found, one per line.
    """
    if doc is None:
        doc = {}
    if not isinstance(doc, Mapping):
        raise InputError("the registry must be a mapping with the sections " + ", ".join(SECTION_KEYS))
    problems: list[str] = []
    unknown = [str(k) for k in doc if k not in SECTION_KEYS]
    if unknown:
        problems.append(f"unknown section(s): {', '.join(unknown)} (known: {', '.join(SECTION_KEYS)})")
    registry = Registry()
    seen: dict[str, set[str]] = {"stations": set(), "hospitals": set(), "units": set(), "principals": set(),
                                 "aeds": set()}
    for section, (required, optional) in SECTION_KEYS.items():
        entries = doc.get(section) or []
        if not isinstance(entries, list):
            problems.append(f"{section}: must be a list of entries")
            continue
        for index, entry in enumerate(entries):
            what = f"{section}[{index}]"
            if not isinstance(entry, Mapping):
                problems.append(f"{what}: must be a mapping")
                continue
            if isinstance(entry.get("id"), str):
                what = f"{section}[{index}] ({entry['id']})"
            missing = sorted(required - set(entry))
            extra = sorted(str(k) for k in set(entry) - required - optional)
            if missing:
                problems.append(f"{what}: missing {', '.join(missing)}")
            if extra:
                problems.append(f"{what}: unknown key(s) {', '.join(extra)}")
            if missing or extra:
                continue
            try:
                _add_entry(registry, section, entry, what, seen)
            except InputError as exc:
                problems.append(str(exc))
    if problems:
        raise InputError("\n".join(problems))
    return registry


def _add_entry(registry: Registry, section: str, e: Mapping[str, Any], what: str, seen: dict[str, set[str]]) -> None:
    item: Place | AedSpec | UnitSpec | PrincipalSpec
    if section in ("stations", "hospitals"):
        item = place(e["id"], e["name"], e["lat"], e["lon"], what)
        kind = section
        if section == "hospitals" and ("capabilities" in e or "trauma_level" in e):
            registry.hospital_capabilities.append(
                hospital_capabilities(e["id"], e.get("capabilities") or [], e.get("trauma_level"), what))
        getattr(registry, section).append(item)
    elif section == "aeds":
        spot = place(e["id"], e["name"], e["lat"], e["lon"], what)
        item = AedSpec(spot.id, spot.name, spot.lat, spot.lon, check_access(e["access"], f"{what} access"))
        kind = "aeds"
        registry.aeds.append(item)
    elif section == "units":
        item = unit_spec(e["id"], e["call_sign"], e.get("station"), e.get("capability"), what)
        kind = "units"
        registry.units.append(item)
    else:
        role = PRINCIPAL_SECTIONS[section]
        unit = e.get("unit") if role == Role.DEVICE else None
        item = principal_spec(e["id"], role, e.get("name"), unit, what)
        kind = "principals"
        registry.principals.append(item)
    if item.id in seen[kind]:
        raise InputError(f"{what}: id {item.id!r} appears twice")
    seen[kind].add(item.id)


# ---------------------------------------------------------------- planning
@dataclass
class Plan:
    """What registering means against the current state: events, credential rows, new tokens."""

    drafts: list[EventDraft] = field(default_factory=list)
    principals: list[PrincipalRow] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)  # principal id -> new token (shown once)
    created: list[str] = field(default_factory=list)  # human summary lines
    unchanged: list[str] = field(default_factory=list)


def plan_registry(
    state: State,
    existing: Mapping[str, PrincipalRow],
    registry: Registry,
    *,
    create_only: bool,
) -> Plan:
    """Plan the events that make the registry true.

    Args:
        state: the projection of the log (stations, hospitals, units, principals).
        existing: the credential rows by principal id.
        create_only: True for the single ``add-*`` commands: an id that exists
            already is an error. False for ``import``: an entry equal to what
            exists changes nothing, a changed one is registered again, and
            every listed credential gets a new token (so the tokens file
            always holds working tokens; the old ones stop working).

    Raises:
        InputError: an id exists (create_only), a station/unit referred to
            does not exist, or a credential would change its role.
    """
    plan = Plan()
    station_ids = set(state.stations) | {s.id for s in registry.stations}
    unit_ids = set(state.units) | {u.id for u in registry.units}

    def register(kind: str, table: dict[str, Any], key: str, data: dict[str, Any], label: str) -> None:
        current = table.get(data[key])
        if current is not None:
            if create_only:
                raise InputError(f"{label} {data[key]} already exists")
            if all(current.get(k) == v for k, v in data.items()):
                plan.unchanged.append(f"{label} {data[key]}")
                return
        plan.drafts.append((kind, data))
        plan.created.append(f"{label} {data[key]} {'updated' if current is not None else 'registered'}")

    for s in registry.stations:
        data = {"station_id": s.id, "name": s.name, "lat": s.lat, "lon": s.lon}
        register("station.registered", state.stations, "station_id", data, "station")
    for h in registry.hospitals:
        data = {"hospital_id": h.id, "name": h.name, "lat": h.lat, "lon": h.lon}
        register("hospital.registered", state.hospitals, "hospital_id", data, "hospital")
    for caps in registry.hospital_capabilities:
        current = state.hospitals.get(caps["hospital_id"]) or {}
        if (current.get("capabilities"), current.get("trauma_level")) == (caps["capabilities"], caps["trauma_level"]):
            plan.unchanged.append(f"hospital {caps['hospital_id']} capabilities")
        else:
            plan.drafts.append(("hospital.capabilities_set", dict(caps)))
            plan.created.append(f"hospital {caps['hospital_id']}: capabilities "
                                f"{', '.join(caps['capabilities']) or '(none)'}")
    for a in registry.aeds:
        data = {"aed_id": a.id, "name": a.name, "lat": a.lat, "lon": a.lon, "access": a.access}
        register("aed.registered", state.aeds, "aed_id", data, "AED")
    for u in registry.units:
        if u.station is not None and u.station not in station_ids:
            raise InputError(f"unit {u.id}: station {u.station} does not exist (add it first)")
        data = {"unit_id": u.id, "call_sign": u.call_sign, "station_id": u.station, "capability": u.capability}
        register("unit.registered", state.units, "unit_id", data, "unit")
    for p in registry.principals:
        if p.role == Role.DEVICE:
            if p.unit_id is None:
                raise InputError(f"device {p.id}: a device must belong to a unit (--unit)")
            if p.unit_id not in unit_ids:
                raise InputError(f"device {p.id}: unit {p.unit_id} does not exist (add it with add-unit first)")
        row = existing.get(p.id)
        if row is not None and create_only:
            raise InputError(f"{row.role} {p.id} already exists; use new-token {p.id} to give it a new token")
        if row is not None and row.role != p.role.value:
            raise InputError(f"{p.id} is registered as a {row.role}; it cannot become a {p.role.value}")
        token = new_token()
        plan.tokens[p.id] = token
        plan.principals.append(PrincipalRow(p.id, p.role.value, p.name, p.unit_id, token_hash(token), revoked=False))
        registered = state.principals.get(p.id)
        if (
            row is None
            or registered is None
            or row.revoked
            or registered.get("name") != p.name
            or registered.get("unit_id") != p.unit_id
        ):
            data = {"principal_id": p.id, "role": p.role.value, "name": p.name, "unit_id": p.unit_id}
            plan.drafts.append(("principal.registered", data))
            plan.created.append(f"{p.role.value} {p.id} {'registered' if row is None else 'updated'}")
        else:
            # The new token counts for new logins at once; open connections with the old
            # one stay until they reconnect (rotate-token also closes them: rotation_drafts).
            plan.created.append(f"{p.role.value} {p.id}: new token")
    return plan


def rotation_drafts(principal_id: str, role: str, name: str, unit_id: str | None) -> list[EventDraft]:
    """The events of a token rotation: the credential revoked, then registered again.

    Every server instance closes the connections of a revoked credential whose token no
    longer counts (server_stub/connection.py), so the two events in one commit say
    "the old token stops now, the credential goes on with a new one" to all of them,
    and the log records who rotated it and when. The token's hash is never in the log.
    """
    data = {"principal_id": principal_id, "role": role, "name": name, "unit_id": unit_id}
    return [("principal.revoked", {"principal_id": principal_id}), ("principal.registered", data)]


def plan_new_token(state: State, row: PrincipalRow | None, principal_id: str) -> Plan:
    """A new token for an existing credential; a revoked one is reinstated (registered again)."""
    if row is None:
        raise InputError(f"no credential {principal_id}")
    plan = Plan()
    token = new_token()
    plan.tokens[row.id] = token
    plan.principals.append(PrincipalRow(row.id, row.role, row.name, row.unit_id, token_hash(token), revoked=False))
    if row.revoked or row.id not in state.principals:
        data = {"principal_id": row.id, "role": row.role, "name": row.name, "unit_id": row.unit_id}
        plan.drafts.append(("principal.registered", data))
        plan.created.append(f"{row.role} {row.id} reinstated with a new token")
    else:
        plan.drafts += rotation_drafts(row.id, row.role, row.name, row.unit_id)
        plan.created.append(f"{row.role} {row.id}: new token (the old one no longer works; "
                            "its connections are closed)")
    return plan


def plan_revoke(row: PrincipalRow | None, principal_id: str) -> Plan:
    if row is None:
        raise InputError(f"no credential {principal_id}")
    plan = Plan()
    if row.revoked:
        plan.unchanged.append(f"{row.role} {row.id} was already revoked")
        return plan
    plan.principals.append(PrincipalRow(row.id, row.role, row.name, row.unit_id, None, revoked=True))
    plan.drafts.append(("principal.revoked", {"principal_id": row.id}))
    plan.created.append(f"{row.role} {row.id} revoked (its connections are closed)")
    return plan


def ids(entries: Iterable[Any]) -> list[str]:
    return [e.id for e in entries]
